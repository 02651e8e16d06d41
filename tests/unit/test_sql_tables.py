"""The tables a query can use (issue 20): complete or not, a full load kept over a later preview, names kept."""

from __future__ import annotations

import polars as pl
import pytest

from pdxtui.errors import UsageError
from pdxtui.model import Dataset, Field
from pdxtui.sql.tables import Table, Tables, dataset_key

FIELDS = (
    Field("species", "esriFieldTypeString", "string"),
    Field("diameter", "esriFieldTypeDouble", "float"),
    Field("planted", "esriFieldTypeDate", "datetime"),
)
TREES = Dataset(id="trees-1", title="Street Trees", rows=5, fields=FIELDS)
PARKS = Dataset(id="parks-1", title="Parks", rows=3, fields=(Field("name", "esriFieldTypeString"),))


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame({"species": [f"s{i}" for i in range(n)], "diameter": [float(i) for i in range(n)]})


def test_complete_only_when_every_row_is_there_without_a_filter():
    assert Table("t", TREES, _frame(5), 5).complete
    assert Table("t", TREES, _frame(6), 5).complete  # the catalog's count lags: more rows are all of them
    assert not Table("t", TREES, _frame(4), 5).complete
    assert not Table("t", TREES, _frame(5), None).complete  # the total is not known
    assert not Table("t", TREES, _frame(5), 5, where="diameter > 1").complete
    assert not Table("t", TREES, None, 5).complete


def test_describe():
    assert Table("t", TREES, _frame(5), 5).describe() == "all 5 rows"
    assert Table("t", TREES, _frame(2), 218_000).describe() == "2 of 218,000 rows loaded"
    assert Table("t", TREES, _frame(2), 5, where="diameter > 1").describe() == "2 rows matching diameter > 1"
    assert Table("t", TREES, None, 5).describe() == "not loaded (5 rows)"
    assert Table("t", TREES, None, None).describe() == "not loaded"


def test_a_table_without_rows_has_the_datasets_columns_typed():
    empty = Table("t", TREES).rows()
    assert empty.height == 0 and empty.columns == ["species", "diameter", "planted"]
    assert empty.schema["diameter"] == pl.Float64 and isinstance(empty.schema["planted"], pl.Datetime)


def test_a_later_partial_preview_does_not_replace_a_complete_load():
    tables = Tables()
    full = tables.add(TREES, _frame(5))
    assert full.complete and full.name == "street_trees"
    kept = tables.add(TREES, _frame(2))  # the grid's first page, read again later
    assert kept is full and tables.get("street_trees").loaded == 5
    filtered = tables.add(TREES, _frame(1), where="diameter > 3")
    assert filtered is full and tables.get("street_trees").complete
    newer = Dataset(id="trees-1", title="Street Trees (renamed)", rows=6, fields=FIELDS)
    again = tables.add(newer, _frame(6))  # a complete load replaces a complete one; the name stays
    assert again.loaded == 6 and again.name == "street_trees" and len(tables) == 1


def test_a_partial_table_is_replaced_by_more_rows():
    tables = Tables()
    tables.add(TREES, _frame(2))
    assert not tables.get("STREET_TREES").complete  # any case
    tables.add(TREES, _frame(5))
    assert tables.get("street_trees").complete


def test_name_for_refuses_a_name_another_dataset_has():
    tables = Tables()
    tables.add(TREES, _frame(5), name="t")
    assert tables.name_for(TREES, "t") == "t"  # its own name again: fine
    with pytest.raises(UsageError, match="two datasets are named 'T': trees-1 and parks-1"):
        tables.name_for(PARKS, "T")
    with pytest.raises(UsageError, match="SQL keyword"):
        tables.name_for(PARKS, "select")
    assert tables.name_for(PARKS) == "parks"


def test_a_title_clash_takes_the_id_and_names_are_kept():
    tables = Tables()
    other_trees = Dataset(id="abc123_7", title="Street Trees", rows=1)
    tables.add(TREES, _frame(5))
    tables.add(other_trees, _frame(1))
    assert tables.names() == ["street_trees", "street_trees_abc123"]
    tables.add(other_trees, _frame(1))
    assert tables.names() == ["street_trees", "street_trees_abc123"]


def test_a_ckan_resource_is_its_own_table():
    one = Dataset(id="pkg", title="Budget", resource="r1")
    two = Dataset(id="pkg", title="Budget", resource="r2")
    assert dataset_key(one) == "pkg/r1" != dataset_key(two)
    tables = Tables()
    tables.add(one, _frame(1))
    tables.add(two, _frame(1))
    assert len(tables) == 2 and tables.of(two).name == "budget_pkgr2"


def test_frames_and_used_by():
    tables = Tables()
    tables.add(TREES, _frame(5))
    tables.add(PARKS, None, origin="bookmark")
    frames = tables.frames()
    assert list(frames) == ["street_trees", "parks"] and frames["parks"].height == 0
    assert list(tables.frames(["PARKS"])) == ["parks"]
    assert [t.name for t in tables.used_by("SELECT * FROM parks JOIN Street_Trees ON 1=1")] == ["parks", "street_trees"]
    assert tables.of(PARKS).origin == "bookmark"
    tables.add(PARKS, _frame(3), origin="opened")
    assert tables.of(PARKS).origin == "opened"


def test_trim_lets_the_least_recently_used_rows_go_past_the_budget_never_those_kept():
    sets = [Dataset(id=f"d{i}", title=f"D{i}", rows=10_000, fields=FIELDS) for i in range(4)]
    each = _frame(10_000).estimated_size()
    tables = Tables(budget=int(each * 3.5))
    for ds in sets:
        tables.add(ds, _frame(10_000))
    tables.frames(["d0"])  # a query used d0: it is the most recently used after d3
    dropped = tables.trim(keep=[sets[1]])  # the browser shows d1: its rows stay whatever their age
    assert [t.name for t in dropped] == ["d2"]  # d1 kept, then d2 the least recently used; d0 and d3 fit
    assert [tables.of(ds).frame is not None for ds in sets] == [True, True, False, True]
    assert tables.of(sets[2]).describe() == "not loaded (10,000 rows)" and not tables.of(sets[2]).complete
    assert tables.of(sets[2]).where is None and tables.of(sets[2]).source is None
    assert tables.frames(["d2"])["d2"].height == 0  # a query sees its columns, no rows: load-first asks for them

    small = Tables(budget=1)
    small.add(sets[0], _frame(10))
    assert small.trim(keep=[sets[0]]) == [] and small.of(sets[0]).frame is not None  # the shown rows stay
    assert [t.name for t in small.trim()] == ["d0"]
    assert Tables().budget == Tables.BUDGET and Tables(budget=None).trim() == []


def test_a_query_naming_a_table_makes_it_recently_used():
    tables = Tables(budget=int(_frame(100).estimated_size() * 1.5))
    tables.add(TREES, _frame(100))
    tables.add(PARKS, _frame(100))
    tables.frames()  # every table's rows (what a query is handed): none counts as used by that
    assert [t.name for t in tables.used_by("SELECT * FROM street_trees")] == ["street_trees"]
    assert [t.name for t in tables.trim()] == ["parks"]
