"""Pilot tests of the address lookup screen (``a``) against the fake PortlandMaps API and the bundled portal:
typing, paging, picking, the detail sections, the permits grid and its export, the jump to open data near the
address, and the screen without a key (which sends nothing)."""

from __future__ import annotations

import csv
import json
import math

import pytest
from textual.widgets import OptionList

from pdxtui.ui.screens.address import AddressScreen, NearbyScreen
from pdxtui.ui.screens.browse import BrowseScreen
from pdxtui.ui.screens.export import ExportScreen
from tests.support.fakeportal.portlandmaps import BY_ID, TEST_KEY, detail
from tests.support.uihelpers import demo_app, screen_text, settle, text_of, wait_for

SIZE = (140, 42)


def api_calls(server, what: str = "/api/") -> list:
    return [r for r in server.requests if what in r.path]


@pytest.fixture
def keyed(fake_portlandmaps, monkeypatch):
    monkeypatch.setenv("PDXTUI_PORTLANDMAPS_KEY", TEST_KEY)
    return fake_portlandmaps


async def open_screen(pilot) -> AddressScreen:
    await settle(pilot)
    await pilot.press("ctrl+l")  # works from the search box too
    await pilot.pause()
    assert isinstance(pilot.app.screen, AddressScreen)
    return pilot.app.screen


async def type_address(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])
    screen = pilot.app.screen
    await wait_for(
        pilot,
        lambda: screen._debounce is None and not any(w.is_running for w in screen.workers if w.group == "suggest"),
    )
    await pilot.pause()


def suggestions(screen) -> list[str]:
    listing = screen.query_one("#suggestions", OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def pick(pilot, text: str, label: str) -> AddressScreen:
    screen = await open_screen(pilot)
    await type_address(pilot, text)
    await pilot.press("enter")  # to the suggestions
    options = suggestions(screen)
    index = next(i for i, o in enumerate(options) if o.startswith(label))
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await details_loaded(pilot)
    return screen


async def details_loaded(pilot) -> None:
    screen = pilot.app.screen
    await wait_for(pilot, lambda: not any(w.is_running for w in screen.workers if w.group.startswith("detail-")))
    await pilot.pause()
    await pilot.pause()


async def show_tab(pilot, kind: str) -> None:
    await pilot.click(f"#--content-tab-tab-{kind}")
    await details_loaded(pilot)


# -- without a key ---------------------------------------------------------------------------------------------------


async def test_without_a_key_the_screen_says_how_to_get_one_and_sends_nothing(fake_portlandmaps):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        text = screen_text(app)
        assert "https://www.portlandmaps.com/development/" in text
        assert "PDXTUI_PORTLANDMAPS_KEY" in text and "[portlandmaps]" in text and 'api_key = "your-key"' in text
        assert not screen.query("#address-input")  # nothing to type into
        await pilot.press("ctrl+o", "ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, AddressScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
    assert fake_portlandmaps.requests == []


async def test_palette_opens_the_address_lookup(keyed):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"address lookup")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AddressScreen))


# -- suggestions --------------------------------------------------------------------------------------------------


async def test_typing_is_debounced_and_pages_follow(keyed):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "sw 5th ave")
        calls = api_calls(keyed, "/api/suggest/")
        # one request for 10 key presses (two at most, should the machine stall between keys)
        assert 1 <= len(calls) <= 2 and calls[-1].params["query"] == "sw 5th ave"
        options = suggestions(screen)
        assert len(options) == 21 and options[-1] == "More suggestions…"
        assert options[0] == "1000 SW 5TH AVE, PORTLAND, 97204"
        assert "20 of 24 suggestions" in text_of(screen.query_one("#suggest-status"))
        await pilot.press("enter", "end", "enter")  # to the list, to "More suggestions…", take it
        await wait_for(pilot, lambda: len(suggestions(screen)) == 24)
        assert [r.params["page"] for r in api_calls(keyed, "/api/suggest/")][-2:] == ["1", "2"]
        assert "More suggestions…" not in suggestions(screen)
        assert "24 of 24 suggestions" in text_of(screen.query_one("#suggest-status"))


async def test_short_text_asks_nothing_and_no_match_says_so(keyed):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "sw")
        assert api_calls(keyed) == [] and suggestions(screen) == []
        assert "at least 3 characters" in text_of(screen.query_one("#suggest-status"))
        await type_address(pilot, " zzz")
        assert "No address matches" in text_of(screen.query_one("#suggest-status"))


