"""Rows of CKAN resources as Arrow tables: datastore_search records (CSV files are typed in
``pdxtui.portals.csvtable``, shared with the ArcGIS CSV items; ``parse_csv`` and ``csv_fields`` are named here too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pdxtui.model import Field
from pdxtui.portals.csvtable import csv_fields, parse_csv

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def text_bool(value: Any) -> Any:
    """A datastore value for a boolean column: text "true"/"false" (and t/f, yes/no, 1/0) read as such, never
    by Python truthiness (``bool("false")`` is True); unreadable text is None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    if isinstance(value, (int, float)):
        return bool(value)
    return None


def records_table(records: list[Any], fields: Sequence[Field]) -> Any:
    """A pyarrow Table (one column per field, in order) from datastore_search ``records``."""
    import pyarrow as pa

    from pdxtui.portals.arcgis import column

    rows = [r if isinstance(r, dict) else {} for r in records]
    arrays = [
        column([text_bool(r.get(f.name)) if f.kind == "boolean" else r.get(f.name) for r in rows], f) for f in fields
    ]
    return pa.Table.from_arrays(arrays, names=[f.name for f in fields])


__all__ = ["csv_fields", "parse_csv", "records_table", "text_bool"]
