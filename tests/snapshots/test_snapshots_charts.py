"""Snapshots of the map and of each chart on the street-tree sample (deterministic bundled rows)."""

from __future__ import annotations

from tests.support.uihelpers import demo_app, settle

SIZE = (140, 42)


def _shot(column: str | None, *keys: str):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        await pilot.press(*"street tree", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        pane = pilot.app.screen.query_one("#preview")
        pane.grid.focus()
        if column is not None:
            pane.grid.move_cursor(column=pane.view.columns.index(column))
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause()

    return run_before


def test_map_coloured_by_condition(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_shot(None, "m"))


def test_map_density_zoomed(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_shot(None, "m", "D", "plus"))


def test_histogram_of_diameter(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_shot("DIAMETER", "v"))


def test_top_values_of_genus(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_shot("Genus", "v"))


def test_time_series_of_inventory_dates(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_shot("Date_Inventoried", "v"))
