"""Finding text in the grid's loaded rows (``/`` in the grid, ``n`` / ``N`` next / previous match).

The search runs over the text of each cell as the grid shows it, case-insensitive, on the rows as they are shown
(filtered, sorted, visible columns only). Matches are kept as one sorted series of cell positions
(``row * width + column``), so that next and previous are a binary search, even over a million rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from pdxtui.ui.feedback import error_text

if TYPE_CHECKING:
    import polars as pl


def column_texts(column: pl.Series) -> pl.Series:
    """The cells of ``column`` as text to find in: as the grid prints them, numbers without its thousands separators
    and padding zeros (as they are copied); nulls stay null (the grid's ∅ is not text to find)."""
    import polars as pl

    from pdxtui.frames import plain_number
    from pdxtui.ui.widgets.grid import display_value

    dtype = column.dtype
    if dtype == pl.String:
        return column
    if dtype.is_integer() or dtype == pl.Boolean or dtype == pl.Date:
        return column.cast(pl.String)
    if dtype.is_float():  # the number as copied (26, 45.5234): the grid's separators and padding are not searched
        return column.map_elements(plain_number, return_dtype=pl.String, skip_nulls=True)
    if dtype.is_decimal():
        return column.cast(pl.String)
    return column.map_elements(lambda v: str(display_value(v)), return_dtype=pl.String, skip_nulls=True)


def find_cells(frame: pl.DataFrame, needle: str) -> pl.Series:
    """Positions (``row * frame.width + column``, ascending) of the cells whose text contains ``needle``, in any
    case. ``frame`` is the grid's display frame."""
    import polars as pl

    wanted = needle.lower()
    width = frame.width
    parts = []
    for index, name in enumerate(frame.columns):
        texts = column_texts(frame[name]).str.to_lowercase()
        rows = texts.str.contains(wanted, literal=True).fill_null(False).arg_true()
        if rows.len():
            parts.append(rows.cast(pl.Int64) * width + index)
    if not parts:
        return pl.Series("cell", [], dtype=pl.Int64)
    return pl.concat(parts).sort().alias("cell")


@dataclass
class Found:
    """The matches of one search: ``cells`` as from :func:`find_cells`, ``current`` the one at the cursor."""

    needle: str
    cells: pl.Series
    width: int
    current: int = -1

    @property
    def count(self) -> int:
        return self.cells.len()

    def step(self, row: int, column: int, forward: bool, *, here: bool = False) -> tuple[int, int] | None:
        """The next (or previous) match from the cell (row, column), wrapping round; ``here`` counts that cell."""
        if not self.count:
            return None
        position = row * self.width + column
        if forward:
            index = int(self.cells.search_sorted(position, side="left" if here else "right"))
            index = index if index < self.count else 0
        else:
            index = int(self.cells.search_sorted(position, side="left")) - 1
            index = index if index >= 0 else self.count - 1
        self.current = index
        cell = int(self.cells[index])
        return divmod(cell, self.width)

    def describe(self) -> str:
        quoted = repr(self.needle) if "'" not in self.needle else f'"{self.needle}"'
        if not self.count:
            return f"No match for {quoted} in the loaded rows"
        which = f"{self.current + 1:,} of {self.count:,}" if self.current >= 0 else f"{self.count:,} matches"
        return f"{which} · n next, N previous"


class FindInput(Input):
    """The text to find. Enter finds; Esc closes the find and goes back to the grid."""

    BINDINGS = [Binding("escape", "close", "Close the find", show=True)]

    @dataclass
    class Closed(Message):
        input: FindInput

        @property
        def control(self) -> FindInput:
            return self.input

    def action_close(self) -> None:
        self.post_message(self.Closed(self))


class FindBar(Horizontal):
    """The find line under the filter bar: hidden until ``/`` in the grid."""

    DEFAULT_CSS = """
    FindBar { display: none; height: 1; margin: 0 1; }
    FindBar.-shown { display: block; }
    FindBar > #find-input { width: 1fr; min-width: 12; max-width: 40; background: $boost; }
    FindBar > #find-count { width: auto; padding: 0 1; color: $text-muted; }
    FindBar > #find-count.-none { color: $warning; }
    """

    def compose(self):
        yield FindInput(placeholder="Find in the loaded rows (Enter)", id="find-input", compact=True)
        yield Static("", id="find-count")

    def say(self, text: str, *, missing: bool = False) -> None:
        count = self.query_one("#find-count", Static)
        count.update(Text(text))
        count.set_class(missing, "-none")


class FindInRows(Vertical):
    """The preview pane's find (``PreviewPane`` is one; it has ``grid``, ``view``, ``found``, ``find_stale`` and a
    :class:`FindBar` with the id ``find``)."""

    grid: Any
    view: pl.DataFrame | None
    found: Found | None
    find_stale: bool

    def action_find(self) -> None:
        bar = self.query_one(FindBar)
        bar.add_class("-shown")
        box = bar.query_one(FindInput)
        if self.found is not None and not box.value:
            box.value = self.found.needle
        box.focus()

    def action_find_next(self, forward: bool) -> None:
        if self.found is None:
            return
        if self.find_stale:
            self.run_find(self.found.needle, forward=forward, here=False)
        else:
            self._step(forward, here=False)

    def action_close_find(self) -> None:
        self.close_find_bar()
        if self.grid is not None:
            self.grid.focus()

    def close_find_bar(self) -> None:
        self.found = None
        self.find_stale = False
        bar = self.query_one(FindBar)
        bar.remove_class("-shown")
        bar.say("")
        self.refresh_bindings()

    def on_find_input_closed(self, event: FindInput.Closed) -> None:
        event.stop()
        self.action_close_find()
        if self.grid is None:
            self.screen.focus_next()

    def run_find(self, needle: str, *, forward: bool = True, here: bool = True) -> None:
        if self.grid is None or self.view is None:
            return
        if not needle.strip():
            self.query_one(FindBar).say("Type the text to find, then Enter · Esc closes")
            return
        from pdxtui.frames import display_frame

        self.query_one(FindBar).say("Finding…")
        self._find(needle, display_frame(self.view), forward, here)

    @work(thread=True, exclusive=True, group="find", exit_on_error=False)
    def _find(self, needle: str, frame: pl.DataFrame, forward: bool, here: bool) -> None:
        try:
            found = Found(needle, find_cells(frame, needle), frame.width)
        except Exception as exc:
            self.app.call_from_thread(self._find_failed, exc)
            return
        self.app.call_from_thread(self._found, found, forward, here)

    def _find_failed(self, exc: BaseException) -> None:
        self.query_one(FindBar).say(f"Find failed: {error_text(exc)}", missing=True)

    def _found(self, found: Found, forward: bool, here: bool) -> None:
        self.found = found
        self.find_stale = False
        self.refresh_bindings()
        self._step(forward, here=here)

    def _step(self, forward: bool, *, here: bool) -> None:
        grid, found = self.grid, self.found
        if grid is None or found is None:
            return
        cell = found.step(grid.cursor_row, grid.cursor_column, forward, here=here)
        self.query_one(FindBar).say(found.describe(), missing=cell is None)
        if cell is not None:
            grid.move_cursor(row=cell[0], column=cell[1])
            grid.focus()
