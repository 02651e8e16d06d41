"""The request log below the CLI: what the Fetcher records (statuses, retries, waits, stale answers, rate-limit
headers in every spelling, no secret), the file (rotation keeps it bounded, two writers at once, damaged lines)
and the totals."""

from __future__ import annotations

import json
import os

import pytest
import stamina

from pdxtui import requestlog
from pdxtui.cache import Store
from pdxtui.errors import PortalError
from pdxtui.net import Fetcher, make_client
from pdxtui.netlog import loggable_path
from pdxtui.requestlog import RequestFile, RequestLog, RequestRecord, daily_totals, read_records

try:
    from tests.support.httpstub import Reply, StubServer, json_reply
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from httpstub import Reply, StubServer, json_reply


@pytest.fixture(autouse=True)
def _secrets_kept_to_the_test():
    saved = set(requestlog._secrets)
    yield
    requestlog._secrets.clear()
    requestlog._secrets.update(saved)


@pytest.fixture
def srv():
    with StubServer() as s:
        yield s


@pytest.fixture
async def fetcher(tmp_path):
    store = Store.open(tmp_path / "cache")
    log = RequestLog()
    f = Fetcher("test:portal", client=make_client(2, 2, trust_env=False), store=store, request_log=log)
    yield f, log
    await f.client.aclose()
    store.close()


def record(at: float = 1_790_000_000.0, **kw) -> RequestRecord:
    base = dict(at=at, host="example.org", path="/x", status=200, bytes=100, duration=0.1, source="network")
    return RequestRecord(**{**base, **kw})


async def test_every_spelling_of_rate_limit_headers_is_kept(srv, fetcher):
    f, log = fetcher
    spellings = {
        "/socrata": {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "998"},  # Socrata, ArcGIS
        "/hub": {
            "x-ratelimit-remaining-portal_search_throttler": "9",
            "X-RateLimit-Reset-Portal_Search_Throttler": "1",
        },
        "/pm": {"X-Rate-Limit-Reset": "1796297755", "X-Rate-Limit-Remaining": "0"},  # PortlandMaps
        "/ietf": {"RateLimit-Policy": "100;w=60", "RateLimit-Remaining": "5"},  # the IETF draft
    }
    for path, headers in spellings.items():
        srv.script(path, json_reply({"ok": 1}, headers=headers))
        await f.get_json(srv.url(path))
    kept = [r.rate_limits for r in log.recent()]
    assert kept == [{k.lower(): v for k, v in h.items()} for h in spellings.values()]


async def test_a_429_then_200_is_one_record_with_its_wait_and_the_stale_copy_is_a_cache_hit(srv, fetcher):
    f, log = fetcher
    srv.script("/a", Reply(429, b"slow down", headers={"Retry-After": "0.2"}), json_reply({"n": 1}))
    assert await f.get_json(srv.url("/a"), kind="metadata") == {"n": 1}
    (first,) = log.recent()
    assert (first.status, first.attempts, first.throttled, first.source) == (200, 2, 1, "network")
    assert 0.15 <= first.waited <= first.duration and first.bytes == len(b'{"n": 1}')

    assert await f.get_json(srv.url("/a"), kind="metadata") == {"n": 1}  # fresh in the cache
    srv.script("/a", Reply(503, b"down"))
    with stamina.set_testing(True, attempts=2, cap=True):
        assert await f.get_json(srv.url("/a"), kind="metadata", refresh=True) == {"n": 1}  # the old copy
    _, cached, stale = log.recent()
    assert (cached.source, cached.attempts, cached.status, cached.bytes) == ("cache", 0, None, first.bytes)
    assert (stale.source, stale.attempts, stale.status) == ("stale", 2, 503) and "503" in stale.error
    (day,) = daily_totals(log.recent())
    assert (day.requests, day.network, day.cache_hits, day.attempts, day.throttled, day.errors) == (3, 2, 2, 4, 1, 1)
    assert day.bytes == first.bytes  # bytes received from the network only


