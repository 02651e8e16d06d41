"""Tests for the fake ArcGIS portal itself (tests/fakeportal), over a real loopback socket."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support.fakeportal import FakeServer, start_server
from tests.support.fakeportal.expressions import ParseError, compile_hub_filter, compile_where
from tests.support.fakeportal.fixtures import CATALOG, DATASETS, catalog, ms

ITEMS = "/hub/api/search/v1/collections/dataset/items"
INVALID_WHERE = {
    "error": {
        "code": 400,
        "message": "Cannot perform query. Invalid query parameters.",
        "details": ["'where' parameter is invalid"],
    }
}


@pytest.fixture(scope="module")
def server():
    with start_server() as running:
        yield running


@pytest.fixture(autouse=True)
def clean(server):
    server.faults.clear()
    server.reset_log()
    server.arcgis.hub_page_cap = None
    yield
    server.faults.clear()
    server.arcgis.hub_page_cap = None


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http


def layer(key: str) -> str:
    return DATASETS[key].path


def query(client: httpx.Client, key: str, **params) -> dict:
    params.setdefault("f", "json")
    params.setdefault("where", "1=1")
    response = client.get(layer(key) + "/query", params=params)
    assert response.status_code == 200
    return response.json()


def where_count(client: httpx.Client, key: str, where: str) -> int:
    data = query(client, key, where=where, returnCountOnly="true")
    assert "error" not in data, data
    return data["count"]


# --- server ---------------------------------------------------------------------------------------------------


def test_server_binds_loopback_and_stops():
    fake = start_server()
    assert fake.url.startswith("http://127.0.0.1:") and fake.port > 0
    assert httpx.get(fake.url + "/hub/api/search/v1").status_code == 200
    fake.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(fake.url + "/hub/api/search/v1", timeout=2)


def test_unmounted_path_is_404(client):
    assert client.get("/socrata/api/catalog/v1").status_code == 404


def test_mount_another_app():
    class Echo:
        def handle(self, method, path, query, headers):
            return 200, {"Content-Type": "application/json"}, json.dumps({"path": path, "q": query}).encode()

    with FakeServer() as fake:
        fake.mount("/socrata", Echo(), name="socrata")
        answer = httpx.get(fake.url + "/socrata/api/catalog/v1", params={"q": "trees"}).json()
        assert answer == {"path": "/socrata/api/catalog/v1", "q": {"q": ["trees"]}}
        assert fake.apps["socrata"] is not None


# A shared fake server, as the conftest fixtures hand it out: two tests in a row in a pytest of their own (so that
# they surely run in this order, in one process, whatever xdist does with this file). The first switches on, changes
# and stops what it can; the second gets the same server back with none of it.
SHARED_SERVER_TESTS = """
import httpx

SEEN = {}


def test_a_switches_everything_on(fake_arcgis, fake_ckan, fake_socrata, fake_portlandmaps):
    SEEN.update(arcgis=fake_arcgis, ckan=fake_ckan, socrata=fake_socrata, portlandmaps=fake_portlandmaps)
    fake_arcgis.faults.set("500")
    fake_arcgis.arcgis.hub_page_cap = 7
    assert httpx.get(fake_arcgis.url + "/hub/api/search/v1").status_code == 500
    fake_ckan.apps["ckan"].packages.clear()
    fake_socrata.apps["socrata"].require_token = "secret"
    fake_portlandmaps.apps["portlandmaps"].throttle(5)
    fake_portlandmaps.faults.set("html200")


def test_b_sees_none_of_it(fake_arcgis, fake_ckan, fake_socrata, fake_portlandmaps):
    assert fake_arcgis is SEEN["arcgis"] and fake_ckan is SEEN["ckan"]  # the same servers, reset
    assert fake_socrata is SEEN["socrata"] and fake_portlandmaps is SEEN["portlandmaps"]
    for server in SEEN.values():
        assert server.running and not server.faults.active and server.requests == []
    assert fake_arcgis.arcgis.hub_page_cap is None
    assert httpx.get(fake_arcgis.url + "/hub/api/search/v1").status_code == 200
    assert fake_ckan.apps["ckan"].package("street-trees")
    assert fake_socrata.apps["socrata"].require_token is None
    assert httpx.get(fake_socrata.url + "/api/catalog/v1").status_code == 200
    assert fake_portlandmaps.apps["portlandmaps"]._throttled == 0
    SEEN["arcgis"].stop()


