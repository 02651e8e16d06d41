"""Command palette providers: datasets by title or id, and the app's own commands."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from pdxtui.model import DatasetSummary, SearchRequest
from pdxtui.textsafe import markup_literal, one_line


def _display(hit: DatasetSummary) -> Text:
    return Text.assemble(Text(one_line(hit.title, 80)), Text(f"  {one_line(hit.id, 60)}", "dim"))


#: how the palette names a remembered dataset: (mark, what it is)
REMEMBERED = {"bookmarks": ("★ ", "Bookmark"), "recent": ("↺ ", "Recent")}


def _remembered(browse) -> list[tuple[str, Any]]:
    """The home portal's bookmarks, then the recent datasets that are not bookmarked: (kind, entry)."""
    bookmarks = browse.remembered("bookmarks")
    marked = {e.id for e in bookmarks}
    return [("bookmarks", e) for e in bookmarks] + [
        ("recent", e) for e in browse.remembered("recent") if e.id not in marked
    ]


def _remembered_hit(browse, kind: str, entry, score: float | None = None) -> Hit | DiscoveryHit:
    mark, what = REMEMBERED[kind]
    title = one_line(entry.title or entry.id, 80)
    display = Text.assemble(Text(mark, "bold"), Text(title), Text(f"  {one_line(entry.id, 60)}", "dim"))
    more = f" · {entry.note}" if entry.note else f" · {entry.owner}" if entry.owner else ""
    help_text = markup_literal(one_line(f"Open {what.lower()}{more}", 100))  # help is markup
    run = partial(browse.open_remembered, entry)
    if score is None:
        return DiscoveryHit(display, run, text=title, help=help_text)
    return Hit(score, display, run, text=title, help=help_text)


class DatasetCommands(Provider):
    """Finds datasets by fuzzy title or by id, in the loaded catalog and through the portal's search."""

    def _browse(self):
        from pdxtui.ui.screens.browse import BrowseScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, BrowseScreen):
                return screen
        return None

    async def search(self, query: str) -> Hits:
        browse = self._browse()
        if browse is None:
            return
        matcher = self.matcher(query)
        needle = query.strip().lower()
        remembered = _remembered(browse)
        for kind, entry in remembered:  # bookmarks and recents by title or id, from the disk: offline too
            exact = bool(needle) and needle == entry.id.lower()
            score = 1.0 if exact else max(matcher.match(entry.title), matcher.match(entry.id) * 0.9)
            if score > 0:
                yield _remembered_hit(browse, kind, entry, score)
        candidates: dict[str, DatasetSummary] = {h.id: h for h in browse.catalog_hits}
        if len(query.strip()) >= 2:
            try:
                result = await browse.service.search(SearchRequest(text=query.strip(), limit=20))
            except Exception:
                result = None
            if result is not None:
                candidates.update({h.id: h for h in result.hits})
        for entry_id in {entry.id for _kind, entry in remembered}:
            candidates.pop(entry_id, None)  # listed above, marked
        for hit in candidates.values():
            if needle and needle == hit.id.lower():
                score = 1.0
            else:
                score = max(matcher.match(hit.title), matcher.match(hit.id) * 0.9)
                if needle and needle in hit.id.lower():
                    score = max(score, 0.8)
            if score > 0:
                yield Hit(
                    score,
                    _display(hit),
                    partial(browse.open_dataset, hit.id),
                    text=hit.title,
                    help=markup_literal(one_line(f"Open dataset · {hit.owner}", 100)),
                )  # help is markup

    async def discover(self) -> Hits:
        browse = self._browse()
        if browse is None:
            return
        remembered = _remembered(browse)[:20]
        for kind, entry in remembered:
            yield _remembered_hit(browse, kind, entry)
        shown = {entry.id for _kind, entry in remembered}
        for hit in [h for h in browse.catalog_hits if h.id not in shown][:20]:
            yield DiscoveryHit(_display(hit), partial(browse.open_dataset, hit.id), text=hit.title, help="Open dataset")


def _with_key(label: Content | str, key: str) -> Content:
    """A command's label followed by its key, dimmed (the palette teaches the keys)."""
    out = label if isinstance(label, Content) else Content(label)
    return out + Content.styled(f"  {key}", "dim") if key else out


class AppCommands(Provider):
    # (label, action, the key that does the same; "" when only the palette does it)
    COMMANDS = [
        ("Help: list every key", "app.help", "? / F1"),
        ("Search: focus the search box", "focus_search", "/"),
        ("Export rows to a file (CSV, JSON, Parquet, XLSX, GeoJSON)", "export", "ctrl+e"),
        ("Draft a public records request", "draft('records')", "ctrl+t"),
        ("Draft a dataset publication request", "draft('publish')", ""),
        ("Draft an API access question", "draft('access')", ""),
        ("Draft a data quality report", "draft('quality')", ""),
        ("Guide: how Portland's open data works", "guide", "ctrl+g"),
        ("Address lookup: property, assessor, zoning and permits (PortlandMaps)", "address", "ctrl+l"),
        ("SQL console: query the datasets opened (joins, GROUP BY) with polars SQL", "sql", ": / ctrl+k"),
        ("Map of the rows (latitude/longitude)", "chart('map')", "m"),
        ("Chart of the cursor column (histogram, top values, time series)", "chart", "v"),
        ("Refresh from the portal, bypassing the cache", "refresh", "ctrl+r"),
        ("Requests: the last requests, totals per host today, 429s, waits and rate limits", "app.requests", "ctrl+n"),
        ("Pick a resource (CKAN) or a layer (ArcGIS map service)", "pick_resource", "R"),
        ("Recent datasets: the last 50 opened on this portal", "catalog_view('recent')", "ctrl+o"),
        ("Bookmarks: the datasets you bookmarked on this portal", "catalog_view('bookmarks')", "ctrl+o"),
        ("Search results (back from Recent or Bookmarks)", "catalog_view('search')", "ctrl+o"),
        ("Bookmark the open dataset, or remove its bookmark", "bookmark", "b"),
        ("Bookmark note: write or edit the note of the open dataset's bookmark", "bookmark_note", "B"),
        ("What changed since you last looked at the open dataset", "what_changed", "w"),
        ("Rows added and changed since your last look, in the grid", "changed_rows", "d"),
        ("Freshness: show only fresh datasets", "freshness('fresh')", "ctrl+f"),
        ("Freshness: show only datasets due or overdue for an update", "freshness('late')", "ctrl+f"),
        ("Freshness: show only datasets of unknown freshness", "freshness('unknown')", "ctrl+f"),
        ("Freshness: show datasets of any freshness", "freshness('any')", "ctrl+f"),
        ("Cancel the running fetch", "cancel", "Esc"),
        ("Quit pdxtui", "app.quit", "ctrl+q"),
    ]

    async def _run(self, action: str) -> None:
        if action.startswith("app."):
            await self.app.run_action(action.removeprefix("app."))
        else:
            await self.app.screen.run_action(action)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, action, key in self.COMMANDS:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, _with_key(matcher.highlight(label), key), partial(self._run, action), text=label)

    async def discover(self) -> Hits:
        for label, action, key in self.COMMANDS:
            yield DiscoveryHit(_with_key(label, key), partial(self._run, action), text=label)
