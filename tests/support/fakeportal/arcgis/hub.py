"""The Hub site half of the fake ArcGIS portal: OGC API Records search, collections, items, aggregations."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ..expressions import ParseError, compile_hub_filter
from ..fixtures import CatalogItem
from ..fresh import overridden
from .common import (
    API,
    GEOJSON_TYPE,
    HUB_DEFAULT_LIMIT,
    HUB_MAX_LIMIT,
    HUB_PARAMS,
    HUB_SORT_FIELDS,
    HubError,
    Query,
    Response,
    html_response,
    iso,
    json_response,
    link,
    query_pairs,
)


class HubSite:
    """The Hub methods of :class:`ArcGISApp` (a mixin: the prefixes, catalog and data live on the app)."""

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
        status, headers, body = json_response(
            self.search(collection, query, base, site + sub), content_type=GEOJSON_TYPE
        )
        return status, {**headers, **self.throttle_headers()}, body

    def throttle_headers(self) -> dict[str, str]:
        """The Hub's search throttle headers (portals.md: limit 10 seen on a Hub site), counting search answers:
        the ``search_limit``-th answer since the app was made says 0 remain, and so do those after it (the
        window is unconfirmed, so the fake never refills it; ``search_reset``, when set, is sent as
        ``x-ratelimit-reset-portal_search_throttler``)."""
        with self._cache_lock:
            self.searches_served += 1
            remaining = max(0, self.search_limit - self.searches_served)
        headers = {
            "x-ratelimit-limit-portal_search_throttler": str(self.search_limit),
            "x-ratelimit-remaining-portal_search_throttler": str(remaining),
        }
        if self.search_reset is not None:
            headers["x-ratelimit-reset-portal_search_throttler"] = str(self.search_reset)
        return headers

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
        return overridden(self.properties_as_listed(item, base), self.record_fields.get(item.id))

    def properties_as_listed(self, item: CatalogItem, base: str) -> dict:
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
