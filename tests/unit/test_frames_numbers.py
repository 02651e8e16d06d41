"""How the grid writes numbers (pdxtui.frames.NumberFormat, number_formats): thousands separators, decimals lined up
on the point without inventing or dropping digits, ids, codes and years without separators; and how copies write
them (plain_number)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from pdxtui.frames import (
    NumberFormat,
    is_descriptive_text,
    is_identifier,
    is_label_number,
    number_formats,
    plain_number,
)
from pdxtui.model import Field


def texts(frame: pl.DataFrame, fields=()) -> dict[str, list[str | None]]:
    formats = number_formats(frame, fields)
    return {
        name: [None if v is None else fmt.text(v) for v in frame[name].to_list()]
        for name, fmt in zip(frame.columns, formats)
        if fmt is not None
    }


def test_integers_get_thousands_separators():
    out = texts(pl.DataFrame({"POPULATION": [162851, 5, -1234567, None]}))
    assert out["POPULATION"] == ["162,851", "5", "-1,234,567", None]


def test_a_float_column_lines_up_its_decimals_with_zeros_without_inventing_precision():
    out = texts(pl.DataFrame({"ACRES": [1.5, 2.25, 1426.81, 3.0, None]}))
    assert out["ACRES"] == ["1.50", "2.25", "1,426.81", "3.00", None]
    assert len({len(t) - t.index(".") for t in out["ACRES"] if t}) == 1  # every point in the same place


def test_whole_floats_are_written_as_integers():
    out = texts(pl.DataFrame({"dbh": [26.0, 8.0, None, 13.0], "id": [2002442.0, 2001440.0, None, 1.0]}))
    assert out["dbh"] == ["26", "8", None, "13"]
    assert out["id"] == ["2002442", "2001440", None, "1"]  # an id: no separators


def test_no_digit_the_portal_sent_is_rounded_away():
    values = [45.519585123, -122.68217, 0.30000000000000004, 1234567.1, 1e-7]
    out = texts(pl.DataFrame({"x": values}))["x"]
    for value, text in zip(values, out):
        assert Decimal(text.strip().replace(",", "")) == Decimal(repr(value))
    # past six decimals the values keep their own digits and are padded with spaces to line up on the point
    assert out[1] == "-122.68217" + " " * 12  # 17 decimals (0.30000000000000004) less its own 5
    points = {len(t) - t.index(".") for t in out if "." in t}
    assert len(points) == 1


def test_many_decimals_never_pad_with_invented_digits():
    fmt = NumberFormat(decimals=10)
    assert fmt.text(1234567.1) == "1,234,567.1000000000"  # from the digits sent, not the binary expansion
    assert "0001" not in fmt.text(1234567.1)


def test_special_values():
    fmt = NumberFormat(decimals=2)
    assert fmt.text(float("nan")) == "NaN"
    assert fmt.text(float("inf")) == "inf" and fmt.text(float("-inf")) == "-inf"
    assert fmt.text(1e25) == "1e+25"
    assert fmt.text(Decimal("1234.5")) == "1,234.50"
    assert fmt.text(True) == "True"


@pytest.mark.parametrize(
    "name",
    ["OBJECTID", "FID", "ADDRESS_ID", "TreeID", "tree_id", "PROPERTYID", "_id", "inspection_id", "GlobalID"],
)
def test_ids_have_no_separators(name):
    assert is_identifier(name) and is_label_number(name)
    assert texts(pl.DataFrame({name: [100031, 2002442]}))[name] == ["100031", "2002442"]


@pytest.mark.parametrize(
    "name",
    ["ZIP_CODE", "zip", "YEAR_ISSUED", "INSTALL_YEAR", "YearBuilt", "PERMIT_NUMBER", "ADD_NUM", "LEFTADD1", "TYPE"],
)
def test_codes_years_and_house_numbers_have_no_separators(name):
    assert is_label_number(name) and not is_label_number("AMOUNT_PAID")
    assert texts(pl.DataFrame({name: [97203, 14190]}))[name] == ["97203", "14190"]


@pytest.mark.parametrize(
    "name",
    ["POPULATION", "AMOUNT_PAID", "VALUATION", "NUM_TREES", "NUMBER_OF_UNITS", "valid", "CASE_COUNT", "ZIP_POPULATION"],
)
def test_quantities_keep_their_separators(name):
    assert not is_label_number(name)
    assert texts(pl.DataFrame({name: [97203, 14190]}))[name] == ["97,203", "14,190"]


def test_the_field_says_what_the_name_does_not():
    oid = Field("FID2", "esriFieldTypeOID", "integer")
    coded = Field("STATUS_CD", "esriFieldTypeInteger", "integer", domain=((1001, "Open"),))
    alias = Field("F12", "esriFieldTypeInteger", "integer", alias="Parcel Number")
    frame = pl.DataFrame({"FID2": [12345], "STATUS_CD": [1001], "F12": [12345678], "F13": [12345678]})
    out = texts(frame, [oid, coded, alias])
    assert out == {"FID2": ["12345"], "STATUS_CD": ["1001"], "F12": ["12345678"], "F13": ["12,345,678"]}


def test_a_column_of_years_has_no_separators_whatever_its_name():
    assert texts(pl.DataFrame({"built": [1922, 2024, None]}))["built"] == ["1922", "2024", None]
    assert texts(pl.DataFrame({"built": [1922.0, 2024.0]}))["built"] == ["1922", "2024"]
    assert texts(pl.DataFrame({"count": [1922, 3024]}))["count"] == ["1,922", "3,024"]


def test_widths_are_the_widest_written_value():
    frame = pl.DataFrame({"a": [5, -1234567], "b": [1.5, 12345.25], "c": [None, None], "s": ["x", "y"]})
    formats = number_formats(frame.with_columns(pl.col("c").cast(pl.Float64)))
    assert [f.width if f else None for f in formats] == [len("-1,234,567"), len("12,345.25"), 0, None]


def test_formats_of_a_column_bigger_than_the_sample():
    """Past _DECIMALS_SAMPLE values the decimals are worked out on a sample, then checked on every value (the speed
    is measured in bench/grid.py, not here)."""
    n = 60_000
    frame = pl.DataFrame({"i": np.arange(n), "f": np.arange(n) / 100, "g": np.arange(n) / 7})
    formats = number_formats(frame)
    assert formats[1].decimals == 2 and formats[1].zeros
    assert formats[2].decimals == 17 and formats[2].zeros is False  # 1/7 = 0.14285714285714285
    late = frame.with_columns(pl.when(pl.int_range(n) == n - 1).then(0.125).otherwise(pl.col("f")).alias("f"))
    assert number_formats(late)[1].decimals == 3  # a value outside the sample still counts


def test_copies_are_plain_numbers():
    assert plain_number(26.0) == "26"
    assert plain_number(297720928.0) == "297720928"
    assert plain_number(1.5) == "1.5"
    assert plain_number(0.30000000000000004) == "0.30000000000000004"
    assert plain_number(1e300) == "1e+300"
    assert plain_number(float("nan")) == "nan"


def test_descriptive_text_columns():
    for name in ["NAME", "SITE_ADDRESS", "Address", "DESCRIPTION", "NOTES", "WEBSITE", "Common_name"]:
        assert is_descriptive_text(name), name
    for name in ["Condition", "STATUS", "Rack_Type", "risk", "NEIGHBORHOOD"]:
        assert not is_descriptive_text(name), name


def test_decimal_columns_show_their_scale():
    frame = pl.DataFrame({"d": [Decimal("1234.5"), Decimal("2.25"), None]}, schema={"d": pl.Decimal(10, 2)})
    assert texts(frame)["d"] == ["1,234.50", "2.25", None]
