"""Address lookup (``a``): PortlandMaps suggestions as you type, then the property's details.

Typing asks ``/api/suggest/`` (debounced, in an exclusive worker; "More suggestions" fetches the next page).
Picking an address shows its details from ``/api/detail/`` in four tabs (property, assessor, zoning, permits),
each fetched when its tab is first shown. Sections are key-value panes; lists of records are tables; permits
are a grid that ctrl+e exports with the usual export dialog. ctrl+o opens an open-data dataset (street trees,
permits, ...) filtered to the rows near the address.

Without a PortlandMaps key the screen says how to get and set one, and sends nothing.
Everything the API sends is shown as plain text (never as markup).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Select, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from pdxtui.errors import PdxError
from pdxtui.model import Dataset, Field, SearchRequest
from pdxtui.portlandmaps import ENV_KEY, KEY_URL, Candidate, Detail, Section, SuggestPage
from pdxtui.textsafe import clean, one_line
from pdxtui.ui import feedback
from pdxtui.ui.feedback import error_text
from pdxtui.ui.footer import KeysFooter

log = logging.getLogger(__name__)

SUGGEST_DEBOUNCE = 0.25
MIN_CHARS = 3  # fewer characters match too much, and every request counts against the rate limit
PAGE_SIZE = 20
TABS = (("property", "Property"), ("assessor", "Assessor"), ("zoning", "Zoning"), ("permit", "Permits"))
MORE = "__more__"

#: open-data datasets worth opening near an address: titles looked up in the open portal's catalog
NEARBY_TITLES = (
    "Street Tree Inventory",
    "Heritage Trees",
    "Parks Tree Inventory",
    "Residential Building Permits",
    "Bicycle Parking",
    "Address Points",
    "Curb Ramps",
)
DISTANCES = (50, 100, 200, 500, 1000)
DEFAULT_DISTANCE = 200


def no_key_text(config_path: Any) -> str:
    """How to get and set a key, naming the config file this run reads (``--config``, ``$PDXTUI_CONFIG``, else
    the user config dir, which honours ``$XDG_CONFIG_HOME``)."""
    if not config_path:
        from pdxtui.config import default_config_path

        config_path = default_config_path()
    return (
        "Address lookup uses the City's PortlandMaps API, which needs an API key.\n\n"
        f"1. Request a key at {KEY_URL}\n"
        "2. Give it to pdxtui, either in the environment:\n\n"
        f"       export {ENV_KEY}=your-key\n\n"
        f"   or in the config file {config_path}, then start pdxtui again:\n\n"
        "       [portlandmaps]\n"
        '       api_key = "your-key"\n'
        '       rate = "200/15min"   # requests per time: the reported limit (unconfirmed)\n\n'
        "Nothing is sent to PortlandMaps until a key is set. Esc goes back."
    )


def pairs_text(pairs: tuple[tuple[str, str], ...]) -> Text:
    """Key-value lines, keys aligned. Plain Text: nothing in it is read as markup."""
    if not pairs:
        return Text("(nothing)", "dim")
    width = min(28, max(len(one_line(k, 40)) for k, _ in pairs))
    out = Text()
    for i, (key, value) in enumerate(pairs):
        if i:
            out.append("\n")
        out.append(f"{one_line(key, 40).replace('_', ' '):<{width}}  ", "bold")
        out.append(clean(value, max_len=2000) or "—")
    return out


def rows_table(section: Section) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in section.columns:
        table.add_column(Text(one_line(column, 40)), overflow="fold")
    for row in section.rows:
        table.add_row(
            *(
                Text(one_line(row.get(c, ""), 200)) if row.get(c) is not None else Text("∅", "dim")
                for c in section.columns
            )
        )
    return table


@dataclass(frozen=True)
class Nearby:
    dataset_id: str
    title: str


#: opens a dataset showing only the rows near a place: (dataset id, (latitude, longitude, metres), the address)
OpenNear = Callable[[str, tuple[float, float, float], str], object]


class _FrameService:
    """Just enough of a Service for the export dialog to write rows already in memory (the permits)."""

    label = "PortlandMaps"

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def can(self, feature: str) -> bool:
        return False

    async def count(self, dataset: Any, query: Any = None) -> int:
        return self.frame.height

    async def stream(self, dataset: Any, query: Any = None, progress: Any = None):
        frame = self.frame
        if query is not None and query.columns:
            frame = frame.select(list(query.columns))
        yield frame


class AddressScreen(Screen[None]):
    CSS_PATH = "address.tcss"

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("ctrl+e", "export", "Export permits", priority=True),
        Binding("ctrl+o", "nearby", "Open data nearby", priority=True),
        Binding("ctrl+r", "refresh", "Refresh", priority=True),
    ]

    def __init__(
        self,
        *,
        config: Any = None,
        cache_dir: str | None = None,
        open_data: Callable[[], Any] | None = None,
        open_near: OpenNear | None = None,
    ) -> None:
        """ctrl+o searches the open-data Service that ``open_data`` gives, and shows the rows near the address with
        ``open_near`` (after closing this screen). Without them, ctrl+o says that it cannot."""
        super().__init__()
        self.open_data = open_data
        self.open_near = open_near
        from pdxtui.portlandmaps import Settings

        if config is None:
            from pdxtui.config import load_config

            try:
                config = load_config()
            except PdxError:
                config = None
        self.config = config
        self.cache_dir = cache_dir
        self.settings = Settings.from_config(config)
        self.client: Any = None
        self.candidate: Candidate | None = None
        self.details: dict[tuple[str, str], Detail] = {}
        self.pages: list[SuggestPage] = []
        self.permits: Any = None  # polars frame of the permits shown
        self._debounce: Timer | None = None
        self._asked = ""  # the text last asked for ("" after a failure, so that Enter asks again)
        self._shown = ""  # the text of the pages in the list: "More suggestions…" pages this text

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(Text("Address lookup · PortlandMaps"), id="address-title")
        if not self.settings.has_key:
            with VerticalScroll():
                yield Static(Text(no_key_text(getattr(self.config, "path", None))), id="no-key")
            yield Static("", id="address-status")
            yield KeysFooter()
            return
        yield Input(placeholder="Type an address, e.g. 1120 SW 5th Ave  (↓ to the suggestions)", id="address-input")
        with Horizontal(id="address-main"):
            with Vertical(id="address-left"):
                yield OptionList(id="suggestions")
                yield Static(Text(f"Type at least {MIN_CHARS} characters.", "dim"), id="suggest-status")
            with Vertical(id="address-right"):
                yield Static(
                    Text("Pick an address to see its property, assessor, zoning and permit details.", "dim"), id="place"
                )
                with TabbedContent(id="pm-tabs"):
                    for kind, label in TABS:
                        with TabPane(label, id=f"tab-{kind}"), VerticalScroll(id=f"body-{kind}", classes="detail-body"):
                            yield Static(Text(""), classes="detail-empty")
        yield Static("", id="address-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        if not self.settings.has_key:
            self.set_status("No PortlandMaps key: nothing is sent.")
            return
        from pdxtui.portlandmaps import PortlandMaps, describe_rate, rate_state_path

        store = None
        try:
            from pdxtui.cache import Store

            size = getattr(getattr(self.config, "cache", None), "size_limit", None)
            store = Store.open(self.cache_dir, size_limit=size) if size else Store.open(self.cache_dir)
        except Exception:
            store = None
        self.client = PortlandMaps(self.settings, store=store, on_wait=self.on_wait, state_path=rate_state_path(store))
        self.client.close_store = store is not None
        self.query_one("#pm-tabs", TabbedContent).display = False
        self.set_status(f"PortlandMaps at {self.settings.url} · at most {describe_rate(*self.settings.rate)}")
        self.query_one("#address-input", Input).focus()

    async def on_unmount(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                await client.aclose()
            except Exception:
                log.exception("closing the PortlandMaps client failed")

    # ------------------------------------------------------------------ status and errors
    def set_status(self, message: str, style: str = "") -> None:
        for status in self.query("#address-status").results(Static):
            status.update(Text(one_line(message, 300), style))

    def on_wait(self, message: str, seconds: float) -> None:
        """The client waits (rate limit, 429 reset, retry): say so."""
        self.set_status(message, "yellow")

    def report_error(self, exc: BaseException, where: str) -> None:
        self.set_status(f"{where} failed: {error_text(exc)}", "red")
        feedback.report_error(self, exc, where)

    # ------------------------------------------------------------------ suggestions
    @on(Input.Changed, "#address-input")
    def _typed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SUGGEST_DEBOUNCE, self._suggest_now)

    @on(Input.Submitted, "#address-input")
    def _submitted(self) -> None:
        self._suggest_now()
        self.focus_suggestions()

    def on_key(self, event) -> None:
        if event.key == "down" and self.focused is not None and self.focused.id == "address-input":
            event.stop()
            self.focus_suggestions()

    def focus_suggestions(self) -> None:
        listing = self.query_one("#suggestions", OptionList)
        listing.focus()
        if listing.option_count and listing.highlighted is None:
            listing.highlighted = 0

    def _suggest_now(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        text = " ".join(self.query_one("#address-input", Input).value.split())
        if text == self._asked:
            return
        self._asked = text
        if len(text) < MIN_CHARS:
            self.workers.cancel_group(self, "suggest")
            self.pages = []
            self.query_one("#suggestions", OptionList).clear_options()
            self.query_one("#suggest-status", Static).update(Text(f"Type at least {MIN_CHARS} characters.", "dim"))
            return
        self.run_suggest(text, 1)

    @work(exclusive=True, group="suggest", exit_on_error=False)
    async def run_suggest(self, text: str, page: int, refresh: bool = False) -> None:
        status = self.query_one("#suggest-status", Static)
        listing = self.query_one("#suggestions", OptionList)
        status.update(Text("Looking up…" if page == 1 else f"Fetching page {page}…", "italic"))
        try:
            result = await self.client.suggest(text, count=PAGE_SIZE, page=page, refresh=refresh)
        except Exception as exc:
            if text != self._asked:  # a failure for text no longer asked for: the newer lookup speaks
                return
            self._asked = ""  # Enter (or ctrl+r) asks again for the same text
            status.update(Text(f"Lookup failed: {error_text(exc)}", "red"))
            self.report_error(exc, "Address lookup")
            return
        if text != self._asked or (page > 1 and text != self._shown):
            return  # an answer for text no longer in the box (or a page of another list): dropped
        if page == 1:
            self.pages = []
            self._shown = text
            listing.clear_options()
        else:
            self.pages = [p for p in self.pages if p.page < page]
            if listing.option_count and listing.get_option_at_index(listing.option_count - 1).id == MORE:
                listing.remove_option(MORE)
        self.pages.append(result)
        start = sum(len(p.candidates) for p in self.pages[:-1])
        listing.add_options(
            [Option(Text(one_line(c.label, 80)), id=str(start + i)) for i, c in enumerate(result.candidates)]
        )
        if result.more:
            listing.add_option(Option(Text("More suggestions…", "italic"), id=MORE))
        if listing.has_focus and listing.highlighted is None and listing.option_count:
            listing.highlighted = 0
        elif page > 1 and start < listing.option_count:
            listing.highlighted = start  # the first of the new page
        shown = sum(len(p.candidates) for p in self.pages)
        total = f" of {result.total:,}" if result.total is not None else ""
        cached = " (cached)" if self.client.state.source == "cache" else ""
        if not shown:
            status.update(Text("No address matches: check the spelling, or type less.", "yellow"))
        else:
            more = "; pick “More suggestions…” for the next page" if result.more else ""
            status.update(Text(f"{shown:,}{total} suggestions{cached}{more}", "dim"))
        if self.client.state.source == "network":
            self.set_status(f"PortlandMaps answered ({describe_state(self.client)})")

    @property
    def candidates(self) -> list[Candidate]:
        return [c for p in self.pages for c in p.candidates]

    @on(OptionList.OptionSelected, "#suggestions")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == MORE:
            last = self.pages[-1] if self.pages else None
            if self._asked != self._shown:  # new text is on its way: its first page replaces this list
                self.query_one("#suggest-status", Static).update(
                    Text("Suggestions for the new text are on their way…", "italic")
                )
                return
            if last is not None:
                self.run_suggest(self._shown, last.page + 1)
            return
        self.pick(self.candidates[int(event.option.id or 0)])

    def pick(self, candidate: Candidate) -> None:
        """Show ``candidate``: its place line, then the details of the tab showing (property first)."""
        self.candidate = candidate
        self.permits = None
        place = Text(one_line(candidate.label, 100), "bold")
        if candidate.lat is not None and candidate.lon is not None:
            place.append(f"  ·  {candidate.lat:.5f}, {candidate.lon:.5f}", "dim")
        if candidate.id:
            place.append(f"  ·  property {one_line(candidate.id, 40)}", "dim")
        place.append("\nctrl+o: open data near here · ctrl+e on Permits: export them", "dim")
        self.query_one("#place", Static).update(place)
        tabs = self.query_one("#pm-tabs", TabbedContent)
        tabs.display = True
        for kind, _ in TABS:
            self._show_message(kind, "Loading…" if candidate.id else "No property id for this address: no details.")
        if tabs.active != "tab-property":
            tabs.active = "tab-property"
        else:
            self.load_tab("property")

    @on(TabbedContent.TabActivated, "#pm-tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        kind = (event.pane.id or "").removeprefix("tab-")
        if self.candidate is not None and kind:
            self.load_tab(kind)

    def load_tab(self, kind: str, *, refresh: bool = False) -> None:
        candidate = self.candidate
        if candidate is None or not candidate.id or self.client is None:
            return
        if not refresh and (candidate.id, kind) in self.details:
            self.run_worker(
                self._show_detail(kind, self.details[(candidate.id, kind)]),
                group=f"show-{kind}",
                exclusive=True,
                exit_on_error=False,
            )
            return
        self.run_worker(
            self._fetch_detail(kind, candidate, refresh), group=f"detail-{kind}", exclusive=True, exit_on_error=False
        )

    async def _fetch_detail(self, kind: str, candidate: Candidate, refresh: bool = False) -> None:
        body = self.query_one(f"#body-{kind}", VerticalScroll)
        body.loading = True
        try:
            detail = await self.client.detail(kind, candidate.id, refresh=refresh)
        except Exception as exc:
            self._show_message(kind, f"Could not load the {kind} details: {error_text(exc)}", "red")
            self.report_error(exc, f"{kind.capitalize()} details")
            return
        finally:
            body.loading = False
        self.details[(candidate.id, kind)] = detail
        if self.candidate is candidate:
            source = self.client.state.source
            self.set_status(
                f"{kind.capitalize()} details of {candidate.address}"
                + (" (from the cache; ctrl+r asks again)" if source == "cache" else "")
            )
            await self._show_detail(kind, detail)

    def _show_message(self, kind: str, message: str, style: str = "dim") -> None:
        body = self.query_one(f"#body-{kind}", VerticalScroll)
        body.remove_children()
        body.mount(Static(Text(message, style), classes="detail-empty"))

    async def _show_detail(self, kind: str, detail: Detail) -> None:
        body = self.query_one(f"#body-{kind}", VerticalScroll)
        await body.remove_children()
        widgets: list[Any] = []
        if kind == "permit":
            widgets.extend(await self._permit_widgets(detail))
        else:
            for section in detail.sections:
                widgets.append(Static(Text(one_line(section.title, 80)), classes="section-title"))
                if section.is_table:
                    widgets.append(Static(rows_table(section), classes="section-table"))
                else:
                    widgets.append(Static(pairs_text(section.pairs), classes="section-pairs"))
            if not detail.sections:
                widgets.append(Static(Text("PortlandMaps sent no details.", "dim"), classes="detail-empty"))
        await body.mount_all(widgets)

    async def _permit_widgets(self, detail: Detail) -> list[Any]:
        from pdxtui.ui.widgets.grid import PreviewGrid

        tables = detail.tables()
        if not tables:
            self.permits = None
            return [Static(Text("No permits on record for this property.", "dim"), classes="detail-empty")]
        frame = permits_frame(max(tables, key=lambda s: len(s.rows)))
        self.permits = frame
        note = Static(Text(f"{frame.height:,} permits · ctrl+e exports them", "dim"), id="permits-note")
        grid = PreviewGrid.from_frame(frame, id="permits-grid")
        grid.styles.height = min(frame.height + 2, 30)
        return [note, grid]

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Without a key only Esc (and the app's keys) apply: the footer shows nothing that cannot work."""
        return self.settings.has_key or action not in ("export", "nearby", "refresh")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        """Ask PortlandMaps again, skipping the cache: the details showing, else the suggestions."""
        if self.client is None:
            return
        if self.candidate is not None:
            active = self.query_one("#pm-tabs", TabbedContent).active.removeprefix("tab-")
            self.load_tab(active, refresh=True)
        else:
            text = " ".join(self.query_one("#address-input", Input).value.split())
            if len(text) >= MIN_CHARS:  # the list showing, or a lookup that failed: asked again
                self._asked = text
                self.run_suggest(text, 1, True)

    def action_export(self) -> None:
        from pdxtui.ui.screens.export import ExportRequest, ExportScreen

        if self.permits is None or self.candidate is None:
            self.notify(
                "Pick an address and open its Permits tab first: the permits are what gets exported.",
                markup=False,
                timeout=5,
            )
            return
        frame = self.permits
        dataset = Dataset(
            id=f"portlandmaps-permits-{self.candidate.id}",
            title=f"Permits at {self.candidate.address}",
            owner="PortlandMaps",
            rows=frame.height,
            fields=tuple(
                Field(name, "string", "integer" if frame[name].dtype == _int64() else "string")
                for name in frame.columns
            ),
        )
        from pdxtui.model import Query
        from pdxtui.portals.base import PORTLAND_ORGANISATION
        from pdxtui.provenance import Source

        source = Source(  # the permits came from PortlandMaps' detail API, not from an open-data portal
            portal_name="portlandmaps",
            portal_label="PortlandMaps API",
            portal_kind="portlandmaps",
            portal_url=self.client.settings.url,
            organisation=PORTLAND_ORGANISATION,
            site_name="PortlandMaps",
            query_url=self.client.detail_url("permit", self.candidate.id),
            secrets=(self.client.key,),
            from_service=False,
        )
        request = ExportRequest(
            dataset=dataset,
            service=_FrameService(frame),
            frame=frame,
            query=Query(),
            total=frame.height,
            columns=tuple(frame.columns),
            source=source,
        )
        self.app.push_screen(ExportScreen(request))

    def action_nearby(self) -> None:
        candidate = self.candidate
        if candidate is None or candidate.lat is None or candidate.lon is None:
            self.notify("Pick an address first: open data is filtered near its location.", markup=False, timeout=5)
            return
        service = self.open_data() if self.open_data is not None else None
        open_near = self.open_near
        if service is None or open_near is None or not service.can("near"):
            label = service.label if service is not None else "this portal"
            self.notify(f"{label} cannot filter rows by distance.", markup=False, timeout=5)
            return
        lat, lon = candidate.lat, candidate.lon

        def chosen(choice: tuple[str, int] | None) -> None:
            if choice is None:
                return
            dataset_id, metres = choice
            self.app.pop_screen()
            open_near(dataset_id, (lat, lon, float(metres)), candidate.address)

        self.app.push_screen(NearbyScreen(service, candidate), chosen)

    @property
    def settled(self) -> bool:
        return self._debounce is None


