"""Pilot tests of the whole browser against the fake ArcGIS portal: flow, cache, offline, errors, cancel."""

from __future__ import annotations

import socket

import pytest

from pdxtui.model import SearchRequest
from pdxtui.session import open_session
from pdxtui.ui.app import PdxApp
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.uihelpers import screen_text, settle, text_of, wait_for

SIZE = (140, 42)
HERITAGE = DATASETS["heritage_trees"]
PERMITS = DATASETS["permits"]


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


def app_for(url: str) -> PdxApp:
    return PdxApp(session=open_session(portal=f"arcgis:{url}/hub"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket closes


async def test_whole_flow_against_the_portal(fake_arcgis):
    from pdxtui.ui.widgets.grid import PreviewGrid

    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "ArcGIS Hub: 127.0.0.1" in app.sub_title
        hits = app.screen.query_one("#catalog").hits
        assert len(hits) > 5
        await pilot.press(*"heritage", "enter")
        await settle(pilot)
        assert next(h.title for h in app.screen.query_one("#catalog").hits) == HERITAGE.title
        await pilot.press("enter")
        await settle(pilot)
        ds = app.screen.dataset
        assert ds.id == HERITAGE.id and not ds.sample
        meta = text_of(app.screen.query_one("#metadata-body"))
        assert HERITAGE.owner in meta and "Annually" in meta  # update frequency parsed out of the HTML
        assert "<p>" not in meta and "&amp;" not in meta  # the description is rendered as text
        header = text_of(app.screen.query_one("#preview-header"))
        assert f"Showing {HERITAGE.row_count} of {HERITAGE.row_count} rows" in header
        assert "SAMPLE" not in header
        grid = app.screen.query_one(PreviewGrid)
        assert grid.row_count == HERITAGE.row_count
        assert not app.screen.query_one("#banner").has_class("-shown")
        queries = [r for r in fake_arcgis.requests if r.path.endswith("/query") and "returnCountOnly" not in r.params]
        assert queries and all("orderByFields" in r.params for r in queries)


async def test_second_open_is_served_from_the_cache(fake_arcgis):
    for attempt in range(2):
        app = app_for(fake_arcgis.url)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.open_dataset(PERMITS.id)
            await settle(pilot)
            assert f"of {PERMITS.row_count:,} rows" in text_of(app.screen.query_one("#preview-header"))
        if attempt == 0:
            first = len(fake_arcgis.requests)
            assert first > 0
    assert len(fake_arcgis.requests) == first  # the second session made no request at all


async def test_unreachable_portal_falls_back_to_the_bundled_snapshot():
    app = app_for(f"http://127.0.0.1:{closed_port()}")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one("#banner")
        assert banner.has_class("-shown")
        assert "offline: could not reach" in text_of(banner) and "bundled sample data" in text_of(banner)
        titles = [h.title for h in app.screen.query_one("#catalog").hits]
        assert "Street Tree Inventory - Active Records" in titles
        assert app.screen.service.portal.kind == "bundled"
        assert app.is_running


async def test_stale_cache_is_served_with_its_age_when_the_portal_goes_away(fake_arcgis):
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(HERITAGE.id)
        await settle(pilot)
        fake_arcgis.stop()
        await pilot.press("ctrl+r")  # refresh bypasses the fresh cache, fails, and falls back to the stale copy
        await settle(pilot)
        banner = app.screen.query_one("#banner")
        assert banner.has_class("-shown")
        assert "ago, offline" in text_of(banner)
        assert app.screen.query_one("#catalog").hits  # the catalog is still there
        assert f"of {HERITAGE.row_count} rows" in text_of(app.screen.query_one("#preview-header"))


async def test_a_layer_error_shows_in_the_pane_and_a_toast(fake_arcgis):
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fake_arcgis.faults.set("error200", path_contains="/query?")
        app.screen.open_dataset(PERMITS.id)
        await settle(pilot)
        body = text_of(app.screen.query_one("#preview-empty"))
        assert "answered with an error" in body and "Error performing query" in body
        assert PERMITS.title in body
        assert any(n.severity == "error" for n in app._notifications)
        fake_arcgis.faults.clear()
        app.screen.open_dataset(PERMITS.id)
        await settle(pilot)
        assert f"of {PERMITS.row_count:,} rows" in text_of(app.screen.query_one("#preview-header"))


async def test_retry_waits_appear_in_the_status_line(fake_arcgis):
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen: list[str] = []
        original = app.screen.set_status
        app.screen.set_status = lambda message: (seen.append(message), original(message))  # type: ignore[method-assign]
        fake_arcgis.faults.set("429", path_contains="/query?", count=1, retry_after=2)
        app.screen.open_dataset(PERMITS.id)
        await settle(pilot)
        assert any("429" in m and "retrying" in m for m in seen), seen
        assert f"of {PERMITS.row_count:,} rows" in text_of(app.screen.query_one("#preview-header"))


async def test_escape_cancels_a_slow_fetch(fake_arcgis):
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fake_arcgis.faults.set("latency", path_contains="/query?", seconds=0.5)
        app.screen.open_dataset(PERMITS.id)
        await wait_for(pilot, lambda: any(w.group == "preview" and w.is_running for w in app.workers))
        app.screen.query_one("#catalog").focus()
        await pilot.press("escape")
        await settle(pilot)
        assert "Cancelled" in text_of(app.screen.query_one("#preview-header"))
        assert not app.screen.query_one("#preview-progress").display
        assert app.is_running
        fake_arcgis.faults.clear()
        app.screen.open_dataset(PERMITS.id)
        await settle(pilot)
        assert f"of {PERMITS.row_count:,} rows" in text_of(app.screen.query_one("#preview-header"))
        assert "Traceback" not in screen_text(app)


async def test_load_all_can_be_cancelled_and_keeps_the_loaded_rows(fake_arcgis):
    trees = DATASETS["street_trees"]
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(trees.id)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        assert pane.preview.shown == 1000
        fake_arcgis.faults.set("latency", path_contains="/query?", seconds=0.4)
        pane.grid.focus()
        await pilot.press("L")  # 20,437 rows: no confirmation needed
        await wait_for(pilot, lambda: pane.query_one("#preview-progress").display)
        await pilot.press("escape")
        await settle(pilot)
        assert pane.preview.shown == 1000  # the rows already loaded stay
        assert "Showing 1,000 of 20,437 rows" in text_of(pane.query_one("#preview-header"))
        fake_arcgis.faults.clear()
        await pilot.press("L")
        await settle(pilot)
        assert pane.preview.shown == trees.row_count
        assert pane.view["OBJECTID"].to_list() == list(range(1, trees.row_count + 1))


async def test_typing_a_word_sends_one_search_for_the_final_text(fake_arcgis):
    """Search-as-you-type must not spend the Hub's search allowance on every key: keystrokes are coalesced and the
    last search sent is for the text in the box."""
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fake_arcgis.reset_log()
        await pilot.press(*"heritage")
        await settle(pilot)
        searched = [r.params.get("q") for r in fake_arcgis.requests_to("/collections/dataset/items") if "q" in r.params]
        assert 1 <= len(searched) <= 2 and searched[-1] == "heritage"
        assert next(h.title for h in app.screen.query_one("#catalog").hits) == HERITAGE.title


async def test_a_search_held_back_by_the_throttle_is_dropped_when_the_text_changes(fake_arcgis):
    fake_arcgis.arcgis.search_limit = 1  # the first catalog answer says no search remains
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        portal = app.screen.service.portal
        portal.search_wait = 30  # the search for "her" waits (announced) ...
        await pilot.press(*"her")

        def held_searches():
            return [w for w in app.screen.workers if w.group == "search" and w.is_running]

        await wait_for(pilot, lambda: len(held_searches()) == 1)  # the search for "her", waiting its turn
        held = held_searches()
        await pilot.pause(0.3)
        assert not [r for r in fake_arcgis.requests_to("/collections/dataset/items") if "q" in r.params]
        portal.search_wait = 1.5  # ... and is dropped by the next key at once (not when the debounce fires)
        await pilot.press("i")
        assert held[0].is_cancelled  # by the key itself: its debounce (0.15 s) has not fired yet
        await wait_for(pilot, lambda: not held[0].is_running)
        await pilot.press(*"tage")  # each text waits its turn and is dropped by the next key; the final one is sent
        await wait_for(pilot, lambda: app.screen._last_request.text == "heritage")
        assert app.screen.query_one("#catalog").hits[0].title == HERITAGE.title
        searched = [r.params["q"] for r in fake_arcgis.requests_to("/collections/dataset/items") if "q" in r.params]
        # the held search was never sent; texts in between only if the box kept them past their wait (a slow machine)
        assert "her" not in searched and searched[-1] == "heritage"


async def test_a_search_for_text_no_longer_in_the_box_is_never_sent(fake_arcgis):
    """A search that starts after its text has left the box (its worker was slow to start) is not sent."""
    app = app_for(fake_arcgis.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"heritage")
        await settle(pilot)
        fake_arcgis.reset_log()
        worker = app.screen.run_search(SearchRequest(text="herit", limit=50))
        await worker.wait()
        assert not [r for r in fake_arcgis.requests_to("/collections/dataset/items") if "q" in r.params]
        assert app.screen.query_one("#catalog").hits[0].title == HERITAGE.title  # the list still answers the box
