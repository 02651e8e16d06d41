"""The ArcGIS portal (Hub search + REST layers) against the fake portal in tests/fakeportal, on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest
import stamina

from pdxtui.cache import Store
from pdxtui.errors import NotFound, PdxError, PortalError
from pdxtui.model import Query, SearchRequest
from pdxtui.net import Fetcher, make_client
from pdxtui.portals import BUILTIN_PROFILES, DEFAULT_PORTAL, open_portal, parse_portal
from pdxtui.portals.arcgis import (
    PORTLAND_LABEL,
    ArcGISPortal,
    category_label,
    epoch_ms,
    hub_filter,
    layer_url_for,
    pull_metadata_link,
    pull_update_frequency,
    quote_value,
)
from tests.support.fakeportal import start_server
from tests.support.fakeportal.fixtures import DATASETS, OTHER_ITEMS, catalog

ITEMS = "/hub/api/search/v1/collections/dataset/items"
PERMITS = DATASETS["permits"]
TREES = DATASETS["street_trees"]
HERITAGE = DATASETS["heritage_trees"]
DISTRICTS = DATASETS["council_districts"]
MAP_SERVICE = OTHER_ITEMS[0]

_SSL = ssl.create_default_context()


# -- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture
def server(fake_arcgis):
    return fake_arcgis


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "cache")
    yield s
    s.close()


@pytest.fixture
def fast():
    """stamina's test mode: retries without sleeping, our own attempt counts kept."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
async def make(store):
    """make(server, **fetcher_options) -> an ArcGISPortal on the fake, sharing the test's cache store."""
    made: list[ArcGISPortal] = []

    def factory(server, *, refresh: bool = False, **kw) -> ArcGISPortal:
        kw.setdefault("store", store)
        kw.setdefault("client", make_client(timeout_connect=2, timeout_read=5, trust_env=False, verify=_SSL))
        spec = parse_portal(f"arcgis:{server.url}/hub")
        portal = ArcGISPortal(spec, Fetcher(f"arcgis:{spec.url}", **kw), refresh=refresh)
        made.append(portal)
        return portal

    yield factory
    for portal in made:
        client = portal._fetcher.client if portal._fetcher else None
        await portal.aclose()
        if client is not None:
            await client.aclose()


def queries(server, layer=PERMITS):
    """Row requests (not counts) the fake received for a layer."""
    return [r for r in server.requests_to(layer.path + "/query") if r.params.get("returnCountOnly") != "true"]


async def collect(portal, dataset, query=Query(), progress=None):
    pages = []
    async for page in portal.pages(dataset, query, progress):
        pages.append(page)
    return pages


def newest_first(items):
    return sorted(items, key=lambda item: item.modified, reverse=True)


# -- the portal itself -------------------------------------------------------------------------------------------


def test_portland_profile_is_the_default():
    assert DEFAULT_PORTAL == "portland"
    spec = parse_portal("portland")
    assert spec == BUILTIN_PROFILES["portland"]
    assert (spec.kind, spec.url) == ("arcgis", "https://gis-pdx.opendata.arcgis.com")
    portal = open_portal(spec)
    assert (portal.kind, portal.name, portal.label) == ("arcgis", "portland", PORTLAND_LABEL)
    assert portal.label == "PortlandMaps Open Data (gis-pdx.opendata.arcgis.com)"


def test_other_hub_label_and_state(server):
    portal = open_portal(parse_portal(f"arcgis:{server.url}/hub"))
    assert portal.label == "ArcGIS Hub: 127.0.0.1"
    assert portal.name == f"arcgis:{server.url}/hub"
    assert portal.state.source == "network"


