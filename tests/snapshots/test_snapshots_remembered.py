"""Snapshots of the catalog's Recent and Bookmarks lists (ctrl+o), from entries stored at fixed moments and shown in
UTC: the dates do not depend on today or on the machine's time zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.support.uihelpers import demo_app, demo_ids, settle

SIZE = (140, 42)


@pytest.fixture(autouse=True)
def remembered(monkeypatch):
    """Three recents and two bookmarks (one with a note) of the bundled portal, kept at fixed moments; shown in UTC."""
    from pdxtui.memory.store import Entry, Memory

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    ids = demo_ids()
    memory = Memory()
    for day, title in ((10, "Parks"), (18, "Heritage Trees"), (20, "Neighborhoods")):
        owner = "Portland Parks & Recreation" if title != "Neighborhoods" else "Office of Community & Civic Life"
        memory.opened("bundled", Entry(ids[title], title, owner, at=datetime(2026, 11, day, 9, 30, tzinfo=UTC)))
    memory.add_bookmark("bundled", Entry(ids["Parks"], "Parks", "Portland Parks & Recreation", datetime(2026, 11, 2)))
    memory.add_bookmark(
        "bundled",
        Entry(ids["Neighborhoods"], "Neighborhoods", "Office of Community & Civic Life", datetime(2026, 11, 20, 14, 5)),
        note="check the boundaries before the district report; compare with the 2024 map",
    )
    yield ids
    monkeypatch.undo()
    time.tzset()


def test_recent_list(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_bookmarks_list_with_a_bookmarked_dataset_open(snap_compare, remembered):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(remembered["Neighborhoods"])
        await settle(pilot)
        await pilot.press("ctrl+o", "ctrl+o")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
