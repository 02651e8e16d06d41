"""The fake ArcGIS portal: a Hub site (OGC API Records search) and the City's MapServer layers.

Mounted by :func:`tests.fakeportal.start_server` as::

    {url}/hub                                                     Hub site (portal string arcgis:{url}/hub)
    {url}/hub/api/search/v1[/conformance|/collections[/{c}[/items[/{id}]|/aggregations]]]
    {url}/hub/api/search/definition                               OpenAPI stub
    {url}/arcgis/rest/services[/COP_OpenData_<Theme>/MapServer[/<layerId>[/query]]]

It follows the shapes in /work/shared/portals.md. Choices where the real servers are unknown or vary:

* Hub: unknown query parameters (``startIndex``, ``offset``...) get a 400, so a client that misspells one fails
  loudly. Errors are JSON ``{"statusCode": 400, "error": "Bad Request", "message": ...}``. Default ``limit`` 10.
* REST: errors come with HTTP 200 and ``{"error": {...}}``. Without ``f`` (or with ``f=html``) the answer is an
  HTML page, as on real servers. Without ``outFields`` only OBJECTID comes back. Without ``outSR`` geometry is in
  Web Mercator (wkid 102100); ``outSR=4326`` gives lon/lat; ``f=geojson`` is always lon/lat. A missing ``where``
  is an error. ``=``/``LIKE`` are case-sensitive. The ``geometry``, ``having``, ``time`` and ``text``
  parameters are refused rather than silently ignored.
"""

from __future__ import annotations

import html
import json
import math
import re
import statistics
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from . import fixtures
from .expressions import ParseError, compile_hub_filter, compile_where
from .fixtures import CatalogItem, Dataset, Field

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


# --- the app ----------------------------------------------------------------------------------------------------------


