"""Snapshots of the export dialog and the draft screen at 80×24, the common SSH size: nothing important cut off."""

from __future__ import annotations

from datetime import date

from tests.support.uihelpers import demo_app, settle

SMALL = (80, 24)
HERITAGE = "63d4fe31021075f62edebe781978c0fc_26"
PARKS_TREES = "942034da708da9f6719188b66b3f8782_220"


def test_export_dialog_at_80x24(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(HERITAGE)
        await settle(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause()
        pilot.app.screen.query_one("#path").value = "heritage-trees.csv"  # relative: the same on every machine
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=run_before)


def test_export_dialog_with_a_filter_at_80x24(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(PARKS_TREES)
        await settle(pilot)
        pane = pilot.app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.press("f", *"Condition = 'Good'", "enter")
        await settle(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause()
        pilot.app.screen.query_one("#path").value = "parks-trees.csv"
        pilot.app.screen.query_one("#scope").focus()  # scrolled down to the rows and the columns
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=run_before)


def test_draft_screen_at_80x24(snap_compare):
    async def run_before(pilot):
        pilot.app.today = date(2026, 1, 15)
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(HERITAGE)
        await settle(pilot)
        pilot.app.screen.action_draft()
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=run_before)
