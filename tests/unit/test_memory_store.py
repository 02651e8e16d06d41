"""The recents-and-bookmarks store: kept across instances (restarts), newest first, capped, damaged files set aside
with what still reads kept, a newer file left alone, notes cleaned, fingerprints kept per dataset."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pdxtui.memory import store
from pdxtui.memory.fingerprint import FieldPrint, Fingerprint
from pdxtui.memory.store import MAX_RECENT, Entry, Memory, StoreError

P = "arcgis:https://www.portlandmaps.com"


def test_recents_and_bookmarks_survive_a_new_instance(tmp_path):
    Memory(tmp_path).opened(P, Entry("a", "Trees", "Parks"))
    Memory(tmp_path).opened(P, Entry("b", "Permits"))
    Memory(tmp_path).add_bookmark(P, Entry("a", "Trees"), note="quarterly pull")
    again = Memory(tmp_path)
    assert [e.id for e in again.recent(P)] == ["b", "a"]
    assert again.bookmark(P, "a").note == "quarterly pull"
    assert again.recent("bundled") == [] and again.warnings == []
    assert again.portals() == [P]


def test_reopening_moves_to_the_top_and_the_list_is_capped(tmp_path):
    memory = Memory(tmp_path)
    for n in range(MAX_RECENT + 5):
        memory.opened(P, Entry(f"d{n}"))
    memory.opened(P, Entry("d10"))
    ids = [e.id for e in memory.recent(P)]
    assert len(ids) == MAX_RECENT and ids[0] == "d10" and ids.count("d10") == 1
    assert "d0" not in ids and f"d{MAX_RECENT + 4}" in ids


def test_bookmark_update_keeps_place_and_note_unless_given(tmp_path):
    memory = Memory(tmp_path)
    memory.add_bookmark(P, Entry("a", "Old title"), note="first")
    memory.add_bookmark(P, Entry("b"))
    kept = memory.add_bookmark(P, Entry("a", "New title"))
    assert kept.note == "first" and kept.title == "New title"
    assert [e.id for e in memory.bookmarks(P)] == ["b", "a"]
    assert memory.add_bookmark(P, Entry("a"), note="\x1b[31mred\x1b[0m\r\nline two  ").note == "[31mred[0m\nline two"
    gone = memory.remove_bookmark(P, "a")  # the one removed, note and all (to put it back)
    assert gone is not None and gone.id == "a" and memory.remove_bookmark(P, "a") is None
    assert memory.lists(P) == (memory.recent(P), memory.bookmarks(P))


def test_a_damaged_file_is_set_aside_and_what_reads_is_kept(tmp_path):
    Memory(tmp_path).add_bookmark(P, Entry("keep", "Kept"))
    data = json.loads((tmp_path / "memory.json").read_text())
    data["portals"][P]["bookmarks"].append({"title": "no id"})
    (tmp_path / "memory.json").write_text(json.dumps(data))
    memory = Memory(tmp_path)
    assert [e.id for e in memory.bookmarks(P)] == ["keep"]
    assert len(memory.warnings) == 1 and "set aside" in memory.warnings[0] and "1 entries" in memory.warnings[0]
    aside = list(tmp_path.glob("memory.json.damaged-*"))
    assert len(aside) == 1 and "no id" in aside[0].read_text()
    fresh = Memory(tmp_path)  # rewritten whole: no second warning
    assert [e.id for e in fresh.bookmarks(P)] == ["keep"] and fresh.warnings == []


@pytest.mark.parametrize("junk", [b"{not json", b"\xff\xfe", b"[]", b'{"portals": 3}'])
def test_junk_is_set_aside_and_the_store_starts_afresh(tmp_path, junk):
    (tmp_path / "memory.json").write_bytes(junk)
    memory = Memory(tmp_path)
    assert memory.recent(P) == []
    assert "starting afresh" in memory.warnings[0]
    memory.opened(P, Entry("x"))
    assert [e.id for e in Memory(tmp_path).recent(P)] == ["x"]
    assert [p.read_bytes() for p in tmp_path.glob("memory.json.damaged-*")] == [junk]


def test_a_newer_file_is_read_and_never_overwritten(tmp_path):
    body = {"pdxtui_memory": 99, "portals": {P: {"recent": [{"id": "a"}], "bookmarks": []}}, "future": 1}
    (tmp_path / "memory.json").write_text(json.dumps(body))
    memory = Memory(tmp_path)
    assert [e.id for e in memory.recent(P)] == ["a"]
    with pytest.raises(StoreError, match="newer pdxtui"):
        memory.opened(P, Entry("b"))
    assert json.loads((tmp_path / "memory.json").read_text()) == body


def test_an_unwritable_folder_is_an_error_with_the_reason(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot"):
        Memory(tmp_path / "file" / "below").add_bookmark(P, Entry("a"))


def test_fingerprints_round_trip_and_damage_is_set_aside(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "now", lambda: datetime(2026, 11, 20, tzinfo=UTC))
    memory = Memory(tmp_path)
    fp = Fingerprint(
        "abc/1",
        "Trees",
        datetime(2026, 11, 20, tzinfo=UTC),
        3,
        (FieldPrint("OBJECTID", "esriFieldTypeOID", "integer"),),
        key="OBJECTID",
        hashed=("A",),
        row_hashes={"1": "x", "2": "y"},
    )
    memory.keep_fingerprint(P, fp)
    assert memory.fingerprint(P, "abc/1") == fp
    assert memory.fingerprint(P, "other") is None and memory.fingerprint("bundled", "abc/1") is None
    memory.fingerprint_path(P, "abc/1").write_text('{"pdxtui_fingerprint": 1, "dataset": "abc/1", "rows": -4}')
    assert memory.fingerprint(P, "abc/1") is None
    assert "damaged" in memory.warnings[0] and "abc/1" in memory.warnings[0]
    assert memory.fingerprint(P, "abc/1") is None and len(memory.warnings) == 1  # set aside: now simply absent


def test_no_lock_to_be_had_keeps_the_bookmark_and_reads(tmp_path, monkeypatch, caplog):
    """flock fails with ENOLCK on some NFS mounts: the bookmark is still kept (without the lock, logged once), and
    reading a damaged file (which repairs it under the lock) raises nothing."""
    import errno
    import fcntl

    def no_lock(handle, how):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_lock)
    memory = Memory(tmp_path)
    memory.add_bookmark(P, Entry("abc/1", "Trees"))
    memory.add_bookmark(P, Entry("abc/2", "Parks"))
    assert sorted(e.id for e in Memory(tmp_path).bookmarks(P)) == ["abc/1", "abc/2"]
    assert sum("without the lock" in r.getMessage() for r in caplog.records) == 1
    data = json.loads(memory.path.read_text())
    data["portals"][P]["bookmarks"].append({"id": 7})  # an entry that does not read
    memory.path.write_text(json.dumps(data))
    again = Memory(tmp_path)
    assert len(again.bookmarks(P)) == 2 and "damaged" in again.warnings[0]


def test_a_file_unreadable_once_is_read_again_next_time(tmp_path):
    """An unreadable (or newer) file makes the lists read-only while it is so, not for the rest of the run."""
    memory = Memory(tmp_path)
    memory.path.mkdir(parents=True)  # read_bytes: IsADirectoryError, as a permission problem would be
    assert memory.bookmarks(P) == [] and memory.unreadable
    with pytest.raises(StoreError):
        memory.add_bookmark(P, Entry("abc/1", "Trees"))
    memory.path.rmdir()
    memory.add_bookmark(P, Entry("abc/1", "Trees"))
    assert [e.id for e in Memory(tmp_path).bookmarks(P)] == ["abc/1"] and not memory.unreadable


def test_the_repair_never_leaves_the_file_missing(tmp_path, monkeypatch):
    """A damaged file is repaired by an atomic replace, the original copied aside (not renamed away first): another
    process reading meanwhile sees the damaged file or the repaired one, never none (no bookmarks at all)."""
    memory = Memory(tmp_path)
    memory.add_bookmark(P, Entry("abc/1", "Trees"))
    data = json.loads(memory.path.read_text())
    data["portals"][P]["bookmarks"].append({"id": 7})  # an entry that does not read
    original = json.dumps(data)
    memory.path.write_text(original)
    real_save, seen = Memory._save, []

    def save(self, data):
        seen.append(self.path.exists())
        real_save(self, data)

    monkeypatch.setattr(Memory, "_save", save)
    again = Memory(tmp_path)
    assert [e.id for e in again.bookmarks(P)] == ["abc/1"] and seen == [True]
    (aside,) = tmp_path.glob("memory.json.damaged-*")
    assert aside.read_text() == original and "damaged" in again.warnings[0] and str(aside) in again.warnings[0]
