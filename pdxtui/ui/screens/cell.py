"""The full value of one cell: long text wraps, JSON and nested values are pretty-printed."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pdxtui.frames import plain_number
from pdxtui.textsafe import clean, one_line
from pdxtui.ui.feedback import CLIPBOARD_HINT
from pdxtui.ui.footer import KeysFooter


def pretty(value: Any) -> str:
    """The value as text: nested values and JSON strings pretty-printed, everything else as is."""
    if value is None:
        return "∅ (null)"
    if hasattr(value, "to_list"):  # polars Series from a list column
        value = value.to_list()
    if isinstance(value, (list, dict)):
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "[{" and stripped[-1:] in "]}":
            try:
                return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
            except ValueError:
                pass
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return plain_number(value)  # 26, not 26.0; every digit sent, no separators
    return str(value)


class CellScreen(ModalScreen[None]):
    CSS_PATH = "cell.tcss"

    BINDINGS = [
        Binding("escape,q,enter,space", "close", "Close"),
        Binding("y", "copy", "Copy"),
    ]

    def __init__(self, column: str, row: int, value: Any) -> None:
        super().__init__()
        self.column, self.row, self.value = column, row, value
        self.text = pretty(value)

    def compose(self) -> ComposeResult:
        with Vertical():
            kind = type(self.value).__name__ if self.value is not None else "null"
            yield Static(
                Text(f"{one_line(self.column, 80)} · row {self.row + 1} · {kind} · {len(self.text):,} characters"),
                id="cell-title",
            )
            with VerticalScroll():
                yield Static(Text(clean(self.text)), id="cell-value")
            yield Static(Text("y copies the value · Esc closes"), id="cell-help")
        yield KeysFooter()

    def action_copy(self) -> None:
        # control characters as pictures: pasted into a shell, the value cannot end a bracketed paste or run escapes
        self.app.copy_to_clipboard(clean(self.text) if self.value is not None else "")
        self.notify(f"Copied the value. {CLIPBOARD_HINT}", markup=False, timeout=5)

    def action_close(self) -> None:
        self.dismiss(None)
