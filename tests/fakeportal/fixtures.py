"""Deterministic fixture datasets for the fake ArcGIS portal.

Every row is generated in code from a fixed seed, so each run on each machine sees the same data. Rows are built
lazily, once per dataset, on first use (the 100,000-row benchmark layer takes a fraction of a second), and are
then shared read-only by every request: never mutate ``Dataset.rows``.

``DATASETS`` maps a short key to a :class:`Dataset`; tests use it to compute expected values::

    from tests.fakeportal.fixtures import DATASETS
    permits = DATASETS["permits"]
    permits.row_count, permits.max_record_count, permits.path   # 1234, 150, "/arcgis/rest/services/..."
    sum(1 for r in permits.rows if r["WORK_DESC"] == "Demolition of garage")

``CATALOG`` is what the Hub search serves: one item per dataset plus a few items that are not layers.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import itertools
import math
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# --- field types (the names ArcGIS uses) ------------------------------------------------------------------------

OID = "esriFieldTypeOID"
STRING = "esriFieldTypeString"
INTEGER = "esriFieldTypeInteger"
SMALLINT = "esriFieldTypeSmallInteger"
DOUBLE = "esriFieldTypeDouble"
SINGLE = "esriFieldTypeSingle"
DATE = "esriFieldTypeDate"
GEOMETRY = "esriFieldTypeGeometry"

NUMERIC_TYPES = frozenset({OID, INTEGER, SMALLINT, DOUBLE, SINGLE})

POINT = "esriGeometryPoint"
POLYLINE = "esriGeometryPolyline"
POLYGON = "esriGeometryPolygon"

#: lon/lat box around Portland: (xmin, ymin, xmax, ymax)
PDX_EXTENT = (-122.84, 45.43, -122.47, 45.65)

PDDL = (
    "<p>Open Data Commons Public Domain Dedication and License (PDDL) v1.0. See "
    '<a href="https://opendatacommons.org/licenses/pddl/1-0/">PDDL 1.0</a> and the PortlandMaps terms of service.</p>'
)


def ms(year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Epoch milliseconds for a UTC date-time, as ArcGIS sends dates."""
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return int(moment.timestamp()) * 1000


DAY_MS = 86_400_000


def coded(name: str, pairs: list[tuple[Any, str]]) -> dict:
    """A coded-value domain as ArcGIS describes it: pairs of (code, label)."""
    return {"type": "codedValue", "name": name, "codedValues": [{"name": label, "code": code} for code, label in pairs]}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    alias: str = ""
    length: int | None = None
    domain: dict | None = None

    def to_json(self, with_domain: bool = True) -> dict:
        """The field as a layer's metadata (``with_domain``) or a query response lists it."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "alias": self.alias or self.name}
        if self.length is not None:
            out["length"] = self.length
        elif self.type == DATE:
            out["length"] = 8
        if with_domain:
            out["domain"] = self.domain
        return out

    @property
    def kind(self) -> str:
        """``string``, ``number``, ``date`` or ``geometry``: how where-clauses compare the values."""
        if self.type in NUMERIC_TYPES:
            return "number"
        if self.type == DATE:
            return "date"
        if self.type == GEOMETRY:
            return "geometry"
        return "string"

    @property
    def labels(self) -> dict[Any, str]:
        """code -> label for a coded-value domain, else empty."""
        if not self.domain:
            return {}
        return {cv["code"]: cv["name"] for cv in self.domain["codedValues"]}


SHAPE = Field("Shape", GEOMETRY, "Shape")

#: A generator makes ``n`` rows from a seeded Random: each row is (attributes without OBJECTID, lon/lat geometry).
#: Point geometry is ``(lon, lat)``; polyline is a list of paths; polygon a list of rings (clockwise, closed).
Generator = Callable[[random.Random, int], list[tuple[dict[str, Any], Any]]]


@dataclass(eq=False)
class Dataset:
    """One layer on the fake MapServer, and the Hub item that points at it."""

    key: str
    title: str
    owner: str
    theme: str  # the service is COP_OpenData_<theme>
    layer_id: int
    row_count: int
    max_record_count: int
    geometry_type: str
    fields: tuple[Field, ...]  # in layer order; includes OBJECTID and the Shape geometry field
    display_field: str
    generator: Generator = field(repr=False)
    description: str = ""  # HTML
    snippet: str = ""
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    created: int = 0  # epoch ms
    modified: int = 0  # epoch ms
    copyright_text: str = ""
    license_info: str = PDDL
    extent: tuple[float, float, float, float] = PDX_EXTENT
    item_id: str = ""  # Hub item id; derived from the key when empty
    _rows: list[dict[str, Any]] | None = field(default=None, init=False, repr=False)
    _geometries: list[Any] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    object_id_field = "OBJECTID"
    item_type = "Feature Service"

    @property
    def id(self) -> str:
        """Hub item id: 32 hex digits, "_", the layer id."""
        if self.item_id:
            return self.item_id
        digest = hashlib.md5(f"pdxtui-fakeportal:{self.key}".encode()).hexdigest()
        return f"{digest}_{self.layer_id}"

    @property
    def service(self) -> str:
        return f"COP_OpenData_{self.theme}"

    @property
    def path(self) -> str:
        """The layer's URL path on the fake server (append to ``server.url``)."""
        return f"/arcgis/rest/services/{self.service}/MapServer/{self.layer_id}"

    @property
    def attribute_fields(self) -> tuple[Field, ...]:
        """Fields that appear in query attributes (all but the geometry field)."""
        return tuple(f for f in self.fields if f.type != GEOMETRY)

    def field(self, name: str) -> Field | None:
        """Look a field up by name, ignoring case (as ArcGIS does)."""
        lowered = name.lower()
        for f in self.fields:
            if f.name.lower() == lowered:
                return f
        return None

    @property
    def rows(self) -> list[dict[str, Any]]:
        """All rows as attribute dicts in OBJECTID order (OBJECTID = index + 1). Shared: do not mutate."""
        self.load()
        assert self._rows is not None
        return self._rows

    @property
    def geometries(self) -> list[Any]:
        """Geometry per row, in lon/lat, parallel to ``rows``."""
        self.load()
        assert self._geometries is not None
        return self._geometries

    def load(self) -> None:
        """Generate the rows once (thread-safe)."""
        if self._rows is not None:
            return
        with self._lock:
            if self._rows is not None:
                return
            collecting = gc.isenabled()
            gc.disable()  # building many small dicts: the collector would only slow it down
            try:
                self._generate()
            finally:
                if collecting:
                    gc.enable()

    def _generate(self) -> None:
        made = self.generator(random.Random(f"fakeportal:{self.key}"), self.row_count)
        if len(made) != self.row_count:
            raise AssertionError(f"{self.key}: generator made {len(made)} rows, expected {self.row_count}")
        oid = self.object_id_field
        names = [f.name for f in self.attribute_fields]
        rows = []
        for index, (attributes, _geometry) in enumerate(made):
            row = {oid: index + 1, **attributes}
            if list(row) != names:  # put every field in layer order, missing ones as null
                row = {name: row.get(name) for name in names}
            rows.append(row)
        self._geometries = [geometry for _attributes, geometry in made]
        self._rows = rows


