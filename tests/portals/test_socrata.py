"""The Socrata portal (catalog v1, views metadata, SODA2 rows) against the fake in tests/support/fakeportal/socrata/."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import stamina
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdxtui.cache import Store
from pdxtui.errors import NotFound, PdxError, PortalError
from pdxtui.filters import FilterError, parse, to_polars, to_soql
from pdxtui.model import Query, SearchRequest
from pdxtui.net import Fetcher, make_client
from pdxtui.portals import BUILTIN_PROFILES, open_portal, parse_portal
from pdxtui.portals import socrata as socrata_module
from pdxtui.portals.socrata import (
    SocrataPortal,
    epoch_seconds,
    parse_columns,
    socrata_error,
    soql_name,
)
from pdxtui.portals.socrata import portal as socrata_portal
from tests.support.fakeportal.socrata import (
    CATALOG,
    INSPECTIONS,
    NAMES,
    SERVICE_REQUESTS,
    TREES,
    soda_text,
)

_SSL = ssl.create_default_context()
RESOURCE = "/resource/"
TOKEN = "s3cr3t-APP-token-0123"


@pytest.fixture
def server(fake_socrata):
    return fake_socrata


@pytest.fixture
def app(server):
    return server.apps["socrata"]


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
    """make(server, page_rows=..., refresh=..., **fetcher_options) -> a SocrataPortal on the fake."""
    made: list[SocrataPortal] = []

    def factory(server, *, refresh: bool = False, page_rows: int = 500, **kw) -> SocrataPortal:
        kw.setdefault("store", store)
        kw.setdefault("client", make_client(timeout_connect=2, timeout_read=5, trust_env=False, verify=_SSL))
        spec = parse_portal(f"socrata:{server.url}")
        portal = SocrataPortal(
            spec, Fetcher(f"socrata:{spec.url}", **kw), refresh=refresh, close_fetcher=False, page_rows=page_rows
        )
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


def rows_of(pages, column):
    return [v for p in pages for v in p.table.column(column).to_pylist()]


def resource_requests(server, ident, fmt=None, counts=False):
    """Row requests (not counts, unless ``counts``) the fake received for a dataset."""
    out = []
    for r in server.requests_to(f"{RESOURCE}{ident}."):
        is_count = r.params.get("$select", "").startswith("count(*)")
        if is_count != counts or (fmt and not r.path.endswith("." + fmt)):
            continue
        out.append(r)
    return out


def datasets_in_catalog():
    return sorted((d for d in CATALOG if d.type == "dataset"), key=lambda d: (-d.page_views, d.id))


def as_float(value):
    return None if value is None else float(value)


def as_utc(value):
    return None if value is None else value.replace(tzinfo=UTC)


# -- the portal itself -------------------------------------------------------------------------------------------


def test_profiles_open_socrata_portals():
    for name, host in (
        ("chicago", "data.cityofchicago.org"),
        ("nyc", "data.cityofnewyork.us"),
        ("seattle", "data.seattle.gov"),
        ("sf", "data.sfgov.org"),
    ):
        spec = parse_portal(name)
        assert spec == BUILTIN_PROFILES[name] and spec.kind == "socrata"
        portal = open_portal(spec)
        assert isinstance(portal, SocrataPortal)
        assert (portal.kind, portal.name, portal.label) == ("socrata", name, f"Socrata: {host}")
        assert portal.capabilities == frozenset({"sort", "filter", "group"})
        assert portal.state.source == "network"


def test_creating_the_portal_imports_no_polars():
    code = (
        "import sys; from pdxtui.portals import open_portal, parse_portal;"
        "p = open_portal(parse_portal('socrata:https://data.example.gov'));"
        "assert 'polars' not in sys.modules and 'pyarrow' not in sys.modules and 'httpx' not in sys.modules, "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('polars', 'pyarrow', 'httpx'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_small_parsers():
    assert epoch_seconds(1719705600) == datetime(2024, 6, 30, tzinfo=UTC)
    assert epoch_seconds("2024-06-30T00:00:00.000Z") == datetime(2024, 6, 30, tzinfo=UTC)
    assert epoch_seconds(None) is None and epoch_seconds("soon") is None and epoch_seconds(True) is None
    assert soql_name("dba_name") == "dba_name" and soql_name("order") == "`order`" and soql_name("a b") == "`a b`"
    assert socrata_error({"error": True, "message": "Invalid app_token specified"}) == "Invalid app_token specified"
    assert (
        socrata_error({"code": "query.soql.no-such-column", "message": "No such column: x"})
        == "No such column: x [query.soql.no-such-column]"
    )
    assert socrata_error([{"count": "1"}]) is None and socrata_error({"results": []}) is None


def test_columns_drop_system_fields_and_name_coordinates():
    fields, coords = parse_columns(
        [
            {"fieldName": ":@computed_region_x", "name": "Wards", "dataTypeName": "number", "position": 1},
            {"fieldName": "latitude", "name": "Latitude", "dataTypeName": "number", "position": 2},
            {"fieldName": "longitude", "name": "Longitude", "dataTypeName": "number", "position": 3},
            {"fieldName": "location", "name": "Location", "dataTypeName": "location", "position": 4},
            {"fieldName": "spot", "name": "Spot", "dataTypeName": "point", "position": 5},
            {"fieldName": "when", "name": "When", "dataTypeName": "calendar_date", "position": 6},
            {"fieldName": "ok", "name": "OK", "dataTypeName": "checkbox", "position": 7},
        ]
    )
    assert [f.name for f in fields] == [
        "latitude",
        "longitude",
        "location",
        "location_latitude",
        "location_longitude",
        "spot",
        "spot_latitude",
        "spot_longitude",
        "when",
        "ok",
    ]
    kinds = {f.name: f.kind for f in fields}
    assert kinds["latitude"] == "float" and kinds["location"] == "geometry" and kinds["when"] == "datetime"
    assert kinds["ok"] == "boolean" and kinds["spot_longitude"] == "float"
    assert [(c.source, c.lat, c.lon) for c in coords] == [
        ("location", "location_latitude", "location_longitude"),
        ("spot", "spot_latitude", "spot_longitude"),
    ]


# -- search ---------------------------------------------------------------------------------------------------------


async def test_search_asks_the_domain_catalog_for_datasets(server, make):
    portal = make(server)
    result = await portal.search(SearchRequest(limit=5))
    expected = datasets_in_catalog()
    assert result.total == len(expected)
    assert [h.id for h in result.hits] == [d.id for d in expected[:5]]
    (request,) = server.requests_to("/api/catalog/v1")
    assert request.path == "/api/catalog/v1"
    assert request.params == {
        "domains": "127.0.0.1",
        "search_context": "127.0.0.1",
        "only": "dataset",
        "limit": "5",
        "offset": "0",
    }
    food = result.hits[0]
    assert (food.title, food.owner, food.type) == ("Food Inspections", INSPECTIONS.owner, "dataset")
    assert food.updated == datetime(2024, 6, 30, tzinfo=UTC)
    assert food.categories == ("Health & Human Services",) and food.tags == ("food", "inspections", "restaurants")
    assert "Restaurant and food establishment" in food.snippet
    assert portal.state.source == "network"


async def test_search_words_category_and_tag(server, make):
    portal = make(server)
    hits = (await portal.search(SearchRequest(text="food"))).hits
    assert [h.id for h in hits] == [INSPECTIONS.id]
    hits = (await portal.search(SearchRequest(category="Environment & Sustainable Development"))).hits
    assert [h.id for h in hits] == [TREES.id]
    hits = (await portal.search(SearchRequest(tag="311", limit=3))).hits
    assert [h.id for h in hits] == [SERVICE_REQUESTS.id]
    last = server.requests_to("/api/catalog/v1")[-1].params
    assert last["tags"] == "311" and last["only"] == "dataset" and "categories" not in last
    with pytest.raises(PdxError, match="owner"):
        await portal.search(SearchRequest(owner="Forestry"))


async def test_search_pages_through_more_than_one_catalog_page(server, app, make):
    app.extra_catalog = 250
    portal = make(server)
    result = await portal.search(SearchRequest(limit=230, offset=10))
    everything = sorted((d for d in app.catalog_items() if d.type == "dataset"), key=lambda d: (-d.page_views, d.id))
    assert [h.id for h in result.hits] == [d.id for d in everything[10:240]]
    assert result.total == len(everything)
    asked = [(r.params["offset"], r.params["limit"]) for r in server.requests_to("/api/catalog/v1")]
    assert asked == [("10", "100"), ("110", "100"), ("210", "30")]


async def test_search_stops_at_the_10000_window_with_a_message(server, app, make):
    app.extra_catalog = 12_500  # five in six are datasets: more than 10,000 of them
    portal = make(server)
    result = await portal.search(SearchRequest(limit=100, offset=9_950))
    assert len(result.hits) == 50 and result.total > 10_000
    with pytest.raises(PdxError) as info:
        await portal.search(SearchRequest(limit=100, offset=10_000))
    message = str(info.value)
    assert "10,000" in message and "127.0.0.1" in message and "narrow" in message
    statuses = [r.status for r in server.requests_to("/api/catalog/v1")]
    assert statuses == [200]  # the request past the window was never sent
    (request,) = server.requests_to("/api/catalog/v1")
    assert int(request.params["offset"]) + int(request.params["limit"]) == 10_000


async def test_the_fake_refuses_offsets_past_10000_as_socrata_does(server, app, make, monkeypatch):
    direct = httpx.get(f"{server.url}/api/catalog/v1", params={"offset": 9_990, "limit": 20})
    assert direct.status_code == 400
    assert direct.json()["error"] is True and "10000" in direct.json()["message"]
    monkeypatch.setattr(socrata_portal, "CATALOG_WINDOW", 20_000)  # a client that does not know the window
    portal = make(server)
    with pytest.raises(PortalError) as info:
        await portal.search(SearchRequest(limit=20, offset=9_990))
    message = str(info.value)
    assert message.startswith("Socrata: 127.0.0.1: searching the catalog") and "\n" not in message
    assert "400" in message and "must not exceed 10000" in message


async def test_regional_catalog_when_the_domain_has_none(server, app, make):
    app.domain_catalog = False
    portal = make(server)
    first = await portal.search(SearchRequest(limit=3))
    assert [h.id for h in first.hits] == [d.id for d in datasets_in_catalog()[:3]]
    paths = [r.path for r in server.requests if "catalog" in r.path]
    assert paths == ["/api/catalog/v1", "/regional/api/catalog/v1"]
    regional = server.requests[-1].params
    assert regional["domains"] == "127.0.0.1" and regional["only"] == "dataset"
    await portal.search(SearchRequest(text="trees"))
    assert server.requests[-1].path == "/regional/api/catalog/v1"  # remembered: no second try of the domain
    assert len([r for r in server.requests if r.path == "/api/catalog/v1"]) == 1


async def test_regional_base_is_an_option(server, make):
    spec = parse_portal(f"socrata:{server.url}")
    portal = SocrataPortal(spec, regional_catalog="http://127.0.0.1:9/x")
    assert portal.catalog_urls == [f"{server.url}/api/catalog/v1", "http://127.0.0.1:9/x"]
    assert SocrataPortal(spec).regional_url == socrata_module.REGIONAL_CATALOG


async def test_facets_are_counted_over_catalog_results(server, make):
    portal = make(server)
    facets = await portal.facets()
    datasets = datasets_in_catalog()
    assert dict(facets.categories) == dict(Counter(d.category for d in datasets))
    assert dict(facets.tags) == dict(Counter(t for d in datasets for t in d.tags))
    assert facets.owners == ()
    counts = [n for _, n in facets.tags]
    assert counts == sorted(counts, reverse=True)


async def test_search_facets_come_from_the_search_answer_itself(server, make):
    portal = make(server)
    total = len(datasets_in_catalog())
    result = await portal.search(SearchRequest(limit=1))
    assert result.facets is not None and result.facets.owners == ()
    assert sum(n for _, n in result.facets.categories) <= 1
    assert result.facets.note == f"counts from the first 1 of {total} datasets"
    tag = result.hits[0].tags[0]
    tagged = await portal.search(SearchRequest(tag=tag))
    assert tagged.facets is not None and tagged.facets.kept == frozenset({"tag"}) and tagged.facets.note == ""


# -- metadata ---------------------------------------------------------------------------------------------------------


async def test_show_inspections(server, make):
    portal = make(server)
    ds = await portal.dataset(INSPECTIONS.id)
    assert (ds.id, ds.title, ds.rows) == (INSPECTIONS.id, "Food Inspections", 2345)
    assert ds.owner == INSPECTIONS.owner and ds.licence == "Public Domain" and ds.update_frequency == "Daily"
    assert ds.updated == datetime(2024, 6, 30, tzinfo=UTC)  # rowsUpdatedAt, epoch seconds
    assert ds.created == datetime(2015, 3, 2, tzinfo=UTC)
    assert ds.description == INSPECTIONS.description  # plain text kept, line breaks too
    assert ds.categories == ("Health & Human Services",) and ds.tags == INSPECTIONS.tags
    assert [f.name for f in ds.fields] == [c.field_name for c in INSPECTIONS.columns]  # :@computed_region dropped
    kinds = {f.name: (f.kind, f.dtype, f.alias) for f in ds.fields}
    assert kinds["inspection_id"] == ("float", "Float64", "Inspection ID")
    assert kinds["inspection_date"] == ("datetime", "Datetime", "Inspection Date")
    assert kinds["passed"] == ("boolean", "Boolean", "Passed")
    assert kinds["license_no"] == ("string", "String", "License #")
    assert ds.page_url == f"{server.url}/d/{INSPECTIONS.id}"
    assert ds.api_url == f"{server.url}/resource/{INSPECTIONS.id}.json"
    assert {link.label: link.url for link in ds.links}["Licence terms"] == "https://example.org/terms"
    assert ds.geometry_type == "" and not ds.sample
    (count,) = resource_requests(server, INSPECTIONS.id, counts=True)
    assert count.params == {"$select": "count(*)"}


async def test_html_description_becomes_text(server, make):
    ds = await make(server).dataset(TREES.id)
    assert ds.description == "Trees on public streets & parkways."


async def test_unknown_id_is_not_found(server, make):
    portal = make(server)
    with pytest.raises(NotFound, match=r"no dataset with id 'zzzz-0000' on Socrata: 127.0.0.1"):
        await portal.dataset("zzzz-0000")


async def test_a_catalog_entry_without_rows(server, make):
    portal = make(server)
    other = next(d for d in CATALOG if d.view_type != "tabular")
    ds = await portal.dataset(other.id)
    assert ds.title == other.name and ds.fields == () and ds.rows is None and ds.api_url == ""
    with pytest.raises(PdxError, match="no table of rows"):
        await collect(portal, ds)


# -- rows -------------------------------------------------------------------------------------------------------------


async def test_inspections_paged_exactly_and_ordered_by_id(server, make):
    portal = make(server, page_rows=500)
    ds = await portal.dataset(INSPECTIONS.id)
    seen = []
    pages = await collect(portal, ds, Query(), seen.append)
    assert [p.offset for p in pages] == [0, 500, 1000, 1500, 2000]
    assert [p.table.num_rows for p in pages] == [500, 500, 500, 500, 345]  # 2,345 is not a multiple of 500
    assert all(p.total == 2345 for p in pages)
    expected = INSPECTIONS.by_id_order()
    assert rows_of(pages, "inspection_id") == [float(r["inspection_id"]) for r in expected]
    assert [s.rows for s in seen] == [500, 1000, 1500, 2000, 2345] and seen[-1].total == 2345
    asked = resource_requests(server, INSPECTIONS.id)
    assert all(r.path.endswith(".csv") and r.params["$order"] == ":id" for r in asked)
    assert sorted(int(r.params["$offset"]) for r in asked) == [0, 500, 1000, 1500, 2000]
    assert asked[-1].params["$select"] == ",".join(c.field_name for c in INSPECTIONS.columns)


def test_without_order_the_fake_would_give_gaps(server):
    """The fake shuffles unordered answers, so the ``$order=:id`` the portal always sends really matters."""
    url = f"{server.url}/resource/{INSPECTIONS.id}.json"
    first = httpx.get(url, params={"$select": "inspection_id", "$limit": 2345}).json()
    again = httpx.get(url, params={"$select": "inspection_id", "$limit": 2345}).json()
    assert first != again and sorted(map(str, first)) == sorted(map(str, again))
    ordered = httpx.get(url, params={"$select": "inspection_id", "$order": ":id", "$limit": 5}).json()
    assert [r["inspection_id"] for r in ordered] == [
        soda_text(r["inspection_id"]) for r in INSPECTIONS.by_id_order()[:5]
    ]


async def test_columns_come_back_typed(server, make):
    import pyarrow as pa

    portal = make(server, page_rows=5000)
    ds = await portal.dataset(INSPECTIONS.id)
    (page,) = await collect(portal, ds)
    table = page.table
    assert table.column_names == [c.field_name for c in INSPECTIONS.columns]
    types = dict(zip(table.column_names, table.schema.types))
    assert types["inspection_id"] == pa.float64() and types["score"] == pa.float64()
    assert types["inspection_date"] == pa.timestamp("ms", tz="UTC") and types["passed"] == pa.bool_()
    assert (
        pa.types.is_string(types["license_no"])
        or pa.types.is_large_string(types["license_no"])
        or types["license_no"] == pa.string_view()
    )
    expected = INSPECTIONS.by_id_order()
    assert table.column("license_no").to_pylist() == [r["license_no"] for r in expected]  # "0012345" stays text
    assert table.column("score").to_pylist() == [as_float(r["score"]) for r in expected]
    assert table.column("passed").to_pylist() == [r["passed"] for r in expected]
    assert table.column("inspection_date").to_pylist() == [as_utc(r["inspection_date"]) for r in expected]
    assert table.column("risk").to_pylist() == [r["risk"] for r in expected]
    names = table.column("dba_name").to_pylist()
    assert names == [r["dba_name"] for r in expected]
    assert {"Deli\nExpress", 'Taqueria "El Sol"', "Pho, Noodles & More"} <= set(names)  # CSV quoting round-trips
    assert None in table.column("score").to_pylist() and None in table.column("passed").to_pylist()


async def test_location_column_gives_latitude_and_longitude(server, make):
    from pdxtui.export import geometry_columns

    portal = make(server)
    ds = await portal.dataset(SERVICE_REQUESTS.id)
    names = [f.name for f in ds.fields]
    assert names == ["sr_number", "sr_type", "status", "created_date", "ward", "location", "latitude", "longitude"]
    assert ds.geometry_type == "point"
    assert geometry_columns(ds, names) == ("latitude", "longitude")  # GeoJSON export and maps find them
    pages = await collect(portal, ds)
    assert [p.table.num_rows for p in pages] == [500, 23]
    expected = SERVICE_REQUESTS.by_id_order()
    assert rows_of(pages, "latitude") == [r["location"] and r["location"][0] for r in expected]
    assert rows_of(pages, "longitude") == [r["location"] and r["location"][1] for r in expected]
    assert rows_of(pages, "ward") == [float(r["ward"]) for r in expected]
    assert rows_of(pages, "created_date") == [as_utc(r["created_date"]) for r in expected]
    first = next(r for r in expected if r["location"])
    assert (
        rows_of(pages, "location")[expected.index(first)]
        == f"POINT ({first['location'][1]!r} {first['location'][0]!r})"
    )
    assert None in rows_of(pages, "latitude")
    asked = resource_requests(server, SERVICE_REQUESTS.id)
    assert asked and all(r.path.endswith(".json") and r.params["$order"] == ":id" for r in asked)


async def test_point_column_and_a_subset_of_columns(server, make):
    portal = make(server)
    ds = await portal.dataset(TREES.id)
    assert [f.name for f in ds.fields] == ["tree_id", "common_name", "dbh", "the_geom", "latitude", "longitude"]
    (page,) = await collect(portal, ds, Query(columns=("longitude", "tree_id")))
    assert page.table.column_names == ["longitude", "tree_id"]
    expected = TREES.by_id_order()
    assert page.table.column("longitude").to_pylist() == [r["the_geom"] and r["the_geom"][1] for r in expected]
    request = resource_requests(server, TREES.id)[-1]
    assert request.path.endswith(".json") and request.params["$select"] == "the_geom,tree_id"
    (page,) = await collect(portal, ds, Query(columns=("common_name", "dbh")))
    assert resource_requests(server, TREES.id)[-1].path.endswith(".csv")  # no location: CSV again
    assert page.table.column("dbh").to_pylist() == [float(r["dbh"]) for r in expected]


async def test_offset_limit_and_an_empty_selection(server, make):
    portal = make(server, page_rows=100)
    ds = await portal.dataset(INSPECTIONS.id)
    pages = await collect(portal, ds, Query(offset=250, limit=130))
    assert [(p.offset, p.table.num_rows) for p in pages] == [(250, 100), (350, 30)]
    expected = INSPECTIONS.by_id_order()[250:380]
    assert rows_of(pages, "inspection_id") == [float(r["inspection_id"]) for r in expected]
    pages = await collect(portal, ds, Query(where="score > 1000"))
    assert len(pages) == 1 and pages[0].table.num_rows == 0 and pages[0].total == 0
    assert pages[0].table.column_names == [c.field_name for c in INSPECTIONS.columns]


async def test_an_out_of_date_count_still_gives_every_row(server, make):
    portal = make(server, page_rows=500)
    ds = await portal.dataset(INSPECTIONS.id)
    low = await collect(portal, replace(ds, rows=1800))  # the count said fewer rows than there are
    assert sum(p.table.num_rows for p in low) == 2345
    assert rows_of(low, "inspection_id") == [float(r["inspection_id"]) for r in INSPECTIONS.by_id_order()]
    high = await collect(portal, replace(ds, rows=3000))  # more than there are: stops at the end
    assert sum(p.table.num_rows for p in high) == 2345


# -- SoQL on the server ------------------------------------------------------------------------------------------------

FILTERS = [
    "score > 90 and passed = true",
    'dba_name = "Lou\'s Diner"',
    'dba_name ~ "lou\'s"',
    "dba_name !~ 'deli'",
    "risk is null or score < 55",
    "not (results = Pass)",
    "inspection_date >= 2023-06-01 and inspection_date < 2023-07-01",
    "inspection_date = 2023-01-26",
    "passed = false and risk != 'Risk 3 (Low)'",
    "license_no = 0005170",
]


@pytest.mark.parametrize("text", FILTERS)
async def test_filters_run_on_the_server_and_agree_with_local_filtering(server, make, text):
    import polars as pl

    portal = make(server, page_rows=5000)
    ds = await portal.dataset(INSPECTIONS.id)
    where = to_soql(parse(text, ds.fields), ds.fields)
    everything = pl.from_arrow((await collect(portal, ds))[0].table)
    local = everything.filter(to_polars(parse(text, ds.fields), everything.schema))
    pages = await collect(portal, ds, Query(where=text))
    assert rows_of(pages, "inspection_id") == local["inspection_id"].to_list()
    assert await portal.count(ds, Query(where=text)) == local.height
    asked = resource_requests(server, INSPECTIONS.id)[-1]
    assert asked.params["$where"] == where and asked.params["$order"] == ":id"
    count = resource_requests(server, INSPECTIONS.id, counts=True)[-1]
    assert count.params == {"$select": "count(*)", "$where": where}


async def test_sort_on_the_server_with_id_as_tie_breaker(server, make):
    portal = make(server, page_rows=1000)
    ds = await portal.dataset(INSPECTIONS.id)
    pages = await collect(portal, ds, Query(order=(("score", True), ("dba_name", False)), limit=1500))
    asked = resource_requests(server, INSPECTIONS.id)
    assert {r.params["$order"] for r in asked} == {"score DESC,dba_name ASC,:id"}
    by_name = sorted(INSPECTIONS.by_id_order(), key=lambda r: r["dba_name"])  # stable: :id breaks ties
    nulls = [r for r in by_name if r["score"] is None]
    scored = sorted((r for r in by_name if r["score"] is not None), key=lambda r: r["score"], reverse=True)
    expected = (nulls + scored)[:1500]  # descending puts nulls first, as PostgreSQL does
    assert rows_of(pages, "inspection_id") == [float(r["inspection_id"]) for r in expected]


async def test_location_columns_cannot_be_filtered_or_sorted_on_the_server(server, make):
    portal = make(server)
    ds = await portal.dataset(SERVICE_REQUESTS.id)
    before = len(server.requests)
    with pytest.raises(FilterError, match="cannot filter on latitude"):
        await collect(portal, ds, Query(where="latitude > 41.8"))
    with pytest.raises(PdxError, match="cannot sort"):
        await collect(portal, ds, Query(order=(("location", False),)))
    with pytest.raises(FilterError):
        await portal.count(ds, Query(where="nosuch = 1"))
    assert len(server.requests) == before  # refused before asking


async def test_group_counts(server, make):
    from pdxtui.service import Service

    portal = make(server)
    ds = await portal.dataset(INSPECTIONS.id)
    pairs, total = await portal.group_counts(ds, "risk", Query())
    assert dict(pairs) == dict(Counter(r["risk"] for r in INSPECTIONS.rows)) and total == 2345
    assert [n for _, n in pairs] == sorted((n for _, n in pairs), reverse=True)
    pairs, total = await portal.group_counts(ds, "passed", Query(where="score >= 90"))
    wanted = Counter(r["passed"] for r in INSPECTIONS.rows if r["score"] is not None and r["score"] >= 90)
    assert dict(pairs) == dict(wanted) and total == sum(wanted.values())
    assert all(v is None or isinstance(v, bool) for v, _ in pairs)
    request = resource_requests(server, INSPECTIONS.id)[-1]
    assert request.params["$group"] == "passed" and request.params["$where"] == "score >= 90"
    facet = await Service(portal).facet(ds, "risk")
    assert facet is not None
    with pytest.raises(PdxError, match="cannot count"):
        await portal.group_counts(await portal.dataset(SERVICE_REQUESTS.id), "latitude")


async def test_query_url_is_the_soda_url_without_the_token(server, make):
    portal = make(server, token=TOKEN)
    ds = await portal.dataset(INSPECTIONS.id)
    url = portal.query_url(ds, Query(where='dba_name = "Lou\'s Diner"', order=(("score", True),), limit=10))
    assert url.startswith(f"{server.url}/resource/{INSPECTIONS.id}.json?$select=inspection_id,")
    assert "$where=dba_name%20%3D%20%27Lou%27%27s%20Diner%27" in url and "$order=score%20DESC,:id" in url
    assert "$limit=10" in url and TOKEN not in url
    answer = httpx.get(url).json()
    assert [r["dba_name"] for r in answer] == ["Lou's Diner"] * len(answer) and len(answer) == 10


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(
    value=st.one_of(st.sampled_from(NAMES), st.text(alphabet="ab'\"%_ \\\n", max_size=8)),
    op=st.sampled_from(["=", "!=", "~", "!~"]),
)
def test_quoted_literals_reach_the_server_intact(fake_socrata, value, op):
    """Whatever the text (quotes, wildcards, backslashes, newlines), the SoQL literal the builder writes means
    exactly that text to the server: the fake evaluates it and counts the same rows as Python does."""
    from pdxtui.filters import Compare, NotServerSide

    fields, _ = parse_columns([{"fieldName": "dba_name", "dataTypeName": "text"}])
    try:
        where = to_soql(Compare("dba_name", op, value), fields)
    except NotServerSide:
        assert op in ("~", "!~") and any(c in value for c in "%_\\")
        return
    answer = httpx.get(
        f"{fake_socrata.url}/resource/{INSPECTIONS.id}.json", params={"$select": "count(*)", "$where": where}
    )
    assert answer.status_code == 200, answer.text
    names = [r["dba_name"] for r in INSPECTIONS.rows]
    match = {
        "=": lambda n: n == value,
        "!=": lambda n: n != value,
        "~": lambda n: value.upper() in n.upper(),
        "!~": lambda n: value.upper() not in n.upper(),
    }[op]
    assert int(answer.json()[0]["count"]) == sum(1 for n in names if match(n))


# -- errors, throttling, the token ------------------------------------------------------------------------------------


async def test_a_socrata_error_is_one_line_naming_the_portal(server, app, make):
    portal = make(server)
    ds = await portal.dataset(INSPECTIONS.id)
    app.drop_column = "score"  # the rows no longer have a column the metadata lists
    with pytest.raises(PortalError) as info:
        await collect(portal, ds, Query(limit=10))
    message = str(info.value)
    assert message.startswith("Socrata: 127.0.0.1: reading rows 1-10 of Food Inspections: ")
    assert "400 Bad Request" in message and "No such column: score" in message and "\n" not in message
    app.drop_column = None
    assert (await collect(portal, ds, Query(limit=10)))[0].table.num_rows == 10  # the error was not cached


async def test_error_with_http_200_is_refused_and_not_cached(server, make):
    portal = make(server)
    ds = await portal.dataset(INSPECTIONS.id)
    body = b'{"code":"query.execution.timeout","error":true,"message":"Query timed out"}'
    server.faults.set("error200", path_contains=f"{INSPECTIONS.id}.csv", count=1, body=body)
    with pytest.raises(PortalError, match=r"Socrata: 127.0.0.1 answered with an error: Query timed out"):
        await collect(portal, ds, Query(limit=10))
    assert (await collect(portal, ds, Query(limit=10)))[0].table.num_rows == 10


async def test_truncated_json_and_html_are_readable_errors(server, make):
    portal = make(server)
    server.faults.set("truncated_json", path_contains="/api/views/", count=1)
    with pytest.raises(PortalError) as info:
        await portal.dataset(SERVICE_REQUESTS.id)
    assert "not valid JSON" in str(info.value) and "\n" not in str(info.value)
    server.faults.set("html200", path_contains="/api/catalog/v1", count=None)
    with pytest.raises(PortalError, match="web page"):
        await portal.search(SearchRequest())


async def test_retry_after_is_honoured_and_a_token_is_suggested(server, make, fast):
    waits: list[tuple[str, float]] = []
    portal = make(server, on_wait=lambda message, seconds: waits.append((message, seconds)))
    ds = await portal.dataset(INSPECTIONS.id)
    server.faults.set(
        "429",
        path_contains=f"{INSPECTIONS.id}.csv",
        count=2,
        retry_after=3,
        body=b'{"error":true,"message":"Too many requests"}',
    )
    pages = await collect(portal, ds, Query(limit=100))
    assert pages[0].table.num_rows == 100
    assert [seconds for _, seconds in waits] == [3, 3]
    assert "429 Too Many Requests" in waits[0][0] and "retrying in 3 s" in waits[0][0]
    assert "app token" in waits[0][0] and "PDXTUI_APP_TOKEN" in waits[0][0]
    assert [r.status for r in resource_requests(server, INSPECTIONS.id)] == [429, 429, 200]


async def test_throttled_to_the_end_says_a_token_avoids_it(server, make, fast):
    portal = make(server, attempts=3)
    server.faults.set("429", path_contains="/api/catalog/v1", retry_after=1)
    with pytest.raises(PortalError) as info:
        await portal.search(SearchRequest())
    message = str(info.value)
    assert "429 Too Many Requests" in message and "gave up after 3 attempts" in message
    assert "app token avoids this" in message and "\n" not in message


async def test_with_a_token_no_hint_and_the_header_is_sent(server, make, fast):
    waits: list[str] = []
    portal = make(server, token=TOKEN, on_wait=lambda message, seconds: waits.append(message))
    server.faults.set("429", path_contains="/api/catalog/v1", count=1, retry_after=1)
    await portal.search(SearchRequest(limit=1))
    assert waits and "app token" not in waits[0]
    assert {r.headers.get("x-app-token") for r in server.requests} == {TOKEN}


async def test_the_token_stays_out_of_the_cache_messages_and_logs(server, app, make, store, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    app.require_token = TOKEN
    portal = make(server, token=TOKEN)
    await portal.search(SearchRequest(limit=10))
    await portal.facets()
    ds = await portal.dataset(SERVICE_REQUESTS.id)
    await collect(portal, ds)
    ds = await portal.dataset(INSPECTIONS.id)
    await collect(portal, ds, Query(where="score > 50", limit=700))
    await portal.group_counts(ds, "risk")
    assert all(r.headers.get("x-app-token") == TOKEN for r in server.requests)
    assert all(r.status == 200 for r in server.requests)
    # a wrong token: the error says so without showing either token
    wrong = make(server, token="wrong-token-value", store=Store.disabled())
    with pytest.raises(PortalError) as info:
        await wrong.dataset(TREES.id)
    assert "403" in str(info.value) and "Invalid app_token" in str(info.value)
    assert "wrong-token-value" not in str(info.value) and TOKEN not in str(info.value)
    assert store.info()["entries"] > 5
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in caplog.text and "wrong-token-value" not in caplog.text


async def test_second_open_comes_from_the_cache(server, make):
    first = make(server)
    ds = await first.dataset(SERVICE_REQUESTS.id)
    await first.search(SearchRequest(limit=10))
    pages = await collect(first, ds)
    before = len(server.requests)
    second = make(server)
    ds2 = await second.dataset(SERVICE_REQUESTS.id)
    assert ds2 == ds and second.state.source == "cache"
    again = await collect(second, ds2)
    assert [p.table for p in again] == [p.table for p in pages]
    assert len(server.requests) == before and second.state.source == "cache"


async def test_stopping_early_cancels_outstanding_pages(server, make):
    portal = make(server, page_rows=200)
    ds = await portal.dataset(INSPECTIONS.id)
    server.faults.set("latency", path_contains="$offset=400", seconds=0.3)
    async with contextlib.aclosing(portal.pages(ds, Query())) as pages:
        async for page in pages:
            assert page.offset == 0
            break
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []
    await asyncio.sleep(0.35)  # let the fake finish its slow answer to a closed connection within this test


async def test_session_sends_the_token_from_config_or_environment(tmp_path, monkeypatch, fake_socrata):
    from pdxtui.session import open_session

    config = tmp_path / "pdx.toml"
    config.write_text(
        f'[portals.city]\nkind = "socrata"\nurl = "{fake_socrata.url}"\n[tokens]\ncity = "{TOKEN}"\n', encoding="utf-8"
    )
    session = open_session("city", cache_dir=str(tmp_path / "c"), config_path=str(config))
    service = session.service()
    assert isinstance(service.portal, SocrataPortal)
    await service.search(SearchRequest(limit=1))
    await service.aclose()
    assert fake_socrata.requests[-1].headers["x-app-token"] == TOKEN
    monkeypatch.setenv("PDXTUI_APP_TOKEN", "from-the-env")
    session = open_session(f"socrata:{fake_socrata.url}", cache_dir=str(tmp_path / "c2"))
    service = session.service()
    await service.dataset(TREES.id)
    await service.aclose()
    assert fake_socrata.requests[-1].headers["x-app-token"] == "from-the-env"
    for path in (tmp_path / "c").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()


def test_decimal_text_in_the_fake_matches_what_socrata_sends():
    assert soda_text(Decimal("87.50")) == "87.5" and soda_text(Decimal("2000003")) == "2000003"
    assert soda_text(datetime(2023, 1, 2, 3, 4, 5)) == "2023-01-02T03:04:05.000" and soda_text(True) == "true"


def test_the_fake_speaks_soda2(fake_socrata):
    """Headers, value shapes and errors as portals.md describes them (what the portal above is tested against)."""
    url = f"{fake_socrata.url}/resource/{SERVICE_REQUESTS.id}"
    answer = httpx.get(
        url + ".json", params={"$select": "sr_number,ward,location,created_date", "$order": ":id", "$limit": 3}
    )
    assert answer.headers["X-SODA2-Fields"] == '["sr_number", "ward", "location", "created_date"]'
    assert answer.headers["X-SODA2-Types"] == '["text", "number", "location", "floating_timestamp"]'
    first = answer.json()[0]
    assert isinstance(first["ward"], str) and set(first["location"]) == {"latitude", "longitude", "human_address"}
    assert len(first["created_date"]) == len("2023-01-01T00:00:00.000")
    csv = httpx.get(url + ".csv", params={"$select": "sr_number,ward", "$order": ":id", "$limit": 2}).text
    assert csv.splitlines()[0] == '"sr_number","ward"' and len(csv.splitlines()) == 3
    missing = next(r for r in SERVICE_REQUESTS.by_id_order() if r["location"] is None)
    row = httpx.get(url + ".json", params={"$where": f"sr_number = '{missing['sr_number']}'"}).json()[0]
    assert "location" not in row  # nulls are left out of the object
    bad = httpx.get(url + ".json", params={"$where": "nosuch = 1"})
    assert bad.status_code == 400
    assert bad.json() == {
        "code": "query.soql.no-such-column",
        "error": True,
        "message": "No such column: nosuch",
        "data": {},
    }
    assert httpx.get(url + ".json", params={"$bogus": "1"}).status_code == 400
    assert httpx.get(f"{fake_socrata.url}/api/catalog/v1", params={"qq": "food"}).json()["results"] == []


async def test_pages_are_fetched_concurrently_and_yielded_in_order(server, make):
    portal = make(server, page_rows=300, max_per_host=3)
    ds = await portal.dataset(INSPECTIONS.id)
    server.faults.set("latency", path_contains=f"{INSPECTIONS.id}.csv", seconds=0.2)
    in_flight_at_first_page = None
    offsets = []
    async for page in portal.pages(ds, Query()):
        if in_flight_at_first_page is None:
            in_flight_at_first_page = len(resource_requests(server, INSPECTIONS.id))
        offsets.append(page.offset)
    assert in_flight_at_first_page >= 3  # later pages were asked for before the first one arrived
    assert offsets == list(range(0, 2345, 300))


async def test_offline_serves_stale_copies(make, fast, monkeypatch):
    from tests.support.fakeportal.socrata import start_socrata_server

    server = start_socrata_server()
    monkeypatch.setattr(socrata_module, "REGIONAL_CATALOG", server.apps["socrata"].regional_url(server.url))
    try:
        portal = make(server, ttl={"catalog": 0, "metadata": 0, "rows": 0})  # everything is stale at once
        ds = await portal.dataset(TREES.id)
        hits = (await portal.search(SearchRequest(limit=5))).hits
        pages = await collect(portal, ds)
    finally:
        server.stop()
    again = await portal.dataset(TREES.id)
    assert again == ds and portal.state.source == "stale"
    assert "could not connect" in portal.state.reason
    assert (await portal.search(SearchRequest(limit=5))).hits == hits and portal.state.source == "stale"
    assert [p.table for p in await collect(portal, ds)] == [p.table for p in pages]
    with pytest.raises(PortalError) as info:  # nothing cached for this one
        await portal.dataset(INSPECTIONS.id)
    assert info.value.offline and "Socrata: 127.0.0.1" in str(info.value)


async def test_rows_are_read_without_a_count_when_count_is_refused(server, make):
    """count(*) refused (a timeout answered with 200, say): the metadata opens with the row count unknown, and
    the rows are still read page after page until a short page, with no gaps."""
    portal = make(server, page_rows=500)
    body = b'{"code":"query.execution.timeout","error":true,"message":"Query timed out"}'
    server.faults.set("error200", path_contains="count(*)", count=None, body=body)
    ds = await portal.dataset(INSPECTIONS.id)
    assert ds.rows is None
    first = await collect(portal, ds, Query(limit=10))
    assert sum(p.table.num_rows for p in first) == 10 and first[0].total is None
    pages = await collect(portal, ds)
    ids = rows_of(pages, "inspection_id")
    assert len(ids) == len(INSPECTIONS.rows) == len(set(ids)) == 2345
    # a filter needs a count too: refused, it still gives every matching row
    query = Query(where="risk = 'Risk 1 (High)'")
    expected = [r for r in INSPECTIONS.rows if r.get("risk") == "Risk 1 (High)"]
    assert sum(p.table.num_rows for p in await collect(portal, ds, query)) == len(expected) > 0
