"""Column statistics and facet (frequency) counts, with no Textual import.

:func:`column_stats` and :func:`facet_counts` work on a polars frame: the rows loaded in the preview
(``scope="loaded"``) or a frame that holds the whole dataset (``scope="dataset"``). :func:`facet_from_counts`
turns a portal's server-side group-by answer (value, count pairs) into the same :class:`Facet`, and
:func:`stats_from_facet` turns such a facet into :class:`ColumnStats`, so the stats pane draws one type whatever
the source.

Conventions, the same everywhere in this module:

- ``rows`` is every row considered, nulls included. Each percentage (``pct``, ``null_pct``) is a share of
  ``rows``, so the values' percentages plus the null percentage add up to 100 when no value is left out.
- Nulls are never a value: they are counted in ``nulls``, not in ``distinct`` and never listed in ``top`` or
  ``values``.
- Values are ordered by count, most frequent first; equal counts are ordered by value, ascending (polars order:
  strings by code point, Categorical columns lexically, Enum columns in their declared order, NaN after every
  number). The order is deterministic.
- Float NaN is a value (it is not null): it is counted in ``non_null``, ``distinct``, ``top`` and in ``nans``,
  but left out of ``min``, ``max``, ``mean`` and ``median``, which describe the other numbers. A column of only NaN
  has no min/max/mean/median.
- Nested columns (List, Array, Struct) get counts, distinct and top values but no min/max. Anything polars cannot
  group (Object columns, say) falls back to counting in Python by ``repr``, so no column makes this raise.

polars is imported inside the functions that need it; :func:`bar`, :func:`format_value` and
:func:`facet_from_counts` never import it. Nothing here produces markup: callers make text inert where they show it.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pdxtui.textsafe import one_line

if TYPE_CHECKING:
    import polars as pl

SCOPES = ("loaded", "dataset")
NULL_TEXT = "∅"
#: Partial blocks, one eighth of a cell up to seven eighths.
EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
FULL_BLOCK = "█"

NUMBER_KINDS = ("integer", "float", "decimal")
TEMPORAL_KINDS = ("date", "datetime")


@dataclass(frozen=True)
class ValueCount:
    """One value and how often it occurs. ``pct`` is ``count`` as a share (0-100) of all rows considered."""

    value: Any
    count: int
    pct: float


@dataclass(frozen=True)
class ColumnStats:
    """What the stats pane shows for one column.

    ``min``/``max`` are set for every orderable kind (numbers, text, dates, times, durations); for date and
    datetime columns ``earliest``/``latest`` hold the same two values, so a pane shows one pair or the other.
    ``mean``/``median`` are set for numbers (as floats) and durations. ``top`` lists up to N values (see the
    module notes for order, nulls and NaN); ``other`` is the number of non-null rows whose value is not in ``top``.
    """

    column: str
    dtype: str
    rows: int
    non_null: int
    nulls: int
    null_pct: float
    distinct: int
    min: Any = None
    max: Any = None
    mean: Any = None
    median: Any = None
    earliest: Any = None
    latest: Any = None
    top: tuple[ValueCount, ...] = ()
    other: int = 0
    nans: int = 0
    scope: str = "loaded"

    def scale(self, count: int) -> float:
        """``count`` as a fraction of the most frequent value's count: the length of its bar (0..1)."""
        return _scale(count, self.top)


@dataclass(frozen=True)
class Facet:
    """A frequency table for one column.

    ``values`` is sorted by count (descending) then value. ``distinct`` counts non-null distinct values; for a
    facet built from a server answer that was cut short it counts the values received, a lower bound.
    ``truncated`` says values were left out (by ``limit``, or because the server's counts do not cover ``rows``).
    """

    column: str
    rows: int
    values: tuple[ValueCount, ...]
    nulls: int = 0
    distinct: int = 0
    truncated: bool = False
    scope: str = "loaded"

    @property
    def non_null(self) -> int:
        return self.rows - self.nulls

    @property
    def null_pct(self) -> float:
        return _pct(self.nulls, self.rows)

    @property
    def other(self) -> int:
        """Non-null rows whose value is not listed in ``values``."""
        return max(0, self.non_null - sum(v.count for v in self.values))

    def scale(self, count: int) -> float:
        """``count`` as a fraction of the largest count here: the length of its bar (0..1)."""
        return _scale(count, self.values)


