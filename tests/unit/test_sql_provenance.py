"""The provenance of a SQL result (issue 20): the query and each table it read, with that table's own source; no
request of its own; which tables were partial; the citations of its sources; secrets scrubbed; inside the file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from pdxtui.export import ExportOptions, export_frame
from pdxtui.model import Dataset, Field, Query
from pdxtui.provenance import KEY, Source, build_record, citation
from pdxtui.sql.engine import run
from pdxtui.sql.result import result_dataset, result_source
from pdxtui.sql.tables import Tables
from tests.unit.test_provenance import _in_file

NOW = datetime(2026, 12, 3, 11, 22, 33, tzinfo=UTC)
SECRET = "tok-9f8e7d6c5b4a"
TREES = Dataset(
    id="trees_1",
    title="Street Trees",
    owner="Urban Forestry",
    licence="PDDL",
    page_url="https://example.org/trees",
    rows=218_000,
    fields=(Field("species", "esriFieldTypeString"), Field("ward", "esriFieldTypeInteger", "integer")),
)
WARDS = Dataset(
    id="wards_2",
    title="Wards",
    owner="Elections",
    licence="CC-BY 4.0",
    page_url="https://example.org/wards",
    rows=3,
    fields=(Field("ward", "esriFieldTypeInteger", "integer"), Field("name", "esriFieldTypeString")),
)


def _source(dataset: Dataset, url: str) -> Source:
    return Source(
        portal_name="portland",
        portal_label="City of Portland",
        portal_kind="arcgis",
        portal_url="https://example.org",
        organisation="City of Portland",
        site_name="PortlandMaps Open Data",
        query=Query(),
        query_url=url,
        paged_by=("resultOffset", "resultRecordCount"),
        scope="all",
        served_from="cache",
        secrets=(SECRET,),
        retrieved_at=NOW,
        version="9.9",
    )


def _tables(partial: bool = True) -> Tables:
    tables = Tables()
    trees = pl.DataFrame({"species": ["Acer"] * 600 + ["Ulmus"] * 400, "ward": [1, 2] * 500, "lat": [45.5] * 1000})
    tables.add(
        TREES,
        trees,
        218_000 if partial else 1000,
        source=_source(TREES, f"https://example.org/trees/query?where=1%3D1&token={SECRET}"),
        read_at=NOW,
    )
    wards = pl.DataFrame({"ward": [1, 2, 3], "name": ["North", "South", "East"]})
    tables.add(WARDS, wards, source=_source(WARDS, "https://example.org/wards/query?where=1%3D1"), read_at=NOW)
    return tables


SQL = (
    "SELECT w.name, count(*) AS trees, avg(t.lat) AS lat, avg(t.lat) AS longitude FROM street_trees t "
    "JOIN wards w ON t.ward = w.ward GROUP BY w.name -- key " + SECRET
)


def _record(partial: bool = True) -> dict:
    tables = _tables(partial)
    used = tables.used_by(SQL)
    frame = run(SQL, tables.frames())
    source = result_source(SQL, used, secrets=(SECRET,), retrieved_at=NOW)
    return build_record(result_dataset(SQL, frame, used), source)


def test_the_sql_section_names_each_table_with_its_own_source():
    record = _record()
    sql = record["sql"]
    assert sql["text"].startswith("SELECT w.name") and sql["engine"].startswith("polars ")
    assert [t["name"] for t in sql["tables"]] == ["street_trees", "wards"]
    trees, wards = sql["tables"]
    assert set(trees["dataset"]) == set(record["dataset"]) and trees["dataset"]["id"] == "trees_1"
    assert set(trees["query"]) == set(record["query"])
    assert trees["query"]["url"].startswith("https://example.org/trees/query?where=1%3D1")
    assert trees["query"]["paged_by"] == ["resultOffset", "resultRecordCount"]
    assert (trees["rows_used"], trees["all_rows"], trees["filter"]) == (1000, False, None)
    assert (wards["rows_used"], wards["all_rows"]) == (3, True)
    assert trees["retrieved_at"] == "2026-12-03T11:22:33Z" and trees["served_from"] == "cache"


def test_the_result_has_no_request_of_its_own_and_says_what_was_partial():
    record = _record()
    assert record["query"]["url"] is None and record["query"]["paged_by"] == []
    assert "SQL query" in record["query"]["url_note"] and "sql.tables" in record["query"]["url_note"]
    assert record["served_from"] == "computed"
    assert record["notes"] == ["The query ran on 1,000 of 218,000 rows of street_trees."]
    assert _record(partial=False)["notes"] == []


def test_a_table_read_with_a_filter_says_so():
    tables = Tables()
    tables.add(TREES, pl.DataFrame({"species": ["Acer"], "ward": [1]}), where="species = 'Acer'")
    used = tables.used_by("SELECT * FROM street_trees")
    record = build_record(
        result_dataset("SELECT * FROM street_trees", tables.frames()["street_trees"], used),
        result_source("SELECT * FROM street_trees", used),
    )
    assert record["sql"]["tables"][0]["filter"] == "species = 'Acer'"
    assert record["notes"] == [
        "The query ran on the 1 rows of street_trees matching species = 'Acer', not on all of its rows."
    ]


def test_the_citation_is_that_of_each_source_dataset():
    record = _record()
    lines = record["citation"].split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("City of Portland, Urban Forestry. *Street Trees*.") and "Licence: PDDL" in lines[0]
    assert "*Wards*" in lines[1] and "Licence: CC-BY 4.0" in lines[1]
    assert citation(record, "bibtex").count("@misc{") == 2
    assert [item["title"] for item in citation(record, "csl-json")] == ["Street Trees", "Wards"]


def test_no_secret_anywhere_in_the_record():
    record = _record()
    text = json.dumps(record)
    assert SECRET not in text and "[removed]" in record["sql"]["text"]
    assert record["sql"]["tables"][0]["query"]["url"].startswith("https://example.org/trees/query?")


def test_the_module_docstring_lists_the_sql_keys():
    import pdxtui.provenance as provenance

    for key in ("``sql``", "``rows_used``", "``all_rows``", "``engine``", "``tables``"):
        assert key in provenance.__doc__


@pytest.mark.parametrize("fmt", ["parquet", "geojson", "xlsx", "csv"])
def test_an_exported_result_carries_the_record_in_the_sidecar_and_the_file(tmp_path, fmt):
    tables = _tables()
    used = tables.used_by(SQL)
    frame = run(SQL, tables.frames()).rename({"lat": "latitude"})
    path = tmp_path / f"result.{fmt}"
    result = export_frame(
        frame,
        path,
        ExportOptions(),
        dataset=result_dataset(SQL, frame, used),
        source=result_source(SQL, used, secrets=(SECRET,), retrieved_at=NOW),
    )
    sidecar = json.loads(Path(result.provenance).read_text())
    assert sidecar[KEY] == 1 and sidecar["export"]["rows"] == frame.height == 2  # ward 3 has no tree
    assert [t["name"] for t in sidecar["sql"]["tables"]] == ["street_trees", "wards"]
    assert SECRET not in Path(result.provenance).read_text()
    inside = _in_file(path, fmt)
    if fmt == "xlsx":
        assert inside["sql.text"] == sidecar["sql"]["text"] and inside["citation"] == sidecar["citation"]
        assert json.loads(inside["sql.tables"]) == sidecar["sql"]["tables"]
    elif inside is not None:
        assert inside == sidecar


def test_a_column_takes_the_alias_and_description_of_the_one_table_that_has_it():
    from pdxtui.sql.result import fields_of

    a = Dataset(id="a", title="A", fields=(Field("OBJECTID", "esriFieldTypeOID", "integer", "Id", "A's row"),))
    b = Dataset(id="b", title="B", fields=(Field("OBJECTID", "esriFieldTypeOID", "integer", "Key", "B's row"),))
    c = Dataset(id="c", title="C", fields=(Field("OBJECTID", "esriFieldTypeOID", "integer", "Key", "B's row"),))
    tables = Tables()
    for ds in (a, b, c):
        tables.add(ds, pl.DataFrame({"OBJECTID": [1]}), name=ds.id)
    frame = pl.DataFrame({"OBJECTID": [1]})
    one = fields_of(frame, [tables.get("a")])[0]
    assert (one.alias, one.description) == ("Id", "A's row")
    two = fields_of(frame, [tables.get("a"), tables.get("b")])[0]  # SELECT b.OBJECTID ...: whose is it? nobody says
    assert (two.alias, two.description) == ("", "")
    same = fields_of(frame, [tables.get("b"), tables.get("c")])[0]  # both say the same: no doubt
    assert (same.alias, same.description) == ("Key", "B's row")
