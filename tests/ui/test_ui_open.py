"""The browser started on one dataset (``pdxtui open ID``): its rows show, the grid has focus, and an unknown id
is a message in the app, which stays usable."""

from __future__ import annotations

from tests.support.uihelpers import settle, wait_for

NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"


def _open_app(dataset_id: str):
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp

    return PdxApp(Service(BundledPortal(name="demo")), open_id=dataset_id)


async def test_app_started_with_open_id_shows_the_rows_with_the_grid_focused():
    from pdxtui.ui.widgets.grid import PreviewGrid
    from pdxtui.ui.widgets.preview import PreviewPane

    app = _open_app(NEIGHBORHOODS)
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(PreviewPane)
        await wait_for(pilot, lambda: pane.grid is not None)
        assert pane.preview is not None and pane.preview.dataset.id == NEIGHBORHOODS
        assert pane.preview.shown > 0
        assert isinstance(app.focused, PreviewGrid)
        assert app.screen.dataset is not None and app.screen.dataset.title == "Neighborhoods"
        await pilot.press("j")  # the grid takes keys at once
        await settle(pilot)
        assert isinstance(app.focused, PreviewGrid) and app.focused.cursor_coordinate.row == 1


async def test_app_started_with_an_unknown_id_says_so_and_stays_usable():
    from pdxtui.ui.widgets.catalog import CatalogList
    from pdxtui.ui.widgets.preview import PreviewPane

    app = _open_app("no-such-dataset")
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        messages = " ".join(str(n.message) for n in app._notifications)
        assert "no-such-dataset" in messages
        assert app.screen.query_one(PreviewPane).preview is None
        assert app.is_running
        # still usable: the search box has focus, and a dataset opens from the list
        await pilot.press(*"neighborhoods", "enter")
        await settle(pilot)
        assert isinstance(app.focused, CatalogList)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.dataset is not None and app.screen.dataset.title == "Neighborhoods"


async def test_typing_before_the_rows_arrive_keeps_the_focus_where_the_user_put_it():
    """The grid takes focus when the start-up dataset's rows arrive, unless the user has begun typing a search."""
    import asyncio

    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp

    release = asyncio.Event()

    class SlowRows(BundledPortal):
        async def pages(self, dataset, query, progress=None):
            await release.wait()
            async for page in super().pages(dataset, query, progress):
                yield page

    app = PdxApp(Service(SlowRows(name="demo")), open_id=NEIGHBORHOODS)
    async with app.run_test(size=(140, 42)) as pilot:
        search = app.screen.query_one("#search")
        await wait_for(pilot, lambda: app.focused is search)
        await pilot.press(*"parks")
        release.set()
        await settle(pilot)
        assert app.screen.query_one("PreviewPane").grid is not None  # the rows are in
        assert app.focused is search and search.value == "parks"


async def test_the_grid_modules_load_in_a_thread_and_a_failure_there_is_not_the_users(monkeypatch):
    """The pane loads what the first rows need (pyarrow, the grid) in a thread once it is on screen, so that the first
    open does not wait for the imports; if that load fails, the open still shows its rows and nothing is reported."""
    import threading

    from pdxtui.ui.widgets import preview

    threads = []

    def failing_load() -> None:
        threads.append(threading.current_thread())
        raise ImportError("no grid modules here")

    monkeypatch.setattr(preview, "load_grid_modules", failing_load)
    app = _open_app(NEIGHBORHOODS)  # opened at once: the open and the load run side by side
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(preview.PreviewPane)
        await wait_for(pilot, lambda: pane.grid is not None)
        assert len(threads) == 1 and threads[0] is not threading.main_thread()
        assert pane.preview is not None and pane.preview.shown > 0
        assert not [n for n in app._notifications if "grid modules" in str(n.message)]


async def test_the_old_body_goes_and_the_rows_come_in_one_paint(monkeypatch):
    """Showing rows removes what the pane showed (the note, or the rows before) and mounts the grid with the screen's
    updates held: no paint of an empty pane between the two, which only delayed the rows."""
    from pdxtui.ui.widgets.preview import PreviewPane

    held = []
    clear_body = PreviewPane._clear_body

    async def watched_clear_body(self) -> None:
        held.append(self.app._batch_count)
        await clear_body(self)
        held.append(self.app._batch_count)

    monkeypatch.setattr(PreviewPane, "_clear_body", watched_clear_body)
    app = _open_app(NEIGHBORHOODS)
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(PreviewPane)
        await wait_for(pilot, lambda: pane.grid is not None)
        await pane.refresh_view()  # the rows shown again: the old grid goes, a new one comes
        assert held and all(count > 0 for count in held), held
        assert pane.grid is not None and pane.grid.row_count == pane.preview.shown
        await settle(pilot)
        assert not app._batch_count  # and the screen paints again afterwards
