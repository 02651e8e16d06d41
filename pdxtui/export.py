"""Writing rows to files: CSV, TSV, JSON, NDJSON, Parquet, XLSX and GeoJSON. No Textual here; the export dialog
and ``pdxtui export`` both call this module.

Entry points:

* :func:`export_frame` writes a frame that is already loaded (the grid's rows). It is synchronous: the UI runs it
  in a thread worker (``cancel=lambda: worker.is_cancelled``).
* :func:`export_query` streams every row of a dataset that matches a :class:`~pdxtui.model.Query` (the current
  filter, or ``None`` for the whole dataset) from :meth:`Service.stream` page by page into the file. When the
  portal cannot filter on the server (``service.can("filter")`` is false) the filter is applied to each page here.
* :func:`export_frames` is the streaming core: any async iterable of frames.
* :func:`export_scope` picks one of those for a scope name ("loaded", "filtered", "all"): the dialog's one call.

Guarantees:

* **Atomic.** Rows go to a temp file ``.{name}.pdxtui-tmp-{pid}-XXXXXXXX`` in the target's folder, which is
  flushed, fsynced and then renamed onto the target (``os.replace``; without ``overwrite``, ``os.link``, so a file
  that appeared meanwhile is never clobbered). A cancel, an error or an exception removes the temp file; an
  existing target is untouched until the final rename. A process killed with SIGKILL can leave the temp file
  behind, never a partial target; the next export to the same name removes temp files of processes that are gone.
* **Bounded memory.** Streams hold a page or two (Parquet: one row group of at most ``PARQUET_ROW_GROUP`` rows).
  XLSX streams too: the workbook skeleton (styles, header) comes from xlsxwriter, and the sheet's rows are built
  with polars and streamed into the zip entry, so it is fast (about 1 s per 100k rows x 10 columns, where
  ``DataFrame.write_excel`` takes about 16 s) and holds one page at a time.
* **Typed.** Dates are dates: CSV/TSV/JSON write ISO 8601 (``2024-05-01``, ``2024-05-01T13:45:00+00:00``,
  naive datetimes without an offset); XLSX writes real date cells with a ``yyyy-mm-dd`` (``yyyy-mm-dd hh:mm:ss``)
  format, datetimes as the wall-clock time of their zone (UTC for portal data); Parquet keeps the schema. Nested
  values (List/Struct) become JSON text in CSV/TSV/XLSX and stay nested in JSON/NDJSON/GeoJSON/Parquet. NaN is
  ``null`` in JSON and an empty cell in XLSX.
* **Clear errors.** Every failure is an :class:`ExportError` (a :class:`~pdxtui.errors.PdxError`) with a
  one-line message; requests that cannot work (unknown extension, format or column, GeoJSON without point
  geometry) are :class:`ExportUsageError`, which is also a :class:`~pdxtui.errors.UsageError` (CLI exit 2).

polars, pyarrow and xlsxwriter are imported inside the functions that need them.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import errno
import os
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from pdxtui.errors import PdxError, UsageError
from pdxtui.model import Dataset, Field, Progress, Query

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.service import Service

__all__ = [
    "COMPRESSIONS",
    "EXTENSIONS",
    "FORMATS",
    "QUOTE_STYLES",
    "SCOPES",
    "XLSX_MAX_COLUMNS",
    "XLSX_MAX_ROWS",
    "ExportCancelled",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "ExportUsageError",
    "Format",
    "TargetExists",
    "available_formats",
    "check_target",
    "export_frame",
    "export_frames",
    "export_query",
    "export_scope",
    "format_for",
    "format_problem",
    "geometry_columns",
    "resolve_columns",
    "suggested_filename",
]


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extensions: tuple[str, ...]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", "CSV", (".csv",)),
        Format("tsv", "TSV (tab-separated)", (".tsv",)),
        Format("json", "JSON (array of objects)", (".json",)),
        Format("ndjson", "NDJSON (one JSON object a line)", (".ndjson", ".jsonl")),
        Format("parquet", "Parquet", (".parquet", ".pq")),
        Format("xlsx", "Excel workbook (XLSX)", (".xlsx",)),
        Format("geojson", "GeoJSON (points, or polygons and lines fetched from ArcGIS)", (".geojson",)),
    )
}
#: file extension (lower case, with the dot) -> format name
EXTENSIONS: dict[str, str] = {ext: f.name for f in FORMATS.values() for ext in f.extensions}
_FORMAT_ALIASES = {"jsonl": "ndjson", "pq": "parquet", "excel": "xlsx"}

QUOTE_STYLES = ("necessary", "always", "non_numeric", "never")
COMPRESSIONS = ("zstd", "snappy", "gzip", "lz4", "brotli", "none")

XLSX_MAX_ROWS = 1_048_576  # rows in a worksheet, the header row included
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_TEXT = 32_767  # characters in a cell; longer text is cut (as xlsxwriter and Excel do)
_XLSX_DEFLATE_LEVEL = 1

#: Parquet row groups collect pages until this many rows (network pages are small; tiny row groups read slowly)
PARQUET_ROW_GROUP = 100_000
PARQUET_ROW_GROUP_BYTES = 64 * 1024 * 1024
_TEMP_MARK = ".pdxtui-tmp-"


# -- errors, options, results -----------------------------------------------------------------------------------


class ExportError(PdxError):
    """The export failed; the message says why in one line. Nothing is left at the target path."""


class ExportUsageError(ExportError, UsageError):
    """The export cannot work as asked: unknown extension, format, option or column; GeoJSON without geometry."""


class TargetExists(ExportError):
    """The target file exists and ``overwrite`` was not given."""


class ExportCancelled(ExportError):
    """The ``cancel`` callback said stop. (An asyncio cancel raises ``CancelledError`` as usual.)"""


@dataclass(frozen=True)
class ExportOptions:
    """What to write and how. Options that do not apply to the format are ignored.

    ``format``: a name from :data:`FORMATS` (None: from the file extension). ``columns``: which columns, in this
    order (empty: all). ``overwrite``: replace an existing file. CSV/TSV: ``delimiter`` (default ``,``/tab),
    ``header``, ``quote_style`` (polars: necessary, always, non_numeric, never), ``null`` (text for missing
    values). XLSX: ``header``. Parquet: ``compression`` (zstd, snappy, gzip, lz4, brotli, none). JSON:
    ``pretty`` (indented; default one object a line)."""

    format: str | None = None
    columns: tuple[str, ...] = ()
    overwrite: bool = False
    delimiter: str | None = None
    header: bool = True
    quote_style: str = "necessary"
    null: str = ""
    compression: str = "zstd"
    pretty: bool = False


@dataclass(frozen=True)
class ExportResult:
    path: str  # absolute path of the written file
    rows: int
    bytes: int
    format: str
    elapsed: float  # seconds

    def summary(self, shown_path: str | None = None) -> str:
        """``wrote 1,234 rows to out.csv (88.1 KiB)``."""
        from pdxtui.textout import human_bytes

        noun = "row" if self.rows == 1 else "rows"
        return f"wrote {self.rows:,} {noun} to {shown_path or self.path} ({human_bytes(self.bytes)})"


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]


# -- questions the dialog asks before exporting -------------------------------------------------------------------


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format name for ``path``: ``fmt`` if given (checked), else from the extension (any case)."""
    if fmt:
        name = _FORMAT_ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
        if name not in FORMATS:
            raise ExportUsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return name
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    what = f"unknown file extension {ext!r}" if ext else "the file name has no extension"
    raise ExportUsageError(f"{what}: use one of {' '.join(EXTENSIONS)} (or give the format)")


