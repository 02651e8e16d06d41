"""Loading every row of a dataset for a table (``pdxtui sql --use``, and the app's "load first"): page by page
through the service (fresh pages come from the cache), typed as the portal declares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pdxtui.model import Dataset, Progress, Query
from pdxtui.sql.tables import Table, Tables

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.service import Service


async def all_rows(
    service: Service, dataset: Dataset, progress: Callable[[Progress], None] | None = None
) -> pl.DataFrame:
    """Every row of ``dataset``, read page by page (cancel the task to stop; nothing is kept then)."""
    import polars as pl

    from pdxtui.frames import apply_schema

    frames = [frame async for frame in service.stream(dataset, Query(), progress)]
    if not frames:
        return apply_schema(pl.DataFrame(schema={f.name: pl.String for f in dataset.fields}), dataset)
    return pl.concat(frames, how="vertical_relaxed", rechunk=False)


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
