"""Which ArcGIS field identifies a row (``Dataset.key_field``), on servers of every age: ``objectIdField`` where the
layer JSON names it (whatever its case), else the field typed esriFieldTypeOID (FID, OBJECTID_1), else none."""

from __future__ import annotations

import pytest

from pdxtui.portals.arcgis.layer import _fields

OID, INT, TEXT = "esriFieldTypeOID", "esriFieldTypeInteger", "esriFieldTypeString"


def info(*fields: tuple[str, str], **extra):
    return {"fields": [{"name": n, "type": t} for n, t in fields], **extra}


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        (info(("OBJECTID", OID), ("NAME", TEXT), objectIdField="OBJECTID"), "OBJECTID"),
        # 10.x servers: no objectIdField; the OID-typed field, whatever it is called
        (info(("FID", OID), ("NAME", TEXT)), "FID"),
        (info(("NAME", TEXT), ("OBJECTID_1", OID), ("OBJECTID", INT)), "OBJECTID_1"),
        # the layer's own word wins over the first OID-typed field, and is matched in the field's own spelling
        (info(("OID_OLD", OID), ("OBJECTID", OID), objectIdField="OBJECTID"), "OBJECTID"),
        (info(("ObjectId", OID), objectIdField="OBJECTID"), "ObjectId"),
        # an objectIdField naming no field: the OID-typed field still serves
        (info(("FID", OID), objectIdField="GONE"), "FID"),
        # a table (or a join view) without an object id: none, never a guess from the name
        (info(("OBJECTID", INT), ("NAME", TEXT)), None),
        (info(("NAME", TEXT), objectIdField=""), None),
    ],
)
def test_the_row_id_field(layer, key):
    assert _fields(layer)[1] == key


@pytest.mark.parametrize("geometry", [{}, ["esriGeometryPolygon"], 3, None])
def test_a_geometry_type_that_is_not_text_is_no_geometry(geometry):
    """A layer whose geometryType is not text (a mangled or odd answer) has no outline column, and no crash (found by
    tests/faults/test_fuzz.py: a dict there raised TypeError: unhashable type)."""
    fields, oid, lat, lon = _fields({"geometryType": geometry, "fields": [{"name": "OBJECTID", "type": OID}]})
    assert [f.name for f in fields] == ["OBJECTID"] and oid == "OBJECTID" and lat is None and lon is None
