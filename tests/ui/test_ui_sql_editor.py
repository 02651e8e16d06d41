"""The SQL editor on its own (a minimal app): ↑/↓ through the queries run before only from an empty editor or an
unchanged recalled one, and Tab completing names, listing candidates, or moving on."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input

from pdxtui.ui.widgets.sqleditor import SqlEditor


class EditorApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.hints: list[str] = []

    def compose(self):
        yield SqlEditor(id="editor")
        yield Input(id="after")

    def on_sql_editor_hint(self, event: SqlEditor.Hint) -> None:
        self.hints.append(event.text)


async def test_history_and_completion_keys():
    app = EditorApp()
    async with app.run_test() as pilot:
        editor = app.query_one(SqlEditor)
        await pilot.pause()
        assert editor.language == ("sql" if "sql" in editor.available_languages else None)  # (set once painted)
        editor.past = ["SELECT 3", "SELECT 2\nFROM t", "SELECT 1"]
        editor.names = {"street_trees": ["SPECIES", "Species_Code"], "parks": ["NAME"]}
        editor.focus()
        await pilot.press("up")
        assert editor.text == "SELECT 3"
        await pilot.press("up", "up")
        assert editor.text == "SELECT 1"
        await pilot.press("up")  # the oldest: it stays, and says so
        assert editor.text == "SELECT 1" and "oldest" in app.hints[-1]
        await pilot.press("down")
        assert editor.text == "SELECT 2\nFROM t"
        await pilot.press("down", "down")
        assert editor.text == ""  # past the newest: empty again
        await pilot.press("up", "x")  # edited: up and down move the cursor again
        assert editor.text == "SELECT 3x"
        await pilot.press("up")
        assert editor.text == "SELECT 3x"
        assert editor.past[0] == "SELECT 3"
        editor.remember("SELECT 1")  # a query run again moves to the front, once
        assert editor.past == ["SELECT 1", "SELECT 3", "SELECT 2\nFROM t"]

        editor.clear()
        await pilot.press(*"select", "space", *"sp", "tab")
        assert editor.text == "select SPECIES"  # the longest common start of SPECIES and Species_Code
        assert app.hints[-1] == "2 names: SPECIES  Species_Code"
        await pilot.press("space", *"fr", "tab")  # no name starts with fr: said once, Tab again moves on
        assert editor.text == "select SPECIES fr" and editor.has_focus
        assert "No table or column starts with fr" in app.hints[-1]
        await pilot.press("tab")
        assert app.focused is app.query_one("#after")
        editor.focus()
        await pilot.press("space", "tab")  # no word before the cursor: Tab moves on at once
        assert app.focused is app.query_one("#after")

        # after "alias." with nothing typed: the columns of the table the alias stands for (defined later on)
        editor.text = " FROM parks AS p"
        editor.focus()
        editor.move_cursor((0, 0))
        await pilot.press(*"select", "space", "p", "full_stop", "tab")
        assert editor.text == "select p.NAME FROM parks AS p" and editor.has_focus
        await pilot.press("space", *"desc", "tab")  # a keyword: nothing to complete, Tab moves on at once
        assert app.focused is app.query_one("#after")
