"""Provenance on every export (issue 18, section 2): the sidecar and the record inside the file hold the exact query
and the row count, for every format; the file and its sidecar are placed together (both or neither, also when the
second rename fails); no secret gets in; citations in text, BibTeX and CSL-JSON from the same record."""

from __future__ import annotations

import asyncio
import json
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest

from pdxtui.export import ExportError, ExportOptions, export_frame, export_query
from pdxtui.model import Dataset, Query, SearchRequest
from pdxtui.provenance import KEY, Source, build_record, citation, citation_text, short_licence, source_for
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.hostile import ALL_IN_ONE, CORPUS

PERMITS = DATASETS["permits"]  # fake ArcGIS: 1,234 rows, points
WHERE = "VALUATION > 100000 and WORK_DESC ~ GARAGE"
NOW = datetime(2026, 12, 3, 11, 22, 33, tzinfo=UTC)
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture
def arcgis(fake_arcgis):
    from pdxtui.session import open_session

    return open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()


def _in_file(path: Path, fmt: str) -> dict | None:
    """The record inside the file, read back with the format's own reader (None: the format holds none)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return json.loads(pq.read_metadata(path).metadata[KEY.encode()])
    if fmt == "geojson":
        doc = json.loads(path.read_text())
        assert doc["type"] == "FeatureCollection"
        return doc[KEY]
    if fmt == "xlsx":
        return _about_sheet(path)
    return None


def _about_sheet(path: Path) -> dict:
    """The XLSX "About" sheet as {what: value}, read from the workbook's XML (openpyxl is not a test dependency)."""
    with zipfile.ZipFile(path) as book:
        names = [s.get("name") for s in ET.fromstring(book.read("xl/workbook.xml")).iter(f"{SHEET}sheet")]
        assert names[1] == "About", names
        sheet = ET.fromstring(book.read("xl/worksheets/sheet2.xml"))
    rows = {}
    for row in sheet.iter(f"{SHEET}row"):
        cells = ["".join(t.text or "" for t in c.iter(f"{SHEET}t")) for c in row.iter(f"{SHEET}c")]
        rows[cells[0]] = cells[1]
    return rows


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson", "parquet", "geojson", "xlsx"])
async def test_every_format_holds_the_exact_query_and_the_row_count(tmp_path, arcgis, fake_arcgis, fmt):
    expected = [
        r["OBJECTID"]
        for r in PERMITS.rows
        if r["VALUATION"] is not None and r["VALUATION"] > 100_000 and "garage" in r["WORK_DESC"].lower()
    ]
    query = Query(where=WHERE, order=(("VALUATION", True),), columns=("OBJECTID", "WORK_DESC", "VALUATION"))
    target = tmp_path / f"permits.{fmt}"
    try:
        ds = await arcgis.dataset(PERMITS.id)
        source = source_for(arcgis, retrieved_at=NOW, scope="filtered")
        result = await export_query(arcgis, ds, target, query=query, source=source)
        plain = arcgis.api_url(ds, query)
    finally:
        await arcgis.aclose()
    assert result.rows == len(expected) > 10
    assert result.provenance == f"{target}.provenance.json"
    sidecar = json.loads(Path(result.provenance).read_text())
    url = sidecar["query"]["url"]
    assert url == plain or fmt == "geojson"  # (GeoJSON asks for the coordinates too)
    # the URL is the request the rows came from: the server got that layer, where clause and order
    sent = [r for r in fake_arcgis.requests_to("/query") if "outFields" in r.params]  # the pages of rows
    asked = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    assert sent and all(r.path == urlsplit(url).path for r in sent)
    assert all({k: r.params[k] for k in asked} == asked for r in sent)  # paging parameters aside: the same
    assert "VALUATION" in asked["where"] and asked["orderByFields"].startswith("VALUATION DESC")
    assert sidecar["query"]["filter"] == WHERE and sidecar["query"]["filtered_by"] == "portal"
    assert sidecar["query"]["filter_words"] == 'VALUATION is greater than 100000 and WORK_DESC contains "GARAGE"'
    assert sidecar["query"]["order"] == [{"column": "VALUATION", "descending": True}]
    assert sidecar["export"]["rows"] == len(expected) and sidecar["export"]["format"] == fmt
    assert sidecar["export"]["scope"] == "filtered" and sidecar["export"]["file"] == target.name
    written = [c["name"] for c in sidecar["export"]["columns"]]
    assert written[:3] == ["OBJECTID", "WORK_DESC", "VALUATION"]
    assert all(c["type"] for c in sidecar["export"]["columns"])
    assert sidecar["retrieved_at"] == "2026-12-03T11:22:33Z" and sidecar["served_from"] == "network"
    assert sidecar["dataset"]["id"] == PERMITS.id and sidecar["portal"]["url"] == f"{fake_arcgis.url}/hub"
    assert sidecar[KEY] == 1 and sidecar["pdxtui_version"]
    inside = _in_file(target, fmt)
    if fmt == "xlsx":
        assert inside["query.url"] == url and inside["export.rows"] == str(len(expected))
        assert inside["query.filter"] == WHERE
    elif inside is not None:
        assert inside == sidecar
    else:
        assert KEY.encode() not in target.read_bytes()  # CSV/TSV/JSON/NDJSON: only the sidecar (readers stay happy)


