"""The scripting CLI against the fake ArcGIS portal: search, show, preview, cache, and error exits."""

from __future__ import annotations

import json
import socket

import pytest
import stamina

from pdxtui.session import open_session
from tests.support.cli import run_cli
from tests.support.fakeportal.fixtures import DATASETS, SERVICE_TABLES, catalog

PERMITS = DATASETS["permits"]
HERITAGE = DATASETS["heritage_trees"]


@pytest.fixture
def portal(fake_arcgis):
    return f"arcgis:{fake_arcgis.url}/hub"


def test_default_portal_is_portland():
    session = open_session()
    assert session.spec.name == "portland" and session.spec.kind == "arcgis"
    assert session.spec.url == "https://gis-pdx.opendata.arcgis.com"


def test_search_json(capsys, portal, fake_arcgis):
    code, out, err = run_cli(capsys, "--portal", portal, "search", "--json", "--limit", "5")
    assert code == 0, err
    hits = json.loads(out)
    newest = sorted(catalog("dataset"), key=lambda item: item.modified, reverse=True)
    assert [h["id"] for h in hits] == [item.id for item in newest[:5]]
    assert all(h["rows"] is None and h["updated"].endswith("+00:00") for h in hits)
    code, out, err = run_cli(capsys, "search", "--portal", portal, "--owner", "BPS_GIS", "--tag", "permits")
    assert code == 0
    assert "Residential Building Permits" in out
    assert err.strip().endswith("datasets")
    assert fake_arcgis.requests[-1].params["filter"] == "owner='BPS_GIS' AND tags IN ('permits')"


def test_show_json_and_text(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "show", HERITAGE.id, "--json")
    assert code == 0, err
    ds = json.loads(out)
    assert ds["title"] == "Heritage Trees" and ds["rows"] == 316 and ds["sample"] is False
    assert ds["update_frequency"] == "Annually"
    assert "<" not in ds["description"] and "& rarity" in ds["description"]
    assert "PDDL" in ds["licence"]
    fields = {f["name"]: f for f in ds["fields"]}
    assert fields["DATE_DESIG"]["kind"] == "datetime" and fields["HEIGHT"]["alias"] == "Height (ft)"
    assert fields["latitude"]["kind"] == "float"
    code, out, _ = run_cli(capsys, "--portal", portal, "show", HERITAGE.id)
    assert code == 0
    assert out.startswith("Heritage Trees\n") and "SAMPLE" not in out
    assert "updates:" in out and "Annually" in out and "Metadata" in out


