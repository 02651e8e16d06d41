"""Is the data as fresh as its publisher says it will be? The stated cadence ("Weekly", "Every 3 months",
DCAT ``R/P1W``...) against the date the data itself last changed gives one of four states:

- ``fresh``: the next update is not yet expected (now ≤ last change + one period);
- ``due``: past one period, not yet past two;
- ``overdue``: past two periods;
- ``unknown``: no cadence, a cadence that promises no schedule ("as needed", "irregular", "historical"), or no date.

Pure: no portal, no network, no screen. Callers pass ``now`` or let :func:`now` read the clock (tests replace
:data:`clock`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from pdxtui.textout import iso_utc

FRESH, DUE, OVERDUE, UNKNOWN = "fresh", "due", "overdue", "unknown"
STATES = (FRESH, DUE, OVERDUE, UNKNOWN)

#: the period of each named cadence, in days (the issue's table; hourly and the two-weekly/monthly ones beside it)
PERIOD_DAYS: dict[str, float] = {
    "hourly": 1 / 24,
    "daily": 1,
    "weekly": 7,
    "every two weeks": 14,
    "twice a month": 16,
    "monthly": 31,
    "every two months": 62,
    "quarterly": 92,
    "three times a year": 122,
    "semi-annually": 183,
    "annually": 366,
    "every two years": 731,
    "every three years": 1096,
}

#: a cadence word (lower case, spaces and hyphens squeezed out) -> its name in PERIOD_DAYS
_WORDS: dict[str, str] = {
    **{w: "hourly" for w in ("hourly", "everyhour", "perhour")},
    **{w: "daily" for w in ("daily", "nightly", "everyday", "everynight", "perday", "onceaday", "businessdays")},
    **{w: "weekly" for w in ("weekly", "everyweek", "perweek", "onceaweek")},
    **{w: "every two weeks" for w in ("biweekly", "fortnightly", "everytwoweeks", "every2weeks", "everyotherweek")},
    **{w: "twice a month" for w in ("semimonthly", "twiceamonth", "twicemonthly")},
    **{w: "monthly" for w in ("monthly", "everymonth", "permonth", "onceamonth")},
    **{w: "every two months" for w in ("bimonthly", "everytwomonths", "every2months", "everyothermonth")},
    **{w: "quarterly" for w in ("quarterly", "everyquarter", "everythreemonths", "every3months", "perquarter")},
    **{w: "three times a year" for w in ("threetimesayear", "every4months", "everyfourmonths")},
    **{
        w: "semi-annually"
        for w in (
            "semiannually",
            "semiannual",
            "biannually",  # "twice a year" in most use (biennial is every two years)
            "biannual",
            "twiceayear",
            "twiceyearly",
            "everysixmonths",
            "every6months",
            "halfyearly",
        )
    },
    **{
        w: "annually"
        for w in (
            "annually",
            "annual",
            "yearly",
            "everyyear",
            "onceayear",
            "peryear",
            "everytwelvemonths",
            "every12months",
        )
    },
    **{w: "every two years" for w in ("biennially", "biennial", "everytwoyears", "every2years", "everyotheryear")},
    **{w: "every three years" for w in ("triennially", "triennial", "everythreeyears", "every3years")},
}

#: cadences that promise no schedule: the state is unknown, and the cadence is shown as stated
_NO_SCHEDULE = re.compile(
    r"as[ -]?needed|irregular|when(ever)?[ -]|as[ -]?required|ad[ -]?hoc|on[ -]?demand|unknown|not[ -]?planned|"
    r"^none$|never|historical|archiv|static|one[ -]?time|no[ -]?longer|discontinued|continuous|real[ -]?time|"
    r"as[ -]?available|varies|variable|^other$|^n/?a$",
    re.IGNORECASE,
)

#: ISO 8601 repeating interval / duration (DCAT accrualPeriodicity): R/P1W, R/P3M, P1Y, R/PT1H, R/P0.5M
_ISO = re.compile(
    r"^(?:R\d*/)?P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<min>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)

#: "every 3 months", "every 2 weeks", "every 10 days"
_EVERY_N = re.compile(r"^(?:every|each)\s*(\d+)\s*(hour|day|week|month|year)s?$", re.IGNORECASE)
_UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 31, "year": 366}
#: a DCAT/Dublin Core frequency IRI: http://purl.org/cld/freq/weekly
_IRI = re.compile(r"^https?://\S+/(?:freq/|frequency/)?(\w+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Cadence:
    """A stated cadence, understood: ``name`` ("weekly") and ``days`` (7), or neither when it promises no
    schedule or cannot be read. ``stated`` is the publisher's text as given."""

    stated: str
    name: str = ""
    days: float | None = None

    @property
    def known(self) -> bool:
        return self.days is not None


