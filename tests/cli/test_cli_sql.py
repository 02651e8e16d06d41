"""``pdxtui sql`` (issue 20) against the fake portals: a JOIN and a GROUP BY across two datasets give exactly the rows
polars gives on the fake's own rows (ArcGIS and Socrata); --json, --csv and -o (with the provenance's "sql"
section); table names that clash or are not there exit 2; a query polars refuses exits 1 with one line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import polars as pl
import pytest

from pdxtui.provenance import KEY
from pdxtui.sql.history import History
from tests.support.cli import run_cli
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.socrata import INSPECTIONS, SERVICE_REQUESTS

PERMITS = DATASETS["permits"]  # 1,234 rows, 150 a page
HERITAGE = DATASETS["heritage_trees"]  # 316 rows

JOIN = (
    "SELECT p.PERMIT_NUM, p.ISSUED, p.VALUATION, h.COMMON FROM permits p JOIN heritage_trees h ON p.OBJECTID = h.TREEID"
)
GROUPED = (
    "SELECT h.Neighborhood AS neighborhood, count(*) AS permits, max(p.VALUATION) AS top "
    "FROM permits p JOIN heritage_trees h ON p.OBJECTID = h.TREEID GROUP BY h.Neighborhood"
)


def _ms(value: int | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC).isoformat()


def _fixture_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The fake's own rows, as polars reads them (not through pdxtui)."""
    permits = pl.DataFrame(
        [{k: r[k] for k in ("OBJECTID", "PERMIT_NUM", "ISSUED", "VALUATION")} for r in PERMITS.rows],
        schema={"OBJECTID": pl.Int64, "PERMIT_NUM": pl.String, "ISSUED": pl.Int64, "VALUATION": pl.Float64},
    )
    heritage = pl.DataFrame(
        [{k: r[k] for k in ("TREEID", "COMMON", "Neighborhood")} for r in HERITAGE.rows],
        schema={"TREEID": pl.Int64, "COMMON": pl.String, "Neighborhood": pl.String},
    )
    return permits, heritage


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=repr)


@pytest.fixture
def arcgis(fake_arcgis):
    return ["--portal", f"arcgis:{fake_arcgis.url}/hub"]


def test_a_join_and_a_group_by_across_two_arcgis_datasets_give_the_rows_polars_gives(capsys, arcgis, fake_arcgis):
    permits, heritage = _fixture_frames()
    joined = permits.join(heritage, left_on="OBJECTID", right_on="TREEID")
    uses = ["--use", f"{PERMITS.id}=permits", "--use", HERITAGE.id]  # the second named from its title

    code, out, err = run_cli(capsys, *arcgis, "sql", JOIN, *uses, "--json")
    assert code == 0, err
    got = [(r["PERMIT_NUM"], r["ISSUED"], r["VALUATION"], r["COMMON"]) for r in json.loads(out)]
    expected = [(r[1], _ms(r[2]), r[3], r[4]) for r in joined.rows()]
    assert len(got) == len(expected) == HERITAGE.row_count  # every tree id is a permit's object id
    assert _sorted(got) == _sorted(expected)

    code, out, err = run_cli(capsys, *arcgis, "sql", GROUPED, *uses, "--json")
    assert code == 0, err
    got = [(r["neighborhood"], r["permits"], r["top"]) for r in json.loads(out)]
    grouped = joined.group_by("Neighborhood").agg(pl.len(), pl.col("VALUATION").max())
    assert _sorted(got) == _sorted(grouped.rows()) and len(got) > 3
    # every row of both layers was read, page by page
    offsets = {r.params.get("resultOffset") for r in fake_arcgis.requests if r.path.endswith(PERMITS.path + "/query")}
    assert len(offsets) >= PERMITS.row_count // PERMITS.max_record_count
    # both queries ran: both are in the portal's SQL history, newest first
    from pdxtui.memory.store import portal_key
    from pdxtui.session import open_session

    key = portal_key(open_session(portal=arcgis[1]).service().portal)
    assert [p.sql for p in History().queries(key)] == [GROUPED, JOIN]