async def test_a_failure_is_recorded_with_one_error_line_and_no_token(srv, tmp_path):
    token = "s3cretTOKENvalue42"
    log = RequestLog()
    f = Fetcher("t", client=make_client(2, 2, trust_env=False), token=token, request_log=log)
    srv.script("/bad", json_reply({"error": {"code": 400, "message": f"bad\ntoken {token}"}}, status=400))
    try:
        with pytest.raises(PortalError):
            await f.get_json(srv.url("/bad"), {"token": token, "q": "x"})
    finally:
        await f.client.aclose()
    (r,) = log.recent()
    assert r.status == 400 and r.attempts == 1 and "answered 400" in r.error and "\n" not in r.error
    assert token not in json.dumps(r.to_json()) and r.path == "/bad?token=[secret]&q=x"


def test_loggable_path_removes_secrets_by_name_and_by_value():
    requestlog.add_secrets(["Bearer abcdefgh12345678", "pm-key-0042"])
    assert (
        loggable_path("https://h/api/?x=1", {"api_key": "pm-key-0042", "q": "a b"})
        == "/api/?x=1&api_key=[secret]&q=a+b"
    )
    assert loggable_path("https://h/r.json?$$app_token=zz&$where=a>1") == "/r.json?$$app_token=[secret]&$where=a%3E1"
    assert "abcdefgh12345678" not in loggable_path("https://h/p", {"note": "token abcdefgh12345678 echoed"})
    assert "pm-key-0042" not in loggable_path("https://h/p", {"q": "pm-key-0042"})
    requestlog.add_secrets(["secret"])  # a token that is a word of the mark itself
    assert loggable_path("https://h/p?token=a&q=my+secret") == "/p?token=[secret]&q=my+[secret]"
    long = loggable_path("https://h/p", {"where": "x" * 5000})
    assert len(long) == requestlog.MAX_PATH and long.endswith("\u2026")


def test_rotation_keeps_the_log_bounded_and_the_newest_records(tmp_path):
    path = tmp_path / requestlog.FILE_NAME
    sink = RequestFile(path, max_bytes=2000)
    for n in range(400):
        assert sink.write(record(at=1_790_000_000.0 + n, bytes=n))
    sink.close()
    files = requestlog.log_files(path)
    assert len(files) == requestlog.KEEP + 1 and files[-1] == path
    assert all(p.stat().st_size <= 2000 for p in files)
    reading = read_records(path=path)
    assert reading.damaged == 0 and reading.records[-1].bytes == 399  # the newest kept, the oldest dropped
    assert [r.bytes for r in reading.records] == list(range(400 - len(reading.records), 400))


def test_two_writers_at_once_write_whole_lines(tmp_path):
    """Two pdxtui processes append to one file, each with its own handle (and each may rotate it)."""
    path = tmp_path / requestlog.FILE_NAME
    one, two = RequestFile(path, max_bytes=5000), RequestFile(path, max_bytes=5000)
    for n in range(100):
        (one if n % 2 else two).write(record(at=1_790_000_000.0 + n, bytes=n))
    reading = read_records(path=path)
    assert reading.damaged == 0
    assert sorted(r.bytes for r in reading.records)[-10:] == list(range(90, 100))
    assert len({r.bytes for r in reading.records}) == len(reading.records)  # nothing written twice


def test_a_log_that_cannot_be_written_is_logged_once_and_never_raises(tmp_path, caplog):
    (tmp_path / "file").write_text("x")
    log = RequestLog(sink=RequestFile(tmp_path / "file" / requestlog.FILE_NAME))
    for _ in range(3):
        log.add(record())
    assert len(log.recent()) == 3
    assert [r.message for r in caplog.records].count(
        next(r.message for r in caplog.records if "not being recorded" in r.message)
    ) == 1


