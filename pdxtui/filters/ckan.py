"""Filters as CKAN datastore ``filters`` (exact matches only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pdxtui.filters.tree import And, Compare, Node, Or, _field, _field_map, _is_day_on_datetime, _iso, _sql_number
from pdxtui.model import Field

# -- CKAN -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CkanFilter:
    """Arguments for CKAN ``datastore_search``: ``filters`` (JSON-encode it), ``q`` and whether they are exact.

    ``filters`` maps a field to one value, or to a list meaning any of them; fields are and-ed. Values are text
    (PostgreSQL casts them to the column's type). ``q`` is always None: full-text search matches whole words
    across every column, which is neither narrower nor wider than ``~``, so it cannot stand in for it.
    ``exact`` False: the filters are only the part CKAN can do (a superset of the rows); apply
    :func:`to_polars` of the whole filter to what comes back."""

    filters: dict[str, list[str] | str]
    q: str | None = None
    exact: bool = True


def to_ckan(node: Node | None, fields: Sequence[Field]) -> CkanFilter:
    """Translate the equality part of a filter: ``and`` of ``F = v``, and ``or`` of ``F = v`` on one field."""
    if node is None:
        return CkanFilter({}, None, True)
    by_name = _field_map(fields)
    filters: dict[str, list[str]] = {}
    exact = True
    for item in node.items if isinstance(node, And) else (node,):
        atom = _ckan_atom(item, by_name)
        if atom is None:
            exact = False
            continue
        name, values = atom
        if name in filters:
            if set(filters[name]) != set(values):
                exact = False  # two conditions on one field: keep the first (a superset)
            continue
        filters[name] = values
    out: dict[str, list[str] | str] = {k: v[0] if len(v) == 1 else v for k, v in filters.items()}
    return CkanFilter(out, None, exact)


def _ckan_atom(node: Node, by_name: Mapping[str, Field]) -> tuple[str, list[str]] | None:
    items = node.items if isinstance(node, Or) else (node,)
    name = None
    values: list[str] = []
    for item in items:
        if not isinstance(item, Compare) or item.op != "=" or (name is not None and item.column != name):
            return None
        column = _field(by_name, item)
        if _is_day_on_datetime(column, item.value):
            return None
        name = item.column
        text = _ckan_value(item.value)
        if text not in values:
            values.append(text)
    return (name, values) if name is not None else None


def _ckan_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _sql_number(value)
    if isinstance(value, datetime):
        return _iso(value, "T")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
