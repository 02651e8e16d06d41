"""pdxtui.export: byte-exact goldens, typed read-backs (Parquet, XLSX), GeoJSON structure, atomic writes under
cancel/errors, streaming from the bundled and the fake ArcGIS portals.

Regenerate the goldens (then read them by eye) with
``PDXTUI_REGEN_GOLDENS=1 python -m pytest tests/unit/test_export.py``.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from pdxtui import export as ex
from pdxtui.errors import PdxError, UsageError
from pdxtui.export import (
    ExportCancelled,
    ExportError,
    ExportOptions,
    ExportUsageError,
    TargetExists,
    available_formats,
    check_target,
    export_frame,
    export_frames,
    export_query,
    format_for,
    geometry_columns,
    resolve_columns,
    suggested_filename,
)
from pdxtui.model import Dataset, Field, Query
from pdxtui.provenance import Source
from tests.support.fakeportal.fixtures import DATASETS

GOLDENS = Path(__file__).resolve().parents[1] / "support" / "goldens"
REGEN = os.environ.get("PDXTUI_REGEN_GOLDENS") == "1"
STREET_TREES = "a494697005da9eea74335a369b0e3689_1415"  # bundled: 252,184 rows, pages of 50,000
BIKE_RACKS = "69f083cb68fa62f1a12c4c7c675ba50e_56"  # bundled: 6,947 rows
COUNCIL = "c0bfca09c5646f3d854c615330aa5623_1413"  # bundled: polygons
PERMITS = DATASETS["permits"]  # fake ArcGIS: 1,234 rows, maxRecordCount 150


def golden_frame() -> pl.DataFrame:
    """Small, deterministic, and awkward: every type the portals give, nulls, and text that needs quoting."""
    utc = UTC
    return pl.DataFrame(
        {
            "id": [1, 2, 3, 4, None],
            "amount": [1.5, -0.25, None, 1234567.125, 1e-7],
            "name": [
                "plain",
                "comma, inside",
                "quote \"double\" and 'single'",
                "line\nbreak\tand tab",
                "ünïcödé 🌳 漢字 <&>",
            ],
            "day": [date(2024, 1, 31), None, date(2000, 2, 29), date(1970, 1, 1), date(2023, 12, 25)],
            "when": [
                datetime(2024, 5, 1, 13, 45, tzinfo=utc),
                datetime(2024, 5, 1, 13, 45, 7, 250000, tzinfo=utc),
                None,
                datetime(1999, 12, 31, 23, 59, 59, tzinfo=utc),
                datetime(2020, 2, 29, tzinfo=utc),
            ],
            "tags": [["a", "b"], [], None, ["x,y", 'q"t'], ["ü"]],
            "flag": [True, False, None, True, False],
            "Latitude": [45.5231, 45.6, None, 45.512345, 45.0],
            "Longitude": [-122.6765, -122.7, -122.8, None, -122.5],
        },
        schema_overrides={"when": pl.Datetime("ms", "UTC")},
    )


#: the facts of the goldens' provenance: a fixed time and version, so the files stay byte-exact
GOLDEN_SOURCE = Source(
    portal_name="golden",
    portal_label="Golden portal",
    portal_kind="arcgis",
    portal_url="https://portal.example",
    query_url="https://portal.example/layer/0/query?where=1%3D1&outFields=%2A&f=json",
    retrieved_at=datetime(2026, 12, 3, 11, 22, 33, tzinfo=UTC),
    version="9.9.9-test",
)


def check_golden(path: Path, name: str) -> None:
    golden = GOLDENS / name
    data = path.read_bytes()
    if REGEN:
        GOLDENS.mkdir(exist_ok=True)
        golden.write_bytes(data)
    assert golden.exists(), f"missing golden {golden}; run with PDXTUI_REGEN_GOLDENS=1 and read it by eye"
    assert data == golden.read_bytes(), f"{name} differs from its golden"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".pdxtui-tmp-" in p.name)


def test_importing_export_stays_light():
    """The dialog and the CLI import these at start: no polars, pyarrow, xlsxwriter or textual until an export
    runs."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import pdxtui.export, pdxtui.cli.export, pdxtui.cli\n"
        "pdxtui.cli.build_parser()\n"
        "print(sorted(m for m in ('polars', 'pyarrow', 'xlsxwriter', 'textual', 'httpx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- goldens ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("basic.csv", ExportOptions()),
        ("basic.tsv", ExportOptions()),
        ("basic.ndjson", ExportOptions()),
        ("basic.json", ExportOptions()),
        ("pretty.json", ExportOptions(pretty=True, columns=("name", "id", "tags", "when"))),
        ("basic.geojson", ExportOptions()),
        (
            "options.csv",
            ExportOptions(delimiter=";", header=False, quote_style="always", null="NA", columns=("name", "id", "day")),
        ),
    ],
)
def test_golden_files(tmp_path, name, options):
    target = tmp_path / name
    result = export_frame(golden_frame(), target, options, source=GOLDEN_SOURCE)
    assert result.rows == 5 and result.bytes == target.stat().st_size
    assert result.format == format_for(name)
    check_golden(target, name)
    assert result.provenance == f"{target}.provenance.json"
    if name == "basic.csv":  # one sidecar golden: the record's layout (the others differ in format and file name)
        check_golden(Path(result.provenance), "basic.csv.provenance.json")
    assert leftovers(tmp_path) == []


