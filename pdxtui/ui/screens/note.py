"""The note of a bookmark: one line of text, shown in the Bookmarks list and the metadata pane. Enter keeps it
(an empty note removes the note, not the bookmark); Esc leaves the note as it was. Dismisses with the text, or None
for Esc."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from pdxtui.memory.store import MAX_NOTE
from pdxtui.textsafe import one_line
from pdxtui.ui.footer import KeysFooter, ShownKeys
from pdxtui.ui.safe import line


class NoteScreen(ShownKeys, ModalScreen[str | None]):
    CSS_PATH = "note.tcss"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, note: str = "") -> None:
        super().__init__()
        self.dataset_title, self.note = title, note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(line(f"Note on the bookmark: {self.dataset_title}", "bold", 200), id="note-title")
            yield Input(
                one_line(self.note, MAX_NOTE), placeholder="a line to remember it by", max_length=MAX_NOTE, id="note"
            )
            yield Static("Enter keeps the note (empty: no note) · Esc leaves it as it was", id="note-help")
        yield KeysFooter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