class ArcGISApp:
    """Serves the Hub site under ``hub_prefix`` and the MapServer REST tree under ``rest_prefix``.

    Switches (plain attributes, safe to change between requests):
    ``hub_page_cap``: when set, a search page holds at most this many records whatever ``limit`` asks for; the
    ``next`` link still advances by what was returned, so clients that follow ``next`` get everything.
    """

    name = "arcgis"

    def __init__(
        self,
        hub_prefix: str = "/hub",
        rest_prefix: str = "/arcgis/rest/services",
        hub_page_cap: int | None = None,
        extra: Sequence[Dataset] = (),
    ):
        self.extra = tuple(extra)  # datasets served on top of fixtures.DATASETS (e.g. fixtures.HOSTILE)
        self.hub_prefix = "/" + hub_prefix.strip("/")
        self.rest_prefix = "/" + rest_prefix.strip("/")
        self.hub_page_cap = hub_page_cap
        self._cache: OrderedDict[tuple, Sequence[int]] = OrderedDict()
        self._cache_lock = threading.Lock()
        # Serialized answers of the read-only query endpoint, per (layer, normalized parameters). The fixture
        # data never change, so an answer is a pure function of its key. This keeps the fake cheap (a real portal
        # is another machine); latency, faults and the request log still apply per request in server.py.
        self._answers: OrderedDict[tuple, Response] = OrderedDict()
        self._answers_bytes = 0

    def _catalog(self, collection: str) -> list[CatalogItem]:
        return fixtures.catalog(collection) + [fixtures.item_for(ds) for ds in self.extra if collection != "site"]

    def _datasets(self) -> list[Dataset]:
        return list(fixtures.DATASETS.values()) + list(self.extra)

    def _dataset_by_path(self, path: str) -> Dataset | None:
        lowered = path.rstrip("/").lower()
        return fixtures.dataset_by_path(path) or next((d for d in self.extra if d.path.lower() == lowered), None)

    def mount(self, server: Any) -> None:
        server.mount(self.hub_prefix, self, name=self.name)
        server.mount(self.rest_prefix, self)

    def handle(self, method: str, path: str, query: Query, headers: Any) -> Response:
        base = base_url(headers)
        if path == self.hub_prefix or path.startswith(self.hub_prefix + "/"):
            if method != "GET":
                return hub_error(405, f"{method} is not allowed")
            try:
                return self.hub(path[len(self.hub_prefix) :].rstrip("/"), query, base)
            except HubError as error:
                return hub_error(error.status, error.message)
        if method not in ("GET", "POST"):
            return arcgis_error(405, "Method not allowed")
        return self.rest(path[len(self.rest_prefix) :].strip("/"), query, base)

    # --- Hub ----------------------------------------------------------------------------------------------------------

    def hub(self, sub: str, query: Query, base: str) -> Response:
        site = base + self.hub_prefix
        if sub == "":
            return html_response(
                "PortlandMaps Open Data",
                f'<p>A fake ArcGIS Hub site for pdxtui tests.</p><p><a href="{site}{API}">Search API</a></p>',
            )
        if sub.startswith("/documents/"):
            return html_response(
                "PortlandMaps Open Data Terms of Use", "<p>Data are published under the Open Data Commons PDDL 1.0.</p>"
            )
        if sub == "/api/search/definition":
            return json_response(self.openapi(site))
        if sub == API:
            return json_response(self.landing(site))
        if sub == API + "/conformance":
            return json_response(
                {
                    "conformsTo": [
                        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
                        "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core",
                        "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json",
                        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
                    ]
                }
            )
        if sub == API + "/collections":
            return json_response(
                {
                    "collections": [self.collection(site, c) for c in ("all", "dataset", "site")],
                    "links": [{"rel": "self", "type": "application/json", "href": site + sub}],
                }
            )
        match = re.fullmatch(re.escape(API) + r"/collections/([^/]+)(/items(?:/([^/]+))?|/aggregations)?", sub)
        if not match:
            raise HubError(404, f"Not found: {sub}")
        collection, tail, item_id = match.groups()
        if collection not in ("all", "dataset", "site"):
            raise HubError(404, f"Collection {collection!r} not found")
        if tail is None:
            return json_response(self.collection(site, collection))
        if tail == "/aggregations":
            return json_response(self.aggregations(collection, query, site + sub))
        if item_id is not None:
            for item in self._catalog(collection):
                if item.id == item_id:
                    return json_response(self.feature(item, base, site), content_type=GEOJSON_TYPE)
            raise HubError(404, f"Item {item_id!r} not found")
        return json_response(self.search(collection, query, base, site + sub), content_type=GEOJSON_TYPE)

    def landing(self, site: str) -> dict:
        return {
            "title": "ArcGIS Hub Search API (pdxtui fake)",
            "description": "OGC API Records search over the PortlandMaps Open Data catalog.",
            "links": [
                {"rel": "self", "type": "application/json", "title": "This document", "href": site + API},
                {
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                    "title": "API definition",
                    "href": site + "/api/search/definition",
                },
                {
                    "rel": "conformance",
                    "type": "application/json",
                    "title": "Conformance",
                    "href": site + API + "/conformance",
                },
                {
                    "rel": "data",
                    "type": "application/json",
                    "title": "Collections",
                    "href": site + API + "/collections",
                },
            ],
        }

    def openapi(self, site: str) -> dict:
        return {
            "openapi": "3.0.0",
            "info": {"title": "Hub Search API (pdxtui fake)", "version": "1.0.0"},
            "servers": [{"url": site + API}],
            "paths": {
                "/collections/{collectionId}/items": {
                    "get": {"parameters": [{"name": name, "in": "query"} for name in sorted(HUB_PARAMS)]}
                }
            },
        }

    def collection(self, site: str, collection: str) -> dict:
        titles = {"all": "All content", "dataset": "Datasets", "site": "Sites"}
        href = f"{site}{API}/collections/{collection}"
        return {
            "id": collection,
            "title": titles[collection],
            "description": f"{titles[collection]} on this site",
            "itemType": "record",
            "type": "collection",
            "links": [
                {"rel": "self", "type": "application/json", "href": href},
                {"rel": "items", "type": "application/geo+json", "href": href + "/items"},
            ],
        }

    def properties(self, item: CatalogItem, base: str) -> dict:
        xmin, ymin, xmax, ymax = item.extent
        return {
            "id": item.id,
            "title": item.title,
            "name": item.title,
            "owner": item.owner,
            "orgId": "PDXfakeOrg",
            "type": item.type,
            "typeKeywords": ["ArcGIS Server", "Data", "Service"] if item.dataset else [],
            "description": item.description,
            "snippet": item.snippet,
            "tags": list(item.tags),
            "categories": list(item.categories),
            "created": item.created,
            "modified": item.modified,
            "url": base + item.path,
            "access": "public",
            "licenseInfo": item.license_info,
            "extent": [[xmin, ymin], [xmax, ymax]],
        }

    def feature(self, item: CatalogItem, base: str, site: str) -> dict:
        xmin, ymin, xmax, ymax = item.extent
        collection = "dataset" if "dataset" in item.collections else item.collections[-1]
        items = f"{site}{API}/collections/{collection}/items"
        return {
            "id": item.id,
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax], [xmin, ymin]]],
            },
            "time": {"interval": [iso(item.created), iso(item.modified)]},
            "properties": self.properties(item, base),
            "links": [
                {"rel": "self", "type": "application/geo+json", "title": "This record", "href": f"{items}/{item.id}"},
                {
                    "rel": "collection",
                    "type": "application/json",
                    "title": "The collection",
                    "href": items.rsplit("/", 1)[0],
                },
            ],
        }

    def search(self, collection: str, query: Query, base: str, endpoint: str) -> dict:
        unknown = sorted(set(query) - HUB_PARAMS)
        if unknown:
            raise HubError(
                400, f"Unknown query parameter(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(HUB_PARAMS))}"
            )
        limit = self.int_param(query, "limit", HUB_DEFAULT_LIMIT, minimum=0)
        start = self.int_param(query, "startindex", 1, minimum=1)
        matched = self.matching_items(collection, query, base)
        pairs = query_pairs(query)
        links = [{"rel": "self", "type": "application/geo+json", "title": "This page", "href": link(endpoint, pairs)}]
        if limit == 0:
            return {
                "type": "FeatureCollection",
                "numberMatched": len(matched),
                "numberReturned": 0,
                "features": [],
                "links": links,
            }
        size = min(limit, HUB_MAX_LIMIT, self.hub_page_cap or HUB_MAX_LIMIT)
        page = matched[start - 1 : start - 1 + size]
        site = base + self.hub_prefix
        if page and start - 1 + len(page) < len(matched):
            advanced = [(k, v) for k, v in pairs if k != "startindex"] + [("startindex", str(start + len(page)))]
            links.append(
                {"rel": "next", "type": "application/geo+json", "title": "Next page", "href": link(endpoint, advanced)}
            )
        if start > 1:
            back = [(k, v) for k, v in pairs if k != "startindex"] + [("startindex", str(max(1, start - size)))]
            links.append(
                {"rel": "prev", "type": "application/geo+json", "title": "Previous page", "href": link(endpoint, back)}
            )
        return {
            "type": "FeatureCollection",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "numberMatched": len(matched),
            "numberReturned": len(page),
            "features": [self.feature(item, base, site) for item in page],
            "links": links,
        }

    @staticmethod
    def int_param(query: Query, name: str, default: int, minimum: int) -> int:
        values = query.get(name)
        if not values:
            return default
        try:
            value = int(values[-1])
        except ValueError:
            raise HubError(400, f"{name} must be an integer, not {values[-1]!r}") from None
        if value < minimum:
            raise HubError(400, f"{name} must be at least {minimum}")
        return value

    def matching_items(self, collection: str, query: Query, base: str) -> list[CatalogItem]:
        """Items of the collection that match q, filter and bbox, in the requested order."""
        items = self._catalog(collection)
        text = (query.get("q") or [""])[-1].strip()
        filter_text = (query.get("filter") or [""])[-1].strip()
        if filter_text:
            try:
                keep = compile_hub_filter(filter_text)
            except ParseError as error:
                raise HubError(400, f"Invalid filter: {error}") from None
            items = [item for item in items if keep(self.properties(item, base))]
        bbox = (query.get("bbox") or [""])[-1].strip()
        if bbox:
            try:
                xmin, ymin, xmax, ymax = (float(v) for v in bbox.split(","))
            except ValueError:
                raise HubError(400, "bbox must be four numbers: minx,miny,maxx,maxy") from None
            items = [
                item
                for item in items
                if item.extent[0] <= xmax
                and item.extent[2] >= xmin
                and item.extent[1] <= ymax
                and item.extent[3] >= ymin
            ]
        if text:
            scored = [(self.score(item, text), index, item) for index, item in enumerate(items)]
            items = [item for score, _index, item in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]
        sort_by = (query.get("sortBy") or [""])[-1].strip()
        for term in reversed([t.strip() for t in sort_by.split(",") if t.strip()]):
            descending = term.startswith("-")
            name = term.lstrip("+-")
            if not name.startswith("properties.") or name[len("properties.") :] not in HUB_SORT_FIELDS:
                raise HubError(400, f"Cannot sort by {term!r}; use properties.modified or -properties.modified")
            attribute = "title" if name == "properties.name" else name[len("properties.") :]
            items = sorted(items, key=lambda item: getattr(item, attribute), reverse=descending)
        return items

    @staticmethod
    def score(item: CatalogItem, text: str) -> int:
        """Crude relevance: every word must appear somewhere; title hits count most. Plural 's' is ignored."""
        title = item.title.lower()
        tags = " ".join(item.tags).lower()
        rest = " ".join((item.snippet, item.description, " ".join(item.categories), item.owner)).lower()
        total = 0
        for word in re.findall(r"\w+", text.lower()):
            stem = word[:-1] if len(word) > 3 and word.endswith("s") else word
            points = 3 * (stem in title) + 2 * (stem in tags) + (stem in rest)
            if not points:
                return 0
            total += points
        return total

    def aggregations(self, collection: str, query: Query, endpoint: str) -> dict:
        """Term counts, as hub.js asks for them: ``aggregations=terms(fields=(tags,categories))``."""
        spec = (query.get("aggregations") or [""])[-1]
        match = re.fullmatch(r"\s*terms\(fields=\(([^)]*)\)\)\s*", spec)
        if not match:
            raise HubError(400, "aggregations must look like terms(fields=(tags,categories))")
        fields = [f.strip() for f in match.group(1).split(",") if f.strip()]
        allowed = {"tags", "categories", "owner", "type", "access"}
        if not fields or set(fields) - allowed:
            raise HubError(400, f"aggregation fields must be among {', '.join(sorted(allowed))}")
        others = {k: v for k, v in query.items() if k != "aggregations"}
        items = self.matching_items(collection, others, "")
        out = []
        for name in fields:
            counts: dict[str, int] = {}
            for item in items:
                values = getattr(item, name, None) if name != "access" else "public"
                for value in values if isinstance(values, tuple) else (values,):
                    counts[value] = counts.get(value, 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            out.append({"field": name, "aggregations": [{"label": k, "value": v} for k, v in ranked]})
        return {
            "aggregations": {"aggregations": out},
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "links": [{"rel": "self", "href": endpoint}],
        }

    # --- REST -----------------------------------------------------------------------------------------------------

    def rest(self, sub: str, query: Query, base: str) -> Response:
        params = {name.lower(): values[-1] for name, values in query.items()}
        fmt = params.get("f", "html").lower() or "html"
        pretty = fmt == "pjson"
        parts = sub.split("/") if sub else []
        services = {ds.service.lower(): ds.service for ds in self._datasets()}
        if fmt not in ("html", "json", "pjson", "geojson"):
            return arcgis_error(400, "Invalid or missing input parameters.", [f"Unsupported output format: {fmt}"])
        if len(parts) >= 2 and (parts[0].lower() not in services or parts[1].lower() != "mapserver"):
            return arcgis_error(400, "Invalid URL", pretty=pretty)
        if len(parts) >= 3:
            ds = self._dataset_by_path(f"{self.rest_prefix}/{parts[0]}/MapServer/{parts[2]}")
            if ds is None or len(parts) > 4 or (len(parts) == 4 and parts[3].lower() != "query"):
                return arcgis_error(400, "Invalid URL", pretty=pretty)
            if fmt == "html":
                return html_response(ds.title, f"<p>Layer {ds.layer_id} of {ds.service}. Add f=json.</p>")
            if len(parts) == 3:
                return json_response(self.layer_info(ds), pretty=pretty)
            try:
                return self.cached_query(ds, params, fmt)
            except QueryError as error:
                return arcgis_error(400, error.message, [error.detail], pretty=pretty)
        if len(parts) == 2:
            service = services[parts[0].lower()]
            if fmt == "html":
                return html_response(service, "<p>MapServer. Add f=json.</p>")
            return json_response(self.service_info(service), pretty=pretty)
        if len(parts) == 1:
            return arcgis_error(400, "Invalid URL", pretty=pretty)
        if fmt == "html":
            return html_response("ArcGIS REST Services Directory", "<p>Add f=json.</p>")
        return json_response(
            {
                "currentVersion": CURRENT_VERSION,
                "folders": [],
                "services": [{"name": s, "type": "MapServer"} for s in sorted(services.values())],
            },
            pretty=pretty,
        )

    @staticmethod
    def mercator_extent(extent: tuple[float, float, float, float]) -> dict:
        xmin, ymin = mercator(extent[0], extent[1])
        xmax, ymax = mercator(extent[2], extent[3])
        return {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax, "spatialReference": WEB_MERCATOR}

    def service_info(self, service: str) -> dict:
        layers = [ds for ds in self._datasets() if ds.service == service]
        extent = self.mercator_extent(fixtures.PDX_EXTENT)
        return {
            "currentVersion": CURRENT_VERSION,
            "serviceDescription": f"{service} (pdxtui fake)",
            "mapName": "Layers",
            "description": "",
            "copyrightText": "City of Portland",
            "supportsDynamicLayers": False,
            "layers": [
                {
                    "id": ds.layer_id,
                    "name": ds.title,
                    "parentLayerId": -1,
                    "defaultVisibility": True,
                    "subLayerIds": None,
                    "minScale": 0,
                    "maxScale": 0,
                    "type": "Feature Layer",
                    "geometryType": ds.geometry_type,
                }
                for ds in sorted(layers, key=lambda d: d.layer_id)
            ],
            "tables": [],
            "spatialReference": WEB_MERCATOR,
            "initialExtent": extent,
            "fullExtent": extent,
            "units": "esriMeters",
            "supportedQueryFormats": "JSON, geoJSON, PBF",
            "maxRecordCount": 2000,
            "capabilities": "Map,Query,Data",
        }

    def layer_info(self, ds: Dataset) -> dict:
        return {
            "currentVersion": CURRENT_VERSION,
            "id": ds.layer_id,
            "name": ds.title,
            "type": "Feature Layer",
            "parentLayer": None,
            "subLayers": [],
            "defaultVisibility": True,
            "minScale": 0,
            "maxScale": 0,
            "description": ds.description,
            "copyrightText": ds.copyright_text,
            "geometryType": ds.geometry_type,
            "sourceSpatialReference": WEB_MERCATOR,
            "extent": self.mercator_extent(ds.extent),
            "hasAttachments": False,
            "htmlPopupType": "esriServerHTMLPopupTypeAsHTMLText",
            "displayField": ds.display_field,
            "typeIdField": None,
            "subtypeFieldName": None,
            "fields": [f.to_json() for f in ds.fields],
            "geometryField": {"name": "Shape", "type": "esriFieldTypeGeometry", "alias": "Shape"},
            "indexes": [],
            "subtypes": [],
            "types": [],
            "relationships": [],
            "canModifyLayer": False,
            "canScaleSymbols": False,
            "hasLabels": False,
            "capabilities": "Map,Query,Data",
            "maxRecordCount": ds.max_record_count,
            "supportsStatistics": True,
            "supportsAdvancedQueries": True,
            "supportedQueryFormats": "JSON, geoJSON, PBF",
            "isDataVersioned": False,
            "useStandardizedQueries": True,
            "advancedQueryCapabilities": {
                "useStandardizedQueries": True,
                "supportsStatistics": True,
                "supportsHavingClause": True,
                "supportsOrderBy": True,
                "supportsDistinct": True,
                "supportsCountDistinct": True,
                "supportsPagination": True,
                "supportsPaginationOnAggregatedQueries": True,
                "supportsTrueCurve": True,
                "supportsReturningQueryExtent": True,
                "supportsQueryWithDistance": True,
                "supportsSqlExpression": True,
            },
            "supportsDatumTransformation": True,
            "dateFieldsTimeReference": None,
            "hasZ": False,
            "hasM": False,
            "objectIdField": ds.object_id_field,
        }

    # --- REST query ---------------------------------------------------------------------------------------------

    def cached_query(self, ds: Dataset, params: dict[str, str], fmt: str) -> Response:
        """``query()``, remembering each serialized answer (bounded by ``QUERY_CACHE_BYTES``, least recent out)."""
        key = (ds.key, fmt, tuple(sorted(params.items())))
        with self._cache_lock:
            hit = self._answers.get(key)
            if hit is not None:
                self._answers.move_to_end(key)
        if hit is not None:
            status, headers, body = hit
            return status, dict(headers), body
        status, headers, body = self.query(ds, params, fmt)
        if len(body) <= QUERY_CACHE_BYTES // 4:
            with self._cache_lock:
                if key not in self._answers:
                    self._answers[key] = (status, dict(headers), body)
                    self._answers_bytes += len(body)
                while self._answers_bytes > QUERY_CACHE_BYTES and self._answers:
                    _key, (_status, _headers, old) = self._answers.popitem(last=False)
                    self._answers_bytes -= len(old)
        return status, headers, body

    def query(self, ds: Dataset, params: dict[str, str], fmt: str) -> Response:
        pretty = fmt == "pjson"
        geojson = fmt == "geojson"
        near = self.near_filter(ds, params)
        for name in UNSUPPORTED_QUERY_PARAMS:
            if params.get(name.lower()) and not (name == "geometry" and near is not None):
                raise QueryError(f"'{name}' parameter is not supported by the fake portal")
        where = (params.get("where") or "").strip()
        object_ids = self.object_ids(params.get("objectids", ""))
        if not where and object_ids is None:
            raise QueryError("'where' parameter is invalid")
        try:
            predicate = compile_where(where or "1=1", ds.field)
        except ParseError:
            raise QueryError("'where' parameter is invalid") from None
        offset = self.count_param(params, "resultoffset", "resultOffset")
        count = self.count_param(params, "resultrecordcount", "resultRecordCount")
        count = min(count or ds.max_record_count, ds.max_record_count)
        count_only = self.flag(params, "returncountonly", False)
        ids_only = self.flag(params, "returnidsonly", False)
        distinct = self.flag(params, "returndistinctvalues", False)
        with_geometry = self.flag(params, "returngeometry", True)
        out_sr = self.spatial_reference(params.get("outsr", ""))
        statistics_spec = params.get("outstatistics", "").strip()

        if statistics_spec and not count_only:
            matched = self.within(ds, self.matching(ds, where, predicate, []), near)
            return self.statistics(ds, matched, params, statistics_spec, offset, count, fmt)
        order = self.order_by(params.get("orderbyfields", ""), {f.name.lower(): f.name for f in ds.attribute_fields})
        matched = self.within(ds, self.matching(ds, where, predicate, order), near)
        if object_ids is not None:
            matched = [i for i in matched if i + 1 in object_ids]
        fields = self.out_fields(ds, params.get("outfields", ""))
        names = [f.name for f in fields]
        rows = ds.rows

        if distinct:
            seen: dict[tuple, None] = {}
            for i in matched:
                seen.setdefault(tuple(rows[i][n] for n in names), None)
            combos = list(seen)
            if not order:
                for position in reversed(range(len(names))):
                    combos.sort(key=lambda combo: (combo[position] is not None, combo[position]))
            if count_only:
                return json_response({"count": len(combos)}, pretty=pretty)
            page = combos[offset : offset + count]
            records = [(None, dict(zip(names, combo)), None) for combo in page]
            return self.features(ds, fields, records, offset + len(page) < len(combos), fmt, None)
        if count_only:
            return json_response({"count": len(matched)}, pretty=pretty)
        if ids_only:
            return json_response(
                {"objectIdFieldName": ds.object_id_field, "objectIds": [i + 1 for i in matched]}, pretty=pretty
            )

        page = matched[offset : offset + count]
        geometries = ds.geometries if with_geometry else None
        all_fields = len(names) == len(ds.attribute_fields)
        records = [
            (
                i + 1,
                rows[i] if all_fields else {n: rows[i][n] for n in names},
                geometries[i] if geometries is not None else None,
            )
            for i in page
        ]
        sr = None if not with_geometry else (WGS84 if geojson else out_sr)
        return self.features(ds, fields, records, offset + len(page) < len(matched), fmt, sr)

    def features(
        self,
        ds: Dataset,
        fields: list[Field],
        records: list[tuple[int | None, dict, Any]],
        exceeded: bool,
        fmt: str,
        sr: dict | None,
    ) -> Response:
        """A page of (object id, attributes, geometry) as f=json or f=geojson. ``sr`` None: no geometry."""
        if fmt == "geojson":
            to_geojson = GEOJSON_BUILDERS[ds.geometry_type]
            features = []
            for oid, attributes, geometry in records:
                feature: dict[str, Any] = {"type": "Feature"}
                if oid is not None:
                    feature["id"] = oid
                feature["geometry"] = to_geojson(geometry) if sr else None
                feature["properties"] = attributes
                features.append(feature)
            data: dict[str, Any] = {"type": "FeatureCollection", "features": features}
            if exceeded:
                data["properties"] = {"exceededTransferLimit": True}
            return json_response(data, content_type=GEOJSON_TYPE)
        data = {
            "displayFieldName": ds.display_field,
            "fieldAliases": {f.name: f.alias or f.name for f in fields},
            "objectIdFieldName": ds.object_id_field,
            "uniqueIdField": {"name": ds.object_id_field, "isSystemMaintained": True},
        }
        if sr is None:
            data["fields"] = [f.to_json(with_domain=False) for f in fields]
            data["features"] = [{"attributes": attributes} for _oid, attributes, _geometry in records]
        else:
            project = (lambda x, y: [x, y]) if sr is WGS84 else mercator
            to_esri = ESRI_BUILDERS[ds.geometry_type]
            data["geometryType"] = ds.geometry_type
            data["spatialReference"] = sr
            data["fields"] = [f.to_json(with_domain=False) for f in fields]
            data["features"] = [
                {"attributes": attributes, "geometry": to_esri(geometry, project)}
                for _oid, attributes, geometry in records
            ]
        if exceeded:
            data["exceededTransferLimit"] = True
        return json_response(data, pretty=fmt == "pjson")

    @staticmethod
    def near_filter(ds: Dataset, params: dict[str, str]) -> tuple[float, float, float] | None:
        """A spatial filter the fake can run: ``geometry=lon,lat`` (or ``{"x":..,"y":..}``) with
        ``geometryType=esriGeometryPoint``, ``inSR=4326``, ``spatialRel=esriSpatialRelIntersects``, ``distance`` and
        ``units=esriSRUnit_Meter``, on a point layer. Returns (lon, lat, metres); None without ``geometry``; any other
        spatial query is refused (QueryError), rather than silently ignored."""
        text = params.get("geometry", "").strip()
        if not text:
            return None
        try:
            if text.startswith("{"):
                point = json.loads(text)
                x, y = float(point["x"]), float(point["y"])
            else:
                x, y = (float(v) for v in text.split(","))
            distance = float(params.get("distance") or 0)
        except (ValueError, KeyError, TypeError):
            raise QueryError("'geometry' parameter is invalid") from None
        checks = {
            "geometrytype": "esriGeometryPoint",
            "insr": "4326",
            "spatialrel": "esriSpatialRelIntersects",
            "units": "esriSRUnit_Meter",
        }
        for name, wanted in checks.items():
            if params.get(name, "").strip() != wanted:
                raise QueryError(f"the fake portal only filters by distance from a point: {name} must be {wanted}")
        if ds.geometry_type != fixtures.POINT:
            raise QueryError("the fake portal filters by distance on point layers only")
        if distance <= 0 or not (-180 <= x <= 180 and -90 <= y <= 90):
            raise QueryError("'geometry' parameter is invalid")
        return x, y, distance

    @staticmethod
    def within(ds: Dataset, matched: Sequence[int], near: tuple[float, float, float] | None) -> Sequence[int]:
        """The rows of ``matched`` whose point lies within ``near`` = (lon, lat, metres), by haversine distance."""
        if near is None:
            return matched
        lon0, lat0, metres = near
        phi0, cos0 = math.radians(lat0), math.cos(math.radians(lat0))
        out = []
        for i in matched:
            lon, lat = ds.geometries[i][0], ds.geometries[i][1]
            a = (
                math.sin((math.radians(lat) - phi0) / 2) ** 2
                + cos0 * math.cos(math.radians(lat)) * math.sin(math.radians(lon - lon0) / 2) ** 2
            )
            if 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)) <= metres:
                out.append(i)
        return out

    def matching(self, ds: Dataset, where: str, predicate: Any, order: list[tuple[str, bool]]) -> Sequence[int]:
        """Row indexes that pass the where clause, in order. Cached per (layer, where, order)."""
        key = (ds.key, where, tuple(order))
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        rows = ds.rows
        indexes: Sequence[int]
        indexes = range(len(rows)) if predicate is None else [i for i, row in enumerate(rows) if predicate(row)]
        if order and order != [(ds.object_id_field, False)]:
            indexes = list(indexes)
            for name, descending in reversed(order):
                indexes.sort(key=lambda i: (rows[i][name] is not None, rows[i][name]), reverse=descending)
        with self._cache_lock:
            self._cache[key] = indexes
            while len(self._cache) > 32:
                self._cache.popitem(last=False)
        return indexes

    # --- statistics ---------------------------------------------------------------------------------------------

    def statistics(
        self, ds: Dataset, matched: Sequence[int], params: dict[str, str], spec: str, offset: int, count: int, fmt: str
    ) -> Response:
        try:
            requested = json.loads(spec)
        except ValueError:
            raise QueryError("'outStatistics' parameter is invalid") from None
        if isinstance(requested, dict):
            requested = [requested]
        if not isinstance(requested, list) or not requested:
            raise QueryError("'outStatistics' parameter is invalid")
        stats: list[tuple[str, Field | None, str]] = []  # (type, field or None for "*", out name)
        for entry in requested:
            if not isinstance(entry, dict):
                raise QueryError("'outStatistics' parameter is invalid")
            kind = str(entry.get("statisticType", "")).lower()
            on = str(entry.get("onStatisticField", "")).strip()
            if kind not in STATISTIC_TYPES:
                raise QueryError("'outStatistics' parameter is invalid")
            target = None
            if not (kind == "count" and on in ("*", "1")):  # count(*) counts rows; else name a field
                target = ds.field(on)
                if target is None or target.kind == "geometry":
                    raise QueryError("'outStatistics' parameter is invalid")
                if kind in ("sum", "avg", "stddev", "var") and target.kind != "number":
                    raise QueryError("'outStatistics' parameter is invalid")
            out_name = str(entry.get("outStatisticFieldName") or f"{kind}_{target.name if target else 'all'}")
            stats.append((kind, target, out_name))
        group_names = [name.strip() for name in params.get("groupbyfieldsforstatistics", "").split(",") if name.strip()]
        groups_fields = []
        for name in group_names:
            field = ds.field(name)
            if field is None or field.kind == "geometry":
                raise QueryError("'groupByFieldsForStatistics' parameter is invalid")
            groups_fields.append(field)

        rows = ds.rows
        grouped: dict[tuple, list[int]] = {}
        for i in matched:
            grouped.setdefault(tuple(rows[i][f.name] for f in groups_fields), []).append(i)
        if not groups_fields and not grouped:
            grouped[()] = []
        results = []
        for key, members in grouped.items():
            attributes = {f.name: value for f, value in zip(groups_fields, key)}
            for kind, target, out_name in stats:
                values = (
                    [1] * len(members)
                    if target is None
                    else [rows[i][target.name] for i in members if rows[i][target.name] is not None]
                )
                attributes[out_name] = compute_statistic(kind, values)
            results.append(attributes)

        out_fields = [Field(f.name, f.type, f.alias, f.length) for f in groups_fields]
        for kind, target, out_name in stats:
            if kind == "count":
                out_type = fixtures.INTEGER
            elif kind in ("min", "max") and target is not None:
                out_type = target.type if target.type != fixtures.OID else fixtures.INTEGER
            else:
                out_type = fixtures.DOUBLE
            out_fields.append(Field(out_name, out_type, out_name))
        names = {f.name.lower(): f.name for f in out_fields}
        order = self.order_by(params.get("orderbyfields", ""), names) or [(f.name, False) for f in groups_fields]
        for name, descending in reversed(order):
            results.sort(key=lambda r: (r[name] is not None, r[name]), reverse=descending)
        page = results[offset : offset + count]
        exceeded = offset + len(page) < len(results)
        if fmt == "geojson":
            data: dict[str, Any] = {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": None, "properties": r} for r in page],
            }
            if exceeded:
                data["properties"] = {"exceededTransferLimit": True}
            return json_response(data, content_type=GEOJSON_TYPE)
        data = {
            "displayFieldName": "",
            "fieldAliases": {f.name: f.alias for f in out_fields},
            "fields": [f.to_json(with_domain=False) for f in out_fields],
            "features": [{"attributes": r} for r in page],
        }
        if exceeded:
            data["exceededTransferLimit"] = True
        return json_response(data, pretty=fmt == "pjson")

    # --- parameter parsing --------------------------------------------------------------------------------------

    @staticmethod
    def flag(params: dict[str, str], name: str, default: bool) -> bool:
        value = params.get(name, "").strip().lower()
        if not value:
            return default
        if value not in ("true", "false"):
            raise QueryError(f"'{name}' parameter is invalid")
        return value == "true"

    @staticmethod
    def count_param(params: dict[str, str], key: str, name: str) -> int:
        value = params.get(key, "").strip()
        if not value:
            return 0
        try:
            number = int(value)
        except ValueError:
            raise QueryError(f"'{name}' parameter is invalid") from None
        if number < 0:
            raise QueryError(f"'{name}' parameter is invalid")
        return number

    @staticmethod
    def object_ids(text: str) -> set[int] | None:
        if not text.strip():
            return None
        try:
            return {int(part) for part in text.split(",") if part.strip()}
        except ValueError:
            raise QueryError("'objectIds' parameter is invalid") from None

    @staticmethod
    def spatial_reference(text: str) -> dict:
        text = text.strip()
        if not text:
            return WEB_MERCATOR
        wkid: Any = text
        if text.startswith("{"):
            try:
                spec = json.loads(text)
                wkid = spec.get("latestWkid") or spec.get("wkid")
            except (ValueError, AttributeError):
                raise QueryError("'outSR' parameter is invalid") from None
        if str(wkid) == "4326":
            return WGS84
        if str(wkid) in ("102100", "3857", "900913"):
            return WEB_MERCATOR
        raise QueryError(f"'outSR' {text} is not supported by the fake portal (use 4326)")

    @staticmethod
    def out_fields(ds: Dataset, text: str) -> list[Field]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        if not names:
            return [f for f in ds.fields if f.name == ds.object_id_field]
        if "*" in names:
            return list(ds.attribute_fields)
        out = []
        for name in names:
            field = ds.field(name)
            if field is None or field.kind == "geometry":
                raise QueryError("'outFields' parameter is invalid")
            if field not in out:
                out.append(field)
        return out

    @staticmethod
    def order_by(text: str, names: dict[str, str]) -> list[tuple[str, bool]]:
        """``"DIAMETER DESC, OBJECTID"`` -> [("DIAMETER", True), ("OBJECTID", False)]; names: lower -> real."""
        order = []
        for term in (t.strip() for t in text.split(",")):
            if not term:
                continue
            words = term.split()
            direction = words[1].upper() if len(words) == 2 else "ASC"
            name = names.get(words[0].lower())
            if name is None or len(words) > 2 or direction not in ("ASC", "DESC"):
                raise QueryError("'orderByFields' parameter is invalid")
            order.append((name, direction == "DESC"))
        return order


