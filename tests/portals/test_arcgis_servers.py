"""The ArcGIS portal against servers of other ages and habits (portals.md, "Servers of every age are out there"):
the text dates of servers before 10.0, and the Hub's search throttle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pdxtui.cache import Store
from pdxtui.model import SearchRequest
from pdxtui.net import Fetcher, make_client
from pdxtui.portals import parse_portal
from pdxtui.portals.arcgis import ArcGISPortal
from tests.support.fakeportal.fixtures import DATASETS


@pytest.fixture
def server(fake_arcgis):
    return fake_arcgis


@pytest.fixture
async def make(tmp_path):
    """make(server, **fetcher_options) -> an ArcGISPortal on the fake with a cache of its own."""
    store = Store.open(tmp_path / "cache")
    made: list[ArcGISPortal] = []

    def factory(server, **kw) -> ArcGISPortal:
        spec = parse_portal(f"arcgis:{server.url}/hub")
        client = make_client(timeout_connect=2, timeout_read=5, trust_env=False)
        portal = ArcGISPortal(spec, Fetcher(f"arcgis:{spec.url}", client=client, store=store, **kw))
        made.append(portal)
        return portal

    yield factory
    for portal in made:
        client = portal._fetcher.client if portal._fetcher else None
        await portal.aclose()
        if client is not None:
            await client.aclose()
    store.close()


# -- an ArcGIS Server before 10.0: dates as text -----------------------------------------------------------------------


async def test_grid_shows_the_text_dates_of_an_old_server(server, make):
    import polars as pl

    from pdxtui.frames import display_frame
    from pdxtui.service import Service

    legacy = DATASETS["code_cases_2006"]
    service = Service(make(server))
    dataset = await service.dataset(legacy.id)
    preview = await service.preview(dataset)
    frame = preview.frame
    assert frame.schema["OPENED"] == pl.Datetime("ms", "UTC")  # the same type as epoch-ms dates
    assert frame["OPENED"].to_list()[:3] == [
        datetime(2005, 12, 23, tzinfo=UTC),
        datetime(2005, 12, 23, tzinfo=UTC),
        datetime(2006, 1, 2, 9, 5, 30, tzinfo=UTC),
    ]
    assert frame["OPENED"].to_list()[3:] == [
        datetime(2006, 3, 15, 12, 30, tzinfo=UTC),
        datetime(2006, 7, 4, 23, 59, 59, tzinfo=UTC),
        None,
    ]
    assert frame["CLOSED"].to_list() == [r["CLOSED"] for r in legacy.rows]  # "pending" keeps the column as text
    assert frame["PARCEL"].to_list() == ["R123456", "1234567", "R223344", "7654321", "R998877", None]
    shown = display_frame(frame)
    assert shown["OPENED"].to_list()[0] == datetime(2005, 12, 23)
    assert shown["CLOSED"].to_list()[2] == "pending"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/23/2005 12:00:00 AM", datetime(2005, 12, 23, tzinfo=UTC)),
        ("12/23/2005 12:00:00 PM", datetime(2005, 12, 23, 12, tzinfo=UTC)),
        ("1/2/2006 9:05:30 am", datetime(2006, 1, 2, 9, 5, 30, tzinfo=UTC)),
        ("12/23/2005", datetime(2005, 12, 23, tzinfo=UTC)),
        (" 7/4/2006 23:59 ", datetime(2006, 7, 4, 23, 59, tzinfo=UTC)),
        ("2006-07-04T10:00:00Z", datetime(2006, 7, 4, 10, tzinfo=UTC)),
        ("2006-07-04", datetime(2006, 7, 4, tzinfo=UTC)),
        ("13/1/2006", None),
        ("1/1/2006 13:00:00 PM", None),
        ("pending", None),
        ("1135296000000", None),  # a number is epoch ms, not text: the caller reads it
    ],
)
def test_text_moment(text, expected):
    from pdxtui.portals.arcgis.rows import text_moment

    assert text_moment(text) == expected


# -- the Hub search throttle -------------------------------------------------------------------------------------------


async def test_search_waits_when_the_hub_allowance_is_used_up(server, make):
    import time

    waits: list[tuple[str, float]] = []
    server.arcgis.search_limit = 2  # the second answer says 0 remain
    portal = make(server, on_wait=lambda message, seconds: waits.append((message, seconds)))
    portal.search_wait = 0.4  # no reset header: the configured wait
    await portal.search(SearchRequest(text="trees", limit=5))
    assert waits == [] and portal.rate_limits()["127.0.0.1"] == {
        "x-ratelimit-limit-portal_search_throttler": "2",
        "x-ratelimit-remaining-portal_search_throttler": "1",
    }
    await portal.search(SearchRequest(text="permits", limit=5))
    assert waits == [] and portal.rate_limits()["127.0.0.1"]["x-ratelimit-remaining-portal_search_throttler"] == "0"
    await portal.search(SearchRequest(text="permits", limit=5))  # from the cache: no request, no wait
    assert waits == []
    started = time.monotonic()
    await portal.search(SearchRequest(text="heritage", limit=5))
    assert time.monotonic() - started >= 0.3
    assert len(waits) == 1 and 0.3 <= waits[0][1] <= 0.4
    assert "search allowance (2 searches) is used up" in waits[0][0]
    assert len([r for r in server.requests_to("/collections/dataset/items") if r.params.get("q")]) == 3


async def test_search_wait_honours_the_reset_header(server, make):
    waits: list[float] = []
    server.arcgis.search_limit, server.arcgis.search_reset = 1, 0.2
    portal = make(server, on_wait=lambda message, seconds: waits.append(seconds))
    portal.search_wait = 30  # would fail the test by its length: the reset header wins
    await portal.search(SearchRequest(text="trees", limit=5))
    await portal.search(SearchRequest(text="permits", limit=5))
    assert len(waits) == 1 and 0 < waits[0] <= 0.2


def test_throttle_wait():
    from pdxtui.portals.arcgis.hub import throttle_wait

    spent = {"x-ratelimit-remaining-portal_search_throttler": "0"}
    assert throttle_wait(None, 100.0, 10) == 0
    assert throttle_wait((100.0, {"x-ratelimit-remaining-portal_search_throttler": "3"}), 100.0, 10) == 0
    assert throttle_wait((100.0, spent), 104.0, 10) == 6
    assert throttle_wait((100.0, spent), 120.0, 10) == 0
    assert throttle_wait((100.0, {**spent, "x-ratelimit-reset-portal_search_throttler": "2"}), 100.5, 10) == 1.5
    assert throttle_wait((1.7e9, {**spent, "x-ratelimit-reset-x": str(1.7e9 + 5)}), 1.7e9, 10) == 5
    assert throttle_wait((100.0, {**spent, "retry-after": "3"}), 100.0, 10) == 3
