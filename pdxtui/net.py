"""HTTP for every portal: one httpx client factory and a ``Fetcher`` that adds the cache, retries (stamina),
``Retry-After``, a per-host concurrency limit, the app token header, a size guard and plain error messages.

No Textual import here: the CLI uses this too. httpx and stamina are imported, and the client made, only when a
request goes to the network: an answer from the cache (a warm start of the browser) needs neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from pdxtui import __version__, requestlog
from pdxtui.cache import Params, Store, only_cached
from pdxtui.cache import key as cache_key
from pdxtui.errors import NotCached, PortalError
from pdxtui.model import FetchState
from pdxtui.netlog import RequestTrace, _trace, loggable_path, note_bytes, note_source, note_wait, rate_headers
from pdxtui.textsafe import fix_surrogates, has_surrogate_escape, one_line, secret_forms, short, without_secrets

if TYPE_CHECKING:
    import httpx
    import stamina

log = logging.getLogger(__name__)

USER_AGENT = f"pdxtui/{__version__} (+terminal open-data browser)"
DEFAULT_TTL: dict[str, float] = {"catalog": 3600.0, "metadata": 86400.0, "rows": 86400.0}
RETRY_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: catalog pages and metadata are small (a few kB; a 1,000-package CKAN page a few MB); past this is not what was asked
DEFAULT_MAX_SMALL_BYTES = 32 * 1024 * 1024
SMALL_KINDS = frozenset({"catalog", "metadata"})
MAX_REDIRECTS = 5
OFFLOAD_WRITE_BYTES = 64 * 1024  # larger bodies are written to the cache from a worker thread
# Per Fetcher, for parsing and caching large bodies. One is plenty (it handles ~200 pages of 1,000 rows a second),
# opens at most one more cache connection, and leaves the event loop's thread the GIL most of the time.
WORKER_THREADS = 1

T = TypeVar("T")
WaitCallback = Callable[[str, float], None]
Gate = Callable[[], Awaitable[None]]


def make_client(
    timeout_connect: float = 10, timeout_read: float = 30, headers: Mapping[str, str] | None = None, **kwargs: Any
) -> httpx.AsyncClient:
    """The one AsyncClient pdxtui uses: timeouts, a User-Agent naming pdxtui, redirects (at most 5)."""
    import httpx

    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_read, connect=timeout_connect),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        **kwargs,
    )


@dataclass(frozen=True)
class Fetched:
    """One answer: from the network, a fresh cache entry, or (``stale``) an old one served while offline."""

    body: bytes
    content_type: str = ""
    from_cache: bool = False
    stale: bool = False
    age: float | None = None  # seconds since it was stored; None when fresh from the network
    url: str = ""
    status: int | None = None  # HTTP status when from the network


class HTTPStatusError(PortalError):
    """The server answered with an error status. ``status`` lets portals map 404 to NotFound."""

    def __init__(self, message: str, *, portal: str = "", status: int = 0, body: bytes = b"") -> None:
        super().__init__(message, portal=portal, offline=False)
        self.status = status
        #: the start of the error answer (at most 64 KB), for portals whose errors come as a JSON envelope
        self.body = body


class _Unreachable(PortalError):
    """Network trouble, 429 or 5xx: a stale cache entry may stand in for the answer."""


class _RetryableStatus(Exception):
    """Raised inside a retry attempt for 429/502/503/504 so stamina retries it."""

    def __init__(self, status: int, reason: str, retry_after: float | None) -> None:
        super().__init__(f"{status} {reason}")
        self.status, self.reason, self.retry_after = status, reason, retry_after


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def _fmt_seconds(seconds: float) -> str:
    return f"{round(seconds, 1):g} s"


def _fmt_mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _reason(response: httpx.Response) -> str:
    import httpx

    return response.reason_phrase or httpx.codes.get_reason_phrase(response.status_code)


def server_message(body: bytes) -> str:
    """A short excerpt of an error body: JSON ``message`` / ``error`` (ArcGIS, Socrata, CKAN shapes) or text."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body[:2000].decode("utf-8", "replace").strip()
        return "" if text.startswith("<") else short(text, 200)
    if not isinstance(data, dict):
        return ""
    err = data.get("error")
    if isinstance(err, dict):
        msg = err.get("message") or ""
        details = err.get("details")
        if isinstance(details, list) and details:
            msg = f"{msg} ({'; '.join(str(d) for d in details[:3])})" if msg else "; ".join(map(str, details[:3]))
        return short(msg, 200)
    msg = data.get("message")
    if isinstance(msg, str) and msg:
        return short(msg, 200)
    return short(err, 200) if isinstance(err, str) else ""


