"""What the fetcher notes about each request for the request log (``requestlog``): the trace one request fills in
as it goes (attempts, waits, 429s, status, bytes, rate-limit headers), the path and query as the log keeps them
(no secret), and the rate-limit headers of an answer.

The trace of the request in progress lives in a context variable, so that whatever waits or sends on the
request's behalf (a hold on its host, a portal's throttle, the PortlandMaps limiter) adds to it without being
handed it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from pdxtui import requestlog
from pdxtui.cache import Params, is_secret_param

if TYPE_CHECKING:
    import httpx

#: response headers that tell a client its allowance (x-ratelimit-limit-*, x-ratelimit-remaining-*, ...)
RATE_HEADER_PREFIXES = ("x-ratelimit-", "ratelimit-", "x-rate-limit-")


@dataclass
class RequestTrace:
    """What one request went through, filled in as it goes, then kept as a :class:`requestlog.RequestRecord`."""

    source: str = "network"  # "network", "cache" or "stale"
    attempts: int = 0  # tries sent
    waited: float = 0.0  # seconds waited: Retry-After, a hold on the host, backoff, a portal's own throttle
    throttled: int = 0  # 429 answers
    status: int | None = None  # the last answer's status
    bytes: int = 0  # the answer's body bytes (from the cache: served from it)
    rate_limits: dict[str, str] = field(default_factory=dict)
    error: str = ""  # why a stale copy stood in (a failure that raised is recorded from its exception)

    def record(
        self, host: str, path: str, started: float, duration: float, portal: str, error: str
    ) -> requestlog.RequestRecord:
        """The record of this request (``error``: one line, the token already removed)."""
        return requestlog.RequestRecord(
            at=started,
            host=host,
            path=path,
            status=self.status,
            bytes=self.bytes,
            duration=duration,
            source=self.source,
            attempts=self.attempts,
            waited=self.waited,
            rate_limits=self.rate_limits,
            portal=requestlog.scrub(portal),
            error=requestlog.scrub(error),
            throttled=self.throttled,
        )


_trace: ContextVar[RequestTrace | None] = ContextVar("pdxtui_request_trace", default=None)


@dataclass
class Answers:
    """Where the answers to the requests made inside :func:`answers` came from: "network", "cache" or "stale"."""

    sources: set[str] = field(default_factory=set)

    @property
    def stale(self) -> bool:
        """Whether any was an old cached copy served in place of the portal's answer (offline)."""
        return "stale" in self.sources


_answers: ContextVar[Answers | None] = ContextVar("pdxtui_answers", default=None)


@contextlib.contextmanager
def answers() -> Iterator[Answers]:
    """Collect where the answers to the requests made inside come from: those of this task and of the tasks it
    starts meanwhile (they inherit the context), not those of other tasks sharing the fetcher (whose ``state`` is
    only the last answer's, whoever asked)."""
    collected = Answers()
    token = _answers.set(collected)
    try:
        yield collected
    finally:
        _answers.reset(token)


def note_source(source: str) -> None:
    """An answer came from ``source`` ("network", "cache" or "stale"): noted in the :func:`answers` collecting in
    this context, if any."""
    collected = _answers.get()
    if collected is not None:
        collected.sources.add(source)


def note_wait(seconds: float) -> None:
    """Count ``seconds`` spent waiting towards the request being recorded in this task (if any)."""
    trace = _trace.get()
    if trace is not None and seconds >= 0.001:  # not the few microseconds a gate that lets it through takes
        trace.waited += seconds


def note_bytes(n: int) -> None:
    """The body of the answer to the request being recorded was ``n`` bytes."""
    trace = _trace.get()
    if trace is not None:
        trace.bytes = n


def loggable_path(url: str, params: Params = None) -> str:
    """The path and query ``url`` with ``params`` asks for, as the request log keeps it: secret-named parameters
    (token, api_key, key...) and every known secret replaced, cut at ``requestlog.MAX_PATH`` characters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return requestlog.scrub(url)[: requestlog.MAX_PATH]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if params:
        items = params.items() if isinstance(params, Mapping) else params
        for name, value in items:
            values = value if isinstance(value, (list, tuple)) else [value]
            pairs.extend((str(name), "" if v is None else str(v)) for v in values)
    # each value is scrubbed as sent, before it is encoded again (a secret holding "/" and "+" would match none
    # of its forms once re-encoded), and the whole text again after
    pairs = [(k, requestlog.SECRET if is_secret_param(k) else requestlog.scrub(v)) for k, v in pairs]
    text = (parts.path or "/") + ("?" + urlencode(pairs, safe="[]$:/,*'()") if pairs else "")
    text = requestlog.scrub(text)
    return text if len(text) <= requestlog.MAX_PATH else text[: requestlog.MAX_PATH - 1] + "\u2026"


def rate_headers(response: httpx.Response) -> dict[str, str]:
    """The rate-limit headers of ``response`` (names lowercased), with its Retry-After when there are any."""
    limits = {k.lower(): v for k, v in response.headers.items() if k.lower().startswith(RATE_HEADER_PREFIXES)}
    if limits:
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None:
            limits["retry-after"] = retry_after
    return limits
