"""Metadata pane: description as plain text, owner, licence, cadence, dates, rows, links."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from pdxtui.model import Dataset
from pdxtui.textout import fmt_count, fmt_date
from pdxtui.ui.safe import line, plain


def render_metadata(ds: Dataset) -> Text:
    out = Text()
    out.append_text(line(ds.title, "bold"))
    out.append("\n")
    if ds.sample:
        out.append(" SAMPLE ", "bold black on yellow")
        out.append(" bundled snapshot: the rows are generated, not the City's data\n", "yellow")
    facts = [
        ("Owner", ds.owner),
        ("Licence", ds.licence),
        ("Updates", ds.update_frequency),
        ("Last updated", fmt_date(ds.updated)),
        ("Created", fmt_date(ds.created)),
        ("Rows", fmt_count(ds.rows)),
        ("Geometry", ds.geometry_type),
        ("Id", ds.id),
    ]
    for label, value in facts:
        if value:
            out.append(f"{label:<13}", "dim")
            out.append_text(line(value))
            out.append("\n")
    links = [("Page", ds.page_url), ("API", ds.api_url)] + [(link.label, link.url) for link in ds.links if link.url not in (ds.page_url, ds.api_url)]
    for label, url in links:
        if url:
            out.append(f"{label[:12]:<13}", "dim")
            out.append_text(line(url, "underline"))
            out.append("\n")
    if ds.categories or ds.tags:
        out.append(f"{'Tags':<13}", "dim")
        out.append_text(line(", ".join((*ds.categories, *ds.tags))))
        out.append("\n")
    if ds.description:
        out.append("\n")
        out.append_text(plain(ds.description, max_len=20_000))
    return out


class MetadataPane(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    MetadataPane { padding: 0 1; }
    MetadataPane > Static { width: 1fr; }
    """

    def compose(self):
        yield Static(Text("Open a dataset to see its metadata.", "dim"), id="metadata-body")

    def show(self, ds: Dataset) -> None:
        self.query_one("#metadata-body", Static).update(render_metadata(ds))
        self.scroll_home(animate=False)

    def show_message(self, message: str, style: str = "dim") -> None:
        self.query_one("#metadata-body", Static).update(plain(message, style))
