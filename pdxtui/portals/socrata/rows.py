"""Rows of SODA2 answers (``.csv`` pages, or ``.json`` where CSV cannot carry a column) as Arrow tables, typed
with polars from the views metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pdxtui.errors import PortalError
from pdxtui.model import Field, finite_float
from pdxtui.portals.socrata.wire import POINT_TYPES, _Coords, _json_text, _point_of, socrata_time
from pdxtui.textsafe import short

# -- typing rows with polars ------------------------------------------------------------------------------------------


def _typed(frame: Any, fields: Sequence[Field]) -> Any:
    """A frame of text columns (as CSV gives them) cast to the fields' kinds; columns in ``fields`` order."""
    import polars as pl

    exprs = []
    for field in fields:
        name = field.name
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype=_polars_type(field.kind)).alias(name))
            continue
        col = pl.col(name)
        dtype = frame.schema[name]
        if dtype != pl.String:
            exprs.append(col.cast(_polars_type(field.kind), strict=False))
            continue
        if field.kind == "float":
            exprs.append(col.str.strip_chars().cast(pl.Float64, strict=False))
        elif field.kind == "integer":
            exprs.append(col.str.strip_chars().cast(pl.Int64, strict=False))
        elif field.kind == "boolean":
            exprs.append(
                col.str.strip_chars()
                .str.to_lowercase()
                .replace_strict(
                    {"true": True, "false": False, "1": True, "0": False}, default=None, return_dtype=pl.Boolean
                )
            )
        elif field.kind == "datetime":
            text = col.str.strip_chars().str.strip_suffix("Z")
            exprs.append(
                pl.coalesce(
                    text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="ms", strict=False),
                    text.str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="ms", strict=False),
                    text.str.to_datetime("%Y-%m-%d", time_unit="ms", strict=False),
                )
                .dt.replace_time_zone("UTC")
                .alias(name)
            )
        elif field.kind == "date":
            exprs.append(col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        else:  # CSV cannot tell an empty text from a missing one: both are missing, from CSV and JSON alike
            exprs.append(pl.when(col.str.len_bytes() > 0).then(col).alias(name))
    return frame.select(exprs)


def _polars_type(kind: str) -> Any:
    import polars as pl

    return {
        "integer": pl.Int64,
        "float": pl.Float64,
        "boolean": pl.Boolean,
        "datetime": pl.Datetime("ms", "UTC"),
        "date": pl.Date,
    }.get(kind, pl.String)


def table_from_csv(body: bytes, fields: Sequence[Field]) -> Any:
    """A pyarrow Table (one column per field, in order) from a ``.csv`` page; every cell is read as text first."""
    import io

    import polars as pl

    if not body.strip():
        return empty_table(fields)
    try:
        frame = pl.read_csv(io.BytesIO(body), infer_schema=False, truncate_ragged_lines=False, encoding="utf8-lossy")
    except Exception as exc:
        raise PortalError(f"the rows were not readable CSV ({short(exc, 160)})") from None
    return _typed(frame, fields).to_arrow()


def table_from_json(records: Any, fields: Sequence[Field], coords: Sequence[_Coords]) -> Any:
    """A pyarrow Table from a ``.json`` page (a list of objects; null values are left out of them)."""
    import polars as pl

    if not isinstance(records, list):
        raise PortalError("the rows answer was not a list of records")
    rows = [r if isinstance(r, dict) else {} for r in records]
    derived = {c.lat: (c, 0) for c in coords} | {c.lon: (c, 1) for c in coords}
    points = {c.source: [_point_of(r.get(c.source)) for r in rows] for c in coords}
    data: dict[str, Any] = {}
    for field in fields:
        if field.name in derived:
            source, axis = derived[field.name]
            values = points.get(source.source) or [_point_of(r.get(source.source)) for r in rows]
            data[field.name] = pl.Series(field.name, [p[axis] for p in values], pl.Float64)
        elif field.type in POINT_TYPES:
            values = points.get(field.name) or [_point_of(r.get(field.name)) for r in rows]
            data[field.name] = pl.Series(field.name, [p[2] for p in values], pl.String)
        else:
            data[field.name] = pl.Series(field.name, [_json_text(r.get(field.name)) for r in rows], pl.String)
    return _typed(pl.DataFrame(data), fields).to_arrow()


def empty_table(fields: Sequence[Field]) -> Any:
    import polars as pl

    return pl.DataFrame(schema={f.name: _polars_type(f.kind) for f in fields}).to_arrow()


def _group_value(value: Any, field: Field) -> Any:
    """A ``$group`` answer's value typed as the rows are."""
    if value is None:
        return None
    if field.kind == "float":
        return finite_float(value)
    if field.kind == "boolean":
        return value if isinstance(value, bool) else str(value).strip().lower() == "true"
    if field.kind == "datetime":
        return socrata_time(value)
    return _json_text(value)


@dataclass
class _Slot:
    table: Any
    rows: int
