"""PortlandMaps API client (address suggestions and property details; needs an API key).

Plain Python, no Textual: the CLI (``pdxtui address``, ``pdxtui property``) and the address screen both use it.

* ``suggest(query, count, page)`` calls ``/api/suggest/`` and returns :class:`Candidate` objects. The response is
  ``{"candidates": [{"address", "attributes": {..., "lat", "lon", "zip_code"}, "location": {"x", "y"}}]}``; when
  there is a single candidate its address carries ", CITY", which is moved into ``Candidate.city``.
* ``detail(detail_type, detail_id)`` calls ``/api/detail/?detail_type=property|assessor|zoning|permit&sections=*``
  and returns a :class:`Detail`: one :class:`Section` per part of the answer, as key-value pairs or as rows.
* A body with ``status: "error"`` becomes one readable :class:`PortalError` line.

The key is sent as the ``api_key`` query parameter. It never enters the cache key (pdxtui.cache drops secret
parameters), and it is scrubbed from error messages and from the log records of httpx and pdxtui.net.

Requests go through :class:`pdxtui.net.Fetcher` (retries, cache with a long TTL: answers rarely change), after a
:class:`RateLimiter` (by default 200 requests per 15 minutes, as reported by third-party code; unconfirmed). A 429
answer with ``X-Rate-Limit-Reset`` makes the client wait until that time (at most ``max_reset_wait`` seconds, saying
so through ``on_wait``), then try again; a later reset fails at once with a message saying when to try again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pdxtui.errors import PdxError, PortalError, UsageError
from pdxtui.model import finite_float
from pdxtui.textsafe import clean, one_line

if TYPE_CHECKING:
    import httpx

    from pdxtui.cache import Store
    from pdxtui.net import Fetcher

log = logging.getLogger(__name__)

DEFAULT_URL = "https://www.portlandmaps.com"
KEY_URL = "https://www.portlandmaps.com/development/"
ENV_KEY = "PDXTUI_PORTLANDMAPS_KEY"
ENV_URL = "PDXTUI_PORTLANDMAPS_URL"
DEFAULT_RATE = "200/15min"  # reported by third-party code, unconfirmed
DETAIL_TYPES = ("property", "assessor", "zoning", "permit")
MAX_PAGE = 1000  # candidates per suggest page, at most
#: answers rarely change: cache them for a week
TTL = {"pm-suggest": 7 * 86400.0, "pm-detail": 7 * 86400.0}
MAX_RESET_WAIT = 120.0  # longest wait for X-Rate-Limit-Reset before giving up with a message
PORTAL_NAME = "portlandmaps"
RATE_STATE_FILE = "portlandmaps-rate.json"  # in the cache folder: request times, so that runs share the limit

KEY_HELP = (
    f"PortlandMaps needs an API key: request one at {KEY_URL}, then set it in the environment "
    f'({ENV_KEY}=...) or in the config file:\n\n    [portlandmaps]\n    api_key = "your-key"'
)

WaitCallback = Callable[[str, float], None]


class MissingKey(PdxError):
    """No PortlandMaps API key is configured."""

    def __init__(self) -> None:
        super().__init__(
            f"no PortlandMaps API key: request one at {KEY_URL}, then set {ENV_KEY} or api_key in the "
            "[portlandmaps] table of the config file"
        )


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


@dataclass(frozen=True)
class Settings:
    """Where the API is, the key (None: not configured) and the rate limit."""

    api_key: str | None = None
    url: str = DEFAULT_URL
    rate: tuple[int, float] = (200, 900.0)

    @classmethod
    def from_config(cls, config: Any = None, env: Mapping[str, str] | None = None) -> Settings:
        """The config's ``[portlandmaps]`` table, with ``PDXTUI_PORTLANDMAPS_KEY`` / ``_URL`` winning."""
        env = os.environ if env is None else env
        table = getattr(config, "portlandmaps", None)
        key = (env.get(ENV_KEY) or "").strip() or (getattr(table, "api_key", None) or None)
        url = (env.get(ENV_URL) or "").strip() or getattr(table, "url", "") or DEFAULT_URL
        rate = getattr(table, "rate", None) or parse_rate(DEFAULT_RATE)
        return cls(api_key=key, url=url.rstrip("/"), rate=tuple(rate))  # type: ignore[arg-type]

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)


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
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict):
            return
        now = self.clock()

        def number(value: Any) -> bool:
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
        data = {"started": list(self.started), "blocked_until": self.blocked_until}
        try:
            fd, tmp = tempfile.mkstemp(prefix=".rate-", dir=self.state_path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, self.state_path)
        except OSError as exc:
            log.warning("could not keep the PortlandMaps request times: %s", exc)

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