@dataclass(frozen=True)
class CatalogItem:
    """One record of the Hub catalog. ``path`` is the item's ``url`` relative to the fake server's root."""

    id: str
    title: str
    owner: str
    type: str
    description: str
    snippet: str
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    created: int
    modified: int
    path: str
    collections: tuple[str, ...]
    license_info: str = PDDL
    extent: tuple[float, float, float, float] = PDX_EXTENT
    dataset: Dataset | None = None


# --- shared vocabularies ------------------------------------------------------------------------------------

STREETS = [
    ("SE", "Hawthorne", "Blvd"),
    ("NE", "Alberta", "St"),
    ("N", "Williams", "Ave"),
    ("SW", "Broadway", ""),
    ("NW", "23rd", "Ave"),
    ("SE", "Division", "St"),
    ("NE", "Broadway", ""),
    ("SE", "Belmont", "St"),
    ("N", "Lombard", "St"),
    ("NE", "Sandy", "Blvd"),
    ("SW", "Barbur", "Blvd"),
    ("SE", "82nd", "Ave"),
    ("NE", "Killingsworth", "St"),
    ("SE", "Foster", "Rd"),
    ("NW", "Thurman", "St"),
    ("N", "Mississippi", "Ave"),
    ("SE", "Woodstock", "Blvd"),
    ("NE", "Fremont", "St"),
    ("SW", "Capitol", "Hwy"),
    ("SE", "Clinton", "St"),
]

NEIGHBORHOODS = [
    "Alberta Arts",
    "Arbor Lodge",
    "Boise",
    "Brooklyn",
    "Buckman",
    "Concordia",
    "Eliot",
    "Foster-Powell",
    "Goose Hollow",
    "Hosford-Abernethy",
    "Irvington",
    "Kenton",
    "Kerns",
    "Laurelhurst",
    "Lents",
    "Montavilla",
    "Mt. Tabor",
    "Multnomah",
    "Old Town",
    "Overlook",
    "Pearl",
    "Piedmont",
    "Richmond",
    "Roseway",
    "Sellwood-Moreland",
    "St. Johns",
    "Sunnyside",
    "Sullivan's Gulch",
    "Woodlawn",
    "Woodstock",
    "Hillsdale",
    "Hayden Island",
    "Cully",
    "Creston-Kenilworth",
    "Brentwood-Darlington",
    "Arlington Heights",
    "Linnton",
    "Forest Park",
    "Parkrose",
    "Hazelwood",
]


def random_address(rng: random.Random) -> str:
    prefix, name, kind = pick(rng, STREETS)
    number = 100 + int(rng.random() * 19900)
    return f"{number} {prefix} {name} {kind}" if kind else f"{number} {prefix} {name}"


def random_point(rng: random.Random, extent: tuple[float, float, float, float] = PDX_EXTENT) -> tuple[float, float]:
    # whole micro-degrees: integer / 1e6 is correctly rounded, so values print with at most 6 decimals
    xmin, ymin, xmax, ymax = (round(v * 1_000_000) for v in extent)
    return ((xmin + int(rng.random() * (xmax - xmin))) / 1e6, (ymin + int(rng.random() * (ymax - ymin))) / 1e6)


def rectangle(xmin: float, ymin: float, xmax: float, ymax: float) -> list[list[list[float]]]:
    """A clockwise closed ring (ArcGIS order) with a vertex at each edge's midpoint."""
    xmid, ymid = round((xmin + xmax) / 2, 6), round((ymin + ymax) / 2, 6)
    ring = [
        [xmin, ymax],
        [xmid, ymax],
        [xmax, ymax],
        [xmax, ymid],
        [xmax, ymin],
        [xmid, ymin],
        [xmin, ymin],
        [xmin, ymid],
        [xmin, ymax],
    ]
    return [ring]


class Weighted:
    """A fixed weighted choice, cheap to draw from many times: ``Weighted([("G", 55), ("F", 35)]).pick(rng)``."""

    def __init__(self, choices: list[tuple[Any, int]]):
        self.values = [value for value, _weight in choices]
        self.cumulative = list(itertools.accumulate(weight for _value, weight in choices))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def pick(rng: random.Random, seq: Sequence[Any]) -> Any:
    """rng.choice, about three times faster (fine for fixtures; not uniform to the last bit)."""
    return seq[int(rng.random() * len(seq))]


def weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return Weighted(choices).pick(rng)


def description(text: str, frequency: str, metadata_id: int) -> str:
    """An HTML description in the shape Portland's layers use."""
    link = f"https://www.portlandmaps.com/metadata/index.cfm?&amp;action=DisplayLayer&amp;LayerID={metadata_id}"
    return (
        f"<p>{text}</p>"
        f"<p>Update Frequency: {frequency}</p>"
        f'<p>Metadata Link: <a href="{link}" target="_blank">{link}</a></p>'
    )


