"""The abstract Portal every portal kind subclasses. All data methods are async and return model objects.

Required methods are abstract. Optional capabilities have a real default here (``query_url`` gives the dataset's
API URL, ``group_counts`` raises :class:`Unsupported`, ``capabilities`` is empty), so callers call them and never
probe for them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from pdxtui.errors import Unsupported
from pdxtui.model import Dataset, Facets, FetchState, Page, Progress, Query, SearchRequest, SearchResult

ProgressCallback = Callable[[Progress], None]

#: who runs Portland's portal and what it is called, for citations (the ArcGIS portal at its host, and the bundled
#: snapshot of it)
PORTLAND_ORGANISATION = "City of Portland"
PORTLAND_SITE_NAME = "PortlandMaps Open Data"


def frame_pages(
    rows: Any, page_rows: int, *, offset: int, total: int | None, progress: ProgressCallback | None = None
) -> Iterator[Page]:
    """Rows held whole (a polars frame: the bundled sample, a SQL result) handed over as pages of ``page_rows``:
    slices (no copy), ``Page.offset`` counted from ``offset`` (the query's), ``Page.total`` the rows matching, and
    ``progress`` told the rows handed over of all of them. No rows still make one empty page (the columns)."""
    done = pages = 0
    while True:
        chunk = rows.slice(done, page_rows)
        done += chunk.height
        pages += 1
        if progress is not None:
            progress(Progress(rows=done, total=rows.height, pages=pages))
        yield Page(table=chunk, offset=offset + done - chunk.height, total=total)
        if done >= rows.height:
            return


class Portal(ABC):
    #: short kind name: "bundled", "arcgis", "socrata", "ckan"
    kind: str = ""
    #: what the user called it: a profile name or the KIND:URL string
    name: str = ""
    #: human label for headers and banners
    label: str = ""
    #: the server's host name, for messages ("" for the bundled snapshot)
    host: str = ""
    #: the portal's address, as configured ("" for the bundled snapshot)
    site: str = ""
    #: who runs the portal and what it is called, for provenance and citations ("" when pdxtui does not know: then
    #: the host names it; never a guess)
    organisation: str = ""
    site_name: str = ""
    #: what the portal calls a dataset's publisher: Portland's bureaus, CKAN's organizations, else publishers
    publisher_word: str = "publisher"
    #: what the portal does over the whole dataset itself: "sort", "filter", "group", "near" (else done on loaded
    #: rows)
    capabilities: frozenset[str] = frozenset()

    @property
    @abstractmethod
    def state(self) -> FetchState:
        """Where the last answer came from (network, cache, stale cache, bundled)."""

    @abstractmethod
    async def search(self, request: SearchRequest) -> SearchResult: ...

    @abstractmethod
    async def facets(self) -> Facets: ...

    @abstractmethod
    async def dataset(self, dataset_id: str) -> Dataset: ...

    @abstractmethod
    async def count(self, dataset: Dataset, query: Query) -> int: ...

    @abstractmethod
    def pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None = None
    ) -> AsyncIterator[Page]: ...

    async def aclose(self) -> None:
        """Release what the portal holds (nothing by default)."""
        return None

    def cache_warning(self) -> str:
        """A warning about the disk cache that came up while fetching (it opens on the first fetch and may turn
        itself off when it finds its database damaged); "" when there is none, or no cache."""
        return ""

    def rate_limits(self) -> dict[str, dict[str, str]]:
        """The rate-limit figures the portal's servers last sent, per host (e.g. the Hub's
        ``x-ratelimit-remaining-portal_search_throttler``), for a request log; empty when none were seen."""
        return {}

    # -- optional capabilities, with real defaults ------------------------------------------------------------------

    def query_url(self, dataset: Dataset, query: Query) -> str:
        """The portal API URL that returns the rows of ``query`` (for copying into other tools); by default the
        dataset's own API URL."""
        return dataset.api_url

    def rows_request(self, dataset: Dataset, query: Query) -> tuple[str, tuple[str, ...]]:
        """The request that reads the rows of ``query`` as pdxtui sends it, built by the same code that sends it,
        without the paging parameters pdxtui adds to each page's request; and those parameters' names (empty:
        the rows come in one request, e.g. a file). By default :meth:`query_url`, unpaged."""
        return self.query_url(dataset, query), ()

    def check_filter(self, dataset: Dataset, where: str) -> None:
        """Refuse (a :class:`pdxtui.errors.PdxError` of one line) a filter that parses but that this portal's rows
        cannot be filtered by, before any row is asked for; by default nothing more than the parser's checks."""
        return None

    async def group_counts(
        self, dataset: Dataset, column: str, query: Query | None = None
    ) -> tuple[list[tuple[Any, int]], int]:
        """How many rows hold each value of ``column`` over the whole dataset (narrowed by the query's filter):
        (value, count) pairs, most frequent first (None counts the rows with no value), and the rows counted.
        Only portals with the "group" capability can."""
        raise Unsupported(f"{self.label} cannot count values on the server")