def test_c_a_stopped_server_is_replaced(fake_arcgis):
    assert fake_arcgis is not SEEN["arcgis"] and fake_arcgis.running
    assert httpx.get(fake_arcgis.url + "/hub/api/search/v1").status_code == 200
"""


def test_shared_fake_servers_are_reset_between_tests(tmp_path):
    (tmp_path / "test_shared.py").write_text(SHARED_SERVER_TESTS, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    options = ["-p", "tests.conftest", "-p", "no:xdist", "-p", "no:cacheprovider", "-p", "no:randomly"]
    options += ["--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"), str(tmp_path)]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *options],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout + run.stderr


# --- Hub search -----------------------------------------------------------------------------------------------------


def test_landing_page_and_collections(client, server):
    landing = client.get("/hub/api/search/v1").json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert rels["conformance"] == server.url + "/hub/api/search/v1/conformance"
    assert rels["data"] == server.url + "/hub/api/search/v1/collections"
    assert client.get(rels["conformance"]).json()["conformsTo"]
    collections = client.get(rels["data"]).json()["collections"]
    assert [c["id"] for c in collections] == ["all", "dataset", "site"]


def test_search_response_shape(client, server):
    data = client.get(ITEMS, params={"q": "heritage trees", "limit": 5}).json()
    assert data["type"] == "FeatureCollection"
    assert data["numberReturned"] == len(data["features"]) <= 5
    first = data["features"][0]
    assert first["type"] == "Feature" and first["geometry"]["type"] == "Polygon"
    props = first["properties"]
    assert props["title"] == "Heritage Trees"
    assert first["id"] == props["id"] == DATASETS["heritage_trees"].id
    for key in (
        "id",
        "title",
        "name",
        "owner",
        "type",
        "description",
        "snippet",
        "tags",
        "categories",
        "created",
        "modified",
        "url",
        "access",
        "licenseInfo",
        "extent",
    ):
        assert key in props, key
    assert props["url"] == server.url + DATASETS["heritage_trees"].path
    assert props["modified"] == DATASETS["heritage_trees"].modified and props["modified"] > 10**12
    assert "<p>" in props["description"] and "Update Frequency: Annually" in props["description"]
    assert next(link["rel"] for link in data["links"]) == "self"
    assert first["links"][0]["rel"] == "self"


def follow(client: httpx.Client, url: str, params: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Every page by following next links: (pages, features)."""
    pages, features = [], []
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        features.extend(page["features"])
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            return pages, features
        response = client.get(following[0])


def test_paging_by_next_links(client):
    expected = len(catalog("dataset"))
    pages, features = follow(client, ITEMS, {"limit": 10})
    assert all(page["numberMatched"] == expected for page in pages)
    assert len(pages) == math.ceil(expected / 10)
    assert len({f["id"] for f in features}) == len(features) == expected
    next_link = client.get(ITEMS, params={"limit": 10}).json()["links"][1]
    assert next_link["rel"] == "next" and next_link["href"].endswith("limit=10&startindex=11")


def test_hub_page_cap_returns_short_pages(client, server):
    server.arcgis.hub_page_cap = 7
    pages, features = follow(client, ITEMS, {"limit": 10})
    assert all(page["numberReturned"] <= 7 for page in pages)
    assert len(pages) == math.ceil(len(catalog("dataset")) / 7)
    assert len({f["id"] for f in features}) == len(catalog("dataset"))


