"""ArcGIS portals: an ArcGIS Hub site's catalog (OGC API Records search) and the ArcGIS REST layers
(MapServer / FeatureServer) behind its datasets. The profile ``portland`` is the City's PortlandMaps Open Data site.

Wire formats follow ``portals.md`` ("ArcGIS Hub search" and "ArcGIS REST layer"):

* search: ``GET {site}/api/search/v1/collections/dataset/items`` with ``q``, ``filter``, ``limit`` (<= 100),
  1-based ``startindex`` and ``sortBy=-properties.modified`` when there is no text; pages by ``links[rel=next]``;
  ``numberMatched`` is the total;
* metadata: the Hub record (``.../items/{id}``) merged with the layer's ``{url}?f=json`` and
  ``{url}/query?where=1=1&returnCountOnly=true&f=json``;
* rows: ``{url}/query`` pages (``resultOffset``/``resultRecordCount`` <= maxRecordCount), always ordered
  (``orderByFields`` ends with the OID field), fetched concurrently and yielded in order.

Every request goes through a :class:`pdxtui.net.Fetcher` (cache, retries, Retry-After, per-host limit). ArcGIS
errors sent with HTTP 200 are rejected by a ``validate`` callback, so they are never cached.

Importing this module, creating the portal, ``search()``, ``facets()`` and ``dataset()`` import neither polars nor
pyarrow; httpx is imported when the first request is made (the fetcher may be handed over as a factory).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from pdxtui.errors import NotFound, PdxError, PortalError
from pdxtui.htmltext import html_to_text
from pdxtui.model import (
    Dataset,
    DatasetSummary,
    Facets,
    Field,
    Link,
    Page,
    Progress,
    Query,
    SearchRequest,
    SearchResult,
    finite_float,
)
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.network import NetworkPortal, as_text, both, check_columns, context, count_or_none, ranked, short
from pdxtui.portals.snapshot import ESRI_KINDS

if TYPE_CHECKING:
    import pyarrow as pa

    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)

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
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
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


# -- the layer behind a dataset --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What ``pages()`` needs to know about a layer, kept from ``dataset()``."""

    url: str
    title: str
    fields: tuple[Field, ...]  # the columns pages() yields, in order (point layers: latitude/longitude added)
    attributes: frozenset[str]  # names of the columns that are layer attributes
    oid: str | None
    lat: str | None
    lon: str | None
    page_rows: int
    paging: bool
    rows: int | None

    @property
    def label(self) -> str:
        return f"{self.title} ({self.url})" if self.title else self.url


def _domain(raw: Any) -> tuple[tuple[Any, str], ...]:
    if not isinstance(raw, dict) or raw.get("type") != "codedValue":
        return ()
    out = []
    for entry in raw.get("codedValues") or ():
        if isinstance(entry, dict) and "code" in entry:
            out.append((entry["code"], as_text(entry.get("name", entry["code"]))))
    return tuple(out)


def _fields(info: dict[str, Any]) -> tuple[tuple[Field, ...], str | None, str | None, str | None]:
    """(fields as pages() yields them, OID field, latitude column, longitude column) from layer metadata."""
    raw = [f for f in info.get("fields") or () if isinstance(f, dict) and isinstance(f.get("name"), str)]
    point = info.get("geometryType") == POINT
    taken = {f["name"].lower() for f in raw}
    lat = lon = None
    if point:
        lat, lon = (
            ("latitude", "longitude")
            if not taken & {"latitude", "longitude"}
            else ("shape_latitude", "shape_longitude")
        )
    coords = (
        Field(lat or "", POINT, "float", "Latitude", "WGS 84 latitude of the point geometry (outSR=4326)"),
        Field(lon or "", POINT, "float", "Longitude", "WGS 84 longitude of the point geometry (outSR=4326)"),
    )
    shape_type = info.get("geometryType") if info.get("geometryType") in SHAPES else None
    if shape_type:  # polygons and lines: one column of GeoJSON outlines (drawn on the map)
        name = "geometry" if "geometry" not in taken else "shape_geometry"
        coords = (
            Field(
                name,
                shape_type,
                "string",
                "Geometry",
                "GeoJSON geometry in WGS 84 (outSR=4326), from the layer's shapes",
            ),
        )
    out: list[Field] = []
    oid: str | None = None
    for f in raw:
        kind_name = as_text(f.get("type"))
        if kind_name == GEOMETRY:
            if ((point and lat) or shape_type) and not any(x.name == coords[0].name for x in out):
                out.extend(coords)
            continue
        if kind_name in UNSHOWN_TYPES:
            continue
        if kind_name == OID and oid is None:
            oid = f["name"]
        domain = _domain(f.get("domain"))
        out.append(
            Field(
                name=f["name"],
                type=kind_name,
                kind="string" if domain else ESRI_KINDS.get(kind_name, "string"),  # coded values show labels
                alias=as_text(f.get("alias")),
                domain=domain,
            )
        )
    if ((point and lat) or shape_type) and not any(x.name == coords[0].name for x in out):
        out.extend(coords)
    if oid is None:
        named = info.get("objectIdField")
        if isinstance(named, str) and any(x.name == named for x in out):
            oid = named
    return tuple(out), oid, lat, lon


