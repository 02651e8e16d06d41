"""The log of every HTTP request pdxtui makes: one :class:`RequestRecord` per request (from the network or the
cache), kept in memory for the Requests panel and appended to a bounded, rotating file in the user state folder
for ``pdxtui log``.

Best effort: a log that cannot be written is never a reason for a command to fail. No secret is ever recorded:
the query is stored with secrets removed, and no request header is kept.

This module sits at the bottom, beside ``net.py`` (which records into it): it imports nothing of ours but the
state folder.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: how many records the in-memory ring keeps (the Requests panel shows the newest)
RECENT = 500

Listener = Callable[["RequestRecord"], None]


@dataclass(frozen=True)
class RequestRecord:
    """One request, as it was answered."""

    at: float  # time.time() when the request was asked for (UTC epoch seconds)
    host: str
    path: str  # the path, then "?" and the query when there is one, with secrets removed
    status: int | None  # HTTP status of the final answer; None: no answer (a network error) or from the cache
    bytes: int  # body bytes received (from the cache: bytes served from it)
    duration: float  # seconds from asking to the answer, waits included
    source: str  # "network", "cache" (a fresh cached answer) or "stale" (an old copy when the portal failed)
    attempts: int = 1  # tries that went to the network (0 for an answer from the cache)
    waited: float = 0.0  # seconds spent waiting: Retry-After, a 429 hold on the host, backoff between tries
    #: the rate-limit headers the server sent on this answer (names lowercased), as sent
    rate_limits: Mapping[str, str] = field(default_factory=dict)
    portal: str = ""  # the portal's name, when known
    error: str = ""  # one line, secrets removed, when the request failed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate_limits"] = dict(self.rate_limits)
        return data


class RequestLog:
    """Where records go: a ring in memory, listeners (the TUI's panel), and the file (see :meth:`add`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recent: deque[RequestRecord] = deque(maxlen=RECENT)
        self._listeners: list[Listener] = []

    def add(self, record: RequestRecord) -> None:
        """Keep ``record``. Thread-safe; listeners are called in the caller's thread and must not raise (an error
        in one is swallowed, so that logging never breaks a request)."""
        with self._lock:
            self._recent.append(record)
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a broken listener must never break the request being logged
                listener(record)

    def recent(self, n: int = RECENT) -> list[RequestRecord]:
        """The newest ``n`` records of this process, oldest first."""
        with self._lock:
            items = list(self._recent)
        return items[-n:] if n < len(items) else items

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(record)`` for every record from now on; returns the function that stops it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe


@dataclass
class HostDay:
    """What was asked of one host on one day (UTC): what ``pdxtui log`` and the Requests panel total."""

    day: str  # YYYY-MM-DD, UTC
    host: str
    requests: int = 0  # every record: from the network and from the cache
    network: int = 0  # of which went to the network (a record with attempts > 0)
    attempts: int = 0  # tries sent, retries included
    bytes: int = 0  # bytes received from the network
    cache_hits: int = 0  # answered from the cache (fresh or stale)
    throttled: int = 0  # answers with status 429
    errors: int = 0  # failed requests (an error, or a final status of 400 or more)
    waited: float = 0.0  # seconds spent waiting


def day_of(at: float) -> str:
    """The UTC day (YYYY-MM-DD) of an epoch time."""
    return time.strftime("%Y-%m-%d", time.gmtime(at))


def daily_totals(records: Iterable[RequestRecord]) -> list[HostDay]:
    """Totals per (day, host), sorted by day then host."""
    totals: dict[tuple[str, str], HostDay] = {}
    for r in records:
        key = (day_of(r.at), r.host)
        t = totals.get(key)
        if t is None:
            t = totals[key] = HostDay(*key)
        t.requests += 1
        if r.source == "network" or r.attempts > 0:
            t.network += 1
            t.bytes += r.bytes
        else:
            t.cache_hits += 1
        t.attempts += r.attempts
        t.throttled += r.status == 429
        t.errors += bool(r.error) or (r.status is not None and r.status >= 400)
        t.waited += r.waited
    return [totals[k] for k in sorted(totals)]


_current: RequestLog | None = None
_current_lock = threading.Lock()


def current() -> RequestLog:
    """This process's request log (made on first use)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = RequestLog()
        return _current