async def test_a_wrong_key_is_one_readable_error(keyed, monkeypatch):
    monkeypatch.setenv("PDXTUI_PORTLANDMAPS_KEY", "wrong-key-5150")
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "alberta")
        status = text_of(screen.query_one("#suggest-status"))
        assert "Invalid API key" in status and "wrong-key-5150" not in screen_text(app)
        assert isinstance(app.screen, AddressScreen)


async def test_a_429_wait_is_shown_in_the_status_line(keyed, monkeypatch):
    said: list[str] = []
    original = AddressScreen.on_wait

    def record(self, message: str, seconds: float) -> None:
        said.append(message)
        original(self, message, seconds)

    monkeypatch.setattr(AddressScreen, "on_wait", record)
    keyed.apps["portlandmaps"].throttle(1, reset_in=0.3, style="seconds")
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "alberta")
        assert len(suggestions(screen)) == 21
    assert said and "rate limit reached" in said[0] and "X-Rate-Limit-Reset" in said[0]
    statuses = [r.status for r in api_calls(keyed)]
    assert statuses[0] == 429 and statuses[-1] == 200 and statuses.count(429) == 1


# -- details --------------------------------------------------------------------------------------------------------


async def test_pick_shows_sections_tab_by_tab(keyed):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        text = screen_text(app)
        assert "1120 SW 5TH AVE, PORTLAND, 97204" in text and "45.51494, -122.67919" in text
        assert "General" in text and "The Portland Building" in text and "legal description" in text
        assert [r.params["detail_type"] for r in api_calls(keyed, "/api/detail/")] == ["property"]
        await show_tab(pilot, "zoning")
        text = screen_text(app)
        assert "Zoning" in text and "CX" in text and "d; g" in text
        await show_tab(pilot, "assessor")
        text = screen_text(app)
        assert "CITY OF PORTLAND" in text and "Assessment" in text and "2024" in text
        assert [r.params["detail_type"] for r in api_calls(keyed, "/api/detail/")] == ["property", "zoning", "assessor"]
        await show_tab(pilot, "property")  # already loaded: no new request
        assert len(api_calls(keyed, "/api/detail/")) == 3
        assert "The Portland Building" in screen_text(app)


async def test_portal_text_is_shown_as_text_not_markup(keyed):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pick(pilot, "1500 alberta", "1500 NE ALBERTA ST")
        await show_tab(pilot, "assessor")
        text = screen_text(app)
        assert "[bold]ALBERTA[/bold] HOLDINGS LLC ␛[31m" in text
        assert "\x1b" not in text


async def test_permits_grid_exports_with_the_export_dialog(keyed, tmp_path):
    expected = detail("permit", BY_ID["R246993"])["permits"]
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        await pilot.press("ctrl+e")  # nothing to export before the permits are shown
        await pilot.pause()
        assert isinstance(app.screen, AddressScreen)
        await show_tab(pilot, "permit")
        grid = screen.query_one("#permits-grid")
        assert grid.row_count == len(expected)
        assert f"{len(expected)} permits" in text_of(screen.query_one("#permits-note"))
        assert expected[0]["permit"] in screen_text(app)
        await pilot.press("ctrl+e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        target = tmp_path / "permits.csv"
        dialog.query_one("#path").value = str(target)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: target.exists() and not dialog.running)
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["permit"] for r in rows] == [p["permit"] for p in expected]
    assert [int(r["valuation"]) for r in rows] == [p["valuation"] for p in expected]
    assert list(rows[0]) == list(expected[0])
    # the provenance names the PortlandMaps request, without the API key
    sidecar = (tmp_path / "permits.csv.provenance.json").read_text()
    assert TEST_KEY not in sidecar
    record = json.loads(sidecar)
    assert record["query"]["url"].startswith(keyed.url) and "detail_id=R246993" in record["query"]["url"]
    assert "detail_type=permit" in record["query"]["url"] and "api_key" not in record["query"]["url"]
    assert record["export"]["rows"] == len(expected) and record["portal"]["kind"] == "portlandmaps"


async def test_unknown_property_shows_the_error_in_its_tab(keyed, monkeypatch):
    import tests.support.fakeportal.portlandmaps as fake

    monkeypatch.setattr(fake, "BY_ID", {k: v for k, v in fake.BY_ID.items() if k != "R246993"})
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        text = screen_text(app)
        assert "Could not load the property details" in text and "No property found for detail_id R246993" in text


# -- jump to open data -------------------------------------------------------------------------------------------


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


