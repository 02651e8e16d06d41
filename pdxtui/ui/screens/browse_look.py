"""What changed since you last looked, on the browse screen (a mixin of
:class:`pdxtui.ui.screens.browse.BrowseScreen`).

Each open is a look (:func:`pdxtui.memory.look.look`): once the preview's first rows show, a worker of its own
("look") fingerprints the dataset (its count, fields and dates; every row of one under 10,000 rows, through the
normal fetcher and cache), compares it with the fingerprint kept at the last look, and keeps the new one. Opening
another dataset cancels it; it never holds up the rows, and what goes wrong is one quiet line in the status bar
(nothing is kept then). A dataset looked at in the last ``LOOK_AGAIN_AFTER`` seconds of this run is not looked at
again: opening it again shows the same look. Rows read from a stale cached copy (offline) are not compared.

What the look found: the strip above the grid (``x`` hides it, ``w`` opens the full list, ``d`` shows the rows added
and changed in a grid of their own, in place of the preview, which comes back as it was). A first look says nothing;
a look that found no change says so in the status line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from pdxtui.textsafe import one_line

if TYPE_CHECKING:
    from pdxtui.memory.look import Look
    from pdxtui.memory.store import Memory
    from pdxtui.model import Dataset
    from pdxtui.service import Service

log = logging.getLogger(__name__)

#: seconds a look stands for within one run: opening the dataset again within them shows it again
LOOK_AGAIN_AFTER = 3600.0
#: looks kept to show again (the last datasets looked at): each may hold up to 10,000 rows
KEEP_LOOKS = 3

Looks = dict[tuple[str, str], tuple[float, "Look"]]


def keep_look(looks: Looks, key: tuple[str, str], seen: Look, now: float) -> Looks:
    """``looks`` with ``seen`` (of ``key``, taken at ``now``) as the newest: only the last ``KEEP_LOOKS``, none
    older than ``LOOK_AGAIN_AFTER`` (oldest first)."""
    kept = [(k, v) for k, v in looks.items() if k != key and now - v[0] < LOOK_AGAIN_AFTER]
    kept.sort(key=lambda item: item[1][0])
    return {**dict(kept[len(kept) - KEEP_LOOKS + 1 :] if KEEP_LOOKS > 1 else []), key: (now, seen)}


class SinceLastLook:
    # provided by the screen
    app: Any
    call_later: Any
    dataset: Any
    notify: Any
    query: Any
    query_one: Any
    set_status: Any
    workers: Any
    preview_pane: Any
    _panes_ready: Any
    memory: Callable[[], Memory]  # the browser's one store (browse_lists.py)
    tell_store_warnings: Any  # ... whose warnings it tells once

    #: the look shown for the open dataset (None: none yet, or it is still being taken)
    look_shown: Look | None = None
    #: (portal key, dataset id) of the open dataset, once its rows have shown
    _look_key: tuple[str, str] | None = None
    _looks: Looks | None = None  # the last few looks of this run (keep_look)
    dataset_stale = False  # the open dataset's metadata came from an old cached copy (offline)

    # -- the two hooks (browse.py calls them) ----------------------------------------------------------------------

    def forget_look(self) -> None:
        """Another dataset is opening: stop the look at the last one, hide what it found, leave its changed rows."""
        self.workers.cancel_group(self, "look")
        self._look_key = None
        self.look_shown = None
        for strip in self.query("ChangesStrip"):
            strip.show_changes(None)
        self._leave_changed_rows(focus=False)

    def look_after_load(self, service: Service) -> None:
        """The preview's rows are showing: look at the dataset (once per open), or show the look taken a moment
        ago in this run."""
        from pdxtui.memory.store import portal_key

        preview = self.preview_pane.preview
        if preview is None or self.dataset is None or preview.dataset.id != self.dataset.id:
            return
        key = (portal_key(service.portal), preview.dataset.id)
        if self._look_key == key:
            return  # looked (or looking) at already: the rows were sorted, filtered or loaded further
        self._look_key = key
        earlier = (self._looks or {}).get(key)
        if earlier is not None and time.monotonic() - earlier[0] < LOOK_AGAIN_AFTER:
            self._show_look(earlier[1])
            return
        if self.dataset_stale:
            return  # its metadata came from an old cached copy, offline: comparing it would report the past as news
        self.run_look(preview.dataset, service, key)

    # -- the look ------------------------------------------------------------------------------------------------

    @work(exclusive=True, group="look", exit_on_error=False)
    async def run_look(self, dataset: Dataset, service: Service, key: tuple[str, str]) -> None:
        from pdxtui.errors import PdxError
        from pdxtui.memory.look import look
        from pdxtui.netlog import answers
        from pdxtui.ui.feedback import error_text

        memory = self.memory()
        try:
            # the look's own answers (its pages are read by tasks it starts: they report here too), not the
            # portal's last one, which another worker (stats, facets, more rows) may have had meanwhile
            with answers() as heard:
                seen = await look(service, dataset, memory, key[0], record=False)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a quiet note: the rows are showing, and the next open looks again
            log.warning("could not look at %s for changes: %s", dataset.id, exc)
            self.set_status(f"What changed since the last look could not be checked: {error_text(exc)}")
            return
        finally:
            self.tell_store_warnings("What changed")
        if heard.stale:
            return  # the portal went away while the rows were read: they are an old copy, not the dataset now
        # what the look found is remembered (and shown) before its fingerprint is written: the write, in a thread,
        # goes on when the worker is cancelled by the next open, and what it replaced must not be lost with it
        self._looks = keep_look(self._looks or {}, key, seen, time.monotonic())
        if self._look_key == key:
            self._show_look(seen)
        try:
            # in a thread: a small dataset's fingerprint is some 300 KB of JSON
            await asyncio.to_thread(memory.keep_fingerprint, key[0], seen.fingerprint)
        except PdxError as exc:
            self.set_status(f"This look could not be kept: {error_text(exc)}")

    def _show_look(self, seen: Look) -> None:
        from pdxtui.ui.widgets.changes import since_text

        self.look_shown = seen
        changes = seen.changes
        if changes is None:
            return  # a first look: nothing to tell yet (w says so)
        if not changes.any:
            self.set_status(f"No change since {since_text(changes)} (your last look).")
            return
        self.call_later(self._show_strip, changes)

    async def _show_strip(self, changes: Any) -> None:
        from pdxtui.ui.widgets.changes import ChangesStrip

        if self.look_shown is None or self.look_shown.changes is not changes:
            return  # another dataset opened meanwhile
        found = self.query(ChangesStrip)
        strip = found.first() if found else None
        if strip is None:
            strip = ChangesStrip(id="changes")
            await self.query_one("#content").mount(strip, before=self.preview_pane)
        strip.show_changes(changes)

    # -- the keys ------------------------------------------------------------------------------------------------

    def _look_or_say(self) -> Look | None:
        if self.look_shown is not None:
            return self.look_shown
        if self.dataset is None:
            self.notify("Open a dataset first: what changed since your last look shows then.", markup=False, timeout=4)
        elif any(w.group == "look" and w.is_running for w in self.workers):
            self.notify("Still looking at the dataset: a moment.", markup=False, timeout=3)
        else:
            self.notify(
                "This dataset has not been looked at (its rows did not load, or came from an old cached copy).",
                markup=False,
                timeout=5,
            )
        return None

    def action_what_changed(self) -> None:
        """w: the full list of what changed since the last look."""
        from pdxtui.ui.screens.changes import ChangesScreen

        seen = self._look_or_say()
        if seen is None:
            return

        def chosen(answer: str | None) -> None:
            if answer == "rows":
                self.call_later(self.action_changed_rows)

        self.app.push_screen(ChangesScreen(seen, self.dataset.title if self.dataset else ""), chosen)

    def action_hide_changes(self) -> None:
        """x: hide the strip (until the dataset is opened again)."""
        for strip in self.query("ChangesStrip"):
            if strip.shown:
                strip.show_changes(None)
                self.set_status("What changed is hidden: w shows it in full.")

    async def action_changed_rows(self) -> None:
        """d: the rows added and changed since the last look, in place of the preview; d again goes back."""
        from pdxtui.memory.changed import changed_rows
        from pdxtui.ui.widgets.changes import ChangedRowsView

        if self.query(ChangedRowsView):
            self._leave_changed_rows()
            return
        seen = self._look_or_say()
        if seen is None:
            return
        changes = seen.changes
        if changes is None:
            self.notify("First look at this dataset: nothing to compare yet.", markup=False, timeout=4)
            return
        rows = await asyncio.to_thread(changed_rows, seen)  # a dataset without ids: its rows hashed again
        if rows is None:
            why = next((n for n in changes.notes if "not compared" in n), "rows were not compared")
            self.notify(f"No rows to show: {one_line(why, 300)}.", markup=False, timeout=6)
            return
        if rows.height == 0:
            removed = f" ({len(changes.removed or ()):,} removed: w lists them)" if changes.removed else ""
            self.notify(f"No row was added or changed since your last look{removed}.", markup=False, timeout=5)
            return
        pane = self.preview_pane
        view = ChangedRowsView(rows, self.dataset, self._rows_header(seen), id="changed")
        pane.display = False
        await self.query_one("#content").mount(view, after=pane)
        view.grid.focus()

    def _rows_header(self, seen: Look) -> Any:
        from rich.text import Text

        from pdxtui.ui.widgets.changes import since_text

        changes = seen.changes
        assert changes is not None
        added, changed = len(changes.added or ()), len(changes.changed or ())
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"{added:,} added, {changed:,} changed since {since_text(changes)}", "bold")
        if changes.removed:
            ids = "; w lists their ids" if changes.key else ""
            out.append(f" ({len(changes.removed):,} removed: their values are gone{ids})")
        said = "All the rows of this look: not filtered or sorted like the preview"
        if changed:
            said += "; changed rows show today's values (a look keeps no earlier ones)"
        out.append("\n" + said, "dim")
        return out

    def changed_rows_grid(self) -> Any:
        """The grid of the changed rows when they are shown in place of the preview (5 jumps there), else None."""
        from pdxtui.ui.widgets.changes import ChangedRowsView

        views = self.query(ChangedRowsView)
        return views.first().grid if views else None

    def _leave_changed_rows(self, focus: bool = True) -> None:
        from pdxtui.ui.widgets.changes import ChangedRowsView

        views = self.query(ChangedRowsView)
        if not views:
            return
        views.remove()
        if self._panes_ready.is_set():
            pane = self.preview_pane
            pane.display = True
            if focus and pane.grid is not None:
                pane.grid.focus()

    def on_changed_rows_view_left(self) -> None:
        self._leave_changed_rows()

    def on_changed_rows_view_cell_wanted(self, event: Any) -> None:
        from pdxtui.ui.screens.cell import CellScreen

        self.app.push_screen(CellScreen(event.column, event.row, event.value))
