"""Rows of CKAN resources as Arrow tables: CSV files typed column by column with polars, and datastore_search
records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pdxtui.errors import PdxError
from pdxtui.model import Field
from pdxtui.portals.ckan.wire import ckan_time
from pdxtui.textsafe import short

_INT = r"^[+-]?(?:0|[1-9][0-9]*)$"  # no leading zeros: "007" stays text
_FLOAT = r"^[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_BOOL = r"^(?i:true|false)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"


_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def text_bool(value: Any) -> Any:
    """A datastore value for a boolean column: text "true"/"false" (and t/f, yes/no, 1/0) read as such, never
    by Python truthiness (``bool("false")`` is True); unreadable text is None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    if isinstance(value, (int, float)):
        return bool(value)
    return None


def parse_csv(body: bytes, declared: dict[str, str] | None = None) -> Any:
    """A pyarrow Table from CSV bytes, typed column by column: whole numbers (no leading zeros), decimals,
    true/false, ISO dates and date-times; anything else (or a column mixing them) stays text.

    ``declared`` (column -> kind, as typed from the start of the file when the dataset opened) keeps the whole
    file consistent with it: whole numbers in a ``float`` column are read as decimals, and a column whose values
    do not all fit its declared kind stays text (nothing is lost; the caller then says the column is text)."""
    import polars as pl

    text_start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if text_start in (b"<", b"{", b"["):
        raise PdxError("the resource did not come back as CSV (it looks like a web page or JSON)")
    try:
        frame = pl.read_csv(body, infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False)
    except Exception as exc:
        raise PdxError(f"the CSV file could not be read: {short(exc, 200)}") from None
    return _typed(frame, declared or {}).to_arrow()


def _typed(frame: Any, declared: dict[str, str] | None = None) -> Any:
    import polars as pl

    columns = []
    for name in frame.columns:
        raw = frame.get_column(name)
        text = raw.str.strip_chars()
        values = text.replace("", None).drop_nulls()
        column = raw
        if values.len():
            typed = None
            wanted = (declared or {}).get(name)
            if wanted == "string":
                typed = None  # declared text: stays text whatever the rest of the file looks like
            elif wanted == "float" and values.str.contains(_FLOAT).all():
                typed = text.cast(pl.Float64, strict=False)  # whole numbers further down a decimal column
            elif values.str.contains(_INT).all():
                typed = text.cast(pl.Int64, strict=False)
            elif values.str.contains(_FLOAT).all():
                typed = text.cast(pl.Float64, strict=False)
            elif values.str.contains(_BOOL).all():
                typed = text.str.to_lowercase().replace_strict(
                    {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
                )
            elif values.str.contains(_DATE).all():
                typed = text.str.to_date("%Y-%m-%d", strict=False)
            elif values.str.contains(_DATETIME).all():
                iso = text.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T").str.replace(r"Z$", "+00:00")
                if iso.str.contains(r"[+-]\d{2}:?\d{2}$").any():
                    typed = _zoned(iso)
                else:
                    typed = iso.str.to_datetime(strict=False, time_unit="ms").dt.replace_time_zone("UTC")
            # a cast that loses a value (an odd spelling the pattern let through) keeps the column as text
            if typed is not None and raw.len() - typed.null_count() == values.len():
                column = typed.alias(name)
            if wanted is not None and _kind_of(column.dtype) != wanted:
                column = raw  # not the kind the dataset declared: text, as the caller is told

        columns.append(column)
    return pl.DataFrame(columns) if columns else frame


def _kind_of(dtype: Any) -> str:
    """The model kind of a polars column type, as csv_fields names it."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    name = str(dtype)
    if name == "Boolean":
        return "boolean"
    if name == "Date":
        return "date"
    if name.startswith("Datetime"):
        return "datetime"
    return "string"


def _zoned(iso: Any) -> Any:
    """ISO date-times of which some carry a UTC offset: each read on its own, in UTC (None if any fails)."""
    import polars as pl

    moments = [ckan_time(v) if v else None for v in iso.to_list()]
    return pl.Series(iso.name, moments, dtype=pl.Datetime("ms", "UTC"), strict=False)


def csv_fields(table: Any) -> tuple[Field, ...]:
    import pyarrow as pa

    out = []
    for item in table.schema:
        if pa.types.is_integer(item.type):
            kind = "integer"
        elif pa.types.is_floating(item.type):
            kind = "float"
        elif pa.types.is_boolean(item.type):
            kind = "boolean"
        elif pa.types.is_date(item.type):
            kind = "date"
        elif pa.types.is_timestamp(item.type):
            kind = "datetime"
        else:
            kind = "string"
        out.append(Field(name=item.name, type=f"csv:{kind}", kind=kind))
    return tuple(out)


def records_table(records: list[Any], fields: Sequence[Field]) -> Any:
    """A pyarrow Table (one column per field, in order) from datastore_search ``records``."""
    import pyarrow as pa

    from pdxtui.portals.arcgis import column

    rows = [r if isinstance(r, dict) else {} for r in records]
    arrays = [
        column([text_bool(r.get(f.name)) if f.kind == "boolean" else r.get(f.name) for r in rows], f) for f in fields
    ]
    return pa.Table.from_arrays(arrays, names=[f.name for f in fields])