def test_text_formats_keep_types(tmp_path):
    """What the goldens hold, read back: ISO dates, numbers as numbers, nested values as JSON."""
    frame = golden_frame()
    export_frame(frame, tmp_path / "a.csv")
    back = pl.read_csv(tmp_path / "a.csv", try_parse_dates=True)
    assert back["id"].to_list() == frame["id"].to_list()
    assert back["amount"].to_list() == frame["amount"].to_list()
    assert back["name"].to_list() == frame["name"].to_list()
    assert back["day"].to_list() == frame["day"].to_list()
    assert [json.loads(v) if v is not None else None for v in back["tags"].to_list()] == frame["tags"].to_list()
    assert (tmp_path / "a.csv").read_text().splitlines()[1].split(",")[4] == "2024-05-01T13:45:00+00:00"

    export_frame(frame, tmp_path / "a.ndjson")
    rows = [json.loads(line) for line in (tmp_path / "a.ndjson").read_text().splitlines()]
    assert rows[1]["when"] == "2024-05-01T13:45:07.250+00:00" and rows[0]["day"] == "2024-01-31"
    assert rows[3]["tags"] == ["x,y", 'q"t'] and rows[2]["amount"] is None and rows[0]["flag"] is True
    export_frame(frame, tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text()) == rows


