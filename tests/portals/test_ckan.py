"""The CKAN portal against the fake CKAN site: search, facets, show, resources, datastore pages, CSV resources,
envelope errors, retries, the cache and the token."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import stamina

from pdxtui.cache import Store
from pdxtui.errors import NotFound, PdxError, PortalError
from pdxtui.model import Query, SearchRequest
from pdxtui.net import Fetcher, make_client
from pdxtui.portals import open_portal, parse_portal
from pdxtui.portals.ckan import (
    CKANPortal,
    build_fq,
    envelope_error,
    pg_kind,
    solr_phrase,
    split_id,
)
from pdxtui.service import Service

TREES_RID = "3f1c2a9e-1111-4c1e-9a7b-000000000001"
TREES_PDF = "3f1c2a9e-1111-4c1e-9a7b-000000000002"
BUDGET_2023 = "c0ffee00-3333-4e3f-9c9d-000000002023"
BUDGET_2024 = "c0ffee00-3333-4e3f-9c9d-000000002024"
BIKES_RID = "7b2d4c6e-2222-4d2e-8b8c-000000000001"


@pytest.fixture
def server(fake_ckan):
    return fake_ckan


@pytest.fixture
def app(fake_ckan):
    return fake_ckan.apps["ckan"]


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "cache")
    yield s
    s.close()


@pytest.fixture
def fast():
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
async def make(store):
    """make(server, **fetcher_options) -> a CKANPortal on the fake sharing the test's cache store."""
    made: list[CKANPortal] = []

    def factory(server, *, refresh: bool = False, **kw) -> CKANPortal:
        kw.setdefault("store", store)
        kw.setdefault("client", make_client(timeout_connect=2, timeout_read=5, trust_env=False))
        spec = parse_portal(f"ckan:{server.url}")
        portal = CKANPortal(spec, Fetcher(f"ckan:{spec.url}", **kw), refresh=refresh, close_fetcher=False)
        made.append(portal)
        return portal

    yield factory
    for portal in made:
        client = portal._fetcher.client if portal._fetcher else None
        await portal.aclose()
        if client is not None:
            await client.aclose()


async def collect(portal, dataset, query=Query(), progress=None):
    return [page async for page in portal.pages(dataset, query, progress)]


def actions(server, name):
    return server.requests_to(f"/api/3/action/{name}")


def searches(server):
    """The package_search requests that fetched datasets (not the rows=0 facet counts)."""
    return [r for r in actions(server, "package_search") if r.params.get("rows") != "0"]


FACET_WIRE = {"facet.field": '["organization", "groups", "tags"]', "facet.limit": "100"}


# -- small parts ---------------------------------------------------------------------------------------------------


def test_open_portal_dispatches_and_labels():
    portal = open_portal(parse_portal("ckan:https://catalog.data.gov"))
    assert isinstance(portal, CKANPortal)
    assert portal.kind == "ckan" and portal.label == "CKAN: catalog.data.gov"
    assert portal.capabilities == frozenset()
    assert open_portal(parse_portal("datagov")).api == "https://catalog.data.gov/api/3/action"


def test_small_parsers():
    assert solr_phrase('say "hi" \\ there') == '"say \\"hi\\" \\\\ there"'
    assert build_fq("parks", None, "urban forestry") == 'organization:"parks" AND tags:"urban forestry"'
    assert build_fq() == ""
    assert split_id("pkg/abc-1") == ("pkg", "abc-1") and split_id(" pkg ") == ("pkg", "")
    assert [
        pg_kind(t)
        for t in ("text", "numeric", "int4", "int8", "float8", "timestamp", "date", "bool", "_text", "jsonb", "weird")
    ] == ["string", "float", "integer", "integer", "float", "datetime", "date", "boolean", "json", "json", "string"]
    assert envelope_error({"__type": "Not Found Error", "message": "Not found"}) == ("Not Found Error", "Not found")
    assert envelope_error({"__type": "Validation Error", "rows": ["Invalid integer"]}) == (
        "Validation Error",
        "rows: Invalid integer",
    )


# -- search and facets ---------------------------------------------------------------------------------------------


async def test_search_whole_catalog_newest_first(server, make):
    portal = make(server)
    result = await portal.search(SearchRequest(limit=100))
    assert result.total == 5
    assert [h.id for h in result.hits] == [
        "city-budget",
        "street-trees",
        "bike-counts",
        "council-minutes",
        "park-boundaries",
    ]
    trees = result.hits[1]
    assert trees.title == "Street Tree Inventory" and trees.owner == "Parks Department"
    assert trees.updated == datetime(2024, 6, 30, 12, tzinfo=UTC)
    assert trees.categories == ("Environment",) and "urban forestry" in trees.tags
    assert trees.type == "CSV, PDF"
    (request,) = actions(server, "package_search")  # the facet counts over the matches come with the same answer
    assert request.params == {"sort": "metadata_modified desc", "rows": "100", "start": "0", **FACET_WIRE}


