"""Start-up: what the browser leaves until the catalog has painted must not cost a key or a style."""

from __future__ import annotations

import os

from textual.widgets import Input

from tests.support.uihelpers import demo_app, screen_text, settle

SIZE = (140, 42)


async def test_keys_typed_while_the_browser_starts_are_kept():
    """Letters typed before the first catalog has painted (and before the detail panes are in) reach the search
    box, in order, and search; focus stays where the user put it. The stylesheets of the later screens are read
    by then, so the first push of one restyles nothing."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"heritage")  # at once: the browser is pushed, its panes and later stylesheets are not in
        await settle(pilot)
        screen = app.screen
        box = screen.query_one("#search", Input)
        assert box.value == "heritage"
        assert [hit.title for hit in screen.query_one("#catalog").hits] == ["Heritage Trees"]
        assert screen.focused is box
        assert "Heritage Trees" in screen_text(app)
        for path in _screen_css():
            assert app.stylesheet.has_source(os.path.abspath(path), "")


async def test_a_key_that_opens_a_screen_during_start_up():
    """F1 pressed at once opens the help over the browser (its stylesheet read then); Esc closes it, and the
    browser has finished starting: catalog, panes and focus as usual."""
    from pdxtui.ui.screens.help import HelpScreen

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#catalog").hits
        assert screen.query("#preview") and screen.focused is screen.query_one("#search", Input)


def _screen_css():
    from pdxtui.ui.startup import SCREENS

    return sorted(SCREENS.glob("*.tcss"))


async def test_focus_moved_while_the_browser_starts_stays_where_the_user_put_it(monkeypatch):
    """Down pressed after the catalog has painted but before the detail panes are in moves to the results list;
    mounting the panes does not take the focus back to the search box."""
    from pdxtui.ui.screens.browse import BrowseScreen

    after_first_paint = BrowseScreen._after_first_paint

    async def down_first(self):
        await self.app.run_action("focus_results", self)  # what Down in the search box does, just then
        await after_first_paint(self)

    monkeypatch.setattr(BrowseScreen, "_after_first_paint", down_first)
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.query("#preview")  # the panes are in
        assert screen.focused is screen.query_one("#catalog")


async def test_the_collector_is_back_on_once_the_catalog_has_painted():
    """The command line turns the collector off while the browser starts (pdxtui.cli.tui); the browser turns it
    back on once its catalog has painted, not only when the app exits."""
    import gc

    app = demo_app()
    gc.disable()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.screen.query_one("#catalog").hits
            assert gc.isenabled()
    finally:
        gc.enable()
