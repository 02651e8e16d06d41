"""What changed since you last looked, in the app: the look taken once the rows show, the strip above the grid, the
full list (w), the added and changed rows in a grid of their own (d), hiding the strip (x), a first look, a look
that fails, and opening another dataset. Against the bundled portal with an earlier look kept in the data folder
beforehand (tests/support/earlierlook.py): rows added, removed and edited, a field added, a field retyped."""

from __future__ import annotations

from tests.support.earlierlook import (
    ADDED,
    EDITED,
    HERITAGE_TREES,
    REMOVED,
    TAKEN,
    app_without_row_ids,
    keep_earlier_look,
)
from tests.support.uihelpers import demo_app, screen_text, settle, text_of

SIZE = (140, 42)


def strip_text(app) -> str:
    strip = app.screen.query_one("#changes")
    return text_of(strip.query_one("#changes-text")) + "\n" + text_of(strip.query_one("#changes-detail"))


async def test_changes_by_object_id_strip_list_rows_and_back(ids):
    from pdxtui.memory.store import Memory
    from pdxtui.ui.screens.changes import ChangesScreen
    from pdxtui.ui.widgets.changes import ChangedRowsView

    await keep_earlier_look()  # rows keyed on OBJECTID, the bundled portal's row id
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.open_dataset(HERITAGE_TREES)
        await settle(pilot)
        preview = screen.preview_pane
        assert app.focused is preview.grid  # the rows came first: the look followed them
        shown = strip_text(app)
        assert shown.startswith(
            "Since 2026-11-20: +3 rows, \u22122 rows, 2 rows changed, field `NOTES` added, `DIAMETER` "
            "Integer\u2192Double, data updated 2025-02-03"
        )
        assert "Removed OBJECTID 9001, 9002 (their values are gone" in shown
        assert "w details · d rows · x hide" in screen_text(app)

        # the preview is filtered and sorted here: the changed rows are their own view, and the preview comes back
        await pilot.press("f")
        app.focused.insert_text_at_cursor("TREEID > 300")  # (pasted: typing is the filter bar's own tests')
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        header = text_of(preview.query_one("#preview-header"))
        assert "TREEID > 300" in header
        await pilot.press("d")
        await settle(pilot)
        view = screen.query_one(ChangedRowsView)
        assert not preview.display and app.focused is view.grid
        marks = dict(zip(view.rows["OBJECTID"].to_list(), view.rows["change"].to_list()))
        assert marks == {**dict.fromkeys(ADDED, "added"), **dict.fromkeys(EDITED, "changed")}
        assert view.rows.columns[0] == "change" and view.grid.row_count == 5
        await pilot.press("y")  # the cursor cell copies; Enter opens it in full
        assert app.clipboard == "added"
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CellScreen"
        await pilot.press("escape")
        await settle(pilot)
        said = text_of(view.query_one("#changed-header"))
        assert "3 added, 2 changed since 2026-11-20" in said and "not filtered or sorted like the preview" in said
        assert "2 removed: their values are gone; w lists their ids" in said
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.query(ChangedRowsView) and preview.display and app.focused is preview.grid
        assert text_of(preview.query_one("#preview-header")) == header  # filter and sort as they were

        # w: the full list, ids and all; d from there shows the rows, d again goes back
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ChangesScreen)
        full = screen_text(app)
        assert "Last look: 2026-11-20 09:30 UTC" in full
        assert "Removed (2)" in full and "9001, 9002" in full and "Changed (2)" in full and "10, 11" in full
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is screen and screen.query(ChangedRowsView)
        await pilot.press("d")
        await settle(pilot)
        assert not screen.query(ChangedRowsView) and preview.display

        # x hides the strip; the look was kept: it replaced the earlier one
        await pilot.press("x")
        await pilot.pause()
        assert not screen.query_one("#changes").display
        kept = Memory().fingerprint("bundled", HERITAGE_TREES)
        assert kept is not None and kept.taken > TAKEN and kept.key == "OBJECTID" and len(kept.row_hashes) == 338
        assert str(REMOVED[0]) not in kept.row_hashes

        # another dataset: a first look, which says nothing (w says why)
        screen.open_dataset(ids["Parks"])
        await settle(pilot)
        assert not screen.query_one("#changes").display
        assert screen.look_shown is not None and screen.look_shown.changes is None
        await pilot.press("w")
        await settle(pilot)
        assert "First look at this dataset" in screen_text(app)
        await pilot.press("escape", "d")
        await pilot.pause()
        assert any("nothing to compare yet" in str(n.message) for n in app._notifications)


