"""What the Requests panel writes (no textual here, so it is tested without a screen): the cells of one request,
the totals per host for a day, and the rate-limit headers a server sent, in words.

Every value that came from a server (a path, a host, a header value) goes through ``textsafe`` into a rich
``Text``: never markup. A state shows in text as well as colour (``!`` throttled, ``×`` failed, ``~`` waited), for
terminals without colour."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import unquote

from rich.text import Text

from pdxtui.requestlog import CANCELLED, HostDay, RequestRecord, daily_totals, grand_total
from pdxtui.textsafe import one_line

THROTTLED = "bold red"
FAILED = "red"
WAITED = "yellow"
CACHED = "green"
STALE = "yellow"

#: under the table: what the marks mean
LEGEND = "! throttled (429) · × failed · ~ waited (Retry-After, a held host, backoff)"


def clock(at: float, tz: tzinfo | None = None) -> str:
    """HH:MM:SS of an epoch time, in ``tz`` (None: the local time zone)."""
    return datetime.fromtimestamp(at, tz).strftime("%H:%M:%S")


def midnight(at: float, tz: tzinfo | None = None) -> float:
    """The epoch time of the midnight that began the day of ``at``, in ``tz`` (None: the local time zone)."""
    return datetime.fromtimestamp(at, tz).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def local_day(at: float, tz: tzinfo | None = None) -> str:
    """YYYY-MM-DD of an epoch time, in ``tz`` (None: the local time zone)."""
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d")


def size(n: float) -> str:
    """Bytes in at most 7 characters: 834 B, 12.3 KiB is 12 KiB, 1.2 MiB, 123 MiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            if unit == "B":
                return f"{value:.0f} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1024
    return ""  # pragma: no cover  (the loop returns at GiB)


def seconds(s: float) -> str:
    """A duration in at most 6 characters: 0.42 s, 3.1 s, 45 s, 12 min."""
    if s < 1:
        return f"{s:.2f} s"
    if s < 10:
        return f"{s:.1f} s"
    if s < 100:
        return f"{s:.0f} s"
    return f"{s / 60:.0f} min"


def shown_path(path: str) -> str:
    """The path and query as people read them: percent escapes decoded, on one line, control characters shown."""
    try:
        decoded = unquote(path)
    except Exception:  # a malformed escape stays as it was sent
        decoded = path
    return one_line(decoded)


# -- one request ---------------------------------------------------------------------------------------------------


def cancelled(record: RequestRecord) -> bool:
    """pdxtui stopped this request itself: not a failure of the portal."""
    return record.error == CANCELLED and (record.status is None or record.status < 400)


def status_cell(record: RequestRecord) -> Text:
    """The answer: the HTTP status (``429!`` throttled, ``200!`` answered after a 429, ``404×`` failed), or
    ``err×`` when none came, ``cancel`` when pdxtui stopped it."""
    if cancelled(record):
        return Text("cancel", "dim")
    if record.status == 429:
        return Text("429!", THROTTLED)
    if record.status is not None and record.throttled and not record.error and record.status < 400:
        return Text(f"{record.status}!", WAITED)  # answered after a 429 and a wait
    if record.status is not None:
        failed = record.status >= 400 or bool(record.error)
        return Text(f"{record.status}×" if failed else str(record.status), FAILED if failed else "")
    if record.error:
        return Text("err×", FAILED)
    return Text("—", "dim")


def source_cell(record: RequestRecord) -> Text:
    if record.source == "cache":
        return Text("cache", CACHED)
    if record.source == "stale":
        return Text("stale", STALE)
    return Text("net", "dim")


#: waits shorter than this show as none (they would read "~0.00 s")
NO_WAIT = 0.005


def retries_cell(record: RequestRecord) -> Text:
    retries = max(0, record.attempts - 1)
    return Text(str(retries), WAITED) if retries else Text("")


def waited_cell(record: RequestRecord) -> Text:
    return Text(f"~{seconds(record.waited)}", WAITED) if record.waited >= NO_WAIT else Text("")


