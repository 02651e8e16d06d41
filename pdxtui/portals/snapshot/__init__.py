"""Data of the bundled offline snapshot.

``catalog.json`` holds each dataset's metadata (modelled on the City of Portland's real layers) and, per field, a
``gen`` spec that says how its sample values are generated. ``tables.json`` holds the value lists those specs draw
from (tree species, streets, neighborhoods...). Rows are built on demand by :mod:`.generate`, which imports
polars; this module only reads JSON, so it is cheap to import.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

#: esri field type -> normalised kind (see ``pdxtui.model.FIELD_KINDS``)
ESRI_KINDS = {
    "esriFieldTypeOID": "integer",
    "esriFieldTypeInteger": "integer",
    "esriFieldTypeSmallInteger": "integer",
    "esriFieldTypeBigInteger": "integer",
    "esriFieldTypeDouble": "float",
    "esriFieldTypeSingle": "float",
    "esriFieldTypeString": "string",
    "esriFieldTypeGUID": "string",
    "esriFieldTypeGlobalID": "string",
    "esriFieldTypeDate": "datetime",
    "esriFieldTypeDateOnly": "date",
    "esriFieldTypeGeometry": "geometry",
}


def _read(name: str) -> dict[str, Any]:
    return json.loads((files(__name__) / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def catalog() -> dict[str, Any]:
    """The parsed ``catalog.json``: ``{"macros": {...}, "datasets": [...]}``."""
    return _read("catalog.json")


@lru_cache(maxsize=1)
def tables() -> dict[str, Any]:
    """The value lists of ``tables.json``: ``{name: {"columns": [...], "rows": [[...], ...]}}``."""
    return _read("tables.json")["tables"]


def entry(dataset_id: str) -> dict[str, Any] | None:
    """The catalog entry for one dataset id, or None."""
    for item in catalog()["datasets"]:
        if item["id"] == dataset_id:
            return item
    return None
