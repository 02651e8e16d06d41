"""polars frames as pdxtui types and shows them: the portal's declared types applied to fetched columns, and a
grid-ready copy of a frame. Shared by the service (fetching), export (empty frames of the right types) and the UI.

polars is imported inside the functions, so importing this module stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdxtui.model import Dataset

if TYPE_CHECKING:
    import polars as pl


_TRUTH = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
}


def polars_dtype(name: str) -> Any:
    import polars as pl

    if name == "Datetime":
        return pl.Datetime("ms", "UTC")
    return getattr(pl, name)


def apply_schema(frame: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    """Cast columns to the types the portal declares (never guessed when the portal says)."""
    import polars as pl

    casts = []
    texts = []
    for field in dataset.fields:
        if field.name not in frame.columns:
            continue
        want = polars_dtype(field.dtype)
        have = frame.schema[field.name]
        if have == want or (isinstance(want, pl.Datetime) and isinstance(have, pl.Datetime)):
            continue
        if have in (pl.String, pl.Utf8):
            texts.append(field.name)
            casts.append(_from_text(pl.col(field.name), want))
        else:
            casts.append(pl.col(field.name).cast(want, strict=False))
    if not casts:
        return frame
    try:
        typed = frame.with_columns(casts)
    except pl.exceptions.PolarsError:  # one column that cannot be read as its type: cast the others one by one
        typed = frame
        for cast in casts:
            try:
                typed = typed.with_columns(cast)
            except pl.exceptions.PolarsError:
                continue
    if texts:
        # text that does not fit the declared type (a CSV whose later rows say "n/a" in a number column) is
        # kept as text rather than turned into nulls: nothing the portal sent is lost
        lost = typed.select([pl.col(n).null_count() for n in texts]).row(0)
        had = frame.select([pl.col(n).null_count() for n in texts]).row(0)
        keep = [n for n, after, before in zip(texts, lost, had) if after > before]
        if keep:
            typed = typed.with_columns([frame[n] for n in keep])
    return typed


def _from_text(column: Any, want: Any) -> Any:
    """An expression reading text as ``want`` (values that do not parse become null)."""
    import polars as pl

    if want == pl.Date:
        return column.str.strip_chars().str.to_date(strict=False)
    if isinstance(want, pl.Datetime):
        return column.str.strip_chars().str.to_datetime(strict=False, time_unit="ms", time_zone="UTC")
    if want == pl.Boolean:
        return column.str.strip_chars().str.to_lowercase().replace_strict(_TRUTH, default=None, return_dtype=pl.Boolean)
    return column.str.strip_chars().cast(want, strict=False)


def estimated_bytes(frame: pl.DataFrame, rows: int | None) -> int | None:
    """A rough in-memory size for ``rows`` rows shaped like ``frame`` (for "load all" confirmations)."""
    if rows is None or frame.height == 0:
        return None
    return int(frame.estimated_size() / frame.height * rows)


def display_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``frame`` made for painting in a grid, cheaply (no pass over string data, so it stays fast at
    a million rows): datetime columns holding only midnights become dates, other datetimes lose their zone
    noise. Strings are made inert cell by cell as the grid paints them (see ``pdxtui.ui.widgets.grid``)."""
    return _readable_datetimes(frame)


def _readable_datetimes(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns that hold only midnights are shown as dates; others without their time zone (UTC)."""
    import polars as pl

    stamps = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    if not stamps:
        return frame
    midnight = frame.select(
        [(pl.col(c).dt.time().fill_null(pl.time(0)) == pl.time(0)).all().alias(c) for c in stamps]
    ).row(0)
    return frame.with_columns(
        [
            pl.col(c).dt.date() if only_dates else pl.col(c).dt.replace_time_zone(None)
            for c, only_dates in zip(stamps, midnight)
        ]
    )


#: floats of larger magnitude are not all exact integers (a float64 has 53 bits of mantissa)
_WHOLE_LIMIT = 2.0**53


def whole_float_columns(frame: pl.DataFrame) -> list[str]:
    """The float columns of ``frame`` whose values (at least one) are all whole numbers within +-2**53, so that
    they are exactly integers: a Socrata ``number`` column of ids or counts (``297720928``, not ``297720928.0``)."""
    import polars as pl

    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    if not floats or frame.height == 0:
        return []
    whole = frame.select(
        [
            (
                (pl.col(n).drop_nulls().len() > 0)
                & (pl.col(n).drop_nulls().is_finite().all())
                & ((pl.col(n).drop_nulls() == pl.col(n).drop_nulls().round(0)).all())
                & (pl.col(n).drop_nulls().abs().max() <= _WHOLE_LIMIT)
            ).alias(n)
            for n in floats
        ]
    ).row(0)
    return [name for name, ok in zip(floats, whole) if ok]


def whole_floats(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its float columns that hold only whole numbers (see :func:`whole_float_columns`) as Int64,
    as the grid prints them. What export writes and the copy key copies; other floats stay floats."""
    import polars as pl

    names = whole_float_columns(frame)
    return frame.with_columns([pl.col(n).cast(pl.Int64) for n in names]) if names else frame
