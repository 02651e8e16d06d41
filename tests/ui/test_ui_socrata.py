"""Pilot and snapshot tests of the browser on the fake Socrata portal: open a dataset, filter, sort and count its
values on the server (SoQL), throttling and errors."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from pdxtui.session import open_session
from pdxtui.ui.app import PdxApp
from tests.support.fakeportal.socrata import INSPECTIONS, SERVICE_REQUESTS
from tests.support.uihelpers import settle, text_of, wait_for

SIZE = (140, 42)


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


def app_for(url: str) -> PdxApp:
    return PdxApp(session=open_session(portal=f"socrata:{url}"))


def row_requests(server, ident):
    return [
        r
        for r in server.requests_to(f"/resource/{ident}.")
        if not r.params.get("$select", "").startswith("count(*)") and "$group" not in r.params
    ]


async def test_search_and_open_a_socrata_dataset(fake_socrata):
    from pdxtui.ui.widgets.grid import PreviewGrid

    app = app_for(fake_socrata.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sub_title == "Socrata: 127.0.0.1"
        assert len(app.screen.query_one("#catalog").hits) > 10
        await pilot.press(*"food", "enter")
        await settle(pilot)
        assert [h.title for h in app.screen.query_one("#catalog").hits] == ["Food Inspections"]
        await pilot.press("enter")
        await settle(pilot)
        ds = app.screen.dataset
        assert ds.id == INSPECTIONS.id and ds.rows == 2345
        meta = text_of(app.screen.query_one("#metadata-body"))
        assert INSPECTIONS.owner in meta and "Daily" in meta and "Public Domain" in meta and "2,345" in meta
        header = text_of(app.screen.query_one("#preview-header"))
        assert "Showing 1,000 of 2,345 rows" in header and "SAMPLE" not in header
        assert app.screen.query_one(PreviewGrid).row_count == 1000
        asked = row_requests(fake_socrata, INSPECTIONS.id)
        assert asked and all(r.params["$order"].endswith(":id") for r in asked)
        assert "SoQL" in app.screen.query_one("#filter").placeholder or "SoQL" in app.screen.service.filter_note()


async def test_grid_filter_and_sort_run_on_the_server(fake_socrata):
    app = app_for(fake_socrata.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(SERVICE_REQUESTS.id)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        assert "Showing 523 of 523 rows" in text_of(pane.query_one("#preview-header"))
        pane.grid.focus()
        pane.grid.move_cursor(column=pane.view.columns.index("ward"))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert row_requests(fake_socrata, SERVICE_REQUESTS.id)[-1].params["$order"] == "ward DESC,:id"
        await pilot.press("f", *"ward > 45", "enter")
        await settle(pilot)
        last = row_requests(fake_socrata, SERVICE_REQUESTS.id)[-1].params
        assert last["$where"] == "ward > 45"
        assert last["$order"] == "ward DESC,:id"
        expected = [r for r in SERVICE_REQUESTS.rows if r["ward"] > 45]
        assert f"of {len(expected):,} rows" in text_of(pane.query_one("#preview-header"))
        assert pane.preview.frame["ward"].to_list() == sorted((float(r["ward"]) for r in expected), reverse=True)
        assert pane.preview.shown == len(expected)  # every matching row is loaded


async def test_value_counts_of_a_partly_loaded_dataset_come_from_the_server(fake_socrata):
    from pdxtui.ui.screens.facets import FacetScreen

    app = app_for(fake_socrata.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(INSPECTIONS.id)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        assert pane.preview.shown < pane.preview.total  # only the first 1,000 rows are loaded
        pane.grid.focus()
        pane.grid.move_cursor(column=pane.view.columns.index("risk"))
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, FacetScreen)
        facet = app.screen.facet
        counts = Counter(r["risk"] for r in INSPECTIONS.rows)
        assert facet.scope == "dataset" and facet.rows == 2345
        assert {(v.value, v.count) for v in facet.values} == {(k, n) for k, n in counts.items() if k is not None}
        grouped = [r.params for r in fake_socrata.requests if "$group" in r.params]
        assert grouped and grouped[-1]["$group"] == "risk"


async def test_throttling_shows_in_the_status_line_with_the_token_hint(fake_socrata):
    app = app_for(fake_socrata.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen: list[str] = []
        original = app.screen.set_status
        app.screen.set_status = lambda message: (seen.append(message), original(message))  # type: ignore[method-assign]
        fake_socrata.faults.set("429", path_contains=f"{INSPECTIONS.id}.csv", count=1, retry_after=1)
        app.screen.open_dataset(INSPECTIONS.id)
        await settle(pilot)
        assert any("429" in m and "app token" in m for m in seen), seen
        assert "of 2,345 rows" in text_of(app.screen.query_one("#preview-header"))


async def test_a_socrata_error_shows_in_the_pane_and_a_toast(fake_socrata):
    app = app_for(fake_socrata.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fake_socrata.apps["socrata"].drop_column = "score"
        app.screen.open_dataset(INSPECTIONS.id)
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        await settle(pilot)
        body = text_of(app.screen.query_one("#preview-empty"))
        assert "Socrata: 127.0.0.1" in body and "No such column: score" in body
        fake_socrata.apps["socrata"].drop_column = None
        app.screen.open_dataset(INSPECTIONS.id)
        await settle(pilot)
        assert "of 2,345 rows" in text_of(app.screen.query_one("#preview-header"))


# -- snapshot ---------------------------------------------------------------------------------------------------------

DOMAIN = "data.example-city.gov"


class _ToFake(httpx.AsyncBaseTransport):
    """Sends every request for https://data.example-city.gov to the fake server on 127.0.0.1 (so the URLs the
    metadata pane shows do not depend on the fake's port)."""

    def __init__(self, url: str):
        self.target = httpx.URL(url)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self.target.scheme, host=self.target.host, port=self.target.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_snapshot_of_a_socrata_dataset(snap_compare, tmp_path, fixed_freshness_clock):
    from pdxtui.cache import Store
    from pdxtui.net import Fetcher, make_client
    from pdxtui.portals import parse_portal
    from pdxtui.portals.socrata import SocrataPortal
    from pdxtui.service import Service
    from tests.support.fakeportal.server import FakeServer
    from tests.support.fakeportal.socrata import SocrataApp

    server = FakeServer()
    SocrataApp(domain=DOMAIN).mount(server)
    server.start()
    try:
        spec = parse_portal(f"socrata:https://{DOMAIN}")
        fetcher = Fetcher(
            spec.name, client=make_client(transport=_ToFake(server.url)), store=Store.open(tmp_path / "c")
        )
        portal = SocrataPortal(spec, fetcher, regional_catalog=f"https://{DOMAIN}/regional/api/catalog/v1")

        async def run_before(pilot):
            await pilot.pause()
            await settle(pilot)
            pilot.app.screen.open_dataset(SERVICE_REQUESTS.id)
            await settle(pilot)
            pilot.app.screen.query_one("#preview").grid.focus()
            await settle(pilot)
            await pilot.pause()

        assert snap_compare(PdxApp(Service(portal)), terminal_size=SIZE, run_before=run_before)
        assert server.requests and {r.headers["host"] for r in server.requests} == {DOMAIN}  # all came here
    finally:
        server.stop()
