"""The ArcGIS Hub catalog and the REST layers' wire formats: constants, errors, the small conversions of Hub
records, and the validation callbacks that run on every answer before it is cached."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pdxtui.errors import PortalError
from pdxtui.portals.network import epoch_or_iso
from pdxtui.textsafe import short

PORTLAND_HOST = "gis-pdx.opendata.arcgis.com"
PORTLAND_LABEL = f"PortlandMaps Open Data ({PORTLAND_HOST})"

SEARCH_API = "/api/search/v1"
HUB_MAX_LIMIT = 100  # the Hub search API's largest page
NEWEST_FIRST = "-properties.modified"
FACET_RECORDS = 500  # facets are counted over the newest this-many catalog records
MAX_SEARCH_PAGES = 200  # guard against a ``next`` link that never ends
DEFAULT_PAGE_ROWS = 1000  # rows per query when the layer does not state maxRecordCount

OID = "esriFieldTypeOID"
GEOMETRY = "esriFieldTypeGeometry"
POINT = "esriGeometryPoint"
DOUBLE = "esriFieldTypeDouble"  # the type of the latitude/longitude columns made from a point layer's geometry
#: non-point geometry fetched as GeoJSON text in a "geometry" column (WGS 84, outSR=4326): its part lists
SHAPES = {"esriGeometryPolygon": "rings", "esriGeometryPolyline": "paths"}
UNSHOWN_TYPES = frozenset({"esriFieldTypeBlob", "esriFieldTypeRaster"})

_LAYER_URL = re.compile(r"/(?:MapServer|FeatureServer)/\d+$", re.IGNORECASE)
_SERVICE_URL = re.compile(r"/(?:MapServer|FeatureServer)$", re.IGNORECASE)
_LAYER_SUFFIX = re.compile(r"_(\d+)$")
_UPDATE_FREQUENCY = re.compile(r"^[ \t]*Update Frequency[ \t]*:?[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_METADATA_LINK = re.compile(r"^[ \t]*Metadata Link[ \t]*:?[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_URL = re.compile(r"https?://[^\s()<>\"']+")
_CATEGORY_PREFIX = re.compile(r"^/?categories/", re.IGNORECASE)


# -- errors ---------------------------------------------------------------------------------------------------------


class LayerError(PortalError):
    """The ArcGIS server answered (usually with HTTP 200) with an ``{"error": ...}`` object."""

    def __init__(self, message: str, *, portal: str = "", code: Any = None) -> None:
        super().__init__(message, portal=portal, offline=False)
        self.code = code


def _error_text(error: Any) -> tuple[Any, str]:
    """(code, "message (detail; detail)") from an ArcGIS or Hub error object."""
    if not isinstance(error, dict):
        return None, short(error)
    message = short(error.get("message") or error.get("description") or "")
    details = error.get("details")
    if isinstance(details, list):
        extra = "; ".join(short(d, 160) for d in details[:3] if d not in (None, ""))
        if extra and extra != message:
            message = f"{message} ({extra})" if message else extra
    return error.get("code"), message or "no message"


# -- small conversions -------------------------------------------------------------------------------------------


def quote_value(value: str) -> str:
    """A string literal for a Hub ``filter`` (or a SQL where clause): single quotes, ``'`` doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def hub_filter(
    owner: str | None = None,
    tags: str | Sequence[str] | None = None,
    categories: str | Sequence[str] | None = None,
    type: str | None = None,
) -> str:
    """The Hub search ``filter`` for the facets, e.g. ``owner='BPS_GIS' AND tags IN ('trees')`` ("" for none)."""

    def many(value: str | Sequence[str] | None) -> list[str]:
        if value is None:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return [v for v in values if v]

    parts = []
    if owner:
        parts.append(f"owner={quote_value(owner)}")
    if type:
        parts.append(f"type={quote_value(type)}")
    if many(tags):
        parts.append(f"tags IN ({', '.join(quote_value(t) for t in many(tags))})")
    if many(categories):
        parts.append(f"categories IN ({', '.join(quote_value(c) for c in many(categories))})")
    return " AND ".join(parts)


def epoch_ms(value: Any) -> datetime | None:
    """An aware UTC datetime from epoch milliseconds (or an ISO string); None when absent or unreadable."""
    value = epoch_or_iso(value)
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    except OverflowError:
        return None


def category_label(raw: str) -> str:
    """``/Categories/Environment/Trees`` -> ``Environment/Trees``."""
    return _CATEGORY_PREFIX.sub("", raw.strip()).strip("/") or raw.strip()


def pull_update_frequency(text: str) -> tuple[str, str]:
    """(text without its "Update Frequency: ..." line, the frequency or "")."""
    match = _UPDATE_FREQUENCY.search(text)
    if not match:
        return text, ""
    return _cut(text, match), match.group(1).strip()


def pull_metadata_link(text: str) -> tuple[str, str]:
    """(text without its "Metadata Link ..." line, the URL on that line or "")."""
    match = _METADATA_LINK.search(text)
    if not match:
        return text, ""
    url = _URL.search(match.group(1))
    if not url:
        return text, ""
    return _cut(text, match), url.group().rstrip(".,;")


