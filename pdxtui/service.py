"""What the CLI and the UI both call: portals in, typed polars frames and model objects out.

polars and pyarrow are imported inside the functions that need them, so that importing this module stays cheap
and the UI can paint before they load.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from pdxtui.errors import PdxError
from pdxtui.frames import apply_schema, text_notes
from pdxtui.model import Dataset, Facets, Progress, Query, SearchRequest, SearchResult
from pdxtui.portals import Portal

if TYPE_CHECKING:
    import polars as pl

DEFAULT_PREVIEW_ROWS = 1000


@dataclass(frozen=True)
class Preview:
    """Rows fetched for the grid, and how many rows match in all."""

    frame: pl.DataFrame
    total: int | None
    dataset: Dataset
    query: Query
    #: what the portal said while reading (e.g. that an old server's rows were sorted here): shown with the rows
    notes: tuple[str, ...] = ()
    #: when the first of these rows were read (UTC): the retrieved-at time of an export of the loaded rows
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def shown(self) -> int:
        return self.frame.height


def page_frame(table: Any) -> pl.DataFrame:
    """A page's rows as a polars frame: an Arrow table converted (without copying), a polars frame as it is."""
    import polars as pl

    if isinstance(table, pl.DataFrame):
        return table
    return cast("pl.DataFrame", pl.from_arrow(table))  # a Table gives a DataFrame


