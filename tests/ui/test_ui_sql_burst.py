"""F5 pressed right after a burst of typing (a paste, a fast typist over SSH) runs the query as typed: F5 is a
priority key, handled by the app before the keys queued for the editor, so the query is read once they are in.
And a query that makes polars panic repaints the screen (polars writes its panic text over it)."""

from __future__ import annotations

import polars as pl
from textual import events
from textual.app import App

from pdxtui.model import Dataset, Field
from pdxtui.sql.tables import Tables
from pdxtui.ui.screens.sql import SqlScreen
from pdxtui.ui.widgets.sqleditor import SqlEditor
from tests.support.uihelpers import wait_for


class SqlApp(App[None]):
    def __init__(self, tables: Tables) -> None:
        super().__init__()
        self.tables = tables

    def on_mount(self) -> None:
        self.push_screen(SqlScreen(self.tables, None))  # type: ignore[arg-type]  # (no table to load here)


async def test_f5_right_after_a_burst_of_keys_runs_what_was_typed():
    tables = Tables()
    dataset = Dataset(id="t1", title="Trees", rows=3, fields=(Field("n", "integer", "integer"),))
    tables.add(dataset, pl.DataFrame({"n": [1, 2, 3]}), 3)
    app = SqlApp(tables)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SqlScreen))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SqlScreen)
        assert app.focused is screen.query_one(SqlEditor)
        sql = "select sum(n) as total from trees"
        for key in sql:  # all queued at once, as a terminal delivers a burst
            name = "space" if key == " " else ("left_parenthesis" if key == "(" else key)
            name = "right_parenthesis" if key == ")" else name
            app.post_message(events.Key(name, key))
        app.post_message(events.Key("f5", None))
        await wait_for(pilot, lambda: screen.ran is not None or "Error" in str(screen.query_one("#sql-error").render()))
        assert screen.query_one(SqlEditor).text == sql
        assert screen.ran is not None and screen.ran.sql == sql

        # a polars panic writes Rust's panic text to stderr, where the screen is drawn: the screen is repainted
        repaints = []
        screen.refresh = lambda *regions, **kw: repaints.append(regions)  # type: ignore[method-assign]
        editor = screen.query_one(SqlEditor)
        editor.replace("select cast(n as decimal(100, 2)) as d from trees", editor.document.start, editor.document.end)
        await pilot.press("f5")
        await wait_for(pilot, lambda: "polars failed inside" in str(screen.query_one("#sql-error").render()))
        assert () in repaints  # the whole screen
