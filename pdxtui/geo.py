"""Finding the latitude and longitude columns of a table by their names (no heavy imports: the map, the
GeoJSON export and the CLI share this one rule)."""

from __future__ import annotations

from collections.abc import Sequence

_LAT_WORDS = ("latitude", "lat")
_LON_WORDS = ("longitude", "lon", "lng", "long")


def coordinate_columns(columns: Sequence[str]) -> tuple[str, str] | None:
    """(latitude column, longitude column) by name: Latitude/lat/..._latitude and Longitude/lon/lng/..._longitude,
    else a pair with the same prefix and a coordinate word as a separate last word: ``OpenDataLat``/``OpenDataLon``
    (Portland crime data), ``site_lat``/``site_lng``. ``Flat`` or ``Salon`` are not coordinates (no word boundary),
    nor ``StartLat`` with ``EndLon`` (different prefixes)."""
    lat = next((c for c in columns if c.lower() in _LAT_WORDS or c.lower().endswith("_latitude")), None)
    lon = next((c for c in columns if c.lower() in _LON_WORDS or c.lower().endswith("_longitude")), None)
    if lat and lon:
        return lat, lon
    lons: dict[str, str] = {}
    for c in columns:
        prefix = _coordinate_prefix(c, _LON_WORDS)
        if prefix:
            lons.setdefault(prefix, c)
    for c in columns:
        prefix = _coordinate_prefix(c, _LAT_WORDS)
        if prefix and prefix in lons:
            return c, lons[prefix]
    return None


def _coordinate_prefix(name: str, words: Sequence[str]) -> str | None:
    """The lower-cased prefix of ``name`` when it ends in one of ``words`` as a word of its own (after ``_``, ``-``,
    ``.`` or a space, or in camel case: ``OpenDataLat``), else None."""
    low = name.lower()
    for word in words:
        if not low.endswith(word) or len(name) <= len(word):
            continue
        head, first = name[: -len(word)], name[-len(word)]
        if head[-1] in "_-. ":
            return head[:-1].lower() or None
        if first.isupper() and (head[-1].islower() or head[-1].isdigit()):
            return head.lower()
    return None
