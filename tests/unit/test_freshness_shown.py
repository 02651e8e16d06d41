"""Freshness as users see it, without a screen: the bundled sample's facts and snapshot date, the catalog's marks and
filter note, the metadata pane's line, and the data-quality draft's sentence."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from rich.console import Console

from pdxtui import freshness
from pdxtui.drafting import DraftInput, draft
from pdxtui.freshness import DUE, FRESH, OVERDUE, UNKNOWN
from pdxtui.model import Dataset, DatasetSummary, SearchRequest
from pdxtui.portals.bundled import BundledPortal, snapshot_date
from pdxtui.ui import fresh
from pdxtui.ui.widgets.catalog import hit_prompt
from pdxtui.ui.widgets.metadata import render_metadata


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def plain(renderable, width: int = 200) -> str:
    console = Console(width=width, color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


# -- the bundled sample -------------------------------------------------------------------------------------------


def _bundled() -> tuple[list[DatasetSummary], list[Dataset]]:
    portal = BundledPortal()
    hits = list(asyncio.run(portal.search(SearchRequest(limit=100))).hits)
    return hits, [asyncio.run(portal.dataset(h.id)) for h in hits]


def test_the_sample_shows_every_state_and_its_hits_carry_the_datasets_facts():
    hits, datasets = _bundled()
    for hit, ds in zip(hits, datasets, strict=True):
        assert (hit.update_frequency, hit.data_updated, hit.freshness_as_of) == (
            ds.update_frequency,
            ds.data_updated,
            ds.freshness_as_of,
        )
        assert ds.update_frequency and ds.data_updated is not None
        assert freshness.of(hit) == freshness.of(ds)
    states = {freshness.of(ds).state for ds in datasets}
    assert states == {FRESH, DUE, OVERDUE, UNKNOWN}


def test_the_sample_is_judged_as_of_its_snapshot_date_whatever_the_clock_says(monkeypatch):
    _hits, datasets = _bundled()
    before = [freshness.of(ds).state for ds in datasets]
    monkeypatch.setattr(freshness, "clock", lambda: at(2031, 1, 1))  # years later: a live judge says overdue
    assert [freshness.of(ds).state for ds in datasets] == before
    streets = next(ds for ds in datasets if ds.title == "Streets")
    verdict = freshness.of(streets)
    assert verdict.snapshot and verdict.at == snapshot_date() == at(2025, 5, 15)
    assert verdict.describe().endswith("due 1 day ago · as of the snapshot date 2025-05-15")
    assert verdict.to_json()["as_of"] == "2025-05-15T00:00:00Z"
    # a date asked for explicitly wins, and is not called a snapshot's
    assert not freshness.of(streets, at(2031, 1, 1)).snapshot
    # a live portal's dataset (no snapshot date) is judged now, and its JSON has the four keys only
    live = replace(streets, freshness_as_of=None)
    assert freshness.of(live).state == OVERDUE
    assert set(freshness.of(live).to_json()) == {"state", "cadence", "data_updated", "expected_by"}
    assert "snapshot" not in freshness.of(live).describe()


# -- the catalog ------------------------------------------------------------------------------------------------


def test_marks_are_distinct_shapes_that_never_widen_the_list():
    glyphs = [fresh.MARKS[s][0] for s in (FRESH, DUE, OVERDUE)]
    assert len(set(glyphs)) == 3 and fresh.MARKS[UNKNOWN][0] == ""
    assert all(len(g) <= fresh.MARK_WIDTH for g in glyphs)
    hit = DatasetSummary(
        "x", "A title", owner="Portland Bureau of Environmental Services", updated=at(2025, 1, 1), rows=123_456
    )
    for width in (20, 30, 41, 46, 80):
        lines = [plain(hit_prompt(hit, width, state), width=400).splitlines()[1].rstrip() for state in fresh.MARKS]
        assert all(len(text) <= width for text in lines), (width, lines)
        assert len({len(text) for text in lines}) == 1  # every mark takes the same room: the owners line up
    assert plain(hit_prompt(hit, 46, OVERDUE)).splitlines()[1].startswith("○! Portland")


def test_the_list_shows_the_date_the_mark_is_judged_on():
    hit = DatasetSummary("x", "X", updated=at(2025, 4, 28), data_updated=at(2025, 5, 6), update_frequency="Weekly")
    assert "2025-05-06" in plain(hit_prompt(hit, 46, DUE)) and "2025-04-28" not in plain(hit_prompt(hit, 46, DUE))
    older = DatasetSummary("y", "Y", updated=at(2025, 4, 28))  # a portal that gives no data date: the record's
    assert "2025-04-28" in plain(hit_prompt(older, 46))


@pytest.mark.parametrize(
    ("choice", "states", "passing"),
    [
        ("any", [FRESH, DUE, OVERDUE, UNKNOWN], 4),
        ("fresh", [FRESH, DUE, OVERDUE, UNKNOWN], 1),
        ("late", [FRESH, DUE, OVERDUE, UNKNOWN, OVERDUE], 3),
        ("unknown", [FRESH, UNKNOWN], 1),
    ],
)
def test_filter_choices(choice, states, passing):
    assert sum(fresh.matches(s, choice) for s in states) == passing
    assert fresh.counts(states)[choice] == passing


def test_ctrl_f_cycles_the_choices():
    seen = ["any"]
    for _ in range(4):
        seen.append(fresh.next_choice(seen[-1]))
    assert seen == ["any", "fresh", "late", "unknown", "any"]


def test_the_filter_note_says_what_is_hidden_and_what_was_not_judged():
    assert fresh.filter_note("any", 14, 14, 14) == ""
    assert fresh.filter_note("late", 3, 20, 20).startswith("3 of 20 datasets are due or overdue")
    assert fresh.filter_note("fresh", 1, 20, None).startswith("1 of 20 datasets is fresh")
    assert fresh.filter_note("unknown", 0, 14, 14).startswith("0 of 14 datasets are of unknown freshness")
    more = fresh.filter_note("late", 3, 100, 240)
    assert more.startswith("3 of the 100 loaded datasets are due or overdue")
    assert "other 140 matches are not loaded, so not judged" in more


# -- the metadata pane ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changed", "mark", "verdict"),
    [
        (at(2026, 11, 30), "●", "fresh (next update expected by 2026-12-07)"),
        (at(2026, 11, 20), "◐", "due 6 days ago"),
        (at(2025, 5, 12), "○!", "overdue by 80 weeks"),
    ],
)
def test_the_metadata_pane_has_the_freshness_line(monkeypatch, changed, mark, verdict):
    monkeypatch.setattr(freshness, "clock", lambda: at(2026, 12, 3, 12))
    ds = Dataset("x", "X", update_frequency="Weekly", updated=at(2026, 12, 1), data_updated=changed)
    text = plain(render_metadata(ds))
    assert f"{mark} Updates weekly · data last changed {changed.date().isoformat()} · {verdict}" in text


def test_the_freshness_line_never_reads_portal_text_as_markup():
    ds = Dataset("x", "X", update_frequency="[bold red]As needed[/] [/x]", data_updated=at(2025, 1, 1))
    line = fresh.state_text(freshness.of(ds))
    assert "Updates: [bold red]As needed[/] [/x]" in line.plain and "freshness unknown" in line.plain
    assert plain(render_metadata(ds)).count("[bold red]As needed[/] [/x]") == 2  # the line and the Updates row
    unknown = plain(render_metadata(Dataset("y", "Y")))
    assert "No stated update cadence · no date for the data's last change · freshness unknown" in unknown


def test_the_verdict_is_styled_in_the_states_colour():
    ds = Dataset("x", "X", update_frequency="Weekly", data_updated=at(2025, 5, 6), freshness_as_of=at(2025, 5, 15))
    line = fresh.state_text(freshness.of(ds))
    styled = {line.plain[s.start : s.end]: str(s.style) for s in line.spans}
    assert styled["due 2 days ago"] == "yellow" and styled["◐ "] == "yellow"
    assert "as of the snapshot date 2025-05-15" not in styled


def test_the_help_legend_names_every_mark():
    text = fresh.legend().plain
    for state in (FRESH, DUE, OVERDUE, UNKNOWN):
        assert f"{fresh.MARKS[state][0]:2} {state}" in text
    assert "ctrl+f" in text


# -- the data-quality draft -------------------------------------------------------------------------------------

TODAY = date(2025, 12, 3)
STREETS = Dataset(
    "s_68",
    "Streets",
    owner="Portland Bureau of Transportation",
    update_frequency="Weekly",
    updated=at(2025, 11, 30),
    data_updated=at(2025, 5, 12, 15, 40),
)


def _quality(ds: Dataset) -> str:
    return draft(DraftInput("quality", dataset=ds), today=TODAY).body


def test_an_overdue_dataset_is_cited_with_its_dates_and_cadence():
    body = _quality(STREETS)
    assert (
        "The dataset states it is updated weekly; its data last changed on 2025-05-12, so an update was expected "
        "by 2025-05-19. It is now overdue by 28 weeks." in body
    )
    assert body.index("expected by") < body.index("What is wrong:")


def test_a_due_dataset_is_cited_too():
    body = _quality(replace(STREETS, data_updated=at(2025, 11, 24)))
    assert "updated weekly; its data last changed on 2025-11-24, so an update was expected by 2025-12-01" in body
    assert "It is now due 2 days ago." in body


@pytest.mark.parametrize(
    "ds",
    [
        replace(STREETS, data_updated=at(2025, 11, 30)),  # fresh
        replace(STREETS, update_frequency="As needed"),  # no schedule
        replace(STREETS, update_frequency=""),  # no cadence
        replace(STREETS, data_updated=None),  # no date
    ],
    ids=["fresh", "as-needed", "no-cadence", "no-date"],
)
def test_a_fresh_or_unknown_dataset_is_never_called_late(ds):
    body = _quality(ds)
    assert "expected by" not in body and "overdue" not in body and "states it is updated" not in body


def test_the_draft_is_judged_on_its_own_date_not_the_clock(monkeypatch):
    monkeypatch.setattr(freshness, "clock", lambda: at(2025, 5, 13))  # the clock says fresh; the letter's day not
    assert "overdue by 28 weeks" in _quality(STREETS)


def test_the_sample_is_cited_as_of_its_snapshot_date():
    _hits, datasets = _bundled()
    parks = next(ds for ds in datasets if ds.title == "Parks")
    body = _quality(parks)
    assert "updated quarterly; its data last changed on 2024-08-07, so an update was expected by 2024-11-07" in body
    assert "(as of the snapshot date 2025-05-15, it was overdue by 6 months)." in body


def test_a_snapshot_catalog_without_dates_is_judged_now(monkeypatch):
    """An older catalog.json (no "as_of", no "data_updated"): the record's date, judged against the clock."""
    from pdxtui.portals import bundled, snapshot

    old = {**snapshot.catalog(), "datasets": [dict(d) for d in snapshot.catalog()["datasets"]]}
    old.pop("as_of")
    for entry in old["datasets"]:
        entry.pop("data_updated")
    monkeypatch.setattr(snapshot, "catalog", lambda: old)
    monkeypatch.setattr(freshness, "clock", lambda: at(2025, 5, 15))
    streets = asyncio.run(bundled.BundledPortal().dataset("3b60a502c6d2eec11341eef6b2f994ab_68"))
    assert streets.freshness_as_of is None and streets.data_updated == streets.updated
    assert freshness.of(streets).state == OVERDUE and not freshness.of(streets).snapshot


def test_the_metadata_panes_freshness_line_lets_no_escape_sequence_through():
    """The cadence is portal text: ESC and a right-to-left override in it never reach the screen (the review of
    issue 18 found them on the metadata pane's freshness line)."""
    from pdxtui.ui.widgets.metadata import freshness_line

    ds = Dataset(
        id="x",
        title="t",
        update_frequency="\x1b]0;pwned\x07Weekly\x1b[31m\u202e",
        data_updated=datetime.now(UTC) - timedelta(days=3),
    )
    shown = freshness_line(ds).plain
    assert "\x1b" not in shown and "\u202e" not in shown, repr(shown)
