"""Snapshots of what changed since you last looked (an earlier look at Heritage Trees kept beforehand, dated
2026-11-20: tests/support/earlierlook.py): the strip above the grid, the full list (w), and the added and changed
rows in a grid of their own (d) at 80x24."""

from __future__ import annotations

from tests.support.earlierlook import open_after_earlier_look
from tests.support.uihelpers import demo_app


async def _open_with_changes(pilot, *keys: str) -> None:
    await pilot.pause()
    await open_after_earlier_look(pilot, *keys)


def test_changes_strip_over_the_grid(snap_compare):
    async def run_before(pilot):
        await _open_with_changes(pilot)

    assert snap_compare(demo_app(), terminal_size=(140, 42), run_before=run_before)


def test_changes_in_full(snap_compare):
    async def run_before(pilot):
        await _open_with_changes(pilot, "w")

    assert snap_compare(demo_app(), terminal_size=(140, 42), run_before=run_before)


def test_changed_rows_at_80x24(snap_compare):
    async def run_before(pilot):
        await _open_with_changes(pilot, "d")

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=run_before)