async def test_open_street_trees_near_the_address(keyed, tmp_path):
    from pdxtui.portals.snapshot.generate import build_frame

    trees = build_frame("a494697005da9eea74335a369b0e3689_1415")
    here = (45.51494, -122.67919)
    expected = sum(metres(*here, lat, lon) <= 100 for lat, lon in zip(trees["Latitude"], trees["Longitude"]))
    assert expected > 0
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, NearbyScreen) and app.screen.found)
        nearby = app.screen
        titles = [f.title for f in nearby.found]
        assert titles[0] == "Street Tree Inventory - Active Records" and "Heritage Trees" in titles
        assert "City Council Districts" not in titles  # not a point layer, not offered
        await pilot.click("#nearby-distance")
        await pilot.pause()
        await pilot.press("up", "enter")  # 200 m -> 100 m
        await pilot.pause()
        nearby.query_one("#nearby-list").focus()
        await pilot.press("enter")  # the first dataset: street trees
        await wait_for(pilot, lambda: isinstance(app.screen, BrowseScreen))
        browse = app.screen
        pane = browse.query_one("#preview")
        await wait_for(pilot, lambda: pane.preview is not None)
        await settle(pilot)
        preview = pane.preview
        assert preview.dataset.title == "Street Tree Inventory - Active Records"
        assert preview.query.near == (*here, 100.0)
        assert preview.total == expected == preview.shown
        assert all(
            metres(*here, lat, lon) <= 100 for lat, lon in zip(preview.frame["Latitude"], preview.frame["Longitude"])
        )
        assert "within 100 m of 45.51494, -122.67919 (1120 SW 5TH AVE)" in pane.border_subtitle
        assert "within 100 m" in screen_text(app)
        # the export dialog offers "all rows within 100 m" and writes exactly those rows
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        dialog = app.screen
        assert "All rows within 100 m of 45.51494, -122.67919" in screen_text(app)
        target = tmp_path / "nearby.ndjson"
        dialog.query_one("#path").value = str(target)
        dialog.query_one("#scope-filtered").value = True
        await pilot.pause()
        assert dialog.scope() == "filtered"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: target.exists())
        await settle(pilot)
        written = [json.loads(line) for line in target.read_text().splitlines()]
        assert len(written) == expected
        assert all(metres(*here, r["Latitude"], r["Longitude"]) <= 100 for r in written)
        if isinstance(app.screen, ExportScreen):
            await pilot.press("escape")
            await settle(pilot)
        # opening another dataset the ordinary way drops the near-filter
        browse.open_dataset("63d4fe31021075f62edebe781978c0fc_26")
        await settle(pilot)
        assert pane.preview.query.near is None and pane.border_subtitle == ""


async def test_second_look_comes_from_the_cache_and_ctrl_r_asks_again(keyed):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")
        await pilot.press("escape")
        await pilot.pause()
        await pick(pilot, "1120 sw 5th", "1120 SW 5TH AVE")  # a new screen: answered from the disk cache
        assert len(api_calls(keyed, "/api/detail/")) == 1
        assert "from the cache" in screen_text(app)
        await pilot.press("ctrl+r")
        await details_loaded(pilot)
        assert [r.params.get("detail_type") for r in api_calls(keyed, "/api/detail/")] == ["property", "property"]
        assert "The Portland Building" in screen_text(app)


# -- review fixes: More keeps to one search, Enter retries a failed lookup, permit numbers stay as sent -------------


async def test_more_picked_while_new_text_is_on_its_way_does_not_mix_two_searches(keyed):
    server = keyed
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "SW 5th")
        old = suggestions(screen)
        assert len(old) == 21 and old[-1] == "More suggestions…"
        server.faults.set("latency", path_contains="/api/suggest", seconds=1.0)
        await pilot.press("space", "a", "v", "e")  # "SW 5th ave"
        await pilot.press("enter")  # asks for the new text now, and goes to the list (still the old text's)
        await pilot.press("end", "enter")  # "More suggestions…" of the old list, while the new text is on its way
        await wait_for(pilot, lambda: not any(w.is_running for w in screen.workers if w.group == "suggest"), timeout=20)
        await pilot.pause(0.3)
        asked = [(r.params.get("query"), r.params.get("page")) for r in api_calls(server, "/api/suggest")]
        assert asked[-1] == ("SW 5th ave", "1"), asked  # the new text's first page was not cancelled
        assert ("SW 5th ave", "2") not in asked
        # the list is the new text's first page alone: 20 suggestions and More, no second page under it
        shown = suggestions(screen)
        assert len(shown) == 21 and shown[-1] == "More suggestions…", shown
        assert [p.page for p in screen.pages] == [1]
        assert "20 of 24 suggestions" in text_of(screen.query_one("#suggest-status"))
        # More now pages the new text
        server.faults.clear()
        await pilot.press("end", "enter")
        await wait_for(pilot, lambda: len(suggestions(screen)) == 24, timeout=20)
        assert [(r.params.get("query"), r.params.get("page")) for r in api_calls(server, "/api/suggest")][-1] == (
            "SW 5th ave",
            "2",
        )


