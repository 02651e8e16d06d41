"""Socrata's wire formats: constants, column types, the small conversions of catalog and views JSON, the plan
kept from dataset() for pages(), SoQL ``$where`` from the filter language, and the validation callbacks that
run on every answer before it is cached."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pdxtui.errors import PdxError
from pdxtui.filters.sql import soql_identifier
from pdxtui.htmltext import html_to_text
from pdxtui.model import Field, as_text, finite_float
from pdxtui.portals.network import epoch_or_iso
from pdxtui.textsafe import short

CATALOG_PATH = "/api/catalog/v1"
CATALOG_PAGE = 100  # the catalog's default (and our) page size
CATALOG_WINDOW = 10_000  # offset + limit above this is answered with 400
FACET_RECORDS = 500  # facets are counted over the first this-many catalog results of the domain
DEFAULT_PAGE_ROWS = 5000  # rows per request ($limit)
MAX_GROUPS = 50_000  # value counts: groups asked for in one request
COUNT_ALIAS = "pdxtui_n"

TOKEN_HINT = (
    "without an app token Socrata limits requests per IP; an app token avoids this "
    "(set PDXTUI_APP_TOKEN, or add it under [tokens] in the config)"
)

#: Socrata column types (views ``dataTypeName`` and SODA2 ``X-SODA2-Types`` names) -> model kinds
SOCRATA_KINDS: dict[str, str] = {
    "text": "string",
    "html": "string",
    "email": "string",
    "phone": "string",
    "url": "string",
    "flag": "string",
    "drop_down_list": "string",
    "photo": "string",
    "document": "string",
    "blob": "string",
    "number": "float",
    "double": "float",
    "money": "float",
    "percent": "float",
    "stars": "float",
    "calendar_date": "datetime",
    "floating_timestamp": "datetime",
    "date": "datetime",
    "fixed_timestamp": "datetime",
    "checkbox": "boolean",
    "point": "geometry",
    "location": "geometry",
    "multipoint": "geometry",
    "line": "geometry",
    "multiline": "geometry",
    "polygon": "geometry",
    "multipolygon": "geometry",
}
#: types CSV cannot carry: pages holding one of these come from ``.json``
POINT_TYPES = frozenset({"point", "location"})

_HTML_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")


# -- small conversions -------------------------------------------------------------------------------------------


def soql_name(name: str) -> str:
    """A column name as SoQL takes it: bare when an identifier, else in back ticks."""
    quoted = soql_identifier(name)
    if quoted is None:
        raise PdxError(f"column {name!r} cannot be named in a Socrata query")
    return quoted


def epoch_seconds(value: Any) -> datetime | None:
    """An aware UTC datetime from epoch seconds (views JSON) or an ISO string (catalog); None when unreadable."""
    value = epoch_or_iso(value)
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def socrata_time(text: Any) -> datetime | None:
    """A SoQL timestamp (``2024-01-05T12:00:00.000``, floating, taken as UTC; or with ``Z``) as an aware datetime."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _strings(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return ()
    out: list[str] = []
    for v in values:
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip() and str(v) not in out:
            out.append(str(v))
    return tuple(out)


def _description(text: str) -> str:
    """Socrata descriptions are mostly plain text (kept as is); some hold HTML (rendered as text)."""
    return html_to_text(text) if _HTML_TAG.search(text) else text.strip()


def socrata_error(data: Any) -> str | None:
    """The message of a Socrata error body (``{"error": true, "message"}`` or ``{"code", "message"}``), else None."""
    if not isinstance(data, dict):
        return None
    if data.get("error") is True or (isinstance(data.get("code"), str) and "message" in data):
        message = short(data.get("message") or data.get("code") or "no message")
        code = data.get("code")
        return f"{message} [{code}]" if isinstance(code, str) and code and code not in message else message
    if isinstance(data.get("error"), (str, dict)):
        err = data["error"]
        return short(err.get("message") if isinstance(err, dict) else err) or "no message"
    return None


# -- columns -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coords:
    """Latitude/longitude columns taken from a point or location column."""

    source: str
    type: str  # "point" | "location"
    lat: str
    lon: str


def _position(column: dict[str, Any]) -> int:
    """Where a views column goes (columns without a position go last)."""
    position = column.get("position")
    return position if isinstance(position, int) else 1 << 30


def parse_columns(raw: Any) -> tuple[tuple[Field, ...], tuple[_Coords, ...]]:
    """(fields as pages() yields them, coordinate columns) from views JSON ``columns``.

    Columns whose fieldName starts with ``:`` (system and computed-region columns) are dropped; the rest are put
    in ``position`` order. Each point/location column is kept (as ``POINT (lon lat)`` text) and followed by two
    float columns: ``latitude``/``longitude`` for the first one when the dataset has no such columns, else
    ``{column}_latitude``/``{column}_longitude``."""
    columns = [
        c
        for c in raw or ()
        if isinstance(c, dict)
        and isinstance(c.get("fieldName"), str)
        and c["fieldName"]
        and not c["fieldName"].startswith(":")
    ]
    columns.sort(key=_position)
    taken = {c["fieldName"].lower() for c in columns}
    out: list[Field] = []
    coords: list[_Coords] = []
    seen: set[str] = set()
    for c in columns:
        name = c["fieldName"]
        if name in seen:
            continue
        seen.add(name)
        kind_name = as_text(c.get("dataTypeName")).lower() or "text"
        alias = as_text(c.get("name"))
        out.append(
            Field(
                name=name,
                type=kind_name,
                kind=SOCRATA_KINDS.get(kind_name, "string"),
                alias=alias,
                description=_description(as_text(c.get("description"))),
            )
        )
        if kind_name in POINT_TYPES:
            lat, lon = "latitude", "longitude"
            if coords or {lat, lon} & taken:
                lat, lon = f"{name}_latitude", f"{name}_longitude"
            if {lat.lower(), lon.lower()} & taken:
                continue  # the dataset already has these names: it carries its own coordinates
            taken |= {lat.lower(), lon.lower()}
            label = alias or name
            coords.append(_Coords(name, kind_name, lat, lon))
            out.append(
                Field(
                    lat,
                    "number",
                    "float",
                    "Latitude" if lat == "latitude" else f"{label} latitude",
                    f"WGS 84 latitude of the {kind_name} column {name}",
                    derived=True,
                )
            )
            out.append(
                Field(
                    lon,
                    "number",
                    "float",
                    "Longitude" if lon == "longitude" else f"{label} longitude",
                    f"WGS 84 longitude of the {kind_name} column {name}",
                    derived=True,
                )
            )
    return tuple(out), tuple(coords)


