"""The preview grid: textual-fastdatatable over an Arrow table. Imported lazily (pyarrow is not needed to paint
the catalog)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual_fastdatatable import ArrowBackend, DataTable

from pdxtui.textsafe import one_line

if TYPE_CHECKING:
    import polars as pl


class PreviewGrid(DataTable):
    """Rows of the open dataset. Cell strings are never read as markup."""

    # Tab moves between panes, as everywhere else in the app (the grid would take it to move the cursor).
    BINDINGS = [
        Binding("tab", "app.focus_next", "Next pane", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False),
    ]

    DEFAULT_CSS = """
    PreviewGrid { height: 1fr; }
    """

    class OpenCell(Message):
        """Enter on a cell: the pane opens the full value."""

    def action_select_cursor(self) -> None:
        if self.row_count:
            self.post_message(self.OpenCell())

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, **kwargs) -> PreviewGrid:
        labels: list[str | Text] = [Text(one_line(name, 60)) for name in frame.columns]
        return cls(
            backend=ArrowBackend(frame.to_arrow()),
            column_labels=labels,
            render_markup=False,
            max_column_content_width=40,
            null_rep="∅",
            cursor_type="range",  # shift+arrows select a block to copy
            **kwargs,
        )
