"""``pdxtui cite``: each style, from the bundled and a non-Portland (Socrata) portal; quick (no polars, no export
code, no network stack for the bundled portal)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import pdxtui.provenance
from tests.cli.test_cli_imports import NETWORK, imported
from tests.cli.test_cli_imports import run as fresh
from tests.support.cli import run_cli
from tests.support.fakeportal.socrata import TREES

DEMO_TREES = "a494697005da9eea74335a369b0e3689_1415"
TODAY = "2031-01-02"  # the day the cite command's clock is fixed at: a run crossing midnight sees one date


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(pdxtui.provenance, "now", lambda: datetime(2031, 1, 2, 23, 59, 59, 999999, tzinfo=UTC))


def test_cite_each_style_from_the_bundled_portal(capsys):
    code, out, err = run_cli(capsys, "--portal", "demo", "cite", DEMO_TREES)
    assert code == 0, err
    assert out.startswith(
        "City of Portland, Portland Parks & Recreation – Urban Forestry. *Street Tree Inventory - Active Records*. "
        f"PortlandMaps Open Data. Retrieved {TODAY}. https://gis-pdx.opendata.arcgis.com/datasets/"
    )
    assert "Licence: PDDL 1.0" in out and out.count("\n") == 1 and "sample" in err
    code, out, err = run_cli(capsys, "--portal", "demo", "cite", DEMO_TREES, "--style", "bibtex")
    assert code == 0 and out.startswith("@misc{street_tree_inventory2025_") and out.endswith("}\n")
    assert "author = {{City of Portland, Portland Parks \\& Recreation" in out and f"urldate = {{{TODAY}}}" in out
    code, out, err = run_cli(capsys, "--portal", "demo", "cite", DEMO_TREES, "--style", "csl-json")
    item = json.loads(out)[0]
    assert item["type"] == "dataset" and item["issued"] == {"date-parts": [[2025, 5, 12]]}
    code, out, err = run_cli(capsys, "--portal", "demo", "cite", DEMO_TREES, "--style", "csl-json", "--json")
    shown = json.loads(out)
    assert shown["id"] == DEMO_TREES and shown["style"] == "csl-json" and shown["citation"][0]["id"] == item["id"]
    code, out, err = run_cli(capsys, "--portal", "demo", "cite", "nope")
    assert code == 1 and out == "" and "no dataset" in err


def test_cite_from_another_city_names_its_publisher_not_portland(capsys, fake_socrata):
    code, out, err = run_cli(capsys, "--portal", f"socrata:{fake_socrata.url}", "cite", TREES.id)
    assert code == 0, err
    assert "Portland" not in out and out.startswith(f"{TREES.owner}. *{TREES.name}*. 127.0.0.1. Retrieved {TODAY}.")


def test_cite_is_a_quick_command():
    code, out, err, modules = fresh("--portal", "demo", "cite", DEMO_TREES, "--style", "bibtex")
    assert code == 0 and out.startswith("@misc{"), err
    never = ("polars", "pyarrow", "diskcache", "textual", "pdxtui.ui", "pdxtui.export", "pdxtui.filters")
    assert imported(modules, (*never, *NETWORK)) == []