def test_a_group_by_over_a_join_of_two_socrata_datasets_as_csv(capsys, fake_socrata):
    sql = (
        "WITH i AS (SELECT risk, CAST(inspection_date AS DATE) AS day FROM food_inspections), "
        "s AS (SELECT CAST(created_date AS DATE) AS day FROM requests) "
        "SELECT i.risk, count(*) AS pairs FROM i JOIN s ON i.day = s.day GROUP BY i.risk"
    )
    code, out, err = run_cli(
        capsys,
        *("--portal", f"socrata:{fake_socrata.url}", "sql", sql, "--csv"),
        *("--use", INSPECTIONS.id, "--use", f"{SERVICE_REQUESTS.id}=requests"),
    )
    assert code == 0, err
    inspections = pl.DataFrame(
        {"risk": [r["risk"] for r in INSPECTIONS.rows], "day": [r["inspection_date"].date() for r in INSPECTIONS.rows]}
    )
    requests = pl.DataFrame({"day": [r["created_date"].date() for r in SERVICE_REQUESTS.rows]})
    expected = inspections.join(requests, on="day").group_by("risk").agg(pl.len())
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["risk", "pairs"]
    got = [(risk or None, int(n)) for risk, n in rows[1:]]  # CSV writes null as an empty field
    assert _sorted(got) == _sorted(expected.rows()) and len(got) == 4  # three risks and no risk


def test_output_file_with_the_sql_in_its_provenance(capsys, arcgis, tmp_path):
    target = tmp_path / "per-neighbourhood.parquet"
    uses = ["--use", f"{PERMITS.id}=permits", "--use", HERITAGE.id]
    code, out, err = run_cli(capsys, *arcgis, "sql", GROUPED, *uses, "-o", str(target))
    assert code == 0, err
    written = pl.read_parquet(target)
    assert out.startswith(f"wrote {written.height} rows to {target}") and "provenance in" in out
    permits, heritage = _fixture_frames()
    expected = permits.join(heritage, left_on="OBJECTID", right_on="TREEID").group_by("Neighborhood").agg(pl.len())
    assert _sorted(written.select("neighborhood", "permits").rows()) == _sorted(expected.rows())

    record = json.loads((tmp_path / "per-neighbourhood.parquet.provenance.json").read_text())
    import pyarrow.parquet as pq

    assert json.loads(pq.read_metadata(target).metadata[KEY.encode()]) == record  # the same record inside
    assert record["query"]["url"] is None and "SQL query" in record["query"]["url_note"]
    assert record["export"]["rows"] == written.height
    sql = record["sql"]
    assert sql["text"] == GROUPED and sql["engine"].startswith("polars ")
    assert [t["name"] for t in sql["tables"]] == ["permits", "heritage_trees"]
    first, second = sql["tables"]
    assert first["dataset"]["id"] == PERMITS.id and second["dataset"]["title"] == HERITAGE.title
    assert (first["rows_used"], second["rows_used"]) == (PERMITS.row_count, HERITAGE.row_count)
    assert first["all_rows"] is second["all_rows"] is True and first["filter"] is None
    assert PERMITS.path + "/query" in first["query"]["url"] and first["query"]["paged_by"]
    assert first["served_from"] == "network" and first["retrieved_at"].endswith("Z")
    assert record["notes"] == []  # all rows of both: nothing to say
    lines = record["citation"].split("\n")
    assert len(lines) == 2 and "*Residential Building Permits*" in lines[0] and "*Heritage Trees*" in lines[1]

    code, out, err = run_cli(capsys, *arcgis, "sql", GROUPED, *uses, "-o", str(target))
    assert code == 1 and "--force" in err and out == ""  # said before any row is read
    code, out, err = run_cli(capsys, *arcgis, "sql", GROUPED, *uses, "-o", str(target), "--force", "--json")
    assert code == 0 and json.loads(out)["rows"] == written.height


