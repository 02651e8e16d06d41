"""Pilot tests: the Stats tab and the facet view say which rows they cover, and forget the previous dataset."""

from __future__ import annotations

from pdxtui.ui.screens.facets import FacetScreen
from tests.support.uihelpers import demo_app, settle, text_of, wait_for

SIZE = (140, 42)
HERITAGE = "63d4fe31021075f62edebe781978c0fc_26"  # 338 rows: all of them load
PARKS_TREES = "942034da708da9f6719188b66b3f8782_220"  # 25,534 rows: 1,000 load


async def open_grid(pilot, dataset_id: str, column: str):
    await settle(pilot)
    pilot.app.screen.open_dataset(dataset_id)
    await settle(pilot)
    pane = pilot.app.screen.query_one("#preview")
    pane.grid.focus()
    pane.grid.move_cursor(column=pane.view.columns.index(column))
    await pilot.pause()
    return pane


def stats_text(app) -> str:
    return " ".join(text_of(app.screen.query_one("#stats-body")).split())  # the note wraps in the narrow tab


async def filter_grid(pilot, pane, text: str) -> None:
    pane.grid.focus()
    await pilot.press("f", *text, "enter")
    await settle(pilot)


async def test_stats_of_the_previous_dataset_are_cleared_when_another_opens():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_grid(pilot, HERITAGE, "HEIGHT")
        await pilot.press("s")
        await settle(pilot)
        assert "HEIGHT" in stats_text(app)
        app.screen.query_one("#catalog").focus()
        app.screen.open_dataset(PARKS_TREES)
        await settle(pilot)
        shown = stats_text(app)
        assert "HEIGHT" not in shown and "Rows" not in shown
        assert "Press s" in shown
        assert app.screen.query_one("#stats").column is None  # v (chart) has no stale column to draw


async def test_stats_and_facets_name_a_server_filter():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_grid(pilot, HERITAGE, "COMMON")
        await filter_grid(pilot, pane, "COMMON ~ maple")
        matching = pane.preview.total
        assert matching and matching < 338 and pane.preview.shown == matching
        pane.grid.move_cursor(column=pane.view.columns.index("COMMON"))
        await pilot.press("s")
        await settle(pilot)
        shown = stats_text(app)
        assert "of the dataset" not in shown
        assert f"All {matching:,} rows matching the filter COMMON ~ maple" in shown
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, FacetScreen))
        note = " ".join(text_of(app.screen.query_one("#facet-note")).split())
        assert "of the dataset" not in note
        assert f"All {matching:,} rows matching the filter COMMON ~ maple" in note


async def test_unfiltered_whole_dataset_still_says_so():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_grid(pilot, HERITAGE, "COMMON")
        await pilot.press("s")
        await settle(pilot)
        assert "All 338 rows of the dataset" in stats_text(app)


async def test_stats_on_part_of_a_filtered_dataset_name_the_loaded_rows_and_the_filter():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_grid(pilot, PARKS_TREES, "Condition")
        await filter_grid(pilot, pane, "Condition = 'Good'")
        total = pane.preview.total
        assert total and total > 1000 and pane.preview.shown == 1000
        pane.grid.move_cursor(column=pane.view.columns.index("Condition"))
        await pilot.press("s")
        await settle(pilot)
        shown = stats_text(app)
        assert f"The 1,000 loaded rows of {total:,} matching the filter Condition = 'Good'" in shown
