"""The text of the Recent and Bookmarks lists and of the metadata pane's bookmark mark, without a screen: each line
cut to the list's width, the date in local time, portal and user text inert."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from pdxtui.memory.store import Entry
from pdxtui.model import Dataset
from pdxtui.textout import local_time
from pdxtui.ui.screens.browse_lists import NEXT_VIEW
from pdxtui.ui.widgets.metadata import render_metadata
from pdxtui.ui.widgets.remembered import entry_prompt

AT = datetime(2026, 11, 20, 14, 5, 59, tzinfo=UTC)


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_an_entry_reads_title_when_owner_and_note_each_on_a_line_cut_to_the_width(utc):
    entry = Entry("abc_1", "Street Tree Inventory - Active Records", "Portland Parks & Recreation", AT, "quarterly")
    lines = entry_prompt(entry, "bookmarks", 40).plain.split("\n")
    assert lines == [
        "Street Tree Inventory - Active Records",
        "bookmarked 2026-11-20 14:05 · Portland …",
        "✎ quarterly",
    ]
    assert all(len(line) <= 40 for line in lines)
    recent = entry_prompt(Entry("abc_1", "", "", AT), "recent", 60).plain
    assert recent == "abc_1\nopened 2026-11-20 14:05"  # no title kept: the id; no owner, no note: no more lines
    assert entry_prompt(Entry("x"), "recent").plain == "x\n"


def test_portal_and_user_text_stays_inert(utc):
    entry = Entry("x", "[bold red]Loud[/] \x1b[31mred", "Owner\nwith a break", AT, "line one\nline two [link=x]")
    text = entry_prompt(entry, "bookmarks", 80)
    assert not text.spans or all(span.style in ("bold", "dim", "italic") for span in text.spans)
    assert "[bold red]Loud[/]" in text.plain and "\x1b" not in text.plain
    assert text.plain.count("\n") == 2  # the owner's and the note's line breaks folded
    meta = render_metadata(Dataset("x", "Title", owner="o"), entry, local_time(entry.at))
    head = meta.renderables[0].plain
    assert "★ Bookmarked 2026-11-20 14:05 (B: note)" in head and "✎ line one\nline two [link=x]" in head


def test_a_dataset_without_a_bookmark_has_no_mark():
    assert "★" not in render_metadata(Dataset("x", "Title")).renderables[0].plain
    assert local_time(None) == ""


def test_ctrl_o_cycles_search_recent_bookmarks():
    assert NEXT_VIEW == {"search": "recent", "recent": "bookmarks", "bookmarks": "search"}
