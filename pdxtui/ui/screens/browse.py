"""The main screen: search and facets on the left; metadata, schema and the preview grid on the right.

Every fetch runs in an exclusive worker of its own group (search, dataset, preview); each pane shows its own
loading state; every error ends up in :meth:`BrowseScreen.report_error`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Header, Input, Static

from pdxtui.errors import PdxError, PortalError
from pdxtui.model import Dataset, Facets, SearchRequest
from pdxtui.service import Service
from pdxtui.textout import human_age
from pdxtui.textsafe import markup_literal, one_line
from pdxtui.ui import feedback
from pdxtui.ui.feedback import error_text
from pdxtui.ui.footer import KeysFooter, ShownKeys
from pdxtui.ui.screens import browse_layout
from pdxtui.ui.screens.browse_counts import ColumnCounts
from pdxtui.ui.screens.browse_fresh import FreshnessFilter
from pdxtui.ui.screens.browse_lists import RememberedLists
from pdxtui.ui.screens.browse_look import SinceLastLook
from pdxtui.ui.screens.browse_sql import SqlTables
from pdxtui.ui.screens.grid_requests import GridRequests
from pdxtui.ui.startup import collect_again, load_later_css, warm_sql
from pdxtui.ui.widgets.catalog import CatalogList, SearchBox
from pdxtui.ui.widgets.facets import FacetBar
from pdxtui.ui.widgets.remembered import RememberedList, ViewChoice
from pdxtui.ui.widgets.search import no_match

if TYPE_CHECKING:  # the panes' modules are imported when they are mounted (ColumnCounts.preview_pane, ...)
    from textual.widgets import DataTable

    from pdxtui.ui.widgets.preview import PreviewPane

SEARCH_DEBOUNCE = 0.15
SPINNER_DELAY = 0.6
CATALOG_LIMIT = 100
FETCH_GROUPS = ("dataset", "preview")


#: the pane jumps (1-5): key, the pane's selector
PANES = {"1": "#search", "2": "#catalog", "3": "#metadata", "4": "#schema", "5": "#preview"}


class BrowseScreen(
    GridRequests, ColumnCounts, FreshnessFilter, RememberedLists, SinceLastLook, SqlTables, ShownKeys, Screen[None]
):
    CSS_PATH = "browse.tcss"
    # Screens open on modifiers (priority: from the text boxes too; Input and TextArea bind none of ctrl+g/t/l),
    # never on a letter that someone typing in a list could press. The footer shows few keys (the grid's need the
    # room); help (?) and the palette (ctrl+p) list them all.
    BINDINGS = [
        Binding("slash", "focus_search", "Search"),
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+r", "refresh", "Refresh", show=False, priority=True),
        Binding("ctrl+e", "export", "Export", priority=True),
        Binding("colon", "sql", "SQL", show=False),  # (sql.py: the SQL screen)
        Binding("ctrl+k", "sql", "SQL", show=False, priority=True),
        Binding("ctrl+g", "guide", "Guide", priority=True),
        Binding("ctrl+t", "draft", "Draft request", show=False, priority=True),
        Binding("ctrl+l", "address", "Address", show=False, priority=True),
        Binding("R", "pick_resource", "Resource", show=False),
        Binding("ctrl+f", "freshness", "Freshness filter", show=False, priority=True),
        Binding("ctrl+o", "catalog_view", "Recent/Bookmarks", show=False, priority=True),
        Binding("b", "bookmark", "Bookmark", show=False),
        Binding("B", "bookmark_note", "Bookmark note", show=False),
        *(Binding(key, f"jump('{key}')", "Jump to pane", show=False) for key in PANES),
        Binding("q", "app.quit", "Quit"),
        Binding("z", "zoom", "Zoom"),
        Binding("w", "what_changed", "What changed", show=False),  # (browse_look.py: since you last looked)
        Binding("d", "changed_rows", "Changed rows", show=False),
        Binding("x", "hide_changes", "Hide changes", show=False),
    ]
    ALLOW_IN_MAXIMIZED_VIEW = browse_layout.KEPT_WHEN_ZOOMED
    #: textual's own, without its repaint of the whole screen on every focus change (a full redraw of every pane
    #: on each Tab): the widgets that gain and lose the focus restyle and repaint themselves (their :focus CSS),
    #: and so do the panes around them (:focus-within)
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    ESCAPE_TO_MINIMIZE = False  # Esc keeps its meaning (cancel a fetch, leave the filter bar): z restores

    def __init__(
        self, service: Service, *, refresher: Callable[[], Service] | None = None, open_id: str | None = None
    ) -> None:
        """``refresher`` makes a one-off Service that bypasses fresh cache entries (ctrl+r); ``open_id``: a dataset
        to open once the panes are in, with the grid focused when its rows arrive (``pdxtui open ID``)."""
        super().__init__()
        self._open_id = open_id
        self.service = service
        self._refresher = refresher
        self.fallback_reason = ""  # set when the portal could not be reached and the bundled snapshot stands in
        self._loaded_once = False
        self._refresh_service: Service | None = None
        self.dataset: Dataset | None = None
        self.catalog_hits: tuple = ()  # the whole catalog as first loaded, for the command palette
        self._debounce: Timer | None = None
        self._last_request: SearchRequest | None = None
        self._panes_ready = asyncio.Event()
        self._panes_lock = asyncio.Lock()  # the first paint and a dataset opened early may both mount them
        self._panes_scheduled = False
        self.facets_loaded = False
        self._near_place = ""  # the address a near-filter (Query.near) is around
        self._catalog_facets: Facets | None = None  # the facet counts over the whole catalog
        self._match_facets: Facets | None = None  # ... over the last search's matches (None: the portal gave none)
        self._found = ""  # "12 of 40 datasets": the catalog's status line
        self._opening: list = []  # [the widget focused when a dataset was asked for, its text], until its rows show

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        with Horizontal(id="main"):
            with Vertical(id="sidebar"):
                yield SearchBox(placeholder="Search datasets  ( / )", id="search")
                yield ViewChoice(id="views")
                yield FacetBar(id="facets")
                yield Static(Text("Loading catalog…", "dim"), id="catalog-status")
                yield CatalogList(id="catalog")
                yield Static("", id="memory-status")
                yield RememberedList(id="memory")
            # the panes are mounted right after the catalog has painted (see _mount_panes): start-up shows the
            # catalog sooner, and the panes are empty until a dataset opens anyway
            yield Vertical(id="content")
        yield Static("", id="status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#catalog").border_title = "Datasets"
        self.run_search(self._request())

    async def _after_first_paint(self) -> None:
        await self._mount_panes()
        self.load_facets()
        self.load_remembered()
        if self._open_id:
            self.open_dataset(self._open_id)
        collect_again()
        threading.Thread(target=warm_sql, name="pdxtui-warm-sql", daemon=True).start()

    async def _mount_panes(self) -> None:
        async with self._panes_lock:
            if self._panes_ready.is_set():
                return
            load_later_css(self.app)  # before any dataset can open (pdxtui.ui.startup says why)
            from textual.widgets import TabbedContent, TabPane

            from pdxtui.ui.widgets.metadata import MetadataPane
            from pdxtui.ui.widgets.preview import PreviewPane
            from pdxtui.ui.widgets.schema import SchemaPane
            from pdxtui.ui.widgets.stats import StatsPane

            metadata, preview = MetadataPane(id="metadata"), PreviewPane(id="preview")
            metadata.border_title, preview.border_title = "Metadata", "Preview"
            side = TabbedContent(id="side")
            await self.query_one("#content").mount_all([Horizontal(metadata, side, id="details"), preview])
            await side.add_pane(TabPane("Schema", SchemaPane(id="schema"), id="tab-schema"))
            await side.add_pane(TabPane("Stats", StatsPane(id="stats"), id="tab-stats"))
            self._panes_ready.set()
            if self.focused is None:  # (a key pressed meanwhile may have moved it: it stays where the user put it)
                self.query_one("#search", Input).focus()

    # ------------------------------------------------------------------ search
    def _request(self) -> SearchRequest:
        text = self.query_one(SearchBox).query_text
        chosen = self.query_one(FacetBar).selected()
        return SearchRequest(
            text=text, owner=chosen["owner"], category=chosen["category"], tag=chosen["tag"], limit=CATALOG_LIMIT
        )

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        # keystrokes are coalesced: each one restarts the timer, and cancels a search for the old text that is
        # still waiting to be sent (a portal may hold a search back while its allowance is used up) or answering
        self.workers.cancel_group(self, "search")
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, self._search_now)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self._search_now()
        self.action_focus_results()

    @on(FacetBar.Changed)
    def _facets_changed(self) -> None:
        self._search_now()

    def _search_now(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        request = self._request()
        if request != self._last_request:
            self.run_search(request)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def run_search(self, request: SearchRequest, service: Service | None = None) -> None:
        if request.text != self.query_one(SearchBox).query_text:
            return  # the box holds newer text: its own search follows (never send one for text that is gone)
        catalog = self.query_one(CatalogList)
        status = self.query_one("#catalog-status", Static)
        # the spinner only appears when a search is slow: no flicker for fast (local or cached) answers
        spinner = self.set_timer(SPINNER_DELAY, lambda: setattr(catalog, "loading", True))
        try:
            try:
                result = await (service or self.service).search(request)
            except PortalError as exc:
                if not (exc.offline and not self._loaded_once and self.service.portal.kind != "bundled"):
                    raise
                await self.fall_back_to_bundled(exc)
                result = await self.service.search(request)
        except Exception as exc:
            self._found = ""
            status.update(Text(f"Search failed: {error_text(exc)}", "red"))
            self.report_error(exc, "Search")
            return
        finally:
            spinner.stop()
            catalog.loading = False
            if not self._panes_scheduled:  # first answer: paint it, then build the rest of the screen
                self._panes_scheduled = True
                self.call_after_refresh(self._after_first_paint)
        self._last_request = request
        self._loaded_once = True
        self.note_state(service or self.service)
        catalog.show_hits(result.hits)
        self._matched = result.total
        if not self.catalog_hits and not (request.text or request.owner or request.category or request.tag):
            self.catalog_hits = result.hits
        self._match_facets = result.facets
        self._show_facets()
        shown = len(result.hits)
        total = result.total if result.total is not None else shown
        what = "dataset" if total == 1 else "datasets"
        if not shown:
            self._found = ""
            status.update(Text(no_match(request), "yellow"))
            self.show_freshness()
        else:
            self._found = f"{shown:,} of {total:,} {what}" if total > shown else f"{total:,} {what}"
            self.show_freshness()

    def _shown_facets(self) -> Facets | None:
        """The counts the facet bar shows: over the current matches once the search is narrowed (by words or a
        facet) and the portal counted them, else over the whole catalog."""
        request = self._last_request
        narrowed = request is not None and bool(request.text or request.owner or request.category or request.tag)
        if narrowed and self._match_facets is not None:
            return self._match_facets
        return self._catalog_facets

    def _show_facets(self) -> None:
        facets = self._shown_facets()
        if facets is not None and self.facets_loaded:
            self.query_one(FacetBar).show_counts(facets, whole=facets is self._catalog_facets)

    def _show_found(self) -> None:
        """The catalog's status line: how many datasets match, and what the facet counts cover when not all."""
        if not self._found:
            return
        facets = self._shown_facets()
        note = f" · {facets.note}" if facets is not None and facets.note else ""
        hidden = self.freshness_note()  # the freshness filter hides hits: how many pass, not in dim
        self.query_one("#catalog-status", Static).update(
            Text.assemble((hidden or self._found, "" if hidden else "dim"), (note, "dim"))
        )

    @work(exclusive=True, group="facets", exit_on_error=False)
    async def load_facets(self) -> None:
        try:
            facets = await self.service.facets()
            self._catalog_facets = facets
            await self.query_one(FacetBar).set_facets(facets, self.service.portal.publisher_word)
        except Exception as exc:
            self.report_error(exc, "Facets")
        finally:
            self.facets_loaded = True
        self._show_facets()  # a search answered meanwhile: its counts
        self.show_freshness()

    # ------------------------------------------------------------------ open a dataset
    @on(CatalogList.Open)
    def _open_from_list(self, event: CatalogList.Open) -> None:
        self.open_dataset(event.dataset_id)

    def open_dataset(self, dataset_id: str, query=None) -> None:
        self.query_one("#sidebar").add_class("-open")  # (not on the screen: restyling it all disturbs the tables)
        if self._panes_ready.is_set():
            self.preview_pane.cancel()
        self.forget_look()
        focused = self.focused  # focus goes to the grid once the rows are shown (see _focus_opened)
        self._opening = [focused, focused.value if isinstance(focused, Input) else None]
        self.fetch_dataset(dataset_id, query=query)

    def _focus_opened(self) -> None:
        """The dataset asked for is shown (or failed): focus its grid, or the pane's message when there are no rows,
        unless the user has gone on typing in a text box meanwhile. The dataset of ``pdxtui open ID`` that does
        not open leaves the focus in the search box, to search for another."""
        if not self._opening:
            return
        (before, typed), self._opening = self._opening, []
        started, self._open_id = self._open_id, None
        focused = self.focused
        if isinstance(focused, Input) and (focused is not before or focused.value != typed):
            return
        pane = self.preview_pane
        if started and pane.grid is None and isinstance(focused, Input):
            return
        target = pane.grid if pane.grid is not None else pane.query("#preview-empty").first()
        if target is not None and target.focusable:
            target.focus()

    @work(exclusive=True, group="dataset", exit_on_error=False)
    async def fetch_dataset(self, dataset_id: str, service: Service | None = None, query=None) -> None:
        await self._mount_panes()
        service = service or self.service
        metadata, schema, preview = (
            self.metadata_pane,
            self.schema_pane,
            self.preview_pane,
        )
        metadata.loading = schema.loading = True
        for group in ("stats", "facets-view"):  # counts of the dataset shown until now are of no use
            self.workers.cancel_group(self, group)
        self.stats_pane.reset()
        from pdxtui.netlog import answers

        try:
            with answers() as heard:  # this open's own answers (another worker may be fetching meanwhile)
                ds = await service.dataset(dataset_id)
        except Exception as exc:
            text = error_text(exc)
            metadata.show_message(f"Could not open {dataset_id}: {text}", "red")
            schema.clear()
            await preview.show_message("No rows: the dataset did not open.", text, "red")
            self._focus_opened()
            self.report_error(exc, "Dataset")
            return
        finally:
            metadata.loading = schema.loading = False
        self.dataset, self.dataset_stale = ds, heard.stale
        self.note_state(service)
        metadata.show(ds, service)
        self.remember_opened(ds, service)
        self.follow_dataset(ds)
        schema.show(ds)
        if ds.layers or (ds.notice and not ds.fields):  # a map service, or an item that is not a table
            await preview.show_message("No rows here.", ds.notice, "yellow")
            self._focus_opened()
            if ds.layers:
                # offer its layers and tables once the focus asked for above has moved (focus() is queued on the
                # app: pushed straight away, the picker raced it, and the screen under it had either focus)
                self.app.call_later(self._offer_layers, ds)
            return
        self.load_preview(ds, service, query)

    def _offer_layers(self, ds: Dataset) -> None:
        """The layer picker for ``ds``, unless another dataset was opened or another screen came up meanwhile."""
        if self.dataset is ds and self.is_current:
            self.action_pick_resource()

    def load_preview(self, ds: Dataset, service: Service | None = None, query=None) -> None:
        from pdxtui.model import describe_near

        pane = self.preview_pane
        near = query.near if query is not None else None
        # a str border title is markup, and the place is an address from a portal: escape it
        pane.border_subtitle = markup_literal(f"only rows {describe_near(near)} ({self._near_place})") if near else ""
        pane.load(ds, service or self.service, query)

    def open_near(self, dataset_id: str, near: tuple[float, float, float], place: str = "") -> None:
        """Open a dataset showing only the rows within ``near`` = (lat, lon, metres) of a place (an address)."""
        from pdxtui.model import Query, describe_near

        self._near_place = one_line(place, 80) or "the chosen place"
        self.open_dataset(dataset_id, Query(near=near))
        self.set_status(f"Opening rows {describe_near(near)} ({self._near_place})…")

    # ------------------------------------------------------------------ errors, status, actions
    def report_error(self, exc: BaseException, where: str) -> None:
        feedback.report_error(self, exc, where)

    def set_status(self, message: str) -> None:
        self.query_one("#status", Static).update(Text(one_line(message, 300)))

    def set_banner(self, message: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(Text(one_line(message, 400)))
        banner.set_class(bool(message), "-shown")

    async def fall_back_to_bundled(self, exc: PortalError) -> None:
        """The portal cannot be reached and nothing is cached: browse the bundled snapshot instead, and say so."""
        from pdxtui.portals.bundled import BundledPortal

        host = self.service.portal.host or self.service.portal.label
        self.fallback_reason = error_text(exc)
        broken, self.service = self.service, Service(BundledPortal(name="demo"))
        await broken.aclose()
        self.app.sub_title = f"bundled sample data (could not reach {host})"
        self.set_status("")
        self.set_banner(
            f"offline: could not reach {host} — showing bundled sample data. ctrl+r tries the portal again. "
            f"Reason: {self.fallback_reason}"
        )
        self.notify(
            f"Could not reach {host}; showing the bundled sample data instead.",
            title="Offline",
            severity="warning",
            markup=False,
            timeout=8,
        )
        self.load_facets()

    def note_state(self, service: Service) -> None:
        """Show where the last answer came from when it matters: a stale cached copy served while offline."""
        if self.fallback_reason:
            return
        state = service.portal.state
        if state.source == "stale":
            age = human_age(state.age_seconds or 0)
            why = f" ({one_line(state.reason, 200)})" if state.reason else ""
            self.set_banner(
                f"cached {age} ago, offline: {service.portal.label} could not be reached{why}. ctrl+r tries again."
            )
        else:
            self.set_banner("")
        self.set_status("")

    async def action_refresh(self) -> None:
        """Fetch the current view again, bypassing the cache."""
        if self.fallback_reason and self._refresher is None:
            return
        if self._refresh_service is not None:  # the previous refresh's workers are replaced below
            old, self._refresh_service = self._refresh_service, None
            await old.aclose()
        service = self._refresher() if self._refresher else self.service
        if service is not self.service and not self.fallback_reason:
            self._refresh_service = service
        if self.fallback_reason:  # try the real portal again
            self.fallback_reason = ""
            self._loaded_once = False
            self.service = service
            self.app.sub_title = service.label
            self.set_banner("")
            self.run_search(self._request())
            return
        self.set_status(f"Refreshing from {service.label}…")
        self.run_search(self._request(), service)
        if self.dataset is not None:
            self.preview_pane.cancel()
            self.fetch_dataset(self.dataset.id, service)

    def on_descendant_focus(self, event) -> None:
        browse_layout.focus_moved(self, event.widget)

    def action_zoom(self) -> None:
        """Zoom the focused pane (catalog, metadata, schema/stats or preview) to the whole screen, or restore."""
        done = browse_layout.toggle_zoom(self)
        if done:
            self.set_status(done)

    def action_focus_search(self) -> None:
        self.query_one(SearchBox).focus_all()

    def action_focus_results(self) -> None:
        self.shown_list().focus()

    @on(CatalogList.Typed)
    def _typed_in_list(self, event: CatalogList.Typed) -> None:
        """A letter typed in the results list searches: it goes to the end of the search box, which takes focus."""
        self.query_one(SearchBox).type_in(event.character)

    def action_jump(self, key: str) -> None:
        """1-5: the search box, the results, the metadata, the schema, the grid."""
        if not self._panes_ready.is_set() and key in "345":
            return
        if key in "12":
            self.action_focus_search() if key == "1" else self.action_focus_results()
            return
        if key == "4":
            self.side_tabs.active = "tab-schema"
        if key == "5":
            pane = self.preview_pane
            target = self.changed_rows_grid() or pane.grid or pane.query("#preview-empty").first()
            if target is None or not target.focusable:
                self.notify("Open a dataset first: its rows show in the grid.", markup=False, timeout=3)
                return
            target.focus()
            return
        self.query_one(PANES[key]).focus()

    def action_cancel(self) -> None:
        running = [w for w in self.workers if w.group in FETCH_GROUPS and w.is_running]
        if not running:
            return
        self._opening = []
        self.workers.cancel_group(self, "dataset")
        if self._panes_ready.is_set():
            self.preview_pane.cancel()
            for pane in self.metadata_pane, self.schema_pane:
                pane.loading = False
        self.set_status("Fetch cancelled.")
        self.notify("Fetch cancelled.", markup=False, timeout=3)

    # ------------------------------------------------------------------ what the panes ask for
    def on_preview_pane_failed(self, event: PreviewPane.Failed) -> None:
        self._focus_opened()
        self.report_error(event.error, event.where)

    def on_preview_pane_loaded(self, event: PreviewPane.Loaded) -> None:
        self._focus_opened()
        self.note_state(event.service)
        self.table_from_preview(event.service)  # (browse_sql.py: every dataset opened is a SQL table)
        self.look_after_load(event.service)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.control.id != "schema":  # (the grid's own RowSelected has this name too)
            return
        event.stop()
        if event.row_key.value is not None:
            self.show_stats(str(event.row_key.value))

    def action_chart(self, kind: str | None = None, column: str | None = None) -> None:
        """A map of the rows (kind "map"), or the chart that suits ``column`` (default: the grid's cursor column)."""
        from pdxtui.ui.screens.chart import open_chart

        pane = self.preview_pane if self._panes_ready.is_set() else None
        if column is None and pane is not None and kind != "map":
            column = pane.current_column()
        open_chart(self, pane, kind, column)

    async def on_unmount(self) -> None:
        if self._refresh_service is not None:
            await self._refresh_service.aclose()

    # ------------------------------------------------------------------ drafting and the guide
    def draft_context(self):
        """The open dataset, the chosen columns, the filter in plain English and the selected record ids."""
        from pdxtui.ui.screens.draft import DraftContext

        if self.dataset is None or not self._panes_ready.is_set():
            return DraftContext()
        pane = self.preview_pane
        fields = tuple(pane.columns) if pane.columns is not None else ()
        if not fields:  # the field highlighted in the schema pane, when the Schema tab is showing
            schema = self.schema_pane
            if self.side_tabs.active == "tab-schema" and schema.row_count and schema.has_focus:
                fields = (self.dataset.fields[schema.cursor_row].name,)
        where = pane.local_where or (pane.preview.query.where if pane.preview else None)
        filter_text = None
        if where:
            from pdxtui.filters import describe, parse

            try:
                node = parse(where, self.dataset.fields)
                filter_text = describe(node) if node is not None else None
            except PdxError:
                filter_text = where
        return DraftContext(
            dataset=self.dataset, fields=fields, filter_text=filter_text, record_ids=pane.selected_ids()
        )

    def action_export(self) -> None:
        from pdxtui.ui.screens.export import ExportRequest, ExportScreen

        pane = self.preview_pane if self._panes_ready.is_set() else None
        if pane is None or pane.preview is None or pane.service is None:
            self.notify("Open a dataset first: its rows are what gets exported.", markup=False, timeout=4)
            return
        self.app.push_screen(ExportScreen(ExportRequest.from_pane(pane)))

    def action_draft(self, kind: str = "records") -> None:
        from pdxtui.ui.screens.draft import DraftScreen

        self.app.push_screen(DraftScreen(self.draft_context(), kind))

    def action_pick_resource(self) -> None:
        """Choose which resource (table) of a CKAN dataset the grid shows (reopens it as PACKAGE/RESOURCE_ID), or
        which layer or table of an ArcGIS map service to open (by its own id, ITEMID_N)."""
        from pdxtui.ui.screens.resources import ResourcesScreen

        ds = self.dataset
        if ds is None or not (ds.resources or ds.layers):
            self.notify(
                "Open a dataset made of parts (a CKAN dataset or an ArcGIS map service) first.", markup=False, timeout=4
            )
            return
        package = ds.id.split("/", 1)[0]

        def chosen(part: str | None) -> None:
            if part and ds.layers and not ds.resources:
                self.open_dataset(part)
            elif part and part != ds.resource:
                self.open_dataset(f"{package}/{part}")

        self.app.push_screen(ResourcesScreen(ds), chosen)

    def action_sql(self) -> None:
        """The SQL screen over the datasets opened in this run. It is kept (installed) once made: coming back shows
        the last query and its result."""
        from pdxtui.memory.store import portal_key
        from pdxtui.ui.screens.sql import SqlScreen

        app = self.app
        key = portal_key(self.service.portal)
        if not app.is_screen_installed(SqlScreen.NAME):
            from pdxtui.sql.history import History

            made = SqlScreen(
                app.sql_tables, self.service, history=History(), portal_key=key, remembered=self.remembered_tables()
            )
            app.install_screen(made, SqlScreen.NAME)
        screen = app.get_screen(SqlScreen.NAME)
        if screen in app.screen_stack:
            return
        screen.follow(self.service, key)
        app.push_screen(screen)

    def action_address(self) -> None:
        """The PortlandMaps address lookup (it explains how to get a key when none is set). Its ctrl+o searches this
        screen's portal, and opens the dataset here with the rows near the address."""
        from pdxtui.ui.screens.address import AddressScreen

        session = getattr(self.app, "session", None)
        self.app.push_screen(
            AddressScreen(
                config=session.config if session is not None else None,
                cache_dir=session.cache_dir if session is not None else None,
                open_data=lambda: self.service,
                open_near=self.open_near,
            )
        )

    def action_guide(self) -> None:
        from pdxtui.ui.screens.guide import GuideScreen

        def chosen(kind: str | None) -> None:
            if kind:
                self.action_draft(kind)

        self.app.push_screen(GuideScreen(), chosen)

    @property
    def settled(self) -> bool:
        """Start-up is complete (panes and facets are in) and no search is waiting on its debounce timer."""
        return self._panes_ready.is_set() and self._debounce is None and self.facets_loaded
