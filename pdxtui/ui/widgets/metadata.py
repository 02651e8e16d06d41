"""Metadata pane: description as plain text, freshness, owner, licence, cadence, dates, rows, links; ``c`` copies
a citation of the dataset (the text ``pdxtui cite`` prints, from the same facts as an export's provenance record)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from pdxtui import freshness
from pdxtui.model import Dataset
from pdxtui.textout import fmt_count, fmt_date
from pdxtui.textsafe import one_line
from pdxtui.ui.fresh import state_text
from pdxtui.ui.safe import line, plain


def render_metadata(ds: Dataset, bookmark: Any = None, when: str = "") -> Group:
    """The pane's text; ``bookmark`` (a ``pdxtui.memory.store.Entry``) marks a bookmarked dataset, with its note and
    ``when`` it was bookmarked."""
    head = Text()
    head.append_text(line(ds.title, "bold"))
    if bookmark is not None:
        head.append_text(bookmark_line(bookmark, when))
    if ds.sample:
        head.append("\n")
        head.append(" SAMPLE ", "bold black on yellow")
        head.append(" bundled snapshot: the rows are generated, not the City's data", "yellow")
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="dim", no_wrap=True, width=13, overflow="ellipsis")
    facts.add_column(overflow="fold")
    rows = [
        ("Owner", ds.owner),
        ("Licence", ds.licence),
        ("Updates", ds.update_frequency),
        ("Last updated", fmt_date(ds.updated)),
        ("Created", fmt_date(ds.created)),
        ("Rows", fmt_count(ds.rows)),
        ("Geometry", ds.geometry_type.removeprefix("esriGeometry")),
        ("Id", ds.id),
        ("Page", ds.page_url),
        ("API", ds.api_url),
    ]
    rows += [(link.label, link.url) for link in ds.links if link.url not in (ds.page_url, ds.api_url)]
    if ds.categories or ds.tags:
        rows.append(("Tags", ", ".join((*ds.categories, *ds.tags))))
    for label, value in rows:
        if value:
            facts.add_row(Text(one_line(label, 18)), plain(one_line(value, 2000)))
    parts: list[RenderableType] = [head, freshness_line(ds), facts]
    if ds.notice:
        parts.append(Text("\n" + one_line(ds.notice, 400), "italic"))
    if ds.resources:
        parts.append(render_resources(ds))
    if ds.layers:
        parts.append(render_layers(ds))
    if ds.description:
        parts += [Text(""), plain(ds.description, max_len=20_000)]
    return Group(*parts)


def bookmark_line(bookmark: Any, when: str) -> Text:
    """ "★ Bookmarked 2026-11-20 14:05 (B: note)", and the note (its line breaks kept) below."""
    out = Text()
    out.append("\n★ Bookmarked", "bold yellow")
    out.append(f" {when}" if when else "", "yellow")
    out.append(" (B: note)", "dim")
    if bookmark.note:
        out.append("\n")
        out.append_text(plain(f"✎ {bookmark.note}", "italic", max_len=2000))
    return out


def freshness_line(ds: Dataset) -> Text:
    """The state's mark and "Updates weekly · data last changed 2025-05-12 · fresh (next update expected by ...)"."""
    return state_text(freshness.of(ds))


def render_resources(ds: Dataset) -> Text:
    """The dataset's resources (CKAN), the one whose rows are shown marked; R picks another."""
    out = Text("\nResources", "bold")
    for r in ds.resources:
        shown = r.id == ds.resource
        out.append("\n● " if shown else "\n  ", "green" if shown else "")
        out.append(one_line(r.name, 60), "" if r.tabular else "dim")
        what = "datastore" if r.datastore else "CSV file" if r.tabular else "no preview"
        out.append(f"  {one_line(r.format, 12) or '?'} · {what}", "dim")
    if sum(r.tabular for r in ds.resources) > 1:
        out.append("\nR shows the rows of another resource", "dim italic")
    return out


def render_layers(ds: Dataset) -> Text:
    """The layers and tables of a map service (ArcGIS); R opens one of them."""
    out = Text("\nLayers and tables", "bold")
    for item in ds.layers:
        out.append("\n  ")
        out.append(one_line(item.title, 60))
        out.append(f"  {item.kind} · {one_line(item.id, 40)}", "dim")
    out.append("\nR opens one of them", "dim italic")
    return out


class MetadataPane(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    MetadataPane { padding: 0 1; }
    MetadataPane > Static { width: 1fr; }
    """
    BINDINGS = [Binding("c", "copy_citation", "Copy citation")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dataset: Dataset | None = None
        self.service: Any = None  # the service the dataset came from (its portal's facts go into the citation)
        self.bookmark: Any = None  # the open dataset's bookmark (pdxtui.memory.store.Entry), None when it has none
        self._bookmarked_at = ""

    def compose(self):
        yield Static(Text("Open a dataset to see its metadata.", "dim"), id="metadata-body")

    def show(self, ds: Dataset, service: Any = None) -> None:
        self.dataset, self.service, self.bookmark, self._bookmarked_at = ds, service, None, ""
        self.query_one("#metadata-body", Static).update(render_metadata(ds))
        self.scroll_home(animate=False)

    def show_bookmark(self, bookmark: Any, when: str = "") -> None:
        """Mark the dataset shown as bookmarked (``bookmark``, an Entry, with its note), or unmark it (None)."""
        if self.dataset is None or (bookmark, when) == (self.bookmark, self._bookmarked_at):
            return
        self.bookmark, self._bookmarked_at = bookmark, when
        self.query_one("#metadata-body", Static).update(render_metadata(self.dataset, bookmark, when))

    def show_message(self, message: str, style: str = "dim") -> None:
        self.dataset = None
        self.query_one("#metadata-body", Static).update(plain(message, style))

    def action_copy_citation(self) -> None:
        from pdxtui.config import known_secrets
        from pdxtui.provenance import Source, build_record, citation, source_for
        from pdxtui.ui.feedback import CLIPBOARD_HINT

        if self.dataset is None:
            self.notify("Open a dataset first: the citation is of the open dataset.", markup=False, timeout=4)
            return
        session = getattr(self.app, "session", None)  # None in tests that give the app a service
        secrets = known_secrets(session.config) if session is not None else []
        source = source_for(self.service, secrets=secrets) if self.service is not None else Source(secrets=())
        text = citation(build_record(self.dataset, source))
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the citation: {one_line(text, 300)}. {CLIPBOARD_HINT}", markup=False, timeout=6)
