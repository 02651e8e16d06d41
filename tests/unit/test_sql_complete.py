"""Completing table and column names (the SQL screen's Tab)."""

from __future__ import annotations

from pdxtui.sql.complete import common_prefix, complete, quoted

TABLES = {
    "street_trees": ["OBJECTID", "SPECIES", "Species_Code", "DIAMETER", "Neighborhood"],
    "neighborhoods": ["NAME", "Neighborhood", "area sq ft"],
}


def test_a_unique_prefix_becomes_the_whole_name():
    done = complete("SELECT * FROM stre", TABLES)
    assert done is not None and done.insert == "street_trees" and done.candidates == ("street_trees",)
    assert complete("SELECT DIA", TABLES).insert == "DIAMETER"


def test_several_candidates_give_their_longest_common_start_any_case_and_are_all_listed():
    done = complete("SELECT spe", TABLES)
    assert done.candidates == ("SPECIES", "Species_Code")
    assert done.insert == "SPECIES" and done.changed
    done = complete("SELECT ne", TABLES)
    assert done.candidates == ("neighborhoods", "Neighborhood")  # tables first, each name once
    assert done.insert == "neighborhood"
    done = complete("SELECT neighborhood", TABLES)  # nothing more in common: kept, the candidates listed
    assert not done.changed and len(done.candidates) == 2


def test_after_a_table_and_a_dot_only_its_columns():
    done = complete("SELECT neighborhoods.N", TABLES)
    assert done.candidates == ("NAME", "Neighborhood")
    assert complete("SELECT street_trees.N", TABLES).insert == "Neighborhood"


def test_names_that_need_quotes_are_quoted_and_an_open_quote_completes():
    assert complete("SELECT ar", TABLES).insert == '"area sq ft"'
    done = complete('SELECT "area', TABLES)
    assert done.prefix == '"area' and done.insert == '"area sq ft"'
    assert quoted('say "hi"') == '"say ""hi"""'


def test_no_word_before_the_cursor_is_none_and_no_match_says_so():
    assert complete("SELECT ", TABLES) is None
    assert complete("", TABLES) is None
    done = complete("SELECT zzz", TABLES)
    assert done is not None and done.candidates == () and not done.changed


def test_common_prefix():
    assert common_prefix(["Abc", "abd", "ABE"]) == "Ab"
    assert common_prefix([]) == ""
