"""Freshness: stated cadences as portals spell them, against the date the data last changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pdxtui import freshness
from pdxtui.freshness import DUE, FRESH, OVERDUE, UNKNOWN, assess, parse_cadence, span
from pdxtui.model import Dataset, DatasetSummary


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]  # year, month, day[, hour, minute]


@pytest.mark.parametrize(
    ("stated", "name", "days"),
    [
        ("Weekly", "weekly", 7),
        ("weekly", "weekly", 7),
        ("WEEKLY", "weekly", 7),
        ("Every week", "weekly", 7),
        ("Updated weekly", "weekly", 7),
        ("Weekly, on Mondays", "weekly", 7),
        ("R/P1W", "weekly", 7),
        ("P1W", "weekly", 7),
        ("R/P7D", "weekly", 7),
        ("http://purl.org/cld/freq/weekly", "weekly", 7),
        ("Daily", "daily", 1),
        ("Nightly", "daily", 1),
        ("Daily (weekdays)", "daily", 1),
        ("R/P1D", "daily", 1),
        ("Monthly", "monthly", 31),
        ("R/P1M", "monthly", 31),
        ("Every month", "monthly", 31),
        ("Quarterly", "quarterly", 92),
        ("Every 3 months", "quarterly", 92),
        ("R/P3M", "quarterly", 92),
        ("Semi-annually", "semi-annually", 183),
        ("Semiannual", "semi-annually", 183),
        ("Twice a year", "semi-annually", 183),
        ("R/P6M", "semi-annually", 183),
        ("Annually", "annually", 366),
        ("Yearly", "annually", 366),
        ("Annual", "annually", 366),
        ("R/P1Y", "annually", 366),
        ("Bi-weekly", "every two weeks", 14),
        ("Every other week", "every two weeks", 14),
        ("R/P2W", "every two weeks", 14),
        ("Biennially", "every two years", 731),
        ("Every 10 days", "every 10 days", 10),
        ("R/PT1H", "hourly", 1 / 24),
    ],
)
def test_cadence_spellings(stated: str, name: str, days: float) -> None:
    cadence = parse_cadence(stated)
    assert (cadence.name, cadence.days, cadence.stated) == (name, pytest.approx(days), stated)


@pytest.mark.parametrize(
    "stated",
    ["", "   ", "As needed", "as-needed", "AS NEEDED", "Irregular", "irregularly", "Historical", "Never",
     "None", "N/A", "Whenever it changes", "Continuously updated", "Real-time", "R/PT1S", "As needed (monthly)",
     "Weekly-ish sometimes", "http://purl.org/cld/freq/irregular", "P0D", "banana"],
)  # fmt: skip
def test_cadences_that_promise_no_schedule_are_unknown(stated: str) -> None:
    cadence = parse_cadence(stated)
    assert cadence.days is None and cadence.name == ""
    assert assess(stated, at(2025, 1, 1), at(2025, 1, 2)).state == UNKNOWN


# (cadence, data last changed, judged at, state, expected by)
TABLE = [
    # one period exactly is still fresh; one second past is due; two periods past is overdue
    ("Weekly", at(2025, 5, 12), at(2025, 5, 19), FRESH, at(2025, 5, 19)),
    ("Weekly", at(2025, 5, 12), at(2025, 5, 19, 0, 0, 1), DUE, at(2025, 5, 19)),
    ("Weekly", at(2025, 5, 12), at(2025, 5, 26), DUE, at(2025, 5, 19)),
    ("Weekly", at(2025, 5, 12), at(2025, 5, 26, 0, 0, 1), OVERDUE, at(2025, 5, 19)),
    ("Daily", at(2025, 12, 31, 23), at(2026, 1, 1, 22), FRESH, at(2026, 1, 1, 23)),
    ("Daily", at(2025, 12, 31, 23), at(2026, 1, 2, 22), DUE, at(2026, 1, 1, 23)),
    ("Daily", at(2025, 12, 31, 23), at(2026, 1, 3), OVERDUE, at(2026, 1, 1, 23)),
    # month ends: a month is 31 days, whatever the calendar month
    ("Monthly", at(2025, 1, 31), at(2025, 3, 3), FRESH, at(2025, 3, 3)),
    ("Monthly", at(2025, 1, 31), at(2025, 3, 4), DUE, at(2025, 3, 3)),
    ("Monthly", at(2024, 1, 31), at(2024, 3, 2), FRESH, at(2024, 3, 2)),  # leap February
    ("Monthly", at(2024, 1, 31), at(2024, 4, 3), OVERDUE, at(2024, 3, 2)),
    ("Monthly", at(2025, 2, 28), at(2025, 3, 31), FRESH, at(2025, 3, 31)),
    ("Monthly", at(2025, 11, 30), at(2025, 12, 31), FRESH, at(2025, 12, 31)),
    ("Monthly", at(2025, 11, 30), at(2026, 1, 1), DUE, at(2025, 12, 31)),
    # quarters and years across leap days
    ("Quarterly", at(2023, 12, 1), at(2024, 3, 2), FRESH, at(2024, 3, 2)),
    ("Quarterly", at(2023, 12, 1), at(2024, 6, 3), OVERDUE, at(2024, 3, 2)),
    ("R/P6M", at(2024, 2, 29), at(2024, 8, 30), FRESH, at(2024, 8, 30)),
    ("R/P6M", at(2024, 2, 29), at(2024, 8, 31), DUE, at(2024, 8, 30)),
    ("Annually", at(2024, 2, 29), at(2025, 3, 1), FRESH, at(2025, 3, 1)),
    ("Annually", at(2024, 2, 29), at(2025, 3, 2), DUE, at(2025, 3, 1)),
    ("Annually", at(2023, 3, 1), at(2024, 3, 1), FRESH, at(2024, 3, 1)),  # 366 days over a leap day
    ("Annually", at(2023, 3, 1), at(2025, 3, 2), DUE, at(2024, 3, 1)),
    ("Annually", at(2023, 3, 1), at(2025, 3, 3), OVERDUE, at(2024, 3, 1)),
    # the data changed after "now" (clock skew, a time zone): fresh, not an error
    ("Weekly", at(2025, 5, 12), at(2025, 5, 11), FRESH, at(2025, 5, 19)),
    # no date, or no schedule
    ("Weekly", None, at(2025, 5, 12), UNKNOWN, None),
    ("As needed", at(2025, 5, 12), at(2030, 1, 1), UNKNOWN, None),
    ("", at(2025, 5, 12), at(2030, 1, 1), UNKNOWN, None),
]


@pytest.mark.parametrize(("stated", "updated", "now", "state", "expected"), TABLE)
def test_state_table(
    stated: str, updated: datetime | None, now: datetime, state: str, expected: datetime | None
) -> None:
    verdict = assess(stated, updated, now)
    assert (verdict.state, verdict.expected_by) == (state, expected)


def test_naive_and_other_zones_are_compared_as_instants() -> None:
    pacific = timezone(timedelta(hours=-8))
    # 2025-05-12 20:00 in Portland is 2025-05-13 04:00 UTC
    verdict = assess("Daily", datetime(2025, 5, 12, 20, tzinfo=pacific), at(2025, 5, 14, 4))
    assert verdict.state == FRESH
    assert assess("Daily", datetime(2025, 5, 12), at(2025, 5, 13)).state == FRESH  # naive is UTC


def test_the_metadata_line_and_json() -> None:
    verdict = assess("Weekly", at(2025, 5, 12), at(2025, 12, 8))
    assert verdict.describe() == "Updates weekly · data last changed 2025-05-12 · overdue by 29 weeks"
    assert verdict.to_json() == {
        "state": "overdue",
        "cadence": "weekly",
        "data_updated": "2025-05-12T00:00:00Z",
        "expected_by": "2025-05-19T00:00:00Z",
    }
    fresh = assess("R/P1M", at(2026, 11, 20, 8), at(2026, 12, 3))
    assert fresh.describe() == (
        "Updates monthly · data last changed 2026-11-20 · fresh (next update expected by 2026-12-21)"
    )
    due = assess("Monthly", at(2026, 10, 20), at(2026, 11, 25))
    assert due.describe() == "Updates monthly · data last changed 2026-10-20 · due 5 days ago"
    unknown = assess("As needed", at(2026, 10, 20), at(2026, 11, 25))
    assert unknown.describe() == "Updates: As needed · data last changed 2026-10-20 · freshness unknown"
    assert unknown.to_json() == {
        "state": "unknown",
        "cadence": "As needed",
        "data_updated": "2026-10-20T00:00:00Z",
        "expected_by": None,
    }
    none = assess("", None, at(2026, 11, 25))
    assert none.describe() == "No stated update cadence · no date for the data's last change · freshness unknown"
    assert none.to_json() == {"state": "unknown", "cadence": None, "data_updated": None, "expected_by": None}


@pytest.mark.parametrize(
    ("delta", "period", "text"),
    [
        (timedelta(days=203), 7, "29 weeks"),
        (timedelta(days=5), 31, "5 days"),
        (timedelta(days=1), 1, "1 day"),
        (timedelta(hours=5), 1 / 24, "5 hours"),
        (timedelta(hours=300), 1 / 24, "12 days"),
        (timedelta(days=400), 1, "57 weeks"),
        (timedelta(days=90), 92, "2 months"),
        (timedelta(days=800), 366, "2 years"),
        (timedelta(minutes=5), 1, "1 hour"),
    ],
)
def test_lateness_in_the_cadence_unit(delta: timedelta, period: float, text: str) -> None:
    assert span(delta, period) == text


def test_datasets_and_hits_are_judged_on_the_data_date_not_the_record_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "clock", lambda: at(2026, 12, 3))
    ds = Dataset("x", "X", update_frequency="Weekly", updated=at(2026, 12, 1), data_updated=at(2026, 10, 1))
    assert freshness.of(ds).state == OVERDUE
    hit = DatasetSummary("x", "X", updated=at(2026, 12, 1), update_frequency="Weekly", data_updated=at(2026, 11, 30))
    assert freshness.of(hit).state == FRESH
    assert freshness.of(DatasetSummary("y", "Y", updated=at(2026, 12, 1))).state == UNKNOWN


def test_the_stated_cadence_is_shown_inert() -> None:
    """The cadence is portal text: the line that shows it (the metadata pane, ``show``) carries no control
    character, bidi override or newline from it (the review found ESC on the metadata pane's line)."""
    from pdxtui.ui.fresh import state_text

    verdict = assess("\x1b[2JWhen\u202e it\nchanges", at(2025, 5, 12), at(2025, 6, 1))
    for line in (verdict.describe(), state_text(verdict).plain, *verdict.parts()):
        assert "\x1b" not in line and "\u202e" not in line and "\n" not in line
    assert verdict.parts()[0] == "Updates: ␛[2JWhen\ufffd it changes"
    assert verdict.cadence.stated == "\x1b[2JWhen\u202e it changes"  # kept as sent; made inert where shown