def compute_statistic(kind: str, values: list[Any]) -> Any:
    if kind == "count":
        return len(values)
    if not values:
        return None
    if kind == "sum":
        return sum(values)
    if kind == "min":
        return min(values)
    if kind == "max":
        return max(values)
    if kind == "avg":
        return sum(values) / len(values)
    if kind == "stddev":
        return statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.variance(values) if len(values) > 1 else 0.0


# --- geometry encoders ---------------------------------------------------------------------------------------


def _esri_point(geometry: Any, project: Any) -> dict:
    x, y = project(geometry[0], geometry[1])
    return {"x": x, "y": y}


def _esri_polyline(geometry: Any, project: Any) -> dict:
    return {"paths": [[project(x, y) for x, y in path] for path in geometry]}


def _esri_polygon(geometry: Any, project: Any) -> dict:
    return {"rings": [[project(x, y) for x, y in ring] for ring in geometry]}


def _geojson_point(geometry: Any) -> dict:
    return {"type": "Point", "coordinates": [geometry[0], geometry[1]]}


def _geojson_polyline(geometry: Any) -> dict:
    if len(geometry) == 1:
        return {"type": "LineString", "coordinates": geometry[0]}
    return {"type": "MultiLineString", "coordinates": geometry}


def _geojson_polygon(geometry: Any) -> dict:
    # ArcGIS rings run clockwise; RFC 7946 wants exterior rings counter-clockwise
    return {"type": "Polygon", "coordinates": [list(reversed(ring)) for ring in geometry]}


ESRI_BUILDERS = {fixtures.POINT: _esri_point, fixtures.POLYLINE: _esri_polyline, fixtures.POLYGON: _esri_polygon}
GEOJSON_BUILDERS = {
    fixtures.POINT: _geojson_point,
    fixtures.POLYLINE: _geojson_polyline,
    fixtures.POLYGON: _geojson_polygon,
}
