"""Preview pane: a one-line header ("Showing N of M rows") over the grid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from pdxtui.model import Dataset, Progress

from pdxtui.textout import fmt_count
from pdxtui.ui.safe import line, plain

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
    PreviewPane > #preview-progress { display: none; height: 1; padding: 0 1; }
    PreviewPane > #preview-empty { height: 1fr; padding: 1 2; color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.preview: Preview | None = None

    def compose(self):
        yield Static(Text("No dataset open"), id="preview-header")
        yield ProgressBar(id="preview-progress", show_eta=False)
        yield Static(Text("Rows appear here when you open a dataset."), id="preview-empty")

    def start_progress(self, dataset: Dataset) -> None:
        """Show that rows are on their way; :meth:`progress` moves the bar as pages arrive."""
        bar = self.query_one("#preview-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#preview-header", Static).update(line(f"Loading rows of {dataset.title}… (Esc cancels)", "italic"))

    def progress(self, step: Progress) -> None:
        bar = self.query_one("#preview-progress", ProgressBar)
        bar.update(total=step.total, progress=step.rows)
        pages = f", {step.pages} pages" if step.pages else ""
        self.query_one("#preview-header", Static).update(
            Text(f"Loading… {step.rows:,} of {fmt_count(step.total)} rows{pages} (Esc cancels)", "italic")
        )

    def stop_progress(self) -> None:
        self.query_one("#preview-progress", ProgressBar).display = False

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
            if child.id not in ("preview-header", "preview-progress"):
                await child.remove()
