"""CKAN's wire formats: the action API's constants and envelope errors, the small conversions of packages and
resources, and the plan kept from dataset() for pages()."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pdxtui.errors import PortalError
from pdxtui.model import Field, Resource, as_dict, as_text
from pdxtui.portals.csvtable import iso_time
from pdxtui.portals.datadates import best_date, edit_time
from pdxtui.textsafe import short

ckan_time = iso_time  # CKAN's ``metadata_modified``: ISO 8601 without a zone, UTC

API = "/api/3/action"
SEARCH_MAX_ROWS = 1000  # CKAN's default ckan.search.rows_max
FACET_FIELDS = ("organization", "groups", "tags")
FACET_LIMIT = 100
#: what package_search needs to answer the organization, group and tag counts over its matches (search_facets)
FACET_PARAMS = {"facet.field": json.dumps(list(FACET_FIELDS)), "facet.limit": FACET_LIMIT}
PAGE_ROWS = 1000  # rows per datastore_search request
MAX_FRAMES = 4  # parsed CSV resources kept in memory
SAMPLE_BYTES = 64 * 1024  # of a CSV file read to type its columns when the dataset opens
SYSTEM_FIELDS = frozenset({"_id", "_full_text"})
#: every datastore record's id (``_id``, an integer the datastore assigns): not shown among the fields, read for
#: ``Query.with_key`` (what changed between two looks, by row)
ROW_ID = Field("_id", "int", "integer", "Row id", "the datastore's row id")
TABULAR_FORMATS = frozenset({"csv", "text/csv"})

#: PostgreSQL / datastore column types -> model kinds (anything else is text)
PG_KINDS: dict[str, str] = {
    "text": "string",
    "varchar": "string",
    "char": "string",
    "name": "string",
    "uuid": "string",
    "int": "integer",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "integer": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "serial": "integer",
    "numeric": "float",
    "float4": "float",
    "float8": "float",
    "real": "float",
    "double precision": "float",
    "decimal": "float",
    "money": "float",
    "bool": "boolean",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "datetime",
    "timestamptz": "datetime",
    "timestamp without time zone": "datetime",
    "timestamp with time zone": "datetime",
    "json": "json",
    "jsonb": "json",
}


# -- errors ---------------------------------------------------------------------------------------------------------


class CKANError(PortalError):
    """CKAN answered with ``{"success": false, "error": {...}}`` (whatever the HTTP status)."""

    def __init__(self, message: str, *, portal: str = "", kind: str = "", status: int | None = None) -> None:
        super().__init__(message, portal=portal, offline=False)
        self.kind = kind  # CKAN's __type, e.g. "Not Found Error"
        self.status = status


def envelope_error(error: Any) -> tuple[str, str]:
    """(__type, "message") from a CKAN ``error`` object: ``message`` when there is one, else the field errors of
    a Validation Error (``rows: Invalid integer; q: …``)."""
    if not isinstance(error, dict):
        return "", short(error) if error not in (None, "") else "no message"
    kind = short(error.get("__type") or "", 80)
    message = error.get("message")
    if isinstance(message, str) and message.strip():
        return kind, short(message)
    parts = []
    for name, value in error.items():
        if name in ("__type", "message"):
            continue
        if isinstance(value, list):
            value = "; ".join(short(v, 160) for v in value[:3])
        elif isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)[:160]
        parts.append(f"{short(name, 60)}: {short(value, 200)}")
    return kind, short(", ".join(parts[:4])) or "no message"


# -- small conversions ---------------------------------------------------------------------------------------------


def solr_phrase(value: str) -> str:
    """A quoted Solr phrase for ``fq``: ``"…"`` with backslashes and double quotes escaped."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_fq(owner: str | None = None, group: str | None = None, tag: str | None = None) -> str:
    """``organization:"x" AND groups:"y" AND tags:"z"`` for the facets that are set ("" for none)."""
    parts = []
    if owner:
        parts.append(f"organization:{solr_phrase(owner)}")
    if group:
        parts.append(f"groups:{solr_phrase(group)}")
    if tag:
        parts.append(f"tags:{solr_phrase(tag)}")
    return " AND ".join(parts)


def pg_kind(type_name: Any) -> str:
    name = as_text(type_name).strip().lower()
    if name.startswith("_") or name.endswith("[]"):
        return "json"  # arrays
    return PG_KINDS.get(name, "string")


def _names(values: Any, key: str = "name", label: str = "title") -> tuple[tuple[str, str], ...]:
    """(name, display title) pairs from CKAN's lists of tags / groups."""
    out = []
    for item in values if isinstance(values, list) else ():
        if isinstance(item, dict):
            name = as_text(item.get(key))
            title = as_text(item.get(label) or item.get("display_name") or name)
            if name or title:
                out.append((name or title, title or name))
        elif isinstance(item, str) and item:
            out.append((item, item))
    return tuple(out)


