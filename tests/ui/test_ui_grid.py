"""Pilot tests of the preview grid: sort, columns, cell view, copy, load more / load all (with cancel)."""

from __future__ import annotations

import re

from tests.support.uihelpers import demo_app, open_in, screen_text, settle, text_of

SIZE = (140, 42)


async def test_sort_descending_and_ascending_by_the_cursor_column(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Heritage Trees"])
        column = pane.view.columns.index("HEIGHT")
        pane.grid.move_cursor(column=column)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        heights = pane.view["HEIGHT"].to_list()
        assert heights == sorted(heights, key=lambda v: (v is None, -(v or 0)))
        assert "sorted by HEIGHT ↓" in text_of(pane.query_one("#preview-header"))
        assert pane.preview.query.order == (("HEIGHT", True),)  # asked of the portal, over the whole dataset
        await pilot.press("left_square_bracket")
        await settle(pilot)
        heights = [h for h in pane.view["HEIGHT"].to_list() if h is not None]
        assert heights == sorted(heights)


async def test_sort_on_a_big_dataset_sorts_the_whole_dataset_not_the_page(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Street Tree Inventory - Active Records"])
        pane.grid.move_cursor(column=pane.view.columns.index("OBJECTID"))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert pane.view["OBJECTID"][0] == pane.preview.total  # the largest id of all 252k rows, not of the first 1,000


async def test_column_picker_hides_and_reorders(ids):
    from pdxtui.ui.screens.columns import ColumnsScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["City Council Districts"])
        everything = list(pane.view.columns)
        await pilot.press("C")
        assert isinstance(app.screen, ColumnsScreen)
        await pilot.press("space")  # hide the first column (OBJECTID)
        await pilot.press("down", "ctrl+down")  # move the second column one place down
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ColumnsScreen)
        expected = [everything[2], everything[1], *everything[3:]]
        assert pane.view.columns == expected
        assert "1 columns hidden" in text_of(pane.query_one("#preview-header"))
        await pilot.press("C", "escape")  # cancel changes nothing
        assert pane.view.columns == expected


async def test_enter_opens_the_full_cell_value(ids):
    from pdxtui.ui.screens.cell import CellScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Heritage Trees"])
        pane.grid.move_cursor(row=2, column=pane.view.columns.index("SCIENTIFIC"))
        await pilot.press("enter")
        assert isinstance(app.screen, CellScreen)
        assert app.screen.value == pane.view["SCIENTIFIC"][2]
        assert str(app.screen.value) in screen_text(app)
        await pilot.press("y")
        assert app.clipboard == str(pane.view["SCIENTIFIC"][2])
        await pilot.press("escape")
        assert not isinstance(app.screen, CellScreen)


