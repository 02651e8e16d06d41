"""Filters in words: :func:`describe` (plain English), :func:`to_text` (the language again), and
:func:`example` (a filter that fits a dataset, for the filter bar's hint)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pdxtui.filters.parse import _KEYWORDS, _WORDLIKE
from pdxtui.filters.tree import And, Compare, IsNull, Node, Not, Or, _iso, _sql_number
from pdxtui.model import Field

# -- words ------------------------------------------------------------------------------------------------------

_PHRASES = {
    "=": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is greater than",
    ">=": "is at least",
    "~": "contains",
    "!~": "does not contain",
}
_DATE_PHRASES = {
    "=": "is on",
    "!=": "is not on",
    "<": "is before",
    "<=": "is on or before",
    ">": "is after",
    ">=": "is on or after",
}


def describe(node: Node | None) -> str:
    """Plain English, e.g. ``SPECIES contains "maple" and DIAMETER is greater than 30``."""
    if node is None:
        return "all rows"
    if isinstance(node, Compare):
        value = node.value
        if isinstance(value, (date, datetime)):
            phrase = _DATE_PHRASES[node.op]
            if isinstance(value, datetime):
                phrase = phrase.replace(" on", "") if node.op in ("=", "!=") else phrase.replace(" on or", " at or")
        else:
            phrase = _PHRASES[node.op]
        return f"{node.column} {phrase} {_describe_value(value)}"
    if isinstance(node, IsNull):
        return f"{node.column} {'has a value' if node.negated else 'has no value'}"
    if isinstance(node, Not):
        return f"not ({describe(node.item)})"
    if isinstance(node, And):
        return " and ".join(f"({describe(i)})" if isinstance(i, Or) else describe(i) for i in node.items)
    return " or ".join(f"({describe(i)})" if isinstance(i, And) else describe(i) for i in node.items)


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _sql_number(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return f"{value.date().isoformat()} {value.time().isoformat('seconds' if value.second else 'minutes')} UTC"
    if isinstance(value, date):
        return value.isoformat()
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_text(node: Node | None) -> str:
    """The filter written back in the filter language (canonical spelling); ``parse`` reads it back."""
    if node is None:
        return ""
    if isinstance(node, And):
        return " and ".join(f"({to_text(i)})" if isinstance(i, Or) else to_text(i) for i in node.items)
    if isinstance(node, Or):
        return " or ".join(to_text(i) for i in node.items)
    if isinstance(node, Not):
        inner = node.item
        return f"not ({to_text(inner)})" if isinstance(inner, (And, Or)) else f"not {to_text(inner)}"
    name = node.column
    if not (_WORDLIKE.match(name) and name.lower() not in _KEYWORDS):
        name = "`" + name.replace("`", "``") + "`"
    if isinstance(node, IsNull):
        return f"{name} is {'not ' if node.negated else ''}null"
    value = node.value
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, datetime):
        text = _iso(value, "T")
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{name} {node.op} {text}"


_EXAMPLE_WORD = re.compile(r"[A-Za-z]{3,}")


def example(fields: Sequence[Field], rows: Mapping[str, Sequence[Any]]) -> str:
    """A filter that fits this dataset, for the filter bar's hint: ``text ~ word and number > median`` from the
    first text and number columns that have values in ``rows`` (column name -> the loaded values). Written with
    :func:`to_text`, so it always parses; empty when the dataset has neither kind of column."""
    parts: list[Node] = []
    text = next((f for f in fields if f.kind == "string" and not f.domain and _example_word(rows.get(f.name))), None)
    if text is not None:
        parts.append(Compare(text.name, "~", _example_word(rows.get(text.name))))
    number = next(
        (
            f
            for f in fields
            if f.kind in ("integer", "float")
            and not f.domain
            and not _id_like(f.name)
            and _example_number(rows.get(f.name)) is not None
        ),
        None,
    )
    if number is not None:
        parts.append(Compare(number.name, ">", _example_number(rows.get(number.name))))
    if not parts:
        return ""
    written = to_text(parts[0] if len(parts) == 1 else And(tuple(parts)))
    if text is not None:  # a plain word needs no quotes (SPECIES ~ maple), as people type it
        word = _example_word(rows.get(text.name))
        if word not in _KEYWORDS and word not in ("true", "false"):
            written = written.replace(f"~ '{word}'", f"~ {word}", 1)
    return written


def _example_word(values: Sequence[Any] | None) -> str:
    for value in (values or ())[:200]:
        if isinstance(value, str):
            match = _EXAMPLE_WORD.search(value)
            if match:
                return match.group(0).lower()
    return ""


def _example_number(values: Sequence[Any] | None) -> int | None:
    present = sorted(
        v for v in (values or ())[:1000] if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
    )
    if not present:
        return None
    return int(present[len(present) // 2])


def _id_like(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("objectid", "fid", "id", "oid", "_id") or (
        lowered.endswith(("_id", "id")) and len(lowered) <= 12
    )
