from __future__ import annotations

import asyncio
import email.utils
import ssl
import time

import pytest
import stamina

from pdxtui import __version__
from pdxtui.cache import Store, key
from pdxtui.errors import PortalError
from pdxtui.net import Fetcher, HTTPStatusError, make_client, parse_retry_after, server_message

try:
    from tests.support.httpstub import Reply, StubServer, json_reply, refused_url
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from httpstub import Reply, StubServer, json_reply, refused_url


_SSL = ssl.create_default_context()  # built once: loading CA certs costs ~50 ms per client


def client(**kw):
    """A loopback test client: no proxies from the environment, shared SSL context."""
    kw.setdefault("timeout_connect", 2)
    kw.setdefault("timeout_read", 2)
    return make_client(trust_env=False, verify=_SSL, **kw)


@pytest.fixture
def srv():
    with StubServer() as s:
        yield s


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "cache")
    yield s
    s.close()


@pytest.fixture
def fast():
    """stamina test mode: no real sleeping, our own attempt counts kept (cap)."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
async def make(store):
    made: list[Fetcher] = []

    def factory(**kw) -> Fetcher:
        kw.setdefault("store", store)
        if "client" not in kw:
            kw["client"] = client()
        f = Fetcher("test", **kw)
        made.append(f)
        return f

    yield factory
    for f in made:
        await f.client.aclose()


def waits_recorder():
    seen: list[tuple[str, float]] = []
    return seen, lambda msg, s: seen.append((msg, s))


async def test_user_agent_and_json(srv, make):
    srv.script("/a", json_reply({"x": 1}))
    f = make()
    assert await f.get_json(srv.url("/a"), {"q": "1"}) == {"x": 1}
    seen = srv.requests[0]
    assert seen.headers["User-Agent"] == f"pdxtui/{__version__} (+terminal open-data browser)"
    assert seen.query == {"q": "1"}
    assert f.state.source == "network"


async def test_cache_hit_saves_a_request(srv, make):
    srv.script("/a", json_reply({"n": 1}))
    f = make()
    r1 = await f.get_bytes(srv.url("/a"), {"p": 1}, kind="metadata")
    r2 = await f.get_bytes(srv.url("/a"), {"p": 1}, kind="metadata")
    assert srv.count("/a") == 1
    assert not r1.from_cache and r1.status == 200
    assert r2.from_cache and not r2.stale and r2.body == r1.body and r2.age is not None
    assert r2.content_type == "application/json"
    assert f.state.source == "cache"
    # refresh skips the cache read but still writes
    srv.script("/a", json_reply({"n": 2}))
    r3 = await f.get_json(srv.url("/a"), {"p": 1}, kind="metadata", refresh=True)
    assert r3 == {"n": 2} and srv.count("/a") == 2 and f.state.source == "network"
    assert await f.get_json(srv.url("/a"), {"p": 1}, kind="metadata") == {"n": 2}
    assert srv.count("/a") == 2


async def test_ttl_expired_entry_is_refetched(srv, make):
    srv.script("/a", json_reply({"n": 1}))
    f = make(ttl={"rows": 0})
    await f.get_json(srv.url("/a"))
    await f.get_json(srv.url("/a"))
    assert srv.count("/a") == 2


async def test_429_retry_after_is_honoured(srv, make, fast):
    srv.script("/a", Reply(429, "slow down", headers={"Retry-After": "7"}), json_reply({"ok": True}))
    seen, on_wait = waits_recorder()
    f = make(on_wait=on_wait)
    assert await f.get_json(srv.url("/a")) == {"ok": True}
    assert srv.count("/a") == 2
    assert len(seen) == 1
    msg, seconds = seen[0]
    assert seconds == 7
    assert msg == "127.0.0.1 answered 429 Too Many Requests; retrying in 7 s (attempt 2 of 5)"


async def test_retry_after_http_date_and_cap(srv, make, fast):
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    srv.script(
        "/a", Reply(503, headers={"Retry-After": soon}), Reply(429, headers={"Retry-After": "3600"}), json_reply(1)
    )
    seen, on_wait = waits_recorder()
    f = make(on_wait=on_wait, max_wait=60)
    assert await f.get_json(srv.url("/a")) == 1
    assert 27 <= seen[0][1] <= 30
    assert seen[1][1] == 60  # capped at max_wait
    assert "503 Service Unavailable" in seen[0][0] and "attempt 2 of 5" in seen[0][0]
    assert "attempt 3 of 5" in seen[1][0]


async def test_retry_after_really_sleeps(srv, make):
    """Outside stamina's test mode, the Retry-After value is what stamina actually waits."""
    srv.script("/a", Reply(503, headers={"Retry-After": "1"}), json_reply(1))
    f = make()
    start = time.monotonic()
    assert await f.get_json(srv.url("/a")) == 1
    assert time.monotonic() - start >= 0.95


