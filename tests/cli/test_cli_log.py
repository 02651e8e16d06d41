"""The request log (issue 18, part 3): every request the CLI makes is recorded in ``requests.jsonl`` in the state
folder (status, cache hits, retries and waits), ``pdxtui log`` totals it per host and day and agrees with the fake
server's own count, and a log that cannot be written or read never breaks a command."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pdxtui import requestlog
from tests.support.cli import run_cli
from tests.support.fakeportal.fixtures import DATASETS

PERMITS = DATASETS["permits"]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_cli_requests_are_recorded_with_status_cache_hits_and_waits(fake_arcgis, capsys, tmp_path):
    portal = f"arcgis:{fake_arcgis.url}/hub"
    fake_arcgis.faults.set("429", path_contains="/api/search/", count=1, retry_after=0.3)
    assert run_cli(capsys, "--portal", portal, "search", "permits", "--json")[0] == 0
    assert run_cli(capsys, "--portal", portal, "search", "permits", "--json")[0] == 0  # from the cache
    assert run_cli(capsys, "--portal", portal, "show", PERMITS.id)[0] == 0

    records = lines(tmp_path / "state" / "requests.jsonl")
    searches = [r for r in records if r["path"].startswith("/hub/api/search/v1/collections/dataset/items?")]
    assert [r["source"] for r in searches] == ["network", "cache"]
    first, again = searches
    assert first["status"] == 200 and first["attempts"] == 2 and first["throttled"] == 1
    assert 0.25 <= first["waited"] <= first["duration"]  # Retry-After: 0.3, waited out
    assert first["bytes"] > 0 and first["host"] == "127.0.0.1" and first["portal"] == portal
    assert "q=permits" in first["path"]
    assert again["attempts"] == 0 and again["status"] is None and again["bytes"] == first["bytes"]
    hub = [r for r in records if "x-ratelimit-limit-portal_search_throttler" in r["rate_limits"]]
    assert hub, "the Hub search throttle headers were not kept"

    code, out, err = run_cli(capsys, "log", "--json")
    assert code == 0, err
    totals = json.loads(out)
    assert sum(d["attempts"] for d in totals) == len(fake_arcgis.requests)  # the server's own count
    assert sum(d["requests"] for d in totals) == len(records)
    assert sum(d["cache_hits"] for d in totals) == sum(r["source"] != "network" for r in records) >= 1
    assert sum(d["throttled"] for d in totals) == 1 and sum(d["errors"] for d in totals) == 0
    assert sum(d["waited"] for d in totals) >= 0.25

    code, out, err = run_cli(capsys, "log")
    assert code == 0 and err == ""
    table = out.splitlines()
    assert table[0].split()[:3] == ["Day", "Host", "Requests"] and table[-1].startswith("Total")
    assert len({len(line) for line in table}) <= 2  # aligned (the heading may end shorter: it is rstripped)
    assert f" {len(records)} " in f" {table[-1]} "


def test_failures_are_recorded_with_an_error_line(fake_arcgis, capsys, tmp_path):
    import stamina

    portal = f"arcgis:{fake_arcgis.url}/hub"
    fake_arcgis.faults.set("503_after_stall", path_contains="/api/search/", seconds=0.01)
    with stamina.set_testing(True, attempts=2, cap=True):
        assert run_cli(capsys, "--portal", portal, "search", "nothing", "--json")[0] == 1
    (record,) = lines(tmp_path / "state" / "requests.jsonl")
    assert record["status"] == 503 and record["attempts"] == 2 and "answered 503" in record["error"]
    assert "\n" not in record["error"]
    totals = json.loads(run_cli(capsys, "log", "--json")[1])
    assert totals[0]["errors"] == 1 and totals[0]["attempts"] == len(fake_arcgis.requests) == 2


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err and "Error:" not in err, err


def test_a_state_folder_that_is_a_file_never_breaks_a_command(fake_arcgis, capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    monkeypatch.setenv("PDXTUI_STATE_DIR", str(blocker / "state"))
    logs = tmp_path / "logs"
    monkeypatch.setenv("PDXTUI_LOG_DIR", str(logs))
    portal = f"arcgis:{fake_arcgis.url}/hub"
    for _ in range(2):
        code, out, err = run_cli(capsys, "--portal", portal, "search", "permits", "--json")
        assert code == 0 and json.loads(out), err
        _no_traceback(err)
    assert (logs / "pdxtui.log").read_text().count("requests are not being recorded") == 1  # once, not per request
    code, out, err = run_cli(capsys, "log")
    assert code == 0 and out.startswith("No requests recorded")
    assert err.count("\n") == 1 and "requests are not being recorded" in err and "is not a folder" in err


def test_an_unwritable_state_folder_never_breaks_a_command(fake_arcgis, capsys, tmp_path, monkeypatch):
    state = tmp_path / "state"
    state.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: a folder where the log file should be stops it just the same
        (state / requestlog.FILE_NAME).mkdir()
    else:
        state.chmod(0o500)
    try:
        code, out, err = run_cli(capsys, "--portal", f"arcgis:{fake_arcgis.url}/hub", "search", "permits", "--json")
        assert code == 0 and json.loads(out), err
        _no_traceback(err)
        code, out, err = run_cli(capsys, "log")
        assert (code, out) == (1, "") or (code == 0 and out.startswith("No requests recorded"))
        assert err.count("\n") == 1  # one line: the log cannot be read (root) or written (the others)
        assert "could not read the request log" in err or "requests are not being recorded" in err
        _no_traceback(err)
    finally:
        state.chmod(0o700)


def test_log_says_when_empty_and_refuses_a_bad_date(capsys):
    code, out, err = run_cli(capsys, "log")
    assert code == 0 and out.startswith("No requests recorded (the log: ") and err == ""
    assert run_cli(capsys, "log", "--json")[:2] == (0, "[]\n")
    code, out, err = run_cli(capsys, "log", "--since", "2026-13-45")
    assert code == 2 and out == "" and err.count("\n") == 1 and "is not a date" in err
    code, out, err = run_cli(capsys, "log", "--since", "yesterday")
    assert code == 2 and "is not a date" in err


def _record(at: float, host: str = "example.org", **kw) -> requestlog.RequestRecord:
    base = dict(at=at, host=host, path="/x", status=200, bytes=10, duration=0.1, source="network")
    return requestlog.RequestRecord(**{**base, **kw})


def test_log_skips_damaged_lines_and_filters_by_day_and_host(capsys, tmp_path):
    from pdxtui.cli.log import parse_since

    path = requestlog.log_path()
    sink = requestlog.RequestFile(path)
    day1, day2 = parse_since("2026-11-01"), parse_since("2026-11-03")
    sink.write(_record(day1 + 60, "services.arcgis.com"))
    sink.write(_record(day2 + 60, "services.arcgis.com", status=429, throttled=1, waited=2.5))
    sink.write(_record(day2 + 90, "data.example.org", source="cache", attempts=0, status=None))
    sink.close()
    with open(path, "ab") as f:
        f.write(b'{"at": "not a time"}\n[1, 2]\n{"half a line')  # damaged lines, and one cut by a crash
    code, out, err = run_cli(capsys, "log", "--json", "--since", "2026-11-02", "--host", "arcgis.com")
    assert code == 0 and err == "pdxtui: skipped 3 damaged lines in the request log\n"
    (day,) = json.loads(out)
    assert day["day"] == "2026-11-03" and day["host"] == "services.arcgis.com"
    assert (day["requests"], day["throttled"], day["errors"], day["waited"]) == (1, 1, 1, 2.5)
    code, out, _ = run_cli(capsys, "log", "--host", "https://data.example.org/resource/x.json")
    assert code == 0 and "data.example.org" in out and "arcgis" not in out


def test_since_takes_a_number_of_days():
    from pdxtui.cli.log import parse_since

    now = parse_since("2026-12-03") + 5 * 3600
    assert parse_since("1d", now=now) == parse_since("2026-12-03")
    assert parse_since("7d", now=now) == parse_since("2026-11-27")
    with pytest.raises(Exception, match="1d or more"):
        parse_since("0d", now=now)


def test_draft_access_includes_the_usage_of_the_portals_hosts(fake_arcgis, capsys, monkeypatch):
    monkeypatch.setenv("PDXTUI_APP_TOKEN", "tok-4f1e9c2b7a")
    portal = f"arcgis:{fake_arcgis.url}/hub"
    assert run_cli(capsys, "--portal", portal, "search", "permits", "--json")[0] == 0
    assert run_cli(capsys, "--portal", portal, "show", PERMITS.id)[0] == 0
    sent = len(fake_arcgis.requests)
    code, out, err = run_cli(
        capsys, "--portal", portal, "draft", "access", PERMITS.id, "--topic", "rate limits", "--include-usage"
    )
    assert code == 0, err
    assert f"{sent} requests went to these services ({sent} tries, retries included)" in out
    table = out[out.index("Day ") :].split("\n\n")[0].splitlines()
    total = table[-1].split()
    assert table[1].split()[1] == "127.0.0.1" and total[0] == "Total" and total[2] == str(sent)  # network
    assert int(total[1]) == sent + int(total[3])  # requests: the network's and the cache hits (show, the draft)
    assert "tok-4f1e9c2b7a" not in out
    # another portal's requests are not this portal's usage
    assert "holds no requests" in run_cli(capsys, "--portal", "demo", "draft", "access", "--include-usage")[1]
    code, _, err = run_cli(capsys, "--portal", portal, "draft", "records", "--include-usage")
    assert code == 2 and "--include-usage goes with draft access" in err
