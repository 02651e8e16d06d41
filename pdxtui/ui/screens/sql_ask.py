"""The SQL screen's question before a query that uses tables whose rows are not all loaded: load every row first,
or run on the rows loaded (the result says so), or neither. Styled as the other questions (sql.tcss follows
confirm.tcss). Dismisses with "load", "loaded" or None (Esc)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pdxtui.ui.footer import KeysFooter
from pdxtui.ui.safe import plain


class LoadFirstScreen(ModalScreen[str | None]):
    CSS_PATH = "sql.tcss"  # (its rules follow confirm.tcss)

    BINDINGS = [
        Binding("l", "answer('load')", "Load all first"),
        Binding("r", "answer('loaded')", "Run on loaded rows"),
        Binding("escape", "answer(None)", "Cancel"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question, self.detail = question, detail

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.question, "bold"), id="confirm-question")
            if self.detail:
                yield Static(plain(self.detail), id="confirm-detail")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Run on loaded rows (r)", id="loaded")
                yield Button("Load all first (l)", id="load", variant="warning")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#load", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None if event.button.id == "cancel" else event.button.id)

    def action_answer(self, value: str | None) -> None:
        self.dismiss(value)