def test_cell_view_pretty_prints_json():
    from pdxtui.ui.screens.cell import pretty

    assert pretty('{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty([1, {"b": None}]).startswith("[\n  1,")
    assert pretty("not {json") == "not {json"
    assert pretty(None).startswith("∅")


async def test_copy_cell_row_and_range_as_tsv(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["City Council Districts"])
        view = pane.view
        await pilot.press("y")
        assert app.clipboard == str(view[0, 0])
        await pilot.press("shift+down", "shift+right", "y")
        assert app.clipboard == f"{view[0, 0]}\t{view[0, 1]}\n{view[1, 0]}\t{view[1, 1]}"
        await pilot.press("Y")
        lines = app.clipboard.split("\n")
        assert lines[0].split("\t") == view.columns
        assert len(lines) == 2
        await pilot.press("u")
        assert app.clipboard.startswith(pane.preview.dataset.api_url + "?")
        assert "outFields=" in app.clipboard


async def test_load_more_appends_the_next_page(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Parks Tree Inventory"])
        assert pane.preview.shown == 1000
        await pilot.press("plus")
        await settle(pilot)
        assert pane.preview.shown == 2000
        assert pane.view["OBJECTID"].to_list() == list(range(1, 2001))
        assert "Showing 2,000 of 25,534 rows" in text_of(pane.query_one("#preview-header"))


async def test_load_all_asks_first(ids):
    from pdxtui.ui.screens.confirm import ConfirmScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Street Tree Inventory - Active Records"])
        await pilot.press("L")
        assert isinstance(app.screen, ConfirmScreen)
        assert "252,184 rows" in screen_text(app)
        await pilot.press("n")
        assert pane.preview.shown == 1000
        await pilot.press("L", "y")
        await settle(pilot)
        assert pane.preview.shown == 252_184
        assert "Showing 252,184 of 252,184 rows" in text_of(pane.query_one("#preview-header"))


async def test_small_load_all_needs_no_confirmation(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Parks Tree Inventory"])
        await pilot.press("L")
        await settle(pilot)
        assert pane.preview.shown == 25_534


async def test_s_shows_statistics_of_the_cursor_column(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["City Council Districts"])
        pane.grid.move_cursor(column=pane.view.columns.index("COUNCILORS"))
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.query_one("#side").active == "tab-stats"
        text = text_of(app.screen.query_one("#stats-body"))
        assert "COUNCILORS" in text and "All 4 rows of the dataset." in text
        values = pane.preview.frame["COUNCILORS"]
        assert re.search(r"Distinct\s+(\d+)", text).group(1) == str(values.drop_nulls().n_unique())
        assert re.search(r"Rows\s+(\d+)", text).group(1) == "4"


async def test_enter_on_a_schema_field_shows_its_statistics(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Heritage Trees"])
        schema = app.screen.query_one("#schema")
        schema.focus()
        await pilot.press("down", "down", "enter")  # the third field
        await settle(pilot)
        field = pane.preview.dataset.fields[2].name
        text = text_of(app.screen.query_one("#stats-body"))
        assert text.startswith(field)
        assert "Top values" in text


async def test_facets_view_lists_values_and_counts(ids):
    from pdxtui.ui.screens.facets import FacetScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Heritage Trees"])
        pane.grid.move_cursor(column=pane.view.columns.index("COMMON"))
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, FacetScreen)
        counts = pane.preview.frame["COMMON"].value_counts(sort=True)
        top_value, top_count = counts.row(0)
        assert app.screen.facet.values[0].value == top_value and app.screen.facet.values[0].count == top_count
        assert top_value in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, FacetScreen)


async def test_filter_bar_filters_the_whole_dataset(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Street Tree Inventory - Active Records"])
        await pilot.press("f")
        assert app.focused.id == "filter"
        await pilot.press(*"Condition = Dead and DIAMETER > 30", "enter")
        await settle(pilot)
        assert pane.preview.query.where == "Condition = Dead and DIAMETER > 30"
        assert set(pane.view["Condition"].to_list()) == {"Dead"}
        assert min(pane.view["DIAMETER"].to_list()) > 30
        import polars as pl

        from pdxtui.portals.snapshot.generate import build_frame

        everything = build_frame(ids["Street Tree Inventory - Active Records"])
        expected = everything.filter((pl.col("Condition") == "Dead") & (pl.col("DIAMETER") > 30)).height
        assert pane.preview.total == expected
        header = text_of(pane.query_one("#preview-header"))
        assert f"of {expected:,} rows" in header and "filtered by Condition = Dead" in header
        assert app.focused is pane.grid


async def test_a_bad_filter_shows_where_the_problem_is(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Heritage Trees"])
        await pilot.press("f", *"HEIGHT > tall", "enter")
        await settle(pilot)
        error = text_of(pane.query_one("#filter-error"))
        lines = error.splitlines()
        assert lines[0] == "HEIGHT > tall"
        assert lines[1].index("^") == len("HEIGHT > ")  # the caret sits under the bad value
        assert "number" in error
        assert pane.preview.query.where is None  # nothing was applied
        bar = pane.query_one("#filter")
        bar.value = ""
        await pilot.press(*"HEIGHTT > 100")  # checked as you type
        await pilot.pause()
        assert "did you mean HEIGHT?" in text_of(pane.query_one("#filter-error"))


async def test_enter_on_a_facet_value_filters_the_grid(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, ids["Heritage Trees"])
        pane.grid.move_cursor(column=pane.view.columns.index("COMMON"))
        await pilot.press("F")
        await settle(pilot)
        top = app.screen.facet.values[0]
        await pilot.press("enter")
        await settle(pilot)
        assert set(pane.view["COMMON"].to_list()) == {top.value}
        assert pane.preview.total == top.count
        assert pane.query_one("#filter").value == f"COMMON = '{top.value}'"
