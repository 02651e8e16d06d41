"""``pdxtui preview`` with ``--where`` (the filter language, checked like export's), ``--columns`` and ``--order``:
unknown columns and filters that do not parse are usage errors (exit 2) that say what is wrong."""

from __future__ import annotations

import itertools
import json

import pytest

from pdxtui.cli import main

HERITAGE = "63d4fe31021075f62edebe781978c0fc_26"  # 338 rows (bundled sample)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--portal", "demo", "preview", HERITAGE, *args])
    out, err = capsys.readouterr()
    return code, out, err


def records(capsys, *args: str) -> list[dict]:
    code, out, err = run(capsys, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_where_keeps_only_matching_rows(capsys):
    everything = records(capsys, "--rows", "400")
    wanted = [r for r in everything if r["DIAMETER"] is not None and r["DIAMETER"] > 50]
    assert 0 < len(wanted) < len(everything)
    rows = records(capsys, "--rows", "400", "--where", "DIAMETER > 50")
    assert [r["OBJECTID"] for r in rows] == [r["OBJECTID"] for r in wanted]
    code, _out, err = run(capsys, "--where", "DIAMETER > 50")
    assert code == 0 and f"of {len(wanted)} rows" in err


def test_blank_where_means_every_row(capsys):
    assert len(records(capsys, "--rows", "400", "--where", "  ")) == 338


def test_bad_where_exits_2_with_a_caret(capsys):
    code, out, err = run(capsys, "--where", "DIAMETER >> 50")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("pdxtui: --where: ")
    assert any(line.strip().startswith("^") for line in lines[1:]) and "DIAMETER >> 50" in err


def test_where_on_an_unknown_column_exits_2(capsys):
    code, out, err = run(capsys, "--where", "DIAMETR > 50")
    assert code == 2 and out == "" and "DIAMETR" in err and "Traceback" not in err


def test_columns_chooses_and_orders_the_columns(capsys):
    rows = records(capsys, "--rows", "3", "--columns", "common, DIAMETER")
    assert len(rows) == 3
    assert [list(r) for r in rows] == [["COMMON", "DIAMETER"]] * 3
    code, out, _err = run(capsys, "--rows", "2", "--columns", "DIAMETER,COMMON")
    assert code == 0 and out.splitlines()[0].split() == ["DIAMETER", "COMMON"]


@pytest.mark.parametrize(
    ("value", "said"),
    [("DIAMTER", "did you mean 'DIAMETER'"), ("COMMON,,", None), (" , ", "--columns names no column")],
)
def test_unknown_or_empty_columns_are_usage_errors(capsys, value, said):
    code, out, err = run(capsys, "--columns", value)
    if said is None:  # empty items between commas are skipped
        assert code == 0 and out.splitlines()[0].split() == ["COMMON"]
        return
    assert code == 2 and out == "" and said in err and err.count("\n") == 1


def test_order_sorts_by_several_columns(capsys):
    rows = records(capsys, "--rows", "400", "--order", "DIAMETER desc,COMMON")
    diameters = [r["DIAMETER"] for r in rows if r["DIAMETER"] is not None]
    assert diameters == sorted(diameters, reverse=True) and len(set(diameters)) > 5
    for first, second in itertools.pairwise(rows):
        if first["DIAMETER"] == second["DIAMETER"] and first["COMMON"] and second["COMMON"]:
            assert first["COMMON"] <= second["COMMON"]
    ascending = records(capsys, "--rows", "400", "--order", "diameter ASC")
    values = [r["DIAMETER"] for r in ascending if r["DIAMETER"] is not None]
    assert values == sorted(values)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("DIAMTER desc", "did you mean 'DIAMETER'"),
        ("DIAMETER sideways", "'sideways'"),
        ("DIAMETER,DIAMETER desc", "twice"),
        (",", "--order names no column"),
    ],
)
def test_bad_order_is_a_usage_error(capsys, value, said):
    code, out, err = run(capsys, "--order", value)
    assert code == 2 and out == ""
    assert said in err and err.count("\n") == 1 and err.startswith("pdxtui: --order")


def test_where_columns_and_order_together_keep_the_json_shape(capsys):
    rows = records(
        capsys, "--rows", "5", "--where", "DIAMETER > 40", "--columns", "TREEID,DIAMETER", "--order", "DIAMETER desc"
    )
    assert isinstance(rows, list) and len(rows) == 5
    assert all(isinstance(r, dict) and list(r) == ["TREEID", "DIAMETER"] for r in rows)
    assert [r["DIAMETER"] for r in rows] == sorted((r["DIAMETER"] for r in rows), reverse=True)
    assert all(r["DIAMETER"] > 40 for r in rows)