def test_limit_zero_and_clamp(client):
    data = client.get(ITEMS, params={"limit": 0}).json()
    assert data["numberMatched"] == len(catalog("dataset")) and data["features"] == []
    big = client.get("/hub/api/search/v1/collections/all/items", params={"limit": 500}).json()
    assert big["numberReturned"] == min(100, len(CATALOG))


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("type='Feature Service'", {i.id for i in catalog("dataset") if i.type == "Feature Service"}),
        ("tags IN (trees, parks)", {i.id for i in catalog("dataset") if {"trees", "parks"} & set(i.tags)}),
        ("owner='BES_GIS'", {i.id for i in catalog("dataset") if i.owner == "BES_GIS"}),
        ("categories IN (Boundaries)", {i.id for i in catalog("dataset") if "/Categories/Boundaries" in i.categories}),
        (
            "type='Feature Service' AND (tags IN (trees) OR owner=BPS_GIS)"
            " AND categories IN ('/Categories/Environment')",
            {DATASETS[k].id for k in ("street_trees", "heritage_trees", "parks_trees")},
        ),
        ("type NOT IN ('Feature Service')", {i.id for i in catalog("dataset") if i.type != "Feature Service"}),
    ],
)
def test_search_filters(client, filter_text, expected):
    data = client.get(ITEMS, params={"filter": filter_text, "limit": 100}).json()
    assert {f["id"] for f in data["features"]} == expected
    assert data["numberMatched"] == len(expected) > 0


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "type='Feature Service' AND"},
        {"filter": "colour='red'"},
        {"filter": "tags IN (trees"},
        {"startIndex": "11"},
        {"limit": "ten"},
        {"sortBy": "properties.size"},
        {"startindex": "0"},
    ],
)
def test_search_rejects_bad_requests(client, params):
    response = client.get(ITEMS, params=params)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400 and response.json()["message"]


def test_search_sort_by_modified(client):
    for sort_by, descending in (("properties.modified", False), ("-properties.modified", True)):
        _pages, features = follow(client, ITEMS, {"sortBy": sort_by, "limit": 100})
        modified = [f["properties"]["modified"] for f in features]
        assert modified == sorted(modified, reverse=descending)


def test_search_text_ranks_title_first(client):
    titles = [f["properties"]["title"] for f in client.get(ITEMS, params={"q": "permits"}).json()["features"]]
    assert set(titles[:2]) == {"Residential Building Permits", "Commercial Building Permits"}


def test_single_item(client):
    item_id = DATASETS["permits"].id
    data = client.get(f"{ITEMS}/{item_id}").json()
    assert data["id"] == item_id and data["properties"]["title"] == "Residential Building Permits"
    missing = client.get(f"{ITEMS}/{'0' * 32}_1")
    assert missing.status_code == 404 and missing.json()["statusCode"] == 404


def test_aggregations(client):
    data = client.get(
        "/hub/api/search/v1/collections/dataset/aggregations", params={"aggregations": "terms(fields=(tags,owner))"}
    ).json()
    by_field = {
        agg["field"]: {term["label"]: term["value"] for term in agg["aggregations"]}
        for agg in data["aggregations"]["aggregations"]
    }
    assert by_field["owner"]["BES_GIS"] == sum(1 for i in catalog("dataset") if i.owner == "BES_GIS")
    assert by_field["tags"]["trees"] == sum(1 for i in catalog("dataset") if "trees" in i.tags)


# --- MapServer layer metadata ---------------------------------------------------------------------------------------