# --- 1. street trees: big, maxRecordCount 500 ----------------------------------------------------------------

TREE_SPECIES = [
    ("Acer platanoides - Norway maple", 9),
    ("Acer rubrum - Red maple", 8),
    ("Prunus cerasifera - Cherry plum", 7),
    ("Pyrus calleryana - Callery pear", 6),
    ("Malus - Crabapple", 5),
    ("Carpinus betulus - European hornbeam", 4),
    ("Tilia cordata - Littleleaf linden", 4),
    ("Liquidambar styraciflua - Sweetgum", 4),
    ("Acer palmatum - Japanese maple", 4),
    ("Acer macrophyllum - Bigleaf maple", 3),
    ("Quercus rubra - Northern red oak", 3),
    ("Pseudotsuga menziesii - Douglas-fir", 3),
    ("Ginkgo biloba - Ginkgo", 3),
    ("Cornus florida - Flowering dogwood", 3),
    ("Fraxinus latifolia - Oregon ash", 2),
    ("Ulmus americana - American elm", 2),
    ("Magnolia grandiflora - Southern magnolia", 2),
    ("Styrax japonicus - Japanese snowbell", 2),
    ("Parrotia persica - Persian ironwood", 2),
    ("Zelkova serrata - Japanese zelkova", 2),
]
TREE_CONDITION = [("G", "Good"), ("F", "Fair"), ("P", "Poor"), ("D", "Dead")]
TREE_FUNCTIONAL = [
    ("BD", "Broadleaf Deciduous"),
    ("BE", "Broadleaf Evergreen"),
    ("CD", "Conifer Deciduous"),
    ("CE", "Conifer Evergreen"),
]


def street_tree_rows(rng: random.Random, n: int) -> list[tuple[dict, Any]]:
    species = Weighted(TREE_SPECIES)
    condition = Weighted([("G", 55), ("F", 35), ("P", 7), ("D", 2), (None, 1)])
    size = Weighted([("Small", 3), ("Medium", 4), ("Large", 3)])
    functional = Weighted([("BD", 80), ("BE", 8), ("CD", 2), ("CE", 10)])
    site = Weighted([("Curb Tree Lawn", 6), ("Sidewalk Cutout", 3), ("Median", 1)])
    out = []
    for _ in range(n):
        diameter = None if rng.random() < 0.01 else round(rng.uniform(0.5, 48.0), 1)
        row = {
            "SPECIES": species.pick(rng),
            "DIAMETER": diameter,
            "Condition": condition.pick(rng),
            "MATURE_SIZE": size.pick(rng),
            "FUNCTIONAL_TYPE": functional.pick(rng),
            "Site_Type": site.pick(rng),
            "Address": random_address(rng),
        }
        out.append((row, random_point(rng)))
    return out


# --- 2. residential permits: maxRecordCount 150, 1,234 rows ------------------------------------------------------

PERMIT_WORK = [
    ("New construction of single family residence", 4),
    ("Addition to existing dwelling", 5),
    ("Interior alteration \u2013 kitchen remodel", 6),
    ("Accessory dwelling unit (ADU)", 3),
    ("Demolition of garage", 2),
    ("Deck & porch repair", 3),
    ("Solar panel installation", 2),
]


def permit_rows(rng: random.Random, n: int) -> list[tuple[dict, Any]]:
    first_day, last_day = ms(2015, 1, 1), ms(2023, 12, 31)
    days = (last_day - first_day) // DAY_MS
    out = []
    for index in range(n):
        issued = None if rng.random() < 0.01 else first_day + rng.randint(0, days) * DAY_MS
        year = datetime.fromtimestamp((issued or first_day) / 1000, UTC).year
        number = (123_457 + index * 7919) % 900_000 + 100_000  # unique for every index below 900,000
        valuation = None if rng.random() < 0.015 else round(rng.lognormvariate(11.0, 1.0), 2)
        row = {
            "PERMIT_NUM": f"{year}-{number:06d}-000-00-RS",
            "ADDRESS": random_address(rng),
            "ISSUED": issued,
            "VALUATION": valuation,
            "WORK_DESC": weighted(rng, PERMIT_WORK),
        }
        out.append((row, random_point(rng)))
    return out


# --- 3. heritage trees: dates, nulls, domains, HTML, non-ASCII ---------------------------------------------------

HERITAGE_SPECIES = [
    ("Quercus garryana", "Oregon white oak"),
    ("Sequoiadendron giganteum", "Giant sequoia"),
    ("Pseudotsuga menziesii", "Douglas-fir"),
    ("Fagus sylvatica", "European beech"),
    ("Ulmus americana", "American elm"),
    ("Cedrus deodara", "Deodar cedar"),
    ("Juglans nigra", "Black walnut"),
    ("Acer macrophyllum", "Bigleaf maple"),
    ("Ginkgo biloba", "Ginkgo"),
    ("Magnolia grandiflora", "Southern magnolia"),
]
HERITAGE_OWNERSHIP = [("PUB", "Public"), ("PVT", "Private")]

