"""The preview grid: textual-fastdatatable over an Arrow table. Imported lazily (pyarrow is not needed to paint
the catalog)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual_fastdatatable import ArrowBackend, DataTable

from pdxtui.textout import float_text
from pdxtui.textsafe import clean, one_line

if TYPE_CHECKING:
    import polars as pl


WIDTH_SAMPLE = 2000  # rows measured to size the columns


def display_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, float):
        # the grid prints floats with 6 significant digits (2002440.0 as 2.00244e+06, 45.523412 as 45.5234):
        # hand it a Decimal of 10 significant digits instead, which it prints in full and still right-aligns
        if math.isfinite(value):
            return Decimal(float_text(value))
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


class SampledArrowBackend(ArrowBackend):
    """Sizes columns from a sample of the rows (the first ones and an even spread), not from every cell: a
    million rows open in a moment, and columns are capped at 40 cells wide anyway."""

    @property
    def column_content_widths(self) -> list[int]:
        if not self._column_content_widths:
            rows = self.data.num_rows
            if rows <= WIDTH_SAMPLE:
                return super().column_content_widths
            import pyarrow as pa

            # zero-copy slices (``take`` has no kernel for string_view columns): the head, then 20 spread out
            block = WIDTH_SAMPLE // 40
            starts = range(WIDTH_SAMPLE // 2, rows - block, max(block, (rows - WIDTH_SAMPLE // 2) // 20))
            sample = pa.concat_tables(
                [self.data.slice(0, WIDTH_SAMPLE // 2)] + [self.data.slice(s, block) for s in starts]
            )
            self._column_content_widths = [self._measure(column) or 0 for column in sample.columns]
        return self._column_content_widths

    def _measure(self, arr: Any) -> int:
        # floats are shown with up to 10 significant digits (see display_value), wider than the 6 the backend
        # measures them at: measure what is shown (over the sample, so this stays cheap at a million rows)
        import pyarrow.types as pt

        if pt.is_floating(arr.type):
            values = [v for v in arr.to_pylist() if v is not None]
            return max((len(str(display_value(v))) for v in values), default=0)
        return super()._measure(arr)


class PreviewGrid(DataTable):
    """Rows of the open dataset. Cell strings are never read as markup."""

    # Tab moves between panes, as everywhere else in the app (the grid would take it to move the cursor). Vim
    # movement: j k h l, g / G the first / last row; Home / End the first / last column (ctrl+Home/End: the corners).
    BINDINGS = [
        Binding("tab", "app.focus_next", "Next pane", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("h", "cursor_left", "Left", show=False),
        Binding("l", "cursor_right", "Right", show=False),
        Binding("g", "scroll_home", "First row", show=False),
        Binding("G", "scroll_end", "Last row", show=False),
        Binding("home", "cursor_row_start", "First column", show=False),
        Binding("end", "cursor_row_end", "Last column", show=False),
    ]

    DEFAULT_CSS = """
    PreviewGrid { height: 1fr; }
    """

    class OpenCell(Message):
        """Enter on a cell: the pane opens the full value."""

    def action_select_cursor(self) -> None:
        if self.row_count:
            self.post_message(self.OpenCell())

    # Cell values reach the screen only through these two: strings are made inert here (control, bidi and
    # zero-width characters shown as visible placeholders), for the rows painted, not for every loaded row.
    def get_row_at(self, row_index: int) -> list[Any]:
        return [display_value(v) for v in super().get_row_at(row_index)]

    def get_cell_at(self, coordinate: Coordinate) -> Any:
        return display_value(super().get_cell_at(coordinate))

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, **kwargs) -> PreviewGrid:
        import polars as pl

        labels: list[str | Text] = [Text(one_line(name, 60)) for name in frame.columns]
        if any("\x00" in name for name in frame.columns):  # Arrow's C interface cannot carry a NUL in a name
            frame = frame.rename({name: f"column {i}" for i, name in enumerate(frame.columns)})  # (polars panics)
        return cls(
            backend=SampledArrowBackend(frame.to_arrow(compat_level=pl.CompatLevel.newest())),
            column_labels=labels,
            render_markup=False,
            max_column_content_width=40,
            null_rep="∅",
            cursor_type="range",  # shift+arrows select a block to copy
            **kwargs,
        )
