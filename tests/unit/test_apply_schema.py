"""Typing rows from the portal's declared schema never turns values the portal sent into nulls."""

from __future__ import annotations

from datetime import date

import polars as pl

from pdxtui.frames import apply_schema
from pdxtui.model import Dataset, Field

DS = Dataset(
    id="x",
    title="x",
    fields=(Field("n", "t", "integer"), Field("v", "t", "float"), Field("d", "t", "date"), Field("s", "t", "string")),
)


def test_text_that_fits_is_typed():
    frame = pl.DataFrame(
        {"n": ["1", None, "3"], "v": ["1.5", "2", None], "d": ["2024-01-02", None, "2023-12-31"], "s": ["a", "b", "c"]}
    )
    typed = apply_schema(frame, DS)
    assert typed.schema == {"n": pl.Int64, "v": pl.Float64, "d": pl.Date, "s": pl.String}
    assert typed["n"].to_list() == [1, None, 3] and typed["d"].to_list()[0] == date(2024, 1, 2)


def test_text_that_does_not_fit_stays_text():
    frame = pl.DataFrame(
        {"n": ["1", "n/a", "3"], "v": ["1.5", "about 2", None], "d": ["2024-01-02", "soon", None], "s": ["a", "b", "c"]}
    )
    typed = apply_schema(frame, DS)
    assert typed.schema == {"n": pl.String, "v": pl.String, "d": pl.String, "s": pl.String}
    assert typed["n"].to_list() == ["1", "n/a", "3"] and typed["d"].to_list() == ["2024-01-02", "soon", None]


def test_numbers_are_still_cast_between_number_types():
    frame = pl.DataFrame({"n": [1.0, 2.0], "v": [1, 2]})
    typed = apply_schema(frame, DS)
    assert typed.schema == {"n": pl.Int64, "v": pl.Float64}


def test_booleans_and_datetimes_from_text():
    ds = Dataset(id="x", title="x", fields=(Field("b", "t", "boolean"), Field("t", "t", "datetime")))
    frame = pl.DataFrame(
        {
            "b": ["true", "False", None, "Y"],
            "t": ["2024-01-02T03:04:05", None, "2024-01-03 00:00:00", "2024-05-06T07:08:09"],
        }
    )
    typed = apply_schema(frame, ds)
    assert typed["b"].to_list() == [True, False, None, True]
    assert isinstance(typed.schema["t"], pl.Datetime) and typed["t"][0].hour == 3
    kept = apply_schema(pl.DataFrame({"b": ["true", "maybe"], "t": ["2024-01-02", "later"]}), ds)
    assert kept["b"].to_list() == ["true", "maybe"] and kept["t"].to_list() == ["2024-01-02", "later"]