def test_creating_the_portal_is_cheap():
    code = (
        "import sys\n"
        "import pdxtui.portals.arcgis\n"
        "from pdxtui.session import open_session\n"
        "service = open_session('portland').service()\n"
        "assert service.portal.kind == 'arcgis'\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('polars', 'pyarrow', 'httpx', 'textual'))\n"
        "print(bad)\n"
        "raise SystemExit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- pure helpers ---------------------------------------------------------------------------------------------------


def test_hub_filter_quoting():
    assert quote_value("O'Brien") == "'O''Brien'"
    assert hub_filter() == ""
    assert hub_filter(owner="BPS_GIS") == "owner='BPS_GIS'"
    assert hub_filter(tags="trees") == "tags IN ('trees')"
    assert hub_filter(tags=["a", "b's"], categories="/Categories/X", type="Feature Service", owner="o") == (
        "owner='o' AND type='Feature Service' AND tags IN ('a', 'b''s') AND categories IN ('/Categories/X')"
    )


def test_small_parsers():
    assert epoch_ms(1671554653000) == datetime(2022, 12, 20, 16, 44, 13, tzinfo=UTC)
    assert epoch_ms(None) is None and epoch_ms("x") is None and epoch_ms(float("nan")) is None
    assert epoch_ms("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert category_label("/Categories/Environment/Trees") == "Environment/Trees"
    assert category_label("/categories/economy") == "economy"
    assert pull_update_frequency("Intro\n\nUpdate Frequency: Weekly\n\nMore") == ("Intro\n\nMore", "Weekly")
    assert pull_update_frequency("no such line") == ("no such line", "")
    text, url = pull_metadata_link("A\nMetadata Link: see here (https://x.example/m?a=1&b=2)\nB")
    assert (text, url) == ("A\nB", "https://x.example/m?a=1&b=2")
    base = "https://www.portlandmaps.com/od/rest/services/COP_OpenData_Boundary/MapServer"
    assert layer_url_for(base + "/1413", "x_1413") == base + "/1413"
    assert layer_url_for(base, "9f50a605cf4945259b983fa35c993fe9_125") == base + "/125"
    assert layer_url_for(base, "9f50a605cf4945259b983fa35c993fe9") == ""
    assert layer_url_for("https://example.org/hub/documents/terms", "abc") == ""
    assert layer_url_for(None, "abc") == ""


# -- search -------------------------------------------------------------------------------------------------------


async def test_search_catalog_newest_first(server, make):
    portal = make(server)
    result = await portal.search(SearchRequest(limit=10))
    expected = newest_first(catalog("dataset"))
    assert result.total == len(expected)
    assert [h.id for h in result.hits] == [item.id for item in expected[:10]]
    (request,) = server.requests_to(ITEMS)
    assert request.params == {"sortBy": "-properties.modified", "limit": "10", "startindex": "1"}
    hit = next(h for h in result.hits if h.id == PERMITS.id)
    assert hit.title == "Residential Building Permits" and hit.owner == "BPS_GIS"
    assert hit.updated == datetime.fromtimestamp(PERMITS.modified / 1000, UTC)
    assert hit.updated.tzinfo is not None
    assert hit.type == "Feature Service" and hit.rows is None
    assert hit.snippet == PERMITS.snippet
    assert hit.categories == ("Planning", "Planning/Permits")
    assert hit.tags == PERMITS.tags
    assert portal.state.source == "network"


async def test_search_follows_next_links_for_exactly_the_hits_asked(server, make):
    server.arcgis.hub_page_cap = 7
    portal = make(server)
    result = await portal.search(SearchRequest(limit=20))
    expected = newest_first(catalog("dataset"))
    assert len(result.hits) == 20
    assert [h.id for h in result.hits] == [item.id for item in expected[:20]]
    assert result.total == len(expected)
    starts = [r.params["startindex"] for r in server.requests_to(ITEMS)]
    assert starts == ["1", "8", "15"]
    assert len({h.id for h in result.hits}) == 20


async def test_search_offset_and_runs_out(server, make):
    server.arcgis.hub_page_cap = 7
    portal = make(server)
    expected = newest_first(catalog("dataset"))
    result = await portal.search(SearchRequest(limit=3, offset=5))
    assert [h.id for h in result.hits] == [item.id for item in expected[5:8]]
    assert server.requests_to(ITEMS)[0].params["startindex"] == "6"
    result = await portal.search(SearchRequest(limit=100, offset=25))
    assert [h.id for h in result.hits] == [item.id for item in expected[25:]]


async def test_search_text_sends_q_without_sort(server, make):
    portal = make(server)
    result = await portal.search(SearchRequest(text="heritage trees", limit=5))
    assert result.hits[0].id == HERITAGE.id
    params = server.requests_to(ITEMS)[0].params
    assert params["q"] == "heritage trees" and "sortBy" not in params


async def test_search_facet_filters(server, make):
    portal = make(server)
    result = await portal.search(SearchRequest(owner="PortlandUrbanForestry", tag="trees", limit=50))
    assert {h.id for h in result.hits} == {TREES.id, HERITAGE.id}
    assert result.total == 2
    assert server.requests_to(ITEMS)[-1].params["filter"] == "owner='PortlandUrbanForestry' AND tags IN ('trees')"

    result = await portal.search(SearchRequest(category="Environment/Trees", limit=50))
    in_category = {item.id for item in catalog("dataset") if "/Categories/Environment/Trees" in item.categories}
    assert {TREES.id, HERITAGE.id} < in_category
    assert {h.id for h in result.hits} == in_category
    sent = server.requests_to(ITEMS)[-1].params["filter"]
    assert sent == "categories IN ('/Categories/Environment/Trees')"

    result = await portal.search(SearchRequest(owner="O'Brien's bureau", limit=50))
    assert result.hits == () and result.total == 0
    assert server.requests_to(ITEMS)[-1].params["filter"] == "owner='O''Brien''s bureau'"


async def test_search_limit_zero_gives_the_total_only(server, make):
    result = await make(server).search(SearchRequest(limit=0))
    assert result.hits == () and result.total == len(catalog("dataset"))


async def test_facets_counted_from_catalog_records(server, make):
    portal = make(server)
    facets = await portal.facets()
    items = catalog("dataset")
    assert dict(facets.owners) == dict(Counter(item.owner for item in items))
    assert dict(facets.tags) == dict(Counter(tag for item in items for tag in item.tags))
    assert dict(facets.categories)["Environment/Trees"] == 3
    counts = [n for _, n in facets.owners]
    assert counts == sorted(counts, reverse=True)
    # the facets' first page is the catalog's first page: a later catalog search comes from the cache
    before = len(server.requests)
    await portal.search(SearchRequest(limit=100))
    assert len(server.requests) == before and portal.state.source == "cache"


async def test_search_facets_come_from_the_search_answer_itself(server, make):
    portal = make(server)
    items = catalog("dataset")
    result = await portal.search(SearchRequest(limit=2))
    assert len(server.requests_to(ITEMS)) == 1  # no extra search spent on the counts: the Hub rations searches
    assert result.facets is not None and result.total == len(items) > 2
    assert sum(n for _, n in result.facets.owners) == 2  # counted over the two records in hand, and it says so
    assert result.facets.note == f"counts from the first 2 of {len(items)} datasets"
    owner = result.hits[0].owner
    chosen = await portal.search(SearchRequest(owner=owner))
    assert chosen.facets is not None and chosen.facets.kept == frozenset({"owner"})  # the other owners stay listed
    assert chosen.facets.note == "" and sum(n for _, n in chosen.facets.owners) == chosen.total


# -- metadata -------------------------------------------------------------------------------------------------------


async def test_show_permits(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    layer = server.url + PERMITS.path
    assert ds.id == PERMITS.id and ds.title == "Residential Building Permits"
    assert ds.owner == "BPS_GIS" and ds.sample is False
    assert ds.rows == 1234 and portal._plans[ds.id].page_rows == 150  # maxRecordCount
    assert ds.geometry_type == "esriGeometryPoint"
    assert ds.api_url == layer + "/query"
    assert ds.page_url == f"{server.url}/hub/datasets/{PERMITS.id}"
    assert ds.updated == datetime.fromtimestamp(PERMITS.modified / 1000, UTC)
    assert ds.created == datetime.fromtimestamp(PERMITS.created / 1000, UTC)
    assert ds.update_frequency == "Monthly"
    assert ds.description == (
        "Residential building permits issued by the Bureau of Development Services, compiled by "
        "Planning & Sustainability."
    )
    assert "PDDL" in ds.licence and "<" not in ds.licence
    links = {link.label: link.url for link in ds.links}
    assert links["ArcGIS REST layer"] == layer
    assert links["Metadata"] == "https://www.portlandmaps.com/metadata/index.cfm?&action=DisplayLayer&LayerID=89"
    assert links["ArcGIS Hub page"] == ds.page_url
    assert ds.categories == ("Planning", "Planning/Permits") and ds.tags == PERMITS.tags
    assert [(f.name, f.kind) for f in ds.fields] == [
        ("OBJECTID", "integer"),
        ("PERMIT_NUM", "string"),
        ("ADDRESS", "string"),
        ("ISSUED", "datetime"),
        ("VALUATION", "float"),
        ("WORK_DESC", "string"),
        ("latitude", "float"),
        ("longitude", "float"),
    ]
    assert ds.field("PERMIT_NUM").alias == "Permit Number"
    assert ds.field("ISSUED").type == "esriFieldTypeDate"
    count = [r for r in server.requests_to(PERMITS.path + "/query") if r.params.get("returnCountOnly") == "true"]
    assert len(count) == 1 and count[0].params["where"] == "1=1" and count[0].params["f"] == "json"
    assert [r.params for r in server.requests if r.path == PERMITS.path] == [{"f": "json"}]


async def test_show_domains_dates_and_html(server, make):
    portal = make(server)
    ds = await portal.dataset(HERITAGE.id)
    owner = ds.field("Ownership")
    assert owner.domain == (("PUB", "Public"), ("PVT", "Private"))
    assert owner.kind == "string"
    assert ds.field("YEAR_Designated").kind == "integer" and ds.field("DATE_DESIG").kind == "datetime"
    assert ds.field("HEIGHT").kind == "float" and ds.field("HEIGHT").alias == "Height (ft)"
    assert ds.update_frequency == "Annually"
    assert ds.description == (
        "Heritage Trees are trees that City Council has designated for their size, age, history & rarity.\n"
        "Each one is protected by Title 11 (https://www.portland.gov/trees) of City Code.\n\n"
        "Includes trees in the Café Ñandú courtyard and the 桜 (sakura) of Old Town."
    )
    assert dict((link.label, link.url) for link in ds.links)["Metadata"].endswith("LayerID=52")
    trees = await portal.dataset(TREES.id)
    assert trees.field("Condition").domain[0] == ("G", "Good")
    assert trees.rows == 20_437 and portal._plans[trees.id].page_rows == 500  # maxRecordCount


async def test_polygon_layer_has_a_geojson_geometry_column(server, make):
    ds = await make(server).dataset(DISTRICTS.id)
    assert ds.geometry_type == "esriGeometryPolygon"
    assert [f.name for f in ds.fields] == ["OBJECTID", "DISTRICT", "NAME", "COUNCILORS", "AREA_SQMI", "geometry"]
    assert ds.field("geometry").type == "esriGeometryPolygon" and ds.field("geometry").kind == "string"


async def test_unknown_id_is_not_found(server, make):
    portal = make(server)
    with pytest.raises(NotFound, match="no-such-id"):
        await portal.dataset("no-such-id")
    with pytest.raises(NotFound):
        await portal.dataset("   ")


async def test_item_that_is_not_a_layer(server, make):
    portal = make(server)
    ds = await portal.dataset(MAP_SERVICE.id)
    assert ds.title == "Environment Map Service" and ds.fields == () and ds.api_url == "" and ds.rows is None
    assert [item.kind for item in ds.layers] == ["layer"] * 6 + ["table"]
    assert ds.layers[-1].id == f"{MAP_SERVICE.id}_230" and ds.layers[-1].title == "Tree Permit Fees"
    assert ds.layers[0].id == f"{MAP_SERVICE.id}_26" and ds.layers[0].title == "Heritage Trees"
    with pytest.raises(PdxError, match="open one of them"):
        await collect(portal, ds)


async def test_layer_of_a_service_by_item_id_and_number(server, make):
    """ITEMID_N: the record of the bare item id, then layer N of its service, titled service – layer."""
    portal = make(server)
    ds = await portal.dataset(f"{MAP_SERVICE.id}_26")
    assert ds.id == f"{MAP_SERVICE.id}_26" and ds.title == "Environment Map Service – Heritage Trees"
    assert ds.layers == () and ds.fields and ds.rows == DATASETS["heritage_trees"].row_count
    pages = await collect(portal, ds)
    assert sum(p.table.num_rows for p in pages) == ds.rows
    with pytest.raises(NotFound, match="no layer or table 9"):
        await portal.dataset(f"{MAP_SERVICE.id}_9")


# -- rows -------------------------------------------------------------------------------------------------------


async def test_permits_paged_exactly(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    server.reset_log()
    seen = []
    pages = await collect(portal, ds, progress=seen.append)
    assert [p.offset for p in pages] == list(range(0, 1234, 150))
    assert all(p.total == 1234 for p in pages)
    oids = [oid for p in pages for oid in p.table.column("OBJECTID").to_pylist()]
    assert oids == list(range(1, 1235))  # in order, no gaps, no duplicates
    rows = PERMITS.rows
    got = [row for p in pages for row in p.table.to_pylist()]
    assert [r["PERMIT_NUM"] for r in got] == [r["PERMIT_NUM"] for r in rows]
    assert [r["VALUATION"] for r in got] == [r["VALUATION"] for r in rows]
    expected_issued = [None if r["ISSUED"] is None else datetime.fromtimestamp(r["ISSUED"] / 1000, UTC) for r in rows]
    assert [r["ISSUED"] for r in got] == expected_issued
    assert [(r["longitude"], r["latitude"]) for r in got] == [tuple(g) for g in PERMITS.geometries]
    requests = queries(server)
    assert len(requests) == 9
    for request in requests:
        assert request.params["orderByFields"] == "OBJECTID ASC"
        assert int(request.params["resultRecordCount"]) <= 150
        assert request.params["returnGeometry"] == "true" and request.params["outSR"] == "4326"
        assert request.params["where"] == "1=1" and request.params["outFields"] == "*"
        assert request.params["f"] == "json"
    assert sorted(int(r.params["resultOffset"]) for r in requests) == list(range(0, 1234, 150))
    assert [s.rows for s in seen] == [min(1234, 150 * n) for n in range(1, 10)]
    assert all(s.total == 1234 for s in seen) and seen[-1].pages == 9
    assert not server.requests_to("returnCountOnly")  # the count came with the metadata


async def test_page_types(server, make):
    import pyarrow as pa

    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    (page, *_) = await collect(portal, ds, Query(limit=10))
    schema = page.table.schema
    assert schema.field("OBJECTID").type == pa.int64()
    assert schema.field("ISSUED").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("VALUATION").type == pa.float64()
    assert schema.field("latitude").type == pa.float64()
    assert schema.field("PERMIT_NUM").type == pa.string()


async def test_offset_limit_and_preview_stop_early(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    server.reset_log()
    pages = await collect(portal, ds, Query(offset=100, limit=400))
    oids = [oid for p in pages for oid in p.table.column("OBJECTID").to_pylist()]
    assert oids == list(range(101, 501))
    assert [p.offset for p in pages] == [100, 250, 400]
    assert [
        int(r.params["resultRecordCount"]) for r in sorted(queries(server), key=lambda r: int(r.params["resultOffset"]))
    ] == [150, 150, 100]


async def test_street_trees_fully_paged(server, make):
    portal = make(server)
    ds = await portal.dataset(TREES.id)
    assert await portal.count(ds, Query()) == 20_437
    server.reset_log()
    pages = await collect(portal, ds)
    oids = [oid for p in pages for oid in p.table.column("OBJECTID").to_pylist()]
    assert len(oids) == 20_437 and oids == list(range(1, 20_438))
    requests = queries(server, TREES)
    assert len(requests) == 41
    assert all(
        int(r.params["resultRecordCount"]) <= 500 and r.params["orderByFields"] == "OBJECTID ASC" for r in requests
    )
    conditions = [c for p in pages for c in p.table.column("Condition").to_pylist()]
    labels = dict((code, label) for code, label in ds.field("Condition").domain)
    assert conditions == [labels.get(r["Condition"]) for r in TREES.rows]
    assert set(conditions) <= {"Good", "Fair", "Poor", "Dead", None}


async def test_dates_and_coded_labels(server, make):
    portal = make(server)
    ds = await portal.dataset(HERITAGE.id)
    rows = [r for p in await collect(portal, ds, Query(limit=6)) for r in p.table.to_pylist()]
    assert rows[0]["DATE_DESIG"] == datetime(1974, 6, 12, tzinfo=UTC)
    assert rows[0]["Ownership"] == "Public" and rows[4]["Ownership"] == "Private" and rows[3]["Ownership"] is None
    assert rows[3]["DATE_DESIG"] is None
    assert rows[5]["Delist_Date"] == datetime(2021, 2, 15, tzinfo=UTC)
    assert rows[0]["SITE_ADDRESS"] == "Café Ñandú, 1200 SE Division St"
    assert isinstance(rows[0]["latitude"], float) and 45 < rows[0]["latitude"] < 46
    assert -123 < rows[0]["longitude"] < -122


async def test_order_and_columns(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    server.reset_log()
    query = Query(columns=("PERMIT_NUM", "VALUATION", "latitude"), order=(("VALUATION", True),), limit=300)
    pages = await collect(portal, ds, query)
    assert all(p.table.column_names == ["PERMIT_NUM", "VALUATION", "latitude"] for p in pages)
    values = [v for p in pages for v in p.table.column("VALUATION").to_pylist()]
    assert values == sorted((r["VALUATION"] for r in PERMITS.rows if r["VALUATION"] is not None), reverse=True)[:300]
    for request in queries(server):
        assert request.params["orderByFields"] == "VALUATION DESC,OBJECTID ASC"
        assert request.params["outFields"] == "PERMIT_NUM,VALUATION,OBJECTID"  # the id: no row is delivered twice
        assert request.params["returnGeometry"] == "true"
    server.reset_log()
    await collect(portal, ds, Query(columns=("OBJECTID",), order=(("OBJECTID", True),), limit=5))
    (request,) = queries(server)
    assert request.params["orderByFields"] == "OBJECTID DESC"
    assert request.params["returnGeometry"] == "false" and "outSR" not in request.params


async def test_rejected_queries(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    for query, message in [
        (Query(where="VALUATION > cheap"), "expected a number"),
        (Query(where="NOPE = 1"), "unknown column 'NOPE'"),
        (Query(columns=("NOPE",)), "no column 'NOPE'"),
        (Query(order=(("latitude", False),)), "geometry"),
        (Query(offset=-1), "negative"),
    ]:
        with pytest.raises(PdxError, match=message):
            await collect(portal, ds, query)
    with pytest.raises(PdxError, match="at column 1"):  # the filter language, not SQL
        await portal.count(ds, Query(where="1=1"))


async def test_empty_selection_yields_one_empty_page(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    (page,) = await collect(portal, ds, Query(offset=5000))
    assert page.table.num_rows == 0 and page.table.column_names == [f.name for f in ds.fields]
    (page,) = await collect(portal, ds, Query(limit=0))
    assert page.table.num_rows == 0 and page.total == 1234


async def test_pages_without_dataset_call_first(server, make):
    """pages() given a Dataset from elsewhere (e.g. an earlier session) looks the layer up itself."""
    first = make(server)
    ds = await first.dataset(DISTRICTS.id)
    second = make(server)
    pages = await collect(second, ds)
    assert sum(p.table.num_rows for p in pages) == 4


async def test_stale_count_still_gets_every_row(server, make):
    """A count that is too low (an old cache entry) does not cut the rows short: exceededTransferLimit wins."""
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    from dataclasses import replace

    pages = await collect(portal, replace(ds, rows=1000))
    assert sum(p.table.num_rows for p in pages) == 1234
    pages = await collect(portal, replace(ds, rows=2000))  # too high: the short page ends it
    oids = [oid for p in pages for oid in p.table.column("OBJECTID").to_pylist()]
    assert oids == list(range(1, 1235))


async def test_service_preview(server, make):
    from pdxtui.service import Service

    portal = make(server)
    service = Service(portal)
    ds = await service.dataset(PERMITS.id)
    preview = await service.preview(ds, rows=400)
    assert preview.frame.height == 400 and preview.total == 1234
    assert preview.frame["OBJECTID"].to_list() == list(range(1, 401))
    assert str(preview.frame.schema["ISSUED"]) == "Datetime(time_unit='ms', time_zone='UTC')"


# -- network trouble -----------------------------------------------------------------------------------------------


async def test_retry_after_is_honoured(server, make, fast):
    waits: list[tuple[str, float]] = []
    portal = make(server, on_wait=lambda message, seconds: waits.append((message, seconds)))
    ds = await portal.dataset(PERMITS.id)
    server.faults.set("429", path_contains=PERMITS.path + "/query", count=2, retry_after=3)
    pages = await collect(portal, ds, Query(limit=150))
    assert pages[0].table.num_rows == 150
    assert [seconds for _, seconds in waits] == [3, 3]
    assert "429 Too Many Requests" in waits[0][0] and "retrying in 3 s" in waits[0][0]
    assert [r.status for r in queries(server)] == [429, 429, 200]


async def test_error_with_http_200_names_the_layer_and_is_not_cached(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    body = (
        b'{"error":{"code":400,"message":"Cannot perform query. Invalid query parameters.",'
        b'"details":["\'where\' parameter is invalid"]}}'
    )
    server.faults.set("error200", path_contains="resultOffset=0&", count=1, body=body)
    with pytest.raises(PortalError) as info:
        await collect(portal, ds)
    message = str(info.value)
    assert "Residential Building Permits" in message and PERMITS.path in message
    assert "Cannot perform query. Invalid query parameters." in message
    assert "'where' parameter is invalid" in message and not info.value.offline
    pages = await collect(portal, ds)
    assert sum(p.table.num_rows for p in pages) == 1234
    first_page = [r for r in queries(server) if r.params["resultOffset"] == "0"]
    assert len(first_page) == 2  # the error was not cached: asked again


async def test_error_200_on_layer_metadata(server, make):
    portal = make(server)
    server.faults.set("error200", path_contains=HERITAGE.path + "?", count=1)
    with pytest.raises(PortalError, match=r"Heritage Trees.*Error performing query operation"):
        await portal.dataset(HERITAGE.id)
    ds = await portal.dataset(HERITAGE.id)
    assert ds.rows == 316


async def test_truncated_json_is_a_readable_error(server, make):
    portal = make(server)
    ds = await portal.dataset(PERMITS.id)
    server.faults.set("truncated_json", path_contains=PERMITS.path + "/query", count=1)
    with pytest.raises(PortalError) as info:
        await collect(portal, ds, Query(limit=100))
    message = str(info.value)
    assert "not valid JSON" in message and "Residential Building Permits" in message
    assert "\n" not in message
    assert (await collect(portal, ds, Query(limit=100)))[0].table.num_rows == 100


async def test_html_answer_is_a_readable_error(server, make):
    portal = make(server)
    server.faults.set("html200", path_contains=ITEMS, count=1)
    with pytest.raises(PortalError, match="web page"):
        await portal.search(SearchRequest())


async def test_second_open_comes_from_the_cache(server, make):
    first = make(server)
    ds = await first.dataset(PERMITS.id)
    await first.search(SearchRequest(limit=10))
    await collect(first, ds, Query(limit=500))
    assert first.state.source == "network"
    before = len(server.requests)
    second = make(server)
    ds2 = await second.dataset(PERMITS.id)
    assert second.state.source == "cache"
    assert ds2 == ds
    await second.search(SearchRequest(limit=10))
    pages = await collect(second, ds2, Query(limit=500))
    assert sum(p.table.num_rows for p in pages) == 500
    assert len(server.requests) == before
    assert second.state.source == "cache"
    # refresh goes back to the network
    third = make(server, refresh=True)
    await third.dataset(PERMITS.id)
    assert len(server.requests) > before and third.state.source == "network"


async def test_offline_serves_stale_copies(make, fast):
    server = start_server()
    try:
        portal = make(server, ttl={"catalog": 0, "metadata": 0, "rows": 0})  # everything is stale at once
        ds = await portal.dataset(HERITAGE.id)
        hits = (await portal.search(SearchRequest(limit=5))).hits
        pages = await collect(portal, ds, Query(limit=100))
    finally:
        server.stop()
    assert portal.state.source == "network"
    again = await portal.dataset(HERITAGE.id)
    assert again == ds and portal.state.source == "stale"
    assert portal.state.age_seconds is not None and "could not connect" in portal.state.reason
    assert (await portal.search(SearchRequest(limit=5))).hits == hits
    assert portal.state.source == "stale"
    stale = await collect(portal, ds, Query(limit=100))
    assert stale[0].table == pages[0].table
    assert portal.state.source == "stale"
    with pytest.raises(PortalError) as info:  # nothing cached for this one
        await portal.dataset(PERMITS.id)
    assert info.value.offline


async def test_cancel_mid_fetch(server, make):
    portal = make(server)
    ds = await portal.dataset(TREES.id)
    server.faults.set("latency", path_contains=TREES.path + "/query", seconds=0.3)
    problems: list[dict] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: problems.append(context))
    got: list[int] = []

    async def consume():
        async for page in portal.pages(ds, Query()):
            got.append(page.table.num_rows)

    task = asyncio.create_task(consume())
    for _ in range(100):
        await asyncio.sleep(0.02)
        if len(queries(server, TREES)) >= 2:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []
    assert got == [] and problems == []
    asked = len(queries(server, TREES))
    assert asked <= portal.fetcher.max_per_host  # no more than the per-host limit was ever sent
    server.faults.clear()
    pages = await collect(portal, ds, Query(limit=1200))
    assert [oid for p in pages for oid in p.table.column("OBJECTID").to_pylist()] == list(range(1, 1201))
    await asyncio.sleep(0.35)  # let the fake finish its slow answers to closed connections within this test


async def test_stopping_early_cancels_outstanding_pages(server, make):
    portal = make(server)
    ds = await portal.dataset(TREES.id)
    server.faults.set("latency", path_contains="resultOffset=500&", seconds=0.3)
    async with contextlib.aclosing(portal.pages(ds, Query())) as pages:
        async for page in pages:
            assert page.offset == 0
            break
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []
    await asyncio.sleep(0.35)  # let the fake finish its slow answer to a closed connection within this test


# -- the session wires the fetcher from the config -------------------------------------------------------------------


async def test_session_builds_the_fetcher_from_config(tmp_path, monkeypatch, fake_arcgis):
    from pdxtui.session import open_session

    config = tmp_path / "pdx.toml"
    config.write_text(
        "[cache]\nttl = { catalog = 11, metadata = 22, rows = 33 }\n"
        "[net]\nconnect_timeout = 3\nread_timeout = 4\nmax_per_host = 2\n"
        '[portals.fake]\nkind = "arcgis"\nurl = "' + fake_arcgis.url + '/hub"\n'
        '[tokens]\nfake = "s3cret"\n',
        encoding="utf-8",
    )
    waits = []
    session = open_session("fake", cache_dir=str(tmp_path / "c"), config_path=str(config))
    service = session.service(refresh=True, on_wait=lambda m, s: waits.append(s))
    portal = service.portal
    assert portal.refresh is True and portal._fetcher is None  # built on first use
    fetcher = portal.fetcher
    assert fetcher.ttl == {"catalog": 11, "metadata": 22, "rows": 33}
    assert fetcher.max_per_host == 2 and fetcher.on_wait is not None
    assert fetcher.client.timeout.connect == 3 and fetcher.client.timeout.read == 4
    assert fetcher.store.path == tmp_path / "c" and fetcher.store.enabled
    await service.search(SearchRequest(limit=1))
    (request,) = fake_arcgis.requests_to(ITEMS)
    assert request.headers["x-esri-authorization"] == "Bearer s3cret"
    assert fetcher.store.info()["entries"] == 1
    await service.aclose()
    assert fetcher.client.is_closed


async def test_csv_item_filters_sorts_and_counts_over_the_whole_file(server, make):
    csv_item = next(item for item in catalog("dataset") if item.type == "CSV")
    portal = make(server)
    ds = await portal.dataset(csv_item.id)
    assert ds.rows == 5 and ds.field("OPENED").kind == "date" and ds.notice == ""
    query = Query(where="PLOTS > 50", order=(("PLOTS", True),))
    pages = await collect(portal, ds, query)
    assert [g for p in pages for g in p.table.column("GARDEN").to_pylist()] == ["Fulton", "Gabriel Park"]
    assert await portal.count(ds, query) == 2
    pairs, total = await portal.group_counts(ds, "WAITLIST")
    assert pairs == [(True, 3), (False, 2)] and total == 5
    assert portal.query_url(ds, query) == ds.api_url


async def test_a_table_of_a_service_reads_like_a_layer_without_geometry(server, make):
    portal = make(server)
    ds = await portal.dataset(f"{MAP_SERVICE.id}_230")
    assert ds.title == "Environment Map Service – Tree Permit Fees" and ds.rows == 12 and ds.geometry_type == ""
    assert [f.name for f in ds.fields] == ["OBJECTID", "PERMIT_TYPE", "FEE", "EFFECTIVE"]
    pages = await collect(portal, ds)
    assert sum(p.table.num_rows for p in pages) == 12
    assert pages[0].table.column("PERMIT_TYPE").to_pylist()[0] == "Street tree removal"
    assert server.requests_to("/MapServer/230/query")[-1].params["returnGeometry"] == "false"
