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


def test_after_a_qualifier_and_a_dot_with_nothing_typed_its_columns_are_offered():
    done = complete("SELECT neighborhoods.", TABLES)
    assert done is not None and done.prefix == "" and done.candidates == ("NAME", "Neighborhood", "area sq ft")
    assert not done.changed  # (nothing in common to add: listed)
    done = complete("SELECT street_trees.", {"street_trees": ["SPECIES", "Species_Code"]})
    assert done.insert == "SPECIES"  # their common start
    assert complete('SELECT "street_trees".O', TABLES).insert == "OBJECTID"


def test_an_alias_stands_for_its_table_wherever_the_query_defines_it():
    after = " FROM street_trees AS s JOIN neighborhoods n ON s.Neighborhood = n.NAME"
    done = complete("SELECT n.", TABLES, after)
    assert done.candidates == ("NAME", "Neighborhood", "area sq ft")
    assert complete("SELECT s.N", TABLES, after).candidates == ("Neighborhood",)
    assert complete("SELECT s.D", TABLES, after).insert == "DIAMETER"
    done = complete("SELECT t.D", TABLES, " FROM neighborhoods t")  # only t's columns: DIAMETER is street_trees'
    assert done.candidates == ()
    done = complete("SELECT x.D", TABLES, " FROM street_trees")  # an unknown qualifier: no guess, and it says so
    assert done.candidates == () and done.unknown == "x"
    assert complete("SELECT s.", TABLES).unknown == "s"  # (the alias not written yet)
    assert complete("SELECT s.", TABLES, " FROM street_trees s").unknown is None
    # an alias written as a keyword is none: "FROM street_trees WHERE" does not make WHERE an alias
    assert complete("SELECT where.", TABLES, " FROM street_trees WHERE 1 = 1").candidates == ()


def test_no_names_inside_strings_or_comments():
    assert complete("SELECT * FROM street_trees WHERE SPECIES = 'stre", TABLES) is None
    assert complete("SELECT 'it''s stre", TABLES) is None
    assert complete("SELECT 1 -- stre", TABLES) is None
    assert complete("SELECT 1 /* stre", TABLES) is None
    assert complete("SELECT 1 /* x */ stre", TABLES).insert == "street_trees"
    assert complete("SELECT 1 -- x\nFROM stre", TABLES).insert == "street_trees"
    assert complete("SELECT '\"' AS q, stre", TABLES).insert == "street_trees"  # (a quote in a string opens nothing)


def test_a_keyword_no_name_starts_with_is_no_word_to_complete():
    assert complete("SELECT * FROM street_trees ORDER BY DIAMETER DESC", TABLES) is None
    assert complete("SELECT * FROM street_trees GROUP BY", TABLES) is None
    assert complete("SELECT * FROM street_trees GROUP by", TABLES) is None
    done = complete("SELECT AS", {"t": ["ASSET"]})  # a name starting with it is still offered
    assert done.insert == "ASSET"
