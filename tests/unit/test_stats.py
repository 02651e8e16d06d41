"""Column statistics, facet counts, bars and value formatting (pdxtui.stats), checked against hand-worked values."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pdxtui import stats
from pdxtui.stats import (
    ColumnStats,
    Facet,
    ValueCount,
    bar,
    column_stats,
    facet_counts,
    facet_from_counts,
    format_count,
    format_pct,
    format_value,
    stats_from_facet,
)

NAN = float("nan")


def pairs(values: tuple[ValueCount, ...]) -> list[tuple[object, int]]:
    return [(v.value, v.count) for v in values]


# ------------------------------------------------------------------------------------------------ column_stats


def test_integers_with_nulls():
    frame = pl.DataFrame({"n": [3, 1, None, 2, 2, None, 7]})
    s = column_stats(frame, "n")
    assert isinstance(s, ColumnStats)
    assert (s.column, s.dtype, s.scope) == ("n", "integer", "loaded")
    assert (s.rows, s.non_null, s.nulls, s.distinct) == (7, 5, 2, 4)
    assert s.null_pct == pytest.approx(200 / 7)
    assert (s.min, s.max) == (1, 7)
    assert s.mean == pytest.approx(3.0)  # (3 + 1 + 2 + 2 + 7) / 5
    assert s.median == 2.0  # 1 2 2 3 7
    assert (s.earliest, s.latest) == (None, None)
    assert pairs(s.top) == [(2, 2), (1, 1), (3, 1), (7, 1)]  # ties by value, ascending
    assert s.top[0].pct == pytest.approx(200 / 7)  # a share of all rows, nulls included
    assert s.other == 0 and s.nans == 0


def test_top_is_cut_and_other_counts_the_rest():
    frame = pl.DataFrame({"n": [3, 1, None, 2, 2, None, 7]})
    s = column_stats(frame, "n", top=2)
    assert pairs(s.top) == [(2, 2), (1, 1)]
    assert s.other == 2  # 3 and 7
    assert column_stats(frame, "n", top=0).top == ()


def test_even_count_median_is_the_mean_of_the_middle_two():
    s = column_stats(pl.DataFrame({"n": [4, 1, 3, 2]}), "n")
    assert s.median == 2.5 and s.mean == 2.5


def test_strings_top_ten_with_ties_broken_by_value():
    # counts: z 5, m 3, b 3, a 3, then twelve values once each (c..n without m), one null
    values = ["z"] * 5 + ["m", "b", "a"] * 3 + list("nlkjihgfedcy") + [None]
    s = column_stats(pl.DataFrame({"s": values}), "s")
    assert s.dtype == "text"
    assert (s.rows, s.nulls, s.distinct) == (27, 1, 16)
    assert pairs(s.top) == [("z", 5), ("a", 3), ("b", 3), ("m", 3)] + [(c, 1) for c in "cdefgh"]
    assert s.other == 26 - (5 + 9 + 6)
    assert (s.min, s.max) == ("a", "z")
    assert s.mean is None and s.median is None


def test_top_order_is_the_same_whatever_the_input_order():
    values = ["b", "a", "c", "a", "b", "d", "e"]
    first = column_stats(pl.DataFrame({"s": values}), "s", top=3)
    again = column_stats(pl.DataFrame({"s": list(reversed(values))}), "s", top=3)
    assert pairs(first.top) == pairs(again.top) == [("a", 2), ("b", 2), ("c", 1)]


def test_dates_have_earliest_and_latest():
    days = [dt.date(2024, 3, 1), None, dt.date(2019, 12, 31), dt.date(2024, 3, 1), dt.date(2021, 6, 15)]
    s = column_stats(pl.DataFrame({"d": days}), "d")
    assert s.dtype == "date"
    assert (s.earliest, s.latest) == (dt.date(2019, 12, 31), dt.date(2024, 3, 1))
    assert (s.min, s.max) == (s.earliest, s.latest)
    assert s.mean is None and s.median is None
    assert pairs(s.top)[0] == (dt.date(2024, 3, 1), 2)
    assert (s.nulls, s.distinct) == (1, 3)


def test_datetimes_keep_their_time_zone():
    zone = ZoneInfo("America/Los_Angeles")
    stamps = [
        dt.datetime(2024, 3, 10, 9, 30, tzinfo=dt.UTC),  # 01:30 PST
        dt.datetime(2024, 7, 4, 19, 0, tzinfo=dt.UTC),  # 12:00 PDT
        None,
    ]
    frame = pl.DataFrame({"t": stamps}).with_columns(pl.col("t").dt.convert_time_zone("America/Los_Angeles"))
    s = column_stats(frame, "t")
    assert s.dtype == "datetime"
    assert s.earliest == dt.datetime(2024, 3, 10, 1, 30, tzinfo=zone)
    assert s.latest == dt.datetime(2024, 7, 4, 12, 0, tzinfo=zone)
    assert s.earliest.utcoffset() == dt.timedelta(hours=-8)
    assert format_value(s.earliest) == "2024-03-10 01:30:00-08:00"
    assert format_value(s.latest) == "2024-07-04 12:00:00-07:00"


def test_booleans():
    s = column_stats(pl.DataFrame({"b": [True, None, False, True]}), "b")
    assert s.dtype == "boolean"
    assert (s.non_null, s.nulls, s.distinct) == (3, 1, 2)
    assert pairs(s.top) == [(True, 2), (False, 1)]
    assert s.min is None and s.mean is None  # booleans have no range or centre; the counts say it all


@pytest.mark.parametrize("dtype", [pl.Int64, pl.String, pl.Float64, pl.Date, pl.Null])
def test_all_null_column(dtype):
    s = column_stats(pl.DataFrame({"x": pl.Series([None, None, None], dtype=dtype)}), "x")
    assert (s.rows, s.non_null, s.nulls, s.null_pct, s.distinct) == (3, 0, 3, 100.0, 0)
    assert s.top == () and s.other == 0
    assert (s.min, s.max, s.mean, s.median, s.earliest, s.latest) == (None,) * 6


@pytest.mark.parametrize("dtype", [pl.Int64, pl.String, pl.Float64, pl.Datetime("ms", "UTC"), pl.List(pl.Int64)])
def test_empty_frame(dtype):
    s = column_stats(pl.DataFrame({"x": pl.Series([], dtype=dtype)}), "x")
    assert (s.rows, s.non_null, s.nulls, s.null_pct, s.distinct, s.top, s.other) == (0, 0, 0, 0.0, 0, (), 0)
    assert s.mean is None and s.min is None
    f = facet_counts(pl.DataFrame({"x": pl.Series([], dtype=dtype)}), "x")
    assert (f.rows, f.values, f.distinct, f.truncated, f.null_pct) == (0, (), 0, False, 0.0)


def test_nan_is_a_value_but_not_part_of_the_numbers():
    s = column_stats(pl.DataFrame({"f": [1.0, NAN, None, 3.0, NAN]}), "f")
    assert s.dtype == "float"
    assert (s.rows, s.non_null, s.nulls, s.nans, s.distinct) == (5, 4, 1, 2, 3)
    assert (s.min, s.max, s.mean, s.median) == (1.0, 3.0, 2.0, 2.0)
    assert math.isnan(s.top[0].value) and s.top[0].count == 2
    assert pairs(s.top)[1:] == [(1.0, 1), (3.0, 1)]


def test_only_nan_has_no_numbers():
    s = column_stats(pl.DataFrame({"f": [NAN, NAN]}), "f")
    assert (s.non_null, s.nans, s.distinct) == (2, 2, 1)
    assert (s.min, s.max, s.mean, s.median) == (None, None, None, None)


def test_nan_ties_sort_after_numbers():
    s = column_stats(pl.DataFrame({"f": [NAN, 2.0, -1.0]}), "f")
    assert [v.value for v in s.top][:2] == [-1.0, 2.0] and math.isnan(s.top[2].value)


def test_categorical_is_ordered_by_text_and_enum_by_declaration():
    cat = column_stats(pl.DataFrame({"c": pl.Series(["b", "c", "a", None, "b"], dtype=pl.Categorical)}), "c")
    assert cat.dtype == "category"
    assert pairs(cat.top) == [("b", 2), ("a", 1), ("c", 1)]
    assert (cat.min, cat.max, cat.distinct) == ("a", "c", 3)
    levels = pl.Enum(["low", "mid", "high"])
    enum = column_stats(pl.DataFrame({"e": pl.Series(["low", "high", "mid"], dtype=levels)}), "e")
    assert enum.dtype == "enum"
    assert [v.value for v in enum.top] == ["low", "mid", "high"]
    assert (enum.min, enum.max) == ("low", "high")


def test_ties_cut_by_top_follow_the_column_order():
    # first-seen (physical) order d c b a differs from text order: the cut keeps a and b
    cat = pl.Series(["d", "c", "b", "a", "z", "z"], dtype=pl.Categorical)
    assert [v.value for v in column_stats(pl.DataFrame({"c": cat}), "c", top=3).top] == ["z", "a", "b"]
    lists = pl.Series([[3], [1], [2], [0, 1], [1]])
    assert [v.value for v in column_stats(pl.DataFrame({"l": lists}), "l", top=3).top] == [[1], [0, 1], [2]]


def test_decimal_and_duration():
    dec = column_stats(pl.DataFrame({"d": pl.Series(["1.50", "2.25", None]).cast(pl.Decimal(10, 2))}), "d")
    assert dec.dtype == "decimal"
    assert (dec.min, dec.max) == (Decimal("1.50"), Decimal("2.25"))
    assert dec.mean == pytest.approx(1.875)
    dur = column_stats(pl.DataFrame({"d": [dt.timedelta(days=1), dt.timedelta(days=3)]}), "d")
    assert dur.dtype == "duration"
    assert dur.mean == dt.timedelta(days=2) and dur.max == dt.timedelta(days=3)


def test_nested_columns_do_not_crash():
    frame = pl.DataFrame(
        {
            "l": [[1, 2], [1, 2], None, [3], []],
            "s": [{"a": 1, "b": [1]}, {"a": 1, "b": [1]}, None, {"a": 2, "b": []}, {"a": None, "b": None}],
        }
    )
    lists = column_stats(frame, "l")
    assert lists.dtype == "list"
    assert (lists.non_null, lists.nulls, lists.distinct) == (4, 1, 3)
    assert lists.top[0] == ValueCount([1, 2], 2, 40.0)
    assert lists.min is None and lists.mean is None
    structs = column_stats(frame, "s")
    assert structs.dtype == "struct"
    assert (structs.non_null, structs.distinct) == (4, 3)
    assert structs.top[0].value == {"a": 1, "b": [1]} and structs.top[0].count == 2
    assert format_value(structs.top[0].value) == "{a: 1, b: [1]}"
    assert facet_counts(frame, "l").distinct == 3


def test_object_column_is_counted_in_python():
    frame = pl.DataFrame({"o": pl.Series([1, None, 1, "x"], dtype=pl.Object)})
    s = column_stats(frame, "o")
    assert s.dtype == "object"
    assert (s.non_null, s.distinct) == (3, 2)
    assert pairs(s.top) == [(1, 2), ("x", 1)]


def test_when_polars_cannot_count_python_does(monkeypatch):
    def broken(*args, **kwargs):
        raise pl.exceptions.InvalidOperationError("no")

    monkeypatch.setattr(stats, "_commonest", broken)
    s = column_stats(pl.DataFrame({"s": ["b", "a", "b", None]}), "s")
    assert pairs(s.top) == [("b", 2), ("a", 1)] and s.distinct == 2


def test_very_long_strings():
    long = "x" * 200_000
    s = column_stats(pl.DataFrame({"s": [long, long, "short\nline"]}), "s")
    assert s.top[0].count == 2 and s.max == long
    text = format_value(s.top[0].value, max_len=40)
    assert len(text) == 40 and text.endswith("…")
    assert format_value(s.top[1].value) == "short line"


@pytest.mark.parametrize("name", ["value", "n", "len", "count", "nans"])
def test_column_names_that_match_internal_names(name):
    s = column_stats(pl.DataFrame({name: [1, 1, 2], "other": [5, 6, 7]}), name)
    assert pairs(s.top) == [(1, 2), (2, 1)] and s.column == name


def test_sort_counting_matches_group_by_counting(monkeypatch):
    # high-cardinality numeric columns are counted by sorting; the answer must equal the group-by's
    frame = pl.DataFrame(
        {
            "f": [0.5, NAN, 2.0, None, 2.0, -1.0, NAN, 7.25, 0.5, 2.0, 3.0],
            "i": [5, 4, 3, 2, 1, 9, 8, 7, 6, None, 1],
            "t": pl.datetime_range(
                dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 11), "1d", time_zone="UTC", eager=True
            ),
            "u": list(range(11)),
        }
    )

    def everything(column: str) -> tuple[object, ...]:
        return column_stats(frame, column, top=3), facet_counts(frame, column), facet_counts(frame, column, limit=4)

    for column in frame.columns:
        monkeypatch.setattr(stats, "_SORT_COUNT_MIN", 10**12)
        grouped = everything(column)
        monkeypatch.setattr(stats, "_SORT_COUNT_MIN", 1)
        assert repr(everything(column)) == repr(grouped), column  # repr, because NaN != NaN under ==


def test_unknown_column_and_scope():
    frame = pl.DataFrame({"a": [1]})
    with pytest.raises(KeyError):
        column_stats(frame, "b")
    with pytest.raises(ValueError):
        column_stats(frame, "a", scope="everything")
    assert column_stats(frame, "a", scope="dataset").scope == "dataset"


def test_scale_is_relative_to_the_commonest():
    s = column_stats(pl.DataFrame({"s": ["a", "a", "a", "a", "b", "c"]}), "s")
    assert [s.scale(v.count) for v in s.top] == [1.0, 0.25, 0.25]
    assert column_stats(pl.DataFrame({"s": [None]}), "s").scale(3) == 0.0


# ------------------------------------------------------------------------------------------------ facets


def test_facet_counts_sorted_with_percentages_adding_up():
    frame = pl.DataFrame({"k": ["x", "y", None, "y", "z", "x", "y", None, "w"]})
    f = facet_counts(frame, "k")
    assert isinstance(f, Facet)
    assert pairs(f.values) == [("y", 3), ("x", 2), ("w", 1), ("z", 1)]
    assert (f.rows, f.nulls, f.distinct, f.truncated, f.other, f.scope) == (9, 2, 4, False, 0, "loaded")
    assert sum(v.pct for v in f.values) + f.null_pct == pytest.approx(100.0)
    assert f.values[0].pct == pytest.approx(100 * 3 / 9)


def test_facet_counts_limit():
    frame = pl.DataFrame({"k": ["x", "y", None, "y", "z", "x", "y", None, "w"]})
    f = facet_counts(frame, "k", limit=2)
    assert pairs(f.values) == [("y", 3), ("x", 2)]
    assert (f.distinct, f.truncated, f.other) == (4, True, 2)
    assert facet_counts(frame, "k", limit=4).truncated is False
    assert facet_counts(frame, "k", limit=0).values == ()


def test_facet_from_counts_like_a_server_group_by():
    answer = [("SE", 40), ("NE", 25), (None, 5), ("N", 25), ("SW", 5)]
    f = facet_from_counts("district", answer, total_rows=100)
    assert pairs(f.values) == [("SE", 40), ("N", 25), ("NE", 25), ("SW", 5)]
    assert (f.rows, f.nulls, f.distinct, f.truncated, f.scope) == (100, 5, 4, False, "dataset")
    assert sum(v.pct for v in f.values) + f.null_pct == pytest.approx(100.0)


def test_facet_from_counts_edge_cases():
    # counts cover less than the total: the server listed only some values
    partial = facet_from_counts("c", [("a", 3), ("b", 2)], total_rows=10)
    assert (partial.rows, partial.truncated, partial.other, partial.values[0].pct) == (10, True, 5, 30.0)
    # no total: the counts are everything
    whole = facet_from_counts("c", [("a", 3), ("b", 2)], total_rows=None, nulls=1)
    assert (whole.rows, whole.nulls, whole.truncated) == (6, 1, False)
    # a stale total smaller than the counts: rows grow so no share passes 100 %
    stale = facet_from_counts("c", [("a", 3), ("b", 2)], total_rows=4)
    assert stale.rows == 5 and stale.values[0].pct == 60.0
    # repeated values add up; zero counts go; a limit truncates
    merged = facet_from_counts("c", [("a", 1), ("b", 0), ("a", 2), (None, 1), (None, 2)], None, limit=1)
    assert pairs(merged.values) == [("a", 3)] and merged.nulls == 3 and merged.truncated is False
    assert facet_from_counts("c", [("a", 1), ("b", 1)], None, limit=1).truncated is True
    # mixed and awkward values still sort, deterministically
    odd = facet_from_counts("c", [(2, 1), ("x", 1), (NAN, 1), (1.5, 1), (True, 1), ([1], 1), (NAN, 1)], None)
    assert next(v.value for v in odd.values) != next(v.value for v in odd.values)  # the two NaNs merged, first
    assert pairs(odd.values)[1:] == [(True, 1), (1.5, 1), (2, 1), ("x", 1), ([1], 1)]
    assert facet_from_counts("c", [], total_rows=0).values == ()
    with pytest.raises(ValueError):
        facet_from_counts("c", [], None, scope="nope")


def test_stats_from_a_complete_facet():
    f = facet_from_counts("n", [(10, 1), (1, 2), (None, 1), (4, 1)], total_rows=5)  # values 1 1 4 10, one null
    s = stats_from_facet(f)
    assert (s.dtype, s.scope, s.rows, s.non_null, s.nulls, s.null_pct) == ("integer", "dataset", 5, 4, 1, 20.0)
    assert s.distinct == 3
    assert (s.min, s.max) == (1, 10)
    assert s.mean == pytest.approx(4.0)
    assert s.median == 2.5  # 1 1 | 4 10
    assert pairs(s.top) == [(1, 2), (4, 1), (10, 1)]
    odd = stats_from_facet(facet_from_counts("n", [(3, 2), (1, 1)], None))  # 1 3 3
    assert odd.median == 3.0


def test_stats_from_a_facet_that_is_cut_short_or_temporal():
    cut = stats_from_facet(facet_from_counts("n", [(1, 2), (4, 1)], total_rows=10), top=1)
    assert (cut.min, cut.max, cut.mean, cut.median) == (None, None, None, None)
    assert pairs(cut.top) == [(1, 2)] and cut.other == 8  # rows the server did not list count as values
    days = stats_from_facet(facet_from_counts("d", [(dt.date(2024, 1, 2), 1), (dt.date(2023, 5, 6), 4)], None))
    assert days.dtype == "date" and (days.earliest, days.latest) == (dt.date(2023, 5, 6), dt.date(2024, 1, 2))
    assert days.mean is None
    assert stats_from_facet(facet_from_counts("e", [], 3)).dtype == "null"
    assert stats_from_facet(facet_from_counts("b", [(True, 2), (False, 1)], 3)).min is None


# ------------------------------------------------------------------------------------------------ bar


def _eighths(text: str) -> int:
    return sum(8 if ch == "█" else stats.EIGHTHS.index(ch) if ch != " " else 0 for ch in text)


def test_bar_ends():
    assert bar(0, 5) == "     "
    assert bar(1, 5) == "█████"
    assert bar(1, 1) == "█"
    assert bar(0.5, 10) == "█████     "
    assert bar(0.5, 0) == "" and bar(1, -3) == ""


def test_bar_fractions():
    assert bar(0.3, 4) == "█▎  "  # 9.6 eighths -> 10
    assert bar(0.25, 1) == "▎"
    assert bar(0.75, 2) == "█▌"
    assert bar(7 / 8, 1) == "▉"
    assert bar(1 / 8, 1) == "▏"
    assert bar(1e-9, 3) == "▏  "  # not zero, so never invisible
    assert bar(0.999, 2) == "██"


def test_bar_clamps_and_ignores_nan():
    assert bar(-0.5, 3) == "   "
    assert bar(2.0, 3) == "███"
    assert bar(NAN, 3) == "   "


@pytest.mark.parametrize("width", [1, 2, 3, 7, 20])
def test_bar_is_exact_to_the_eighth(width):
    for i in range(8 * width + 1):
        text = bar(i / (8 * width), width)
        assert len(text) == width
        assert _eighths(text) == i
        assert re.fullmatch("█*[▏▎▍▌▋▊▉]? *", text)  # full cells, at most one partial, then blanks


# ------------------------------------------------------------------------------------------------ formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "∅"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (1234567, "1234567"),
        (-3, "-3"),
        (2.0, "2"),
        (0.1 + 0.2, "0.3"),
        (1234567.5, "1234567.5"),
        (-122.67654321, "-122.6765432"),
        (1e20, "1e+20"),
        (1.5e-7, "1.5e-07"),
        (-0.0, "0"),
        (NAN, "NaN"),
        (float("inf"), "∞"),
        (float("-inf"), "-∞"),
        (Decimal("1.50"), "1.50"),
        (dt.date(2024, 3, 1), "2024-03-01"),
        (dt.datetime(2024, 3, 1, 4, 5, 6), "2024-03-01 04:05:06"),
        (dt.datetime(2024, 3, 1, 4, 5, 6, 250000), "2024-03-01 04:05:06.250"),
        (dt.datetime(2024, 3, 1, 4, 5, 6, 123456), "2024-03-01 04:05:06.123456"),
        (dt.datetime(2024, 3, 1, tzinfo=dt.UTC), "2024-03-01 00:00:00+00:00"),
        (dt.time(13, 5), "13:05:00"),
        (dt.timedelta(days=2, hours=1), "2 days, 1:00:00"),
        ("plain", "plain"),
        ("two\nlines\tand  spaces", "two lines and spaces"),
        ("\x1b[31mred", "␛[31mred"),
        ("[b]not markup[/b]", "[b]not markup[/b]"),
        (b"\x00\x01", "<2 bytes>"),
        ([1, None, "a"], "[1, ∅, a]"),
        ({"k": 1.5}, "{k: 1.5}"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_format_value_max_len():
    assert format_value("abcdefghij", max_len=5) == "abcd…"
    assert format_value("abc", max_len=5) == "abc"


def test_format_count_and_pct():
    assert format_count(1234567) == "1,234,567"
    assert format_count(None) == "∅"
    assert format_pct(12.345) == "12.3%"
    assert format_pct(0.0) == "0.0%"
    assert format_pct(0.01) == "<0.1%"
    assert format_pct(99.99) == ">99.9%"
    assert format_pct(100.0) == "100.0%"
    assert format_pct(None) == "∅"


# ------------------------------------------------------------------------------------------------ hygiene and size


def test_importing_stats_loads_neither_polars_nor_textual():
    code = (
        "import sys, pdxtui.stats\n"
        "print(pdxtui.stats.bar(0.5, 4), pdxtui.stats.format_value(1.5))\n"
        "pdxtui.stats.facet_from_counts('c', [('a', 1)], 1)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('polars', 'textual'))\n"
        "raise SystemExit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_million_rows_smoke(capsys):
    """Runs every path on 1,000,000 rows. Not a timing test: the times are printed (pytest -s) for reports."""
    n = 1_000_000
    index = pl.int_range(0, n, eager=True)
    frame = pl.DataFrame(
        {
            "text": (index * 7919 % 1000).cast(pl.String).str.zfill(4).str.replace(r"^", "value-"),
            "id": index,
            "float": (index * 0.7071).sin() * 1000,
            "int": index * 31 % 1000,
        }
    ).with_columns(
        pl.when(pl.col("int") % 10 == 0).then(None).otherwise(pl.col("text")).alias("text"),
        (pl.datetime(2020, 1, 1, time_zone="UTC") + pl.duration(seconds=pl.col("id") * 37)).alias("when"),
    )
    times = {}
    for column in frame.columns:
        start = time.perf_counter()
        s = column_stats(frame, column)
        times[column] = time.perf_counter() - start
        assert s.rows == n and len(s.top) == 10 and s.non_null + s.nulls == n
    assert column_stats(frame, "text").distinct == 900
    assert column_stats(frame, "id").distinct == n and column_stats(frame, "id").top[0] == ValueCount(0, 1, 1e-4)
    start = time.perf_counter()
    f = facet_counts(frame, "text")
    times["facet text"] = time.perf_counter() - start
    assert len(f.values) == 900 and not f.truncated
    with capsys.disabled():
        print("\n1M rows:", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in times.items()))
