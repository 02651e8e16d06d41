"""Binning for the other charts: histograms, top values and date buckets (with their units)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import polars as pl


UNITS = ("day", "week", "month", "year")
_TRUNCATE = {"day": "1d", "week": "1w", "month": "1mo", "year": "1y"}
#: multi-year buckets, for dates spread over more years than there are columns (a 1900-01-01 or 9999-12-31
#: placeholder among recent rows): a bucket of k years starts on 1 January of a year divisible by k
YEAR_STEPS = (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)


# -- histogram, top values, date buckets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # bins + 1 edges
    counts: np.ndarray  # per bin; the last bin includes its right edge
    missing: int  # nulls and NaN left out


def histogram(values: Any, bins: int) -> Histogram:
    """Equal-width bins from the smallest to the largest finite value (one value: a bin of width 1 around it)."""
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    missing = int(array.size - finite.size)
    bins = max(int(bins), 1)
    if finite.size == 0:
        return Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), missing)
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        pad = max(0.5, abs(lo) * 1e-9)
        top = float(np.finfo(np.float64).max)
        lo, hi = max(lo - pad, -top), min(hi + pad, top)
        if lo == hi:  # at the very limit of the floats
            lo, hi = (lo - 2 * pad, hi) if hi > 0 else (lo, hi + 2 * pad)
    # Near ±1.8e308 the range itself overflows: bin halved values (exact for powers of two) and double the edges.
    scale = 1.0 if math.isfinite(hi - lo) else 0.5
    edges = np.linspace(lo * scale, hi * scale, bins + 1)
    while bins > 1 and not (np.diff(edges) > 0).all():  # more bins than distinct floats in the range
        bins = max(bins // 2, 1)
        edges = np.linspace(lo * scale, hi * scale, bins + 1)
    counts, _ = np.histogram(finite * scale, bins=edges)
    return Histogram(edges / scale, counts.astype(np.int64), missing)


@dataclass(frozen=True)
class TopValues:
    values: list[tuple[Any, int]]  # commonest first; ties in value order
    other: int  # rows with a value not listed
    nulls: int
    distinct: int


def value_label(value: Any) -> str:
    """A value as a chart labels it (booleans in lower case, as the grid shows them)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def top_values(series: pl.Series, n: int) -> TopValues:
    """The ``n`` commonest non-null values of ``series`` with their counts."""
    import polars as pl

    if isinstance(series.dtype, (pl.List, pl.Array, pl.Struct, pl.Object)):  # nested values count as JSON text
        series = pl.Series(
            series.name,
            [None if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in series.to_list()],
            dtype=pl.String,
        )
    nulls = series.null_count()
    # renamed first: a column called "count" (or anything else) must not clash with the counts' column
    present = series.drop_nulls().rename("value")
    counts = present.value_counts(name="__n")
    counts = counts.sort(["__n", "value"], descending=[True, False], nulls_last=True)
    listed = counts.head(max(n, 0))
    values = list(zip(listed["value"].to_list(), listed["__n"].to_list()))
    return TopValues(values, int(present.len() - sum(c for _, c in values)), int(nulls), counts.height)


def years_unit(k: int) -> str:
    """The name of buckets of ``k`` years: "year", "10 years"."""
    return "year" if k == 1 else f"{k} years"


def unit_years(unit: str) -> int:
    """How many years a bucket of ``unit`` is (0 for day, week and month)."""
    if unit == "year":
        return 1
    if unit.endswith(" years") and unit.split()[0].isdigit():
        return int(unit.split()[0])
    return 0


#: every unit, finest first
ALL_UNITS = UNITS + tuple(years_unit(k) for k in YEAR_STEPS)


def coarser(unit: str) -> str:
    """The next coarser unit (the coarsest stays)."""
    i = ALL_UNITS.index(unit)
    return ALL_UNITS[min(i + 1, len(ALL_UNITS) - 1)]


def finer(unit: str) -> str:
    """The next finer unit (day stays)."""
    i = ALL_UNITS.index(unit)
    return ALL_UNITS[max(i - 1, 0)]


def bucket_start(day: date, unit: str) -> date:
    k = unit_years(unit)
    if k > 1:
        return date(max(day.year - day.year % k, 1), 1, 1)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown unit {unit!r}")


def bucket_count(first: date, last: date, unit: str) -> int:
    """How many buckets of ``unit`` the days ``first``..``last`` span (both ends included)."""
    a, b = bucket_start(first, unit), bucket_start(last, unit)
    if unit == "day":
        return (b - a).days + 1
    if unit == "week":
        return (b - a).days // 7 + 1
    if unit == "month":
        return (b.year - a.year) * 12 + b.month - a.month + 1
    k = max(unit_years(unit), 1)
    return last.year // k - first.year // k + 1


def pick_unit(first: date, last: date, max_buckets: int) -> str:
    """The finest of day, week, month, year and buckets of several years (:data:`YEAR_STEPS`) whose buckets fit in
    ``max_buckets`` (the coarsest when none does)."""
    for unit in ALL_UNITS:
        if bucket_count(first, last, unit) <= max_buckets:
            return unit
    return ALL_UNITS[-1]


@dataclass(frozen=True)
class DateCounts:
    starts: list[date]  # the first day of each bucket, every bucket from the first to the last (empty ones too)
    counts: np.ndarray
    unit: str
    missing: int


def date_span(series: pl.Series) -> tuple[date, date] | None:
    days = _as_dates(series).drop_nulls()
    if days.len() == 0:
        return None
    return days.min(), days.max()  # type: ignore[return-value]  # a Date column: its min and max are dates


def date_counts(series: pl.Series, unit: str) -> DateCounts:
    """Rows per day, week (from Monday), month or year of a date/datetime column; datetimes count on their own
    calendar day (in their time zone, if they have one)."""
    import polars as pl

    days = _as_dates(series)
    missing = days.null_count()
    days = days.drop_nulls()
    if days.len() == 0:
        return DateCounts([], np.zeros(0, dtype=np.int64), unit, missing)
    k = unit_years(unit)
    if k > 1:
        starts = (days.dt.year().cast(pl.Int64) // k * k).alias("start")
        counts = starts.value_counts(name="__n")
        low, high = starts.min(), starts.max()
        assert isinstance(low, int) and isinstance(high, int)  # an Int64 column with values
        every = pl.Series("start", range(low, high + 1, k), dtype=pl.Int64).to_frame()
        full = every.join(counts, on="start", how="left").with_columns(pl.col("__n").fill_null(0)).sort("start")
        return DateCounts(
            [date(max(y, 1), 1, 1) for y in full["start"].to_list()],
            full["__n"].to_numpy().astype(np.int64),
            unit,
            missing,
        )
    buckets = days.dt.truncate(_TRUNCATE[unit]).alias("start")
    counts = buckets.value_counts(name="__n")
    first, last = buckets.min(), buckets.max()
    assert isinstance(first, date) and isinstance(last, date)  # a Date column with values
    every = pl.date_range(first, last, _TRUNCATE[unit], eager=True).alias("start").to_frame()
    full = every.join(counts, on="start", how="left").with_columns(pl.col("__n").fill_null(0)).sort("start")
    return DateCounts(full["start"].to_list(), full["__n"].to_numpy().astype(np.int64), unit, missing)


def _as_dates(series: pl.Series) -> pl.Series:
    import polars as pl

    if series.dtype == pl.Date:
        return series
    if isinstance(series.dtype, pl.Datetime):
        return series.dt.date()
    return series.cast(pl.Date, strict=False)


def format_bucket(day: date, unit: str) -> str:
    if unit_years(unit):
        return f"{day.year}"
    if unit == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()
