"""The catalog's freshness filter (any / fresh / due or overdue / unknown): judged here on the hits the search
loaded, never asked of the portal, so the status line says how many of the loaded hits pass and that matches not
loaded were not judged. ctrl+f, the drop-down under the facets, and palette commands choose it. A mixin of
:class:`pdxtui.ui.screens.browse.BrowseScreen`."""

from __future__ import annotations

from typing import Any

from pdxtui.model import Dataset
from pdxtui.ui import fresh
from pdxtui.ui.widgets.catalog import CatalogList
from pdxtui.ui.widgets.facets import FacetBar


class FreshnessFilter:
    # provided by the screen
    query_one: Any
    _show_found: Any

    #: how many datasets match the search, as the portal counted them (None: it did not say)
    _matched: int | None = None

    def action_freshness(self, choice: str | None = None) -> None:
        """Show only the loaded hits of one freshness (``choice``; None: the next, any → fresh → due or overdue →
        unknown → any)."""
        catalog = self.query_one(CatalogList)
        catalog.filter_freshness(choice if choice is not None else fresh.next_choice(catalog.freshness_filter))
        self.show_freshness()

    def on_facet_bar_freshness_changed(self, event: FacetBar.FreshnessChanged) -> None:
        event.stop()
        self.query_one(CatalogList).filter_freshness(event.choice)
        self.show_freshness()

    def follow_dataset(self, ds: Dataset) -> None:
        """The opened dataset's verdict becomes its hit's, in the list, the counts and the status line."""
        catalog = self.query_one(CatalogList)
        before = catalog.states()
        catalog.follow(ds)
        if catalog.states() != before:
            self.show_freshness()

    def show_freshness(self) -> None:
        """The drop-down's counts and the status line, after the hits or the choice changed."""
        catalog = self.query_one(CatalogList)
        self.query_one(FacetBar).show_freshness(fresh.counts(catalog.states()), catalog.freshness_filter)
        self._show_found()

    def freshness_note(self) -> str:
        catalog = self.query_one(CatalogList)
        return fresh.filter_note(catalog.freshness_filter, len(catalog.hits), len(catalog.loaded), self._matched)
