"""The small protocol every portal kind implements. All methods are async and return model objects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol, runtime_checkable

from pdxtui.model import Dataset, Facets, FetchState, Page, Progress, Query, SearchRequest, SearchResult

ProgressCallback = Callable[[Progress], None]


@runtime_checkable
class Portal(Protocol):
    #: short kind name: "bundled", "arcgis", "socrata", "ckan"
    kind: str
    #: what the user called it: a profile name or the KIND:URL string
    name: str
    #: human label for headers and banners
    label: str
    #: where the last answer came from (network, cache, stale cache, bundled)
    state: FetchState
    #: what the portal does over the whole dataset itself: "sort", "filter", "group" (else done on loaded rows)
    capabilities: frozenset[str]

    async def search(self, request: SearchRequest) -> SearchResult: ...

    async def facets(self) -> Facets: ...

    async def dataset(self, dataset_id: str) -> Dataset: ...

    async def count(self, dataset: Dataset, query: Query) -> int: ...

    def pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None = None
    ) -> AsyncIterator[Page]: ...

    async def aclose(self) -> None: ...
