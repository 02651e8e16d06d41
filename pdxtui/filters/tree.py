"""The parsed filter: its nodes, its errors (with the caret line under the offending text), and the
helpers the translators share (field lookup, value formats, coded values)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pdxtui.errors import UsageError
from pdxtui.model import Field
from pdxtui.textsafe import one_line

# -- errors -----------------------------------------------------------------------------------------------------


class FilterError(UsageError):
    """A filter that cannot be parsed or used. ``position`` is a 0-based offset into the text (None: unknown);
    ``message`` is the text without the position; ``str()`` reads "... at column N" (1-based) for people."""

    def __init__(self, message: str, position: int | None = None, hint: str = "") -> None:
        self.reason = message
        self.position = position
        self.hint = hint
        self.message = f"{message}; {hint}" if hint else message
        where = f" at column {position + 1}" if position is not None else ""
        super().__init__(f"{message}{where}" + (f"; {hint}" if hint else ""))


class NotServerSide(FilterError):
    """This (part of the) filter cannot be sent to the portal; filter the rows locally instead."""


def caret(text: str, err: FilterError) -> str:
    """The line of ``text`` holding the error, and a ``^`` under the error's position (two lines).

    Control characters are shown as visible stand-ins of the same width, tabs as spaces, and wide (East Asian)
    characters count two cells, so the caret lines up in a terminal."""
    position = err.position
    if position is None:
        return _display(text.replace("\n", " "))[0]
    position = max(0, min(position, len(text)))
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start:] if end < 0 else text[start:end]
    shown, widths = _display(line)
    return f"{shown}\n{' ' * sum(widths[: position - start])}^"


def _display(line: str) -> tuple[str, list[int]]:
    out, widths = [], []
    for ch in line:
        if ch == "\t" or (ch.isspace() and ch != " "):
            ch = " "
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            ch = "\ufffd" if ord(ch) >= 0x20 else chr(0x2400 + ord(ch))
        width = 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        out.append(ch)
        widths.append(width)
    return "".join(out), widths


def _show(text: str) -> str:
    """A user's token, quoted and made safe for a one-line message."""
    return repr(one_line(text, 40))


# -- the tree ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``column op value``. ``op`` is canonical (``= != < <= > >= ~ !~``); ``value`` is typed by the column's
    kind: int/float, str, bool, date or datetime (naive, UTC). For coded-value fields it is the label."""

    column: str
    op: str
    value: Any
    position: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class IsNull:
    """``column is null`` (``negated``: ``is not null``)."""

    column: str
    negated: bool = False
    position: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | IsNull | And | Or | Not


def _join(kind: type[And] | type[Or], items: Iterable[Node]) -> Node:
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def columns(node: Node | None) -> set[str]:
    """The (canonical) column names a filter reads."""
    if node is None:
        return set()
    if isinstance(node, (Compare, IsNull)):
        return {node.column}
    if isinstance(node, Not):
        return columns(node.item)
    return set().union(*(columns(item) for item in node.items))


_NOUN = {
    "string": "text",
    "integer": "numbers",
    "float": "numbers",
    "boolean": "true/false values",
    "date": "dates",
    "datetime": "dates and times",
}


def _kind(column: Field) -> str:
    return "string" if column.kind in ("json", "string") or column.kind not in _NOUN else column.kind


# -- shared translation helpers ---------------------------------------------------------------------------------


def _field_map(fields: Sequence[Field]) -> dict[str, Field]:
    return {f.name: f for f in fields}


def _field(by_name: Mapping[str, Field], node: Compare | IsNull) -> Field:
    found = by_name.get(node.column)
    if found is None:
        raise FilterError(f"unknown column {_show(node.column)}", node.position)
    return found


def _sql_number(value: int | float) -> str:
    """Plain positional digits (no exponent), which every SQL dialect reads."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _iso(value: datetime, sep: str) -> str:
    """``YYYY-MM-DD{sep}HH:MM:SS`` with a four-digit year (strftime drops the padding on some platforms)."""
    return f"{value.date().isoformat()}{sep}{value.time().replace(microsecond=0).isoformat()}"


def _day_bounds(value: date) -> tuple[datetime, datetime]:
    start = datetime(value.year, value.month, value.day)
    return start, start + timedelta(days=1)


def _is_day_on_datetime(column: Field, value: Any) -> bool:
    return type(value) is date and _kind(column) == "datetime"


def _contains_codes(column: Field, text: str) -> list[Any]:
    needle = text.upper()
    return [code for code, label in column.domain if needle in str(label).upper()]


def _label_codes(column: Field, label: str) -> list[Any]:
    return [code for code, text in column.domain if text == label]