def test_the_text_table_shows_the_first_rows_and_says_how_many(capsys, arcgis):
    code, out, err = run_cli(capsys, *arcgis, "sql", JOIN, "--use", f"{PERMITS.id}=permits", "--use", HERITAGE.id)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["PERMIT_NUM", "ISSUED", "VALUATION", "COMMON"] and len(lines) == 2 + 100
    assert err.strip() == f"Showing 100 of {HERITAGE.row_count} rows (more: --rows N; all: --csv, --json or -o FILE)"
    code, out, err = run_cli(
        capsys, *arcgis, "sql", "SELECT count(*) AS n FROM heritage_trees;", "--use", HERITAGE.id, "--rows", "5"
    )
    assert code == 0 and out.split() == ["n", "---", str(HERITAGE.row_count)] and err == "1 row\n"


@pytest.mark.parametrize(
    ("uses", "said"),
    [
        (["A=trees", "B=TREES"], "two datasets are named 'TREES': A and B"),
        (["A=select"], "'select' is a SQL keyword"),
        (["A=2trees"], "'2trees' cannot be a table name"),
        (["A=trees", "A=others"], "--use A is given twice, as 'trees' and 'others'"),
        (["A="], "give a table name after '='"),
    ],
)
def test_bad_table_names_are_usage_errors_before_the_portal_is_asked(capsys, arcgis, fake_arcgis, uses, said):
    words = [w for use in uses for w in ("--use", use.replace("A", PERMITS.id).replace("B", HERITAGE.id, 1))]
    code, out, err = run_cli(capsys, *arcgis, "sql", "SELECT * FROM trees", *words)
    said = said.replace("A", PERMITS.id, 1).replace(" B", f" {HERITAGE.id}")
    assert (code, out) == (2, "") and said in err and err.count("\n") == 1, err
    assert fake_arcgis.requests == []


def test_unknown_tables_and_bad_sql(capsys, arcgis, fake_arcgis):
    uses = ["--use", f"{PERMITS.id}=permits", "--use", HERITAGE.id]
    code, out, err = run_cli(capsys, *arcgis, "sql", "SELECT * FROM permits JOIN trees USING (OBJECTID)", *uses)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert f"no table named 'trees': the --use tables are permits ({PERMITS.id}), heritage_trees" in err
    code, out, err = run_cli(capsys, *arcgis, "sql", "SELECT * FROM street_trees")
    assert code == 2 and "--use ID=street_trees" in err and err.count("\n") == 1
    code, out, err = run_cli(capsys, *arcgis, "sql", "SELEC * FROM permits", *uses)
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith("pdxtui: syntax error: ") and "(line 1, column 1)" in err
    rows_read = [r for r in fake_arcgis.requests if r.path.endswith("/query") and "returnCountOnly" not in r.params]
    assert rows_read == []  # no row was read for either
    code, out, err = run_cli(capsys, *arcgis, "sql", "SELECT nope FROM permits", *uses)
    # an ArcGIS layer lists every column its rows have: a column that is not there is said before any row is read
    assert (code, out) == (1, "") and err.count("\n") == 1 and "nope" in err and "Resolved plan" not in err
    rows_read = [r for r in fake_arcgis.requests if r.path.endswith("/query") and "returnCountOnly" not in r.params]
    assert rows_read == []
    assert not History().path.exists()  # none of them ran: none is kept
    code, out, err = run_cli(capsys, *arcgis, "sql", "  ;  ", *uses)
    assert code == 2 and "write a query first" in err
    code, out, err = run_cli(capsys, *arcgis, "sql", "SELECT 1", "--use", "no-such-id=x")
    assert code == 1 and out == "" and err.count("\n") == 1


def test_the_query_from_stdin_or_a_file(capsys, arcgis, tmp_path, monkeypatch):
    sql = "-- trees per owner\nSELECT count(*) AS n\nFROM heritage_trees\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(sql))
    code, out, err = run_cli(capsys, *arcgis, "sql", "-", "--use", HERITAGE.id, "--json")
    assert code == 0 and json.loads(out) == [{"n": HERITAGE.row_count}], err
    query = tmp_path / "q.sql"
    query.write_text(sql, encoding="utf-8")
    code, out, err = run_cli(capsys, *arcgis, "sql", "--file", str(query), "--use", HERITAGE.id, "--json")
    assert code == 0 and json.loads(out) == [{"n": HERITAGE.row_count}], err
    twice = ["--use", HERITAGE.id, "--use", f"{HERITAGE.id}=heritage_trees"]  # the same table said twice: one
    code, out, err = run_cli(capsys, *arcgis, "sql", sql, *twice, "--json")
    assert code == 0 and json.loads(out) == [{"n": HERITAGE.row_count}], err
    code, out, err = run_cli(capsys, *arcgis, "sql", "SELECT 1", "--file", str(query))
    assert code == 2 and "not both" in err
    code, out, err = run_cli(capsys, *arcgis, "sql", "--file", str(tmp_path / "missing.sql"))
    assert code == 1 and "cannot read the query" in err


