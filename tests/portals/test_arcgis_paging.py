"""ArcGIS paging on servers of every age (issue 15): a layer before 10.3 (no pagination: resultOffset,
resultRecordCount and orderByFields ignored) is read by object id batches; a layer that claims supportsPagination
but ignores resultOffset is caught by its repeated ids and finished by object id; no row is ever delivered twice."""

from __future__ import annotations

import logging
from collections import Counter

from pdxtui.model import Query
from tests.portals import test_arcgis as base
from tests.support.fakeportal.fixtures import DATASETS

OLD = DATASETS["sewer_manholes"]  # 10.22, no advancedQueryCapabilities, 345 rows, maxRecordCount 100
LYING = DATASETS["drinking_fountains"]  # claims supportsPagination, ignores resultOffset; 257 rows, 50 a page

server, make, store, collect = base.server, base.make, base.store, base.collect  # the fixtures of test_arcgis


def oids(pages) -> list[int]:
    return [v for p in pages for v in p.table.column("OBJECTID").to_pylist()]


def row_queries(server, layer):
    return [r for r in server.requests_to(layer.path + "/query") if r.params.get("returnCountOnly") != "true"]


async def test_old_server_is_read_whole_by_object_ids(server, make):
    portal = make(server)
    ds = await portal.dataset(OLD.id)
    assert ds.rows == 345
    server.reset_log()
    pages = await collect(portal, ds, Query(limit=1000))
    assert oids(pages) == list(range(1, 346))  # 345 distinct rows, in order: not 1,000 rows of which 100 distinct
    assert [p.offset for p in pages] == [0, 100, 200, 300]
    assert pages[0].table.column("NAME").to_pylist() == [r["NAME"] for r in OLD.rows[:100]]
    sent = row_queries(server, OLD)
    assert sent[0].params["returnIdsOnly"] == "true"
    batches = [r.params["objectIds"] for r in sent[1:]]
    assert sorted(len(b.split(",")) for b in batches) == [45, 100, 100, 100]  # concurrent: any order on the wire
    assert all("resultOffset" not in r.params and "orderByFields" not in r.params for r in sent)


async def test_old_server_preview_of_n_rows_and_an_offset(server, make):
    portal = make(server)
    ds = await portal.dataset(OLD.id)
    assert oids(await collect(portal, ds, Query(limit=150))) == list(range(1, 151))
    assert oids(await collect(portal, ds, Query(offset=340, limit=50))) == list(range(341, 346))


async def test_old_server_where_and_near_go_on_the_ids_query(server, make):
    portal = make(server)
    ds = await portal.dataset(OLD.id)
    server.reset_log()
    pages = await collect(portal, ds, Query(where="TYPE = 'Drop'"))
    expected = [r["OBJECTID"] for r in OLD.rows if r["TYPE"] == "Drop"]
    assert 100 < len(expected) < 345
    assert oids(pages) == expected
    ids_query = row_queries(server, OLD)[0]
    assert ids_query.params["returnIdsOnly"] == "true" and ids_query.params["where"] == "TYPE = 'Drop'"
    lon, lat = OLD.geometries[0]
    server.reset_log()
    near = await collect(portal, ds, Query(near=(lat, lon, 2000.0)))
    ids_query = row_queries(server, OLD)[0]
    assert ids_query.params["returnIdsOnly"] == "true" and "geometry" in ids_query.params
    assert "distance" in ids_query.params
    assert 0 < len(oids(near)) < 345 and OLD.rows[0]["OBJECTID"] in oids(near)
    assert len(set(oids(near))) == len(oids(near))


async def test_old_server_sort_is_done_on_the_rows_read(server, make, caplog):
    portal = make(server)
    ds = await portal.dataset(OLD.id)
    server.reset_log()
    with caplog.at_level(logging.WARNING):
        pages = await collect(portal, ds, Query(columns=("NAME",), order=(("NAME", True),), limit=120))
    names = [v for p in pages for v in p.table.column("NAME").to_pylist()]
    assert names == sorted((r["NAME"] for r in OLD.rows), reverse=True)[:120]
    assert all(p.table.column_names == ["NAME"] for p in pages)
    assert all("orderByFields" not in r.params for r in row_queries(server, OLD))
    assert "sorted here" in caplog.text
    assert "orderByFields" not in portal.query_url(ds, Query(order=(("NAME", False),)))


async def test_a_layer_that_ignores_result_offset_yields_each_row_once(server, make, caplog):
    portal = make(server)
    ds = await portal.dataset(LYING.id)
    notes = []
    with caplog.at_level(logging.WARNING):
        pages = await collect(portal, ds, Query(), progress=lambda p: notes.append(p.message))
    assert oids(pages) == list(range(1, 258))
    assert "ignores resultOffset" in caplog.text
    assert any("ignores resultOffset" in note for note in notes)
    limited = await collect(portal, ds, Query(limit=120))
    assert oids(limited) == list(range(1, 121))


async def test_a_layer_that_ignores_result_offset_keeps_the_server_sort(server, make):
    portal = make(server)
    ds = await portal.dataset(LYING.id)
    pages = await collect(portal, ds, Query(order=(("NAME", False),)))
    expected = [r["OBJECTID"] for r in sorted(LYING.rows, key=lambda r: (r["NAME"], r["OBJECTID"]))]
    assert oids(pages) == expected


async def test_count_on_an_old_server(server, make):
    portal = make(server)
    ds = await portal.dataset(OLD.id)
    assert await portal.count(ds, Query(where="TYPE = 'Drop'")) == sum(1 for r in OLD.rows if r["TYPE"] == "Drop")


async def test_group_counts_on_an_old_server_come_most_frequent_first(server, make):
    portal = make(server)
    ds = await portal.dataset(OLD.id)
    pairs, total = await portal.group_counts(ds, "TYPE")
    assert total == 345 and [count for _, count in pairs] == sorted((count for _, count in pairs), reverse=True)
    assert dict(pairs) == dict(Counter(r["TYPE"] for r in OLD.rows))


async def test_the_preview_carries_what_the_portal_said(server, make):
    """A sort done here on an old server's rows is said with the rows (Preview.notes), not only in the log."""
    from pdxtui.service import Service

    service = Service(make(server))
    ds = await service.dataset(OLD.id)
    plain = await service.preview(ds, rows=20)
    assert plain.notes == ()
    preview = await service.preview(ds, rows=20, query=Query(order=(("NAME", True),)))
    assert len(preview.notes) == 1 and "sorted here" in preview.notes[0]
    more = await service.more(preview, 20)
    assert more.notes == preview.notes and more.shown == 40  # said once, however many pages follow
