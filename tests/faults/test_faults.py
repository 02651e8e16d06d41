"""Network faults against every portal kind: the app stays up, the message names the portal and what went wrong,
nothing from a failed response is cached, the next successful fetch works, and retries are bounded.

The portal kinds come from ``PORTAL_KINDS``, a small registry: one entry per fake portal (the fixture that starts
it, the portal string, a dataset id, and the request-path fragments of its catalog, metadata and rows
requests). Adding a kind is one entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import stamina

from pdxtui.errors import PdxError
from pdxtui.model import SearchRequest
from pdxtui.net import MAX_REDIRECTS
from pdxtui.session import open_session
from tests.support.fakeportal.server import CSV_BODY


@dataclass(frozen=True)
class PortalKind:
    name: str
    fixture: str  # the pytest fixture that starts its fake server
    portal: Callable[[str], str]  # base URL -> --portal value
    dataset_id: str
    catalog_path: str  # fragment of the catalog search request
    metadata_path: str  # fragment of a metadata request made by dataset()
    rows_path: str  # fragment of a rows request


def _kinds() -> dict[str, PortalKind]:
    from tests.support.fakeportal.fixtures import DATASETS

    kinds = {
        "arcgis": PortalKind(
            "arcgis",
            "fake_arcgis",
            lambda url: f"arcgis:{url}/hub",
            DATASETS["permits"].id,
            "/api/search/v1/collections/",
            "/MapServer/89?",
            "/MapServer/89/query?",
        ),
    }
    try:  # the other kinds, when their portal modules and fakes are there
        import pdxtui.portals.socrata
        from tests.support.fakeportal.socrata import INSPECTIONS

        kinds["socrata"] = PortalKind(
            "socrata",
            "fake_socrata",
            lambda url: f"socrata:{url}",
            INSPECTIONS.id,
            "/api/catalog/v1",
            f"/api/views/{INSPECTIONS.id}",
            f"/resource/{INSPECTIONS.id}",
        )
    except ImportError:
        pass
    try:
        import pdxtui.portals.ckan  # noqa: F401
        from tests.support.fakeportal.ckan import CKANApp  # noqa: F401

        kinds["ckan"] = PortalKind(
            "ckan",
            "fake_ckan",
            lambda url: f"ckan:{url}",
            "street-trees",
            "/package_search",
            "/package_show",
            "/datastore_search",
        )
    except ImportError:
        pass
    return kinds


PORTAL_KINDS = _kinds()
DNS_HOST = "pdxtui-nxdomain.invalid"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No name lookup leaves the machine: every host but loopback fails as an unknown name (this is also the DNS
    failure fault, through the real httpx path)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


CONFIG = "[net]\nconnect_timeout = 2\nread_timeout = {read_timeout}\n"
READ_TIMEOUT = 1.0  # seconds, for every fetch but the stalled ones of the matrix
STALL_READ_TIMEOUT = 0.4  # for those: each attempt gives up this long after the half body; the stall is longer


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Short timeouts, so that a stall past the read timeout takes a second, not thirty."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(read_timeout=READ_TIMEOUT), encoding="utf-8")
    monkeypatch.setenv("PDXTUI_CONFIG", str(path))
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# fault name -> (server fault kind, options, words the message must hold (any one of them))
# (the right body under a wrong Content-Type is not a failure: see test_wrong_content_type_with_the_right_body)
FAULTS: dict[str, tuple[str, dict, tuple[str, ...]]] = {
    "stall": ("stall", {"seconds": 1.5}, ("timed out",)),  # past STALL_READ_TIMEOUT, with room for a busy machine
    "reset": ("reset", {}, ("failed", "closed", "reset", "disconnected", "incomplete", "not valid json")),
    "truncated_json": ("truncated_json", {}, ("not valid json", "not readable")),  # Socrata rows are CSV
    "invalid_json": ("error200", {"body": b'{"result": [1, 2,, tru'}, ("not valid json",)),
    "deep_json": ("error200", {"body": b"[" * 100_000 + b"]" * 100_000}, ("nested too deeply",)),
    "html200": ("html200", {}, ("web page (html)",)),
    "csv_for_json": ("wrong_content_type", {"body": CSV_BODY}, ("not valid json",)),
    "429_retry_after": ("429", {"retry_after": 1}, ("429",)),
    "429_no_retry_after": ("429_no_retry_after", {}, ("429",)),
    "500": ("500", {}, ("500",)),
    "503": ("503_after_stall", {"seconds": 0.01}, ("503",)),
    "redirect_loop": ("redirect_loop", {}, ("redirected more than",)),
    "huge": ("huge", {}, ("sent more than",)),
}
STAGES = ("catalog", "metadata", "rows")
#: bytes that only the failed answer holds, looked for in the cache folder afterwards
FAILED_BODY_MARKERS = {
    "html200": b"down for maintenance",
    "csv_for_json": b"still not json",
    "invalid_json": b"[1, 2,, tru",
    "500": b"500 Internal Server Error",
}


async def _stage(service, kind: PortalKind, stage: str):
    if stage == "catalog":
        result = await service.search(SearchRequest(text="", limit=5))
        assert result.hits
        return result
    dataset = await service.dataset(kind.dataset_id)
    if stage == "metadata":
        return dataset
    preview = await service.preview(dataset, rows=20)
    assert preview.shown > 0
    return preview


def _run(portal: str, kind: PortalKind, stage: str):
    """One fetch through a fresh session and service (what one CLI run does), with the cache in use."""

    async def go():
        service = open_session(portal=portal).service()
        try:
            return await _stage(service, kind, stage)
        finally:
            await service.aclose()

    return asyncio.run(go())


def _path_for(kind: PortalKind, stage: str) -> str:
    return {"catalog": kind.catalog_path, "metadata": kind.metadata_path, "rows": kind.rows_path}[stage]


def _matrix():
    for kind in PORTAL_KINDS:
        for fault in FAULTS:
            for stage in STAGES:
                if fault == "huge" and stage == "rows":
                    continue  # rows may be large (up to max_bytes); the 50 MB fault is for small answers
                if fault == "csv_for_json" and stage == "rows" and kind == "socrata":
                    continue  # Socrata rows are asked for as CSV: a CSV answer is the expected kind
                yield pytest.param(kind, fault, stage, id=f"{kind}-{fault}-{stage}")


@pytest.mark.parametrize("kind_name, fault, stage", list(_matrix()))
def test_fault_is_reported_not_cached_and_recovered_from(request, config, tmp_path, kind_name, fault, stage):
    kind = PORTAL_KINDS[kind_name]
    server = request.getfixturevalue(kind.fixture)
    portal = kind.portal(server.url)
    server_kind, options, words = FAULTS[fault]
    path = _path_for(kind, stage)
    if stage != "catalog":  # warm what comes before the faulty request, so the fault hits the stage itself
        _run(portal, kind, "metadata" if stage == "rows" else "catalog")
    switch = server.faults.set(server_kind, path_contains=path, **options)
    if fault == "stall":  # the stalled fetch alone gets the short read timeout: 3 attempts of 0.4 s, not of 1 s
        config.write_text(CONFIG.format(read_timeout=STALL_READ_TIMEOUT), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(PdxError) as failure:
        _run(portal, kind, stage)
    elapsed = time.monotonic() - started
    config.write_text(CONFIG.format(read_timeout=READ_TIMEOUT), encoding="utf-8")
    message = str(failure.value)
    assert switch.fired >= 1, f"the fault never fired on {path!r}: {[r.path for r in server.requests]}"
    assert "127.0.0.1" in message, message  # names the portal (its host)
    assert any(word in message.lower() for word in words), message
    assert "\n" not in message and "Traceback" not in message
    hops = MAX_REDIRECTS + 1 if fault == "redirect_loop" else 1
    assert switch.fired <= 3 * 2 * hops, switch.fired  # bounded: 3 attempts, at most 2 requests (Socrata's
    # regional catalog after its own), each redirect followed at most MAX_REDIRECTS times
    assert elapsed < 20, elapsed  # and in time (a stall costs one read timeout per attempt)
    marker = FAILED_BODY_MARKERS.get(fault)
    if marker is not None:  # the failed answer itself is nowhere in the cache (database rows or value files)
        cache = tmp_path / "cache"
        assert not any(marker in f.read_bytes() for f in cache.rglob("*") if f.is_file()), fault
    server.faults.clear()
    server.reset_log()
    _run(portal, kind, stage)  # the next fetch works...
    assert server.requests_to(path.split("?")[0]) or any(path in r.path for r in server.requests), (
        "the failed answer was served from the cache instead of asking again"
    )


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
@pytest.mark.parametrize("stage", STAGES)
def test_wrong_content_type_with_the_right_body(request, config, kind_name, stage):
    """application/octet-stream on a body that is what was asked for: read by its content, as browsers and
    curl would (real servers do mislabel JSON); nothing to report."""
    kind = PORTAL_KINDS[kind_name]
    server = request.getfixturevalue(kind.fixture)
    switch = server.faults.set("wrong_content_type", path_contains=_path_for(kind, stage))
    _run(kind.portal(server.url), kind, stage)
    assert switch.fired >= 1


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
def test_connection_refused(request, config, kind_name):
    kind = PORTAL_KINDS[kind_name]
    request.getfixturevalue(kind.fixture)  # e.g. points Socrata's regional catalog at loopback
    port = closed_port()
    with pytest.raises(PdxError) as failure:
        _run(kind.portal(f"http://127.0.0.1:{port}"), kind, "catalog")
    message = str(failure.value)
    assert "127.0.0.1" in message and "could not connect" in message, message


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
def test_dns_failure(request, config, kind_name):
    kind = PORTAL_KINDS[kind_name]
    request.getfixturevalue(kind.fixture)
    with pytest.raises(PdxError) as failure:
        _run(kind.portal(f"http://{DNS_HOST}:8080"), kind, "catalog")
    message = str(failure.value)
    assert DNS_HOST in message and "could not connect" in message, message
    assert "Name or service not known" in message, message


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
def test_429_then_success_is_retried_within_bounds(request, config, kind_name):
    kind = PORTAL_KINDS[kind_name]
    server = request.getfixturevalue(kind.fixture)
    switch = server.faults.set("429", path_contains=kind.catalog_path, count=2, retry_after=1)
    _run(kind.portal(server.url), kind, "catalog")
    assert switch.fired == 2


@pytest.mark.serial  # real waits, and a wall-clock bound (< 3 s)
def test_retries_are_bounded_in_time_with_real_waits(fake_arcgis):
    """Without stamina's testing mode: Retry-After: 3600 is capped at max_wait, and attempts stop the loop."""
    from pdxtui.net import Fetcher

    async def go():
        fetcher = Fetcher("arcgis:test", attempts=3, max_wait=0.2)
        try:
            return await fetcher.get_json(fake_arcgis.url + "/hub/api/search/v1", kind="catalog")
        finally:
            await fetcher.aclose()

    fake_arcgis.faults.set("429", retry_after=3600)
    with stamina.set_testing(False):
        started = time.monotonic()
        with pytest.raises(PdxError) as failure:
            asyncio.run(go())
        elapsed = time.monotonic() - started
    assert len(fake_arcgis.requests) == 3
    assert elapsed < 3, elapsed
    assert "429" in str(failure.value) and "gave up after 3 attempts" in str(failure.value)