async def test_search_text_paging_and_facet_filters(server, make):
    portal = make(server)
    result = await portal.search(SearchRequest(text="budget"))
    assert [h.id for h in result.hits] == ["city-budget"] and result.total == 1
    assert actions(server, "package_search")[-1].params["q"] == "budget"
    assert "sort" not in actions(server, "package_search")[-1].params
    page = await portal.search(SearchRequest(limit=2, offset=1))
    assert [h.id for h in page.hits] == ["street-trees", "bike-counts"] and page.total == 5
    # facets come as display titles; the filter goes out as the organization's name
    await portal.facets()
    owned = await portal.search(SearchRequest(owner="Parks Department", tag="trees"))
    assert [h.id for h in owned.hits] == ["street-trees"]
    assert searches(server)[-1].params["fq"] == 'organization:"parks-department" AND tags:"trees"'
    grouped = await portal.search(SearchRequest(category="Finance"))
    assert [h.id for h in grouped.hits] == ["city-budget"]
    assert searches(server)[-1].params["fq"] == 'groups:"finance"'


async def test_search_facets_count_the_matches_each_without_its_own_choice(server, make):
    portal = make(server)
    whole = await portal.facets()
    found = await portal.search(SearchRequest(text="budget"))
    assert found.facets is not None and found.facets.owners == (("City of Springfield", 1),)
    assert found.facets.categories == (("Finance", 1),) and found.facets.owners != whole.owners
    assert len(searches(server)) == 1  # from the search's own answer: no extra request
    chosen = await portal.search(SearchRequest(owner="Parks Department"))
    assert chosen.facets is not None
    assert chosen.facets.owners == whole.owners  # the organization chosen still lists the others to switch to
    assert chosen.facets.categories == (("Environment", 2),)  # the groups and tags of its 2 datasets only
    assert ("parks", 1) in chosen.facets.tags and ("budget", 1) not in chosen.facets.tags
    grouped = await portal.search(SearchRequest(text="environment", category="Environment"))
    assert grouped.facets is not None and grouped.facets.categories == (("Environment", 1),)
    recount = actions(server, "package_search")[-1]  # one rows=0 request per chosen facet, without that facet
    assert recount.params["rows"] == "0" and recount.params["q"] == "environment" and "fq" not in recount.params


async def test_a_failed_facet_recount_keeps_the_search_and_that_facet(server, make, fast):
    portal = make(server)
    body = '{"success": false, "error": {"__type": "Search Error", "message": "facets are down"}}'
    server.faults.set("error200", path_contains="package_search?rows=0", count=None, body=body)
    result = await portal.search(SearchRequest(tag="trees"))  # the recount without the tag fails
    assert [h.id for h in result.hits] == ["street-trees"]
    assert result.facets is not None and result.facets.kept == frozenset({"tag"})
    assert result.facets.owners == (("Parks Department", 1),)  # the other facets come from the search itself


async def test_facets_from_search_facets(server, make):
    facets = await make(server).facets()
    assert facets.owners == (("City of Springfield", 3), ("Parks Department", 2))
    assert facets.categories == (("Environment", 2), ("Finance", 1), ("Transportation", 1))
    assert ("trees", 1) in facets.tags and len(facets.tags) == 10
    (request,) = actions(server, "package_search")
    assert request.params["rows"] == "0"
    assert json.loads(request.params["facet.field"]) == ["organization", "groups", "tags"]


# -- metadata and resources ----------------------------------------------------------------------------------------


async def test_show_datastore_dataset(server, make):
    ds = await make(server).dataset("street-trees")
    assert ds.id == "street-trees" and ds.title == "Street Tree Inventory"
    assert ds.owner == "Parks Department" and ds.licence.startswith("Open Data Commons")
    assert ds.update_frequency == "Annually"
    assert ds.updated == datetime(2024, 6, 30, 12, tzinfo=UTC)
    assert ds.created == datetime(2019, 5, 2, 17, 4, 11, 123456, tzinfo=UTC)
    assert "<p>" not in ds.description and "& checked yearly" in ds.description
    assert ds.categories == ("Environment",) and ds.tags == ("trees", "urban forestry", "environment")
    assert ds.rows == 2345 and ds.resource == TREES_RID
    assert [(r.name, r.format, r.tabular, r.datastore) for r in ds.resources] == [
        ("Street trees (table)", "CSV", True, True),
        ("Data dictionary", "PDF", False, False),
    ]
    assert [(f.name, f.type, f.kind) for f in ds.fields] == [
        ("tree_id", "int4", "integer"),
        ("species", "text", "string"),
        ("diameter", "numeric", "float"),
        ("height_ft", "int8", "integer"),
        ("planted", "date", "date"),
        ("inspected", "timestamp", "datetime"),
        ("healthy", "bool", "boolean"),
        ("address", "text", "string"),
    ]
    assert ds.fields[0].alias == "Tree ID" and ds.fields[0].description == "Inventory number"
    assert ds.page_url == f"{server.url}/dataset/street-trees"
    assert ds.api_url == f"{server.url}/api/3/action/datastore_search?resource_id={TREES_RID}"
    shows = actions(server, "package_show")
    assert [r.params for r in shows] == [{"id": "street-trees"}]
    assert actions(server, "datastore_search")[0].params == {"resource_id": TREES_RID, "limit": "0"}


