"""One place that turns flags, environment and config into a portal, a cache and a service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pdxtui.portals import DEFAULT_PORTAL, PortalSpec, open_portal, parse_portal

if TYPE_CHECKING:
    from pdxtui.cache import Store
    from pdxtui.config import Config
    from pdxtui.service import Service


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

    def service(self, spec: PortalSpec | None = None) -> Service:
        from pdxtui.service import Service

        spec = spec or self.spec
        return Service(open_portal(spec))


def open_session(portal: str | None = None, cache_dir: str | None = None, config_path: str | None = None) -> Session:
    """Read the config, pick the portal (flag > $PDXTUI_PORTAL > config > default). Raises UsageError."""
    from pdxtui.config import load_config, profiles_from_config

    config = load_config(config_path)
    value = portal or config.default_portal or DEFAULT_PORTAL
    spec = parse_portal(value, profiles_from_config(config))
    return Session(spec=spec, config=config, cache_dir=cache_dir, warnings=list(config.warnings))
