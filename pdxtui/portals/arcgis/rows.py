"""Arrow tables from ArcGIS ``f=json`` query answers: the reference reader (``json.loads`` + :func:`build_table`)
and the fast one (:class:`_FastRows`, pyarrow's JSON reader, used only when it can vouch for the same result)."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from pdxtui.model import Field, as_dict, finite_float
from pdxtui.portals.arcgis.hub import SHAPES, _exceeded, epoch_ms

if TYPE_CHECKING:
    import pyarrow as pa


log = logging.getLogger(__name__)


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


#: the text dates of ArcGIS Server before 10.0: ``12/23/2005 12:00:00 AM``, ``12/23/2005``, ``1/2/2006 13:05``
_US_DATE = re.compile(
    r"\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*([AaPp][Mm])?)?\s*"
)


def text_moment(text: str) -> datetime | None:
    """A date sent as text, as an aware datetime: ``M/D/YYYY`` with or without ``h:mm[:ss] AM|PM`` (or a 24-hour
    time), as servers before 10.0 send them, or ISO text. A time without a zone is read as UTC, so the moment shows
    the wall-clock time the server wrote. None when the text is no such date."""
    match = _US_DATE.fullmatch(text)
    if match is None:
        moment = epoch_ms(text) if not _NUMBER.fullmatch(text) else None
        return moment if isinstance(moment, datetime) else None
    month, day, year, hour, minute, second, fraction, half = match.groups()
    hours = int(hour or 0)
    if half is not None:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            hours,
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        return None


_NUMBER = re.compile(r"\s*[-+]?\d+(?:\.\d*)?\s*")


def _to_ms(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) else None
    text = isinstance(value, str) and not _NUMBER.fullmatch(value)
    moment = text_moment(value) if text else epoch_ms(value)  # text: ISO or M/D/YYYY; else epoch ms
    return None if moment is None else int(moment.timestamp() * 1000)


def _to_date(value: Any) -> date | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            moment = text_moment(value)
            return None if moment is None else moment.date()
    moment = epoch_ms(value)
    return None if moment is None else moment.date()


def _lost(values: list[Any], read: list[Any]) -> bool:
    """Whether reading turned a value the server sent into null (blank text counts as no value)."""
    return any(r is None and v is not None and not (isinstance(v, str) and not v.strip()) for v, r in zip(values, read))


def _as_sent(values: list[Any]) -> Any:
    """A column of every value as the server sent it, as text: what a date column becomes when one of its values
    is no date (a value the server sent is never turned into null)."""
    import pyarrow as pa

    return pa.array([_to_str(v) for v in values], pa.string())


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
        if kind == "datetime":  # ISO text, or the text dates of servers before 10.0
            moments = [_to_ms(v) for v in values]
            if _lost(values, moments):
                return _as_sent(values)
            return pa.array(moments, pa.timestamp("ms", tz="UTC"))
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
        days = [_to_date(v) for v in values]
        return _as_sent(values) if _lost(values, days) else pa.array(days, pa.date32())
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

    try:
        values = [f["geometry"][axis] for f in features]
        array = pa.array(values, pa.float64())
    except (KeyError, TypeError, pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_coordinate(f, axis) for f in features], pa.float64())
    if any(v != v for v in values):  # NaN (the only value not equal to itself) is no coordinate: null
        array = pa.array([None if v != v else v for v in values], pa.float64())
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
    rows = [as_dict(f.get("attributes")) for f in features]
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
        shape: dict[str, Any] = (
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
        self.domains: dict[str, tuple[dict[Any, Any], bool]] = {}  # name -> (code -> label, codes are integers)
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
            self.domains[field.name] = (labels, kind == pa.int64())
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
        column = table.column("features")  # one chunk (the block holds the whole body); combine_chunks would
        listed = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()  # import pyarrow.compute
        if listed.null_count:
            return None  # no features list
        start, stop = listed.offsets[0].as_py(), listed.offsets[1].as_py()  # one row: its features
        features = listed.values.slice(start, stop - start)  # = listed.flatten(), which imports pyarrow.compute
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
                axis = geometry["y" if field.name == self.lat else "x"]
                if _has_nan(axis):  # pyarrow reads a NaN the reference reader makes null: that one reads this page
                    return None
                arrays.append(axis)
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

        domain = self.domains.get(field.name)
        if domain is not None:  # codes to labels here, not with pyarrow.compute (30 ms to import: a quick preview
            labels, integers = domain  # pays it for nothing else); a code without a label stays, as text
            return pa.array(
                [None if v is None else labels.get(v, str(v) if integers else v) for v in array.to_pylist()],
                pa.string(),
            )
        kind = field.kind
        if kind == "datetime":
            return array.cast(pa.timestamp("ms", tz="UTC"))
        if kind == "date":
            return column(array.to_pylist(), field)
        return array


def _has_nan(array: Any) -> bool:
    """Whether a float64 Arrow array holds a NaN (the only value not equal to itself; None equals None)."""
    return array.null_count < len(array) and any(v != v for v in array.to_pylist())


@dataclass
class _Slot:
    table: Any
    rows: int
    exceeded: bool
    ended: bool
