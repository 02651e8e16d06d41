"""The filter bar's hint is an example written for the open dataset: it parses, and each part matches rows."""

from __future__ import annotations

import asyncio

import polars as pl
import pytest

from pdxtui.filters import And, Compare, example, parse, to_polars
from pdxtui.model import Field, SearchRequest
from pdxtui.portals.bundled import BundledPortal
from pdxtui.service import Service


def bundled_previews():
    async def go():
        service = Service(BundledPortal())
        hits = (await service.search(SearchRequest(limit=100))).hits
        out = []
        for hit in hits:
            ds = await service.dataset(hit.id)
            out.append(await service.preview(ds, rows=1000))
        return out

    return asyncio.run(go())


PREVIEWS = bundled_previews()


@pytest.mark.parametrize("preview", PREVIEWS, ids=[p.dataset.title for p in PREVIEWS])
def test_example_parses_and_each_part_matches_loaded_rows(preview):
    frame, fields = preview.frame, preview.dataset.fields
    text = example(fields, {c: frame[c].to_list() for c in frame.columns})
    assert text, preview.dataset.title
    node = parse(text, fields)
    parts = node.items if isinstance(node, And) else (node,)
    assert 1 <= len(parts) <= 2
    for part in parts:
        assert isinstance(part, Compare) and part.op in ("~", ">")
        assert frame.filter(to_polars(part, frame.schema)).height > 0, (text, part)


def test_example_by_hand():
    fields = (
        Field("OBJECTID", "oid", "integer"),
        Field("NAME", "s", "string"),
        Field("CODE", "s", "string", domain=(("A", "Alpha"),)),
        Field("ACRES", "d", "float"),
    )
    rows = {
        "OBJECTID": [1, 2, 3],
        "NAME": [None, "12 - Laurelhurst Park", "x"],
        "CODE": ["A"] * 3,
        "ACRES": [1.5, 30.0, 7.25],
    }
    assert example(fields, rows) == "NAME ~ laurelhurst and ACRES > 7"
    assert example(fields[:1], rows) == ""  # only an id: no example
    assert example((Field("my field", "s", "string"),), {"my field": ["Oak it's"]}) == "`my field` ~ oak"
    assert parse(
        example((Field("my field", "s", "string"),), {"my field": ["Oak"]}), (Field("my field", "s", "string"),)
    )


def test_example_ignores_nan_and_booleans():
    fields = (Field("FLAG", "b", "boolean"), Field("V", "d", "float"))
    assert example(fields, {"FLAG": [True], "V": [float("nan"), 2.0, 4.0]}) == "V > 4"
    assert pl.DataFrame({"V": [2.0, 4.0, 5.0]}).filter(to_polars(parse("V > 4", fields), {"V": pl.Float64})).height == 1
