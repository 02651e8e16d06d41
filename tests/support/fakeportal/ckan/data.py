"""The fake CKAN portal's fixture data: organizations, groups, tables and the packages (``make_packages``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

ORGS = {
    "parks-department": {
        "id": "0b7c9e1a-0000-4000-8000-000000000001",
        "name": "parks-department",
        "title": "Parks Department",
        "description": "Parks and urban forestry.",
    },
    "city-of-springfield": {
        "id": "0b7c9e1a-0000-4000-8000-000000000002",
        "name": "city-of-springfield",
        "title": "City of Springfield",
        "description": "The City's own datasets.",
    },
}
GROUPS = {
    "environment": {
        "id": "9a1e0000-0000-4000-8000-000000000001",
        "name": "environment",
        "title": "Environment",
        "display_name": "Environment",
    },
    "transportation": {
        "id": "9a1e0000-0000-4000-8000-000000000002",
        "name": "transportation",
        "title": "Transportation",
        "display_name": "Transportation",
    },
    "finance": {
        "id": "9a1e0000-0000-4000-8000-000000000003",
        "name": "finance",
        "title": "Finance",
        "display_name": "Finance",
    },
}

SPECIES = [
    "Acer rubrum",
    "Quercus garryana",
    "Pseudotsuga menziesii",
    "Prunus serrulata",
    "Thuja plicata",
    "Acer macrophyllum",
    "Cornus nuttallii",
    "Fraxinus latifolia",
]
STATIONS = ["007", "012", "031", "044", "105"]
DEPARTMENTS = ["Parks", "Police", "Fire", "Library", "Water", "Transportation"]


@dataclass
class Table:
    """A datastore table and/or a CSV file: datastore ``fields`` ({id, type}) and rows as Python values."""

    fields: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    #: each row's ``_id`` (None: 1, 2, 3…, as a table loaded once numbers them; a changed table keeps its ids)
    ids: list[int] | None = None

    def row_ids(self) -> list[int]:
        return list(self.ids) if self.ids is not None else list(range(1, len(self.rows) + 1))

    def json_rows(self) -> list[dict[str, Any]]:
        """Rows as datastore_search sends them (row_to_json: dates and timestamps as ISO text)."""
        out = []
        for index, row in zip(self.row_ids(), self.rows, strict=True):
            record = {"_id": index}
            for f in self.fields:
                value = row.get(f["id"])
                record[f["id"]] = value.isoformat() if isinstance(value, (date, datetime)) else value
            out.append(record)
        return out

    def csv(self) -> bytes:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([f["id"] for f in self.fields])
        for row in self.rows:
            cells = []
            for f in self.fields:
                value = row.get(f["id"])
                if value is None:
                    cells.append("")
                elif isinstance(value, bool):
                    cells.append("true" if value else "false")
                elif isinstance(value, (date, datetime)):
                    cells.append(value.isoformat())
                else:
                    cells.append(str(value))
            writer.writerow(cells)
        return buffer.getvalue().encode("utf-8")


def trees_table(count: int = 2345) -> Table:
    rng = random.Random(7)
    start = date(1990, 1, 1)
    rows = []
    for index in range(count):
        planted = start + timedelta(days=rng.randrange(0, 12000))
        rows.append(
            {
                "tree_id": 100000 + index,
                "species": SPECIES[index % len(SPECIES)],
                "diameter": round(rng.uniform(1, 60), 1) if index % 17 else None,
                "height_ft": rng.randrange(5, 120),
                "planted": planted,
                "inspected": datetime(2023, 1, 1, 8, 0) + timedelta(minutes=37 * index),
                "healthy": index % 5 != 0,
                "address": f"{1000 + index * 3} SE Alder St",
            }
        )
    fields = [
        {"id": "tree_id", "type": "int4", "info": {"label": "Tree ID", "notes": "Inventory number"}},
        {"id": "species", "type": "text", "info": {"label": "Species", "notes": "Genus species"}},
        {"id": "diameter", "type": "numeric", "info": {"label": "Diameter (in)", "notes": ""}},
        {"id": "height_ft", "type": "int8"},
        {"id": "planted", "type": "date"},
        {"id": "inspected", "type": "timestamp"},
        {"id": "healthy", "type": "bool"},
        {"id": "address", "type": "text"},
    ]
    return Table(fields, rows)


def bikes_table(count: int = 157) -> Table:
    rng = random.Random(11)
    rows = []
    for index in range(count):
        day = date(2024, 3, 1) + timedelta(days=index // len(STATIONS))
        rows.append(
            {
                "station": STATIONS[index % len(STATIONS)],
                "day": day,
                "riders": rng.randrange(0, 900),
                "avg_speed_mph": round(rng.uniform(6, 18), 2),
                "weekday": day.weekday() < 5,
                "counted_at": datetime(day.year, day.month, day.day, 23, 59, 0),
                "note": "" if index % 9 else "sensor, recalibrated",
            }
        )
    fields = [
        {"id": name, "type": "text"}
        for name in ("station", "day", "riders", "avg_speed_mph", "weekday", "counted_at", "note")
    ]
    return Table(fields, rows)


def budget_table(year: int, count: int) -> Table:
    rng = random.Random(year)
    rows = [
        {
            "line": index + 1,
            "department": DEPARTMENTS[index % len(DEPARTMENTS)],
            "amount": round(rng.uniform(1e4, 5e6), 2),
            "approved": date(year, 6, 15),
        }
        for index in range(count)
    ]
    fields = [
        {"id": "line", "type": "int4"},
        {"id": "department", "type": "text"},
        {"id": "amount", "type": "float8"},
        {"id": "approved", "type": "date"},
    ]
    return Table(fields, rows)


#: a resource's ``last_modified`` that is its package's ``modified``
FROM_PACKAGE = "<the package's modified>"


@dataclass
class FakeResource:
    id: str
    name: str
    format: str
    filename: str
    datastore: Table | None = None  # rows in the datastore (datastore_active)
    file: Table | None = None  # rows of the downloadable CSV
    content: bytes = b""  # any other file
    mimetype: str = ""
    description: str = ""
    #: when the file was last uploaded (ISO text, no zone, as CKAN writes it); None: never (a link resource: CKAN
    #: sends null); FROM_PACKAGE (the default): the package's ``modified``; ABSENT: no such key at all
    last_modified: Any = FROM_PACKAGE


@dataclass
class FakePackage:
    name: str
    title: str
    org: str
    notes: str
    groups: list[str]
    tags: list[str]
    resources: list[FakeResource]
    modified: str
    created: str = "2019-05-02T17:04:11.123456"
    license_title: str = "Open Data Commons Public Domain Dedication and License (PDDL)"
    id: str = ""
    extras: list[dict[str, str]] = field(default_factory=list)
    author: str | None = None
    maintainer: str | None = "Open Data Team"
    #: more top-level fields of the package dict (ckanext-scheming sites add their own, e.g. ``frequency``)
    fields: dict[str, Any] = field(default_factory=dict)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_packages() -> dict[str, FakePackage]:
    trees = trees_table()
    bikes = bikes_table()
    packages = [
        FakePackage(
            name="street-trees",
            title="Street Tree Inventory",
            org="parks-department",
            notes="Every street tree the **Parks Department** has inventoried.\n\n"
            "<p>Updated after each <em>summer</em> survey &amp; checked yearly.</p>",
            groups=["environment"],
            tags=["trees", "urban forestry", "environment"],
            resources=[
                FakeResource(
                    "3f1c2a9e-1111-4c1e-9a7b-000000000001",
                    "Street trees (table)",
                    "CSV",
                    "street_trees.csv",
                    datastore=trees,
                    file=trees,
                    last_modified="2024-06-28T22:15:09.671882",
                ),
                FakeResource(
                    "3f1c2a9e-1111-4c1e-9a7b-000000000002",
                    "Data dictionary",
                    "PDF",
                    "street_trees_dictionary.pdf",
                    content=PDF,
                    mimetype="application/pdf",
                    last_modified=None,  # never uploaded again since it was made
                ),
            ],
            modified="2024-06-30T12:00:00.000000",
            extras=[{"key": "frequency", "value": "Annually"}],
        ),
        FakePackage(
            name="bike-counts",
            title="Bicycle Counts by Station",
            org="city-of-springfield",
            notes="Daily bicycle counts from automatic counters. Station ids keep their leading zeros.",
            groups=["transportation"],
            tags=["bicycles", "transportation"],
            resources=[
                FakeResource(
                    "7b2d4c6e-2222-4d2e-8b8c-000000000001",
                    "Bike counts 2024",
                    "CSV",
                    "bike_counts.csv",
                    file=bikes,
                    mimetype="text/csv",
                    last_modified=None,  # a link: CKAN sends null (the package's metadata_modified is the date)
                )
            ],
            modified="2024-05-01T08:30:00.000000",
            extras=[{"key": "accrualPeriodicity", "value": "R/P1D"}],  # a DCAT harvest (data.gov)
        ),
        FakePackage(
            name="city-budget",
            title="City Budget",
            org="city-of-springfield",
            notes="Adopted budget lines, one resource per fiscal year.",
            groups=["finance"],
            tags=["budget", "finance"],
            resources=[
                FakeResource(
                    "c0ffee00-3333-4e3f-9c9d-000000002023",
                    "Budget 2023",
                    "CSV",
                    "budget_2023.csv",
                    datastore=budget_table(2023, 40),
                    file=budget_table(2023, 40),
                    last_modified="2023-07-03T16:00:00.000000",
                ),
                FakeResource(
                    "c0ffee00-3333-4e3f-9c9d-000000002024",
                    "Budget 2024",
                    "CSV",
                    "budget_2024.csv",
                    file=budget_table(2024, 25),
                    last_modified="2024-07-01T16:00:00.000000",
                ),
                FakeResource(
                    "c0ffee00-3333-4e3f-9c9d-0000000000ff", "Budget book", "PDF", "budget_book.pdf", content=PDF
                ),
            ],
            modified="2024-07-15T09:00:00.000000",
        ),
        FakePackage(
            name="council-minutes",
            title="City Council Minutes",
            org="city-of-springfield",
            notes="Scanned minutes of council meetings.",
            groups=[],
            tags=["council"],
            resources=[
                FakeResource(
                    "d1d1d1d1-4444-4a4a-8a8a-000000000001",
                    "Minutes 2023",
                    "PDF",
                    "minutes_2023.pdf",
                    content=PDF,
                    mimetype="application/pdf",
                )
            ],
            modified="2023-12-20T16:45:00.000000",
            license_title="Creative Commons Attribution",
        ),
        FakePackage(
            name="park-boundaries",
            title="Park Boundaries",
            org="parks-department",
            notes="Park outlines as a zipped shapefile.",
            groups=["environment"],
            tags=["parks", "maps"],
            resources=[
                FakeResource(
                    "e2e2e2e2-5555-4b5b-9b9b-000000000001",
                    "Parks shapefile",
                    "ZIP",
                    "parks.zip",
                    content=b"PK\x05\x06" + bytes(18),
                )
            ],
            modified="2022-03-03T03:03:03.000000",
            fields={"frequency": "annual"},  # a ckanext-scheming field of its own, not in extras
        ),
    ]
    for index, package in enumerate(packages, start=1):
        package.id = f"5e7a0000-0000-4000-8000-{index:012d}"
    return {package.name: package for package in packages}


def orphan_packages() -> dict[str, FakePackage]:
    """Packages that belong to no organization (``org`` ""), as CKAN allows: one with an author and a maintainer,
    one with a maintainer only. Not in ``make_packages()``: a test adds them with ``app.packages.update(...)``."""
    packages = [
        FakePackage(
            name="tool-library",
            title="Tool Library Loans",
            org="",
            notes="Loans from the volunteer-run tool library.",
            groups=[],
            tags=["community"],
            resources=[],
            modified="2021-04-04T04:04:04.000000",
            author="Jo Volunteer",
            maintainer="Tool Library Desk",
        ),
        FakePackage(
            name="seed-swap",
            title="Seed Swap Sites",
            org="",
            notes="Where seeds are swapped.",
            groups=[],
            tags=["community"],
            resources=[],
            modified="2020-02-02T02:02:02.000000",
            maintainer="Garden Club",
        ),
    ]
    for index, package in enumerate(packages, start=901):
        package.id = f"5e7a0000-0000-4000-8000-{index:012d}"
    return {package.name: package for package in packages}
