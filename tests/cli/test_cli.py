"""The scripting CLI on the bundled portal: output shapes, --json, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pdxtui import __version__
from pdxtui.cli import main

NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--portal", "demo", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_search_table(capsys):
    code, out, err = run(capsys, "search", "tree", "--limit", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "title", "owner", "updated", "rows"]
    assert len(lines) == 2 + 2  # header, rule, two hits
    assert "Street Tree Inventory" in out
    assert "2 of" in err


def test_search_json_shape(capsys):
    code, out, _ = run(capsys, "search", "--json", "--limit", "50")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) >= 12
    for hit in hits:
        assert {"id", "title", "owner", "updated", "rows"} <= hit.keys()
        assert isinstance(hit["rows"], int)
    assert hits[0]["updated"] >= hits[-1]["updated"]  # newest first, ISO dates sort as text


def test_search_filters(capsys):
    code, out, _ = run(capsys, "search", "--owner", "City Elections Office", "--json")
    assert code == 0
    assert [h["title"] for h in json.loads(out)] == ["City Council Districts"]


def test_search_finds_by_id(capsys):
    _code, out, _ = run(capsys, "search", NEIGHBORHOODS, "--json")
    assert [h["id"] for h in json.loads(out)] == [NEIGHBORHOODS]


def test_show_json_shape(capsys):
    code, out, _ = run(capsys, "show", NEIGHBORHOODS, "--json")
    assert code == 0
    ds = json.loads(out)
    assert {"id", "title", "owner", "description", "rows", "fields"} <= ds.keys()
    assert ds["id"] == NEIGHBORHOODS and ds["title"] == "Neighborhoods"
    assert ds["sample"] is True
    assert "PDDL" in ds["licence"]
    assert ds["fields"] and all({"name", "type", "alias", "description"} <= f.keys() for f in ds["fields"])
    assert "NAME" in [f["name"] for f in ds["fields"]]


def test_show_text(capsys):
    code, out, _ = run(capsys, "show", NEIGHBORHOODS)
    assert code == 0
    assert out.startswith("Neighborhoods\n")
    assert "SAMPLE" in out
    assert "licence:" in out and "field" in out


def test_preview_table_and_json(capsys):
    code, out, err = run(capsys, "preview", NEIGHBORHOODS, "--rows", "3")
    assert code == 0
    assert len(out.splitlines()) == 2 + 3
    assert "Showing 3 of 94 rows (SAMPLE data)" in err
    code, out, _ = run(capsys, "preview", NEIGHBORHOODS, "--rows", "5", "--json")
    records = json.loads(out)
    assert len(records) == 5
    assert [r["OBJECTID"] for r in records] == [1, 2, 3, 4, 5]


def test_preview_more_rows_than_exist(capsys):
    code, out, _ = run(capsys, "preview", "c0bfca09c5646f3d854c615330aa5623_1413", "--rows", "100", "--json")
    assert code == 0 and len(json.loads(out)) == 4


@pytest.mark.parametrize("command", ["show", "preview"])
def test_unknown_id_exits_1_with_one_line(capsys, command):
    code, out, err = run(capsys, command, "no-such-dataset")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "no-such-dataset" in err


@pytest.mark.parametrize("portal", ["nonsense", "ftp:x", "arcgis:not-a-url", "socrata:"])
def test_bad_portal_exits_2_with_one_line(capsys, portal):
    code = main(["--portal", portal, "search", "x"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == "" and err.count("\n") == 1 and err.startswith("pdxtui: ")


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["preview"])
    assert info.value.code == 2
    assert main(["--portal", "demo", "search", "--limit", "0"]) == 2


def test_module_entry_point_and_version():
    proc = subprocess.run([sys.executable, "-m", "pdxtui", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"pdxtui {__version__}"


def test_json_output_is_plain_ascii(capsys):
    code, out, _ = run(capsys, "preview", "63d4fe31021075f62edebe781978c0fc_26", "--rows", "338", "--json")
    assert code == 0
    out.encode("ascii")  # non-ASCII and control characters arrive escaped (\uXXXX), never raw
    assert "\x1b" not in out


def test_each_command_module_registers_the_commands_the_table_gives_it():
    import argparse
    import importlib

    from pdxtui.cli import COMMANDS, _common

    for module in set(COMMANDS.values()):
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"pdxtui.cli.{module}").register(sub, _common)
        assert sorted(sub.choices) == sorted(c for c, m in COMMANDS.items() if m == module)


def test_help_lists_every_subcommand(capsys):
    import pytest as _pytest

    with _pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in ("search", "show", "preview", "cache", "export", "draft"):
        assert name in out
