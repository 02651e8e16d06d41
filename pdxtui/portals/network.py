"""What the portals that talk to a server (ArcGIS, Socrata, CKAN) share: their Fetcher, made on first use and
closed with the portal, and the tally that says where the answers of one call came from (network, cache, or a
stale cached copy served while offline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pdxtui.model import FetchState

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec


def is_fetcher(value: Any) -> bool:
    """A Fetcher (or a test double of one), as opposed to a zero-argument callable that makes one."""
    return hasattr(value, "get_json") and hasattr(value, "state")


class NetworkPortal:
    """Base of the network portals. ``fetcher`` is a ``pdxtui.net.Fetcher``, a zero-argument callable that makes
    one on first use (so creating the portal stays cheap), or None for a default Fetcher without a cache. With
    ``close_fetcher`` the portal owns it: ``aclose()`` closes its client and its cache store. ``refresh`` skips
    fresh cache entries (a stale copy is still served when the portal cannot be reached)."""

    kind = ""

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
        self.refresh = refresh
        self.close_fetcher = close_fetcher
        self._fetcher: Fetcher | None = None
        self._factory: Callable[[], Fetcher] | None = None
        if fetcher is None or is_fetcher(fetcher):
            self._fetcher = fetcher  # type: ignore[assignment]
        else:
            self._factory = fetcher  # type: ignore[assignment]
        self._state = FetchState()
        self._tally: dict[str, Any] = {}

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

    async def aclose(self) -> None:
        fetcher, self._fetcher = self._fetcher, None
        if fetcher is None:
            return
        await fetcher.aclose()
        if self.close_fetcher:
            await fetcher.client.aclose()
            fetcher.store.close()

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