def answer_cell(record: RequestRecord) -> Text:
    """Status and source in one cell, for narrow screens: an answer from the cache has no status of its own."""
    if record.source in ("cache", "stale") and record.status is None and not record.error:
        return source_cell(record)
    return status_cell(record)


def waits_cell(record: RequestRecord) -> Text:
    """Retries and wait in one cell, for narrow screens: ``2r ~3.1 s``."""
    retries = max(0, record.attempts - 1)
    parts = ([f"{retries}r"] if retries else []) + ([f"~{seconds(record.waited)}"] if record.waited >= NO_WAIT else [])
    return Text(" ".join(parts), WAITED) if parts else Text("")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


#: the columns of the request table: (key, label, width; 0 for the host and the path, which share what is left)
WIDE = (
    Column("time", "time", 8),
    Column("host", "host", 0),
    Column("path", "path and query", 0),
    Column("status", "status", 6),
    Column("source", "from", 5),
    Column("bytes", "bytes", 7),
    Column("duration", "took", 6),
    Column("retries", "retries", 7),
    Column("waited", "waited", 7),
)
NARROW = (
    Column("time", "time", 8),
    Column("host", "host", 0),
    Column("path", "path and query", 0),
    Column("status", "answer", 6),
    Column("bytes", "bytes", 7),
    Column("duration", "took", 6),
    Column("waited", "waits", 9),
)
PADDING = 2  # the table's cell padding, one each side