def test_layer_metadata(client):
    info = client.get(layer("heritage_trees"), params={"f": "json"}).json()
    assert info["type"] == "Feature Layer" and info["geometryType"] == "esriGeometryPoint"
    assert info["maxRecordCount"] == 2000 and info["supportedQueryFormats"] == "JSON, geoJSON, PBF"
    caps = info["advancedQueryCapabilities"]
    assert caps["supportsPagination"] and caps["supportsOrderBy"] and caps["supportsStatistics"]
    fields = {f["name"]: f for f in info["fields"]}
    assert fields["DATE_DESIG"]["type"] == "esriFieldTypeDate"
    assert fields["Shape"]["type"] == "esriFieldTypeGeometry"
    assert fields["Ownership"]["domain"] == {
        "type": "codedValue",
        "name": "HeritageOwnership",
        "codedValues": [{"name": "Public", "code": "PUB"}, {"name": "Private", "code": "PVT"}],
    }
    assert all(set(f) >= {"name", "type", "alias", "domain"} for f in info["fields"])
    assert "&amp;" in info["description"] and "<br>" in info["description"] and "Café Ñandú" in info["description"]
    assert client.get(layer("permits"), params={"f": "json"}).json()["maxRecordCount"] == 150


def test_unknown_layer_is_error_with_http_200(client):
    for path in (
        "/arcgis/rest/services/COP_OpenData_Environment/MapServer/9999",
        "/arcgis/rest/services/COP_OpenData_Nowhere/MapServer/1/query",
    ):
        response = client.get(path, params={"f": "json", "where": "1=1"})
        assert response.status_code == 200
        assert response.json() == {"error": {"code": 400, "message": "Invalid URL", "details": []}}


