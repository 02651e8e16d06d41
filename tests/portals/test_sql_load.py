"""Loading every row of a dataset for a SQL table (``pdxtui.sql.load``) against each portal kind as its servers
page: ArcGIS offset paging, an old server's object-id batches and one that ignores resultOffset, Socrata's
$limit/$offset, CKAN's datastore and a CSV resource, and the bundled sample. No row lost or doubled, the same
rows and types as the grid's own reading of every row, a cancelled load leaving the table as it was; and the rows
a grid shows becoming a table (``add_preview``), a stale offline copy's included."""

from __future__ import annotations

import asyncio

import pytest

from pdxtui.model import Progress, Query
from pdxtui.service import Service
from pdxtui.session import open_session
from pdxtui.sql.load import add_preview, load_into, rows_filter
from pdxtui.sql.tables import Tables
from tests.support.fakeportal.fixtures import DATASETS

EVERYTHING = 10**9


@pytest.fixture
async def services():
    made: list[Service] = []

    def make(portal: str, **kw) -> Service:
        service = open_session(portal=portal).service(**kw)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.aclose()


# (fixture, portal string from the server's url, dataset id, its row id column, rows)
KINDS = {
    "arcgis offset pages": ("fake_arcgis", "arcgis:{}/hub", DATASETS["permits"].id, "OBJECTID", None),
    "arcgis old server, object id batches": (
        "fake_arcgis",
        "arcgis:{}/hub",
        DATASETS["sewer_manholes"].id,
        "OBJECTID",
        345,
    ),
    "arcgis server ignoring resultOffset": (
        "fake_arcgis",
        "arcgis:{}/hub",
        DATASETS["drinking_fountains"].id,
        "OBJECTID",
        257,
    ),
    "socrata": ("fake_socrata", "socrata:{}", "tree-0077", "tree_id", 77),
    "ckan datastore": ("fake_ckan", "ckan:{}", "street-trees", "tree_id", 2345),
    "ckan csv resource": ("fake_ckan", "ckan:{}", "bike-counts", None, 157),
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_every_row_once_typed_as_the_grid_types_it(kind, request, services):
    fixture, portal, ident, key, rows = KINDS[kind]
    server = request.getfixturevalue(fixture)
    service = services(portal.format(server.url))
    if kind == "socrata":
        service.portal.page_rows = 10  # type: ignore[attr-defined]  # SocrataPortal's: eight pages of 77 rows
    dataset = await service.dataset(ident)
    grid = (await service.preview(dataset, rows=EVERYTHING)).frame  # what L shows in the grid
    tables = Tables()
    seen: list[Progress] = []
    table = await load_into(tables, service, dataset, progress=seen.append)
    frame = table.frame
    assert frame is not None
    expected = rows if rows is not None else dataset.rows
    assert frame.height == grid.height == expected
    if key is not None:
        assert frame[key].n_unique() == expected  # no row doubled, none lost
    assert frame.schema == grid.schema  # typed as the grid types them (apply_schema), page by page or whole
    assert frame.equals(grid)
    assert table.complete and table.describe() == f"all {expected:,} rows"
    assert table.source.scope == "all" and table.source.query == Query()
    assert seen and seen[-1].rows == expected


async def test_the_bundled_sample_loads_whole(demo_service):
    dataset = await demo_service.dataset("942034da708da9f6719188b66b3f8782_220")  # Parks Tree Inventory
    grid = (await demo_service.preview(dataset, rows=EVERYTHING)).frame
    table = await load_into(Tables(), demo_service, dataset)
    assert table.frame is not None and table.frame.height == grid.height == dataset.rows == 25_534
    assert table.frame["OBJECTID"].n_unique() == dataset.rows
    assert table.frame.schema == grid.schema and table.frame.equals(grid)
    assert table.source.served_from == "bundled" and table.source.query_url is None


async def test_a_cancelled_load_leaves_the_table_as_it_was(fake_arcgis, services):
    service = services(f"arcgis:{fake_arcgis.url}/hub")
    dataset = await service.dataset(DATASETS["street_trees"].id)  # 20,437 rows, 500 a page
    tables = Tables()
    before = add_preview(tables, await service.preview(dataset, rows=1000), service)
    pages = 0

    def heard(step: Progress) -> None:
        nonlocal pages
        pages += 1
        if pages == 3:
            task.cancel()

    task = asyncio.ensure_future(load_into(tables, service, dataset, progress=heard))
    with pytest.raises(asyncio.CancelledError):
        await task
    (table,) = list(tables)
    assert table is before and table.loaded == 1000 and not table.complete
    assert table.describe() == "1,000 of 20,437 rows loaded"


async def test_a_preview_as_a_table_filtered_near_and_stale(fake_arcgis, services, quick_retries):
    portal = f"arcgis:{fake_arcgis.url}/hub"
    service = services(portal)
    trees = await service.dataset(DATASETS["heritage_trees"].id)
    shown = await service.preview(trees, rows=100, query=Query(where="HEIGHT > 50"))
    tables = Tables()
    table = add_preview(tables, shown, service, secrets=("s3cret",))
    assert table.frame is shown.frame and table.where == "HEIGHT > 50" and not table.complete
    assert table.total == trees.rows  # the dataset's rows; the rows loaded are those matching
    assert table.source.query.where == "HEIGHT > 50" and table.source.scope == "loaded"
    assert table.source.served_from == "network" and table.source.secrets == ("s3cret",)
    assert table.source.retrieved_at == shown.read_at

    # the same rows again, the portal down: the stale copy is served, and the table's source says so
    fake_arcgis.faults.set("reset")
    offline = services(portal, refresh=True)
    again = await offline.preview(await offline.dataset(trees.id), rows=100, query=Query(where="HEIGHT > 50"))
    assert add_preview(Tables(), again, offline).source.served_from == "stale"


def test_the_filter_rows_were_read_with():
    assert rows_filter(Query()) is None and rows_filter(Query(where="  ")) is None
    assert rows_filter(Query(where="A = 1")) == "A = 1"
    near = (45.5, -122.6, 200.0)
    assert rows_filter(Query(near=near)) == "within 200 m of 45.50000, -122.60000"
    assert rows_filter(Query(where="A = 1", near=near)) == "A = 1 and within 200 m of 45.50000, -122.60000"
