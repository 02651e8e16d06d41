"""The Requests panel (ctrl+n): the last requests pdxtui made, newest first; what was asked of each host today;
429s and waits; and the rate-limit figures each host last sent. It follows the request log live.

The log calls its listeners in the thread that made the request (the event loop, or a fetch worker's thread):
the listener here only queues the record and, once per batch, posts a message. The screen then adds the
batch to the table at most a few times a second (new rows are added and the table re-ordered; it is never
rebuilt), and re-totals the hosts."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from pdxtui import requestlog
from pdxtui.requestlog import RECENT, HostDay, Reading, RequestLog, RequestRecord
from pdxtui.textsafe import one_line
from pdxtui.ui.footer import KeysFooter, ShownKeys
from pdxtui.ui.screens import requests_text as rt
from pdxtui.ui.widgets.vim import VimTable

if TYPE_CHECKING:
    from textual.timer import Timer

#: seconds between two refreshes of the panel while requests come in
FLUSH_EVERY = 0.25
#: seconds between two looks at the rate limits the fetchers keep (they change without a record, too)
RATES_EVERY = 1.0

RateSource = Callable[[], Mapping[str, Mapping[str, str]]]
#: reads the request log file from an epoch time on (``requestlog.read_records``)
Reader = Callable[[float], Reading]


class _Stamp(Text):
    """The time cell, which knows the request's place in the session (the table is ordered by it)."""

    seq = 0


