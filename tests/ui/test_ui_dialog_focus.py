"""Pilot tests: dialogs show focus and state without colour (NO_COLOR), and Esc in the filter bar puts the applied
filter back."""

from __future__ import annotations

from pdxtui.ui.screens.export import ExportScreen
from tests.support.uihelpers import demo_app, screen_text, settle, text_of

SIZE = (140, 42)
HERITAGE = "63d4fe31021075f62edebe781978c0fc_26"


def styled_text(widget, attribute: str) -> str:
    """The text a widget draws in reverse video or underlined: how focus shows without colour."""
    out = []
    for node in [widget, *widget.query("*")]:  # a drop-down draws its value in a child
        for y in range(node.size.height):
            out += [s.text for s in node.render_line(y) if s.style is not None and getattr(s.style, attribute)]
    return "".join(out)


def reversed_text(widget) -> str:
    return styled_text(widget, "reverse")


async def export_dialog(pilot) -> ExportScreen:
    await settle(pilot)
    pilot.app.screen.open_dataset(HERITAGE)
    await settle(pilot)
    await pilot.press("ctrl+e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExportScreen)
    return pilot.app.screen


async def test_checked_and_unchecked_boxes_differ_in_text_under_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        dialog = await export_dialog(pilot)
        shown = screen_text(app)
        assert "[x] Header row" in shown
        assert "(•) The loaded rows (338)" in shown and "( ) The whole dataset" in shown
        assert "[x] OBJECTID" in shown
        header = dialog.query_one("#header")
        header.focus()
        await pilot.press("space")
        await pilot.pause()
        assert not header.value
        assert "[ ] Header row" in screen_text(app)
        dialog.query_one("#columns").focus()
        await pilot.press("space")  # the first column off
        await pilot.pause()
        assert "[ ] OBJECTID" in screen_text(app)


async def test_focus_shows_in_reverse_video_under_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await export_dialog(pilot)
        header, fmt, close, scope = (dialog.query_one(i) for i in ("#header", "#format", "#close", "#scope"))
        assert "Header row" not in styled_text(header, "underline") and "CSV" not in reversed_text(fmt)
        header.focus()
        await pilot.pause()
        assert "Header row" in styled_text(header, "underline") and "Header row" in styled_text(header, "bold")
        fmt.focus()
        await pilot.pause()
        assert "CSV" in reversed_text(fmt) and "Header row" not in styled_text(header, "underline")
        close.focus()
        await pilot.pause()
        assert "Close" in reversed_text(close)
        scope.focus()
        await pilot.pause()
        assert "The loaded rows" in "".join(styled_text(b, "underline") for b in scope.query("RadioButton"))


async def test_esc_in_the_filter_bar_puts_back_the_applied_filter():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(HERITAGE)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.press("f", *"COMMON ~ maple", "enter")
        await settle(pilot)
        assert pane.preview.query.where == "COMMON ~ maple"
        bar = pane.query_one("#filter")
        pane.grid.focus()
        await pilot.press("f", "end", *" and HEIGHT >")
        await pilot.pause()
        assert bar.value == "COMMON ~ maple and HEIGHT >"
        assert text_of(pane.query_one("#filter-error"))  # the half-typed filter is an error
        await pilot.press("escape")
        await pilot.pause()
        assert bar.value == "COMMON ~ maple"
        assert not pane.query_one("#filter-error").has_class("-shown")
        assert not text_of(pane.query_one("#filter-error"))
        assert pane.preview.query.where == "COMMON ~ maple"  # nothing was fetched again