def test_naive_and_zoned_datetimes_and_nan(tmp_path):
    frame = pl.DataFrame(
        {
            "naive": [datetime(2021, 3, 4, 5, 6, 7)],
            "zoned": [datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)],
            "nan": [float("nan")],
        }
    )
    export_frame(frame, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text() == "naive,zoned,nan\n2021-03-04T05:06:07,2021-03-04T05:06:07+00:00,NaN\n"
    export_frame(frame, tmp_path / "a.ndjson")
    assert json.loads((tmp_path / "a.ndjson").read_text()) == {
        "naive": "2021-03-04T05:06:07",
        "zoned": "2021-03-04T05:06:07+00:00",
        "nan": None,
    }


# -- Parquet, XLSX, GeoJSON -------------------------------------------------------------------------------------------


def test_parquet_reads_back_with_the_schema(tmp_path):
    frame = golden_frame()
    export_frame(frame, tmp_path / "a.parquet", ExportOptions(compression="snappy"))
    back = pl.read_parquet(tmp_path / "a.parquet")
    assert back.schema == frame.schema
    assert back.equals(frame)


async def test_parquet_streamed_pages_make_row_groups(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setattr(ex.writers, "PARQUET_ROW_GROUP", 250)
    frame = pl.DataFrame({"n": range(1000), "s": [f"v{i}" for i in range(1000)]})

    async def pages():
        for offset in range(0, 1000, 100):
            yield frame.slice(offset, 100)

    result = await export_frames(pages(), tmp_path / "a.pq", ExportOptions(compression="none"))
    assert result.rows == 1000 and result.format == "parquet"
    assert pl.read_parquet(tmp_path / "a.pq").equals(frame)
    assert pq.ParquetFile(tmp_path / "a.pq").metadata.num_row_groups == 4  # 300, 300, 300, 100 rows


def _xlsx_cells(path: Path) -> dict[str, tuple[str, object, str]]:
    """cell ref -> (type, value, number format) read with zipfile + XML (no spreadsheet library needed)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        styles = ET.fromstring(package.read("xl/styles.xml"))
        sheet = ET.fromstring(package.read("xl/worksheets/sheet1.xml"))
        names = set(package.namelist())
    assert {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= names
    codes = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.iterfind("m:numFmts/m:numFmt", ns)}
    xfs = [codes.get(int(xf.get("numFmtId")), "General") for xf in styles.iterfind("m:cellXfs/m:xf", ns)]
    cells = {}
    for cell in sheet.iterfind("m:sheetData/m:row/m:c", ns):
        kind = cell.get("t", "n")
        fmt = xfs[int(cell.get("s", "0"))]
        if kind == "inlineStr":
            value: object = "".join(t.text or "" for t in cell.iterfind("m:is/m:t", ns))
        elif kind == "b":
            value = cell.find("m:v", ns).text == "1"
        else:
            value = float(cell.find("m:v", ns).text)
        cells[cell.get("r")] = (kind, value, fmt)
    return cells


def test_xlsx_cells_are_typed(tmp_path):
    export_frame(golden_frame(), tmp_path / "a.xlsx")
    cells = _xlsx_cells(tmp_path / "a.xlsx")
    assert [cells[f"{c}1"][1] for c in "ABCDEFGHI"] == list(golden_frame().columns)
    assert cells["A2"] == ("n", 1.0, "General") and cells["B3"] == ("n", -0.25, "General")
    assert cells["C3"] == ("inlineStr", "comma, inside", "General")
    assert cells["C5"][1] == "line\nbreak\tand tab" and cells["C6"][1] == "ünïcödé 🌳 漢字 <&>"
    assert cells["D2"] == ("n", 45322.0, "yyyy-mm-dd")  # 2024-01-31
    assert cells["D5"] == ("n", 25569.0, "yyyy-mm-dd")  # 1970-01-01
    _kind, serial, fmt = cells["E3"]  # 2024-05-01 13:45:07.25 UTC
    assert fmt == "yyyy-mm-dd hh:mm:ss" and serial == pytest.approx(45413 + (13 * 3600 + 45 * 60 + 7.25) / 86400)
    assert cells["F2"] == ("inlineStr", '["a","b"]', "General") and cells["F5"][1] == '["x,y","q\\"t"]'
    assert cells["G2"] == ("b", True, "General") and cells["G3"] == ("b", False, "General")
    assert "A6" not in cells and "B4" not in cells and "D3" not in cells  # nulls are empty cells
    assert max(int(re.sub(r"[A-Z]", "", ref)) for ref in cells) == 6


def test_xlsx_matches_what_xlsxwriter_writes_itself(tmp_path):
    """The same cells as xlsxwriter's own constant_memory writer, value by value (our rows are built with
    polars for speed; this holds them to the library's)."""
    import xlsxwriter

    frame = golden_frame().drop("tags")
    export_frame(frame, tmp_path / "ours.xlsx")
    book = xlsxwriter.Workbook(str(tmp_path / "theirs.xlsx"), {"constant_memory": True})
    sheet = book.add_worksheet()
    bold = book.add_format({"bold": True})
    formats = {
        pl.Date: book.add_format({"num_format": "yyyy-mm-dd"}),
        "dt": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, name, bold)
    for r, row in enumerate(frame.iter_rows(), start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, col, value.replace(tzinfo=None), formats["dt"])
            elif isinstance(value, date):
                sheet.write_datetime(r, col, value, formats[pl.Date])
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, value)
    book.close()
    ours, theirs = _xlsx_cells(tmp_path / "ours.xlsx"), _xlsx_cells(tmp_path / "theirs.xlsx")
    assert ours.keys() == theirs.keys()
    for ref, (kind, value, fmt) in theirs.items():
        assert ours[ref][0] == kind and ours[ref][2] == fmt, ref
        assert ours[ref][1] == (pytest.approx(value) if isinstance(value, float) else value), ref


def test_xlsx_escapes_like_excel(tmp_path):
    frame = pl.DataFrame({"s": ["bell\x07", "_x0041_ literal", "  padded  ", "x" * 40_000]})
    export_frame(frame, tmp_path / "a.xlsx", ExportOptions(header=False))
    with zipfile.ZipFile(tmp_path / "a.xlsx") as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "bell_x0007_" in xml and "_x005F_x0041_ literal" in xml
    assert '<t xml:space="preserve">  padded  </t>' in xml
    cells = _xlsx_cells(tmp_path / "a.xlsx")
    assert len(cells["A4"][1]) == ex.XLSX_MAX_TEXT and "A5" not in cells


def test_xlsx_reads_back_with_polars_when_an_engine_is_installed(tmp_path):
    pytest.importorskip("fastexcel", reason="polars.read_excel needs fastexcel; the zipfile checks above cover XLSX")
    export_frame(golden_frame().drop("tags"), tmp_path / "a.xlsx")
    back = pl.read_excel(tmp_path / "a.xlsx")
    assert back.height == 5 and back["name"].to_list() == golden_frame()["name"].to_list()


def test_xlsx_row_limit_is_checked_up_front_and_while_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(ex.formats, "XLSX_MAX_ROWS", 11)  # a header and 10 rows
    frame = pl.DataFrame({"n": range(11)})
    with pytest.raises(ExportError, match="at most 10 rows"):
        export_frame(frame, tmp_path / "a.xlsx")
    export_frame(frame.head(10), tmp_path / "ok.xlsx")

    async def pages():
        for offset in range(0, 11, 4):
            yield frame.slice(offset, 4)

    with pytest.raises(ExportError, match="at most 10 rows"):
        asyncio.run(export_frames(pages(), tmp_path / "b.xlsx"))  # no total given: found while writing
    assert not (tmp_path / "a.xlsx").exists() and not (tmp_path / "b.xlsx").exists()
    assert leftovers(tmp_path) == []


async def test_xlsx_row_limit_from_the_count(tmp_path, monkeypatch, demo_service):
    monkeypatch.setattr(ex.formats, "XLSX_MAX_ROWS", 100)
    ds = await demo_service.dataset(BIKE_RACKS)
    with pytest.raises(ExportError, match="6,947"):
        await export_query(demo_service, ds, tmp_path / "a.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_geojson_structure(tmp_path):
    dataset = Dataset(id="x", title="Trees", geometry_type="esriGeometryPoint")
    export_frame(golden_frame(), tmp_path / "a.geojson", ExportOptions(columns=("name", "day")), dataset=dataset)
    doc = json.loads((tmp_path / "a.geojson").read_text())
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 5
    first = doc["features"][0]
    assert first == {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-122.6765, 45.5231]},
        "properties": {"name": "plain", "day": "2024-01-31"},
    }
    assert [f["geometry"] is None for f in doc["features"]] == [False, False, True, True, False]
    assert all(f["type"] == "Feature" and set(f["properties"]) == {"name", "day"} for f in doc["features"])