async def test_content_keys_a_failed_look_and_a_second_open(ids, monkeypatch):
    from pdxtui.errors import PortalError
    from pdxtui.memory.store import Memory
    from pdxtui.ui.screens import browse_look
    from pdxtui.ui.widgets.changes import ChangedRowsView

    await keep_earlier_look(key_field="")
    app = app_without_row_ids()
    async with app.run_test(size=(80, 24)) as pilot:  # the strip fits the common SSH size too
        await settle(pilot)
        screen = app.screen
        screen.open_dataset(HERITAGE_TREES)
        await settle(pilot)
        shown = strip_text(app)
        # no row id: each edit is one row removed and one added, and the strip says so
        assert shown.startswith("Since 2026-11-20: +5 rows, \u22124 rows, field `NOTES` added")
        assert "4 rows removed (no row id to name them by" in shown
        assert "w details · d rows · x hide" in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        view = screen.query_one(ChangedRowsView)
        assert view.rows["change"].to_list() == ["added"] * 5
        assert sorted(view.rows["OBJECTID"].to_list()) == sorted((*ADDED, *EDITED))
        await pilot.press("3", "5")  # the grid key finds the changed rows, and the catalog stays aside
        await pilot.pause()
        assert app.focused is view.grid and screen.query_one("#sidebar").has_class("-aside")
        await pilot.press("d")
        await settle(pilot)

        # a look that fails: a quiet line, nothing kept, no crash
        from pdxtui.memory.look import look as real_look

        async def broken(*args, **kwargs):
            raise PortalError("the portal answered 500")

        monkeypatch.setattr("pdxtui.memory.look.look", broken)
        screen.open_dataset(ids["Parks"])
        await settle(pilot)
        assert "could not be checked: the portal answered 500" in text_of(screen.query_one("#status"))
        assert Memory().fingerprint("bundled", ids["Parks"]) is None
        assert not screen.query_one("#changes").display

        # the look's own reads decide whether it is of an old cached copy, not the portal's last answer (which
        # another worker may have had meanwhile): another worker's stale answer does not spoil a look read afresh...
        from pdxtui.model import FetchState
        from pdxtui.netlog import note_source

        portal = screen.service.portal

        async def elsewhere_stale(*args, **kwargs):
            portal._state = FetchState(source="stale", age_seconds=86_400 * 3)  # (stats or facets, offline)
            return await real_look(*args, **kwargs)

        monkeypatch.setattr("pdxtui.memory.look.look", elsewhere_stale)
        screen.open_dataset(ids["Neighborhoods"])
        await settle(pilot)
        assert screen.look_shown is not None and Memory().fingerprint("bundled", ids["Neighborhoods"]) is not None
        portal._state = FetchState(source="bundled")

        # ... and rows the look itself was served from a stale cached copy (offline): not compared, nothing kept,
        # and w says why
        async def read_stale(*args, **kwargs):
            note_source("stale")  # what the fetcher notes for an answer of the look's own
            return await real_look(*args, **kwargs)

        monkeypatch.setattr("pdxtui.memory.look.look", read_stale)
        screen.open_dataset(ids["Parks"])
        await settle(pilot)
        assert screen.look_shown is None and Memory().fingerprint("bundled", ids["Parks"]) is None
        await pilot.press("w")
        await pilot.pause()
        assert any("old cached copy" in str(n.message) for n in app._notifications)
        monkeypatch.setattr("pdxtui.memory.look.look", broken)

        # Heritage Trees again in this run: the same look, not a new one (the broken look is not called)
        assert browse_look.LOOK_AGAIN_AFTER > 60
        screen.open_dataset(HERITAGE_TREES)
        await settle(pilot)
        assert screen.query_one("#changes").display and strip_text(app) == shown


async def test_a_look_through_the_fake_arcgis_portal(fake_arcgis, tmp_path):
    """The app's look through a network portal (the fetcher, its cache, the portal's key in the store): an earlier
    look taken by the core (as ``pdxtui changes`` would: tests/portals/test_look.py covers the comparing), the layer
    then edited on the server (a row added, one removed, one edited); the app's open finds those, and d shows them."""
    from pdxtui.memory.look import look
    from pdxtui.memory.store import Memory, portal_key
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.widgets.changes import ChangedRowsView
    from tests.support.fakeportal.changes import Change
    from tests.support.fakeportal.fixtures import DATASETS

    heritage = DATASETS["heritage_trees"]
    portal = f"arcgis:{fake_arcgis.url}/hub"
    service = open_session(portal=portal, cache_dir=str(tmp_path / "elsewhere")).service()  # (the app's cache: empty)
    try:
        first = await look(service, await service.dataset(heritage.id), Memory(), portal_key(service.portal))
    finally:
        await service.aclose()
    assert first.changes is None and first.fingerprint.key == "OBJECTID"
    change = Change(add=({"COMMON": "Pacific yew"},), remove=(3,), edit={5: {"HEIGHT": 80.5}})
    fake_arcgis.apps["arcgis"].change("heritage_trees", change)

    app = PdxApp(session=open_session(portal=portal))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(heritage.id)
        await settle(pilot)
        assert strip_text(app).startswith("Since ")
        assert "+1 row, \u22121 row, 1 row changed" in strip_text(app)
        await pilot.press("d")
        await settle(pilot)
        rows = app.screen.query_one(ChangedRowsView).rows
        assert dict(zip(rows["OBJECTID"].to_list(), rows["change"].to_list())) == {5: "changed", 317: "added"}


async def test_a_look_cancelled_while_it_is_kept_is_not_lost(ids, monkeypatch):
    """Opening another dataset while the look's fingerprint is being written (a thread that cannot be stopped): the
    fingerprint is kept, and so is what the look found: the first dataset opened again shows it, not "No change"."""
    import threading

    from pdxtui.errors import PortalError
    from pdxtui.memory.store import Memory
    from tests.support.uihelpers import wait_for

    await keep_earlier_look()
    writing, release = threading.Event(), threading.Event()
    keep = Memory.keep_fingerprint

    def slow_keep(self, *args, **kwargs):
        writing.set()
        release.wait(10)
        return keep(self, *args, **kwargs)

    monkeypatch.setattr(Memory, "keep_fingerprint", slow_keep)
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.open_dataset(HERITAGE_TREES)
        await wait_for(pilot, writing.is_set)  # the look is writing its fingerprint now
        screen.open_dataset(ids["Parks"])  # cancels it
        await pilot.pause()
        release.set()
        await settle(pilot)
        assert Memory().fingerprint("bundled", HERITAGE_TREES).taken > TAKEN  # kept all the same

        async def broken(*args, **kwargs):
            raise PortalError("no second look expected")

        monkeypatch.setattr("pdxtui.memory.look.look", broken)
        screen.open_dataset(HERITAGE_TREES)
        await settle(pilot)
        assert strip_text(app).startswith("Since 2026-11-20: +3 rows")
