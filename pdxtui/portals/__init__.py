"""Turns ``--portal`` values into Portal instances.

A value is either a profile name (``demo``, ``portland``, or one from the config file) or ``KIND:URL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pdxtui.errors import Unsupported, UsageError
from pdxtui.portals.base import Portal, ProgressCallback

__all__ = [
    "BUILTIN_PROFILES",
    "PORTAL_KINDS",
    "Portal",
    "PortalSpec",
    "ProgressCallback",
    "Unsupported",
    "open_portal",
    "parse_portal",
]

PORTAL_KINDS = ("bundled", "arcgis", "socrata", "ckan")


@dataclass(frozen=True)
class PortalSpec:
    name: str  # what the user typed, or the profile name
    kind: str
    url: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or self.url


#: profiles every install knows. The config file may add more.
BUILTIN_PROFILES: dict[str, PortalSpec] = {
    "demo": PortalSpec("demo", "bundled", ""),
    "portland": PortalSpec("portland", "arcgis", "https://gis-pdx.opendata.arcgis.com"),
    "chicago": PortalSpec("chicago", "socrata", "https://data.cityofchicago.org"),
    "nyc": PortalSpec("nyc", "socrata", "https://data.cityofnewyork.us"),
    "seattle": PortalSpec("seattle", "socrata", "https://data.seattle.gov"),
    "sf": PortalSpec("sf", "socrata", "https://data.sfgov.org"),
    "datagov": PortalSpec("datagov", "ckan", "https://catalog.data.gov"),
}

#: one line about each built-in profile, for ``pdxtui portals``
PROFILE_NOTES: dict[str, str] = {
    "demo": "offline snapshot of 14 Portland layers, with sample rows",
    "portland": "City of Portland: PortlandMaps Open Data (ArcGIS Hub)",
    "chicago": "City of Chicago (Socrata)",
    "nyc": "New York City (Socrata)",
    "seattle": "City of Seattle (Socrata)",
    "sf": "City and County of San Francisco (Socrata)",
    "datagov": "data.gov, the US federal catalog (CKAN)",
}

DEFAULT_PORTAL = "portland"


def parse_portal(value: str, profiles: dict[str, PortalSpec] | None = None) -> PortalSpec:
    """Parse a ``--portal`` value. Raises UsageError with a one-line message."""
    value = (value or "").strip()
    known = {**BUILTIN_PROFILES, **(profiles or {})}
    if not value:
        raise UsageError("empty portal name; try --portal demo")
    if value in known:
        return known[value]
    kind, sep, url = value.partition(":")
    kind = kind.lower()
    if not sep:
        names = ", ".join(sorted(known))
        raise UsageError(
            f"unknown portal {value!r}: use a profile ({names}) or KIND:URL "
            f"with KIND one of {', '.join(PORTAL_KINDS[1:])}"
        )
    if kind == "bundled":
        return PortalSpec(value, "bundled", "")
    if kind not in PORTAL_KINDS:
        raise UsageError(f"unknown portal kind {kind!r} in {value!r}: use one of {', '.join(PORTAL_KINDS[1:])}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"portal URL must start with http:// or https:// and name a host, not {url!r}")
    return PortalSpec(value, kind, url.rstrip("/"))


def open_portal(spec: PortalSpec, **options) -> Portal:
    """Create the Portal for a spec. Imports the portal module lazily.

    Options for network portals: ``fetcher`` (a ``pdxtui.net.Fetcher``, or a zero-argument callable that makes
    one on first use; None: a default Fetcher without a cache), ``refresh`` (skip fresh cache entries) and
    ``close_fetcher`` (default True: the portal owns the fetcher, its client and its store, and closes them).
    """
    if spec.kind == "bundled":
        from pdxtui.portals.bundled import BundledPortal

        return BundledPortal(name=spec.name)
    if spec.kind == "arcgis":
        from pdxtui.portals.arcgis import ArcGISPortal

        return ArcGISPortal(
            spec,
            options.get("fetcher"),
            refresh=bool(options.get("refresh", False)),
            close_fetcher=bool(options.get("close_fetcher", True)),
        )
    if spec.kind in ("socrata", "ckan"):
        import importlib

        module = importlib.import_module(f"pdxtui.portals.{spec.kind}")
        cls = module.SocrataPortal if spec.kind == "socrata" else module.CKANPortal
        return cls(
            spec,
            options.get("fetcher"),
            refresh=bool(options.get("refresh", False)),
            close_fetcher=bool(options.get("close_fetcher", True)),
        )
    raise UsageError(f"portal kind {spec.kind!r} is not supported yet")
