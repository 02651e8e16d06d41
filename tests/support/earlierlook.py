"""An earlier look at a bundled dataset, kept in the user data folder (``PDXTUI_DATA_DIR``) before the app opens it:
the next open then finds what "changed" since, as if the dataset had been edited in between.

The earlier look is taken, with the core's own :func:`pdxtui.memory.fingerprint.take`, of the dataset's rows as
they are now, changed back: since then, rows ``ADDED`` were added, rows ``REMOVED`` removed (they are made-up rows,
copies of the first with these ids), rows ``EDITED`` edited (their COMMON name), the field NOTES added, DIAMETER
retyped Integer → Double, and the data-updated date moved. Its date is ``TAKEN``: fixed, so that screens showing
"Since 2026-11-20" do not depend on today.

Run by hand (``python -m tests.support.earlierlook [DATA_DIR]``) before ``python -m pdxtui --portal demo``, to see
the panel on Heritage Trees (rows keyed on OBJECTID, the bundled portal's row id). ``app_without_row_ids`` is the demo
app as a portal that gives no row id would be: rows are then keyed on their content.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import UTC, datetime

TAKEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ADDED = (5, 6, 7)
REMOVED = (9001, 9002)
EDITED = (10, 11)
HERITAGE_TREES = "63d4fe31021075f62edebe781978c0fc_26"


async def keep_earlier_look(dataset_id: str = HERITAGE_TREES, *, key_field: str | None = None, folder=None):
    """Keep the earlier look at ``dataset_id`` (bundled portal) in ``folder`` (default: the user data folder);
    ``key_field``: the row id column the dataset is given (None: as the portal says). Returns the fingerprint."""
    import polars as pl

    from pdxtui.memory.fingerprint import take
    from pdxtui.memory.store import Memory
    from pdxtui.model import Query
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service

    service = Service(BundledPortal(name="demo"))
    ds = await service.dataset(dataset_id)
    if key_field is not None:
        ds = replace(ds, key_field=key_field)
    frame = pl.concat([part async for part in service.stream(ds, Query(with_key=True))], how="vertical_relaxed")
    ids = pl.col("OBJECTID")
    first = frame.head(1)
    gone = pl.concat([first.with_columns(pl.lit(i, frame["OBJECTID"].dtype).alias("OBJECTID")) for i in REMOVED])
    earlier = (
        pl.concat([frame.filter(~ids.is_in(ADDED)), gone])
        .with_columns(pl.when(ids.is_in(EDITED)).then(pl.lit("(its earlier name)")).otherwise("COMMON").alias("COMMON"))
        .drop("NOTES")
    )
    fields = tuple(
        replace(f, type="esriFieldTypeInteger", kind="integer") if f.name == "DIAMETER" else f
        for f in ds.fields
        if f.name != "NOTES"
    )
    before = replace(ds, fields=fields, data_updated=datetime(2024, 12, 2, tzinfo=UTC))
    fingerprint = take(before, earlier, rows=earlier.height, taken=TAKEN, complete=True)
    Memory(folder).keep_fingerprint("bundled", fingerprint)
    return fingerprint


async def open_after_earlier_look(pilot, *keys: str) -> None:
    """In a running app (the demo portal): keep the earlier look at Heritage Trees, open it, then press ``keys``
    ("w": the full list, "d": the changed rows). For the snapshots and the screenshots."""
    from tests.support.uihelpers import settle

    await keep_earlier_look()
    await settle(pilot)
    pilot.app.screen.open_dataset(HERITAGE_TREES)
    await settle(pilot)
    if keys:
        await pilot.press(*keys)
    await settle(pilot)


def app_without_row_ids():
    """The demo app, its datasets given no row id column (as a portal without one): rows keyed on their content."""
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp

    portal = BundledPortal(name="demo")
    plain = portal.dataset

    async def dataset(dataset_id: str):
        return replace(await plain(dataset_id), key_field="")

    portal.dataset = dataset  # type: ignore[method-assign]  # (a test double of a portal that names no row id)
    return PdxApp(Service(portal))


if __name__ == "__main__":
    print(asyncio.run(keep_earlier_look(folder=sys.argv[1] if len(sys.argv) > 1 else None)).row_hashes is not None)
