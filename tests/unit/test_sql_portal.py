"""ResultPortal: a SQL result served as a portal (pages without copies, sort, filter, group counts), and its
columns kept as polars computed them when read through the Service."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import polars as pl
import pytest

from pdxtui.errors import NotFound, PdxError
from pdxtui.model import Query
from pdxtui.service import Service
from pdxtui.sql import portal as portal_module
from pdxtui.sql.portal import ResultPortal
from pdxtui.sql.result import result_dataset


def result(frame: pl.DataFrame) -> tuple[ResultPortal, object]:
    dataset = result_dataset("SELECT * FROM t", frame, [])
    return ResultPortal(dataset, frame), dataset


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "species": ["oak", "maple", "oak", None, "ash", "maple", "oak"],
            "height": [10, 30, None, 5, 20, 30, 7],
        }
    )


def rows(portal: ResultPortal, dataset, query: Query) -> tuple[pl.DataFrame, list]:
    async def go():
        return [page async for page in portal.pages(dataset, query)]

    pages = asyncio.run(go())
    return pl.concat([p.table for p in pages]), pages


def test_pages_are_slices_of_the_frame_in_order_and_say_the_total(monkeypatch):
    monkeypatch.setattr(portal_module, "PAGE_ROWS", 3)
    portal, dataset = result(frame())
    got, pages = rows(portal, dataset, Query())
    assert got.equals(frame())
    assert [p.offset for p in pages] == [0, 3, 6] and {p.total for p in pages} == {7}
    # a page is a view of the result, not a copy of it: its values sit in the frame's own buffer, further on
    whole = portal.frame["height"].to_arrow().buffers()[1]
    page = pages[1].table["height"].to_arrow()
    assert page.offset == 3 and page.buffers()[1].address == whole.address


def test_offset_limit_and_columns():
    portal, dataset = result(frame())
    got, pages = rows(portal, dataset, Query(offset=2, limit=3, columns=("height",)))
    assert got.columns == ["height"] and got["height"].to_list() == [None, 5, 20]
    assert pages[0].offset == 2 and pages[0].total == 7


def test_sort_over_the_whole_result_nulls_last():
    portal, dataset = result(frame())
    got, _ = rows(portal, dataset, Query(order=(("height", True),), limit=4))
    assert got["height"].to_list() == [30, 30, 20, 10]
    got, _ = rows(portal, dataset, Query(order=(("height", False),)))
    assert got["height"].to_list() == [5, 7, 10, 20, 30, 30, None]


def test_filter_in_the_filter_language_and_the_count():
    portal, dataset = result(frame())
    got, pages = rows(portal, dataset, Query(where="species = oak and height > 8"))
    assert got.to_dicts() == [{"species": "oak", "height": 10}]
    assert pages[0].total == 1
    assert asyncio.run(portal.count(dataset, Query(where="species ~ MA"))) == 2
    assert asyncio.run(portal.count(dataset, Query())) == 7


def test_an_empty_selection_still_gives_the_columns():
    portal, dataset = result(frame())
    got, pages = rows(portal, dataset, Query(where="height > 1000"))
    assert got.height == 0 and got.columns == ["species", "height"] and len(pages) == 1


def test_group_counts_most_frequent_first_with_nulls_and_the_filter():
    portal, dataset = result(frame().with_columns(pl.lit(1).alias("n")))  # a column called n does not clash
    pairs, total = asyncio.run(portal.group_counts(dataset, "species"))
    assert pairs == [("oak", 3), ("maple", 2), (None, 1), ("ash", 1)] and total == 7
    pairs, total = asyncio.run(portal.group_counts(dataset, "species", Query(where="height >= 20")))
    assert pairs == [("maple", 2), ("ash", 1)] and total == 3


def test_service_facet_counts_through_the_portal():
    portal, dataset = result(frame())
    facet = asyncio.run(Service(portal).facet(dataset, "species"))
    assert facet.scope == "dataset"
    assert facet.rows == 7 and facet.nulls == 1 and facet.distinct == 3


def test_unknown_columns_datasets_and_distance_are_refused():
    portal, dataset = result(frame())
    with pytest.raises(PdxError, match="no column 'nope'"):
        rows(portal, dataset, Query(order=(("nope", True),)))
    with pytest.raises(PdxError, match="distance"):
        rows(portal, dataset, Query(near=(45.5, -122.6, 100)))
    with pytest.raises(NotFound):
        asyncio.run(portal.dataset("sql-other"))
    assert asyncio.run(portal.dataset(dataset.id)) is dataset
    with pytest.raises(PdxError, match="no column"):
        asyncio.run(portal.group_counts(dataset, "nope"))


def test_the_service_keeps_every_value_of_types_the_portals_never_send():
    """A result's columns go through Service.preview (which types a portal's columns) unchanged: a UInt64 beyond
    Int64, an exact decimal, a struct and a list keep their values (none turned into null or rounded)."""
    big = pl.DataFrame(
        {
            "count": pl.Series([2**63 + 5, 1], dtype=pl.UInt64),
            "amount": pl.Series([Decimal("0.10"), Decimal("12345678901234567.25")], dtype=pl.Decimal(38, 2)),
            "point": [{"x": 1, "y": 2}, {"x": 3, "y": None}],
            "parts": [[1, 2], []],
        }
    )
    portal, dataset = result(big)
    preview = asyncio.run(Service(portal).preview(dataset, 10))
    assert preview.frame.equals(big)
    assert preview.frame.schema == big.schema
    assert preview.total == 2


def test_a_filter_on_a_column_it_cannot_compare_is_refused_in_one_line_and_the_rows_stay():
    from datetime import time, timedelta

    odd = pl.DataFrame(
        {
            "common": ["oak", "ash", "elm"],
            "hs": [[10, 20], [5], None],
            "since": [timedelta(days=8670), None, timedelta(days=3)],
            "t": [time(12, 30)] * 3,
        }
    )
    portal, dataset = result(odd)
    for where, said in [
        ("since = 'P8670D'", "cannot filter the Duration column 'since'"),
        ("since > 3", "cannot filter the Duration column 'since'"),
        ("hs = 10", "cannot filter the List column 'hs'"),
        ("hs ~ 10", "cannot filter the List column 'hs'"),
        ("t = '12:30:00'", "cannot filter the Time column 't'"),
        ("common = oak or since = 3", "cannot filter the Duration column 'since'"),
    ]:
        with pytest.raises(PdxError, match=said) as raised:
            asyncio.run(portal.count(dataset, Query(where=where)))
        assert "\n" not in str(raised.value) and "InvalidOperation" not in str(raised.value)
        with pytest.raises(PdxError, match=said):
            rows(portal, dataset, Query(where=where))
    with pytest.raises(PdxError, match="cannot filter the Duration column 'since'"):
        portal.check_where("since = 3")  # said before any row is asked for (for the filter bar)
    assert portal.check_where("") is None and portal.check_where("since is null") is not None
    # what it can do on them: is null, and text search in a time of day
    assert asyncio.run(portal.count(dataset, Query(where="since is null"))) == 1
    assert asyncio.run(portal.count(dataset, Query(where="hs is not null"))) == 2
    assert asyncio.run(portal.count(dataset, Query(where="t ~ 12:30"))) == 3
    # the rows stay: unfiltered, every row as before
    got, _ = rows(portal, dataset, Query())
    assert got.equals(odd)