def test_preview_json_and_table(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "preview", PERMITS.id, "--rows", "200", "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["OBJECTID"] for r in records] == list(range(1, 201))
    assert [r["PERMIT_NUM"] for r in records] == [r["PERMIT_NUM"] for r in PERMITS.rows[:200]]
    assert {"latitude", "longitude", "ISSUED"} <= records[0].keys()
    code, out, err = run_cli(capsys, "--portal", portal, "preview", PERMITS.id, "--rows", "3")
    assert code == 0
    assert len(out.splitlines()) == 2 + 3
    assert "Showing 3 of 1,234 rows" in err and "SAMPLE" not in err


def test_second_run_comes_from_the_cache(capsys, portal, fake_arcgis):
    assert run_cli(capsys, "--portal", portal, "preview", PERMITS.id, "--rows", "5", "--json")[0] == 0
    before = len(fake_arcgis.requests)
    code, out, _ = run_cli(capsys, "--portal", portal, "preview", PERMITS.id, "--rows", "5", "--json")
    assert code == 0 and len(json.loads(out)) == 5
    assert len(fake_arcgis.requests) == before


def test_cache_info_and_clear(capsys, portal, tmp_path):
    assert run_cli(capsys, "--portal", portal, "search", "--json")[0] == 0
    code, out, _ = run_cli(capsys, "--portal", portal, "cache", "info", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["entries"] >= 1 and info["path"] == str(tmp_path / "cache")
    code, out, _ = run_cli(capsys, "--portal", portal, "cache", "clear")
    assert code == 0 and out.startswith("cache cleared:")
    code, out, _ = run_cli(capsys, "--portal", portal, "cache", "info", "--json")
    assert json.loads(out)["entries"] == 0


@pytest.mark.parametrize("command", ["show", "preview"])
def test_unknown_id_exits_1_with_one_line(capsys, portal, command):
    code, out, err = run_cli(capsys, "--portal", portal, command, "no-such-dataset")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("pdxtui: ") and "no-such-dataset" in err


def test_layer_error_exits_1_naming_the_layer(capsys, portal, fake_arcgis):
    fake_arcgis.faults.set("error200", path_contains="/query", count=None)
    code, out, err = run_cli(capsys, "--portal", portal, "preview", PERMITS.id, "--rows", "3")
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "Residential Building Permits" in err and "Error performing query operation" in err


def test_unreachable_portal_exits_1(capsys):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with stamina.set_testing(True, attempts=5, cap=True):
        code, out, err = run_cli(capsys, "--portal", f"arcgis:http://127.0.0.1:{port}/hub", "search")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "could not connect to 127.0.0.1" in err


def test_refresh_while_offline_serves_the_stale_copy_with_a_warning(capsys, portal, fake_arcgis):
    with stamina.set_testing(True, attempts=3, cap=True):
        code, first, _ = run_cli(capsys, "--portal", portal, "search", "--json", "--limit", "3")
        assert code == 0
        before = len(fake_arcgis.requests)
        code, again, err = run_cli(capsys, "--portal", portal, "search", "--refresh", "--json", "--limit", "3")
        assert code == 0 and again == first
        assert len(fake_arcgis.requests) > before  # --refresh asked the portal again
        fake_arcgis.stop()
        code, offline, err = run_cli(capsys, "--portal", portal, "search", "--refresh", "--json", "--limit", "3")
    assert code == 0
    assert offline == first
    assert "offline, showing a copy cached" in err


MAP_SERVICE = next(item for item in catalog("dataset") if item.type == "Map Service")
PDF_ITEM = next(item for item in catalog("dataset") if item.type == "PDF")


def test_show_json_lists_the_layers_of_a_service(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "show", MAP_SERVICE.id, "--json")
    assert code == 0, err
    ds = json.loads(out)
    assert ds["fields"] == [] and "open one of them" in ds["notice"]
    assert {"id": f"{MAP_SERVICE.id}_26", "title": "Heritage Trees", "kind": "layer"} in ds["layers"]
    assert len(ds["layers"]) == 7
    assert ds["layers"][-1] == {"id": f"{MAP_SERVICE.id}_230", "title": "Tree Permit Fees", "kind": "table"}
    code, out, err = run_cli(capsys, "--portal", portal, "show", MAP_SERVICE.id)
    assert code == 0, err
    assert f"{MAP_SERVICE.id}_1415" in out and "Street Tree Inventory" in out and "ITEMID_N" in out


def test_item_layer_id_in_show_and_preview(capsys, portal):
    ident = f"{MAP_SERVICE.id}_26"
    code, out, err = run_cli(capsys, "--portal", portal, "show", ident, "--json")
    assert code == 0, err
    ds = json.loads(out)
    assert ds["id"] == ident and ds["title"] == "Environment Map Service – Heritage Trees" and ds["rows"] == 316
    assert ds["layers"] == []
    code, out, err = run_cli(capsys, "--portal", portal, "preview", ident, "--rows", "5", "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["TREEID"] for r in records] == [r["TREEID"] for r in HERITAGE.rows[:5]]


def test_preview_of_a_service_root_names_its_layers(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "preview", MAP_SERVICE.id, "--rows", "5")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "open one of them" in err and f"{MAP_SERVICE.id}_26" in err


def test_item_that_is_a_file_has_no_preview(capsys, portal, fake_arcgis):
    code, out, err = run_cli(capsys, "--portal", portal, "show", PDF_ITEM.id)
    assert code == 0, err
    data_url = f"{fake_arcgis.url}/sharing/rest/content/items/{PDF_ITEM.id}/data"
    assert "a PDF document" in out and "no tabular preview" in out and data_url in out
    code, out, err = run_cli(capsys, "--portal", portal, "preview", PDF_ITEM.id, "--rows", "5")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("pdxtui: ")
    assert "is a PDF document, not a map layer: it has no tabular preview" in err and data_url in err


CSV_ITEM = next(item for item in catalog("dataset") if item.type == "CSV")


def test_preview_of_a_csv_item(capsys, portal, fake_arcgis):
    code, out, err = run_cli(capsys, "--portal", portal, "show", CSV_ITEM.id, "--json")
    assert code == 0, err
    ds = json.loads(out)
    assert ds["rows"] == 5 and ds["notice"] == "" and ds["layers"] == []
    assert {f["name"]: f["kind"] for f in ds["fields"]} == {
        "GARDEN": "string",
        "ADDRESS": "string",
        "PLOTS": "integer",
        "OPENED": "date",
        "WAITLIST": "boolean",
    }
    assert ds["api_url"] == f"{fake_arcgis.url}/sharing/rest/content/items/{CSV_ITEM.id}/data"
    code, out, err = run_cli(capsys, "--portal", portal, "preview", CSV_ITEM.id, "--rows", "3", "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["GARDEN"] for r in records] == ["Sellwood", "Kenton", "Fulton"] and records[2]["PLOTS"] == 104


def test_a_csv_item_that_is_refused_says_so_in_one_line(capsys, portal, fake_arcgis):
    fake_arcgis.arcgis.forbidden_items.add(CSV_ITEM.id)
    try:
        code, out, err = run_cli(capsys, "--portal", portal, "preview", CSV_ITEM.id, "--rows", "3")
    finally:
        fake_arcgis.arcgis.forbidden_items.discard(CSV_ITEM.id)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Community Garden Plots" in err and "403" in err
    fake_arcgis.faults.set("html200", path_contains="/sharing/rest/", count=None)
    code, out, err = run_cli(capsys, "--portal", portal, "--refresh", "show", CSV_ITEM.id)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "web page" in err


def test_export_of_a_service_table_and_a_csv_item(capsys, portal, tmp_path):
    target = tmp_path / "fees.csv"
    code, _, err = run_cli(
        capsys, "--portal", portal, "export", f"{MAP_SERVICE.id}_230", "-o", str(target), "--where", "FEE > 30"
    )
    assert code == 0, err
    lines = target.read_text(encoding="utf-8").splitlines()
    fees = SERVICE_TABLES[0]
    assert lines[0] == "OBJECTID,PERMIT_TYPE,FEE,EFFECTIVE"
    assert [int(line.split(",")[0]) for line in lines[1:]] == [r["OBJECTID"] for r in fees.rows if r["FEE"] > 30]
    gardens = tmp_path / "gardens.csv"
    code, _, err = run_cli(
        capsys, "--portal", portal, "export", CSV_ITEM.id, "-o", str(gardens), "--where", "PLOTS > 50"
    )
    assert code == 0, err
    assert [line.split(",")[0] for line in gardens.read_text(encoding="utf-8").splitlines()] == [
        "GARDEN",
        "Fulton",
        "Gabriel Park",
    ]


# -- an ArcGIS Server before 10.0: dates as text -----------------------------------------------------------------------

LEGACY = DATASETS["code_cases_2006"]


def test_text_dates_of_an_old_server_are_read_not_dropped(capsys, portal, tmp_path):
    """A 9.31 server sends dates as text: they are read as dates (with and without the time); a column with a
    value that is no date keeps every value as sent; a number in a string field arrives as text. None is null."""
    code, out, err = run_cli(capsys, "--portal", portal, "preview", LEGACY.id, "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["CASE_NUM"] for r in records] == [r["CASE_NUM"] for r in LEGACY.rows]
    assert [r["OPENED"] for r in records] == [
        "2005-12-23T00:00:00+00:00",
        "2005-12-23T00:00:00+00:00",
        "2006-01-02T09:05:30+00:00",
        "2006-03-15T12:30:00+00:00",
        "2006-07-04T23:59:59+00:00",
        None,
    ]
    assert [r["CLOSED"] for r in records] == [r["CLOSED"] for r in LEGACY.rows]  # "pending": the text, as sent
    assert [r["PARCEL"] for r in records] == ["R123456", "1234567", "R223344", "7654321", "R998877", None]

    target = tmp_path / "cases.csv"
    code, out, err = run_cli(capsys, "--portal", portal, "export", LEGACY.id, "-o", str(target))
    assert code == 0, err
    import csv

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["OPENED"] for r in rows][:3] == [
        "2005-12-23T00:00:00+00:00",
        "2005-12-23T00:00:00+00:00",
        "2006-01-02T09:05:30+00:00",
    ]
    assert [r["CLOSED"] for r in rows] == [r["CLOSED"] or "" for r in LEGACY.rows]
    assert [r["PARCEL"] for r in rows] == ["R123456", "1234567", "R223344", "7654321", "R998877", ""]
