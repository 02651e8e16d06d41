"""The preview pane's filter bar, and its hint: an example filter that fits the open dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.widgets import Input

if TYPE_CHECKING:
    from pdxtui.service import Preview

FILTER_PLACEHOLDER = "Filter (f): COLUMN OP VALUE, e.g. NAME ~ park and ACRES > 5 · Enter applies · F1 help"
LOCAL_FILTER_PLACEHOLDER = "Filter (f), on the loaded rows only (this portal cannot filter on its server) · F1 help"


class FilterBar(Input):
    """The row filter. Esc goes back to the grid, and the bar shows the filter applied again (not the text typed
    and never applied, nor its error)."""

    BINDINGS = [Binding("escape", "back", "Back to the grid", show=False)]

    def action_back(self) -> None:
        pane: Any = self.parent
        restore = getattr(pane, "restore_filter", None)
        if restore is not None:
            restore()
        grid = getattr(pane, "grid", None)
        if grid is not None:
            grid.focus()
        else:
            self.screen.focus_next()


def filter_hint(preview: Preview, service: Any) -> str:
    """The filter bar's hint for ``preview``: an example built from its loaded rows, and where the filter runs."""
    from pdxtui.filters import example

    head = preview.frame.head(1000)
    wanted = [
        f.name for f in preview.dataset.fields if f.kind in ("string", "integer", "float") and f.name in head.columns
    ]
    sample = example(preview.dataset.fields, {name: head[name].to_list() for name in wanted})
    server = service is None or service.can("filter")
    if not sample:
        return FILTER_PLACEHOLDER if server else LOCAL_FILTER_PLACEHOLDER
    where = "" if server else ", on the loaded rows only"
    return f"Filter (f){where}: e.g. {sample} · Enter applies · F1 help"
