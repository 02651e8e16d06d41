"""A filter the rows' source refuses never costs the rows on screen: a SQL result's duration column cannot be
compared (said under the filter bar as it is typed, and on Enter nothing is fetched), and a filter that fails on
the server, or is cancelled (Esc) while the server takes its time, puts the rows shown before back (clearing the
filter is not "open a dataset first"), the filter typed staying in the bar to be put right."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import polars as pl
from textual.app import App
from textual.widgets import Input, Static

from pdxtui.service import Service
from pdxtui.sql.portal import ResultPortal
from pdxtui.sql.result import result_dataset
from pdxtui.ui.widgets.preview import PreviewPane
from tests.support.uihelpers import wait_for

FRAME = pl.DataFrame({"name": ["a", "b", "c"], "since": [timedelta(days=d) for d in (1, 2, 3)], "n": [1, 2, 3]})


class PaneApp(App[None]):
    def compose(self):
        yield PreviewPane(id="preview")


class Refusing(ResultPortal):
    """A result whose rows cannot be read once a filter on ``n`` is asked (as a server answering 400 would), and
    whose answer to a filter on ``name`` takes its time (``asked`` is set once it is waiting)."""

    asked = asyncio.Event()
    reads = 0  # how many times rows were asked for

    async def pages(self, dataset, query, progress=None):
        self.reads += 1
        if query.where and "name" in query.where:
            self.asked.set()
            await asyncio.sleep(30)  # a slow server: the filter is cancelled meanwhile
        if query.where and "n >" in query.where:
            raise RuntimeError("the server refused the filter")
        async for page in super().pages(dataset, query, progress):
            yield page


async def test_a_refused_filter_keeps_the_rows():
    dataset = result_dataset("SELECT * FROM t", FRAME, ())
    portal = Refusing(dataset, FRAME)
    service = Service(portal)
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(PreviewPane)
        pane.service = service
        await pane.show(await service.preview(dataset))
        bar = pane.query_one("#filter", Input)
        bar.focus()
        await pilot.press(*"since > 1")
        error = str(pane.query_one("#filter-error", Static).render())
        assert "Duration" in error and "since" in error  # said as it is typed
        reads = portal.reads
        await pilot.press("enter")
        await pilot.pause()
        assert portal.reads == reads  # refused before any row was asked for
        assert pane.preview is not None and pane.preview.frame.height == 3  # nothing lost
        assert "Duration" in str(pane.query_one("#filter-error", Static).render())
        assert pane.view is not None and pane.view.height == 3

        bar.value = "n > 1"  # parses and type-checks: the (refusing) source is asked, and fails
        pane.apply_filter(bar.value)
        await wait_for(pilot, lambda: not pane.workers or all(not w.is_running for w in pane.workers))
        await pilot.pause()
        assert pane.preview is not None and pane.preview.frame.height == 3, "the rows shown before are back"
        assert "refused" in str(pane.query_one("#filter-error", Static).render())
        assert bar.value == "n > 1"  # what was typed stays, to be put right (Esc brings back the one applied)
        pane.apply_filter("")  # clearing the filter shows every row again (not "Open a dataset first")
        await wait_for(pilot, lambda: pane.preview is not None and pane.preview.query.where is None)
        assert pane.view is not None and pane.view.height == 3

        pane.apply_filter("name = 'a'")  # a slow answer, cancelled (Esc): the rows shown stay
        await wait_for(pilot, portal.asked.is_set)
        pane.cancel()
        await wait_for(pilot, lambda: not any(w.is_running for w in pane.workers))
        await pilot.pause()
        assert pane.preview is not None and pane.preview.frame.height == 3 and pane.preview.query.where is None
