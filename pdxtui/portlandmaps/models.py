"""What the PortlandMaps API answers, as model objects: address candidates, suggestion pages, and property
details in sections."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pdxtui.model import as_dict, finite_float
from pdxtui.textsafe import clean, one_line

# -- what the API answers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One address suggestion. ``id`` is what ``detail()`` takes (the property id when there is one)."""

    address: str
    city: str = ""
    zip_code: str = ""
    lat: float | None = None
    lon: float | None = None
    id: str = ""
    type: str = ""
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        where = ", ".join(p for p in (self.city, self.zip_code) if p)
        return f"{self.address}, {where}" if where else self.address

    def as_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "city": self.city,
            "zip_code": self.zip_code,
            "lat": self.lat,
            "lon": self.lon,
            "id": self.id,
            "type": self.type,
            "attributes": self.attributes,
        }


@dataclass(frozen=True)
class SuggestPage:
    candidates: tuple[Candidate, ...]
    page: int
    count: int
    total: int | None = None

    @property
    def more(self) -> bool:
        """Another page may follow (this one is full)."""
        if self.total is not None:
            return self.page * self.count < self.total
        return len(self.candidates) >= self.count


@dataclass(frozen=True)
class Section:
    """One part of a detail answer: key-value ``pairs`` or, for lists of records, ``rows`` (and ``columns``)."""

    name: str
    pairs: tuple[tuple[str, str], ...] = ()
    rows: tuple[dict[str, Any], ...] = ()
    columns: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").strip().capitalize() or "Details"

    @property
    def is_table(self) -> bool:
        return bool(self.columns)


@dataclass(frozen=True)
class Detail:
    detail_type: str
    detail_id: str
    sections: tuple[Section, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def tables(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.is_table)


_META_KEYS = frozenset({"status", "detail_type", "detail_id", "sections", "spatialReference", "api_key"})
_CITY = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")


def _text(value: Any) -> str:
    return "" if value is None else one_line(value, 500)


def _from_mercator(x: float, y: float) -> tuple[float, float]:
    lon = x / 6378137.0 * 180.0 / math.pi
    lat = (2.0 * math.atan(math.exp(y / 6378137.0)) - math.pi / 2.0) * 180.0 / math.pi
    return lat, lon


def candidate(raw: Any, *, single: bool = False) -> Candidate | None:
    """A Candidate from one entry of ``candidates`` (None when it has no address)."""
    if not isinstance(raw, dict):
        return None
    attributes = as_dict(raw.get("attributes"))
    location = as_dict(raw.get("location"))
    address = _text(raw.get("address"))
    if not address:
        return None
    city = _text(attributes.get("city") or attributes.get("jurisdiction"))
    head, comma, tail = address.rpartition(",")
    tail = tail.strip()
    # the quirk: a lone candidate's address ends in ", CITY"
    if comma and tail and _CITY.match(tail) and (single or tail.casefold() == city.casefold()):
        address = head.strip()
        city = city or tail
    lat, lon = finite_float(attributes.get("lat")), finite_float(attributes.get("lon"))
    x, y = finite_float(location.get("x")), finite_float(location.get("y"))
    if (lat is None or lon is None) and x is not None and y is not None:
        lat, lon = (y, x) if abs(x) <= 180 and abs(y) <= 90 else _from_mercator(x, y)
    ident = _text(attributes.get("property_id") or attributes.get("id") or attributes.get("state_id"))
    return Candidate(
        address=address,
        city=city,
        zip_code=_text(attributes.get("zip_code") or attributes.get("zip")),
        lat=lat,
        lon=lon,
        id=ident,
        type=_text(attributes.get("type")),
        attributes=dict(attributes),
    )


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return clean(value, max_len=2000)


def _pairs(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.extend(_pairs(value, f"{name}."))
        else:
            out.append((clean(name, max_len=200), _value(value)))
    return out


def sections_of(data: dict[str, Any]) -> tuple[Section, ...]:
    """The parts of a detail answer: dicts as key-value pairs, lists of records as rows, loose values together
    in a "summary" section first."""
    summary: list[tuple[str, str]] = []
    out: list[Section] = []
    for key, value in data.items():
        if key in _META_KEYS:
            continue
        name = clean(str(key), max_len=200)
        if isinstance(value, dict):
            out.append(Section(name, pairs=tuple(_pairs(value))))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns: dict[str, None] = {}
            for row in value:
                columns.update(dict.fromkeys(clean(str(k), max_len=200) for k in row))
            rows = tuple({clean(str(k), max_len=200): _cell(v) for k, v in row.items()} for row in value)
            out.append(Section(name, rows=rows, columns=tuple(columns)))
        elif isinstance(value, list) and not value:
            out.append(Section(name, pairs=()))
        else:
            summary.append((name, _value(value)))
    if summary:
        out.insert(0, Section("summary", pairs=tuple(summary)))
    return tuple(out)


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return _value(value)
    if isinstance(value, str):
        return clean(value, max_len=2000)
    return value


def error_message(data: Any) -> str | None:
    """The message of a ``status: "error"`` body (None for anything else)."""
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if str(data.get("status", "")).lower() != "error":
        if (
            isinstance(err, dict) and "candidates" not in data
        ):  # an error object without the status (a proxy, a gateway)
            return one_line(str(err.get("message") or err.get("error") or "the API answered with an error"), 300)
        return None
    if isinstance(err, dict):
        err = err.get("message") or err.get("error")
    message = err or data.get("message") or data.get("error_message") or "the API answered with an error"
    return one_line(str(message), 300)
