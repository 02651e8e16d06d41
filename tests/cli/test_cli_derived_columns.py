"""The latitude/longitude columns pdxtui makes from a point layer's geometry are doubles (not typed
``esriGeometryPoint``) in ``show``, ``show --json`` and the schema pane, and stay marked as made here: the server
is never asked to filter on them, and a GeoJSON export still finds them."""

from __future__ import annotations

import json

import pytest

from pdxtui.cli import main
from tests.support.fakeportal.fixtures import DATASETS

HERITAGE = DATASETS["heritage_trees"]  # an ArcGIS point layer


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


@pytest.fixture
def portal(fake_arcgis):
    return f"arcgis:{fake_arcgis.url}/hub"


def test_show_json_types_the_coordinates_as_doubles(capsys, portal):
    assert main(["--portal", portal, "show", HERITAGE.id, "--json"]) == 0
    fields = {f["name"]: f for f in json.loads(capsys.readouterr().out)["fields"]}
    for name in ("latitude", "longitude"):
        assert fields[name]["type"] == "esriFieldTypeDouble" and fields[name]["kind"] == "float", fields[name]
    assert not any(f["type"].startswith("esriGeometry") for f in fields.values())


def test_show_text_has_no_geometry_type_for_a_column(capsys, portal):
    assert main(["--portal", portal, "show", HERITAGE.id]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.startswith(("latitude", "longitude"))}
    assert rows == {"latitude": "esriFieldTypeDouble", "longitude": "esriFieldTypeDouble"}
    assert "esriGeometryPoint" not in out


def test_a_filter_on_the_coordinates_is_still_refused_before_any_request(capsys, portal, fake_arcgis):
    assert main(["--portal", portal, "show", HERITAGE.id]) == 0
    capsys.readouterr()
    before = len(fake_arcgis.requests)
    code = main(["--portal", portal, "preview", HERITAGE.id, "--where", "latitude > 45.5"])
    _out, err = capsys.readouterr()
    assert code != 0 and "cannot filter" in err
    assert not any("where" in r.params and "latitude" in r.params["where"] for r in fake_arcgis.requests[before:])


def test_geojson_export_still_finds_the_coordinates(capsys, portal, tmp_path):
    target = tmp_path / "h.geojson"
    code = main(["--portal", portal, "export", HERITAGE.id, "-o", str(target), "--limit", "5"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads(target.read_text())
    assert len(doc["features"]) == 5
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 45 < lat < 46 and -123 < lon < -122
    assert "latitude" not in doc["features"][0]["properties"]