async def test_503_retried_then_success(srv, make, fast):
    srv.script("/a", Reply(503), Reply(502), Reply(504), json_reply([1, 2]))
    seen, on_wait = waits_recorder()
    f = make(on_wait=on_wait)
    assert await f.get_json(srv.url("/a")) == [1, 2]
    assert srv.count("/a") == 4
    assert [m.split(";")[0] for m, _ in seen] == [
        "127.0.0.1 answered 503 Service Unavailable",
        "127.0.0.1 answered 502 Bad Gateway",
        "127.0.0.1 answered 504 Gateway Timeout",
    ]
    assert "retrying in about" in seen[0][0]


async def test_retries_exhausted(srv, make, fast):
    srv.script("/a", Reply(503))
    f = make(attempts=3)
    with pytest.raises(PortalError) as info:
        await f.get_json(srv.url("/a"))
    assert srv.count("/a") == 3
    assert str(info.value) == "127.0.0.1 answered 503 Service Unavailable (gave up after 3 attempts)"
    assert info.value.portal == "test" and not info.value.offline


async def test_other_4xx_fails_at_once_with_server_message(srv, make, fast):
    srv.script("/a", json_reply({"error": True, "message": "Unknown column 'foo'"}, status=400))
    f = make()
    with pytest.raises(HTTPStatusError) as info:
        await f.get_json(srv.url("/a"))
    assert srv.count("/a") == 1
    assert info.value.status == 400
    assert str(info.value) == "127.0.0.1 answered 400 Bad Request: Unknown column 'foo'"


async def test_bad_url_is_a_portal_error(make):
    f = make()
    with pytest.raises(PortalError, match=r"ftp.example") as info:
        await f.get_bytes("ftp://ftp.example/x")
    assert not info.value.offline
    with pytest.raises(PortalError):
        await f.get_bytes("http://[::1/x")


async def test_404_is_a_status_error(srv, make):
    f = make()
    with pytest.raises(HTTPStatusError) as info:
        await f.get_bytes(srv.url("/nowhere"))
    assert info.value.status == 404 and "no such path" in str(info.value)


async def test_500_not_retried(srv, make, fast):
    srv.script("/a", Reply(500, "boom"))
    f = make()
    with pytest.raises(PortalError, match="500 Internal Server Error: boom"):
        await f.get_bytes(srv.url("/a"))
    assert srv.count("/a") == 1


async def test_connection_refused_is_offline(make, fast):
    seen, on_wait = waits_recorder()
    f = make(on_wait=on_wait)
    with pytest.raises(PortalError) as info:
        await f.get_json(refused_url("/a"))
    assert info.value.offline
    assert str(info.value).startswith("could not connect to 127.0.0.1")
    assert "gave up after 2 attempts" in str(info.value)
    assert len(seen) == 1 and "attempt 2 of 2" in seen[0][0]


async def test_timeout_is_offline(srv, make, fast):
    srv.script("/a", Reply(200, b"late", delay=0.4))
    f = make(client=client(timeout_read=0.1), attempts=2)
    with pytest.raises(PortalError) as info:
        await f.get_bytes(srv.url("/a"))
    assert info.value.offline
    assert "127.0.0.1 timed out" in str(info.value)


