"""Loading every row of a dataset for a table (``pdxtui sql --use``, and the app's "load first"): page by page
through the service (fresh pages come from the cache), typed as the portal declares."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pdxtui.model import Dataset, Progress, Query
from pdxtui.sql.tables import Table, Tables

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.service import Preview, Service


async def all_rows(
    service: Service, dataset: Dataset, progress: Callable[[Progress], None] | None = None
) -> pl.DataFrame:
    """Every row of ``dataset``, read page by page (cancel the task to stop; nothing is kept then), typed as the
    grid types them (:meth:`pdxtui.service.Service.preview`): the declared types over all the rows at once. Typed
    page by page, a column whose text does not fit on one page only (a CSV's "n/a" on page 40) would be text there
    and numbers elsewhere, and joined as text the numbers would no longer read as the server sent them ("12.50"
    became "12.5")."""
    import polars as pl

    from pdxtui.frames import apply_schema
    from pdxtui.service import page_frame

    frames = [page_frame(page.table) async for page in service.portal.pages(dataset, Query(), progress)]

    def typed() -> pl.DataFrame:  # (in a thread: a million rows take a good part of a second to join and type)
        if not frames:
            return apply_schema(pl.DataFrame(schema={f.name: pl.String for f in dataset.fields}), dataset)
        return apply_schema(pl.concat(frames, how="vertical_relaxed", rechunk=False), dataset)

    return await asyncio.to_thread(typed)


async def load_into(
    tables: Tables,
    service: Service,
    dataset: Dataset,
    *,
    name: str | None = None,
    origin: str = "opened",
    secrets: Sequence[str] = (),
    progress: Callable[[Progress], None] | None = None,
) -> Table:
    """Read every row of ``dataset`` and put it in ``tables`` (as ``name``, or the name it has or gets), with
    where its rows came from (for the provenance of a result)."""
    from pdxtui.provenance import settled, source_for

    tables.name_for(dataset, name)  # a clash is said before any row is read
    read_at = datetime.now(UTC)
    source = source_for(service, dataset, Query(), secrets=secrets, scope="all", retrieved_at=read_at)
    frame = await all_rows(service, dataset, progress)
    source = settled(source, service, dataset, Query())
    # every row was read: the table is complete whatever the catalog's count said (it may lag)
    return tables.add(dataset, frame, frame.height, origin=origin, name=name, source=source, read_at=read_at)


def rows_filter(query: Query) -> str | None:
    """The filter rows read with ``query`` answer (its ``where`` and its distance filter, in words), or None when
    they are the dataset's rows."""
    from pdxtui.model import describe_near

    said = [text for text in ((query.where or "").strip(), describe_near(query.near)) if text]
    return " and ".join(said) or None


def add_preview(tables: Tables, preview: Preview, service: Service, *, secrets: Sequence[str] = ()) -> Table:
    """Put the rows a grid shows (``preview``, read from ``service``) in ``tables``: the frame as it is (not
    copied), the dataset's row count, the filter they were read with, and where they came from (the query read,
    for the provenance of a result). Rows loaded in full before are kept when these are not all
    (:meth:`Tables.add`). Cheap: nothing here reads the rows."""
    from dataclasses import replace

    from pdxtui.provenance import source_for

    query = preview.query
    where = rows_filter(query)
    total = preview.total if where is None else preview.dataset.rows
    everything = where is None and total is not None and preview.shown >= total
    read = replace(query, limit=None if everything else preview.shown, offset=0)
    source = source_for(
        service,
        preview.dataset,
        read,
        secrets=secrets,
        scope="all" if everything else "loaded",
        retrieved_at=preview.read_at,
    )
    return tables.add(preview.dataset, preview.frame, total, where=where, source=source, read_at=preview.read_at)
