"""Filters run here: :func:`to_polars` makes an expression for ``DataFrame.filter``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import aclosing
from datetime import date, datetime, timedelta
from typing import Any

from pdxtui.filters.parse import _CONTAINS, _EPOCH, _EPOCH_DAY
from pdxtui.filters.tree import And, Compare, FilterError, IsNull, Node, Not, Or, _show

# -- polars -----------------------------------------------------------------------------------------------------


def to_polars(node: Node, schema: Mapping[str, Any] | None = None) -> Any:
    """A polars expression for ``frame.filter(...)`` with the semantics above (SQL nulls, literal contains).

    Dates compare by UTC calendar day (``dt.epoch("d")``) and datetimes by instant (``dt.epoch("us")``), so the
    same expression works on ``Date``, naive ``Datetime`` (taken as UTC) and ``Datetime(tz)`` columns. With a
    ``schema`` (``frame.schema``), unknown columns raise :class:`FilterError`, and ``~`` on a non-text column
    casts it to text first."""
    import polars as pl

    def column(name: str, position: int | None) -> Any:
        if name == "*" or (name.startswith("^") and name.endswith("$")):
            raise FilterError(f"cannot filter on the column {_show(name)} locally", position)
        if schema is not None and name not in schema:
            raise FilterError(f"unknown column {_show(name)}", position)
        return pl.col(name)

    def build(node: Node) -> Any:
        if isinstance(node, And):
            return _fold(pl, [build(i) for i in node.items], "and")
        if isinstance(node, Or):
            return _fold(pl, [build(i) for i in node.items], "or")
        if isinstance(node, Not):
            return ~build(node.item)
        if isinstance(node, IsNull):
            col = column(node.column, node.position)
            return col.is_not_null() if node.negated else col.is_null()
        if not isinstance(node, Compare):
            raise TypeError(f"not a filter node: {node!r}")
        col = column(node.column, node.position)
        op, value = node.op, node.value
        if (
            schema is not None
            and op not in _CONTAINS
            and not isinstance(value, str)
            and schema[node.column] == pl.String
        ):
            col = _text_as(pl, col, value)
        if op in _CONTAINS:
            if schema is not None and schema[node.column] != pl.String:
                col = col.cast(pl.String)
            found = col.str.to_uppercase().str.contains(str(value).upper(), literal=True)
            return ~found if op == "!~" else found
        if isinstance(value, datetime):
            col, lit = col.dt.epoch("us"), pl.lit((value - _EPOCH) // timedelta(microseconds=1), pl.Int64)
        elif isinstance(value, date):
            col, lit = col.dt.epoch("d").cast(pl.Int64), pl.lit((value - _EPOCH_DAY).days, pl.Int64)
        elif isinstance(value, bool):
            lit = pl.lit(value, pl.Boolean)
        elif isinstance(value, int):
            lit = pl.lit(value, pl.Int64)
        elif isinstance(value, float):
            lit = pl.lit(value, pl.Float64)
        else:
            lit = pl.lit(str(value), pl.String)
        return {"=": col.eq, "!=": col.ne, "<": col.lt, "<=": col.le, ">": col.gt, ">=": col.ge}[op](lit)

    return build(node)


def _text_as(pl: Any, col: Any, value: Any) -> Any:
    """A text column read as the type of ``value`` (a column the portal declares a number, a date or a yes/no but
    held as text because some of its values do not read as one: a CSV's "n/a"): those values compare as null (no
    row matches them), the others as what they read as."""
    from pdxtui.frames import read_text

    if isinstance(value, bool):
        want = pl.Boolean
    elif isinstance(value, datetime):
        want = pl.Datetime("us", "UTC")
    elif isinstance(value, date):
        want = pl.Date
    else:
        want = pl.Float64
    return read_text(col, want)


def _fold(pl: Any, exprs: list[Any], how: str) -> Any:
    if not exprs:
        return pl.lit(how == "and")
    out = exprs[0]
    for expr in exprs[1:]:
        out = (out & expr) if how == "and" else (out | expr)
    return out


async def filter_pages(
    pages: AsyncGenerator[Any, None], node: Node | None, offset: int = 0, limit: int | None = None
) -> AsyncIterator[Any]:
    """Frames of ``pages`` filtered here by ``node`` (None: all rows), for a portal that cannot filter on its
    server: the first ``offset`` matching rows skipped, then at most ``limit``; ``pages`` is closed as soon as
    ``limit`` rows are in hand."""
    kept = 0
    async with aclosing(pages) as source:
        async for frame in source:
            page = frame if node is None else frame.filter(to_polars(node, frame.schema))
            if offset:
                skipped = min(offset, page.height)
                page, offset = page.slice(skipped), offset - skipped
            if limit is not None:
                page = page.head(max(0, limit - kept))
            kept += page.height
            yield page
            if limit is not None and kept >= limit:
                return