def test_geojson_needs_points(tmp_path):
    frame = golden_frame().drop("Latitude")
    with pytest.raises(ExportUsageError, match="latitude and longitude"):
        export_frame(frame, tmp_path / "a.geojson")
    polygons = Dataset(id="p", title="Districts", geometry_type="esriGeometryPolygon")
    with pytest.raises(ExportUsageError, match="polygon"):
        export_frame(golden_frame(), tmp_path / "a.geojson", dataset=polygons)
    assert list(tmp_path.iterdir()) == []


def test_geometry_columns():
    assert geometry_columns(None, ["a", "LATITUDE", "Longitude"]) == ("LATITUDE", "Longitude")
    assert geometry_columns(None, ["shape_latitude", "shape_longitude", "x"]) == ("shape_latitude", "shape_longitude")
    assert geometry_columns(None, ["lat", "x"]) is None
    marked = Dataset(
        id="d",
        title="t",
        geometry_type="esriGeometryPoint",
        fields=(
            Field("latitude", "esriFieldTypeString"),
            Field("longitude", "esriFieldTypeString"),
            Field("y_coord", "esriFieldTypeDouble", "float", alias="Latitude", derived=True),
            Field("x_coord", "esriFieldTypeDouble", "float", alias="Longitude", derived=True),
        ),
    )
    assert geometry_columns(marked, ["latitude", "longitude", "y_coord", "x_coord"]) == ("y_coord", "x_coord")
    lines = Dataset(id="l", title="t", geometry_type="esriGeometryPolyline")
    assert geometry_columns(lines, ["Latitude", "Longitude"]) is None
    formats = available_formats(lines, ["Latitude", "Longitude"])
    assert formats["csv"] is None and "polyline" in formats["geojson"]


# -- empty results --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("e.csv", b"id,amount,name,day,when,tags,flag,Latitude,Longitude\n"),
        ("e.tsv", b"id\tamount\tname\tday\twhen\ttags\tflag\tLatitude\tLongitude\n"),
        ("e.json", b"[]\n"),
        ("e.ndjson", b""),
        ("e.geojson", b'{"type":"FeatureCollection","features":[]}\n'),
    ],
)
def test_empty_result_writes_a_valid_empty_file(tmp_path, name, expected):
    """(Without provenance: the file is then exactly the rows, and no sidecar is written.)"""
    result = export_frame(golden_frame().clear(), tmp_path / name, ExportOptions(provenance=False))
    assert result.rows == 0 and (tmp_path / name).read_bytes() == expected
    assert result.provenance is None and [p.name for p in tmp_path.iterdir()] == [name]


def test_empty_parquet_and_xlsx_keep_the_columns(tmp_path):
    export_frame(golden_frame().clear(), tmp_path / "e.parquet")
    back = pl.read_parquet(tmp_path / "e.parquet")
    assert back.height == 0 and back.schema == golden_frame().schema
    export_frame(golden_frame().clear(), tmp_path / "e.xlsx")
    cells = _xlsx_cells(tmp_path / "e.xlsx")
    assert sorted(cells) == sorted(f"{c}1" for c in "ABCDEFGHI")


