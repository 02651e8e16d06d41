"""Pilot tests of the browser's layout and catalog (issue 16): the search box's `/`, the demo portal's ranking,
the no-match message, facet counts that follow the search, and the layout at 80x24 (collapse, zoom)."""

from __future__ import annotations

import pytest

from tests.support.uihelpers import demo_app, screen_text, settle, text_of, wait_for

SIZE = (140, 42)
SMALL = (80, 24)


def catalog_titles(app) -> list[str]:
    from pdxtui.ui.widgets.catalog import CatalogList

    return [hit.title for hit in app.screen.query_one(CatalogList).hits]


def search_box(app):
    return app.screen.query_one("#search")


def painted_text(app, widget) -> str:
    """The words painted inside ``widget``'s region of the screen (its wrapped lines joined)."""
    region = widget.region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return " ".join(" ".join(line[region.x : region.right].split()) for line in lines).strip()


# -- `/` in the search box ------------------------------------------------------------------------------------------


async def test_a_slash_typed_first_in_the_search_box_is_not_part_of_the_query():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.focused is search_box(app)  # the search box has focus on start
        await pilot.press("slash", *"heritage")  # the placeholder says ( / ): people press it
        await settle(pilot)
        assert search_box(app).value == "heritage"
        assert catalog_titles(app) == ["Heritage Trees"]


async def test_a_slash_pressed_at_the_start_of_a_query_inserts_nothing():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"heritage", "home", "slash", "slash")
        await settle(pilot)
        box = search_box(app)
        assert box.value == "heritage" and box.cursor_position == 0
        assert catalog_titles(app) == ["Heritage Trees"]
        await pilot.press("end", "slash")  # a slash inside or after the text is the user's: it stays
        assert box.value == "heritage/"


async def test_a_pasted_leading_slash_is_stripped():
    from textual import events

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        box = search_box(app)
        box.post_message(events.Paste("/ heritage"))
        await settle(pilot)
        assert box.value == "heritage"
        assert catalog_titles(app) == ["Heritage Trees"]


# -- ranking and the no-match message ---------------------------------------------------------------------------


async def test_demo_search_ranks_title_words_above_substrings():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"tree")
        await settle(pilot)
        titles = catalog_titles(app)
        # whole title words first, then a title word starting with it, then a substring, then the rest
        assert titles[:2] == ["Street Tree Inventory - Active Records", "Parks Tree Inventory"]
        assert titles.index("Heritage Trees") == 2
        assert titles.index("Streets") == 3
        assert set(titles[4:]) >= {"Green Street Stormwater Facilities", "Address Points"}


@pytest.mark.parametrize(("size", "typed"), [(SIZE, True), (SMALL, False), ((60, 20), False)])
async def test_no_match_message_is_never_clipped(size, typed):
    from textual import events

    app = demo_app()
    query = "xylophone municipal waterfront sculpture inventory"
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if typed:
            await pilot.press(*query)
        else:  # pasted, as a terminal sends it (one event): the message is the same, 50 key presses cheaper
            app._driver.send_message(events.Paste(query))
        await settle(pilot)
        assert search_box(app).value == query
        assert catalog_titles(app) == []
        status = app.screen.query_one("#catalog-status")
        message = text_of(status)
        assert message.startswith("No datasets match")
        assert "xylophone" in message  # the query is named (shortened when long)
        assert painted_text(app, status) == message  # all of it is on screen, wrapped when narrow


# -- 80x24: the catalog steps aside, z zooms ----------------------------------------------------------------------


async def open_from_list(pilot, app, words: str) -> None:
    """Search for ``words`` and open the first hit from the list with Enter, as a person would."""
    await pilot.press(*words, "enter")  # Enter in the search box searches now and moves to the list
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert app.screen.dataset is not None


async def tab_to(pilot, app, widget_id: str) -> None:
    for _ in range(12):
        if app.focused is not None and app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{widget_id} (at {app.focused})")