class Service:
    """A portal plus the joins, typing and statistics on top of it."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    @property
    def label(self) -> str:
        return self.portal.label

    async def search(self, request: SearchRequest) -> SearchResult:
        return await self.portal.search(request)

    async def facets(self) -> Facets:
        """Owner, category and tag counts over the catalog (the facet bar); :meth:`facet` counts a column's values."""
        return await self.portal.facets()

    async def dataset(self, dataset_id: str) -> Dataset:
        return await self.portal.dataset(dataset_id)

    async def cached_dataset(self, dataset_id: str) -> Dataset:
        """The metadata of ``dataset_id`` as the cache holds it (a fresh or a stale copy), without a request:
        :class:`~pdxtui.errors.NotCached` when the cache lacks any of it (the bundled snapshot answers as always)."""
        from pdxtui.cache import cache_only

        with cache_only():
            return await self.portal.dataset(dataset_id)

    async def preview(
        self,
        dataset: Dataset,
        rows: int = DEFAULT_PREVIEW_ROWS,
        query: Query | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> Preview:
        """Fetch the first ``rows`` rows matching ``query`` into one typed frame."""
        query, raw, total, notes = await self._read(dataset, rows, query or Query(), progress)
        frame = apply_schema(raw, dataset)
        notes += [n for n in text_notes(raw, frame, dataset, query.offset) if n not in notes]
        total = self._total(dataset, query, total, frame.height, rows)
        return Preview(frame=frame, total=total, dataset=dataset, query=query, notes=tuple(notes))

    async def _read(
        self, dataset: Dataset, rows: int, query: Query, progress: Callable[[Progress], None] | None
    ) -> tuple[Query, pl.DataFrame, int | None, list[str]]:
        """The first ``rows`` rows of ``query`` as the portal sent them (not typed yet), the count it gave, and
        what it said while reading."""
        import polars as pl

        query = replace(query, limit=rows, with_key=False)
        frames: list[pl.DataFrame] = []
        total: int | None = None
        notes: list[str] = []

        def heard(step: Progress) -> None:
            if step.message and step.message not in notes:
                notes.append(step.message)
            if progress is not None:
                progress(step)

        async for page in self.portal.pages(dataset, query, heard):
            frames.append(page_frame(page.table))
            if page.total is not None:
                total = page.total
        if frames:
            frame = pl.concat(frames, how="vertical_relaxed", rechunk=False)
        else:
            names = list(query.columns) or [f.name for f in dataset.fields]
            frame = pl.DataFrame({n: [] for n in names})
        return query, frame.head(rows), total, notes

    @staticmethod
    def _total(dataset: Dataset, query: Query, total: int | None, shown: int, rows: int) -> int | None:
        if total is None:
            total = dataset.rows if query.where is None and query.near is None else None
        if total is None and shown < rows:  # fewer rows than asked for: these were the last of them
            total = query.offset + shown
        return total

    async def preview_here(self, dataset: Dataset, rows: int, query: Query) -> Preview:
        """The first ``rows`` rows of ``query`` when the portal cannot run its filter or its sort on the server:
        the rows are read and filtered (and sorted) here, and the preview says so. A filter alone stops reading
        once ``rows`` rows match; a sort reads every row first."""
        import polars as pl

        from pdxtui.filters import columns as filter_columns
        from pdxtui.filters import parse
        from pdxtui.filters.frames import filter_pages, to_polars

        node = parse(query.where, dataset.fields) if query.where else None
        wanted = list(query.columns)
        if wanted:
            extra = sorted(filter_columns(node)) + [name for name, _ in query.order]
            wanted += [name for name in extra if name not in wanted]

        async def matching() -> AsyncGenerator[pl.DataFrame, None]:
            # each page typed to be filtered, its matching rows kept as sent: typed all at once below
            async with aclosing(self.pages_as_sent(dataset, Query(columns=tuple(wanted), near=query.near))) as pages:
                async for page in pages:
                    if node is None:
                        yield page
                    else:
                        typed = apply_schema(page, dataset)
                        keep = typed.with_columns(to_polars(node, typed.schema).alias("__keep__"))["__keep__"]
                        yield page.filter(keep)

        limit = None if query.order else query.offset + rows  # a sort needs every matching row
        kept = [frame async for frame in filter_pages(matching(), None, limit=limit)]
        frame = pl.concat(kept, how="vertical_relaxed") if kept else pl.DataFrame({n: [] for n in wanted})
        frame = apply_schema(frame, dataset)
        matched = frame.height
        if query.order:
            names = [name for name, _ in query.order]
            frame = frame.sort(names, descending=[d for _, d in query.order], nulls_last=True)
        frame = frame.slice(query.offset, rows)
        if query.columns:
            frame = frame.select(list(query.columns))
        asked = (("filter", node is not None), ("sort", bool(query.order)))
        cannot = " or ".join(w for w, on in asked if on and not self.can(w)) or "do this"
        return Preview(
            frame=frame,
            total=matched if limit is None or matched < limit else None,  # known only when every row was read
            dataset=dataset,
            query=query,
            notes=(f"{self.label} cannot {cannot} on its server: done here, on the rows pdxtui read",),
        )

    async def stream(
        self, dataset: Dataset, query: Query | None = None, progress: Callable[[Progress], None] | None = None
    ) -> AsyncGenerator[pl.DataFrame, None]:
        """The rows of ``query`` page by page, each a typed frame: for exports that must not hold everything."""
        async for frame in self.pages_as_sent(dataset, query, progress):
            yield apply_schema(frame, dataset)

    async def pages_as_sent(
        self, dataset: Dataset, query: Query | None = None, progress: Callable[[Progress], None] | None = None
    ) -> AsyncGenerator[pl.DataFrame, None]:
        """The rows of ``query`` page by page as the portal sent them (not typed): for rows held whole, typed all at
        once (:func:`pdxtui.frames.apply_schema`) once read. Typed page by page and joined, a column whose text
        does not fit on one page only (a CSV's "n/a" on page 40) would be text there and numbers elsewhere, and
        the join would turn the numbers to text other than the server's ("12.50" as "12.5")."""
        async for page in self.portal.pages(dataset, query or Query(), progress):
            yield page_frame(page.table)

    async def count(self, dataset: Dataset, query: Query | None = None) -> int:
        """How many rows match ``query`` (the whole dataset for None)."""
        query = query or Query()
        if not query.where and query.near is None and dataset.rows is not None:
            return dataset.rows
        return await self.portal.count(dataset, query)

    async def more(self, preview: Preview, rows: int, progress: Callable[[Progress], None] | None = None) -> Preview:
        """The next ``rows`` rows after those already in ``preview``, appended to them, typed as if all were read
        at once: a value already shown never changes. When the new rows hold text that does not fit a column's
        declared type (a CSV's "n/a" on row 1,501), the column turns to text in every row, as the server sent it:
        the loaded rows are read again (from the cache) and typed with the new ones, and the notes say why."""
        import polars as pl

        dataset = preview.dataset
        query, raw, total, said = await self._read(
            dataset, rows, replace(preview.query, offset=preview.query.offset + preview.shown), progress
        )
        total = self._total(dataset, query, total, raw.height, rows)
        notes = preview.notes + tuple(n for n in said if n not in preview.notes)
        if raw.height == 0:  # none after these: they were all (a count the portal did not give is known now)
            return replace(preview, notes=notes, total=preview.total if preview.total is not None else total)
        loaded, extra = preview.frame, apply_schema(raw, dataset)
        declared = {f.name for f in dataset.fields if f.dtype != "String"}
        texts = [
            n
            for n in extra.columns
            if n in declared and n in loaded.schema and raw.schema[n] == pl.String and extra.schema[n] != pl.String
        ]
        # a column the loaded rows hold as text (it did not fit there): the new rows' text as the server sent it
        kept = [n for n in texts if loaded.schema[n] == pl.String]
        if kept:
            extra = extra.with_columns([raw[n] for n in kept])
        turned = [
            n
            for n in extra.columns
            if n in declared and n in loaded.schema and extra.schema[n] == pl.String and loaded.schema[n] != pl.String
        ]
        if turned:
            frame, again = await self._retyped(preview, raw, progress)
            notes += tuple(n for n in again if n not in notes)
        else:
            frame = pl.concat([loaded, extra], how="vertical_relaxed", rechunk=False)
        return Preview(
            frame=frame,
            total=total if total is not None else preview.total,
            dataset=dataset,
            query=preview.query,
            notes=notes,
            read_at=preview.read_at,
        )

    async def _retyped(
        self, preview: Preview, raw: pl.DataFrame, progress: Callable[[Progress], None] | None
    ) -> tuple[pl.DataFrame, list[str]]:
        """The rows of ``preview`` read again as sent, with ``raw`` (the rows after them) typed all at once, and
        what to say about the columns that turned to text because of the new rows."""
        import polars as pl

        dataset, loaded = preview.dataset, preview.frame
        _, before, _, _ = await self._read(dataset, preview.shown, preview.query, progress)
        notes: list[str] = []
        if not apply_schema(before, dataset).equals(loaded):
            notes.append(
                f"the portal's first {preview.shown:,} rows changed since they were loaded: they are shown as it "
                "sends them now"
            )
        whole = pl.concat([before, raw], how="vertical_relaxed", rechunk=False)
        del before
        frame = apply_schema(whole, dataset)
        offset = preview.query.offset
        turned = [n for n in loaded.columns if loaded.schema[n] != pl.String and frame.schema.get(n) == pl.String]
        notes += [n for n in text_notes(whole, frame, dataset, offset, only=turned) if n not in notes]
        return frame, notes

    def api_url(self, dataset: Dataset, query: Query) -> str:
        """The portal API URL that returns the rows of ``query`` (for copying into other tools)."""
        return self.portal.query_url(dataset, query)

    def rows_request(self, dataset: Dataset, query: Query) -> tuple[str, tuple[str, ...]]:
        """The rows request of ``query`` as sent, without its paging parameters, and their names (see
        :meth:`pdxtui.portals.base.Portal.rows_request`)."""
        return self.portal.rows_request(dataset, query)

    async def facet(self, dataset: Dataset, column: str, query: Query | None = None, *, limit: int = 1000) -> Any:
        """Value counts of ``column`` over the whole dataset (narrowed by the query's filter), counted by the
        portal's own group-by: a :class:`pdxtui.stats.Facet` with scope "dataset"."""
        from pdxtui.stats import facet_from_counts

        if not self.can("group"):
            raise PdxError(f"{self.label} cannot count values on the server")
        pairs, total = await self.portal.group_counts(dataset, column, query)
        nulls = sum(count for value, count in pairs if value is None)
        return facet_from_counts(
            column, [(v, c) for v, c in pairs if v is not None], total, nulls, "dataset", limit=limit
        )

    def filter_note(self) -> str:
        """One sentence on where this portal's filters and sorts run, for the help screen and the filter bar."""
        dialect = {
            "arcgis": "as an ArcGIS where clause",
            "socrata": "as SoQL ($where, $order)",
            "bundled": "over every row of the snapshot",
        }.get(self.portal.kind, "")
        label = self.label
        if self.can("filter") and self.can("sort"):
            return f"{label} filters and sorts the whole dataset itself{', ' + dialect if dialect else ''}."
        if self.can("filter"):
            return (
                f"{label} filters the whole dataset itself{', ' + dialect if dialect else ''}; "
                "sorting applies to the loaded rows only."
            )
        if self.can("sort"):
            return (
                f"{label} sorts the whole dataset itself; "
                "filters apply to the loaded rows only (+ loads more, L loads all)."
            )
        return (
            f"{label} cannot filter or sort on its server: filters and sorts apply to the loaded rows only "
            "(+ loads more, L loads all)."
        )

    def check_filter(self, dataset: Dataset, where: str) -> None:
        """A filter that parses, checked against what the portal can filter ``dataset`` by (a SQL result's duration
        column cannot be compared): :class:`pdxtui.errors.PdxError` before any row is asked for."""
        self.portal.check_filter(dataset, where)

    def can(self, feature: str) -> bool:
        """Whether the portal does ``feature`` ("sort", "filter", "group") over the whole dataset itself."""
        return feature in self.portal.capabilities

    def cache_warning(self) -> str:
        """A warning the disk cache raised while fetching ("" when none)."""
        return self.portal.cache_warning()

    async def aclose(self) -> None:
        await self.portal.aclose()
