"""Recent datasets and bookmarks in the browser, with real key presses: kept across two runs on the same data folder,
opened from the lists and the palette, opened offline from the cache, and a damaged or newer store told about once
while the app goes on."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import stamina

from tests.support.uihelpers import demo_app, screen_text, settle, text_of, wait_for

SIZE = (140, 42)


def data_dir():
    from pathlib import Path

    return Path(os.environ["PDXTUI_DATA_DIR"])  # per test (tests/conftest.py)


def messages(app, word: str = "") -> list[str]:
    return [str(n.message) for n in app._notifications if word in str(n.message)]


def listed_titles(app) -> list[str]:
    from pdxtui.ui.widgets.remembered import RememberedList

    return [e.title for e in app.screen.query_one(RememberedList).entries]


async def test_recents_and_bookmarks_across_two_runs(ids):
    from pdxtui.memory.store import Memory
    from pdxtui.ui.screens.note import NoteScreen
    from pdxtui.ui.widgets.catalog import CatalogList, SearchBox
    from pdxtui.ui.widgets.grid import PreviewGrid
    from pdxtui.ui.widgets.remembered import RememberedList

    folder = data_dir()
    folder.mkdir(parents=True)
    (folder / "memory.json").write_text('{"pdxtui_memory": 1, "portals": {"bundled": [', encoding="utf-8")
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        # a damaged store: set aside, told once, and the app goes on
        assert len(messages(app, "damaged")) == 1 and list(folder.glob("memory.json.damaged-*"))
        # ctrl+o (from the search box): the Recent list, empty, says how to fill it; a letter typed there searches
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert screen.catalog_view == "recent" and isinstance(app.focused, RememberedList)
        assert "No recent datasets yet" in screen_text(app)
        hint = str(screen.query_one(RememberedList).get_option_at_index(0).prompt)
        assert "every dataset you open is listed here" in hint
        await pilot.press("h")
        await pilot.pause()
        assert screen.catalog_view == "search" and screen.query_one(SearchBox).value == "h"
        assert isinstance(app.focused, SearchBox) and screen.query_one(CatalogList).display
        for title in ("Heritage Trees", "Neighborhoods"):  # (opening from the results: tests/ui/test_ui_browse.py)
            screen.open_dataset(ids[title])
            await settle(pilot)
        assert screen.dataset.title == "Neighborhoods" and isinstance(app.focused, PreviewGrid)
        # B on a dataset not bookmarked, then Esc: no bookmark (the dialog says Esc leaves it as it was)
        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert Memory().bookmark("bundled", ids["Neighborhoods"]) is None
        # b, from the grid: bookmarked at once; B writes its note
        await pilot.press("b")
        assert messages(app, "Bookmarked: Neighborhoods · B adds a note")
        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        app.focused.insert_text_at_cursor("check the edges")  # (pasted: one event, not a key press per letter)
        await pilot.press("enter")
        await settle(pilot)
        metadata = text_of(screen.query_one("#metadata-body"))
        assert "★ Bookmarked" in metadata and "✎ check the edges" in metadata
        # the lists: Recent (newest first), then Bookmarks with the note, then back to the search results
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert listed_titles(app) == ["Neighborhoods", "Heritage Trees"]
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert listed_titles(app) == ["Neighborhoods"] and "✎ check the edges" in screen_text(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert screen.catalog_view == "search" and screen.query_one(CatalogList).display
    kept = Memory().bookmark("bundled", ids["Neighborhoods"])
    assert kept is not None and kept.note == "check the edges"

    app = demo_app()  # a second run on the same data folder
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert not messages(app, "damaged")
        await pilot.click("#views", offset=(22, 0))  # the mouse: "Bookmarks" in "Search · Recent · Bookmarks"
        await settle(pilot)
        assert screen.catalog_view == "bookmarks" and listed_titles(app) == ["Neighborhoods"]
        await pilot.press("B")  # the note of the highlighted bookmark, as kept; Esc leaves it as it was
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        assert app.screen.query_one("#note").value == "check the edges"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.dataset.id == ids["Neighborhoods"]
        assert "✎ check the edges" in text_of(screen.query_one("#metadata-body"))
        # b removes the bookmark and says so; b again puts it back as it was, note and date
        await pilot.press("b")
        assert messages(app, "Bookmark removed: Neighborhoods. b puts it back, with its note.")
        assert Memory().bookmark("bundled", ids["Neighborhoods"]) is None
        assert "★" not in text_of(screen.query_one("#metadata-body"))
        await pilot.press("b")
        assert Memory().bookmark("bundled", ids["Neighborhoods"]) == kept
        # the palette opens a recent dataset by its title
        await pilot.press("ctrl+p")
        await settle(pilot)
        app.focused.insert_text_at_cursor("heritage")  # (pasted)
        await wait_for(pilot, lambda: "↺ Heritage Trees" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot)
        assert screen.dataset.title == "Heritage Trees"
        assert [e.title for e in Memory().recent("bundled")] == ["Heritage Trees", "Neighborhoods"]
        # delete (or backspace) takes the highlighted entry off the list it is in: a recent dataset, then a bookmark
        # (open it and b puts it back, note and all)
        await pilot.press("ctrl+o", "ctrl+o")  # (Bookmarks was shown: Search, then Recent)
        await settle(pilot)
        assert screen.catalog_view == "recent" and listed_titles(app) == ["Heritage Trees", "Neighborhoods"]
        await pilot.press("delete")
        await pilot.pause()
        assert listed_titles(app) == ["Neighborhoods"] and messages(app, "Taken off the recent datasets: Heritage")
        await pilot.press("ctrl+o", "backspace")  # (a Mac laptop's delete key sends backspace)
        await pilot.pause()
        assert screen.catalog_view == "bookmarks" and listed_titles(app) == []
        assert messages(app, "Bookmark removed: Neighborhoods. Open it and b puts it back, with its note.")
        assert Memory().bookmark("bundled", ids["Neighborhoods"]) is None
        screen.open_dataset(ids["Neighborhoods"])
        await settle(pilot)
        await pilot.press("b")
        assert Memory().bookmark("bundled", ids["Neighborhoods"]) == kept
    assert [e.title for e in Memory().recent("bundled")] == ["Neighborhoods"]


@pytest.fixture
def quick_retries():
    with stamina.set_testing(True, attempts=2, cap=True):
        yield


async def test_a_bookmark_opens_offline_from_the_cache(fake_arcgis, quick_retries):
    """Bookmarked while the portal answers; the next run cannot reach it (and the cache is past its time): the
    Bookmarks list shows the title, and Enter opens the dataset from the cache, with the offline banner. With the
    cache gone too, the bundled sample stands in: the bookmark's title still shows, and Enter says why it cannot
    open."""
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from tests.support.fakeportal.fixtures import DATASETS

    heritage = DATASETS["heritage_trees"]
    portal = f"arcgis:{fake_arcgis.url}/hub"
    app = PdxApp(session=open_session(portal=portal))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(heritage.id)
        await settle(pilot)
        await pilot.press("b")
        assert messages(app, f"Bookmarked: {heritage.title}")
    fake_arcgis.stop()
    config = os.environ["PDXTUI_CONFIG"]
    with open(config, "w", encoding="utf-8") as out:
        # every cached copy is stale: the portal is asked first, and cannot answer
        out.write("[cache]\nttl = { catalog = 0.001, metadata = 0.001, rows = 0.001 }\n")
    app = PdxApp(session=open_session(portal=portal))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("ctrl+o", "ctrl+o")
        await settle(pilot)
        assert listed_titles(app) == [heritage.title] and heritage.title in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.dataset is not None and screen.dataset.id == heritage.id
        assert "ago, offline" in text_of(screen.query_one("#banner"))
        assert f"of {heritage.row_count} rows" in text_of(screen.query_one("#preview-header"))
        assert "★ Bookmarked" in text_of(screen.query_one("#metadata-body"))
    shutil.rmtree(os.environ["PDXTUI_CACHE_DIR"])  # no network and nothing cached: the bundled sample stands in
    app = PdxApp(session=open_session(portal=portal))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.service.portal.kind == "bundled"
        await pilot.press("ctrl+o", "ctrl+o")
        await settle(pilot)
        assert listed_titles(app) == [heritage.title]  # the title shows: it was kept on disk
        assert "offline: these are on" in text_of(screen.query_one("#memory-status"))
        await pilot.press("enter")
        await settle(pilot)
        assert screen.dataset is None and messages(app, f"{heritage.title} is on 127.0.0.1")


async def test_a_store_that_cannot_be_changed_is_told_once_and_the_app_goes_on(ids):
    """A memory file written by a newer pdxtui is left alone: its warning shows once, the recents that cannot be kept
    are told once (not at every open), and a bookmark that cannot be kept says so each time it is asked for."""
    folder = data_dir()
    folder.mkdir(parents=True)
    newer = {"pdxtui_memory": 99, "portals": {"bundled": {"recent": [], "bookmarks": []}}}
    (folder / "memory.json").write_text(json.dumps(newer), encoding="utf-8")
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for title in ("Parks", "Neighborhoods"):
            app.screen.open_dataset(ids[title])
            await settle(pilot)
        await pilot.press("b")
        await pilot.press("b")
        await settle(pilot)
        assert len(messages(app, "(format 99)")) == 1  # the warning, once
        assert len(messages(app, "recent datasets are not being kept")) == 1  # two opens, told once
        assert [n.title for n in app._notifications].count("Bookmark not changed") == 2  # each time b was pressed
        assert app.screen.dataset.title == "Neighborhoods" and app.is_running
    assert json.loads((folder / "memory.json").read_text(encoding="utf-8")) == newer
