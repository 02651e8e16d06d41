"""The PortlandMaps client (pdxtui/portlandmaps.py) against the fake API: shapes, the ", CITY" quirk, errors, the
rate limiter under a burst (with a fake clock), the 429 X-Rate-Limit-Reset wait, and the key kept out of the cache
files, the logs and the error messages."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
from pathlib import Path

import pytest

from pdxtui.cache import Store
from pdxtui.config import load_config
from pdxtui.errors import PortalError, UsageError
from pdxtui.portlandmaps import (
    MissingKey,
    PortlandMaps,
    RateLimiter,
    Settings,
    candidate,
    open_client,
    parse_rate,
    parse_reset,
    rate_state_path,
    sections_of,
)
from tests.support.fakeportal.portlandmaps import TEST_KEY


def base(server) -> str:
    return server.apps["portlandmaps"].base_url(server)


def client(server, **kwargs) -> PortlandMaps:
    return PortlandMaps(Settings(api_key=kwargs.pop("key", TEST_KEY), url=base(server)), **kwargs)


def run(coro):
    return asyncio.run(coro)


def api_calls(server) -> list:
    return [r for r in server.requests if "/api/" in r.path]


# -- shapes ---------------------------------------------------------------------------------------------------------


def test_suggest_reads_candidates_attributes_and_location(fake_portlandmaps):
    async def go():
        async with client(fake_portlandmaps) as pm:
            return await pm.suggest("sw 4th", count=10)

    page = run(go())
    labels = [c.address for c in page.candidates]
    assert labels == ["1221 SW 4TH AVE", "1900 SW 4TH AVE"]
    hall = page.candidates[0]
    assert (hall.id, hall.city, hall.zip_code) == ("R247005", "PORTLAND", "97204")
    assert hall.lat == pytest.approx(45.51487) and hall.lon == pytest.approx(-122.67857)
    assert hall.attributes["neighborhood"] == "DOWNTOWN"
    (request,) = api_calls(fake_portlandmaps)
    assert request.path.endswith("/api/suggest/")
    assert request.params["query"] == "sw 4th" and request.params["count"] == "10" and request.params["page"] == "1"
    assert request.params["api_key"] == TEST_KEY


def test_single_candidate_quirk_moves_city_out_of_the_address(fake_portlandmaps):
    async def go():
        async with client(fake_portlandmaps) as pm:
            return await pm.suggest("1120 SW 5th Ave")

    page = run(go())
    (only,) = page.candidates
    assert only.address == "1120 SW 5TH AVE"  # the fake sent "1120 SW 5TH AVE, PORTLAND"
    assert only.city == "PORTLAND"
    assert only.label == "1120 SW 5TH AVE, PORTLAND, 97204"


def test_candidate_parser_edge_cases():
    # location only, in Web Mercator: lat/lon come from it
    c = candidate(
        {"address": "1 MAIN ST, GRESHAM", "attributes": {}, "location": {"x": -13656000.0, "y": 5703000.0}}, single=True
    )
    assert c is not None and c.address == "1 MAIN ST" and c.city == "GRESHAM"
    assert c.lat == pytest.approx(45.5, abs=0.05) and c.lon == pytest.approx(-122.67, abs=0.05)
    # several candidates: a comma that is not the city stays
    c = candidate({"address": "100 SW MAIN ST, UNIT 3", "attributes": {"city": "PORTLAND"}})
    assert c is not None and c.address == "100 SW MAIN ST, UNIT 3"
    assert candidate({"attributes": {}}) is None and candidate("junk") is None


def test_suggest_pages(fake_portlandmaps):
    async def go():
        async with client(fake_portlandmaps) as pm:
            return [await pm.suggest("SW 5th Ave", count=10, page=n) for n in (1, 2, 3)]

    first, second, third = run(go())
    assert first.total == second.total == 24
    assert first.more and second.more and not third.more
    addresses = [c.address for page in (first, second, third) for c in page.candidates]
    assert len(addresses) == 24 == len(set(addresses))
    assert [r.params["page"] for r in api_calls(fake_portlandmaps)] == ["1", "2", "3"]


def test_detail_sections_as_pairs_and_rows(fake_portlandmaps):
    async def go():
        async with client(fake_portlandmaps) as pm:
            return await pm.detail("assessor", "R315003"), await pm.detail("permit", "R315003")

    assessor, permits = run(go())
    names = [s.name for s in assessor.sections]
    assert names == ["summary", "general", "owner", "assessment"]
    owner = dict(assessor.section("owner").pairs)
    assert "\x1b" not in owner["name"] and "␛" in owner["name"]  # escape sequences made visible, not passed on
    assert owner["name"].startswith("[bold]ALBERTA")  # kept as text; the screen shows it with markup off
    assessment = assessor.section("assessment")
    assert assessment.is_table and assessment.columns == ("year", "land", "building")
    assert [row["year"] for row in assessment.rows] == [2022, 2023, 2024]
    (table,) = permits.tables()
    assert table.name == "permits" and "permit" in table.columns and len(table.rows) >= 3
    request = api_calls(fake_portlandmaps)[-1]
    assert request.params["detail_type"] == "permit" and request.params["sections"] == "*"


def test_sections_of_flattens_nested_values():
    sections = sections_of(
        {"status": "success", "zoning": {"base": "CX", "overlay": ["d", "g"], "x": {"y": 1}}, "note": "hi", "empty": []}
    )
    assert [s.name for s in sections] == ["summary", "zoning", "empty"]
    assert dict(sections[1].pairs) == {"base": "CX", "overlay": "d; g", "x.y": "1"}


# -- errors ---------------------------------------------------------------------------------------------------------


def test_status_error_is_one_readable_line_without_the_key(fake_portlandmaps):
    async def go():
        async with client(fake_portlandmaps) as pm:
            with pytest.raises(PortalError) as bad_id:
                await pm.detail("property", "R000000")
        async with client(fake_portlandmaps, key="wrong-key-123456") as pm:
            with pytest.raises(PortalError) as bad_key:
                await pm.suggest("alberta")
        return bad_id.value, bad_key.value

    bad_id, bad_key = run(go())
    assert "No property found for detail_id R000000" in str(bad_id) and "\n" not in str(bad_id)
    assert "Invalid API key" in str(bad_key)
    assert "wrong-key-123456" not in str(bad_key) and TEST_KEY not in str(bad_id)


def test_an_error_page_that_echoes_the_request_does_not_show_the_key(fake_portlandmaps):
    async def go():
        settings = Settings(api_key=TEST_KEY, url=base(fake_portlandmaps) + "/v2")
        async with PortlandMaps(settings) as pm:
            with pytest.raises(PortalError) as err:
                await pm.suggest("alberta")
        return err.value

    err = run(go())
    assert "404" in str(err) and "No route matches" in str(err) and "api_key=[key]" in str(err)
    assert TEST_KEY not in str(err)
    (request,) = api_calls(fake_portlandmaps)
    assert request.status == 404


def test_bad_arguments_and_missing_key_make_no_request(fake_portlandmaps):
    with pytest.raises(MissingKey) as missing:
        PortlandMaps(Settings(api_key=None, url=base(fake_portlandmaps)))
    assert "https://www.portlandmaps.com/development/" in str(missing.value)
    assert "PDXTUI_PORTLANDMAPS_KEY" in str(missing.value)

    async def go():
        async with client(fake_portlandmaps) as pm:
            with pytest.raises(UsageError):
                await pm.detail("owner", "R246993")
            with pytest.raises(UsageError):
                await pm.suggest("   ")

    run(go())
    assert api_calls(fake_portlandmaps) == []


def test_transport_errors_do_not_show_the_key():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now

    async def go():
        async with PortlandMaps(Settings(api_key=TEST_KEY, url=f"http://127.0.0.1:{port}"), attempts=1) as pm:
            with pytest.raises(PortalError) as err:
                await pm.suggest("alberta")
        return err.value

    err = run(go())
    assert "127.0.0.1" in str(err) and TEST_KEY not in str(err)


# -- the rate limiter -----------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_rate_limiter_holds_under_a_burst():
    clock = FakeClock()
    said: list[str] = []
    limiter = RateLimiter(200, 900.0, clock=clock, sleep=clock.sleep, on_wait=lambda m, s: said.append(m))
    starts: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        starts.append(clock())

    async def burst() -> None:
        await asyncio.gather(*(one() for _ in range(650)))

    run(burst())
    assert len(starts) == 650
    starts.sort()
    # no 900-second window ever holds more than 200 starts
    for i, start in enumerate(starts):
        j = i
        while j < len(starts) and starts[j] < start + 900.0:
            j += 1
        assert j - i <= 200, f"{j - i} requests within 15 minutes from t={start}"
    # and it did not wait more than it had to: 650 requests need three full windows
    assert starts[0] == 1000.0 and starts[199] == 1000.0
    assert starts[200] == pytest.approx(1900.0) and starts[649] == pytest.approx(3700.0)
    assert said and "200 requests per 15 min" in said[0] and "waiting 15 min" in said[0]


def test_rate_limiter_waits_for_a_reset_the_server_named():
    clock = FakeClock()
    limiter = RateLimiter(5, 60.0, clock=clock, sleep=clock.sleep)
    run(limiter.acquire())
    limiter.block_for(42.0)
    assert limiter.delay() == pytest.approx(42.0)
    run(limiter.acquire())
    assert clock.slept == [pytest.approx(42.0)]


def test_rate_limit_is_shared_by_successive_runs(tmp_path):
    clock = FakeClock()
    state = tmp_path / "rate.json"
    first = RateLimiter(3, 60.0, clock=clock, sleep=clock.sleep, state_path=state)

    async def three(limiter):
        for _ in range(3):
            await limiter.acquire()

    run(three(first))
    assert clock.slept == []
    clock.now += 10
    second = RateLimiter(3, 60.0, clock=clock, sleep=clock.sleep, state_path=state)  # a new run, same file
    assert second.delay() == pytest.approx(50.0)
    run(second.acquire())
    assert clock.slept == [pytest.approx(50.0)]
    second.block_for(30)
    clock.now += 1
    third = RateLimiter(3, 60.0, clock=clock, sleep=clock.sleep, state_path=state)
    assert third.delay() == pytest.approx(29.0)
    state.write_text("not json")
    assert RateLimiter(3, 60.0, clock=clock, state_path=state).delay() == 0  # damaged state is ignored


def test_a_state_file_that_cannot_be_written_does_not_stop_requests(tmp_path, caplog):
    clock = FakeClock()
    missing = RateLimiter(3, 60.0, clock=clock, sleep=clock.sleep, state_path=tmp_path / "gone" / "rate.json")
    run(missing.acquire())  # its folder does not exist
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "rate.json").mkdir()  # a folder where the file should be
    blocked = RateLimiter(3, 60.0, clock=clock, sleep=clock.sleep, state_path=folder / "rate.json")
    run(blocked.acquire())
    blocked.block_for(5)
    assert len(missing.started) == 1 and len(blocked.started) == 1
    assert "could not keep the PortlandMaps request times" in caplog.text
    assert [p.name for p in folder.iterdir()] == ["rate.json"]  # no temp file left behind


@pytest.mark.parametrize(
    "text, expected",
    [("200/15min", (200, 900.0)), ("10 per 1 s", (10, 1.0)), ("1000/h", (1000, 3600.0)), ("5/30", (5, 30.0))],
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["fast", "0/1min", "10/0min", "10/1 fortnight"])
def test_parse_rate_refuses(text):
    with pytest.raises(UsageError):
        parse_rate(text)


def test_parse_reset_reads_epoch_seconds_milliseconds_and_delays():
    now = 1_800_000_000.0
    assert parse_reset(str(int(now) + 30), now=now) == pytest.approx(30.0)
    assert parse_reset(str(int(now * 1000) + 2500), now=now) == pytest.approx(2.5)
    assert parse_reset("12", now=now) == 12.0
    assert parse_reset(str(int(now) - 5), now=now) == 0.0
    assert parse_reset("soon", now=now) is None and parse_reset(None) is None


@pytest.mark.parametrize("style", ["seconds", "epoch"])
def test_429_with_reset_waits_until_then_and_says_so(fake_portlandmaps, style):
    fake_portlandmaps.apps["portlandmaps"].throttle(1, reset_in=0.4, style=style)
    said: list[tuple[str, float]] = []

    async def go():
        async with client(fake_portlandmaps, on_wait=lambda m, s: said.append((m, s))) as pm:
            started = time.monotonic()
            page = await pm.suggest("alberta", count=3)
            return page, time.monotonic() - started, pm.limiter

    page, elapsed, limiter = run(go())
    assert len(page.candidates) == 3
    statuses = [r.status for r in api_calls(fake_portlandmaps)]
    assert statuses == [429, 200]
    assert said and "rate limit reached" in said[0][0] and "X-Rate-Limit-Reset" in said[0][0]
    limit = 0.4 if style == "seconds" else math.ceil(time.time()) - time.time() + 1.4
    assert 0 < said[0][1] <= limit + 0.1
    assert elapsed >= min(said[0][1], 0.3)
    assert limiter.blocked_until > 0


def test_429_reset_beyond_the_bound_fails_at_once(fake_portlandmaps, tmp_path):
    fake_portlandmaps.apps["portlandmaps"].throttle(5, reset_in=600, style="seconds")

    async def go():
        async with client(fake_portlandmaps, max_reset_wait=30) as pm:
            started = time.monotonic()
            with pytest.raises(PortalError) as err:
                await pm.suggest("alberta")
            return err.value, time.monotonic() - started

    err, elapsed = run(go())
    assert "rate limit reached" in str(err) and "resets in 10 min" in str(err)
    assert TEST_KEY not in str(err)
    assert elapsed < 5 and len(api_calls(fake_portlandmaps)) == 1
    (logged,) = (json.loads(line) for line in (tmp_path / "state" / "requests.jsonl").read_text().splitlines())
    assert (logged["status"], logged["throttled"], logged["attempts"]) == (429, 1, 1)
    assert "resets in 10 min" in logged["error"] and "x-rate-limit-reset" in logged["rate_limits"]


# -- the key stays out of the cache, the logs and the errors -------------------------------------------------------


def test_cache_answers_again_and_never_holds_the_key(fake_portlandmaps, tmp_path):
    folder = tmp_path / "pm-cache"

    async def go(refresh: bool = False):
        store = Store.open(folder)
        try:
            async with client(fake_portlandmaps, store=store, refresh=refresh, state_path=rate_state_path(store)) as pm:
                await pm.suggest("1120 SW 5th Ave")
                await pm.suggest("alberta", count=20, page=2)
                for kind in ("property", "assessor", "zoning", "permit"):
                    await pm.detail(kind, "R246993")
                with pytest.raises(PortalError):
                    await pm.detail("property", "R000000")
                return pm.state.source
        finally:
            store.close()

    run(go())
    first = len(api_calls(fake_portlandmaps))
    assert first == 7
    assert run(go()) == "cache"
    assert len(api_calls(fake_portlandmaps)) == first + 1  # only the error (never cached) was asked again
    run(go(refresh=True))
    assert len(api_calls(fake_portlandmaps)) == 2 * first + 1

    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and sum(p.stat().st_size for p in files) > 0
    needles = [TEST_KEY.encode(), TEST_KEY.encode("utf-16-le")]
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"the key is in {path}"
    assert any(b"1120 SW 5TH AVE" in p.read_bytes() for p in files)  # the answers are there, so the check is real
    assert (folder / "portlandmaps-rate.json").exists()  # so are the limiter's request times


def test_key_never_reaches_the_logs(fake_portlandmaps, caplog):
    caplog.set_level(logging.DEBUG)
    fake_portlandmaps.apps["portlandmaps"].throttle(1, reset_in=0.2, style="seconds")

    async def go():
        async with client(fake_portlandmaps) as pm:
            await pm.suggest("alberta")
            with pytest.raises(PortalError):
                await pm.detail("zoning", "R000000")
        async with client(fake_portlandmaps, key="another-secret-999") as pm:
            with pytest.raises(PortalError):
                await pm.suggest("alberta")

    run(go())
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/suggest/" in text  # httpx logged the requests...
    assert "api_key=[key]" in text  # ...with the key taken out
    assert TEST_KEY not in text and "another-secret-999" not in text


def test_log_file_holds_no_key(fake_portlandmaps, tmp_path, monkeypatch):
    from pdxtui.logs import setup_logging

    monkeypatch.setenv("PDXTUI_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        path = setup_logging(debug=True)

        async def go():
            async with client(fake_portlandmaps) as pm:
                await pm.suggest("alberta")

        run(go())
        for handler in root.handlers:
            handler.flush()
        text = Path(path).read_text()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("pdxtui").setLevel(logging.NOTSET)
    assert "/api/suggest/" in text and TEST_KEY not in text


def test_the_request_log_holds_no_key_but_the_reset_header_and_the_wait(fake_portlandmaps, tmp_path):
    fake_portlandmaps.apps["portlandmaps"].throttle(1, reset_in=0.2, style="seconds")

    async def go():
        async with client(fake_portlandmaps) as pm:
            await pm.suggest("alberta")
            await pm.detail("zoning", "R246993")

    run(go())
    text = (tmp_path / "state" / "requests.jsonl").read_text()
    assert TEST_KEY not in text
    first, again = (json.loads(line) for line in text.splitlines())
    assert "/api/suggest/?" in first["path"] and first["path"].endswith("api_key=[secret]")
    assert (first["status"], first["attempts"], first["throttled"]) == (200, 2, 1)
    assert first["waited"] > 0.1 and "x-rate-limit-reset" in first["rate_limits"]
    assert "/api/detail/?" in again["path"] and "api_key=[secret]" in again["path"] and again["attempts"] == 1
    assert len(api_calls(fake_portlandmaps)) == first["attempts"] + again["attempts"]


# -- settings -------------------------------------------------------------------------------------------------------


def test_settings_from_config_and_environment(tmp_path):
    config_file = tmp_path / "pm.toml"
    config_file.write_text(
        '[portlandmaps]\napi_key = "from-config"\nrate = "50/1min"\nurl = "http://127.0.0.1:9/pm/"\nrat = 3\n'
    )
    cfg = load_config(config_file, env={})
    assert any("portlandmaps.rat" in w and "did you mean 'portlandmaps.rate'" in w for w in cfg.warnings)
    settings = Settings.from_config(cfg, env={})
    assert settings == Settings(api_key="from-config", url="http://127.0.0.1:9/pm", rate=(50, 60.0))
    settings = Settings.from_config(
        cfg, env={"PDXTUI_PORTLANDMAPS_KEY": "from-env", "PDXTUI_PORTLANDMAPS_URL": "http://x"}
    )
    assert settings.api_key == "from-env" and settings.url == "http://x"
    assert Settings.from_config(load_config(tmp_path / "none.toml", env={}), env={}) == Settings()
    config_file.write_text('[portlandmaps]\nrate = "quickly"\n')
    cfg = load_config(config_file, env={})
    assert cfg.portlandmaps.rate == (200, 900.0) and any("portlandmaps.rate" in w for w in cfg.warnings)


def test_open_client_needs_a_key_and_uses_the_cache_folder(fake_portlandmaps, monkeypatch, tmp_path):
    with pytest.raises(MissingKey):
        open_client(load_config())
    monkeypatch.setenv("PDXTUI_PORTLANDMAPS_KEY", TEST_KEY)

    async def go():
        pm = open_client(load_config(), cache_dir=str(tmp_path / "c"))
        try:
            await pm.suggest("water")
            return pm.fetcher.store.path
        finally:
            await pm.aclose()

    assert run(go()) == tmp_path / "c"
    assert os.listdir(tmp_path / "c")


# -- Query.near: open-data rows near an address ----------------------------------------------------------------------

PORTLAND_BUILDING = (45.51494, -122.67919)


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


async def test_bundled_portal_filters_near_a_point(demo_service):
    from pdxtui.errors import PdxError
    from pdxtui.model import Query
    from pdxtui.portals.snapshot.generate import build_frame

    trees = "a494697005da9eea74335a369b0e3689_1415"
    ds = await demo_service.dataset(trees)
    near = (*PORTLAND_BUILDING, 150.0)
    everything = build_frame(trees)
    expected = sum(
        metres(*PORTLAND_BUILDING, lat, lon) <= 150 for lat, lon in zip(everything["Latitude"], everything["Longitude"])
    )
    assert 0 < expected < 1000
    preview = await demo_service.preview(ds, rows=1000, query=Query(near=near))
    assert preview.total == expected == preview.shown == await demo_service.count(ds, Query(near=near))
    assert preview.query.near == near
    assert all(
        metres(*PORTLAND_BUILDING, lat, lon) <= 150
        for lat, lon in zip(preview.frame["Latitude"], preview.frame["Longitude"])
    )
    good = await demo_service.count(ds, Query(where="Condition = Good", near=near))
    assert 0 < good < expected
    hoods = await demo_service.dataset("9f50a605cf4945259b983fa35c993fe9_125")
    with pytest.raises(PdxError, match="no point locations"):
        await demo_service.preview(hoods, query=Query(near=near))


async def test_arcgis_sends_a_distance_filter_and_the_fake_honours_it(fake_arcgis):
    from pdxtui.errors import PdxError
    from pdxtui.model import Query
    from pdxtui.session import open_session
    from tests.support.fakeportal.fixtures import DATASETS

    trees = DATASETS["street_trees"]
    lon0, lat0 = trees.geometries[0][0], trees.geometries[0][1]  # around a known tree, so some rows match
    expected = sorted(i + 1 for i, (lon, lat, *_) in enumerate(trees.geometries) if metres(lat0, lon0, lat, lon) <= 400)
    assert 0 < len(expected) < trees.row_count
    service = open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service()
    try:
        ds = await service.dataset(trees.id)
        fake_arcgis.reset_log()
        preview = await service.preview(ds, rows=2000, query=Query(near=(lat0, lon0, 400.0)))
        assert preview.total == len(expected) == preview.shown
        assert sorted(preview.frame["OBJECTID"].to_list()) == expected
        sent = [r.params for r in fake_arcgis.requests if r.path.endswith("/query")]
        assert sent and all(
            p["geometry"] == f"{lon0:.7f},{lat0:.7f}"
            and p["distance"] == "400"
            and p["units"] == "esriSRUnit_Meter"
            and p["inSR"] == "4326"
            and p["geometryType"] == "esriGeometryPoint"
            for p in sent
        )
        hoods = await service.dataset(DATASETS["council_districts"].id)
        before = len(fake_arcgis.requests)
        with pytest.raises(PdxError, match="no point locations"):
            await service.preview(hoods, query=Query(near=(lat0, lon0, 400.0)))
        assert len(fake_arcgis.requests) == before
    finally:
        await service.aclose()


def test_an_error_object_without_status_is_an_error_and_rates_read_well():
    from pdxtui.portlandmaps import describe_rate, error_message

    assert error_message({"error": {"code": 500, "message": "Error performing query operation"}}) == (
        "Error performing query operation"
    )
    assert error_message({"candidates": [], "error": {"message": "x"}}) is None  # an answer that has candidates
    assert error_message({"status": "success", "candidates": []}) is None
    assert describe_rate(1, 4) == "1 request per 4 s" and describe_rate(200, 900) == "200 requests per 15 min"