async def test_at_80x24_the_catalog_steps_aside_while_working_in_a_dataset():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await open_from_list(pilot, app, "heritage")
        sidebar, preview = app.screen.query_one("#sidebar"), app.screen.query_one("#preview")
        assert app.focused.id == "grid"  # opening focuses the grid: the catalog steps aside at once
        await pilot.pause()
        assert not sidebar.display
        assert preview.region.width == SMALL[0]  # the grid has the whole width
        assert preview.region.height >= 13  # and most of the height
        assert "HEIGHT" in screen_text(app)
        await pilot.press("1")  # back to the search box (/ in the grid finds in the rows): the catalog returns
        await pilot.pause()
        assert app.focused.id == "search" and sidebar.display and sidebar.region.width > 20


async def test_a_wide_terminal_keeps_the_catalog_beside_the_dataset():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_from_list(pilot, app, "heritage")
        await tab_to(pilot, app, "grid")
        await pilot.pause()
        sidebar = app.screen.query_one("#sidebar")
        assert sidebar.display
        # the focus stays in the grid while the terminal narrows: the catalog steps aside then (a wide screen keeps
        # the sidebar's -aside class without restyling for it; the screen turning narrow restyles it), and returns
        await pilot.resize_terminal(*SMALL)
        await pilot.pause()
        assert app.focused.id == "grid" and not sidebar.display
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert sidebar.display


async def test_z_zooms_the_focused_pane_and_restores_it():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await open_from_list(pilot, app, "heritage")
        await tab_to(pilot, app, "grid")
        preview = app.screen.query_one("#preview")
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is preview
        assert preview.region.width == SMALL[0] and preview.region.height >= SMALL[1] - 3  # status and footer stay
        assert "z restores" in text_of(app.screen.query_one("#status"))
        assert app.focused.id == "grid"
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is None
        assert app.screen.query_one("#details").region.height > 0

        await pilot.press("2", "z")  # the catalog zooms too: its list gets the whole screen
        await pilot.pause()
        sidebar = app.screen.query_one("#sidebar")
        assert app.focused.id == "catalog"
        assert app.screen.maximized is sidebar and sidebar.region.width == SMALL[0]
        await pilot.press("slash", "z")  # in the search box (in the zoomed catalog) z is a letter, not the zoom
        assert app.screen.maximized is sidebar
        assert app.screen.query_one("#search").value == "z"  # focusing the box selected the old text


async def test_leaving_a_zoomed_pane_restores_the_layout():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await open_from_list(pilot, app, "heritage")
        await tab_to(pilot, app, "grid")
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is not None
        await pilot.press("1")  # to the search box, which is not in the zoomed pane
        await pilot.pause()
        assert app.screen.maximized is None and app.focused.id == "search"
        assert app.screen.query_one("#sidebar").display


async def test_z_is_listed_in_the_help():
    from pdxtui.ui.screens.help import HelpScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Zoom the focused pane" in text_of(app.screen.query_one("#help-keys"))


# -- the guide at 80x24 ---------------------------------------------------------------------------------------


async def test_the_guide_is_readable_at_80x24():
    from pdxtui.guide import SECTIONS
    from pdxtui.ui.screens.guide import GuideScreen

    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.screen.action_guide()  # (its key moves to ctrl+g in this issue: the action is what is tested here)
        await wait_for(pilot, lambda: isinstance(app.screen, GuideScreen))
        await pilot.pause()
        toc = app.screen.query_one("#guide-toc")
        assert toc.max_scroll_y == 0  # every contents entry is on screen at once
        text = app.screen.query_one("#guide-text")
        assert text.size.width >= 40  # the text has most of the width
        for index in range(len(SECTIONS)):
            await pilot.press("down" if index else "home")
            await pilot.pause()
            lines = text_of(text).splitlines()
            # the text is wrapped to the width it is shown in: no line is folded again by the screen (which leaves
            # one- and two-word stubs), apart from a word longer than the line (a URL)
            for line in lines:
                assert len(line) <= text.size.width or " " not in line.strip(), (index, line)
            assert app.screen.query_one("#guide-title").size.width >= 40


