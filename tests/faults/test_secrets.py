"""A canary token never lands anywhere but the request header: not in cache keys or values, log files (even with
--debug), exports, error messages (even when the server echoes the token back), screenshots or drafted letters.

Each portal kind of ``tests/test_faults.PORTAL_KINDS`` is tried. The test also checks that the token really
was sent (else it would pass vacuously).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stamina

from pdxtui.cli import main
from tests.faults.test_faults import PORTAL_KINDS, _path_for

CANARY = "pdxtuiCANARY7f3a9c1e55d0b4a2"


def _holding(folder: Path) -> list[str]:
    """Every file under ``folder`` whose bytes (raw, and as UTF-16 for good measure) hold the canary."""
    found = []
    needles = (CANARY.encode(), CANARY.encode("utf-16-le"))
    for path in folder.rglob("*"):
        if path.is_file() and any(needle in path.read_bytes() for needle in needles):
            found.append(str(path))
    return found


@pytest.fixture
def canary(monkeypatch, tmp_path):
    monkeypatch.setenv("PDXTUI_APP_TOKEN", CANARY)
    logs = tmp_path / "logs"
    monkeypatch.setenv("PDXTUI_LOG_DIR", str(logs))
    return logs


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
def test_the_token_stays_out_of_the_cache_logs_exports_messages_and_output(
    request, canary, tmp_path, capsys, kind_name
):
    kind = PORTAL_KINDS[kind_name]
    server = request.getfixturevalue(kind.fixture)
    portal = kind.portal(server.url)
    outputs: list[str] = []

    def run(*args: str) -> int:
        code = main(["--debug", "--portal", portal, *args])
        out, err = capsys.readouterr()
        outputs.extend([out, err])
        return code

    assert run("search", "--json") == 0
    assert run("show", kind.dataset_id) == 0
    assert run("preview", kind.dataset_id, "--rows", "5", "--json") == 0
    export = tmp_path / "exports" / "rows.csv"
    export.parent.mkdir()
    assert run("export", kind.dataset_id, "-o", str(export), "--limit", "50") == 0
    assert run("draft", "records", kind.dataset_id) == 0
    # errors whose bodies echo the token back, as a misconfigured server may: HTTP 400, 500 and 429 (retried)
    echo = json.dumps(
        {
            "error": {"code": 400, "message": f"bad token {CANARY}", "details": [CANARY]},
            "message": f"bad token {CANARY}",
            "success": False,
        }
    ).encode()
    for fault in ("500", "error200", "429"):
        server.faults.set(fault, path_contains=_path_for(kind, "catalog"), body=echo)
        with stamina.set_testing(True, attempts=2, cap=True):
            assert run("search", f"uncached {fault}", "--json") == 1  # (no stale copy to fall back on)
        server.faults.clear()
    sent = [r.headers for r in server.requests]
    assert any(CANARY in value for headers in sent for value in headers.values()), "the token was never sent"
    assert not any(CANARY in r.path or any(CANARY in v for v in r.params.values()) for r in server.requests), (
        "the token went into a URL (which proxies and server logs keep)"
    )
    errors = "".join(outputs)
    assert "bad token [token]" in errors or "bad token" in errors  # the echoed message did reach the user...
    assert CANARY not in errors  # ...without the token
    assert _holding(tmp_path / "cache") == []
    sidecar = export.parent / "rows.csv.provenance.json"  # the provenance record, with the query URL
    assert json.loads(sidecar.read_text())["export"]["rows"] == 50
    assert _holding(export.parent) == []
    requests = tmp_path / "state" / "requests.jsonl"  # the request log: every request above, none with the token
    assert requests.read_text().count("\n") >= 8 and _holding(tmp_path / "state") == []
    assert (canary / "pdxtui.log").exists() and " DEBUG " in (canary / "pdxtui.log").read_text()
    assert _holding(canary) == []


async def test_the_token_stays_out_of_screenshots_toasts_and_the_letter(canary, tmp_path, fake_arcgis):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens.draft import DraftScreen
    from tests.support.fakeportal.fixtures import DATASETS
    from tests.support.uihelpers import screen_text, settle

    permits = DATASETS["permits"]
    echo = json.dumps({"error": {"code": 498, "message": f"Invalid token {CANARY}", "details": []}}).encode()
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    shots: list[str] = []
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        fake_arcgis.faults.set("error200", path_contains="/query?", body=echo)
        app.screen.open_dataset(permits.id)
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and "Invalid token" in errors[-1]
        shots.append(app.export_screenshot())
        shots.append(screen_text(app))
        fake_arcgis.faults.clear()
        app.screen.open_dataset(permits.id)
        await settle(pilot)
        app.screen.query_one("#catalog").focus()
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, DraftScreen)
        letter = app.screen.letter_text()
        assert permits.title in letter
        shots.append(app.export_screenshot())
        shots.append(letter)
    assert any(CANARY in v for r in fake_arcgis.requests for v in r.headers.values())
    for shot in shots:
        assert CANARY not in shot
    for message in (n.message for n in app._notifications):
        assert CANARY not in message
    assert _holding(tmp_path / "cache") == [] and _holding(canary) == []


def test_the_fetcher_removes_the_token_percent_encoded_too():
    """A server echoing the request URL back in an error spells the token percent-encoded; the Fetcher's scrub
    removed only the raw token (second review of issue 18)."""
    from urllib.parse import quote, quote_plus

    from pdxtui.net import Fetcher

    token = "abc/def+ghi=jkl123"
    fetcher = Fetcher("socrata:https://example.org", token=token)
    for spelled in (token, quote(token, safe=""), quote_plus(token)):
        text = fetcher._scrub(f"400 Bad Request: ...?$$app_token={spelled}&x=1")
        assert "jkl123" not in text and "[token]" in text, text