async def test_resources_pick_and_choose(server, make):
    portal = make(server)
    default = await portal.dataset("city-budget")
    assert default.resource == BUDGET_2023 and default.rows == 40  # datastore first
    assert sum(r.tabular for r in default.resources) == 2 and len(default.resources) == 3
    other = await portal.dataset(f"city-budget/{BUDGET_2024}")
    assert other.id == f"city-budget/{BUDGET_2024}" and other.resource == BUDGET_2024 and other.rows == 25
    frame = (await Service(portal).preview(other, rows=100)).frame
    assert frame.height == 25 and frame["approved"].to_list()[0] == date(2024, 6, 15)
    with pytest.raises(NotFound, match="no resource 'nope'"):
        await portal.dataset("city-budget/nope")
    with pytest.raises(NotFound, match=r"no dataset with id 'missing' on CKAN: 127.0.0.1"):
        await portal.dataset("missing")


# -- rows ----------------------------------------------------------------------------------------------------------


async def test_datastore_pages_exactly_and_typed(server, make, app):
    portal = make(server)
    ds = await portal.dataset("street-trees")
    seen = []
    pages = await collect(portal, ds, progress=seen.append)
    assert [(p.offset, p.table.num_rows, p.total) for p in pages] == [
        (0, 1000, 2345),
        (1000, 1000, 2345),
        (2000, 345, 2345),
    ]
    assert seen[-1].rows == 2345 and seen[-1].total == 2345
    ids = [v for p in pages for v in p.table.column("tree_id").to_pylist()]
    assert ids == list(range(100000, 102345))
    rows = sorted(
        (r.params for r in actions(server, "datastore_search") if r.params["limit"] != "0"),
        key=lambda p: int(p["offset"]),
    )
    # the last page asks for a full page: rows added since the count come along (a short page ends it)
    assert [(p["limit"], p["offset"]) for p in rows] == [("1000", "0"), ("1000", "1000"), ("1000", "2000")]
    # every page is ordered by _id: the fake hands unsorted pages out in a different order per page size
    assert all(p.get("sort") == "_id asc" for p in rows)
    frame = (await Service(portal).preview(ds, rows=5)).frame
    expected = app.package("street-trees").resources[0].datastore.rows[0]
    assert str(frame.schema["tree_id"]) == "Int64" and str(frame.schema["diameter"]) == "Float64"
    assert str(frame.schema["planted"]) == "Date" and str(frame.schema["healthy"]) == "Boolean"
    assert str(frame.schema["inspected"]).startswith("Datetime")
    first = frame.row(0, named=True)
    assert first["planted"] == expected["planted"] and first["healthy"] is expected["healthy"]
    assert first["diameter"] == expected["diameter"] and first["species"] == expected["species"]
    assert first["inspected"].replace(tzinfo=None) == expected["inspected"]


async def test_datastore_limit_offset_and_columns(server, make):
    portal = make(server)
    ds = await portal.dataset("street-trees")
    pages = await collect(portal, ds, Query(columns=("species", "tree_id"), offset=1990, limit=20))
    assert [(p.offset, p.table.num_rows) for p in pages] == [(1990, 20)]
    assert pages[0].table.column_names == ["species", "tree_id"]
    assert pages[0].table.column("tree_id").to_pylist() == list(range(101990, 102010))
    empty = await collect(portal, ds, Query(offset=5000))
    assert len(empty) == 1 and empty[0].table.num_rows == 0 and empty[0].table.num_columns == 8
    assert await portal.count(ds, Query()) == 2345


async def test_csv_resource_without_datastore(server, make, store):
    portal = make(server)
    ds = await portal.dataset("bike-counts")
    assert ds.rows == 157 and ds.resource == BIKES_RID
    assert ds.api_url.endswith("package_show?id=bike-counts")
    assert [(f.name, f.kind) for f in ds.fields] == [
        ("station", "string"),
        ("day", "date"),
        ("riders", "integer"),
        ("avg_speed_mph", "float"),
        ("weekday", "boolean"),
        ("counted_at", "datetime"),
        ("note", "string"),
    ]
    frame = (await Service(portal).preview(ds, rows=1000)).frame
    assert frame.height == 157
    assert frame["station"].to_list()[:3] == ["007", "012", "031"]  # leading zeros kept: text, not numbers
    assert frame["day"].to_list()[0] == date(2024, 3, 1) and frame["weekday"].to_list()[0] is True
    assert str(frame.schema["riders"]) == "Int64" and str(frame.schema["avg_speed_mph"]) == "Float64"
    downloads = server.requests_to("/download/")
    assert len(downloads) == 1  # metadata and rows share one download
    pages = await collect(portal, ds, Query(offset=150, limit=100))
    assert [(p.offset, p.table.num_rows, p.total) for p in pages] == [(150, 7, 157)]
    assert not server.requests_to("/api/3/action/datastore_search")
    # a new portal on the same cache reads the file from there
    again = make(server)
    await collect(again, await again.dataset("bike-counts"))
    assert len(server.requests_to("/download/")) == 1 and again.state.source == "cache"


