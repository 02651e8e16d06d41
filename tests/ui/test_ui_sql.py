"""The SQL screen, driven by keys against the demo portal: open two datasets, `:`, type a JOIN/GROUP BY query (a
name completed with Tab), run it (the rows are polars' own on the same frames), export the result, recall the
query with ↑ in an empty editor, cancel a long query with Esc while the screen stays live, ctrl+k from the search
box, and the question before a query over rows not all loaded (on them, or all loaded first; Esc cancels that)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace

import polars as pl

from pdxtui.sql import load
from pdxtui.sql.history import History
from pdxtui.ui.screens.export import ExportScreen
from pdxtui.ui.screens.sql import KEYS_HINT, SqlScreen
from pdxtui.ui.screens.sql_ask import LoadFirstScreen
from pdxtui.ui.widgets.sqleditor import SqlEditor
from tests.support.uihelpers import demo_app, open_in, settle, text_of, wait_for

SIZE = (140, 42)
WRITTEN = "SELECT n.COALIT, count(*) AS trees FROM neighborhoods n JOIN "
TYPED = "herit"
REST = " h ON h.Neighborhood = n.NAME GROUP BY n.COALIT ORDER BY trees DESC, n.COALIT"
QUERY = WRITTEN + TYPED + "age_trees" + REST


def keys(text: str) -> list[str]:
    return ["space" if ch == " " else ch for ch in text]


async def open_table(pilot, dataset_id: str):
    """Open a dataset in the browser: its rows are a table of app.sql_tables."""
    pane = await open_in(pilot, dataset_id)
    assert pilot.app.sql_tables.of(pane.preview.dataset) is not None
    return pane


def result_rows(screen: SqlScreen) -> list[tuple]:
    return list(screen.preview_pane.preview.frame.rows())


async def test_the_sql_screen_end_to_end(ids, tmp_path, monkeypatch):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_table(pilot, ids["Heritage Trees"])
        await open_table(pilot, ids["Neighborhoods"])
        browse = app.screen
        await pilot.press("colon")  # from the grid
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SqlScreen)
        editor = screen.query_one(SqlEditor)
        assert editor.has_focus
        listed = str(screen.query_one("#sql-table-list").get_option_at_index(0).prompt)
        assert "heritage_trees" in listed and "all 338 rows" in listed

        # an error: one line under the editor, the cursor where polars says (line 3, column 16)
        editor.insert("SELECT *\nFROM heritage_trees\nWHERE HEIGHT ===== 1")
        await pilot.press("f5")
        await settle(pilot)
        error = text_of(screen.query_one("#sql-error"))
        assert error.startswith("Error: syntax error") and "(line 3, column 16)" in error and "\n" not in error
        assert editor.cursor_location == (2, 15) and editor.has_focus
        editor.clear()

        # write it (typed in part: Tab completes "herit" to the one table it can be) and run it
        editor.insert(WRITTEN)
        await pilot.press(*keys(TYPED), "tab")
        editor.insert(REST)
        assert editor.text == QUERY
        await pilot.press("f5")
        await settle(pilot)
        trees = app.sql_tables.get("heritage_trees").frame
        hoods = app.sql_tables.get("neighborhoods").frame
        expected = (
            hoods.join(trees, left_on="NAME", right_on="Neighborhood")
            .group_by("COALIT")
            .agg(pl.len().alias("trees"))
            .sort(["trees", "COALIT"], descending=[True, False])
        )
        assert result_rows(screen) == list(expected.rows()) and expected.height > 1
        assert not screen.query_one("#sql-error").has_class("-shown")  # (the error before is gone)
        header = text_of(screen.query_one("#sql-result"))
        assert f"{expected.height} rows in" in header and "neighborhoods, heritage_trees" in header

        # export it: the file has the result's rows; the provenance handed over holds the query and its tables
        await pilot.press("ctrl+e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        assert dialog.scope() == "dataset"  # the whole result (in memory), not the page the grid fetched
        assert dialog.request.source.sql.sql == QUERY
        assert [t.name for t in dialog.request.source.sql.tables] == ["neighborhoods", "heritage_trees"]
        target = tmp_path / "coalitions.csv"
        dialog.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pl.read_csv(target).rows() == list(expected.rows())
        sidecar = json.loads((tmp_path / "coalitions.csv.provenance.json").read_text())
        assert sidecar["served_from"] == "computed" and sidecar["export"]["rows"] == expected.height
        assert sidecar["sql"]["text"] == QUERY
        assert [(t["name"], t["all_rows"]) for t in sidecar["sql"]["tables"]] == [
            ("neighborhoods", True),
            ("heritage_trees", True),
        ]
        assert app.screen is screen  # the dialog closed once done

        # the query is kept (and the one that failed, to be put right): ↑ in an empty editor recalls them
        kept = [p.sql for p in History().queries(screen.portal_key)]
        assert kept[0] == QUERY and kept[1].endswith("WHERE HEIGHT ===== 1")
        editor.focus()
        editor.clear()
        await pilot.press("up")
        assert editor.text == QUERY and "run before" in text_of(screen.query_one("#sql-hint"))
        await pilot.press("end", "space")  # edited: the hint about the query recalled goes
        await pilot.pause()
        assert text_of(screen.query_one("#sql-hint")) == KEYS_HINT
        await pilot.press("backspace")
        editor.clear()
        await pilot.press("up", "down")
        assert editor.text == ""
        screen.query_one("#sql-table-list").focus()  # Enter on a table in an empty editor: a query to start from
        await pilot.press("enter")
        assert editor.text == "SELECT * FROM heritage_trees LIMIT 100" and editor.has_focus
        editor.clear()

        # a long query: the screen stays live, Esc cancels it, the result before stays
        release = threading.Event()

        def held(df: pl.DataFrame) -> pl.DataFrame:
            release.wait(30)  # (released below, whatever happens: polars' thread never outlives the test long)
            return df

        slow = pl.LazyFrame({"x": [1, 2, 3]}).map_batches(held)
        everything = app.sql_tables.frames

        def with_slow(names=None):
            return {**everything(names), "slow": slow}

        app.sql_tables.frames = with_slow
        try:
            editor.insert("SELECT sum(x) FROM slow")
            await pilot.press("f5")
            await wait_for(pilot, lambda: screen.busy and "Running" in text_of(screen.query_one("#sql-progress")))
            await pilot.press("ctrl+a", "shift+end", "backspace")  # the editor still answers while it runs
            assert editor.text == "" and screen.busy
            await pilot.press("escape")
            await wait_for(pilot, lambda: not screen.busy)
            assert "Cancelled after" in text_of(screen.query_one("#sql-result"))
            assert result_rows(screen) == list(expected.rows())  # the earlier result stays
            assert app.screen is screen  # Esc cancelled; it did not leave
            # polars still computes the cancelled step: said, and a new query waits for a second F5
            assert "still finishing" in text_of(screen.query_one("#status"))
            editor.insert("SELECT 2 AS two")
            await pilot.press("f5")
            await pilot.pause()
            assert not screen.busy and result_rows(screen) == list(expected.rows())
            release.set()
            await wait_for(pilot, lambda: "has finished" in text_of(screen.query_one("#status")))
            editor.clear()
        finally:
            release.set()
            app.sql_tables.frames = everything

        # Esc with nothing running goes back to the browser as it was; ctrl+k from the search box comes back
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is browse
        browse.action_focus_search()
        await pilot.press("colon")  # typed into the search box, not a screen change
        assert app.screen is browse and browse.query_one("#search").value.endswith(":")
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert app.screen is screen and result_rows(screen) == list(expected.rows())

        # a table not all loaded (1,000 of 6,947 rows): the query asks first
        await pilot.press("escape")
        await open_table(pilot, ids["Bicycle Parking"])
        await pilot.press("colon")
        await pilot.pause()
        assert app.screen is screen
        # errors polars finds without reading rows are said at once, before any question of loading
        for wrong, said in [
            ("SELECT count(* AS n FROM bicycle_parking", "Error: syntax error"),
            ("SELECT count(*) FROM bicycle_parkin", "no table named 'bicycle_parkin'"),
            ("SELECT nope FROM bicycle_parking", "nope"),
        ]:
            editor.text = wrong
            await pilot.press("f5")
            await pilot.pause()
            assert app.screen is screen and said in text_of(screen.query_one("#sql-error")), wrong
        editor.text = "SELECT count(*) AS n FROM bicycle_parking"
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, LoadFirstScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert "Not run." in text_of(screen.query_one("#status"))
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, LoadFirstScreen) and text_of(screen.query_one("#status")) == ""
        await pilot.press("r")  # on the loaded rows: the header says so
        await settle(pilot)
        assert result_rows(screen) == [(1000,)]
        assert "ran on 1,000 of 6,947 rows of bicycle_parking" in text_of(screen.query_one("#sql-result"))

        # load every row first: Esc cancels the loading, and the rows there were stay
        async def held_rows(service, dataset, progress=None):
            await asyncio.Event().wait()  # (never set: only Esc ends it)

        monkeypatch.setattr(load, "all_rows", held_rows)
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("l")
        await wait_for(
            pilot, lambda: "Loading every row of bicycle_parking" in text_of(screen.query_one("#sql-progress"))
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.busy)
        assert app.screen is screen and "Loading cancelled" in text_of(screen.query_one("#status"))
        assert app.sql_tables.get("bicycle_parking").loaded == 1000 and result_rows(screen) == [(1000,)]
        monkeypatch.undo()

        app.sql_tables.budget = 1  # (bytes) past the budget: the rows loaded here let others' go, never the query's
        others = [t.name for t in app.sql_tables if t.frame is not None and t.name != "bicycle_parking"]
        assert others
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("l")  # load every row first
        await settle(pilot)
        assert result_rows(screen) == [(6947,)]
        assert "ran on" not in text_of(screen.query_one("#sql-result"))
        assert app.sql_tables.get("bicycle_parking").complete
        assert all(app.sql_tables.get(name).frame is None for name in others)
        app.sql_tables.budget = None

        # a new result whose rows the grid does not show yet is not exported under the rows shown before
        screen.show_result(replace(screen.ran, sql="SELECT 1 AS one"), pl.DataFrame({"one": [1]}))
        screen.action_export()
        await pilot.pause()
        assert app.screen is screen
        await wait_for(pilot, lambda: result_rows(screen) == [(1,)])

        # a short screen (80x24): one line a table, no columns box (the list takes the height), a taller editor
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        listing = screen.query_one("#sql-table-list")
        assert not screen.query_one("#sql-table-columns").display
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        # (heritage_trees' rows were let go above, past the budget)
        assert prompts[0] == "◐ heritage_trees  not loaded" and all("\n" not in p for p in prompts)
        assert listing.region.height >= listing.option_count and editor.region.height >= 10
