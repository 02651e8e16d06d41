"""What the portals that talk to a server (ArcGIS, Socrata, CKAN) share: their Fetcher, made on first use and
closed with the portal; the tally that says where the answers of one call came from (network, cache, or a stale
cached copy served while offline); the cache of what ``pages()`` needs to know about the datasets opened; and the
small helpers every wire format needs (``ranked``, ``both``, ``context``). ``short`` lives in textsafe and
``as_text``/``as_dict`` in model, so that net.py and PortlandMaps need nothing from the portals."""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter, OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeGuard, TypeVar, cast

from pdxtui.errors import NotFound, PdxError, PortalError
from pdxtui.model import DatasetSummary, Facets, FetchState, Field, Query, SearchRequest
from pdxtui.portals.base import Portal

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)

#: datasets whose plan (what pages() needs to know) a portal keeps, most recently used last
MAX_PLANS = 64

T = TypeVar("T")
U = TypeVar("U")


class HasFields(Protocol):
    """A plan: what pages() needs to know about a dataset, kept from dataset(). All have the columns."""

    @property
    def fields(self) -> tuple[Field, ...]: ...


PlanT = TypeVar("PlanT", bound=HasFields)


# -- small helpers ----------------------------------------------------------------------------------------------------


def epoch_or_iso(value: Any) -> float | datetime | None:
    """A JSON time: a finite number (epoch, in whatever unit the caller knows), an aware datetime (ISO text, UTC
    when it names no zone), or None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def ranked(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Facet counts, most frequent first, ties in alphabetical order (ignoring case)."""
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold())))


def counted_facets(
    hits: Sequence[DatasetSummary], total: int | None, request: SearchRequest, *, owners: bool = True
) -> Facets:
    """Facet counts from the matching records in hand, for a portal with no aggregation endpoint (the ArcGIS Hub,
    Socrata's catalog): counted from the search answer itself, so no extra search is spent. A chosen facet is kept
    as it was (``Facets.kept``): these records hold only its choice. When they are fewer than the matches, the
    note says the counts cover only the first of them."""
    owner: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    for hit in hits:
        if hit.owner:
            owner[hit.owner] += 1
        categories.update(set(hit.categories))
        tags.update(set(hit.tags))
    chosen = (("owner", request.owner), ("category", request.category), ("tag", request.tag))
    note = ""
    if total is not None and total > len(hits):
        note = f"counts from the first {len(hits):,} of {total:,} datasets"
    return Facets(
        owners=ranked(owner) if owners else (),
        categories=ranked(categories),
        tags=ranked(tags),
        note=note,
        kept=frozenset(name for name, value in chosen if value),
    )


async def both(first: Coroutine[Any, Any, T], second: Coroutine[Any, Any, U]) -> tuple[T, U]:
    """Run two coroutines concurrently; if one fails, cancel the other and raise."""
    one, two = asyncio.ensure_future(first), asyncio.ensure_future(second)
    tasks: list[asyncio.Future[Any]] = [one, two]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            if task.done() and not task.cancelled():
                problem = task.exception()
                if problem is not None:
                    raise problem
        return one.result(), two.result()
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def prefixed(exc: PortalError, message: str, *, portal: str = "") -> PortalError:
    """A PortalError saying ``message`` instead of ``exc``'s, keeping its portal, offline flag and HTTP status."""
    wrapped = PortalError(message, portal=exc.portal or portal, offline=exc.offline)
    wrapped.status = getattr(exc, "status", None)  # type: ignore[attr-defined]  # PortalError declares no status; HTTP errors carry one
    return wrapped


