"""Floats are printed as people read them, in the CLI's tables and in the grid (Socrata sends ids as numbers)."""

from __future__ import annotations

import math

import pytest

from pdxtui.textout import float_text, table


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2002440.0, "2002440"),
        (2002443.0, "2002443"),
        (12345678901.0, "12345678901"),
        (21.0, "21"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (45.523412, "45.523412"),
        (-122.6765432, "-122.6765432"),
        (1e20, "1e+20"),
        (1.5e-7, "1.5e-07"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
    ],
)
def test_float_text(value, text):
    assert float_text(value) == text


def test_nan_and_table_cells():
    assert float_text(math.nan) == "nan"
    out = table(["id", "score"], [[2002440.0, 88.5], [2002443.0, None]])
    assert "2002440" in out and "2002443" in out and "e+06" not in out and "2002440.0" not in out


def test_grid_cells_write_floats_in_full():
    from pdxtui.frames import NumberFormat
    from pdxtui.ui.widgets.grid import display_value

    def shown(value, number=None):
        cell = display_value(value, number)
        assert cell.justify == "right"  # numbers line up on the right of their column
        return cell.plain

    assert shown(2002440.0, NumberFormat(separators=False)) == "2002440"  # an id column
    assert shown(2002440.0) == "2,002,440"  # a quantity: no column format known, separators
    assert shown(45.523412) == "45.523412" and shown(-122.6765432, NumberFormat(decimals=8)) == "-122.67654320"
    assert shown(math.nan) == "NaN"