# -- what the API answers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One address suggestion. ``id`` is what ``detail()`` takes (the property id when there is one)."""

    address: str
    city: str = ""
    zip_code: str = ""
    lat: float | None = None
    lon: float | None = None
    id: str = ""
    type: str = ""
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        where = ", ".join(p for p in (self.city, self.zip_code) if p)
        return f"{self.address}, {where}" if where else self.address

    def as_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "city": self.city,
            "zip_code": self.zip_code,
            "lat": self.lat,
            "lon": self.lon,
            "id": self.id,
            "type": self.type,
            "attributes": self.attributes,
        }


@dataclass(frozen=True)
class SuggestPage:
    candidates: tuple[Candidate, ...]
    page: int
    count: int
    total: int | None = None

    @property
    def more(self) -> bool:
        """Another page may follow (this one is full)."""
        if self.total is not None:
            return self.page * self.count < self.total
        return len(self.candidates) >= self.count


@dataclass(frozen=True)
class Section:
    """One part of a detail answer: key-value ``pairs`` or, for lists of records, ``rows`` (and ``columns``)."""

    name: str
    pairs: tuple[tuple[str, str], ...] = ()
    rows: tuple[dict[str, Any], ...] = ()
    columns: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").strip().capitalize() or "Details"

    @property
    def is_table(self) -> bool:
        return bool(self.columns)


