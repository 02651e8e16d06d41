"""One place that turns flags, environment and config into a portal, a cache and a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pdxtui.portals import DEFAULT_PORTAL, PortalSpec, open_portal, parse_portal

if TYPE_CHECKING:
    from pdxtui.cache import Store
    from pdxtui.config import Config
    from pdxtui.net import Fetcher
    from pdxtui.requestlog import HostDay
    from pdxtui.service import Service

WaitCallback = Callable[[str, float], None]

#: how each portal kind sends an app token: (header, value template)
TOKEN_HEADERS: dict[str, tuple[str, str]] = {
    "arcgis": ("X-Esri-Authorization", "Bearer {}"),
    "socrata": ("X-App-Token", "{}"),
    "ckan": ("Authorization", "{}"),
}


def portal_key(spec: PortalSpec) -> str:
    """The name a portal's fetcher goes by: in its cache keys and in the request log's records."""
    return f"{spec.kind}:{spec.url}"


@dataclass
class Session:
    spec: PortalSpec
    config: Config
    cache_dir: str | None = None
    warnings: list[str] = field(default_factory=list)

    def store(self) -> Store:
        from pdxtui.cache import Store

        store = Store.open(self.cache_dir, size_limit=self.config.cache.size_limit)
        if store.warning and store.warning not in self.warnings:
            self.warnings.append(store.warning)
        return store

    def fetcher(self, spec: PortalSpec | None = None, *, on_wait: WaitCallback | None = None) -> Fetcher:
        """A Fetcher for a network portal, set up from the config: the cache store, TTLs per kind of request,
        timeouts, the per-host limit and the portal's app token. The caller closes its client (``close_client``)
        and store."""
        from functools import partial

        from pdxtui.net import Fetcher, make_client

        spec = spec or self.spec
        cfg = self.config
        token = cfg.token_for(spec.name)
        header, template = TOKEN_HEADERS.get(spec.kind, ("X-App-Token", "{}"))
        return Fetcher(
            portal_key(spec),  # cache keys follow the portal's URL, whatever profile name reached it
            # made on the first request that goes to the network: a warm start reads the cache only
            client_factory=partial(make_client, cfg.net.connect_timeout, cfg.net.read_timeout),
            store=self.store(),
            ttl=cfg.cache.ttl,
            max_per_host=cfg.net.max_per_host,
            token=template.format(token) if token else None,
            token_header=header,
            on_wait=on_wait,
            throttle_wait=cfg.net.throttle_wait,
        )

    def usage(self, *urls: str, days: int = 30) -> tuple[HostDay, ...]:
        """What pdxtui asked of this portal (and of the hosts of ``urls``: a dataset's API, a failing URL) per host
        and day over the last ``days`` days, from the request log (empty when there is none, or it cannot be
        read)."""
        from urllib.parse import urlsplit

        from pdxtui.requestlog import usage_for

        hosts = set()
        for url in urls:
            try:
                hosts.add(urlsplit(url).hostname or "")
            except ValueError:
                continue
        return usage_for([portal_key(self.spec)], hosts - {""}, days=days)

    def service(
        self, spec: PortalSpec | None = None, *, refresh: bool = False, on_wait: WaitCallback | None = None
    ) -> Service:
        """The Service for a portal. Network portals get a Fetcher built on first use (so this stays cheap and
        imports no httpx); ``refresh`` skips fresh cache entries; ``on_wait(message, seconds)`` hears about
        retries and Retry-After waits."""
        from pdxtui.service import Service

        spec = spec or self.spec
        if spec.kind == "bundled":
            return Service(open_portal(spec))
        return Service(
            open_portal(spec, fetcher=lambda: self.fetcher(spec, on_wait=on_wait), refresh=refresh, close_fetcher=True)
        )


def open_session(portal: str | None = None, cache_dir: str | None = None, config_path: str | None = None) -> Session:
    """Read the config, pick the portal (flag > $PDXTUI_PORTAL > config > default). Raises UsageError."""
    from pdxtui import requestlog
    from pdxtui.config import known_secrets, load_config, profiles_from_config

    config = load_config(config_path)
    requestlog.add_secrets(known_secrets(config))  # never written to the request log, whoever sends them
    value = portal or config.default_portal or DEFAULT_PORTAL
    spec = parse_portal(value, profiles_from_config(config))
    return Session(spec=spec, config=config, cache_dir=cache_dir, warnings=list(config.warnings))