async def test_a_filter_the_portal_cannot_run_is_named_as_run_here(tmp_path, fake_ckan):
    """CKAN filters most things in pdxtui: the record names the URL actually read (without the filter) and says
    the filter was applied to its rows."""
    from pdxtui.session import open_session

    ckan = open_session(portal=f"ckan:{fake_ckan.url}").service()
    try:
        hits = await ckan.search(SearchRequest(limit=20))
        ds = next(d for d in [await ckan.dataset(h.id) for h in hits.hits] if d.fields)
        column = next(f.name for f in ds.fields if f.kind == "string")
        where = f"{column} ~ a"
        result = await export_query(ckan, ds, tmp_path / "c.csv", query=Query(where=where))
    finally:
        await ckan.aclose()
    record = json.loads(Path(result.provenance).read_text())
    assert record["query"]["filtered_by"] == "pdxtui" and record["query"]["filter"] == where
    assert record["query"]["url"] and record["query"]["url"].startswith(fake_ckan.url)
    assert any("cannot run this filter" in note for note in record["notes"])
    assert record["export"]["rows"] == result.rows


async def test_bundled_exports_say_they_are_sample_rows_and_name_no_request(tmp_path, demo_service):
    ds = await demo_service.dataset("69f083cb68fa62f1a12c4c7c675ba50e_56")
    result = await export_query(demo_service, ds, tmp_path / "b.geojson", query=Query(limit=10))
    record = json.loads(Path(result.provenance).read_text())
    assert record["dataset"]["sample"] is True and "SAMPLE" in record["notes"][0]
    assert record["query"]["url"] is None and "no request was made" in record["query"]["url_note"]
    assert record["served_from"] == "bundled" and record["portal"]["kind"] == "bundled"
    assert record["portal"]["organisation"] == "City of Portland"
    assert json.loads((tmp_path / "b.geojson").read_text())[KEY] == record


def test_loaded_rows_without_a_source_say_the_query_is_not_known(tmp_path):
    frame = pl.DataFrame({"a": [1, 2, 3]})
    result = export_frame(frame, tmp_path / "a.csv", dataset=Dataset(id="x1", title="X"))
    record = json.loads(Path(result.provenance).read_text())
    assert record["query"]["url"] is None and "not known" in record["query"]["url_note"]
    assert record["export"]["rows"] == 3 and record["export"]["columns"] == [
        {"name": "a", "type": "Int64", "portal_type": None, "alias": None}
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["retrieved_at"])


# -- both or neither ------------------------------------------------------------------------------------------------


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("fails", ["sidecar", "file"])
@pytest.mark.parametrize("existing", [False, True])
def test_the_pair_is_both_or_neither_when_a_rename_fails(tmp_path, monkeypatch, fails, existing):
    """The file is placed first, then its sidecar. When placing either fails (here: made to), what was placed is
    taken back and an earlier export and its sidecar are back as they were; no temp file is left."""
    import pdxtui.export.target as target_module

    target = tmp_path / "out.csv"
    sidecar = tmp_path / "out.csv.provenance.json"
    if existing:
        target.write_text("old\n")
        sidecar.write_text('{"old": 1}\n')
    real_replace, real_link = os.replace, os.link

    def failing(kind):
        real = real_replace if kind == "replace" else real_link

        def move(src, dst, *args, **kwargs):
            name = os.path.basename(os.fspath(dst))
            temp = ".pdxtui-tmp-" in os.path.basename(os.fspath(src))
            if temp and "-old-" not in os.fspath(src) and name == (sidecar.name if fails == "sidecar" else target.name):
                raise OSError(28, "No space left on device")
            return real(src, dst, *args, **kwargs)

        return move

    monkeypatch.setattr(target_module.os, "replace", failing("replace"))
    monkeypatch.setattr(target_module.os, "link", failing("link"))
    with pytest.raises(ExportError, match="disk is full"):
        export_frame(pl.DataFrame({"a": [1, 2]}), target, ExportOptions(overwrite=existing))
    monkeypatch.undo()
    if existing:
        assert _names(tmp_path) == ["out.csv", "out.csv.provenance.json"]
        assert target.read_text() == "old\n" and sidecar.read_text() == '{"old": 1}\n'
    else:
        assert _names(tmp_path) == []