# -- building Arrow tables from ArcGIS JSON ----------------------------------------------------------------------------


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "datetime": pa.timestamp("ms", tz="UTC"),
        "date": pa.date32(),
    }.get(kind, pa.string())


def _to_int(value: Any) -> Any:
    if value is None or (type(value) is int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(value)


def _to_ms(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) else None
    moment = epoch_ms(value)
    return None if moment is None else int(moment.timestamp() * 1000)


def _to_date(value: Any) -> date | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    moment = epoch_ms(value)
    return None if moment is None else moment.date()


def _to_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def column(values: list[Any], field: Field) -> pa.Array:
    """One Arrow column for ``field`` from JSON values: coded values become labels, dates epoch ms -> UTC."""
    import pyarrow as pa

    if field.domain:
        labels = {code: label for code, label in field.domain}
        by_text = {str(code): label for code, label in field.domain}
        values = [
            None if v is None else labels.get(v) if v in labels else by_text.get(str(v), _to_str(v)) for v in values
        ]
        return pa.array(values, pa.string())
    kind = field.kind
    if kind in ("integer", "datetime"):
        inferred = _infer(values)  # fast path: whole numbers (epoch ms for dates) and nulls
        if inferred is not None and (pa.types.is_integer(inferred.type) or pa.types.is_null(inferred.type)):
            return inferred.cast(pa.int64() if kind == "integer" else pa.timestamp("ms", tz="UTC"))
        if kind == "datetime":
            return pa.array([_to_ms(v) for v in values], pa.timestamp("ms", tz="UTC"))
        try:
            return pa.array([_to_int(v) for v in values], pa.int64())
        except (ValueError, TypeError, OverflowError):
            return pa.array([finite_float(v) for v in values], pa.float64())  # not whole numbers after all
    if kind == "float":
        try:
            return pa.array(values, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([finite_float(v) for v in values], pa.float64())
    if kind == "date":
        return pa.array([_to_date(v) for v in values], pa.date32())
    if kind == "boolean":
        return pa.array([None if v is None else bool(v) for v in values], pa.bool_())
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_to_str(v) for v in values], pa.string())


def _infer(values: list[Any]) -> Any:
    """pyarrow's own reading of a list of JSON values, or None when the values are mixed."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None


def _coordinates(features: list[dict[str, Any]], axis: str) -> Any:
    """One coordinate of every point geometry as a float64 column (missing or non-numeric values are null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array([f["geometry"][axis] for f in features], pa.float64())
    except (KeyError, TypeError, pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_coordinate(f, axis) for f in features], pa.float64())
    if array.null_count < len(array) and pc.any(pc.is_nan(array)).as_py():
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, pa.float64()), array)
    return array


def _coordinate(feature: dict[str, Any], axis: str) -> float | None:
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        return None
    return finite_float(geometry.get(axis))


def build_table(features: list[Any], fields: Sequence[Field], lat: str | None = None, lon: str | None = None) -> Any:
    """A pyarrow Table with one column per field (in order) from ``f=json`` query features."""
    import pyarrow as pa

    features = [f if isinstance(f, dict) else {} for f in features]
    rows = [f.get("attributes") if isinstance(f.get("attributes"), dict) else {} for f in features]
    sample = rows[0] if rows else {}
    lowered = {k.lower(): k for k in sample}
    arrays = []
    for field in fields:
        if field.name == lat:
            arrays.append(_coordinates(features, "y"))
            continue
        if field.name == lon:
            arrays.append(_coordinates(features, "x"))
            continue
        if field.type in SHAPES:
            arrays.append(pa.array([shape_geojson(f.get("geometry"), field.type) for f in features], pa.string()))
            continue
        key = field.name if field.name in sample else lowered.get(field.name.lower(), field.name)
        arrays.append(column([r.get(key) for r in rows], field))
    return pa.Table.from_arrays(arrays, names=[f.name for f in fields])


def shape_geojson(geometry: Any, shape_type: str) -> str | None:
    """An ArcGIS polygon (rings) or polyline (paths) as GeoJSON text (RFC 7946), None when there is none.

    Polylines become LineString/MultiLineString. Polygon rings are grouped as ArcGIS orders them: a clockwise ring
    starts a polygon and the counter-clockwise rings after it are its holes; exteriors are written
    counter-clockwise and holes clockwise, as RFC 7946 asks. Points that are not two numbers are left out.
    """
    if not isinstance(geometry, dict):
        return None
    parts = []
    for part in geometry.get(SHAPES[shape_type]) or ():
        if not isinstance(part, list):
            continue
        points = []
        for point in part:
            if isinstance(point, list) and len(point) >= 2:
                x, y = finite_float(point[0]), finite_float(point[1])
                if x is not None and y is not None and math.isfinite(x) and math.isfinite(y):
                    points.append([x, y])
        if len(points) >= 2:
            parts.append(points)
    if not parts:
        return None
    if shape_type == "esriGeometryPolyline":
        shape = (
            {"type": "LineString", "coordinates": parts[0]}
            if len(parts) == 1
            else {"type": "MultiLineString", "coordinates": parts}
        )
        return json.dumps(shape, separators=(",", ":"))
    polygons: list[list[list[list[float]]]] = []
    for ring in parts:
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))
        if area <= 0 or not polygons:  # clockwise (in x east, y north): an exterior
            polygons.append([ring[::-1] if area < 0 else ring])
        else:
            polygons[-1].append(ring[::-1])
    shape = (
        {"type": "Polygon", "coordinates": polygons[0]}
        if len(polygons) == 1
        else {"type": "MultiPolygon", "coordinates": polygons}
    )
    return json.dumps(shape, separators=(",", ":"))


