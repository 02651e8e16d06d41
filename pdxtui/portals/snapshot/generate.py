"""Builds the sample rows of one snapshot dataset from the ``gen`` specs in ``catalog.json``.

Everything is vectorised polars. Each value comes from a pseudo-random stream that depends only on the dataset's
seed, the field name and the row number, mixed with plain integer arithmetic (no RNG state and no
version-dependent hashing), so the same rows come out on every run and every machine.

Spec kinds (``{"gen": KIND, ...}``; ``{"use": MACRO}`` reuses a macro from the catalog):

- ``oid``: 1..n. ``seq``: ``start + i * step``. ``const``: ``value``.
- ``int`` / ``float``: ``min``..``max``, skewed towards ``min`` by ``power`` > 1; floats rounded to ``decimals``.
- ``choice``: ``values`` (or ``table`` + ``column``) picked at random, weighted by ``weights`` (or the table's
  ``weight`` column). Specs sharing a ``key`` pick the same table row, so related columns agree.
- ``list``: ``values`` (or ``table`` + ``column``) in order, row i gets item ``i % len``.
- ``datetime``: between the ISO dates ``start`` and ``end``; ``days`` rounds to midnight UTC.
- ``concat``: strings and specs in ``parts``, joined. ``scale``: field ``of`` times ``factor``.
  ``year``: the year of date field ``of``. ``bins``: ``values[i]`` for field ``of`` against ``edges``.
- ``near``: a point scattered around a place: the ``table`` row is picked by its ``weight`` column (every
  ``near`` spec of a dataset picks the same row, so latitude and longitude agree), then ``coord`` (a column of
  the table) moves by up to ±1.5 × ``spread``, bell-shaped; clipped to ``min``..``max``, rounded to ``decimals``.
- Any spec may add ``nulls`` (fraction of rows left empty) or ``pad`` (zero-padded text of that width).
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from functools import reduce
from typing import Any

import polars as pl

from pdxtui.portals.snapshot import ESRI_KINDS, catalog, entry, tables

_SPAN = 2**31  # noise values lie in [0, _SPAN)
_MASK = _SPAN - 1
_MS_PER_DAY = 86_400_000

DTYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "string": pl.String(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("ms", "UTC"),
}

Spec = dict[str, Any]


def noise(n: int, salt: str, start: int = 0) -> pl.Series:
    """n pseudo-random Int64 values in [0, 2**31), fixed by ``salt``: those of rows ``start`` .. ``start + n - 1``.

    A 31-bit multiply/xor-shift hash of the row number. Every product stays below 2**62, so nothing overflows.
    """
    x = (
        pl.int_range(start, start + n, dtype=pl.Int64, eager=True) * 1_103_515_245 + (zlib.crc32(salt.encode()) & _MASK)
    ) & _MASK
    for multiplier in (0x45D9F3B, 0x119DE1F3):
        x = x ^ (x // 65536)
        x = (x * multiplier) & _MASK
    return x ^ (x // 65536)


def _epoch_ms(day: str) -> int:
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    return int(start.timestamp() * 1000)


def build_frame(dataset_id: str, start: int = 0, stop: int | None = None) -> pl.DataFrame:
    """The sample frame of a snapshot dataset: all its rows, or rows ``start`` .. ``stop - 1`` only (the same rows as
    that slice of the whole frame, built alone). Columns follow the catalog's field order."""
    meta = entry(dataset_id)
    if meta is None:
        raise KeyError(f"no dataset {dataset_id!r} in the bundled snapshot")
    return _Builder(meta, start, stop).frame()