@pytest.mark.parametrize("also_fails", ["file", "sidecar"])
def test_when_putting_the_old_export_back_fails_too_its_copy_is_kept_and_named(tmp_path, monkeypatch, also_fails):
    """Placing the sidecar fails, and putting the old file (or the old sidecar) back fails too: the set-aside
    copy may be the only one of the earlier export, so it stays (out of the temp names the next export removes),
    and the error names it. Never an old record beside the new file."""
    import pdxtui.export.target as target_module

    target = tmp_path / "out.csv"
    sidecar = tmp_path / "out.csv.provenance.json"
    target.write_text("old\n")
    sidecar.write_text('{"old": 1}\n')
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        src, name = os.fspath(src), os.path.basename(os.fspath(dst))
        if ".pdxtui-tmp-" in src and "-old-" not in src and name == sidecar.name:
            raise OSError(28, "No space left on device")  # placing the new sidecar
        if "-old-" in src and name == (target.name if also_fails == "file" else sidecar.name):
            raise OSError(5, "Input/output error")  # putting the old one back
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(target_module.os, "replace", replace)
    with pytest.raises(ExportError, match="disk is full") as raised:
        export_frame(pl.DataFrame({"a": [1, 2]}), target, ExportOptions(overwrite=True))
    monkeypatch.undo()
    message = str(raised.value)
    kept = [p for p in tmp_path.iterdir() if ".old-export-" in p.name]
    assert kept and all(str(p) in message for p in kept), (message, _names(tmp_path))
    assert "could not be put back" in message
    contents = {p.read_text() for p in tmp_path.iterdir()}
    assert "old\n" in contents and '{"old": 1}\n' in contents  # nothing of the earlier export is lost
    if also_fails == "file":  # the new file stayed: the old record is not put beside it
        assert not sidecar.exists() and pl.read_csv(target).height == 2
    else:
        assert target.read_text() == "old\n" and not sidecar.exists()


def test_an_overwrite_replaces_both(tmp_path):
    target = tmp_path / "out.parquet"
    target.write_text("old")
    (tmp_path / "out.parquet.provenance.json").write_text("{}")
    result = export_frame(pl.DataFrame({"a": [1, 2]}), target, ExportOptions(overwrite=True))
    assert _names(tmp_path) == ["out.parquet", "out.parquet.provenance.json"]
    assert json.loads(Path(result.provenance).read_text())["export"]["rows"] == 2
    assert pl.read_parquet(target).height == 2


def test_replacing_an_export_without_provenance_drops_its_old_sidecar(tmp_path):
    """The old sidecar described the old rows: beside the new file it would be a false record."""
    target = tmp_path / "out.csv"
    first = export_frame(pl.DataFrame({"a": [1, 2]}), target)
    assert first.provenance and Path(first.provenance).exists()
    export_frame(pl.DataFrame({"a": [3]}), target, ExportOptions(overwrite=True, provenance=False))
    assert _names(tmp_path) == ["out.csv"] and target.read_text() == "a\n3\n"


def test_a_cancelled_export_leaves_neither(tmp_path):
    from pdxtui.export import ExportCancelled

    frame = pl.DataFrame({"a": list(range(300_000))})
    with pytest.raises(ExportCancelled):
        export_frame(frame, tmp_path / "a.csv", cancel=lambda: True)
    assert _names(tmp_path) == []


# -- no secrets ---------------------------------------------------------------------------------------------------


