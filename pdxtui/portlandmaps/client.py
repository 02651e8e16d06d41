"""The PortlandMaps API client: settings, the key (kept out of caches, messages and logs) and the calls."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pdxtui import requestlog
from pdxtui.errors import PdxError, PortalError, UsageError
from pdxtui.portlandmaps.models import Detail, SuggestPage, candidate, error_message, sections_of
from pdxtui.portlandmaps.ratelimit import RateLimiter, WaitCallback, _seconds, parse_rate, parse_reset

if TYPE_CHECKING:
    import httpx

    from pdxtui.cache import Store
    from pdxtui.net import Fetcher

log = logging.getLogger("pdxtui.portlandmaps")  # the package's logger: its records pass the key redaction filter


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


class MissingKey(PdxError):
    """No PortlandMaps API key is configured."""

    def __init__(self, config_path: str | os.PathLike[str] | None = None) -> None:
        where = f"the config file {os.fspath(config_path)}" if config_path else "the config file"
        super().__init__(
            f"no PortlandMaps API key: request one at {KEY_URL}, then set {ENV_KEY} or api_key in the "
            f"[portlandmaps] table of {where}"
        )


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
        return cls(api_key=key, url=url.rstrip("/"), rate=tuple(rate))

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)


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
        from pdxtui.textsafe import without_secrets

        cleaned = without_secrets(_KEY_IN_URL.sub(r"\1[key]", message), self.keys, "[key]")
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_REDACT = _Redact()
_REDACTED_LOGGERS = ("httpx", "httpcore", "pdxtui.net", "pdxtui.portlandmaps", "stamina")


def _install_redaction(key: str) -> None:
    from pdxtui.textsafe import secret_forms

    _Redact.keys.update(secret_forms([key], shortest=1))  # a key is a secret however short
    requestlog.add_secrets([key])
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
            await fetcher.close_client()
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
        path, params = _detail_request(detail_type, detail_id)
        data = await self._get(path, params, "pm-detail", refresh)
        return Detail(detail_type, detail_id, sections_of(data), raw=data)

    def detail_url(self, detail_type: str, detail_id: str) -> str:
        """The URL of :meth:`detail` without the API key (for a provenance record: it names the request, and
        whoever repeats it adds their own key)."""
        from urllib.parse import urlencode

        path, params = _detail_request(detail_type, detail_id)
        return f"{self.settings.url}{path}?{urlencode(params)}"

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
        from pdxtui.textsafe import secret_forms, without_secrets

        return without_secrets(
            _KEY_IN_URL.sub(r"\1[key]", text), _Redact.keys | secret_forms([self.key], shortest=1), "[key]"
        )

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
        from pdxtui.netlog import note_wait

        waiting = time.monotonic()
        await self.limiter.acquire()
        note_wait(time.monotonic() - waiting)  # the wait for the limit counts in the request log

    async def _after(self, response: httpx.Response) -> None:
        if response.status_code != 429:
            return
        wait = parse_reset(response.headers.get("X-Rate-Limit-Reset"))
        if wait is None:
            return  # Retry-After (if any) and the fetcher's backoff decide
        if wait > self.max_reset_wait:
            if self._fetcher is not None:  # the fetcher never reads this answer: note it for the request log
                self._fetcher.saw(response, response.request.url.host)
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
        raise MissingKey(getattr(config, "path", None))  # the file this run reads (--config, $PDXTUI_CONFIG, XDG)
    size = getattr(getattr(config, "cache", None), "size_limit", None)
    store = Store.open(cache_dir, size_limit=size) if size else Store.open(cache_dir)
    net = getattr(config, "net", None)
    timeouts = (getattr(net, "connect_timeout", 10.0), getattr(net, "read_timeout", 30.0))
    client = PortlandMaps(
        settings, store=store, on_wait=on_wait, refresh=refresh, timeouts=timeouts, state_path=rate_state_path(store)
    )
    client.close_store = True
    return client


def _detail_request(detail_type: str, detail_id: str) -> tuple[str, dict[str, str]]:
    """The path and parameters (the API key aside) of a detail request: one builder for the request sent and
    the URL a provenance record names."""
    return "/api/detail/", {"detail_type": detail_type, "detail_id": str(detail_id).strip(), "sections": "*"}
