"""What the Hub and REST halves of the fake ArcGIS portal share: answer helpers, constants, errors."""

from __future__ import annotations

import html
import json
import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

Query = dict[str, list[str]]
Response = tuple[int, dict[str, str], bytes]

JSON_TYPE = "application/json; charset=utf-8"
GEOJSON_TYPE = "application/geo+json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

API = "/api/search/v1"
HUB_PARAMS = frozenset(
    {"q", "filter", "limit", "startindex", "sortBy", "bbox", "f", "token", "target", "fields", "flatten"}
)
HUB_SORT_FIELDS = frozenset({"modified", "created", "title", "name", "owner", "type"})
HUB_DEFAULT_LIMIT = 10
HUB_MAX_LIMIT = 100

CURRENT_VERSION = 10.91
WEB_MERCATOR = {"wkid": 102100, "latestWkid": 3857}
WGS84 = {"wkid": 4326, "latestWkid": 4326}
INVALID_QUERY = "Cannot perform query. Invalid query parameters."
UNSUPPORTED_QUERY_PARAMS = ("geometry", "having", "time", "text")  # geometry: all but a point-and-distance filter
EARTH_RADIUS_M = 6_371_008.8
STATISTIC_TYPES = frozenset({"count", "sum", "min", "max", "avg", "stddev", "var"})
QUERY_CACHE_BYTES = 256 * 1024 * 1024  # serialized query answers kept (the fixtures never change)


# --- small helpers --------------------------------------------------------------------------------------------------


def encode_json(data: Any, pretty: bool = False) -> bytes:
    options: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
    try:
        return json.dumps(data, ensure_ascii=False, **options).encode()
    except UnicodeEncodeError:  # a lone surrogate (the hostile fixture): sent as a \\udXXX escape, as servers do
        return json.dumps(data, ensure_ascii=True, **options).encode()


def json_response(data: Any, status: int = 200, pretty: bool = False, content_type: str = JSON_TYPE) -> Response:
    return status, {"Content-Type": content_type}, encode_json(data, pretty)


def html_response(title: str, body: str, status: int = 200) -> Response:
    page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return status, {"Content-Type": HTML_TYPE}, page.encode()


def arcgis_error(code: int, message: str, details: list[str] | None = None, pretty: bool = False) -> Response:
    """ArcGIS reports errors with HTTP 200 and an error object."""
    return json_response({"error": {"code": code, "message": message, "details": details or []}}, pretty=pretty)


def hub_error(status: int, message: str) -> Response:
    reason = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
    return json_response({"statusCode": status, "error": reason, "message": message}, status=status)


def base_url(headers: Any) -> str:
    return f"http://{headers.get('Host') or '127.0.0.1'}"


def query_pairs(query: Query) -> list[tuple[str, str]]:
    return [(name, value) for name, values in query.items() for value in values]


def link(endpoint: str, pairs: list[tuple[str, str]]) -> str:
    """An absolute URL with the query pairs encoded (spaces as %20)."""
    return endpoint + ("?" + urlencode(pairs, quote_via=quote) if pairs else "")


def mercator(lon: float, lat: float) -> list[float]:
    x = lon * 20037508.342789244 / 180.0
    y = math.log(math.tan((90.0 + lat) * math.pi / 360.0)) * 6378137.0
    return [round(x, 2), round(y, 2)]


def iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class QueryError(Exception):
    """A bad REST query parameter: becomes the HTTP-200 error object."""

    def __init__(self, detail: str, message: str = INVALID_QUERY):
        super().__init__(detail)
        self.detail = detail
        self.message = message


class HubError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