def test_no_secret_reaches_the_record():
    token = "sEcReTtOkEn123456789"
    dataset = Dataset(
        id="d1", title=f"Title echoing {token}", owner="Bureau", page_url=f"https://x.example/d?t={token}"
    )
    source = Source(
        portal_kind="arcgis",
        query_url=f"https://x.example/query?where=1%3D1&api_key=KEY99887766&token={token}&outFields=%2A",
        secrets=(token,),
        retrieved_at=NOW,
    )
    text = json.dumps(build_record(dataset, source))
    assert token not in text and "KEY99887766" not in text
    record = build_record(dataset, source)
    assert record["query"]["url"] == "https://x.example/query?where=1%3D1&outFields=%2A"
    assert record["dataset"]["title"] == "Title echoing [removed]"
    plain = build_record(Dataset(id="d2", title="Password: reset requests (token=weekly)"), source)
    assert plain["dataset"]["title"] == "Password: reset requests (token=weekly)"  # the portal's words, not secrets


# -- citations ----------------------------------------------------------------------------------------------------


def _portland_record(title: str = "Street Tree Inventory – Active Records", **dataset: str) -> dict:
    facts = {
        "id": "trees_1",
        "title": title,
        "owner": "Portland Parks & Recreation",
        "licence": "Open Data Commons Public Domain Dedication and License (PDDL) 1.0",
        "page_url": "https://gis-pdx.opendata.arcgis.com/datasets/PDX::street-tree-inventory",
        **dataset,
    }
    source = Source(
        portal_name="portland",
        portal_kind="arcgis",
        portal_url="https://gis-pdx.opendata.arcgis.com",
        organisation="City of Portland",
        site_name="PortlandMaps Open Data",
        retrieved_at=NOW,
    )
    return build_record(Dataset(data_updated=datetime(2025, 5, 12, tzinfo=UTC), **facts), source)


def test_text_citation_as_in_the_issue():
    assert citation(_portland_record()) == (
        "City of Portland, Portland Parks & Recreation. *Street Tree Inventory – Active Records*. "
        "PortlandMaps Open Data. Retrieved 2026-12-03. "
        "https://gis-pdx.opendata.arcgis.com/datasets/PDX::street-tree-inventory. Licence: PDDL 1.0"
    )


def test_another_portal_is_not_called_the_city_of_portland():
    record = build_record(
        Dataset(id="abcd-1234", title="Crimes", owner="Chicago Police Department", licence="See Terms of Use"),
        Source(portal_kind="socrata", portal_url="https://data.cityofchicago.org", retrieved_at=NOW),
    )
    text = citation(record)
    assert text.startswith("Chicago Police Department. *Crimes*. data.cityofchicago.org. Retrieved 2026-12-03.")
    assert "Portland" not in text and text.endswith("Licence: See Terms of Use")
    assert short_licence("Creative Commons Attribution (CC-BY) 4.0") == "CC-BY 4.0"


def _bibtex_balanced(entry: str) -> bool:
    depth = 0
    for ch in entry:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


HOSTILE_TITLES = [ALL_IN_ONE, "{unbalanced } } \\end{document} 100% #1 $x$ a_b ^ ~ @misc{evil,", *CORPUS.values()]


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=lambda t: repr(t[:12]))
def test_bibtex_and_csl_stay_valid_with_hostile_titles(title):
    record = _portland_record(title, owner=f"{title} & co")
    entry = citation(record, "bibtex")
    assert entry.startswith("@misc{") and entry.endswith("}\n")
    key = entry[len("@misc{") : entry.index(",")]
    assert re.fullmatch(r"[a-z0-9_]+", key) and key == citation(_portland_record(title), "bibtex").split(",")[0][6:]
    assert _bibtex_balanced(entry)
    body = entry[entry.index("\n") : -2]
    fields = re.findall(r"^  ([a-z]+) = \{(.*)\},?$", body, re.MULTILINE)
    assert [name for name, _ in fields][:2] == ["author", "title"] and len(fields) == body.count("\n  ")
    for name, value in fields:
        if name != "url":  # specials are escaped (a backslash only starts a command)
            assert not re.search(r"(?<!\\)[%#&$_]", value.replace(r"\textbackslash{}", "")), (name, value)
        assert not re.search("[\x00-\x1f\x7f-\x9f\ud800-\udfff]", value), (name, value)
    items = json.loads(citation_text(record, "csl-json"))
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    assert item["type"] == "dataset" and item["author"] == [{"literal": item["author"][0]["literal"]}]
    assert item["issued"] == {"date-parts": [[2025, 5, 12]]} and item["accessed"] == {"date-parts": [[2026, 12, 3]]}
    assert item["URL"].startswith("https://") and item["id"] == key
    assert not re.search("[\x00-\x1f\ud800-\udfff]", json.dumps(item, ensure_ascii=False))
    assert "\n" not in citation(record, "text")


