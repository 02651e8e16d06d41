"""State on disk: a corrupt, truncated or unusable cache; a broken config file; an export killed at random points;
and the log file (rotating, in the log folder, never on the terminal; ``--debug``)."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pdxtui.cache import Store
from pdxtui.cli import main
from tests.support.fakeportal.fixtures import DATASETS

ROOT = Path(__file__).resolve().parents[2]
STREET_TREES = "a494697005da9eea74335a369b0e3689_1415"  # the bundled 252,184-row layer
STREET_TREES_ROWS = 252_184


def _filled(folder: Path, n: int = 300) -> None:
    store = Store.open(folder)
    for i in range(n):
        store.put(f"k{i}", os.urandom(3000))
    store.close()


def _damage(db: Path, how: str) -> None:
    if how == "garbage":
        db.write_bytes(b"this is not sqlite " * 500)
    elif how == "truncated":
        size = db.stat().st_size
        with open(db, "r+b") as handle:
            handle.truncate(size // 2)
    elif how == "scribbled":  # the header survives, pages after it do not
        with open(db, "r+b") as handle:
            handle.seek(4096)
            handle.write(os.urandom(db.stat().st_size - 8192))
    elif how == "directory":
        db.unlink()
        db.mkdir()
    elif how == "empty":
        db.write_bytes(b"")


# --- the cache ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["garbage", "truncated", "scribbled", "directory", "empty"])
def test_a_damaged_cache_never_raises(tmp_path, how):
    _filled(tmp_path)
    _damage(tmp_path / "cache.db", how)
    store = Store.open(tmp_path)
    for i in range(0, 300, 7):  # reads: misses, never exceptions
        entry = store.get(f"k{i}", None)
        assert entry is None or len(entry.body) == 3000
    store.put("new", b"value")
    got = store.get("new", None)
    if store.enabled:  # still (or again) usable: what is written reads back
        assert got is not None and got.body == b"value"
    else:  # turned off, and says why
        assert got is None
        assert "cache disabled" in store.warning and str(tmp_path) in store.warning
    assert how != "garbage" or not store.enabled  # garbage is always caught when the database opens
    assert how != "empty" or store.enabled  # an empty file is just a new database
    store.info()
    store.close()


def test_damage_found_after_opening_turns_the_cache_off_with_a_warning(tmp_path):
    _filled(tmp_path, 50)
    store = Store.open(tmp_path)
    assert store.enabled
    original = store._cache.get

    def corrupt(*args, **kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed")

    store._cache.get = corrupt
    assert store.get("k1", None) is None
    assert not store.enabled and "is unreadable" in store.warning and "cache clear" in store.warning
    store.put("k", b"v")  # a no-op now: no exception, no retries against a broken database
    assert store.get("k", None) is None
    del original


def test_a_folder_that_stops_being_writable_turns_the_cache_off(tmp_path):
    store = Store.open(tmp_path)

    def readonly(*args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    store._cache.set = readonly
    store.put("k", b"v")
    assert not store.enabled and "cannot write to" in store.warning and "--cache-dir" in store.warning


def test_a_folder_that_cannot_be_written(tmp_path):
    """A real permission refusal: a read-only folder (as a normal user), or sysfs (as root, who ignores modes)."""
    if os.geteuid() != 0:
        folder = tmp_path / "readonly"
        folder.mkdir()
        folder.chmod(0o500)
        target = folder / "cache"
    elif Path("/sys/kernel").is_dir():
        target = Path("/sys/pdxtui-test-cache")
    else:
        pytest.skip("running as root without sysfs: no folder refuses writes")
    store = Store.open(target)
    assert not store.enabled and "cache disabled: cannot use folder" in store.warning
    store.put("k", b"v")
    assert store.get("k", None) is None and store.clear() == 0
    assert not target.exists()


def test_a_locked_database_is_only_a_miss(tmp_path):
    store = Store.open(tmp_path)

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    store._cache.get = locked
    assert store.get("k", None) is None
    assert store.enabled and store.warning == ""
    store.close()


@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_cli_runs_without_the_cache_and_warns(tmp_path, capsys, fake_arcgis, how):
    cache = tmp_path / "cache"
    _filled(cache)
    _damage(cache / "cache.db", how)
    code = main(["--portal", f"arcgis:{fake_arcgis.url}/hub", "search", "--json", "--limit", "3"])
    out, err = capsys.readouterr()
    assert code == 0 and len(json.loads(out)) == 3
    assert "pdxtui: warning: cache disabled" in err and "cache clear" in err
    assert main(["--portal", f"arcgis:{fake_arcgis.url}/hub", "cache", "clear"]) == 0  # the repair
    capsys.readouterr()
    assert main(["--portal", f"arcgis:{fake_arcgis.url}/hub", "search", "--json", "--limit", "3"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert Store.open(cache).info()["entries"] >= 1  # cached again


def test_cache_folder_that_is_a_file(tmp_path, capsys, fake_arcgis):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    code = main(["--portal", f"arcgis:{fake_arcgis.url}/hub", "--cache-dir", str(blocker), "search", "--limit", "2"])
    out, err = capsys.readouterr()
    assert code == 0 and out
    assert "cache disabled: cannot use folder" in err


async def test_tui_runs_without_the_cache_and_shows_the_warning(tmp_path, fake_arcgis):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from tests.support.uihelpers import settle, wait_for

    cache = tmp_path / "cache"
    _filled(cache)
    _damage(cache / "cache.db", "garbage")
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#catalog").hits  # the catalog came from the portal
        await wait_for(pilot, lambda: any(n.severity == "warning" for n in app._notifications))
        warning = next(n.message for n in app._notifications if n.severity == "warning")
        assert "cache disabled" in warning and "cache.db" in warning
        app.screen.open_dataset(DATASETS["heritage_trees"].id)
        await settle(pilot)
        assert app.screen.dataset is not None and app.is_running


# --- the config file ----------------------------------------------------------------------------------------------


def test_config_syntax_error_exits_2_with_the_line_and_a_hint(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('default_portal = "demo"\n\n[net]\nread_timeout = thirty\n', encoding="utf-8")
    code = main(["--config", str(config), "search", "tree"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert f"{config}:4:" in err and "syntax error" in err and "double quotes" in err
    assert err.count("\n") == 1


def test_config_unknown_keys_warn_with_the_line_and_a_close_match(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(
        'default_portal = "demo"\n\n[nett]\nread_timeout = 3\n\n[cache]\nsize_limt = 10\n', encoding="utf-8"
    )
    code = main(["--config", str(config), "search", "tree"])
    out, err = capsys.readouterr()
    assert code == 0 and "Street Tree" in out
    assert f"{config}:3: unknown key 'nett' ignored; did you mean 'net'?" in err
    assert f"{config}:7: unknown key 'cache.size_limt' ignored; did you mean 'cache.size_limit'?" in err


async def test_tui_shows_config_warnings(tmp_path):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from tests.support.uihelpers import settle

    config = tmp_path / "config.toml"
    config.write_text('default_portal = "demo"\n[requester]\nnmae = "Ada"\n', encoding="utf-8")
    app = PdxApp(session=open_session(config_path=str(config)))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any(":3: unknown key 'requester.nmae'" in w and "'requester.name'" in w for w in warnings), warnings


# --- a killed export -------------------------------------------------------------------------------------------


def _export(target: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pdxtui", "--portal", "demo", "export", STREET_TREES, "-o", str(target), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(target: Path) -> int:
    if target.suffix == ".parquet":
        return pl.read_parquet(target).height
    if target.suffix == ".ndjson":
        return pl.read_ndjson(target).height
    return pl.read_csv(target).height


@pytest.mark.parametrize("name", ["out.parquet", "out.ndjson", "old.csv"])
def test_export_killed_at_random_points_is_absent_or_complete(tmp_path, name):
    """SIGKILL at a random moment, twice per format (the CSV case replaces an existing file: the old one must
    then survive whole, or the new one be complete). Seeded and printed, so a failure can be replayed."""
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    for attempt in range(2):
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        target = folder / name
        old = None
        sidecar = folder / f"{name}.provenance.json"
        if name.startswith("old"):  # an earlier export and its sidecar, both replaced
            old = "OBJECTID\n1\n2\n"
            target.write_text(old)
            sidecar.write_text('{"old": true}\n')
        proc = _export(target, *(["--force"] if old else []))
        try:  # the export takes 1-5 s: killed before, during or after writing (no waiting on past its end)
            proc.communicate(timeout=rng.uniform(0.2, 6.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        if proc.returncode == 0:  # it finished: both
            assert json.loads(sidecar.read_text())["export"]["rows"] == STREET_TREES_ROWS
        leftovers = [p.name for p in folder.iterdir() if p.name not in (name, sidecar.name)]
        temps = (f".{name}.pdxtui-tmp-{proc.pid}-", f".{sidecar.name}.pdxtui-tmp-{proc.pid}-")
        assert all(n.startswith(temps) for n in leftovers), (leftovers, seed)
        if not target.exists():
            assert old is None, f"the old file was lost (seed {seed})"
            assert not sidecar.exists(), f"a sidecar without its file (seed {seed})"
            continue
        if old is not None and target.read_text()[: len(old) + 1] == old:
            # killed before the rename: the old file, whole, beside its old sidecar or none (never the new one)
            assert not sidecar.exists() or sidecar.read_text() == '{"old": true}\n', f"seed {seed}"
            continue
        if sidecar.exists():  # the new file: beside the new sidecar, complete, or none (never the old one)
            record = json.loads(sidecar.read_text())
            assert record.get("export", {}).get("rows") == STREET_TREES_ROWS, f"a mismatched sidecar (seed {seed})"
        assert _rows(target) == STREET_TREES_ROWS, f"partial target (seed {seed}, attempt {attempt})"


# --- logs -------------------------------------------------------------------------------------------------------


def test_logs_go_to_a_rotating_file_in_the_log_folder(tmp_path, monkeypatch):
    from pdxtui.logs import LOG_NAME, setup_logging

    monkeypatch.setenv("PDXTUI_LOG_DIR", str(tmp_path / "logs"))
    try:
        path = setup_logging()
        assert path == tmp_path / "logs" / LOG_NAME
        root = logging.getLogger()
        assert [type(h).__name__ for h in root.handlers] == ["RotatingFileHandler"]
        handler = root.handlers[0]
        assert handler.maxBytes == 1_000_000 and handler.backupCount == 3
        logging.getLogger("pdxtui.test").debug("hidden at INFO")
        logging.getLogger("pdxtui.test").info("shown at INFO")
        setup_logging(debug=True)
        logging.getLogger("pdxtui.test").debug("shown with --debug")
        logging.getLogger("httpx").debug("a library's debug record")
        for h in logging.getLogger().handlers:
            h.flush()
        text = path.read_text()
        assert "shown at INFO" in text and "hidden at INFO" not in text
        assert "shown with --debug" in text and "a library's debug record" in text
        handler = logging.getLogger().handlers[0]
        for _ in range(1200):  # ~1.2 MB: past the 1 MB limit, so the file rotates
            logging.getLogger("pdxtui.test").info("x" * 1000)
        assert (tmp_path / "logs" / f"{LOG_NAME}.1").exists() and path.stat().st_size < 1_000_000
    finally:
        setup_logging()


def test_debug_flag_and_nothing_on_the_terminal(tmp_path):
    """A real process, retrying against a failing portal with --debug: the terminal gets one line, the log file
    gets the details (the retries and the DEBUG records of the libraries)."""
    from tests.support.fakeportal import start_server

    logs = tmp_path / "logs"
    env = {
        **os.environ,
        "PDXTUI_LOG_DIR": str(logs),
        "PDXTUI_CACHE_DIR": str(tmp_path / "cache"),
        "PDXTUI_CONFIG": str(tmp_path / "none.toml"),
    }
    server = start_server()
    try:
        server.faults.set("503_after_stall", seconds=0.01, count=1)
        proc = subprocess.run(
            [sys.executable, "-m", "pdxtui", "--debug", "--portal", f"arcgis:{server.url}/hub", "search", "tree"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            cwd=ROOT,
        )
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("datasets") and proc.stderr.count("\n") == 1, proc.stderr
    text = (logs / "pdxtui.log").read_text()
    assert "503 Service Unavailable; retrying" in text and " DEBUG " in text
    quiet = subprocess.run(
        [sys.executable, "-m", "pdxtui", "--portal", "demo", "search", "tree"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )
    assert quiet.returncode == 0


def test_the_tui_leaves_no_log_handler_on_the_terminal(tmp_path, monkeypatch):
    """What the CLI sets up before it runs the TUI: only the file handler, on every logger that has handlers."""
    from pdxtui.logs import setup_logging

    monkeypatch.setenv("PDXTUI_LOG_DIR", str(tmp_path / "logs"))
    try:
        setup_logging()
        import httpx  # noqa: F401  (libraries that add their own handlers on import)
        import stamina as _stamina  # noqa: F401
        import textual.app  # noqa: F401

        for name in [None, *logging.root.manager.loggerDict]:
            logger = logging.getLogger(name)
            for handler in getattr(logger, "handlers", []):
                stream = getattr(handler, "stream", None)
                assert stream not in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__), (name, handler)
    finally:
        setup_logging()


def test_unwritable_log_folder_drops_records_silently(tmp_path, monkeypatch):
    from pdxtui.logs import setup_logging

    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PDXTUI_LOG_DIR", str(blocker / "logs"))
    try:
        assert setup_logging() is None
        logging.getLogger("pdxtui").warning("goes nowhere, and raises nothing")
        assert [type(h).__name__ for h in logging.getLogger().handlers] == ["NullHandler"]
    finally:
        monkeypatch.setenv("PDXTUI_LOG_DIR", str(tmp_path / "logs"))
        setup_logging()