async def test_stale_entry_served_when_server_down(srv, make, store, fast):
    srv.script("/a", json_reply({"v": 1}))
    url = srv.url("/a")
    f = make(ttl={"rows": 0})  # everything is stale at once
    assert await f.get_json(url) == {"v": 1}
    srv.script("/a", Reply(503))
    r = await f.get_bytes(url)
    assert r.stale and r.from_cache and r.age is not None
    assert f.state.source == "stale"
    assert f.state.age_seconds is not None
    assert "503" in f.state.reason
    assert await f.get_json(url, refresh=True) == {"v": 1}  # a failed refresh still falls back
    assert f.state.source == "stale"


async def test_stale_served_when_connection_refused(store, make, fast):
    url = refused_url("/a")
    store.put(key("test", url, {"x": "1"}), b'{"old": true}', "application/json")
    f = make(ttl={"rows": 0})
    assert await f.get_json(url, {"x": "1"}) == {"old": True}
    assert f.state.source == "stale" and "could not connect" in f.state.reason


async def test_no_stale_for_4xx(srv, make, store):
    url = srv.url("/a")
    store.put(key("test", url, None), b"[]", "application/json")
    srv.script("/a", Reply(403, "forbidden"))
    f = make(ttl={"rows": 0})
    with pytest.raises(HTTPStatusError):
        await f.get_json(url)


async def test_200_with_error_is_rejected_and_not_cached(srv, make, store):
    err = {"error": {"code": 400, "message": "Cannot perform query.", "details": ["'where' parameter is invalid"]}}
    srv.script("/q", json_reply(err), json_reply({"features": []}))

    def arcgis_ok(data):
        return server_message_of(data)

    f = make()
    with pytest.raises(PortalError) as info:
        await f.get_json(srv.url("/q"), validate=arcgis_ok)
    assert "Cannot perform query" in str(info.value) and "127.0.0.1" in str(info.value)
    assert store.info()["entries"] == 0
    assert await f.get_json(srv.url("/q"), validate=arcgis_ok) == {"features": []}
    assert store.info()["entries"] == 1


def server_message_of(data):
    return data["error"]["message"] if isinstance(data, dict) and "error" in data else None


async def test_validate_on_bytes(srv, make, store):
    srv.script("/b", Reply(200, b"ERROR"))
    f = make()
    with pytest.raises(PortalError, match="bad body"):
        await f.get_bytes(srv.url("/b"), validate=lambda b: "bad body" if b == b"ERROR" else None)
    assert store.info()["entries"] == 0


async def test_invalid_json(srv, make, store):
    srv.script("/a", Reply(200, b'{"x": ', content_type="application/json"))
    f = make()
    with pytest.raises(PortalError) as info:
        await f.get_json(srv.url("/a"))
    assert "127.0.0.1" in str(info.value) and "not valid JSON" in str(info.value)
    assert store.info()["entries"] == 0


async def test_html_instead_of_json(srv, make):
    srv.script("/a", Reply(200, "<html><body>Maintenance</body></html>", content_type="text/html"))
    f = make()
    with pytest.raises(PortalError, match="web page"):
        await f.get_json(srv.url("/a"))


async def test_token_in_header_only(srv, make, store):
    token = "s3cr3t-tok"
    srv.script("/a", json_reply({"ok": 1}))
    srv.script("/bad", json_reply({"message": f"token {token} is not valid"}, status=403))
    f = make(token=token)
    await f.get_json(srv.url("/a"), {"q": "x"})
    seen = srv.requests[0]
    assert seen.headers["X-App-Token"] == token
    assert token not in str(seen.query)
    # the cache key ignores the token, so a fetcher without it shares the entry
    assert store.get(key("test", srv.url("/a"), {"q": "x"}), None) is not None
    with pytest.raises(PortalError) as info:
        await f.get_json(srv.url("/bad"))
    assert token not in str(info.value) and "[token]" in str(info.value)


async def test_token_header_name_configurable(srv, make):
    srv.script("/a", json_reply(1))
    f = make(token="t", token_header="X-Api-Key")
    await f.get_json(srv.url("/a"))
    assert srv.requests[0].headers["X-Api-Key"] == "t"
    assert "X-App-Token" not in srv.requests[0].headers


