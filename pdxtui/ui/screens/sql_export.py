"""The export dialog for a SQL result: the whole result is in memory, so it is what gets exported by default (not
the first page the grid shows)."""

from __future__ import annotations

from pdxtui.ui.screens.export import SCOPES, ExportScreen


class ResultExportScreen(ExportScreen):
    """Without a filter, the whole result by default; with one, every row matching it (as for a dataset). The
    scope chosen here is not kept for the browser's exports, where "the whole dataset" means a download."""

    def default_scope(self) -> str:
        return super().default_scope() if self.filtered else "dataset"

    def scopes(self) -> list[tuple[str, str]]:
        return [
            (key, label.replace("The whole dataset", "The whole result", 1) if key == "dataset" else label)
            for key, label in super().scopes()
        ]

    def remember(self, path: str, fmt: str, scope: str) -> None:
        from pdxtui.state import load_state

        key = "scope_filtered" if self.filtered else "scope"
        kept = load_state(self.state_file).get(key) if self.state_file else None
        default = "filtered" if self.filtered else "loaded"
        super().remember(path, fmt, kept if isinstance(kept, str) and kept in SCOPES else default)
