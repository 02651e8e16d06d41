"""Bars in block characters (1/8 cell steps), and whole charts (histogram, time series, top values) laid out
for a canvas of cols × rows cells."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.text import Text

if TYPE_CHECKING:
    import polars as pl
from pdxtui.charts.bins import (
    ALL_UNITS,
    DateCounts,
    TopValues,
    _as_dates,
    bucket_count,
    coarser,
    date_counts,
    date_span,
    format_bucket,
    histogram,
    pick_unit,
    unit_years,
    value_label,
)
from pdxtui.charts.canvas import EIGHTHS_RIGHT, EIGHTHS_UP

# -- bars --------------------------------------------------------------------------------------------------------------


def vertical_bars(counts: Sequence[int] | np.ndarray, cols: int, rows: int) -> tuple[list[str], int]:
    """Columns of block characters for ``counts`` (tallest: ``rows`` cells), each bar ``bar_width`` cells wide with a
    one-cell gap when bars are 3 or more cells wide. Returns (lines, bar width)."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.size
    rows = max(rows, 1)
    if n == 0:
        return [""] * rows, 0
    bar_width = max(cols // n, 1)
    gap = 1 if bar_width >= 3 else 0
    top = counts.max()
    eighths = np.zeros(n, dtype=np.int64) if top <= 0 else np.round(counts / top * rows * 8).astype(np.int64)
    eighths = np.where((counts > 0) & (eighths == 0), 1, eighths)  # a bar that is not empty always shows
    lines = []
    for r in range(rows):
        below = (rows - 1 - r) * 8
        fill = np.clip(eighths - below, 0, 8)
        cells = [EIGHTHS_UP[f] * (bar_width - gap) + " " * gap for f in fill.tolist()]
        lines.append("".join(cells)[:cols])
    return lines, bar_width


def horizontal_bar(count: float, top: float, width: int) -> str:
    """A bar of ``width`` cells at full ``top``, in 1/8 cell steps (never empty for a non-zero count)."""
    if top <= 0 or width <= 0:
        return ""
    eighths = round(count / top * width * 8)
    if count > 0 and eighths == 0:
        eighths = 1
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS_RIGHT[part] if part else "")