async def test_token_not_sent_to_other_host_on_redirect(make):
    with StubServer() as a, StubServer() as b:
        b.script("/data", json_reply({"from": "b"}))
        # "localhost" vs "127.0.0.1": same machine, different host
        a.script("/r", Reply(302, headers={"Location": f"http://localhost:{b.port}/data"}))
        a.script("/same", Reply(302, headers={"Location": "/r2"}))
        a.script("/r2", json_reply({"from": "a"}))
        f = make(token="tok")
        assert await f.get_json(a.url("/same")) == {"from": "a"}
        assert a.requests[-1].headers.get("X-App-Token") == "tok"
        assert await f.get_json(a.url("/r")) == {"from": "b"}
        assert "X-App-Token" not in b.requests[-1].headers


async def test_too_many_redirects(srv, make):
    srv.script("/loop", Reply(302, headers={"Location": "/loop"}))
    f = make()
    with pytest.raises(PortalError, match="redirected more than 5 times"):
        await f.get_bytes(srv.url("/loop"))


async def test_size_guard(srv, make, store):
    srv.script("/big", Reply(200, b"x" * 5000))
    f = make(max_bytes=1000)
    with pytest.raises(PortalError, match="stopped reading"):
        await f.get_bytes(srv.url("/big"))
    assert store.info()["entries"] == 0
    f2 = make(max_bytes=5000)
    assert len((await f2.get_bytes(srv.url("/big"))).body) == 5000


async def test_concurrency_limit_per_host(srv, make):
    srv.script("/slow", Reply(200, b"ok", delay=0.1))
    f = make(max_per_host=2, store=Store.disabled())
    start = time.monotonic()
    await asyncio.gather(*(f.get_bytes(srv.url("/slow"), {"i": i}) for i in range(4)))
    elapsed = time.monotonic() - start
    assert srv.count("/slow") == 4
    assert elapsed >= 0.19  # two waves of two


async def test_a_429_holds_every_request_to_its_host_until_retry_after(srv, make):
    """Pages run several at a time: when the host says 429 with Retry-After, the requests behind the refused one
    wait too rather than go out (and be refused) at once. Not stamina's test mode: the waits are real (short)."""
    srv.script("/a", Reply(429, headers={"Retry-After": "1"}), json_reply("a"))
    srv.script("/b", json_reply("b"))
    srv.script("/c", json_reply("c"))
    refused = asyncio.Event()
    f = make(max_per_host=2, on_wait=lambda message, seconds: refused.set())
    first = asyncio.create_task(f.get_json(srv.url("/a")))
    await asyncio.wait_for(refused.wait(), 5)
    later = asyncio.create_task(f.get_json(srv.url("/b")))
    await asyncio.sleep(0.3)
    assert srv.count("/b") == 0  # held: the host asked for 1 s
    other = make(max_per_host=2)  # another fetcher (another portal) is not held by this one's 429
    assert await other.get_json(srv.url("/c")) == "c"
    assert await first == "a" and await later == "b"
    assert srv.count("/a") == 2 and srv.count("/b") == 1


async def test_cancel_during_request_and_during_backoff(srv, make):
    srv.script("/slow", Reply(200, b"x", delay=0.5))
    srv.script("/wait", Reply(503, headers={"Retry-After": "30"}))
    f = make()
    for path in ("/slow", "/wait"):
        task = asyncio.create_task(f.get_bytes(srv.url(path)))
        for _ in range(500):  # until the server has the request (a loaded machine can take longer than 0.1 s)
            if srv.count(path):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # /slow: mid-answer; /wait: in the 30 s backoff
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert srv.count("/wait") == 1


async def test_on_wait_errors_do_not_break_fetch(srv, make, fast):
    srv.script("/a", Reply(503), json_reply(1))

    def broken(msg, s):
        raise RuntimeError("ui gone")

    f = make(on_wait=broken)
    assert await f.get_json(srv.url("/a")) == 1


async def test_damaged_fresh_entry_is_refetched(srv, make, store):
    url = srv.url("/a")
    store.put(key("test", url, None), b"not json", "application/json")
    srv.script("/a", json_reply({"good": 1}))
    f = make()
    assert await f.get_json(url) == {"good": 1}
    assert f.state.source == "network"


