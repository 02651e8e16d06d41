"""Snapshots of the address lookup screen: without a key, with a key (an address picked, its permits grid) and
the open-data-nearby chooser. The fake PortlandMaps API answers; its port never reaches the screen."""

from __future__ import annotations

import pytest

from tests.support.fakeportal.portlandmaps import TEST_KEY
from tests.support.uihelpers import demo_app, settle, steady_cursors, wait_for
from tests.ui.test_ui_address import details_loaded, open_screen, pick, show_tab

SIZE = (140, 42)


@pytest.fixture
def keyed(fake_portlandmaps, monkeypatch):
    monkeypatch.setenv("PDXTUI_PORTLANDMAPS_KEY", TEST_KEY)
    return fake_portlandmaps


async def finish(pilot) -> None:
    await details_loaded(pilot)
    steady_cursors(pilot.app)
    await pilot.pause()


def test_without_a_key(snap_compare, fake_portlandmaps, monkeypatch):
    # the screen names the config file: a fixed one (a missing file means defaults), not the test's temp folder
    monkeypatch.setenv("PDXTUI_CONFIG", "/home/you/.config/pdxtui/config.toml")

    async def run_before(pilot):
        await pilot.pause()
        await open_screen(pilot)
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
    assert fake_portlandmaps.requests == []


def test_address_picked(snap_compare, keyed):
    async def run_before(pilot):
        await pilot.pause()
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        await finish(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_assessor_tab(snap_compare, keyed):
    async def run_before(pilot):
        await pilot.pause()
        await pick(pilot, "1500 alberta", "1500 NE ALBERTA ST")
        await show_tab(pilot, "assessor")
        await finish(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_permits_grid(snap_compare, keyed):
    async def run_before(pilot):
        await pilot.pause()
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        await show_tab(pilot, "permit")
        await finish(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_open_data_nearby_chooser(snap_compare, keyed):
    async def run_before(pilot):
        await pilot.pause()
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "found", None))
        await settle(pilot)
        await finish(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_street_trees_near_the_address(snap_compare, keyed):
    async def run_before(pilot):
        from pdxtui.ui.screens.browse import BrowseScreen

        await pilot.pause()
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "found", None))
        await pilot.press("enter")  # street trees, within 200 m
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowseScreen))
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#preview").preview is not None)
        await settle(pilot)
        steady_cursors(pilot.app)
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