# -- facet counts follow the search ---------------------------------------------------------------------------


def facet_options(app, name: str) -> dict[str, int]:
    """value -> the count its label shows, for a facet drop-down's options."""
    select = app.screen.query_one(f"#facet-{name}")
    options = [(str(prompt), value) for prompt, value in select._options if value is not select.NULL]
    return {str(value): int(label.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for label, value in options}


async def test_facet_counts_narrow_with_the_search_text_and_the_other_facets():
    from textual.widgets import Select

    forestry = "Portland Parks & Recreation – Urban Forestry"
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        whole = facet_options(app, "owner")
        assert len(whole) >= 8 and whole[forestry] == 3
        await pilot.press(*"heritage")
        await settle(pilot)
        assert facet_options(app, "owner") == {forestry: 1}  # the bureaus of the matches only
        assert facet_options(app, "category") == {"Environment": 1, "Trees": 1}
        for _ in "heritage":
            await pilot.press("backspace")
        await settle(pilot)
        assert facet_options(app, "owner") == whole  # back to the whole catalog

        select = app.screen.query_one("#facet-category", Select)
        select.value = "Trees"  # (picking from the drop-down is Select's own business)
        await wait_for(pilot, lambda: len(catalog_titles(app)) == 3)
        await settle(pilot)
        assert facet_options(app, "owner") == {forestry: 3}  # narrowed by the other facet
        categories = facet_options(app, "category")
        assert "Transportation" in categories and select.value == "Trees"  # its own choice keeps the others

        await pilot.press(*"nosuchword")
        await settle(pilot)
        assert catalog_titles(app) == [] and select.value == "Trees"  # the choice survives no match
        assert not select.disabled and facet_options(app, "owner") == {}


async def test_hub_facet_counts_follow_the_search_without_spending_searches(fake_arcgis):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp

    items = "/hub/api/search/v1/collections/dataset/items"
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        whole = facet_options(app, "owner")
        before = len(fake_arcgis.requests_to(items))
        await pilot.press(*"heritage", "enter")
        await settle(pilot)
        hits = app.screen.query_one("#catalog").hits
        owners = facet_options(app, "owner")
        assert owners != whole and owners == {h.owner: sum(x.owner == h.owner for x in hits) for h in hits}
        sent = [r.params.get("q", "") for r in fake_arcgis.requests_to(items)[before:]]
        # the search for the words (and, on a slow machine, ones for what was typed so far): its answer gave the
        # counts; no search was sent for them
        assert sent.count("heritage") == 1 and all("heritage".startswith(q) and q for q in sent), sent


@pytest.mark.parametrize("size", [SIZE, SMALL])
async def test_catalog_detail_lines_fit_the_list_whatever_the_width(size):
    from pdxtui.ui.widgets.catalog import CatalogList

    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await open_from_list(pilot, app, "heritage")  # a dataset open: the catalog narrows at 80 columns
        await pilot.press("1", "backspace")  # focusing the box selected its text: one key clears it
        await settle(pilot)
        catalog = app.screen.query_one(CatalogList)
        assert len(catalog.hits) >= 12
        # the title (a long one wraps: it is read whole), then owner · updated · rows, shortened to fit the list's
        # width: that line never wraps
        width = catalog.scrollable_content_region.width - 2  # the options' padding
        long_titles = sum(len(hit.title) > width for hit in catalog.hits)
        assert catalog.virtual_size.height <= 2 * len(catalog.hits) + long_titles


async def test_hub_counts_say_when_they_cover_only_the_first_matches(fake_arcgis, monkeypatch):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens import browse

    monkeypatch.setattr(browse, "CATALOG_LIMIT", 2)  # fewer records in hand than the words match
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"trees", "enter")
        await settle(pilot)
        status = text_of(app.screen.query_one("#catalog-status"))
        total = int(status.split(" of ", 1)[1].split()[0])
        assert total > 2 and status == f"2 of {total} datasets · counts from the first 2 of {total} datasets"
        assert sum(facet_options(app, "owner").values()) == 2