def test_a_write_that_failed_is_tried_again_later(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "state"
    folder.write_text("a file for now")
    sink = RequestFile(folder / requestlog.FILE_NAME)
    assert not sink.write(record()) and "could not write" in sink.problem
    folder.unlink()  # room again
    assert not sink.write(record())  # not tried at every request
    monkeypatch.setattr(requestlog, "RETRY_WRITE", 0.0)
    assert sink.write(record()) and sink.problem == ""  # tried again: the folder is made now
    assert len(read_records(path=folder / requestlog.FILE_NAME).records) == 1
    assert sum("not being recorded" in r.message for r in caplog.records) == 1


def test_a_host_is_shown_on_one_line():
    table = requestlog.usage_table(daily_totals([record(host="evil\x1b[2J\nhost")]))
    assert len(table) == 3 and "\x1b" not in "".join(table) and "\n" not in "".join(table)


def test_damaged_and_foreign_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / requestlog.FILE_NAME
    RequestFile(path).write(record())
    with open(path, "ab") as f:
        f.write(b"\xff\xfe\n{}\nnull\n" + json.dumps({**record().to_json(), "at": float("nan")}).encode() + b"\n")
        f.write(json.dumps({**record().to_json(), "new_field": 1}).encode() + b"\n")  # a newer pdxtui's: read
    reading = read_records(path=path)
    assert (len(reading.records), reading.damaged, reading.problem) == (2, 4, "")
    path.unlink()
    path.mkdir()  # there, but not a file that can be read (chmod would not stop root)
    assert "could not read" in read_records(path=path).problem


async def test_a_request_pdxtui_gives_up_on_is_recorded_but_is_no_error(srv, fetcher):
    import asyncio

    f, log = fetcher
    srv.script("/slow", Reply(200, b"{}", delay=2.0))
    task = asyncio.ensure_future(f.get_json(srv.url("/slow")))
    while not srv.requests:  # it went out
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (r,) = log.recent()
    assert (r.error, r.attempts, r.status) == (requestlog.CANCELLED, 1, None)
    assert daily_totals([r])[0].errors == 0


async def test_a_request_held_back_by_anothers_429_counts_the_wait(srv, fetcher):
    import asyncio

    f, log = fetcher
    srv.script("/a", Reply(429, b"", headers={"Retry-After": "0.4"}), json_reply({"a": 1}))
    srv.script("/b", json_reply({"b": 1}))
    first = asyncio.ensure_future(f.get_json(srv.url("/a")))
    while not srv.requests:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the 429 is read: the host is held
    assert await f.get_json(srv.url("/b")) == {"b": 1}
    await first
    held = next(r for r in log.recent() if r.path == "/b")
    assert held.attempts == 1 and held.throttled == 0 and held.waited >= 0.2  # it waited out the hold on the host


def test_a_line_with_a_time_no_clock_gives_is_damage_not_a_crash(tmp_path, capsys, monkeypatch):
    """(second review) ``"at": 1e20`` or ``Infinity`` made ``pdxtui log`` end in an OverflowError from gmtime."""
    from pdxtui.cli import main

    monkeypatch.setenv("PDXTUI_STATE_DIR", str(tmp_path))
    path = tmp_path / requestlog.FILE_NAME
    RequestFile(path).write(record())
    with open(path, "ab") as f:
        for at in (1e20, float("inf"), -5.0):
            f.write(json.dumps({**record().to_json(), "at": at}).encode() + b"\n")
    assert read_records(path=path).damaged == 3
    assert main(["log", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["requests"] == 1 and "skipped 3 damaged lines" in err


def test_a_secret_that_urlencode_would_spell_differently_is_removed():
    """(second review) A secret holding "/" and "+" was re-encoded as "abc/def%2Bghi:jk", matching none of its forms."""
    requestlog.add_secrets(["abc/def+ghi:jk"])
    text = loggable_path("https://h/x", {"where": "NAME = 'abc/def+ghi:jk'"})
    assert "abc" not in text and "ghi" not in text and requestlog.SECRET in text


def test_a_log_file_deleted_or_rotated_away_by_another_process_is_opened_again(tmp_path):
    """(second review) The kept handle wrote on into a deleted file: the records were lost without a word."""
    path = tmp_path / requestlog.FILE_NAME
    sink = RequestFile(path)
    assert sink.write(record(bytes=1))
    path.unlink()
    assert sink.write(record(bytes=2))
    os.replace(path, tmp_path / "elsewhere.jsonl")  # as another process's rotation would
    assert sink.write(record(bytes=3))
    assert [r.bytes for r in read_records(path=path).records] == [3]
    assert [r.bytes for r in read_records(path=tmp_path / "elsewhere.jsonl").records] == [2]
