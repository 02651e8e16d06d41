"""Reviewer's scratch tests for issue 18 (wt-review): each FAILS on the merged code and shows one finding of the
review (marked xfail(strict=True): they xfail today and turn into failures once fixed, so that whoever
fixes one moves it into the right test file). Not product tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pdxtui.model import Dataset

DEMO_TREES = "a494697005da9eea74335a369b0e3689_1415"


@pytest.mark.xfail(strict=True, reason="review finding, issue 18")
def test_finding_metadata_freshness_line_lets_escape_sequences_through():
    """The metadata pane's freshness line puts the portal's cadence text in a Rich Text as it came: ESC (and a
    right-to-left override) reach the screen. Every other fact of the pane goes through ui.safe.plain/line."""
    from pdxtui.ui.widgets.metadata import freshness_line

    ds = Dataset(
        id="x",
        title="t",
        update_frequency="\x1b]0;pwned\x07Weekly\x1b[31m\u202e",
        data_updated=datetime.now(UTC) - timedelta(days=3),
    )
    shown = freshness_line(ds).plain
    assert "\x1b" not in shown and "\u202e" not in shown, repr(shown)
