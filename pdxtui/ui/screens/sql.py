"""The SQL screen: a query editor over the datasets opened in this run (each a table), the list of tables, and the
result in the same grid as the browser's (sort, filter, cell view, copy, stats, facets, chart, map, export).

A query runs in polars' threads (``pdxtui.sql.engine.start``) awaited in an exclusive worker: the screen never
blocks, and Esc cancels it (the result shown before stays). A query over tables whose rows are not all loaded asks
first: load every row (Esc cancels that too), or run on the rows loaded and say so in the result's header.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Static, TabbedContent, TabPane

from pdxtui.sql.tables import Table, Tables
from pdxtui.textout import fmt_count
from pdxtui.textsafe import one_line
from pdxtui.ui import feedback
from pdxtui.ui.footer import KeysFooter, ShownKeys
from pdxtui.ui.screens.browse_counts import ColumnCounts
from pdxtui.ui.screens.grid_requests import GridRequests
from pdxtui.ui.widgets.preview import PreviewPane
from pdxtui.ui.widgets.sqleditor import SqlEditor
from pdxtui.ui.widgets.sqltables import TablesPane
from pdxtui.ui.widgets.stats import StatsPane

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.model import Dataset
    from pdxtui.service import Service
    from pdxtui.sql.engine import Running, SqlError
    from pdxtui.sql.history import History

KEYS_HINT = "F5 or ctrl+j: run · Tab: complete a name · ↑ in an empty editor: earlier queries · Esc: back"
NO_TABLE_PLACEHOLDER = "Open a dataset in the browser first (Esc): each one you open is a table here."
TICK = 0.1  # seconds between updates of the elapsed time while a query runs
SHORT = 32  # a screen less tall (lines) is "-short" (sql.tcss): more room for the editor, one line a table


@dataclass(frozen=True)
class Ran:
    """The query whose result is shown: its text, the tables it used (those not all loaded among them), the time."""

    sql: str
    used: tuple[Table, ...]
    partial: tuple[Table, ...]
    seconds: float
    rows: int
    at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when it ran: its rows' retrieved-at


def seconds_text(seconds: float) -> str:
    if seconds < 0.01:
        return "under 0.01 s"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def partial_note(tables: tuple[Table, ...] | list[Table]) -> str:
    """ "ran on 1,000 of 218,000 rows of street_trees" for each table not all loaded."""
    parts = []
    for t in tables:
        if t.where:
            parts.append(f"{t.loaded:,} rows of {t.name} matching {one_line(t.where, 80)}")
        else:
            parts.append(f"{t.loaded:,} of {fmt_count(t.total)} rows of {t.name}")
    return f"ran on {', '.join(parts)}" if parts else ""


class SqlScreen(GridRequests, ColumnCounts, ShownKeys, Screen[None]):
    CSS_PATH = "sql.tcss"
    NAME = "sql"  # installed under this name by the browser: kept while the browser is shown
    # run and export work from the editor (priority: the TextArea takes ctrl+e for "end of line"); Esc is not a
    # priority key, so that the filter bar and the find keep theirs
    BINDINGS = [
        Binding("f5,ctrl+j,ctrl+enter", "run", "Run", priority=True),
        Binding("escape", "escape", "Back", key_display="Esc"),
        Binding("ctrl+b", "back", "Browser", show=False, priority=True),
        Binding("ctrl+e", "export", "Export", priority=True),
    ]
    #: the clock the elapsed times are read from (a test freezes it)
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self,
        tables: Tables,
        service: Service,
        *,
        history: History | None = None,
        portal_key: str = "",
        remembered: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """``tables``: the run's tables (``PdxApp.sql_tables``); ``service``: the browser's, to load every row of
        a table; ``history``/``portal_key``: where the queries run are kept; ``remembered``: run once on mount
        (adds the cached recents and bookmarks as tables), then the list is shown again."""
        super().__init__()
        self.tables = tables
        self.service = service
        self.history = history
        self.portal_key = portal_key
        self._remembered = remembered
        self.ran: Ran | None = None  # the query whose result the grid shows (or is about to)
        self._result: Dataset | None = None  # that result as a dataset: the grid's once its rows are shown
        self._abandoned: Running | None = None  # a query cancelled whose step polars is still computing
        self._run_anyway = ""  # the query F5 was refused for while one cancelled still computes: F5 again runs it
        self._warned = 0  # the history's warnings already shown
        self._busy = ""  # "loading" or "running" while the sql worker works
        self._ticker: Any = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="sql-top"):
            with Vertical(id="sql-edit"):
                editor = SqlEditor(id="sql-editor", placeholder=NO_TABLE_PLACEHOLDER)
                editor.border_title = "SQL"
                yield editor
                yield Static(Text(KEYS_HINT), id="sql-hint")
                yield Static("", id="sql-error")
                yield Static("", id="sql-progress")
            with TabbedContent(id="side"):
                with TabPane("Tables", id="tab-tables"):
                    yield TablesPane(id="sql-tables")
                with TabPane("Stats", id="tab-stats"):
                    yield StatsPane(id="stats")
        yield Static(Text("No query run yet.", "dim"), id="sql-result")
        yield PreviewPane(id="preview")
        yield Static("", id="status")
        yield KeysFooter()

    async def on_mount(self) -> None:
        self.query_one("#preview").border_title = "Result"
        await self.preview_pane.show_message("No result yet.", "Write a query above, then F5 (or ctrl+j) runs it.")
        self.show_tables()
        self._load_history()
        self.query_one(SqlEditor).focus()
        if self._remembered is not None:
            self._add_remembered(self._remembered)

    def on_resize(self) -> None:
        short = self.size.height < SHORT
        pane = self.query_one(TablesPane)
        self.set_class(short, "-short")
        if pane.compact != short:
            pane.compact = short
            pane.show(self.tables)

    def on_screen_resume(self) -> None:
        self.show_tables()  # datasets opened in the browser meanwhile are tables now

    def follow(self, service: Service, portal_key: str) -> None:
        """The browser's portal now (it may have fallen back to the bundled sample, or come back)."""
        self.service = service
        if portal_key != self.portal_key:
            self.portal_key = portal_key
            if self.is_mounted:  # (else on_mount reads it)
                self._load_history()

    def show_tables(self) -> None:
        self.query_one(TablesPane).show(self.tables)
        editor = self.query_one(SqlEditor)
        first = next(iter(self.tables), None)
        editor.placeholder = f"SELECT * FROM {first.name} LIMIT 100" if first is not None else NO_TABLE_PLACEHOLDER
        editor.names = {
            t.name: (t.frame.columns if t.frame is not None else [f.name for f in t.dataset.fields])
            for t in self.tables
        }

    @work(group="remembered", exit_on_error=False)
    async def _add_remembered(self, remembered: Callable[[], Awaitable[object]]) -> None:
        try:
            await remembered()
        except Exception as exc:
            self.report_error(exc, "Remembered tables")
        self.show_tables()

    # ------------------------------------------------------------------ history
    def _load_history(self) -> None:
        editor = self.query_one(SqlEditor)
        editor.past = [p.sql for p in self.history.queries(self.portal_key)] if self.history else []
        self._history_warnings()

    def _history_warnings(self) -> None:
        """Each new warning of the history (a damaged file set aside, a file that cannot be written) once."""
        if self.history is None:
            return
        for warning in self.history.warnings[self._warned :]:
            self.notify(one_line(warning, 300), title="Query history", severity="warning", markup=False, timeout=8)
        self._warned = len(self.history.warnings)

    async def _keep(self, sql: str) -> None:
        self.query_one(SqlEditor).remember(sql)
        if self.history is not None:
            await asyncio.to_thread(self.history.add, self.portal_key, sql)
            self._history_warnings()

    # ------------------------------------------------------------------ lines under the editor
    def on_sql_editor_hint(self, event: SqlEditor.Hint) -> None:
        self.show_hint(event.text)

    def on_text_area_changed(self, event: SqlEditor.Changed) -> None:
        if event.text_area.id == "sql-editor":
            self.show_hint("")  # (a hint the edit brought, completion or history, comes after it)

    def show_hint(self, text: str) -> None:
        """``text`` in the line under the editor ("": the keys)."""
        self.query_one("#sql-hint", Static).update(Text(one_line(text, 400) or KEYS_HINT))

    def show_error(self, exc: SqlError | None) -> None:
        """polars' message in one line under the editor (None: clear it); the cursor goes where polars says."""
        line = self.query_one("#sql-error", Static)
        line.set_class(exc is not None, "-shown")
        if exc is None:
            line.update("")
            return
        line.update(Text(f"Error: {one_line(str(exc), 400)}"))
        if exc.kind == "panic":  # polars wrote Rust's panic text to stderr, over the screen: paint it all again
            self.refresh()
        editor = self.query_one(SqlEditor)
        if exc.line is not None:
            row = min(max(exc.line - 1, 0), editor.document.line_count - 1)
            column = max((exc.column or 1) - 1, 0)
            editor.move_cursor((row, min(column, len(editor.document.get_line(row)))))
        editor.focus()

    def _progress(self, text: str | None) -> None:
        line = self.query_one("#sql-progress", Static)
        line.set_class(text is not None, "-shown")
        line.update(Text(text or ""))

    def set_header(self, text: Text) -> None:
        self.query_one("#sql-result", Static).update(text)

    def result_header(self, ran: Ran) -> Text:
        out = Text()
        out.append(f"{ran.rows:,} {'row' if ran.rows == 1 else 'rows'}", "bold")
        out.append(f" in {seconds_text(ran.seconds)}")  # (never "in 0.00 s")
        names = ", ".join(t.name for t in ran.used)
        out.append(f" · from {names}" if names else " · no table")
        note = partial_note(ran.partial)
        if note:
            out.append(f" · {note}", "bold yellow")
        return out

    def set_status(self, message: str) -> None:
        self.query_one("#status", Static).update(Text(one_line(message, 300)))

    def report_error(self, exc: BaseException, where: str) -> None:
        feedback.report_error(self, exc, where)

    # ------------------------------------------------------------------ running
    @property
    def busy(self) -> bool:
        return any(w.group == "sql" and w.is_running for w in self.workers)

    def action_run(self) -> None:
        """F5: run the query once the keys typed before it are in the editor (F5 is a priority key, handled by the
        app ahead of the keys still queued for the editor: a paste or a fast burst, then F5 at once)."""
        self.query_one(SqlEditor).call_later(self._run_typed)

    async def _run_typed(self) -> None:
        from pdxtui.sql.engine import SqlError, prepare

        if self.busy:
            self.notify("A query is running: Esc cancels it.", markup=False, timeout=3)
            return
        sql = self.query_one(SqlEditor).text
        self.show_hint("")
        self.set_status("")
        if self._still_computing(sql):
            return
        try:
            prepare(sql)
        except SqlError as exc:
            self.show_error(exc)
            return
        try:
            self._check(sql)
        except SqlError as exc:
            self.show_error(exc)
            await self._keep(sql)  # (recalled with ↑ to be put right)
            return
        self.show_error(None)
        partial = [t for t in self.tables.used_by(sql) if not t.complete]
        if not partial:
            self.run_query(sql)
            return
        from pdxtui.ui.screens.sql_ask import LoadFirstScreen

        def answered(choice: str | None) -> None:
            if choice == "load":
                self.load_then_run(sql, partial)
            elif choice == "loaded":
                self.run_query(sql)
            else:
                self.set_status("Not run.")

        question, detail = self._load_question(partial)
        self.app.push_screen(LoadFirstScreen(question, detail), answered)

    def _check(self, sql: str) -> None:
        """The errors polars finds as it plans ``sql`` (no row read): said before asking to load rows. A type
        error over rows not all loaded is let through: the rows to come may have other types."""
        from pdxtui.sql import engine

        used = self.tables.used_by(sql)
        try:
            engine.plan(sql, self.tables.frames()).collect_schema()
        except Exception as exc:
            error = engine.error_for(exc, self.tables.names())
            partial = [t for t in used if not t.complete]
            known = all(t.frame is not None for t in partial)  # (else the columns are the portal's list)
            if not partial or error.kind in ("syntax", "table") or (error.kind == "column" and known):
                raise error from None

    def _still_computing(self, sql: str) -> bool:
        """Whether to hold ``sql`` back because polars still computes a cancelled query (its step cannot be
        stopped): said once; F5 again on the same query runs it anyway."""
        held = self._abandoned
        if held is None or held.done or self._run_anyway == sql:
            self._run_anyway = ""
            return False
        self._run_anyway = sql
        self.notify(
            "polars is still finishing the cancelled query's step (it cannot be stopped midway): a new query would "
            "share the CPU with it. F5 again runs it anyway.",
            markup=False,
            timeout=6,
        )
        return True

    def _load_question(self, partial: list[Table]) -> tuple[str, str]:
        from pdxtui.frames import estimated_bytes
        from pdxtui.textout import human_bytes

        said = "; ".join(f"{t.name}: {t.describe()}" for t in partial)
        size = sum(estimated_bytes(t.frame, t.total) or 0 for t in partial if t.frame is not None and t.total)
        about = f" (about {human_bytes(size)} in memory)" if size else ""
        which = "this table" if len(partial) == 1 else "these tables"
        return (
            f"The query uses rows not all loaded: {said}. Load every row of {which} first{about}?",
            "Esc cancels the loading at any time (the rows already loaded stay). Or run on the loaded rows: the "
            "result's header says so.",
        )

    @work(exclusive=True, group="sql", exit_on_error=False)
    async def run_query(self, sql: str) -> None:
        await self._run(sql)

    @work(exclusive=True, group="sql", exit_on_error=False)
    async def load_then_run(self, sql: str, partial: list[Table]) -> None:
        from pdxtui.model import Progress
        from pdxtui.sql.load import load_into

        for table in partial:
            name = table.name

            def heard(step: Progress, name: str = name) -> None:
                self._progress(f"Loading every row of {name}… {step.rows:,} of {fmt_count(step.total)} (Esc cancels)")

            self._busy = "loading"
            self._progress(f"Loading every row of {name}… (Esc cancels)")
            try:
                await load_into(self.tables, self.service, table.dataset, secrets=self._secrets(), progress=heard)
            except asyncio.CancelledError:
                self._progress(None)
                self._busy = ""
                self.show_tables()
                kept = self.tables.get(name)
                rows = kept.describe() if kept is not None else "its rows"
                self.set_status(f"Loading cancelled: {name} keeps {rows}; the query was not run.")
                self.notify(f"Loading cancelled: {name} keeps {rows}.", markup=False, timeout=4)
                raise
            except Exception as exc:
                self._progress(None)
                self._busy = ""
                self.report_error(exc, f"Loading {name}")
                return
            self.show_tables()
        # past the tables' memory budget the rows of tables this query does not use go (least recently used
        # first: they stay tables, "not loaded"), as the browser lets them go when it opens another dataset
        gone = self.tables.trim(keep=[t.dataset for t in self.tables.used_by(sql)])
        if gone:
            names = ", ".join(t.name for t in gone)
            self.notify(f"Rows let go to stay within memory (loaded again when used): {names}", markup=False)
            self.show_tables()
        await self._run(sql)

    async def _run(self, sql: str) -> None:
        from pdxtui.sql import engine

        used = self.tables.used_by(sql)
        partial = tuple(t for t in used if not t.complete)
        started = self.clock()
        self._busy = "running"

        def tick() -> None:
            self._progress(f"Running… {seconds_text(self.clock() - started)} · Esc cancels")

        tick()
        self._ticker = self.set_interval(TICK, tick)
        running = None
        try:
            running = engine.start(sql, self.tables.frames())
            frame = await running.result()
        except asyncio.CancelledError:
            self._said_cancelled(self.clock() - started, running)
            raise
        except engine.SqlError as exc:
            self.show_error(exc)
            await self._keep(sql)  # (recalled with ↑ to be put right)
            return
        except Exception as exc:
            self.report_error(exc, "SQL")
            return
        finally:
            self._ticker.stop()
            self._progress(None)
            self._busy = ""
        ran = Ran(sql.strip(), tuple(used), partial, self.clock() - started, frame.height)
        await self._keep(sql)
        self.show_result(ran, frame)

    def _said_cancelled(self, seconds: float, running: Running | None) -> None:
        before = " The result below is the query's before it." if self.ran is not None else ""
        self.set_header(Text(f"Cancelled after {seconds_text(seconds)}.{before}", "bold yellow"))
        if running is None or running.done:
            self.set_status("Query cancelled.")
            return
        self._abandoned = running
        self.set_status("Query cancelled: polars is still finishing the cancelled query's step (its rows are dropped).")

        def finished() -> None:
            if running.done:
                timer.stop()
                if self._abandoned is running:
                    self._abandoned = None
                    self.set_status("Query cancelled: polars has finished its step.")

        timer = self.set_interval(0.5, finished)

    def show_result(self, ran: Ran, frame: pl.DataFrame) -> None:
        from pdxtui.service import Service
        from pdxtui.sql.portal import ResultPortal
        from pdxtui.sql.result import result_dataset

        dataset = result_dataset(ran.sql, frame, ran.used)
        self.ran, self._result = ran, dataset
        self.set_header(self.result_header(ran))
        self.set_status("")
        self.preview_pane.load(dataset, Service(ResultPortal(dataset, frame)))

    def _secrets(self) -> list[str]:
        from pdxtui.config import known_secrets

        session = getattr(self.app, "session", None)
        return known_secrets(session.config) if session is not None else []

    # ------------------------------------------------------------------ keys
    def action_escape(self) -> None:
        """Esc: cancel what runs (a query, a load); else back to the browser."""
        if self.busy:
            self.workers.cancel_group(self, "sql")
            return
        if self.preview_pane.cancel():
            return
        self.action_back()

    def action_sql(self) -> None:
        """(The palette's "SQL console" here: the editor.)"""
        self.query_one(SqlEditor).focus()

    def action_back(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def on_tables_pane_chosen(self, event: TablesPane.Chosen) -> None:
        editor = self.query_one(SqlEditor)
        if not editor.text.strip():
            editor.replace(f"SELECT * FROM {event.name} LIMIT 100", editor.document.start, editor.document.end)
        else:
            editor.replace(event.name, *editor.selection)
        editor.focus()

    def on_preview_pane_failed(self, event: PreviewPane.Failed) -> None:
        self.report_error(event.error, event.where)

    def action_chart(self, kind: str | None = None, column: str | None = None) -> None:
        from pdxtui.ui.screens.chart import open_chart

        pane = self.preview_pane
        if column is None and kind != "map":
            column = pane.current_column()
        open_chart(self, pane, kind, column)

    def action_export(self) -> None:
        from pdxtui.sql.result import result_source
        from pdxtui.ui.screens.export import ExportRequest
        from pdxtui.ui.screens.sql_export import ResultExportScreen

        pane = self.preview_pane
        preview, ran = pane.preview, self.ran
        if preview is None or pane.service is None or ran is None:
            self.notify("Run a query first: its result is what gets exported.", markup=False, timeout=4)
            return
        if preview.dataset is not self._result:  # the grid still shows the result before: its rows, not this query's
            self.notify("The new result is not shown yet: export it once its rows are in.", markup=False, timeout=4)
            return
        request = ExportRequest.from_pane(
            pane, source=result_source(ran.sql, ran.used, secrets=self._secrets(), retrieved_at=ran.at), read_at=ran.at
        )
        self.app.push_screen(ResultExportScreen(request))