def test_portal_text_reaches_a_terminal_inert(capsys, monkeypatch):
    from argparse import Namespace

    from pdxtui.cli.sql import _print

    hostile = ["\x1b[31mred\x1b[0m", "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07", "\u202eabc", "two\nlines"]
    frame = pl.DataFrame({"name\x1b[2J": hostile})
    _print(Namespace(json=False, csv=False, rows=100), frame)
    out, _ = capsys.readouterr()
    assert not any(ch in out for ch in "\x1b\x07\u202e") and len(out.splitlines()) == 2 + 4
    _print(Namespace(json=True, csv=False, rows=100), frame)
    out, _ = capsys.readouterr()
    assert out.isascii() and [r["name\x1b[2J"] for r in json.loads(out)] == hostile  # escaped, exact
    _print(Namespace(json=False, csv=True, rows=100), frame)
    out, _ = capsys.readouterr()
    assert [r[0] for r in csv.reader(io.StringIO(out))][1:] == hostile  # piped: exact
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    _print(Namespace(json=False, csv=True, rows=100), frame)
    out, _ = capsys.readouterr()
    assert not any(ch in out for ch in "\x1b\x07\u202e") and "\u241b[31mred" in out  # on a terminal: inert


def test_json_of_a_big_result_is_written_in_chunks_one_record_a_line_as_export_writes_it(capsys, monkeypatch):
    from argparse import Namespace
    from datetime import date, timedelta

    from pdxtui.cli import sql as cli_sql

    n = 25_000
    frame = pl.DataFrame(
        {
            "i": range(n),
            "since": [timedelta(days=8670)] * n,
            "day": [date(2001, 5, 1)] * n,
            "hs": [[1, 2]] * n,
            "x": [0.5, float("nan")] * (n // 2),
        }
    )
    monkeypatch.setattr(cli_sql, "JSON_CHUNK", 10_000)
    monkeypatch.setattr(pl.DataFrame, "to_dicts", lambda self: pytest.fail("every row turned into Python objects"))
    cli_sql._print(Namespace(json=True, csv=False, rows=100), frame)
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == n + 2  # compact: one record a line
    rows = json.loads(out)
    assert len(rows) == n and [r["i"] for r in rows] == list(range(n))
    assert rows[0] == {"i": 0, "since": "P8670D", "day": "2001-05-01", "hs": [1, 2], "x": 0.5}
    assert rows[1]["x"] is None  # NaN is not JSON
    cli_sql._print(Namespace(json=False, csv=True, rows=100), frame.head(1))
    out, _ = capsys.readouterr()
    assert "P8670D" in out  # a duration reads the same in --json and --csv
    cli_sql._print(Namespace(json=True, csv=False, rows=100), frame.clear())
    out, _ = capsys.readouterr()
    assert json.loads(out) == []


def test_a_missing_column_where_the_catalog_may_not_list_every_column_is_said_to_be_checked_on_the_rows(
    capsys, fake_socrata
):
    # a Socrata view's rows can hold columns its metadata does not list (computed regions): the rows decide
    socrata = ["--portal", f"socrata:{fake_socrata.url}"]
    code, out, err = run_cli(capsys, *socrata, "sql", "SELECT nope FROM t", "--use", f"{INSPECTIONS.id}=t")
    note, error = err.splitlines()
    assert (code, out) == (1, "") and "nope" in error
    assert note.startswith("pdxtui: note: ") and "nope" in note and "reading the rows to be sure" in note
