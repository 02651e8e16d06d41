"""The writers of the text formats (CSV, TSV, JSON, NDJSON, GeoJSON) and of Parquet; XLSX is in xlsx.py."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.export.job import _Job

from pdxtui.export.formats import PARQUET_ROW_GROUP, PARQUET_ROW_GROUP_BYTES, ExportOptions
from pdxtui.frames import whole_float_columns, whole_floats


def _delimiter(options: ExportOptions, fmt: str) -> str:
    if options.delimiter is not None:
        return options.delimiter
    return "\t" if fmt == "tsv" else ","


# -- writers ------------------------------------------------------------------------------------------------------

QuoteStyle = Literal["necessary", "always", "non_numeric", "never"]  # QUOTE_STYLES, as polars types them
_ISO_AWARE = "%Y-%m-%dT%H:%M:%S%.f%:z"
_ISO_NAIVE = "%Y-%m-%dT%H:%M:%S%.f"
_ISO_TIME = "%H:%M:%S%.f"


def _is_nested(dtype: Any) -> bool:
    import polars as pl

    return isinstance(dtype, (pl.List, pl.Array, pl.Struct))


def _json_text(name: str) -> Any:
    """A nested column as JSON text (null stays null)."""
    import polars as pl

    encoded = pl.struct(pl.col(name).alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
    return pl.when(pl.col(name).is_null()).then(None).otherwise(encoded).alias(name)


def _text_ready(frame: pl.DataFrame, *, nested: bool, datetimes: str) -> pl.DataFrame:
    """Columns turned into what a text format writes: nested values as JSON text (``nested``), binary as hex,
    other Python objects as text; datetimes as ISO text: ``datetimes`` is "all", "naive" or "none". Float
    columns whose values (in this chunk) are all whole are written as integers (``frames.whole_floats``)."""
    import polars as pl

    frame = whole_floats(frame)
    exprs = []
    for name, dtype in frame.schema.items():
        if nested and _is_nested(dtype):
            exprs.append(_json_text(name))
        elif dtype == pl.Binary:
            exprs.append(pl.col(name).bin.encode("hex"))
        elif dtype == pl.Object:
            exprs.append(pl.col(name).map_elements(str, return_dtype=pl.String))
        elif isinstance(dtype, pl.Duration):
            exprs.append(pl.col(name).dt.to_string("iso"))
        elif isinstance(dtype, pl.Datetime) and (datetimes == "all" or (datetimes == "naive" and not dtype.time_zone)):
            exprs.append(pl.col(name).dt.to_string(_ISO_AWARE if dtype.time_zone else _ISO_NAIVE))
    return frame.with_columns(exprs) if exprs else frame


class _Writer:
    chunk_rows = 100_000

    def __init__(self, job: _Job) -> None:
        assert job.target is not None and job.target.file is not None and job.target.temp is not None
        self.job = job
        self.options = job.options
        self.file = job.target.file
        self.temp = job.target.temp

    def begin(self, frame: pl.DataFrame) -> None:
        """The first page (possibly empty): the columns and their types are known from here on."""

    def write(self, frame: pl.DataFrame) -> None:
        raise NotImplementedError

    def write_whole(self, frame: pl.DataFrame) -> bool:
        """Write a whole loaded frame in one go if that is the fast way; False: write it chunk by chunk."""
        return False

    def types(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The columns' types as the file will hold them (for the provenance record): by default the frames'."""
        return schema

    def finish(self) -> None:
        """Write whatever closes the file (after the last page)."""

    def abort(self) -> None:
        """Let go of anything besides the temp file (which the job removes)."""


class _CsvWriter(_Writer):
    def begin(self, frame: pl.DataFrame) -> None:
        import polars as pl

        self.first = True
        self.separator = _delimiter(self.options, self.job.format)
        zones = {dtype.time_zone is None for dtype in frame.schema.values() if isinstance(dtype, pl.Datetime)}
        # polars formats all datetime columns with one pattern: fine unless naive and zoned ones are mixed
        self.datetimes = "all" if len(zones) > 1 else "none"
        self.datetime_format = _ISO_NAIVE if zones == {True} else _ISO_AWARE

    def write(self, frame: pl.DataFrame) -> None:
        frame = _text_ready(frame, nested=True, datetimes=self.datetimes)
        frame.write_csv(
            self.file,
            include_header=self.first and self.options.header,
            separator=self.separator,
            quote_style=cast("QuoteStyle", self.options.quote_style),  # checked against QUOTE_STYLES up front
            null_value=self.options.null,
            datetime_format=self.datetime_format,
            date_format="%Y-%m-%d",
            time_format=_ISO_TIME,
        )
        self.first = False


