"""The map's colour column (pdxtui.charts.colour_choices): it opens coloured by a column that sorts the rows into a
few kinds (at most 12 values that repeat, text or small whole numbers), never by free text or an id, and plain
when there is no such column; c still offers the other columns with few values."""

from __future__ import annotations

import polars as pl

from pdxtui import charts
from pdxtui.model import Field

ROWS = 60


def cycle(values: list) -> list:
    return [values[i % len(values)] for i in range(ROWS)]


def test_opens_on_a_kind_of_row_not_on_free_text_that_comes_first():
    frame = pl.DataFrame(
        {
            "NOTES": cycle(["Grown from a seed brought from Japan", "Planted c. 1890", None]),
            "SITE_ADDRESS": cycle(["4063 N DENVER AVE", "1035 NW SKYLINE BLVD"]),
            "Ownership": cycle(["Private", "Public"]),
        }
    )
    choices = charts.colour_choices(frame)
    assert choices[0] == "Ownership"
    assert choices[-1] is None and "NOTES" in choices  # free text can still be chosen with c, never by default


def test_ids_are_never_offered():
    frame = pl.DataFrame(
        {"OBJECTID": cycle([1, 2, 3]), "TreeID": cycle([7, 8]), "FID2": cycle([1, 2]), "k": cycle("ab")}
    )
    fields = [Field("FID2", "esriFieldTypeOID", "integer")]
    assert charts.colour_choices(frame, fields=fields) == ["k", None]


def test_small_whole_numbers_are_kinds_after_text():
    frame = pl.DataFrame(
        {"PCI_RATING": cycle([1, 2, 3, 4, 5]), "ward": cycle([1.0, 2.0, None]), "Status": cycle(["Open", "Closed"])}
    )
    assert charts.colour_choices(frame) == ["Status", "PCI_RATING", "ward", None]
    assert charts.colour_choices(frame.drop("Status"))[0] == "PCI_RATING"
    fractions = pl.DataFrame({"score": cycle([1.5, 2.5])})
    assert charts.colour_choices(fractions) == [None]


def test_no_colour_when_no_column_sorts_the_rows():
    districts = pl.DataFrame(
        {
            "DISTRICT": [1, 2, 3, 4],
            "NAME": ["District 1", "District 2", "District 3", "District 4"],
            "COUNCILORS": [3, 3, 3, 3],
        }
    )
    choices = charts.colour_choices(districts)
    assert choices[0] is None and set(choices[1:]) == {"DISTRICT", "NAME"}  # all different: not kinds
    many = pl.DataFrame({"kind": cycle([f"k{i}" for i in range(charts.DEFAULT_COLOUR_VALUES + 1)])})
    assert charts.colour_choices(many) == [None, "kind"]  # 13 kinds: offered, not the default
    few = pl.DataFrame({"kind": cycle([f"k{i}" for i in range(charts.DEFAULT_COLOUR_VALUES)])})
    assert charts.colour_choices(few) == ["kind", None]


def test_long_text_and_descriptive_aliases_are_not_kinds():
    long = pl.DataFrame({"what": cycle(["x" * 60 + " a", "x" * 60 + " b"]), "kind": cycle(["a", "b", "c"])})
    assert charts.colour_choices(long)[0] == "kind"
    frame = pl.DataFrame({"F1": cycle(["Alder", "Birch"]), "F2": cycle(["Good", "Poor"])})
    fields = [Field("F1", "text", "string", alias="Common Name"), Field("F2", "text", "string")]
    assert charts.colour_choices(frame, fields=fields)[0] == "F2"
    assert charts.colour_choices(frame)[0] == "F1"


def test_skipped_columns_are_not_offered():
    frame = pl.DataFrame({"lat": cycle([45.5, 45.6]), "k": cycle("ab"), "b": cycle([True, False])})
    assert charts.colour_choices(frame, skip=["k"]) == ["b", None]
