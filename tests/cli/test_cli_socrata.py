"""The scripting CLI against the fake Socrata portal: search, show, preview, export, errors and the app token."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
import stamina

from tests.support.cli import run_cli
from tests.support.fakeportal.socrata import CATALOG, INSPECTIONS, SERVICE_REQUESTS, TREES

TOKEN = "cli-s3cr3t-token-4567"


@pytest.fixture
def portal(fake_socrata):
    return f"socrata:{fake_socrata.url}"


def test_search_json_and_table(capsys, portal, fake_socrata):
    code, out, err = run_cli(capsys, "--portal", portal, "search", "--json", "--limit", "4")
    assert code == 0, err
    hits = json.loads(out)
    datasets = sorted((d for d in CATALOG if d.type == "dataset"), key=lambda d: (-d.page_views, d.id))
    assert [h["id"] for h in hits] == [d.id for d in datasets[:4]]
    assert hits[0]["owner"] == INSPECTIONS.owner and hits[0]["updated"].startswith("2024-06-30")
    code, out, err = run_cli(capsys, "search", "--portal", portal, "--tag", "trees", "street")
    assert code == 0
    assert "Street Trees" in out and err.strip() == "1 of 1 datasets"
    params = fake_socrata.requests[-1].params
    assert params["q"] == "street" and params["tags"] == "trees" and params["domains"] == "127.0.0.1"


def test_search_by_owner_is_a_usage_error(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "search", "--owner", "Forestry")
    assert code == 2 and out == "" and "owner" in err and err.count("\n") == 1


def test_show_json_and_text(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "show", INSPECTIONS.id, "--json")
    assert code == 0, err
    ds = json.loads(out)
    assert ds["title"] == "Food Inspections" and ds["rows"] == 2345 and ds["sample"] is False
    fields = {f["name"]: f for f in ds["fields"]}
    assert list(fields) == [c.field_name for c in INSPECTIONS.columns]
    assert fields["inspection_date"]["kind"] == "datetime" and fields["passed"]["kind"] == "boolean"
    assert fields["score"]["kind"] == "float" and fields["dba_name"]["alias"] == "DBA Name"
    assert ds["updated"].startswith("2024-06-30") and ds["licence"] == "Public Domain"
    code, out, _ = run_cli(capsys, "--portal", portal, "show", SERVICE_REQUESTS.id)
    assert code == 0
    assert out.startswith("311 Service Requests\n") and "523" in out
    assert "latitude" in out and "longitude" in out


def test_preview_types_and_location(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "preview", INSPECTIONS.id, "--rows", "30", "--json")
    assert code == 0, err
    records = json.loads(out)
    expected = INSPECTIONS.by_id_order()[:30]
    assert [r["inspection_id"] for r in records] == [float(r["inspection_id"]) for r in expected]
    assert [r["passed"] for r in records] == [r["passed"] for r in expected]  # JSON booleans, not "true"
    assert [r["license_no"] for r in records] == [r["license_no"] for r in expected]
    code, out, err = run_cli(capsys, "--portal", portal, "preview", SERVICE_REQUESTS.id, "--rows", "5", "--json")
    assert code == 0, err
    records = json.loads(out)
    expected = SERVICE_REQUESTS.by_id_order()[:5]
    assert [r["latitude"] for r in records] == [r["location"] and r["location"][0] for r in expected]
    code, out, err = run_cli(capsys, "--portal", portal, "preview", TREES.id, "--rows", "3")
    assert code == 0
    assert len(out.splitlines()) == 2 + 3 and "Showing 3 of 77 rows" in err


def test_export_csv_parquet_and_geojson_with_a_filter(capsys, portal, tmp_path, fake_socrata):
    target = tmp_path / "inspections.parquet"
    code, out, err = run_cli(
        capsys,
        "--portal",
        portal,
        "export",
        INSPECTIONS.id,
        "-o",
        str(target),
        "--where",
        "passed = true and score >= 80",
    )
    assert code == 0, err
    frame = pl.read_parquet(target)
    expected = [
        r for r in INSPECTIONS.by_id_order() if r["passed"] is True and r["score"] is not None and r["score"] >= 80
    ]
    assert out.startswith(f"wrote {len(expected)} rows")
    assert frame["inspection_id"].to_list() == [float(r["inspection_id"]) for r in expected]
    assert frame.schema["passed"] == pl.Boolean and frame.schema["score"] == pl.Float64
    assert isinstance(frame.schema["inspection_date"], pl.Datetime)
    wheres = {r.params.get("$where") for r in fake_socrata.requests_to(f"/resource/{INSPECTIONS.id}.csv")}
    assert wheres == {"passed = true AND score >= 80"}  # filtered on the server

    target = tmp_path / "requests.geojson"
    code, out, err = run_cli(capsys, "--portal", portal, "export", SERVICE_REQUESTS.id, "-o", str(target))
    assert code == 0, err
    features = json.loads(target.read_text(encoding="utf-8"))["features"]
    expected = SERVICE_REQUESTS.by_id_order()
    assert len(features) == 523
    assert [f["geometry"] and f["geometry"]["coordinates"] for f in features] == [
        r["location"] and [r["location"][1], r["location"][0]] for r in expected
    ]

    target = tmp_path / "trees.csv"
    code, out, err = run_cli(
        capsys, "--portal", portal, "export", TREES.id, "-o", str(target), "--columns", "common_name,dbh"
    )
    assert code == 0, err
    frame = pl.read_csv(target)
    assert frame.columns == ["common_name", "dbh"] and frame.height == 77
    assert Counter(frame["common_name"].to_list()) == Counter(r["common_name"] for r in TREES.rows)


@pytest.mark.parametrize("command", ["show", "preview"])
def test_unknown_id_exits_1_with_one_line(capsys, portal, command):
    code, out, err = run_cli(capsys, "--portal", portal, command, "zzzz-0000")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("pdxtui: ") and "zzzz-0000" in err


def test_a_socrata_error_exits_1_naming_the_portal(capsys, portal, fake_socrata):
    fake_socrata.apps["socrata"].drop_column = "score"
    code, out, err = run_cli(capsys, "--portal", portal, "preview", INSPECTIONS.id, "--rows", "3")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "Socrata: 127.0.0.1" in err and "No such column: score" in err


def test_throttled_without_a_token_says_how_to_avoid_it(capsys, portal, fake_socrata):
    fake_socrata.faults.set("429", path_contains="/api/catalog/v1", retry_after=1)
    with stamina.set_testing(True, attempts=5, cap=True):
        code, out, err = run_cli(capsys, "--portal", portal, "search")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "429" in err and "app token" in err and "PDXTUI_APP_TOKEN" in err


def test_the_token_is_sent_and_never_written_anywhere(capsys, portal, fake_socrata, tmp_path, monkeypatch):
    monkeypatch.setenv("PDXTUI_APP_TOKEN", TOKEN)
    fake_socrata.apps["socrata"].require_token = TOKEN
    outputs = []
    for args in (
        ("search", "--json"),
        ("search",),
        ("show", INSPECTIONS.id),
        ("show", SERVICE_REQUESTS.id, "--json"),
        ("preview", INSPECTIONS.id, "--rows", "50", "--json"),
        ("preview", SERVICE_REQUESTS.id),
        ("export", INSPECTIONS.id, "-o", str(tmp_path / "out" / "i.csv")),
        ("export", SERVICE_REQUESTS.id, "-o", str(tmp_path / "out" / "s.geojson")),
        ("export", TREES.id, "-o", str(tmp_path / "out" / "t.json")),
    ):
        (tmp_path / "out").mkdir(exist_ok=True)
        code, out, err = run_cli(capsys, "--portal", portal, *args)
        assert code == 0, (args, err)
        outputs.append(out + err)
    assert fake_socrata.requests and all(r.headers.get("x-app-token") == TOKEN for r in fake_socrata.requests)
    assert all(r.status == 200 for r in fake_socrata.requests)
    # an error message with the token in play: still not shown
    fake_socrata.faults.set("500", path_contains="/api/views/")
    with stamina.set_testing(True, attempts=2, cap=True):
        code, out, err = run_cli(capsys, "--portal", portal, "show", "c001-0037")  # not cached: fails
    assert code == 1 and "500" in err
    outputs.append(out + err)
    assert not any(TOKEN in text for text in outputs)
    roots = [tmp_path / "cache", tmp_path / "out", Path(os.environ["PDXTUI_LOG_DIR"])]
    files = [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]
    assert any(p.parent == tmp_path / "cache" or "cache" in p.parts for p in files)
    assert len([p for p in files if p.parent == tmp_path / "out"]) == 6  # three exports and their provenance
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson", "xlsx", "parquet"])
def test_whole_numbers_are_exported_as_integers(capsys, portal, tmp_path, fmt):
    """A ``number`` column of whole values (inspection_id) is written as integers in every format, as the grid
    prints them; a number column with fractions (score) stays float."""
    import re
    import zipfile

    target = tmp_path / f"inspections.{fmt}"
    code, _out, err = run_cli(capsys, "--portal", portal, "export", INSPECTIONS.id, "-o", str(target))
    assert code == 0, err
    rows = INSPECTIONS.by_id_order()
    ids = [int(r["inspection_id"]) for r in rows]
    scores = [None if r["score"] is None else float(r["score"]) for r in rows]
    if fmt == "parquet":
        frame = pl.read_parquet(target)
        assert frame.schema["inspection_id"] == pl.Int64 and frame["inspection_id"].to_list() == ids
        assert frame.schema["score"] == pl.Float64 and frame["score"].to_list() == scores
    elif fmt == "xlsx":
        with zipfile.ZipFile(target) as package:
            sheet = package.read("xl/worksheets/sheet1.xml").decode()
        assert re.search(rf'<c r="A2"[^>]*><v>{ids[0]}</v>', sheet), sheet[:2000]
        assert f"<v>{ids[0]}.0</v>" not in sheet
        assert re.search(r"<v>\d+\.\d*[1-9]</v>", sheet)  # the scores keep their fractions
    elif fmt in ("json", "ndjson"):
        text = target.read_text(encoding="utf-8")
        records = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
        assert [r["inspection_id"] for r in records] == ids
        assert all(type(r["inspection_id"]) is int for r in records)
        assert f'"inspection_id":{ids[0]}.0' not in text.replace(" ", "")
        assert any(type(r["score"]) is float and not r["score"].is_integer() for r in records)
    else:
        frame = pl.read_csv(target, separator="\t" if fmt == "tsv" else ",", infer_schema=False)
        assert frame["inspection_id"].to_list() == [str(i) for i in ids]
        assert any("." in s for s in frame["score"].drop_nulls().to_list())