def test_without_f_the_answer_is_html(client):
    response = client.get(layer("permits"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def test_service_directory(client):
    service = client.get("/arcgis/rest/services/COP_OpenData_Boundary/MapServer", params={"f": "json"}).json()
    assert 1413 in {entry["id"] for entry in service["layers"]}
    services = client.get("/arcgis/rest/services", params={"f": "json"}).json()["services"]
    assert {"name": "COP_OpenData_Environment", "type": "MapServer"} in services


# --- MapServer queries ------------------------------------------------------------------------------------------------


def test_paging_until_the_end(client, server):
    ds = DATASETS["permits"]
    rows, offset, pages = [], 0, []
    while True:
        page = query(
            client,
            "permits",
            outFields="*",
            returnGeometry="false",
            orderByFields="OBJECTID",
            resultOffset=offset,
            resultRecordCount=1000,
        )
        pages.append(len(page["features"]))
        rows.extend(f["attributes"] for f in page["features"])
        offset += len(page["features"])
        if not page.get("exceededTransferLimit"):
            break
        assert page["exceededTransferLimit"] is True
    assert pages == [150] * 8 + [34]
    assert len(rows) == ds.row_count == 1234
    assert [r["OBJECTID"] for r in rows] == list(range(1, 1235))
    assert rows == ds.rows
    assert len(server.requests_to("/query")) == 9


def test_json_page_shape(client):
    data = query(client, "street_trees", outFields="*", outSR="4326", resultRecordCount=2, orderByFields="OBJECTID")
    assert data["objectIdFieldName"] == "OBJECTID"
    assert data["spatialReference"]["wkid"] == 4326 and data["geometryType"] == "esriGeometryPoint"
    assert [f["name"] for f in data["fields"]][:3] == ["OBJECTID", "SPECIES", "DIAMETER"]
    feature = data["features"][0]
    lon, lat = DATASETS["street_trees"].geometries[0]
    assert feature["geometry"] == {"x": lon, "y": lat}
    assert feature["attributes"] == DATASETS["street_trees"].rows[0]
    assert data["exceededTransferLimit"] is True


def test_geojson_page(client):
    data = query(
        client, "council_districts", f="geojson", outFields="DISTRICT", orderByFields="DISTRICT", resultRecordCount=3
    )
    assert data["type"] == "FeatureCollection" and data["properties"] == {"exceededTransferLimit": True}
    first = data["features"][0]
    assert first["id"] == 1 and first["properties"] == {"DISTRICT": 1}
    assert first["geometry"]["type"] == "Polygon"
    last = query(client, "council_districts", f="geojson", resultOffset=3, outFields="*")
    assert "properties" not in last and len(last["features"]) == 1


def test_default_geometry_is_web_mercator_and_outfields_default(client):
    data = query(client, "permits", resultRecordCount=1)
    assert data["spatialReference"]["wkid"] == 102100 and abs(data["features"][0]["geometry"]["x"]) > 1e6
    assert list(data["features"][0]["attributes"]) == ["OBJECTID"]


def test_record_count_is_clamped(client):
    data = query(client, "street_trees", outFields="OBJECTID", resultRecordCount=5000, returnGeometry="false")
    assert len(data["features"]) == 500 and "geometry" not in data["features"][0]


def test_order_by_fields(client):
    rows = DATASETS["street_trees"].rows
    expected = sorted(rows, key=lambda r: r["OBJECTID"])
    expected = sorted(expected, key=lambda r: (r["DIAMETER"] is not None, r["DIAMETER"]), reverse=True)
    data = query(
        client,
        "street_trees",
        outFields="OBJECTID,DIAMETER",
        orderByFields="DIAMETER DESC, OBJECTID ASC",
        returnGeometry="false",
        resultOffset=100,
        resultRecordCount=50,
    )
    assert [f["attributes"]["OBJECTID"] for f in data["features"]] == [r["OBJECTID"] for r in expected[100:150]]
    assert "error" in query(client, "street_trees", orderByFields="HEIGHT DESC")


def test_where_clauses(client):
    heritage = DATASETS["heritage_trees"].rows
    assert where_count(client, "heritage_trees", "SITE_ADDRESS = 'O''Bryant Square, SW 9th Ave & Harvey Milk St'") == 1
    assert where_count(client, "heritage_trees", "SITE_ADDRESS = 'Café Ñandú, 1200 SE Division St'") == 1
    assert where_count(client, "heritage_trees", "UPPER(COMMON) LIKE '%CHERRY%'") == 1
    assert where_count(client, "heritage_trees", "COMMON LIKE '%CHERRY%'") == 0  # LIKE is case-sensitive
    assert where_count(client, "heritage_trees", "HEIGHT IS NULL") == sum(r["HEIGHT"] is None for r in heritage)
    assert where_count(client, "heritage_trees", "DATE_DESIG >= timestamp '2010-01-01 00:00:00'") == sum(
        r["DATE_DESIG"] is not None and r["DATE_DESIG"] >= ms(2010) for r in heritage
    )
    assert where_count(client, "heritage_trees", "DATE_DESIG < DATE '1975-01-01' OR TREEID = 5") == sum(
        (r["DATE_DESIG"] or ms(3000)) < ms(1975) or r["TREEID"] == 5 for r in heritage
    )
    assert where_count(client, "heritage_trees", "(Ownership = 'PUB' OR Ownership IS NULL) AND HEIGHT > 100") == sum(
        (r["Ownership"] in ("PUB", None)) and (r["HEIGHT"] or 0) > 100 for r in heritage
    )
    assert where_count(client, "heritage_trees", "Ownership <> 'PUB'") == sum(r["Ownership"] == "PVT" for r in heritage)
    permits = DATASETS["permits"].rows
    assert where_count(client, "permits", "VALUATION >= 250000.5 AND WORK_DESC LIKE 'Deck%'") == sum(
        (r["VALUATION"] or 0) >= 250000.5 and r["WORK_DESC"].startswith("Deck") for r in permits
    )


@pytest.mark.parametrize(
    "where",
    [
        "",
        "1=",
        "NAME = 'x'",
        "HEIGHT = 'tall'",
        "COMMON = 'unterminated",
        "COMMON = 5",
        "DATE_DESIG > timestamp 'yesterday'",
        "TREEID IN (1,",
        "DROP TABLE",
    ],
)
def test_invalid_where_is_error_with_http_200(client, where):
    assert query(client, "heritage_trees", where=where) == INVALID_WHERE


def test_count_only(client):
    assert query(client, "street_trees", returnCountOnly="true") == {"count": 20_437}
    dead = sum(r["Condition"] == "D" for r in DATASETS["street_trees"].rows)
    assert query(client, "street_trees", where="Condition = 'D'", returnCountOnly="true") == {"count": dead}


def test_statistics_group_by(client):
    stats = json.dumps(
        [
            {"statisticType": "count", "onStatisticField": "OBJECTID", "outStatisticFieldName": "n"},
            {"statisticType": "avg", "onStatisticField": "DIAMETER", "outStatisticFieldName": "mean"},
        ]
    )
    data = query(
        client, "street_trees", outStatistics=stats, groupByFieldsForStatistics="Condition", orderByFields="n DESC"
    )
    got = [(f["attributes"]["Condition"], f["attributes"]["n"]) for f in data["features"]]
    assert got == Counter(r["Condition"] for r in DATASETS["street_trees"].rows).most_common()
    assert {f["name"]: f["type"] for f in data["fields"]} == {
        "Condition": "esriFieldTypeString",
        "n": "esriFieldTypeInteger",
        "mean": "esriFieldTypeDouble",
    }


def test_statistics_without_group(client):
    rows = DATASETS["permits"].rows
    stats = json.dumps(
        [
            {"statisticType": kind, "onStatisticField": "VALUATION", "outStatisticFieldName": kind}
            for kind in ("count", "sum", "min", "max")
        ]
    )
    [feature] = query(client, "permits", outStatistics=stats)["features"]
    values = [r["VALUATION"] for r in rows if r["VALUATION"] is not None]
    assert feature["attributes"] == {"count": len(values), "sum": sum(values), "min": min(values), "max": max(values)}
    bad = json.dumps([{"statisticType": "sum", "onStatisticField": "ADDRESS", "outStatisticFieldName": "s"}])
    assert "error" in query(client, "permits", outStatistics=bad)


def test_pages_of_the_100k_layer_are_slices_of_rows_made_once(client, monkeypatch):
    """Deep pages of a big layer are cut from rows generated once (so tests paging 100k rows stay quick; the speed
    itself is measured by bench/fetch.py, not here)."""
    ds = DATASETS["address_points"]
    made = []
    original = ds.generator
    monkeypatch.setattr(ds, "generator", lambda rng, n: made.append(n) or original(rng, n))
    monkeypatch.setattr(ds, "_rows", None)
    params = {
        "f": "json",
        "where": "1=1",
        "outFields": "*",
        "outSR": "4326",
        "orderByFields": "OBJECTID",
        "resultRecordCount": 1000,
    }
    url = layer("address_points") + "/query"
    for offset in (0, 1000, 25_000, 50_000, 75_000, 99_000):
        features = client.get(url, params={**params, "resultOffset": offset}).json()["features"]
        ids = [f["attributes"]["OBJECTID"] for f in features]
        assert ids == list(range(offset + 1, offset + 1001))
    assert made == [ds.row_count]  # generated on the first request only
    last = client.get(url, params={**params, "resultOffset": 99_000}).json()
    assert "exceededTransferLimit" not in last  # the last page


# --- faults -----------------------------------------------------------------------------------------------------------


def test_fault_429_with_and_without_retry_after(client, server):
    server.faults.set("429", path_contains="/query", count=1, retry_after=3)
    first = client.get(layer("permits") + "/query", params={"f": "json", "where": "1=1"})
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert client.get(layer("permits") + "/query", params={"f": "json", "where": "1=1"}).status_code == 200
    server.faults.set("429", count=1, retry_after=None)
    assert "retry-after" not in client.get(ITEMS).headers
    server.faults.set("429_no_retry_after", count=1)
    response = client.get(ITEMS)
    assert response.status_code == 429 and "retry-after" not in response.headers


def test_fault_count_and_path_matching(client, server):
    fault = server.faults.set(500, path_contains="MapServer/89", count=2)
    assert client.get(ITEMS).status_code == 200  # does not match
    assert [client.get(layer("permits"), params={"f": "json"}).status_code for _ in range(3)] == [500, 500, 200]
    assert fault.fired == 2 and server.faults.active == []
    forever = server.faults.set("500")
    assert [client.get(ITEMS).status_code for _ in range(3)] == [500, 500, 500]
    assert forever.fired == 3
    server.faults.clear()
    assert client.get(ITEMS).status_code == 200


def test_fault_503_after_stall_and_latency(client, server):
    server.faults.set("503_after_stall", seconds=0.2, count=1)
    started = time.perf_counter()
    assert client.get(ITEMS).status_code == 503
    assert time.perf_counter() - started >= 0.2
    server.faults.set("latency", seconds=0.15)
    started = time.perf_counter()
    assert client.get(ITEMS).status_code == 200 and client.get(ITEMS).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_fault_error200_html200_truncated(client, server):
    server.faults.set("error200", count=1)
    response = client.get(layer("permits") + "/query", params={"f": "json", "where": "1=1"})
    assert response.status_code == 200 and "error" in response.json()
    server.faults.set("html200", count=1)
    response = client.get(ITEMS)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    server.faults.set("truncated_json", count=1)
    response = client.get(layer("permits") + "/query", params={"f": "json", "where": "1=1", "outFields": "*"})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_fault_reset(server):
    server.faults.set("reset", count=1)
    with httpx.Client(base_url=server.url) as fresh, pytest.raises(httpx.TransportError):
        fresh.get(layer("permits") + "/query", params={"f": "json", "where": "1=1", "outFields": "*"})
    assert httpx.get(server.url + ITEMS).status_code == 200


def test_unknown_fault_kind(server):
    with pytest.raises(ValueError):
        server.faults.set("teapot")


# --- request log ----------------------------------------------------------------------------------------------------


def test_request_log(client, server):
    client.get(
        layer("permits") + "/query",
        params={"f": "json", "where": "A = 'b c'", "outFields": "*"},
        headers={"X-Test": "yes"},
    )
    client.post(layer("permits") + "/query", data={"f": "json", "where": "1=1", "returnCountOnly": "true"})
    first, second = server.requests
    method, path, params = first
    assert (method, path) == ("GET", layer("permits") + "/query")
    assert params == {"f": "json", "where": "A = 'b c'", "outFields": "*"}
    assert first.headers["x-test"] == "yes" and first.status == 200
    assert second.method == "POST" and second.params["returnCountOnly"] == "true"
    server.reset_log()
    assert server.requests == []


# --- the expression parsers directly --------------------------------------------------------------------------------


def test_compile_where_three_valued_logic():
    ds = DATASETS["heritage_trees"]
    assert compile_where("1=1", ds.field) is None
    assert compile_where("1=0", ds.field)({}) is False
    keep = compile_where("NOT (HEIGHT > 50)", ds.field)
    assert keep({"HEIGHT": 10}) and not keep({"HEIGHT": 60}) and not keep({"HEIGHT": None})
    between = compile_where("YEAR_Designated NOT BETWEEN 1980 AND 1990 AND TREEID IN (1, 2, 3)", ds.field)
    assert between({"YEAR_Designated": 1974, "TREEID": 1}) and not between({"YEAR_Designated": 1985, "TREEID": 1})
    with pytest.raises(ParseError):
        compile_where("COMMON LIKE 5", ds.field)


def test_compile_hub_filter():
    keep = compile_hub_filter("type=Feature Service AND modified BETWEEN 1 AND 2000")
    assert keep({"type": "feature service", "modified": 5})
    assert not keep({"type": "Feature Service", "modified": 3000})
    with pytest.raises(ParseError):
        compile_hub_filter("tags IN ()")


# --- running by hand --------------------------------------------------------------------------------------------------


def test_python_m_fakeportal_prints_urls():
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fakeportal"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("Ctrl-C"):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.strip())
        portal = next(line.split()[-1] for line in lines if line.startswith("portal:"))
        assert portal.startswith("arcgis:http://127.0.0.1:") and portal.endswith("/hub")
        assert httpx.get(portal.removeprefix("arcgis:") + "/api/search/v1").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=5)
