"""A query's result as a portal: the app's grid, stats, facets, charts and export read a SQL result through the same
:class:`~pdxtui.service.Service` calls as a portal's dataset.

:class:`ResultPortal` holds one result frame (one dataset, :func:`pdxtui.sql.result.result_dataset`) and serves its
rows in pages: slices of the frame (polars slices share its memory: nothing is copied), sorted and filtered over the
whole result (the rows are all here), and value counts of a column over the whole result (``group_counts``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pdxtui.errors import NotFound, PdxError
from pdxtui.model import Dataset, Facets, FetchState, Page, Query, SearchRequest, SearchResult
from pdxtui.portals.base import Portal, ProgressCallback, frame_pages

if TYPE_CHECKING:
    import polars as pl

PAGE_ROWS = 50_000


class ResultPortal(Portal):
    """The rows of one SQL result (``frame``, described by ``dataset``). ``label``: what the result is called in
    messages ("SQL result")."""

    kind = "sql"
    publisher_word = "publisher"
    capabilities = frozenset({"sort", "filter", "group"})

    def __init__(self, dataset: Dataset, frame: pl.DataFrame, *, label: str = "SQL result") -> None:
        self.name = "sql"
        self.label = label
        self.result = dataset
        self.frame = frame
        self._state = FetchState(source="computed")
        self._selected: tuple[tuple[Any, ...], pl.DataFrame] | None = None  # (filter and order, rows): the last asked

    @property
    def state(self) -> FetchState:
        return self._state

    async def search(self, request: SearchRequest) -> SearchResult:
        return SearchResult(hits=(), total=0, facets=Facets())

    async def facets(self) -> Facets:
        return Facets()

    async def dataset(self, dataset_id: str) -> Dataset:
        if dataset_id.strip() != self.result.id:
            raise NotFound(f"no dataset with id {dataset_id!r} here: only the SQL result {self.result.id}")
        return self.result

    async def count(self, dataset: Dataset, query: Query) -> int:
        self._check(dataset, query)
        if not query.where:
            return self.frame.height
        return (await asyncio.to_thread(self._matching, query.where)).height

    async def pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None = None
    ) -> AsyncIterator[Page]:
        """The rows of ``query`` (filtered, then ordered with nulls last, then sliced by offset and limit, then the
        columns asked for) in pages of ``PAGE_ROWS``; ``Page.total``: the rows matching the filter. An empty
        selection still yields one empty page (the columns)."""
        self._check(dataset, query)
        selected = await asyncio.to_thread(self._select, query.where, query.order)
        matching = selected.height
        rows = selected.slice(query.offset, query.limit)
        if query.columns:
            rows = rows.select(list(query.columns))
        for page in frame_pages(rows, PAGE_ROWS, offset=query.offset, total=matching, progress=progress):
            yield page

    async def group_counts(
        self, dataset: Dataset, column: str, query: Query | None = None
    ) -> tuple[list[tuple[Any, int]], int]:
        """How many rows of the result (matching the query's filter) hold each value of ``column``: (value, count)
        pairs, most frequent first (ties in the order of the values), None for the rows with no value."""
        self._check(dataset, query or Query())
        if column not in self.frame.columns:
            raise PdxError(f"the SQL result has no column {column!r}")
        where = query.where if query is not None else None
        return await asyncio.to_thread(self._counts, column, where)

    def query_url(self, dataset: Dataset, query: Query) -> str:
        return ""  # computed here: there is no request that returns these rows

    # -- the rows ---------------------------------------------------------------------------------------------------

    def _check(self, dataset: Dataset, query: Query) -> None:
        if dataset.id != self.result.id:
            raise NotFound(f"no dataset with id {dataset.id!r} here: only the SQL result {self.result.id}")
        if query.near is not None:
            raise PdxError("a SQL result cannot be filtered by distance: write it in the query instead")
        if query.offset < 0 or (query.limit is not None and query.limit < 0):
            raise PdxError("offset and limit must not be negative")
        known = set(self.frame.columns)
        for name in list(query.columns) + [name for name, _ in query.order]:
            if name not in known:
                raise PdxError(f"the SQL result has no column {name!r}")
        if len(set(query.columns)) != len(query.columns):
            raise PdxError("a column is asked for more than once")

    def _matching(self, where: str | None) -> pl.DataFrame:
        """The result's rows that match the filter ``where`` (the frame itself, uncopied, for none)."""
        if not where or not where.strip():
            return self.frame
        import polars as pl

        from pdxtui.filters import FilterError, to_polars

        node = self.check_where(where)
        if node is None:
            return self.frame
        try:
            return self.frame.filter(to_polars(node, self.frame.schema))
        except FilterError:
            raise
        except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:  # a type the checks above did not foresee
            from pdxtui.textsafe import one_line

            said = one_line(str(exc).split("\n\n", 1)[0], 200)
            raise PdxError(f"the SQL result cannot be filtered by {one_line(where, 120)}: {said}") from None

    def check_filter(self, dataset: Dataset, where: str) -> None:
        self.check_where(where)

    def check_where(self, where: str | None) -> Any:
        """The filter tree of ``where`` for this result (None: no filter), or :class:`pdxtui.filters.FilterError`
        (one line, with its position) for a filter that does not parse or compares a column of a type the filter
        language cannot compare (a duration, a list: only ``is null`` there). Nothing is read: a caller can check
        a filter before asking for rows (the rows on screen stay)."""
        from pdxtui.filters import parse

        node = parse(where or "", self.result.fields)
        if node is not None:
            _check_comparable(node, self.frame.schema)
        return node

    def _select(self, where: str | None, order: tuple[tuple[str, bool], ...]) -> pl.DataFrame:
        key = (where or "", order)
        if self._selected is not None and self._selected[0] == key:
            return self._selected[1]  # the next page of the same selection: filtered and sorted once
        frame = self._matching(where)
        if order:
            frame = frame.sort(
                [name for name, _ in order],
                descending=[descending for _, descending in order],
                nulls_last=True,
                maintain_order=True,
            )
        self._selected = (key, frame)
        return frame

    def _counts(self, column: str, where: str | None) -> tuple[list[tuple[Any, int]], int]:
        import polars as pl

        rows = self._matching(where)
        n = "n"
        while n in rows.columns:  # (a result may have a column "n")
            n = f"_{n}"
        counts = rows.group_by(column, maintain_order=True).agg(pl.len().alias(n))
        counts = counts.sort(n, descending=True, maintain_order=True)
        pairs = list(zip(counts[column].to_list(), counts[n].to_list(), strict=True))
        return pairs, rows.height


def _check_comparable(node: Any, schema: Any) -> None:
    """A :class:`pdxtui.filters.FilterError` (one line, at the condition) for a comparison the filter language
    cannot make on its column's type: a duration, a time of day (text search ``~`` works), a list, an array, a
    struct, binary data. ``is null`` works on every column; to compare such values, write it in the query."""
    import polars as pl

    from pdxtui.filters import And, Compare, FilterError, Not, Or

    if isinstance(node, (And, Or)):
        for item in node.items:
            _check_comparable(item, schema)
        return
    if isinstance(node, Not):
        _check_comparable(node.item, schema)
        return
    if not isinstance(node, Compare) or node.column not in schema:
        return
    dtype = schema[node.column]
    if dtype == pl.Time and node.op in ("~", "!~"):
        return
    if isinstance(dtype, (pl.Duration, pl.Time, pl.List, pl.Array, pl.Struct, pl.Object)) or dtype == pl.Binary:
        kind = dtype.base_type().__name__ if hasattr(dtype, "base_type") else str(dtype)
        raise FilterError(
            f"cannot filter the {kind} column {node.column!r} (only 'is null' or 'is not null'): "
            "write the condition in the query instead (WHERE ...)",
            node.position,
        )