class _NdjsonWriter(_Writer):
    def write(self, frame: pl.DataFrame) -> None:
        if frame.height:
            _text_ready(frame, nested=False, datetimes="naive").write_ndjson(self.file)


class _JsonWriter(_Writer):
    """A JSON array written as pages come: ``[`` then one object a line (or indented with ``pretty``)."""

    def begin(self, frame: pl.DataFrame) -> None:
        self.count = 0
        self.file.write(b"[")

    def write(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        lines = json_records(frame)
        if self.options.pretty:
            import json

            lines = b",\n".join(
                _indent(json.dumps(json.loads(line), indent=2, ensure_ascii=False)).encode()
                for line in lines.split(b"\n")
            )
        else:
            lines = lines.replace(b"\n", b",\n")  # JSON text never holds a raw line break inside a value
        self.file.write((b",\n" if self.count else b"\n") + lines)
        self.count += frame.height

    def finish(self) -> None:
        self.file.write(b"\n]\n" if self.count else b"]\n")


def json_records(frame: pl.DataFrame) -> bytes:
    """``frame``'s rows as JSON objects, one a line (no final line break; UTF-8): dates and datetimes as ISO text,
    durations as ISO 8601 (P8670D), NaN as null, nested values nested."""
    import io

    buffer = io.BytesIO()
    _text_ready(frame, nested=False, datetimes="naive").write_ndjson(buffer)
    return buffer.getvalue().rstrip(b"\n")


def _indent(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")


_LAT, _LON = "\x00pdxtui-latitude", "\x00pdxtui-longitude"  # names no dataset column has


class _GeoJsonWriter(_Writer):
    """A FeatureCollection of Points ([longitude, latitude], RFC 7946). Rows without valid coordinates get a null
    geometry. ``properties`` hold the chosen columns except the two coordinate columns."""

    def begin(self, frame: pl.DataFrame) -> None:
        assert self.job.geometry is not None or self.job.outline is not None
        self.lat: str | None
        self.lon: str | None
        self.lat, self.lon = self.job.geometry or (None, None)
        self.outline = self.job.outline
        self.properties = [c for c in self.job.columns if c not in (self.lat, self.lon, self.outline)]
        self.count = 0
        self.file.write(b'{"type":"FeatureCollection","features":[')

    def write(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        import polars as pl

        ready = _text_ready(frame.select(self.properties), nested=False, datetimes="naive")
        if self.outline is not None:  # GeoJSON text made by the portal from the layer's shapes
            ready = ready.hstack(frame.select(pl.col(self.outline).cast(pl.String).alias(_LAT)))
            geometry = pl.col(_LAT).fill_null("null")
        else:
            assert self.lat is not None and self.lon is not None  # begin() took them from job.geometry
            ready = ready.hstack(frame.select(pl.col(self.lat).alias(_LAT), pl.col(self.lon).alias(_LON)))
            lat = pl.col(_LAT).cast(pl.Float64, strict=False)
            lon = pl.col(_LON).cast(pl.Float64, strict=False)
            valid = (lat.is_finite() & lon.is_finite()).fill_null(False)
            point = pl.concat_str(
                [
                    pl.lit('{"type":"Point","coordinates":['),
                    lon.cast(pl.String),
                    pl.lit(","),
                    lat.cast(pl.String),
                    pl.lit("]}"),
                ]
            )
            geometry = pl.when(valid).then(point).otherwise(pl.lit("null"))
        properties = pl.struct(self.properties).struct.json_encode() if self.properties else pl.lit("{}")
        feature = pl.concat_str(
            [pl.lit('{"type":"Feature","geometry":'), geometry, pl.lit(',"properties":'), properties, pl.lit("}")]
        )
        text = ready.select(feature.str.join(",\n")).item()
        self.file.write((b",\n" if self.count else b"\n") + text.encode())
        self.count += frame.height

    def finish(self) -> None:
        record = self.job.record
        if record is None:
            self.file.write(b"\n]}\n" if self.count else b"]}\n")
            return
        # the provenance record as a foreign member of the FeatureCollection (RFC 7946, section 6.1)
        import json

        from pdxtui.provenance import KEY

        member = json.dumps(record, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self.file.write((b"\n]" if self.count else b"]") + f',\n"{KEY}":'.encode() + member + b"}\n")


class _ParquetWriter(_Writer):
    """Pages collected (as Arrow tables, no copies) into row groups of up to ``PARQUET_ROW_GROUP`` rows or
    ``PARQUET_ROW_GROUP_BYTES``, written with pyarrow; a whole loaded frame goes through polars' own (faster)
    writer."""

    def begin(self, frame: pl.DataFrame) -> None:
        self.buffer: list[Any] = []
        self.buffered = 0
        self.buffered_bytes = 0
        self.writer: Any = None
        self.schema = frame.clear().to_arrow().schema
        self.done = False
        self.whole_schema: Any = None  # the types of a whole frame written in one go
        # float columns whose values have all been whole so far: written as floats while streaming (a later page
        # may hold a fraction), made Int64 at the end when they stayed whole (see finish)
        # (None: no value seen yet)
        self.whole: dict[str, bool | None] = {name: None for name, dtype in frame.schema.items() if dtype.is_float()}

    def types(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Float columns that stayed whole become Int64 at the end (see finish); a whole frame already is."""
        import polars as pl

        if self.whole_schema is not None:
            return dict(self.whole_schema)
        return {name: pl.Int64 if self.whole.get(name) else dtype for name, dtype in schema.items()}

    def write_whole(self, frame: pl.DataFrame) -> bool:
        if self.writer is not None or self.buffer:
            return False
        self.job.check_cancelled()
        compression = "uncompressed" if self.options.compression == "none" else self.options.compression
        frame = whole_floats(frame)
        self.whole_schema = frame.schema
        record = self.job.provenance(frame.height)
        frame.write_parquet(
            self.temp,
            compression=compression,  # type: ignore[arg-type]  # a str checked against COMPRESSIONS up front
            statistics=True,
            metadata=_parquet_metadata(record),
        )
        self.done = True
        return True

    def write(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        if self.whole:
            whole = set(whole_float_columns(frame))
            nulls = dict(zip(frame.columns, frame.null_count().row(0)))
            for name, was in self.whole.items():
                if nulls[name] < frame.height:  # a page of nulls says nothing either way
                    self.whole[name] = was is not False and name in whole
        table = frame.to_arrow()
        if table.schema != self.schema:
            table = table.cast(self.schema)
        self.buffer.append(table)
        self.buffered += table.num_rows
        self.buffered_bytes += table.nbytes
        if self.buffered >= PARQUET_ROW_GROUP or self.buffered_bytes >= PARQUET_ROW_GROUP_BYTES:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.writer is None:
            compression = "none" if self.options.compression == "none" else self.options.compression
            self.writer = pq.ParquetWriter(self.temp, self.schema, compression=compression)
        if self.buffer:
            table = pa.concat_tables(self.buffer)
            self.buffer, self.buffered, self.buffered_bytes = [], 0, 0
            self.writer.write_table(table, row_group_size=table.num_rows)

    def finish(self) -> None:
        if self.done:
            return
        self.flush()
        metadata = _parquet_metadata(self.job.record)
        if metadata:  # the row count is known only now: the record goes into the footer as the file closes
            self.writer.add_key_value_metadata(metadata)
        self.writer.close()
        self.writer = None
        self._whole_as_integers(metadata)

    def _whole_as_integers(self, metadata: dict[str, str] | None) -> None:
        """Float columns whose every value was whole become int64, as the grid prints them: the file is read back
        and written again (Parquet files are fast to read and write; a column's type cannot change mid-file)."""
        names = [name for name, whole in self.whole.items() if whole]
        if not names:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.job.check_cancelled()
        table = pq.read_table(self.temp)
        schema = pa.schema(
            [f.with_type(pa.int64()) if f.name in names else f for f in table.schema], metadata=metadata or None
        )
        compression = "none" if self.options.compression == "none" else self.options.compression
        pq.write_table(table.cast(schema), self.temp, compression=compression, row_group_size=PARQUET_ROW_GROUP)

    def abort(self) -> None:
        if getattr(self, "writer", None) is not None:
            with contextlib.suppress(Exception):
                self.writer.close()


def _parquet_metadata(record: dict[str, Any] | None) -> dict[str, str] | None:
    """The provenance record as Parquet key-value metadata: one key, the record as JSON text."""
    if record is None:
        return None
    import json

    from pdxtui.provenance import KEY

    return {KEY: json.dumps(record, ensure_ascii=False, allow_nan=False)}
