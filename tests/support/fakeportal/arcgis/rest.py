"""The REST half of the fake ArcGIS portal: MapServer services, layers, and the query endpoint."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from typing import Any

from .. import fixtures
from ..expressions import ParseError, compile_where
from ..fixtures import Dataset, Field
from ..fresh import ABSENT
from .common import (
    CURRENT_VERSION,
    EARTH_RADIUS_M,
    GEOJSON_TYPE,
    QUERY_CACHE_BYTES,
    STATISTIC_TYPES,
    UNSUPPORTED_QUERY_PARAMS,
    WEB_MERCATOR,
    WGS84,
    Query,
    QueryError,
    Response,
    arcgis_error,
    html_response,
    json_response,
    mercator,
)


class RestServices:
    """The MapServer REST methods of :class:`ArcGISApp` (a mixin: the prefixes, cache and data live on the app)."""

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
            "currentVersion": next((d.current_version for d in layers if d.current_version), CURRENT_VERSION),
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
                if ds.geometry_type
            ],
            "tables": [  # no geometry: a table (queried the same way)
                {"id": ds.layer_id, "name": ds.title, "type": "Table"}
                for ds in sorted(layers, key=lambda d: d.layer_id)
                if not ds.geometry_type
            ],
            "spatialReference": WEB_MERCATOR,
            "initialExtent": extent,
            "fullExtent": extent,
            "units": "esriMeters",
            "supportedQueryFormats": "JSON, geoJSON, PBF",
            "maxRecordCount": 2000,
            "capabilities": "Map,Query,Data",
        }

    def layer_info(self, ds: Dataset) -> dict:
        info = self._layer_info(ds)
        editing = self.editing_info.get(ds.key, ds.editing_info)
        if editing is not None and editing is not ABSENT:
            info["editingInfo"] = editing
        if not ds.geometry_type:  # a table: no geometry, no extent
            info["type"] = "Table"
            for key in ("geometryType", "geometryField", "extent", "sourceSpatialReference"):
                info.pop(key, None)
        if ds.current_version is not None:
            info = old_layer_info(info, ds.current_version)
        return info

    def _layer_info(self, ds: Dataset) -> dict:
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
        if ds.current_version is not None and ds.current_version < 10.3:  # no pagination: these are ignored
            offset, count = 0, ds.max_record_count
            params = {k: v for k, v in params.items() if k != "orderbyfields"}
        elif ds.ignores_offset:  # a lying server: claims supportsPagination, always answers the first page
            offset = 0
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
            matched = [i for i in matched if ds.rows[i][ds.object_id_field] in object_ids]
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
                {"objectIdFieldName": ds.object_id_field, "objectIds": [rows[i][ds.object_id_field] for i in matched]},
                pretty=pretty,
            )

        page = matched[offset : offset + count]
        geometries = ds.geometries if with_geometry else None
        all_fields = len(names) == len(ds.attribute_fields)
        records = [
            (
                rows[i][ds.object_id_field],
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


def old_layer_info(info: dict, version: float) -> dict:
    """A layer's JSON as an older server writes it: its own ``currentVersion``; before 10.3 no
    ``advancedQueryCapabilities`` (no pagination, no orderBy), which 10.3 introduced."""
    info = dict(info, currentVersion=version)
    if version < 10.1:  # editingInfo came later
        info.pop("editingInfo", None)
    if version < 10.3:
        for key in ("advancedQueryCapabilities", "supportsAdvancedQueries", "useStandardizedQueries"):
            info.pop(key, None)
    return info


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
