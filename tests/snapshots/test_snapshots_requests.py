"""Snapshots of the Requests panel with a fixed set of requests (times shown in a pinned time zone, "today" a
pinned day, so the picture is the same on any machine): at 140×42 and at 80×24."""

from __future__ import annotations

from pdxtui.requestlog import RequestLog
from tests.support.requestrecords import NOW, PST, sample_records
from tests.support.uihelpers import demo_app, settle


def _panel(size: tuple[int, int]):
    def test(snap_compare):
        async def run_before(pilot):
            from pdxtui.ui.screens.requests import RequestsScreen

            await pilot.pause()
            await settle(pilot)
            log = RequestLog()
            for record in sample_records():
                log.add(record)
            seen = {"example.org": {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "59"}}
            pilot.app.push_screen(RequestsScreen(log, rate_source=lambda: seen, tz=PST, now=lambda: NOW))
            await settle(pilot)
            await pilot.pause()

        assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)

    return test


test_requests_panel = _panel((140, 42))
test_requests_panel_at_80x24 = _panel((80, 24))
