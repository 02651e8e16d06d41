"""The browser's requests are in the request log (issue 18, part 3), and the API-access draft's toggle puts their
summary in the letter: one pilot run against the fake ArcGIS portal."""

from __future__ import annotations

import json
import re

from tests.support.fakeportal.fixtures import DATASETS
from tests.support.uihelpers import settle

PERMITS = DATASETS["permits"]


async def test_the_browsers_requests_are_logged_and_the_access_draft_offers_them(fake_arcgis, tmp_path):
    from textual.widgets import Select

    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens.draft import DraftScreen

    fake_arcgis.faults.set("429", path_contains="/query?", count=1, retry_after=0.2)
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.screen.open_dataset(PERMITS.id)
        await settle(pilot)
        records = [json.loads(line) for line in (tmp_path / "state" / "requests.jsonl").read_text().splitlines()]
        assert sum(r["attempts"] for r in records) == len(fake_arcgis.requests) > 2  # every request the site saw
        assert all(r["status"] == (200 if r["attempts"] else None) and r["error"] == "" for r in records)
        assert any(r["source"] == "cache" for r in records)  # the catalog, asked again from the cache
        (held,) = [r for r in records if r["throttled"]]
        assert held["attempts"] == 2 and held["waited"] >= 0.15 and "/query?" in held["path"]

        app.screen.query_one("#catalog").focus()
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DraftScreen)
        screen.query_one("#kind", Select).value = "access"
        await settle(pilot)
        assert "request log" not in screen.letter_text()
        screen.query_one("#f-include_usage").focus()
        await pilot.press("space")  # tick "Include my request log (30 days)"
        await settle(pilot)
        letter = screen.letter_text()
        table = letter[letter.index("Day ") :].split("\n\n")[0].splitlines()
        assert table[1].split()[1] == "127.0.0.1" and table[-1].startswith("Total")
        went = re.search(r"(\d+) requests went to these services", letter)
        assert went and int(went.group(1)) >= sum(1 for r in records if r["attempts"])