class Fetcher:
    """Cached, retried, polite GETs for one portal. ``state`` says where the last answer came from."""

    def __init__(
        self,
        portal_name: str,
        client: httpx.AsyncClient | None = None,
        store: Store | None = None,
        ttl: Mapping[str, float] | None = None,
        max_per_host: int = 6,  # the config's default (net.max_per_host)
        token: str | None = None,
        token_header: str = "X-App-Token",
        attempts: int = 5,
        max_wait: float = 60,
        on_wait: WaitCallback | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        connect_attempts: int = 2,
        max_small_bytes: int = DEFAULT_MAX_SMALL_BYTES,
        throttle_wait: float = 10.0,
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
        request_log: requestlog.RequestLog | None = None,
    ) -> None:
        """``client``: the AsyncClient to use (its owner closes it); else one is made with ``client_factory``
        (default :func:`make_client`) on the first request that goes to the network, and closed by ``aclose``.
        Every request (from the network or the cache) is recorded in ``request_log`` (default: the process's,
        ``requestlog.current()``, which writes the log file)."""
        self.portal_name = portal_name
        self._own_client = client is None
        self._client = client
        self._client_factory = client_factory or make_client
        self.store = store if store is not None else Store.disabled()
        self.ttl = {**DEFAULT_TTL, **(ttl or {})}
        self.max_per_host = max(1, int(max_per_host))
        self.token = token or None
        self.token_header = token_header
        self._token_forms: set[str] | None = None  # the token's forms, for _scrub (made on first use)
        if self.token:
            requestlog.add_secrets([self.token])
        self.request_log = request_log
        self.attempts = max(1, int(attempts))
        self.connect_attempts = max(1, min(int(connect_attempts), self.attempts))
        self.max_wait = float(max_wait)
        self.on_wait = on_wait
        #: seconds a portal waits when a server said its allowance is used up but not for how long
        self.throttle_wait = float(throttle_wait)
        self.max_bytes = int(max_bytes)
        self.max_small_bytes = min(int(max_small_bytes), self.max_bytes)  # for SMALL_KINDS (catalog, metadata)
        self.state = FetchState()
        self._limits: dict[str, asyncio.Semaphore] = {}
        #: host -> the event loop's time before which no request goes to it (a 429, or a Retry-After)
        self._held: dict[str, float] = {}
        self._workers: ThreadPoolExecutor | None = None
        #: host -> (time.time() when seen, the rate-limit headers of its last answer that carried any, lowercased)
        self.rate_seen: dict[str, tuple[float, dict[str, str]]] = {}

    # -- public -----------------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client, made on first use."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    async def close_client(self) -> None:
        """Close the client, if one was given or made (a fetcher that never went to the network made none)."""
        if self._client is not None:
            await self._client.aclose()

    async def get_bytes(
        self,
        url: str,
        params: Params = None,
        *,
        kind: str = "rows",
        refresh: bool = False,
        validate: Callable[[bytes], str | None] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """GET ``url``. ``validate(body)`` returns an error message (or raises) to reject a 2xx body;
        rejected bodies are never cached."""

        def accept(body: bytes, ctype: str) -> bytes:
            self._check(url, validate, body)
            return body

        fetched, _ = await self._get(url, params, kind, refresh, accept, headers)
        return fetched

    async def get_json(
        self,
        url: str,
        params: Params = None,
        *,
        kind: str = "rows",
        refresh: bool = False,
        validate: Callable[[Any], str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        gate: Gate | None = None,
    ) -> Any:
        """GET and parse JSON. HTML or invalid JSON raises PortalError; so does ``validate(data)`` returning a
        message (e.g. ArcGIS ``{"error": ...}`` with HTTP 200). Only bodies that pass are cached. ``gate`` is
        awaited before the request goes to the network (not for an answer from the cache): a portal's own
        throttle waits there."""

        def accept(body: bytes, ctype: str) -> Any:
            data = self._parse_json(url, body, ctype)
            self._check(url, validate, data)
            return data

        _, data = await self._get(url, params, kind, refresh, accept, headers, gate=gate)
        return data

    async def get_parsed(
        self,
        url: str,
        params: Params,
        parse: Callable[[bytes, str], T],
        *,
        kind: str = "rows",
        refresh: bool = False,
        headers: Mapping[str, str] | None = None,
        offload: bool = False,
    ) -> tuple[Fetched, T]:
        """GET and turn the body into a value with ``parse(body, content_type)``, which raises (PortalError) to
        reject it; only bodies that parse are cached, and a cached body that no longer parses is fetched again.
        The body is parsed once, whether it came from the network or the cache. ``offload`` runs ``parse`` (and
        then the cache write) in a worker thread, so that a large page does not hold up the event loop, and with
        it the next requests."""
        return await self._get(url, params, kind, refresh, parse, headers, offload)

    @contextlib.asynccontextmanager
    async def recording(self, url: str, params: Params = None) -> AsyncIterator[RequestTrace]:
        """Record the request made inside (to ``url`` with ``params``) in the request log, as it ends: the trace
        it yields is filled in by this fetcher's sending, reading and waiting (and by whoever sends on its client
        inside, such as a sample of a file). A request that never reached the network nor the cache (a URL
        that is not valid, a cancellation before its turn) is not recorded."""
        trace = RequestTrace()
        token = _trace.set(trace)
        started, clock = time.time(), time.monotonic()
        error = ""
        try:
            yield trace
        except asyncio.CancelledError:
            error = requestlog.CANCELLED
            raise
        except Exception as exc:
            error = str(exc) or type(exc).__name__
            raise
        finally:
            _trace.reset(token)
            if trace.attempts > 0 or trace.source != "network":
                self._record(url, params, trace, started, time.monotonic() - clock, error or trace.error)

    def _record(
        self, url: str, params: Params, trace: RequestTrace, started: float, duration: float, error: str
    ) -> None:
        try:
            error = self._scrub(one_line(error, 300)) if error else ""
            record = trace.record(_host(url), loggable_path(url, params), started, duration, self.portal_name, error)
            (self.request_log or requestlog.current()).add(record)
        except Exception:  # the log must never break a request
            log.debug("could not record a request to %s", _host(url), exc_info=True)

    def saw(self, response: httpx.Response, host: str) -> dict[str, str]:
        """Note an answer from ``host``: its rate-limit headers (kept in ``rate_seen``), and its status and
        headers in the request being recorded. Returns the rate-limit headers."""
        limits = rate_headers(response)
        if limits:
            self.rate_seen[host] = (time.time(), limits)
        trace = _trace.get()
        if trace is not None:
            trace.status = response.status_code
            trace.throttled += response.status_code == 429
            if limits:
                trace.rate_limits = limits
        return limits

    def rate_limits_for(self, url: str) -> tuple[float, dict[str, str]] | None:
        """(when, headers) of the last answer from ``url``'s host that carried rate-limit headers, or None."""
        return self.rate_seen.get(_host(url))

    async def pause(self, message: str, seconds: float) -> None:
        """Wait ``seconds``, announced through ``on_wait`` as Retry-After waits are."""
        self._notify(message, seconds)
        await asyncio.sleep(seconds)

    def parse_json(self, url: str, body: bytes, content_type: str = "") -> Any:
        """``body`` as JSON, as ``get_json`` reads it: HTML or invalid JSON raises PortalError."""
        return self._parse_json(url, body, content_type)

    async def aclose(self) -> None:
        workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=True)  # let a write whose caller was cancelled finish before the store closes
        if self._own_client:
            await self.close_client()

    # -- the cache around the network -------------------------------------------------------------------

    async def _get(
        self,
        url: str,
        params: Params,
        kind: str,
        refresh: bool,
        accept: Callable[[bytes, str], T],
        headers: Mapping[str, str] | None,
        offload: bool = False,
        *,
        gate: Gate | None = None,
    ) -> tuple[Fetched, T]:
        async with self.recording(url, params):
            try:
                return await self._get_unscrubbed(url, params, kind, refresh, accept, headers, offload, gate)
            except PortalError as exc:  # portals' own validators raise too: a server may echo the token back
                text = str(exc)
                if self.token and self._scrub(text) != text:
                    exc.args = (self._scrub(text), *exc.args[1:])
                raise

    async def _get_unscrubbed(
        self,
        url: str,
        params: Params,
        kind: str,
        refresh: bool,
        accept: Callable[[bytes, str], T],
        headers: Mapping[str, str] | None,
        offload: bool = False,
        gate: Gate | None = None,
    ) -> tuple[Fetched, T]:
        trace = _trace.get() or RequestTrace()

        async def accepted(body: bytes, ctype: str) -> T:
            if offload:
                return await self._in_worker(accept, body, ctype)
            return accept(body, ctype)

        try:
            k = cache_key(self.portal_name, url, params)
        except ValueError as exc:  # urlsplit: e.g. "Invalid IPv6 URL"
            raise PortalError(self._scrub(f"not a valid URL ({exc}): {url}"), portal=self.portal_name) from None
        cached_only = only_cached()  # (cache.cache_only): any copy answers, fresh or not, or none does
        ttl = None if cached_only else self.ttl.get(kind, DEFAULT_TTL["catalog"])
        entry = None if refresh and not cached_only else self.store.get(k, ttl)
        if cached_only and entry is None:
            raise NotCached(self._scrub(f"not in the cache: {url}"), portal=self.portal_name)
        if entry is not None and entry.fresh:
            try:
                value = await accepted(entry.body, entry.content_type)
            except PortalError:
                self.store.delete(k)  # damaged entry: fetch again
                if cached_only:
                    raise NotCached(
                        self._scrub(f"not in the cache (a damaged copy): {url}"), portal=self.portal_name
                    ) from None
            else:
                self.state = FetchState(source="cache", age_seconds=entry.age)
                note_source("cache")
                trace.source, trace.bytes = "cache", len(entry.body)
                return Fetched(entry.body, entry.content_type, True, False, entry.age, url), value
        if gate is not None:
            waiting = time.monotonic()
            await gate()
            note_wait(time.monotonic() - waiting)
        try:
            cap = self.max_small_bytes if kind in SMALL_KINDS else self.max_bytes
            status, ctype, body = await self._download(url, params, headers, cap)
        except _Unreachable as exc:
            # A refresh skipped the cache, but when the portal cannot answer, an old copy beats nothing.
            entry = entry or self.store.get(k, None)
            if entry is None:
                raise
            try:
                value = await accepted(entry.body, entry.content_type)
            except PortalError:
                raise exc from None
            self.state = FetchState(source="stale", age_seconds=entry.age, reason=str(exc))
            note_source("stale")
            trace.source, trace.bytes = "stale", len(entry.body)
            trace.error = str(exc)  # what the portal did: the old copy stood in for its answer
            return Fetched(entry.body, entry.content_type, True, True, entry.age, url), value
        if offload:

            def parse_then_store() -> T:
                value = accept(body, ctype)  # raises before anything is cached
                self.store.put(k, body, ctype)
                return value

            value = await self._in_worker(parse_then_store)
        else:
            value = accept(body, ctype)  # raises before anything is cached
            await self._put(k, body, ctype)
        self.state = FetchState(source="network")
        note_source("network")
        return Fetched(body, ctype, False, False, None, url, status), value

    async def _put(self, k: str, body: bytes, ctype: str) -> None:
        """Cache a body. A large one is written from a worker thread: creating its file costs a millisecond or
        more of system time, which would otherwise hold up the event loop (and the other pages in flight)."""
        if len(body) < OFFLOAD_WRITE_BYTES or not self.store.enabled:
            self.store.put(k, body, ctype)
            return
        await self._in_worker(self.store.put, k, body, ctype)

    async def _in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in this fetcher's own worker thread(s) rather than the loop's default executor, so
        that at most ``WORKER_THREADS`` threads ever open the cache database."""
        if self._workers is None:
            self._workers = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="pdxtui-fetch")
        return await asyncio.get_running_loop().run_in_executor(self._workers, fn, *args)

    # -- the network, with retries ----------------------------------------------------------------------

    async def _download(
        self, url: str, params: Params, headers: Mapping[str, str] | None, cap: int | None = None
    ) -> tuple[int, str, bytes]:
        import httpx
        import stamina

        host = _host(url)
        current: list[stamina.Attempt] = []
        trace = _trace.get()
        ended: float | None = None  # when the last attempt ended: the time to the next one is backoff

        def retry_on(exc: Exception) -> bool | float:
            """stamina's backoff hook: False = give up; True = default backoff; float = wait this long."""
            num = current[-1].num if current else 1
            if isinstance(exc, httpx.ConnectError) and not isinstance(exc, httpx.TimeoutException):
                limit = self.connect_attempts  # refused / DNS: likely offline, don't keep the user waiting
            elif isinstance(exc, (httpx.TransportError, _RetryableStatus)) and not isinstance(
                exc, httpx.UnsupportedProtocol
            ):
                limit = self.attempts
            else:
                return False
            if num >= limit:
                return False
            after = exc.retry_after if isinstance(exc, _RetryableStatus) else None
            wait = min(after, self.max_wait) if after is not None else current[-1].next_wait if current else 0.0
            if isinstance(exc, _RetryableStatus) and (exc.status == 429 or after is not None):
                self._hold(host, wait)
            about = "" if after is not None else "about "
            self._notify(
                f"{self._describe(host, exc)}; retrying in {about}{_fmt_seconds(wait)} (attempt {num + 1} of {limit})",
                wait,
            )
            return wait if after is not None else True

        try:
            async for attempt in stamina.retry_context(
                on=retry_on,
                attempts=self.attempts,
                timeout=None,  # bounded by attempts; a Retry-After wait must not trip a total timeout
                wait_initial=0.5,
                wait_max=min(8.0, self.max_wait),
                wait_jitter=0.5,
            ):
                current.append(attempt)
                if ended is not None:
                    note_wait(time.monotonic() - ended)
                if trace is not None:
                    trace.attempts += 1
                try:
                    with attempt:
                        return await self._once(url, params, headers, host, cap)
                finally:
                    ended = time.monotonic()
        except httpx.UnsupportedProtocol as exc:
            raise PortalError(self._scrub(f"{host}: {exc}"), portal=self.portal_name) from None
        except (_RetryableStatus, httpx.TransportError) as exc:
            tries = current[-1].num if current else 1
            message = self._describe(host, exc) + (f" (gave up after {tries} attempts)" if tries > 1 else "")
            offline = isinstance(exc, (httpx.NetworkError, httpx.TimeoutException, httpx.ProxyError))
            raise _Unreachable(self._scrub(message), portal=self.portal_name, offline=offline) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # e.g. a malformed URL
            raise PortalError(self._scrub(f"{host}: {exc}"), portal=self.portal_name) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self, url: str, params: Params, headers: Mapping[str, str] | None, host: str, cap: int | None = None
    ) -> tuple[int, str, bytes]:
        """One attempt: send (following redirects by hand, so the token never leaves its host) and read."""
        request = self.client.build_request(
            "GET",
            url,
            params=params,  # type: ignore[arg-type]  # httpx's QueryParamTypes names its value types; ours are Any
            headers=self._headers(headers),
        )
        async with self.turn(host):
            for _ in range(MAX_REDIRECTS + 1):
                response = await self.client.send(request, stream=True, follow_redirects=False)
                try:
                    if response.next_request is None:
                        return await self._read(response, host, cap)
                    request = response.next_request
                finally:
                    await response.aclose()
                if request.url.host != host and self.token:
                    request.headers.pop(self.token_header, None)
            raise PortalError(f"{host} redirected more than {MAX_REDIRECTS} times", portal=self.portal_name)

    async def _read(self, response: httpx.Response, host: str, cap: int | None = None) -> tuple[int, str, bytes]:
        status = response.status_code
        self.saw(response, host)
        if status in RETRY_STATUSES:
            raise _RetryableStatus(status, _reason(response), parse_retry_after(response.headers.get("Retry-After")))
        if not 200 <= status < 300:
            raw = await self._body(response, host, limit=64 * 1024)
            note_bytes(len(raw))
            excerpt = server_message(raw)
            message = f"{host} answered {status} {_reason(response)}" + (f": {excerpt}" if excerpt else "")
            if status >= 500:
                raise _Unreachable(self._scrub(message), portal=self.portal_name)
            raise HTTPStatusError(self._scrub(message), portal=self.portal_name, status=status, body=raw)
        body = await self._body(response, host, cap=cap)
        note_bytes(len(body))
        return status, response.headers.get("Content-Type", ""), body

    async def _body(
        self, response: httpx.Response, host: str, limit: int | None = None, cap: int | None = None
    ) -> bytes:
        """Read the body, refusing more than ``cap`` (default ``max_bytes``), or stopping quietly at ``limit`` for
        excerpts."""
        most = cap if cap is not None else self.max_bytes
        cap = limit if limit is not None else most
        length = response.headers.get("Content-Length", "")
        if limit is None and length.isdigit() and int(length) > cap:
            raise PortalError(self._too_big(host, cap), portal=self.portal_name)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            chunks.append(chunk)
            if size > cap:
                if limit is not None:
                    break
                raise PortalError(self._too_big(host, cap), portal=self.portal_name)
        return b"".join(chunks)[: cap if limit is not None else None]

    # -- helpers ----------------------------------------------------------------------------------------

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token:
            headers[self.token_header] = self.token
        return headers

    def _limit(self, host: str) -> asyncio.Semaphore:
        sem = self._limits.get(host)
        if sem is None:
            sem = self._limits[host] = asyncio.Semaphore(self.max_per_host)
        return sem

    @contextlib.asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        """A turn to send to ``host``: a place under its per-host limit, once any hold on it has passed. Every
        request to a portal's hosts goes out in one (the Fetcher's own, and those sent on its client elsewhere).
        None is given inside :func:`pdxtui.cache.cache_only`: :class:`~pdxtui.errors.NotCached`."""
        if only_cached():
            raise NotCached(f"not in the cache: a request to {host}", portal=self.portal_name)
        async with self._limit(host):
            await self._wait_for_host(host)
            yield

    def _hold(self, host: str, seconds: float) -> None:
        """The host said to slow down (429) or when to come back (Retry-After): the requests to it that wait for a
        turn, or come later, do not go out before then, rather than each being refused in turn."""
        until = asyncio.get_running_loop().time() + seconds
        self._held[host] = max(until, self._held.get(host, 0.0))

    async def _wait_for_host(self, host: str) -> None:
        """Wait out a hold on ``host`` (announced already, by the request that was refused), and any hold that
        comes while waiting. In stamina's test mode, which does not wait between attempts, neither does this."""
        while (until := self._held.get(host)) is not None:
            delay = until - asyncio.get_running_loop().time()
            if delay <= 0:
                del self._held[host]
                continue
            import stamina  # only a host that was refused gets here: a cached answer never imports it

            if stamina.is_testing():
                return
            waiting = time.monotonic()
            await asyncio.sleep(delay)
            note_wait(time.monotonic() - waiting)

    def _notify(self, message: str, seconds: float) -> None:
        message = self._scrub(message)
        log.info("%s", message)
        if self.on_wait is not None:
            try:
                self.on_wait(message, seconds)
            except Exception:  # a broken status line must not break the fetch
                log.exception("on_wait callback failed")

    def _describe(self, host: str, exc: Exception) -> str:
        import httpx

        if isinstance(exc, _RetryableStatus):
            return f"{host} answered {exc.status} {exc.reason}"
        if isinstance(exc, httpx.ConnectTimeout):
            return f"timed out connecting to {host}"
        if isinstance(exc, httpx.TimeoutException):
            return f"{host} timed out (no answer in time)"
        if isinstance(exc, httpx.ConnectError):
            detail = short(str(exc), 120)
            return f"could not connect to {host}" + (f" ({detail})" if detail else "")
        detail = short(str(exc), 120) or type(exc).__name__
        return f"connection to {host} failed ({detail})"

    def _too_big(self, host: str, cap: int | None = None) -> str:
        cap = self.max_bytes if cap is None else cap
        if cap < self.max_bytes:
            return (
                f"{host} sent more than {_fmt_mb(cap)} where a small answer (catalog or metadata) was expected; "
                "stopped reading. The URL may point at a file rather than the portal's API"
            )
        return f"{host} sent more than {_fmt_mb(cap)}; stopped reading (limit max_bytes)"

    def _scrub(self, text: str) -> str:
        """``text`` without the token: the header value ("Bearer abc..."), the bare token in it, and their
        percent-encoded forms, which a server may echo back in an error message."""
        if not self.token:
            return text
        if self._token_forms is None:
            self._token_forms = secret_forms([self.token], words=True, shortest=1)
        return without_secrets(text, self._token_forms, "[token]")

    def _parse_json(self, url: str, body: bytes, ctype: str) -> Any:
        host = _host(url)
        if "html" in ctype.lower() or body.lstrip()[:1] == b"<":
            raise PortalError(
                f"{host} answered with a web page (HTML), not JSON; the URL may be wrong or the service down",
                portal=self.portal_name,
            )
        try:
            data = json.loads(body)
            if has_surrogate_escape(body):
                data = fix_surrogates(data)
        except RecursionError:  # arrays or objects nested thousands deep: no portal answers like that
            raise PortalError(f"{host} answered with JSON nested too deeply to read", portal=self.portal_name) from None
        except ValueError as exc:
            where = ""
            if isinstance(exc, json.JSONDecodeError):
                where = f" ({exc.msg} at line {exc.lineno} column {exc.colno})"
            message = f"{host} answered, but the body was not valid JSON{where}"
            raise PortalError(message, portal=self.portal_name) from None
        return data

    def _check(self, url: str, validate: Callable[[Any], str | None] | None, value: Any) -> None:
        if validate is None:
            return
        problem = validate(value)
        if problem:
            host = _host(url)
            raise PortalError(self._scrub(f"{host}: {short(problem, 200)}"), portal=self.portal_name)
