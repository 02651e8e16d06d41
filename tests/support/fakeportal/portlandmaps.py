"""The fake PortlandMaps API (address suggestions and property details), mountable on FakeServer.

    app = PortlandMapsApp(key="test-key")
    app.mount(server)                       # {server.url}/portlandmaps/api/suggest/ and /api/detail/
    base = server.url + "/portlandmaps"     # what PDXTUI_PORTLANDMAPS_URL points at

It follows the shapes in /work/shared/portals.md:

* ``/api/suggest/?query&count&page`` -> ``{"status": "success", "spatialReference": {"wkid": 102100},
  "candidates": [{"address", "attributes": {..., "lat", "lon", "zip_code", "city", "property_id"},
  "location": {"x", "y"}}], "total": N}``: ``location`` is Web Mercator, ``attributes`` carry WGS 84. A query
  matches an address when each of its words starts a word of the address (any case). ``count`` is at most 1000.
  **Quirk:** when exactly one candidate matches, its address carries ", PORTLAND".
* ``/api/detail/?detail_type=property|assessor|zoning|permit&detail_id&sections=*`` -> ``{"status": "success",
  ...sections}``: dicts of values, lists of records (assessments, permits). The real sections are not
  documented in portals.md; these are modelled loosely on the public PortlandMaps pages.
* Every call needs ``api_key``; a missing or wrong key, an unknown id, a missing parameter or a bad
  ``detail_type`` answer HTTP 200 with ``{"status": "error", "error": "..."}``.
* ``throttle(count, reset_in, style)``: the next ``count`` calls answer 429 with ``X-Rate-Limit-Reset`` (epoch
  seconds by default; ``style="seconds"`` gives a delay, ``"ms"`` epoch milliseconds).
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

Query = dict[str, list[str]]
Response = tuple[int, dict[str, str], bytes]

JSON_TYPE = "application/json; charset=utf-8"
TEST_KEY = "pm-test-key-7f3a9c"
MAX_COUNT = 1000
DEFAULT_COUNT = 10


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    x = lon * 20037508.34 / 180.0
    y = math.log(math.tan((90.0 + lat) * math.pi / 360.0)) / (math.pi / 180.0) * 20037508.34 / 180.0
    return round(x, 2), round(y, 2)


#: (number, street, property id, lat, lon, zip, neighbourhood): a few real-looking downtown addresses, then a run of
#: numbers on SW 5th Ave and NE Alberta St for paging (deterministic, not the City's data)
_FIXED = [
    (1120, "SW 5TH AVE", "R246993", 45.51494, -122.67919, "97204", "DOWNTOWN", "The Portland Building"),
    (1221, "SW 4TH AVE", "R247005", 45.51487, -122.67857, "97204", "DOWNTOWN", "Portland City Hall"),
    (1900, "SW 4TH AVE", "R247110", 45.50990, -122.68135, "97201", "DOWNTOWN", "Portland State University"),
    (1945, "SE WATER AVE", "R150001", 45.50846, -122.66557, "97214", "HOSFORD-ABERNETHY", "OMSI"),
    (4001, "SW CANYON RD", "R331020", 45.51038, -122.71656, "97221", "ARLINGTON HEIGHTS", "Oregon Zoo"),
]


def _addresses() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, street, pid, lat, lon, zip_code, hood, name in _FIXED:
        out.append(dict(number=number, street=street, id=pid, lat=lat, lon=lon, zip=zip_code, hood=hood, name=name))
    for i in range(24):  # SW 5TH AVE 1000..1460, skipping 1120 (above)
        number = 1000 + 20 * i
        if number == 1120:
            continue
        out.append(
            dict(
                number=number,
                street="SW 5TH AVE",
                id=f"R24{7200 + i}",
                lat=round(45.5162 - 0.0001 * i, 5),
                lon=round(-122.6780 - 0.0001 * i, 5),
                zip="97204",
                hood="DOWNTOWN",
                name="",
            )
        )
    for i in range(30):  # NE ALBERTA ST 1000..3900
        out.append(
            dict(
                number=1000 + 100 * i,
                street="NE ALBERTA ST",
                id=f"R31{5000 + i}",
                lat=45.55902,
                lon=round(-122.6560 + 0.0013 * i, 5),
                zip="97211",
                hood="KING",
                name="",
            )
        )
    return out


ADDRESSES = _addresses()
BY_ID = {a["id"]: a for a in ADDRESSES}


def _label(a: dict[str, Any]) -> str:
    return f"{a['number']} {a['street']}"


def _candidate(a: dict[str, Any]) -> dict[str, Any]:
    x, y = _mercator(a["lon"], a["lat"])
    return {
        "address": _label(a),
        "attributes": {
            "id": a["id"],
            "property_id": a["id"],
            "type": "address",
            "city": "PORTLAND",
            "jurisdiction": "PORTLAND",
            "state": "OREGON",
            "county": "MULTNOMAH",
            "zip_code": a["zip"],
            "neighborhood": a["hood"],
            "lat": a["lat"],
            "lon": a["lon"],
            "state_id": f"1S1E03BD  {a['number']}",
        },
        "location": {"x": x, "y": y},
        "extent": {"xmin": x - 10, "ymin": y - 10, "xmax": x + 10, "ymax": y + 10},
    }


def _matches(words: list[str], address: str) -> bool:
    parts = address.casefold().split()
    return all(any(p.startswith(w) for p in parts) for w in words)


def _permits(a: dict[str, Any]) -> list[dict[str, Any]]:
    seed = int(a["id"][1:])
    kinds = ["Commercial Alteration", "Residential Alteration", "Mechanical", "Electrical", "Plumbing", "Sign"]
    out = []
    for i in range(3 + seed % 5):
        year = 2012 + (seed + 3 * i) % 12
        out.append(
            {
                "permit": f"{year}-{(seed * 7 + i * 131) % 900000 + 100000:06d}-000-00-CO",
                "type": kinds[(seed + i) % len(kinds)],
                "work": ["Tenant improvement", "New HVAC unit", "Replace service panel", "Repipe", "Wall sign"][
                    (seed + i) % 5
                ],
                "status": "Final" if i else "Issued",
                "issued": f"{year}-{1 + (seed + i) % 12:02d}-{1 + (seed * 3 + i) % 28:02d}",
                "valuation": 5000 + (seed * 37 + i * 9173) % 250000,
            }
        )
    return out


def detail(kind: str, a: dict[str, Any]) -> dict[str, Any]:
    general = {
        "property_id": a["id"],
        "address": f"{_label(a)}, PORTLAND, OR {a['zip']}",
        "neighborhood": a["hood"],
        "state_id": f"1S1E03BD  {a['number']}",
        "lat": a["lat"],
        "lon": a["lon"],
    }
    if kind == "property":
        return {
            "status": "success",
            "detail_type": kind,
            "detail_id": a["id"],
            "general": general,
            "property": {
                "name": a["name"] or None,
                "zip_code": a["zip"],
                "jurisdiction": "PORTLAND",
                "county": "MULTNOMAH",
                "legal_description": f"PORTLAND, BLOCK {a['number'] // 10}, LOT 1-8",
            },
        }
    if kind == "assessor":
        owner = "CITY OF PORTLAND" if a["name"] else "[bold]ALBERTA[/bold] HOLDINGS LLC \x1b[31m"
        seed = int(a["id"][1:])
        return {
            "status": "success",
            "detail_type": kind,
            "detail_id": a["id"],
            "general": general,
            "owner": {"name": owner, "mailing_address": f"{_label(a)}, PORTLAND OR {a['zip']}"},
            "assessment": [
                {
                    "year": y,
                    "land": 100000 + seed % 50000 + 1000 * (y - 2020),
                    "building": 400000 + seed % 90000 + 5000 * (y - 2020),
                }
                for y in (2022, 2023, 2024)
            ],
            "tax_roll": "2024-25",
        }
    if kind == "zoning":
        return {
            "status": "success",
            "detail_type": kind,
            "detail_id": a["id"],
            "zoning": {
                "base": "CX" if a["hood"] == "DOWNTOWN" else "CM2",
                "overlay": ["d", "g"],
                "comprehensive_plan": "CX",
                "historic_district": None,
            },
        }
    return {"status": "success", "detail_type": kind, "detail_id": a["id"], "permits": _permits(a)}


class PortlandMapsApp:
    """The fake API. ``key``: the one valid ``api_key``."""

    def __init__(self, key: str = TEST_KEY, prefix: str = "/portlandmaps") -> None:
        self.key = key
        self.prefix = "/" + prefix.strip("/")
        self._lock = threading.Lock()
        self._throttled = 0
        self._reset_in = 1.0
        self._reset_style = "epoch"

    def mount(self, server: Any) -> None:
        server.mount(self.prefix, self, name="portlandmaps")

    def base_url(self, server: Any) -> str:
        return server.url + self.prefix

    def throttle(self, count: int = 1, reset_in: float = 1.0, style: str = "epoch") -> None:
        """The next ``count`` calls answer 429 with X-Rate-Limit-Reset ``reset_in`` seconds ahead."""
        if style not in ("epoch", "seconds", "ms"):
            raise ValueError("style is epoch, seconds or ms")
        with self._lock:
            self._throttled, self._reset_in, self._reset_style = count, reset_in, style

    def handle(self, method: str, path: str, query: Query, headers: Any) -> Response:
        params = {k: v[-1] for k, v in query.items()}
        with self._lock:
            throttled = self._throttled > 0
            if throttled:
                self._throttled -= 1
            reset_in, style = self._reset_in, self._reset_style
        if throttled:
            reset_at = time.time() + reset_in
            value = {"epoch": str(math.ceil(reset_at)), "ms": str(int(reset_at * 1000)), "seconds": f"{reset_in:g}"}[
                style
            ]
            body = {"status": "error", "error": "Too many requests: rate limit exceeded"}
            return (
                429,
                {
                    "Content-Type": JSON_TYPE,
                    "X-Rate-Limit-Limit": "200",
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": value,
                },
                json.dumps(body).encode(),
            )
        sub = path[len(self.prefix) :].rstrip("/") or "/"
        if sub not in ("/api/suggest", "/api/detail"):  # echoes the request, key and all, as some servers do
            from urllib.parse import urlencode

            target = f"{path}?{urlencode(params)}"
            return 404, {"Content-Type": "text/plain"}, f"No route matches {target}".encode()
        key = params.get("api_key")
        if not key:
            return self.error("API key is required")
        if key != self.key:
            return self.error("Invalid API key")
        if sub == "/api/suggest":
            return self.suggest(params)
        return self.detail(params)

    @staticmethod
    def error(message: str) -> Response:
        return 200, {"Content-Type": JSON_TYPE}, json.dumps({"status": "error", "error": message}).encode()

    @staticmethod
    def ok(data: dict[str, Any]) -> Response:
        return 200, {"Content-Type": JSON_TYPE}, json.dumps(data, ensure_ascii=False).encode()

    def suggest(self, params: dict[str, str]) -> Response:
        words = params.get("query", "").casefold().split()
        if not words:
            return self.error("query is required")
        try:
            count = int(params.get("count") or DEFAULT_COUNT)
            page = int(params.get("page") or 1)
        except ValueError:
            return self.error("count and page must be whole numbers")
        count = max(1, min(count, MAX_COUNT))
        page = max(1, page)
        found = [a for a in ADDRESSES if _matches(words, _label(a))]
        found.sort(key=lambda a: (a["street"], a["number"]))
        chosen = found[(page - 1) * count : page * count]
        candidates = [_candidate(a) for a in chosen]
        if len(found) == 1:  # the quirk: a lone candidate's address carries ", CITY"
            candidates[0]["address"] += ", PORTLAND"
        return self.ok(
            {
                "status": "success",
                "spatialReference": {"wkid": 102100, "latestWkid": 3857},
                "candidates": candidates,
                "total": len(found),
            }
        )

    def detail(self, params: dict[str, str]) -> Response:
        kind = params.get("detail_type", "")
        if kind not in ("property", "assessor", "zoning", "permit"):
            return self.error(f"Invalid detail_type: {kind}")
        ident = params.get("detail_id", "")
        if not ident:
            return self.error("detail_id is required")
        a = BY_ID.get(ident)
        if a is None:
            return self.error(f"No {kind} found for detail_id {ident}")
        return self.ok(detail(kind, a))
