from __future__ import annotations

import os
import pickle
import sqlite3
import stat
import time

import diskcache
import pytest

from pdxtui import cache
from pdxtui.cache import Store, default_cache_dir, key


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "c")
    yield s
    s.close()


def test_put_get_round_trip(store):
    store.put("k", b"\x00body", "application/json")
    e = store.get("k", ttl=60)
    assert e is not None
    assert e.body == b"\x00body"
    assert e.content_type == "application/json"
    assert e.fresh and 0 <= e.age < 5
    assert abs(e.stored_at - time.time()) < 5


def test_large_value_goes_to_a_file_and_comes_back(store):
    body = os.urandom(100_000)  # above diskcache's 32 KB min_file_size
    store.put("big", body)
    assert store.get("big", None).body == body


def test_values_on_disk_are_bytes_never_pickles(tmp_path):
    s = Store.open(tmp_path)
    s.put("k", b"payload", "text/csv")
    s.close()
    con = sqlite3.connect(tmp_path / "cache.db")
    rows = con.execute("SELECT key, raw, mode, value FROM Cache").fetchall()
    con.close()
    assert len(rows) == 1
    k, raw, mode, value = rows[0]
    assert k == "k" and raw == 1
    assert mode == diskcache.core.MODE_RAW
    assert isinstance(value, bytes) and value.endswith(b"payload")
    assert b"\x80" not in value[:2]  # not a pickle stream


def test_store_refuses_non_bytes_and_never_unpickles(tmp_path):
    s = Store.open(tmp_path)
    s.put("k", "text")  # type: ignore[arg-type]  # refused (logged), not stored
    assert s.get("k", None) is None
    # Plant a pickled object behind the Store's back, as a tampered cache would.
    planted = diskcache.Cache(str(tmp_path))
    planted.set("evil", {"x": 1})  # plain Disk pickles this
    planted.close()
    con = sqlite3.connect(tmp_path / "cache.db")
    (mode,) = con.execute("SELECT mode FROM Cache WHERE key='evil'").fetchone()
    con.close()
    assert mode == diskcache.core.MODE_PICKLE
    assert s.get("evil", None) is None  # treated as a miss ...
    assert s.info()["entries"] == 0  # ... and deleted
    s.close()


def test_bytes_disk_refuses_objects(tmp_path):
    c = diskcache.Cache(str(tmp_path), disk=cache._BytesDisk)
    with pytest.raises(TypeError):
        c.set("k", {"a": 1})
    c.set("k", b"ok")
    assert c.get("k") == b"ok"
    c.close()


def test_unframed_bytes_are_a_miss_and_deleted(tmp_path):
    s = Store.open(tmp_path)
    s._cache.set("k", b"not framed")
    assert s.get("k", None) is None
    assert "k" not in s._cache
    s.close()


def test_folder_mode_0700_new_and_existing(tmp_path):
    new = tmp_path / "a" / "b"
    Store.open(new).close()
    assert stat.S_IMODE(new.stat().st_mode) == 0o700
    existing = tmp_path / "open"
    existing.mkdir(mode=0o755)
    os.chmod(existing, 0o755)
    Store.open(existing).close()
    assert stat.S_IMODE(existing.stat().st_mode) == 0o700


