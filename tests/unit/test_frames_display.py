"""What the grid paints for values only a SQL result has: a duration (a difference of dates) as ISO 8601 (P8023D,
as the exports write it), not Python's "8023 days, 0:00:00"."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from pdxtui.frames import display_frame


def test_durations_show_as_iso_8601():
    frame = pl.DataFrame({"since": [timedelta(days=8023), timedelta(hours=36, seconds=5), None], "n": [1, 2, 3]})
    shown = display_frame(frame)
    assert shown["since"].to_list() == ["P8023D", "P1DT12H5S", None]
    assert shown["n"].to_list() == [1, 2, 3]
    assert frame.schema["since"] == pl.Duration("us")  # the typed rows stay as they are (stats, export)