def describe_state(client: Any) -> str:
    limiter = client.limiter
    return f"{len(limiter.started)} of {limiter.limit} requests used in the current window"


def _cellvalue(value: Any) -> Any:
    return None if value is None else str(value)


#: a whole number that comes back as the same text from an Int64: ASCII digits, no leading zero, no "-0", at most
#: 18 digits (str.isdigit() would take "0071234", which loses its zeros, and "١٢٣", which does not cast)
_INTEGER = re.compile(r"(0|-?[1-9][0-9]{0,17})", re.ASCII)


def _numeric(series: Any) -> bool:
    values = [v for v in series.to_list() if v is not None]
    return bool(values) and all(_INTEGER.fullmatch(v) for v in values)


def permits_frame(section: Section) -> Any:
    """The permits grid: every column as text, or as Int64 when every value is a plain integer (so permit
    numbers like 0071234 keep their zeros)."""
    import polars as pl

    frame = pl.DataFrame(
        [{c: _cellvalue(row.get(c)) for c in section.columns} for row in section.rows],
        schema={c: pl.String for c in section.columns},
        strict=False,
    )
    return frame.with_columns(
        pl.col(c).cast(pl.Int64, strict=False) if _numeric(frame[c]) else pl.col(c) for c in frame.columns
    )