@lru_cache(maxsize=512)  # the catalog judges every hit it draws; a portal has a handful of cadence spellings
def parse_cadence(text: str | None) -> Cadence:
    """Read a cadence as portals spell it: "Weekly", "weekly", "Every week", "Every 3 months", "Bi-weekly",
    DCAT ``R/P1W`` and ``http://purl.org/cld/freq/weekly``. Unreadable or unscheduled text gives an unknown one."""
    stated = " ".join((text or "").split())
    if not stated:
        return Cadence("")
    iri = _IRI.match(stated)
    core = iri.group(1) if iri else stated
    iso = _ISO.match(core)
    if iso and any(iso.groupdict().values()):
        return _from_iso(stated, iso.groupdict())
    found = _named(stated, core)  # "Weekly", "Every other week"
    if found is None and not _NO_SCHEDULE.search(core):
        # the words before a qualifier: "Daily (weekdays)", "Weekly, on Mondays", "Monthly - first week"
        found = _named(stated, re.split(r"\s*[(,;:]|\s+-\s+", core, maxsplit=1)[0])
    return found or Cadence(stated)


def _named(stated: str, words: str) -> Cadence | None:
    squeezed = (
        re.sub(r"[\s\-_.]+", "", words.lower()).removeprefix("updated").removesuffix("updates").removesuffix("update")
    )
    name = _WORDS.get(squeezed)
    if name is not None:
        return Cadence(stated, name, PERIOD_DAYS[name])
    every = _EVERY_N.match(" ".join(re.sub(r"[\-_]+", " ", words).split()))
    if every:
        n, unit = int(every.group(1)), every.group(2).lower()
        return _from_days(stated, n * _UNIT_DAYS[unit] if (n, unit) != (3, "month") else 92)
    return None


def _from_iso(stated: str, parts: dict[str, str | None]) -> Cadence:
    def n(key: str) -> float:
        return float(parts.get(key) or 0)

    months = n("m")
    month_days = {3: 92.0, 6: 183.0}.get(int(months), months * 31) if months == int(months) else months * 31
    days = n("y") * 366 + month_days + n("w") * 7 + n("d") + n("h") / 24 + n("min") / 1440 + n("s") / 86400
    if days <= 0:
        return Cadence(stated)
    if days < 1 / 24:  # R/PT1S: "continuously": no schedule to be late against
        return Cadence(stated)
    return _from_days(stated, days)


def _from_days(stated: str, days: float) -> Cadence:
    for name, period in PERIOD_DAYS.items():
        if math.isclose(period, days):
            return Cadence(stated, name, period)
    if days < 1:
        hours = round(days * 24, 2)
        return Cadence(stated, f"every {hours:g} hours", days)
    return Cadence(stated, f"every {days:g} days", days)


# -- the clock ---------------------------------------------------------------------------------------------------

#: what "now" is (tests and snapshots replace it with a fixed time)
clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731  # a replaceable module attribute


