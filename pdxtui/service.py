"""What the CLI and the UI both call: portals in, typed polars frames and model objects out.

polars and pyarrow are imported inside the functions that need them, so that importing this module stays cheap
and the UI can paint before they load.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from pdxtui.errors import PdxError
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

    @property
    def shown(self) -> int:
        return self.frame.height


def polars_dtype(name: str) -> Any:
    import polars as pl

    if name == "Datetime":
        return pl.Datetime("ms", "UTC")
    return getattr(pl, name)


def apply_schema(frame: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    """Cast columns to the types the portal declares (never guessed when the portal says)."""
    import polars as pl

    casts = []
    texts = []
    for field in dataset.fields:
        if field.name not in frame.columns:
            continue
        want = polars_dtype(field.dtype)
        have = frame.schema[field.name]
        if have == want or (isinstance(want, pl.Datetime) and isinstance(have, pl.Datetime)):
            continue
        if have in (pl.String, pl.Utf8):
            texts.append(field.name)
            casts.append(_from_text(pl.col(field.name), want))
        else:
            casts.append(pl.col(field.name).cast(want, strict=False))
    if not casts:
        return frame
    try:
        typed = frame.with_columns(casts)
    except pl.exceptions.PolarsError:  # one column that cannot be read as its type: cast the others one by one
        typed = frame
        for cast in casts:
            try:
                typed = typed.with_columns(cast)
            except pl.exceptions.PolarsError:
                continue
    if texts:
        # text that does not fit the declared type (a CSV whose later rows say "n/a" in a number column) is
        # kept as text rather than turned into nulls: nothing the portal sent is lost
        lost = typed.select([pl.col(n).null_count() for n in texts]).row(0)
        had = frame.select([pl.col(n).null_count() for n in texts]).row(0)
        keep = [n for n, after, before in zip(texts, lost, had) if after > before]
        if keep:
            typed = typed.with_columns([frame[n] for n in keep])
    return typed


_TRUTH = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
}


def _from_text(column: Any, want: Any) -> Any:
    """An expression reading text as ``want`` (values that do not parse become null)."""
    import polars as pl

    if want == pl.Date:
        return column.str.strip_chars().str.to_date(strict=False)
    if isinstance(want, pl.Datetime):
        return column.str.strip_chars().str.to_datetime(strict=False, time_unit="ms", time_zone="UTC")
    if want == pl.Boolean:
        return column.str.strip_chars().str.to_lowercase().replace_strict(_TRUTH, default=None, return_dtype=pl.Boolean)
    return column.str.strip_chars().cast(want, strict=False)


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

    async def preview(
        self,
        dataset: Dataset,
        rows: int = DEFAULT_PREVIEW_ROWS,
        query: Query | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> Preview:
        """Fetch the first ``rows`` rows matching ``query`` into one typed frame."""
        import polars as pl

        query = query or Query()
        query = Query(
            where=query.where,
            columns=query.columns,
            order=query.order,
            limit=rows,
            offset=query.offset,
            near=query.near,
        )
        frames: list[pl.DataFrame] = []
        total: int | None = None
        async for page in self.portal.pages(dataset, query, progress):
            frames.append(cast("pl.DataFrame", pl.from_arrow(page.table)))  # a Table gives a DataFrame
            if page.total is not None:
                total = page.total
        if frames:
            frame = pl.concat(frames, how="vertical_relaxed", rechunk=False)
        else:
            names = list(query.columns) or [f.name for f in dataset.fields]
            frame = pl.DataFrame({n: [] for n in names})
        frame = apply_schema(frame.head(rows), dataset)
        if total is None:
            total = dataset.rows if query.where is None and query.near is None else None
        return Preview(frame=frame, total=total, dataset=dataset, query=query)

    async def stream(
        self, dataset: Dataset, query: Query | None = None, progress: Callable[[Progress], None] | None = None
    ) -> AsyncIterator[pl.DataFrame]:
        """The rows of ``query`` page by page, each a typed frame: for exports that must not hold everything."""
        import polars as pl

        async for page in self.portal.pages(dataset, query or Query(), progress):
            yield apply_schema(cast("pl.DataFrame", pl.from_arrow(page.table)), dataset)  # a Table gives a DataFrame

    async def count(self, dataset: Dataset, query: Query | None = None) -> int:
        """How many rows match ``query`` (the whole dataset for None)."""
        query = query or Query()
        if not query.where and query.near is None and dataset.rows is not None:
            return dataset.rows
        return await self.portal.count(dataset, query)

    async def more(self, preview: Preview, rows: int, progress: Callable[[Progress], None] | None = None) -> Preview:
        """The next ``rows`` rows after those already in ``preview``, appended to them."""
        import polars as pl

        query = replace(preview.query, offset=preview.query.offset + preview.shown)
        extra = await self.preview(preview.dataset, rows=rows, query=query, progress=progress)
        if extra.shown == 0:
            return preview
        frame = pl.concat([preview.frame, extra.frame], how="vertical_relaxed", rechunk=False)
        total = extra.total if extra.total is not None else preview.total
        return Preview(frame=frame, total=total, dataset=preview.dataset, query=preview.query)

    def api_url(self, dataset: Dataset, query: Query) -> str:
        """The portal API URL that returns the rows of ``query`` (for copying into other tools)."""
        return self.portal.query_url(dataset, query)

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

    def can(self, feature: str) -> bool:
        """Whether the portal does ``feature`` ("sort", "filter", "group") over the whole dataset itself."""
        return feature in self.portal.capabilities

    def cache_warning(self) -> str:
        """A warning the disk cache raised while fetching ("" when none)."""
        return self.portal.cache_warning()

    async def aclose(self) -> None:
        await self.portal.aclose()


def estimated_bytes(frame: pl.DataFrame, rows: int | None) -> int | None:
    """A rough in-memory size for ``rows`` rows shaped like ``frame`` (for "load all" confirmations)."""
    if rows is None or frame.height == 0:
        return None
    return int(frame.estimated_size() / frame.height * rows)


def display_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``frame`` made for painting in a grid, cheaply (no pass over string data, so it stays fast at
    a million rows): datetime columns holding only midnights become dates, other datetimes lose their zone
    noise. Strings are made inert cell by cell as the grid paints them (see ``pdxtui.ui.widgets.grid``)."""
    return _readable_datetimes(frame)


def _readable_datetimes(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns that hold only midnights are shown as dates; others without their time zone (UTC)."""
    import polars as pl

    stamps = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    if not stamps:
        return frame
    midnight = frame.select(
        [(pl.col(c).dt.time().fill_null(pl.time(0)) == pl.time(0)).all().alias(c) for c in stamps]
    ).row(0)
    return frame.with_columns(
        [
            pl.col(c).dt.date() if only_dates else pl.col(c).dt.replace_time_zone(None)
            for c, only_dates in zip(stamps, midnight)
        ]
    )