def _cut(text: str, match: re.Match[str]) -> str:
    """``text`` without the matched line (and its line break), blank lines squeezed."""
    end = match.end() + 1 if text[match.end() : match.end() + 1] == "\n" else match.end()
    return re.sub(r"\n{3,}", "\n\n", text[: match.start()] + text[end:]).strip("\n")


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(str(v) for v in values if isinstance(v, (str, int, float)) and str(v).strip())


def layer_url_for(url: Any, item_id: str) -> str:
    """The REST layer URL behind a Hub record, or "" when the record is not a single layer.

    A service URL (``.../MapServer``) with an item id ending ``_N`` means layer N of that service.
    """
    if not isinstance(url, str):
        return ""
    url = url.strip().split("?", 1)[0].rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    if _LAYER_URL.search(parts.path):
        return url
    suffix = _LAYER_SUFFIX.search(item_id)
    if _SERVICE_URL.search(parts.path) and suffix:
        return f"{url}/{suffix.group(1)}"
    return ""


#: seconds to wait when the Hub search allowance is used up and no reset header says for how long (the Hub's
#: throttle window is unconfirmed: a conservative guess)
SEARCH_THROTTLE_WAIT = 10.0


def throttle_wait(seen: tuple[float, dict[str, str]] | None, now: float, default: float) -> float:
    """Seconds to wait before the next search, from the rate-limit headers of the host's last answer (``seen``:
    (time.time() when seen, lowercased headers)): 0 unless an ``x-ratelimit-remaining-*`` was 0; then until the
    ``x-ratelimit-reset-*`` (seconds, or an epoch time) or ``Retry-After`` it sent, else ``default`` seconds."""
    if seen is None:
        return 0.0
    at, headers = seen
    spent = [name for name, value in headers.items() if "remaining" in name and _number(value) == 0]
    if not spent:
        return 0.0
    delay: float | None = None
    for name, value in headers.items():
        number = _number(value)
        if "reset" in name and number is not None and number >= 0:
            delay = number - at if number > 1e9 else number  # an epoch time, or seconds from the answer
            break
    if delay is None and "retry-after" in headers:
        from pdxtui.net import parse_retry_after

        delay = parse_retry_after(headers["retry-after"], now=at)
    if delay is None:
        delay = default
    return max(0.0, at + delay - now)


def _number(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _next_link(data: dict[str, Any]) -> str:
    for link in data.get("links") or ():
        if isinstance(link, dict) and link.get("rel") == "next" and isinstance(link.get("href"), str):
            return link["href"]
    return ""


def _exceeded(data: dict[str, Any]) -> bool:
    """``exceededTransferLimit``, at the top level (f=json) or under ``properties`` (f=geojson)."""
    if data.get("exceededTransferLimit") is True:
        return True
    props = data.get("properties")
    return isinstance(props, dict) and props.get("exceededTransferLimit") is True


# -- validation callbacks (run on every body before it is cached) ------------------------------------------------------


def _check_collection(data: Any) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        if isinstance(data, dict) and data.get("error") is not None:
            raise PortalError(f"the catalog search failed: {_error_text(data['error'])[1]}")
        raise PortalError("the catalog search answered, but not with a list of records (is this an ArcGIS Hub site?)")


def _check_record(data: Any) -> None:
    if isinstance(data, dict) and data.get("error") is not None:
        raise PortalError(f"the catalog record could not be read: {_error_text(data['error'])[1]}")
    if not isinstance(data, dict) or not isinstance(data.get("properties", {}), dict):
        raise PortalError("the catalog answered, but not with a dataset record")


def _layer_error(title: str, url: str, portal: str, data: Any) -> LayerError:
    code, message = _error_text(data.get("error"))
    name = f"{title} ({url})" if title else url
    return LayerError(
        f"the ArcGIS layer {name} answered with an error: {message}"
        + (f" [code {code}]" if code not in (None, "") else ""),
        portal=portal,
        code=code,
    )


def _check_layer(title: str, url: str, portal: str) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        if not isinstance(data, dict):
            raise PortalError(f"the ArcGIS layer {title or url} answered, but not with its description")
        if data.get("error") is not None:
            raise _layer_error(title, url, portal, data)

    return check


def _check_count(title: str, url: str, portal: str) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        if isinstance(data, dict) and data.get("error") is not None:
            raise _layer_error(title, url, portal, data)
        count = data.get("count") if isinstance(data, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise PortalError(f"the ArcGIS layer {title or url} answered a count request without a count")

    return check


def _check_rows(title: str, url: str, portal: str) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        if isinstance(data, dict) and data.get("error") is not None:
            raise _layer_error(title, url, portal, data)
        if not isinstance(data, dict) or not isinstance(data.get("features"), list):
            raise PortalError(f"the ArcGIS layer {title or url} answered a query without any features list")

    return check
