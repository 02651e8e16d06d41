"""``freshness`` in ``search --json`` and ``show --json`` (exactly state, cadence, data_updated, expected_by) and the
freshness in ``show``'s text, from each fake portal's real date and cadence fields (issue 18 §1). Dates are
relative to now (tests/support/fakeportal/fresh.py), so these hold on any day."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.support.cli import run_cli
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.fresh import ABSENT, ago, iso_ago, ms_ago, s_ago

PERMITS = DATASETS["permits"]  # Monthly
KEYS = {"state", "cadence", "data_updated", "expected_by"}


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


def show_json(capsys, portal: str, ident: str) -> dict:
    code, out, err = run_cli(capsys, "--portal", portal, "show", ident, "--json")
    assert code == 0, err
    return json.loads(out)


def when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(("days", "state"), [(3, "fresh"), (40, "due"), (70, "overdue")])
def test_arcgis_show_json_gives_each_state(capsys, fake_arcgis, days, state):
    app = fake_arcgis.apps["arcgis"]
    app.editing_info["permits"] = {"lastEditDate": ms_ago(days)}
    fresh = show_json(capsys, f"arcgis:{fake_arcgis.url}/hub", PERMITS.id)["freshness"]
    assert set(fresh) == KEYS
    assert fresh["state"] == state and fresh["cadence"] == "monthly"
    updated = when(fresh["data_updated"])
    assert updated is not None and abs(updated - ago(days)) < timedelta(seconds=5)
    assert when(fresh["expected_by"]) == updated + timedelta(days=31)


def test_arcgis_unknown_and_the_search_hits(capsys, fake_arcgis):
    app = fake_arcgis.apps["arcgis"]
    portal = f"arcgis:{fake_arcgis.url}/hub"
    app.editing_info["permits"] = ABSENT
    app.record_fields[PERMITS.id] = {"modified": ABSENT}
    assert show_json(capsys, portal, PERMITS.id)["freshness"] == {
        "state": "unknown",
        "cadence": "monthly",
        "data_updated": None,
        "expected_by": None,
    }
    app.record_fields[PERMITS.id] = {"modified": ms_ago(40)}
    code, out, err = run_cli(capsys, "--portal", portal, "search", "residential", "permits", "--json")
    assert code == 0, err
    hits = json.loads(out)
    assert all(set(h["freshness"]) == KEYS for h in hits)
    hit = next(h for h in hits if h["id"] == PERMITS.id)
    assert hit["freshness"]["state"] == "due" and hit["freshness"]["cadence"] == "monthly"


def test_arcgis_show_text_says_how_fresh(capsys, fake_arcgis):
    app = fake_arcgis.apps["arcgis"]
    app.editing_info["permits"] = {"lastEditDate": ms_ago(70)}
    code, out, err = run_cli(capsys, "--portal", f"arcgis:{fake_arcgis.url}/hub", "show", PERMITS.id)
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith("updates:"))
    changed = ago(70).date().isoformat()
    assert line.split(None, 1)[1] == f"Monthly · data last changed {changed} · overdue by 1 month"  # 39 days late


@pytest.mark.parametrize(("days", "state"), [(0.5, "fresh"), (1.5, "due"), (3, "overdue"), (None, "unknown")])
def test_socrata_show_and_search_json(capsys, fake_socrata, days, state):
    app = fake_socrata.apps["socrata"]
    portal = f"socrata:{fake_socrata.url}"
    if days is None:
        app.view_fields["insp-2345"] = {"rowsUpdatedAt": s_ago(0.5), "metadata": {}}  # no custom frequency
        app.catalog_fields["insp-2345"] = {"classification": {"domain_metadata": ABSENT}}
    else:
        app.view_fields["insp-2345"] = {"rowsUpdatedAt": s_ago(days)}
        app.catalog_fields["insp-2345"] = {"resource": {"data_updated_at": iso_ago(days, zone=True)}}
    fresh = show_json(capsys, portal, "insp-2345")["freshness"]
    assert set(fresh) == KEYS and fresh["state"] == state
    assert fresh["cadence"] == ("daily" if days is not None else None)
    code, out, err = run_cli(capsys, "--portal", portal, "search", "food", "--json")
    assert code == 0, err
    hit = next(h for h in json.loads(out) if h["id"] == "insp-2345")
    assert hit["freshness"]["state"] == state


@pytest.mark.parametrize(("days", "state"), [(10, "fresh"), (400, "due"), (800, "overdue")])
def test_ckan_show_and_search_json(capsys, fake_ckan, days, state):
    trees = fake_ckan.apps["ckan"].package("street-trees")  # Annually
    trees.resources[0].last_modified = iso_ago(days)
    trees.resources[1].last_modified = None
    portal = f"ckan:{fake_ckan.url}"
    fresh = show_json(capsys, portal, "street-trees")["freshness"]
    assert fresh["state"] == state and fresh["cadence"] == "annually"
    assert fresh["data_updated"].endswith("Z")  # CKAN's zoneless text, read as UTC
    code, out, err = run_cli(capsys, "--portal", portal, "search", "--json")
    assert code == 0, err
    hit = next(h for h in json.loads(out) if h["id"] == "street-trees")
    assert hit["freshness"] == fresh


def test_ckan_without_a_cadence_is_unknown_in_text_too(capsys, fake_ckan):
    trees = fake_ckan.apps["ckan"].package("street-trees")
    trees.extras = []
    code, out, err = run_cli(capsys, "--portal", f"ckan:{fake_ckan.url}", "show", "street-trees")
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith("updates:"))
    assert line.split(None, 1)[1] == "no stated cadence · data last changed 2024-06-28 · freshness unknown"


def test_demo_show_json_has_freshness(capsys):
    data = show_json(capsys, "demo", "a494697005da9eea74335a369b0e3689_1415")
    # the bundled sample is judged as of its snapshot's date, and says so
    assert set(data["freshness"]) == KEYS | {"as_of"} and data["freshness"]["cadence"] == "weekly"
    assert data["freshness"]["as_of"] == "2025-05-15T00:00:00Z"


def test_show_text_names_a_coded_cadence_in_words(capsys, fake_ckan):
    bikes = fake_ckan.apps["ckan"].package("bike-counts")  # accrualPeriodicity R/P1D; its resource has no date
    bikes.modified = iso_ago(3)
    code, out, err = run_cli(capsys, "--portal", f"ckan:{fake_ckan.url}", "show", "bike-counts")
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith("updates:"))
    changed = ago(3).date().isoformat()
    assert line.split(None, 1)[1] == f"R/P1D (daily) · data last changed {changed} · overdue by 2 days"