def empty_table(fields: Sequence[Field]) -> Any:
    import pyarrow as pa

    schema = pa.schema([(f.name, pa.string() if f.domain else _arrow_type(f.kind)) for f in fields])
    return schema.empty_table()


@dataclass(frozen=True)
class _Rows:
    """One ``f=json`` query answer, parsed: the table of its first ``ask`` features (None when there are none),
    how many that is, and whether the server said there is more."""

    table: Any
    rows: int
    exceeded: bool


def rows_from_json(data: Any, fields: Sequence[Field], lat: str | None, lon: str | None, ask: int) -> _Rows:
    """The reference reading of a (validated) query answer parsed by ``json.loads``."""
    features = data["features"][:ask]
    table = build_table(features, fields, lat, lon) if features else None
    return _Rows(table=table, rows=len(features), exceeded=_exceeded(data))


_FEATURES_KEY = re.compile(r'"features"\s*:\s*\[\s*')
_DECODER = json.JSONDecoder()


class _FastRows:
    """Reads a query answer straight into Arrow with pyarrow's JSON reader, under a schema made from the fields.

    ``json.loads`` plus :func:`build_table` costs about 10 ms per 1,000-row page and holds the GIL; this costs a
    few ms and releases it. It is an optimisation only: :meth:`read` returns None whenever it cannot vouch that
    its result equals :func:`rows_from_json`'s (the reader is strict, so a float in an integer field, a number in
    a string field, NaN, a second document, invalid UTF-8, an HTML page, an ``error`` object, a missing features
    list, a first feature naming a field in another letter case ... all end up there), and the caller then
    takes the reference path, which also produces the error messages.
    """

    def __init__(self, fields: Sequence[Field], lat: str | None, lon: str | None) -> None:
        import pyarrow as pa
        import pyarrow.json as pj

        self.fields = tuple(fields)
        self.lat, self.lon = lat, lon
        self.attributes = [f for f in self.fields if f.name not in (lat, lon)]
        self.geometry = any(f.name in (lat, lon) for f in self.fields if f.name)
        shapes = any(f.type in SHAPES for f in self.fields)  # outlines: the reference reader builds their text
        lowered = [f.name.lower() for f in self.attributes]
        self.lowered = frozenset(lowered)
        self.domains: dict[str, tuple[Any, Any, bool]] = {}  # name -> (codes, labels, codes are integers)
        types = []
        usable = len(set(lowered)) == len(lowered) and len({f.name for f in self.fields}) == len(self.fields)
        for field in self.attributes:
            json_type = self._json_type(field) if usable else None
            if json_type is None:
                usable = False
                break
            types.append((field.name, json_type))
        self.usable = usable and not shapes
        if not self.usable:
            return
        feature = [("attributes", pa.struct(types))]
        if self.geometry:
            feature.append(("geometry", pa.struct([("x", pa.float64()), ("y", pa.float64())])))
        schema = pa.schema(
            [
                ("features", pa.list_(pa.struct(feature))),
                ("exceededTransferLimit", pa.bool_()),
                ("properties", pa.struct([("exceededTransferLimit", pa.bool_())])),
                ("error", pa.null()),  # any error object (not null) does not fit: the reference path reports it
            ]
        )
        self._options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")

    def _json_type(self, field: Field) -> Any:
        """The Arrow type a field's JSON values must have for the fast path, or None for "not this way"."""
        import pyarrow as pa

        if field.domain:
            labels = {code: label for code, label in field.domain}  # as column() builds it: the last one wins
            codes = list(labels)
            if any(code is None or isinstance(code, bool) for code in codes):
                return None
            if all(isinstance(code, str) for code in codes):
                kind = pa.string()
            elif all(isinstance(code, int) for code in codes) and all(-(2**63) <= c < 2**63 for c in codes):
                kind = pa.int64()
            else:
                return None
            self.domains[field.name] = (
                pa.array(codes, kind),
                pa.array([labels[c] for c in codes], pa.string()),
                kind == pa.int64(),
            )
            return kind
        return {
            "integer": pa.int64(),
            "datetime": pa.int64(),  # epoch ms; anything else (ISO text, fractions) takes the reference path
            "float": pa.float64(),
            "boolean": pa.bool_(),
        }.get(field.kind, pa.string())  # "date" and "string": JSON strings

    def read(self, body: bytes, content_type: str, ask: int) -> _Rows | None:
        if not self.usable or "html" in content_type.lower():
            return None
        try:
            return self._read(body, ask)
        except Exception:
            log.debug("fast page reader gave up", exc_info=True)
            return None

    def _read(self, body: bytes, ask: int) -> _Rows | None:
        import io

        import pyarrow as pa
        import pyarrow.json as pj

        text = body.decode("utf-8")  # json.loads refuses invalid UTF-8; pyarrow would not notice
        if text.lstrip("\ufeff \t\r\n")[:1] != "{":
            return None
        read = pj.ReadOptions(use_threads=False, block_size=max(1 << 20, len(body) + 1))
        table = pj.read_json(io.BytesIO(body), read_options=read, parse_options=self._options)
        if table.num_rows != 1:
            return None
        listed = table.column("features").combine_chunks()
        if listed.null_count:
            return None  # no features list
        features = listed.flatten()
        exceeded = table.column("exceededTransferLimit")[0].as_py() is True
        props = table.column("properties")[0]
        if props.is_valid and props["exceededTransferLimit"].as_py() is True:
            exceeded = True
        count = min(len(features), max(0, ask))
        if count == 0:
            return _Rows(table=None, rows=0, exceeded=exceeded)
        features = features.slice(0, count)
        parts = dict(zip((f.name for f in features.type), features.flatten()))
        attributes = parts["attributes"]
        values = dict(zip((f.name for f in attributes.type), attributes.flatten()))
        if not self._first_feature_agrees(text, attributes, values):
            return None
        arrays = []
        for field in self.fields:
            if field.name in (self.lat, self.lon):
                geometry = dict(zip(("x", "y"), parts["geometry"].flatten()))
                arrays.append(geometry["y" if field.name == self.lat else "x"])
            else:
                arrays.append(self._column(values[field.name], field))
        return _Rows(
            table=pa.Table.from_arrays(arrays, names=[f.name for f in self.fields]), rows=count, exceeded=exceeded
        )

    def _first_feature_agrees(self, text: str, attributes: Any, values: dict[str, Any]) -> bool:
        """build_table picks each column's key from the first feature (a field may be named in another letter
        case there); the fast reader knows only exact names. Decode the first feature and make sure no field is
        named differently in it, and that it is the feature the reader saw first."""
        match = _FEATURES_KEY.search(text)
        if match is None:
            return False
        first, _ = _DECODER.raw_decode(text, match.end())
        sample = first.get("attributes") if isinstance(first, dict) else None
        if not isinstance(sample, dict):
            return not attributes[0].is_valid
        for key in sample:
            if key not in values and key.lower() in self.lowered:
                return False
        return all(array[0].as_py() == sample.get(name) for name, array in values.items())

    def _column(self, array: Any, field: Field) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        domain = self.domains.get(field.name)
        if domain is not None:
            codes, labels, integers = domain
            found = pc.index_in(array, value_set=codes)
            unknown = array.cast(pa.string()) if integers else array
            return pc.if_else(pc.is_valid(found), labels.take(found), unknown)
        kind = field.kind
        if kind == "datetime":
            return array.cast(pa.timestamp("ms", tz="UTC"))
        if kind == "date":
            return column(array.to_pylist(), field)
        return array