#: hand-written rows first: they carry the awkward text tests look for
HERITAGE_SPECIAL = [
    dict(
        TREEID=1,
        SCIENTIFIC="Quercus garryana",
        COMMON="Oregon white oak",
        HEIGHT=88.0,
        SPREAD=95.0,
        DIAMETER=62.5,
        NOTES="Planted c. 1890 beside Café Ñandú.",
        Ownership="PUB",
        SITE_ADDRESS="Café Ñandú, 1200 SE Division St",
        Neighborhood="Hosford-Abernethy",
        YEAR_Designated=1974,
        DATE_DESIG=ms(1974, 6, 12),
    ),
    dict(
        TREEID=2,
        SCIENTIFIC="Prunus serrulata",
        COMMON="Japanese flowering cherry (桜)",
        HEIGHT=24.0,
        SPREAD=30.0,
        DIAMETER=21.0,
        NOTES="Gift from Sapporo (札幌市), Portland's sister city.",
        Ownership="PUB",
        SITE_ADDRESS="Japanese American Historical Plaza, NW Naito Pkwy",
        Neighborhood="Old Town",
        YEAR_Designated=1990,
        DATE_DESIG=ms(1990, 4, 2),
    ),
    dict(
        TREEID=3,
        SCIENTIFIC="Ulmus americana",
        COMMON="American elm",
        HEIGHT=102.0,
        SPREAD=80.0,
        DIAMETER=55.0,
        NOTES="Known locally as the \"Big Elm\"; O'Bryant's favourite.",
        Ownership="PUB",
        SITE_ADDRESS="O'Bryant Square, SW 9th Ave & Harvey Milk St",
        Neighborhood="Pearl",
        YEAR_Designated=1975,
        DATE_DESIG=ms(1975, 9, 30),
    ),
    dict(
        TREEID=4,
        SCIENTIFIC="Sequoiadendron giganteum",
        COMMON="Giant sequoia",
        HEIGHT=None,
        SPREAD=None,
        DIAMETER=84.0,
        NOTES=None,
        Ownership=None,
        SITE_ADDRESS="4000 NE Going St",
        Neighborhood="Concordia",
        YEAR_Designated=2001,
        DATE_DESIG=None,
    ),
    dict(
        TREEID=5,
        SCIENTIFIC="Fagus sylvatica",
        COMMON="European beech",
        HEIGHT=70.0,
        SPREAD=60.0,
        DIAMETER=48.0,
        NOTES="[b]not markup[/b] <i>nor HTML</i> & 100% literal",
        Ownership="PVT",
        SITE_ADDRESS="2231 NE Tillamook St",
        Neighborhood="Irvington",
        YEAR_Designated=1993,
        DATE_DESIG=ms(1993, 11, 3),
    ),
    dict(
        TREEID=6,
        SCIENTIFIC="Juglans nigra",
        COMMON="Black walnut",
        HEIGHT=65.0,
        SPREAD=70.0,
        DIAMETER=40.0,
        NOTES="Removed after storm damage.",
        Ownership="PVT",
        SITE_ADDRESS="7300 SE Reed College Pl",
        Neighborhood="Eastmoreland",
        YEAR_Designated=1980,
        DATE_DESIG=ms(1980, 3, 14),
        Delist_Date=ms(2021, 2, 15),
    ),
]


def heritage_rows(rng: random.Random, n: int) -> list[tuple[dict, Any]]:
    out = []
    for row in HERITAGE_SPECIAL[:n]:
        out.append((dict(row, CIRCUMF=round(row["DIAMETER"] * math.pi, 1)), random_point(rng)))
    for index in range(len(out), n):
        scientific, common = rng.choice(HERITAGE_SPECIES)
        diameter = round(rng.uniform(18.0, 100.0), 1)
        year = rng.randint(1974, 2023)
        designated = None if rng.random() < 0.08 else ms(year) + rng.randint(0, 364) * DAY_MS
        row = {
            "TREEID": index + 1,
            "SCIENTIFIC": scientific,
            "COMMON": common,
            "HEIGHT": None if rng.random() < 0.05 else round(rng.uniform(30.0, 180.0), 1),
            "SPREAD": None if rng.random() < 0.05 else round(rng.uniform(20.0, 110.0), 1),
            "DIAMETER": diameter,
            "CIRCUMF": round(diameter * math.pi, 1),
            "NOTES": None
            if rng.random() < 0.6
            else pick(rng, ["Fine specimen.", "Pruned 2015.", "On school grounds."]),
            "Ownership": weighted(rng, [("PUB", 55), ("PVT", 42), (None, 3)]),
            "SITE_ADDRESS": random_address(rng),
            "Neighborhood": rng.choice(NEIGHBORHOODS),
            "YEAR_Designated": year,
            "DATE_DESIG": designated,
            "Delist_Date": ms(2022, 1, 1) + rng.randint(0, 700) * DAY_MS if rng.random() < 0.03 else None,
        }
        out.append((row, random_point(rng)))
    return out


HERITAGE_DESCRIPTION = (
    "<p>Heritage Trees are trees that City Council has designated for their size, age, history &amp; rarity."
    '<br>Each one is protected by <a href="https://www.portland.gov/trees">Title 11</a> of City Code.</p>'
    "<p>Includes trees in the Café Ñandú courtyard and the 桜 (sakura) of Old Town.<br>"
    "Update Frequency: Annually<br>"
    'Metadata Link: <a href="https://www.portlandmaps.com/metadata/index.cfm?&amp;action=DisplayLayer&amp;'
    'LayerID=52">https://www.portlandmaps.com/metadata/index.cfm?&amp;action=DisplayLayer&amp;LayerID=52</a></p>'
)


# --- 4. address points: 100,000 rows for benchmarks -------------------------------------------------------------


def address_rows(rng: random.Random, n: int) -> list[tuple[dict, Any]]:
    zips = [
        "97201",
        "97202",
        "97203",
        "97204",
        "97205",
        "97206",
        "97209",
        "97210",
        "97211",
        "97212",
        "97213",
        "97214",
        "97215",
        "97216",
        "97217",
        "97218",
        "97219",
        "97220",
        "97221",
        "97227",
        "97232",
        "97266",
    ]
    postdirs = Weighted([(None, 97), ("N", 1), ("S", 2)])
    units = Weighted([(None, 85), ("A", 5), ("B", 4), ("1", 3), ("101", 3)])
    streets = [(predir, name.upper(), kind.upper() or None) for predir, name, kind in STREETS]
    out = []
    for _ in range(n):
        predir, name, kind = pick(rng, streets)
        row = {
            "ADD_NUM": 100 + int(rng.random() * 19900),
            "STR_PREDIR": predir,
            "STR_NAME": name,
            "STR_TYPE_C": kind,
            "STR_POSTDI": postdirs.pick(rng),
            "UNIT_VALUE": units.pick(rng),
            "CITY": "PORTLAND",
            "COUNTY": "MULTNOMAH",
            "STATE_ABBR": "OR",
            "ZIP_CODE": pick(rng, zips),
        }
        out.append((row, random_point(rng)))
    return out


