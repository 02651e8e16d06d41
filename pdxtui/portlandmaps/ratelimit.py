"""The PortlandMaps rate limit: parsing ``200/15min``, the sliding-window limiter (its request times kept in a
state file so that runs share the limit) and ``X-Rate-Limit-Reset``."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeGuard

from pdxtui.errors import UsageError

log = logging.getLogger("pdxtui.portlandmaps")  # the package's logger: its records pass the key redaction filter


WaitCallback = Callable[[str, float], None]


# -- settings -----------------------------------------------------------------------------------------------------

_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d*\.?\d*)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}


def parse_rate(text: str) -> tuple[int, float]:
    """``"200/15min"`` -> (200, 900.0). Units: s, min, h (and their long names); raises UsageError."""
    match = _RATE.match(str(text))
    unit = match.group(3).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise UsageError(f'rate {text!r} should look like "200/15min" (requests / time: s, min or h)')
    count = int(match.group(1))
    amount = float(match.group(2)) if match.group(2) else 1.0
    window = amount * _UNITS[unit]
    if count < 1 or window <= 0:
        raise UsageError(f"rate {text!r} must allow at least 1 request in a time above zero")
    return count, window


def describe_rate(limit: int, window: float) -> str:
    if window % 3600 == 0:
        span = f"{window / 3600:g} h"
    elif window % 60 == 0:
        span = f"{window / 60:g} min"
    else:
        span = f"{window:g} s"
    return f"{limit} request{'' if limit == 1 else 's'} per {span}"


# -- the rate limiter ---------------------------------------------------------------------------------------------


class RateLimiter:
    """At most ``limit`` requests in any ``window`` seconds (a sliding log of start times), plus a pause until a
    time the server named (429 with X-Rate-Limit-Reset). ``clock`` and ``sleep`` can be replaced (tests).

    With ``state_path`` the start times are kept in that file (epoch seconds, nothing else), so that successive
    runs (``pdxtui address`` in a loop, the TUI opened again) share the limit. Best effort: unreadable or
    unwritable state is ignored."""

    def __init__(
        self,
        limit: int = 200,
        window: float = 900.0,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        on_wait: WaitCallback | None = None,
        state_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = int(limit)
        self.window = float(window)
        self.clock = clock
        self.sleep = sleep
        self.on_wait = on_wait
        self.started: deque[float] = deque()
        self.blocked_until = 0.0
        self._lock: asyncio.Lock | None = None
        self.state_path = Path(state_path) if state_path else None
        self._load()

    def _load(self) -> None:
        if self.state_path is None:
            return
        from pdxtui.state import load_state

        data = load_state(self.state_path)  # {} when missing, unreadable or not ours
        now = self.clock()

        def number(value: Any) -> TypeGuard[float]:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

        times = data.get("started")
        if isinstance(times, list):
            kept = sorted(t for t in times if number(t) and now - self.window < t <= now + 1)
            self.started = deque(kept)
        blocked = data.get("blocked_until")
        if number(blocked) and now < blocked <= now + 86400:
            self.blocked_until = float(blocked)

    def _save(self) -> None:
        if self.state_path is None:
            return
        from pdxtui.state import save_state

        # best effort: a state file that cannot be written is logged and never stops a request
        times = {"started": list(self.started), "blocked_until": self.blocked_until}
        save_state(self.state_path, times, "the PortlandMaps request times")

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the server said when its limit resets)."""
        self.blocked_until = max(self.blocked_until, self.clock() + max(0.0, seconds))
        self._save()

    def delay(self) -> float:
        """How long the next request would have to wait now (0: it may go)."""
        now = self.clock()
        while self.started and self.started[0] <= now - self.window:
            self.started.popleft()
        wait = max(0.0, self.blocked_until - now)
        if len(self.started) >= self.limit:
            wait = max(wait, self.started[len(self.started) - self.limit] + self.window - now)
        return wait

    async def acquire(self) -> None:
        """Wait (saying so) until a request may start, then count it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one at a time, so a burst queues up in order
            while True:
                wait = self.delay()
                if wait <= 0:
                    self.started.append(self.clock())
                    self._save()
                    return
                if self.blocked_until > self.clock():
                    why = "PortlandMaps asked to wait until its rate limit resets"
                else:
                    why = f"PortlandMaps rate limit ({describe_rate(self.limit, self.window)})"
                message = f"{why}: waiting {_seconds(wait)} before the next request"
                log.info("%s", message)
                if self.on_wait is not None:
                    try:
                        self.on_wait(message, wait)
                    except Exception:  # a broken status line must not stop the request
                        log.exception("on_wait callback failed")
                await self.sleep(wait)


def _seconds(seconds: float) -> str:
    if seconds >= 90:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds * 10) / 10:g} s"


def parse_reset(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds until the limit resets, from ``X-Rate-Limit-Reset``: epoch seconds, epoch milliseconds or a number
    of seconds (servers differ; unconfirmed for PortlandMaps). None when absent or unreadable."""
    if not value:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if math.isnan(number) or number < 0:
        return None
    now = time.time() if now is None else now
    if number > 1e12:  # epoch milliseconds
        return max(0.0, number / 1000.0 - now)
    if number > 1e8:  # epoch seconds
        return max(0.0, number - now)
    return number