@dataclass
class _Slot:
    table: Any
    rows: int
    exceeded: bool
    ended: bool


ALL_ROWS = "1=1"


def _where(plan: _Plan, text: str | None) -> str:
    """The ArcGIS ``where`` clause for filter text (pdxtui's filter language); ``1=1`` for none. A filter that
    ArcGIS cannot run as a whole (say, on the latitude/longitude columns made from the geometry) is refused with
    a FilterError that says which part."""
    if not text or not text.strip():
        return ALL_ROWS
    from pdxtui.filters import FilterError, parse, server_part, to_arcgis

    node = parse(text, plan.fields)
    clause, exact = server_part(node, lambda n: to_arcgis(n, plan.fields))
    if not exact:
        try:
            to_arcgis(node, plan.fields)
        except FilterError as exc:
            raise FilterError(
                f"{plan.title or 'this layer'} cannot filter this on the server: {exc.message}", exc.position
            ) from None
    return clause or ALL_ROWS


# -- the portal ----------------------------------------------------------------------------------------------------


class ArcGISPortal(NetworkPortal[_Plan]):
    """An ArcGIS Hub site and the ArcGIS REST layers its datasets point at.

    ``fetcher`` is a :class:`pdxtui.net.Fetcher`, or a zero-argument callable that makes one on first use (so
    creating the portal stays cheap), or None for a default Fetcher without a cache. With ``close_fetcher`` the
    portal owns it: ``aclose()`` closes its client and its cache store. ``refresh`` skips fresh cache entries
    (a stale copy is still served when the portal cannot be reached).
    """

    kind = "arcgis"
    #: the layer sorts (orderByFields) and filters (where, from the filter language) the whole dataset itself
    capabilities = frozenset({"sort", "filter", "group", "near"})  # near: Query.near on point layers

    def __init__(
        self,
        spec: PortalSpec,
        fetcher: Fetcher | Callable[[], Fetcher] | None = None,
        *,
        refresh: bool = False,
        close_fetcher: bool = False,
    ) -> None:
        super().__init__(spec, fetcher, refresh=refresh, close_fetcher=close_fetcher)
        host = urlsplit(self.site).hostname or self.site
        self.portland = host.lower() == PORTLAND_HOST
        self.label = PORTLAND_LABEL if self.portland else f"ArcGIS Hub: {host}"
        self._categories: dict[str, str] = {}  # label -> the Hub's own spelling, for filters

    # -- Portal protocol -----------------------------------------------------------------------------------------

    @property
    def items_url(self) -> str:
        return f"{self.site}{SEARCH_API}/collections/dataset/items"

    async def search(self, request: SearchRequest) -> SearchResult:
        self._begin()
        wanted = max(0, request.limit)
        params: dict[str, Any] = {}
        text = request.text.strip()
        if text:
            params["q"] = text
        where = hub_filter(
            owner=request.owner,
            tags=request.tag,
            categories=self._category_value(request.category) if request.category else None,
        )
        if where:
            params["filter"] = where
        if not text:
            params["sortBy"] = NEWEST_FIRST
        params["limit"] = min(HUB_MAX_LIMIT, wanted)
        params["startindex"] = max(0, request.offset) + 1
        records, total = await self._records(params, wanted)
        return SearchResult(hits=tuple(self._summary(r) for r in records), total=total)

    async def facets(self) -> Facets:
        """Owner, category and tag counts over the newest ``FACET_RECORDS`` catalog records.

        portals.md documents no aggregation endpoint, so facets are counted from the search pages themselves
        (the first of them is the same request as the catalog's first page, so it usually comes from the cache).
        """
        self._begin()
        params = {"sortBy": NEWEST_FIRST, "limit": HUB_MAX_LIMIT, "startindex": 1}
        records, _ = await self._records(params, FACET_RECORDS)
        owners: Counter[str] = Counter()
        categories: Counter[str] = Counter()
        tags: Counter[str] = Counter()
        for record in records:
            props = record.get("properties") or {}
            if isinstance(props.get("owner"), str) and props["owner"]:
                owners[props["owner"]] += 1
            categories.update({self._category(c) for c in _strings(props.get("categories"))})
            tags.update(set(_strings(props.get("tags"))))
        return Facets(owners=ranked(owners), categories=ranked(categories), tags=ranked(tags))

    async def dataset(self, dataset_id: str) -> Dataset:
        self._begin()
        ident = (dataset_id or "").strip()
        if not ident:
            raise NotFound("no dataset id given")
        feature = await self._record(ident)
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        ident = as_text(feature.get("id") or props.get("id") or ident)
        title = as_text(props.get("title") or props.get("name")) or ident
        layer = layer_url_for(props.get("url"), ident)
        info: dict[str, Any] = {}
        rows: int | None = None
        if layer:
            info, rows = await both(self._layer_info(layer, title), count_or_none(self._count(layer, title)))
        return self._build(ident, title, props, layer, info, rows)

    async def count(self, dataset: Dataset, query: Query) -> int:
        self._begin()
        plan = await self._plan(dataset)
        self._check_query(plan, query)
        where = _where(plan, query.where)
        near = _near_params(plan, query.near)
        if dataset.rows is not None and where == ALL_ROWS and not near:
            return dataset.rows
        return await self._count(plan.url, plan.title, where, near)

    async def group_counts(
        self, dataset: Dataset, column: str, query: Query | None = None
    ) -> tuple[list[tuple[Any, int]], int]:
        """How many rows hold each value of ``column`` over the whole dataset (narrowed by the query's filter), by
        the layer's own group-by (``outStatistics`` with ``groupByFieldsForStatistics``). Returns (value, count)
        pairs, most frequent first (a None value counts the rows with no value), and the number of rows counted.
        Coded values come back as their labels and dates as datetimes, as in the rows."""
        self._begin()
        plan = await self._plan(dataset)
        field = next((f for f in plan.fields if f.name == column), None)
        if field is None or column not in plan.attributes:
            raise PdxError(f"{plan.title} cannot count the values of {column!r} on the server")
        where = _where(plan, query.where if query else None)
        counted = plan.oid or column
        params = {
            "where": where,
            **_near_params(plan, query.near if query else None),
            "outStatistics": json.dumps(
                [{"statisticType": "count", "onStatisticField": counted, "outStatisticFieldName": "pdxtui_n"}]
            ),
            "groupByFieldsForStatistics": column,
            "orderByFields": "pdxtui_n DESC",
            "returnGeometry": "false",
            "f": "json",
        }
        with _doing(f"counting the values of {column} in {plan.title or plan.url}"):
            data = await self._get(
                f"{plan.url}/query", params, "metadata", _check_rows(plan.title, plan.url, self.name)
            )
        labels = dict(field.domain)
        pairs: list[tuple[Any, int]] = []
        for feature in data.get("features") or []:
            attributes = feature.get("attributes") or {}
            lowered = {str(k).lower(): v for k, v in attributes.items()}
            value = attributes.get(column, lowered.get(column.lower()))
            count = attributes.get("pdxtui_n", lowered.get("pdxtui_n"))
            if not isinstance(count, int):
                continue
            if value is not None and labels:
                value = labels.get(value, value)
            elif value is not None and field.kind in ("datetime", "date"):
                value = epoch_ms(value)
            pairs.append((value, count))
        total = sum(count for _, count in pairs)
        return pairs, total

    async def pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None = None
    ) -> AsyncIterator[Page]:
        """Yield the selected rows page by page, in order, with no gaps and no duplicates.

        Pages hold at most maxRecordCount rows. Once the row count is known they are fetched concurrently
        (bounded by the fetcher's per-host limit) and yielded in order. ``Page.offset`` is the position of the
        page's first row, ``Page.total`` the number of matching rows; ``Progress.total`` the number of rows this
        call delivers. An empty selection yields one empty page, so callers always see the columns. If the
        consumer stops early or is cancelled, outstanding requests are cancelled too.
        """
        self._begin()
        plan = await self._plan(dataset)
        self._check_query(plan, query)
        fields = self._selected(plan, query)
        where = _where(plan, query.where)
        near = _near_params(plan, query.near)
        total = (dataset.rows if dataset.rows is not None else plan.rows) if where == ALL_ROWS and not near else None
        if total is None:
            total = await self._count(plan.url, plan.title, where, near)
        start = query.offset
        stop = total if query.limit is None else min(total, start + query.limit)
        planned = max(0, stop - start)
        base = self._query_params(plan, query, fields)
        size = plan.page_rows
        if not plan.paging and (start > 0 or planned > size):
            raise PdxError(
                f"{plan.title} cannot be read page by page (the server does not support pagination); "
                f"only its first {size:,} rows can be fetched"
            )
        slots = [(offset, min(size, stop - offset)) for offset in range(start, stop, size)]
        reader = _FastRows(fields, plan.lat, plan.lon)
        window = self.window
        tasks: dict[int, asyncio.Task[_Slot]] = {}
        delivered = pages = 0
        last: _Slot | None = None
        try:
            index = scheduled = 0
            ended = False
            while index < len(slots) and not ended:
                while scheduled < len(slots) and scheduled < index + window:
                    offset, count = slots[scheduled]
                    tasks[scheduled] = asyncio.ensure_future(self._slot(plan, base, fields, offset, count, reader))
                    scheduled += 1
                last = await tasks[index]
                del tasks[index]
                offset = slots[index][0]
                index += 1
                ended = last.ended
                if last.rows:
                    delivered += last.rows
                    pages += 1
                    if progress is not None:
                        progress(Progress(rows=delivered, total=planned, pages=pages))
                    yield Page(table=last.table, offset=offset, total=total)
            # The count may be out of date: keep going while the server says there is more.
            more = last is not None and last.exceeded and not ended
            while more and (query.limit is None or delivered < query.limit):
                offset = start + delivered
                count = size if query.limit is None else min(size, query.limit - delivered)
                last = await self._slot(plan, base, fields, offset, count, reader)
                if last.rows:
                    delivered += last.rows
                    pages += 1
                    if progress is not None:
                        progress(Progress(rows=delivered, total=None, pages=pages))
                    yield Page(table=last.table, offset=offset, total=None)
                more = last.exceeded and not last.ended and last.rows > 0
            if pages == 0:
                if progress is not None:
                    progress(Progress(rows=0, total=0, pages=1))
                yield Page(table=empty_table(fields), offset=start, total=total)
        finally:
            pending = [task for task in tasks.values() if not task.done()]
            for task in pending:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks.values(), return_exceptions=True)

    # -- requests ----------------------------------------------------------------------------------------------

    async def _records(self, params: dict[str, Any], wanted: int) -> tuple[list[dict[str, Any]], int | None]:
        """Search records, following ``next`` links until ``wanted`` are in hand or the results run out."""
        url: str = self.items_url
        query: dict[str, Any] | None = params
        records: list[dict[str, Any]] = []
        total: int | None = None
        seen: set[str] = set()
        for _ in range(MAX_SEARCH_PAGES):
            data = await self._get(url, query, "catalog", _check_collection)
            matched = data.get("numberMatched")
            if isinstance(matched, int) and not isinstance(matched, bool):
                total = matched
            features = [f for f in data.get("features") or () if isinstance(f, dict)]
            records.extend(features[: max(0, wanted - len(records))])
            if len(records) >= wanted or not features:
                break
            href = _next_link(data)
            if not href:
                break
            url, query = urljoin(url, href), None
            if url in seen:
                break
            seen.add(url)
        return records, total

    async def _record(self, ident: str) -> dict[str, Any]:
        url = f"{self.items_url}/{quote(ident, safe='')}"
        try:
            return await self._get(url, None, "metadata", _check_record)
        except PortalError as exc:
            if getattr(exc, "status", None) in (404, 410):
                raise NotFound(f"no dataset with id {ident!r} on {self.label}") from None
            raise

    async def _layer_info(self, url: str, title: str) -> dict[str, Any]:
        with _doing(f"reading the layer metadata of {title or url}"):
            return await self._get(url, {"f": "json"}, "metadata", _check_layer(title, url, self.name))

    async def _count(self, url: str, title: str, where: str = "1=1", near: dict[str, str] | None = None) -> int:
        params = {"where": where, **(near or {}), "returnCountOnly": "true", "f": "json"}
        with _doing(f"counting the rows of {title or url}"):
            data = await self._get(f"{url}/query", params, "metadata", _check_count(title, url, self.name))
        return int(data["count"])

    async def _slot(
        self,
        plan: _Plan,
        base: dict[str, Any],
        fields: tuple[Field, ...],
        offset: int,
        count: int,
        reader: _FastRows | None = None,
    ) -> _Slot:
        """``count`` rows from ``offset``, in as many requests as the server needs (it may send fewer than asked
        and set exceededTransferLimit). ``ended``: the data ran out before ``count`` rows."""
        tables = []
        got = 0
        exceeded = ended = False
        check = _check_rows(plan.title, plan.url, self.name)
        reader = reader or _FastRows(fields, plan.lat, plan.lon)
        while got < count:
            ask = count - got
            params = dict(base)
            if plan.paging:
                params["resultOffset"] = offset + got
            params["resultRecordCount"] = ask
            first, last = offset + got + 1, offset + count
            with _doing(f"reading rows {first:,}-{last:,} of {plan.title or plan.url}"):
                page = await self._get_rows(f"{plan.url}/query", params, check, reader, ask)
            exceeded = page.exceeded
            if page.table is not None:
                tables.append(page.table)
            got += page.rows
            if not page.rows or (page.rows < ask and not exceeded) or not plan.paging:
                ended = page.rows < ask
                break
        if not tables:
            table = empty_table(fields)
        elif len(tables) == 1:
            table = tables[0]
        else:
            import pyarrow as pa

            table = pa.concat_tables(tables)
        return _Slot(table=table, rows=got, exceeded=exceeded, ended=ended)

    async def _get_rows(
        self, url: str, params: dict[str, Any], check: Callable[[Any], None], reader: _FastRows, ask: int
    ) -> _Rows:
        """One rows query, parsed once, off the event loop (so the next requests go out meanwhile), before the
        body is cached: the fast reader when it can vouch for the result, else json.loads + ``check`` +
        build_table. A body that fails to parse raises and is never cached."""
        fetcher = self.fetcher

        def parse(body: bytes, content_type: str) -> _Rows:
            fast = reader.read(body, content_type, ask)
            if fast is not None:
                return fast
            data = fetcher.parse_json(url, body, content_type)
            check(data)
            return rows_from_json(data, reader.fields, reader.lat, reader.lon, ask)

        _, rows = await fetcher.get_parsed(url, params, parse, kind="rows", refresh=self.refresh, offload=True)
        self._note(fetcher.state)
        return rows

    # -- metadata --------------------------------------------------------------------------------------------

    def _build(
        self, ident: str, title: str, props: dict[str, Any], layer: str, info: dict[str, Any], rows: int | None
    ) -> Dataset:
        description = html_to_text(as_text(props.get("description")) or as_text(info.get("description")))
        description, frequency = pull_update_frequency(description)
        description, metadata = pull_metadata_link(description)
        fields, oid, lat, lon = _fields(info) if info else ((), None, None, None)
        max_records = info.get("maxRecordCount")
        max_records = max_records if isinstance(max_records, int) and max_records > 0 else None
        page_url = f"{self.site}/datasets/{ident}"
        links = [Link("PortlandMaps Open Data page" if self.portland else "ArcGIS Hub page", page_url)]
        if layer:
            links.append(Link("ArcGIS REST layer", layer))
        if metadata:
            links.append(Link("Metadata", metadata))
        capabilities = info.get("advancedQueryCapabilities")
        paging = not (isinstance(capabilities, dict) and capabilities.get("supportsPagination") is False)
        if layer and fields:
            self._remember(
                ident,
                _Plan(
                    url=layer,
                    title=title,
                    fields=fields,
                    attributes=frozenset(f.name for f in fields if f.name not in (lat, lon) and f.type not in SHAPES),
                    oid=oid,
                    lat=lat,
                    lon=lon,
                    page_rows=max_records or DEFAULT_PAGE_ROWS,
                    paging=paging,
                    rows=rows,
                ),
            )
        for raw in _strings(props.get("categories")):
            self._category(raw)
        return Dataset(
            id=ident,
            title=title,
            owner=as_text(props.get("owner")),
            description=description,
            licence=html_to_text(as_text(props.get("licenseInfo"))),
            update_frequency=frequency,
            updated=epoch_ms(props.get("modified")),
            created=epoch_ms(props.get("created")),
            rows=rows,
            fields=fields,
            links=tuple(links),
            api_url=f"{layer}/query" if layer and fields else "",
            page_url=page_url,
            categories=tuple(self._category(c) for c in _strings(props.get("categories"))),
            tags=_strings(props.get("tags")),
            geometry_type=as_text(info.get("geometryType")),
            sample=False,
        )

    def _summary(self, record: dict[str, Any]) -> DatasetSummary:
        props = record.get("properties") if isinstance(record.get("properties"), dict) else {}
        ident = as_text(record.get("id") or props.get("id"))
        return DatasetSummary(
            id=ident,
            title=as_text(props.get("title") or props.get("name")) or ident,
            owner=as_text(props.get("owner")),
            updated=epoch_ms(props.get("modified")),
            rows=None,
            type=as_text(props.get("type")),
            snippet=html_to_text(as_text(props.get("snippet"))),
            categories=tuple(self._category(c) for c in _strings(props.get("categories"))),
            tags=_strings(props.get("tags")),
        )

    def _category(self, raw: str) -> str:
        label = category_label(raw)
        self._categories.setdefault(label.casefold(), raw)
        return label

    def _category_value(self, label: str) -> str:
        """The Hub's own spelling of a category label (``Environment`` -> ``/Categories/Environment``)."""
        known = self._categories.get(label.strip().casefold())
        if known:
            return known
        return label if label.startswith("/") else f"/Categories/{label.strip()}"

    async def _plan(self, dataset: Dataset) -> _Plan:
        plan = self._plans.get(dataset.id)
        if plan is None:
            await self.dataset(dataset.id)
            plan = self._plans.get(dataset.id)
        if plan is None:
            raise PdxError(f"{dataset.title or dataset.id} has no table of rows to show (it is not a map layer)")
        return plan

    def query_url(self, dataset: Dataset, query: Query) -> str:
        """The layer's ``query`` URL for ``query`` (filter, distance, columns and order), for copying into other
        tools. Without the layer's plan (not opened in this session) it is the bare layer query for all rows."""
        from urllib.parse import urlencode

        plan = self._plans.get(dataset.id)
        if plan is None:
            return (
                f"{dataset.api_url}?{urlencode({'where': ALL_ROWS, 'outFields': '*', 'f': 'json'})}"
                if dataset.api_url
                else ""
            )
        params = self._query_params(plan, query, self._selected(plan, query))
        return f"{plan.url.rstrip('/')}/query?{urlencode(params)}"

    # -- rows queries ----------------------------------------------------------------------------------------

    @staticmethod
    def _check_query(plan: _Plan, query: Query) -> None:
        if query.where is not None:
            _where(plan, query.where)  # a filter that cannot be sent raises FilterError, before any request
        _near_params(plan, query.near)  # a distance filter on a layer without points: PdxError
        check_columns(query, plan.fields, plan.title)
        for name, _ in query.order:
            if name not in plan.attributes:
                raise PdxError(f"cannot sort by {name!r}: it comes from the geometry, not from the layer's fields")

    @staticmethod
    def _query_params(plan: _Plan, query: Query, fields: tuple[Field, ...]) -> dict[str, Any]:
        attributes = [f.name for f in fields if f.name in plan.attributes]
        geometry = any(f.name in (plan.lat, plan.lon) or f.type in SHAPES for f in fields)
        if not query.columns:
            out_fields = "*"
        else:
            out_fields = ",".join(attributes) or plan.oid or next(iter(sorted(plan.attributes)), "*")
        order = [f"{name} {'DESC' if descending else 'ASC'}" for name, descending in query.order]
        tie_breaker = plan.oid or next((f.name for f in plan.fields if f.name in plan.attributes), None)
        if tie_breaker and tie_breaker not in [name for name, _ in query.order]:
            order.append(f"{tie_breaker} ASC")
        params: dict[str, Any] = {
            "where": _where(plan, query.where),
            **_near_params(plan, query.near),
            "outFields": out_fields,
            "orderByFields": ",".join(order),
            "returnGeometry": "true" if geometry else "false",
        }
        if geometry:
            params["outSR"] = "4326"
        params["f"] = "json"
        return params

    # -- fetch state -------------------------------------------------------------------------------------------


def _near_params(plan: _Plan, near: tuple[float, float, float] | None) -> dict[str, str]:
    """The spatial filter for ``Query.near`` = (lat, lon, metres): rows within that distance of the point."""
    if near is None:
        return {}
    if not plan.lat or not plan.lon:
        raise PdxError(f"{plan.title or plan.url} has no point locations, so it cannot be filtered by distance")
    lat, lon, metres = near
    return {
        "geometry": f"{lon:.7f},{lat:.7f}",
        "geometryType": "esriGeometryPoint",
        "inSR": "4326",
        "spatialRel": "esriSpatialRelIntersects",
        "distance": f"{metres:g}",
        "units": "esriSRUnit_Meter",
    }


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


# -- helpers -------------------------------------------------------------------------------------------------------


def _doing(doing: str) -> context:
    """Prefix network and format errors with what was being done (ArcGIS errors already say so)."""
    return context(doing, keep=(LayerError,))
