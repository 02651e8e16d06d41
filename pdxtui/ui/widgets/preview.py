"""Preview pane: a header ("Showing N of M rows (sorted by X)") over the grid, and everything done to the rows:
loading more or all of them, sorting, choosing columns, opening and copying cells.

The pane keeps the loaded rows as one typed polars frame (``preview.frame``). The grid shows a display copy of
the visible columns; cell values for the cell view and for copying come from the typed frame, never from the
display copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, ProgressBar, Static

from pdxtui.errors import PdxError
from pdxtui.frames import to_tsv
from pdxtui.model import Dataset, Progress, Query
from pdxtui.textout import fmt_count, human_bytes
from pdxtui.textsafe import one_line
from pdxtui.ui.feedback import CLIPBOARD_HINT, error_text
from pdxtui.ui.safe import line, plain
from pdxtui.ui.widgets.filterbar import FILTER_PLACEHOLDER, LOCAL_FILTER_PLACEHOLDER, FilterBar, filter_hint
from pdxtui.ui.widgets.find import FindBar, FindInRows, Found

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.service import Preview, Service

PAGE_ROWS = 1000  # rows fetched on open and by each "load more"
CONFIRM_ROWS = 100_000  # "load all" asks first above this many rows
ALL_ROWS = 10**12  # "everything" when the portal does not say how many rows there are


class PaneNote(Static, can_focus=True):
    """What the pane says in place of rows (none loaded, an error, no columns). It takes the focus when rows were
    wanted and did not come, so that focus is never lost: Tab, ctrl+r and the pane's keys go on from here."""


def note(content: Text) -> PaneNote:
    return PaneNote(content, id="preview-empty")


def load_grid_modules() -> None:
    """Import what showing the first rows needs (pyarrow and its compute functions, the grid widget, the filter
    language): run in a thread once the pane is on screen, so that opening the first dataset does not wait for it.
    An open that comes first imports them itself (Python's import lock lets each module load once)."""
    import pyarrow.compute  # noqa: F401 (imported for its side effect: loaded before the first open)

    import pdxtui.filters
    import pdxtui.ui.widgets.grid  # noqa: F401 (loaded only, as pdxtui.filters above)


def same_dataset(one: Dataset, other: Dataset) -> bool:
    return (one.id, one.resource) == (other.id, other.resource)


def describe_order(order: tuple[tuple[str, bool], ...]) -> str:
    return ", ".join(f"{col} {'↓' if desc else '↑'}" for col, desc in order)


@dataclass
class PaneMessage(Message):
    """What the preview pane tells its screen; ``control`` is the pane."""

    pane: PreviewPane

    @property
    def control(self) -> PreviewPane:
        return self.pane


