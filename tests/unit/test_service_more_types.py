"""``Service.more`` (the grid's ``+`` and ``L``) never changes a value the grid already shows: rows added later are
typed together with the rows loaded, so that a later page whose text does not fit a column's declared type (a CSV
or Socrata column that says "n/a" on row 1,501) leaves the whole column as the text the server sent ("12.50", not
"12.5"; "3", not "3.0"), and the preview says why the column turned to text."""

from __future__ import annotations

from pdxtui.model import Query
from pdxtui.service import Service
from tests.unit.test_sql_load_types import PagedPortal

LATER_TEXT = [
    {"amount": ["12.50", "3", "4"], "day": ["2024-01-01", "2024-01-02", None], "n": ["1", "2", "3"]},
    {"amount": ["n/a", "5.25", "7"], "day": ["2024-01-04", "soon", "2024-01-06"], "n": ["4", "5", "6"]},
]
EARLY_TEXT = [
    {"amount": ["n/a", "12.50", "3"], "day": ["2024-01-01", "2024-01-02", None], "n": ["1", "2", "3"]},
    {"amount": ["4.50", "5", "6"], "day": ["2024-01-04", "2024-01-05", "2024-01-06"], "n": ["4", "5", "6"]},
]
FITTING = [
    {"amount": ["12.50", "3", "4"], "day": ["2024-01-01", "2024-01-02", None], "n": ["1", "2", "3"]},
    {"amount": ["4.50", "5", "6"], "day": ["2024-01-04", "2024-01-05", "2024-01-06"], "n": ["4", "5", "6"]},
]


async def _paged(pages, first: int):
    service = Service(PagedPortal(pages))
    ds = service.portal.ds
    loaded = await service.preview(ds, rows=first)
    return service, loaded, await service.more(loaded, 1000), (await service.preview(ds, rows=1000)).frame


async def test_later_text_leaves_the_loaded_values_as_sent():
    for first in (3, 2):  # more after a page, or in the middle of one
        _, loaded, more, whole = await _paged(LATER_TEXT, first)
        assert str(loaded.frame.schema["amount"]) == "Float64"  # the first rows fit
        assert more.frame["amount"].to_list() == ["12.50", "3", "4", "n/a", "5.25", "7"]
        assert more.frame["day"].to_list()[4] == "soon" and more.frame["day"].to_list()[0] == "2024-01-01"
        assert str(more.frame.schema["n"]) == "Int64"
        assert more.frame.equals(whole)  # as if read at once
        assert more.total == 6 and more.read_at == loaded.read_at
        said = [n for n in more.notes if "amount" in n]
        assert said == ["column amount holds text from row 4 on ('n/a'): shown as text"], more.notes
        assert any("column day holds text from row 5 on ('soon')" in n for n in more.notes), more.notes


async def test_rows_added_to_a_text_column_stay_as_sent():
    _, loaded, more, whole = await _paged(EARLY_TEXT, 3)
    assert loaded.frame["amount"].to_list() == ["n/a", "12.50", "3"]
    assert more.frame["amount"].to_list() == ["n/a", "12.50", "3", "4.50", "5", "6"]  # not "4.5", "5.0"
    assert str(more.frame.schema["day"]) == "Date"
    assert more.frame.equals(whole)


async def test_rows_that_fit_are_typed_and_appended():
    _, _, more, whole = await _paged(FITTING, 3)
    assert str(more.frame.schema["amount"]) == "Float64"
    assert more.frame["amount"].to_list() == [12.5, 3.0, 4.0, 4.5, 5.0, 6.0]
    assert more.frame.equals(whole) and not [n for n in more.notes if "text" in n]


class Counted(PagedPortal):
    """Counts the reads, and can change its rows between them (a dataset updated while the grid shows it)."""

    def __init__(self, pages) -> None:
        super().__init__(pages)
        self.reads = 0

    async def pages(self, dataset, query, progress=None):
        self.reads += 1
        async for page in super().pages(dataset, query, progress):
            yield page


async def test_the_loaded_rows_are_read_again_only_when_a_column_turns_to_text():
    for pages, reads in ((FITTING, 2), (EARLY_TEXT, 2), (LATER_TEXT, 3)):
        portal = Counted(pages)
        service = Service(portal)
        await service.more(await service.preview(portal.ds, rows=3), 1000)
        assert portal.reads == reads


async def test_rows_changed_on_the_server_are_said():
    portal = Counted([dict(p) for p in LATER_TEXT])
    service = Service(portal)
    loaded = await service.preview(portal.ds, rows=3)
    portal._pages[0] = {**LATER_TEXT[0], "amount": ["12.75", "3", "4"]}
    more = await service.more(loaded, 1000)
    assert more.frame["amount"].to_list() == ["12.75", "3", "4", "n/a", "5.25", "7"]
    assert "the portal's first 3 rows changed since they were loaded: they are shown as it sends them now" in more.notes


