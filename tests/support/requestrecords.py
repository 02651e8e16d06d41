"""A fixed set of request records (times pinned, shown in a pinned time zone) for the Requests panel's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from pdxtui.requestlog import RequestRecord

#: the time zone the panel's tests show times in (Portland in winter), whatever the machine's
PST = timezone(timedelta(hours=-8), "PST")
#: 2026-12-03 11:58:00 in Portland: "now" for the panel's tests
NOW = datetime(2026, 12, 3, 19, 58, tzinfo=UTC).timestamp()

HUB = "opendata.portlandmaps.com"
ARCGIS = "services.arcgis.com"
PORTLANDMAPS = "www.portlandmaps.com"
SOCRATA = "data.cityofchicago.org"


def sample_records(now: float = NOW) -> list[RequestRecord]:
    """Oldest first: one from yesterday, then today's: searches, pages, a cache hit, a 429 with retries and a
    wait, the same page answered after a 429 and a wait, a failure, a stale copy, a network error, and a path
    holding markup and control characters."""
    layer = "/ArcGIS/rest/services/Parks_Trees/FeatureServer/0/query"
    return [
        RequestRecord(now - 86400, HUB, "/api/search/v1/collections/dataset/items?q=parks", 200, 5120, 0.31, "network"),
        RequestRecord(
            now - 600,
            HUB,
            "/api/search/v1/collections/dataset/items?q=street%20trees&limit=100",
            200,
            48_213,
            0.42,
            "network",
            rate_limits={
                "x-ratelimit-limit-portal_search_throttler": "10",
                "x-ratelimit-remaining-portal_search_throttler": "7",
            },
            portal="portland",
        ),
        RequestRecord(now - 540, ARCGIS, layer + "?f=json", 200, 23_001, 0.18, "network", portal="portland"),
        RequestRecord(
            now - 530,
            ARCGIS,
            layer + "?where=1%3D1&outFields=*&resultOffset=0&resultRecordCount=1000&f=json",
            200,
            812_345,
            1.43,
            "network",
            rate_limits={"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "998"},
            portal="portland",
        ),
        RequestRecord(
            now - 480, ARCGIS, layer + "?f=json", None, 23_001, 0.004, "cache", attempts=0, portal="portland"
        ),
        RequestRecord(
            now - 300,
            ARCGIS,
            layer + "?where=1%3D1&outFields=*&resultOffset=1000&resultRecordCount=1000&f=json",
            429,
            0,
            7.9,
            "network",
            attempts=3,
            waited=6.5,
            rate_limits={"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0", "retry-after": "5"},
            portal="portland",
            error="services.arcgis.com answered 429 Too Many Requests",
        ),
        RequestRecord(
            now - 280,
            ARCGIS,
            layer + "?where=1%3D1&outFields=*&resultOffset=1000&resultRecordCount=1000&f=json",
            200,
            790_112,
            6.8,
            "network",
            attempts=2,
            waited=5.0,
            throttled=1,
            portal="portland",
        ),
        RequestRecord(
            now - 240,
            PORTLANDMAPS,
            "/api/suggest/?query=1120%20SW%205th%20Ave&count=10&api_key=%5Bsecret%5D",
            200,
            3_412,
            0.66,
            "network",
            rate_limits={"x-rate-limit-reset": str(int(now + 540))},
        ),
        RequestRecord(
            now - 120,
            SOCRATA,
            "/resource/ydr8-5enu.json?$limit=1000&$offset=0",
            503,
            312,
            2.2,
            "network",
            attempts=2,
            waited=1.0,
            error="data.cityofchicago.org answered 503 Service Unavailable",
        ),
        RequestRecord(now - 118, SOCRATA, "/api/views/ydr8-5enu.json", None, 9_870, 0.01, "stale", attempts=0),
        RequestRecord(
            now - 60,
            HUB,
            "/api/search/v1/collections/dataset/items?q=[bold red]x[/]\x1b[2J",
            None,
            0,
            10.0,
            "network",
            error="could not reach opendata.portlandmaps.com: connection refused",
        ),
    ]
