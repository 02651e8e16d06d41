"""Snapshots of every screen and important state (pytest-textual-snapshot; sync tests, as snap_compare needs)."""

from __future__ import annotations

import asyncio

from pdxtui.model import SearchRequest
from pdxtui.portals.bundled import BundledPortal
from tests.support.uihelpers import demo_app, settle

SIZE = (140, 42)


def _id(title: str) -> str:
    hits = asyncio.run(BundledPortal().search(SearchRequest(text=title, limit=5))).hits
    return next(h.id for h in hits if h.title == title)


def test_catalog_on_open(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_search_results(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        await pilot.press(*"tree")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_search_with_no_results(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        await pilot.press(*"zzqx", "enter")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_dataset_open(snap_compare):
    target = _id("Heritage Trees")

    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(target)
        await settle(pilot)
        pilot.app.screen.query_one("#grid").focus()
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_offline_fallback_banner(snap_compare):
    """The portal cannot be reached (nothing listens on 127.0.0.1:9) and nothing is cached."""
    import stamina

    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp

    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)

    with stamina.set_testing(True, attempts=2, cap=True):
        app = PdxApp(session=open_session(portal="arcgis:http://127.0.0.1:9/hub"))
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_error_state(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset("no-such-dataset")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def _open_grid(title: str, column: str, keys: tuple[str, ...]):
    target = _id(title)

    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(target)
        await settle(pilot)
        pane = pilot.app.screen.query_one("#preview")
        pane.grid.focus()
        pane.grid.move_cursor(row=1, column=pane.view.columns.index(column))
        await pilot.pause()
        await pilot.press(*keys)
        await settle(pilot)
        await pilot.pause()

    return run_before


def test_stats_pane(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_open_grid("Heritage Trees", "COMMON", ("s",)))


def test_facet_view(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_open_grid("Heritage Trees", "Neighborhood", ("F",)))


def test_cell_view(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_open_grid("Heritage Trees", "NOTES", ("enter",)))


def _draft(kind: str):
    from datetime import date

    target = _id("Heritage Trees")

    async def run_before(pilot):
        from textual.widgets import Select

        pilot.app.today = date(2026, 1, 15)
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(target)
        await settle(pilot)
        pilot.app.screen.query_one("#catalog").focus()
        await pilot.press("ctrl+t")
        await settle(pilot)
        pilot.app.screen.query_one("#kind", Select).value = kind
        await settle(pilot)
        await pilot.pause()

    return run_before


def test_draft_records(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_draft("records"))


def test_draft_publish(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_draft("publish"))


def test_draft_access(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_draft("access"))


def test_draft_quality(snap_compare):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_draft("quality"))


def test_guide(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.query_one("#catalog").focus()
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("down", "down", "down")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_export_dialog(snap_compare):
    target = _id("Heritage Trees")

    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        pilot.app.screen.open_dataset(target)
        await settle(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause()
        pilot.app.screen.query_one("#path").value = "heritage-trees.parquet"  # relative: the same on every machine
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