class PreviewPane(FindInRows):
    DEFAULT_CSS = """
    PreviewPane { height: 1fr; }
    PreviewPane > #preview-header { height: 1; padding: 0 1; background: $boost; }
    PreviewPane > #preview-progress { display: none; height: 1; padding: 0 1; }
    PreviewPane > #filter { margin: 0 1; background: $boost; }
    PreviewPane > #filter-error { display: none; height: auto; padding: 0 1; color: $error; }
    PreviewPane > #filter-error.-shown { display: block; }
    PreviewPane > #preview-empty { height: 1fr; padding: 1 2; color: $text-muted; }
    PreviewPane > #preview-empty:focus { background: $boost; text-style: bold; }
    """

    @dataclass
    class ColumnChosen(PaneMessage):
        """The user asked for statistics ("stats"), facets ("facets") or a chart ("chart") of a column."""

        column: str
        purpose: str

    @dataclass
    class MapWanted(PaneMessage):
        """The user asked for a map of the rows (m)."""

    @dataclass
    class Failed(PaneMessage):
        """Rows could not be loaded: the pane shows it inline; the screen reports ``error``."""

        error: BaseException
        where: str = "Preview"

    @dataclass
    class Loaded(PaneMessage):
        """Rows arrived from ``service``: the screen says where from (a stale cached copy, say)."""

        service: Service

    @dataclass
    class CellWanted(PaneMessage):
        """The user asked for the full value of a cell (Enter or space)."""

        column: str
        row: int
        value: Any

    @dataclass
    class ColumnsWanted(PaneMessage):
        """The user asked to choose and order the columns (C): the answer goes to :meth:`PreviewPane.set_columns`."""

        columns: list[str]
        visible: list[str]

    @dataclass
    class LoadAllAsked(PaneMessage):
        """Loading all rows needs a yes first: ``question`` and ``detail`` for the user, ``load`` runs on yes."""

        question: str
        detail: str
        load: Callable[[], object]

    SORT = Binding.Group("Sort")
    # in footer order (the grid's footer fits 140 columns): the keys shown are the ones a first look needs; the
    # help (?) lists them all
    BINDINGS = [
        Binding("f", "focus_filter", "Filter"),
        Binding("left_square_bracket", "sort(False)", "Sort ↑", group=SORT),
        Binding("right_square_bracket", "sort(True)", "Sort ↓", group=SORT),
        Binding("s", "column_info('stats')", "Stats"),
        Binding("F", "column_info('facets')", "Facets"),
        Binding("m", "map", "Map"),
        Binding("v", "column_info('chart')", "Chart"),
        Binding("y", "copy_cells", "Copy"),
        Binding("slash", "find", "Find"),
        Binding("n", "find_next(True)", "Next match", show=False),
        Binding("N", "find_next(False)", "Previous match", show=False),
        Binding("escape", "close_find", "Close the find", show=False),
        Binding("C", "pick_columns", "Columns"),
        Binding("plus", "load_more", "More rows", show=False),
        Binding("L", "load_all", "Load all", show=False),
        Binding("space", "open_cell", "Cell", show=False),
        Binding("Y", "copy_row", "Copy row", show=False),
        Binding("u", "copy_url", "Copy API URL", show=False),
    ]

    #: actions that need rows (a loaded preview), and those that need the grid itself
    ROW_ACTIONS = {"focus_filter", "sort", "column_info", "map", "pick_columns", "load_more", "load_all", "copy_url"}
    GRID_ACTIONS = {"sort", "column_info", "copy_cells", "copy_row", "open_cell", "find"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot work here are neither shown nor run (the key goes on to the screen: Esc cancels)."""
        if action in self.ROW_ACTIONS and self.preview is None:
            return False
        if action in self.GRID_ACTIONS and self.grid is None:
            return False
        if action in ("find_next", "close_find"):
            return self.found is not None and self.grid is not None
        return True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.preview: Preview | None = None
        self.service: Service | None = None
        self.columns: list[str] | None = None  # visible columns in order; None: all
        self.local_order: tuple[tuple[str, bool], ...] = ()  # sort applied here, to the loaded rows only
        self.view: pl.DataFrame | None = None  # the typed rows as the grid shows them (order and columns)
        self.local_where: str | None = None  # a filter applied here, to the loaded rows only
        self._hint: tuple[Any, str] | None = None  # (dataset key, the filter bar's hint for it)
        self.found: Found | None = None  # the last find in the grid (/), while the find line is open
        self.find_stale = False  # the rows changed since: the next n or N finds again
        self._formats: tuple[Any, str | None, dict[str, Any]] | None = None  # (preview, local filter, formats)

    def on_mount(self) -> None:
        self.call_after_refresh(self.run_worker, load_grid_modules, thread=True, group="modules", exit_on_error=False)

    def compose(self):
        yield Static(Text("No dataset open"), id="preview-header")
        yield FilterBar(placeholder=FILTER_PLACEHOLDER, id="filter", compact=True)
        yield Static("", id="filter-error")
        yield FindBar(id="find")
        yield ProgressBar(id="preview-progress", show_eta=False)
        yield Static(Text("Rows appear here when you open a dataset."), id="preview-empty")

    # ------------------------------------------------------------------ loading
    def load(
        self, dataset: Dataset, service: Service, query: Query | None = None, *, keep_columns: bool = False
    ) -> None:
        """Fetch the first page of ``dataset`` for ``query`` (in a worker) and show it."""
        self.service = service
        if not keep_columns:
            self.columns = None
        self.local_order = ()
        self.local_where = None
        self.show_filter_error(None)
        bar = self.query_one("#filter", Input)
        bar.value = (query.where or "") if query else ""
        bar.placeholder = FILTER_PLACEHOLDER if service.can("filter") else LOCAL_FILTER_PLACEHOLDER
        self._fetch(dataset, service, query or Query(), PAGE_ROWS, append=False)

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _fetch(self, dataset: Dataset, service: Service, query: Query, rows: int, *, append: bool) -> None:
        previous = self.preview if append else None
        # a new filter or sort of the rows shown: when it fails, those rows come back (and clearing the filter
        # works from them), rather than a pane without rows
        shown = self.preview
        if shown is not None and (
            append
            or not same_dataset(shown.dataset, dataset)
            or service is not self.service
            or (shown.query.where, shown.query.order) == (query.where, query.order)
        ):
            shown = None
        self.start_progress(dataset)
        try:
            if previous is not None:
                preview = await service.more(previous, rows, progress=self.progress)
            else:
                preview = await service.preview(dataset, rows=rows, query=query, progress=self.progress)
            await self.show(preview)
            fresh = [n for n in preview.notes if previous is None or n not in previous.notes]
            for said in fresh:  # the header has them too, but cut to its one line
                self.notify(one_line(said, 300), title="Note", markup=False, timeout=8)
        except asyncio.CancelledError:
            if previous is not None:
                await self.show(previous)
                self.notify("Loading cancelled; the rows already loaded are kept.", markup=False, timeout=4)
            elif shown is not None:  # a filter or sort cancelled: the rows shown before it stay
                await self.show(shown)
                self.notify("Cancelled: the rows shown before stay.", markup=False, timeout=4)
            else:
                await self.show_message(
                    "Cancelled: no rows loaded.", "Open the dataset again (Enter) or press ctrl+r to retry.", "yellow"
                )
            raise
        except Exception as exc:
            if previous is not None:
                await self.show(previous)
            elif shown is not None:  # the filter typed stays in the bar, to be put right (Esc: the one applied)
                await self.show(shown)
                self.show_filter_error(f"Not applied: {error_text(exc)}")
            else:
                await self.show_message("Rows could not be loaded.", error_text(exc), "red")
            self.post_message(self.Failed(self, exc))
        else:
            self.post_message(self.Loaded(self, service))
        finally:
            self.stop_progress()

    def cancel(self) -> bool:
        running = [w for w in self.workers if w.node is self and w.group == "preview" and w.is_running]
        self.workers.cancel_node(self)
        self.stop_progress()
        return bool(running)

    def start_progress(self, dataset: Dataset) -> None:
        """Show that rows are on their way; :meth:`progress` moves the bar as pages arrive."""
        bar = self.query_one("#preview-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#preview-header", Static).update(
            line(f"Loading rows of {dataset.title}… (Esc cancels)", "italic")
        )

    def progress(self, step: Progress) -> None:
        bar = self.query_one("#preview-progress", ProgressBar)
        bar.update(total=step.total, progress=step.rows)
        pages = f", {step.pages} pages" if step.pages else ""
        self.query_one("#preview-header", Static).update(
            Text(f"Loading… {step.rows:,} of {fmt_count(step.total)} rows{pages} (Esc cancels)", "italic")
        )

    def stop_progress(self) -> None:
        self.query_one("#preview-progress", ProgressBar).display = False

    # ------------------------------------------------------------------ showing
    @property
    def grid(self):
        from pdxtui.ui.widgets.grid import PreviewGrid

        found = self.query(PreviewGrid)
        return found.first() if found else None

    def visible_columns(self) -> list[str]:
        if self.preview is None:
            return []
        names = self.preview.frame.columns
        if self.columns is None:
            return list(names)
        return [c for c in self.columns if c in names]

    def local_rows(self) -> pl.DataFrame:
        """The loaded rows (all columns, in the order loaded), narrowed by the filter applied here (if any)."""
        assert self.preview is not None
        frame = self.preview.frame
        if self.local_where:
            from pdxtui.filters import parse, to_polars

            node = parse(self.local_where, self.preview.dataset.fields)
            if node is not None:
                frame = frame.filter(to_polars(node, frame.schema))
        return frame

    def header_text(self) -> Text:
        preview = self.preview
        out = Text()
        if preview is None:
            return out
        notes = []
        if self.local_where:  # what the filter kept comes first: a long header is cut at its end, never there
            matching = self.view.height if self.view is not None else 0
            whole = preview.total is not None and preview.shown >= preview.total
            loaded = "rows" if whole else "loaded rows"
            out.append(f"{matching:,} of {preview.shown:,} {loaded} match", "bold")
            out.append(" ")
            out.append_text(line(self.local_where, max_len=120))
            if not whole:
                notes.append(f"{fmt_count(preview.total)} rows in all")
            notes.append("filtered here: the portal cannot filter")
        else:
            out.append(f"Showing {preview.shown:,} of {fmt_count(preview.total)} rows", "bold")
        if preview.query.order:
            notes.append(f"sorted by {describe_order(preview.query.order)}")
        if self.local_order:
            notes.append(f"sorted by {describe_order(self.local_order)} (loaded rows only)")
        if preview.query.where:
            notes.append(f"filtered by {preview.query.where}")
        hidden = preview.frame.width - len(self.visible_columns())
        if hidden:
            notes.append(f"{hidden} columns hidden")
        notes.extend(preview.notes)  # what the portal said while reading (e.g. an old server's rows sorted here)
        if notes:
            out.append(" ")
            out.append_text(line(f"({'; '.join(notes)})", max_len=200))
        if preview.dataset.sample:
            out.append("  ")
            out.append(" SAMPLE DATA ", "bold black on yellow")
            out.append(" generated rows, not the City's", "yellow")
        return out

    async def show(self, preview: Preview) -> None:
        from pdxtui.frames import display_frame
        from pdxtui.ui.widgets.grid import PreviewGrid

        # the cursor stays where it was when the same dataset is shown again (sorted, filtered, more rows loaded);
        # another dataset opens at its first cell
        same = self.preview is not None and same_dataset(self.preview.dataset, preview.dataset)
        self.preview = preview
        old = self.grid
        cursor = old.cursor_coordinate if old is not None and same else None
        had_focus = old is not None and old.has_focus
        if self.found is not None:  # the rows change: n finds again in the rows shown now; another dataset closes it
            if same:
                self.find_stale = True
            else:
                self.close_find_bar()
        view = self.local_rows().select(self.visible_columns())
        if self.local_order:
            cols = [c for c, _ in self.local_order if c in view.columns]
            view = view.sort(cols, descending=[d for c, d in self.local_order if c in view.columns], nulls_last=True)
        grid = None
        if view.width:
            grid = PreviewGrid.from_frame(display_frame(view), preview.dataset.fields, self._numbers(view), id="grid")
        # the old body goes and the new comes in one paint (never an empty pane between), one show at a time
        async with self.batch():
            await self._clear_body()
            self.view = view
            self.query_one("#preview-header", Static).update(self.header_text())
            self.query_one("#filter", Input).placeholder = self.filter_hint(preview)
            if grid is None:
                await self.mount(note(Text("No columns to show (press C to choose columns).")))
                if had_focus:
                    self.query_one("#preview-empty").focus()
                return
            await self.mount(grid)
            if cursor is not None:
                row, column = min(cursor.row, max(view.height - 1, 0)), min(cursor.column, view.width - 1)
                grid.move_cursor(row=row, column=column)
            if had_focus:
                grid.focus()

    def _numbers(self, view: pl.DataFrame) -> dict[str, Any]:
        """How the grid writes each number column (``frames.number_formats``), worked out once for the rows and
        filter shown: a local sort or another choice of columns reuses it."""
        from pdxtui.frames import number_formats

        assert self.preview is not None
        known = self._formats
        if (
            known is None
            or known[0] is not self.preview
            or known[1] != self.local_where
            or any(c not in known[2] for c in view.columns)
        ):
            known = self._formats = (
                self.preview,
                self.local_where,
                dict(zip(view.columns, number_formats(view, self.preview.dataset.fields))),
            )
        return known[2]

    async def refresh_view(self) -> None:
        if self.preview is not None:
            await self.show(self.preview)

    async def show_message(self, header: str, body: str = "", style: str = "") -> None:
        self.preview = None
        self.view = None
        await self._clear_body()
        self.query_one("#preview-header", Static).update(plain(header, style))
        await self.mount(note(plain(body, style)))
        self.close_find_bar()

    async def _clear_body(self) -> None:
        for child in list(self.children):
            if child.id not in ("preview-header", "preview-progress", "filter", "filter-error", "find"):
                await child.remove()

    # ------------------------------------------------------------------ what is under the cursor
    def current_column(self) -> str | None:
        grid = self.grid
        if grid is None or self.view is None or self.view.width == 0:
            return None
        return self.view.columns[min(grid.cursor_column, self.view.width - 1)]

    def cell_value(self, row: int, column: int) -> Any:
        assert self.view is not None
        return self.view[row, column]

    def _selection(self) -> tuple[int, int, int, int] | None:
        """(first row, last row, first column, last column) of the selection, or of the cursor cell."""
        grid = self.grid
        if grid is None or self.view is None or self.view.height == 0:
            return None
        cursor = grid.cursor_coordinate
        anchor = grid.selection_anchor_coordinate or cursor
        return (
            min(cursor.row, anchor.row),
            max(cursor.row, anchor.row),
            min(cursor.column, anchor.column),
            max(cursor.column, anchor.column),
        )

    def filter_hint(self, preview: Preview) -> str:
        """The filter bar's hint: an example that fits this dataset, and where the filter runs. Worked out once per
        dataset (not again on every sort, filter or page)."""
        key = (preview.dataset.id, preview.dataset.resource, self.service)
        if self._hint is not None and self._hint[0] == key:
            return self._hint[1]
        hint = filter_hint(preview, self.service)
        self._hint = (key, hint)
        return hint

    # ------------------------------------------------------------------ actions
    def _loaded(self) -> bool:
        if self.preview is None or self.service is None:
            self.notify("Open a dataset first.", markup=False, timeout=3)
            return False
        return True

    async def action_sort(self, descending: bool) -> None:
        column = self.current_column()
        if not self._loaded() or column is None:
            return
        assert self.preview is not None and self.service is not None
        if self.service.can("sort"):
            order = ((column, descending),)
            if self.preview.query.order == order:
                return
            self.local_order = ()
            query = replace(self.preview.query, order=order)
            self._fetch(self.preview.dataset, self.service, query, max(PAGE_ROWS, self.preview.shown), append=False)
        else:
            self.local_order = ((column, descending),)
            await self.refresh_view()
            self.notify(
                f"{self.service.label} cannot sort on the server: sorted the {self.preview.shown:,} loaded rows here.",
                markup=False,
                timeout=5,
            )

    def action_load_more(self) -> None:
        if not self._loaded():
            return
        assert self.preview is not None and self.service is not None
        if self.preview.total is not None and self.preview.shown >= self.preview.total:
            self.notify("All rows are loaded.", markup=False, timeout=3)
            return
        self._fetch(self.preview.dataset, self.service, self.preview.query, PAGE_ROWS, append=True)

    def action_load_all(self) -> None:
        if not self._loaded():
            return
        assert self.preview is not None and self.service is not None
        preview, service = self.preview, self.service
        total = preview.total
        if total is not None and preview.shown >= total:
            self.notify("All rows are loaded.", markup=False, timeout=3)
            return

        def go() -> None:
            rest = total - preview.shown if total is not None else ALL_ROWS
            self._fetch(preview.dataset, service, preview.query, rest, append=True)

        if total is None or total > CONFIRM_ROWS:
            from pdxtui.frames import estimated_bytes

            size = estimated_bytes(preview.frame, total)
            what = f"{fmt_count(total)} rows" if total is not None else "an unknown number of rows"
            about = f", about {human_bytes(size)} in memory" if size else ""
            self.post_message(
                self.LoadAllAsked(
                    self,
                    f"Load all {what} of {one_line(preview.dataset.title, 80)}{about}?",
                    "Esc cancels the download at any time; the rows already loaded stay.",
                    go,
                )
            )
        else:
            go()

    def action_pick_columns(self) -> None:
        if not self._loaded():
            return
        assert self.preview is not None
        self.post_message(self.ColumnsWanted(self, self.preview.frame.columns, self.visible_columns()))

    def set_columns(self, columns: list[str] | None) -> None:
        """Show ``columns`` in this order (None: keep the columns as they are)."""
        if columns is None or self.preview is None:
            return
        self.columns = None if columns == self.preview.frame.columns else columns
        self.run_worker(self.refresh_view(), exclusive=False)

    def action_open_cell(self) -> None:
        grid = self.grid
        if grid is None or self.view is None or self.view.height == 0:
            return
        row, col = grid.cursor_coordinate.row, grid.cursor_coordinate.column
        self.post_message(self.CellWanted(self, self.view.columns[col], row, self.cell_value(row, col)))

    def action_map(self) -> None:
        self.post_message(self.MapWanted(self))

    def action_copy_cells(self) -> None:
        bounds = self._selection()
        if bounds is None:
            return
        r0, r1, c0, c1 = bounds
        assert self.view is not None
        block = self.view.slice(r0, r1 - r0 + 1).select(self.view.columns[c0 : c1 + 1])
        text = to_tsv(block, header=False)
        cells = block.height * block.width
        self.app.copy_to_clipboard(text)
        what = "1 cell" if cells == 1 else f"{block.height} × {block.width} cells"
        self.notify(f"Copied {what} as TSV. {CLIPBOARD_HINT}", markup=False, timeout=5)

    def action_copy_row(self) -> None:
        grid = self.grid
        if grid is None or self.view is None or self.view.height == 0:
            return
        row = self.view.slice(grid.cursor_row, 1)
        self.app.copy_to_clipboard(to_tsv(row, header=True))
        self.notify(
            f"Copied row {grid.cursor_row + 1} (with a header line) as TSV. {CLIPBOARD_HINT}", markup=False, timeout=5
        )

    def action_copy_url(self) -> None:
        if not self._loaded():
            return
        assert self.preview is not None and self.service is not None
        url = self.service.api_url(
            self.preview.dataset, replace(self.preview.query, columns=tuple(self.visible_columns()))
        )
        self.app.copy_to_clipboard(url)
        self.notify(f"Copied the API URL: {one_line(url, 300)}. {CLIPBOARD_HINT}", markup=False, timeout=6)

    def selected_ids(self, limit: int = 10) -> tuple[str, ...]:
        """Ids of the selected rows (or the cursor row), from the first id-like column: for quality reports."""
        bounds = self._selection()
        if bounds is None or self.view is None:
            return ()
        r0, r1, _, _ = bounds
        ids = [f.name for f in self.preview.dataset.fields if f.type in ("esriFieldTypeOID",)] if self.preview else []
        column = next((c for c in ids if c in self.view.columns), None) or next(
            (c for c in self.view.columns if c.lower() in ("objectid", "id", "fid", ":id")), None
        )
        if column is None:
            return ()
        values = self.view[column].slice(r0, min(r1 - r0 + 1, limit)).to_list()
        return tuple(str(v) for v in values if v is not None)

    def action_column_info(self, purpose: str) -> None:
        column = self.current_column()
        if column is not None:
            self.post_message(self.ColumnChosen(self, column, purpose))

    def filter_on(self, column: str, value: Any) -> None:
        """Narrow the rows to ``column = value`` (from the facet view), added to any filter already set."""
        from pdxtui.filters import Compare, IsNull, to_text

        clause = to_text(IsNull(column, False) if value is None else Compare(column, "=", value))
        bar = self.query_one("#filter", Input)
        current = bar.value.strip()
        bar.value = f"({current}) and {clause}" if current else clause
        self.apply_filter(bar.value)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def applied_filter(self) -> str:
        """The filter the rows shown are filtered by ("" for none), applied by the portal or here."""
        return self.local_where or (self.preview.query.where if self.preview is not None else None) or ""

    def restore_filter(self) -> None:
        """Put the applied filter back in the bar (the text typed since is dropped), and clear the error line."""
        bar = self.query_one("#filter", Input)
        with bar.prevent(Input.Changed):
            bar.value = self.applied_filter()
        bar.cursor_position = len(bar.value)
        self.show_filter_error(None)

    def show_filter_error(self, message: str | None) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(Text(message or ""))
        error.set_class(bool(message), "-shown")

    def check_filter(self, text: str):
        """Parse ``text`` for the open dataset: the filter tree, or None after showing the error under the bar."""
        from pdxtui.filters import FilterError, caret, parse

        if self.preview is None:
            return None
        try:
            node = parse(text, self.preview.dataset.fields)
            if node is not None and self.service is not None:
                self.service.check_filter(self.preview.dataset, text)  # e.g. a SQL result's duration column
        except FilterError as exc:
            self.show_filter_error(f"{caret(text, exc)}\n{one_line(str(exc), 300)}")
            return None
        except PdxError as exc:
            self.show_filter_error(one_line(str(exc), 300))
            return None
        self.show_filter_error(None)
        return node

    def apply_filter(self, text: str) -> None:
        if not self._loaded():
            return
        assert self.preview is not None and self.service is not None
        text = text.strip()
        if text and self.check_filter(text) is None:
            return
        where = text or None
        if self.service.can("filter"):
            if where == self.preview.query.where and not self.local_where:
                return
            self.local_where = None
            query = replace(self.preview.query, where=where)
            self._fetch(self.preview.dataset, self.service, query, PAGE_ROWS, append=False)
        else:
            self.local_where = where
            self.run_worker(self.refresh_view(), exclusive=False)
            if where:
                self.notify(
                    f"{self.service.label} cannot filter on the server:"
                    f" filtered the {self.preview.shown:,} loaded rows here.",
                    markup=False,
                    timeout=5,
                )
        if self.grid is not None:
            self.grid.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.stop()
            self.apply_filter(event.value)
        elif event.input.id == "find-input":
            event.stop()
            self.run_find(event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            event.stop()
            if event.value.strip():
                self.check_filter(event.value)
            else:
                self.show_filter_error(None)

    def on_data_table_selection_copied(self, event) -> None:  # ctrl+c in the grid
        event.stop()
        self.action_copy_cells()

    def on_preview_grid_open_cell(self, event) -> None:  # Enter in the grid
        event.stop()
        self.action_open_cell()
