"""Snapshots of freshness on screen: the metadata pane's line in each state (datasets of a live portal, judged at
the fixed clock of tests/snapshots/conftest.py), and the catalog's marks and filter on the bundled sample (every
state; judged at its snapshot date)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.uihelpers import demo_app, settle

SIZE = (140, 42)
PARKS = "c8cbf0231617e68c8bd3d71ba4a1d82c_2"  # quarterly, overdue in the sample


def _metadata_app():
    from textual.app import App
    from textual.containers import Grid

    from pdxtui.model import Dataset
    from pdxtui.ui.widgets.metadata import MetadataPane

    def at(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=UTC)

    datasets = [  # the fixed clock is 2026-12-03 12:00 UTC
        Dataset("fresh", "Address Points", owner="BTS", update_frequency="Daily", data_updated=at(2026, 12, 3, 6)),
        Dataset("due", "Streets", owner="PBOT", update_frequency="Weekly", data_updated=at(2026, 11, 22, 9)),
        Dataset("overdue", "Parks", owner="PP&R", update_frequency="R/P3M", data_updated=at(2025, 5, 12, 15)),
        Dataset("unknown", "Heritage Trees", owner="PP&R", update_frequency="As needed", data_updated=at(2025, 2, 3)),
    ]

    class Panes(App):
        CSS = "Grid { grid-size: 2 2; } MetadataPane { border: round $primary; }"

        def compose(self):
            with Grid():
                for ds in datasets:
                    yield MetadataPane(id=f"pane-{ds.id}")

        def on_mount(self) -> None:
            for ds in datasets:
                pane = self.query_one(f"#pane-{ds.id}", MetadataPane)
                pane.border_title = ds.id
                pane.show(ds)

    return Panes()


def test_metadata_pane_in_each_state(snap_compare):
    async def run_before(pilot):
        await pilot.pause()

    assert snap_compare(_metadata_app(), terminal_size=(140, 24), run_before=run_before)


def test_catalog_filtered_to_late_with_an_overdue_dataset_open(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await settle(pilot)
        await pilot.press("ctrl+f", "ctrl+f")  # due or overdue
        pilot.app.screen.open_dataset(PARKS)
        await settle(pilot)
        pilot.app.screen.query_one("#catalog").focus()
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
