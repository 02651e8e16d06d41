"""The per-host limit (``net.max_per_host``) bounds every portal kind's paging: ArcGIS offset pages and object id
batches, Socrata pages, CKAN datastore pages. The fake server counts the most requests it answered at one time;
each request is held a little (a latency fault) so that requests sent together are seen together. Not timed."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable

import pytest

from pdxtui.cache import Store
from pdxtui.model import Query
from pdxtui.net import Fetcher, make_client
from pdxtui.portals import parse_portal
from pdxtui.portals.arcgis import ArcGISPortal
from pdxtui.portals.ckan import CKANPortal
from pdxtui.portals.ckan import portal as ckan_portal
from pdxtui.portals.network import NetworkPortal
from pdxtui.portals.socrata import SocrataPortal
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.socrata import INSPECTIONS

LIMIT = 3
HOLD = 0.1  # seconds each row request is held by the server: long enough for the client to send the rest
_SSL = ssl.create_default_context()


@pytest.fixture
async def fetcher(tmp_path) -> AsyncIterator[Callable[[str], Fetcher]]:
    store = Store.open(tmp_path / "cache")
    made: list[Fetcher] = []

    def make(name: str) -> Fetcher:
        client = make_client(timeout_connect=2, timeout_read=5, trust_env=False, verify=_SSL)
        made.append(Fetcher(name, client=client, store=store, max_per_host=LIMIT))
        return made[-1]

    yield make
    for f in made:
        await f.aclose()
        await f.client.aclose()
    store.close()


async def read_all(server, portal: NetworkPortal, ident: str, path_contains: str) -> list[tuple[int, int]]:
    """(offset, rows) of every page of ``ident``, read with each row request held ``HOLD`` seconds."""
    ds = await portal.dataset(ident)
    server.faults.set("latency", path_contains=path_contains, seconds=HOLD)
    server.reset_log()
    return [(page.offset, page.table.num_rows) async for page in portal.pages(ds, Query())]


def in_order(pages: list[tuple[int, int]], total: int, size: int) -> bool:
    return pages == [(offset, min(size, total - offset)) for offset in range(0, total, size)]


async def test_arcgis_offset_pages(fake_arcgis, fetcher):
    layer = DATASETS["permits"]  # 1,234 rows, 150 a page: 9 pages
    spec = parse_portal(f"arcgis:{fake_arcgis.url}/hub")
    portal = ArcGISPortal(spec, fetcher(f"arcgis:{spec.url}"))
    pages = await read_all(fake_arcgis, portal, layer.id, layer.path + "/query")
    assert in_order(pages, layer.row_count, layer.max_record_count)
    assert all("resultOffset" in r.params for r in fake_arcgis.requests_to(layer.path + "/query"))
    assert fake_arcgis.max_in_flight == LIMIT


async def test_arcgis_object_id_batches(fake_arcgis, fetcher):
    layer = DATASETS["sewer_manholes"]  # before 10.3: 345 rows read by object id, 100 a batch
    spec = parse_portal(f"arcgis:{fake_arcgis.url}/hub")
    portal = ArcGISPortal(spec, fetcher(f"arcgis:{spec.url}"))
    pages = await read_all(fake_arcgis, portal, layer.id, layer.path + "/query")
    assert in_order(pages, layer.row_count, layer.max_record_count)
    assert sum("objectIds" in r.params for r in fake_arcgis.requests_to(layer.path + "/query")) == 4
    assert fake_arcgis.max_in_flight == LIMIT


async def test_socrata_pages(fake_socrata, fetcher):
    spec = parse_portal(f"socrata:{fake_socrata.url}")
    portal = SocrataPortal(spec, fetcher(f"socrata:{spec.url}"), page_rows=300)
    pages = await read_all(fake_socrata, portal, INSPECTIONS.id, f"/resource/{INSPECTIONS.id}.")
    assert in_order(pages, 2345, 300)
    assert fake_socrata.max_in_flight == LIMIT


async def test_ckan_datastore_pages(fake_ckan, fetcher, monkeypatch):
    monkeypatch.setattr(ckan_portal, "PAGE_ROWS", 300)
    spec = parse_portal(f"ckan:{fake_ckan.url}")
    portal = CKANPortal(spec, fetcher(f"ckan:{spec.url}"))
    pages = await read_all(fake_ckan, portal, "street-trees", "datastore_search")
    assert in_order(pages, 2345, 300)
    assert fake_ckan.max_in_flight == LIMIT