def nice_number(value: float) -> str:
    """A short label for an axis: 12, 1.5, 2.4k, 3.1M."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1e15:
        return f"{value:.3g}"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:.3g}{suffix}"
    if magnitude == 0 or magnitude >= 1:
        return f"{value:.4g}"
    return f"{value:.3g}"


# -- whole charts, laid out for a canvas of cols × rows cells ----------------------------------------------------------


@dataclass(frozen=True)
class ChartPicture:
    lines: list[Text]
    note: str  # what is drawn: bins, buckets, values left out


def column_chart(
    counts: np.ndarray, left: str, right: str, cols: int, rows: int, style: str, middle: str = ""
) -> list[Text]:
    """Vertical bars with a count axis on the left and labels under the first, middle and last bar."""
    counts = np.asarray(counts)
    top = int(counts.max()) if counts.size else 0
    axis = max(len(f"{top:,}"), 1)
    plot_cols, plot_rows = max(cols - axis - 1, 1), max(rows - 2, 1)
    bars, bar_width = vertical_bars(counts, plot_cols, plot_rows)
    out = []
    for r, line in enumerate(bars):
        label = f"{top:,}" if r == 0 else (f"{top // 2:,}" if r == plot_rows // 2 and plot_rows >= 4 else "")
        text = Text(label.rjust(axis) + ("┤" if label else "│"), "dim", no_wrap=True, overflow="crop")
        text.append(line, style)
        out.append(text)
    used = bar_width * counts.size
    out.append(Text(" " * axis + "└" + "─" * max(min(used, plot_cols), 1), "dim", no_wrap=True, overflow="crop"))
    labels = [" "] * (axis + 1 + max(used, len(left) + len(right) + 2))
    for position, word in ((0, left), (max(used - len(right), len(left) + 1), right)):
        labels[axis + 1 + position : axis + 1 + position + len(word)] = list(word)
    if middle and used > len(left) + len(right) + len(middle) + 4:
        at = axis + 1 + (used - len(middle)) // 2
        labels[at : at + len(middle)] = list(middle)
    out.append(Text("".join(labels).rstrip()[:cols], "dim", no_wrap=True, overflow="crop"))
    return out


def draw_histogram(values: Any, bins: int, cols: int, rows: int) -> ChartPicture:
    """A histogram of ``values`` (at most one bin per column of the canvas)."""
    hist = histogram(values, bins)
    if hist.counts.size == 0:
        return ChartPicture([Text("No numbers to draw: every value is empty.", "yellow")], "no values")
    plot_cols = max(cols - len(f"{int(hist.counts.max()):,}") - 1, 1)
    if hist.counts.size > plot_cols:
        hist = histogram(values, plot_cols)
    edges = hist.edges
    width = (edges[1] / 2 - edges[0] / 2) * 2  # halves: the width of one bin near ±1.8e308 would overflow
    lines = column_chart(
        hist.counts,
        nice_number(edges[0]),
        nice_number(edges[-1]),
        cols,
        rows,
        "green",
        nice_number(edges[0] / 2 + edges[-1] / 2),
    )
    note = f"{hist.counts.size} bins of {nice_number(width)} from {nice_number(edges[0])} to {nice_number(edges[-1])}"
    if hist.missing:
        note += f" · {hist.missing:,} empty values left out"
    return ChartPicture(lines, note)


def draw_timeseries(counts: DateCounts, cols: int, rows: int) -> ChartPicture:
    if not counts.starts:
        return ChartPicture([Text("No dates to draw: every value is empty.", "yellow")], "no values")
    first, last = counts.starts[0], counts.starts[-1]
    middle = counts.starts[len(counts.starts) // 2]
    lines = column_chart(
        counts.counts,
        format_bucket(first, counts.unit),
        format_bucket(last, counts.unit),
        cols,
        rows,
        "cyan",
        format_bucket(middle, counts.unit) if len(counts.starts) > 2 else "",
    )
    k = unit_years(counts.unit)
    if k > 1:  # the last bucket ends k - 1 years after it starts
        note = (
            f"rows per {k} years, {len(counts.starts):,} buckets of {k} years"
            f" from {first.year} to {min(last.year + k - 1, 9999)}"
        )
    else:
        note = (
            f"rows per {counts.unit}, {len(counts.starts):,} {counts.unit}s"
            f" from {format_bucket(first, counts.unit)} to {format_bucket(last, counts.unit)}"
        )
    if counts.missing:
        note += f" · {counts.missing:,} empty values left out"
    return ChartPicture(lines, note)


def far_dates(series: pl.Series) -> tuple[int, int, int, date, date] | None:
    """When most dates sit in a few years and some lie far away (1900-01-01 or 9999-12-31 placeholders): (first and
    last year of the middle 98% of the dates, how many dates are far from them, the earliest and latest of those).
    A date is far when it lies further from that middle span than the span is long (at least 10 years). None when
    no date is far."""
    days = _as_dates(series).drop_nulls()
    if days.len() < 3:
        return None
    years = days.dt.year()
    lo = int(years.quantile(0.01, "lower"))  # type: ignore[arg-type]  # a quantile of years with values: a number
    hi = int(years.quantile(0.99, "higher"))  # type: ignore[arg-type]  # likewise
    pad = max(hi - lo + 1, 10)
    far = days.filter((years < lo - pad) | (years > hi + pad))
    if far.len() == 0:
        return None
    return lo, hi, far.len(), far.min(), far.max()  # type: ignore[return-value]  # a Date column: dates


def draw_dates(series: pl.Series, cols: int, rows: int, unit: str | None = None) -> tuple[ChartPicture, str]:
    """The time series of a date column on ``cols`` × ``rows`` cells, and the unit drawn: ``unit`` (None: the finest
    that fits), made coarser (up to buckets of many years) until every bucket has a column, so nothing is cropped."""
    span = date_span(series)
    if span is None:
        return ChartPicture([Text("No dates to draw: every value is empty.", "yellow")], "no values"), unit or "day"
    width = max(cols - len(f"{series.len():,}") - 1, 1)  # the count axis is at most this wide
    chosen = unit or pick_unit(span[0], span[1], width)
    note = ""
    while bucket_count(span[0], span[1], chosen) > width and chosen != ALL_UNITS[-1]:
        chosen = coarser(chosen)
        note = f" ({unit} buckets would need more columns than there are)"
    picture = draw_timeseries(date_counts(series, chosen), cols, rows)
    text = f"{picture.note}, {'chosen from the span' if unit is None else 'fixed'}{note}"
    if unit_years(chosen) > 1:
        far = far_dates(series)
        if far is not None:
            lo, hi, n, earliest, latest = far
            text += (
                f" · most dates in {lo}–{hi}; {n:,} date{'s' if n != 1 else ''} far from the rest "
                f"({earliest.isoformat()} … {latest.isoformat()})"
                if n != 1
                else f" · most dates in {lo}–{hi}; 1 date far from the rest ({earliest.isoformat()})"
            )
    return ChartPicture(picture.lines, text), chosen


def draw_bars(top: TopValues, cols: int, rows: int) -> ChartPicture:
    """One horizontal bar per value, commonest first, as many as fit in ``rows`` (with the rest summed)."""
    from pdxtui.textsafe import one_line

    shown = top.values[: max(rows - (1 if top.other or top.nulls else 0), 1)]
    other = top.other + sum(c for _, c in top.values[len(shown) :])
    rows_out: list[tuple[str, int, str]] = [(one_line(value_label(v), 60), c, "green") for v, c in shown]
    if other:
        rows_out.append(("(others)", other, "dim"))
    if top.nulls:
        rows_out.append(("∅ (null)", top.nulls, "dim"))
    if not rows_out:
        return ChartPicture([Text("No values to draw: every value is empty.", "yellow")], "no values")
    label_w = min(max(cell_len(label) for label, _, _ in rows_out), max(cols // 3, 8))  # terminal cells, not characters
    count_w = max(len(f"{c:,}") for _, c, _ in rows_out)
    bar_w = max(cols - label_w - count_w - 3, 1)
    biggest = max(c for _, c, _ in rows_out)
    lines = []
    total = sum(c for _, c, _ in rows_out)
    for label, count, style in rows_out:
        text = Text(no_wrap=True, overflow="crop")
        cut = label if cell_len(label) <= label_w else set_cell_size(label, label_w - 1) + "…"
        text.append(set_cell_size(cut, label_w), "" if style == "green" else "dim")
        text.append(" ")
        text.append(horizontal_bar(count, biggest, bar_w).ljust(bar_w), style)
        text.append(" " + f"{count:,}".rjust(count_w), "bold" if style == "green" else "dim")
        lines.append(text)
    note = f"{len(shown)} commonest of {top.distinct:,} distinct values in {total:,} rows"
    return ChartPicture(lines, note)


def chart_kind(dtype: Any) -> str:
    """The chart for a column of this polars dtype: histogram (numbers), timeseries (dates) or bars (the rest)."""
    import polars as pl

    if dtype.is_numeric():
        return "histogram"
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return "timeseries"
    return "bars"


def geometry_column(columns: Sequence[str]) -> str | None:
    """The column holding GeoJSON outlines (``geometry``, as the ArcGIS portal names it), if any."""
    return next((c for c in columns if c.lower() in ("geometry", "shape_geometry", "the_geom")), None)
