"""Hub items that are CSV files: the item's bytes (``{portal}/sharing/rest/content/items/{id}/data``) read whole,
typed as CKAN's CSV resources are (``pdxtui.portals.csvtable``), kept for a few items and sliced into pages."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from pdxtui.errors import PdxError, PortalError
from pdxtui.model import Dataset, Page, Progress, Query
from pdxtui.portals.arcgis.layer import _Plan
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.csvtable import csv_fields, local_rows, parse_csv
from pdxtui.portals.network import NetworkPortal, check_columns, context

PAGE_ROWS = 1000  # rows per page of a CSV item (the whole file is in memory)
MAX_ITEMS = 4  # CSV items kept parsed in memory


class CSVItems(NetworkPortal[_Plan]):
    """What ArcGISPortal does with CSV items (ArcGISPortal subclasses this)."""

    _csv_items: OrderedDict[str, Any]  # item id -> its parsed file, most recently used last

    def _csv_tables(self) -> OrderedDict[str, Any]:
        return self._csv_items

    async def _csv_item(self, ident: str, url: str, title: str) -> Any:
        """The CSV item at ``url`` as a typed pyarrow Table; a refusal (403), a sign-in page after a redirect or
        a file that is not CSV raises one line that says so."""
        tables = self._csv_tables()
        table = tables.get(ident)
        if table is not None:
            tables.move_to_end(ident)
            return table
        doing = f"downloading the CSV file of {title}"

        def parse(body: bytes, content_type: str) -> Any:
            if "html" in content_type.lower():
                raise PortalError(f"{doing}: the server sent a web page (HTML), not CSV (is it public?)")
            try:
                return parse_csv(body)
            except PdxError as exc:
                raise PortalError(f"{doing}: {exc}") from None

        with context(doing):
            _, table = await self.fetcher.get_parsed(url, None, parse, kind="rows", refresh=self.refresh, offload=True)
        self._note(self.fetcher.state)
        tables[ident] = table
        while len(tables) > MAX_ITEMS:
            tables.popitem(last=False)
        return table

    @staticmethod
    def _is_csv_item(dataset: Dataset) -> bool:
        """A CSV item's rows come from the item's data URL (a layer's from its ``/query``)."""
        return dataset.api_url.endswith("/data") and "/sharing/rest/content/items/" in dataset.api_url

    async def _csv_item_table(self, dataset: Dataset, query: Query) -> Any:
        table = self._csv_tables().get(dataset.id)
        if table is None:
            await self.dataset(dataset.id)  # reads the file again (from the cache, usually)
            table = self._csv_tables().get(dataset.id)
        if table is None:
            raise PdxError(f"{dataset.title}: the CSV file could not be read")
        fields = csv_fields(table)
        check_columns(query, fields, dataset.title)
        if query.near is not None:
            raise PdxError(f"{dataset.title} has no point locations, so it cannot be filtered by distance")
        return await asyncio.to_thread(local_rows, table, fields, query)

    async def _csv_item_pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None
    ) -> AsyncIterator[Page]:
        table = await self._csv_item_table(dataset, query)
        total = table.num_rows
        stop = total if query.limit is None else min(total, query.offset + query.limit)
        start = min(query.offset, stop)
        if query.columns:
            table = table.select(list(query.columns))
        pages = 0
        for offset in range(start, stop, PAGE_ROWS):
            chunk = table.slice(offset, min(PAGE_ROWS, stop - offset))
            pages += 1
            if progress is not None:
                progress(Progress(rows=offset + chunk.num_rows - start, total=stop - start, pages=pages))
            yield Page(table=chunk, offset=offset, total=total)
        if pages == 0:
            if progress is not None:
                progress(Progress(rows=0, total=0, pages=1))
            yield Page(table=table.slice(0, 0), offset=start, total=total)

    async def _csv_item_counts(
        self, dataset: Dataset, column: str, query: Query | None
    ) -> tuple[list[tuple[Any, int]], int]:
        """(value, count) pairs of ``column`` over the whole file (narrowed by the query's filter), most frequent
        first, and the rows counted: the file is in memory, so this is counted here."""
        import polars as pl

        table = await self._csv_item_table(dataset, Query(where=query.where if query else None))
        if column not in table.column_names:
            raise PdxError(f"no column {column!r} in {dataset.title}")
        frame = pl.DataFrame(pl.from_arrow(table.select([column])))
        counts = frame.group_by(column, maintain_order=True).len().sort("len", descending=True, maintain_order=True)
        pairs = [(value, int(count)) for value, count in counts.iter_rows()]
        return pairs, table.num_rows
