"""``pdxtui export``: the success line, exit codes, --where/--columns/format flags, the bundled and fake ArcGIS
portals, and what a killed or terminated export leaves behind (never a partial file at the target)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pdxtui.cli import main
from pdxtui.textout import human_bytes
from tests.support.fakeportal.fixtures import DATASETS

ROOT = Path(__file__).resolve().parents[2]
NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"  # 94 rows, polygons
BIKE_RACKS = "69f083cb68fa62f1a12c4c7c675ba50e_56"  # 6,947 rows, points
STREET_TREES = "a494697005da9eea74335a369b0e3689_1415"  # 252,184 rows
PERMITS = DATASETS["permits"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--portal", "demo", "export", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_success_line(capsys, tmp_path):
    target = tmp_path / "n.csv"
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(target))
    assert code == 0, err
    size = human_bytes(target.stat().st_size)
    assert out == f"wrote 94 rows to {target} ({size}); provenance in {target}.provenance.json\n"
    assert "SAMPLE" in err and "exporting" not in err  # no progress: stderr is not a terminal
    assert pl.read_csv(target).height == 94


def test_existing_file_needs_force(capsys, tmp_path):
    target = tmp_path / "n.csv"
    target.write_text("mine\n")
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(target))
    assert code == 1 and out == ""
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    assert target.read_text() == "mine\n"
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(target), "--force")
    assert code == 0 and out.startswith("wrote 94 rows")
    assert target.read_text().startswith("OBJECTID,")


def test_json_names_the_sidecar_and_no_provenance_writes_none(capsys, tmp_path):
    target = tmp_path / "n.parquet"
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(target), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown == {
        "path": str(target),
        "rows": 94,
        "bytes": target.stat().st_size,
        "format": "parquet",
        "provenance": f"{target}.provenance.json",
    }
    record = json.loads(Path(shown["provenance"]).read_text())
    assert record["export"]["rows"] == 94 and record["dataset"]["id"] == NEIGHBORHOODS and record["dataset"]["sample"]
    assert record["query"]["url"] is None and "bundled sample" in record["query"]["url_note"]  # no request made
    bare = tmp_path / "bare.parquet"
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(bare), "--json", "--no-provenance")
    assert code == 0, err
    assert json.loads(out)["provenance"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.parquet", "n.parquet", "n.parquet.provenance.json"]
    assert b"pdxtui_provenance" not in bare.read_bytes() and b"pdxtui_provenance" in target.read_bytes()


def test_a_sidecar_left_behind_needs_force_too(capsys, tmp_path):
    """The file was deleted but its old sidecar is still there: without --force it stays (nothing is written), with
    --force both are written."""
    target = tmp_path / "n.csv"
    sidecar = tmp_path / "n.csv.provenance.json"
    sidecar.write_text("{}\n")
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(target))
    assert code == 1 and out == "" and "n.csv.provenance.json already exists" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.csv.provenance.json"]
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(target), "--force")
    assert code == 0, err
    assert json.loads(sidecar.read_text())["export"]["rows"] == 94


def test_no_provenance_beside_a_left_sidecar_needs_force_and_then_removes_it(capsys, tmp_path, monkeypatch):
    """A sidecar that would sit beside the new file belongs to it: an export without provenance next to one left
    by an earlier export (its file deleted) stops before any row is read, and with --force removes it with the
    commit: never a 2-row file beside a record of 5 rows."""
    target = tmp_path / "a.csv"
    sidecar = tmp_path / "a.csv.provenance.json"
    code, _out, err = run(capsys, STREET_TREES, "-o", str(target), "--limit", "5")
    assert code == 0, err
    target.unlink()  # the user removed the file, kept (or forgot) its sidecar
    import pdxtui.service

    def no_rows(*_args, **_kwargs):
        raise AssertionError("rows were read before the target was checked")

    with monkeypatch.context() as patched:
        patched.setattr(pdxtui.service.Service, "stream", no_rows)
        code, out, err = run(capsys, STREET_TREES, "-o", str(target), "--limit", "2", "--no-provenance")
    assert code == 1 and out == ""
    assert "a.csv.provenance.json" in err and "--force" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv.provenance.json"]
    assert json.loads(sidecar.read_text())["export"]["rows"] == 5  # untouched
    code, _out, err = run(capsys, STREET_TREES, "-o", str(target), "--limit", "2", "--no-provenance", "--force")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert len(target.read_text().splitlines()) == 3


def test_columns_asked_for_are_the_query_columns_of_the_record(capsys, tmp_path):
    """--columns picks the columns (ExportOptions, not the query): the record's query.columns names them, as
    written, not [] ("all")."""
    target = tmp_path / "c.csv"
    code, _out, err = run(capsys, STREET_TREES, "-o", str(target), "--limit", "3", "--columns", "OBJECTID,SPECIES")
    assert code == 0, err
    record = json.loads((tmp_path / "c.csv.provenance.json").read_text())
    assert [c["name"] for c in record["export"]["columns"]] == ["OBJECTID", "SPECIES"]
    assert record["query"]["columns"] == ["OBJECTID", "SPECIES"]
    code, _out, err = run(capsys, STREET_TREES, "-o", str(tmp_path / "all.csv"), "--limit", "1")
    assert code == 0, err
    assert json.loads((tmp_path / "all.csv.provenance.json").read_text())["query"]["columns"] == []


def test_unknown_extension_is_a_usage_error(capsys, tmp_path):
    """Exit 2: the request cannot work as written (like a bad flag); the message lists the extensions."""
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(tmp_path / "n.xls"))
    assert code == 2 and out == ""
    assert "unknown file extension '.xls'" in err and ".parquet" in err and ".geojson" in err
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", str(tmp_path / "n.txt"), "--format", "tsv")
    assert code == 0 and "\t" in (tmp_path / "n.txt").read_text().splitlines()[0]
    code, _, err = run(capsys, NEIGHBORHOODS, "-o", str(tmp_path / "n.csv"), "--format", "xls")
    assert code == 2 and "unknown format 'xls'" in err
    assert not (tmp_path / "n.csv").exists()


def test_bad_where_exits_2_with_a_caret(capsys, tmp_path):
    code, out, err = run(capsys, BIKE_RACKS, "-o", str(tmp_path / "b.csv"), "--where", "Capacity > 3 and Statsu ~ x")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("pdxtui: --where: unknown column 'Statsu' at column 18")
    assert "Status" in lines[0]
    assert lines[1] == "  Capacity > 3 and Statsu ~ x"
    assert lines[2] == "  " + " " * 17 + "^"
    assert list(tmp_path.iterdir()) == []


def test_where_and_columns(capsys, tmp_path, demo_service):
    import asyncio

    from pdxtui.model import Query

    target = tmp_path / "b.csv"
    where = "Capacity >= 10 and Neighborhood ~ wood"
    code, out, err = run(
        capsys, BIKE_RACKS, "-o", str(target), "--where", where, "--columns", "status, ADDRESS,OBJECTID"
    )
    assert code == 0, err
    ds = asyncio.run(demo_service.dataset(BIKE_RACKS))
    expected = asyncio.run(demo_service.count(ds, Query(where=where)))
    back = pl.read_csv(target)
    assert back.columns == ["Status", "Address", "OBJECTID"]  # the order asked, names as the dataset spells them
    assert back.height == expected > 0 and out.startswith(f"wrote {expected:,} rows")


def test_unknown_column_exits_2_with_a_suggestion(capsys, tmp_path):
    code, out, err = run(capsys, BIKE_RACKS, "-o", str(tmp_path / "b.csv"), "--columns", "Address,Capacty")
    assert code == 2 and out == ""
    assert "unknown column 'Capacty'; did you mean 'Capacity'?" in err
    assert list(tmp_path.iterdir()) == []


def test_format_options(capsys, tmp_path):
    tsv = tmp_path / "b.tsv"
    code, _, err = run(
        capsys,
        BIKE_RACKS,
        "-o",
        str(tsv),
        "--columns",
        "OBJECTID,Install_Date,Location",
        "--no-header",
        "--null",
        "NA",
        "--limit",
        "50",
    )
    assert code == 0, err
    lines = tsv.read_text().splitlines()
    assert len(lines) == 50 and lines[0].startswith("1\t") and "NA" in tsv.read_text()
    semi = tmp_path / "b.csv"
    code, _, err = run(
        capsys,
        BIKE_RACKS,
        "-o",
        str(semi),
        "--delimiter",
        "semicolon",
        "--quote",
        "always",
        "--columns",
        "OBJECTID,Address",
        "--limit",
        "3",
    )
    assert code == 0, err
    assert semi.read_text().splitlines()[:2] == ['"OBJECTID";"Address"', f'"1";{semi.read_text().splitlines()[1][4:]}']
    pq = tmp_path / "b.parquet"
    assert run(capsys, BIKE_RACKS, "-o", str(pq), "--compression", "snappy")[0] == 0
    back = pl.read_parquet(pq)
    assert back.height == 6947 and back.schema["Install_Date"] == pl.Datetime("ms", "UTC")
    pretty = tmp_path / "b.json"
    assert run(capsys, BIKE_RACKS, "-o", str(pretty), "--pretty", "--limit", "2", "--columns", "Address")[0] == 0
    assert pretty.read_text().startswith('[\n  {\n    "Address": ')
    assert len(json.loads(pretty.read_text())) == 2
    code, _, err = run(capsys, BIKE_RACKS, "-o", str(tmp_path / "x.csv"), "--delimiter", "::")
    assert code == 2 and "delimiter" in err


def test_geojson_is_refused_for_polygons_with_the_reason(capsys, tmp_path):
    code, _out, err = run(capsys, NEIGHBORHOODS, "-o", str(tmp_path / "n.geojson"))
    assert code == 2 and "GeoJSON" in err and "polygon" in err
    code, _out, err = run(capsys, BIKE_RACKS, "-o", str(tmp_path / "b.geojson"), "--limit", "10")
    assert code == 0, err
    doc = json.loads((tmp_path / "b.geojson").read_text())
    assert len(doc["features"]) == 10 and doc["features"][0]["geometry"]["type"] == "Point"


def test_missing_folder_and_unknown_dataset(capsys, tmp_path):
    code, _out, err = run(capsys, NEIGHBORHOODS, "-o", str(tmp_path / "nope" / "n.csv"))
    assert code == 1 and "does not exist" in err
    code, _out, err = run(capsys, "no-such-id", "-o", str(tmp_path / "n.csv"))
    assert code == 1 and "no dataset" in err
    assert list(tmp_path.iterdir()) == []


def test_progress_only_on_a_terminal(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, BIKE_RACKS, "-o", str(tmp_path / "b.csv"))
    assert code == 0
    assert "exporting: 0 of 6,947 rows (0%)" in err and err.count("\r\x1b[K") >= 2
    assert out.startswith("wrote 6,947 rows") and "exporting" not in out


@pytest.fixture
def arcgis_portal(fake_arcgis):
    return f"arcgis:{fake_arcgis.url}/hub"


def test_arcgis_whole_dataset_and_where(capsys, tmp_path, arcgis_portal):
    target = tmp_path / "p.csv"
    code = main(["export", PERMITS.id, "-o", str(target), "--portal", arcgis_portal])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("wrote 1,234 rows") and pl.read_csv(target).height == 1234
    assert "SAMPLE" not in err

    where = "ISSUED >= 2020-01-01 and WORK_DESC ~ deck"
    expected = [
        r["OBJECTID"]
        for r in PERMITS.rows
        if r["ISSUED"] is not None and r["ISSUED"] >= 1577836800000 and "deck" in r["WORK_DESC"].lower()
    ]
    target = tmp_path / "p.ndjson"
    code = main(
        [
            "--portal",
            arcgis_portal,
            "export",
            PERMITS.id,
            "-o",
            str(target),
            "--where",
            where,
            "--columns",
            "OBJECTID,ISSUED",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["OBJECTID"] for r in rows] == expected and len(expected) > 20
    assert all(r["ISSUED"] >= "2020-01-01" for r in rows)


# -- a killed or stopped export never leaves a partial file ---------------------------------------------------------


def _start(target: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pdxtui", "--portal", "demo", "export", STREET_TREES, "-o", str(target)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_temp(folder: Path, proc: subprocess.Popen, min_size: int = 0, limit: float = 8.0) -> bool:
    """Wait until the export's temp file exists (and holds at least ``min_size`` bytes: rows are being written)."""
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None:
        for path in folder.iterdir():
            if ".pdxtui-tmp-" in path.name:
                try:
                    if path.stat().st_size >= min_size:
                        return True
                except FileNotFoundError:
                    pass
        time.sleep(0.002)
    return False