async def test_csv_resource_filter_and_order_run_here(server, make):
    portal = make(server)
    ds = await portal.dataset("bike-counts")
    pages = await collect(portal, ds, Query(where="station = '007'", order=(("riders", True),)))
    table = pages[0].table
    assert set(table.column("station").to_pylist()) == {"007"}
    riders = table.column("riders").to_pylist()
    assert riders == sorted(riders, reverse=True) and len(riders) == 32
    assert await portal.count(ds, Query(where="station = '007'")) == 32


async def test_datastore_refuses_server_filters_and_sorts(server, make):
    portal = make(server)
    ds = await portal.dataset("street-trees")
    with pytest.raises(PdxError, match="cannot filter or sort"):
        await collect(portal, ds, Query(order=(("species", False),)))
    with pytest.raises(PdxError, match="cannot filter or sort"):
        await portal.count(ds, Query(where="healthy = true"))


async def test_non_tabular_resources_say_so(server, make):
    portal = make(server)
    minutes = await portal.dataset("council-minutes")
    assert minutes.fields == () and minutes.resource == "" and minutes.resources[0].format == "PDF"
    with pytest.raises(PdxError, match=r"no tabular resource to preview \(PDF\)"):
        await collect(portal, minutes)
    pdf = await portal.dataset(f"street-trees/{TREES_PDF}")
    assert pdf.resource == TREES_PDF and pdf.fields == ()
    with pytest.raises(PdxError, match=r"this resource has no tabular preview \(PDF\)"):
        await collect(portal, pdf)
    shapes = await portal.dataset("park-boundaries")
    with pytest.raises(PdxError, match=r"\(ZIP\)"):
        await Service(portal).preview(shapes)
    assert not server.requests_to("/download/")  # nothing that is not a table is downloaded


def test_query_url(server):
    from pdxtui.model import Dataset, Field, Resource

    portal = CKANPortal(parse_portal(f"ckan:{server.url}"))
    fields = (Field("species", "text", "string"), Field("healthy", "bool", "boolean"))
    ds = Dataset(
        id="street-trees",
        title="T",
        fields=fields,
        resource="r1",
        api_url=f"{portal.api}/datastore_search?resource_id=r1",
        resources=(Resource("r1", "t", "CSV", "http://x/t.csv", True, True),),
    )
    assert portal.query_url(ds, Query()) == f"{server.url}/api/3/action/datastore_search?resource_id=r1"
    url = portal.query_url(ds, Query(where="species = 'Acer rubrum'", limit=50))
    assert "filters=%7B%22species%22%3A%22Acer%20rubrum%22%7D" in url and url.endswith("&limit=50")
    assert "filters" not in portal.query_url(ds, Query(where="species ~ acer"))  # not exact: no filters
    csv = Dataset(id="b", title="B", resource="r2", resources=(Resource("r2", "b", "CSV", "http://x/b.csv", True),))
    assert portal.query_url(csv, Query()) == "http://x/b.csv"


# -- the local path end to end: export with a filter CKAN cannot run -------------------------------------------------


async def test_export_filters_datastore_rows_locally(server, make, app, tmp_path):
    from pdxtui.export import export_query

    portal = make(server)
    service = Service(portal)
    ds = await service.dataset("street-trees")
    assert not service.can("filter") and not service.can("sort")
    out = tmp_path / "maples.csv"
    await export_query(service, ds, out, query=Query(where="species = 'Acer rubrum' and healthy = true"))
    rows = app.package("street-trees").resources[0].datastore.rows
    expected = [r["tree_id"] for r in rows if r["species"] == "Acer rubrum" and r["healthy"]]
    import polars as pl

    written = pl.read_csv(out)
    assert written["tree_id"].to_list() == expected and len(expected) > 100
    # the filter never went to the server: CKAN cannot run it; every page was read
    assert all("filters" not in r.params and "q" not in r.params for r in actions(server, "datastore_search"))


# -- errors --------------------------------------------------------------------------------------------------------


async def test_envelope_on_http_200_is_an_error_and_not_cached(server, make, app, store):
    portal = make(server)
    app.envelope_on_200.add("package_show")
    with pytest.raises(PortalError) as caught:
        await portal.dataset("street-trees")
    message = str(caught.value)
    assert message.startswith("CKAN: 127.0.0.1: ") and "package_show failed: Internal Error: Solr returned" in message
    assert "\n" not in message
    assert store.info()["entries"] == 0
    app.envelope_on_200.clear()
    assert (await portal.dataset("street-trees")).rows == 2345
    assert len(actions(server, "package_show")) == 2


async def test_validation_and_search_errors_read_from_the_envelope(server, make, store):
    portal = make(server)
    with pytest.raises(PortalError) as caught:
        await portal._action("package_search", {"rows": "many"}, "catalog", "searching the catalog")
    assert str(caught.value) == (
        "CKAN: 127.0.0.1: searching the catalog: package_search failed: Validation Error: rows: Invalid integer"
    )
    with pytest.raises(PortalError, match="Search Query Error: Search Query is invalid"):
        await portal._action("package_search", {"sort": "sideways"}, "catalog", "searching the catalog")
    with pytest.raises(PortalError, match=r'Not Found Error: Not found: Resource "nope" was not found'):
        await portal._action("datastore_search", {"resource_id": "nope"}, "rows", "reading rows")
    assert store.info()["entries"] == 0


