"""Pilot tests of freshness in the browser: the catalog's filter (ctrl+f, real key presses) and the mark of a hit
following its opened dataset's verdict."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from tests.support.uihelpers import demo_app, settle, text_of, wait_for

SIZE = (140, 42)
LATE = ["Streets", "Bicycle Parking", "Curb Ramps", "Green Street Stormwater Facilities", "Parks"]


def titles(app) -> list[str]:
    from pdxtui.ui.widgets.catalog import CatalogList

    return [hit.title for hit in app.screen.query_one(CatalogList).hits]


def chosen(select) -> str:
    """What a drop-down shows."""
    return text_of(select.query_one("SelectCurrent Static#label"))


def status(app) -> str:
    return text_of(app.screen.query_one("#catalog-status"))


async def test_ctrl_f_filters_the_loaded_hits_by_freshness_and_says_how_many_pass():
    from textual.widgets import Select

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        everything = titles(app)
        assert len(everything) == 14 and status(app).startswith("14 datasets")
        await pilot.press("ctrl+f")  # from the search box, where the focus starts
        assert len(titles(app)) == 5 and status(app).startswith("5 of 14 datasets are fresh")
        await pilot.press("ctrl+f")
        assert titles(app) == LATE
        assert status(app).startswith("5 of 14 datasets are due or overdue")
        select = app.screen.query_one("#facet-freshness", Select)
        assert select.value == "late" and chosen(select) == "due or overdue (5)"  # the drop-down agrees
        await pilot.press("down", "down")  # into the list, and down one: the highlight stays through a new choice
        assert app.focused is app.screen.query_one("#catalog")
        await pilot.press(*"parks")  # letters typed in the list search; the filter stays on the new hits
        await wait_for(pilot, lambda: titles(app) == ["Parks"])
        await settle(pilot)
        assert status(app).startswith("1 of 4 datasets is due or overdue")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: titles(app) == ["Heritage Trees"])
        assert status(app).startswith("1 of 4 datasets is of unknown freshness")
        await pilot.press("ctrl+f")  # any: every hit again, and the line says only how many matched
        assert len(titles(app)) == 4 and status(app).startswith("4 datasets")
        # the drop-down chooses too
        select.value = "fresh"
        await wait_for(
            pilot, lambda: set(titles(app)) == {"Parks Tree Inventory", "Street Tree Inventory - Active Records"}
        )
        assert status(app).startswith("2 of 4 datasets are fresh")


async def test_a_hits_mark_follows_the_opened_datasets_verdict():
    """The hit says due (its record's date); the opened layer's last edit is older, so the dataset is overdue:
    from then on the list, the drop-down's counts and the filter all say overdue."""
    from textual.widgets import Select

    from pdxtui.freshness import DUE, OVERDUE
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.widgets.catalog import CatalogList

    class BetterDate(BundledPortal):
        async def dataset(self, dataset_id):
            ds = await super().dataset(dataset_id)
            older = datetime(2025, 4, 1, tzinfo=UTC)
            return replace(ds, data_updated=older) if ds.title == "Streets" else ds

    app = PdxApp(Service(BetterDate(name="demo")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        catalog = app.screen.query_one(CatalogList)

        def streets_line():
            option = catalog.get_option("3b60a502c6d2eec11341eef6b2f994ab_68")
            return option.prompt.state, str(option.prompt)

        assert streets_line()[0] == DUE and "◐" in streets_line()[1]
        await pilot.press("ctrl+f", "ctrl+f")  # due or overdue: Streets is listed either way
        await pilot.press("down")
        catalog.highlighted = titles(app).index("Streets")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.dataset.title == "Streets"
        assert streets_line()[0] == OVERDUE and "○!" in streets_line()[1]
        assert catalog.highlighted == titles(app).index("Streets")  # re-listed, the highlight kept
        assert "○! Updates weekly · data last changed 2025-04-01 · overdue" in text_of(
            app.screen.query_one("#metadata-body")
        )
        await pilot.press("ctrl+f", "ctrl+f")  # unknown, then any
        select = app.screen.query_one("#facet-freshness", Select)
        assert chosen(select) == "Any freshness (ctrl+f)"
        await pilot.press("ctrl+f")
        assert chosen(select) == "fresh (5)" and "Streets" not in titles(app)