@pytest.mark.parametrize("whole", [True, False])
def test_parquet_column_types_in_the_record_are_those_in_the_file(tmp_path, whole):
    """Whole float columns become Int64 in Parquet (as the grid prints them): the record says so too, for a whole
    loaded frame and for pages streamed."""
    import pyarrow.parquet as pq

    frame = pl.DataFrame({"n": [1.0, 2.0, 3.0], "x": [1.5, 2.0, None]})
    if whole:
        result = export_frame(frame, tmp_path / "a.parquet")
    else:

        async def pages():
            yield frame.slice(0, 2)
            yield frame.slice(2, 1)

        from pdxtui.export import export_frames

        result = asyncio.run(export_frames(pages(), tmp_path / "a.parquet", columns=["n", "x"]))
    record = json.loads(Path(result.provenance).read_text())
    kinds = {c["name"]: c["type"] for c in record["export"]["columns"]}
    assert kinds == {"n": "Int64", "x": "Float64"}
    assert str(pq.read_schema(tmp_path / "a.parquet").field("n").type) == "int64"


@pytest.mark.parametrize("fmt", ["xlsx", "geojson", "parquet", "csv"])
def test_hostile_portal_text_leaves_every_record_readable(tmp_path, fmt):
    """Titles, owners and licences with markup, escapes, NUL, bidi and lone surrogates: the sidecar is UTF-8 JSON,
    the About sheet XML that parses, the GeoJSON member and Parquet metadata JSON."""
    hostile = ALL_IN_ONE + CORPUS["huge"][:5000]
    dataset = Dataset(id="h1", title=hostile, owner=hostile, licence=hostile, page_url="https://x.example/" + hostile)
    frame = pl.DataFrame({"Latitude": [45.5], "Longitude": [-122.6], "v": ["rows are not the point here"]})
    result = export_frame(frame, tmp_path / f"h.{fmt}", dataset=dataset)
    record = json.loads(Path(result.provenance).read_bytes().decode("utf-8"))
    assert record["export"]["rows"] == 1 and "[bold red]" in record["dataset"]["title"]
    inside = _in_file(tmp_path / f"h.{fmt}", fmt)
    if fmt == "xlsx":
        assert inside["dataset.id"] == "h1" and inside["export.rows"] == "1"
    elif inside is not None:
        assert inside == record


def test_without_provenance_an_old_record_that_cannot_go_back_is_kept(tmp_path, monkeypatch, caplog):
    """(second review) Placing the file fails and the left record cannot be put back: it is kept under a name the
    next export does not clear, and the log names it; it was left under a temp name before."""
    import pdxtui.export.target as target_module

    target = tmp_path / "out.csv"
    sidecar = tmp_path / "out.csv.provenance.json"
    sidecar.write_text('{"old": 1}\n')
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        src, name = os.fspath(src), os.path.basename(os.fspath(dst))
        if name == target.name:
            raise OSError(28, "No space left on device")  # placing the new file
        if "-old-" in src and name == sidecar.name:
            raise OSError(5, "Input/output error")  # putting the old record back
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(target_module.os, "replace", replace)
    monkeypatch.setattr(target_module.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(ExportError):
        export_frame(pl.DataFrame({"a": [1]}), target, ExportOptions(overwrite=True, provenance=False))
    monkeypatch.undo()
    kept = [p for p in tmp_path.iterdir() if ".old-export-" in p.name]
    assert len(kept) == 1 and kept[0].read_text() == '{"old": 1}\n', _names(tmp_path)
    assert any(str(kept[0]) in r.getMessage() for r in caplog.records)


def test_a_name_too_long_for_its_sidecar_is_refused_first(tmp_path):
    """(second review) The file's name fits, its sidecar's does not: said before any row, naming the record."""
    from pdxtui.export import check_target

    target = tmp_path / ("a" * 240 + ".csv")
    with pytest.raises(ExportError, match="provenance record"):
        check_target(target, provenance=True)
    assert check_target(target, provenance=False) == str(target)