# ---------------------------------------------------------------------------------------------------- display


def bar(fraction: float, width: int) -> str:
    """A bar of exactly ``width`` cells for ``fraction`` (0..1), drawn in eighths of a cell and padded with spaces.

    The length is rounded to the nearest eighth, except that any fraction above zero shows at least one eighth,
    so a value that occurs is never drawn as nothing. Fractions outside 0..1 are clamped; NaN counts as 0.
    """
    if width <= 0:
        return ""
    if not fraction > 0:  # also NaN
        return " " * width
    fraction = min(fraction, 1.0)
    eighths = max(1, int(fraction * width * 8 + 0.5))
    full, part = divmod(eighths, 8)
    text = FULL_BLOCK * full + EIGHTHS[part]
    return text + " " * (width - len(text))


def format_value(value: Any, max_len: int | None = None) -> str:
    """``value`` as one line of plain text: None as ∅, dates and times in ISO 8601, floats to 10 significant digits.

    White space is folded and control characters are made visible (see :func:`pdxtui.textsafe.one_line`);
    ``max_len`` cuts the text with an ellipsis. No markup is produced or interpreted.
    """
    return one_line(_text(value), max_len)


def format_count(count: int | None) -> str:
    """A count with thousands separators, or ∅."""
    return NULL_TEXT if count is None else f"{count:,}"


def format_pct(pct: float | None) -> str:
    """A percentage to one decimal place; shares that are not zero but round to it show as "<0.1%"."""
    if pct is None or math.isnan(pct):
        return NULL_TEXT
    if 0 < pct < 0.05:
        return "<0.1%"
    if 99.95 <= pct < 100:
        return ">99.9%"
    return f"{pct:.1f}%"


def _text(value: Any) -> str:
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        text = f"{value:.10g}"
        return "0" if text == "-0" else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, _dt.datetime):
        spec = "seconds" if value.microsecond == 0 else "milliseconds" if value.microsecond % 1000 == 0 else "auto"
        return value.isoformat(sep=" ", timespec=spec)
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(k)}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


# ---------------------------------------------------------------------------------------------------- polars side


def dtype_name(dtype: Any) -> str:
    """A short readable name for a polars dtype: integer, float, decimal, text, category, enum, boolean, date,
    datetime, time, duration, list, struct, binary, null or object (or the dtype's own name, lower-cased)."""
    import polars as pl

    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if dtype.is_decimal():
        return "decimal"
    for klass, name in (
        (pl.String, "text"),
        (pl.Categorical, "category"),
        (pl.Enum, "enum"),
        (pl.Boolean, "boolean"),
        (pl.Date, "date"),
        (pl.Datetime, "datetime"),
        (pl.Time, "time"),
        (pl.Duration, "duration"),
        (pl.List, "list"),
        (pl.Array, "list"),
        (pl.Struct, "struct"),
        (pl.Binary, "binary"),
        (pl.Null, "null"),
        (pl.Object, "object"),
    ):
        if dtype == klass or isinstance(dtype, klass):
            return name
    return str(dtype).lower()


def column_stats(frame: pl.DataFrame, column: str, *, top: int = 10, scope: str = "loaded") -> ColumnStats:
    """Statistics for ``frame[column]``: counts, distinct values, range, centre and the ``top`` commonest values.

    One aggregate query (NaN count, min, max, mean, median) and one count of values (see :func:`facet_counts`).
    See the module notes for nulls, NaN and ordering.
    """
    _check_scope(scope)
    series = _series(frame, column)
    kind = dtype_name(series.dtype)
    rows = series.len()
    nulls = series.null_count()
    pairs, distinct = _count_values(series, kind, top)
    aggregates = _aggregates(series, kind) if rows > nulls else {}

    top_values = tuple(ValueCount(v, n, _pct(n, rows)) for v, n in pairs)
    non_null = rows - nulls
    low, high = aggregates.get("min"), aggregates.get("max")
    temporal = kind in TEMPORAL_KINDS
    return ColumnStats(
        column=column,
        dtype=kind,
        rows=rows,
        non_null=non_null,
        nulls=nulls,
        null_pct=_pct(nulls, rows),
        distinct=distinct,
        min=low,
        max=high,
        mean=_finite(aggregates.get("mean")),
        median=_finite(aggregates.get("median")),
        earliest=low if temporal else None,
        latest=high if temporal else None,
        top=top_values,
        other=non_null - sum(v.count for v in top_values),
        nans=int(aggregates.get("nans") or 0),
        scope=scope,
    )


