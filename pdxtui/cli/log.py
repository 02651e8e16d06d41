"""``pdxtui log [--since DATE] [--host HOST] [--json]``: what pdxtui asked of each host, per day (UTC), from the
request log in the user state folder: the summary for an acceptable-use question.

Text: an aligned table (day, host, requests, network requests, cache hits, bytes received, 429s, errors, seconds
waited) and a total line. ``--json``: a list of objects ``{day, host, requests, network, attempts, bytes,
cache_hits, throttled, errors, waited}``. Damaged lines in the log are skipped and counted on stderr.

Exit codes: 0 done (an empty log too); 1 the log could not be read; 2 a --since that is not a date.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import asdict
from typing import Any

from pdxtui.errors import UsageError
from pdxtui.textsafe import one_line

EXIT_OK, EXIT_ERROR = 0, 1
_DAYS = re.compile(r"^(\d{1,5})\s*d(ays?)?$", re.IGNORECASE)


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "log",
        help="requests pdxtui made, per host and day (for an acceptable-use question)",
        description="Every request pdxtui makes (to the network, or answered from the cache) is kept in a\n"
        "request log in the user state folder ($PDXTUI_STATE_DIR), at most 5 MB. This prints what was asked of\n"
        "each host per day (UTC): requests, how many went to the network, cache hits, bytes received, 429\n"
        "answers, errors and seconds spent waiting (Retry-After, backoff, rate limits).",
        epilog="Examples:\n  pdxtui log\n  pdxtui log --since 7d --host arcgis.com\n"
        "  pdxtui log --since 2026-11-01 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("--since", metavar="DATE", help="from this day on (YYYY-MM-DD, UTC), or the last N days (7d)")
    p.add_argument("--host", metavar="HOST", help="only this host (or the hosts under a domain: arcgis.com)")
    p.add_argument("--json", action="store_true", help="a JSON list on stdout")


def parse_since(text: str, *, now: float | None = None) -> float:
    """The epoch time a ``--since`` value means: the start (UTC) of YYYY-MM-DD, or of the day N-1 days ago for
    ``Nd`` (``1d``: today). Raises UsageError."""
    import calendar

    value = text.strip()
    days = _DAYS.match(value)
    if days:
        n = int(days.group(1))
        if n < 1:
            raise UsageError(f"--since {one_line(text)!r}: give 1d or more")
        today = time.gmtime(time.time() if now is None else now)
        start = calendar.timegm((today.tm_year, today.tm_mon, today.tm_mday, 0, 0, 0))
        return float(start - (n - 1) * 86400)
    try:
        day = time.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise UsageError(
            f"--since {one_line(text)!r} is not a date: use YYYY-MM-DD, or 7d for the last 7 days"
        ) from None
    return float(calendar.timegm(day))


async def run(args: argparse.Namespace, session: Any) -> int:
    from pdxtui.requestlog import daily_totals, read_records, usage_table, write_problem

    since = parse_since(args.since) if args.since else None
    reading = read_records(since=since, host=args.host)
    if reading.damaged:
        print(f"pdxtui: skipped {reading.damaged:,} damaged lines in the request log", file=sys.stderr)
    if reading.problem:
        print(f"pdxtui: {one_line(reading.problem)}", file=sys.stderr)
        if not reading.records:
            return EXIT_ERROR
    problem = write_problem(reading.path)
    if problem:
        print(f"pdxtui: warning: requests are not being recorded: {one_line(problem)}", file=sys.stderr)
    days = daily_totals(reading.records)
    if args.json:
        from pdxtui.textout import dumps

        print(dumps([{**asdict(d), "waited": round(d.waited, 3)} for d in days]))
        return EXIT_OK
    if not days:
        which = []
        if args.host:
            which.append(f"to {one_line(args.host)}")
        if args.since:
            which.append(f"since {one_line(args.since)}")
        print(f"No requests recorded{' ' + ' '.join(which) if which else ''} (the log: {reading.path}).")
        return EXIT_OK
    for line in usage_table(days):
        print(line)
    return EXIT_OK