class RequestsScreen(ShownKeys, Screen[None]):
    CSS_PATH = "requests.tcss"

    BINDINGS = [Binding("escape,q", "close", "Close")]

    class Arrived(Message):
        """Records are waiting in the queue (posted from any thread, once per batch)."""

    def __init__(
        self,
        log: RequestLog | None = None,
        *,
        rate_source: RateSource | None = None,
        tz: tzinfo | None = None,
        now: Callable[[], float] = time.time,
        earlier: Reader | None = requestlog.read_records,
    ) -> None:
        """``log``: the request log to follow (this process's by default); ``rate_source``: the rate-limit headers
        the portals' fetchers last saw, per host; ``tz`` and ``now``: the time zone times are shown in (None: the
        local one) and the clock that says which day is today (tests pin both); ``earlier``: what reads today's
        requests from the log file, earlier runs' included (None: total this session's only)."""
        super().__init__()
        self.request_log = log if log is not None else requestlog.current()
        self.rate_source = rate_source
        self.tz = tz
        self.now = now
        self.records: dict[str, RequestRecord] = {}  # row key -> record, oldest first
        self._pending: deque[RequestRecord] = deque()
        self._woken = False
        self._timer: Timer | None = None
        self._last_flush = 0.0
        self._seq = 0
        self._unsubscribe: Callable[[], None] | None = None
        self._seen_first: set[int] = set()  # ids of the records read at open (a listener may hear them too)
        self._rates: dict[str, tuple[float | None, dict[str, str]]] = {}
        self._columns: tuple[rt.Column, ...] = ()
        # today's totals: the log file's (read once, at open) and those of the requests heard that it did not hold
        self.earlier = earlier
        self._seen: list[RequestRecord] = []  # every record the panel was given
        self._earlier: dict[str, HostDay] = {}
        self._earlier_keys: set[tuple[object, ...]] = set()
        self._earlier_day = ""
        self._earlier_rated: list[RequestRecord] = []  # per host, the newest in the file that carried rate limits
        self._live: dict[str, HostDay] = {}
        self._live_day = ""
        self.scope = "the requests of this session"  # what the totals count, in words

    def compose(self) -> ComposeResult:
        yield Static(id="req-summary")
        yield Static(id="req-totals-title", classes="req-heading")
        yield Static(id="req-totals")
        yield Static(Text("Rate limits last seen per host"), id="req-rates-title", classes="req-heading")
        yield Static(id="req-rates")
        yield VimTable(id="req-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="req-detail")
        yield Static(Text(rt.LEGEND), id="req-legend")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = "Requests"
        # listen first, then read what is there: a record made in between is heard and read, and shown once
        self._unsubscribe = self.request_log.subscribe(self._heard)
        first = self.request_log.recent()
        self._seen_first = {id(r) for r in first}
        self._build_columns()
        self._add(first)
        self._seen.extend(first)
        if self.earlier is not None:
            self.scope = "reading the request log…"
            self.run_worker(self._read_earlier(), group="req-earlier", exit_on_error=False)
        self._show_all()
        self.set_interval(RATES_EVERY, self._refresh_rates)
        self.query_one("#req-table", DataTable).focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- from any thread ---------------------------------------------------------------------------------------

    def _heard(self, record: RequestRecord) -> None:
        """The log's listener: queue the record, and wake the screen once per batch (thread-safe)."""
        self._pending.append(record)
        if not self._woken:
            self._woken = True
            self.post_message(self.Arrived())

    # -- on the event loop -------------------------------------------------------------------------------------

    def on_requests_screen_arrived(self, event: Arrived) -> None:
        event.stop()
        if self._timer is None:
            delay = max(0.02, self._last_flush + FLUSH_EVERY - time.monotonic())  # (textual: a 0 s timer divides by 0)
            self._timer = self.set_timer(delay, self.flush)

    def flush(self) -> None:
        """Show what the queue holds: new rows at the top, totals and rate limits again."""
        self._timer = None
        self._woken = False  # first: a record queued from now on wakes the screen again
        batch: list[RequestRecord] = []
        while self._pending:
            record = self._pending.popleft()
            if id(record) in self._seen_first:
                continue
            batch.append(record)
        self._seen_first.clear()
        self._last_flush = time.monotonic()
        if batch:
            self._add(batch)
            self._seen.extend(batch)
            self._show_all(batch)

    def _build_columns(self) -> None:
        table = self.query_one("#req-table", DataTable)
        self._columns = rt.columns_for(self.app.size.width)
        table.clear(columns=True)
        for column in self._columns:
            table.add_column(Text(column.label), width=column.width, key=column.key)

    def _add(self, records: list[RequestRecord]) -> None:
        """Add rows for ``records`` (oldest first), keep the newest ``RECENT``, newest on top. The highlighted
        request stays highlighted, unless the cursor was on the newest row: then it follows the newest."""
        if not records:
            return
        table = self.query_one("#req-table", DataTable)
        followed = self._highlighted_key() if table.cursor_row > 0 else None
        for record in records[-RECENT:]:
            self._seq += 1
            key = str(self._seq)
            cells = rt.record_cells(record, self._columns, self.tz)
            stamp = _Stamp(cells[0].plain, no_wrap=True)
            stamp.seq = self._seq
            table.add_row(stamp, *cells[1:], key=key)
            self.records[key] = record
        while len(self.records) > RECENT:
            oldest = next(iter(self.records))
            del self.records[oldest]
            table.remove_row(oldest)
        table.sort(key=lambda row: -row[0].seq)
        if followed is not None and followed in self.records:
            table.move_cursor(row=table.get_row_index(followed), scroll=False)
        elif table.row_count:
            table.move_cursor(row=0)

    def _highlighted_key(self) -> str | None:
        table = self.query_one("#req-table", DataTable)
        if not table.row_count:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except Exception:  # no row under the cursor
            return None

    def on_resize(self) -> None:
        """A new width: the columns again, and every row (rare; the rows are kept)."""
        if not self.is_mounted:
            return
        self._show_totals()
        if rt.columns_for(self.app.size.width) == self._columns:
            return
        key = self._highlighted_key()
        highlighted = self.records.get(key) if key is not None else None
        records = list(self.records.values())
        self.records.clear()
        self._build_columns()
        self._seq = 0
        self._add(records)
        table = self.query_one("#req-table", DataTable)
        for key, record in self.records.items():
            if record is highlighted:
                table.move_cursor(row=table.get_row_index(key))

    # -- the parts above and below the table --------------------------------------------------------------------

    def _show_all(self, batch: list[RequestRecord] | None = None) -> None:
        self._show_summary()
        self._show_totals(batch)
        self._refresh_rates(force=True)
        self._show_detail()

    def _show_summary(self) -> None:
        records = list(self.records.values())
        network = sum(1 for r in records if r.source == "network" or r.attempts > 0)
        throttled = sum(1 for r in records if r.status == 429 or r.throttled)
        waited = sum(r.waited for r in records)
        text = Text()
        if not records:
            text.append("No requests yet in this session: they appear here as pdxtui makes them.")
        else:
            text.append(f"Last {len(records):,} requests", "bold")
            text.append(f": {network:,} network, {len(records) - network:,} cache")
            if throttled:
                text.append(f" · {throttled:,} throttled (429) !", rt.THROTTLED)
            if waited >= rt.NO_WAIT:
                text.append(f" · waited ~{rt.seconds(waited)}", rt.WAITED)
        self.query_one("#req-summary", Static).update(text)

    async def _read_earlier(self) -> None:
        """Today's requests from the log file (in a thread: it may hold thousands), for the totals."""
        assert self.earlier is not None
        now = self.now()
        day = rt.local_day(now, self.tz)
        try:
            reading = await asyncio.to_thread(self.earlier, rt.midnight(now, self.tz))
        except Exception as exc:  # the reader never raises for the file system; anything else: this session only
            self.scope = f"the requests of this session (the request log could not be read: {one_line(exc, 200)})"
        else:
            keys = {rt.record_key(r) for r in reading.records}
            newest: dict[str, RequestRecord] = {}
            for r in reading.records:  # oldest first
                if r.rate_limits:
                    newest[r.host] = r
            self._earlier_rated = list(newest.values())
            self._earlier, self._earlier_keys, self._earlier_day = (
                rt.host_totals(reading.records, day, self.tz),
                keys,
                day,
            )
            if reading.problem:
                self.scope = (
                    f"this session, and the request log as far as it could be read: {one_line(reading.problem, 200)}"
                )
            else:
                lines = "line" if reading.damaged == 1 else "lines"
                damaged = f" ({reading.damaged:,} damaged {lines} skipped)" if reading.damaged else ""
                self.scope = f"every run, from the request log{damaged}"
        self._live_day = ""  # count what was heard again, without what the file holds
        self._show_totals()
        self._refresh_rates(force=True)

    def _show_totals(self, batch: list[RequestRecord] | None = None) -> None:
        """Today's totals per host: the log file's, and those of the requests heard that it does not hold (made
        after it was read, or never written); ``batch``: only these are new since the last time."""
        day = rt.local_day(self.now(), self.tz)
        earlier, keys = (self._earlier, self._earlier_keys) if self._earlier_day == day else ({}, set())
        if batch is None or day != self._live_day:
            batch, self._live, self._live_day = self._seen, {}, day
        heard = rt.host_totals((r for r in batch if rt.record_key(r) not in keys), day, self.tz)
        self._live = rt.per_host([*self._live.values(), *heard.values()], day)
        totals = rt.ranked(rt.per_host([*earlier.values(), *self._live.values()], day).values())
        self.query_one("#req-totals-title", Static).update(Text(f"Today ({day}, local time) per host · {self.scope}"))
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=False)
        narrow = self.app.size.width < 100
        for n, header in enumerate(rt.TOTALS_SHORT if narrow else rt.TOTALS_HEADERS):
            if n == 0:
                table.add_column(header, no_wrap=True, overflow="ellipsis", min_width=8, max_width=24 if narrow else 40)
            else:
                table.add_column(header, justify="right", no_wrap=True)
        for row in rt.totals_rows(totals):
            table.add_row(*row)
        widget = self.query_one("#req-totals", Static)
        widget.update(table if totals else Text("No request today.", "dim"))

    def _refresh_rates(self, force: bool = False) -> None:
        seen = self.rate_source() if self.rate_source is not None else {}
        rates = rt.last_rate_limits([*self._earlier_rated, *self.records.values()], seen)
        if rates == self._rates and not force:
            return
        self._rates = rates
        text = rt.rate_lines(rates, self.tz) if rates else Text("No rate-limit header seen yet.", "dim")
        self.query_one("#req-rates", Static).update(text)

    def _show_detail(self) -> None:
        key = self._highlighted_key()
        record = self.records.get(key) if key is not None else None
        text = rt.record_detail(record, self.tz) if record is not None else Text("")
        self.query_one("#req-detail", Static).update(text)

    @on(DataTable.RowHighlighted, "#req-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def action_close(self) -> None:
        self.dismiss(None)
