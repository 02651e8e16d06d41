"""Column picker: space toggles a column, ctrl+up/ctrl+down (or K/J) move it, Enter applies, Esc cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from pdxtui.textsafe import one_line
from pdxtui.ui.footer import KeysFooter
from pdxtui.ui.widgets.toggles import TickList


class ColumnsScreen(ModalScreen[list[str] | None]):
    CSS_PATH = "columns.tcss"

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+up,K", "move(-1)", "Move up"),
        Binding("ctrl+down,J", "move(1)", "Move down"),
        Binding("a", "all(True)", "All"),
        Binding("n", "all(False)", "None"),
    ]

    def __init__(self, columns: list[str], visible: list[str]) -> None:
        super().__init__()
        shown = set(visible)
        # visible columns first, in their order; then the hidden ones, in the dataset's order
        self.order = list(visible) + [c for c in columns if c not in shown]
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    "Columns: space shows/hides · ctrl+↑/↓ (K/J) moves · a all · n none · Enter applies · Esc cancels"
                ),
                id="columns-help",
            )
            yield TickList[str](*self._selections(), id="columns")  # [x] / [ ]: shown or hidden, also without colour
        yield KeysFooter()

    def _selections(self) -> list[Selection[str]]:
        return [Selection(Text(one_line(c, 60)), c, c in self.shown) for c in self.order]

    def _sync(self) -> SelectionList[str]:
        picker = self.query_one(SelectionList)
        self.shown = set(picker.selected)
        return picker

    def action_move(self, step: int) -> None:
        picker = self._sync()
        index = picker.highlighted
        if index is None:
            return
        target = index + step
        if not 0 <= target < len(self.order):
            return
        self.order[index], self.order[target] = self.order[target], self.order[index]
        picker.clear_options()
        picker.add_options(self._selections())
        picker.highlighted = target

    def action_all(self, on: bool) -> None:
        picker = self.query_one(SelectionList)
        picker.select_all() if on else picker.deselect_all()

    def action_apply(self) -> None:
        self._sync()
        chosen = [c for c in self.order if c in self.shown]
        if not chosen:
            self.notify("Choose at least one column.", severity="warning", markup=False, timeout=3)
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
