"""One export under way: its target and writer, the column choice, row counting, progress and cancel."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterable, Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pdxtui.errors import PdxError
from pdxtui.model import Dataset, Progress

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.provenance import Source


from pdxtui.export.formats import (
    COMPRESSIONS,
    QUOTE_STYLES,
    CancelCheck,
    ExportCancelled,
    ExportError,
    ExportOptions,
    ExportResult,
    ExportUsageError,
    ProgressCallback,
    format_problem,
    geometry_columns,
    shape_column,
)
from pdxtui.export.target import _os_problem, _Target, commit_dropping, commit_pair, sidecar_in_the_way
from pdxtui.export.writers import (
    _CsvWriter,
    _delimiter,
    _GeoJsonWriter,
    _JsonWriter,
    _NdjsonWriter,
    _ParquetWriter,
    _Writer,
)
from pdxtui.export.xlsx import _XlsxWriter

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
        #: provenance (``options.provenance``): what is known of the rows' source, a last look at it once the rows
        #: are read (the query URL of a plan made while reading), the sidecar's target and the record
        self.source: Source | None = None
        self.settle: Callable[[Source], Source] | None = None
        self.side: _Target | None = None
        self.record: dict[str, Any] | None = None
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
        from pdxtui.provenance import sidecar_path

        if self.options.provenance:
            self.side = _Target(sidecar_path(self.path_arg), self.options.overwrite)
        self.target = _Target(self.path_arg, self.options.overwrite)
        if not self.options.provenance:
            sidecar_in_the_way(sidecar_path(self.target.path), self.options.overwrite)
        self.target.open()
        self.writer = _WRITERS[self.format](self)
        self.report()

    def finish(self) -> None:
        assert self.writer is not None
        if self.schema is None:  # no page at all: the columns from the metadata, typed if it says how
            self.write_page(_empty_frame(self.select or [], self.dataset))
        self.check_cancelled()
        self.provenance(self.rows)
        self.writer.finish()

    def provenance(self, rows: int) -> dict[str, Any] | None:
        """The provenance record for ``rows`` written (None with ``options.provenance`` off); made once."""
        if not self.options.provenance or self.record is not None:
            return self.record
        from pdxtui.model import Dataset, Query
        from pdxtui.provenance import Source, Written, build_record

        source = self.source or Source()
        if self.settle is not None:
            source = self.settle(source)
        if self.options.columns or (source.query is not None and source.query.columns):
            # the columns asked for, as resolved (``options.columns`` is not part of the query)
            source = replace(source, query=replace(source.query or Query(), columns=tuple(self.columns)))
        kinds = self.writer.types(dict(self.schema or {})) if self.writer is not None else dict(self.schema or {})
        columns = tuple((name, str(dtype)) for name, dtype in kinds.items())
        name = os.path.basename(self.target.path if self.target else self.path_arg)
        written = Written(file=name, format=self.format, rows=rows, columns=columns, scope=source.scope)
        self.record = build_record(self.dataset or Dataset(id="", title=""), source, written)
        return self.record

    def commit(self) -> ExportResult:
        assert self.target is not None
        if self.side is None:
            from pdxtui.provenance import sidecar_path

            size = commit_dropping(self.target, sidecar_path(self.target.path))
            sidecar = None
        else:
            from pdxtui.provenance import record_json

            record = self.provenance(self.rows)
            assert record is not None
            self.side.open().write(record_json(record).encode("utf-8"))
            size = commit_pair(self.target, self.side)
            sidecar = self.side.path
        elapsed = time.monotonic() - self.started
        return ExportResult(self.target.path, self.rows, size, self.format, elapsed, sidecar)

    def discard(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.abort()
        if self.target is not None:
            self.target.discard()
        if self.side is not None:
            self.side.discard()

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
                frame = frame.cast(dict(self.schema))
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


def _chunks(frame: pl.DataFrame, size: int) -> Iterator[pl.DataFrame]:
    if frame.height <= size:
        yield frame
        return
    for offset in range(0, frame.height, size):
        yield frame.slice(offset, size)


def _dtype_for(name: str, dataset: Dataset | None) -> Any:
    import polars as pl

    from pdxtui.frames import polars_dtype

    field = dataset.field(name) if dataset else None
    return polars_dtype(field.dtype) if field else pl.String


def _empty_frame(columns: Sequence[str], dataset: Dataset | None) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema={name: _dtype_for(name, dataset) for name in columns})


_WRITERS: dict[str, Callable[[_Job], _Writer]] = {
    "csv": _CsvWriter,
    "tsv": _CsvWriter,
    "ndjson": _NdjsonWriter,
    "json": _JsonWriter,
    "geojson": _GeoJsonWriter,
    "parquet": _ParquetWriter,
    "xlsx": _XlsxWriter,
}
