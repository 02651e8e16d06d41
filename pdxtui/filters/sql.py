"""Filters as where clauses: :func:`to_arcgis` (ArcGIS REST, SQL-92) and :func:`to_soql` (Socrata), and
:func:`server_part`, which keeps what a portal can run."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from pdxtui.filters.parse import _CONTAINS, _IDENTIFIER
from pdxtui.filters.tree import (
    And,
    Compare,
    IsNull,
    Node,
    Not,
    NotServerSide,
    Or,
    _contains_codes,
    _day_bounds,
    _field,
    _field_map,
    _is_day_on_datetime,
    _iso,
    _join,
    _kind,
    _label_codes,
    _sql_number,
)
from pdxtui.model import Field

#: words an ArcGIS where clause (SQL-92 on whatever database backs the layer) cannot take as a bare field name
_SQL_RESERVED = frozenset(
    {
        "ALL",
        "AND",
        "ANY",
        "AS",
        "ASC",
        "BETWEEN",
        "BY",
        "CASE",
        "CAST",
        "CURRENT_DATE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "DATE",
        "DESC",
        "DISTINCT",
        "ELSE",
        "END",
        "ESCAPE",
        "EXISTS",
        "FALSE",
        "FROM",
        "GROUP",
        "HAVING",
        "IN",
        "INTERVAL",
        "IS",
        "LIKE",
        "LOWER",
        "NOT",
        "NULL",
        "OR",
        "ORDER",
        "SELECT",
        "SOME",
        "THEN",
        "TIME",
        "TIMESTAMP",
        "TRUE",
        "UPPER",
        "WHEN",
        "WHERE",
    }
)
#: words SoQL reserves (in $where, $select and $order): a column named like one goes in back ticks
SOQL_WORDS = frozenset(
    [
        "AND",
        "OR",
        "NOT",
        "NULL",
        "IS",
        "LIKE",
        "IN",
        "BETWEEN",
        "TRUE",
        "FALSE",
        "AS",
        "SELECT",
        "WHERE",
        "ORDER",
        "GROUP",
        "BY",
        "HAVING",
        "LIMIT",
        "OFFSET",
        "SEARCH",
        "ASC",
        "DESC",
    ]
)


def _sql_string(text: str) -> str:
    """A SQL-92 / SoQL string literal: single quotes, a quote inside doubled. Nothing else is special."""
    return "'" + text.replace("'", "''") + "'"


class _Sql:
    """Renders a tree as an ArcGIS (``arcgis``) or Socrata (``soql``) where clause."""

    def __init__(self, fields: Sequence[Field], dialect: str) -> None:
        self.by_name = _field_map(fields)
        self.arcgis = dialect == "arcgis"

    def render(self, node: Node) -> str:
        if isinstance(node, And):
            if not node.items:
                return "1=1" if self.arcgis else "true"
            return " AND ".join(f"({self.render(i)})" if isinstance(i, Or) else self.render(i) for i in node.items)
        if isinstance(node, Or):
            if not node.items:
                return "1=0" if self.arcgis else "false"
            return " OR ".join(self.render(i) for i in node.items)
        if isinstance(node, Not):
            return f"NOT ({self.render(node.item)})"
        if isinstance(node, IsNull):
            column = _field(self.by_name, node)
            return f"{self.name(column, node)} IS {'NOT ' if node.negated else ''}NULL"
        if isinstance(node, Compare):
            return self.compare(node)
        raise TypeError(f"not a filter node: {node!r}")

    def name(self, column: Field, node: Compare | IsNull) -> str:
        name = column.name
        if self.arcgis:
            if (
                not _IDENTIFIER.match(name)
                or name.upper() in _SQL_RESERVED
                or column.kind in ("geometry", "json")
                or column.derived
            ):
                raise NotServerSide(f"cannot filter on {name} on the server", node.position)
            return name
        quoted = soql_identifier(name)
        if quoted is None:
            raise NotServerSide(f"cannot filter on {name} on the server", node.position)
        return quoted

    def literal(self, column: Field, value: Any) -> str:
        if isinstance(value, bool):
            if self.arcgis:
                return "1" if value else "0"
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return _sql_number(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            if self.arcgis and _kind(column) == "date":
                return f"DATE '{value.isoformat()}'"
            value = datetime(value.year, value.month, value.day)
        if isinstance(value, datetime):
            return f"timestamp '{_iso(value, ' ')}'" if self.arcgis else f"'{_iso(value, 'T')}'"
        return _sql_string(str(value))

    def compare(self, node: Compare) -> str:
        column = _field(self.by_name, node)
        name = self.name(column, node)
        op, value = node.op, node.value
        if self.arcgis and column.domain:
            return self.coded(column, name, node)
        if op in _CONTAINS:
            return self.contains(name, node)
        if _is_day_on_datetime(column, value):
            start, end = (self.literal(column, moment) for moment in _day_bounds(value))
            if op == "=":
                return f"({name} >= {start} AND {name} < {end})"
            if op == "!=":
                return f"({name} < {start} OR {name} >= {end})"
            return {
                "<": f"{name} < {start}",
                "<=": f"{name} < {end}",
                ">": f"{name} >= {end}",
                ">=": f"{name} >= {start}",
            }[op]
        sql_op = "<>" if op == "!=" and self.arcgis else op
        return f"{name} {sql_op} {self.literal(column, value)}"

    def contains(self, name: str, node: Compare) -> str:
        needle = str(node.value).upper()
        negate = "NOT " if node.op == "!~" else ""
        if self.arcgis:
            if any(c in needle for c in "%_\\"):
                pattern = re.sub(r"([%_\\])", r"\\\1", needle)
                return f"UPPER({name}) {negate}LIKE {_sql_string('%' + pattern + '%')} ESCAPE '\\'"
            return f"UPPER({name}) {negate}LIKE {_sql_string('%' + needle + '%')}"
        if any(c in needle for c in "%_\\"):
            raise NotServerSide(
                f"SoQL cannot search {node.column} for a literal %, _ or \\ (its like has no escape)", node.position
            )
        return f"upper({name}) {negate.lower()}like {_sql_string('%' + needle + '%')}"

    def coded(self, column: Field, name: str, node: Compare) -> str:
        if node.op in _CONTAINS:
            codes = _contains_codes(column, str(node.value))
            negate = node.op == "!~"
        elif node.op in ("=", "!="):
            codes = _label_codes(column, node.value)
            negate = node.op == "!="
            if not codes:  # a value that parse() did not make: compare it as text
                codes = [node.value]
        else:
            raise NotServerSide(f"cannot compare the coded values of {column.name} with {node.op!r}", node.position)
        if not codes:  # no label matches: false for values, unknown for nulls (as locally)
            return f"{name} = {name}" if negate else f"{name} <> {name}"
        literals = [self.literal(column, code) for code in codes]
        if len(literals) == 1:
            return f"{name} {'<>' if negate else '='} {literals[0]}"
        return f"{name} {'NOT IN' if negate else 'IN'} ({', '.join(literals)})"


def to_arcgis(node: Node, fields: Sequence[Field]) -> str:
    """An ArcGIS REST ``where`` clause (standardized SQL-92).

    Strings are single-quoted with ``'`` doubled; numbers bare; datetimes ``timestamp 'YYYY-MM-DD HH:MM:SS'``
    (UTC), date-only fields ``DATE 'YYYY-MM-DD'``; booleans ``1``/``0``; ``!=`` is ``<>``. Contains is
    ``UPPER(F) LIKE '%VALUE%'`` with the value upper-cased; when the value holds ``%``, ``_`` or ``\\`` they are
    escaped with a backslash and ``ESCAPE '\\'`` is added (a backslash is also PostgreSQL's default LIKE escape,
    so it is never sent bare). Coded-value labels become codes (see the module docstring). Field names must be
    plain identifiers that are not SQL keywords, and not the latitude/longitude taken from point geometry:
    anything else raises :class:`NotServerSide`."""
    return _Sql(fields, "arcgis").render(node)


def to_soql(node: Node, fields: Sequence[Field]) -> str:
    """A Socrata ``$where`` clause.

    Strings single-quoted with ``''``; dates and datetimes as floating timestamps ``'YYYY-MM-DDTHH:MM:SS'``;
    booleans ``true``/``false``; names that are not identifiers in back ticks. Contains is
    ``upper(f) like '%VALUE%'``. SoQL's ``like`` treats ``%`` and ``_`` as wildcards and documents no escape (and
    whether a backslash escapes is unknown), so a contains value holding ``%``, ``_`` or ``\\`` raises
    :class:`NotServerSide`: use :func:`server_part` and filter those rows locally."""
    return _Sql(fields, "soql").render(node)


def server_part(node: Node | None, translate: Callable[[Node], str]) -> tuple[str | None, bool]:
    """What a portal can filter: ``(clause or None, exact)``.

    ``translate`` is e.g. ``lambda n: to_soql(n, fields)``. If the whole filter translates, ``exact`` is True.
    Otherwise the top-level ``and`` items that translate are kept (dropping ``and`` items only ever widens the
    result), ``exact`` is False, and the caller must apply :func:`to_polars` of the whole filter to the rows."""
    if node is None:
        return None, True
    try:
        return translate(node), True
    except NotServerSide:
        pass
    kept = []
    for item in node.items if isinstance(node, And) else ():
        try:
            translate(item)
        except NotServerSide:
            continue
        kept.append(item)
    if not kept:
        return None, False
    return translate(_join(And, kept)), False


def soql_identifier(name: str) -> str | None:
    """A column name as SoQL takes it: bare when a plain identifier, else in back ticks; None when it cannot be
    named at all (empty, or holding a back tick)."""
    if _IDENTIFIER.match(name) and name.upper() not in SOQL_WORDS:
        return name
    if "`" in name or not name:
        return None
    return f"`{name}`"
