"""Preview pane: a one-line header ("Showing N of M rows") over the grid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from pdxtui.textout import fmt_count
from pdxtui.ui.safe import plain

if TYPE_CHECKING:
    from pdxtui.service import Preview


def header_text(preview: Preview) -> Text:
    out = Text()
    out.append(f"Showing {preview.shown:,} of {fmt_count(preview.total)} rows", "bold")
    if preview.dataset.sample:
        out.append("  ")
        out.append(" SAMPLE DATA ", "bold black on yellow")
        out.append(" generated rows, not the City's", "yellow")
    return out


class PreviewPane(Vertical):
    DEFAULT_CSS = """
    PreviewPane { height: 1fr; }
    PreviewPane > #preview-header { height: 1; padding: 0 1; background: $boost; }
    PreviewPane > #preview-empty { height: 1fr; padding: 1 2; color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.preview: Preview | None = None

    def compose(self):
        yield Static(Text("No dataset open"), id="preview-header")
        yield Static(Text("Rows appear here when you open a dataset."), id="preview-empty")

    @property
    def grid(self):
        from pdxtui.ui.widgets.grid import PreviewGrid

        found = self.query(PreviewGrid)
        return found.first() if found else None

    async def show(self, preview: Preview) -> None:
        from pdxtui.service import display_frame
        from pdxtui.ui.widgets.grid import PreviewGrid

        self.preview = preview
        await self._clear_body()
        self.query_one("#preview-header", Static).update(header_text(preview))
        if preview.frame.height == 0 and preview.frame.width == 0:
            await self.mount(Static(Text("This dataset has no columns."), id="preview-empty"))
            return
        await self.mount(PreviewGrid.from_frame(display_frame(preview.frame), id="grid"))

    async def show_message(self, header: str, body: str = "", style: str = "") -> None:
        self.preview = None
        await self._clear_body()
        self.query_one("#preview-header", Static).update(plain(header, style))
        await self.mount(Static(plain(body, style), id="preview-empty"))

    async def _clear_body(self) -> None:
        for child in list(self.children):
            if child.id != "preview-header":
                await child.remove()