def test_huge_metadata_is_refused_at_the_cap_without_reading_it_all(fake_arcgis):
    from pdxtui.net import DEFAULT_MAX_SMALL_BYTES, Fetcher

    async def go(kind):
        fetcher = Fetcher("arcgis:test")
        try:
            return await fetcher.get_bytes(fake_arcgis.url + "/hub/api/search/v1", kind=kind)
        finally:
            await fetcher.aclose()

    fake_arcgis.faults.set("huge", size=DEFAULT_MAX_SMALL_BYTES + 1, count=1)
    with pytest.raises(PdxError, match=r"where a small answer .* was expected"):
        asyncio.run(go("metadata"))
    fake_arcgis.faults.set("huge", size=DEFAULT_MAX_SMALL_BYTES + 1, count=1)
    fetched = asyncio.run(go("rows"))  # rows may be that large
    assert len(fetched.body) == DEFAULT_MAX_SMALL_BYTES + 1


# --- through the CLI and the TUI ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
@pytest.mark.parametrize("fault", ["html200", "redirect_loop", "500"])
def test_cli_exits_1_with_one_line(request, config, capsys, kind_name, fault):
    from pdxtui.cli import main

    kind = PORTAL_KINDS[kind_name]
    server = request.getfixturevalue(kind.fixture)
    server_kind, options, words = FAULTS[fault]
    server.faults.set(server_kind, **options)
    code = main(["--portal", kind.portal(server.url), "search"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("pdxtui: ") and err.count("\n") == 1 and "127.0.0.1" in err, err
    assert any(word in err.lower() for word in words), err
    server.faults.clear()
    assert main(["--portal", kind.portal(server.url), "search", "--json"]) == 0
    assert capsys.readouterr().out.startswith("[")


@pytest.mark.parametrize("kind_name", list(PORTAL_KINDS))
@pytest.mark.parametrize("fault", ["reset", "huge", "stall"])
async def test_tui_stays_up_and_shows_the_message(request, config, kind_name, fault):
    from pdxtui.ui.app import PdxApp
    from tests.support.uihelpers import screen_text, settle

    kind = PORTAL_KINDS[kind_name]
    server = request.getfixturevalue(kind.fixture)
    server_kind, options, words = FAULTS[fault]
    app = PdxApp(session=open_session(portal=kind.portal(server.url)))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        if fault == "stall":  # one attempt (a read timeout of 1 s, the stall 3 s): what is shown, not the retries
            options = {**options, "seconds": 3.0}
            attempts = stamina.set_testing(True, attempts=1, cap=True)
        else:
            attempts = contextlib.nullcontext()
        server.faults.set(server_kind, path_contains=kind.metadata_path, **options)
        with attempts:
            app.screen.open_dataset(kind.dataset_id)
            await settle(pilot, timeout=30)
        assert app.is_running
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and any(w in errors[-1].lower() for w in words), errors
        assert "127.0.0.1" in errors[-1]
        assert "Traceback" not in screen_text(app)
        server.faults.clear()
        app.screen.open_dataset(kind.dataset_id)
        await settle(pilot, timeout=30)
        assert app.screen.dataset is not None and app.screen.dataset.id == kind.dataset_id