def _point_of(value: Any) -> tuple[float | None, float | None, str | None]:
    """(lat, lon, "POINT (lon lat)") from a SODA2 JSON point (GeoJSON) or location object."""
    lat = lon = None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None, None, value
    if isinstance(value, dict):
        coordinates = value.get("coordinates")
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            lon, lat = finite_float(coordinates[0]), finite_float(coordinates[1])
        else:
            lat, lon = finite_float(value.get("latitude")), finite_float(value.get("longitude"))
    if lat is None or lon is None:
        return None, None, None
    return lat, lon, f"POINT ({lon!r} {lat!r})"


def _json_text(value: Any) -> str | None:
    """One SODA2 JSON value as the text CSV would carry (numbers arrive as strings; objects are flattened)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("url", "phone_number"):
            if isinstance(value.get(key), str):
                return value[key]
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


# -- what pages() needs to know, kept from dataset() ----------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    id: str
    title: str
    resource: str  # {domain}/resource/{id}
    fields: tuple[Field, ...]
    coords: tuple[_Coords, ...]
    rows: int | None

    @property
    def server(self) -> frozenset[str]:
        """Names of the columns the server has (not latitude/longitude taken from a location)."""
        derived = {c.lat for c in self.coords} | {c.lon for c in self.coords}
        return frozenset(f.name for f in self.fields if f.name not in derived)

    @property
    def comparable(self) -> frozenset[str]:
        """Server columns SoQL can filter and sort by (not geometry)."""
        return frozenset(f.name for f in self.fields if f.name in self.server and f.kind != "geometry")


def plan_field(plan: _Plan, name: str) -> Field | None:
    return next((f for f in plan.fields if f.name == name), None)


def _where(plan: _Plan, text: str | None) -> str | None:
    """The SoQL ``$where`` for filter text (pdxtui's filter language), or None for all rows."""
    if not text or not text.strip():
        return None
    from pdxtui.filters import FilterError, NotServerSide, columns, parse, to_soql

    node = parse(text, plan.fields)
    if node is None:
        return None
    comparable = plan.comparable
    for name in sorted(columns(node)):
        if name not in comparable:
            raise FilterError(f"{plan.title} cannot filter on {name} on the server (it is a location)")
    try:
        return to_soql(node, plan.fields)
    except NotServerSide as exc:
        raise FilterError(f"{plan.title} cannot filter this on the server: {exc.reason}", exc.position) from None


def _is_cadence(key: Any) -> bool:
    """A custom field that states the update cadence: "Update Frequency", "Update-Frequency", "Refresh cadence"."""
    lowered = str(key).lower()
    return "frequency" in lowered or "cadence" in lowered


def _frequency(metadata: Any) -> str:
    """An "update frequency" custom field of a view (``metadata.custom_fields``: {fieldset: {field: value}}), where
    the domain keeps one (not every domain does)."""
    if not isinstance(metadata, dict):
        return ""
    custom = metadata.get("custom_fields")
    if not isinstance(custom, dict):
        return ""
    for group in custom.values():
        if not isinstance(group, dict):
            continue
        for key, value in group.items():
            if _is_cadence(key) and isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def hit_frequency(classification: dict[str, Any]) -> str:
    """The cadence of a catalog hit, from ``classification.domain_metadata``: the domain's custom fields as a list
    of ``{"key": "Fieldset_Field-Name", "value": ...}`` (the shape is unconfirmed: a {key: value} object is read
    too, and anything else gives "")."""
    raw = classification.get("domain_metadata")
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [(entry.get("key"), entry.get("value")) for entry in raw if isinstance(entry, dict)]
    else:
        return ""
    for key, value in pairs:
        if _is_cadence(key) and isinstance(value, str) and value.strip():
            return value.strip()
    return ""


# -- validation callbacks (run on every body before it is cached) ------------------------------------------------------


def _check_catalog(data: Any) -> str | None:
    problem = socrata_error(data)
    if problem:
        return f"the catalog search failed: {problem}"
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return "the catalog answered, but not with a list of results (is this a Socrata site?)"
    return None


def _check_view(data: Any) -> str | None:
    problem = socrata_error(data)
    if problem:
        return f"the dataset metadata could not be read: {problem}"
    if not isinstance(data, dict) or not isinstance(data.get("id", ""), str):
        return "the metadata answer was not a Socrata view"
    return None


def _check_list(data: Any) -> str | None:
    problem = socrata_error(data)
    if problem:
        return problem
    if not isinstance(data, list):
        return "the answer was not a list of rows"
    return None


def _check_count(data: Any) -> str | None:
    problem = _check_list(data)
    if problem:
        return problem
    if _count_of(data) is None:
        return "a count(*) query was answered without a count"
    return None


def _count_of(data: Any) -> int | None:
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict) or len(data[0]) != 1:
        return None
    return _int(next(iter(data[0].values())))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None
