"""The browser's statistics and facets of a column: counted by the portal when only part of the dataset is loaded
and it can group rows, else here over the loaded (or locally filtered) rows, in a worker thread. A mixin of
:class:`pdxtui.ui.screens.browse.BrowseScreen` (its message handlers stay there: Textual registers ``@on`` handlers
per class)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from pdxtui.ui.feedback import error_text

if TYPE_CHECKING:  # the panes are imported when they are mounted, after the catalog's first paint
    from textual.widgets import TabbedContent

    from pdxtui.ui.widgets.metadata import MetadataPane
    from pdxtui.ui.widgets.preview import PreviewPane
    from pdxtui.ui.widgets.schema import SchemaPane
    from pdxtui.ui.widgets.stats import StatsPane

FACET_LIMIT = 1000  # values listed in the facet view


class ColumnCounts:
    """Stats (the Stats tab) and facets (a dialog) of one column."""

    # provided by the screen
    app: Any
    query_one: Any
    set_status: Any
    report_error: Any

    # The browser's panes. Their modules are imported here, when first asked for (they are mounted after the
    # catalog's first paint), not when the browser is: start-up does not wait for them.
    @property
    def preview_pane(self) -> PreviewPane:
        from pdxtui.ui.widgets.preview import PreviewPane

        return self.query_one(PreviewPane)

    @property
    def stats_pane(self) -> StatsPane:
        from pdxtui.ui.widgets.stats import StatsPane

        return self.query_one(StatsPane)

    @property
    def metadata_pane(self) -> MetadataPane:
        from pdxtui.ui.widgets.metadata import MetadataPane

        return self.query_one(MetadataPane)

    @property
    def schema_pane(self) -> SchemaPane:
        from pdxtui.ui.widgets.schema import SchemaPane

        return self.query_one(SchemaPane)

    @property
    def side_tabs(self) -> TabbedContent:
        """The Schema | Stats tabs."""
        from textual.widgets import TabbedContent

        return self.query_one("#side", TabbedContent)

    def show_stats(self, column: str) -> None:
        pane = self.preview_pane
        stats_pane = self.stats_pane
        self.side_tabs.active = "tab-stats"
        preview = pane.preview
        if preview is None or column not in preview.frame.columns:
            stats_pane.show_message("Statistics need loaded rows of this column: open the dataset first.", "yellow")
            return
        stats_pane.loading = True
        if self._server_counts(preview):
            self._server_stats(preview, column)
        else:
            self._compute_stats(*self._local_counts(preview), column)

    def _server_counts(self, preview) -> bool:
        """Count on the server when only part of the dataset is loaded and the portal can group rows itself."""
        service = self.preview_pane.service
        partial = preview.total is None or preview.shown < preview.total
        return partial and service is not None and service.can("group") and not self.preview_pane.local_where

    @work(exclusive=True, group="stats", exit_on_error=False)
    async def _server_stats(self, preview, column: str) -> None:
        from pdxtui.stats import stats_from_facet

        service = self.preview_pane.service
        assert service is not None  # _server_counts said the pane has one
        field = preview.dataset.field(column)
        try:
            facet = await service.facet(preview.dataset, column, preview.query)
            stats = stats_from_facet(facet, dtype=field.kind if field else "")
        except Exception as exc:
            self._stats_failed(exc)
            return
        self._stats_ready(stats, _covered_rows(preview, counted_by=service.label))

    def _local_counts(self, preview) -> tuple:
        """(rows to count here, their scope for pdxtui.stats, the words that say which rows they are)."""
        pane = self.preview_pane
        frame = pane.local_rows()
        whole = preview.total is not None and preview.shown >= preview.total
        note = _covered_rows(preview, local_where=pane.local_where, matching=frame.height)
        return frame, "dataset" if whole else "loaded", note

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def _compute_stats(self, frame, scope: str, note: str, column: str) -> None:
        from pdxtui.stats import column_stats

        try:
            stats = column_stats(frame, column, scope=scope)
        except Exception as exc:
            self.app.call_from_thread(self._stats_failed, exc)
            return
        self.app.call_from_thread(self._stats_ready, stats, note)

    def _stats_ready(self, stats, note: str) -> None:
        pane = self.stats_pane
        pane.loading = False
        pane.show(stats, note)

    def _stats_failed(self, exc: BaseException) -> None:
        pane = self.stats_pane
        pane.loading = False
        pane.show_message(f"Statistics failed: {error_text(exc)}", "red")

    def show_facets(self, column: str) -> None:
        preview = self.preview_pane.preview
        if preview is None or column not in preview.frame.columns:
            return
        if self._server_counts(preview):
            self._server_facets(preview, column)
        else:
            self._compute_facets(*self._local_counts(preview), column)

    @work(exclusive=True, group="facets-view", exit_on_error=False)
    async def _server_facets(self, preview, column: str) -> None:
        service = self.preview_pane.service
        assert service is not None  # _server_counts said the pane has one
        self.set_status(f"Counting the values of {column} on {service.label}…")
        try:
            facet = await service.facet(preview.dataset, column, preview.query, limit=FACET_LIMIT)
        except Exception as exc:
            self.set_status("")
            self.report_error(exc, "Facets")
            return
        self.set_status("")
        self._facets_ready(facet, _covered_rows(preview, counted_by=service.label))

    @work(thread=True, exclusive=True, group="facets-view", exit_on_error=False)
    def _compute_facets(self, frame, scope: str, note: str, column: str) -> None:
        from pdxtui.stats import facet_counts

        try:
            facet = facet_counts(frame, column, limit=FACET_LIMIT, scope=scope)
        except Exception as exc:
            self.app.call_from_thread(self.report_error, exc, "Facets")
            return
        self.app.call_from_thread(self._facets_ready, facet, note)

    def _facets_ready(self, facet, note: str) -> None:
        from pdxtui.ui.screens.facets import FacetScreen

        def picked(choice) -> None:
            if choice is not None:
                self.preview_pane.filter_on(*choice)

        self.app.push_screen(FacetScreen(facet, note), picked)


def _covered_rows(*args: Any, **kwargs: Any) -> str:
    from pdxtui.ui.widgets.stats import covered_rows

    return covered_rows(*args, **kwargs)
