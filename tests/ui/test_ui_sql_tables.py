"""Every dataset opened in the browser is a SQL table (``app.sql_tables``, fed by browse_sql.py): the grid's own
rows, complete once ``L`` loaded them all, marked filtered when a filter read them, and a full load kept when the
dataset is opened again."""

from __future__ import annotations

from tests.support.uihelpers import demo_app, open_in, settle

SIZE = (140, 42)


async def test_opened_datasets_are_tables_and_a_full_load_is_kept(ids):
    from pdxtui.memory.store import Entry, Memory

    Memory().opened("bundled", Entry(ids["Heritage Trees"], "Heritage Trees"))  # opened in an earlier run
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        tables = app.sql_tables
        pane = await open_in(pilot, ids["Green Street Stormwater Facilities"])  # 2,318 rows: 1,000 shown
        green = tables.get("green_street_stormwater")
        assert green is not None and green.loaded == 1000 and not green.complete and green.where is None
        assert green.describe() == "1,000 of 2,318 rows loaded"

        await pilot.press("L")  # all rows (no question under 100,000)
        await settle(pilot)
        assert pane.preview.shown == 2318
        green = tables.get("green_street_stormwater")
        assert green.complete and green.describe() == "all 2,318 rows"
        assert green.frame is pane.preview.frame  # the grid's rows themselves: not a copy
        assert green.source.served_from == "bundled" and green.source.scope == "all"
        assert green.source.query_url is None  # the bundled sample sends no request

        parks = await open_in(pilot, ids["Parks Tree Inventory"])
        await pilot.press("f", *"Condition = Poor", "enter")
        await settle(pilot)
        assert parks.preview.query.where == "Condition = Poor"
        trees = tables.get("parks_tree_inventory")
        assert trees.where == "Condition = Poor" and not trees.complete
        assert trees.frame is parks.preview.frame and set(trees.frame["Condition"].to_list()) == {"Poor"}
        assert trees.describe() == f"{trees.loaded:,} rows matching Condition = Poor"
        assert trees.source.query.where == "Condition = Poor" and trees.source.scope == "loaded"
        assert tables.names() == ["green_street_stormwater", "parks_tree_inventory"]

        again = await open_in(pilot, ids["Green Street Stormwater Facilities"])  # a 1,000-row preview again
        assert again.preview.shown == 1000
        kept = tables.get("green_street_stormwater")
        assert kept.complete and kept.loaded == 2318 and kept.frame is green.frame
        assert tables.names() == ["green_street_stormwater", "parks_tree_inventory"]

        # what the SQL screen runs once: the recents and bookmarks the cache knows, not yet loaded
        assert await app.screen.remembered_tables()() == 1
        heritage = tables.get("heritage_trees")
        assert heritage.origin == "recent" and heritage.frame is None and heritage.describe() == "not loaded (338 rows)"
        assert tables.names() == ["green_street_stormwater", "parks_tree_inventory", "heritage_trees"]
