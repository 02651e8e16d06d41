"""Pilot tests of the drafting screen and the guide."""

from __future__ import annotations

from datetime import date

from pdxtui.ui.screens.draft import DraftScreen
from pdxtui.ui.screens.guide import GuideScreen
from tests.support.uihelpers import demo_app, screen_text, settle

SIZE = (140, 42)
NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"
DAY = date(2026, 1, 15)


def app_with_date():
    app = demo_app()
    app.today = DAY
    return app


async def open_draft(pilot, kind_key: str = "ctrl+t") -> DraftScreen:
    await settle(pilot)
    pilot.app.screen.open_dataset(NEIGHBORHOODS)
    await settle(pilot)
    pilot.app.screen.query_one("#catalog").focus()
    await pilot.press(kind_key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, DraftScreen)
    return pilot.app.screen


async def test_the_letter_is_prefilled_from_the_dataset():
    app = app_with_date()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        letter = screen.letter_text()
        assert "Neighborhoods" in letter and NEIGHBORHOODS in letter
        assert "Office of Community & Civic Life" in letter
        assert "ORS 192.324" in letter and "January 15, 2026" in letter
        assert "[your name]" in letter  # no profile: a placeholder, never an invented name


async def test_filling_the_form_updates_the_letter():
    app = app_with_date()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        screen.query_one("#f-date_from").focus()
        await pilot.press(*"2021-01-01")
        screen.query_one("#f-date_to").focus()
        await pilot.press(*"2021-12-31")
        await pilot.pause()
        assert "2021-01-01" in screen.letter_text() and "2021-12-31" in screen.letter_text()
        screen.query_one("#f-fee_waiver").focus()
        await pilot.press("space")
        await pilot.pause()
        assert "waive" in screen.letter_text().lower()


async def test_a_hand_edit_survives_form_changes_until_regenerate():
    app = app_with_date()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        letter = screen.query_one("#draft-letter")
        letter.focus()
        await pilot.press("ctrl+home", *"MY NOTE ", "enter")
        await pilot.pause()
        assert screen.edited
        screen.query_one("#f-date_from").focus()
        await pilot.press(*"2020")
        await pilot.pause()
        assert screen.letter_text().startswith("MY NOTE")  # the form did not overwrite the edit
        assert "2020" not in screen.letter_text().split("Period:")[1].splitlines()[0]
        await pilot.press("f4")  # regenerate asks first
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not screen.letter_text().startswith("MY NOTE")
        assert "2020" in screen.letter_text() and not screen.edited


async def test_copy_works_with_focus_in_the_letter():
    app = app_with_date()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        screen.query_one("#draft-letter").focus()
        await pilot.press("f2")
        assert app.clipboard == screen.letter_text()
        assert any("set-clipboard" in str(n.message) for n in app._notifications)


async def test_save_writes_the_file(tmp_path):
    app = app_with_date()
    target = tmp_path / "letter.txt"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        screen.query_one("#draft-letter").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        field = app.screen.query_one("#save-path")
        field.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert target.read_text(encoding="utf-8").rstrip("\n") == screen.letter_text().rstrip("\n")
        await pilot.press("ctrl+s")  # again: the file exists, so it asks before replacing it
        await pilot.pause()
        app.screen.query_one("#save-path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert "exists" in screen_text(app)
        await pilot.press("n")


async def test_kind_switch_rebuilds_the_form():
    from textual.widgets import Select

    app = app_with_date()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        screen.query_one("#kind", Select).value = "access"
        await settle(pilot)
        assert screen.query("#f-url") and not screen.query("#f-fee_waiver")
        assert "Technology Services" in screen_text(app)


async def test_guide_opens_searches_and_jumps_to_a_drafting_kind():
    app = app_with_date()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, GuideScreen)
        await pilot.press("slash", *"business days", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        from pdxtui.guide import SECTIONS

        section = SECTIONS[app.screen.index]
        assert "business days" in section.body.lower()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DraftScreen)
        assert app.screen.kind == section.related_kind


async def test_f6_quits_and_hands_the_letter_to_print():
    app = app_with_date()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        letter = screen.letter_text()
        screen.query_one("#draft-letter").focus()
        await pilot.press("f6")
        await pilot.pause()
    assert app.print_on_exit == letter


async def test_missing_details_can_be_filled_in_and_saved(tmp_path, monkeypatch):
    from pdxtui.config import load_config
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp

    config = tmp_path / "config.toml"
    session = open_session(portal="demo", config_path=str(config))
    app = PdxApp(session=session)
    app.today = DAY
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_draft(pilot)
        assert "[your name]" in screen.letter_text()
        await pilot.click("#edit-requester")
        await pilot.pause()
        app.screen.query_one("#r-name").value = "Ada Lovelace"
        app.screen.query_one("#r-email").value = "ada@example.org"
        await pilot.click("#save")
        await settle(pilot)
        assert "Ada Lovelace" in screen.letter_text() and "[your name]" not in screen.letter_text()
    saved = load_config(str(config)).requester
    assert (saved.name, saved.email) == ("Ada Lovelace", "ada@example.org")


async def _details_dialog(pilot):
    from pdxtui.ui.screens.draft import RequesterScreen

    await settle(pilot)
    pilot.app.screen.open_dataset(NEIGHBORHOODS)
    await settle(pilot)
    pilot.app.screen.action_draft()
    await settle(pilot)
    draft_screen = pilot.app.screen
    draft_screen.query_one("#edit-requester").focus()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, RequesterScreen)
    assert pilot.app.focused is pilot.app.screen.query_one("#r-name")  # opens ready to type
    return draft_screen


async def test_enter_saves_your_details(tmp_path):
    from pdxtui.config import load_config
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp

    config = tmp_path / "config.toml"
    app = PdxApp(session=open_session(portal="demo", config_path=str(config)))
    app.today = DAY
    async with app.run_test(size=SIZE) as pilot:
        draft_screen = await _details_dialog(pilot)
        await pilot.press(*"Ada Lovelace", "tab", *"ada@example.org", "enter")
        await settle(pilot)
        assert app.screen is draft_screen
        assert "Ada Lovelace" in draft_screen.letter_text()
    saved = load_config(str(config)).requester
    assert (saved.name, saved.email) == ("Ada Lovelace", "ada@example.org")


async def test_ctrl_s_saves_your_details_not_the_letter(tmp_path):
    from pdxtui.config import load_config
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens.draft import SaveScreen

    config = tmp_path / "config.toml"
    app = PdxApp(session=open_session(portal="demo", config_path=str(config)))
    app.today = DAY
    async with app.run_test(size=SIZE) as pilot:
        draft_screen = await _details_dialog(pilot)
        await pilot.press(*"Grace Hopper", "ctrl+s")
        await settle(pilot)
        assert app.screen is draft_screen and not isinstance(app.screen, SaveScreen)
        assert "Grace Hopper" in draft_screen.letter_text()
    assert load_config(str(config)).requester.name == "Grace Hopper"