async def test_error_switch_from_the_server_gives_one_line(server, make, store):
    body = json.dumps(
        {"help": "h", "success": False, "error": {"__type": "Authorization Error", "message": "Access denied"}}
    ).encode()
    server.faults.set("error200", path_contains="package_search", body=body)
    with pytest.raises(PortalError) as caught:
        await make(server).search(SearchRequest())
    assert str(caught.value) == (
        "CKAN: 127.0.0.1: searching the catalog: package_search failed: Authorization Error: Access denied"
    )
    assert store.info()["entries"] == 0


async def test_not_ckan_at_all(server, make):
    server.faults.set("html200")
    with pytest.raises(PortalError, match=r"CKAN: 127.0.0.1: .*HTML"):
        await make(server).search(SearchRequest())


async def test_retries_429_and_5xx(server, make, fast):
    portal = make(server)
    fault = server.faults.set("429", path_contains="package_search", count=2, retry_after=0)
    assert (await portal.search(SearchRequest())).total == 5
    assert fault.fired == 2 and len(actions(server, "package_search")) == 3
    ds = await portal.dataset("street-trees")
    server.faults.set("503_after_stall", path_contains="offset=1000", count=2, seconds=0)
    pages = await collect(portal, ds)
    assert sum(p.table.num_rows for p in pages) == 2345
    assert len([r for r in actions(server, "datastore_search") if r.params.get("offset") == "1000"]) == 3


async def test_gives_up_with_a_line_naming_the_portal(server, make, fast):
    server.faults.set("500", path_contains="package_show")
    with pytest.raises(PortalError) as caught:
        await make(server, attempts=2).dataset("street-trees")
    assert str(caught.value).startswith("CKAN: 127.0.0.1: reading the dataset street-trees: ")
    assert "500" in str(caught.value)


# -- the token -----------------------------------------------------------------------------------------------------


TOKEN = "ckan-TOKEN-abc123-secret"


def _config(tmp_path, url):
    path = tmp_path / "pdx.toml"
    path.write_text(f'[portals.town]\nkind = "ckan"\nurl = "{url}"\n[tokens]\ntown = "{TOKEN}"\n', encoding="utf-8")
    return path


async def test_token_sent_as_authorization_and_kept_out_of_the_cache(server, app, tmp_path, fast):
    from pdxtui.session import open_session

    cache = tmp_path / "cache-folder"
    session = open_session("town", cache_dir=str(cache), config_path=str(_config(tmp_path, server.url)))
    app.require_token = TOKEN
    service = session.service()
    try:
        await service.search(SearchRequest())
        await service.facets()
        for ident in ("street-trees", "bike-counts"):
            ds = await service.dataset(ident)
            await service.preview(ds, rows=2000)
        server.faults.set("500", path_contains="package_show", count=5)
        with pytest.raises(PortalError) as caught:
            await service.dataset("city-budget")
        assert TOKEN not in str(caught.value)
    finally:
        await service.aclose()
    assert set(app.tokens_seen) == {TOKEN}
    assert all(r.headers.get("authorization") == TOKEN for r in server.requests)
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files and sum(p.stat().st_size for p in files) > 100_000  # pages really were cached
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path


async def test_token_stays_on_the_portal_host(server):
    portal = CKANPortal(
        parse_portal(f"ckan:{server.url}"), Fetcher("ckan:x", token=TOKEN, token_header="Authorization")
    )
    try:
        assert portal._fetcher_for(f"{server.url}/dataset/x/resource/y/download/z.csv").token == TOKEN
        offsite = portal._fetcher_for("https://files.example.org/z.csv")
        assert offsite.token is None and offsite.client is portal.fetcher.client
    finally:
        await portal.aclose()


async def test_wrong_token_is_an_authorization_error(server, app, tmp_path):
    from pdxtui.session import open_session

    app.require_token = "something-else"
    session = open_session("town", cache_dir=str(tmp_path / "c"), config_path=str(_config(tmp_path, server.url)))
    service = session.service()
    try:
        with pytest.raises(PortalError) as caught:
            await service.search(SearchRequest())
    finally:
        await service.aclose()
    assert str(caught.value) == (
        "CKAN: 127.0.0.1: searching the catalog: package_search failed: Authorization Error: Access denied"
    )


async def test_site_under_a_path_and_odd_resource_spellings():
    from pdxtui.model import Resource
    from pdxtui.portals.ckan import to_resource
    from tests.support.fakeportal.ckan import start_ckan_server

    server = start_ckan_server(prefix="/data")  # CKAN sites may live under a path (ckan.root_path)
    try:
        portal = CKANPortal(parse_portal(f"ckan:{server.url}/data/"))
        try:
            assert portal.api == f"{server.url}/data/api/3/action"
            ds = await portal.dataset("bike-counts")
            assert ds.rows == 157 and ds.page_url == f"{server.url}/data/dataset/bike-counts"
            assert ds.resources[0].url.startswith(f"{server.url}/data/dataset/bike-counts/resource/")
        finally:
            await portal.aclose()
    finally:
        server.stop()
    assert to_resource({"id": "r", "format": ".csv", "url": "/uploads/x.csv"}, "https://s.org/data") == Resource(
        "r", "r", ".csv", "https://s.org/data/uploads/x.csv", True, False
    )
    assert to_resource({"id": "r", "format": "", "url": "https://x.org/a.xlsx?dl=1"}).format == "XLSX"
    assert not to_resource({"id": "r", "format": "XLSX", "url": "https://x.org/a.xlsx"}).tabular