def columns_for(width: int) -> tuple[Column, ...]:
    """The columns for a table ``width`` cells wide: the narrow set (status and source in one column, retries and
    waits in another) below 110; the host takes two fifths of what the fixed columns leave, the path the rest."""
    chosen = WIDE if width >= 110 else NARROW
    fixed = sum(c.width for c in chosen) + PADDING * len(chosen) + 2  # 2: the vertical scroll bar
    free = max(24, width - fixed)
    host = max(8, min(28, free * 2 // 5))
    return tuple(
        Column(c.key, c.label, host if c.key == "host" else free - host if c.key == "path" else c.width) for c in chosen
    )


def record_cells(record: RequestRecord, columns: Iterable[Column], tz: tzinfo | None = None) -> list[Text]:
    """One row of the table: each cell an inert Text, cut to its column with an ellipsis."""
    narrow = any(c.key == "status" and c.label == "answer" for c in columns)
    cells = []
    for column in columns:
        key = column.key
        if key == "time":
            cell = Text(clock(record.at, tz))
        elif key == "host":
            cell = Text(one_line(record.host))
        elif key == "path":
            cell = Text(shown_path(record.path))
        elif key == "status":
            cell = answer_cell(record) if narrow else status_cell(record)
        elif key == "source":
            cell = source_cell(record)
        elif key == "bytes":
            cell = Text(size(record.bytes).rjust(column.width))  # (the table does not justify a cell's text)
        elif key == "duration":
            cell = Text(seconds(record.duration).rjust(column.width))
        elif key == "retries":
            cell = retries_cell(record)
        else:
            cell = waits_cell(record) if narrow else waited_cell(record)
        cell.no_wrap = True
        cell.overflow = "ellipsis"
        cell.truncate(column.width, overflow="ellipsis")
        cells.append(cell)
    return cells


def record_detail(record: RequestRecord, tz: tzinfo | None = None) -> Text:
    """Everything about one request, the path uncut: the line under the table for the highlighted row."""
    facts = [record.source, size(record.bytes), f"took {seconds(record.duration)}"]
    if record.attempts > 1:
        facts.append(f"{record.attempts} tries")
    if record.throttled:
        facts.append("throttled (429) !" if record.throttled == 1 else f"throttled (429) {record.throttled} times !")
    if record.waited >= NO_WAIT:
        facts.append(f"~waited {seconds(record.waited)}")
    out = Text(f"{clock(record.at, tz)}  ")
    out.append_text(status_cell(record))
    out.append("  " + " · ".join(facts) + "\n")
    out.append(one_line(record.host), "bold")
    out.append(shown_path(record.path))
    if record.error:
        out.append("\n")
        out.append(one_line(record.error, 300), "dim" if cancelled(record) else FAILED)
    more = [f"portal {one_line(record.portal, 80)}"] if record.portal else []
    words = rate_words(record.rate_limits, record.at, tz)
    more += [f"rate limits: {words}"] if words else []
    if more:
        out.append("\n" + " · ".join(more), "dim")
    return out


# -- totals per host --------------------------------------------------------------------------------------------


def record_key(record: RequestRecord) -> tuple[object, ...]:
    """What tells one request from another, in memory and as read back from the log file."""
    return (record.at, record.host, record.path, record.source, record.attempts, record.status)


def per_host(totals: Iterable[HostDay], day: str) -> dict[str, HostDay]:
    """``totals`` added up per host (a local day spans two UTC days, which ``daily_totals`` keeps apart)."""
    groups: dict[str, list[HostDay]] = {}
    for t in totals:
        groups.setdefault(t.host, []).append(t)
    return {host: dataclasses.replace(grand_total(group), day=day, host=host) for host, group in groups.items()}


def host_totals(records: Iterable[RequestRecord], day: str, tz: tzinfo | None = None) -> dict[str, HostDay]:
    """What was asked of each host on ``day`` (YYYY-MM-DD in ``tz``)."""
    return per_host(daily_totals(r for r in records if local_day(r.at, tz) == day), day)


def ranked(totals: Iterable[HostDay]) -> list[HostDay]:
    """Most requests first."""
    return sorted(totals, key=lambda t: (-t.requests, t.host))


def totals_rows(totals: Iterable[HostDay]) -> list[list[Text]]:
    """The rows of the per-host table: host, requests, network, bytes, cache hits, 429s, errors, waited."""
    rows = []
    for t in totals:
        rows.append(
            [
                Text(one_line(t.host), no_wrap=True, overflow="ellipsis"),
                Text(f"{t.requests:,}"),
                Text(f"{t.network:,}"),
                Text(size(t.bytes)),
                Text(f"{t.cache_hits:,}", CACHED if t.cache_hits else ""),
                Text(f"{t.throttled:,}!", THROTTLED) if t.throttled else Text("0", "dim"),
                Text(f"{t.errors:,}×", FAILED) if t.errors else Text("0", "dim"),
                Text(f"~{seconds(t.waited)}", WAITED) if t.waited >= NO_WAIT else Text("0", "dim"),
            ]
        )
    return rows


TOTALS_HEADERS = ("host", "requests", "network", "bytes", "cache hits", "429s", "errors", "waited")
#: the same, for narrow screens
TOTALS_SHORT = ("host", "reqs", "net", "bytes", "cache", "429s", "errs", "waited")


# -- rate limits ------------------------------------------------------------------------------------------------

_PREFIXES = ("x-ratelimit-", "x-rate-limit-", "ratelimit-")
_FIELDS = ("remaining", "limit", "reset", "used", "policy")


def _split(name: str) -> tuple[str, str]:
    """A rate-limit header's (field, qualifier): ``x-ratelimit-remaining-portal_search_throttler`` is
    (remaining, portal_search_throttler); ``X-Rate-Limit-Reset`` is (reset, ""); an unknown one ("", its name)."""
    lowered = name.lower()
    rest = next((lowered[len(p) :] for p in _PREFIXES if lowered.startswith(p)), None)
    if rest is None:
        return "", lowered
    for field in _FIELDS:
        if rest == field:
            return field, ""
        if rest.startswith(field + "-") or rest.startswith(field + "_"):
            return field, rest[len(field) + 1 :]
    return "", lowered


def _qualifier_words(qualifier: str) -> str:
    """``portal_search_throttler`` reads "search throttle"."""
    words = qualifier.replace("_", " ").replace("-", " ").split()
    words = [w for w in words if w != "portal"]
    words = ["throttle" if w == "throttler" else w for w in words]
    return " ".join(words)


def reset_words(value: str, seen_at: float | None, tz: tzinfo | None = None) -> str:
    """A reset header in words: an epoch time (seconds or milliseconds) as the local time it resets at; a number
    of seconds as "in N s", with the time when we know when it was sent; anything else as it was sent."""
    text = one_line(value, 40)
    try:
        number = float(value.strip())
    except ValueError:
        return f"resets {text}"
    if math.isnan(number) or math.isinf(number) or number < 0:
        return f"resets {text}"
    if number > 1e12:
        return f"resets at {clock(number / 1000, tz)}"
    if number > 1e8:
        return f"resets at {clock(number, tz)}"
    at = f" (at {clock(seen_at + number, tz)})" if seen_at is not None else ""
    return f"resets in {seconds(number)}{at}"


def _value(value: str) -> str:
    """A header's value for a phrase: one line, short, and ``""`` when the server sent it empty."""
    return one_line(value, 20) or '""'


def rate_words(headers: Mapping[str, str], seen_at: float | None = None, tz: tzinfo | None = None) -> str:
    """Rate-limit headers in words: "search throttle 7 of 10 left · 7 of 1000 left, resets at 12:15:00"."""
    groups: dict[str, dict[str, str]] = {}
    other: list[str] = []
    for name, value in headers.items():
        field, qualifier = _split(name)
        if not field:
            if name.lower() == "retry-after":
                other.append(f"retry after {one_line(value, 40)}{'' if not value.strip().isdigit() else ' s'}")
            else:
                other.append(f"{one_line(name, 60)}: {one_line(value, 60)}")
            continue
        groups.setdefault(qualifier, {})[field] = value
    phrases = []
    for qualifier, fields in groups.items():
        parts = []
        remaining, limit = fields.get("remaining"), fields.get("limit")
        if remaining is not None and limit is not None:
            parts.append(f"{_value(remaining)} of {_value(limit)} left")
        elif remaining is not None:
            parts.append(f"{_value(remaining)} left")
        elif limit is not None:
            parts.append(f"limit {_value(limit)}")
        if "used" in fields:
            parts.append(f"{_value(fields['used'])} used")
        if "reset" in fields:
            parts.append(reset_words(fields["reset"], seen_at, tz))
        if "policy" in fields:
            parts.append(f"policy {one_line(fields['policy'], 60)}")
        name = _qualifier_words(qualifier)
        phrases.append(f"{one_line(name, 40)} {', '.join(parts)}" if name else ", ".join(parts))
    return " · ".join(phrases + other)


def exhausted(headers: Mapping[str, str]) -> bool:
    """A remaining allowance of 0 among the headers."""
    return any(_split(name)[0] == "remaining" and value.strip() in ("0", "0.0") for name, value in headers.items())


def last_rate_limits(
    records: Iterable[RequestRecord], seen: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, tuple[float | None, dict[str, str]]]:
    """Per host, the rate-limit headers last seen and when: the newest record that carried any; ``seen`` (what the
    portals' fetchers kept: ``Portal.rate_limits``) fills in hosts no record has, without a time."""
    figures: dict[str, tuple[float | None, dict[str, str]]] = {}
    for r in records:
        if r.rate_limits:
            known = figures.get(r.host)
            if known is None or known[0] is None or known[0] <= r.at:
                figures[r.host] = (r.at, dict(r.rate_limits))
    for host, headers in (seen or {}).items():
        if headers and host not in figures:
            figures[host] = (None, dict(headers))
    return dict(sorted(figures.items()))


def rate_lines(figures: Mapping[str, tuple[float | None, Mapping[str, str]]], tz: tzinfo | None = None) -> Text:
    """One line per host: ``host  search throttle 7 of 10 left · seen 12:03:04``; ``!`` where an allowance is used
    up."""
    out = Text()
    for host, (at, headers) in figures.items():
        if out:
            out.append("\n")
        used_up = exhausted(headers)
        out.append(f"{one_line(host)}  ", "bold")
        out.append(rate_words(headers, at, tz), THROTTLED if used_up else "")
        if used_up:
            out.append("  ! used up", THROTTLED)
        if at is not None:
            out.append(f"  · seen {clock(at, tz)}", "dim")
    return out
