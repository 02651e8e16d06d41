"""Pilot tests of the browser on the bundled portal: real key presses, real workers."""

from __future__ import annotations

from tests.support.uihelpers import demo_app, screen_text, settle, text_of, wait_for

SIZE = (140, 42)


def catalog_titles(app) -> list[str]:
    from pdxtui.ui.widgets.catalog import CatalogList

    return [hit.title for hit in app.screen.query_one(CatalogList).hits]


async def test_catalog_lists_everything_newest_first():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        hits = app.screen.query_one("#catalog").hits
        assert len(hits) >= 12
        updated = [h.updated for h in hits]
        assert updated == sorted(updated, reverse=True)
        assert f"{len(hits)} datasets" in text_of(app.screen.query_one("#catalog-status"))


async def test_typing_a_query_narrows_the_list():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        everything = catalog_titles(app)
        app.screen.query_one("#catalog").focus()
        await pilot.press("slash", *"heritage")
        await wait_for(pilot, lambda: catalog_titles(app) != everything)  # the debounced search ran by itself
        await settle(pilot)
        assert catalog_titles(app) == ["Heritage Trees"]
        assert "1 dataset" in text_of(app.screen.query_one("#catalog-status"))
        for _ in "heritage":
            await pilot.press("backspace")
        await wait_for(pilot, lambda: catalog_titles(app) == everything)


async def test_bureau_filter_narrows_the_list():
    from textual.widgets import Select

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select = app.screen.query_one("#facet-owner", Select)
        select.value = "City Elections Office"
        await wait_for(pilot, lambda: catalog_titles(app) == ["City Council Districts"])


async def test_opening_a_dataset_fills_all_three_panes(ids):
    from pdxtui.ui.widgets.grid import PreviewGrid
    from pdxtui.ui.widgets.schema import SchemaPane

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"council districts", "enter")  # search has focus on start; Enter searches now
        await settle(pilot)
        assert app.focused is app.screen.query_one("#catalog")
        await pilot.press("enter")
        await settle(pilot)
        ds = app.screen.dataset
        assert ds is not None and ds.id == ids["City Council Districts"]

        meta = text_of(app.screen.query_one("#metadata-body"))
        assert "City Council Districts" in meta
        assert "City Elections Office" in meta
        assert "PDDL" in meta
        assert "SAMPLE" in meta
        squashed = "".join(meta.split())  # long values fold across lines in the pane
        assert ds.api_url in squashed

        schema = app.screen.query_one(SchemaPane)
        assert schema.row_count == len(ds.fields)
        first = [str(cell) for cell in schema.get_row_at(0)]
        assert first[0] == ds.fields[0].name and first[2] == ds.fields[0].alias

        header = text_of(app.screen.query_one("#preview-header"))
        assert f"Showing {ds.rows} of {ds.rows} rows" in header
        assert "SAMPLE DATA" in header
        grid = app.screen.query_one(PreviewGrid)
        assert grid.row_count == ds.rows
        assert [str(c.label) for c in grid.ordered_columns] == [f.name for f in ds.fields]

        await pilot.press("3", "c")  # the metadata pane copies a citation of the dataset (as pdxtui cite)
        await pilot.pause()
        assert app.clipboard.startswith("City of Portland, City Elections Office. *City Council Districts*. ")
        assert "Licence: PDDL 1.0" in app.clipboard and "\n" not in app.clipboard
        assert any("Copied the citation" in str(n.message) for n in app._notifications)


async def test_the_quarter_million_row_dataset_reports_its_real_row_count(ids):
    from pdxtui.ui.widgets.grid import PreviewGrid

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(ids["Street Tree Inventory - Active Records"])
        await settle(pilot)
        ds = app.screen.dataset
        assert ds.rows >= 250_000
        header = text_of(app.screen.query_one("#preview-header"))
        assert f"Showing 1,000 of {ds.rows:,} rows" in header
        assert app.screen.query_one(PreviewGrid).row_count == 1000


async def test_tab_moves_between_panes(ids):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(ids["Heritage Trees"])
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        await pilot.pause()
        seen = []
        for _ in range(6):
            await pilot.press("tab")
            seen.append(app.focused.id or type(app.focused).__name__)
        # the tab strip (Schema | Stats) is a stop of its own: left/right switch tabs there
        assert seen == ["metadata", "ContentTabs", "schema", "filter", "grid", "search"]
        await pilot.press("shift+tab")
        assert app.focused.id == "grid"


async def test_help_opens_and_closes():
    from pdxtui.ui.screens.help import HelpScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Focus the search box" in screen_text(app)
        assert "Command palette" in text_of(app.screen.query_one("#help-keys"))  # further down: the help scrolls
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        app.screen.query_one("#catalog").focus()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)


async def test_slash_focuses_search_from_anywhere():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        await pilot.press("slash")
        assert app.focused.id == "search"


async def test_palette_finds_a_dataset_by_id(ids):
    app = demo_app()
    target = ids["Neighborhoods"]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*target)
        await wait_for(pilot, lambda: "Neighborhoods" in screen_text(app))
        await pilot.pause(0.3)  # the palette shows hits after a short debounce of its own
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.dataset is not None and app.screen.dataset.id == target
        assert "Neighborhoods" in text_of(app.screen.query_one("#metadata-body"))


async def test_q_quits():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_unknown_dataset_shows_an_error_in_the_pane_and_a_toast():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset("no-such-id")
        await settle(pilot)
        assert "no-such-id" in text_of(app.screen.query_one("#metadata-body"))
        assert any("no-such-id" in str(n.message) for n in app._notifications)
        assert app.is_running