def facet_counts(frame: pl.DataFrame, column: str, *, limit: int | None = None, scope: str = "loaded") -> Facet:
    """Every distinct non-null value of ``frame[column]`` with its count (the ``limit`` commonest if given).

    Building one Python object per value costs a few microseconds each: pass a ``limit`` for columns that may
    hold hundreds of thousands of distinct values.
    """
    _check_scope(scope)
    series = _series(frame, column)
    rows = series.len()
    nulls = series.null_count()
    pairs, distinct = _count_values(series, dtype_name(series.dtype), limit)
    values = tuple(ValueCount(v, n, _pct(n, rows)) for v, n in pairs)
    return Facet(
        column=column,
        rows=rows,
        values=values,
        nulls=nulls,
        distinct=distinct,
        truncated=len(values) < distinct,
        scope=scope,
    )


def facet_from_counts(
    column: str,
    pairs: Iterable[tuple[Any, int]],
    total_rows: int | None,
    nulls: int = 0,
    scope: str = "dataset",
    *,
    limit: int | None = None,
) -> Facet:
    """A :class:`Facet` from (value, count) pairs, such as a portal's group-by answer.

    A ``None`` value adds to ``nulls``; repeated values are added together; zero and negative counts are dropped.
    ``total_rows`` is the row count the counts are out of (None: their sum plus ``nulls``). If the counts cover
    fewer rows than that, the facet is marked ``truncated`` (the server listed only some values); if they add up
    to more (a stale total), ``rows`` becomes their sum so that no percentage exceeds 100.
    """
    _check_scope(scope)
    merged: dict[Any, list[Any]] = {}
    for value, count in pairs:
        count = int(count)
        if value is None:
            nulls += max(count, 0)
            continue
        if count <= 0:
            continue
        key = _key(value)
        if key in merged:
            merged[key][1] += count
        else:
            merged[key] = [value, count]
    listed = sum(count for _, count in merged.values())
    covered = listed + nulls
    rows = covered if total_rows is None else max(int(total_rows), covered)
    ordered = _sort_pairs(merged.values())
    if limit is not None:
        ordered = ordered[: max(limit, 0)]
    values = tuple(ValueCount(v, c, _pct(c, rows)) for v, c in ordered)
    return Facet(
        column=column,
        rows=rows,
        values=values,
        nulls=nulls,
        distinct=len(merged),
        truncated=covered < rows or len(values) < len(merged),
        scope=scope,
    )


def stats_from_facet(facet: Facet, *, dtype: str = "", top: int = 10) -> ColumnStats:
    """:class:`ColumnStats` from a facet (for instance one built from a server's group-by).

    Counts, nulls, distinct and the top values come straight from the facet. min/max (and earliest/latest,
    mean/median for numbers) are worked out from the values only when the facet is complete (not truncated);
    otherwise they are None. A portal that can ask the server for them (ArcGIS ``outStatistics``, say) fills them
    in with ``dataclasses.replace``. ``dtype`` is the readable type name; if empty it is guessed from the values.
    """
    values = facet.values
    kind = dtype or _guess_kind(v.value for v in values)
    shown = values[: max(top, 0)]
    low = high = mean = median = None
    nans = sum(v.count for v in values if isinstance(v.value, float) and math.isnan(v.value))
    if not facet.truncated and values:
        ordered = [v for v in values if not (isinstance(v.value, float) and math.isnan(v.value))]
        try:
            ordered.sort(key=lambda v: v.value)
        except TypeError:
            ordered = []
        if ordered and kind not in ("boolean", "list", "struct", "object", "binary"):
            low, high = ordered[0].value, ordered[-1].value
        if ordered and kind in NUMBER_KINDS:
            weight = sum(v.count for v in ordered)
            mean = float(sum(float(v.value) * v.count for v in ordered) / weight)
            median = _weighted_median([(float(v.value), v.count) for v in ordered], weight)
    temporal = kind in TEMPORAL_KINDS
    return ColumnStats(
        column=facet.column,
        dtype=kind,
        rows=facet.rows,
        non_null=facet.non_null,
        nulls=facet.nulls,
        null_pct=facet.null_pct,
        distinct=facet.distinct,
        min=low,
        max=high,
        mean=mean,
        median=median,
        earliest=low if temporal else None,
        latest=high if temporal else None,
        top=shown,
        other=facet.non_null - sum(v.count for v in shown),
        nans=nans,
        scope=facet.scope,
    )


