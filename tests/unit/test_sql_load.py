"""``pdxtui.sql.load.all_rows`` types every row as the grid does: the portal's declared types over all the rows
at once, so that a later page whose text does not fit (a CSV or Socrata column that says "n/a" on page 40)
leaves the column as the text the server sent, in every page, as the grid shows it."""

from __future__ import annotations

import pyarrow as pa

from pdxtui.model import Dataset, Facets, FetchState, Field, Page, SearchResult
from pdxtui.portals.base import Portal
from pdxtui.service import Service
from pdxtui.sql.load import all_rows

FIELDS = (Field("amount", "number", "float"), Field("day", "calendar_date", "date"), Field("n", "number", "integer"))
PAGES = [
    {"amount": ["12.50", "3", "4"], "day": ["2024-01-01", "2024-01-02", None], "n": ["1", "2", "3"]},
    {"amount": ["n/a", "5.25", "7"], "day": ["2024-01-04", "soon", "2024-01-06"], "n": ["4", "5", "6"]},
]


class PagedPortal(Portal):
    """Text pages, as a CSV file or Socrata's JSON rows arrive."""

    kind = "socrata"
    name = label = "paged"

    def __init__(self, pages=PAGES) -> None:
        self._pages = pages
        self.ds = Dataset(id="paged", title="Paged", fields=FIELDS, rows=sum(len(p["n"]) for p in pages))

    @property
    def state(self) -> FetchState:
        return FetchState(source="network")

    async def search(self, request):
        return SearchResult(hits=(), total=0)

    async def facets(self):
        return Facets()

    async def dataset(self, dataset_id):
        return self.ds

    async def count(self, dataset, query=None):
        return self.ds.rows

    async def pages(self, dataset, query, progress=None):
        offset = 0
        for rows in self._pages:
            yield Page(table=pa.table(rows), offset=offset, total=self.ds.rows)
            offset += len(rows["n"])


async def test_every_row_typed_as_the_grid_types_it():
    service = Service(PagedPortal())
    loaded = await all_rows(service, service.portal.ds)
    grid = (await service.preview(service.portal.ds, rows=1000)).frame
    assert loaded.schema == grid.schema
    assert loaded.equals(grid)
    # what did not fit stays as sent ("12.50", not "12.5"; "3", not "3.0"); what fits is typed
    assert loaded["amount"].to_list() == ["12.50", "3", "4", "n/a", "5.25", "7"]
    assert loaded["day"].to_list()[4] == "soon" and str(loaded.schema["n"]) == "Int64"


async def test_no_rows_is_an_empty_table_with_the_columns():
    service = Service(PagedPortal(pages=[]))
    loaded = await all_rows(service, service.portal.ds)
    assert loaded.height == 0 and loaded.columns == ["amount", "day", "n"]
    assert str(loaded.schema["n"]) == "Int64"
