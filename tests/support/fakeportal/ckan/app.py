"""The fake CKAN portal's app: the action API (package_search/show, datastore_search) and resource downloads."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..changes import Change, changed_rows
from ..fresh import ABSENT, overridden
from .data import FROM_PACKAGE, GROUPS, ORGS, FakePackage, FakeResource, Table, make_packages

Query = dict[str, list[str]]
Response = tuple[int, dict[str, str], bytes]

JSON_TYPE = "application/json;charset=utf-8"
HELP = "{base}/api/3/action/help_show?name={action}"

SEARCH_PARAMS = frozenset(
    {
        "q",
        "fq",
        "rows",
        "start",
        "sort",
        "facet",
        "facet.field",
        "facet.limit",
        "facet.mincount",
        "include_private",
        "include_drafts",
    }
)
SHOW_PARAMS = frozenset({"id", "name_or_id", "use_default_schema", "include_tracking"})
DATASTORE_PARAMS = frozenset(
    {
        "resource_id",
        "id",
        "limit",
        "offset",
        "q",
        "filters",
        "fields",
        "sort",
        "include_total",
        "records_format",
        "distinct",
        "plain",
        "language",
        "full_text",
    }
)
SEARCH_ROWS_MAX = 1000
DATASTORE_DEFAULT_LIMIT = 100
DATASTORE_ROWS_MAX = 32000


class CKANFailure(Exception):
    def __init__(self, status: int, kind: str, **error: Any) -> None:
        super().__init__(kind)
        self.status, self.kind, self.error = status, kind, error


def not_found(message: str = "Not found") -> CKANFailure:
    return CKANFailure(404, "Not Found Error", message=message)


def invalid(**fields: list[str]) -> CKANFailure:
    return CKANFailure(409, "Validation Error", **fields)


# --- the app --------------------------------------------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> Response:
    return status, {"Content-Type": JSON_TYPE}, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class CKANApp:
    name = "ckan"

    def __init__(self, prefix: str = "") -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.packages = make_packages()
        self.envelope_on_200: set[str] = set()
        self.datastore_gone: set[str] = set()  # resource ids still datastore_active whose table is missing
        self.no_total: set[str] = set()  # resource ids whose datastore_search answers carry no ``total``
        self.require_token: str | None = None
        self.tokens_seen: list[str] = []
        self._lock = threading.Lock()

    def mount(self, server: Any) -> None:
        server.mount(self.prefix or "/", self, name=self.name)

    # helpers for tests
    def package(self, name: str) -> FakePackage:
        return self.packages[name]

    def resource(self, rid: str) -> tuple[FakePackage, FakeResource]:
        for package in self.packages.values():
            for resource in package.resources:
                if resource.id == rid:
                    return package, resource
        raise KeyError(rid)

    def change(self, package: str, change: Change, resource_id: str = "") -> Table:
        """Change a package's table in place (tests/support/fakeportal/changes.py): the datastore table of
        ``resource_id`` (default: the package's first resource with a table) and the CSV file made from the same
        rows, its rows by ``_id``, its fields; ``change.touch``: the resource's ``last_modified`` and the package's
        ``metadata_modified`` move to now, as a new upload moves them."""
        found = self.packages[package]
        resource = next(r for r in found.resources if (r.id == resource_id if resource_id else r.datastore or r.file))
        table = resource.datastore or resource.file
        assert table is not None
        keyed = [{**row, "_id": index} for index, row in zip(table.row_ids(), table.rows, strict=True)]
        top = max(table.row_ids(), default=0)
        rows = changed_rows(
            keyed,
            change,
            "_id",
            lambda n: top + 1 + n,
            lambda name, v: _as(change.retype[name], v),
            renumbered=lambda n: n + 1,  # the datastore table recreated: _id from 1 again
        )
        fields = [{**f, "type": change.retype.get(f["id"], f["type"])} for f in table.fields]
        fields += [{"id": name, "type": kind} for name, kind, _ in change.add_field]
        changed = Table(
            fields, [{k: v for k, v in row.items() if k != "_id"} for row in rows], [r["_id"] for r in rows]
        )
        if resource.datastore is not None:
            resource.datastore = changed
        if resource.file is not None:
            resource.file = changed
        if change.touch:
            stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
            resource.last_modified = found.modified = stamp
        return changed

    def handle(self, method: str, path: str, query: Query, headers: Any) -> Response:
        base = f"http://{headers.get('Host') or '127.0.0.1'}{self.prefix}"
        rest = path[len(self.prefix) :] if self.prefix else path
        token = headers.get("Authorization")
        if token:
            with self._lock:
                self.tokens_seen.append(token)
        if rest.startswith("/api/3/action/"):
            action = rest[len("/api/3/action/") :].strip("/")
            helper = HELP.format(base=base, action=action)
            try:
                if self.require_token is not None and token != self.require_token:
                    raise CKANFailure(403, "Authorization Error", message="Access denied")
                result = self.action(action, query, base)
            except CKANFailure as failure:
                body = {"help": helper, "success": False, "error": {**failure.error, "__type": failure.kind}}
                return _json(body, 200 if action in self.envelope_on_200 else failure.status)
            if action in self.envelope_on_200:
                return _json(
                    {
                        "help": helper,
                        "success": False,
                        "error": {"__type": "Internal Error", "message": "Solr returned an error: timeout"},
                    }
                )
            return _json({"help": helper, "success": True, "result": result})
        if rest.startswith("/dataset/") and "/download/" in rest:
            return self.download(rest)
        return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body><h1>404 Not Found</h1></body></html>"

    # -- files ----------------------------------------------------------------------------------------------

    def download(self, rest: str) -> Response:
        parts = rest.strip("/").split("/")  # dataset/{pkg}/resource/{id}/download/{file}
        if len(parts) != 6 or parts[2] != "resource" or parts[4] != "download":
            return 404, {"Content-Type": "text/plain"}, b"not found"
        try:
            package, resource = self.resource(parts[3])
        except KeyError:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        if package.name != parts[1] or resource.filename != parts[5]:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        if resource.file is not None:
            return 200, {"Content-Type": "text/csv; charset=utf-8"}, resource.file.csv()
        return 200, {"Content-Type": resource.mimetype or "application/octet-stream"}, resource.content

    # -- actions --------------------------------------------------------------------------------------------

    def action(self, action: str, query: Query, base: str) -> Any:
        params = {name: values[-1] for name, values in query.items()}
        if action == "package_search":
            self._known(params, SEARCH_PARAMS)
            return self.package_search(params, base)
        if action == "package_show":
            self._known(params, SHOW_PARAMS)
            ident = params.get("id") or params.get("name_or_id")
            if not ident:
                raise invalid(name_or_id=["Missing value"])
            return self.package_dict(self._package(ident), base)
        if action == "datastore_search":
            self._known(params, DATASTORE_PARAMS)
            return self.datastore_search(params)
        raise CKANFailure(400, "Bad request", message=f"Action name not known: {action}")

    @staticmethod
    def _known(params: dict[str, str], allowed: frozenset[str]) -> None:
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise invalid(**{name: ["The input field was not expected."] for name in unknown})

    def _package(self, ident: str) -> FakePackage:
        for package in self.packages.values():
            if ident in (package.name, package.id):
                return package
        raise not_found()

    @staticmethod
    def _int(params: dict[str, str], name: str, default: int, low: int = 0, high: int | None = None) -> int:
        raw = params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid(**{name: ["Invalid integer"]}) from None
        if value < low:
            raise invalid(**{name: ["Must be a natural number" if low == 0 else f"Must be at least {low}"]})
        if high is not None and value > high:
            raise invalid(**{name: [f"Must be less than or equal to {high}"]})
        return value

    # package_search

    def package_search(self, params: dict[str, str], base: str) -> dict[str, Any]:
        rows = self._int(params, "rows", 10, 0, SEARCH_ROWS_MAX)
        start = self._int(params, "start", 0)
        found = [p for p in self.packages.values() if self._matches(p, params.get("q", ""))]
        for name, value in self._fq(params.get("fq", "")):
            found = [p for p in found if value in self._facet_values(p, name)]
        sort = (params.get("sort") or "score desc, metadata_modified desc").strip()
        if sort in ("metadata_modified desc", "score desc, metadata_modified desc"):
            found.sort(key=lambda p: p.modified, reverse=True)
        elif sort in ("title_string asc", "name asc"):
            found.sort(key=lambda p: p.title.lower() if sort.startswith("title") else p.name)
        else:
            raise CKANFailure(
                400,
                "Search Query Error",
                message=f"Search Query is invalid: \"Can't determine a "
                f"Sort Order (asc or desc) in sort spec '{sort}'\"",
            )
        result: dict[str, Any] = {
            "count": len(found),
            "sort": sort,
            "results": [self.package_dict(p, base) for p in found[start : start + rows]],
            "facets": {},
            "search_facets": {},
        }
        fields_raw = params.get("facet.field")
        if fields_raw:
            try:
                fields = json.loads(fields_raw)
            except ValueError:
                raise invalid(**{"facet.field": ["Invalid JSON list"]}) from None
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise invalid(**{"facet.field": ["Must be a list of field names"]})
            limit = self._int(params, "facet.limit", 50, -1)
            for name in fields:
                counts: dict[str, int] = {}
                for package in found:
                    for value in self._facet_values(package, name):
                        counts[value] = counts.get(value, 0) + 1
                ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                if limit >= 0:
                    ranked = ranked[:limit]
                result["facets"][name] = dict(ranked)
                result["search_facets"][name] = {
                    "title": name,
                    "items": [
                        {"name": value, "display_name": self._display(name, value), "count": count}
                        for value, count in ranked
                    ],
                }
        return result

    @staticmethod
    def _matches(package: FakePackage, q: str) -> bool:
        words = [w for w in q.lower().replace(":", " ").split() if w not in ("*", "*:*")]
        haystack = " ".join([package.title, package.name, package.notes, *package.tags]).lower()
        return all(word.strip('"') in haystack for word in words)

    @staticmethod
    def _fq(fq: str) -> list[tuple[str, str]]:
        """``organization:"x" AND tags:"y z"`` (or unquoted values) as (field, value) pairs."""
        out = []
        text = fq.strip()
        while text:
            if text.startswith(("AND ", "+")):
                text = text[4:] if text.startswith("AND ") else text[1:]
                text = text.lstrip()
                continue
            name, colon, text = text.partition(":")
            if not colon or name.strip() not in ("organization", "groups", "tags", "res_format", "license_id"):
                raise CKANFailure(400, "Search Query Error", message=f"Search Query is invalid: fq {fq!r}")
            if text.startswith('"'):
                value, index, escaped = [], 1, False
                while index < len(text):
                    ch = text[index]
                    if escaped:
                        value.append(ch)
                        escaped = False
                    elif ch == "\\":
                        escaped = True
                    elif ch == '"':
                        break
                    else:
                        value.append(ch)
                    index += 1
                else:
                    raise CKANFailure(400, "Search Query Error", message="Search Query is invalid: unclosed quote")
                out.append((name.strip(), "".join(value)))
                text = text[index + 1 :].lstrip()
            else:
                value, _, text = text.partition(" ")
                out.append((name.strip(), value))
                text = text.lstrip()
        return out

    @staticmethod
    def _facet_values(package: FakePackage, name: str) -> list[str]:
        if name == "organization":
            return [package.org] if package.org else []
        if name == "groups":
            return list(package.groups)
        if name == "tags":
            return list(package.tags)
        if name == "res_format":
            return sorted({r.format for r in package.resources})
        if name == "license_id":
            return [package.license_title]
        return []

    @staticmethod
    def _display(name: str, value: str) -> str:
        if name == "organization":
            return ORGS[value]["title"]
        if name == "groups":
            return GROUPS[value]["display_name"]
        return value

    def package_dict(self, package: FakePackage, base: str) -> dict[str, Any]:
        org = ORGS.get(package.org)  # None: a package of no organization
        return {
            "id": package.id,
            "name": package.name,
            "title": package.title,
            "type": "dataset",
            "state": "active",
            "private": False,
            "notes": package.notes,
            "license_id": "odc-pddl" if "PDDL" in package.license_title else "cc-by",
            "license_title": package.license_title,
            "metadata_created": package.created,
            "metadata_modified": package.modified,
            "maintainer": package.maintainer,
            "author": package.author,
            "url": "",
            "organization": (
                {**org, "type": "organization", "is_organization": True, "state": "active"} if org else None
            ),
            "owner_org": org["id"] if org else None,
            "groups": [dict(GROUPS[g]) for g in package.groups],
            "tags": [{"id": f"tag-{t}", "name": t, "display_name": t, "state": "active"} for t in package.tags],
            "extras": list(package.extras),
            "num_resources": len(package.resources),
            "num_tags": len(package.tags),
            "resources": [
                self.resource_dict(package, r, base, position) for position, r in enumerate(package.resources)
            ],
            **package.fields,
        }

    @staticmethod
    def resource_dict(package: FakePackage, resource: FakeResource, base: str, position: int) -> dict[str, Any]:
        return overridden(
            CKANApp.resource_as_stored(package, resource, base, position),
            {"last_modified": ABSENT} if resource.last_modified is ABSENT else None,
        )

    @staticmethod
    def resource_as_stored(package: FakePackage, resource: FakeResource, base: str, position: int) -> dict[str, Any]:
        return {
            "id": resource.id,
            "package_id": package.id,
            "name": resource.name,
            "format": resource.format,
            "mimetype": resource.mimetype or None,
            "description": resource.description,
            "url": f"{base}/dataset/{package.name}/resource/{resource.id}/download/{quote(resource.filename)}",
            "url_type": "upload",
            "datastore_active": resource.datastore is not None,
            "position": position,
            "state": "active",
            "last_modified": package.modified if resource.last_modified == FROM_PACKAGE else resource.last_modified,
            "metadata_modified": package.modified,
            "created": package.created,
        }

    # datastore_search

    def datastore_search(self, params: dict[str, str]) -> dict[str, Any]:
        rid = params.get("resource_id") or params.get("id")
        if not rid:
            raise invalid(resource_id=["Missing value"])
        try:
            _, resource = self.resource(rid)
        except KeyError:
            raise not_found(f'Not found: Resource "{rid}" was not found.') from None
        if resource.datastore is None or rid in self.datastore_gone:
            raise not_found(f'Not found: Resource "{rid}" was not found.')
        table = resource.datastore
        limit = self._int(params, "limit", DATASTORE_DEFAULT_LIMIT, 0, DATASTORE_ROWS_MAX)
        offset = self._int(params, "offset", 0)
        records = table.json_rows()
        names = {f["id"] for f in table.fields} | {"_id"}
        filters_raw = params.get("filters")
        if filters_raw:
            try:
                filters = json.loads(filters_raw)
            except ValueError:
                raise invalid(filters=["Cannot parse JSON"]) from None
            if not isinstance(filters, dict):
                raise invalid(filters=["Not a json object"])
            for name, wanted in filters.items():
                if name not in names:
                    raise invalid(filters=[f'field "{name}" not in table'])
                allowed = {str(v) for v in (wanted if isinstance(wanted, list) else [wanted])}
                records = [r for r in records if _pg_text(r.get(name)) in allowed]
        q = (params.get("q") or "").strip().lower()
        if q:
            records = [
                r
                for r in records
                if all(any(word in _pg_text(v).lower() for v in r.values() if isinstance(v, str)) for word in q.split())
            ]
        sort = (params.get("sort") or "").strip()
        if sort:  # "field [asc|desc], ..." as CKAN takes it; unknown fields are a Validation Error
            for part in reversed([p.strip() for p in sort.split(",") if p.strip()]):
                name, _, direction = part.partition(" ")
                direction = direction.strip().lower() or "asc"
                if name not in names or direction not in ("asc", "desc"):
                    raise invalid(
                        sort=[
                            f'field "{name}" not in table'
                            if name not in names
                            else f"Invalid sort direction: {direction}"
                        ]
                    )
                present = [r for r in records if r.get(name) is not None]
                present.sort(key=lambda r: r[name], reverse=direction == "desc")
                records = present + [r for r in records if r.get(name) is None]
        else:
            # no sort: a real database may hand rows out in any order; the fake shows that by rotating them,
            # differently for each page size, so paging without a sort would miss or repeat rows
            turn = (limit * 7919) % max(len(records), 1)
            records = records[turn:] + records[:turn]
        fields = [{"id": "_id", "type": "int"}] + [dict(f) for f in table.fields]
        result: dict[str, Any] = {
            "include_total": params.get("include_total", "true") != "false",
            "resource_id": rid,
            "fields": fields,
            "records_format": "objects",
            "records": records[offset : offset + limit],
            "limit": limit,
            "_links": {
                "start": f"/api/3/action/datastore_search?resource_id={rid}",
                "next": f"/api/3/action/datastore_search?offset={offset + limit}&resource_id={rid}",
            },
        }
        if offset:
            result["offset"] = offset
        if rid in self.no_total:  # as with include_total=false (or a datastore too busy to count)
            result["include_total"] = False
        if result["include_total"]:
            result["total"] = len(records)
            result["total_was_estimated"] = False
        return result


def _pg_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def start_ckan_server(*, port: int = 0, prefix: str = "", verbose: bool = False) -> Any:
    """A started FakeServer with only the CKAN app (at ``prefix``): portal string ``ckan:{server.url}{prefix}``."""
    from ..server import FakeServer

    server = FakeServer(port=port, verbose=verbose)
    CKANApp(prefix).mount(server)
    return server.start()


def _as(kind: str, value: Any) -> Any:
    """A value as a datastore column of type ``kind`` holds it (a retyped column: int4→float8 gives ``12.0``)."""
    if kind in ("float8", "float4", "numeric"):
        return float(value)
    if kind in ("int", "int4", "int8"):
        return int(value)
    return str(value) if kind == "text" else value
