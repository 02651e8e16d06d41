"""CSV files as typed Arrow tables, for every portal that previews a CSV file (CKAN resources, ArcGIS Hub CSV
items): the bytes typed column by column with polars, the model fields of the result, and a filter and an order run
over the whole file once it is in memory."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast

from pdxtui.errors import PdxError
from pdxtui.model import Field, Query
from pdxtui.textsafe import short

_INT = r"^[+-]?(?:0|[1-9][0-9]*)$"  # no leading zeros: "007" stays text
_FLOAT = r"^[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_BOOL = r"^(?i:true|false)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"


_ISO_SECONDS = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?")


def iso_time(value: Any) -> datetime | None:
    """ISO 8601 text (UTC when it names no zone, e.g. CKAN's ``metadata_modified``) as an aware datetime; None when
    unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        match = _ISO_SECONDS.match(text)
        if not match:
            return None
        try:
            moment = datetime.fromisoformat(match.group(1))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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

    moments = [iso_time(v) if v else None for v in iso.to_list()]
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


def local_rows(table: Any, fields: tuple[Field, ...], query: Query) -> Any:
    """A CSV file's rows narrowed by the query's filter and put in its order, here (the whole file is at hand)."""
    where = query.where if query.where and query.where.strip() else None
    if where is None and not query.order:
        return table
    import polars as pl

    from pdxtui.filters import parse, to_polars

    frame = cast("pl.DataFrame", pl.from_arrow(table))  # a Table gives a DataFrame (a single array: a Series)
    node = parse(where, fields) if where else None
    if node is not None:
        frame = frame.filter(to_polars(node, frame.schema))
    if query.order:
        frame = frame.sort(
            [c for c, _ in query.order],
            descending=[d for _, d in query.order],
            nulls_last=True,
            maintain_order=True,
        )
    return frame.to_arrow()
