"""Edges of the recents-and-bookmarks store found while building ``pdxtui bookmark``: text that cannot be encoded
(a lone surrogate from a portal or from an argv byte that is not UTF-8) and a file that is there but cannot be read."""

from __future__ import annotations

from pdxtui.memory.store import Entry, Memory

P = "arcgis:https://www.portlandmaps.com"


def test_a_lone_surrogate_is_kept_as_a_replacement_character_not_a_crash(tmp_path):
    memory = Memory(tmp_path)
    memory.add_bookmark(P, Entry("a", "lone\ud800half", "own\udcffer"), note="fine")
    memory.opened(P, Entry("b", "x\udfffy"))
    again = Memory(tmp_path)
    assert again.bookmark(P, "a").title == "lone\ufffdhalf" and again.bookmark(P, "a").owner == "own\ufffder"
    assert again.recent(P)[0].title == "x\ufffdy" and again.warnings == []


def test_a_file_that_cannot_be_read_is_told_apart_from_no_file(tmp_path):
    memory = Memory(tmp_path)
    assert memory.bookmarks(P) == [] and memory.unreadable == ""
    (tmp_path / "memory.json").mkdir()  # there, but not a file: reading it fails
    memory = Memory(tmp_path)
    assert memory.bookmarks(P) == []
    assert "cannot read the recents and bookmarks" in memory.unreadable
    assert memory.warnings == [memory.unreadable]


def test_two_writers_at_once_keep_every_bookmark(tmp_path):
    import threading

    def write(name: str) -> None:
        memory = Memory(tmp_path)  # each its own object, as two processes would have
        for n in range(25):
            memory.add_bookmark(P, Entry(f"{name}{n}"))
            memory.opened(P, Entry(f"{name}{n}"))

    threads = [threading.Thread(target=write, args=(name,)) for name in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = Memory(tmp_path)
    assert len(kept.bookmarks(P)) == 75 and kept.warnings == []


def test_a_damaged_file_is_repaired_under_the_lock_after_reading_it_again(tmp_path):
    """A reader finds the file damaged; before it sets it aside, another process has replaced it with a good one
    (holding the lock): the reader reads it again under the lock and sets nothing aside (nothing is lost)."""
    from pathlib import PosixPath

    (tmp_path / "memory.json").write_text("{not json")
    other = Memory(tmp_path)

    class Racy(PosixPath):
        raced = False

        def read_bytes(self) -> bytes:
            data = super().read_bytes()
            if not Racy.raced:  # the other process's write lands between this read and the repair
                Racy.raced = True
                other.add_bookmark(P, Entry("b", "kept by the other process"))
            return data

    reader = Memory(tmp_path)
    reader.path = Racy(reader.path)
    assert [e.id for e in reader.bookmarks(P)] == ["b"] and reader.warnings == []
    assert [e.id for e in Memory(tmp_path).bookmarks(P)] == ["b"]
