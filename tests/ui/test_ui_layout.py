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


@pytest.mark.parametrize("size", [SIZE, SMALL, (60, 20)])
async def test_no_match_message_is_never_clipped(size):
    app = demo_app()
    query = "xylophone municipal waterfront sculpture inventory"
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press(*query)
        await settle(pilot)
        assert catalog_titles(app) == []
        status = app.screen.query_one("#catalog-status")
        message = text_of(status)
        assert message.startswith("No datasets match")
        assert "xylophone" in message  # the query is named (shortened when long)
        assert painted_text(app, status) == message  # all of it is on screen, wrapped when narrow