# ---------------------------------------------------------------------------------------------------- helpers


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")


def _series(frame: pl.DataFrame, column: str) -> pl.Series:
    if column not in frame.columns:
        raise KeyError(column)
    return frame.get_column(column)


def _pct(count: int, rows: int) -> float:
    return 100.0 * count / rows if rows else 0.0


def _scale(count: int, values: Sequence[ValueCount]) -> float:
    largest = max((v.count for v in values), default=0)
    return min(1.0, count / largest) if largest > 0 else 0.0


def _finite(value: Any) -> Any:
    """NaN (what polars gives for the mean of nothing, in some versions) becomes None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _aggregates(series: pl.Series, kind: str) -> dict[str, Any]:
    """min, max, mean, median and NaN count, as far as they apply to ``kind``; {} if polars cannot compute them."""
    import polars as pl

    col = pl.col("value")
    exprs: list[Any] = []
    if kind == "float":
        clean = col.fill_nan(None)
        exprs += [
            col.is_nan().sum().alias("nans"),
            clean.min().alias("min"),
            clean.max().alias("max"),
            clean.mean().alias("mean"),
            clean.median().alias("median"),
        ]
    elif kind in ("integer", "decimal", "duration"):
        exprs += [
            col.min().alias("min"),
            col.max().alias("max"),
            col.mean().alias("mean"),
            col.median().alias("median"),
        ]
    elif kind in ("text", "category", "enum", "date", "datetime", "time", "binary"):
        exprs += [col.min().alias("min"), col.max().alias("max")]
    if not exprs:
        return {}
    try:
        return series.to_frame("value").select(exprs).row(0, named=True)
    except Exception:
        return {}


#: From this many values on, a column of many distinct values is counted by sorting rather than hashing.
_SORT_COUNT_MIN = 10_000
#: Kinds that sort fast (fixed-width values). For them, sorting then counting runs of equal values beats a
#: group-by by two to three times when most values are distinct (ids, measurements, timestamps). Text sorts slowly,
#: so it is always grouped.
_SORT_COUNT_KINDS = ("integer", "float", "decimal", "date", "datetime", "time", "duration")


def _count_values(series: pl.Series, kind: str, limit: int | None) -> tuple[list[tuple[Any, int]], int]:
    """The ``limit`` commonest non-null values (all if None) as (value, count) pairs in facet order, and the
    number of distinct non-null values. polars does the work; Python does it when polars cannot."""
    import polars as pl

    values = series.drop_nulls()
    if values.len() == 0:
        return [], 0
    if kind not in ("null", "object"):
        try:
            size = values.len()
            if (
                kind in _SORT_COUNT_KINDS
                and size >= _SORT_COUNT_MIN
                and cast(int, values.approx_n_unique()) >= size // 2
            ):
                runs = values.sort().rle().struct.unnest()  # columns "len" and "value", in value order
                counts = runs.select(pl.col("value"), pl.col("len").alias("n"))
                if counts.height == size:  # every value occurs once: the commonest are the smallest
                    chosen = counts if limit is None else counts.head(limit)
                    return [(v, 1) for v in chosen["value"].to_list()], size
            else:
                counts = values.to_frame("value").group_by("value").agg(pl.len().alias("n"))
            chosen = _commonest(counts, limit)
            return list(zip(chosen["value"].to_list(), chosen["n"].to_list())), counts.height
        except Exception:
            pass
    return _python_counts(values, limit)


def _commonest(counts: pl.DataFrame, limit: int | None) -> pl.DataFrame:
    """The ``limit`` rows of a (value, n) frame with the highest n, ties to the smallest values, in that order.

    Instead of a two-key top-k over every group: find the limit-th highest count, keep the (fewer than ``limit``)
    groups above it, and fill up with the smallest values among the groups tied on it."""
    import polars as pl

    def ordered(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.sort(["n", "value"], descending=[True, False])

    if limit is None or counts.height <= limit:
        return ordered(counts).head(limit) if limit is not None else ordered(counts)
    if limit <= 0:
        return counts.head(0)
    kth = counts["n"].top_k(limit).min()
    above = counts.filter(pl.col("n") > kth)
    tied = counts.filter(pl.col("n") == kth)
    need = limit - above.height
    if tied.height > need:
        tied = tied.select(pl.col("value").bottom_k(need), pl.lit(kth, dtype=counts.schema["n"]).alias("n"))
    return ordered(pl.concat([above, tied]))


def _python_counts(series: pl.Series, top: int | None) -> tuple[list[tuple[Any, int]], int]:
    """Count values in Python, keyed by ``repr`` when a value cannot be hashed: the slow path that never fails."""
    merged: dict[Any, list[Any]] = {}
    for value in series.to_list():
        if value is None:
            continue
        key = _key(value)
        if key in merged:
            merged[key][1] += 1
        else:
            merged[key] = [value, 1]
    ordered = _sort_pairs(merged.values())
    if top is not None:
        ordered = ordered[: max(top, 0)]
    return ordered, len(merged)


def _key(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)  # NaN != NaN, so every NaN would be its own key
    try:
        hash(value)
    except TypeError:
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


def _sort_pairs(pairs: Iterable[Sequence[Any]]) -> list[tuple[Any, int]]:
    items = [(value, int(count)) for value, count in pairs]
    try:
        items.sort(key=lambda vc: (-vc[1], _order(vc[0])))
    except TypeError:  # values of one rank that still do not compare (naive and aware datetimes, say)
        items.sort(key=lambda vc: (-vc[1], _order(vc[0])[0], repr(vc[0])))
    return items


def _order(value: Any) -> tuple[Any, ...]:
    """A sort key close to polars' order: booleans, then numbers (NaN last), text, temporals by type, others."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float, decimal.Decimal)):
        if isinstance(value, float) and math.isnan(value):
            return (1, 1, 0)
        return (1, 0, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        return (3, type(value).__name__, value)
    return (4, type(value).__name__, repr(value))


def _guess_kind(values: Iterable[Any]) -> str:
    kinds = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int):
            kinds.add("integer")
        elif isinstance(value, float):
            kinds.add("float")
        elif isinstance(value, decimal.Decimal):
            kinds.add("decimal")
        elif isinstance(value, str):
            kinds.add("text")
        elif isinstance(value, _dt.datetime):
            kinds.add("datetime")
        elif isinstance(value, _dt.date):
            kinds.add("date")
        elif isinstance(value, _dt.time):
            kinds.add("time")
        elif isinstance(value, _dt.timedelta):
            kinds.add("duration")
        elif isinstance(value, (list, tuple)):
            kinds.add("list")
        elif isinstance(value, dict):
            kinds.add("struct")
        else:
            kinds.add("object")
    if kinds == {"integer", "float"}:
        return "float"
    if len(kinds) == 1:
        return kinds.pop()
    return "mixed" if kinds else "null"


def _weighted_median(pairs: list[tuple[float, int]], weight: int) -> float:
    """Median of values repeated ``count`` times each (``pairs`` sorted by value); the mean of the middle two
    when the number of values is even, as polars does."""
    lower_rank, upper_rank = (weight - 1) // 2, weight // 2
    seen = 0
    lower = None
    for value, count in pairs:
        if lower is None and seen + count > lower_rank:
            lower = value
        if seen + count > upper_rank:
            return (lower + value) / 2 if lower is not None else value
        seen += count
    raise AssertionError("weights do not add up")  # pragma: no cover