async def test_truncated_and_reset_answers_are_errors_not_cache_entries(server, make, store, fast):
    portal = make(server, attempts=2)
    server.faults.set("truncated_json", path_contains="package_show")
    with pytest.raises(PortalError) as caught:
        await portal.dataset("street-trees")
    assert str(caught.value).startswith("CKAN: 127.0.0.1: reading the dataset street-trees: ")
    assert "not valid JSON" in str(caught.value)
    assert store.info()["entries"] == 0
    server.faults.clear()
    ds = await portal.dataset("bike-counts")
    reset = server.faults.set("reset", path_contains="/download/", count=1)
    pages = await collect(make(server, refresh=True), ds)  # the CSV is fetched again: reset once, then retried
    assert pages[0].table.num_rows == 157 and reset.fired == 1
    assert len(server.requests_to("/download/")) == 3


async def test_csv_resource_that_is_a_web_page(server, make, store):
    portal = make(server)
    server.faults.set("html200", path_contains="/download/")
    ds = await portal.dataset("bike-counts")  # the metadata still opens
    assert ds.title == "Bicycle Counts by Station" and ds.fields == () and ds.resource
    with pytest.raises(PortalError) as caught:
        await Service(portal).preview(ds)
    assert str(caught.value) == (
        "CKAN: 127.0.0.1: downloading the CSV file of Bicycle Counts by Station "
        "(Bike counts 2024): the server sent a web page (HTML), not CSV"
    )
    server.faults.clear()
    frame = (await Service(portal).preview(ds)).frame  # once the file is back, the rows come
    assert frame.height == 157 and frame.columns[0] == "station"


async def test_offline_serves_the_cached_copy_and_says_so(server, make):
    first = make(server)
    await first.search(SearchRequest())
    ds = await first.dataset("street-trees")
    await collect(first, ds, Query(limit=10))
    server.stop()
    again = make(server, refresh=True, attempts=1, connect_attempts=1)
    result = await again.search(SearchRequest())
    assert result.total == 5 and again.state.source == "stale"
    pages = await collect(again, await again.dataset("street-trees"), Query(limit=10))
    assert pages[0].table.num_rows == 10 and again.state.source == "stale"


async def test_datastore_table_missing_falls_back_to_the_csv_file(server, make, app):
    app.datastore_gone.add(BUDGET_2023)
    portal = make(server)
    ds = await portal.dataset("city-budget")
    assert ds.resource == BUDGET_2023 and ds.rows == 40 and ds.api_url.endswith("package_show?id=city-budget")
    frame = (await Service(portal).preview(ds)).frame
    assert frame.height == 40 and str(frame.schema["amount"]) == "Float64"
    assert server.requests_to("/download/budget_2023.csv")
    assert Service(portal).api_url(ds, Query()).endswith("/download/budget_2023.csv")  # not the missing table
    app.datastore_gone.add(TREES_RID)
    trees = app.package("street-trees").resources[0]
    trees.format, trees.filename = "XLSX", "street_trees.xlsx"
    with pytest.raises(PortalError) as caught:
        await make(server).dataset("street-trees")  # not a CSV: nothing to fall back to, so CKAN's word stands
    assert str(caught.value) == (
        "CKAN: 127.0.0.1: reading the columns of Street Tree Inventory: datastore_search failed: "
        f'Not Found Error: Not found: Resource "{TREES_RID}" was not found.'
    )


# -- reviewer's defects ----------------------------------------------------------------------------------------


def _ids(pages):
    return [i for page in pages for i in page.table.column("tree_id").to_pylist()]


@pytest.mark.parametrize("with_total", [True, False])
async def test_datastore_rows_added_after_the_count_are_delivered(server, make, app, with_total):
    """The row count comes from metadata that may be a day old: rows added since are read too, whether the
    datastore's pages report the new ``total`` or no total at all (then paging goes on while pages are full)."""
    portal = make(server)
    ds = await portal.dataset("street-trees")
    assert ds.rows == 2345
    table = app.package("street-trees").resources[0].datastore
    table.rows.extend(dict(r, tree_id=r["tree_id"] + 10000) for r in table.rows[:700])
    if not with_total:
        app.no_total.add(TREES_RID)
    expected = [r["tree_id"] for r in table.rows]
    assert len(expected) == 3045
    assert _ids(await collect(portal, ds)) == expected
    # a limit still stops where it was asked to, past the old count
    pages = await collect(portal, ds, Query(offset=2000, limit=900))
    assert _ids(pages) == expected[2000:2900]


