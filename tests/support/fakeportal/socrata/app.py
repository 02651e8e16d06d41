"""The fake Socrata portal's app: the catalog search, views metadata and the resource (rows) endpoint."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ..changes import Change, changed_rows
from ..fresh import overridden
from .data import CATALOG, DATASETS, INSPECTIONS, Column, SocrataDataset, _filler
from .soql import Soql, SoqlError, _order_key, soda_text

Query = dict[str, list[str]]
Response = tuple[int, dict[str, str], bytes]

JSON_TYPE = "application/json; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

CATALOG_PARAMS = frozenset(
    {
        "domains",
        "search_context",
        "only",
        "q",
        "categories",
        "tags",
        "limit",
        "offset",
        "order",
        "ids",
        "names",
        "attribution",
        "provenance",
    }
)
CATALOG_WINDOW = 10_000
ROW_PARAMS = frozenset({"$select", "$where", "$order", "$group", "$having", "$limit", "$offset", "$q", "$$app_token"})
DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000


# --- the app ------------------------------------------------------------------------------------------------------


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return status, {"Content-Type": JSON_TYPE, **(headers or {})}, body


def socrata_error(status: int, code: str, message: str) -> Response:
    return _json({"code": code, "error": True, "message": message, "data": {}}, status)


class _Answer(Exception):
    def __init__(self, response: Response):
        super().__init__("answer")
        self.response = response


class SocrataApp:
    """Serves one fake Socrata domain under ``prefix`` (default: the server root) and the regional catalog.

    Switches (plain attributes, safe to change between requests): ``domain_catalog`` (False: the domain's
    ``/api/catalog/v1`` answers 404 with a web page, so clients must use the regional catalog), ``extra_catalog``
    (that many more generated datasets in the catalog, for paging past 10,000), ``domain`` (the host name the
    catalog lists its datasets under; default: the host of each request), ``require_token`` (when set, requests
    without this ``X-App-Token`` are refused with 403 ``{"error": true, "message": ...}``), ``drop_column``
    (a field name the resource endpoint no longer knows, though the views metadata still lists it: a schema
    change between metadata and rows). Freshness facts (tests/support/fakeportal/fresh.py): ``view_fields``
    (dataset id -> views JSON fields to replace, e.g. ``rowsUpdatedAt``, ``metadata``; ``ABSENT`` drops one) and
    ``catalog_fields`` (dataset id -> {"resource": {...}, "classification": {...}}: catalog fields to replace).
    """

    name = "socrata"

    def __init__(self, prefix: str = "", regional_prefix: str = "/regional", *, domain: str | None = None):
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.regional_prefix = "/" + regional_prefix.strip("/")
        self.domain = domain
        self.domain_catalog = True
        self.extra_catalog = 0
        self.require_token: str | None = None
        self.drop_column: str | None = None
        self.view_fields: dict[str, dict[str, Any]] = {}
        self.catalog_fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._shuffles = itertools.count()
        self.changed: dict[str, SocrataDataset] = {}  # datasets changed by change(), by id

    def mount(self, server: Any) -> None:
        server.mount(self.prefix + "/api/catalog", self, name=self.name)
        server.mount(self.prefix + "/api/views", self)
        server.mount(self.prefix + "/resource", self)
        server.mount(self.regional_prefix + "/api/catalog", self)

    def regional_url(self, server_url: str) -> str:
        return f"{server_url}{self.regional_prefix}/api/catalog/v1"

    def handle(self, method: str, path: str, query: Query, headers: Any) -> Response:
        if method != "GET":
            return socrata_error(405, "method_not_allowed", f"{method} is not allowed")
        host = (headers.get("Host") or "127.0.0.1").rsplit(":", 1)[0]
        if self.require_token is not None and headers.get("X-App-Token") != self.require_token:
            return _json({"error": True, "message": "Invalid app_token specified"}, 403)
        try:
            if path == self.regional_prefix + "/api/catalog/v1":
                return self.catalog(query, host)
            if path == self.prefix + "/api/catalog/v1":
                if not self.domain_catalog:
                    return 404, {"Content-Type": HTML_TYPE}, b"<html><body><h1>Page not found</h1></body></html>"
                return self.catalog(query, host)
            match = re.fullmatch(re.escape(self.prefix) + r"/api/views/([^/]+)\.json", path)
            if match:
                return self.view(match.group(1), host)
            match = re.fullmatch(re.escape(self.prefix) + r"/resource/([^/]+)\.(json|csv)", path)
            if match:
                return self.resource(match.group(1), match.group(2), query)
        except _Answer as answer:
            return answer.response
        except SoqlError as error:
            return socrata_error(400, error.code, error.message)
        return socrata_error(404, "not_found", f"Not found: {path}")

    # catalog

    def catalog_items(self) -> list[SocrataDataset]:
        extra = [_filler(100 + i) for i in range(self.extra_catalog)] if self.extra_catalog else []
        return [self.changed.get(d.id, d) for d in CATALOG + extra]

    def catalog(self, query: Query, host: str) -> Response:
        params = {name: values[-1] for name, values in query.items()}
        if set(params) - CATALOG_PARAMS:
            return _json({"results": [], "resultSetSize": 0, "timings": {"serviceMillis": 1, "searchMillis": [0]}})
        try:
            limit = int(params.get("limit", "100"))
            offset = int(params.get("offset", "0"))
        except ValueError:
            return socrata_error(400, "invalid_parameter", "limit and offset must be integers")
        if limit < 0 or offset < 0:
            return socrata_error(400, "invalid_parameter", "limit and offset must not be negative")
        if offset + limit > CATALOG_WINDOW:
            return socrata_error(
                400, "invalid_parameter", f"offset + limit must not exceed {CATALOG_WINDOW}; got {offset + limit}"
            )
        domain = self.domain or host
        items = self.catalog_items()
        domains = [d.strip().lower() for d in params.get("domains", "").split(",") if d.strip()]
        if domains and domain.lower() not in domains:
            items = []
        only = {o.strip().rstrip("s") for o in params.get("only", "").split(",") if o.strip()}
        if only:
            items = [d for d in items if d.type in only]
        for word in params.get("q", "").lower().split():
            items = [d for d in items if word in " ".join((d.name, d.description, d.category, *d.tags)).lower()]
        if params.get("categories"):
            wanted = params["categories"].lower()
            items = [d for d in items if d.category.lower() == wanted]
        if params.get("tags"):
            wanted = params["tags"].lower()
            items = [d for d in items if wanted in (t.lower() for t in d.tags)]
        items = sorted(items, key=lambda d: (-d.page_views, d.id))
        page = items[offset : offset + limit]
        return _json(
            {
                "results": [self.result(d, domain) for d in page],
                "resultSetSize": len(items),
                "timings": {"serviceMillis": 3, "searchMillis": [1, 1]},
            }
        )

    def result(self, d: SocrataDataset, domain: str) -> dict[str, Any]:
        iso = lambda secs: datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731
        changes = self.catalog_fields.get(d.id, {})
        return {
            "resource": overridden(self._resource(d, iso), changes.get("resource")),
            "classification": overridden(
                {
                    "categories": [],
                    "domain_category": d.category,
                    "tags": [],
                    "domain_tags": list(d.tags),
                    # the domain's custom fields, "Fieldset_Field-Name" (the views JSON's metadata.custom_fields)
                    "domain_metadata": [{"key": "Refresh_Update-Frequency", "value": "Daily"}]
                    if d.id == INSPECTIONS.id
                    else [],
                },
                changes.get("classification"),
            ),
            "metadata": {"domain": domain, "license": d.license},
            "permalink": f"https://{domain}/d/{d.id}",
            "link": f"https://{domain}/{quote(d.name)}/{d.id}",
            "owner": {"id": "abcd-0000", "user_type": "interactive", "display_name": d.owner},
        }

    @staticmethod
    def _resource(d: SocrataDataset, iso: Callable[[int], str]) -> dict[str, Any]:
        return {
            "id": d.id,
            "name": d.name,
            "description": d.description,
            "attribution": d.attribution,
            "type": d.type,
            "updatedAt": iso(d.updated + 3600),  # the record (metadata included): later than its rows
            "createdAt": iso(d.created),
            "data_updated_at": iso(d.updated),
            "columns_name": [c.name for c in d.columns],
            "columns_field_name": [c.field_name for c in d.columns],
            "columns_datatype": [c.type for c in d.columns],
            "columns_description": [c.description for c in d.columns],
            "download_count": d.page_views // 10,
            "page_views": {"page_views_total": d.page_views},
        }

    # views

    def change(self, ident: str, change: Change) -> SocrataDataset:
        """Change the dataset ``ident`` in place (tests/support/fakeportal/changes.py): its rows by ``:id`` (new
        rows get new ``row-…`` ids), its columns, and (``change.touch``) its ``rowsUpdatedAt`` moved to now."""
        d = self.find(ident)
        serial = itertools.count(len(d.rows))

        def new_id(_n: int) -> str:
            digest = hashlib.sha1(f"{d.id}/new/{next(serial)}".encode()).hexdigest()
            return f"row-{digest[:4]}.{digest[4:8]}_{digest[8:12]}"

        def convert(name: str, value: Any) -> Any:
            return soda_text(value) if change.retype[name] == "text" else Decimal(str(value))

        rows = changed_rows(d.rows, change, ":id", new_id, convert)
        columns = tuple(replace(c, type=change.retype.get(c.field_name, c.type)) for c in d.columns)
        columns += tuple(Column(name, name.replace("_", " ").title(), kind) for name, kind, _ in change.add_field)
        updated = max(int(time.time()), d.updated + 1) if change.touch else d.updated
        changed = replace(d, columns=columns, row_count=len(rows), updated=updated, _rows=rows, _lock=threading.Lock())
        self.changed[ident] = changed
        return changed

    def find(self, ident: str) -> SocrataDataset:
        if ident in self.changed:
            return self.changed[ident]
        dataset = DATASETS.get(ident) or next((d for d in self.catalog_items() if d.id == ident), None)
        if dataset is None:
            raise _Answer(socrata_error(404, "not_found", f"Cannot find view with id {ident}"))
        return dataset

    def view(self, ident: str, host: str) -> Response:
        d = self.find(ident)
        columns = []
        for position, c in enumerate((*d.system_columns, *d.columns), start=1):
            columns.append(
                {
                    "id": 100 + position,
                    "name": c.name,
                    "dataTypeName": c.type,
                    "fieldName": c.field_name,
                    "position": position,
                    "renderTypeName": c.type,
                    "description": c.description,
                    "tableColumnId": 200 + position,
                    "format": {},
                }
            )
        columns = columns[1:] + columns[:1] if d.system_columns else columns  # system column listed last
        return _json(overridden(self._view(d, columns), self.view_fields.get(d.id)))

    @staticmethod
    def _view(d: SocrataDataset, columns: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": d.id,
            "name": d.name,
            "assetType": "dataset",
            "attribution": d.attribution,
            "attributionLink": "https://example.org/publisher",
            "averageRating": 0,
            "category": d.category,
            "createdAt": d.created,
            "description": d.description,
            "displayType": "table",
            "downloadCount": 10,
            "licenseId": "PUBLIC_DOMAIN",
            "publicationDate": d.created,
            "rowsUpdatedAt": d.updated,
            "viewLastModified": d.updated + 60,
            "viewType": d.view_type,
            "tags": list(d.tags),
            "license": {"name": d.license, "termsLink": "https://example.org/terms"},
            "metadata": {"custom_fields": {"Refresh": {"Update Frequency": "Daily"}}} if d.id == INSPECTIONS.id else {},
            "owner": {"id": "abcd-0000", "displayName": d.owner, "screenName": d.owner},
            "columns": columns,
        }

    # rows

    def resource(self, ident: str, fmt: str, query: Query) -> Response:
        d = self.find(ident)
        if d.view_type != "tabular":
            return socrata_error(404, "not_found", f"Cannot find resource {ident}")
        params = {name: values[-1] for name, values in query.items()}
        unknown = [p for p in params if p.startswith("$") and p not in ROW_PARAMS]
        if unknown:
            return socrata_error(
                400, "query.soql.unrecognized-argument", f"Unrecognized arguments [{', '.join(unknown)}]"
            )
        rows = d.rows
        if self.drop_column:
            d = _Without(d, self.drop_column)
        for name, value in params.items():  # simple filters: column=value
            if name.startswith("$"):
                continue
            if d.column(name) is None:
                return socrata_error(400, "query.soql.no-such-column", f"No such column: {name}")
            rows = [r for r in rows if soda_text(r.get(name)) == value]
        if params.get("$where", "").strip():
            where = Soql(params["$where"], d).whole()
            rows = [r for r in rows if where(r) is True]
        if params.get("$q", "").strip():
            words = params["$q"].lower().split()
            rows = [
                r for r in rows if all(any(isinstance(v, str) and w in v.lower() for v in r.values()) for w in words)
            ]
        select = self.select(d, params.get("$select", ""), bool(params.get("$group")))
        grouped = bool(params.get("$group")) or any(agg for _, _, agg in select)
        order = params.get("$order", "").strip()
        if grouped:
            if params.get("$group"):
                out = self.group(d, rows, params["$group"], select)
            elif not all(agg for _, _, agg in select):
                raise SoqlError("Aggregates and plain columns need $group")
            else:
                out = [{name: Decimal(len(rows)) for name, _, _ in select}]
            if order:  # a grouped answer orders by what it selected
                aliases = {name: (lambda n: lambda r: r.get(n))(name) for name, _, _ in select}
                self.sort(out, order, _Aliased(d), aliases)
        else:
            rows = list(rows)
            if order:
                aliases = {name: value for name, value, _ in select if value is not None}
                self.sort(rows, order, d, aliases)
            else:  # no order: whatever order the backend happens to produce (different on each request)
                random.Random(next(self._shuffles)).shuffle(rows)
            out = rows
        try:
            limit = int(params.get("$limit", DEFAULT_LIMIT))
            offset = int(params.get("$offset", 0))
        except ValueError:
            return socrata_error(400, "query.soql.malformed", "$limit and $offset must be integers")
        if limit < 0 or offset < 0 or limit > MAX_LIMIT:
            return socrata_error(400, "query.soql.malformed", f"$limit must be between 0 and {MAX_LIMIT}")
        out = out[offset : offset + limit]
        if not grouped:
            out = [{name: value(r) for name, value, _ in select} for r in out]
        names = [name for name, _, _ in select]
        types = [self.type_of(d, name, value) for name, value, _ in select]
        headers = {
            "X-SODA2-Fields": json.dumps(names),
            "X-SODA2-Types": json.dumps(types),
            "Last-Modified": "Sun, 30 Jun 2024 00:00:00 GMT",
        }
        if fmt == "csv":
            return 200, {"Content-Type": CSV_TYPE, **headers}, self.csv(names, out, d)
        return _json([self.record(names, r, d) for r in out], headers=headers)

    @staticmethod
    def sort(rows: list[dict[str, Any]], order: str, d: Any, aliases: dict[str, Callable]) -> None:
        keys = []
        for part in _split(order):
            words = part.strip().rsplit(None, 1)
            descending = len(words) == 2 and words[1].upper() == "DESC"
            text = words[0] if len(words) == 2 and words[1].upper() in ("ASC", "DESC") else part.strip()
            keys.append((Soql(text, d, aliases).whole(), descending))
        for value, descending in reversed(keys):
            rows.sort(key=lambda r, v=value, desc=descending: _order_key(v(r), desc), reverse=descending)

    def select(self, d: SocrataDataset, text: str, grouped: bool) -> list[tuple[str, Callable, bool]]:
        """(output name, value function, is an aggregate) for each $select item (all columns when empty)."""
        if not text.strip():
            return [
                (c.field_name, (lambda n: lambda r: r.get(n))(c.field_name), False)
                for c in (*d.columns, *d.system_columns)
            ]
        out = []
        for part in _split(text):
            part = part.strip()
            if part == "*":  # every column, beside named ones (``:id, *``): system fields only when named
                out.extend(self.select(d, "", grouped))
                continue
            match = re.fullmatch(r"(.+?)\s+(?:AS|as)\s+([A-Za-z_][A-Za-z0-9_]*)", part)
            expr, alias = (match.group(1), match.group(2)) if match else (part, None)
            if re.fullmatch(r"count\s*\(\s*\*\s*\)", expr, re.IGNORECASE):
                out.append((alias or "count", None, True))
                continue
            value = Soql(expr, d).whole()
            name = alias or (expr[1:-1] if expr.startswith("`") else expr)
            out.append((name, value, False))
        return out

    def group(
        self, d: SocrataDataset, rows: list[dict[str, Any]], group: str, select: list[tuple[str, Callable, bool]]
    ) -> list[dict[str, Any]]:
        keys = [Soql(part, d).whole() for part in _split(group)]
        plain = [(name, value) for name, value, agg in select if not agg]
        buckets: dict[tuple, list[dict[str, Any]]] = {}
        for r in rows:
            buckets.setdefault(tuple(k(r) for k in keys), []).append(r)
        out = []
        for members in buckets.values():
            first = members[0]
            out.append(
                {name: value(first) for name, value in plain}
                | {name: Decimal(len(members)) for name, _, agg in select if agg}
            )
        return out

    @staticmethod
    def type_of(d: SocrataDataset, name: str, value: Callable | None) -> str:
        column = d.column(name)
        return column.soda_type if column else "number"

    @staticmethod
    def record(names: list[str], row: dict[str, Any], d: SocrataDataset) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            value = row.get(name)
            if value is None:
                continue  # nulls are left out
            column = d.column(name)
            kind = column.type if column else ""
            if kind == "location":
                lat, lon = value
                out[name] = {
                    "latitude": repr(lat),
                    "longitude": repr(lon),
                    "human_address": json.dumps({"address": "", "city": "", "state": "", "zip": ""}),
                }
            elif kind == "point":
                lat, lon = value
                out[name] = {"type": "Point", "coordinates": [lon, lat]}
            elif isinstance(value, bool):
                out[name] = value
            else:
                out[name] = soda_text(value)
        return out

    @staticmethod
    def csv(names: list[str], rows: list[dict[str, Any]], d: SocrataDataset) -> bytes:
        def cell(value: Any, kind: str) -> str:
            if value is None:
                return ""
            if kind == "location":
                text = f"({value[0]!r}, {value[1]!r})"
            elif kind == "point":
                text = f"POINT ({value[1]!r} {value[0]!r})"
            else:
                text = soda_text(value) or ""
            return '"' + text.replace('"', '""') + '"'

        kinds = [(d.column(n).type if d.column(n) else "") for n in names]
        lines = [",".join('"' + n.replace('"', '""') + '"' for n in names)]
        for row in rows:
            lines.append(",".join(cell(row.get(n), k) for n, k in zip(names, kinds)))
        return ("\n".join(lines) + "\n").encode()


class _Without:
    """A dataset as the resource endpoint sees it once a column has gone."""

    def __init__(self, d: SocrataDataset, gone: str):
        self.d, self.gone = d, gone
        self.columns = tuple(c for c in d.columns if c.field_name != gone)
        self.system_columns = d.system_columns

    def column(self, name: str) -> Column | None:
        return None if name == self.gone else self.d.column(name)


class _Aliased:
    """Stands in for a dataset when a grouped answer is ordered: only the selected names (aliases) exist."""

    def __init__(self, d: SocrataDataset):
        self.d = d

    def column(self, name: str) -> None:
        return None


def _split(text: str) -> list[str]:
    """Split on commas outside quotes and parentheses."""
    parts, depth, quote_open, current = [], 0, False, []
    for ch in text:
        if ch == "'":
            quote_open = not quote_open
        elif not quote_open and ch == "(":
            depth += 1
        elif not quote_open and ch == ")":
            depth -= 1
        elif not quote_open and depth == 0 and ch == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def start_socrata_server(*, port: int = 0, verbose: bool = False, prefix: str = "") -> Any:
    """A started FakeServer with only the Socrata app (domain at ``prefix``, regional catalog at /regional).
    ``server.apps["socrata"]`` is the app; the caller stops the server."""
    from ..server import FakeServer

    server = FakeServer(port=port, verbose=verbose)
    SocrataApp(prefix).mount(server)
    return server.start()