def test_location_env_and_explicit(tmp_path, monkeypatch):
    monkeypatch.setenv("PDXTUI_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    s = Store.open()
    assert s.path == tmp_path / "env" and (tmp_path / "env" / "cache.db").exists()
    s.close()
    s = Store.open(tmp_path / "flag")  # --cache-dir wins over the env var
    assert s.path == tmp_path / "flag"
    s.close()
    monkeypatch.delenv("PDXTUI_CACHE_DIR")
    assert default_cache_dir().name == "pdxtui"


def test_key_is_stable_and_strips_secrets():
    base = key("p", "https://h/x", {"b": 2, "a": 1})
    assert base == key("p", "https://h/x", [("a", "1"), ("b", "2")])
    assert base == key("p", "https://h/x", {"a": 1, "b": 2, "token": "s3cret", "App_Token": "t", "API_KEY": "k"})
    assert base == key("p", "https://h/x", {"a": 1, "b": 2, "password": "pw", "key": "k"})
    # secret-looking parameters inside a publisher's own URL tell files apart (only their digest is keyed)
    sheet = "https://docs.example.com/pub?key={}&output=csv"
    assert key("p", sheet.format("AAA")) != key("p", sheet.format("BBB"))
    assert key("p", sheet.format("AAA")) == key("p", sheet.format("AAA"))
    assert "AAA" not in cache.canonical("p", sheet.format("AAA"))
    assert base != key("q", "https://h/x", {"a": 1, "b": 2})
    assert base != key("p", "https://h/x", {"a": 1, "b": 3})
    assert len(base) == 64
    canon = cache.canonical("p", "https://user:pw@h/x?token=zz&q=1", {"api_key": "s3cret"})
    assert "s3cret" not in canon and "zz" not in canon and "pw" not in canon and "q=1" in canon


def test_ttl_fresh_then_stale(store, monkeypatch):
    store.put("k", b"v")
    assert store.get("k", ttl=100).fresh
    assert store.get("k", ttl=None).fresh
    later = time.time() + 200
    monkeypatch.setattr(cache.time, "time", lambda: later)
    e = store.get("k", ttl=100)
    assert e is not None and not e.fresh and e.age >= 199
    assert store.get("k", ttl=0) is not None


def test_info_delete_and_clear(store):
    assert store.info()["entries"] == 0
    assert store.info()["oldest_stored_at"] is None
    before = time.time()
    store.put("a", b"1")
    store.put("b", b"2")
    info = store.info()
    assert info["entries"] == 2 and info["size_bytes"] > 0 and info["enabled"]
    assert info["oldest_stored_at"] >= before - 1
    assert info["path"] == str(store.path) and info["size_limit"] == 1 << 30
    store.delete("a")
    assert store.get("a", None) is None and store.info()["entries"] == 1
    assert store.clear() == 1
    assert store.info()["entries"] == 0


def test_size_limit_is_passed_to_diskcache(tmp_path):
    s = Store.open(tmp_path, size_limit=5_000_000)
    assert s._cache.size_limit == 5_000_000
    s.close()


def test_corrupt_db_gives_disabled_store_with_warning(tmp_path):
    (tmp_path / "cache.db").write_bytes(b"this is not sqlite" * 100)
    s = Store.open(tmp_path)
    assert not s.enabled
    assert "cache.db" in s.warning and "disabled" in s.warning
    s.put("k", b"v")  # no-op, no exception
    assert s.get("k", 10) is None
    assert s.info()["enabled"] is False and s.info()["warning"] == s.warning
    s.delete("k")
    # clear repairs it
    s.clear()
    assert s.enabled and s.warning == ""
    s.put("k", b"v")
    assert s.get("k", None).body == b"v"
    s.close()


def test_unusable_folder_gives_disabled_store(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    s = Store.open(blocker / "sub")
    assert not s.enabled and "cannot use folder" in s.warning
    assert s.get("k", None) is None
    s.put("k", b"v")
    assert s.clear() == 0


def test_trouble_during_get_is_a_miss(store, monkeypatch):
    def boom(*a, **k):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store._cache, "get", boom)
    monkeypatch.setattr(store._cache, "set", boom)
    assert store.get("k", None) is None
    store.put("k", b"v")  # logged, not raised


def test_no_pickle_module_use_on_read(tmp_path, monkeypatch):
    s = Store.open(tmp_path)
    s.put("k", b"v")

    def forbidden(*a, **k):
        raise AssertionError("unpickled!")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    assert s.get("k", None).body == b"v"
    s.close()