class context:
    """Prefix network and format errors raised inside the block with what was being done: one readable line.

    ArcGIS says only ``doing`` (its layer errors, ``keep``, already say so); Socrata says ``label: doing`` and
    leaves a message that already starts with its label alone, and ``hint`` is added to a 429 that outlasted the
    retries. NotFound passes unchanged."""

    def __init__(
        self, doing: str, *, label: str = "", hint: str = "", keep: tuple[type[BaseException], ...] = ()
    ) -> None:
        self.doing, self.label, self.hint, self.keep = doing, label, hint, keep

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or not isinstance(exc, PortalError) or isinstance(exc, (NotFound, *self.keep)):
            return
        message = str(exc)
        if self.label and message.startswith(self.label):
            return  # already said
        if self.hint and " answered 429 " in f" {message} ":
            message = f"{message}; {self.hint}"
        prefix = f"{self.label}: {self.doing}" if self.label else self.doing
        raise prefixed(exc, f"{prefix}: {message}") from exc


async def in_order(
    slots: list[tuple[int, int]], fetch: Callable[[int, int], Coroutine[Any, Any, T]], window: int
) -> AsyncGenerator[tuple[int, int, T], None]:
    """``fetch(offset, count)`` for each slot, at most ``window`` slots ahead of the one awaited, yielding
    ``(offset, count, result)`` in slot order. The caller may append slots while it iterates (more rows planned).
    Use it under ``contextlib.aclosing``: when the caller stops early, fails or is cancelled, the requests still
    outstanding are cancelled."""
    tasks: dict[int, asyncio.Task[T]] = {}
    index = scheduled = 0
    try:
        while index < len(slots):
            while scheduled < len(slots) and scheduled < index + window:
                offset, count = slots[scheduled]
                tasks[scheduled] = asyncio.ensure_future(fetch(offset, count))
                scheduled += 1
            result = await tasks.pop(index)
            offset, count = slots[index]
            index += 1
            yield offset, count, result
    finally:
        for task in tasks.values():
            if not task.done():
                task.cancel()
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)


async def count_or_none(count: Awaitable[int]) -> int | None:
    """A row count for metadata: None when the server will not count (the metadata is still useful); a portal
    that cannot be reached still raises."""
    try:
        return await count
    except PortalError as exc:
        if exc.offline:
            raise
        log.info("row count unavailable: %s", exc)
        return None


def check_columns(query: Query, fields: tuple[Field, ...], title: str) -> None:
    """Refuse a negative offset or limit, a column the dataset does not have, and a column asked for twice."""
    if query.offset < 0 or (query.limit is not None and query.limit < 0):
        raise PdxError("offset and limit must not be negative")
    known = {f.name for f in fields}
    for name in list(query.columns) + [name for name, _ in query.order]:
        if name not in known:
            raise PdxError(f"no column {name!r} in {title}")
    if len(set(query.columns)) != len(query.columns):
        raise PdxError("a column is asked for more than once")


def is_fetcher(value: Any) -> TypeGuard[Fetcher]:
    """A Fetcher (or a test double of one), as opposed to a zero-argument callable that makes one."""
    return hasattr(value, "get_json") and hasattr(value, "state")


