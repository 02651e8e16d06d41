"""Snapshots at 80x24, the common SSH size: the browser with a dataset open (the catalog steps aside), a zoomed
grid, the guide."""

from __future__ import annotations

from tests.snapshots.test_snapshots import _id
from tests.support.uihelpers import demo_app, settle

SMALL = (80, 24)


def _open_heritage(*keys: str):
    target = _id("Heritage Trees")

    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(target)
        await settle(pilot)
        pilot.app.screen.query_one("#grid").focus()
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_dataset_open_at_80x24(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=_open_heritage())


def test_grid_zoomed_at_80x24(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=_open_heritage("z"))


def test_guide_at_80x24(snap_compare):
    async def run_before(pilot):
        from pdxtui.ui.screens.guide import GuideScreen

        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.action_guide()  # (its key moves to ctrl+g in issue 16)
        while not isinstance(pilot.app.screen, GuideScreen):
            await pilot.pause()
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=run_before)
