"""``pdxtui bookmark add|remove|list`` and ``pdxtui recent``: output shapes, exit codes, the store's warnings, kept
across processes, hostile text made inert, an unwritable data folder; and a dataset opened once shown again from the
cache when its portal cannot be reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import stamina

from pdxtui.cli import main
from pdxtui.memory import store
from pdxtui.memory.store import Entry, Memory
from tests.cli.test_cli_imports import NETWORK, NEVER, imported
from tests.cli.test_cli_imports import run as fresh_run
from tests.support import hostile
from tests.support.fakeportal.fixtures import DATASETS, HOSTILE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREES = "a494697005da9eea74335a369b0e3689_1415"
HOODS = "9f50a605cf4945259b983fa35c993fe9_125"
TREES_TITLE = "Street Tree Inventory - Active Records"


def run(capsys, *args: str, portal: str = "demo") -> tuple[int, str, str]:
    code = main(["--portal", portal, *args])
    out, err = capsys.readouterr()
    return code, out, err


def process(*args: str) -> subprocess.CompletedProcess[bytes]:
    """``pdxtui ARGS`` in a process of its own (a restart): raw bytes out, as a pipe gets them."""
    env = {**os.environ, "PYTHONPATH": ROOT, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "pdxtui", *args], capture_output=True, env=env, timeout=120)


def test_add_update_list_and_remove(capsys):
    code, out, err = run(capsys, "bookmark", "add", TREES, "--note", "quarterly pull")
    assert (code, err) == (0, "") and out == f"Bookmarked {TREES}: {TREES_TITLE}.\n"
    assert run(capsys, "bookmark", "add", HOODS)[0] == 0
    code, out, err = run(capsys, "bookmark", "add", f"  {TREES} ", "--note", "monthly now")
    assert code == 0 and out == f"Updated the bookmark {TREES}: {TREES_TITLE} (note replaced).\n"
    code, out, err = run(capsys, "bookmark", "list")
    assert code == 0 and err == "2 bookmarks on bundled\n"
    lines = out.splitlines()
    assert lines[0].split() == ["id", "title", "owner", "added", "note"] and len(lines) == 4
    assert lines[2].startswith(HOODS) and lines[3].startswith(TREES)  # newest first; the update kept its place
    assert lines[3].rstrip().endswith("monthly now") and TREES_TITLE in lines[3]
    assert datetime.now().strftime("%Y-%m-%d") in lines[3]
    code, out, err = run(capsys, "bookmark", "add", TREES, "--note", "")  # '' removes the note
    assert code == 0 and "note replaced" in out
    assert Memory().bookmark("bundled", TREES).note == ""
    code, out, err = run(capsys, "bookmark", "remove", HOODS)
    assert (code, out, err) == (0, f"Removed the bookmark {HOODS}.\n", "")
    code, out, err = run(capsys, "bookmark", "remove", HOODS)
    assert code == 1 and out == "" and err.count("\n") == 1 and HOODS in err and "bookmark list" in err
    assert [e.id for e in Memory().bookmarks("bundled")] == [TREES]


def test_json_shapes(capsys, monkeypatch):
    monkeypatch.setattr(store, "now", lambda: datetime(2026, 11, 20, 8, 30, tzinfo=UTC))
    code, out, _ = run(capsys, "bookmark", "add", TREES, "--note", "a note", "--json")
    added = {
        "id": TREES,
        "title": TREES_TITLE,
        "owner": "Portland Parks & Recreation \u2013 Urban Forestry",
        "added": "2026-11-20T08:30:00Z",
        "note": "a note",
    }
    assert code == 0 and json.loads(out) == {**added, "new": True, "checked": True}
    code, out, _ = run(capsys, "bookmark", "add", TREES, "--json")
    assert json.loads(out) == {**added, "new": False, "checked": True}  # the note stays without --note
    assert run(capsys, "bookmark", "add", HOODS)[0] == 0
    code, out, _ = run(capsys, "bookmark", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [b["id"] for b in listed] == [HOODS, TREES] and listed[1] == added
    assert all(list(b) == ["id", "title", "owner", "added", "note"] for b in listed)  # the same keys, always
    code, out, _ = run(capsys, "bookmark", "remove", TREES, "--json")
    assert json.loads(out) == {"id": TREES, "removed": True}
    Memory().opened("bundled", Entry(TREES, TREES_TITLE, "Parks"))
    code, out, _ = run(capsys, "recent", "--json")
    assert json.loads(out) == [{"id": TREES, "title": TREES_TITLE, "owner": "Parks", "opened": "2026-11-20T08:30:00Z"}]
    assert run(capsys, "bookmark", "list", "--json", portal="chicago")[1] == "[]\n"  # per portal


def test_recent_newest_first_and_per_portal(capsys):
    memory = Memory()
    for n in range(store.MAX_RECENT + 3):
        memory.opened("bundled", Entry(f"d{n}", f"Dataset {n}", "Someone"))
    code, out, err = run(capsys, "recent")
    lines = out.splitlines()
    assert code == 0 and err == f"{store.MAX_RECENT} recent datasets on bundled\n"
    assert lines[0].split() == ["id", "title", "owner", "opened"]
    assert len(lines) == 2 + store.MAX_RECENT and lines[2].startswith(f"d{store.MAX_RECENT + 2} ")
    code, out, err = run(capsys, "recent", portal="seattle")  # another portal's list: empty, and no network
    assert code == 0 and out == "" and "No recent datasets on socrata:https://data.seattle.gov" in err


def test_no_action_is_a_usage_error(capsys):
    code = None
    try:
        main(["--portal", "demo", "bookmark"])
    except SystemExit as exc:
        code = exc.code
    assert code == 2 and "ACTION" in capsys.readouterr().err


def test_bookmarks_survive_a_restart_between_two_processes():
    first = process("--portal", "demo", "bookmark", "add", TREES, "--note", "from the first process")
    assert first.returncode == 0, first.stderr
    second = process("--portal", "demo", "bookmark", "list", "--json")
    assert second.returncode == 0, second.stderr
    assert [(b["id"], b["note"]) for b in json.loads(second.stdout)] == [(TREES, "from the first process")]


def test_a_corrupt_store_file_is_set_aside_with_one_warning(capsys, tmp_path):
    data = tmp_path / "data"
    Memory(data).add_bookmark("bundled", Entry(TREES, TREES_TITLE))
    body = json.loads((data / "memory.json").read_text())
    body["portals"]["bundled"]["bookmarks"].append({"title": "an entry without an id"})
    (data / "memory.json").write_text(json.dumps(body))
    code, out, err = run(capsys, "bookmark", "list")
    assert code == 0 and out.splitlines()[2].startswith(TREES)  # what reads is kept and listed
    assert err.count("pdxtui: warning:") == 1 and "set aside" in err and "1 entries" in err
    assert len(list(data.glob("memory.json.damaged-*"))) == 1
    (data / "memory.json").write_bytes(b"{not json at all")
    code, out, err = run(capsys, "bookmark", "add", HOODS)  # the change goes on, after one warning
    assert code == 0 and out.startswith("Bookmarked")
    assert err.count("pdxtui: warning:") == 1 and "starting afresh" in err
    code, out, err = run(capsys, "recent")
    assert code == 0 and err == "No recent datasets on bundled yet (open one in the browser: pdxtui).\n"
    assert len(list(data.glob("memory.json.damaged-*"))) == 2


def test_an_unwritable_data_folder_is_one_clear_line_and_exit_1(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PDXTUI_DATA_DIR", str(blocker / "data"))  # even root cannot make a folder inside a file
    code, out, err = run(capsys, "bookmark", "add", TREES)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("pdxtui: cannot create ") and str(blocker / "data") in err
    for args in (("bookmark", "list"), ("recent", "--json")):  # not "no bookmarks": the folder cannot be read
        code, out, err = run(capsys, *args)
        assert code == 1 and out == "" and err.count("\n") == 1 and "cannot read the recents and bookmarks" in err
    data = tmp_path / "data"
    (data / "memory.json").mkdir(parents=True)  # there, but no file: it cannot be read nor replaced
    monkeypatch.setenv("PDXTUI_DATA_DIR", str(data))
    code, out, err = run(capsys, "bookmark", "add", TREES)
    assert code == 1 and out == "" and err.splitlines()[-1].startswith("pdxtui: recents and bookmarks cannot be")


def test_hostile_titles_owners_and_notes_reach_the_terminal_inert(capsys):
    from tests.support.fakeportal.arcgis import ArcGISApp
    from tests.support.fakeportal.server import FakeServer

    server = FakeServer()
    ArcGISApp(extra=(HOSTILE,)).mount(server)
    server.start()
    try:
        portal = f"arcgis:{server.url}/hub"
        typed = " | ".join(v for k, v in hostile.CORPUS.items() if k not in ("huge", "nul", "surrogate"))  # argv's
        added = process("--portal", portal, "bookmark", "add", HOSTILE.id, "--note", typed)
        assert added.returncode == 0, added.stderr
        hostile.assert_inert_bytes(added.stdout, "bookmark add")
        assert b"[/x]" in added.stdout  # the title, shown rather than dropped
        key = f"arcgis:{server.url}/hub"
        Memory().opened(key, Entry("r1", hostile.ALL_IN_ONE, hostile.HUGE))
        Memory().opened(key, Entry("r2", hostile.SURROGATE, hostile.BIDI))
        for args in (("bookmark", "list"), ("recent",)):  # a real pipe: the bytes a terminal would get
            shown = process("--portal", portal, *args)
            assert shown.returncode == 0, shown.stderr
            hostile.assert_inert_bytes(shown.stdout, " ".join(args))
            hostile.assert_inert_bytes(shown.stderr, " ".join(args))
            assert all(len(line) < 400 for line in shown.stdout.decode().splitlines())  # one line each, cut
            assert "[/x]" in shown.stdout.decode()
        for args in (("bookmark", "list", "--json"), ("recent", "--json")):  # JSON: escaped, the text kept whole
            code = main(["--portal", portal, *args])
            out, err = capsys.readouterr()
            assert code == 0, err
            hostile.assert_inert_bytes(out.encode(), " ".join(args))
            entries = json.loads(out)
            if args[0] == "recent":  # the huge owner kept whole
                assert hostile.HUGE in {e["owner"] for e in entries}
            else:  # the hostile title and the note kept, as text
                assert [("[/x]" in e["title"], "[/x]" in e["note"]) for e in entries] == [(True, True)]
        note = Memory().bookmark(key, HOSTILE.id).note
        assert "\x1b" not in note and "[/x]" in note  # kept cleaned
    finally:
        server.stop()


def test_list_and_recent_are_quick_and_offline():
    Memory().add_bookmark("arcgis:https://gis-pdx.opendata.arcgis.com", Entry(TREES, TREES_TITLE))
    for args in (("bookmark", "list"), ("recent", "--json")):
        code, _, err, modules = fresh_run(*args)  # the default portal (portland): no request, no cache
        assert code == 0, err
        quiet = ("polars", "pyarrow", "diskcache", "pdxtui.net", "pdxtui.portals.arcgis", *NETWORK, *NEVER)
        assert imported(modules, quiet) == [], args  # not even the portal is made: only its key is wanted
    writer = [m for m in NEVER if m != "pdxtui.export"]  # a change is written by THE atomic writer (export.target)
    code, _, err, modules = fresh_run("bookmark", "remove", TREES)
    assert code == 0, err
    assert imported(modules, ("polars", "pyarrow", "diskcache", "pdxtui.net", *NETWORK, *writer)) == []
    code, _, err, modules = fresh_run("--portal", "demo", "bookmark", "add", TREES)
    assert code == 0, err
    assert imported(modules, ("polars", "pyarrow", *NETWORK, *writer)) == []


# --- a dataset opened once, shown again from the cache when its portal cannot be reached ----------------------------

OFFLINE_KINDS = {"arcgis": DATASETS["heritage_trees"].id, "socrata": "insp-2345", "ckan": "street-trees"}


@pytest.fixture
def offline_portal(request, tmp_path):
    """A fake portal of ``request.param``'s kind, and a config whose cache entries are stale at once: the copy
    the portal sent is all there is once it stops."""
    (tmp_path / "config.toml").write_text("[cache]\nttl = { catalog = 0.001, metadata = 0.001, rows = 0.001 }\n")
    kind = request.param
    server = request.getfixturevalue(f"fake_{kind}")
    return kind, server, f"{kind}:{server.url}" + ("/hub" if kind == "arcgis" else "")


@pytest.mark.parametrize("offline_portal", list(OFFLINE_KINDS), indirect=True)
def test_a_bookmark_opened_once_shows_again_offline_from_the_cache(capsys, offline_portal):
    kind, server, portal = offline_portal
    ident = OFFLINE_KINDS[kind]
    other = "no-such-dataset-here"
    with stamina.set_testing(True, attempts=2, cap=True):
        assert run(capsys, "bookmark", "add", ident, portal=portal)[0] == 0
        code, shown, _ = run(capsys, "show", ident, "--json", portal=portal)
        assert code == 0
        code, rows, _ = run(capsys, "preview", ident, "--rows", "5", "--json", portal=portal)
        assert code == 0 and len(json.loads(rows)) == 5
        server.stop()
        for args, expected in ((("show", ident, "--json"), shown), (("preview", ident, "--rows", "5", "--json"), rows)):
            code, out, err = run(capsys, *args, portal=portal)
            assert code == 0, err
            assert out == expected and "offline, showing a copy cached" in err
        code, out, err = run(capsys, "bookmark", "add", ident, "--note", "offline note", portal=portal)
        assert code == 0 and "Updated the bookmark" in out and "offline, showing a copy cached" in err
        code, out, err = run(capsys, "bookmark", "add", other, portal=portal)  # nothing cached: cannot be checked
        assert code == 1 and out == "" and err.count("\n") == 1
        assert "cannot be checked" in err and "--force" in err and other in err
        code, out, err = run(capsys, "bookmark", "add", other, "--force", portal=portal)
        assert code == 0 and out == f"Bookmarked {other}.\n" and "bookmarked unchecked (--force)" in err
    code, out, err = run(capsys, "bookmark", "list", "--json", portal=portal)
    assert [(b["id"], b["note"], bool(b["title"])) for b in json.loads(out)] == [
        (other, "", False),
        (ident, "offline note", True),
    ]


def test_one_bookmark_is_one_bookmark_and_recent_clear_forgets_the_recents(capsys):
    memory = Memory()
    memory.add_bookmark("bundled", Entry(TREES, TREES_TITLE))
    memory.opened("bundled", Entry(TREES, TREES_TITLE))
    memory.opened("bundled", Entry(HOODS, "Neighborhoods"))
    memory.opened("socrata:https://data.seattle.gov", Entry("abcd-1234", "Seattle"))
    code, _, err = run(capsys, "bookmark", "list")
    assert code == 0 and err == "1 bookmark on bundled\n"
    code, out, err = run(capsys, "recent", "--clear")
    assert code == 0 and out == "Cleared 2 recent datasets on bundled.\n", err
    assert Memory().recent("bundled") == [] and Memory().bookmark("bundled", TREES) is not None
    assert len(Memory().recent("socrata:https://data.seattle.gov")) == 1  # another portal's are kept
    code, out, err = run(capsys, "recent", "--clear", "--json")
    assert code == 0 and json.loads(out) == {"cleared": 0}


def test_force_on_a_store_that_cannot_be_written_never_says_bookmarked(capsys, tmp_path, monkeypatch):
    """``add --force`` of an id the portal does not know, with a data folder whose memory.json cannot be read: exit 1
    with the real reason, and no "bookmarked unchecked" said first."""
    data = tmp_path / "data"
    (data / "memory.json").mkdir(parents=True)
    monkeypatch.setenv("PDXTUI_DATA_DIR", str(data))
    code, out, err = run(capsys, "bookmark", "add", "no-such-dataset", "--force")
    assert code == 1 and out == ""
    assert "bookmarked unchecked" not in err and "cannot read the recents and bookmarks" in err.splitlines()[-1]