async def test_empty_filter_result_from_a_portal_is_header_only(tmp_path, demo_service):
    ds = await demo_service.dataset(BIKE_RACKS)
    result = await export_query(
        demo_service,
        ds,
        tmp_path / "e.csv",
        ExportOptions(columns=("Address", "Status")),
        query=Query(where="Capacity > 100000"),
    )
    assert result.rows == 0 and (tmp_path / "e.csv").read_text() == "Address,Status\n"


async def test_a_stream_with_no_pages_uses_the_metadata(tmp_path):
    ds = Dataset(id="d", title="t", fields=(Field("n", "esriFieldTypeInteger", "integer"), Field("s", "x")))

    async def nothing():
        return
        yield

    await export_frames(nothing(), tmp_path / "e.parquet", dataset=ds)
    assert pl.read_parquet(tmp_path / "e.parquet").schema == pl.Schema({"n": pl.Int64, "s": pl.String})


# -- columns, options, names ----------------------------------------------------------------------------------------


def test_columns_are_resolved_in_the_order_asked():
    fields = (Field("SPECIES", "s", alias="Species name"), Field("DIAMETER", "d"))
    assert resolve_columns(["diameter", "Species name"], ["SPECIES", "DIAMETER"], fields) == ["DIAMETER", "SPECIES"]
    with pytest.raises(ExportUsageError, match="unknown column 'DIAMTER'; did you mean 'DIAMETER'"):
        resolve_columns(["DIAMTER"], ["SPECIES", "DIAMETER"])
    with pytest.raises(ExportUsageError, match="twice"):
        resolve_columns(["SPECIES", "species"], ["SPECIES"])


def test_format_from_the_extension():
    assert [
        format_for(f"x{e}")
        for e in (".CSV", ".tsv", ".json", ".ndjson", ".jsonl", ".parquet", ".pq", ".xlsx", ".geojson")
    ] == ["csv", "tsv", "json", "ndjson", "ndjson", "parquet", "parquet", "xlsx", "geojson"]
    assert format_for("x.txt", "CSV") == "csv" and format_for("x", "jsonl") == "ndjson"
    with pytest.raises(ExportUsageError) as err:
        format_for("x.xls")
    assert ".csv .tsv .json .ndjson .jsonl .parquet .pq .xlsx .geojson" in str(err.value)
    assert isinstance(err.value, UsageError)
    with pytest.raises(ExportUsageError, match="no extension"):
        format_for("data")
    with pytest.raises(ExportUsageError, match="unknown format 'xls'"):
        format_for("x.csv", "xls")


@pytest.mark.parametrize(
    "options",
    [
        ExportOptions(delimiter=";;"),
        ExportOptions(delimiter='"'),
        ExportOptions(quote_style="sometimes"),
        ExportOptions(null="a\nb"),
    ],
)
def test_bad_csv_options_are_refused(tmp_path, options):
    with pytest.raises(ExportUsageError):
        export_frame(golden_frame(), tmp_path / "a.csv", options)
    assert list(tmp_path.iterdir()) == []


def test_suggested_filename():
    assert (
        suggested_filename(Dataset(id="x", title="Street Tree Inventory - Active Records"), "parquet")
        == "street-tree-inventory-active-records.parquet"
    )
    assert suggested_filename(None, "xlsx") == "export.xlsx"


def test_progress_reports_rows_and_total(tmp_path):
    seen = []
    frame = pl.DataFrame({"n": range(250_000)})
    export_frame(frame, tmp_path / "a.csv", progress=seen.append)
    assert seen[0].rows == 0 and seen[-1].rows == 250_000
    assert [p.rows for p in seen] == sorted(p.rows for p in seen) and len(seen) >= 3
    assert {p.total for p in seen} == {250_000}


# -- the target: atomic, never partial --------------------------------------------------------------------------------


def test_existing_target_needs_overwrite(tmp_path):
    target = tmp_path / "a.csv"
    target.write_bytes(b"precious\n")
    with pytest.raises(TargetExists, match="already exists; use --force"):
        export_frame(golden_frame(), target)
    assert target.read_bytes() == b"precious\n"
    os.chmod(target, 0o640)
    export_frame(golden_frame(), target, ExportOptions(overwrite=True))
    assert target.read_bytes().startswith(b"id,amount")
    assert target.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode
    assert leftovers(tmp_path) == []


def test_new_file_mode_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        export_frame(golden_frame(), tmp_path / "a.csv")
    finally:
        os.umask(old)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o640