@dataclass(frozen=True)
class Detail:
    detail_type: str
    detail_id: str
    sections: tuple[Section, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def tables(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.is_table)


_META_KEYS = frozenset({"status", "detail_type", "detail_id", "sections", "spatialReference", "api_key"})
_CITY = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")


def _text(value: Any) -> str:
    return "" if value is None else one_line(value, 500)


def _from_mercator(x: float, y: float) -> tuple[float, float]:
    lon = x / 6378137.0 * 180.0 / math.pi
    lat = (2.0 * math.atan(math.exp(y / 6378137.0)) - math.pi / 2.0) * 180.0 / math.pi
    return lat, lon


def candidate(raw: Any, *, single: bool = False) -> Candidate | None:
    """A Candidate from one entry of ``candidates`` (None when it has no address)."""
    if not isinstance(raw, dict):
        return None
    attributes = raw.get("attributes") if isinstance(raw.get("attributes"), dict) else {}
    location = raw.get("location") if isinstance(raw.get("location"), dict) else {}
    address = _text(raw.get("address"))
    if not address:
        return None
    city = _text(attributes.get("city") or attributes.get("jurisdiction"))
    head, comma, tail = address.rpartition(",")
    tail = tail.strip()
    # the quirk: a lone candidate's address ends in ", CITY"
    if comma and tail and _CITY.match(tail) and (single or tail.casefold() == city.casefold()):
        address = head.strip()
        city = city or tail
    lat, lon = finite_float(attributes.get("lat")), finite_float(attributes.get("lon"))
    x, y = finite_float(location.get("x")), finite_float(location.get("y"))
    if (lat is None or lon is None) and x is not None and y is not None:
        lat, lon = (y, x) if abs(x) <= 180 and abs(y) <= 90 else _from_mercator(x, y)
    ident = _text(attributes.get("property_id") or attributes.get("id") or attributes.get("state_id"))
    return Candidate(
        address=address,
        city=city,
        zip_code=_text(attributes.get("zip_code") or attributes.get("zip")),
        lat=lat,
        lon=lon,
        id=ident,
        type=_text(attributes.get("type")),
        attributes=dict(attributes),
    )


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return clean(value, max_len=2000)


def _pairs(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.extend(_pairs(value, f"{name}."))
        else:
            out.append((clean(name, max_len=200), _value(value)))
    return out


def sections_of(data: dict[str, Any]) -> tuple[Section, ...]:
    """The parts of a detail answer: dicts as key-value pairs, lists of records as rows, loose values together
    in a "summary" section first."""
    summary: list[tuple[str, str]] = []
    out: list[Section] = []
    for key, value in data.items():
        if key in _META_KEYS:
            continue
        name = clean(str(key), max_len=200)
        if isinstance(value, dict):
            out.append(Section(name, pairs=tuple(_pairs(value))))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns: dict[str, None] = {}
            for row in value:
                columns.update(dict.fromkeys(clean(str(k), max_len=200) for k in row))
            rows = tuple({clean(str(k), max_len=200): _cell(v) for k, v in row.items()} for row in value)
            out.append(Section(name, rows=rows, columns=tuple(columns)))
        elif isinstance(value, list) and not value:
            out.append(Section(name, pairs=()))
        else:
            summary.append((name, _value(value)))
    if summary:
        out.insert(0, Section("summary", pairs=tuple(summary)))
    return tuple(out)


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return _value(value)
    if isinstance(value, str):
        return clean(value, max_len=2000)
    return value


def error_message(data: Any) -> str | None:
    """The message of a ``status: "error"`` body (None for anything else)."""
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if str(data.get("status", "")).lower() != "error":
        if (
            isinstance(err, dict) and "candidates" not in data
        ):  # an error object without the status (a proxy, a gateway)
            return one_line(str(err.get("message") or err.get("error") or "the API answered with an error"), 300)
        return None
    if isinstance(err, dict):
        err = err.get("message") or err.get("error")
    message = err or data.get("message") or data.get("error_message") or "the API answered with an error"
    return one_line(str(message), 300)


# -- the client ---------------------------------------------------------------------------------------------------

_KEY_IN_URL = re.compile(r"(api_key=)[^&\s\"'#]+", re.IGNORECASE)


class _Redact(logging.Filter):
    """Removes ``api_key=...`` and the key itself from log records (httpx logs request URLs)."""

    keys: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = _KEY_IN_URL.sub(r"\1[key]", message)
        for key in self.keys:
            cleaned = cleaned.replace(key, "[key]")
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_REDACT = _Redact()
_REDACTED_LOGGERS = ("httpx", "httpcore", "pdxtui.net", "pdxtui.portlandmaps", "stamina")


def _install_redaction(key: str) -> None:
    from urllib.parse import quote, quote_plus

    _Redact.keys.update({key, quote(key, safe=""), quote_plus(key)} - {""})
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


class PortlandMaps:
    """The PortlandMaps API for one key. Close with ``await client.aclose()`` (or ``async with``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        on_wait: WaitCallback | None = None,
        refresh: bool = False,
        limiter: RateLimiter | None = None,
        state_path: str | os.PathLike[str] | None = None,
        max_reset_wait: float = MAX_RESET_WAIT,
        timeouts: tuple[float, float] = (10.0, 30.0),
        attempts: int = 4,
    ) -> None:
        if not settings.api_key:
            raise MissingKey()
        self.settings = settings
        self.key = settings.api_key
        self.on_wait = on_wait
        self.refresh = refresh
        self.max_reset_wait = float(max_reset_wait)
        self.limiter = limiter or RateLimiter(*settings.rate, on_wait=self._tell, state_path=state_path)
        if self.limiter.on_wait is None:
            self.limiter.on_wait = self._tell
        self._store = store
        self._timeouts = timeouts
        self._attempts = attempts
        self._fetcher: Fetcher | None = None
        self._reset_note = ""
        self.close_store = False  # open_client() opened the store: aclose() closes it
        _install_redaction(self.key)

    async def __aenter__(self) -> PortlandMaps:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            from pdxtui.cache import Store
            from pdxtui.net import Fetcher, make_client

            client = make_client(*self._timeouts, event_hooks={"request": [self._before], "response": [self._after]})
            self._fetcher = Fetcher(
                f"{PORTAL_NAME}:{self.settings.url}",
                client=client,
                store=self._store if self._store is not None else Store.disabled(),
                ttl=TTL,
                max_per_host=2,
                attempts=self._attempts,
                max_wait=self.max_reset_wait,
                on_wait=self._tell_retry,
            )
        return self._fetcher

    @property
    def state(self) -> Any:
        return self.fetcher.state

    async def aclose(self) -> None:
        fetcher, self._fetcher = self._fetcher, None
        if fetcher is not None:
            await fetcher.aclose()
            await fetcher.client.aclose()
        if self.close_store and self._store is not None:
            self._store.close()

    # -- API calls -----------------------------------------------------------------------------------------

    async def suggest(self, query: str, count: int = 10, page: int = 1, *, refresh: bool | None = None) -> SuggestPage:
        """Address suggestions for ``query``, ``count`` a page (at most 1000), page numbers from 1. ``refresh``
        skips a fresh cache entry (None: the client's setting)."""
        query = " ".join(str(query).split())
        if not query:
            raise UsageError("type an address to look up")
        count = max(1, min(int(count), MAX_PAGE))
        page = max(1, int(page))
        params = {"query": query, "count": str(count), "page": str(page)}
        data = await self._get("/api/suggest/", params, "pm-suggest", refresh)
        raw = data.get("candidates")
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise PortalError("PortlandMaps answered without a list of candidates", portal=PORTAL_NAME)
        single = len(raw) == 1
        found = tuple(c for c in (candidate(item, single=single) for item in raw) if c is not None)
        total = data.get("total")
        return SuggestPage(
            found, page, count, total if isinstance(total, int) and not isinstance(total, bool) else None
        )

    async def detail(self, detail_type: str, detail_id: str, *, refresh: bool | None = None) -> Detail:
        """The ``detail_type`` (property, assessor, zoning or permit) details of ``detail_id``, every section."""
        if detail_type not in DETAIL_TYPES:
            raise UsageError(f"detail type must be one of {', '.join(DETAIL_TYPES)}, not {detail_type!r}")
        detail_id = str(detail_id).strip()
        if not detail_id:
            raise UsageError("no property id given")
        params = {"detail_type": detail_type, "detail_id": detail_id, "sections": "*"}
        data = await self._get("/api/detail/", params, "pm-detail", refresh)
        return Detail(detail_type, detail_id, sections_of(data), raw=data)

    # -- plumbing ------------------------------------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str], kind: str, refresh: bool | None = None) -> dict[str, Any]:
        url = f"{self.settings.url}{path}"

        def check(data: Any) -> str | None:
            message = error_message(data)
            if message is not None:
                return f"PortlandMaps: {message}"
            if not isinstance(data, dict):
                return "PortlandMaps answered with something other than a JSON object"
            return None

        try:
            return await self.fetcher.get_json(
                url,
                {**params, "api_key": self.key},
                kind=kind,
                refresh=self.refresh if refresh is None else refresh,
                validate=check,
            )
        except PdxError as exc:
            exc.args = tuple(self.scrub(a) if isinstance(a, str) else a for a in exc.args)
            raise
        except Exception as exc:  # not ours: keep the key out of whatever it says
            raise PortalError(
                self.scrub(f"PortlandMaps request failed: {type(exc).__name__}: {exc}"), portal=PORTAL_NAME
            ) from None

    def scrub(self, text: str) -> str:
        text = _KEY_IN_URL.sub(r"\1[key]", text)
        for key in _Redact.keys | {self.key}:
            if key:
                text = text.replace(key, "[key]")
        return text

    def _tell(self, message: str, seconds: float) -> None:
        if self.on_wait is not None:
            try:
                self.on_wait(self.scrub(message), seconds)
            except Exception:
                log.exception("on_wait callback failed")

    def _tell_retry(self, message: str, seconds: float) -> None:
        note, self._reset_note = self._reset_note, ""
        self._tell(f"{note}; {message}" if note else message, seconds)

    async def _before(self, request: httpx.Request) -> None:
        await self.limiter.acquire()

    async def _after(self, response: httpx.Response) -> None:
        if response.status_code != 429:
            return
        wait = parse_reset(response.headers.get("X-Rate-Limit-Reset"))
        if wait is None:
            return  # Retry-After (if any) and the fetcher's backoff decide
        if wait > self.max_reset_wait:
            await response.aclose()
            raise PortalError(
                f"PortlandMaps rate limit reached; it resets in {_seconds(wait)} (X-Rate-Limit-Reset), "
                "try again then (answers already fetched still come from the cache)",
                portal=PORTAL_NAME,
            )
        self.limiter.block_for(wait)
        response.headers["Retry-After"] = f"{wait:.3f}"
        self._reset_note = "PortlandMaps rate limit reached: waiting until it resets (X-Rate-Limit-Reset)"


def rate_state_path(store: Any) -> Path | None:
    """Where the limiter keeps its request times: the cache folder (None when the cache is off)."""
    if store is None or not getattr(store, "enabled", False) or getattr(store, "path", None) is None:
        return None
    return Path(store.path) / RATE_STATE_FILE


def open_client(
    config: Any = None,
    *,
    cache_dir: str | None = None,
    on_wait: WaitCallback | None = None,
    refresh: bool = False,
    env: Mapping[str, str] | None = None,
) -> PortlandMaps:
    """A client set up from the config (``config.portlandmaps``) and environment, caching in the pdxtui cache.
    Raises MissingKey without a key (before opening anything)."""
    from pdxtui.cache import Store

    settings = Settings.from_config(config, env)
    if not settings.has_key:
        raise MissingKey()
    size = getattr(getattr(config, "cache", None), "size_limit", None)
    store = Store.open(cache_dir, size_limit=size) if size else Store.open(cache_dir)
    net = getattr(config, "net", None)
    timeouts = (getattr(net, "connect_timeout", 10.0), getattr(net, "read_timeout", 30.0))
    client = PortlandMaps(
        settings, store=store, on_wait=on_wait, refresh=refresh, timeouts=timeouts, state_path=rate_state_path(store)
    )
    client.close_store = True
    return client
