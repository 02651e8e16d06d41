"""pdxtui.state: what the app remembers between runs is best effort both ways, and written atomically."""

from __future__ import annotations

import json

from pdxtui.state import load_state, save_state, state_path


def test_the_state_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PDXTUI_STATE_DIR", str(tmp_path / "here"))
    assert state_path("export") == tmp_path / "here" / "export.json"


def test_round_trip_creates_the_folder_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "deep" / "er" / "export.json"
    assert save_state(path, {"folder": "/data", "format": "parquet", "scope": "dataset"})
    assert load_state(path) == {"folder": "/data", "format": "parquet", "scope": "dataset"}
    assert save_state(path, {"format": "csv"})
    assert load_state(path) == {"format": "csv"}
    assert [p.name for p in path.parent.iterdir()] == ["export.json"]


def test_missing_corrupt_or_strange_files_read_as_nothing_remembered(tmp_path):
    path = tmp_path / "export.json"
    assert load_state(path) == {} and load_state(None) == {}
    for content in (b"", b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'"text"', b"null", b"{" * 100_000):
        path.write_bytes(content)
        assert load_state(path) == {}, content
    path.write_bytes(json.dumps({"x": "y" * 70_000}).encode())  # far larger than anything the app writes
    assert load_state(path) == {}
    path.unlink()
    path.mkdir()  # a folder where the file should be
    assert load_state(path) == {}


def test_a_state_file_that_cannot_be_written_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert save_state(blocker / "export.json", {"a": 1}) is False
    (tmp_path / "dir.json").mkdir()
    assert save_state(tmp_path / "dir.json", {"a": 1}) is False
    assert save_state(None, {"a": 1}) is False
    assert save_state(tmp_path / "odd.json", {"a": object()}) is False  # not JSON: refused, nothing written
    assert not (tmp_path / "odd.json").exists()
