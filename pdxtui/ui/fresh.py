"""How freshness shows on screen: the catalog's marks (a shape, readable without colour, and a colour as well), the
metadata pane's line, and the catalog's freshness filter (judged on the hits loaded). Imports no textual."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from pdxtui.freshness import DUE, FRESH, OVERDUE, UNKNOWN, Freshness

#: state -> (mark, style). Two cells wide at most, in shapes Fira Code has; unknown has no mark (nothing is claimed)
MARKS: dict[str, tuple[str, str]] = {
    FRESH: ("●", "green"),
    DUE: ("◐", "yellow"),
    OVERDUE: ("○!", "bold red"),
    UNKNOWN: ("", "dim"),
}
MARK_WIDTH = 2

#: the catalog's freshness filter: (value, label); "any" shows every hit
CHOICES: tuple[tuple[str, str], ...] = (
    ("any", "any freshness"),
    ("fresh", "fresh"),
    ("late", "due or overdue"),
    ("unknown", "freshness unknown"),
)
LABELS = dict(CHOICES)

#: the help screen's legend of the marks: (state, what it means)
LEGEND: tuple[tuple[str, str], ...] = (
    (FRESH, "fresh: the next update is not yet expected"),
    (DUE, "due: past one stated period"),
    (OVERDUE, "overdue: past two periods"),
    (UNKNOWN, 'unknown (no mark): no cadence, one like "as needed", or no date'),
)


def legend() -> Text:
    """The marks in the results list and what they mean (the help screen)."""
    out = Text("Freshness marks in the results: the stated cadence against the date the data last changed\n")
    for state, meaning in LEGEND:
        out.append("  ")
        out.append_text(mark(state))
        out.append(f" {meaning}\n")
    out.append("  ctrl+f (or the freshness drop-down) shows only one kind, judged on the loaded results")
    return out


def mark(state: str) -> Text:
    """The state's mark, padded to :data:`MARK_WIDTH`, styled."""
    glyph, style = MARKS.get(state, MARKS[UNKNOWN])
    return Text(glyph.ljust(MARK_WIDTH), style)


def state_text(fresh: Freshness) -> Text:
    """The metadata pane's line (:meth:`Freshness.describe`) after the state's mark, the verdict in the state's
    colour. The cadence is portal text: it goes in as plain text, never as markup."""
    glyph, style = MARKS.get(fresh.state, MARKS[UNKNOWN])
    parts = fresh.parts()
    verdict = 2  # the cadence, the date, then the verdict (and "as of the snapshot date ..." for a snapshot)
    if fresh.state == UNKNOWN:  # nothing to claim: one dim line, no call for attention
        return Text(" · ".join(parts), "dim")
    out = Text()
    out.append(glyph + " ", style)
    for i, part in enumerate(parts):
        if i:
            out.append(" · ")
        out.append(part, style if i == verdict else "")
    return out


def matches(state: str, choice: str) -> bool:
    """Does a hit of ``state`` pass the filter ``choice`` (a value of :data:`CHOICES`)?"""
    if choice == "late":
        return state in (DUE, OVERDUE)
    return choice in ("any", "") or state == choice


def counts(states: Iterable[str]) -> dict[str, int]:
    """How many of ``states`` pass each choice of the filter."""
    seen = list(states)
    return {value: sum(matches(s, value) for s in seen) for value, _label in CHOICES}


def next_choice(choice: str) -> str:
    """The choice after ``choice`` (ctrl+f cycles them: any, fresh, due or overdue, unknown)."""
    values = [value for value, _label in CHOICES]
    return values[(values.index(choice) + 1) % len(values)] if choice in values else values[0]


def filter_note(choice: str, shown: int, loaded: int, total: int | None) -> str:
    """What the filter hides, in words: "3 of 14 datasets are due or overdue"; when the portal has more matches
    than were loaded, "3 of the 100 loaded datasets are due or overdue; the other 140 matches were not judged"."""
    if choice == "any":
        return ""
    what = LABELS[choice] if choice != "unknown" else "of unknown freshness"
    verb = "is" if shown == 1 else "are"
    if total is not None and total > loaded:
        note = f"{shown:,} of the {loaded:,} loaded datasets {verb} {what}; the other {total - loaded:,} matches "
        note += "are not loaded, so not judged (narrow the search)"
    else:
        note = f"{shown:,} of {loaded:,} {'dataset' if loaded == 1 else 'datasets'} {verb} {what}"
    return note  # (the drop-down above says "ctrl+f")
