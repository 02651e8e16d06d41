"""The UI adapts to what a portal does on its server: where it cannot filter or sort, the app says so and works on
the loaded rows; the help screen says where filters run for the portal in use."""

from __future__ import annotations

import asyncio

import pytest

from pdxtui.model import SearchRequest
from pdxtui.portals.bundled import BundledPortal
from pdxtui.service import Service
from pdxtui.ui.app import PdxApp
from tests.support.uihelpers import screen_text, settle, text_of

SIZE = (140, 42)


@pytest.fixture(scope="module")
def heritage_id():
    result = asyncio.run(BundledPortal().search(SearchRequest(text="Heritage Trees", limit=5)))
    return next(hit.id for hit in result.hits if hit.title == "Heritage Trees")


def app_with(capabilities: frozenset[str]) -> PdxApp:
    portal = BundledPortal(name="demo")
    portal.capabilities = capabilities  # this instance behaves like a portal that cannot do these on its server
    return PdxApp(Service(portal))


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        (frozenset({"sort", "filter"}), "filters and sorts the whole dataset itself"),
        (frozenset({"filter"}), "sorting applies to the loaded rows only"),
        (frozenset({"sort"}), "filters apply to the loaded rows only"),
        (frozenset(), "cannot filter or sort on its server"),
    ],
)
def test_filter_note_says_where_filters_run(capabilities, expected):
    portal = BundledPortal(name="demo")
    portal.capabilities = capabilities
    note = Service(portal).filter_note()
    assert expected in note and portal.label in note


async def test_local_filter_and_sort_when_the_portal_cannot(heritage_id):
    app = app_with(frozenset())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(heritage_id)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        assert "the loaded rows" in pane.query_one("#filter").placeholder
        loaded = pane.preview.shown
        pane.grid.focus()
        await pilot.press("f")
        await pilot.press(*"HEIGHT > 100")
        await pilot.press("enter")
        await settle(pilot)
        heights = pane.view["HEIGHT"].to_list()
        assert heights and all(h > 100 for h in heights)
        assert pane.preview.query.where is None and pane.local_where == "HEIGHT > 100"  # nothing asked of the portal
        assert pane.preview.shown == loaded
        assert any("cannot filter on the server" in str(n.message) for n in app._notifications)
        pane.grid.focus()
        pane.grid.move_cursor(column=pane.view.columns.index("HEIGHT"))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        heights = pane.view["HEIGHT"].to_list()
        assert heights == sorted(heights, reverse=True)
        assert pane.preview.query.order == ()
        assert any("cannot sort on the server" in str(n.message) for n in app._notifications)


async def test_help_names_where_filters_run_for_the_open_portal():
    app = app_with(frozenset())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert "cannot filter or sort on its server" in text_of(app.screen.query_one("#help-portal"))
        await pilot.press("end")  # the note sits under the filter help, at the foot of the scrolling help
        await settle(pilot)
        assert "cannot filter or sort" in screen_text(app)


async def test_server_side_portal_keeps_the_plain_placeholder(heritage_id):
    app = app_with(frozenset({"sort", "filter"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(heritage_id)
        await settle(pilot)
        assert pilot.app.screen.query_one("#filter").placeholder.startswith("Filter (f): e.g.")


async def test_facet_dropdowns_without_values_are_disabled_and_say_so():
    from textual.widgets import Select

    from pdxtui.model import Facets

    portal = BundledPortal(name="demo")
    real = await portal.facets()

    async def only_owners():  # a portal that knows publishers but has no categories or tags
        return Facets(owners=real.owners)

    portal.facets = only_owners
    app = PdxApp(Service(portal))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        owner, category, tag = (app.screen.query_one(f"#facet-{n}", Select) for n in ("owner", "category", "tag"))
        assert not owner.disabled and owner.prompt == "Any bureau"
        assert category.disabled and tag.disabled
        text = screen_text(app)
        assert "No category facets" in text and "No tag facets" in text and "Any bureau" in text


def test_publisher_word_follows_the_portal():
    from pdxtui.portals import BUILTIN_PROFILES, PortalSpec
    from pdxtui.portals.arcgis import ArcGISPortal
    from pdxtui.portals.ckan import CKANPortal
    from pdxtui.portals.socrata import SocrataPortal

    assert BundledPortal().publisher_word == "bureau"
    assert ArcGISPortal(BUILTIN_PROFILES["portland"]).publisher_word == "bureau"
    assert ArcGISPortal(PortalSpec("x", "arcgis", "https://hub.example.org")).publisher_word == "publisher"
    assert SocrataPortal(PortalSpec("x", "socrata", "https://data.example.org")).publisher_word == "publisher"
    assert CKANPortal(PortalSpec("x", "ckan", "https://ckan.example.org")).publisher_word == "organization"
