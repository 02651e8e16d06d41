"""Row ids on every portal (``Dataset.key_field``) and ``Query(with_key=True)``: the id comes with the rows when
asked for (ArcGIS's object id even where it was not among the columns asked for, and on servers that page by
object ids; Socrata's ``:id``, asked for by name as SODA2 wants; CKAN's datastore ``_id``; the bundled OBJECTID),
and never otherwise: it is not one of the dataset's fields, and exports and the grid do not see it."""

from __future__ import annotations

import polars as pl
import pytest

from pdxtui.model import Query
from pdxtui.session import open_session
from tests.support.fakeportal.ckan import CKANApp
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.socrata import SERVICE_REQUESTS, TREES


async def rows(service, dataset, query=Query()) -> pl.DataFrame:
    frames = [part async for part in service.stream(dataset, query)]
    return pl.concat(frames, how="vertical_relaxed")


@pytest.fixture
async def open_service():
    made = []

    def make(portal: str):
        service = open_session(portal=portal).service()
        made.append(service)
        return service

    yield make
    for service in made:
        await service.aclose()


async def test_arcgis_object_id(fake_arcgis, open_service):
    service = open_service(f"arcgis:{fake_arcgis.url}/hub")
    permits = DATASETS["permits"]
    dataset = await service.dataset(permits.id)
    assert dataset.key_field == "OBJECTID"
    frame = await rows(service, dataset, Query(columns=("PERMIT_NUM",), with_key=True, limit=300))
    assert frame.columns == ["OBJECTID", "PERMIT_NUM"] and frame["OBJECTID"].to_list() == list(range(1, 301))
    assert (await rows(service, dataset, Query(columns=("PERMIT_NUM",), limit=5))).columns == ["PERMIT_NUM"]


async def test_arcgis_old_server_paging_by_object_ids_keeps_the_id(fake_arcgis, open_service):
    service = open_service(f"arcgis:{fake_arcgis.url}/hub")
    manholes = DATASETS["sewer_manholes"]  # 10.22: no pagination, read in objectIds batches
    dataset = await service.dataset(manholes.id)
    frame = await rows(service, dataset, Query(columns=("NAME",), with_key=True))
    assert frame.columns == ["OBJECTID", "NAME"]
    assert frame["OBJECTID"].to_list() == list(range(1, manholes.row_count + 1))
    assert any("objectIds" in r.params for r in fake_arcgis.requests_to("/query"))


async def test_socrata_id_is_asked_for_by_name_and_only_when_wanted(fake_socrata, open_service):
    service = open_service(f"socrata:{fake_socrata.url}")
    dataset = await service.dataset(TREES.id)
    assert dataset.key_field == ":id" and ":id" not in [f.name for f in dataset.fields]
    frame = await rows(service, dataset, Query(with_key=True))
    assert frame.columns[0] == ":id" and frame.columns[1:] == [f.name for f in dataset.fields]
    assert frame[":id"].to_list() == [r[":id"] for r in TREES.by_id_order()]
    selects = [r.params["$select"] for r in fake_socrata.requests_to(f"/resource/{TREES.id}")]
    assert selects[-1] == ":id,tree_id,common_name,dbh,the_geom"
    fake_socrata.reset_log()
    plain = await rows(service, dataset)
    assert ":id" not in plain.columns
    assert [r.params["$select"] for r in fake_socrata.requests_to(f"/resource/{TREES.id}")] == [
        "tree_id,common_name,dbh,the_geom"
    ]


async def test_socrata_id_in_json_pages(fake_socrata, open_service):
    service = open_service(f"socrata:{fake_socrata.url}")
    dataset = await service.dataset(SERVICE_REQUESTS.id)  # a location column: pages come as .json
    frame = await rows(service, dataset, Query(columns=("sr_number", "location"), with_key=True))
    assert frame.columns[:2] == [":id", "sr_number"]
    assert frame[":id"].to_list() == [r[":id"] for r in SERVICE_REQUESTS.by_id_order()]
    pages = [r for r in fake_socrata.requests_to(f"/resource/{SERVICE_REQUESTS.id}") if "$offset" in r.params]
    assert pages and all(r.path.endswith(".json") for r in pages)


async def test_ckan_datastore_id_and_a_file_without_one(fake_ckan, open_service):
    service = open_service(f"ckan:{fake_ckan.url}")
    trees = await service.dataset("street-trees")
    assert trees.key_field == "_id" and "_id" not in [f.name for f in trees.fields]
    frame = await rows(service, trees, Query(columns=("species",), with_key=True))
    assert frame.columns == ["_id", "species"] and frame["_id"].to_list() == list(range(1, frame.height + 1))
    assert "_id" not in (await rows(service, trees, Query(limit=3))).columns
    bikes = await service.dataset("bike-counts")  # a CSV file, no datastore: rows have no id
    assert bikes.key_field == ""
    assert (await rows(service, bikes, Query(with_key=True))).columns == [f.name for f in bikes.fields]


async def test_ckan_datastore_gone_falls_back_to_the_file_without_an_id(fake_ckan, open_service):
    app: CKANApp = fake_ckan.apps["ckan"]
    trees = app.package("street-trees").resources[0]
    app.datastore_gone.add(trees.id)
    service = open_service(f"ckan:{fake_ckan.url}")
    dataset = await service.dataset("street-trees")
    assert dataset.key_field == "" and "_id" not in (await rows(service, dataset, Query(with_key=True))).columns


async def test_bundled_objectid(open_service):
    service = open_service("demo")
    dataset = await service.dataset("e5239d11143312e293ded5be6cfeaab4_11")
    assert dataset.key_field == "OBJECTID"
    frame = await rows(service, dataset, Query(columns=("NAME",), with_key=True))
    assert frame.columns == ["OBJECTID", "NAME"] and frame["OBJECTID"].n_unique() == frame.height == dataset.rows
    assert (await rows(service, dataset, Query(columns=("NAME",), limit=5))).columns == ["NAME"]


def test_the_fake_takes_a_star_beside_the_row_id(fake_socrata):
    """As SODA2 does: ``$select=:id,*`` gives the row id and every column."""
    import httpx

    answer = httpx.get(
        f"{fake_socrata.url}/resource/{TREES.id}.json", params={"$select": ":id,*", "$order": ":id"}, trust_env=False
    )
    first = answer.json()[0]
    assert answer.status_code == 200 and first[":id"] == TREES.by_id_order()[0][":id"] and "common_name" in first
