"""The remembered datasets as tables: every recent and bookmark of a portal whose metadata is in the cache becomes a
table with no rows yet (``frame=None``: "not loaded"), so a query can name it; loading its rows later goes through
the service as for any table (:func:`pdxtui.sql.load.load_into`).

Nothing here sends a request: the metadata is read with :meth:`pdxtui.service.Service.cached_dataset` (a fresh or
a stale copy; the bundled snapshot answers as always), and a dataset the cache does not hold is left out. A damaged
memory file is set aside by the store, with a warning in ``memory.warnings`` for the caller to show.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from pdxtui.errors import NotCached, PdxError
from pdxtui.sql.tables import Tables

if TYPE_CHECKING:
    from pdxtui.memory.store import Memory
    from pdxtui.model import Dataset
    from pdxtui.service import Service

log = logging.getLogger(__name__)


def remembered_ids(memory: Memory, portal_key: str) -> list[tuple[str, str]]:
    """``(dataset id, origin)`` of the recents (newest first), then the bookmarks not among them: origin "recent"
    or "bookmark". Reads the memory file (call it from a thread)."""
    out: dict[str, str] = {}
    for entry in memory.recent(portal_key):
        out.setdefault(entry.id, "recent")
    for entry in memory.bookmarks(portal_key):
        out.setdefault(entry.id, "bookmark")
    if memory.unreadable and memory.unreadable not in memory.warnings:
        memory.warnings.append(memory.unreadable)
    return list(out.items())


def is_table(dataset: Dataset) -> bool:
    """Whether ``dataset`` has rows to query (not a map service's list of layers, nor an item that is no table)."""
    return bool(dataset.fields) and not dataset.layers


async def add_remembered(tables: Tables, service: Service, memory: Memory, portal_key: str) -> int:
    """Add each recent and bookmark of ``portal_key`` whose metadata is in the cache to ``tables``, with no rows
    yet (origin "recent" or "bookmark"); a dataset already there is left as it is (its rows, its name). Returns
    how many were added. No request is sent; a dataset the cache lacks (or that is no table) is left out."""
    remembered = await asyncio.to_thread(remembered_ids, memory, portal_key)
    opened = {table.dataset.id for table in tables}
    added = 0
    for dataset_id, origin in remembered:
        if dataset_id in opened:
            continue
        try:
            dataset = await service.cached_dataset(dataset_id)
        except NotCached:
            continue
        except PdxError as exc:  # a cached answer that says no (gone, not a table): not a table to offer
            log.info("remembered dataset %s left out: %s", dataset_id, exc)
            continue
        if not is_table(dataset) or tables.of(dataset) is not None:
            continue
        tables.add(dataset, None, origin=origin)
        opened.add(dataset_id)
        added += 1
    return added