async def test_an_answer_for_text_no_longer_in_the_box_is_dropped(keyed):
    server = keyed
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "SW 5th")
        # a late answer for the old text (as if the worker had not been cancelled in time) changes nothing
        screen.query_one("#address-input").value = "1120 SW"
        await wait_for(
            pilot, lambda: [r.params.get("query") for r in api_calls(server, "/api/suggest")][-1] == "1120 SW"
        )
        await wait_for(
            pilot, lambda: screen.settled and not any(w.is_running for w in screen.workers if w.group == "suggest")
        )
        await pilot.pause()
        now = suggestions(screen)
        assert now and all(o.startswith("1120 SW") for o in now if o != "More suggestions…"), now
        screen.run_suggest("SW 5th", 2)
        await wait_for(pilot, lambda: not any(w.is_running for w in screen.workers if w.group == "suggest"))
        await pilot.pause()
        assert suggestions(screen) == now


BUSY = json.dumps({"status": "error", "error": "Service busy, try again"}).encode()  # PortlandMaps' error shape


async def test_enter_asks_again_after_a_failed_lookup(keyed):
    server = keyed
    server.faults.set("error200", path_contains="/api/suggest", count=1, body=BUSY)
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "1120 SW")
        before = len(api_calls(server, "/api/suggest"))
        assert before >= 1 and suggestions(screen) == []
        assert "Lookup failed: " in text_of(screen.query_one("#suggest-status"))
        assert "Service busy" in text_of(screen.query_one("#suggest-status"))
        screen.query_one("#address-input").focus()
        await pilot.press("enter")  # the same text: asked again, and the fault is over
        await wait_for(pilot, lambda: not any(w.is_running for w in screen.workers if w.group == "suggest"))
        await pilot.pause()
        assert len(api_calls(server, "/api/suggest")) == before + 1
        assert suggestions(screen) and suggestions(screen)[0].startswith("1120 SW")


async def test_ctrl_r_asks_again_after_a_failed_first_lookup(keyed):
    server = keyed
    server.faults.set("error200", path_contains="/api/suggest", count=1, body=BUSY)
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await type_address(pilot, "1120 SW")
        before = len(api_calls(server, "/api/suggest"))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not any(w.is_running for w in screen.workers if w.group == "suggest"))
        await pilot.pause()
        assert len(api_calls(server, "/api/suggest")) == before + 1
        assert suggestions(screen) and suggestions(screen)[0].startswith("1120 SW")


def test_permit_columns_become_numbers_only_when_every_value_is_a_plain_ascii_integer():
    import polars as pl

    from pdxtui.portlandmaps import Section
    from pdxtui.ui.screens.address import permits_frame

    rows = (
        {
            "permit": "0071234",
            "fee": "120",
            "arabic": "١٢٣",
            "neg": "-5",
            "big": "123456789012345678",
            "huge": "1234567890123456789",
            "mixed": "7",
        },
        {"permit": "0000001", "fee": "0", "arabic": "٤٥", "neg": "12", "big": "1", "huge": "2", "mixed": "07"},
        {"permit": None, "fee": None, "arabic": None, "neg": "-0", "big": None, "huge": None, "mixed": None},
    )
    frame = permits_frame(Section("permits", rows=rows, columns=tuple(rows[0])))
    assert frame["permit"].to_list() == ["0071234", "0000001", None]  # leading zeros kept: text
    assert frame["arabic"].to_list() == ["١٢٣", "٤٥", None]  # non-ASCII digits kept as sent
    assert frame["fee"].dtype == pl.Int64 and frame["fee"].to_list() == [120, 0, None]
    assert frame["neg"].dtype == pl.String  # "-0" would come back as 0
    assert frame["big"].dtype == pl.Int64 and frame["big"][0] == 123456789012345678
    assert frame["huge"].dtype == pl.String  # 19 digits: more than fits for sure
    assert frame["mixed"].to_list() == ["7", "07", None]