def resolve_columns(wanted: Sequence[str], available: Sequence[str], fields: Sequence[Field] = ()) -> list[str]:
    """The column names ``wanted`` as they are spelt in ``available``, in the wanted order.

    A name matches exactly, else ignoring case, else a field's alias (ignoring case). An unknown or repeated name
    raises :class:`ExportUsageError` naming it (with the closest known name)."""
    exact = set(available)
    folded: dict[str, str] = {}
    for name in available:
        folded.setdefault(name.casefold(), name)
    aliases = {f.alias.casefold(): f.name for f in fields if f.alias and f.name in exact}
    out: list[str] = []
    for name in wanted:
        found = name if name in exact else folded.get(name.casefold()) or aliases.get(name.casefold())
        if found is None:
            raise ExportUsageError(f"unknown column {name!r}" + _suggestion(name, available, fields))
        if found in out:
            raise ExportUsageError(f"column {found!r} is asked for twice")
        out.append(found)
    return out


def _suggestion(name: str, available: Sequence[str], fields: Sequence[Field]) -> str:
    names = {n.casefold(): n for n in available}
    names.update({f.alias.casefold(): f.name for f in fields if f.alias and f.alias.casefold() not in names})
    close = difflib.get_close_matches(name.casefold(), list(names), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {names[close[0]]!r}?"
    shown = ", ".join(list(available)[:12]) + (", ..." if len(available) > 12 else "")
    return f"; the columns are {shown}"


_POINT_FIELD_TYPE = "esriGeometryPoint"  # the type the ArcGIS portal gives its latitude/longitude columns


def geometry_columns(dataset: Dataset | None, columns: Sequence[str]) -> tuple[str, str] | None:
    """``(latitude column, longitude column)`` among ``columns`` when the rows are points, else None.

    The columns the portal marks as point coordinates come first (ArcGIS point layers: fields typed
    ``esriGeometryPoint`` with aliases Latitude/Longitude), then columns named as coordinates (see
    ``pdxtui.geo.coordinate_columns``: Latitude/Longitude, lat/lng, OpenDataLat/OpenDataLon, ...). A dataset whose
    geometry is not a point has none."""
    present = list(columns)
    geometry = (dataset.geometry_type if dataset else "").lower()
    if (geometry and "point" not in geometry) or "multipoint" in geometry:
        return None
    if dataset is not None:
        marked = {
            f.alias.casefold(): f.name for f in dataset.fields if f.type == _POINT_FIELD_TYPE and f.name in present
        }
        if "latitude" in marked and "longitude" in marked:
            return marked["latitude"], marked["longitude"]
    from pdxtui.geo import coordinate_columns

    return coordinate_columns(present)


_SHAPE_FIELD_TYPES = ("esriGeometryPolygon", "esriGeometryPolyline")  # the ArcGIS portal's GeoJSON outline column


def shape_column(dataset: Dataset | None, columns: Sequence[str]) -> str | None:
    """The column of GeoJSON outlines (polygons, lines) among ``columns``, as the ArcGIS portal fetches it."""
    if dataset is None:
        return None
    return next((f.name for f in dataset.fields if f.type in _SHAPE_FIELD_TYPES and f.name in columns), None)


def format_problem(fmt: str, dataset: Dataset | None, columns: Sequence[str], rows: int | None = None) -> str | None:
    """Why ``fmt`` cannot hold these rows (None: it can). ``columns``: the columns that can be exported (for
    GeoJSON all the dataset's, not only the chosen ones); ``rows``: how many rows, if known."""
    fmt = format_for("", fmt)
    if fmt == "geojson" and geometry_columns(dataset, columns) is None and shape_column(dataset, columns) is None:
        geometry = (dataset.geometry_type if dataset else "") or ""
        kind = geometry.lower().removeprefix("esrigeometry")
        if (kind and "point" not in kind) or "multipoint" in kind:
            return f"GeoJSON export needs point geometry; this dataset's geometry is {kind} (not supported yet)"
        return "GeoJSON export needs point geometry: latitude and longitude columns, which these rows do not have"
    if fmt == "xlsx":
        if len(columns) > XLSX_MAX_COLUMNS:
            return f"an XLSX sheet holds at most {XLSX_MAX_COLUMNS:,} columns, not {len(columns):,}"
        if rows is not None and rows + 1 > XLSX_MAX_ROWS:
            return (
                f"an XLSX sheet holds at most {XLSX_MAX_ROWS - 1:,} rows under its header, not {rows:,}; "
                "export CSV or Parquet instead, or narrow the filter"
            )
    return None


def available_formats(
    dataset: Dataset | None, columns: Sequence[str], rows: int | None = None
) -> dict[str, str | None]:
    """Every format name -> None if it can be used, else the reason (for greying out choices in a dialog)."""
    return {name: format_problem(name, dataset, columns, rows) for name in FORMATS}


def check_target(path: str | os.PathLike[str], overwrite: bool = False) -> str:
    """The absolute target path, after the checks an export makes first: the folder exists and is a folder, the
    path is not a folder, and it does not exist unless ``overwrite``. Raises :class:`ExportError`."""
    return _Target(path, overwrite).path


def suggested_filename(dataset: Dataset | None, fmt: str = "csv") -> str:
    """A file name for a dataset's export: its title in lower case with dashes, and the format's extension."""
    title = (dataset.title or dataset.id) if dataset else ""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-") or "export"
    return slug + FORMATS[format_for("", fmt)].extensions[0]


# -- the three scopes ---------------------------------------------------------------------------------------------


def export_frame(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    dataset: Dataset | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> ExportResult:
    """Write a loaded frame to ``path``. Synchronous: call it from a thread worker in the UI (``progress`` is
    then called in that thread). ``cancel()`` is polled between chunks of rows; when it says True the temp file
    is removed and :class:`ExportCancelled` raised."""
    options = options or ExportOptions()
    fmt = format_for(path, options.format)
    fields = dataset.fields if dataset else ()
    columns = resolve_columns(options.columns, frame.columns, fields) or list(frame.columns)
    job = _Job(path, options, fmt, columns, dataset, frame.columns, progress, cancel)
    job.check_rows(frame.height)
    job.total = frame.height
    try:
        job.open()
        job.write_loaded(frame)
        job.finish()
        return job.commit()
    except BaseException as exc:
        job.discard()
        error = _translated(exc, job)
        if error is exc:
            raise
        raise error from exc


async def export_frames(
    frames: AsyncIterable[pl.DataFrame],
    path: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    dataset: Dataset | None = None,
    columns: Sequence[str] | None = None,
    total: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> ExportResult:
    """Write pages of rows as they arrive. Each page is written in a worker thread, so the event loop stays free.

    ``columns``: the columns the pages have (for checking ``options.columns`` and finding GeoJSON coordinates;
    default: the dataset's fields, else the first page's columns are taken as they come). ``total``: the number
    of rows expected, for progress. Cancelling the task (asyncio) or ``cancel()`` returning True stops after the
    page being written, and removes the temp file; the first raises ``CancelledError``, the second
    :class:`ExportCancelled`."""
    options = options or ExportOptions()
    fmt = format_for(path, options.format)
    fields = dataset.fields if dataset else ()
    known = list(columns) if columns is not None else [f.name for f in fields]
    chosen = resolve_columns(options.columns, known, fields) if known else list(options.columns)
    job = _Job(path, options, fmt, chosen or known, dataset, known, progress, cancel)
    job.check_rows(total)
    job.total = total
    return await job.stream(frames)


async def export_query(
    service: Service,
    dataset: Dataset,
    path: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    query: Query | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> ExportResult:
    """Export the rows of ``query`` (its ``where``, ``order``, ``offset`` and ``limit``; None: the whole dataset)
    by streaming them from ``service``. ``options.columns`` picks the columns (else ``query.columns``, else all).

    The target is checked before anything is fetched. The row count (for progress, and the XLSX row limit) comes
    from ``service.count`` when that is cheap to know. A filter the portal cannot run (``service.can("filter")``
    false) is applied here to each page, with ``query.limit`` counted after filtering."""
    from pdxtui.filters import columns as filter_columns
    from pdxtui.filters import parse

    options = options or ExportOptions()
    query = query or Query()
    fmt = format_for(path, options.format)
    names = [f.name for f in dataset.fields]
    chosen = resolve_columns(options.columns or query.columns, names, dataset.fields) or names
    job = _Job(path, options, fmt, chosen, dataset, names, progress, cancel)
    _Target(path, options.overwrite)  # the cheap checks, before any request

    where = query.where if query.where and query.where.strip() else None
    node = parse(where, dataset.fields) if where else None
    local = node is not None and not service.can("filter")
    needed = list(job.select or ())
    if local:
        needed += [name for name in names if name in filter_columns(node) and name not in needed]
    fetch = Query(
        where=None if local else where,
        columns=() if not needed or set(needed) == set(names) else tuple(needed),
        order=query.order,
        limit=None if local else query.limit,
        offset=0 if local else query.offset,
        near=query.near,
    )
    total: int | None = None
    if not local:
        with contextlib.suppress(PdxError):
            matching = await service.count(dataset, Query(where=where, near=query.near))
            total = max(0, matching - query.offset)
            if query.limit is not None:
                total = min(total, query.limit)
    job.check_rows(total)
    job.total = total

    pages: AsyncIterable[pl.DataFrame] = service.stream(dataset, fetch)
    if local:
        pages = _filtered(pages, node, query.offset, query.limit)
    return await job.stream(pages)


SCOPES = ("loaded", "filtered", "all")


async def export_scope(
    scope: str,
    path: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    frame: pl.DataFrame | None = None,
    service: Service | None = None,
    dataset: Dataset | None = None,
    query: Query | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> ExportResult:
    """One call for the export dialog (from an async worker); ``progress`` is always called on the event loop.

    * ``"loaded"``: ``frame`` (the rows in the grid), written in a worker thread by :func:`export_frame`;
    * ``"filtered"``: every row of ``dataset`` matching ``query`` (the grid's filter, order) from ``service``;
    * ``"all"`` (or ``"dataset"``): every row of ``dataset`` (``query``'s filter and limit dropped, order kept).

    Cancelling the worker (asyncio) stops the export and removes its temp file, then raises CancelledError."""
    if scope == "loaded":
        if frame is None:
            raise ExportUsageError("no loaded rows to export")
        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def report(p: Progress) -> None:
            if progress is not None:
                loop.call_soon_threadsafe(progress, p)

        def stopped() -> bool:
            return stop.is_set() or (cancel is not None and cancel())

        future = loop.run_in_executor(
            None, lambda: export_frame(frame, path, options, dataset=dataset, progress=report, cancel=stopped)
        )
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            stop.set()
            while not future.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({future})
            raise
    scope = "all" if scope == "dataset" else scope
    if scope not in SCOPES:
        raise ExportUsageError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    if service is None or dataset is None:
        raise ExportUsageError(f"exporting {scope} rows needs the service and the dataset")
    if scope == "all":
        query = Query(order=query.order) if query else None
    return await export_query(service, dataset, path, options, query=query, progress=progress, cancel=cancel)


async def _filtered(pages: AsyncIterable[pl.DataFrame], node: Any, offset: int, limit: int | None) -> Any:
    """Pages with the filter applied here: the first ``offset`` matching rows skipped, then at most ``limit``."""
    from pdxtui.filters import to_polars

    kept = 0
    async with contextlib.aclosing(pages) as source:  # type: ignore[type-var]
        async for frame in source:
            page = frame.filter(to_polars(node, frame.schema))
            if offset:
                skipped = min(offset, page.height)
                page, offset = page.slice(skipped), offset - skipped
            if limit is not None:
                page = page.head(max(0, limit - kept))
            kept += page.height
            yield page
            if limit is not None and kept >= limit:
                return


# -- the job: target, writer, counting, progress, cancel ------------------------------------------------------------


class _Job:
    def __init__(
        self,
        path: str | os.PathLike[str],
        options: ExportOptions,
        fmt: str,
        columns: Sequence[str],
        dataset: Dataset | None,
        available: Sequence[str],
        progress: ProgressCallback | None,
        cancel: CancelCheck | None,
    ) -> None:
        _check_options(options, fmt)
        self.path_arg = os.fspath(path)
        self.options = options
        self.format = fmt
        self.columns = list(columns)
        self.dataset = dataset
        self.progress = progress
        self.cancel = cancel
        self.total: int | None = None
        self.rows = 0
        self.pages = 0
        self.started = time.monotonic()
        self.aborted = threading.Event()
        self.target: _Target | None = None
        self.writer: _Writer | None = None
        self.schema: Any = None
        self.geometry: tuple[str, str] | None = None
        self.outline: str | None = None  # GeoJSON outlines (polygon and line layers), when there are no coordinates
        self.select: list[str] | None = None  # None: the columns of the first page, as they come
        if self.columns or available:
            self.choose(available)

    def choose(self, available: Sequence[str]) -> None:
        """Fix the columns: the chosen ones (all of ``available`` if none), plus the coordinates for GeoJSON."""
        if not self.columns:
            self.columns = list(available)
        if self.format == "geojson":
            problem = format_problem(self.format, self.dataset, available or self.columns)
            if problem:
                raise ExportUsageError(problem)
            self.geometry = geometry_columns(self.dataset, available or self.columns)
            if self.geometry is None:
                self.outline = shape_column(self.dataset, available or self.columns)
        extra = self.geometry or ((self.outline,) if self.outline else ())
        self.select = self.columns + [c for c in extra if c not in self.columns]
        self.check_rows(None)

    def check_rows(self, rows: int | None) -> None:
        problem = format_problem(self.format, None, self.columns, rows) if self.format == "xlsx" else None
        if problem:
            raise ExportError(problem)

    # -- lifecycle

    def open(self) -> None:
        self.target = _Target(self.path_arg, self.options.overwrite)
        self.target.open()
        self.writer = _WRITERS[self.format](self)
        self.report()

    def finish(self) -> None:
        assert self.writer is not None
        if self.schema is None:  # no page at all: the columns from the metadata, typed if it says how
            self.write_page(_empty_frame(self.select or [], self.dataset))
        self.check_cancelled()
        self.writer.finish()

    def commit(self) -> ExportResult:
        assert self.target is not None
        size = self.target.commit()
        return ExportResult(self.target.path, self.rows, size, self.format, time.monotonic() - self.started)

    def discard(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.abort()
        if self.target is not None:
            self.target.discard()

    # -- rows

    def write_loaded(self, frame: pl.DataFrame) -> None:
        """A whole loaded frame: in chunks (progress and cancel between them), or in one call where that is
        much faster (Parquet)."""
        frame = self.shape(frame)
        assert self.writer is not None
        if self.writer.write_whole(frame):
            self.rows += frame.height
            self.pages += 1
            self.report()
            return
        for chunk in _chunks(frame, self.writer.chunk_rows):
            self.check_cancelled()
            self.writer.write(chunk)
            self.rows += chunk.height
            self.pages += 1
            self.report()

    def write_page(self, frame: pl.DataFrame) -> None:
        frame = self.shape(frame)
        assert self.writer is not None
        for chunk in _chunks(frame, self.writer.chunk_rows):
            self.check_cancelled()
            self.writer.write(chunk)
            self.rows += chunk.height
        self.pages += 1

    def shape(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The page narrowed to the chosen columns, with the types of the first page."""
        import polars as pl

        if self.select is None:
            self.choose(frame.columns)
        assert self.select is not None
        missing = [c for c in self.select if c not in frame.columns]
        if missing:
            raise ExportError(f"the rows have no column {missing[0]!r}")
        frame = frame.select(self.select)
        if self.schema is None:
            fixes = {name: _dtype_for(name, self.dataset) for name, dtype in frame.schema.items() if dtype == pl.Null}
            if fixes:
                frame = frame.with_columns([pl.col(n).cast(t) for n, t in fixes.items()])
            self.schema = frame.schema
            assert self.writer is not None
            self.writer.begin(frame)
        elif frame.schema != self.schema:
            try:
                frame = frame.cast(dict(self.schema))  # type: ignore[arg-type]
            except Exception as exc:
                raise ExportError(f"a page of rows has other column types than the first one ({exc})") from exc
        return frame

    def check_cancelled(self) -> None:
        if self.aborted.is_set():
            raise ExportCancelled("export cancelled")
        if self.cancel is not None and self.cancel():
            raise ExportCancelled("export cancelled")

    def report(self) -> None:
        if self.progress is not None:
            self.progress(Progress(rows=self.rows, total=self.total, pages=self.pages))

    # -- streaming

    async def stream(self, frames: AsyncIterable[pl.DataFrame]) -> ExportResult:
        close = getattr(frames, "aclose", None)
        try:
            try:
                self.open()
            except BaseException:
                if close is not None:
                    await close()
                raise
            try:
                async for frame in frames:
                    self.check_cancelled()
                    await self.in_thread(self.write_page, frame)
                    self.report()
            finally:
                if close is not None:
                    await close()
            await self.in_thread(self.finish)
            return self.commit()
        except BaseException as exc:
            self.discard()
            error = _translated(exc, self)
            if error is exc:
                raise
            raise error from exc

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` in a worker thread; if this task is cancelled meanwhile, tell the writer to stop and wait
        for the thread to let go of the file before the cancel goes on (so the temp file can be removed)."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, fn, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            self.aborted.set()
            while not future.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({future})
            raise


def _translated(exc: BaseException, job: _Job) -> BaseException:
    """Errors as people should read them: OS errors (full disk, permissions) and writer failures become an
    :class:`ExportError`; our own errors and non-errors (KeyboardInterrupt, CancelledError) pass through."""
    if isinstance(exc, PdxError) or not isinstance(exc, Exception):
        return exc
    path = job.target.path if job.target else os.path.abspath(job.path_arg)
    problem = _os_problem(exc, path)
    if problem:
        return ExportError(f"cannot write {path}: {problem}")
    return ExportError(f"export to {path} failed: {type(exc).__name__}: {exc}")


def _os_problem(exc: BaseException, path: str) -> str | None:
    """A plain reason for an OS-level failure (also when polars or pyarrow only put it in the message)."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOSPC or "No space left on device" in text or "os error 28" in text:
        return "the disk is full"
    if code == getattr(errno, "EDQUOT", -1) or "Disk quota exceeded" in text:
        return "the disk quota is used up"
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return f"permission denied in {os.path.dirname(path) or '.'}"
    if code == errno.EROFS or "Read-only file system" in text:
        return "the folder is on a read-only file system"
    if code == errno.ENAMETOOLONG:
        return "the file name is too long"
    if code == errno.ENOENT:
        return f"the folder {os.path.dirname(path)} does not exist (any more)"
    if isinstance(exc, OSError):
        return exc.strerror or text
    return None


def _check_options(options: ExportOptions, fmt: str) -> None:
    if fmt in ("csv", "tsv"):
        sep = _delimiter(options, fmt)
        if len(sep) != 1 or ord(sep) > 127 or sep in '"\r\n':
            raise ExportUsageError(
                f"the delimiter must be one ASCII character other than a quote or a line break, "
                f"not {options.delimiter!r}"
            )
        if options.quote_style not in QUOTE_STYLES:
            raise ExportUsageError(f"unknown quote style {options.quote_style!r}: use one of {', '.join(QUOTE_STYLES)}")
        if "\n" in options.null or "\r" in options.null:
            raise ExportUsageError("the text for missing values cannot hold a line break")
    if fmt == "parquet" and options.compression not in COMPRESSIONS:
        raise ExportUsageError(f"unknown compression {options.compression!r}: use one of {', '.join(COMPRESSIONS)}")


def _delimiter(options: ExportOptions, fmt: str) -> str:
    if options.delimiter is not None:
        return options.delimiter
    return "\t" if fmt == "tsv" else ","


def _chunks(frame: pl.DataFrame, size: int) -> Iterator[pl.DataFrame]:
    if frame.height <= size:
        yield frame
        return
    for offset in range(0, frame.height, size):
        yield frame.slice(offset, size)


def _dtype_for(name: str, dataset: Dataset | None) -> Any:
    import polars as pl

    from pdxtui.service import polars_dtype

    field = dataset.field(name) if dataset else None
    return polars_dtype(field.dtype) if field else pl.String


def _empty_frame(columns: Sequence[str], dataset: Dataset | None) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema={name: _dtype_for(name, dataset) for name in columns})


# -- the target file ----------------------------------------------------------------------------------------------


def write_text_atomic(path: str | os.PathLike[str], text: str, *, overwrite: bool) -> int:
    """Write ``text`` (UTF-8) to ``path`` the way exports are written: a temp file beside it, fsynced, then
    renamed onto it; without ``overwrite`` an existing file is never replaced. Returns the size in bytes."""
    target = _Target(path, overwrite)
    handle = target.open()
    try:
        handle.write(text.encode("utf-8", "surrogateescape"))
        return target.commit()
    except OSError as exc:
        raise ExportError(f"cannot write {target.path}: {_os_problem(exc, target.path) or exc}") from None
    finally:
        target.discard()


class _Target:
    """A temp file beside the target, renamed onto it at the end (or removed)."""

    def __init__(self, path: str | os.PathLike[str], overwrite: bool) -> None:
        raw = os.path.expanduser(os.fspath(path))
        if not raw.strip():
            raise ExportUsageError("no file name given")
        self.path = os.path.abspath(raw)
        self.folder, self.name = os.path.split(self.path)
        self.overwrite = overwrite
        self.temp: str | None = None
        self.file: BinaryIO | None = None
        if raw.endswith(("/", os.sep)) or os.path.isdir(self.path):
            raise ExportUsageError(f"{self.path} is a folder: give a file name")
        if not os.path.exists(self.folder):
            raise ExportError(f"the folder {self.folder} does not exist")
        if not os.path.isdir(self.folder):
            raise ExportError(f"{self.folder} is not a folder")
        if os.path.lexists(self.path):
            if not overwrite:
                raise TargetExists(f"{self.path} already exists; use --force to replace it")
            if os.path.exists(self.path) and not os.path.isfile(self.path):
                raise ExportError(f"{self.path} exists and is not a regular file")
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise ExportError(f"cannot write in the folder {self.folder}: permission denied")

    @property
    def prefix(self) -> str:
        return f".{self.name[:100]}{_TEMP_MARK}"

    def open(self) -> BinaryIO:
        self._remove_stale()
        try:
            fd, self.temp = tempfile.mkstemp(prefix=f"{self.prefix}{os.getpid()}-", dir=self.folder)
        except OSError as exc:
            raise ExportError(f"cannot write in the folder {self.folder}: {_os_problem(exc, self.path)}") from exc
        self.file = os.fdopen(fd, "wb")
        return self.file

    def commit(self) -> int:
        """Flush, fsync, set the mode, rename onto the target; the file's size."""
        assert self.file is not None and self.temp is not None
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        try:
            mode = os.stat(self.path).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        with contextlib.suppress(OSError):  # some file systems (FAT, some network mounts) have no modes
            os.chmod(self.temp, mode)
        size = os.stat(self.temp).st_size
        if self.overwrite:
            os.replace(self.temp, self.path)
        else:
            self._link()
        self.temp = None
        _fsync_folder(self.folder)
        return size

    def _link(self) -> None:
        """Put the temp file at the target unless a file appeared there meanwhile (hard link: atomic, never
        replaces). Where links are not supported, check once more and rename."""
        assert self.temp is not None
        try:
            os.link(self.temp, self.path)
        except FileExistsError:
            raise TargetExists(f"{self.path} already exists; use --force to replace it") from None
        except OSError:
            if os.path.lexists(self.path):
                raise TargetExists(f"{self.path} already exists; use --force to replace it") from None
            os.replace(self.temp, self.path)
            return
        os.unlink(self.temp)

    def discard(self) -> None:
        if self.file is not None:
            with contextlib.suppress(Exception):
                self.file.close()
        if self.temp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temp)
            self.temp = None

    def _remove_stale(self) -> None:
        """Temp files of earlier exports to this name whose process is gone (killed before it could clean up)."""
        try:
            entries = [e.name for e in os.scandir(self.folder) if e.name.startswith(self.prefix)]
        except OSError:
            return
        for entry in entries:
            pid = entry[len(self.prefix) :].partition("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: str) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- writers ------------------------------------------------------------------------------------------------------

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
    other Python objects as text; datetimes as ISO text: ``datetimes`` is "all", "naive" or "none"."""
    import polars as pl

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
            quote_style=self.options.quote_style,  # type: ignore[arg-type]
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
        import io

        buffer = io.BytesIO()
        _text_ready(frame, nested=False, datetimes="naive").write_ndjson(buffer)
        lines = buffer.getvalue().rstrip(b"\n")
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


def _indent(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")


_LAT, _LON = "\x00pdxtui-latitude", "\x00pdxtui-longitude"  # names no dataset column has


class _GeoJsonWriter(_Writer):
    """A FeatureCollection of Points ([longitude, latitude], RFC 7946). Rows without valid coordinates get a null
    geometry. ``properties`` hold the chosen columns except the two coordinate columns."""

    def begin(self, frame: pl.DataFrame) -> None:
        assert self.job.geometry is not None or self.job.outline is not None
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
        if self.properties:
            properties = pl.struct(self.properties).struct.json_encode()
        else:
            properties = pl.lit("{}")
        feature = pl.concat_str(
            [pl.lit('{"type":"Feature","geometry":'), geometry, pl.lit(',"properties":'), properties, pl.lit("}")]
        )
        text = ready.select(feature.str.join(",\n")).item()
        self.file.write((b",\n" if self.count else b"\n") + text.encode())
        self.count += frame.height

    def finish(self) -> None:
        self.file.write(b"\n]}\n" if self.count else b"]}\n")


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

    def write_whole(self, frame: pl.DataFrame) -> bool:
        if self.writer is not None or self.buffer:
            return False
        self.job.check_cancelled()
        compression = "uncompressed" if self.options.compression == "none" else self.options.compression
        frame.write_parquet(self.temp, compression=compression, statistics=True)  # type: ignore[arg-type]
        self.done = True
        return True

    def write(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
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
        self.writer.close()
        self.writer = None

    def abort(self) -> None:
        if getattr(self, "writer", None) is not None:
            with contextlib.suppress(Exception):
                self.writer.close()


class _XlsxWriter(_Writer):
    """An XLSX workbook with one sheet. xlsxwriter makes the package (styles, header row, frozen panes, column
    widths); the data rows are SpreadsheetML built with polars, in the form xlsxwriter's constant_memory mode
    writes (inline strings, numbers, booleans, dates as serial numbers with a date style), streamed into the
    sheet's zip entry page by page."""

    chunk_rows = 25_000

    def begin(self, frame: pl.DataFrame) -> None:
        import io
        import zipfile

        import xlsxwriter

        skeleton = io.BytesIO()
        book = xlsxwriter.Workbook(
            skeleton,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        sheet = book.add_worksheet(_sheet_name(self.job.dataset))
        formats = {
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "time": book.add_format({"num_format": "hh:mm:ss"}),
        }
        widths = {"date": 11, "datetime": 19, "time": 9}
        kinds = [_xlsx_kind(dtype) for dtype in frame.schema.values()]
        for index, kind in enumerate(kinds):
            if kind in formats:
                sheet.set_column(index, index, widths[kind], formats[kind])
        if self.options.header:
            bold = book.add_format({"bold": True})
            for index, name in enumerate(frame.columns):
                sheet.write_string(0, index, name[:XLSX_MAX_TEXT], bold)
            sheet.freeze_panes(1, 0)
        book.close()
        self.styles = {kind: fmt.xf_index for kind, fmt in formats.items() if fmt.xf_index is not None}

        with zipfile.ZipFile(skeleton) as package:
            entries = [(info, package.read(info)) for info in package.infolist()]
        names = [info.filename for info, _ in entries]
        at = names.index("xl/worksheets/sheet1.xml")
        xml = entries[at][1].decode("utf-8")
        xml = re.sub(r"<dimension ref=\"[^\"]*\"/>", "", xml, count=1)  # unknown until the end; it is optional
        if "<sheetData/>" in xml:
            head, tail = xml.split("<sheetData/>", 1)
            head, tail = head + "<sheetData>", "</sheetData>" + tail
        else:
            cut = xml.index("</sheetData>")
            head, tail = xml[:cut], xml[cut:]
        self.package = zipfile.ZipFile(
            self.file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_XLSX_DEFLATE_LEVEL
        )
        for info, data in entries[:at]:
            self.package.writestr(_zip_info(info), data)
        self.sheet = self.package.open(_zip_info(entries[at][0]), "w")
        self.sheet.write(head.encode("utf-8"))
        self.tail = tail.encode("utf-8")
        self.rest = entries[at + 1 :]
        self.next_row = 2 if self.options.header else 1

    def write(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        last = self.next_row + frame.height - 1
        if last > XLSX_MAX_ROWS:
            raise ExportError(
                f"an XLSX sheet holds at most {XLSX_MAX_ROWS - 1:,} rows under its header; "
                "export CSV or Parquet instead, or narrow the filter"
            )
        self.sheet.write(_xlsx_rows(frame, self.next_row, self.styles).encode("utf-8"))
        self.next_row = last + 1

    def finish(self) -> None:
        self.sheet.write(self.tail)
        self.sheet.close()
        for info, data in self.rest:
            self.package.writestr(_zip_info(info), data)
        self.package.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.sheet.close()
        with contextlib.suppress(Exception):
            self.package.close()


def _zip_info(info: Any) -> Any:
    import zipfile

    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    fresh.external_attr = info.external_attr
    # fast deflate: level 1 is about 3x faster than the default 6, for files about 25% bigger
    for name in ("compress_level", "_compresslevel"):  # public from Python 3.13
        with contextlib.suppress(AttributeError):
            setattr(fresh, name, _XLSX_DEFLATE_LEVEL)
    return fresh


def _sheet_name(dataset: Dataset | None) -> str:
    title = dataset.title if dataset else ""
    name = re.sub(r"[\[\]:*?/\\\x00-\x1f]", " ", title).strip().strip("'")[:31].strip()
    return name if name and name.lower() != "history" else "data"


def _xlsx_kind(dtype: Any) -> str:
    import polars as pl

    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Time:
        return "time"
    if dtype.is_integer() or dtype.is_float() or isinstance(dtype, pl.Decimal):
        return "number"
    return "text"


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_XLSX_CONTROL = "[\x00-\x08\x0b-\x1f\ufffe\uffff]"  # written as _xHHHH_, as Excel (and xlsxwriter) do
_XLSX_ESCAPE_LIKE = r"_x[0-9A-Fa-f]{4}_"  # literal text of that shape gets its underscore escaped
_EXCEL_EPOCH_DAYS = 25_569  # days from 1899-12-30 (Excel's day 0) to 1970-01-01
_EXCEL_FIRST_DAY = -25_508  # 1900-03-01: serial numbers before it are muddled by Excel's 1900 leap year
_EXCEL_LAST_DAY = 2_932_896  # 9999-12-31


def _xlsx_rows(frame: pl.DataFrame, first_row: int, styles: dict[str, int]) -> str:
    """``<row>`` elements for the frame's rows, numbered from ``first_row``. Nulls are left out (empty cells)."""
    import polars as pl

    text_columns = [n for n, d in frame.schema.items() if _xlsx_kind(d) == "text"]
    flags: dict[str, tuple[bool, ...]] = {}
    if text_columns:
        prepared = _text_ready(frame.select(text_columns), nested=True, datetimes="all")
        prepared = prepared.select(pl.all().cast(pl.String).str.slice(0, XLSX_MAX_TEXT))
        checks = [_XLSX_CONTROL, _XLSX_ESCAPE_LIKE, "[&<>]", r"^\s|\s$"]
        found = (
            prepared.select(
                [
                    pl.col(n).str.contains(pattern).any().alias(f"{i}:{k}")
                    for i, n in enumerate(text_columns)
                    for k, pattern in enumerate(checks)
                ]
            ).row(0)
            if prepared.height
            else [False] * (len(text_columns) * len(checks))
        )
        flags = {
            n: tuple(bool(v) for v in found[i * len(checks) : (i + 1) * len(checks)])
            for i, n in enumerate(text_columns)
        }
        frame = frame.with_columns(prepared)
    frame = frame.with_columns((pl.int_range(0, pl.len(), dtype=pl.Int64) + first_row).cast(pl.String).alias(_ROW))
    number = pl.col(_ROW)

    cells = []
    for index, (name, dtype) in enumerate(frame.schema.items()):
        if name == _ROW:
            continue
        ref = [pl.lit(f'<c r="{_column_letters(index)}'), number]
        col = pl.col(name)
        kind = "text" if name in flags else _xlsx_kind(dtype)
        if kind == "number":
            value = pl.when(col.is_finite()).then(col.cast(pl.String)) if dtype.is_float() else col.cast(pl.String)
            cell = pl.concat_str([*ref, pl.lit('"><v>'), value, pl.lit("</v></c>")])
        elif kind == "boolean":
            cell = pl.concat_str([*ref, pl.lit('" t="b"><v>'), col.cast(pl.Int8).cast(pl.String), pl.lit("</v></c>")])
        elif kind in ("date", "datetime", "time"):
            if kind == "date":
                days = col.cast(pl.Int32).cast(pl.Int64)
                serial = (days + _EXCEL_EPOCH_DAYS).cast(pl.String)
                iso = col.cast(pl.String)
            elif kind == "datetime":
                wall = col.dt.replace_time_zone(None) if dtype.time_zone else col
                millis = wall.dt.epoch("ms")
                days = millis.floordiv(86_400_000)
                serial = (millis.cast(pl.Float64) / 86_400_000 + _EXCEL_EPOCH_DAYS).cast(pl.String)
                iso = wall.dt.to_string(_ISO_NAIVE)
            else:
                days = pl.lit(0)
                serial = (col.cast(pl.Int64).cast(pl.Float64) / 86_400_000_000_000).cast(pl.String)
                iso = col.dt.to_string(_ISO_TIME)
            in_range = (days >= _EXCEL_FIRST_DAY) & (days <= _EXCEL_LAST_DAY)
            as_number = pl.concat_str([*ref, pl.lit(f'" s="{styles.get(kind, 0)}"><v>'), serial, pl.lit("</v></c>")])
            cell = pl.when(in_range).then(as_number).otherwise(_xlsx_text_cell(ref, iso))
        else:
            control, escape_like, markup, spaces = flags[name]
            text = col
            if escape_like:
                text = text.str.replace_all(f"({_XLSX_ESCAPE_LIKE})", "_x005F$1")
            if control:
                for code in [*range(0x00, 0x09), *range(0x0B, 0x20), 0xFFFE, 0xFFFF]:
                    text = text.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
            cell = _xlsx_text_cell(ref, text, markup=markup, spaces=spaces)
        cells.append(cell.fill_null(""))
    row = pl.concat_str([pl.lit('<row r="'), number, pl.lit('">'), *cells, pl.lit("</row>")])
    return frame.select(row.str.join("")).item() or ""


def _xlsx_text_cell(ref: list[Any], text: Any, *, markup: bool = True, spaces: bool = True) -> Any:
    """An inline-string cell. ``markup``: the text may hold & < >; ``spaces``: it may start or end with white
    space (then Excel needs xml:space="preserve")."""
    import polars as pl

    escaped = text
    if markup:
        escaped = (
            text.str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True)
        )
    plain = pl.lit('" t="inlineStr"><is><t>')
    opening = (
        pl.when(text.str.contains(r"^\s|\s$"))
        .then(pl.lit('" t="inlineStr"><is><t xml:space="preserve">'))
        .otherwise(plain)
        if spaces
        else plain
    )
    return pl.concat_str([*ref, opening, escaped, pl.lit("</t></is></c>")])


_ROW = "\x00pdxtui-row"


_WRITERS: dict[str, Callable[[_Job], _Writer]] = {
    "csv": _CsvWriter,
    "tsv": _CsvWriter,
    "ndjson": _NdjsonWriter,
    "json": _JsonWriter,
    "geojson": _GeoJsonWriter,
    "parquet": _ParquetWriter,
    "xlsx": _XlsxWriter,
}
