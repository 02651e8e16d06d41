"""Looking at a dataset again: take its fingerprint from the portal, compare it with the one kept at the last look,
and keep the new one. What ``pdxtui changes`` and the app's "since you last looked" panel both call.

It reads no more than it needs: the metadata the caller already has (fields, data-updated date), the row count
(from the metadata where the portal gives it, else one count request), and the rows only for a dataset under
``ROW_LIMIT`` rows (every row, with the portal's row id column: ``Query(with_key=True)``); a dataset whose count is
unknown is read until ``ROW_LIMIT`` rows, and hashed only if it ended before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pdxtui.frames import apply_schema
from pdxtui.memory.fingerprint import ROW_LIMIT, Changes, Fingerprint, compare, take
from pdxtui.memory.store import Memory, StoreError
from pdxtui.model import Dataset, Progress, Query

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.service import Service


@dataclass(frozen=True)
class Look:
    """One look at a dataset."""

    #: the fingerprint taken now
    fingerprint: Fingerprint
    #: the one kept at the last look (None: this is the first look, or the last one's file was damaged)
    before: Fingerprint | None
    #: what changed since ``before`` (None on a first look)
    changes: Changes | None
    #: every row of the dataset, when it was small enough to read whole (with its key column): the rows added and
    #: changed can be shown from it
    frame: pl.DataFrame | None = None


async def look(
    service: Service,
    dataset: Dataset,
    memory: Memory,
    portal: str,
    *,
    record: bool = True,
    progress: Callable[[Progress], None] | None = None,
    taken: datetime | None = None,
    who: str = "app",
    strict: bool = False,
) -> Look:
    """Fingerprint ``dataset`` (as the portal gives it now: the caller fetched its metadata), compare it with the
    last look at it on ``portal`` (``who``'s: "app" or "changes", see :meth:`Memory.fingerprint`), and
    (``record``) keep the new fingerprint as ``who``'s. Portal errors propagate (nothing is
    kept then). ``strict``: a last look that could not be read (a damaged file; none other stood in) is a
    :class:`StoreError` (nothing kept), not a first look."""
    import polars as pl

    # an item with no rows to show (a map service of several layers, a PDF) has no count either: its look is
    # its metadata
    count = dataset.rows if dataset.rows is not None or dataset.notice else await service.count(dataset)
    frame: pl.DataFrame | None = None
    complete = False
    short = ""  # why rows read to the end are not the whole dataset
    if not dataset.notice and (count is None or count < ROW_LIMIT):
        query = Query(with_key=True)
        frames: list[pl.DataFrame] = []
        read = 0
        # typed all at once when read (as the grid types them), not page by page: see Service.pages_as_sent
        async with aclosing(service.pages_as_sent(dataset, query, progress)) as pages:
            async for part in pages:
                frames.append(part)
                read += part.height
                if read >= ROW_LIMIT:
                    break
        complete = read < ROW_LIMIT
        if complete and count is not None and read != count and dataset.rows is not None:
            count = await service.count(replace(dataset, rows=None))  # the metadata's count may lag: ask the data
        if complete and count is not None and read != count:  # a page lost, a server's cap: not the whole dataset
            complete = False
            fewer = "fewer" if read < count else "more"
            short = f"the portal sent {fewer} rows than it counted (read {read:,}, counted {count:,})"
        if frames:
            frame = apply_schema(pl.concat(frames, how="vertical_relaxed"), dataset)
        elif complete:  # no rows at all: an empty dataset is a fingerprint too
            names = [dataset.key_field] if dataset.key_field else []
            frame = pl.DataFrame({n: [] for n in names + [f.name for f in dataset.fields if f.name not in names]})
        if count is None and complete:
            count = read
    when = taken or datetime.now(UTC)

    def compared() -> tuple[Fingerprint, Fingerprint | None, Changes | None]:
        # hashing 10,000 rows and reading and writing their hashes: in a thread, so that the app's screen never stalls
        fingerprint = take(dataset, frame, rows=count, taken=when, complete=complete)
        if short:
            fingerprint = replace(fingerprint, rows_note=short)
        before, problem = memory.last_look(portal, dataset.id, who)
        if problem and strict:
            raise StoreError(problem)
        changes = compare(before, fingerprint, frame) if before is not None else None
        if record:
            memory.keep_fingerprint(portal, fingerprint, who)
        return fingerprint, before, changes

    fingerprint, before, changes = await asyncio.to_thread(compared)
    return Look(fingerprint=fingerprint, before=before, changes=changes, frame=frame if complete else None)
