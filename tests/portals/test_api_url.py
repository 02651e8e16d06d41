"""`u` copies the API URL of the current query: for ArcGIS it must carry the filter, the distance filter, the
columns and the order, and asking the layer with it must give the rows the grid shows."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from pdxtui.model import Query
from pdxtui.portals import PortalSpec, open_portal
from pdxtui.service import Service
from tests.support.fakeportal.fixtures import DATASETS

TREES = DATASETS["street_trees"]


@pytest.fixture
async def service(fake_arcgis):
    svc = Service(open_portal(PortalSpec("fake", "arcgis", f"{fake_arcgis.url}/hub")))
    yield svc
    await svc.aclose()


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:  # the fake, on 127.0.0.1
        return json.load(answer)


async def test_url_carries_filter_columns_and_order(service, fake_arcgis):
    ds = await service.dataset(TREES.id)
    query = Query(
        where="SPECIES ~ maple and DIAMETER > 20",
        columns=("OBJECTID", "SPECIES", "DIAMETER"),
        order=(("DIAMETER", True),),
    )
    url = service.api_url(ds, query)
    assert url.startswith(f"{fake_arcgis.url}{TREES.path}/query?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert "DIAMETER > 20" in params["where"] and "maple" in params["where"].lower()
    assert params["outFields"] == "OBJECTID,SPECIES,DIAMETER"
    assert params["orderByFields"].startswith("DIAMETER DESC")

    answer = fetch_json(url)  # what another tool gets from the copied URL
    preview = await service.preview(ds, rows=len(answer["features"]), query=query)
    got = [(f["attributes"]["OBJECTID"], f["attributes"]["DIAMETER"]) for f in answer["features"]]
    assert got and got == list(zip(preview.frame["OBJECTID"].to_list(), preview.frame["DIAMETER"].to_list()))


async def test_url_carries_the_distance_filter(service):
    ds = await service.dataset(TREES.id)
    preview = await service.preview(ds, rows=1)
    lat, lon = preview.frame["latitude"][0], preview.frame["longitude"][0]
    query = Query(near=(lat, lon, 150.0))
    params = {k: v[0] for k, v in parse_qs(urlsplit(service.api_url(ds, query)).query).items()}
    assert params["distance"] == "150" and params["units"] == "esriSRUnit_Meter" and params["inSR"] == "4326"
    assert params["geometry"] == f"{lon:.7f},{lat:.7f}"
    count = fetch_json(service.api_url(ds, query) + "&returnCountOnly=true")["count"]
    assert 0 < count == await service.count(ds, query)


async def test_url_before_the_layer_is_known_is_the_bare_query(service, fake_arcgis):
    from dataclasses import replace

    ds = await service.dataset(TREES.id)
    other = replace(ds, id="not-opened-here")
    url = service.api_url(other, Query(where="DIAMETER > 20"))
    assert url.startswith(ds.api_url + "?") and "where=1%3D1" in url
