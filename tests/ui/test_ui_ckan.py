"""Pilot and snapshot tests of the browser on the fake CKAN site: open a dataset, filter and sort its loaded rows
locally (CKAN cannot do it on the server), pick another resource with R."""

from __future__ import annotations

import socket

import pytest

from pdxtui.session import open_session
from pdxtui.ui.app import PdxApp
from tests.support.uihelpers import screen_text, settle, text_of, wait_for

SIZE = (140, 42)
BUDGET_2023 = "c0ffee00-3333-4e3f-9c9d-000000002023"
BUDGET_2024 = "c0ffee00-3333-4e3f-9c9d-000000002024"
SNAPSHOT_PORT = 29613  # fixed, so the URLs in the metadata pane (and so the snapshot) do not change between runs;
# below the ephemeral range (32768-60999 on Linux), so no shared fake server or client socket can hold it


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


def app_for(url: str) -> PdxApp:
    return PdxApp(session=open_session(portal=f"ckan:{url}"))


def trees(server):
    return server.apps["ckan"].package("street-trees").resources[0].datastore.rows


async def test_open_a_dataset_from_the_catalog(fake_ckan):
    from pdxtui.ui.widgets.grid import PreviewGrid

    app = app_for(fake_ckan.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sub_title == "CKAN: 127.0.0.1"
        assert len(app.screen.query_one("#catalog").hits) == 5
        await pilot.press(*"tree", "enter")
        await settle(pilot)
        assert [h.title for h in app.screen.query_one("#catalog").hits] == ["Street Tree Inventory"]
        await pilot.press("enter")
        await settle(pilot)
        ds = app.screen.dataset
        assert ds.id == "street-trees" and ds.rows == 2345
        meta = text_of(app.screen.query_one("#metadata-body"))
        assert "Parks Department" in meta and "Resources" in meta and "Data dictionary" in meta
        assert "no preview" in meta and "datastore" in meta
        assert "<p>" not in meta and "&amp;" not in meta
        header = text_of(app.screen.query_one("#preview-header"))
        assert "Showing 1,000 of 2,345 rows" in header
        assert app.screen.query_one(PreviewGrid).row_count == 1000
        assert "the loaded rows" in app.screen.query_one("#filter").placeholder
        # the facets in the sidebar come from package_search's search_facets
        assert fake_ckan.requests_to("/package_search")[0] is not None
        assert any("facet.field" in r.params for r in fake_ckan.requests_to("/package_search"))


async def test_filter_and_sort_the_loaded_rows_locally(fake_ckan):
    app = app_for(fake_ckan.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset("street-trees")
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        asked = len(fake_ckan.requests_to("/datastore_search"))
        pane.grid.focus()
        await pilot.press("f", *"species = 'Acer rubrum' and healthy = true", "enter")
        await settle(pilot)
        expected = [r["tree_id"] for r in trees(fake_ckan)[:1000] if r["species"] == "Acer rubrum" and r["healthy"]]
        assert pane.view["tree_id"].to_list() == expected and len(expected) > 50
        assert pane.local_where == "species = 'Acer rubrum' and healthy = true"
        assert pane.preview.query.where is None and pane.preview.shown == 1000
        assert len(fake_ckan.requests_to("/datastore_search")) == asked  # nothing asked of CKAN
        assert text_of(pane.query_one("#preview-header")).startswith(f"{len(expected)} of 1,000 loaded rows match")
        assert any("cannot filter on the server" in str(n.message) for n in app._notifications)
        pane.grid.focus()
        pane.grid.move_cursor(column=pane.view.columns.index("diameter"))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        diameters = [d for d in pane.view["diameter"].to_list() if d is not None]
        assert diameters == sorted(diameters, reverse=True) and pane.preview.query.order == ()
        assert len(fake_ckan.requests_to("/datastore_search")) == asked
        # + loads the next rows, and the local filter then covers them too
        await pilot.press("plus")
        await settle(pilot)
        assert pane.preview.shown == 2000
        more = [r["tree_id"] for r in trees(fake_ckan)[:2000] if r["species"] == "Acer rubrum" and r["healthy"]]
        assert sorted(pane.view["tree_id"].to_list()) == more


async def test_export_every_row_matching_a_local_filter(fake_ckan, tmp_path):
    import polars as pl

    from pdxtui.ui.screens.export import ExportScreen

    app = app_for(fake_ckan.url)
    target = tmp_path / "oaks.csv"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset("street-trees")
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.press("f", *"species = 'Quercus garryana'", "enter")
        await settle(pilot)
        assert pane.preview.shown == 1000 and pane.local_where
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        dialog = app.screen
        dialog.query_one("#path").value = str(target)
        dialog.query_one("#scope-filtered").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
    expected = [r["tree_id"] for r in trees(fake_ckan) if r["species"] == "Quercus garryana"]
    assert pl.read_csv(target)["tree_id"].to_list() == expected  # all 2,345 rows read, filtered here
    assert len(expected) > 250
    assert all("filters" not in r.params for r in fake_ckan.requests_to("/datastore_search"))


async def test_pick_another_resource_with_R(fake_ckan):
    from pdxtui.ui.screens.resources import ResourcesScreen

    app = app_for(fake_ckan.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset("city-budget")
        await settle(pilot)
        assert app.screen.dataset.resource == BUDGET_2023
        assert "Showing 40 of 40 rows" in text_of(app.screen.query_one("#preview-header"))
        assert "R shows the rows of another resource" in text_of(app.screen.query_one("#metadata-body"))
        app.screen.query_one("#preview").grid.focus()
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        shown = screen_text(app)
        assert "Budget 2023" in shown and "Budget 2024" in shown and "Budget book" in shown
        # the PDF cannot be shown: a message, and the picker stays open
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ResourcesScreen)
        assert any("no tabular preview (PDF)" in str(n.message) for n in app._notifications)
        await pilot.press("up", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ResourcesScreen)
        ds = app.screen.dataset
        assert ds.id == f"city-budget/{BUDGET_2024}" and ds.resource == BUDGET_2024
        assert "Showing 25 of 25 rows" in text_of(app.screen.query_one("#preview-header"))
        assert fake_ckan.requests_to("/download/budget_2024.csv")
        # Esc closes the picker without reopening anything
        shows = len(fake_ckan.requests_to("/package_show"))
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.dataset.id == f"city-budget/{BUDGET_2024}"
        assert len(fake_ckan.requests_to("/package_show")) == shows


async def test_R_without_resources_says_what_it_is_for(fake_ckan):
    app = app_for(fake_ckan.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#metadata").focus()  # (in the results list, R would start a search)
        await pilot.press("R")
        await pilot.pause()
        assert any("CKAN dataset" in str(n.message) for n in app._notifications)


async def test_dataset_without_a_table_says_so_in_the_preview(fake_ckan):
    app = app_for(fake_ckan.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset("council-minutes")
        await settle(pilot)
        preview = text_of(app.screen.query_one("#preview-empty"))
        assert "no tabular resource to preview (PDF)" in preview
        assert "Minutes 2023" in text_of(app.screen.query_one("#metadata-body"))


def _free(port: int) -> bool:
    """Whether the fake server can bind ``port``: asked the way it binds (SO_REUSEADDR, as http.server does), so the
    TIME_WAIT left by the other snapshot's server moments ago does not count as taken."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _snapshot(snap_compare, steps) -> bool:
    from tests.support.fakeportal.ckan import start_ckan_server

    if not _free(SNAPSHOT_PORT):
        pytest.skip(f"port {SNAPSHOT_PORT} is taken; the snapshot needs it for stable URLs")
    server = start_ckan_server(port=SNAPSHOT_PORT)
    try:

        async def run_before(pilot):
            await pilot.pause()
            await settle(pilot)
            pilot.app.screen.open_dataset("city-budget")
            await settle(pilot)
            pilot.app.screen.query_one("#preview").grid.focus()
            await settle(pilot)
            await steps(pilot)
            await pilot.pause()

        return snap_compare(app_for(server.url), terminal_size=SIZE, run_before=run_before)
    finally:
        server.stop()


@pytest.mark.xdist_group("ckan-snapshot-port")  # one worker: both bind SNAPSHOT_PORT (else one skips)
def test_snapshot_of_a_ckan_dataset(snap_compare, fixed_freshness_clock):
    async def nothing(pilot):
        pass

    assert _snapshot(snap_compare, nothing)


@pytest.mark.xdist_group("ckan-snapshot-port")  # one worker: both bind SNAPSHOT_PORT (else one skips)
def test_snapshot_of_the_resource_picker(snap_compare, fixed_freshness_clock):
    async def pick(pilot):
        from pdxtui.ui.screens.resources import ResourcesScreen

        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResourcesScreen))
        await settle(pilot)

    assert _snapshot(snap_compare, pick)


# --- counts under a local filter (issue 16, bug 5) ------------------------------------------------------------


async def _filter_locally(pilot, dataset: str, text: str):
    pilot.app.screen.open_dataset(dataset)
    await settle(pilot)
    pane = pilot.app.screen.query_one("#preview")
    pane.grid.focus()
    await pilot.press("f", *text, "enter")
    await settle(pilot)
    return pane


async def test_header_leads_with_the_matching_count_of_a_local_filter(fake_ckan):
    app = app_for(fake_ckan.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = await _filter_locally(pilot, "city-budget", "department = 'Parks'")
        assert pane.preview.shown == 40 and pane.view.height == 7
        header = text_of(pane.query_one("#preview-header"))
        assert header.startswith("7 of 40 rows match")
        assert "Showing 40 of 40" not in header
        shown = screen_text(app)  # painted, not cut off at 80 columns
        assert "7 of 40 rows match" in shown
        # a filter on part of the dataset: the loaded rows, and how many there are in all
        pane = await _filter_locally(pilot, "street-trees", "species = 'Acer rubrum'")
        matching = pane.view.height
        assert 0 < matching < 1000
        header = text_of(pane.query_one("#preview-header"))
        assert header.startswith(f"{matching:,} of 1,000 loaded rows match") and "2,345" in header
        assert f"{matching:,} of 1,000 loaded rows match" in screen_text(app)


async def test_export_dialog_counts_what_a_local_filter_keeps_and_writes_it(fake_ckan, tmp_path):
    import polars as pl

    from pdxtui.ui.screens.export import ExportScreen

    app = app_for(fake_ckan.url)
    target = tmp_path / "parks.csv"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _filter_locally(pilot, "city-budget", "department = 'Parks'")
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        dialog = app.screen
        labels = {b.id: str(b.label) for b in dialog.query("RadioButton")}
        assert "(7" in labels["scope-loaded"] and "(7" in labels["scope-filtered"], labels
        assert "(40" in labels["scope-dataset"]
        assert dialog.scope() == "filtered"  # a filter is on: its rows are the default
        assert dialog.rows_for_scope() == 7
        dialog.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
    assert pl.read_csv(target)["department"].to_list() == ["Parks"] * 7


async def test_export_dialog_does_not_pretend_to_know_the_count_of_a_partial_local_filter(fake_ckan):
    from pdxtui.ui.screens.export import ExportScreen

    app = app_for(fake_ckan.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await _filter_locally(pilot, "street-trees", "species = 'Acer rubrum'")
        matching = pane.view.height
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        labels = {b.id: str(b.label) for b in app.screen.query("RadioButton")}
        assert f"({matching:,}" in labels["scope-loaded"], labels
        filtered = labels["scope-filtered"]
        assert "(1,000" not in filtered and "(2,345" not in filtered  # neither the loaded rows nor all rows
        assert "count unknown" in filtered and "2,345" in filtered  # how many rows are read to find them


async def test_stats_of_a_local_filter_count_the_matching_rows(fake_ckan):
    app = app_for(fake_ckan.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await _filter_locally(pilot, "city-budget", "department = 'Parks'")
        pane.grid.focus()
        pane.grid.move_cursor(column=pane.view.columns.index("department"))
        await pilot.press("s")
        await settle(pilot)
        shown = " ".join(text_of(app.screen.query_one("#stats-body")).split())
        assert "All 7 rows matching the filter department = 'Parks'" in shown
        assert "Rows 7" in shown and "of the dataset" not in shown
