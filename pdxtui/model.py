"""Plain data carried between the layers. No I/O, and nothing of ours is imported here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Normalised column kinds. Each maps to one polars dtype (see ``POLARS_DTYPES``).
FIELD_KINDS = ("string", "integer", "float", "boolean", "date", "datetime", "geometry", "json")

#: kind -> name of the polars dtype (resolved with ``getattr(polars, name)`` where polars is loaded).
POLARS_DTYPES = {
    "string": "String",
    "integer": "Int64",
    "float": "Float64",
    "boolean": "Boolean",
    "date": "Date",
    "datetime": "Datetime",
    "geometry": "String",
    "json": "String",
}


@dataclass(frozen=True)
class Field:
    """One column of a dataset, as the portal describes it."""

    name: str
    type: str  # the portal's own type name, e.g. "esriFieldTypeString"
    kind: str = "string"  # one of FIELD_KINDS
    alias: str = ""
    description: str = ""
    domain: tuple[tuple[Any, str], ...] = ()  # coded values: (code, label)
    #: made by pdxtui from the portal's geometry or location (ArcGIS point layers' latitude/longitude, Socrata's
    #: point columns): in every row, but not a column the portal can filter or sort on
    derived: bool = False

    @property
    def dtype(self) -> str:
        """Name of the polars dtype for this field."""
        return POLARS_DTYPES.get(self.kind, "String")


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class DatasetSummary:
    """One search hit."""

    id: str
    title: str
    owner: str = ""
    updated: datetime | None = None
    rows: int | None = None
    type: str = ""
    snippet: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: the stated cadence as the portal gives it ("Weekly", "R/P1W"), where a search hit carries it
    update_frequency: str = ""
    #: when the data itself last changed (not the record's metadata): the best date the portal gives
    data_updated: datetime | None = None
    #: judge freshness at this moment instead of now: the date of a snapshot whose dates are frozen (the bundled
    #: sample); None for a live portal
    freshness_as_of: datetime | None = None


@dataclass(frozen=True)
class Resource:
    """One file or table inside a dataset (a CKAN resource). ``tabular``: pdxtui can show its rows."""

    id: str
    name: str
    format: str = ""
    url: str = ""
    tabular: bool = False
    datastore: bool = False  # rows come from the portal's datastore API rather than a download


@dataclass(frozen=True)
class Layer:
    """One layer or table of a map service behind a catalog record; ``id`` opens it (ArcGIS: ``ITEMID_N``)."""

    id: str
    title: str
    kind: str = "layer"  # "layer" (has geometry) or "table" (rows only)


@dataclass(frozen=True)
class Dataset:
    """Everything the metadata and schema panes show."""

    id: str
    title: str
    owner: str = ""
    description: str = ""
    licence: str = ""
    update_frequency: str = ""
    updated: datetime | None = None
    created: datetime | None = None
    #: when the data itself last changed (ArcGIS editingInfo, Socrata rowsUpdatedAt, CKAN resource
    #: last_modified; else the portal's record date): what freshness is judged on
    data_updated: datetime | None = None
    #: judge freshness at this moment instead of now (a snapshot's date: the bundled sample); None: now
    freshness_as_of: datetime | None = None
    rows: int | None = None
    fields: tuple[Field, ...] = ()
    links: tuple[Link, ...] = ()
    api_url: str = ""
    page_url: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    geometry_type: str = ""
    sample: bool = False  # True: rows are generated sample data, not the publisher's
    #: the parts of a dataset (CKAN resources); ``resource`` is the id of the one whose rows ``pages()`` gives
    resources: tuple[Resource, ...] = ()
    resource: str = ""
    #: the layers and tables of a service with several (ArcGIS): each opens as a dataset of its own
    layers: tuple[Layer, ...] = ()
    #: the column whose value identifies a row across reads, for telling rows added, removed and changed (ArcGIS:
    #: the object id field; Socrata: ``:id``; CKAN's datastore: ``_id``); "" when the portal gives none. It may be
    #: a column the portal sends only when asked (``Query.with_key``), not one of ``fields``
    key_field: str = ""
    #: why there are no rows to show, when the item is not a table (e.g. "a PDF document: no tabular preview")
    notice: str = ""

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    owner: str | None = None
    category: str | None = None
    tag: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class Facets:
    """Values a catalog can be narrowed by, each with the number of datasets.

    ``note`` says what the counts cover when that is not every dataset they stand for ("counts from the first 100
    matches"); ``kept`` names the facets ("owner", "category", "tag") not counted here (their values are what they
    were before: a facet's own choice narrows the others, but a portal that counts from the matching records alone
    cannot count the values the choice left out)."""

    owners: tuple[tuple[str, int], ...] = ()
    categories: tuple[tuple[str, int], ...] = ()
    tags: tuple[tuple[str, int], ...] = ()
    note: str = ""
    kept: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[DatasetSummary, ...]
    total: int | None
    #: the bureau, category and tag counts over this search's matches (each facet counted with the search text and
    #: the other facets' choices), from the same answer where the portal can; None when the portal gave none
    facets: Facets | None = None


@dataclass(frozen=True)
class Query:
    """What rows to fetch. ``where`` is portal-neutral filter text (None: all rows)."""

    where: str | None = None
    columns: tuple[str, ...] = ()
    order: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = None
    offset: int = 0
    #: (latitude, longitude, metres): only rows whose point lies within that distance (None: anywhere). Point
    #: layers only; portals that cannot do it raise PdxError.
    near: tuple[float, float, float] | None = None
    #: also send the dataset's key column (``Dataset.key_field``) when it is not one of its fields (Socrata's
    #: ``:id``, CKAN's ``_id``): the rows of a fingerprint, compared by id
    with_key: bool = False


def describe_near(near: tuple[float, float, float] | None) -> str:
    """``within 200 m of 45.51494, -122.67919`` (empty for None)."""
    if near is None:
        return ""
    lat, lon, metres = near
    return f"within {metres:g} m of {lat:.5f}, {lon:.5f}"


@dataclass(frozen=True)
class Page:
    """A slice of rows. ``table`` is a pyarrow.Table, or a polars.DataFrame from a portal whose rows are polars
    already (the bundled one); ``total`` the matching row count if known."""

    table: Any
    offset: int
    total: int | None = None


@dataclass(frozen=True)
class Progress:
    rows: int
    total: int | None
    pages: int = 0
    message: str = ""


@dataclass
class FetchState:
    """Where the last answer came from: the network, a fresh cache entry, or a stale one."""

    source: str = "network"  # "network" | "cache" | "stale" | "bundled"
    age_seconds: float | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def finite_float(value: Any) -> float | None:
    """A value from a portal's JSON (number or numeric text) as a finite float; None for anything else (booleans,
    NaN, infinities, text that is not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def as_text(value: Any) -> str:
    """A JSON value as text: strings as they are, None as "", anything else by ``str``."""
    return value if isinstance(value, str) else ("" if value is None else str(value))


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON object where one belongs, else an empty one (never index a list or a string)."""
    return value if isinstance(value, dict) else {}
