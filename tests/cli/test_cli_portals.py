"""`pdxtui portals`: every profile --portal accepts, built in and from the config file."""

from __future__ import annotations

import json

import pytest

from pdxtui.cli import main
from pdxtui.portals import BUILTIN_PROFILES, parse_portal

#: the profiles issue 7 names, with the URL behind each
EXPECTED = {
    "demo": ("bundled", ""),
    "portland": ("arcgis", "https://gis-pdx.opendata.arcgis.com"),
    "chicago": ("socrata", "https://data.cityofchicago.org"),
    "nyc": ("socrata", "https://data.cityofnewyork.us"),
    "seattle": ("socrata", "https://data.seattle.gov"),
    "sf": ("socrata", "https://data.sfgov.org"),
    "datagov": ("ckan", "https://catalog.data.gov"),
}


def portals_json(capsys, *args: str) -> list[dict]:
    code = main(["portals", "--json", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_builtin_profiles_resolve_to_their_kind_and_url():
    for name, (kind, url) in EXPECTED.items():
        spec = parse_portal(name)
        assert (spec.kind, spec.url) == (kind, url), name
    assert set(BUILTIN_PROFILES) == set(EXPECTED)


def test_portals_lists_every_builtin_profile(capsys):
    profiles = portals_json(capsys)
    assert [p["name"] for p in profiles] == list(EXPECTED)
    for p in profiles:
        assert (p["kind"], p["url"]) == EXPECTED[p["name"]]
        assert p["source"] == "built-in" and p["note"]
    assert [p["name"] for p in profiles if p["default"]] == ["portland"]


def test_portals_table(capsys):
    assert main(["portals"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["name", "kind", "url", "from", "about"]
    for name, (kind, url) in EXPECTED.items():
        row = next(line for line in lines if line.split()[:2] in ([name, kind], ["*", name]))
        assert (url or "(offline, in the package)") in row
    assert "KIND:URL" in err


def test_config_profiles_tokens_and_default(tmp_path, capsys, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        'default_portal = "mycity"\n'
        '[portals.mycity]\nkind = "socrata"\nurl = "https://data.mycity.example"\n'
        '[portals.portland]\nkind = "arcgis"\nurl = "https://moved.example.org"\n'
        '[tokens]\nmycity = "CANARY-TOKEN-1234"\n'
    )
    monkeypatch.setenv("PDXTUI_CONFIG", str(config))
    profiles = {p["name"]: p for p in portals_json(capsys)}
    assert profiles["mycity"] == {
        "name": "mycity",
        "kind": "socrata",
        "url": "https://data.mycity.example",
        "source": "config",
        "note": "",
        "default": True,
        "token": True,
    }
    assert profiles["portland"]["url"] == "https://moved.example.org"
    assert profiles["portland"]["source"] == "config" and not profiles["portland"]["default"]
    assert main(["portals"]) == 0
    out, err = capsys.readouterr()
    assert "CANARY-TOKEN-1234" not in out + err
    assert "token set" in next(line for line in out.splitlines() if "mycity" in line)


@pytest.mark.parametrize("flag", ["chicago", "datagov", "socrata:https://data.example.gov"])
def test_default_marker_follows_the_portal_flag(capsys, flag):
    profiles = portals_json(capsys, "--portal", flag)
    marked = [p["name"] for p in profiles if p["default"]]
    assert marked == ([flag] if flag in EXPECTED else [])


def test_footnote_is_apart_from_the_table(capsys):
    """The footnote (stderr) follows the table after a blank line, also when stdout and stderr share a pipe."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    assert main(["portals"]) == 0
    _out, err = capsys.readouterr()
    assert err.startswith("\n* opens when --portal is not given")
    root = str(Path(__file__).resolve().parents[2])
    proc = subprocess.run(
        [sys.executable, "-m", "pdxtui", "portals"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": root},
    )
    lines = proc.stdout.splitlines()
    note = next(i for i, line in enumerate(lines) if line.startswith("* opens"))
    assert lines[note - 1] == "" and lines[note - 2].split()[0] in {"*", *(p["name"] for p in portals_json(capsys))}
    assert note == len(lines) - 1  # after every row of the table
