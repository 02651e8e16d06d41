"""The Requests panel: its key opens it from a text box, it follows the request log live (records added on the
event loop and from another thread, as fetch workers do), marks 429s and waits, totals hosts, and closes."""

from __future__ import annotations

import dataclasses
import threading
import time

from textual.coordinate import Coordinate

from pdxtui import requestlog
from pdxtui.requestlog import RequestFile, RequestLog, log_path
from pdxtui.ui.screens.requests import RequestsScreen
from tests.support.requestrecords import ARCGIS, HUB, sample_records
from tests.support.uihelpers import demo_app, screen_text, settle, wait_for


def row_record(screen, row: int):
    table = screen.query_one("#req-table")
    return screen.records[table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value]


async def test_the_requests_panel_opens_with_its_key_and_follows_the_log(monkeypatch):
    log = RequestLog()
    monkeypatch.setattr(requestlog, "_current", log)
    now = time.time()
    records = [dataclasses.replace(r, at=now) for r in sample_records()[1:]]  # all today, whenever this runs
    # the log file (in this test's state folder): an earlier run's request today, one of two days ago, a damaged
    # line, and one of this session's requests, already written (counted once)
    file = RequestFile()
    file.write(dataclasses.replace(records[2], at=now - 1, path="/earlier/run"))
    file.write(dataclasses.replace(records[2], at=now - 2 * 86400))
    file.write(records[0])
    file.write(dataclasses.replace(records[0], host="old.example.org", rate_limits={"x-ratelimit-remaining": "41"}))
    file.close()
    with open(log_path(), "a", encoding="utf-8") as f:
        f.write("{not a record\n")
    app = demo_app()
    seen = {"example.org": {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "3"}}
    monkeypatch.setattr(app.service.portal, "rate_limits", lambda: seen)  # what a fetcher kept, no record
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        for r in records[:3]:
            log.add(r)
        browser = app.screen
        browser.query_one("#search").focus()  # from a text box too
        await pilot.press("ctrl+n")
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, RequestsScreen)
        table = panel.query_one("#req-table")
        assert table.row_count == 3

        flushes = []
        flush = panel.flush
        monkeypatch.setattr(panel, "flush", lambda: (flushes.append(1), flush()))
        log.add(records[3])  # on the event loop
        worker = threading.Thread(target=lambda: [log.add(r) for r in records[4:]])  # and from a fetch worker
        worker.start()
        worker.join()
        await wait_for(pilot, lambda: table.row_count == len(records))
        assert len(flushes) < len(records) - 3  # in batches, not one refresh per record
        assert row_record(panel, 0) is records[-1] and row_record(panel, len(records) - 1) is records[0]

        text = screen_text(app)
        assert "429!" in text and "200!" in text and "~6.5 s" in text and "503×" in text  # marks, not only colours
        assert "every run, from the request log (1 damaged line skipped)" in text
        rows = [line.split() for line in text.splitlines()]
        totals = {row[0]: row[1:] for row in rows if len(row) > 3 and row[1].isdigit() and row[2].isdigit()}
        assert totals[ARCGIS][:2] == ["6", "5"] and "2!" in totals[ARCGIS] and totals[ARCGIS][-2:] == ["~12", "s"]
        assert totals[HUB][:2] == ["2", "2"]  # its search is in the file too: counted once
        assert "example.org  3 of 5 left" in text  # the fetchers' figures, for a host no record has
        assert "0 of 1000 left" in text and "! used up" in text
        assert "old.example.org  41 left" in text  # an earlier run's figures, from the file
        assert "[bold red]x[/]" in text  # a path's markup shown as typed

        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is browser and log._listeners == []  # closed, and no longer listening
        log.add(records[0])  # nothing breaks with the panel gone

        await pilot.press("ctrl+n")  # the key again closes it
        await pilot.pause()
        assert (
            isinstance(app.screen, RequestsScreen) and app.screen.query_one("#req-table").row_count == len(records) + 1
        )
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is browser

        await pilot.press("ctrl+p")  # and the palette runs it, showing its key
        await pilot.pause()
        await pilot.press(*"Requests")
        await wait_for(pilot, lambda: "ctrl+n" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RequestsScreen))


async def test_the_panel_follows_the_browsers_own_requests(fake_arcgis, monkeypatch):
    """Against the fake ArcGIS portal: the requests the browser makes while the panel is open appear in it, the
    page answered after a 429 is marked, and the totals match the server's own count of requests."""
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from tests.support.fakeportal.fixtures import DATASETS

    log = RequestLog(sink=RequestFile())  # this test's own, writing the file in its state folder
    monkeypatch.setattr(requestlog, "_current", log)
    fake_arcgis.faults.set("429", path_contains="/query?", count=1, retry_after=0.2)
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        browser = app.screen
        await pilot.press("ctrl+n")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, RequestsScreen)
        table = panel.query_one("#req-table")
        assert table.row_count == len(log.recent()) > 0  # the catalog's requests, made before it opened
        browser.open_dataset(DATASETS["permits"].id)  # the browser goes on fetching under the panel
        await settle(pilot)
        await wait_for(pilot, lambda: table.row_count == len(log.recent()))
        records = log.recent()
        assert sum(r.attempts for r in records) == len(fake_arcgis.requests)
        (held,) = [r for r in records if r.throttled]
        text = screen_text(app)
        assert "200!" in text and "every run, from the request log" in text
        host = held.host
        rows = [line.split() for line in text.splitlines()]
        (totals,) = [
            row for row in rows if row[:1] == [host] and len(row) > 3 and row[1].isdigit() and row[2].isdigit()
        ]
        assert totals[1] == str(len(records))  # every request, the file's and those heard counted once
