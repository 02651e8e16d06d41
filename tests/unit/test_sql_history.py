"""The SQL history (issue 20): newest first, a query run again moves up, 100 per portal, a damaged file set aside,
a folder that cannot be written a warning, never a crash."""

from __future__ import annotations

import json

import pytest

from pdxtui.sql.history import MAX_QUERIES, History


def test_newest_first_and_a_query_run_again_moves_up(tmp_path):
    history = History(tmp_path)
    for sql in ("SELECT 1", "SELECT 2", "SELECT 3"):
        history.add("arcgis:https://a.example", sql)
    history.add("arcgis:https://a.example", "  SELECT 1  ")  # the same text (trimmed) moves up, not twice
    assert [p.sql for p in history.queries("arcgis:https://a.example")] == ["SELECT 1", "SELECT 3", "SELECT 2"]
    assert all(p.at is not None for p in History(tmp_path).queries("arcgis:https://a.example"))  # read back
    assert history.warnings == []


def test_per_portal_and_capped(tmp_path):
    history = History(tmp_path)
    for n in range(MAX_QUERIES + 5):
        history.add("a", f"SELECT {n}")
    history.add("b", "SELECT 'b'")
    kept = History(tmp_path).queries("a")
    assert len(kept) == MAX_QUERIES and kept[0].sql == f"SELECT {MAX_QUERIES + 4}" and kept[-1].sql == "SELECT 5"
    assert [p.sql for p in history.queries("b")] == ["SELECT 'b'"]
    assert history.queries("c") == []
    assert history.clear("a") == MAX_QUERIES and history.queries("a") == [] and len(history.queries("b")) == 1


def test_blank_and_huge_queries_are_not_kept(tmp_path):
    history = History(tmp_path)
    history.add("a", "   \n ")
    history.add("a", "SELECT '" + "x" * 30_000 + "'")
    assert history.queries("a") == [] and not history.path.exists()


@pytest.mark.parametrize("damage", [b"{not json", b"[1, 2]", b'{"portals": 3}', b"\xff\xfe"])
def test_a_damaged_file_is_set_aside_with_a_warning_and_starts_afresh(tmp_path, damage):
    history = History(tmp_path)
    history.path.parent.mkdir(parents=True, exist_ok=True)
    history.path.write_bytes(damage)
    assert history.queries("a") == []
    assert len(history.warnings) == 1 and "set aside" in history.warnings[0]
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("sql-history.json.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == damage  # nothing the user had is deleted
    history.add("a", "SELECT 1")
    assert [p.sql for p in History(tmp_path).queries("a")] == ["SELECT 1"]


def test_odd_entries_are_skipped_not_fatal(tmp_path):
    body = {"portals": {"a": [{"sql": "SELECT 1", "at": "nonsense"}, {"sql": 3}, "x", {"sql": "  "}], "b": "x"}}
    history = History(tmp_path)
    history.path.parent.mkdir(parents=True, exist_ok=True)
    history.path.write_text(json.dumps(body))
    assert [(p.sql, p.at) for p in history.queries("a")] == [("SELECT 1", None)]
    assert history.warnings == []


def test_a_data_folder_that_is_a_file_is_a_warning(tmp_path):
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the folder should be")
    history = History(not_a_folder)
    history.add("a", "SELECT 1")  # no exception
    assert history.queries("a") == []
    assert history.warnings and "not kept" in history.warnings[0]


def _written(history, body):
    history.path.parent.mkdir(parents=True, exist_ok=True)
    history.path.write_text(json.dumps(body))


def test_a_file_that_cannot_be_read_is_never_overwritten(tmp_path, monkeypatch):
    history = History(tmp_path)
    _written(history, {"pdxtui_sql_history": 1, "portals": {"a": [{"sql": "SELECT 1"}, {"sql": "SELECT 2"}]}})
    before = history.path.read_bytes()
    real = type(history.path).read_bytes

    def refused(path):
        if path == history.path:
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(type(history.path), "read_bytes", refused)
    history.add("a", "SELECT 3")  # no exception, no rewrite with one query
    assert real(history.path) == before
    assert any("cannot read" in w for w in history.warnings) and any("not kept" in w for w in history.warnings)
    with pytest.raises(Exception, match="cleared"):
        history.clear("a")
    monkeypatch.undo()
    assert history.path.read_bytes() == before


def test_a_file_of_a_newer_pdxtui_is_read_but_not_rewritten(tmp_path):
    history = History(tmp_path)
    body = {"pdxtui_sql_history": 99, "portals": {"a": [{"sql": "SELECT 1", "new": True}]}, "more": 1}
    _written(history, body)
    before = history.path.read_bytes()
    assert [p.sql for p in history.queries("a")] == ["SELECT 1"]
    history.add("a", "SELECT 2")
    assert history.path.read_bytes() == before
    assert any("newer pdxtui" in w for w in history.warnings)


def test_entries_that_do_not_read_are_kept_aside_before_a_rewrite(tmp_path):
    history = History(tmp_path)
    body = {"pdxtui_sql_history": 1, "portals": {"a": [{"sql": "SELECT 1"}, {"query": "SELECT odd"}]}}
    _written(history, body)
    before = history.path.read_bytes()
    history.add("a", "SELECT 2")
    assert [p.sql for p in History(tmp_path).queries("a")] == ["SELECT 2", "SELECT 1"]
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("sql-history.json.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == before  # what did not read is not lost
    assert any("kept" in w for w in history.warnings)


def test_a_damaged_file_that_cannot_be_set_aside_is_never_written_over(tmp_path, monkeypatch):
    from pdxtui.memory.store import Memory

    history = History(tmp_path)
    history.path.write_text("not json", encoding="utf-8")
    monkeypatch.setattr(Memory, "set_aside", lambda self, path, copy=False: path)  # e.g. a folder not writable
    history.add("bundled", "SELECT 1")
    assert history.path.read_text(encoding="utf-8") == "not json"
    assert any("could not be set aside" in w for w in history.warnings)
    assert any("not kept" in w for w in history.warnings)
