"""The preview grid: textual-fastdatatable over an Arrow table. Imported lazily (pyarrow is not needed to paint
the catalog)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual_fastdatatable import ArrowBackend, DataTable

from pdxtui.frames import NumberFormat, number_formats
from pdxtui.textsafe import clean, one_line
from pdxtui.ui.widgets.vim import MOVE_KEYS

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.model import Field


WIDTH_SAMPLE = 2000  # rows measured to size the columns
_PLAIN = NumberFormat()  # numbers of a column without a format of its own


def display_value(value: Any, number: NumberFormat | None = None) -> Any:
    """What the grid paints for one cell. Numbers are written by their column's format (``frames.NumberFormat``:
    thousands separators, decimals lined up on the point) and right-aligned; strings are made inert."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = (number or _PLAIN).text(value)
        # a right-justified Text paints as Align(Text, "right") does, in about two thirds of the time
        return Text(text, no_wrap=True, overflow="ellipsis", justify="right")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


class SampledArrowBackend(ArrowBackend):
    """Sizes columns from a sample of the rows (the first ones and an even spread), not from every cell: a
    million rows open in a moment, and columns are capped at 40 cells wide anyway. Number columns are as wide as
    their widest value written by its format (known from the column's smallest and largest values)."""

    def __init__(self, data: Any, numbers: Sequence[NumberFormat | None] = ()) -> None:
        super().__init__(data)
        self.numbers = list(numbers)

    @property
    def column_content_widths(self) -> list[int]:
        if not self._column_content_widths:
            rows = self.data.num_rows
            if rows <= WIDTH_SAMPLE:
                return self._with_numbers(list(super().column_content_widths))
            import pyarrow as pa

            # zero-copy slices (``take`` has no kernel for string_view columns): the head, then 20 spread out
            block = WIDTH_SAMPLE // 40
            starts = range(WIDTH_SAMPLE // 2, rows - block, max(block, (rows - WIDTH_SAMPLE // 2) // 20))
            sample = pa.concat_tables(
                [self.data.slice(0, WIDTH_SAMPLE // 2)] + [self.data.slice(s, block) for s in starts]
            )
            self._column_content_widths = self._with_numbers([self._measure(column) or 0 for column in sample.columns])
        return self._column_content_widths

    def _with_numbers(self, widths: list[int]) -> list[int]:
        for i, number in enumerate(self.numbers[: len(widths)]):
            if number is not None:
                widths[i] = number.width
        self._column_content_widths = widths
        return widths

    def _measure(self, arr: Any) -> int:
        import pyarrow.types as pt

        if self.numbers and (pt.is_integer(arr.type) or pt.is_floating(arr.type) or pt.is_decimal(arr.type)):
            return 0  # measured by its format (see column_content_widths)
        return super()._measure(arr)


class PreviewGrid(DataTable):
    """Rows of the open dataset. Cell strings are never read as markup."""

    # Tab moves between panes, as everywhere else in the app (the grid would take it to move the cursor). Vim
    # movement: j k h l, g / G the first / last row; Home / End the first / last column (ctrl+Home/End: the corners).
    BINDINGS = [
        Binding("tab", "app.focus_next", "Next pane", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False),
        *MOVE_KEYS,
        Binding("g", "scroll_home", "First row", show=False),  # (textual-fastdatatable's name for the first row)
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
        numbers = self.numbers
        return [display_value(v, n) for v, n in zip(super().get_row_at(row_index), numbers)]

    def get_cell_at(self, coordinate: Coordinate) -> Any:
        numbers = self.numbers
        number = numbers[coordinate.column] if coordinate.column < len(numbers) else None
        return display_value(super().get_cell_at(coordinate), number)

    @property
    def numbers(self) -> list[NumberFormat | None]:
        backend = self.backend
        found = backend.numbers if isinstance(backend, SampledArrowBackend) else []
        return found if len(found) == self.column_count else [None] * self.column_count

    @classmethod
    def from_frame(
        cls,
        frame: pl.DataFrame,
        fields: Iterable[Field] = (),
        numbers: Mapping[str, NumberFormat | None] | None = None,
        **kwargs,
    ) -> PreviewGrid:
        """A grid of ``frame`` (a display copy, ``frames.display_frame``); ``fields`` (the dataset's) tell which
        number columns are ids, codes or years, shown without thousands separators. ``numbers``: the formats of
        the columns by name, if already worked out (``frames.number_formats``)."""
        import polars as pl

        if numbers is None or any(name not in numbers for name in frame.columns):
            numbers = dict(zip(frame.columns, number_formats(frame, fields)))
        formats = [numbers[name] for name in frame.columns]

        labels: list[str | Text] = [Text(one_line(name, 60)) for name in frame.columns]
        if any("\x00" in name for name in frame.columns):  # Arrow's C interface cannot carry a NUL in a name
            frame = frame.rename({name: f"column {i}" for i, name in enumerate(frame.columns)})  # (polars panics)
        return cls(
            backend=SampledArrowBackend(frame.to_arrow(compat_level=pl.CompatLevel.newest()), formats),
            column_labels=labels,
            render_markup=False,
            max_column_content_width=40,
            null_rep="∅",
            cursor_type="range",  # shift+arrows select a block to copy
            **kwargs,
        )
