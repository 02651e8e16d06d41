"""The fake Socrata portal's datasets: columns, seeded row generators, and the catalog (``DATASETS``, ``CATALOG``)."""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

#: views dataTypeName -> SODA2 type name (X-SODA2-Types)
SODA2_TYPES = {"calendar_date": "floating_timestamp", "date": "fixed_timestamp"}


@dataclass(frozen=True)
class Column:
    field_name: str
    name: str
    type: str  # views dataTypeName: text, number, calendar_date, checkbox, location, point
    description: str = ""

    @property
    def soda_type(self) -> str:
        return SODA2_TYPES.get(self.type, self.type)


@dataclass(eq=False)
class SocrataDataset:
    id: str
    name: str
    description: str
    attribution: str
    owner: str
    category: str
    tags: tuple[str, ...]
    columns: tuple[Column, ...]
    row_count: int
    make_rows: Callable[[random.Random, int], list[dict[str, Any]]] | None
    created: int  # epoch seconds
    updated: int
    license: str = "Public Domain"
    view_type: str = "tabular"
    type: str = "dataset"  # the catalog's resource.type
    page_views: int = 0
    system_columns: tuple[Column, ...] = ()  # fieldName starting with ':' (views JSON lists them; clients drop them)
    _rows: list[dict[str, Any]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Rows as typed Python values (Decimal, naive datetime, bool, str, (lat, lon), None), each with ``:id``.
        Built once; never mutate."""
        if self._rows is None:
            with self._lock:
                if self._rows is None:
                    made = self.make_rows(random.Random(self.id), self.row_count) if self.make_rows else []
                    for index, row in enumerate(made):
                        digest = hashlib.sha1(f"{self.id}/{index}".encode()).hexdigest()
                        row[":id"] = f"row-{digest[:4]}.{digest[4:8]}_{digest[8:12]}"
                        for column in self.system_columns:
                            row[column.field_name] = Decimal(index % 7 + 1)
                    self._rows = made
        return self._rows

    def by_id_order(self) -> list[dict[str, Any]]:
        """The rows as ``$order=:id`` gives them (tests compare pages with this)."""
        return sorted(self.rows, key=lambda r: r[":id"])

    def column(self, name: str) -> Column | None:
        return next((c for c in (*self.columns, *self.system_columns) if c.field_name == name), None)


def _when(rng: random.Random, start: datetime, days: int, with_time: bool = False) -> datetime:
    moment = start + timedelta(days=rng.randrange(days))
    if with_time:
        moment += timedelta(seconds=rng.randrange(86_400))
    return moment


NAMES = [
    "Lou's Diner",
    'Taqueria "El Sol"',
    "Pho, Noodles & More",
    "Green Leaf Cafe",
    "Bakery 12",
    "Deli\nExpress",
    "Mama's Kitchen",
    "The 50% Bar",
    "Sushi_Go",
    "Corner Store",
]
RISKS = ["Risk 1 (High)", "Risk 2 (Medium)", "Risk 3 (Low)"]
RESULTS = ["Pass", "Fail", "Pass w/ Conditions", "Out of Business"]


def inspection_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        score = None if i % 11 == 3 else Decimal(rng.randrange(500, 1000)) / 10
        rows.append(
            {
                "inspection_id": Decimal(2_000_000 + i * 3),
                "dba_name": NAMES[rng.randrange(len(NAMES))],
                "license_no": f"{rng.randrange(0, 99999):07d}",
                "risk": None if i % 13 == 5 else RISKS[rng.randrange(3)],
                "inspection_date": _when(rng, datetime(2022, 1, 1), 700),
                "score": score,
                "passed": None if i % 17 == 2 else rng.random() < 0.7,
                "results": RESULTS[rng.randrange(len(RESULTS))],
            }
        )
    return rows


SR_TYPES = ["Pothole in Street", "Graffiti Removal", "Street Light Out", "Tree Trim", "Abandoned Vehicle"]


def service_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        location = (
            None if i % 9 == 4 else (round(41.65 + rng.random() * 0.35, 6), round(-87.85 + rng.random() * 0.3, 6))
        )
        rows.append(
            {
                "sr_number": f"SR23-{i:06d}",
                "sr_type": SR_TYPES[rng.randrange(len(SR_TYPES))],
                "status": "Completed" if rng.random() < 0.6 else "Open",
                "created_date": _when(rng, datetime(2023, 1, 1), 365, with_time=True),
                "ward": Decimal(rng.randrange(1, 51)),
                "location": location,
            }
        )
    return rows


TREE_NAMES = ["Honeylocust", "Littleleaf linden", "Norway maple", "Oak, white", "Ginkgo"]


def tree_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "tree_id": f"T{i:05d}",
                "common_name": TREE_NAMES[rng.randrange(len(TREE_NAMES))],
                "dbh": Decimal(rng.randrange(2, 60)),
                "the_geom": None
                if i % 10 == 7
                else (round(41.7 + rng.random() * 0.2, 6), round(-87.8 + rng.random() * 0.2, 6)),
            }
        )
    return rows


def _secs(year: int, month: int = 1, day: int = 1) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


INSPECTIONS = SocrataDataset(
    id="insp-2345",
    name="Food Inspections",
    description="Restaurant and food establishment inspections.\n\nRows are generated for tests.",
    attribution="Department of Public Health",
    owner="Health Data Team",
    category="Health & Human Services",
    tags=("food", "inspections", "restaurants"),
    columns=(
        Column("inspection_id", "Inspection ID", "number"),
        Column("dba_name", "DBA Name", "text", "Doing-business-as name"),
        Column("license_no", "License #", "text"),
        Column("risk", "Risk", "text"),
        Column("inspection_date", "Inspection Date", "calendar_date"),
        Column("score", "Score", "number"),
        Column("passed", "Passed", "checkbox"),
        Column("results", "Results", "text"),
    ),
    system_columns=(Column(":@computed_region_awaf_s7ux", "Historical Wards 2003-2015", "number"),),
    row_count=2345,
    make_rows=inspection_rows,
    created=_secs(2015, 3, 2),
    updated=_secs(2024, 6, 30),
    page_views=9000,
)
SERVICE_REQUESTS = SocrataDataset(
    id="svc-0523",
    name="311 Service Requests",
    description="Requests to 311 with where they were made.",
    attribution="Office of 311",
    owner="311 City Services",
    category="Service Requests",
    tags=("311", "requests"),
    columns=(
        Column("sr_number", "SR Number", "text"),
        Column("sr_type", "SR Type", "text"),
        Column("status", "Status", "text"),
        Column("created_date", "Created Date", "calendar_date"),
        Column("ward", "Ward", "number"),
        Column("location", "Location", "location"),
    ),
    row_count=523,
    make_rows=service_rows,
    created=_secs(2018, 5, 1),
    updated=_secs(2024, 5, 1),
    page_views=7000,
)
TREES = SocrataDataset(
    id="tree-0077",
    name="Street Trees",
    description="<p>Trees on <b>public</b> streets &amp; parkways.</p>",
    attribution="Bureau of Forestry",
    owner="Forestry",
    category="Environment & Sustainable Development",
    tags=("trees", "environment"),
    columns=(
        Column("tree_id", "Tree ID", "text"),
        Column("common_name", "Common Name", "text"),
        Column("dbh", "Diameter (in)", "number"),
        Column("the_geom", "Location", "point"),
    ),
    row_count=77,
    make_rows=tree_rows,
    created=_secs(2016, 1, 1),
    updated=_secs(2023, 11, 5),
    page_views=5000,
)

TOPICS = ["Budget", "Buildings", "Transportation", "Parks", "Public Safety", "Ethics", "Community"]


def _filler(i: int) -> SocrataDataset:
    topic = TOPICS[i % len(TOPICS)]
    kind = "dataset" if i % 6 else ("chart" if i % 12 else "map")
    return SocrataDataset(
        id=f"c{i:03d}-{i * 37 % 10000:04d}",
        name=f"{topic} Records {2000 + i}",
        description=f"{topic} figures for {2000 + i}.",
        attribution=f"Department of {topic}",
        owner=f"{topic} Office",
        category=topic,
        tags=(topic.lower().replace(" ", "-"), "annual" if i % 2 else "monthly"),
        columns=(),
        row_count=0,
        make_rows=None,
        created=_secs(2010 + i % 10),
        updated=_secs(2020 + i % 4, 1 + i % 12),
        view_type="href",
        type=kind,
        page_views=1000 - i,
    )


DATASETS: dict[str, SocrataDataset] = {d.id: d for d in (INSPECTIONS, SERVICE_REQUESTS, TREES)}
CATALOG: list[SocrataDataset] = [INSPECTIONS, SERVICE_REQUESTS, TREES] + [_filler(i) for i in range(1, 43)]
