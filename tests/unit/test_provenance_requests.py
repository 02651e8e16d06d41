"""The record's ``query.url`` is the rows request pdxtui actually sent (issue 18, section 2), for every portal kind
and every way of reading rows, checked against the fake server's own log of requests: the same path and, the
paging parameters the record names in ``paged_by`` aside, the same parameters; no secret."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import stamina

from pdxtui.cli import main
from tests.support.fakeportal.fixtures import DATASETS


def _export(capsys, portal: str, ident: str, target: Path, *more: str) -> dict:
    with stamina.set_testing(True, attempts=3, cap=True):
        code = main(["--portal", portal, "export", ident, "-o", str(target), *more])
    _out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(Path(f"{target}.provenance.json").read_text())


def _matches_sent(record: dict, sent: list) -> None:
    """Every rows request ``sent`` is the recorded URL with only the ``paged_by`` parameters added."""
    url, paged_by = record["query"]["url"], record["query"]["paged_by"]
    assert sent, "no rows request was logged"
    recorded = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert not set(recorded) & set(paged_by), (recorded, paged_by)
    for request in sent:
        assert request.path == urlsplit(url).path, (url, request.path)
        assert {k: v for k, v in request.params.items() if k not in paged_by} == recorded, (url, request.params)
        assert set(paged_by) <= set(request.params), (paged_by, request.params)
    if paged_by:
        assert all(name in record["query"]["url_note"] for name in paged_by), record["query"]["url_note"]


def test_socrata_records_the_csv_request_it_sent(tmp_path, capsys, fake_socrata):
    from tests.support.fakeportal.socrata import INSPECTIONS

    record = _export(
        capsys,
        f"socrata:{fake_socrata.url}",
        INSPECTIONS.id,
        tmp_path / "s.csv",
        "--where",
        "score > 80",
        "--columns",
        "score,dba_name",
        "--limit",
        "30",
    )
    sent = [r for r in fake_socrata.requests if "/resource/" in r.path and "count(" not in str(r.params)]
    assert all(r.path.endswith(".csv") for r in sent)
    assert record["query"]["paged_by"] == ["$limit", "$offset"]
    _matches_sent(record, sent)
    assert "score" in record["query"]["url"] and record["query"]["filtered_by"] == "portal"


def test_socrata_point_columns_are_read_as_json_and_recorded_so(tmp_path, capsys, fake_socrata):
    from tests.support.fakeportal.socrata import TREES

    record = _export(capsys, f"socrata:{fake_socrata.url}", TREES.id, tmp_path / "t.csv", "--limit", "5")
    sent = [r for r in fake_socrata.requests if "/resource/" in r.path and "count(" not in str(r.params)]
    assert all(r.path.endswith(".json") for r in sent)
    _matches_sent(record, sent)


def test_arcgis_offset_pages_are_recorded_as_sent(tmp_path, capsys, fake_arcgis):
    permits = DATASETS["permits"]
    record = _export(
        capsys, f"arcgis:{fake_arcgis.url}/hub", permits.id, tmp_path / "p.csv", "--where", "VALUATION > 1000"
    )
    sent = [r for r in fake_arcgis.requests_to("/query") if "outFields" in r.params]
    assert record["query"]["paged_by"] == ["resultOffset", "resultRecordCount"]
    _matches_sent(record, sent)


def test_arcgis_object_id_batches_of_an_old_server_are_recorded_as_sent(tmp_path, capsys, fake_arcgis):
    legacy = DATASETS["code_cases_2006"]
    record = _export(capsys, f"arcgis:{fake_arcgis.url}/hub", legacy.id, tmp_path / "old.csv", "--limit", "40")
    sent = [r for r in fake_arcgis.requests_to("/query") if "objectIds" in r.params]
    assert record["query"]["paged_by"] == ["objectIds"]
    assert "orderByFields" not in record["query"]["url"]
    _matches_sent(record, sent)


async def test_arcgis_rows_sorted_here_are_recorded_as_read(tmp_path, fake_arcgis):
    """An old server cannot sort: pdxtui reads the rows in the server's order (every column: it sorts them
    itself) and the record names those requests, not a query with an order the server never got."""
    from pdxtui.export import ExportOptions, export_query
    from pdxtui.model import Query
    from pdxtui.session import open_session

    service = open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()
    legacy = DATASETS["code_cases_2006"]
    target = tmp_path / "sorted.csv"
    try:
        ds = await service.dataset(legacy.id)
        query = Query(order=(("CASE_NUM", True),), columns=("CASE_NUM", "PARCEL"), limit=30)
        await export_query(service, ds, target, ExportOptions(), query=query)
    finally:
        await service.aclose()
    record = json.loads(Path(f"{target}.provenance.json").read_text())
    sent = [r for r in fake_arcgis.requests_to("/query") if "objectIds" in r.params]
    assert record["query"]["order"] == [{"column": "CASE_NUM", "descending": True}]
    _matches_sent(record, sent)


def test_ckan_datastore_search_is_recorded_as_sent(tmp_path, capsys, fake_ckan):
    record = _export(capsys, f"ckan:{fake_ckan.url}", "street-trees", tmp_path / "c.csv", "--limit", "7")
    sent = [r for r in fake_ckan.requests_to("/datastore_search") if "offset" in r.params]
    assert record["query"]["paged_by"] == ["limit", "offset"]
    _matches_sent(record, sent)


def test_ckan_csv_resource_is_recorded_as_the_file_downloaded(tmp_path, capsys, fake_ckan):
    record = _export(
        capsys, f"ckan:{fake_ckan.url}", "bike-counts", tmp_path / "b.csv", "--where", "riders > 100", "--limit", "3"
    )
    sent = [r for r in fake_ckan.requests_to("/download/")]
    assert record["query"]["paged_by"] == [] and record["query"]["filtered_by"] == "pdxtui"
    assert record["query"]["url_note"] is None
    _matches_sent(record, sent)


def test_portlandmaps_detail_url_is_the_request_sent_without_its_key(fake_portlandmaps):
    from pdxtui.portlandmaps.client import PortlandMaps, Settings
    from tests.support.fakeportal.portlandmaps import ADDRESSES, TEST_KEY

    base = fake_portlandmaps.apps["portlandmaps"].base_url(fake_portlandmaps)
    client = PortlandMaps(Settings(api_key=TEST_KEY, url=base))
    ident = f" {ADDRESSES[0]['id']} "

    async def go() -> None:
        try:
            await client.detail("permit", ident)
        finally:
            await client.aclose()

    asyncio.run(go())
    url = client.detail_url("permit", ident)
    assert TEST_KEY not in url
    (request,) = fake_portlandmaps.requests_to("/api/detail")
    assert request.path == urlsplit(url).path
    assert {k: v for k, v in request.params.items() if k != "api_key"} == dict(parse_qsl(urlsplit(url).query))


@pytest.mark.parametrize("portal", ["socrata", "ckan"])
def test_no_secret_in_the_recorded_url(tmp_path, capsys, portal, request):
    """The URL is the request as sent, but never with the token that went with it."""
    server = request.getfixturevalue(f"fake_{portal}")
    ident = "insp-2345" if portal == "socrata" else "street-trees"
    record = _export(capsys, f"{portal}:{server.url}", ident, tmp_path / "x.csv", "--limit", "2")
    assert "token" not in record["query"]["url"].lower() and "api_key" not in record["query"]["url"]
