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