class NetworkPortal(Portal, Generic[PlanT]):
    """Base of the network portals. ``fetcher`` is a ``pdxtui.net.Fetcher``, a zero-argument callable that makes
    one on first use (so creating the portal stays cheap), or None for a default Fetcher without a cache. With
    ``close_fetcher`` the portal owns it: ``aclose()`` closes its client and its cache store. ``refresh`` skips
    fresh cache entries (a stale copy is still served when the portal cannot be reached)."""

    def __init__(
        self,
        spec: PortalSpec,
        fetcher: Fetcher | Callable[[], Fetcher] | None = None,
        *,
        refresh: bool = False,
        close_fetcher: bool = True,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.site = spec.url.rstrip("/")
        self.host = spec.host
        self.refresh = refresh
        self.close_fetcher = close_fetcher
        self._fetcher: Fetcher | None = None
        self._factory: Callable[[], Fetcher] | None = None
        if fetcher is None or is_fetcher(fetcher):
            self._fetcher = fetcher
        else:
            self._factory = cast("Callable[[], Fetcher]", fetcher)
        self._state = FetchState()
        self._tally: dict[str, Any] = {}
        self._plans: OrderedDict[str, PlanT] = OrderedDict()

    @property
    def state(self) -> FetchState:
        """Where the last answer came from; within one call, a stale cache entry outweighs fresh ones."""
        return self._state

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            if self._factory is not None:
                self._fetcher = self._factory()
            else:
                from pdxtui.net import Fetcher

                self._fetcher = Fetcher(f"{self.kind}:{self.site}")
                self.close_fetcher = True
            self._fetcher_ready(self._fetcher)
        return self._fetcher

    def _fetcher_ready(self, fetcher: Fetcher) -> None:
        """Called once with the fetcher made on first use (a portal may wrap its callbacks)."""

    def rate_limits(self) -> dict[str, dict[str, str]]:
        """The last rate-limit headers each host sent (from the fetcher; empty before the first request)."""
        fetcher = self._fetcher
        seen = getattr(fetcher, "rate_seen", None) if fetcher is not None else None  # test doubles may not keep any
        return {host: dict(headers) for host, (_, headers) in (seen or {}).items()}

    def cache_warning(self) -> str:
        """The cache's warning, without opening a fetcher (and so a cache) just to ask."""
        return self._fetcher.store.warning if self._fetcher is not None else ""

    async def aclose(self) -> None:
        fetcher, self._fetcher = self._fetcher, None
        if fetcher is None:
            return
        await fetcher.aclose()
        if self.close_fetcher:
            await fetcher.close_client()
            fetcher.store.close()

    @property
    def window(self) -> int:
        """Row requests in flight at once: twice the fetcher's per-host limit keeps that limit busy while an earlier
        page is still on its way (pages are yielded in order)."""
        return 2 * max(1, getattr(self.fetcher, "max_per_host", 4))  # test doubles of a Fetcher may not say

    async def _get(self, url: str, params: dict[str, Any] | None, kind: str, validate: Callable[[Any], Any]) -> Any:
        """One JSON GET through the fetcher (cached, retried, checked by ``validate`` before it is cached)."""
        data = await self.fetcher.get_json(url, params, kind=kind, refresh=self.refresh, validate=validate)
        self._note(self.fetcher.state)
        return data

    # -- what pages() needs about the datasets opened ---------------------------------------------------------------

    def _remember(self, ident: str, plan: PlanT) -> None:
        self._plans[ident] = plan
        self._plans.move_to_end(ident)
        while len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)

    def _selected(self, plan: HasFields, query: Query) -> tuple[Field, ...]:
        """The plan's fields that the query asks for, in the query's order (all of them for none); with
        ``Query.with_key``, the row id column (:meth:`_row_key`) first when it is not among them."""
        fields = plan.fields
        if query.columns:
            by_name = {f.name: f for f in plan.fields}
            fields = tuple(by_name[name] for name in query.columns)
        key = self._row_key(plan) if query.with_key else None
        if key is not None and all(f.name != key.name for f in fields):
            fields = (key, *fields)
        return fields

    def _row_key(self, plan: Any) -> Field | None:
        """The column that identifies a row of ``plan``'s dataset across reads (``Dataset.key_field``), as the
        rows carry it, or None when there is none."""
        return None

    # -- where the answers of one call came from ----------------------------------------------------------------

    def _begin(self) -> None:
        self._tally = {}

    def _note(self, state: FetchState) -> None:
        tally = self._tally
        if state.source == "stale":
            old = tally.get("stale")
            if old is None or (state.age_seconds or 0) > (old.age_seconds or 0):
                tally["stale"] = FetchState(source="stale", age_seconds=state.age_seconds, reason=state.reason)
        elif state.source == "network":
            tally["network"] = True
        elif state.source == "cache":
            old = tally.get("cache")
            if old is None or (state.age_seconds or 0) > (old.age_seconds or 0):
                tally["cache"] = FetchState(source="cache", age_seconds=state.age_seconds)
        if "stale" in tally:
            self._state = tally["stale"]
        elif "network" in tally:
            self._state = FetchState(source="network")
        elif "cache" in tally:
            self._state = tally["cache"]