def test_target_problems_are_clear(tmp_path):
    with pytest.raises(ExportError, match=r"folder .*missing.* does not exist"):
        check_target(tmp_path / "missing" / "a.csv")
    with pytest.raises(ExportUsageError, match="is a folder"):
        check_target(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="is not a folder"):
        check_target(tmp_path / "file" / "a.csv")
    assert check_target(tmp_path / "new.csv") == str(tmp_path / "new.csv")


def test_unwritable_folder(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:  # root writes anywhere: then make the temp file fail as a locked folder would
        os.chmod(locked, 0o500)
    else:

        def denied(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(ex.target.tempfile, "mkstemp", denied)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            export_frame(golden_frame(), locked / "a.csv")
    finally:
        os.chmod(locked, 0o700)
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "json"])
def test_full_disk_is_reported_and_cleaned_up(tmp_path, monkeypatch, fmt):
    original = os.fsync

    def full(fd):
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".a."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(fd)

    if not os.path.exists("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd")
    monkeypatch.setattr(ex.target.os, "fsync", full)
    with pytest.raises(ExportError, match="the disk is full"):
        export_frame(golden_frame().drop("tags") if fmt == "xlsx" else golden_frame(), tmp_path / f"a.{fmt}")
    assert list(tmp_path.iterdir()) == []


def test_polars_style_disk_errors_are_recognised():
    assert ex.target._os_problem(OSError("No space left on device (os error 28)"), "/x/a.csv") == "the disk is full"
    assert (
        ex.target._os_problem(
            RuntimeError("parquet: underlying IO error: No space left on device (os error 28)"), "/x/a.pq"
        )
        == "the disk is full"
    )
    assert ex.target._os_problem(OSError(errno.EROFS, "Read-only file system"), "/x/a.csv").startswith(
        "the folder is on"
    )


def test_an_error_mid_write_leaves_nothing_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.csv"
    target.write_bytes(b"old contents\n")
    calls = []
    original = ex.writers._CsvWriter.write

    def failing(self, frame):
        calls.append(frame.height)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return original(self, frame)

    monkeypatch.setattr(ex.writers._CsvWriter, "write", failing)
    big = pl.DataFrame({"n": range(300_000)})
    with pytest.raises(ExportError, match="boom") as err:
        export_frame(big, target, ExportOptions(overwrite=True))
    assert isinstance(err.value, PdxError) and len(calls) == 2
    assert target.read_bytes() == b"old contents\n"
    assert leftovers(tmp_path) == []


