"""Sort and filter run on the ArcGIS server: the fake portal receives the translated where and orderByFields."""

from __future__ import annotations

import pytest

from pdxtui.filters import FilterError
from pdxtui.model import Query
from pdxtui.session import open_session
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.uihelpers import settle, text_of

TREES = DATASETS["street_trees"]


def rows(name: str) -> list[dict]:
    return DATASETS[name].rows


def query_params(server) -> list[dict]:
    return [r.params for r in server.requests if r.path.endswith("/query") and "returnCountOnly" not in r.params]


async def test_filter_and_sort_are_sent_to_the_layer(fake_arcgis):
    service = open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()
    try:
        ds = await service.dataset(TREES.id)
        preview = await service.preview(
            ds, query=Query(where="SPECIES ~ maple and DIAMETER > 30", order=(("DIAMETER", True),))
        )
    finally:
        await service.aclose()
    expected = [
        r
        for r in rows("street_trees")
        if "MAPLE" in (r["SPECIES"] or "").upper() and r["DIAMETER"] is not None and r["DIAMETER"] > 30
    ]
    assert preview.total == len(expected)
    assert (
        preview.frame["DIAMETER"].to_list() == sorted((r["DIAMETER"] for r in expected), reverse=True)[: preview.shown]
    )
    sent = query_params(fake_arcgis)
    assert sent and all(p["where"] == "UPPER(SPECIES) LIKE '%MAPLE%' AND DIAMETER > 30" for p in sent)
    assert all(p["orderByFields"].startswith("DIAMETER DESC") for p in sent)
    counts = [r.params for r in fake_arcgis.requests if r.params.get("returnCountOnly") == "true"]
    assert any(c["where"] == "UPPER(SPECIES) LIKE '%MAPLE%' AND DIAMETER > 30" for c in counts)


async def test_coded_labels_become_codes_on_the_server(fake_arcgis):
    service = open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()
    try:
        ds = await service.dataset(TREES.id)
        preview = await service.preview(ds, query=Query(where="Condition = Good"))
    finally:
        await service.aclose()
    assert set(preview.frame["Condition"].to_list()) == {"Good"}  # labels in the rows
    code = next(c for c, label in ds.field("Condition").domain if label == "Good")
    assert query_params(fake_arcgis)[-1]["where"] == f"Condition = '{code}'"  # the code on the wire


async def test_a_filter_the_server_cannot_run_is_refused_before_any_request(fake_arcgis):
    service = open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()
    try:
        ds = await service.dataset(TREES.id)
        before = len(query_params(fake_arcgis))
        with pytest.raises(FilterError, match="cannot filter"):
            await service.preview(ds, query=Query(where="latitude > 45.5"))
        assert len(query_params(fake_arcgis)) == before
    finally:
        await service.aclose()


async def test_grid_sort_and_filter_go_to_the_server(fake_arcgis):
    from pdxtui.ui.app import PdxApp

    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.screen.open_dataset(TREES.id)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        pane.grid.move_cursor(column=pane.view.columns.index("DIAMETER"))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert query_params(fake_arcgis)[-1]["orderByFields"].startswith("DIAMETER DESC")
        await pilot.press("f", *"Condition = Poor", "enter")
        await settle(pilot)
        last = query_params(fake_arcgis)[-1]
        assert last["where"].startswith("Condition = ") and last["orderByFields"].startswith("DIAMETER DESC")
        expected = sum(1 for r in rows("street_trees") if r["Condition"] == last["where"].split("'")[1])
        assert f"of {expected:,} rows" in text_of(pane.query_one("#preview-header"))


async def test_facets_and_stats_of_a_partly_loaded_layer_come_from_the_server(fake_arcgis):
    from collections import Counter

    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens.facets import FacetScreen

    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.screen.open_dataset(TREES.id)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        assert pane.preview.shown < pane.preview.total  # only the first page is loaded
        pane.grid.focus()
        pane.grid.move_cursor(column=pane.view.columns.index("SPECIES"))
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, FacetScreen)
        counts = Counter(r["SPECIES"] for r in rows("street_trees"))
        facet = app.screen.facet
        assert facet.scope == "dataset" and facet.rows == TREES.row_count
        assert {(v.value, v.count) for v in facet.values} == {(k, n) for k, n in counts.items() if k is not None}
        sent = [r.params for r in fake_arcgis.requests if "outStatistics" in r.params]
        assert sent and sent[-1]["groupByFieldsForStatistics"] == "SPECIES"
        await pilot.press("escape")
        await pilot.press("s")
        await settle(pilot)
        text = text_of(app.screen.query_one("#stats-body"))
        assert f"All {TREES.row_count:,} rows of the dataset, counted by" in " ".join(text.split())
