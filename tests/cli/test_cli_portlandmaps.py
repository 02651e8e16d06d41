"""``pdxtui address`` and ``pdxtui property`` against the fake PortlandMaps API."""

from __future__ import annotations

import json

import pytest

from pdxtui.cli import main
from tests.support.cli import run_cli
from tests.support.fakeportal.portlandmaps import TEST_KEY


@pytest.fixture
def keyed(fake_portlandmaps, monkeypatch):
    monkeypatch.setenv("PDXTUI_PORTLANDMAPS_KEY", TEST_KEY)
    return fake_portlandmaps


def test_address_table(keyed, capsys):
    code, out, err = run_cli(capsys, "address", "1120", "SW", "5th", "Ave")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["address", "city", "zip", "lat", "lon", "id"]
    assert "1120 SW 5TH AVE" in lines[2] and "PORTLAND" in lines[2] and "R246993" in lines[2]
    assert "1120 SW 5TH AVE, PORTLAND" not in out  # the single-candidate quirk is undone
    assert "1 of 1 suggestions" in err
    (request,) = [r for r in keyed.requests if "/api/suggest/" in r.path]
    assert request.params["query"] == "1120 SW 5th Ave"


def test_address_json_and_paging(keyed, capsys):
    code, out, err = run_cli(capsys, "address", "NE Alberta", "--count", "5", "--page", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["address"] for d in data] == [f"{n} NE ALBERTA ST" for n in (1500, 1600, 1700, 1800, 1900)]
    assert set(data[0]) >= {"address", "city", "zip_code", "lat", "lon", "id"}
    assert data[0]["lat"] == pytest.approx(45.55902)
    assert TEST_KEY not in out + err


def test_property_detail_text_and_json(keyed, capsys):
    code, out, _err = run_cli(capsys, "property", "R246993", "--detail", "assessor")
    assert code == 0
    assert "== Owner ==" in out and "CITY OF PORTLAND" in out
    assert "== Assessment ==" in out and "2024" in out
    code, out, _ = run_cli(capsys, "property", "R246993", "--detail", "permit", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["detail_type"] == "permit" and data["detail_id"] == "R246993"
    assert data["permits"] and "permit" in data["permits"][0]
    assert "status" not in data


def test_second_run_is_answered_from_the_cache(keyed, capsys):
    assert run_cli(capsys, "property", "R246993", "--detail", "zoning")[0] == 0
    code, out, err = run_cli(capsys, "property", "R246993", "--detail", "zoning")
    assert code == 0 and "CX" in out and "from the cache" in err
    assert len([r for r in keyed.requests if "/api/detail/" in r.path]) == 1
    assert run_cli(capsys, "property", "R246993", "--detail", "zoning", "--refresh")[0] == 0
    assert len([r for r in keyed.requests if "/api/detail/" in r.path]) == 2


def test_missing_key_exits_1_and_says_how_to_set_it(fake_portlandmaps, capsys):
    for args in (["address", "1120 SW 5th Ave"], ["property", "R246993", "--detail", "assessor", "--json"]):
        code, out, err = run_cli(capsys, *args)
        assert code == 1 and out == ""
        assert "PDXTUI_PORTLANDMAPS_KEY" in err and "https://www.portlandmaps.com/development/" in err
        assert "[portlandmaps]" in err and "Traceback" not in err
    assert fake_portlandmaps.requests == []


def test_key_from_the_config_file(fake_portlandmaps, tmp_path, capsys, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'[portlandmaps]\napi_key = "{TEST_KEY}"\n')
    monkeypatch.setenv("PDXTUI_CONFIG", str(config))
    code, out, _ = run_cli(capsys, "address", "omsi", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run_cli(capsys, "address", "water", "--json")
    assert code == 0 and json.loads(out)[0]["address"] == "1945 SE WATER AVE"


def test_api_errors_exit_1_with_one_line(keyed, capsys, monkeypatch):
    code, out, err = run_cli(capsys, "property", "R000000")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "No property found for detail_id R000000" in err
    monkeypatch.setenv("PDXTUI_PORTLANDMAPS_KEY", "not-the-key-4242")
    code, out, err = run_cli(capsys, "address", "alberta")
    assert code == 1 and "Invalid API key" in err and "not-the-key-4242" not in err


def test_usage_errors_exit_2(keyed, capsys):
    assert run_cli(capsys, "address", "alberta", "--count", "0")[0] == 2
    assert run_cli(capsys, "address", "alberta", "--page", "0")[0] == 2
    with pytest.raises(SystemExit) as exited:
        main(["property", "R246993", "--detail", "owner"])
    assert exited.value.code == 2 and "invalid choice" in capsys.readouterr().err
    assert keyed.requests == []


def test_a_long_rate_limit_wait_is_said_on_stderr_even_when_it_is_not_a_terminal(
    fake_portlandmaps, tmp_path, capsys, monkeypatch
):
    # a script looping over `pdxtui address` (stderr a pipe or a file) must not seem to hang silently
    config = tmp_path / "config.toml"
    config.write_text(f'[portlandmaps]\napi_key = "{TEST_KEY}"\nrate = "1/4s"\n')
    monkeypatch.setenv("PDXTUI_CONFIG", str(config))
    code, out, err = run_cli(capsys, "address", "alberta", "--json")
    assert code == 0 and "waiting" not in err
    code, out, err = run_cli(capsys, "address", "water", "--json")  # the second request of the window waits ~4 s
    assert code == 0 and json.loads(out)[0]["address"] == "1945 SE WATER AVE"
    (line,) = [ln for ln in err.splitlines() if "waiting" in ln]
    assert line.startswith("pdxtui: PortlandMaps rate limit") and " s before the next request" in line, line
    assert float(line.split("waiting ")[1].split(" s")[0]) >= 2
    assert out.lstrip().startswith("[")  # stdout stays pure JSON


def test_a_short_rate_limit_wait_is_quiet_when_stderr_is_not_a_terminal(
    fake_portlandmaps, tmp_path, capsys, monkeypatch
):
    config = tmp_path / "config.toml"
    config.write_text(f'[portlandmaps]\napi_key = "{TEST_KEY}"\nrate = "1/0.5s"\n')
    monkeypatch.setenv("PDXTUI_CONFIG", str(config))
    assert run_cli(capsys, "address", "alberta", "--json")[0] == 0
    code, _, err = run_cli(capsys, "address", "water", "--json")
    assert code == 0 and "waiting" not in err
