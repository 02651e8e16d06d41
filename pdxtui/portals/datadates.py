"""When the data itself last changed, as each portal says it (freshness is judged on it: ``pdxtui.freshness``).

Servers of every age send these dates: epoch seconds (Socrata views), epoch milliseconds (ArcGIS), ISO text with
or without a zone (Socrata's catalog, CKAN), text such as ``12/23/2005 12:00:00 AM`` (ArcGIS before 10.0), or
nothing usable (null, 0, -1, "", "N/A"). :func:`edit_time` reads what can be read and gives None for the rest;
:func:`best_date` takes the first readable one of a portal's candidates, best first, and says in the log when a
value was sent but could not be read (it never silently becomes "no date")."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pdxtui.portals.network import epoch_or_iso
from pdxtui.textsafe import short

log = logging.getLogger(__name__)

#: an epoch number at or above this is milliseconds, below it seconds: 1e11 seconds is the year 5138, and 1e11
#: milliseconds is March 1973, before any of these systems kept an edit date (so a server that sends seconds where
#: milliseconds belong, or the reverse, is still read right)
MS_FROM = 1e11
#: a date further ahead than this is no date the data changed on (a placeholder such as 9999-12-31, a clock gone
#: wrong): it would read "fresh" for ever
AHEAD = timedelta(days=1)

Reader = Callable[[Any], datetime | None]


def edit_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an epoch number (seconds or milliseconds, told apart by size; a number in a
    string too) or ISO 8601 text (UTC when it names no zone). None for null, empty text, 0, negative numbers,
    text that is no date, and a date more than a day ahead of now."""
    moment = epoch_or_iso(value)
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        if moment <= 0:
            return None  # 0 and -1 are how servers say "never"; 1970 is no edit date
        try:
            moment = datetime(1970, 1, 1, tzinfo=UTC) + (
                timedelta(milliseconds=moment) if moment >= MS_FROM else timedelta(seconds=moment)
            )
        except OverflowError:
            return None
    moment = moment.astimezone(UTC)
    if moment > datetime.now(UTC) + AHEAD:
        return None
    return moment


def sent(value: Any) -> bool:
    """Whether the server sent something in this field (not absent, null or blank)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def best_date(what: str, candidates: Sequence[tuple[str, Any, Reader]]) -> datetime | None:
    """The first readable date of ``candidates`` — (field name, value as sent, reader) pairs, best first — or
    None. A value that was sent but could not be read is logged with its field (``what`` names the dataset), so
    the fallback to a lesser date, or to none, is never silent."""
    for name, value, read in candidates:
        moment = read(value)
        if moment is not None:
            return moment
        if sent(value):
            log.warning("%s: %s %s is not a date the data last changed; not used", what, name, short(repr(value), 80))
    return None
