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

    def __init__(self, pages=PAGES, *, counted: bool = True) -> None:
        self._pages = pages
        self.rows = sum(len(p["n"]) for p in pages)
        self.counted = counted  # False: a server that will not count (no total with the rows, none in the metadata)
        self.ds = Dataset(id="paged", title="Paged", fields=FIELDS, rows=self.rows if counted else None)

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
            end = offset + len(rows["n"])
            if end > query.offset:
                page = pa.table(rows).slice(max(0, query.offset - offset))
                yield Page(table=page, offset=max(offset, query.offset), total=self.ds.rows)
            offset = end


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


async def test_rows_read_to_their_end_are_all_the_rows_when_the_server_will_not_count():
    from pdxtui.sql.load import add_preview
    from pdxtui.sql.tables import Tables

    service = Service(PagedPortal(counted=False))
    ds = service.portal.ds
    first = await service.preview(ds, rows=4)  # 4 of an unknown number
    assert first.shown == 4 and first.total is None
    assert not add_preview(Tables(), first, service).complete
    everything = await service.more(first, 10**12)  # "load all" (L) when the count is unknown
    assert everything.shown == 6 and everything.total == 6  # fewer rows than asked came: that was the end
    table = add_preview(Tables(), everything, service)
    assert table.complete and table.describe() == "all 6 rows"
    assert (await service.preview(ds, rows=100)).total == 6
    exactly = await service.preview(ds, rows=6)  # as many as asked: more may follow
    assert exactly.total is None
    assert (await service.more(exactly, 1000)).total == 6  # none did
