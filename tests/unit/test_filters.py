"""The filter language (pdxtui/filters/): parsing, errors, each portal's translation, and local evaluation.

The property tests hold the translators to independent checks: a small SQL string-literal scanner written here
(quoting), a row-by-row reference evaluation in plain Python (polars), and the fake ArcGIS portal's own where
clause engine (tests/support/fakeportal/expressions.py) running our ArcGIS clauses."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdxtui.errors import UsageError
from pdxtui.filters import (
    HELP,
    And,
    CkanFilter,
    Compare,
    FilterError,
    IsNull,
    Not,
    NotServerSide,
    Or,
    caret,
    columns,
    describe,
    parse,
    server_part,
    to_arcgis,
    to_ckan,
    to_polars,
    to_soql,
    to_text,
)
from pdxtui.model import Field
from tests.support.fakeportal.expressions import compile_where

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
FRAMES = settings(SETTINGS, max_examples=60)  # random frames are slower to draw

CONDITION = ((1, "Good"), (2, "Fair"), (3, "Poor"), (4, "Dead"))
FIELDS = (
    Field("OBJECTID", "esriFieldTypeOID", "integer"),
    Field("SPECIES", "esriFieldTypeString", "string", alias="Species"),
    Field("COMMON", "esriFieldTypeString", "string", alias="Common name"),
    Field("DIAMETER", "esriFieldTypeDouble", "float"),
    Field("TREEID", "esriFieldTypeInteger", "integer"),
    Field("Condition", "esriFieldTypeSmallInteger", "string", domain=CONDITION),
    Field("Ownership", "esriFieldTypeString", "string", domain=(("PUB", "Public"), ("PVT", "Private"))),
    Field("DATE_DESIG", "esriFieldTypeDate", "datetime"),
    Field("PLANTED", "esriFieldTypeDateOnly", "date"),
    Field("Native", "boolean", "boolean"),
    Field("Site Type", "text", "string"),
    Field("latitude", "esriFieldTypeDouble", "float", "Latitude", derived=True),
    Field("Shape", "esriFieldTypeGeometry", "geometry"),
)


def p(text: str):
    return parse(text, FIELDS)


# -- forms and translations -------------------------------------------------------------------------------------

EQ_CKAN = object()  # marker: "not exact" for CKAN

CASES = [
    # text, node, arcgis, soql, describe
    (
        "SPECIES ~ maple",
        Compare("SPECIES", "~", "maple"),
        "UPPER(SPECIES) LIKE '%MAPLE%'",
        "upper(SPECIES) like '%MAPLE%'",
        'SPECIES contains "maple"',
    ),
    (
        "SPECIES !~ maple",
        Compare("SPECIES", "!~", "maple"),
        "UPPER(SPECIES) NOT LIKE '%MAPLE%'",
        "upper(SPECIES) not like '%MAPLE%'",
        'SPECIES does not contain "maple"',
    ),
    ("DIAMETER > 30", Compare("DIAMETER", ">", 30), "DIAMETER > 30", "DIAMETER > 30", "DIAMETER is greater than 30"),
    (
        "DIAMETER >= 30.5",
        Compare("DIAMETER", ">=", 30.5),
        "DIAMETER >= 30.5",
        "DIAMETER >= 30.5",
        "DIAMETER is at least 30.5",
    ),
    ("DIAMETER < -2", Compare("DIAMETER", "<", -2), "DIAMETER < -2", "DIAMETER < -2", "DIAMETER is less than -2"),
    (
        "DIAMETER <= 1e3",
        Compare("DIAMETER", "<=", 1000.0),
        "DIAMETER <= 1000.0",
        "DIAMETER <= 1000.0",
        "DIAMETER is at most 1000.0",
    ),
    ("TREEID != 7", Compare("TREEID", "!=", 7), "TREEID <> 7", "TREEID != 7", "TREEID is not 7"),
    ("TREEID <> 7", Compare("TREEID", "!=", 7), "TREEID <> 7", "TREEID != 7", "TREEID is not 7"),
    ("TREEID = 7", Compare("TREEID", "=", 7), "TREEID = 7", "TREEID = 7", "TREEID is 7"),
    (
        "Condition = Good",
        Compare("Condition", "=", "Good"),
        "Condition = 1",
        "Condition = 'Good'",
        'Condition is "Good"',
    ),
    (
        "condition = poor",
        Compare("Condition", "=", "Poor"),
        "Condition = 3",
        "Condition = 'Poor'",
        'Condition is "Poor"',
    ),
    ("Condition = 2", Compare("Condition", "=", "Fair"), "Condition = 2", "Condition = 'Fair'", 'Condition is "Fair"'),
    (
        "Condition != Dead",
        Compare("Condition", "!=", "Dead"),
        "Condition <> 4",
        "Condition != 'Dead'",
        'Condition is not "Dead"',
    ),
    (
        "Condition ~ a",
        Compare("Condition", "~", "a"),
        "Condition IN (2, 4)",
        "upper(Condition) like '%A%'",
        'Condition contains "a"',
    ),
    (
        "Condition !~ oo",
        Compare("Condition", "!~", "oo"),
        "Condition NOT IN (1, 3)",
        "upper(Condition) not like '%OO%'",
        'Condition does not contain "oo"',
    ),
    (
        "Condition ~ zzz",
        Compare("Condition", "~", "zzz"),
        "Condition <> Condition",
        "upper(Condition) like '%ZZZ%'",
        'Condition contains "zzz"',
    ),
    (
        "Ownership = public",
        Compare("Ownership", "=", "Public"),
        "Ownership = 'PUB'",
        "Ownership = 'Public'",
        'Ownership is "Public"',
    ),
    (
        "Ownership = PVT",
        Compare("Ownership", "=", "Private"),
        "Ownership = 'PVT'",
        "Ownership = 'Private'",
        'Ownership is "Private"',
    ),
    (
        "DATE_DESIG >= 2010-01-01",
        Compare("DATE_DESIG", ">=", date(2010, 1, 1)),
        "DATE_DESIG >= timestamp '2010-01-01 00:00:00'",
        "DATE_DESIG >= '2010-01-01T00:00:00'",
        "DATE_DESIG is on or after 2010-01-01",
    ),
    (
        "DATE_DESIG > 2010-01-01",
        Compare("DATE_DESIG", ">", date(2010, 1, 1)),
        "DATE_DESIG >= timestamp '2010-01-02 00:00:00'",
        "DATE_DESIG >= '2010-01-02T00:00:00'",
        "DATE_DESIG is after 2010-01-01",
    ),
    (
        "DATE_DESIG <= 2010-01-01",
        Compare("DATE_DESIG", "<=", date(2010, 1, 1)),
        "DATE_DESIG < timestamp '2010-01-02 00:00:00'",
        "DATE_DESIG < '2010-01-02T00:00:00'",
        "DATE_DESIG is on or before 2010-01-01",
    ),
    (
        "DATE_DESIG < 2010-01-01",
        Compare("DATE_DESIG", "<", date(2010, 1, 1)),
        "DATE_DESIG < timestamp '2010-01-01 00:00:00'",
        "DATE_DESIG < '2010-01-01T00:00:00'",
        "DATE_DESIG is before 2010-01-01",
    ),
    (
        "DATE_DESIG = 2010-01-01",
        Compare("DATE_DESIG", "=", date(2010, 1, 1)),
        "(DATE_DESIG >= timestamp '2010-01-01 00:00:00' AND DATE_DESIG < timestamp '2010-01-02 00:00:00')",
        "(DATE_DESIG >= '2010-01-01T00:00:00' AND DATE_DESIG < '2010-01-02T00:00:00')",
        "DATE_DESIG is on 2010-01-01",
    ),
    (
        "DATE_DESIG != 2010-01-01",
        Compare("DATE_DESIG", "!=", date(2010, 1, 1)),
        "(DATE_DESIG < timestamp '2010-01-01 00:00:00' OR DATE_DESIG >= timestamp '2010-01-02 00:00:00')",
        "(DATE_DESIG < '2010-01-01T00:00:00' OR DATE_DESIG >= '2010-01-02T00:00:00')",
        "DATE_DESIG is not on 2010-01-01",
    ),
    (
        "DATE_DESIG < 2010-01-01T09:30",
        Compare("DATE_DESIG", "<", datetime(2010, 1, 1, 9, 30)),
        "DATE_DESIG < timestamp '2010-01-01 09:30:00'",
        "DATE_DESIG < '2010-01-01T09:30:00'",
        "DATE_DESIG is before 2010-01-01 09:30 UTC",
    ),
    (
        "DATE_DESIG = '2010-01-01 09:30:15'",
        Compare("DATE_DESIG", "=", datetime(2010, 1, 1, 9, 30, 15)),
        "DATE_DESIG = timestamp '2010-01-01 09:30:15'",
        "DATE_DESIG = '2010-01-01T09:30:15'",
        "DATE_DESIG is 2010-01-01 09:30:15 UTC",
    ),
    (
        "DATE_DESIG >= 2010-01-01T02:00-08:00",
        Compare("DATE_DESIG", ">=", datetime(2010, 1, 1, 10, 0)),
        "DATE_DESIG >= timestamp '2010-01-01 10:00:00'",
        "DATE_DESIG >= '2010-01-01T10:00:00'",
        "DATE_DESIG is at or after 2010-01-01 10:00 UTC",
    ),
    (
        "PLANTED = 0005-03-04",
        Compare("PLANTED", "=", date(5, 3, 4)),
        "PLANTED = DATE '0005-03-04'",
        "PLANTED = '0005-03-04T00:00:00'",
        "PLANTED is on 0005-03-04",
    ),
    ("Native = yes", Compare("Native", "=", True), "Native = 1", "Native = true", "Native is true"),
    ("Native != FALSE", Compare("Native", "!=", False), "Native <> 0", "Native != false", "Native is not false"),
    (
        "COMMON = 'Giant sequoia'",
        Compare("COMMON", "=", "Giant sequoia"),
        "COMMON = 'Giant sequoia'",
        "COMMON = 'Giant sequoia'",
        'COMMON is "Giant sequoia"',
    ),
    (
        "COMMON = 'O''Bryant'",
        Compare("COMMON", "=", "O'Bryant"),
        "COMMON = 'O''Bryant'",
        "COMMON = 'O''Bryant'",
        'COMMON is "O\'Bryant"',
    ),
    (
        "COMMON = 'O\\'Bryant'",
        Compare("COMMON", "=", "O'Bryant"),
        "COMMON = 'O''Bryant'",
        "COMMON = 'O''Bryant'",
        'COMMON is "O\'Bryant"',
    ),
    (
        'COMMON = "say \\"hi\\""',
        Compare("COMMON", "=", 'say "hi"'),
        "COMMON = 'say \"hi\"'",
        "COMMON = 'say \"hi\"'",
        'COMMON is "say \\"hi\\""',
    ),
    (
        'COMMON = "a""b\\\\c\\d"',
        Compare("COMMON", "=", 'a"b\\c\\d'),
        "COMMON = 'a\"b\\c\\d'",
        "COMMON = 'a\"b\\c\\d'",
        'COMMON is "a\\"b\\\\c\\\\d"',
    ),
    ("COMMON = 30", Compare("COMMON", "=", "30"), "COMMON = '30'", "COMMON = '30'", 'COMMON is "30"'),
    ("COMMON = ''", Compare("COMMON", "=", ""), "COMMON = ''", "COMMON = ''", 'COMMON is ""'),
    ("COMMON < Elm", Compare("COMMON", "<", "Elm"), "COMMON < 'Elm'", "COMMON < 'Elm'", 'COMMON is less than "Elm"'),
    ("COMMON = 'and'", Compare("COMMON", "=", "and"), "COMMON = 'and'", "COMMON = 'and'", 'COMMON is "and"'),
    (
        "SPECIES ~ 'Acer sp.'",
        Compare("SPECIES", "~", "Acer sp."),
        "UPPER(SPECIES) LIKE '%ACER SP.%'",
        "upper(SPECIES) like '%ACER SP.%'",
        'SPECIES contains "Acer sp."',
    ),
    (
        "SPECIES ~ '100%_x\\y'",
        Compare("SPECIES", "~", "100%_x\\y"),
        "UPPER(SPECIES) LIKE '%100\\%\\_X\\\\Y%' ESCAPE '\\'",
        None,
        'SPECIES contains "100%_x\\\\y"',
    ),
    (
        "NOTES_ALIAS is null".replace("NOTES_ALIAS", "SPECIES"),
        IsNull("SPECIES", False),
        "SPECIES IS NULL",
        "SPECIES IS NULL",
        "SPECIES has no value",
    ),
    (
        "species IS NOT NULL",
        IsNull("SPECIES", True),
        "SPECIES IS NOT NULL",
        "SPECIES IS NOT NULL",
        "SPECIES has a value",
    ),
    ("`Site Type` = park", Compare("Site Type", "=", "park"), None, "`Site Type` = 'park'", 'Site Type is "park"'),
    (
        "`common name` ~ oak",
        Compare("COMMON", "~", "oak"),
        "UPPER(COMMON) LIKE '%OAK%'",
        "upper(COMMON) like '%OAK%'",
        'COMMON contains "oak"',
    ),
    ("latitude > 45.5", Compare("latitude", ">", 45.5), None, "latitude > 45.5", "latitude is greater than 45.5"),
]


@pytest.mark.parametrize("text, node, arcgis, soql, words", CASES, ids=[c[0] for c in CASES])
def test_forms(text, node, arcgis, soql, words):
    parsed = p(text)
    assert parsed == node
    assert type(parsed.value if isinstance(parsed, Compare) else None) is type(
        node.value if isinstance(node, Compare) else None
    )
    if arcgis is None:
        with pytest.raises(NotServerSide):
            to_arcgis(parsed, FIELDS)
    else:
        assert to_arcgis(parsed, FIELDS) == arcgis
    if soql is None:
        with pytest.raises(NotServerSide):
            to_soql(parsed, FIELDS)
    else:
        assert to_soql(parsed, FIELDS) == soql
    assert describe(parsed) == words
    assert p(to_text(parsed)) == parsed  # the canonical text reads back


def test_issue_examples_combined():
    node = p(
        "SPECIES ~ maple and DIAMETER > 30 or Condition = Good and DATE_DESIG >= 2010-01-01 or COMMON = 'Giant sequoia'"
    )
    assert node == Or(
        (
            And((Compare("SPECIES", "~", "maple"), Compare("DIAMETER", ">", 30))),
            And((Compare("Condition", "=", "Good"), Compare("DATE_DESIG", ">=", date(2010, 1, 1)))),
            Compare("COMMON", "=", "Giant sequoia"),
        )
    )
    assert to_arcgis(node, FIELDS) == (
        "UPPER(SPECIES) LIKE '%MAPLE%' AND DIAMETER > 30 OR Condition = 1 AND "
        "DATE_DESIG >= timestamp '2010-01-01 00:00:00' OR COMMON = 'Giant sequoia'"
    )
    assert to_soql(node, FIELDS) == (
        "upper(SPECIES) like '%MAPLE%' AND DIAMETER > 30 OR Condition = 'Good' AND "
        "DATE_DESIG >= '2010-01-01T00:00:00' OR COMMON = 'Giant sequoia'"
    )
    assert describe(node) == (  # English has no precedence: the and-groups are bracketed
        '(SPECIES contains "maple" and DIAMETER is greater than 30) or (Condition is "Good" and DATE_DESIG is on '
        'or after 2010-01-01) or COMMON is "Giant sequoia"'
    )
    assert describe(p("SPECIES ~ maple and DIAMETER > 30")) == (
        'SPECIES contains "maple" and DIAMETER is greater than 30'
    )
    assert columns(node) == {"SPECIES", "DIAMETER", "Condition", "DATE_DESIG", "COMMON"}


def test_precedence_parentheses_and_not():
    a, b, c = Compare("TREEID", "=", 1), Compare("TREEID", "=", 2), Compare("TREEID", "=", 3)
    assert p("TREEID = 1 or TREEID = 2 and TREEID = 3") == Or((a, And((b, c))))
    assert p("TREEID = 1 and TREEID = 2 or TREEID = 3") == Or((And((a, b)), c))
    assert p("(TREEID = 1 or TREEID = 2) and TREEID = 3") == And((Or((a, b)), c))
    assert p("((TREEID = 1))") == a
    assert p("TREEID = 1 and (TREEID = 2 and TREEID = 3)") == And((a, b, c))  # flattened
    assert p("not TREEID = 1 and TREEID = 2") == And((Not(a), b))
    assert p("NOT (TREEID = 1 OR TREEID = 2)") == Not(Or((a, b)))
    assert p("not not TREEID = 1") == Not(Not(a))
    node = p("(TREEID = 1 or TREEID = 2) and not (TREEID = 3 or TREEID is null)")
    assert to_arcgis(node, FIELDS) == "(TREEID = 1 OR TREEID = 2) AND NOT (TREEID = 3 OR TREEID IS NULL)"
    assert to_soql(node, FIELDS) == "(TREEID = 1 OR TREEID = 2) AND NOT (TREEID = 3 OR TREEID IS NULL)"
    assert describe(node) == "(TREEID is 1 or TREEID is 2) and not (TREEID is 3 or TREEID has no value)"
    assert p(to_text(node)) == node
    assert describe(p("TREEID = 1 or TREEID = 2 and TREEID = 3")) == "TREEID is 1 or (TREEID is 2 and TREEID is 3)"


def test_keywords_and_columns_ignore_case():
    assert p("diameter > 3 AND species ~ x Or treeid Is Not Null") == Or(
        (And((Compare("DIAMETER", ">", 3), Compare("SPECIES", "~", "x"))), IsNull("TREEID", True))
    )
    assert p("Species ~ x") == Compare("SPECIES", "~", "x")
    assert p("DiAmEtEr>3") == Compare("DIAMETER", ">", 3)  # no spaces needed around operators
    assert p("DIAMETER>=-3") == Compare("DIAMETER", ">=", -3)


def test_blank_text_is_no_filter():
    assert p("") is None
    assert p("   \t ") is None
    assert describe(None) == "all rows"
    assert to_ckan(None, FIELDS) == CkanFilter({}, None, True)
    assert server_part(None, lambda n: to_soql(n, FIELDS)) == (None, True)


def test_exact_column_name_beats_a_case_insensitive_one():
    fields = (Field("Name", "s"), Field("NAME", "s"), Field("other", "s", alias="Label"))
    assert parse("NAME = x", fields) == Compare("NAME", "=", "x")
    assert parse("label = x", fields) == Compare("other", "=", "x")
    with pytest.raises(FilterError, match="ambiguous"):
        parse("name = x", fields)


def test_out_of_range_numbers():
    assert p("TREEID < 99999999999999999999") == Compare("TREEID", "<", 1e20)
    with pytest.raises(FilterError, match="expected a number"):
        p("DIAMETER > 1e999")
    assert to_arcgis(p("DIAMETER > 1e-7"), FIELDS) == "DIAMETER > 0.0000001"


# -- errors -----------------------------------------------------------------------------------------------------

ERRORS = [
    # text, position, part of str(error)
    ("DIAMETER >", 10, "expected a value after '>' at column 11"),
    ("DIAMETER > and TREEID = 1", 11, "expected a value after '>'"),
    ("COMMON = 'Giant sequoia", 9, "unterminated quote (')"),
    ('COMMON = "abc', 9, 'unterminated quote (")'),
    ("COMMON = 'a\\'", 9, "unterminated quote"),
    ("`Site Type = x", 0, "unterminated back-ticked column name"),
    ("DIAMETER => 30", 9, "unknown operator '=>'"),
    ("DIAMETER =~ 30", 9, "unknown operator '=~'"),
    ("DIAMETER ! 30", 9, "unknown operator '!'"),
    ("DIAMETER like 30", 9, "expected an operator after 'DIAMETER', found 'like'"),
    ("DIAMETER", 8, "expected an operator after 'DIAMETER'"),
    ("DIAMTER > 30", 0, "unknown column 'DIAMTER' at column 1; did you mean DIAMETER?"),
    ("SPECIES ~ x and condtion = Good", 16, "did you mean Condition?"),
    ("zzzz > 1", 0, "unknown column 'zzzz' at column 1"),
    ("DIAMETER > big", 11, "expected a number for DIAMETER, not 'big'"),
    ("TREEID = 1_000", 9, "expected a number"),
    ("TREEID = nan", 9, "expected a number"),
    ("DATE_DESIG >= 01/02/2010", 14, "expected a date for DATE_DESIG"),
    ("DATE_DESIG >= 2010-02-30", 14, "'2010-02-30' is not a real date"),
    ("DATE_DESIG >= 2010-01-01T25:00", 14, "not a real date and time"),
    ("DATE_DESIG = 9999-12-31", 13, "date out of range"),
    ("PLANTED = 2010-01-01T10:00", 10, "expected a date for PLANTED, not a date and time"),
    ("Native = maybe", 9, "expected true or false for Native"),
    ("Native > true", 7, "cannot use '>' on Native"),
    ("DIAMETER ~ 3", 9, "cannot use '~' on DIAMETER, which holds numbers"),
    ("DATE_DESIG !~ 2010", 11, "cannot use '!~' on DATE_DESIG"),
    ("Condition > Good", 10, "cannot use '>' on Condition, which holds coded values"),
    ("Condition = Goood", 12, "'Goood' is not one of Condition's values at column 13; did you mean Good?"),
    ("Condition = xyzzy", 12, "values: Good, Fair, Poor, Dead"),
    ("COMMON = null", 9, "write COMMON is null"),
    ("COMMON is nul", 10, "expected 'null' or 'not null' after 'is'"),
    ("COMMON = Giant sequoia", 15, "unexpected 'sequoia' at column 16; put values that contain spaces in quotes"),
    ("DIAMETER > 30 TREEID = 1", 14, "unexpected 'TREEID'"),
    ("DIAMETER > 30)", 13, "unexpected ')'"),
    ("()", 0, "empty parentheses"),
    ("DIAMETER > 3 and ( )", 17, "empty parentheses"),
    ("(DIAMETER > 3", 13, "missing ')' at column 14; to close the '(' at column 1"),
    ("(DIAMETER > 3 TREEID = 1)", 14, "expected ')' before 'TREEID'"),
    ("DIAMETER > 3 and", 16, "expected a condition after 'and'"),
    ("and DIAMETER > 3", 0, "expected a condition before 'and'"),
    ("DIAMETER > 3 or or", 16, "expected a condition before 'or'"),
    ("> 3", 0, "expected a column name before '>'"),
    ("'DIAMETER' > 3", 0, "quote column names with `back ticks`"),
    ("30 > DIAMETER", 0, "expected a column name, found '30'"),
    ("DIAMETER > 3 ; drop", 13, "unexpected character ';'"),
    ("COMMON = a%b", 10, "unexpected character '%'"),
    ("Shape = x", 0, "cannot filter on the geometry column 'Shape'"),
    ("not", 3, "expected a condition after 'not'"),
]


@pytest.mark.parametrize("text, position, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(text, position, message):
    with pytest.raises(FilterError) as caught:
        p(text)
    err = caught.value
    assert isinstance(err, UsageError)
    assert err.position == position
    assert message in str(err)
    assert f"at column {position + 1}" in str(err)
    assert f"at column {position + 1}" not in err.message  # the message leaves the place to the caret
    assert caret(text, err).splitlines()[1] == " " * position + "^"


def test_error_message_format_and_caret():
    with pytest.raises(FilterError) as caught:
        p("DIAMETER >")
    err = caught.value
    assert str(err) == "expected a value after '>' at column 11"
    assert err.message == "expected a value after '>'"
    assert caret("DIAMETER >", err) == "DIAMETER >\n          ^"


def test_caret_counts_wide_characters_and_shows_controls():
    text = "COMMON = 桜 \x1b SPECIES"
    with pytest.raises(FilterError) as caught:
        p(text)
    assert caught.value.position == text.index("\x1b")
    shown, marker = caret(text, caught.value).split("\n")
    assert "\x1b" not in shown and "␛" in shown
    assert marker == " " * 12 + "^"  # 桜 takes two cells


def test_caret_on_a_later_line_and_without_position():
    text = "DIAMETER > 3 and\nTREEID = x"
    with pytest.raises(FilterError) as caught:
        p(text)
    assert caret(text, caught.value) == "TREEID = x\n         ^"
    assert caret("a\nb", FilterError("boom")) == "a b"
    assert str(FilterError("boom")) == "boom"


def test_error_messages_are_one_line_and_short():
    with pytest.raises(FilterError) as caught:
        p("DIAMETER > '" + "x\n" * 100 + "'")
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_help_shows_the_issue_examples():
    for example in (
        "SPECIES ~ maple",
        "DIAMETER > 30",
        "Condition = Good",
        "DATE_DESIG >= 2010-01-01",
        "COMMON = 'Giant sequoia'",
        "is null",
    ):
        assert example in HELP
        if example != "is null":
            assert p(example) is not None


# -- server-side limits -----------------------------------------------------------------------------------------


def test_arcgis_refuses_names_it_cannot_take():
    fields = (*FIELDS, Field("DATE", "esriFieldTypeString", "string"), Field("x-y", "esriFieldTypeString", "string"))
    for text, name in (
        ("latitude > 45", "latitude"),
        ("`Site Type` = x", "Site Type"),
        ("`DATE` = x", "DATE"),
        ("`x-y` = 1", "x-y"),
    ):
        with pytest.raises(NotServerSide) as caught:
            to_arcgis(parse(text, fields), fields)
        assert f"cannot filter on {name} on the server" in str(caught.value)
        assert caught.value.position == 0
        assert isinstance(caught.value, FilterError)


def test_soql_quotes_odd_names_and_refuses_like_wildcards():
    fields = (Field("site type", "text", "string"), Field("a`b", "text", "string"), Field("ok", "text", "string"))
    assert to_soql(parse("`site type` = x", fields), fields) == "`site type` = 'x'"
    with pytest.raises(NotServerSide):
        to_soql(parse("`a``b` = x", fields), fields)
    for value in ("50%", "a_b", "back\\slash"):
        with pytest.raises(NotServerSide, match="like has no escape"):
            to_soql(Compare("ok", "~", value), fields)


def test_server_part_keeps_what_translates():
    node = p("DIAMETER > 3 and SPECIES ~ '5%' and TREEID = 2")
    assert server_part(node, lambda n: to_soql(n, FIELDS)) == ("DIAMETER > 3 AND TREEID = 2", False)
    assert server_part(node, lambda n: to_arcgis(n, FIELDS)) == (to_arcgis(node, FIELDS), True)
    assert server_part(p("SPECIES ~ '5%' or TREEID = 2"), lambda n: to_soql(n, FIELDS)) == (None, False)
    only = p("latitude > 45 and TREEID = 1")
    assert server_part(only, lambda n: to_arcgis(n, FIELDS)) == ("TREEID = 1", False)


CKAN = [
    ("COMMON = 'Giant sequoia'", {"COMMON": "Giant sequoia"}, True),
    ("COMMON = a and TREEID = 3", {"COMMON": "a", "TREEID": "3"}, True),
    ("COMMON = a or COMMON = b or COMMON = a", {"COMMON": ["a", "b"]}, True),
    (
        "(COMMON = a or COMMON = b) and Native = true and DIAMETER = 2.5",
        {"COMMON": ["a", "b"], "Native": "true", "DIAMETER": "2.5"},
        True,
    ),
    (
        "DATE_DESIG = 2010-01-01T10:00 and PLANTED = 2001-02-03",
        {"DATE_DESIG": "2010-01-01T10:00:00", "PLANTED": "2001-02-03"},
        True,
    ),
    ("COMMON = a and DIAMETER > 3", {"COMMON": "a"}, False),
    ("COMMON = a or TREEID = 3", {}, False),
    ("SPECIES ~ maple", {}, False),
    ("COMMON = a and COMMON = b", {"COMMON": "a"}, False),
    ("COMMON = a and COMMON = a", {"COMMON": "a"}, True),
    ("DATE_DESIG = 2010-01-01", {}, False),  # a whole day is a range
    ("not COMMON = a", {}, False),
    ("COMMON != a", {}, False),
    ("COMMON is null", {}, False),
    ("Condition = good", {"Condition": "Good"}, True),  # CKAN has no domains: the label is the value
]


@pytest.mark.parametrize("text, filters, exact", CKAN, ids=[c[0] for c in CKAN])
def test_ckan(text, filters, exact):
    assert to_ckan(p(text), FIELDS) == CkanFilter(filters, None, exact)


# -- local filtering: fixed cases -------------------------------------------------------------------------------


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "COMMON": ["Bigleaf maple", "Giant sequoia", None, "O'Bryant (a.*b)", "100%_x"],
            "DIAMETER": [40.0, 84.0, None, 12.5, 30.0],
            "Condition": ["Good", "Poor", None, "Fair", "Good"],
            "DATE_DESIG": pl.Series(
                [
                    datetime(2010, 1, 1, 23, 59),
                    datetime(2009, 12, 31, 23, 0),
                    None,
                    datetime(2010, 1, 2),
                    datetime(1965, 5, 5),
                ]
            )
            .dt.replace_time_zone("UTC")
            .dt.cast_time_unit("ms"),
            "PLANTED": [date(2010, 1, 1), None, date(1999, 9, 9), date(2010, 1, 2), date(1960, 1, 1)],
        }
    )


LOCAL = [
    ("COMMON ~ MAPLE", [0]),
    ("COMMON ~ '.*'", [3]),  # no regex
    ("COMMON ~ '%_'", [4]),  # no LIKE wildcards either
    ('COMMON ~ "o\'b"', [3]),
    ("COMMON !~ maple", [1, 3, 4]),  # the null row is left out
    ("COMMON != 'Giant sequoia'", [0, 3, 4]),
    ("not (COMMON = 'Giant sequoia')", [0, 3, 4]),
    ("COMMON != 'Giant sequoia' or COMMON is null", [0, 2, 3, 4]),
    ("DIAMETER > 30", [0, 1]),
    ("DIAMETER >= 30 and DIAMETER < 84", [0, 4]),
    ("not (DIAMETER > 30)", [3, 4]),
    ("DIAMETER is null", [2]),
    ("Condition = good", [0, 4]),
    ("Condition ~ OO", [0, 1, 4]),
    ("DATE_DESIG = 2010-01-01", [0]),
    ("DATE_DESIG > 2010-01-01", [3]),
    ("DATE_DESIG >= 2010-01-01", [0, 3]),
    ("DATE_DESIG <= 2010-01-01", [0, 1, 4]),
    ("DATE_DESIG < 2010-01-01", [1, 4]),
    ("DATE_DESIG != 2010-01-01", [1, 3, 4]),
    ("DATE_DESIG > 2010-01-01T23:58", [0, 3]),
    ("DATE_DESIG = 2010-01-01T23:59:00Z", [0]),
    ("PLANTED >= 2010-01-01", [0, 3]),
    ("PLANTED < 1970-01-01 or PLANTED is null", [1, 4]),
]


@pytest.mark.parametrize("text, rows", LOCAL, ids=[c[0] for c in LOCAL])
def test_local(text, rows):
    frame = _frame().with_row_index("row")
    node = p(text)
    assert frame.filter(to_polars(node)).get_column("row").to_list() == rows
    assert frame.filter(to_polars(node, frame.schema)).get_column("row").to_list() == rows
    naive = frame.with_columns(pl.col("DATE_DESIG").dt.replace_time_zone(None))
    assert naive.filter(to_polars(node)).get_column("row").to_list() == rows


def test_local_unknown_column_with_schema():
    with pytest.raises(FilterError, match="unknown column 'TREEID'"):
        to_polars(p("TREEID = 1"), _frame().schema)


# -- property: literals never escape their quotes ---------------------------------------------------------------


def scan_sql(clause: str) -> tuple[str, list[str]]:
    """Split a clause into the text outside string literals (each literal shown as ``?``) and the literals'
    contents. A literal is ``'...'`` with ``''`` standing for one quote; nothing else is special."""
    outside, literals, i = [], [], 0
    while i < len(clause):
        if clause[i] != "'":
            outside.append(clause[i])
            i += 1
            continue
        j, content = i + 1, []
        while True:
            assert j < len(clause), f"unterminated literal in {clause!r}"
            if clause[j] == "'":
                if clause[j + 1 : j + 2] == "'":
                    content.append("'")
                    j += 2
                    continue
                break
            content.append(clause[j])
            j += 1
        literals.append("".join(content))
        outside.append("?")
        i = j + 1
    return "".join(outside), literals


def unlike(pattern: str, escape: str | None) -> str:
    """The literal text a ``%...%`` LIKE pattern searches for; fails on any unescaped wildcard inside."""
    assert pattern.startswith("%") and pattern.endswith("%") and len(pattern) >= 2
    body, out, i = pattern[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if escape is not None and ch == escape:
            assert i + 1 < len(body) and body[i + 1] in "%_\\", pattern
            out.append(body[i + 1])
            i += 2
            continue
        assert ch not in "%_", f"unescaped wildcard in {pattern!r}"
        assert escape is not None or ch != "\\", f"bare backslash in {pattern!r}"
        out.append(ch)
        i += 1
    return "".join(out)


TAIL = Compare("DIAMETER", ">", 3)


@SETTINGS
@given(
    value=st.text(max_size=30),
    op=st.sampled_from(["=", "!=", "<", ">=", "~", "!~"]),
    shape=st.sampled_from(["alone", "and", "or", "not"]),
)
def test_literals_never_escape(value, op, shape):
    atom = Compare("COMMON", op, value)
    node = {"alone": atom, "and": And((atom, TAIL)), "or": Or((TAIL, atom)), "not": Not(atom)}[shape]
    frame = {"alone": "{}", "and": "{} AND DIAMETER > 3", "or": "DIAMETER > 3 OR {}", "not": "NOT ({})"}[shape]

    # ArcGIS
    outside, literals = scan_sql(to_arcgis(node, FIELDS))
    if op in ("~", "!~"):
        like = "UPPER(COMMON) " + ("NOT LIKE" if op == "!~" else "LIKE") + " ?"
        if len(literals) == 2:
            assert outside == frame.format(like + " ESCAPE ?")
            assert literals[1] == "\\"
            assert unlike(literals[0], "\\") == value.upper()
        else:
            assert outside == frame.format(like)
            assert unlike(literals[0], None) == value.upper()
    else:
        assert outside == frame.format("COMMON " + {"!=": "<>"}.get(op, op) + " ?")
        assert literals == [value]

    # Socrata
    if op in ("~", "!~") and any(c in value.upper() for c in "%_\\"):
        with pytest.raises(NotServerSide):
            to_soql(node, FIELDS)
    else:
        outside, literals = scan_sql(to_soql(node, FIELDS))
        if op in ("~", "!~"):
            assert outside == frame.format("upper(COMMON) " + ("not like" if op == "!~" else "like") + " ?")
            assert literals == ["%" + value.upper() + "%"]
        else:
            assert outside == frame.format(f"COMMON {op} ?")
            assert literals == [value]

    # and our own language: the canonical text reads back to the same value
    assert p(to_text(node)) == node


@SETTINGS
@given(name=st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and s.strip()))
def test_odd_column_names_read_back(name):
    fields = (Field(name, "text", "string"),)
    node = Compare(name, "=", "x")
    assert parse(to_text(node), fields) == node


# -- property: local filtering agrees with a reference, and with the fake ArcGIS server ----------------------------

ALPHABET = "abAB %_.'*ßé"
LOCAL_FIELDS = (
    Field("s", "esriFieldTypeString", "string"),
    Field("c", "esriFieldTypeSmallInteger", "string", domain=((1, "Oak"), (2, "oak tree"), (3, "Ash"))),
    Field("i", "esriFieldTypeInteger", "integer"),
    Field("f", "esriFieldTypeDouble", "float"),
    Field("d", "esriFieldTypeDateOnly", "date"),
    Field("t", "esriFieldTypeDate", "datetime"),
)
LABELS = {1: "Oak", 2: "oak tree", 3: "Ash"}
DAYS = st.dates(date(1969, 12, 25), date(1970, 1, 10))
MOMENTS = st.datetimes(datetime(1969, 12, 30), datetime(1970, 1, 3)).map(lambda d: d.replace(microsecond=0))
ORDER = ["=", "!=", "<", "<=", ">", ">="]
NUMBERS = st.one_of(st.integers(-3, 3), st.sampled_from([-1.5, 0.0, 0.5, 2.25]))


ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "s": st.none() | st.text(ALPHABET, max_size=4),
            "c": st.none() | st.sampled_from([1, 2, 3]),
            "i": st.none() | st.integers(-3, 3),
            "f": st.none() | st.sampled_from([-1.5, 0.0, 0.5, 2.25, 3.0]),
            "d": st.none() | DAYS,
            "t": st.none() | MOMENTS,
        }
    ),
    max_size=8,
)


def comparisons():
    return st.one_of(
        st.builds(Compare, st.just("s"), st.sampled_from([*ORDER, "~", "!~"]), st.text(ALPHABET, max_size=3)),
        st.builds(Compare, st.just("c"), st.sampled_from(["=", "!="]), st.sampled_from(sorted(LABELS.values()))),
        st.builds(Compare, st.just("c"), st.sampled_from(["~", "!~"]), st.sampled_from(["oak", "a", "zz", "OAK T"])),
        st.builds(Compare, st.just("i"), st.sampled_from(ORDER), NUMBERS),
        st.builds(Compare, st.just("f"), st.sampled_from(ORDER), NUMBERS),
        st.builds(Compare, st.just("d"), st.sampled_from(ORDER), DAYS),
        st.builds(Compare, st.just("t"), st.sampled_from(ORDER), DAYS | MOMENTS),
        st.builds(IsNull, st.sampled_from(["s", "c", "i", "f", "d", "t"]), st.booleans()),
    )


FILTERS = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(lambda items: And(tuple(items)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda items: Or(tuple(items)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(Not, inner),
    ),
    max_leaves=5,
)

OPS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def reference(node, row):
    """SQL three-valued logic, row by row, in plain Python: True, False or None (unknown)."""
    if isinstance(node, And):
        values = [reference(i, row) for i in node.items]
        return False if False in values else None if None in values else True
    if isinstance(node, Or):
        values = [reference(i, row) for i in node.items]
        return True if True in values else None if None in values else False
    if isinstance(node, Not):
        value = reference(node.item, row)
        return None if value is None else not value
    cell = row[node.column]
    if node.column == "c" and cell is not None:
        cell = LABELS[cell]  # the frame holds labels
    if isinstance(node, IsNull):
        return (cell is None) != node.negated
    if cell is None:
        return None
    if node.op in ("~", "!~"):
        return (node.value.upper() in cell.upper()) == (node.op == "~")
    value = node.value
    if isinstance(cell, datetime) and type(value) is date:
        cell = cell.date()  # a day against a datetime column compares the day
    return OPS[node.op](cell, value)


def polars_frame(data):
    return pl.DataFrame(
        {
            "s": [r["s"] for r in data],
            "c": [None if r["c"] is None else LABELS[r["c"]] for r in data],
            "i": [r["i"] for r in data],
            "f": [r["f"] for r in data],
            "d": [r["d"] for r in data],
            "t": pl.Series([r["t"] for r in data], dtype=pl.Datetime("ms")).dt.replace_time_zone("UTC"),
        },
        schema={
            "s": pl.String,
            "c": pl.String,
            "i": pl.Int64,
            "f": pl.Float64,
            "d": pl.Date,
            "t": pl.Datetime("ms", "UTC"),
        },
    )


@FRAMES
@given(data=ROWS, node=FILTERS)
def test_local_filter_matches_reference(data, node):
    frame = polars_frame(data).with_row_index("_row")
    got = frame.filter(to_polars(node)).get_column("_row").to_list()
    want = [index for index, row in enumerate(data) if reference(node, row) is True]
    assert got == want
    assert frame.filter(to_polars(node, frame.schema)).get_column("_row").to_list() == want


def _epoch_ms(value):
    if value is None:
        return None
    if type(value) is date:
        value = datetime(value.year, value.month, value.day)
    return (value - datetime(1970, 1, 1)) // timedelta(milliseconds=1)


FAKE_KINDS = {"string": "string", "integer": "number", "float": "number", "date": "date", "datetime": "date"}


@FRAMES
@given(data=ROWS, node=FILTERS)
def test_arcgis_clause_on_the_fake_server_matches_reference(data, node):
    """Our where clause, run by the fake portal's SQL engine on raw attributes (codes, epoch ms), keeps
    exactly the rows the reference keeps."""
    clause = to_arcgis(node, LOCAL_FIELDS)
    lookup = {
        f.name.lower(): SimpleNamespace(name=f.name, kind=FAKE_KINDS[f.kind if not f.domain else "integer"])
        for f in LOCAL_FIELDS
    }
    predicate = compile_where(clause, lambda name: lookup.get(name.lower()))
    raw = [dict(r, d=_epoch_ms(r["d"]), t=_epoch_ms(r["t"])) for r in data]
    got = [index for index, row in enumerate(raw) if predicate is None or predicate(row)]
    want = [index for index, row in enumerate(data) if reference(node, row) is True]
    assert got == want, clause


@FRAMES
@given(node=FILTERS)
def test_canonical_text_reads_back(node):
    text = to_text(node)
    back = parse(text, LOCAL_FIELDS)

    def normal(n):  # parse flattens nested and/or
        if isinstance(n, (And, Or)):
            items = []
            for item in map(normal, n.items):
                items.extend(item.items if type(item) is type(n) else (item,))
            return type(n)(tuple(items))
        if isinstance(n, Not):
            return Not(normal(n.item))
        return n

    assert back == normal(node)
    assert columns(back) == columns(node)
    assert re.fullmatch(r"[^\n]*", describe(back))