def now() -> datetime:
    return _aware(clock())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- the verdict -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    state: str  # one of STATES
    cadence: Cadence
    data_updated: datetime | None = None  # the date the data itself last changed (not the metadata)
    expected_by: datetime | None = None  # the next update is due by then (last change + one period)
    at: datetime | None = None  # the "now" it was judged at
    #: set when it was judged at a snapshot's date instead of now (the bundled sample): ``at`` is that date
    snapshot: bool = False

    @property
    def late(self) -> timedelta | None:
        """How far past ``expected_by`` it is (None when not late or unknown)."""
        if self.expected_by is None or self.at is None or self.at <= self.expected_by:
            return None
        return self.at - self.expected_by

    def to_json(self) -> dict[str, Any]:
        """``{"state", "cadence", "data_updated", "expected_by"}`` (dates ISO 8601 UTC, or null), for ``--json``;
        judged at a snapshot's date, ``"as_of"`` that date too."""
        return {
            "state": self.state,
            "cadence": self.cadence.name or self.cadence.stated or None,
            "data_updated": iso_utc(self.data_updated),
            "expected_by": iso_utc(self.expected_by),
        } | ({"as_of": iso_utc(self.at)} if self.snapshot else {})

    def verdict(self) -> str:
        """The state in a few words: "fresh", "due 3 days ago", "overdue by 29 weeks", "unknown"."""
        if self.state == FRESH:
            return "fresh"
        late = self.late
        if self.state in (DUE, OVERDUE) and late is not None:
            amount = span(late, self.cadence.days)
            return f"due {amount} ago" if self.state == DUE else f"overdue by {amount}"
        return self.state

    def parts(self) -> list[str]:
        """The pieces of :meth:`describe`, in order: the cadence, the data's date, the verdict, and for a snapshot
        "as of the snapshot date ...". Each is one line of inert text (the stated cadence is the portal's)."""
        from pdxtui.textsafe import one_line

        parts: list[str] = []
        if self.cadence.name:
            parts.append(f"Updates {self.cadence.name}")
        elif self.cadence.stated:
            parts.append(f"Updates: {one_line(self.cadence.stated, 80)}")
        else:
            parts.append("No stated update cadence")
        if self.data_updated is not None:
            parts.append(f"data last changed {self.data_updated.date().isoformat()}")
        else:
            parts.append("no date for the data's last change")
        if self.state == FRESH and self.expected_by is not None:
            parts.append(f"fresh (next update expected by {self.expected_by.date().isoformat()})")
        elif self.state in (DUE, OVERDUE):
            parts.append(self.verdict())
        else:
            parts.append("freshness unknown")
        if self.snapshot and self.at is not None:
            parts.append(f"as of the snapshot date {self.at.date().isoformat()}")
        return parts

    def describe(self) -> str:
        """One line for the metadata pane: "Updates weekly · data last changed 2025-05-12 · overdue by 29 weeks"."""
        return " · ".join(self.parts())


def assess(cadence: str | Cadence | None, data_updated: datetime | None, at: datetime | None = None) -> Freshness:
    """The freshness of data last changed at ``data_updated`` with the stated ``cadence``, judged at ``at``
    (default: :func:`now`)."""
    parsed = cadence if isinstance(cadence, Cadence) else parse_cadence(cadence)
    moment = _aware(at) if at is not None else now()
    updated = _aware(data_updated) if data_updated is not None else None
    if updated is None or parsed.days is None:
        return Freshness(UNKNOWN, parsed, updated, None, moment)
    period = timedelta(days=parsed.days)
    expected = updated + period
    if moment <= expected:
        state = FRESH
    elif moment <= updated + 2 * period:
        state = DUE
    else:
        state = OVERDUE
    return Freshness(state, parsed, updated, expected, moment)


_UNITS = (("hour", 1 / 24), ("day", 1.0), ("week", 7.0), ("month", 30.44), ("year", 365.25))


class HasFreshnessFacts(Protocol):
    @property
    def update_frequency(self) -> str: ...
    @property
    def data_updated(self) -> datetime | None: ...
    @property
    def freshness_as_of(self) -> datetime | None: ...


def of(item: HasFreshnessFacts, at: datetime | None = None) -> Freshness:
    """The freshness of a :class:`~pdxtui.model.Dataset` or a search hit (its stated cadence and the date its data
    last changed), judged at ``at``, else at the item's ``freshness_as_of`` (a snapshot's date: its dates are
    frozen, and judged against today every one would be late), else now."""
    as_of = item.freshness_as_of if at is None else None
    judged = assess(item.update_frequency, item.data_updated, at if as_of is None else as_of)
    return replace(judged, snapshot=True) if as_of is not None else judged


def span(delta: timedelta, period_days: float | None = None) -> str:
    """A length of time in the unit of the cadence (hours for hourly data, weeks for weekly, months for monthly
    and quarterly, years for annual), smaller when the time is shorter than one of those, larger when it would
    pass 99: "29 weeks", "1 day", "5 days"."""
    days = max(delta.total_seconds() / 86400, 0.0)
    period = period_days if period_days is not None else days
    i = 0 if period < 1 else 1 if period < 7 else 2 if period < 28 else 3 if period < 365 else 4
    while i > 0 and days < _UNITS[i][1]:
        i -= 1
    while i < len(_UNITS) - 1 and days / _UNITS[i][1] >= 100:
        i += 1
    unit, size = _UNITS[i]
    n = max(1, math.floor(days / size))
    return f"{n} {unit}{'s' if n != 1 else ''}"
