"""Whole numbers are exported as the grid writes them (26, not 26.0) in every format, from a loaded frame and
streamed from every portal: a float column whose values are all whole (nulls aside) is written as integers; a
column with fractions keeps them, as the grid shows it (26.0 beside 1.5)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date

import polars as pl
import pytest

from pdxtui.export import ExportOptions, export_frame, export_query
from pdxtui.model import Dataset


def numbers_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "dbh": [26.0, None, 8.0],  # a Socrata "number": whole, with a null
            "score": [1.5, 26.0, None],  # fractions: 26.0 stays 26.0, as the grid shows it beside 1.5
            "nothing": [None, None, None],  # all null: nothing to say, stays a float column of nulls
            "count": [1, 2, None],
            "day": [date(2024, 1, 1)] * 3,
            "Latitude": [45.5, 45.6, 45.7],
            "Longitude": [-122.6, -122.7, -122.8],
        },
        schema_overrides={"nothing": pl.Float64},
    )


def _csv_rows(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.parametrize(("suffix", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_delimited_text(tmp_path, suffix, delimiter):
    export_frame(numbers_frame(), tmp_path / f"a.{suffix}")
    rows = _csv_rows((tmp_path / f"a.{suffix}").read_text(), delimiter)
    assert [r["dbh"] for r in rows] == ["26", "", "8"]
    assert [r["score"] for r in rows] == ["1.5", "26.0", ""]
    assert [r["nothing"] for r in rows] == ["", "", ""]
    assert [r["count"] for r in rows] == ["1", "2", ""]


@pytest.mark.parametrize("suffix", ["json", "ndjson"])
def test_json(tmp_path, suffix):
    export_frame(numbers_frame(), tmp_path / f"a.{suffix}")
    text = (tmp_path / f"a.{suffix}").read_text()
    rows = json.loads(text) if suffix == "json" else [json.loads(line) for line in text.splitlines()]
    assert [r["dbh"] for r in rows] == [26, None, 8] and all(isinstance(r["dbh"], (int, type(None))) for r in rows)
    assert '"dbh":26' in text.replace(" ", "") and "26.0," not in text.replace(" ", "").split('"score"')[0]
    assert [r["score"] for r in rows] == [1.5, 26.0, None]
    assert [r["nothing"] for r in rows] == [None, None, None]


def test_geojson_properties(tmp_path):
    dataset = Dataset(id="x", title="Trees", geometry_type="esriGeometryPoint")
    export_frame(numbers_frame(), tmp_path / "a.geojson", dataset=dataset)
    text = (tmp_path / "a.geojson").read_text()
    features = json.loads(text)["features"]
    assert [f["properties"]["dbh"] for f in features] == [26, None, 8]
    assert '"dbh":26,' in text and '"dbh":26.0' not in text
    assert [f["properties"]["score"] for f in features] == [1.5, 26.0, None]


def test_parquet(tmp_path):
    export_frame(numbers_frame(), tmp_path / "a.parquet")
    back = pl.read_parquet(tmp_path / "a.parquet")
    assert back.schema["dbh"] == pl.Int64 and back["dbh"].to_list() == [26, None, 8]
    assert back.schema["score"] == pl.Float64 and back.schema["nothing"] == pl.Float64


def test_xlsx(tmp_path):
    export_frame(numbers_frame(), tmp_path / "a.xlsx")
    with zipfile.ZipFile(tmp_path / "a.xlsx") as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    values = dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*><v>([^<]*)</v>', sheet))
    assert values["A2"] == "26" and values["A4"] == "8" and "A3" not in values  # a null is an empty cell
    assert values["B2"] == "1.5"


@pytest.fixture
def socrata(fake_socrata):
    from pdxtui.session import open_session

    return open_session(portal=f"socrata:{fake_socrata.url}").service()


@pytest.mark.parametrize("suffix", ["csv", "json", "xlsx", "parquet", "geojson"])
async def test_streamed_from_socrata_whole_numbers_stay_whole(tmp_path, socrata, suffix):
    """Socrata sends every number as a JSON string of a float type: its tree diameters (all whole) export as
    integers in every format."""
    from tests.support.fakeportal.socrata.data import TREES

    ds = await socrata.dataset(TREES.id)
    options = ExportOptions(columns=("tree_id", "dbh", "latitude", "longitude"))
    path = tmp_path / f"trees.{suffix}"
    await export_query(socrata, ds, path, options)
    if suffix == "parquet":
        assert pl.read_parquet(path).schema["dbh"] == pl.Int64
    elif suffix == "xlsx":
        with zipfile.ZipFile(path) as package:
            sheet = package.read("xl/worksheets/sheet1.xml").decode()
        assert re.search(r'<c r="B2"[^>]*><v>\d+</v>', sheet)
        assert not re.search(r'<c r="B\d+"[^>]*><v>\d+\.0</v>', sheet)
    else:
        text = path.read_text()
        if suffix == "csv":
            assert all(r["dbh"] == "" or r["dbh"].isdigit() for r in _csv_rows(text))
        elif suffix == "json":
            assert all(r["dbh"] is None or type(r["dbh"]) is int for r in json.loads(text))
        else:
            features = json.loads(text)["features"]
            assert all(f["properties"]["dbh"] is None or type(f["properties"]["dbh"]) is int for f in features)


async def test_streamed_from_ckan_and_arcgis_keep_their_types(tmp_path, fake_ckan, fake_arcgis):
    from pdxtui.session import open_session
    from tests.support.fakeportal.fixtures import DATASETS

    ckan = open_session(portal=f"ckan:{fake_ckan.url}").service()
    ds = await ckan.dataset("city-budget")
    await export_query(ckan, ds, tmp_path / "budget.csv")
    rows = _csv_rows((tmp_path / "budget.csv").read_text())
    assert all(r["line"].isdigit() for r in rows) and any("." in r["amount"] for r in rows)
    arcgis = open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()
    ds = await arcgis.dataset(DATASETS["heritage_trees"].id)
    await export_query(arcgis, ds, tmp_path / "heritage.json", ExportOptions(columns=("OBJECTID", "HEIGHT")))
    rows = json.loads((tmp_path / "heritage.json").read_text())
    heights = [r["HEIGHT"] for r in rows if r["HEIGHT"] is not None]
    assert heights and all(type(h) is (int if all(float(x).is_integer() for x in heights) else float) for h in heights)
