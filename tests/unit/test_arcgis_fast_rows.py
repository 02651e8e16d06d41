"""The fast page reader (pyarrow's JSON reader) gives exactly the reference reader's table, or declines."""

from __future__ import annotations

import json

from pdxtui.model import Field
from pdxtui.portals.arcgis.rows import _FastRows, rows_from_json

FIELDS = (
    Field("OBJECTID", "esriFieldTypeOID", "integer"),
    Field("Condition", "esriFieldTypeString", "string", domain=(("G", "Good"), ("P", "Poor"), ("G", "Fine"))),
    Field("Size", "esriFieldTypeSmallInteger", "integer", domain=((1, "Small"), (2, "Large"))),
    Field("Planted", "esriFieldTypeDate", "datetime"),
    Field("Height", "esriFieldTypeDouble", "float"),
    Field("Name", "esriFieldTypeString", "string"),
    Field("latitude", "esriFieldTypeDouble", "float", derived=True),
    Field("longitude", "esriFieldTypeDouble", "float", derived=True),
)

FEATURES = [
    {"attributes": {"OBJECTID": 1, "Condition": "G", "Size": 1, "Planted": 0, "Height": 1.5, "Name": "Oak"},
     "geometry": {"x": -122.6, "y": 45.5}},
    # a code without a label stays as sent (an integer one as text); nulls stay null
    {"attributes": {"OBJECTID": 2, "Condition": "X", "Size": 7, "Planted": None, "Height": None, "Name": None},
     "geometry": {"x": -122.7, "y": 45.6}},
    {"attributes": {"OBJECTID": 3, "Condition": None, "Size": None, "Planted": 1700000000000, "Height": 2.0,
                    "Name": "Café"}, "geometry": None},
    {"attributes": {"OBJECTID": 4, "Condition": "P", "Size": 2, "Planted": -86400000, "Height": 0.25, "Name": ""},
     "geometry": {"x": -122.8, "y": 45.7}},
]  # fmt: skip


def both(body: bytes, ask: int = 10):
    fast = _FastRows(FIELDS, "latitude", "longitude").read(body, "application/json", ask)
    reference = rows_from_json(json.loads(body), FIELDS, "latitude", "longitude", ask)
    return fast, reference


def test_the_fast_reader_gives_the_reference_table_with_coded_values():
    fast, reference = both(json.dumps({"features": FEATURES, "exceededTransferLimit": True}).encode())
    assert fast is not None, "the fast reader declined a page it can read"
    assert fast.table.equals(reference.table) and fast.table.schema == reference.table.schema
    assert (fast.rows, fast.exceeded) == (reference.rows, reference.exceeded) == (4, True)
    rows = fast.table.to_pylist()
    assert [r["Condition"] for r in rows] == ["Fine", "X", None, "Poor"]  # the last label of a code wins
    assert [r["Size"] for r in rows] == ["Small", "7", None, "Large"]
    assert [r["latitude"] for r in rows] == [45.5, 45.6, None, 45.7]


def test_a_partial_page_reads_the_same_first_rows():
    fast, reference = both(json.dumps({"features": FEATURES}).encode(), ask=2)
    assert fast is not None and fast.table.equals(reference.table) and fast.rows == 2


def test_nan_coordinates_become_null_on_the_reference_path():
    """``NaN`` is no JSON: the fast reader declines, json.loads reads it, and no coordinate is NaN."""
    features = [dict(f) for f in FEATURES]
    features[0] = {**features[0], "geometry": {"x": float("nan"), "y": 45.5}}
    fast, reference = both(json.dumps({"features": features}).encode())
    assert fast is None
    assert reference.table.column("longitude").to_pylist() == [None, -122.7, None, -122.8]
    assert reference.table.column("latitude").to_pylist() == [45.5, 45.6, None, 45.7]
