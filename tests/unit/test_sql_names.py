"""Table names (issue 20): short, stable, readable, and always usable in polars SQL without quoting."""

from __future__ import annotations

import polars as pl
import pytest

from pdxtui.errors import UsageError
from pdxtui.sql.names import MAX_NAME, RESERVED, assign, check_name, slug, table_name


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Street Tree Inventory", "street_tree_inventory"),
        ("Café Ñandú Façades", "cafe_nandu_facades"),  # accents folded
        ("Árboles — Öffentliche Bäume", "arboles_offentliche_baume"),
        ("Straßenbäume in Łódź", "strassenbaume_in_lodz"),
        ("311 Service Requests", "t_311_service_requests"),  # never starting with a digit
        ("2024", "t_2024"),
        ("City of Portland Parks", "parks"),  # fillers dropped when other words remain
        ("The Data", "the_data"),  # ... and kept when nothing else would
        ("Order", "order_data"),  # never a keyword
        ("SELECT", "select_data"),
        ("Parks (2019–2024): Trees & Shrubs!", "parks_2019_2024_trees_shrubs"),
        ("桜の木", "dataset"),  # no usable word: the id's, else "dataset"
    ],
)
def test_names_from_titles(title, name):
    assert table_name(title) == name


def test_a_title_without_words_takes_the_ids():
    assert table_name("桜の木", "abcd-1234") == "abcd_1234"
    assert table_name("", "9f50a605cf_125") == "t_9f50a605cf_125"


def test_a_long_title_is_cut_at_a_word():
    name = table_name("Sanitary Sewer Manholes and Cleanouts Maintained by Environmental Services")
    assert name == "sanitary_sewer_manholes_and"
    assert len(name) <= MAX_NAME
    one_word = table_name("Supercalifragilisticexpialidocious" * 3)
    assert len(one_word) == MAX_NAME and one_word.startswith("supercalifragilistic")


@pytest.mark.parametrize(
    "word",
    [
        "user",
        "top",
        "trim",
        "struct",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "session_user",
        "current_catalog",
        "localtime",
        "localtimestamp",
        "interval",
        "table",
        "lateral",
        "date",
        "year",
        "sample",
    ],
)
def test_every_name_works_unquoted_in_the_usual_queries(word):
    """A dataset titled "User" or "Top" gets a name polars SQL reads as a table in every place a query puts it."""
    name = table_name(word.replace("_", " ").title())
    frames = {name: pl.LazyFrame({"a": [1]}), "other": pl.LazyFrame({"a": [1]})}
    for sql in (
        f"SELECT * FROM {name} LIMIT 1",
        f"SELECT {name}.a FROM {name} JOIN other ON {name}.a = other.a",
        f"SELECT a, count(*) FROM {name} GROUP BY a",
        f"SELECT * FROM other WHERE a IN (SELECT a FROM {name})",
    ):
        assert pl.SQLContext(frames).execute(sql).collect().height == 1, (name, sql)


def test_clashes_add_the_ids_start_then_a_number():
    names = assign([("abc-123", "Parks"), ("def-456", "Parks"), ("def-456x", "PARKS")])
    assert names == {"abc-123": "parks", "def-456": "parks_def456", "def-456x": "parks_def456_2"}


def test_a_name_is_stable_whatever_came_first_when_there_is_no_clash():
    alone = assign([("t1", "Street Trees")])
    after_others = assign([("p1", "Parks"), ("n1", "Neighborhoods"), ("t1", "Street Trees")])
    assert alone["t1"] == after_others["t1"] == "street_trees"


def test_a_name_once_given_is_kept():
    first = assign([("a", "Parks")])
    later = assign([("b", "Parks"), ("a", "Parks")], taken=first)
    assert later == {"a": "parks", "b": "parks_b"}


def test_clashes_ignore_case():
    names = assign([("x", "Parks")], taken={"y": "PARKS"})
    assert names["x"] == "parks_x"


def test_check_name():
    assert check_name("street_trees") == "street_trees"
    assert check_name("_t2") == "_t2"
    for bad in ("2trees", "street-trees", "street trees", "", "trees;", "ärbol"):
        with pytest.raises(UsageError, match="cannot be a table name"):
            check_name(bad)
    with pytest.raises(UsageError, match="SQL keyword"):
        check_name("Group")
    with pytest.raises(UsageError, match="SQL keyword"):
        check_name("user")


def test_every_reserved_word_is_lower_case_and_a_slug():
    assert all(word == slug(word) for word in RESERVED)