async def test_datastore_without_a_total_is_not_empty(server, make, app):
    """A datastore that reports no ``total`` (None) has rows all the same: page until a short page."""
    app.no_total.add(TREES_RID)
    portal = make(server)
    ds = await portal.dataset("street-trees")
    assert ds.rows is None
    expected = [r["tree_id"] for r in app.package("street-trees").resources[0].datastore.rows]
    assert _ids(await collect(portal, ds)) == expected
    assert _ids(await collect(portal, ds, Query(offset=100, limit=1500))) == expected[100:1600]
    assert _ids(await collect(portal, ds, Query(offset=2000))) == expected[2000:]
    empty = await collect(portal, ds, Query(offset=5000))
    assert len(empty) == 1 and empty[0].table.num_rows == 0


@pytest.mark.serial  # asserts a wall-clock bound (< 2 s)
async def test_show_does_not_wait_for_the_whole_csv_file(server, make, app):
    """dataset() types the columns from the start of the CSV file; the whole file waits for pages()."""
    import time

    from tests.support.fakeportal.ckan import bikes_table

    bikes = app.package("bike-counts").resources[0]
    bikes.file = bikes_table(20000)  # about 1 MB
    server.faults.set("stall", path_contains="/download/", seconds=3.0)  # half the file, then 3 s of nothing
    portal = make(server, client=make_client(timeout_connect=2, timeout_read=10, trust_env=False))
    began = time.monotonic()
    ds = await portal.dataset("bike-counts")
    assert time.monotonic() - began < 2.0
    assert {f.name: f.kind for f in ds.fields} == {
        "station": "string",
        "day": "date",
        "riders": "integer",
        "avg_speed_mph": "float",
        "weekday": "boolean",
        "counted_at": "datetime",
        "note": "string",
    }
    server.faults.clear()
    pages = await collect(portal, ds)
    assert sum(p.table.num_rows for p in pages) == 20000
    assert str(pages[0].table.column("riders").type) == "int64"


async def test_csv_column_the_whole_file_contradicts_falls_back_to_text(server, make, app):
    """A column that looks whole-numbered in the sample but is not further down is read as text (nothing is
    lost), and the dataset's fields say so."""
    from tests.support.fakeportal.ckan import bikes_table

    bikes = app.package("bike-counts").resources[0]
    bikes.file = bikes_table(20000)
    bikes.file.rows[-1]["riders"] = "n/a"
    bikes.file.rows[-2]["avg_speed_mph"] = 12  # a whole number in a float column still fits as float
    portal = make(server)
    ds = await portal.dataset("bike-counts")
    kinds = {f.name: f.kind for f in ds.fields}
    assert kinds["riders"] == "integer" and kinds["avg_speed_mph"] == "float"
    pages = await collect(portal, ds)
    riders = [v for p in pages for v in p.table.column("riders").to_pylist()]
    speeds = [v for p in pages for v in p.table.column("avg_speed_mph").to_pylist()]
    assert riders[-1] == "n/a" and riders[0] == str(bikes.file.rows[0]["riders"]) and None not in riders
    assert speeds[-2] == 12.0 and isinstance(speeds[0], float)
    again = await portal.dataset("bike-counts")
    assert {f.name: f.kind for f in again.fields}["riders"] == "string"
    assert await portal.count(ds, Query()) == 20000


async def test_type_override_not_yet_applied_keeps_the_real_type(server, make, app):
    """A Data Dictionary ``type_override`` that a datastore reload has not applied yet: the values are still
    text, so the column is read by its real ``type`` (no "false" turned True, no "1,234" turned null)."""
    table = app.package("street-trees").resources[0].datastore
    table.fields.append({"id": "checked", "type": "text", "info": {"type_override": "bool"}})
    table.fields.append({"id": "cost", "type": "text", "info": {"type_override": "numeric"}})
    for index, row in enumerate(table.rows):
        row["checked"] = "false" if index % 2 else "true"
        row["cost"] = "1,234"
    portal = make(server)
    ds = await portal.dataset("street-trees")
    by_name = {f.name: f for f in ds.fields}
    assert by_name["checked"].kind == "string" and by_name["cost"].kind == "string"
    assert "bool" in by_name["checked"].description
    pages = await collect(portal, ds, Query(limit=4, columns=("checked", "cost")))
    assert pages[0].table.column("checked").to_pylist() == ["true", "false", "true", "false"]
    assert pages[0].table.column("cost").to_pylist() == ["1,234"] * 4


def test_text_cast_to_boolean_reads_true_and_false():
    from pdxtui.model import Field
    from pdxtui.portals.ckan import records_table

    field = Field(name="ok", type="bool", kind="boolean")
    records = [{"ok": "false"}, {"ok": "True"}, {"ok": True}, {"ok": None}, {"ok": "f"}, {"ok": "t"}, {"ok": ""}]
    assert records_table(records, [field]).column("ok").to_pylist() == [False, True, True, None, False, True, None]


async def test_csv_filter_and_sort_run_off_the_event_loop(server, make, monkeypatch):
    import threading

    seen = []
    real = CKANPortal._local

    def spy(self, *args):
        seen.append(threading.current_thread() is threading.main_thread())
        return real(self, *args)

    monkeypatch.setattr(CKANPortal, "_local", spy)
    portal = make(server)
    ds = await portal.dataset("bike-counts")
    pages = await collect(portal, ds, Query(where="riders > 100", order=(("riders", True),)))
    assert pages[0].table.num_rows > 0
    assert await portal.count(ds, Query(where="riders > 100")) == sum(p.table.num_rows for p in pages)
    assert seen and not any(seen)


