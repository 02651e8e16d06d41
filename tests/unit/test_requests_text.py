"""What the Requests panel writes, without a screen: cells and marks, totals per host for a local day, and the
rate-limit headers servers send (in the shapes and cases real servers use) in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pdxtui.requestlog import RequestRecord
from pdxtui.ui.screens import requests_text as rt
from tests.support.requestrecords import ARCGIS, HUB, NOW, PST, sample_records


def record(**changes) -> RequestRecord:
    base = dict(at=NOW, host=ARCGIS, path="/query?f=json", status=200, bytes=10, duration=0.1, source="network")
    return RequestRecord(**{**base, **changes})  # type: ignore[arg-type]  # the fields, by name


# -- cells ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status", "answer", "waits"),
    [
        ({}, "200", "200", ""),
        ({"status": 429, "attempts": 3, "waited": 6.5}, "429!", "429!", "2r ~6.5 s"),
        ({"status": 404}, "404×", "404×", ""),
        ({"status": None, "error": "connection refused"}, "err×", "err×", ""),
        ({"status": None, "source": "cache", "attempts": 0}, "—", "cache", ""),
        ({"status": None, "source": "stale", "attempts": 0}, "—", "stale", ""),
        ({"status": 200, "error": "the body was not JSON"}, "200×", "200×", ""),
        ({"status": 200, "attempts": 2, "waited": 5.0, "throttled": 1}, "200!", "200!", "1r ~5.0 s"),  # after a 429
        ({"waited": 12.0}, "200", "200", "~12 s"),
        ({"waited": 0.001}, "200", "200", ""),  # not "~0.00 s"
        ({"status": None, "error": "cancelled"}, "cancel", "cancel", ""),  # pdxtui stopped it: no failure
    ],
)
def test_a_state_shows_in_text_not_only_in_colour(changes, status, answer, waits):
    r = record(**changes)
    assert rt.status_cell(r).plain == status
    assert rt.answer_cell(r).plain == answer
    assert rt.waits_cell(r).plain == waits


def test_429_and_waits_are_coloured_too():
    r = record(status=429, attempts=2, waited=3.0)
    assert rt.status_cell(r).style == rt.THROTTLED
    assert rt.waited_cell(r).style == rt.WAITED and rt.waited_cell(r).plain == "~3.0 s"
    assert rt.retries_cell(r).plain == "1"


@pytest.mark.parametrize("width", [40, 80, 100, 110, 140, 200])
def test_the_columns_fit_the_width(width):
    columns = rt.columns_for(width)
    used = sum(c.width for c in columns) + rt.PADDING * len(columns) + 2
    assert used <= max(width, 76)  # below 76 columns the table scrolls sideways rather than lose its columns
    assert all(c.width >= 5 for c in columns)
    keys = [c.key for c in columns]
    assert keys[:3] == ["time", "host", "path"]
    assert ("source" in keys) == (width >= 110)  # narrow: status and source in one column


def test_cells_are_cut_to_their_column_and_inert():
    hostile = record(path="/items?q=[bold red]x[/]\x1b[2J" + "a" * 200)
    columns = rt.columns_for(80)
    cells = rt.record_cells(hostile, columns, PST)
    for cell, column in zip(cells, columns, strict=True):
        assert cell.cell_len <= column.width
    assert cells[2].plain == "/items?q=[bold r…"
    path = rt.record_cells(hostile, rt.columns_for(140), PST)[2].plain
    assert path.startswith("/items?q=[bold red]x[/]␛[2J") and path.endswith("…")  # literal, escape made visible
    assert cells[0].plain == "11:58:00"  # in the time zone given


def test_the_path_reads_decoded():
    r = record(path="/resource/x.json?$where=name%20like%20%27%25oak%25%27&api_key=***")
    assert rt.shown_path(r.path) == "/resource/x.json?$where=name like '%oak%'&api_key=***"
    assert rt.shown_path("/a%0Ab") == "/a b"  # a decoded newline stays on one line


def test_the_detail_line_holds_the_uncut_path_the_error_and_the_rate_limits():
    r = sample_records()[5]  # the 429
    text = rt.record_detail(r, PST).plain
    assert "11:53:00  429!" in text and "3 tries" in text and "~waited 6.5 s" in text
    assert "resultOffset=1000&resultRecordCount=1000&f=json" in text
    assert "answered 429 Too Many Requests" in text
    assert "0 of 1000 left" in text


@pytest.mark.parametrize(("n", "shown"), [(0, "0 B"), (834, "834 B"), (12_600, "12 KiB"), (1_300_000, "1.2 MiB")])
def test_sizes_are_short(n, shown):
    assert rt.size(n) == shown


# -- totals -----------------------------------------------------------------------------------------------------


def test_totals_per_host_for_today_only():
    totals = rt.host_totals(sample_records(), "2026-12-03", PST)
    arcgis = totals[ARCGIS]
    assert (arcgis.requests, arcgis.network, arcgis.cache_hits, arcgis.throttled) == (5, 4, 1, 2)  # 429 and 200!
    assert arcgis.waited == 11.5 and arcgis.bytes == 23_001 + 812_345 + 790_112
    assert totals[HUB].requests == 2  # yesterday's search is not today's
    ranked = rt.ranked(totals.values())
    assert ranked[0].host == ARCGIS and [t.requests for t in ranked] == sorted(
        (t.requests for t in ranked), reverse=True
    )
    rows = {row[0].plain: [c.plain for c in row] for row in rt.totals_rows(ranked)}
    assert rows[ARCGIS][5] == "2!" and rows[ARCGIS][7] == "~12 s"
    assert rows[HUB][5] == "0"


def test_a_cancelled_request_is_no_error():
    records = [record(status=None, error="cancelled"), record(status=None, error="cancelled", source="cache")]
    records += [record(status=None, error="connection refused"), record(status=503, error="cancelled")]
    (total,) = rt.host_totals(records, "2026-12-03", PST).values()
    assert (total.requests, total.errors) == (4, 2)
    assert "×" not in rt.status_cell(records[0]).plain and rt.status_cell(records[3]).plain == "503×"


def test_a_local_day_spans_two_utc_days():
    # 15:00 and 17:00 in Portland on 3 December: 23:00 on the 3rd and 01:00 on the 4th in UTC
    evening = datetime(2026, 12, 3, 23, tzinfo=UTC).timestamp()
    records = [record(at=evening), record(at=evening + 7200)]
    assert rt.host_totals(records, "2026-12-03", PST)[ARCGIS].requests == 2
    assert rt.host_totals(records, "2026-12-04", timezone(timedelta(0)))[ARCGIS].requests == 1
    assert rt.midnight(evening, PST) == datetime(2026, 12, 3, 8, tzinfo=UTC).timestamp()


# -- rate limits ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (
            {"x-ratelimit-limit-portal_search_throttler": "10", "x-ratelimit-remaining-portal_search_throttler": "7"},
            "search throttle 7 of 10 left",
        ),
        ({"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "998"}, "998 of 1000 left"),  # as sent: any case
        ({"x-ratelimit-remaining": "42"}, "42 left"),
        ({"x-ratelimit-limit": "1000"}, "limit 1000"),
        ({"x-ratelimit-used": "3", "x-ratelimit-limit": "60"}, "limit 60, 3 used"),
        ({"x-rate-limit-reset": str(int(NOW + 540))}, "resets at 12:07:00"),  # PortlandMaps: epoch seconds
        ({"x-rate-limit-reset": str(int(NOW + 540) * 1000)}, "resets at 12:07:00"),  # or milliseconds
        ({"x-ratelimit-reset": "90"}, "resets in 90 s (at 11:59:30)"),  # or seconds from the answer
        (
            {"ratelimit-remaining": "5", "ratelimit-limit": "50", "ratelimit-reset": "30"},
            "5 of 50 left, resets in 30 s (at 11:58:30)",
        ),
        ({"x-ratelimit-reset": "soon"}, "resets soon"),
        ({"x-ratelimit-reset": "nan"}, "resets nan"),
        ({"x-ratelimit-remaining": "", "x-ratelimit-limit": "10"}, '"" of 10 left'),  # an empty value says so
        ({"retry-after": "5"}, "retry after 5 s"),
        ({"retry-after": "Wed, 03 Dec 2026 20:00:00 GMT"}, "retry after Wed, 03 Dec 2026 20:00:00 GMT"),
        ({"x-ratelimit-policy": "100;w=60"}, "policy 100;w=60"),
        ({"x-ratelimit-burst": "[red]x[/]"}, "x-ratelimit-burst: [red]x[/]"),  # unknown: shown as sent, inert
    ],
)
def test_rate_limit_headers_in_words(headers, words):
    assert rt.rate_words(headers, NOW, PST) == words


def test_a_used_up_allowance_is_marked():
    figures = {ARCGIS: (NOW, {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0"})}
    text = rt.rate_lines(figures, PST).plain
    assert "0 of 1000 left" in text and "! used up" in text and "seen 11:58:00" in text
    assert rt.exhausted({"X-RateLimit-Remaining-portal_search_throttler": "0"})
    assert not rt.exhausted({"x-ratelimit-remaining": "10"})


def test_the_last_rate_limits_per_host():
    figures = rt.last_rate_limits(sample_records(), {"example.org": {"x-ratelimit-remaining": "3"}, ARCGIS: {}})
    assert list(figures) == sorted(figures)
    assert figures[ARCGIS][1]["x-ratelimit-remaining"] == "0"  # the newest answer's, not the one before
    assert figures["example.org"] == (None, {"x-ratelimit-remaining": "3"})  # from a fetcher: no time
    newer = record(at=NOW + 10, rate_limits={"x-ratelimit-remaining": "999"})
    assert rt.last_rate_limits([newer, *sample_records()])[ARCGIS][1]["x-ratelimit-remaining"] == "999"