def resource_format(raw: dict[str, Any]) -> str:
    fmt = as_text(raw.get("format")).strip()
    if not fmt:
        mimetype = as_text(raw.get("mimetype")).lower()
        if "csv" in mimetype:
            return "CSV"
        url = as_text(raw.get("url")).split("?", 1)[0].lower()
        if "." in url.rsplit("/", 1)[-1]:
            return url.rsplit(".", 1)[-1].upper()[:12]
    return fmt


def package_frequency(raw: dict[str, Any]) -> str:
    """A package's stated cadence: ``frequency`` or DCAT ``accrualPeriodicity`` (``R/P1W``), as a field of its own
    (ckanext-scheming) or in ``extras`` (data.gov's DCAT harvests); the same in package_show and package_search."""
    frequency = as_text(raw.get("frequency") or raw.get("accrualPeriodicity")).strip()
    for extra in _list(raw.get("extras")):
        if frequency:
            break
        if isinstance(extra, dict) and as_text(extra.get("key")).lower() in ("frequency", "accrualperiodicity"):
            frequency = as_text(extra.get("value")).strip()
    return frequency


def data_updated(raw: dict[str, Any], what: str, resource_id: str = "") -> datetime | None:
    """When a package's data last changed: the newest ``last_modified`` of its resources (of the one resource
    ``resource_id`` names, when the dataset is that resource), else the package's ``metadata_modified``. CKAN writes
    both as ISO text without a zone, in UTC; ``last_modified`` is null for a resource whose file was never uploaded
    to CKAN (a link), and ``metadata_modified`` moves with any edit of the package, so it comes last."""
    resources = [r for r in _list(raw.get("resources")) if isinstance(r, dict)]
    if resource_id:
        resources = [r for r in resources if as_text(r.get("id")) == resource_id]
    moments = []
    for r in resources:
        name = f"resource {short(as_text(r.get('id')), 60)}'s last_modified"
        moments.append(best_date(what, ((name, r.get("last_modified"), edit_time),)))
    newest = max((m for m in moments if m is not None), default=None)
    return newest or best_date(what, (("metadata_modified", raw.get("metadata_modified"), edit_time),))


def to_resource(raw: dict[str, Any], site: str = "") -> Resource:
    fmt = resource_format(raw)
    datastore = raw.get("datastore_active") is True
    csv = fmt.strip().lower().lstrip(".") in TABULAR_FORMATS or "csv" in as_text(raw.get("mimetype")).lower()
    url = as_text(raw.get("url")).strip()
    if url.startswith("/") and not url.startswith("//") and site:
        url = site.rstrip("/") + url  # an upload named relative to the site
    return Resource(
        id=as_text(raw.get("id")),
        name=as_text(raw.get("name")) or as_text(raw.get("id")),
        format=fmt,
        url=url,
        tabular=datastore or csv,
        datastore=datastore,
    )


def _is_csv(resource: Resource) -> bool:
    return resource.format.strip().lower().lstrip(".") in TABULAR_FORMATS or (
        resource.url.split("?", 1)[0].lower().endswith(".csv")
    )


def pick_resource(resources: Sequence[Resource]) -> Resource | None:
    """The resource shown for a plain ``PACKAGE`` id: the first in the datastore, else the first CSV."""
    return next((r for r in resources if r.datastore), None) or next((r for r in resources if r.tabular), None)


def split_id(dataset_id: str) -> tuple[str, str]:
    package, _, resource = (dataset_id or "").strip().partition("/")
    return package.strip(), resource.strip()


# -- what pages() needs about a resource -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    title: str
    resource: Resource
    fields: tuple[Field, ...]
    rows: int | None


def datastore_fields(raw: Any) -> tuple[Field, ...]:
    out = []
    for f in raw if isinstance(raw, list) else ():
        if not isinstance(f, dict) or not isinstance(f.get("id"), str) or f["id"] in SYSTEM_FIELDS:
            continue
        info = as_dict(f.get("info"))  # the Data Dictionary, where filled in
        # the column's real ``type`` decides: a ``type_override`` only takes effect when the datastore is
        # reloaded, and until then the values are still text ("false", "1,234")
        type_name = as_text(f.get("type")) or "text"
        description = as_text(info.get("notes"))
        override = as_text(info.get("type_override")).strip()
        if override and override.lower() != type_name.lower():
            note = f"(Data Dictionary type: {override}; stored as {type_name})"
            description = f"{description} {note}" if description else note
        out.append(
            Field(
                name=f["id"],
                type=type_name,
                kind=pg_kind(type_name),
                alias=as_text(info.get("label")),
                description=description,
            )
        )
    return tuple(out)


class _CKANNotFound(CKANError):
    """A Not Found Error envelope."""


def _list(value: Any) -> list[Any]:
    """``value`` when the portal sent a list where one belongs, else an empty list (never iterate a number)."""
    return value if isinstance(value, list) else []
