"""Pilot and snapshot tests of ArcGIS map services with several layers: opening the service's record offers the
layer picker, and choosing a layer shows its rows."""

from __future__ import annotations

import socket

import pytest

from pdxtui.session import open_session
from pdxtui.ui.app import PdxApp
from tests.support.fakeportal.fixtures import DATASETS, catalog
from tests.support.uihelpers import screen_text, settle, text_of, wait_for

SIZE = (140, 42)
HERITAGE = DATASETS["heritage_trees"]
MAP_SERVICE = next(item for item in catalog("dataset") if item.type == "Map Service")
PDF_ITEM = next(item for item in catalog("dataset") if item.type == "PDF")
SNAPSHOT_PORT = 29617  # fixed, so the URLs in the metadata pane (and so the snapshot) do not change between runs


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


def app_for(url: str) -> PdxApp:
    return PdxApp(session=open_session(portal=f"arcgis:{url}/hub"))


async def test_opening_a_service_offers_its_layers_and_a_choice_shows_rows(fake_arcgis):
    from pdxtui.ui.screens.resources import ResourcesScreen
    from pdxtui.ui.widgets.grid import PreviewGrid

    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(MAP_SERVICE.id)
        await wait_for(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await settle(pilot)
        shown = screen_text(app)
        assert "Layers and tables of Environment Map Service" in shown
        assert "Heritage Trees" in shown and "Street Tree Inventory" in shown
        await pilot.press("enter")  # the first: Heritage Trees (layer 26)
        await settle(pilot)
        assert not isinstance(app.screen, ResourcesScreen)
        ds = app.screen.dataset
        assert ds.id == f"{MAP_SERVICE.id}_26" and ds.title == "Environment Map Service – Heritage Trees"
        assert f"Showing 316 of {HERITAGE.row_count} rows" in text_of(app.screen.query_one("#preview-header"))
        assert app.screen.query_one(PreviewGrid).row_count == HERITAGE.row_count


async def test_esc_leaves_the_service_metadata_and_R_offers_the_layers_again(fake_arcgis):
    from pdxtui.ui.screens.resources import ResourcesScreen

    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(MAP_SERVICE.id)
        await wait_for(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.dataset.id == MAP_SERVICE.id
        meta = text_of(app.screen.query_one("#metadata-body"))
        assert "Layers and tables" in meta and "R opens one of them" in meta
        assert "open one of them" in text_of(app.screen.query_one("#preview-empty"))
        assert app.focused.id == "preview-empty"  # back where the picker was opened from: the pane's message
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ResourcesScreen))


async def test_an_item_that_is_not_a_layer_says_so(fake_arcgis):
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(PDF_ITEM.id)
        await settle(pilot)
        preview = text_of(app.screen.query_one("#preview-empty"))
        assert "a PDF document" in preview and "no tabular preview" in preview
        assert "/sharing/rest/content/items/" in text_of(app.screen.query_one("#metadata-body"))


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_snapshot_of_the_layer_picker(snap_compare, fixed_freshness_clock):
    from tests.support.fakeportal import start_server

    if not _free(SNAPSHOT_PORT):
        pytest.skip(f"port {SNAPSHOT_PORT} is taken; the snapshot needs it for stable URLs")
    server = start_server(port=SNAPSHOT_PORT)
    try:

        async def run_before(pilot):
            from pdxtui.ui.screens.resources import ResourcesScreen

            await pilot.pause()
            await settle(pilot)
            pilot.app.screen.open_dataset(MAP_SERVICE.id)
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResourcesScreen))
            await settle(pilot)
            await pilot.pause()

        assert snap_compare(app_for(server.url), terminal_size=SIZE, run_before=run_before)
    finally:
        server.stop()


async def test_a_table_shows_rows_and_its_map_key_says_there_are_no_coordinates(fake_arcgis):
    from pdxtui.ui.widgets.grid import PreviewGrid

    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(f"{MAP_SERVICE.id}_230")
        await settle(pilot)
        assert app.screen.dataset.title == "Environment Map Service – Tree Permit Fees"
        assert app.screen.query_one(PreviewGrid).row_count == 12
        app.screen.query_one("#preview").grid.focus()
        await pilot.press("m")
        await settle(pilot)
        assert any("no latitude/longitude" in str(n.message) for n in app._notifications)
