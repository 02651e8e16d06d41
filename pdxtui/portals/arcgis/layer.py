"""The layer behind a dataset: its plan (the columns pages() yields, from the layer's metadata) and the ``where``
and distance parameters of its queries, and the whole ``query`` parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pdxtui.errors import PdxError
from pdxtui.model import Field, Query, as_text
from pdxtui.portals.arcgis.hub import DOUBLE, GEOMETRY, OID, POINT, SHAPES, UNSHOWN_TYPES
from pdxtui.portals.network import check_columns
from pdxtui.portals.snapshot import ESRI_KINDS

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
    paging: bool  # resultOffset paging (else object id batches: pdxtui.portals.arcgis.paging)
    rows: int | None
    order_by: bool = True  # the server honours orderByFields (else a sort is done on the rows read)

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


_FROM_POINTS = "of the point geometry (outSR=4326)"


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
    coords: tuple[Field, ...] = (
        Field(lat or "", DOUBLE, "float", "Latitude", f"WGS 84 latitude {_FROM_POINTS}", derived=True),
        Field(lon or "", DOUBLE, "float", "Longitude", f"WGS 84 longitude {_FROM_POINTS}", derived=True),
    )
    geometry = info.get("geometryType")
    shape_type = geometry if isinstance(geometry, str) and geometry in SHAPES else None
    if shape_type:  # polygons and lines: one column of GeoJSON outlines (drawn on the map)
        name = "geometry" if "geometry" not in taken else "shape_geometry"
        coords = (
            Field(
                name,
                shape_type,
                "string",
                "Geometry",
                "GeoJSON geometry in WGS 84 (outSR=4326), from the layer's shapes",
                derived=True,
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
            oid = f["name"]  # the first field typed as the object id (FID, OBJECTID_1 on old servers)
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
    named = info.get("objectIdField")  # the layer's own word wins (10.x servers may not send it)
    if isinstance(named, str) and named.strip():
        oid = next((x.name for x in out if x.name == named), None) or next(
            (x.name for x in out if x.name.lower() == named.strip().lower()), oid
        )
    return tuple(out), oid, lat, lon


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
    if not exact and node is not None:  # (a filter that is not exact is never empty)
        try:
            to_arcgis(node, plan.fields)
        except FilterError as exc:
            raise FilterError(
                f"{plan.title or 'this layer'} cannot filter this on the server: {exc.message}", exc.position
            ) from None
    return clause or ALL_ROWS


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


# -- the query parameters ----------------------------------------------------------------------------------------


def check_query(plan: _Plan, query: Query) -> None:
    """Raise before any request when ``query`` cannot be sent to the layer."""
    if query.where is not None:
        _where(plan, query.where)  # a filter that cannot be sent raises FilterError, before any request
    _near_params(plan, query.near)  # a distance filter on a layer without points: PdxError
    check_columns(query, plan.fields, plan.title)
    for name, _ in query.order:
        if name not in plan.attributes:
            raise PdxError(f"cannot sort by {name!r}: it comes from the geometry, not from the layer's fields")


def query_params(plan: _Plan, query: Query, fields: tuple[Field, ...]) -> dict[str, Any]:
    """The ``query`` parameters that read ``fields`` of the rows ``query`` selects, in its order."""
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
    if not plan.order_by:  # an old server: it would ignore (or refuse) it; pages() sorts the rows it read
        del params["orderByFields"]
    if geometry:
        params["outSR"] = "4326"
    params["f"] = "json"
    return params
