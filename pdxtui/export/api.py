"""The entry points: export a loaded frame, a stream of frames, a query, or one of the dialog's scopes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from pdxtui.errors import PdxError
from pdxtui.model import Dataset, Progress, Query

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.provenance import Source
    from pdxtui.service import Service

from pdxtui.export.formats import (
    CancelCheck,
    ExportOptions,
    ExportResult,
    ExportUsageError,
    ProgressCallback,
    format_for,
    resolve_columns,
)
from pdxtui.export.job import _Job, _translated
from pdxtui.export.target import _Target, sidecar_in_the_way


def check_target(path: str | os.PathLike[str], overwrite: bool = False, *, provenance: bool | None = None) -> str:
    """The absolute target path, after the checks an export makes first: the folder exists and is a folder, the
    path is not a folder, and it does not exist unless ``overwrite``. With ``provenance`` given (True: the
    export writes a sidecar; False: it writes none) the sidecar's path is checked too: a sidecar there belongs to
    the new file and is replaced (True) or removed (False) with it, either way only with ``overwrite``. Raises
    :class:`ExportError` (:class:`TargetExists` for a file in the way)."""
    target = _Target(path, overwrite).path
    if provenance is not None:
        from pdxtui.provenance import sidecar_path

        if provenance:
            sidecar = sidecar_path(target)
            _check_name_length(sidecar)
            _Target(sidecar, overwrite)
        else:
            sidecar_in_the_way(sidecar_path(target), overwrite)
    return target


def _check_name_length(sidecar: str) -> None:
    """A target whose name fits but whose sidecar's name does not would fail only once every row was read, with a
    message about the data file: say it first, naming the record."""
    folder, name = os.path.split(sidecar)
    try:
        longest = os.pathconf(folder or ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no such folder (checked elsewhere), or no pathconf
        longest = 255
    if len(os.fsencode(name)) > longest:
        raise ExportUsageError(
            f"the file name is too long for its provenance record beside it ({name}: more than {longest} bytes); "
            "use a shorter name, or export without provenance"
        )


def in_the_way(path: str | os.PathLike[str]) -> list[str]:
    """The files an export to ``path`` would replace: the file and its sidecar (``FILE.provenance.json``), those
    that exist (a sidecar is replaced, or removed by an export without provenance, so it is asked about too)."""
    from pdxtui.provenance import sidecar_path

    target = os.path.abspath(os.path.expanduser(os.fspath(path)))
    return [p for p in (target, sidecar_path(target)) if os.path.lexists(p)]


# -- the three scopes ---------------------------------------------------------------------------------------------


def export_frame(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    dataset: Dataset | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    source: Source | None = None,
) -> ExportResult:
    """Write a loaded frame to ``path``. Synchronous: call it from a thread worker in the UI (``progress`` is
    then called in that thread). ``cancel()`` is polled between chunks of rows; when it says True the temp file
    is removed and :class:`ExportCancelled` raised. ``source``: where the rows came from, for the provenance
    record (``pdxtui.provenance.source_for``); without it the record says the query is not known."""
    options = options or ExportOptions()
    fmt = format_for(path, options.format)
    fields = dataset.fields if dataset else ()
    columns = resolve_columns(options.columns, frame.columns, fields) or list(frame.columns)
    job = _Job(path, options, fmt, columns, dataset, frame.columns, progress, cancel)
    job.source = source
    check_target(path, options.overwrite, provenance=options.provenance)
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
    source: Source | None = None,
) -> ExportResult:
    """Write pages of rows as they arrive. Each page is written in a worker thread, so the event loop stays free.

    ``columns``: the columns the pages have (for checking ``options.columns`` and finding GeoJSON coordinates;
    default: the dataset's fields, else the first page's columns are taken as they come). ``total``: the number
    of rows expected, for progress. Cancelling the task (asyncio) or ``cancel()`` returning True stops after the
    page being written, and removes the temp file; the first raises ``CancelledError``, the second
    :class:`ExportCancelled`. ``source``: as for :func:`export_frame`."""
    options = options or ExportOptions()
    fmt = format_for(path, options.format)
    fields = dataset.fields if dataset else ()
    known = list(columns) if columns is not None else [f.name for f in fields]
    chosen = resolve_columns(options.columns, known, fields) if known else list(options.columns)
    job = _Job(path, options, fmt, chosen or known, dataset, known, progress, cancel)
    check_target(path, options.overwrite, provenance=options.provenance)
    job.source = source
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
    source: Source | None = None,
) -> ExportResult:
    """Export the rows of ``query`` (its ``where``, ``order``, ``offset`` and ``limit``; None: the whole dataset)
    by streaming them from ``service``. ``options.columns`` picks the columns (else ``query.columns``, else all).

    The target is checked before anything is fetched. The row count (for progress, and the XLSX row limit) comes
    from ``service.count`` when that is cheap to know. A filter the portal cannot run (``service.can("filter")``
    false) is applied here to each page, with ``query.limit`` counted after filtering.

    The provenance record names the request the rows came from (made once they are read: a portal may plan the
    query while reading). ``source``: the caller's facts (secrets to remove, scope; tests: the time and version);
    default: those of ``service``."""
    from pdxtui.filters import columns as filter_columns
    from pdxtui.filters import parse
    from pdxtui.filters.frames import filter_pages
    from pdxtui.provenance import settled, source_for

    options = options or ExportOptions()
    query = query or Query()
    fmt = format_for(path, options.format)
    names = [f.name for f in dataset.fields]
    chosen = resolve_columns(options.columns or query.columns, names, dataset.fields) or names
    job = _Job(path, options, fmt, chosen, dataset, names, progress, cancel)
    check_target(path, options.overwrite, provenance=options.provenance)  # the cheap checks, before any request

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
    if options.provenance:
        job.source = replace(source or source_for(service), query=query, filtered_here=local)
        if job.source.from_service:
            job.settle = lambda known: settled(known, service, dataset, fetch)

    def said(step: Progress) -> None:  # what the portal says while reading (e.g. rows sorted here) goes on
        if step.message and progress is not None:
            progress(Progress(rows=job.rows, total=job.total, pages=job.pages, message=step.message))

    texts: set[str] = set()  # columns written as the text the portal sent (some of their values do not fit)
    while True:
        stream = _typed_pages(service.pages_as_sent(dataset, fetch, said), dataset, texts, said)
        # a filter the portal cannot run is run here on each page
        pages: AsyncIterable[pl.DataFrame] = filter_pages(stream, node, query.offset, query.limit) if local else stream
        try:
            return await job.stream(pages)
        except _TurnsToText as turned:  # the rows written so far are gone: all again, those columns as text
            texts.update(turned.names)
            again = _Job(path, options, fmt, chosen, dataset, names, progress, cancel)
            again.total, again.source, again.settle = job.total, job.source, job.settle
            job = again
            said(Progress(rows=0, total=job.total, message=f"{turned}: writing every row again, from the first"))


class _TurnsToText(PdxError):
    """A page holds text in a column the pages before had as numbers (or dates): written page by page, that
    column would hold numbers in some rows and text in others, or the export would fail."""

    def __init__(self, names: list[str], said: list[str]) -> None:
        super().__init__("; ".join(said) or f"columns {', '.join(names)} hold text")
        self.names = names


async def _typed_pages(
    pages: AsyncGenerator[pl.DataFrame, None], dataset: Dataset, texts: set[str], said: Callable[[Progress], None]
) -> AsyncGenerator[pl.DataFrame, None]:
    """``pages`` (as the portal sent them) typed as the dataset declares, each alike: the columns in ``texts``
    stay the text the portal sent. A column whose text does not fit its type in the first rows joins ``texts``
    (and is said); in later rows, :class:`_TurnsToText` (the export starts again)."""
    import polars as pl

    from pdxtui.frames import apply_schema, text_notes

    declared = {f.name for f in dataset.fields if f.dtype != "String"}
    row = 0
    async with contextlib.aclosing(pages) as source:
        async for raw in source:
            typed = apply_schema(raw, dataset)
            as_text = [n for n in raw.columns if n in declared and raw.schema[n] == pl.String]
            kept = [n for n in as_text if n in texts and typed.schema[n] != pl.String]
            if kept:
                typed = typed.with_columns([raw[n] for n in kept])
            turned = [n for n in as_text if n not in texts and typed.schema[n] == pl.String]
            if turned:
                notes = text_notes(raw, typed, dataset, row, only=turned)
                if row:
                    raise _TurnsToText(turned, notes)
                texts.update(turned)
                for note in notes:
                    said(Progress(rows=0, total=None, message=note))
            row += raw.height
            yield typed


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
    source: Source | None = None,
) -> ExportResult:
    """One call for the export dialog (from an async worker); ``progress`` is always called on the event loop.

    * ``"loaded"``: ``frame`` (the rows in the grid), written in a worker thread by :func:`export_frame`;
    * ``"filtered"``: every row of ``dataset`` matching ``query`` (the grid's filter, order) from ``service``;
    * ``"all"`` (or ``"dataset"``): every row of ``dataset`` (``query``'s filter and limit dropped, order kept).

    ``source``: where the rows came from, for the provenance record; for "loaded" it should name the query the
    grid's rows came from (default: that of ``service`` for ``query``, without a URL when not known).

    Cancelling the worker (asyncio) stops the export and removes its temp file, then raises CancelledError."""
    if source is not None and not source.scope:
        source = replace(source, scope="all" if scope == "dataset" else scope)
    if scope == "loaded":
        if frame is None:
            raise ExportUsageError("no loaded rows to export")
        loaded_source = source
        if loaded_source is None and service is not None:
            from pdxtui.provenance import source_for

            loaded_source = source_for(service, dataset, query, scope="loaded")
        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def report(p: Progress) -> None:
            if progress is not None:
                loop.call_soon_threadsafe(progress, p)

        def stopped() -> bool:
            return stop.is_set() or (cancel is not None and cancel())

        future = loop.run_in_executor(
            None,
            lambda: export_frame(
                frame, path, options, dataset=dataset, progress=report, cancel=stopped, source=loaded_source
            ),
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
    if source is None:
        from pdxtui.provenance import source_for

        source = source_for(service, scope=scope)
    return await export_query(
        service, dataset, path, options, query=query, progress=progress, cancel=cancel, source=source
    )
