"""Recent datasets and bookmarks in the browser (``pdxtui.memory``): each dataset opened goes to the top of its
portal's recents (written in a thread: opening never waits for the file); ``b`` toggles the open dataset's bookmark
and ``B`` edits its note; the catalog shows Search, Recent or Bookmarks (``ctrl+o``, a click on the row above the
list, or the palette). A mixin of :class:`pdxtui.ui.screens.browse.BrowseScreen`.

Why ``b`` bookmarks at once, with no question: it is the quick key, so it does the common thing (most bookmarks carry
no note) and says so ("Bookmarked: TITLE · B adds a note"); ``B`` asks for the note. ``b`` on a bookmarked dataset
removes the bookmark and says so; ``b`` again, in the same run, puts it back with its note and date: nothing typed
is lost by a slip of the key.

Entries are listed from what was kept on disk, so they show with no network at all; an entry opens through the
usual path, which serves the cache (with its "cached … ago, offline" banner) when the portal cannot be reached.

A damaged memory file is set aside by the store with a warning: each warning shows once, as a notification, and the
app goes on. A failure to write the recents is told once per run, not at every open; a bookmark that cannot be kept
is told every time (the user asked for it)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import Static

from pdxtui.textout import local_time
from pdxtui.textsafe import one_line
from pdxtui.ui.widgets.catalog import CatalogList, SearchBox
from pdxtui.ui.widgets.remembered import EMPTY, VIEWS, RememberedList, ViewChoice

if TYPE_CHECKING:
    from pdxtui.memory.store import Entry, Memory
    from pdxtui.model import Dataset
    from pdxtui.service import Service

_MAKING = threading.Lock()

#: the view that follows each on ctrl+o
NEXT_VIEW = {value: VIEWS[(n + 1) % len(VIEWS)][0] for n, (value, _label) in enumerate(VIEWS)}


class RememberedLists:
    # provided by the screen
    app: Any
    query_one: Any
    notify: Any
    focused: Any
    service: Service
    dataset: Dataset | None
    fallback_reason: str
    open_dataset: Any
    metadata_pane: Any
    _panes_ready: Any
    _show_found: Any

    catalog_view = "search"  # what the catalog shows: a value of remembered.VIEWS
    _memory: Memory | None = None
    _home_portal: Any = None  # the portal the lists are of (kept when the bundled sample stands in for it)
    _home_key = ""
    _open_key = ""  # the portal the open dataset came from
    _told: set[str] | None = None  # the warnings and failures already shown
    _removed: dict[tuple[str, str], Entry] | None = None  # bookmarks b removed in this run, to put back as they were
    _lists: dict[str, dict[str, list[Entry]]] | None = None  # per portal: "recent", "bookmarks" as last read

    # ------------------------------------------------------------------ the store
    def memory(self) -> Memory:
        """The one store of this browser (its warnings are told once), made on first use, from any thread."""
        with _MAKING:
            if self._memory is None:
                from pdxtui.memory.store import Memory

                self._memory = Memory()
        return self._memory

    def on_mount(self) -> None:
        self._home_portal = self.service.portal  # before a search can put the bundled sample in its place

    def home_key(self) -> str:
        """The portal the Recent and Bookmarks lists are of: the one the browser was started on."""
        if not self._home_key:
            from pdxtui.memory.store import portal_key

            self._home_key = portal_key(self._home_portal or self.service.portal)
        return self._home_key

    def remembered(self, kind: str, key: str | None = None) -> list[Entry]:
        """The recents or bookmarks of ``key`` (default: the home portal) as last read (no file access)."""
        return list(((self._lists or {}).get(key or self.home_key()) or {}).get(kind, []))

    def _keep_lists(self, key: str, recent: list[Entry], bookmarks: list[Entry]) -> None:
        if self._lists is None:
            self._lists = {}
        self._lists[key] = {"recent": recent, "bookmarks": bookmarks}
        if key == self.home_key() and self.catalog_view != "search":
            self._show_view()
        if key == self._open_key:
            self._mark_open_dataset()

    def _read_lists(self, key: str) -> tuple[list[Entry], list[Entry]]:
        return self.memory().lists(key)

    @work(thread=True, group="memory", exit_on_error=False)
    def load_remembered(self) -> None:
        """Read the lists once the catalog has painted (a damaged file is told about then, not at the first open)."""
        key = self.home_key()
        self.app.call_from_thread(self._after_store, key, self._try_read_lists(key))

    def _after_store(self, key: str, lists: tuple[list[Entry], list[Entry]] | None) -> None:
        if lists is not None:
            self._keep_lists(key, *lists)
        self.tell_store_warnings()

    def tell_store_warnings(self, title: str = "Recents and bookmarks") -> None:
        """Each warning the store has (a damaged file set aside, a newer file left alone) once, as a notification
        titled ``title`` (what the file held: "What changed" for a fingerprint)."""
        memory = self._memory
        if memory is None:
            return
        warnings = []
        while memory.warnings:  # one at a time: a worker thread may add one meanwhile (list.pop is atomic)
            warnings.append(memory.warnings.pop(0))
        for text in warnings:
            self._tell_once(text, title)

    def _tell_once(self, text: str, title: str) -> None:
        if self._told is None:
            self._told = set()
        if text not in self._told:
            self._told.add(text)
            self.notify(text, title=title, severity="warning", markup=False, timeout=10)

    # ------------------------------------------------------------------ recents
    def remember_opened(self, ds: Dataset, service: Service) -> None:
        """The dataset opened (its metadata loaded): mark it in the metadata pane if bookmarked, and put it at the top
        of its portal's recents, in a thread (one line in ``fetch_dataset``)."""
        from pdxtui.memory.store import Entry, portal_key

        self._open_key = portal_key(service.portal)
        self._mark_open_dataset()
        self._record_open(self._open_key, Entry(ds.id, ds.title, ds.owner))

    @work(thread=True, group="memory", exit_on_error=False)
    def _record_open(self, key: str, entry: Entry) -> None:
        from pdxtui.memory.store import StoreError

        try:
            self.memory().opened(key, entry)
        except StoreError as exc:
            self.app.call_from_thread(self._tell_once, f"{exc} (recent datasets are not being kept)", "Not kept")
        self.app.call_from_thread(self._after_store, key, self._try_read_lists(key))

    def _try_read_lists(self, key: str) -> tuple[list[Entry], list[Entry]] | None:
        """The lists of ``key`` (None when the store cannot give them: it says why in its warnings)."""
        from pdxtui.memory.store import StoreError

        try:
            return self._read_lists(key)
        except StoreError as exc:
            self.memory().warnings.append(str(exc))
            return None

    # ------------------------------------------------------------------ bookmarks
    def action_bookmark(self) -> None:
        """b: bookmark the open dataset at once, or remove its bookmark (b again puts it back, note and all)."""
        from pdxtui.memory.store import Entry, StoreError

        ds = self.dataset
        if ds is None:
            self.notify("Open a dataset first: b bookmarks the open dataset.", markup=False, timeout=4)
            return
        key, memory = self._open_key, self.memory()
        if self._removed is None:
            self._removed = {}
        title = one_line(ds.title or ds.id, 80)
        try:
            old = self._forget_bookmark(key, ds.id) if memory.bookmark(key, ds.id) is not None else None
            if old is not None:
                said = f"Bookmark removed: {title}. b puts it back" + (", with its note." if old.note else ".")
            elif (back := self._removed.pop((key, ds.id), None)) is not None:
                kept = memory.add_bookmark(key, Entry(ds.id, ds.title, ds.owner, at=back.at), note=back.note)
                said = f"Bookmark restored: {title}" + (f" (note: {one_line(kept.note, 60)})" if kept.note else "")
            else:
                memory.add_bookmark(key, Entry(ds.id, ds.title, ds.owner))
                said = f"Bookmarked: {title} · B adds a note"
        except StoreError as exc:
            self.notify(str(exc), title="Bookmark not changed", severity="error", markup=False, timeout=8)
            self.tell_store_warnings()
            return
        self.notify(said, markup=False, timeout=5)
        self._after_store(key, self._try_read_lists(key))

    def _forget_bookmark(self, key: str, dataset_id: str) -> Entry | None:
        """Remove the bookmark (:class:`StoreError` when it cannot be) and keep it for this run: ``b`` on the
        dataset puts it back with its note and date. The one removed, or None when there was none."""
        old = self.memory().remove_bookmark(key, dataset_id)
        if old is not None:
            if self._removed is None:
                self._removed = {}
            self._removed[(key, dataset_id)] = old
        return old

    def action_bookmark_note(self) -> None:
        """B: write or edit the note of a bookmark: of the entry highlighted in the Recent or Bookmarks list when the
        focus is there, else of the open dataset. One not bookmarked yet is bookmarked when the note is kept (Enter);
        Esc leaves no bookmark."""
        from pdxtui.memory.store import Entry, StoreError

        focused = self.focused
        if isinstance(focused, RememberedList):
            chosen = focused.highlighted_entry()
            if chosen is None:
                return
            key, entry = self.home_key(), Entry(chosen.id, chosen.title, chosen.owner)
        elif self.dataset is not None:
            ds = self.dataset
            key, entry = self._open_key, Entry(ds.id, ds.title, ds.owner)
        else:
            self.notify("Open a dataset first: B writes the note of its bookmark.", markup=False, timeout=4)
            return
        memory = self.memory()
        try:
            old = memory.bookmark(key, entry.id)
        except StoreError as exc:
            self.notify(str(exc), title="Bookmark not changed", severity="error", markup=False, timeout=8)
            return
        kept = old or entry  # not bookmarked yet: Enter bookmarks it with the note, Esc leaves no bookmark
        from pdxtui.ui.screens.note import NoteScreen

        def written(note: str | None) -> None:
            if note is None:
                return
            try:
                now = memory.add_bookmark(key, kept, note=note)
            except StoreError as exc:
                self.notify(str(exc), title="Note not kept", severity="error", markup=False, timeout=8)
                return
            title = one_line(kept.title or kept.id, 80)
            said = f"Note kept: {title}" if now.note else f"No note on {title}"
            self.notify(
                said if old is not None else f"Bookmarked: {title}" + (" (with its note)" if now.note else ""),
                markup=False,
                timeout=4,
            )
            self._after_store(key, self._try_read_lists(key))

        self.app.push_screen(NoteScreen(kept.title or kept.id, kept.note), written)

    def _mark_open_dataset(self) -> None:
        """The metadata pane marks the open dataset when it is bookmarked (and shows the note)."""
        ds = self.dataset
        if ds is None or not self._panes_ready.is_set():
            return
        mark = next((e for e in self.remembered("bookmarks", self._open_key) if e.id == ds.id), None)
        self.metadata_pane.show_bookmark(mark, local_time(mark.at) if mark is not None else "")

    # ------------------------------------------------------------------ the catalog's lists
    def action_catalog_view(self, view: str | None = None) -> None:
        """Show search results, recent datasets or bookmarks in the catalog (None: the next, as ctrl+o)."""
        view = view if view in NEXT_VIEW else NEXT_VIEW[self.catalog_view]
        self.catalog_view = view
        self.query_one(ViewChoice).choose(view)
        searching = view == "search"
        for selector in ("#catalog", "#facets", "#catalog-status"):
            self.query_one(selector).display = searching
        for selector in ("#memory", "#memory-status"):
            self.query_one(selector).display = not searching
        if searching:
            self._show_found()
            if isinstance(self.focused, RememberedList) or self.focused is None:
                self.query_one(CatalogList).focus()
            return
        key = self.home_key()
        lists = self._try_read_lists(key)  # afresh: `pdxtui bookmark` may have changed them since
        self._after_store(key, lists or (self.remembered("recent"), self.remembered("bookmarks")))
        self.query_one(RememberedList).focus()

    def _show_view(self) -> None:
        listed = self.query_one(RememberedList)
        entries = self.remembered(self.catalog_view)
        listed.show_entries(self.catalog_view, entries)
        what = {"recent": "recent dataset", "bookmarks": "bookmark"}[self.catalog_view]
        status = f"{len(entries)} {what}{'' if len(entries) == 1 else 's'} · Enter opens" if entries else ""
        if entries and self.catalog_view == "bookmarks":
            status += " · B edits the note"
        if self.fallback_reason:
            status = f"offline: these are on {self._home_label()}, which could not be reached; ctrl+r tries again"
        listed.border_title = dict(VIEWS)[self.catalog_view]
        self.query_one("#memory-status", Static).update(status or EMPTY[self.catalog_view].split(":")[0])

    def _home_label(self) -> str:
        portal = self._home_portal or self.service.portal
        return portal.host or portal.label

    def shown_list(self) -> CatalogList | RememberedList:
        """The list the catalog shows now: search results, or recent datasets or bookmarks."""
        return self.query_one(CatalogList if self.catalog_view == "search" else RememberedList)

    def open_remembered(self, entry: Entry) -> None:
        """Open a recent dataset or a bookmark (the palette and the lists), the usual way: from the cache when the
        portal cannot be reached. While the bundled sample stands in for the portal, say why it cannot open."""
        from pdxtui.memory.store import portal_key

        if self.fallback_reason and portal_key(self.service.portal) != self.home_key():
            self.notify(
                f"{one_line(entry.title or entry.id, 80)} is on {self._home_label()}, which could not be reached "
                "(and nothing from it is cached here). ctrl+r tries the portal again.",
                title="Offline",
                severity="warning",
                markup=False,
                timeout=8,
            )
            return
        self.open_dataset(entry.id)

    def on_remembered_list_open(self, event: RememberedList.Open) -> None:
        event.stop()
        self.open_remembered(event.entry)

    def on_remembered_list_take_off(self, event: RememberedList.TakeOff) -> None:
        """delete in the Recent or Bookmarks list: take the entry off it. A bookmark removed is kept for this run, as
        ``b`` keeps one: opened, ``b`` puts it back with its note and date."""
        from pdxtui.memory.store import StoreError

        event.stop()
        entry, key, memory = event.entry, self.home_key(), self.memory()
        title = one_line(entry.title or entry.id, 80)
        try:
            if event.list.kind == "bookmarks":
                old = self._forget_bookmark(key, entry.id)
                said = f"Bookmark removed: {title}. Open it and b puts it back" + (
                    ", with its note." if old is not None and old.note else "."
                )
            else:
                memory.forget_recent(key, entry.id)
                said = f"Taken off the recent datasets: {title} (opening it lists it again)."
        except StoreError as exc:
            self.notify(str(exc), title="Not changed", severity="error", markup=False, timeout=8)
            self.tell_store_warnings()
            return
        self.notify(said, markup=False, timeout=6)
        self._after_store(key, self._try_read_lists(key))

    def on_remembered_list_typed(self, event: RememberedList.Typed) -> None:
        """A letter typed in the Recent or Bookmarks list searches: back to the results, the letter in the box."""
        event.stop()
        self.action_catalog_view("search")
        self.query_one(SearchBox).type_in(event.character)

    def on_input_changed(self, event: Any) -> None:
        """Typing in the search box shows the search results again."""
        if event.input.id == "search" and self.catalog_view != "search" and event.input.has_focus:
            self.action_catalog_view("search")