def _int64() -> Any:
    import polars as pl

    return pl.Int64


class NearbyScreen(ModalScreen[tuple[str, int] | None]):
    """Pick an open-data dataset (and a distance) to open, filtered to the rows near the address."""

    CSS_PATH = "address.tcss"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, service: Any, candidate: Candidate) -> None:
        super().__init__()
        self.service = service
        self.candidate = candidate
        self.found: list[Nearby] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Open data near {one_line(self.candidate.address, 60)}"), id="nearby-title")
            yield Select(
                [(f"within {m:,} m", m) for m in DISTANCES],
                value=DEFAULT_DISTANCE,
                allow_blank=False,
                id="nearby-distance",
            )
            yield OptionList(id="nearby-list")
            yield Static(
                Text(f"Looking for point datasets in {one_line(self.service.label, 60)}…", "italic"), id="nearby-note"
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self.find()

    @work(exclusive=True, group="nearby", exit_on_error=False)
    async def find(self) -> None:
        note = self.query_one("#nearby-note", Static)
        found: list[Nearby] = []
        for title in NEARBY_TITLES:
            try:
                result = await self.service.search(SearchRequest(text=title, limit=5))
            except Exception as exc:
                note.update(Text(f"Search failed: {error_text(exc)}", "red"))
                return
            hit = next((h for h in result.hits if h.title.casefold().startswith(title.casefold())), None)
            if hit is not None and all(f.dataset_id != hit.id for f in found):
                found.append(Nearby(hit.id, hit.title))
        self.found = found
        listing = self.query_one("#nearby-list", OptionList)
        listing.add_options([Option(Text(one_line(f.title, 70)), id=f.dataset_id) for f in found])
        if found:
            note.update(Text("Enter opens the dataset with only the rows within the distance. Esc cancels.", "dim"))
            listing.highlighted = 0
            listing.focus()
        else:
            note.update(Text("No point dataset of this portal matches (street trees, permits, ...).", "yellow"))

    @on(OptionList.OptionSelected, "#nearby-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        metres = self.query_one("#nearby-distance", Select).value
        assert isinstance(metres, int)  # the drop-down has no blank: it always holds one of DISTANCES
        self.dismiss((str(event.option.id), metres))

    def action_cancel(self) -> None:
        self.dismiss(None)
