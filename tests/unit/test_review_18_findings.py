"""Reviewer's scratch tests for issue 18 (wt-review): each FAILS on the merged code and shows one finding of the
review (marked xfail(strict=True): they xfail today and turn into failures once fixed, so that whoever
fixes one moves it into the right test file). Not product tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pdxtui.cli import main
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


@pytest.mark.xfail(strict=True, reason="review finding, issue 18")
def test_finding_no_provenance_export_leaves_a_mismatched_pair_beside_an_orphan_sidecar(tmp_path, capsys):
    """An export without provenance (no --force: the file does not exist) next to a sidecar left from an earlier
    export of that name: the new file ends up beside a record of other rows."""
    target = tmp_path / "a.csv"
    assert main(["--portal", "demo", "export", DEMO_TREES, "-o", str(target), "--limit", "5"]) == 0
    target.unlink()  # the user removed the file, kept (or forgot) its sidecar
    code = main(["--portal", "demo", "export", DEMO_TREES, "-o", str(target), "--limit", "2", "--no-provenance"])
    capsys.readouterr()
    sidecar = tmp_path / "a.csv.provenance.json"
    if code == 0 and sidecar.exists():
        written = len(target.read_text().splitlines()) - 1
        assert json.loads(sidecar.read_text())["export"]["rows"] == written, "a sidecar of other rows"