# --- 5. council districts: 4 polygons ---------------------------------------------------------------------------

DISTRICT_BOXES = {
    1: (-122.56, 45.43, -122.47, 45.65),
    2: (-122.67, 45.523, -122.56, 45.65),
    3: (-122.67, 45.43, -122.56, 45.523),
    4: (-122.84, 45.43, -122.67, 45.65),
}


def district_rows(rng: random.Random, n: int) -> list[tuple[dict, Any]]:
    out = []
    for number in range(1, n + 1):
        xmin, ymin, xmax, ymax = DISTRICT_BOXES[number]
        # a degree is about 48.6 mi east-west and 69 mi north-south at this latitude
        area = round((xmax - xmin) * 48.6 * (ymax - ymin) * 69.0, 2)
        row = {"DISTRICT": number, "NAME": f"District {number}", "COUNCILORS": 3, "AREA_SQMI": area}
        out.append((row, rectangle(xmin, ymin, xmax, ymax)))
    return out


# --- small catalog-filler layers ----------------------------------------------------------------------------------

GENERIC_FIELDS = (
    Field("OBJECTID", OID, "OBJECTID"),
    Field("NAME", STRING, "Name", 100),
    Field("TYPE", STRING, "Type", 50),
    Field("STATUS", STRING, "Status", 20),
    Field("LAST_UPDATED", DATE, "Last Updated"),
    SHAPE,
)


def generic_rows(label: str, types: tuple[str, ...], geometry: str, names: list[str] | None = None) -> Generator:
    def make(rng: random.Random, n: int) -> list[tuple[dict, Any]]:
        out = []
        for index in range(n):
            x, y = random_point(rng)
            if geometry == POINT:
                shape: Any = (x, y)
            elif geometry == POLYLINE:
                shape = [[[x, y], [round(x + 0.004, 6), round(y + 0.001, 6)], [round(x + 0.009, 6), y]]]
            else:
                shape = rectangle(x, y, round(x + 0.01, 6), round(y + 0.008, 6))
            name = names[index % len(names)] if names else f"{label} {index + 1:03d} - {random_address(rng)}"
            row = {
                "NAME": name,
                "TYPE": rng.choice(types),
                "STATUS": weighted(rng, [("Active", 8), ("Planned", 1), ("Retired", 1)]),
                "LAST_UPDATED": ms(2019) + rng.randint(0, 1800) * DAY_MS,
            }
            out.append((row, shape))
        return out

    return make


#: key, title, theme, layer id, owner, geometry, rows, tags, categories (under /Categories/), update frequency
FILLERS = [
    (
        "parks_trees",
        "Parks Tree Inventory",
        "Environment",
        220,
        "PortlandParks_GIS",
        POINT,
        64,
        ("trees", "parks", "urban forestry"),
        ("Environment", "Environment/Trees"),
        "Annually",
    ),
    (
        "ecoroofs",
        "Ecoroofs",
        "Environment",
        104,
        "BES_GIS",
        POINT,
        37,
        ("green infrastructure", "stormwater", "roofs"),
        ("Environment",),
        "Quarterly",
    ),
    (
        "green_streets",
        "Green Street Facilities",
        "Environment",
        105,
        "BES_GIS",
        POINT,
        52,
        ("stormwater", "green infrastructure", "streets"),
        ("Environment", "Transportation"),
        "Monthly",
    ),
    (
        "culverts",
        "Culverts",
        "Environment",
        112,
        "BES_GIS",
        POINT,
        23,
        ("stormwater", "streams"),
        ("Environment", "Utilities"),
        "As needed",
    ),
    (
        "business_districts",
        "Business Districts",
        "Boundary",
        11,
        "ProsperPortland_GIS",
        POLYGON,
        18,
        ("business", "districts", "economic development"),
        ("Boundaries", "Economy"),
        "Annually",
    ),
    (
        "urban_renewal",
        "Urban Renewal Areas",
        "Boundary",
        40,
        "ProsperPortland_GIS",
        POLYGON,
        11,
        ("urban renewal", "economic development"),
        ("Boundaries", "Economy"),
        "As needed",
    ),
    (
        "zip_codes",
        "ZIP Code Boundaries",
        "Boundary",
        12,
        "PDX_GIS_Admin",
        POLYGON,
        29,
        ("zip codes", "postal"),
        ("Boundaries",),
        "Annually",
    ),
    (
        "taxlots",
        "Taxlots",
        "Property",
        3,
        "PDX_GIS_Admin",
        POLYGON,
        75,
        ("taxlots", "property", "assessor"),
        ("Property",),
        "Weekly",
    ),
    (
        "restrooms",
        "Public Restrooms",
        "Property",
        120,
        "PortlandParks_GIS",
        POINT,
        33,
        ("restrooms", "parks", "portland loo"),
        ("Property", "Recreation"),
        "Quarterly",
    ),
    (
        "parks",
        "Parks",
        "Property",
        4,
        "PortlandParks_GIS",
        POLYGON,
        56,
        ("parks", "recreation", "trees"),
        ("Property", "Recreation"),
        "Annually",
    ),
    (
        "community_centers",
        "Community Centers",
        "Property",
        122,
        "PortlandParks_GIS",
        POINT,
        14,
        ("community centers", "recreation"),
        ("Property", "Recreation"),
        "Annually",
    ),
    (
        "city_facilities",
        "City Facilities",
        "Property",
        130,
        "OMF_Facilities",
        POINT,
        45,
        ("facilities", "city buildings"),
        ("Property",),
        "Annually",
    ),
    (
        "streets",
        "Streets",
        "Transportation",
        68,
        "PBOT_GIS",
        POLYLINE,
        80,
        ("streets", "centerlines", "transportation"),
        ("Transportation",),
        "Weekly",
    ),
    (
        "bicycle_network",
        "Bicycle Network",
        "Transportation",
        66,
        "PBOT_GIS",
        POLYLINE,
        60,
        ("bicycle", "bike lanes", "transportation"),
        ("Transportation",),
        "Quarterly",
    ),
    (
        "bike_parking",
        "Bike Parking",
        "Transportation",
        101,
        "PBOT_GIS",
        POINT,
        70,
        ("bicycle", "parking"),
        ("Transportation",),
        "Monthly",
    ),
    (
        "traffic_signals",
        "Traffic Signals",
        "Transportation",
        70,
        "PBOT_GIS",
        POINT,
        58,
        ("traffic", "signals"),
        ("Transportation",),
        "Monthly",
    ),
    (
        "bridges",
        "Bridges",
        "Transportation",
        72,
        "PBOT_GIS",
        POINT,
        19,
        ("bridges", "structures"),
        ("Transportation",),
        "Annually",
    ),
    (
        "corner_ramps",
        "Sidewalk Corner Ramps",
        "Transportation",
        90,
        "PBOT_GIS",
        POINT,
        77,
        ("sidewalks", "accessibility", "ADA"),
        ("Transportation",),
        "Monthly",
    ),
    (
        "parking_meters",
        "Parking Meters",
        "Transportation",
        85,
        "PBOT_GIS",
        POINT,
        41,
        ("parking", "meters"),
        ("Transportation",),
        "Weekly",
    ),
    (
        "zoning",
        "Zoning",
        "PlanningDevelopment",
        14,
        "BPS_GIS",
        POLYGON,
        66,
        ("zoning", "planning", "land use"),
        ("Planning",),
        "Weekly",
    ),
    (
        "comp_plan",
        "Comprehensive Plan Map",
        "PlanningDevelopment",
        15,
        "BPS_GIS",
        POLYGON,
        48,
        ("comprehensive plan", "planning", "land use"),
        ("Planning",),
        "As needed",
    ),
    (
        "commercial_permits",
        "Commercial Building Permits",
        "PlanningDevelopment",
        90,
        "BDS_Permits",
        POINT,
        73,
        ("permits", "commercial", "construction"),
        ("Planning", "Permits"),
        "Daily",
    ),
    (
        "land_use_reviews",
        "Land Use Reviews",
        "PlanningDevelopment",
        100,
        "BDS_Permits",
        POINT,
        39,
        ("land use", "reviews", "planning"),
        ("Planning", "Permits"),
        "Daily",
    ),
    (
        "historic_landmarks",
        "Historic Landmarks",
        "PlanningDevelopment",
        44,
        "BPS_GIS",
        POINT,
        26,
        ("historic", "landmarks", "preservation"),
        ("Planning", "History"),
        "Annually",
    ),
    (
        "design_overlay",
        "Design Overlay Zone",
        "PlanningDevelopment",
        18,
        "BPS_GIS",
        POLYGON,
        12,
        ("zoning", "design", "overlay"),
        ("Planning",),
        "As needed",
    ),
]

