"""Snapshot of the SQL screen with a result (a JOIN and GROUP BY over two datasets opened in the browser)."""

from __future__ import annotations

from pdxtui.ui.screens.sql import SqlScreen
from tests.support.uihelpers import demo_app, demo_ids, settle

SIZE = (140, 42)
QUERY = """SELECT n.COALIT, count(*) AS trees, round(avg(h.HEIGHT), 1) AS mean_height
FROM neighborhoods n
JOIN heritage_trees h ON h.Neighborhood = n.NAME
GROUP BY n.COALIT
ORDER BY trees DESC, n.COALIT"""


def test_sql_screen_with_a_result(snap_compare, monkeypatch):
    monkeypatch.setattr(SqlScreen, "clock", staticmethod(lambda: 100.0))  # "in under 0.01 s", always
    ids = demo_ids()

    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        app = pilot.app
        for title in ("Heritage Trees", "Neighborhoods"):
            app.screen.open_dataset(ids[title])
            await settle(pilot)  # (its rows are a table of app.sql_tables)
        await pilot.press("ctrl+k")
        await settle(pilot)
        app.screen.query_one("#sql-editor").insert(QUERY)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
