"""The scripting CLI against the fake CKAN site: search, show (with resources), preview and export."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.support.cli import run_cli

TREES_RID = "3f1c2a9e-1111-4c1e-9a7b-000000000001"
BUDGET_2024 = "c0ffee00-3333-4e3f-9c9d-000000002024"
TOKEN = "ckan-cli-TOKEN-9f8e7d"


@pytest.fixture
def portal(fake_ckan):
    return f"ckan:{fake_ckan.url}"


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


def test_search_json_and_table(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "search", "--json")
    assert code == 0
    hits = json.loads(out)
    assert [h["id"] for h in hits][:2] == ["city-budget", "street-trees"] and len(hits) == 5
    assert hits[1]["owner"] == "Parks Department" and hits[1]["categories"] == ["Environment"]
    code, out, err = run_cli(capsys, "search", "--portal", portal, "--owner", "parks-department", "--tag", "parks")
    assert code == 0 and "Park Boundaries" in out and "Street Tree" not in out
    assert "1 of 1 datasets" in err


def test_show_json_lists_resources(capsys, portal):
    code, out, _ = run_cli(capsys, "--portal", portal, "show", "city-budget", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["owner"] == "City of Springfield" and data["rows"] == 40
    assert data["resource"] == "c0ffee00-3333-4e3f-9c9d-000000002023"
    assert [(r["name"], r["format"], r["tabular"], r["datastore"], r["shown"]) for r in data["resources"]] == [
        ("Budget 2023", "CSV", True, True, True),
        ("Budget 2024", "CSV", True, False, False),
        ("Budget book", "PDF", False, False, False),
    ]
    assert [f["kind"] for f in data["fields"]] == ["integer", "string", "float", "date"]


def test_show_text_lists_resources_and_picks_one(capsys, portal):
    code, out, _ = run_cli(capsys, "--portal", portal, "show", "city-budget")
    assert code == 0
    assert "Budget 2023" in out and "Budget book" in out and "datastore" in out
    assert "pdxtui show PACKAGE/RESOURCE_ID" in out
    code, out, _ = run_cli(capsys, "--portal", portal, "show", f"city-budget/{BUDGET_2024}", "--json")
    data = json.loads(out)
    assert code == 0 and data["resource"] == BUDGET_2024 and data["rows"] == 25


def test_preview_datastore_and_csv(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "preview", "street-trees", "--rows", "1500", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 1500 and rows[0]["tree_id"] == 100000 and isinstance(rows[0]["healthy"], bool)
    assert rows[1499]["tree_id"] == 101499
    code, out, err = run_cli(capsys, "--portal", portal, "preview", "bike-counts", "--rows", "3")
    assert code == 0 and "007" in out and "Showing 3 of 157 rows" in err


def test_preview_of_a_pdf_says_so(capsys, portal):
    code, out, err = run_cli(capsys, "--portal", portal, "preview", "council-minutes")
    assert code == 1 and out == ""
    assert err.strip() == "pdxtui: City Council Minutes: this dataset has no tabular resource to preview (PDF)"


def test_unknown_dataset_and_server_errors(capsys, portal, fake_ckan):
    code, out, err = run_cli(capsys, "--portal", portal, "show", "nope")
    assert code == 1 and err == "pdxtui: no dataset with id 'nope' on CKAN: 127.0.0.1\n"
    fake_ckan.apps["ckan"].envelope_on_200.add("package_search")
    code, out, err = run_cli(capsys, "--portal", portal, "search")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "CKAN: 127.0.0.1" in err and "Internal Error" in err and "Traceback" not in err


def test_export_with_a_local_filter(capsys, portal, tmp_path, fake_ckan):
    out_file = tmp_path / "maples.csv"
    code, _, err = run_cli(
        capsys,
        "--portal",
        portal,
        "export",
        "street-trees",
        "-o",
        str(out_file),
        "--where",
        "species = 'Acer rubrum'",
        "--columns",
        "tree_id,species,planted",
    )
    assert code == 0, err
    frame = pl.read_csv(out_file, try_parse_dates=True)
    rows = fake_ckan.apps["ckan"].package("street-trees").resources[0].datastore.rows
    expected = [r for r in rows if r["species"] == "Acer rubrum"]
    assert frame["tree_id"].to_list() == [r["tree_id"] for r in expected]
    assert frame["planted"].to_list() == [r["planted"] for r in expected]
    out_csv = tmp_path / "bikes.parquet"
    code, _, err = run_cli(capsys, "--portal", portal, "export", "bike-counts", "-o", str(out_csv))
    assert code == 0, err
    bikes = pl.read_parquet(out_csv)
    assert bikes.height == 157 and bikes["station"].dtype == pl.String and bikes["day"].dtype == pl.Date


def test_token_absent_from_output_and_cache(capsys, fake_ckan, tmp_path):
    config = tmp_path / "pdx.toml"
    config.write_text(
        f'[portals.town]\nkind = "ckan"\nurl = "{fake_ckan.url}"\n[tokens]\ntown = "{TOKEN}"\n', encoding="utf-8"
    )
    cache = tmp_path / "cache"
    common = ["--portal", "town", "--config", str(config), "--cache-dir", str(cache)]
    outputs = []
    for args in (
        ["search", "--json"],
        ["show", "street-trees", "--json"],
        ["show", "bike-counts"],
        ["preview", "street-trees", "--rows", "2000", "--json"],
        ["portals", "--json"],
        ["cache", "info"],
    ):
        code, out, err = run_cli(capsys, *common, *args)
        assert code == 0, err
        outputs.append(out + err)
    export = tmp_path / "trees.json"
    code, out, err = run_cli(capsys, *common, "export", "street-trees", "-o", str(export))
    assert code == 0, err
    fake_ckan.faults.set("500", path_contains="package_show")
    code, out, err = run_cli(capsys, *common, "--refresh", "show", "city-budget")
    assert code == 1 and "500" in err
    outputs.append(out + err)
    assert all(r.headers.get("authorization") == TOKEN for r in fake_ckan.requests)
    for text in outputs:
        assert TOKEN not in text
    assert TOKEN.encode() not in export.read_bytes()
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--owner", "Parks Department"), {"street-trees", "park-boundaries"}),
        (("--category", "Environment"), {"street-trees", "park-boundaries"}),
        (("--owner", "City of Springfield", "--category", "Finance"), {"city-budget"}),
        (("--owner", "parks-department"), {"street-trees", "park-boundaries"}),  # the CKAN name works too
    ],
)
def test_search_by_the_names_as_shown(capsys, portal, fake_ckan, args, expected):
    """A fresh CLI process has never read the facets: a display title is looked up there (once) before the
    search; a name CKAN knows as is goes through unchanged."""
    code, out, err = run_cli(capsys, "search", "--portal", portal, *args, "--json")
    assert code == 0, err
    assert {h["id"] for h in json.loads(out)} == expected


def test_search_by_an_unknown_owner_passes_it_through(capsys, portal, fake_ckan):
    code, out, err = run_cli(capsys, "search", "--portal", portal, "--owner", "Nobody At All", "--json")
    assert code == 0, err
    assert json.loads(out) == []
    fq = [r.query.get("fq", [""])[-1] for r in fake_ckan.requests if r.path.endswith("/package_search")]
    assert 'organization:"Nobody At All"' in fq


def test_preview_with_where_and_order_on_a_portal_that_cannot_run_them(capsys, portal, fake_ckan):
    """CKAN's datastore here cannot filter or sort on the server: preview does it on the rows it reads, and says so
    (it used to exit 1 with the portal's refusal)."""
    rows = fake_ckan.apps["ckan"].package("street-trees").resources[0].datastore.rows
    maples = [r for r in rows if r["species"] == "Acer rubrum"]
    code, out, err = run_cli(
        capsys, "--portal", portal, "preview", "street-trees", "--rows", "5", "--json",
        "--where", "species = 'Acer rubrum'", "--columns", "tree_id",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == [{"tree_id": r["tree_id"]} for r in maples[:5]]
    assert "cannot filter on its server: done here" in err
    code, out, err = run_cli(
        capsys, "--portal", portal, "preview", "street-trees", "--rows", "3", "--json",
        "--where", "species = 'Acer rubrum'", "--order", "tree_id desc", "--columns", "tree_id,species",
    )  # fmt: skip
    assert code == 0, err
    assert [r["tree_id"] for r in json.loads(out)] == sorted((r["tree_id"] for r in maples), reverse=True)[:3]
    assert "cannot filter or sort on its server" in err