FILLER_TYPES = ("Standard", "Special", "Other")


def _build_datasets() -> dict[str, Dataset]:
    datasets = [
        Dataset(
            key="street_trees",
            title="Street Tree Inventory - Active Records",
            owner="PortlandUrbanForestry",
            theme="Environment",
            layer_id=1415,
            row_count=20_437,
            max_record_count=500,
            geometry_type=POINT,
            fields=(
                Field("OBJECTID", OID, "OBJECTID"),
                Field("SPECIES", STRING, "Species", 100),
                Field("DIAMETER", DOUBLE, "Diameter (in)"),
                Field("Condition", STRING, "Condition", 10, coded("TreeCondition", TREE_CONDITION)),
                Field("MATURE_SIZE", STRING, "Mature Size", 10),
                Field("FUNCTIONAL_TYPE", STRING, "Functional Type", 2, coded("FunctionalType", TREE_FUNCTIONAL)),
                Field("Site_Type", STRING, "Site Type", 30),
                Field("Address", STRING, "Address", 100),
                SHAPE,
            ),
            display_field="SPECIES",
            generator=street_tree_rows,
            description=description(
                "Street trees in the public right-of-way, inventoried by volunteers with Urban Forestry. "
                "Active records only.",
                "Weekly",
                1415,
            ),
            snippet="Trees along Portland's streets: species, size, condition and site.",
            tags=("trees", "urban forestry", "street trees", "environment"),
            categories=("/Categories/Environment", "/Categories/Environment/Trees"),
            created=ms(2019, 3, 4, 17, 5),
            modified=ms(2024, 5, 20, 9, 30),
            copyright_text="City of Portland, Portland Parks & Recreation, Urban Forestry",
        ),
        Dataset(
            key="permits",
            title="Residential Building Permits",
            owner="BPS_GIS",
            theme="PlanningDevelopment",
            layer_id=89,
            row_count=1_234,
            max_record_count=150,
            geometry_type=POINT,
            fields=(
                Field("OBJECTID", OID, "OBJECTID"),
                Field("PERMIT_NUM", STRING, "Permit Number", 30),
                Field("ADDRESS", STRING, "Address", 100),
                Field("ISSUED", DATE, "Issued"),
                Field("VALUATION", DOUBLE, "Valuation ($)"),
                Field("WORK_DESC", STRING, "Work Description", 255),
                SHAPE,
            ),
            display_field="PERMIT_NUM",
            generator=permit_rows,
            description=description(
                "Residential building permits issued by the Bureau of Development Services, compiled by "
                "Planning &amp; Sustainability.",
                "Monthly",
                89,
            ),
            snippet="Issued residential building permits with valuation and work description.",
            tags=("permits", "housing", "construction", "planning"),
            categories=("/Categories/Planning", "/Categories/Planning/Permits"),
            created=ms(2017, 8, 21, 12),
            modified=ms(2024, 4, 2, 16, 45),
            copyright_text="City of Portland, Bureau of Planning and Sustainability",
        ),
        Dataset(
            key="heritage_trees",
            title="Heritage Trees",
            owner="PortlandUrbanForestry",
            theme="Environment",
            layer_id=26,
            row_count=316,
            max_record_count=2000,
            geometry_type=POINT,
            fields=(
                Field("OBJECTID", OID, "OBJECTID"),
                Field("TREEID", INTEGER, "Tree ID"),
                Field("SCIENTIFIC", STRING, "Scientific Name", 60),
                Field("COMMON", STRING, "Common Name", 60),
                Field("HEIGHT", DOUBLE, "Height (ft)"),
                Field("SPREAD", DOUBLE, "Spread (ft)"),
                Field("DIAMETER", DOUBLE, "Diameter (in)"),
                Field("CIRCUMF", DOUBLE, "Circumference (in)"),
                Field("NOTES", STRING, "Notes", 500),
                Field("Ownership", STRING, "Ownership", 3, coded("HeritageOwnership", HERITAGE_OWNERSHIP)),
                Field("SITE_ADDRESS", STRING, "Site Address", 100),
                Field("Neighborhood", STRING, "Neighborhood", 50),
                Field("YEAR_Designated", SMALLINT, "Year Designated"),
                Field("DATE_DESIG", DATE, "Date Designated"),
                Field("Delist_Date", DATE, "Delist Date"),
                SHAPE,
            ),
            display_field="COMMON",
            generator=heritage_rows,
            description=HERITAGE_DESCRIPTION,
            snippet="Trees designated by City Council for their size, age, history or rarity.",
            tags=("trees", "heritage", "urban forestry", "history"),
            categories=("/Categories/Environment", "/Categories/Environment/Trees"),
            created=ms(2016, 9, 1, 20),
            modified=ms(2023, 11, 8, 18, 12),
            copyright_text="City of Portland, Urban Forestry",
        ),
        Dataset(
            key="address_points",
            title="Address Points",
            owner="PDX_GIS_Admin",
            theme="Property",
            layer_id=47,
            row_count=100_000,
            max_record_count=1000,
            geometry_type=POINT,
            fields=(
                Field("OBJECTID", OID, "OBJECTID"),
                Field("ADD_NUM", INTEGER, "Address Number"),
                Field("STR_PREDIR", STRING, "Street Prefix Direction", 2),
                Field("STR_NAME", STRING, "Street Name", 50),
                Field("STR_TYPE_C", STRING, "Street Type", 10),
                Field("STR_POSTDI", STRING, "Street Postfix Direction", 2),
                Field("UNIT_VALUE", STRING, "Unit", 10),
                Field("CITY", STRING, "City", 30),
                Field("COUNTY", STRING, "County", 30),
                Field("STATE_ABBR", STRING, "State", 2),
                Field("ZIP_CODE", STRING, "ZIP Code", 5),
                SHAPE,
            ),
            display_field="STR_NAME",
            generator=address_rows,
            description=description(
                "Site address points maintained by the Bureau of Technology Services Corporate GIS.", "Weekly", 47
            ),
            snippet="Every site address in Portland as a point.",
            tags=("addresses", "property", "geocoding"),
            categories=("/Categories/Property",),
            created=ms(2016, 4, 12, 15),
            modified=ms(2024, 6, 1, 7, 15),
            copyright_text="City of Portland, Corporate GIS",
        ),
        Dataset(
            key="council_districts",
            title="City Council Districts",
            owner="CityElectionsOffice",
            theme="Boundary",
            layer_id=1413,
            row_count=4,
            max_record_count=500,
            geometry_type=POLYGON,
            fields=(
                Field("OBJECTID", OID, "OBJECTID"),
                Field("DISTRICT", SMALLINT, "District"),
                Field("NAME", STRING, "Name", 20),
                Field("COUNCILORS", SMALLINT, "Councilors"),
                Field("AREA_SQMI", DOUBLE, "Area (sq mi)"),
                SHAPE,
            ),
            display_field="NAME",
            generator=district_rows,
            description=description(
                "The four geographic districts that elect Portland's City Council, three councilors each, from 2025.",
                "As needed",
                1413,
            ),
            snippet="Portland's four City Council districts.",
            tags=("elections", "council", "districts", "boundaries"),
            categories=("/Categories/Boundaries",),
            created=ms(2023, 6, 30, 22),
            modified=ms(2024, 1, 10, 19),
            copyright_text="City of Portland, City Elections Office",
        ),
    ]
    for index, (key, title, theme, layer_id, owner, geometry, rows, tags, categories, frequency) in enumerate(FILLERS):
        datasets.append(
            Dataset(
                key=key,
                title=title,
                owner=owner,
                theme=theme,
                layer_id=layer_id,
                row_count=rows,
                max_record_count=1000,
                geometry_type=geometry,
                fields=GENERIC_FIELDS,
                display_field="NAME",
                generator=generic_rows(title, FILLER_TYPES, geometry),
                description=description(f"{title} in the City of Portland.", frequency, layer_id),
                snippet=f"{title} maintained by {owner}.",
                tags=tags,
                categories=tuple(f"/Categories/{c}" for c in categories),
                created=ms(2016, 5, 1) + index * 41 * DAY_MS,
                modified=ms(2021, 2, 1) + index * (29 * DAY_MS + 3_600_000),
                copyright_text="City of Portland",
            )
        )
    datasets.append(
        Dataset(
            key="neighborhoods",
            title="Neighborhoods",
            owner="CivicLife_GIS",
            theme="Boundary",
            layer_id=125,
            row_count=len(NEIGHBORHOODS),
            max_record_count=1000,
            geometry_type=POLYGON,
            fields=GENERIC_FIELDS,
            display_field="NAME",
            generator=generic_rows("Neighborhood", ("Neighborhood", "Unclaimed"), POLYGON, NEIGHBORHOODS),
            description=description(
                "Neighborhood association boundaries recognised by the Office of Community &amp; Civic Life.",
                "As needed",
                125,
            ),
            snippet="Neighborhood association boundaries.",
            tags=("neighborhoods", "boundaries", "civic life"),
            categories=("/Categories/Boundaries",),
            created=ms(2021, 1, 29, 15, 34, 38),
            modified=ms(2022, 12, 20, 16, 44, 13),
            copyright_text="City of Portland, Civic Life",
            item_id="9f50a605cf4945259b983fa35c993fe9_125",
        )
    )
    out = {ds.key: ds for ds in datasets}
    assert len(out) == len(datasets), "duplicate dataset key"
    paths = {ds.path for ds in datasets}
    assert len(paths) == len(datasets), "two datasets share a layer path"
    return out