async def test_the_first_rows_say_which_column_holds_text():
    service = Service(PagedPortal(EARLY_TEXT))
    first = await service.preview(service.portal.ds, rows=3)
    assert first.notes == ("column amount holds text from row 1 on ('n/a'): shown as text",)
    later = await service.preview(service.portal.ds, rows=3, query=Query(offset=3))
    assert later.notes == ()


async def test_rows_filtered_and_sorted_here_are_typed_all_at_once():
    """A portal that cannot filter or sort (a CKAN CSV resource): each page is typed to be filtered, and the rows
    kept are typed together, so that a later page's "n/a" does not rewrite an earlier page's numbers."""
    service = Service(PagedPortal(LATER_TEXT))
    ds = service.portal.ds
    kept = await service.preview_here(ds, 10, Query(where="n >= 2", order=(("n", False),)))
    assert kept.frame["amount"].to_list() == ["3", "4", "n/a", "5.25", "7"]
    assert kept.frame["n"].to_list() == [2, 3, 4, 5, 6] and kept.total == 5
    first = await service.preview_here(ds, 2, Query(where="n >= 1", columns=("amount",)))  # stops early: typed
    assert first.frame["amount"].to_list() == [12.5, 3.0] and first.frame.columns == ["amount"]


async def test_a_look_types_every_row_at_once(tmp_path):
    from pdxtui.memory.look import look
    from pdxtui.memory.store import Memory

    service = Service(PagedPortal(LATER_TEXT))
    seen = await look(service, service.portal.ds, Memory(tmp_path / "memory"), "p")
    assert seen.frame is not None and seen.frame["amount"].to_list() == ["12.50", "3", "4", "n/a", "5.25", "7"]


async def test_a_filter_here_compares_a_column_kept_as_text_by_what_its_values_read_as():
    """A number or a date compared with a column kept as text (the grid's filter on the loaded rows, when the
    portal cannot filter): the values that read as numbers (dates) compare as such, the others match nothing;
    never a polars error (the grid's filter would have ended the app)."""
    from pdxtui.filters import parse, to_polars

    service = Service(PagedPortal(LATER_TEXT))
    ds = service.portal.ds
    rows = (await service.more(await service.preview(ds, rows=3), 1000)).frame
    assert rows.schema["amount"] == rows.schema["day"]  # both text

    def kept(where: str) -> list[int]:
        return rows.filter(to_polars(parse(where, ds.fields), rows.schema))["n"].to_list()

    assert kept("amount > 4") == [1, 5, 6]
    assert kept("amount = 12.5") == [1]
    assert kept("amount != 3") == [1, 3, 5, 6]  # "n/a" is not a number: it matches no comparison
    assert kept("day >= '2024-01-02'") == [2, 4, 6]
    assert kept("amount is null") == []
    here = await service.preview_here(ds, 10, Query(where="amount >= 5"))  # page 1 typed, page 2 text
    assert here.frame["n"].to_list() == [1, 5, 6]
    assert here.frame["amount"].to_list() == [12.5, 5.25, 7.0]  # no "n/a" among the rows kept: numbers


async def test_an_export_writes_every_value_as_sent_when_a_page_holds_text(tmp_path):
    """An export writes page by page: a column that turns to text on a later page is written again from the
    first row as text (the file never mixes "12.5" with "n/a", nor fails half-way); one that is text on the
    first page stays the text sent on every later page ("4.50", not "4.5")."""
    import json

    import polars as pl

    from pdxtui.export import ExportOptions
    from pdxtui.export.api import export_query

    said: list[str] = []
    for pages, amounts in ((LATER_TEXT, ["12.50", "3", "4", "n/a", "5.25", "7"]), (EARLY_TEXT, None)):
        service = Service(PagedPortal(pages))
        said.clear()
        for ext in ("csv", "parquet", "json"):
            path = tmp_path / f"rows.{ext}"
            options = ExportOptions(overwrite=True, provenance=False)
            await export_query(service, service.portal.ds, path, options, progress=lambda p: said.append(p.message))
            if ext == "csv":
                got = pl.read_csv(path, infer_schema=False)["amount"].to_list()
            elif ext == "parquet":
                got = pl.read_parquet(path)["amount"].to_list()
            else:
                got = [row["amount"] for row in json.loads(path.read_text())]
            assert got == (amounts or [p for page in pages for p in page["amount"]]), (ext, got)
        if pages is LATER_TEXT:
            assert "column amount holds text from row 4 on ('n/a'): shown as text" in " ".join(said), said
    some = tmp_path / "some.csv"  # a filter run here over a column kept as text
    here = await export_query(service, service.portal.ds, some, query=Query(where="amount > 4"))
    assert here.rows == 4 and pl.read_csv(some, infer_schema=False)["n"].to_list() == ["2", "4", "5", "6"]