class _Builder:
    def __init__(self, meta: dict[str, Any], start: int = 0, stop: int | None = None) -> None:
        rows: int = meta["rows"]
        self.start = min(max(start, 0), rows)  # the first row built; every value depends on its row number only
        self.n: int = max(min(rows if stop is None else stop, rows) - self.start, 0)  # how many rows are built
        self.seed: int = meta["seed"]
        self.fields: dict[str, dict[str, Any]] = {f["name"]: f for f in meta["fields"]}
        self.macros: dict[str, Spec] = catalog()["macros"]
        self.built: dict[str, pl.Series] = {}
        self.picks: dict[tuple[str, str, str], pl.Series] = {}

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame([self.field(name) for name in self.fields])

    def field(self, name: str) -> pl.Series:
        """One finished column (memoised: ``scale``, ``year`` and ``bins`` read other fields)."""
        if name not in self.built:
            meta = self.fields[name]
            spec = self._expand(meta["gen"])
            series = _cast(self.values(spec, name), ESRI_KINDS.get(meta["type"], "string"))
            if spec.get("nulls"):
                keep = self._noise(f"{self.seed}:{name}:nulls") >= int(spec["nulls"] * _SPAN)
                series = pl.select(pl.when(pl.lit(keep)).then(pl.lit(series))).to_series()
            self.built[name] = series.alias(name)
        return self.built[name]

    def _expand(self, spec: Spec) -> Spec:
        if "use" in spec:
            extra = {k: v for k, v in spec.items() if k != "use"}
            return {**self.macros[spec["use"]], **extra}
        return spec

    def values(self, spec: Spec, salt: str) -> pl.Series:
        spec = self._expand(spec)
        series = getattr(self, "_" + spec["gen"])(spec, salt)
        if "pad" in spec:
            series = series.cast(pl.String).str.zfill(spec["pad"])
        return series

    def _noise(self, salt: str) -> pl.Series:
        return noise(self.n, salt, self.start)

    def _rows(self) -> pl.Series:
        """The row numbers built."""
        return pl.int_range(self.start, self.start + self.n, dtype=pl.Int64, eager=True)

    def _uniform(self, spec: Spec, salt: str) -> pl.Series:
        u = self._noise(f"{self.seed}:{salt}") / _SPAN
        power = spec.get("power", 1)
        return u if power == 1 else u**power

    # -- spec kinds ----------------------------------------------------------------------------------------------
    def _oid(self, spec: Spec, salt: str) -> pl.Series:
        return self._rows() + 1

    def _seq(self, spec: Spec, salt: str) -> pl.Series:
        return self._rows() * spec.get("step", 1) + spec.get("start", 1)

    def _const(self, spec: Spec, salt: str) -> pl.Series:
        return pl.repeat(spec["value"], self.n, eager=True)

    def _int(self, spec: Spec, salt: str) -> pl.Series:
        low, high = spec["min"], spec["max"]
        if spec.get("power", 1) == 1:
            return self._noise(f"{self.seed}:{salt}") % (high - low + 1) + low
        steps = (self._uniform(spec, salt) * (high - low + 1)).cast(pl.Int64)  # u < 1, so steps <= high - low
        return steps + low

    def _float(self, spec: Spec, salt: str) -> pl.Series:
        low, high = spec["min"], spec["max"]
        return (self._uniform(spec, salt) * (high - low) + low).round(spec.get("decimals", 2))

    def _choice(self, spec: Spec, salt: str) -> pl.Series:
        values, weights = self._options(spec)
        key = spec.get("key", salt)
        cache_key = (key, spec.get("table", ""), spec.get("weight", ""))
        if cache_key not in self.picks:
            # one slot per unit of weight: a gather is much cheaper than a search of the cumulative weights
            slots = pl.Series([i for i, weight in enumerate(weights) for _ in range(weight)], dtype=pl.UInt32)
            self.picks[cache_key] = slots.gather(self._noise(f"{self.seed}:pick:{key}") % len(slots))
        return values.gather(self.picks[cache_key])

    def _near(self, spec: Spec, salt: str) -> pl.Series:
        place = {"table": spec["table"], "column": spec["coord"], "weight": "weight", "key": "near:place"}
        centre = self._choice(place, salt).cast(pl.Float64)
        # the sum of three uniforms: a bell-shaped offset in [-1.5, 1.5) spreads
        bell = sum(
            (self._noise(f"{self.seed}:{salt}:{i}") / _SPAN for i in range(3)), pl.repeat(-1.5, self.n, eager=True)
        )
        value = centre + bell * spec["spread"]
        return value.clip(spec["min"], spec["max"]).round(spec.get("decimals", 6))

    def _list(self, spec: Spec, salt: str) -> pl.Series:
        values, _ = self._options(spec)
        return values.gather(self._rows() % len(values))

    def _datetime(self, spec: Spec, salt: str) -> pl.Series:
        start, end = _epoch_ms(spec["start"]), _epoch_ms(spec["end"])
        ms = (self._uniform(spec, salt) * (end - start)).floor().cast(pl.Int64) + start
        return ms - ms % _MS_PER_DAY if spec.get("days") else ms

    def _concat(self, spec: Spec, salt: str) -> pl.Series:
        parts = [
            pl.repeat(part, self.n, dtype=pl.String, eager=True)
            if isinstance(part, str)
            else self.values(part, f"{salt}:{i}").cast(pl.String)
            for i, part in enumerate(spec["parts"])
        ]
        return reduce(lambda left, right: left + right, parts)

    def _scale(self, spec: Spec, salt: str) -> pl.Series:
        return (self.field(spec["of"]) * spec["factor"]).round(spec.get("decimals", 2))

    def _year(self, spec: Spec, salt: str) -> pl.Series:
        return self.field(spec["of"]).dt.year().cast(pl.Int64)

    def _bins(self, spec: Spec, salt: str) -> pl.Series:
        slot = pl.Series(spec["edges"]).search_sorted(self.field(spec["of"]), side="right")
        return pl.Series(spec["values"]).gather(slot)

    def _options(self, spec: Spec) -> tuple[pl.Series, list[int]]:
        """The values a choice or list draws from, and their weights."""
        if "table" in spec:
            table = tables()[spec["table"]]
            columns = table["columns"]
            column = [row[columns.index(spec["column"])] for row in table["rows"]]
            weight_at = columns.index(spec["weight"]) if "weight" in spec else None
            weights = [row[weight_at] if weight_at is not None else 1 for row in table["rows"]]
        else:
            column = spec["values"]
            weights = spec.get("weights") or [1] * len(column)
        return pl.Series(column), weights


def _cast(series: pl.Series, kind: str) -> pl.Series:
    if kind == "datetime" and series.dtype.is_integer():
        return series.cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
    if kind == "date" and series.dtype.is_integer():
        return (series // _MS_PER_DAY).cast(pl.Int32).cast(pl.Date)
    return series.cast(DTYPES.get(kind, pl.String()))