#: key -> Dataset: every layer the fake MapServer serves
DATASETS: dict[str, Dataset] = _build_datasets()


def dataset_by_path(path: str) -> Dataset | None:
    """The dataset whose layer path is ``path`` (service name matched case-insensitively)."""
    lowered = path.rstrip("/").lower()
    for ds in DATASETS.values():
        if ds.path.lower() == lowered:
            return ds
    return None


def dataset_by_id(item_id: str) -> Dataset | None:
    for ds in DATASETS.values():
        if ds.id == item_id:
            return ds
    return None


def item_for(ds: Dataset) -> CatalogItem:
    return CatalogItem(
        id=ds.id,
        title=ds.title,
        owner=ds.owner,
        type=ds.item_type,
        description=ds.description,
        snippet=ds.snippet,
        tags=ds.tags,
        categories=ds.categories,
        created=ds.created,
        modified=ds.modified,
        path=ds.path,
        collections=("all", "dataset"),
        license_info=ds.license_info,
        extent=ds.extent,
        dataset=ds,
    )


#: Items that are not queryable layers: a whole map service, a document link and the Hub site itself.
OTHER_ITEMS = (
    CatalogItem(
        id=hashlib.md5(b"pdxtui-fakeportal:environment-service").hexdigest(),
        title="Environment Map Service",
        owner="PDX_GIS_Admin",
        type="Map Service",
        description=description("All environment layers published by the City as one map service.", "Weekly", 1),
        snippet="The COP_OpenData_Environment map service.",
        tags=("environment", "map service"),
        categories=("/Categories/Environment",),
        created=ms(2016, 3, 1),
        modified=ms(2020, 7, 7, 7),
        path="/arcgis/rest/services/COP_OpenData_Environment/MapServer",
        collections=("all", "dataset"),
    ),
    CatalogItem(
        id=hashlib.md5(b"pdxtui-fakeportal:terms-of-use").hexdigest(),
        title="PortlandMaps Open Data Terms of Use",
        owner="PDX_GIS_Admin",
        type="Document Link",
        description="<p>Terms of use for the City's open data, published under the PDDL 1.0.</p>",
        snippet="Terms of use.",
        tags=("terms", "license"),
        categories=(),
        created=ms(2016, 2, 2),
        modified=ms(2019, 2, 2),
        path="/hub/documents/terms-of-use",
        collections=("all",),
    ),
    CatalogItem(
        id=hashlib.md5(b"pdxtui-fakeportal:site").hexdigest(),
        title="PortlandMaps Open Data",
        owner="PDX_GIS_Admin",
        type="Hub Site Application",
        description="<p>The City of Portland's GIS open data site (fake, for tests).</p>",
        snippet="Open GIS data from the City of Portland.",
        tags=("open data",),
        categories=(),
        created=ms(2016, 1, 15),
        modified=ms(2024, 2, 29),
        path="/hub",
        collections=("all", "site"),
    ),
)

