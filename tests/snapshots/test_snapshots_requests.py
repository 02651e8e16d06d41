"""Snapshots of the Requests panel with a fixed set of requests (times shown in a pinned time zone, "today" a
pinned day, so the picture is the same on any machine), and a log file holding an earlier run's requests and one
of this session's: at 140×42 and at 80×24."""

from __future__ import annotations

import dataclasses

from pdxtui.requestlog import RequestFile, RequestLog
from tests.support.requestrecords import HUB, NOW, PORTLANDMAPS, PST, sample_records
from tests.support.uihelpers import demo_app, settle


def _panel(size: tuple[int, int]):
    def test(snap_compare):
        async def run_before(pilot):
            from pdxtui.ui.screens.requests import RequestsScreen

            await pilot.pause()
            await settle(pilot)
            log = RequestLog()
            records = sample_records()
            for record in records:
                log.add(record)
            file = RequestFile()  # in this test's state folder
            suggest = next(r for r in records if r.host == PORTLANDMAPS)
            file.write(dataclasses.replace(suggest, at=NOW - 3 * 3600))  # an earlier run's, this morning
            file.write(dataclasses.replace(records[1], at=NOW - 2 * 3600, host=HUB, status=429, bytes=0))
            file.write(records[1])  # this session's, already in the file: counted once
            file.close()
            seen = {"example.org": {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "59"}}
            pilot.app.push_screen(RequestsScreen(log, rate_source=lambda: seen, tz=PST, now=lambda: NOW))
            await settle(pilot)
            await pilot.pause()

        assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)

    return test


test_requests_panel = _panel((140, 42))
test_requests_panel_at_80x24 = _panel((80, 24))