def test_cancel_callback_stops_and_cleans_up(tmp_path):
    checks = []

    def cancel():
        checks.append(1)
        return len(checks) > 2

    with pytest.raises(ExportCancelled):
        export_frame(pl.DataFrame({"n": range(500_000)}), tmp_path / "a.csv", cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_appears_meanwhile_is_not_clobbered(tmp_path, monkeypatch):
    target = tmp_path / "a.csv"
    original = ex.writers._CsvWriter.write

    def racing(self, frame):
        target.write_bytes(b"someone else's\n")
        return original(self, frame)

    monkeypatch.setattr(ex.writers._CsvWriter, "write", racing)
    with pytest.raises(TargetExists):
        export_frame(golden_frame(), target)
    assert target.read_bytes() == b"someone else's\n" and leftovers(tmp_path) == []


def test_stale_temp_files_of_dead_processes_are_removed(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".a.csv.pdxtui-tmp-{pid}-abcd1234"
    mine = tmp_path / f".a.csv.pdxtui-tmp-{os.getpid()}-zzzz9999"  # a live process: left alone
    stale.write_text("partial")
    mine.write_text("in progress")
    export_frame(golden_frame(), tmp_path / "a.csv")
    assert not stale.exists() and mine.exists()


# -- streaming from portals ------------------------------------------------------------------------------------


async def test_whole_dataset_streams_in_pages_from_the_bundled_portal(tmp_path, demo_service):
    ds = await demo_service.dataset(STREET_TREES)
    seen = []
    options = ExportOptions(columns=("Longitude", "OBJECTID", "SPECIES"))
    result = await export_query(demo_service, ds, tmp_path / "t.parquet", options, progress=seen.append)
    assert result.rows == ds.rows == 252_184
    back = pl.read_parquet(tmp_path / "t.parquet")
    assert back.columns == ["Longitude", "OBJECTID", "SPECIES"] and back.height == 252_184
    assert back["OBJECTID"].is_sorted() and back["OBJECTID"].n_unique() == 252_184
    assert seen[-1].rows == 252_184 and seen[-1].total == 252_184 and seen[-1].pages == 6


async def test_filtered_export_on_a_portal_that_filters(tmp_path, demo_service):
    ds = await demo_service.dataset(BIKE_RACKS)
    where = "Capacity >= 4 and Status ~ stall"
    expected = await demo_service.count(ds, Query(where=where))
    assert 0 < expected < ds.rows
    result = await export_query(demo_service, ds, tmp_path / "b.ndjson", query=Query(where=where, limit=None))
    rows = [json.loads(line) for line in (tmp_path / "b.ndjson").read_text().splitlines()]
    assert result.rows == len(rows) == expected
    assert all(r["Capacity"] >= 4 and "stall" in r["Status"].lower() for r in rows)


@pytest.fixture
def arcgis(fake_arcgis):
    from pdxtui.session import open_session

    return open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()


async def test_whole_dataset_from_arcgis_has_exact_counts_across_pages(tmp_path, arcgis, fake_arcgis):
    try:
        ds = await arcgis.dataset(PERMITS.id)
        result = await export_query(arcgis, ds, tmp_path / "p.csv")
        assert result.rows == PERMITS.row_count == 1234
        back = pl.read_csv(tmp_path / "p.csv")
        assert back.height == 1234 and back["OBJECTID"].to_list() == list(range(1, 1235))
        pages = [r for r in fake_arcgis.requests_to("/query") if "resultOffset" in r.params]
        assert len(pages) == -(-1234 // 150)  # nine pages of at most 150 rows
    finally:
        await arcgis.aclose()


async def test_filter_on_arcgis_pages_exact_counts(tmp_path, arcgis):
    """``where`` on ArcGIS: sent to the server when the portal can filter, else applied here to every page."""
    try:
        ds = await arcgis.dataset(PERMITS.id)
        expected = [
            r["OBJECTID"]
            for r in PERMITS.rows
            if r["VALUATION"] is not None and r["VALUATION"] > 100_000 and "garage" in r["WORK_DESC"].lower()
        ]
        assert 10 < len(expected) < 1234
        query = Query(where="VALUATION > 100000 and WORK_DESC ~ GARAGE")
        result = await export_query(
            arcgis, ds, tmp_path / "p.json", ExportOptions(columns=("OBJECTID", "WORK_DESC")), query=query
        )
        rows = json.loads((tmp_path / "p.json").read_text())
        assert result.rows == len(expected) and [r["OBJECTID"] for r in rows] == expected
        assert set(rows[0]) == {"OBJECTID", "WORK_DESC"}
        limited = await export_query(arcgis, ds, tmp_path / "q.csv", query=Query(where=query.where, limit=7))
        assert limited.rows == 7 and pl.read_csv(tmp_path / "q.csv")["OBJECTID"].to_list() == expected[:7]
        later = await export_query(arcgis, ds, tmp_path / "r.csv", query=Query(where=query.where, offset=5, limit=4))
        assert later.rows == 4 and pl.read_csv(tmp_path / "r.csv")["OBJECTID"].to_list() == expected[5:9]
    finally:
        await arcgis.aclose()


async def test_geojson_from_arcgis_point_layer(tmp_path, arcgis):
    try:
        ds = await arcgis.dataset(PERMITS.id)
        await export_query(
            arcgis, ds, tmp_path / "p.geojson", ExportOptions(columns=("PERMIT_NUM",)), query=Query(limit=300)
        )
        doc = json.loads((tmp_path / "p.geojson").read_text())
        assert len(doc["features"]) == 300
        lon, lat = PERMITS.geometries[0]
        assert doc["features"][0]["geometry"] == {"type": "Point", "coordinates": [lon, lat]}
        assert doc["features"][0]["properties"] == {"PERMIT_NUM": PERMITS.rows[0]["PERMIT_NUM"]}
    finally:
        await arcgis.aclose()


async def test_cancelling_a_slow_arcgis_export_leaves_nothing(tmp_path, arcgis, fake_arcgis):
    target = tmp_path / "p.csv"
    target.write_bytes(b"keep me\n")
    try:
        ds = await arcgis.dataset(PERMITS.id)
        fake_arcgis.faults.set("latency", path_contains="/query?", seconds=0.15)
        written = asyncio.Event()

        def progress(p):
            if p.rows > 0:
                written.set()

        task = asyncio.ensure_future(export_query(arcgis, ds, target, ExportOptions(overwrite=True), progress=progress))
        await asyncio.wait_for(written.wait(), 10)
        assert leftovers(tmp_path)  # the temp file is being written
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert target.read_bytes() == b"keep me\n"
        assert leftovers(tmp_path) == []
    finally:
        fake_arcgis.faults.clear()
        await arcgis.aclose()


async def test_cancel_flag_mid_stream_from_the_bundled_portal(tmp_path, demo_service):
    ds = await demo_service.dataset(STREET_TREES)
    pages = []
    with pytest.raises(ExportCancelled):
        await export_query(
            demo_service,
            ds,
            tmp_path / "t.xlsx",
            ExportOptions(columns=("OBJECTID", "SPECIES")),
            progress=lambda p: pages.append(p.pages),
            cancel=lambda: len(pages) > 2,
        )
    assert list(tmp_path.iterdir()) == []


async def test_an_exception_in_the_page_stream_leaves_nothing(tmp_path):
    async def pages():
        yield golden_frame()
        raise PdxError("the portal went away")

    with pytest.raises(PdxError, match="went away"):
        await export_frames(pages(), tmp_path / "a.geojson")
    assert list(tmp_path.iterdir()) == []


async def test_unknown_filter_column_is_a_usage_error(tmp_path, demo_service):
    from pdxtui.filters import FilterError

    ds = await demo_service.dataset(BIKE_RACKS)
    with pytest.raises(FilterError):
        await export_query(demo_service, ds, tmp_path / "a.csv", query=Query(where="Capacty > 3"))
    with pytest.raises(ExportUsageError, match="did you mean 'Capacity'"):
        await export_query(demo_service, ds, tmp_path / "a.csv", ExportOptions(columns=("Capacty",)))
    with pytest.raises(ExportUsageError, match="polygon"):
        await export_query(demo_service, await demo_service.dataset(COUNCIL), tmp_path / "a.geojson")
    assert list(tmp_path.iterdir()) == []


# -- the dialog's one call ------------------------------------------------------------------------------------------


async def test_export_scope_for_each_scope(tmp_path, demo_service):
    from pdxtui.export import export_scope

    ds = await demo_service.dataset(BIKE_RACKS)
    loop_thread = []
    frame = pl.DataFrame({"n": range(300_000)})
    import threading

    result = await export_scope(
        "loaded", tmp_path / "l.csv", frame=frame, progress=lambda p: loop_thread.append(threading.current_thread())
    )
    assert result.rows == 300_000 and set(loop_thread) == {threading.main_thread()}
    query = Query(where="Capacity >= 20", order=(("OBJECTID", True),))
    filtered = await export_scope("filtered", tmp_path / "f.csv", service=demo_service, dataset=ds, query=query)
    everything = await export_scope("all", tmp_path / "a.csv", service=demo_service, dataset=ds, query=query)
    assert filtered.rows == await demo_service.count(ds, Query(where=query.where)) < everything.rows == 6947
    assert pl.read_csv(tmp_path / "a.csv")["OBJECTID"].to_list()[:2] == [6947, 6946]  # the grid's order kept
    with pytest.raises(ExportUsageError):
        await export_scope("some", tmp_path / "x.csv", service=demo_service, dataset=ds)


async def test_export_scope_loaded_cancels_its_thread(tmp_path):
    from pdxtui.export import export_scope

    started = asyncio.Event()
    task = asyncio.ensure_future(
        export_scope(
            "loaded",
            tmp_path / "l.xlsx",
            frame=pl.DataFrame({"n": range(400_000)}),
            progress=lambda p: started.set() if p.rows else None,
        )
    )
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


async def test_streamed_whole_floats_become_integers_only_when_every_page_is_whole(tmp_path):
    """Parquet fixes a column's type for the file: a float column becomes Int64 only when all its pages held whole
    numbers; a fraction on a later page keeps the column float (nothing truncated)."""

    async def pages(later: list[float | None]):
        yield pl.DataFrame({"id": [297720928.0, 2.0], "x": [1.0, None]})
        yield pl.DataFrame({"id": [3.0, None], "x": later})

    await export_frames(pages([4.0, 5.0]), tmp_path / "whole.parquet", ExportOptions())
    whole = pl.read_parquet(tmp_path / "whole.parquet")
    assert whole.schema == {"id": pl.Int64, "x": pl.Int64}
    assert whole["id"].to_list() == [297720928, 2, 3, None] and whole["x"].to_list() == [1, None, 4, 5]
    await export_frames(pages([4.5, None]), tmp_path / "mixed.parquet", ExportOptions())
    mixed = pl.read_parquet(tmp_path / "mixed.parquet")
    assert mixed.schema == {"id": pl.Int64, "x": pl.Float64} and mixed["x"].to_list() == [1.0, None, 4.5, None]


def test_copied_whole_floats_read_as_integers():
    from pdxtui.frames import to_tsv

    frame = pl.DataFrame({"id": [297720928.0, None], "x": [1.5, 2.0]})
    # each whole number without its fraction, also in a column that holds fractions (copies are text: 2 is 2.0)
    assert to_tsv(frame, header=True) == "id\tx\n297720928\t1.5\n\t2"