async def test_own_client_closed(srv):
    f = Fetcher("x")
    assert f.client.headers["User-Agent"].startswith("pdxtui/")
    assert f.client.follow_redirects and f.client.max_redirects == 5
    await f.aclose()
    assert f.client.is_closed


async def test_an_answer_from_the_cache_makes_no_client(srv, store):
    """A fetcher makes its client (with its factory) on the first request that goes to the network: a fresh cache
    entry needs none, and closing a fetcher that made none makes none."""
    srv.script("/a", json_reply({"n": 1}))
    made = []

    def factory():
        made.append(client())
        return made[-1]

    f = Fetcher("test", store=store, client_factory=factory)
    assert await f.get_json(srv.url("/a"), kind="metadata") == {"n": 1}
    assert len(made) == 1 and f.client is made[0]
    g = Fetcher("test", store=store, client_factory=factory)  # the same cache, a new run
    assert await g.get_json(srv.url("/a"), kind="metadata") == {"n": 1} and g.state.source == "cache"
    await g.aclose()
    await g.close_client()
    assert len(made) == 1 and srv.count("/a") == 1
    await f.aclose()
    assert made[0].is_closed  # a client the fetcher made is its own to close


def test_a_warm_start_imports_no_http_library(tmp_path):
    """Reading a fresh cache entry through a session's fetcher imports neither httpx nor stamina (importing httpx
    and making its client cost more than the rest of a warm start of the browser)."""
    import subprocess
    import sys

    code = f"""
import asyncio, sys
from pdxtui.cache import Store, key
from pdxtui.session import open_session
session = open_session(portal="arcgis:http://127.0.0.1:9/hub", cache_dir={str(tmp_path)!r})
store = Store.open({str(tmp_path)!r})
store.put(key("arcgis:http://127.0.0.1:9/hub", "http://127.0.0.1:9/x", None), b'{{"n": 1}}', "application/json")
store.close()
async def main():
    fetcher = session.fetcher()
    print(await fetcher.get_json("http://127.0.0.1:9/x", kind="metadata"), fetcher.state.source)
    print("httpx" in sys.modules, "stamina" in sys.modules)
    await fetcher.aclose()
    await fetcher.close_client()
    fetcher.store.close()
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split("\n")[:2] == ["{'n': 1} cache", "False False"], out.stdout + out.stderr


def test_parse_retry_after():
    now = time.time()
    assert parse_retry_after("5") == 5
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    date = email.utils.formatdate(now + 10, usegmt=True)
    assert 8 <= parse_retry_after(date, now=now) <= 10
    assert parse_retry_after(email.utils.formatdate(now - 100, usegmt=True)) == 0


def test_server_message_shapes():
    assert server_message(b'{"error": true, "message": "bad"}') == "bad"
    assert server_message(b'{"code": "x", "message": "nope"}') == "nope"
    assert server_message(b'{"error": {"message": "m", "details": ["d1"]}}') == "m (d1)"
    ckan = b'{"success": false, "error": {"__type": "Not Found Error", "message": "Not found"}}'
    assert server_message(ckan) == "Not found"
    assert server_message(b"<html>x</html>") == ""
    assert server_message(b"plain\ntext") == "plain text"


async def test_each_task_hears_its_own_answers(srv, make, store, fast):
    """A stale copy served to one task is not heard by another sharing the fetcher (whose ``state`` is the last
    answer's, whoever asked): ``netlog.answers`` collects a task's own (and its child tasks')."""
    import asyncio

    from pdxtui.netlog import answers

    srv.script("/old", json_reply({"v": 1}))
    srv.script("/new", json_reply({"v": 2}))
    f = make(ttl={"rows": 0})
    await f.get_json(srv.url("/old"))
    srv.script("/old", Reply(503))

    async def read(path: str):
        with answers() as heard:
            await asyncio.gather(f.get_json(srv.url(path)))  # in a child task, as paging does
        return heard

    fresh, old = await asyncio.gather(read("/new"), read("/old"))
    assert fresh.sources == {"network"} and not fresh.stale
    assert old.sources == {"stale"} and old.stale