async def test_error_envelope_is_read_from_the_one_failed_answer(server, make):
    """A 4xx envelope is read from the body the fetcher kept (at most 64 KB): no second request."""
    portal = make(server)
    server.reset_log()
    with pytest.raises(PdxError, match="Validation Error") as info:
        await portal._action("package_search", {"rows": "lots"}, "catalog", "searching the catalog")
    assert "rows" in str(info.value)
    assert len(server.requests_to("package_search")) == 1


async def test_error_envelope_from_the_kept_body(server, make):
    """Only a complete envelope is read: one cut at the 64 KB the fetcher keeps, or none, leaves the status line."""
    from pdxtui.net import HTTPStatusError

    huge = b'{"success": false, "error": {"__type": "Validation Error", "message": "' + b"x" * (4 << 20) + b'"}}'
    portal = make(server)
    assert portal._error_envelope(HTTPStatusError("x", status=409, body=huge[: 64 * 1024])) is None
    assert portal._error_envelope(HTTPStatusError("x", status=409, body=b"")) is None
    assert portal._error_envelope(
        HTTPStatusError(
            "x", status=409, body=b'{"success": false, "error": {"__type": "Not Found Error", "message": "Not found"}}'
        )
    ) == ("Not Found Error", "Not found")


@pytest.mark.serial  # asserts a wall-clock bound (< 2 s)
async def test_show_does_not_wait_for_a_slow_file_server(server, make, app):
    """Latency on every download: dataset() gives up on the column sample after ``sample_wait`` and returns
    the metadata; pages() then reads the whole file and the columns come with it."""
    import time

    server.faults.set("latency", path_contains="/download/", seconds=3.0)
    portal = make(server, client=make_client(timeout_connect=2, timeout_read=10, trust_env=False))
    portal.sample_wait = 0.5
    began = time.monotonic()
    ds = await portal.dataset("bike-counts")
    assert time.monotonic() - began < 2.0
    assert ds.title == "Bicycle Counts by Station" and ds.fields == () and ds.rows is None
    pages = await collect(portal, ds)
    assert sum(p.table.num_rows for p in pages) == 157
    assert str(pages[0].table.column("riders").type) == "int64"
    again = await portal.dataset("bike-counts")  # the file is in memory now: its columns are known
    assert ("riders", "integer") in [(f.name, f.kind) for f in again.fields] and again.rows == 157


# -- owner: one rule for search and show (portals.md, CKAN "Owner") ---------------------------------------------------


async def test_owner_of_a_package_without_organization_is_the_same_in_search_and_show(server, app, make):
    from tests.support.fakeportal.ckan import orphan_packages

    app.packages.update(orphan_packages())
    portal = make(server)
    hits = {h.id: h for h in (await portal.search(SearchRequest(text="community"))).hits}
    assert hits["tool-library"].owner == "Jo Volunteer"  # no organization: the author
    assert hits["seed-swap"].owner == "Garden Club"  # no organization, no author: the maintainer
    assert (await portal.dataset("tool-library")).owner == "Jo Volunteer"
    assert (await portal.dataset("seed-swap")).owner == "Garden Club"
    trees = next(h for h in (await portal.search(SearchRequest(text="trees"))).hits if h.id == "street-trees")
    assert trees.owner == (await portal.dataset("street-trees")).owner == "Parks Department"


async def test_the_column_sample_waits_out_a_hold_on_the_host(server, make):
    """A 429 holds every request to its host (pdxtui.net), the column sample's too: it does not go out while the
    host is held, so dataset() gives up on it after ``sample_wait`` and the columns come with the download."""
    from urllib.parse import urlsplit

    portal = make(server)
    portal.sample_wait = 0.3
    fetcher = portal.fetcher
    answer = fetcher.get_json

    async def then_held(*args, **kwargs):  # package_show answers; then the host says 429, Retry-After: 2
        data = await answer(*args, **kwargs)
        fetcher._hold(urlsplit(server.url).hostname, 2.0)
        return data

    fetcher.get_json = then_held
    server.reset_log()
    ds = await portal.dataset("bike-counts")
    assert ds.fields == () and ds.rows is None
    assert server.requests_to("/download/") == []


async def test_the_column_sample_is_in_the_request_log(server, make):
    """The sample of a CSV file goes out on the fetcher's client itself: it is recorded as any request is."""
    from pdxtui.requestlog import RequestLog

    log = RequestLog()
    portal = make(server, request_log=log)
    server.reset_log()
    ds = await portal.dataset("bike-counts")
    assert ds.fields
    (sample,) = [r for r in log.recent() if "/download/" in r.path]
    assert (sample.status, sample.attempts, sample.source, sample.host) == (200, 1, "network", "127.0.0.1")
    assert sample.bytes > 0 and sample.portal.startswith("ckan:")
    assert sum(r.attempts for r in log.recent()) == len(server.requests)  # every request the site saw, once
