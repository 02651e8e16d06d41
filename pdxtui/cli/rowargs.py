"""The row-choosing options ``preview`` and ``export`` share: ``--where`` (the filter language), ``--columns`` and
``--order``, checked against the dataset's fields before any row is fetched. Cheap to import (no polars)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pdxtui.errors import UsageError
from pdxtui.model import Field

ORDER_WORDS = {"asc": False, "desc": True}


def where_text(value: str | None) -> str | None:
    """The filter text of a ``--where`` (None for none or blank)."""
    return value if value and value.strip() else None


def bad_where(where: str | None, fields: Sequence[Field]) -> bool:
    """Whether ``where`` fails to parse against ``fields``; if so its message and a caret line under the place
    are on stderr (the caller exits 2)."""
    if where is None:
        return False
    from pdxtui.filters import FilterError, caret, parse
    from pdxtui.textsafe import one_line

    try:
        parse(where, tuple(fields))
    except FilterError as exc:
        print(f"pdxtui: --where: {one_line(exc)}", file=sys.stderr)
        for line in caret(where, exc).splitlines():
            print(f"  {line}", file=sys.stderr)
        return True
    return False


def split_columns(value: str | None, flag: str = "--columns") -> tuple[str, ...]:
    """The names of a comma-separated list (empty items skipped); UsageError when it names none."""
    if value is None:
        return ()
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise UsageError(f"{flag} names no column")
    return names


def columns_of(value: str | None, fields: Sequence[Field]) -> tuple[str, ...]:
    """``--columns A,B``: the dataset's names for them (exact, else ignoring case, else by alias), in that order.
    An unknown or repeated column is a UsageError naming the closest known one. Unchecked when the portal gave no
    fields (it checks them itself)."""
    names = split_columns(value)
    return _resolved("--columns", names, fields)


def order_of(value: str | None, fields: Sequence[Field]) -> tuple[tuple[str, bool], ...]:
    """``--order "A desc,B"``: (column, descending) pairs; ``asc`` (the default) or ``desc`` after a name."""
    out: list[tuple[str, bool]] = []
    for item in split_columns(value, "--order"):
        name, descending = item, False
        words = item.rsplit(None, 1)
        if len(words) == 2 and words[1].lower() in ORDER_WORDS:
            name, descending = words[0], ORDER_WORDS[words[1].lower()]
        elif len(words) == 2 and not _known(item, fields):
            raise UsageError(f"--order: {words[1]!r} in {item!r} is neither asc nor desc")
        out.append((name, descending))
    resolved = _resolved("--order", tuple(name for name, _ in out), fields)
    return tuple(zip(resolved, (descending for _, descending in out), strict=True))


def _known(name: str, fields: Sequence[Field]) -> bool:
    try:
        _resolved("", (name,), fields)
    except UsageError:
        return False
    return True


def _resolved(flag: str, names: tuple[str, ...], fields: Sequence[Field]) -> tuple[str, ...]:
    if not names or not fields:
        return names
    from pdxtui.export import resolve_columns

    try:
        return tuple(resolve_columns(names, [f.name for f in fields], fields))
    except UsageError as exc:
        raise UsageError(f"{flag}: {exc}") from None