#: everything the Hub search serves, in a fixed order
CATALOG: tuple[CatalogItem, ...] = tuple(item_for(ds) for ds in DATASETS.values()) + OTHER_ITEMS


def catalog(collection: str) -> list[CatalogItem]:
    return [item for item in CATALOG if collection in item.collections]


# --- the hostile layer (served only by ``ArcGISApp(extra=(HOSTILE,))``: never part of DATASETS or CATALOG) ----------


def _hostile_dataset() -> Dataset:
    from tests.hostile import ALL_IN_ONE, ANSI_CSI, CORPUS, FIELD_NAMES, HTML, HUGE, MARKUP, OSC8, OSC52, WIDE

    values = list(CORPUS.values())
    keys = list(CORPUS)

    def rows(rng: random.Random, n: int) -> list[tuple[dict, Any]]:
        out = []
        for i in range(n):
            value = values[i % len(values)]
            row = {
                FIELD_NAMES[0]: value,
                FIELD_NAMES[1]: keys[i % len(keys)],
                FIELD_NAMES[2]: WIDE if i % 2 else "ascii",
                FIELD_NAMES[3]: values[(i + 3) % len(values)] if keys[(i + 3) % len(keys)] != "huge" else MARKUP,
                FIELD_NAMES[4]: f"{i}\x00{OSC52}",
                FIELD_NAMES[5]: f"[b]{i}[/i]",
            }
            out.append((row, (-122.6, 45.5)))
        return out

    return Dataset(
        key="hostile",
        title="Hostile " + ALL_IN_ONE,
        owner="[/x]\x1b[31mEvil\u202eOwner",
        theme="Hostile",
        layer_id=666,
        row_count=len(values),
        max_record_count=1000,
        geometry_type=POINT,
        fields=(
            Field("OBJECTID", OID, "OBJECTID"),
            *(Field(name, STRING, f"{name} {ANSI_CSI}", 200_000) for name in FIELD_NAMES),
            SHAPE,
        ),
        display_field=FIELD_NAMES[0],
        generator=rows,
        description=f"<p>{HTML}</p><p>{ALL_IN_ONE}</p><p>{HUGE}</p><p>Update Frequency: {MARKUP}</p>",
        snippet=ANSI_CSI + OSC52,
        tags=(MARKUP, OSC8, "hostile"),
        categories=("/Categories/[/x]\x1b[31mRed",),
        created=ms(2010, 1, 1),
        modified=ms(2010, 1, 2),
        copyright_text=OSC52,
        license_info=f"<p>{OSC8}</p>",
    )


#: a layer whose every title, description, field name and cell is hostile text (tests/hostile.py)
HOSTILE: Dataset = _hostile_dataset()