def test_killed_export_leaves_no_partial_target(tmp_path):
    """SIGKILL at random moments (before, while and maybe after writing). The target is then absent or complete;
    the only other thing that may be left is the temp file ``.out.csv.pdxtui-tmp-PID-XXXXXXXX`` of the killed
    process (a later export to the same name removes it)."""
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    started = time.monotonic()
    for attempt in range(3):
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        target = folder / "out.csv"
        proc = _start(target)
        if attempt == 0:
            time.sleep(rng.uniform(0.05, 1.0))  # anywhere from start-up on
        else:
            _wait_for_temp(folder, proc, min_size=1)  # the first rows are in the temp file
            time.sleep(rng.uniform(0.0, 0.2) if attempt == 1 else 0.0)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        names = sorted(p.name for p in folder.iterdir())
        sidecar = folder / "out.csv.provenance.json"
        if target.exists():
            assert pl.read_csv(target).height == 252_184, f"partial target (seed {seed}, attempt {attempt})"
        if sidecar.exists():  # never a sidecar without its file (the file first, then the sidecar)
            assert target.exists() and json.loads(sidecar.read_text())["export"]["rows"] == 252_184, (names, seed)
        others = [n for n in names if n not in ("out.csv", "out.csv.provenance.json")]
        temps = (f".out.csv.pdxtui-tmp-{proc.pid}-", f".out.csv.provenance.json.pdxtui-tmp-{proc.pid}-")
        assert all(n.startswith(temps) for n in others), (names, seed)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_stopped_export_cleans_up(tmp_path, signum, code):
    target = tmp_path / "out.csv"
    proc = _start(target)
    assert _wait_for_temp(tmp_path, proc), proc.communicate()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    if proc.returncode == 0:  # it finished before the signal arrived: then the file must be whole
        assert pl.read_csv(target).height == 252_184
        return
    assert proc.returncode == code, err
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []  # neither the file nor its sidecar


@pytest.mark.parametrize("fmt", [None, "parquet"])
def test_output_that_is_a_folder_says_so_and_suggests_a_file_name(capsys, tmp_path, fmt):
    extra = ["--format", fmt] if fmt else []
    for given in (str(tmp_path), f"{tmp_path}/"):
        code, out, err = run(capsys, NEIGHBORHOODS, "-o", given, *extra)
        assert code == 2 and out == ""
        assert "is a folder" in err and "extension" not in err and err.count("\n") == 1
        suggested = err.split("-o ", 1)[1].strip()
        assert Path(suggested).parent == tmp_path and suggested.endswith(".parquet" if fmt else ".csv")
        assert NEIGHBORHOODS in suggested
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_exists_but_takes_no_files_is_not_called_missing(capsys, tmp_path):
    """/proc exists; files cannot be made in it (root gets ENOENT, others EACCES): say that, not "does not exist"."""
    code, out, err = run(capsys, NEIGHBORHOODS, "-o", "/proc/x.csv")
    assert code == 1 and out == ""
    assert "does not exist" not in err and "Traceback" not in err and err.count("\n") == 1
    assert any(why in err for why in ("not writable", "permission denied", "read-only"))
    assert "/proc" in err
