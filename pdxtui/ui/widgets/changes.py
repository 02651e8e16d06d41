"""What changed since you last looked, on the browse screen: the strip above the grid (:class:`ChangesStrip`) and
the grid of the rows added and changed (:class:`ChangedRowsView`), shown in place of the preview while it is open.

Every text here comes from a portal (field names, ids, titles): it is painted as ``Text``, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from pdxtui.frames import to_tsv
from pdxtui.memory.changed import removed_line
from pdxtui.memory.fingerprint import Changes
from pdxtui.textsafe import one_line
from pdxtui.ui.feedback import CLIPBOARD_HINT

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.model import Dataset

#: the keys the strip names (bound on the browse screen)
STRIP_KEYS = "w details · d rows · x hide"


def since_text(changes: Changes) -> str:
    """``2026-11-20`` (the last look's date), or ``the last look`` when it is not known."""
    return f"{changes.since.astimezone(UTC):%Y-%m-%d}" if changes.since else "the last look"


def strip_text(changes: Changes) -> Text:
    """The strip's first line (it wraps onto a second): the summary."""
    return Text(one_line(changes.describe(), 600), "bold")


def strip_detail(changes: Changes) -> Text:
    """The strip's last line (cut to fit: ``w`` shows it whole): the rows removed, then the notes."""
    said = [one_line(s, 400) for s in (removed_line(changes), *changes.notes) if s]
    return Text(" · ".join(said), "dim", no_wrap=True, overflow="ellipsis")


class ChangesStrip(Vertical):
    """Two or three lines above the grid, when the look at the open dataset found changes: the summary (wrapped onto
    two lines at most), then the rows removed and the notes (cut to one line) beside the keys."""

    DEFAULT_CSS = """
    ChangesStrip { display: none; height: auto; max-height: 3; background: $accent 15%; padding: 0 1; }
    ChangesStrip.-shown { display: block; }
    ChangesStrip > #changes-text { height: auto; max-height: 2; }
    ChangesStrip > Horizontal { height: 1; }
    ChangesStrip #changes-detail { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ChangesStrip #changes-keys { width: auto; height: 1; padding: 0 0 0 2; color: $text-muted; }
    """

    def compose(self):
        yield Static("", id="changes-text")
        with Horizontal():
            yield Static("", id="changes-detail")
            yield Static(Text(STRIP_KEYS), id="changes-keys")

    def show_changes(self, changes: Changes | None) -> None:
        """Show ``changes`` (None: hide the strip)."""
        detail = strip_detail(changes) if changes is not None else Text()
        self.query_one("#changes-text", Static).update(strip_text(changes) if changes is not None else "")
        self.query_one("#changes-detail", Static).update(detail)
        self.set_class(changes is not None, "-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")


class ChangedRowsView(Vertical):
    """The rows added and changed since the last look, in a grid of their own: the preview (its filter, sort,
    columns and cursor) stays as it was under it, and comes back when this closes."""

    DEFAULT_CSS = """
    ChangedRowsView { height: 1fr; border: round $primary-darken-2; }
    ChangedRowsView > #changed-header {
        height: auto; max-height: 2; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ChangedRowsView:focus-within { border: round $accent; }
    """
    BINDINGS = [
        Binding("escape", "leave", "Back to the preview"),
        Binding("y", "copy_cells", "Copy", show=False),
        Binding("space", "open_cell", "Cell", show=False),
    ]

    @dataclass
    class Left(Message):
        """The user asked to go back to the preview (Esc)."""

    @dataclass
    class CellWanted(Message):
        """The full value of a cell (Enter or space)."""

        column: str
        row: int
        value: Any

    def __init__(self, rows: pl.DataFrame, dataset: Dataset, header: Text, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows = rows
        self.dataset = dataset
        self.header = header
        self.border_title = "Added and changed rows"
        self.border_subtitle = "d or Esc: back to the preview"

    def compose(self):
        from pdxtui.frames import display_frame
        from pdxtui.ui.widgets.grid import PreviewGrid

        yield Static(self.header, id="changed-header")
        yield PreviewGrid.from_frame(display_frame(self.rows), self.dataset.fields, id="changed-grid")

    @property
    def grid(self):
        from pdxtui.ui.widgets.grid import PreviewGrid

        return self.query_one(PreviewGrid)

    def action_leave(self) -> None:
        self.post_message(self.Left())

    def action_open_cell(self) -> None:
        grid = self.grid
        if self.rows.height == 0:
            return
        row, column = grid.cursor_coordinate.row, grid.cursor_coordinate.column
        self.post_message(self.CellWanted(self.rows.columns[column], row, self.rows[row, column]))

    def on_preview_grid_open_cell(self, event: Message) -> None:  # Enter in the grid
        event.stop()
        self.action_open_cell()

    def action_copy_cells(self) -> None:
        grid = self.grid
        if self.rows.height == 0:
            return
        cursor = grid.cursor_coordinate
        anchor = grid.selection_anchor_coordinate or cursor
        r0, r1 = sorted((cursor.row, anchor.row))
        c0, c1 = sorted((cursor.column, anchor.column))
        block = self.rows.slice(r0, r1 - r0 + 1).select(self.rows.columns[c0 : c1 + 1])
        self.app.copy_to_clipboard(to_tsv(block, header=False))
        cells = block.height * block.width
        what = "1 cell" if cells == 1 else f"{block.height} × {block.width} cells"
        self.notify(f"Copied {what} as TSV. {CLIPBOARD_HINT}", markup=False, timeout=5)

    def on_data_table_selection_copied(self, event: Message) -> None:  # ctrl+c in the grid
        event.stop()
        self.action_copy_cells()
