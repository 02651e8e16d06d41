"""``preview`` of layers on old ArcGIS servers through the CLI (issue 15): every row once, none twice."""

from __future__ import annotations

import json

from tests.cli import test_cli_arcgis as base
from tests.support.cli import run_cli
from tests.support.fakeportal.fixtures import DATASETS

OLD = DATASETS["sewer_manholes"]
LYING = DATASETS["drinking_fountains"]

portal = base.portal  # the fixture of test_cli_arcgis


def test_preview_of_a_pre_10_3_layer_returns_each_row_once(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "preview", OLD.id, "--rows", "1000", "--json")
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 345  # was 1,000 rows of which only 100 distinct
    assert [r["OBJECTID"] for r in records] == list(range(1, 346))
    assert [r["NAME"] for r in records] == [r["NAME"] for r in OLD.rows]


def test_preview_of_a_layer_that_ignores_result_offset(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "preview", LYING.id, "--rows", "1000", "--json")
    assert code == 0, err
    assert [r["OBJECTID"] for r in json.loads(out)] == list(range(1, 258))


def test_preview_says_when_it_switched_to_object_ids(capsys, portal):
    """The switch is not only in the log: the person reading the rows is told, on stderr."""
    code, _out, err = run_cli(capsys, "--portal", portal, "preview", LYING.id, "--rows", "1000")
    assert code == 0, err
    assert "pdxtui: note:" in err and "ignores resultOffset" in err
    code, _out, err = run_cli(capsys, "--portal", portal, "preview", LYING.id, "--rows", "10")
    assert "note:" not in err  # one page: nothing was switched


def test_export_says_when_it_switched_to_object_ids(capsys, portal, tmp_path):
    target = tmp_path / "fountains.csv"
    code, _out, err = run_cli(capsys, "--portal", portal, "export", LYING.id, "-o", str(target))
    assert code == 0, err
    assert "pdxtui: note:" in err and "ignores resultOffset" in err
    assert len(target.read_text().splitlines()) == 258  # the header and every row once
