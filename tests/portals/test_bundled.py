"""The bundled offline portal: its catalog, search, facets, and the generated sample rows."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from datetime import timedelta
from importlib.resources import files

import polars as pl
import pytest

from pdxtui.errors import NotFound, PdxError
from pdxtui.model import FIELD_KINDS, Dataset, Link, Progress, Query, SearchRequest
from pdxtui.portals.base import Portal
from pdxtui.portals.bundled import LABEL, LICENCE, PAGE_ROWS, BundledPortal, _frame
from pdxtui.portals.snapshot import catalog
from pdxtui.portals.snapshot.generate import build_frame

STREET_TREES = "a494697005da9eea74335a369b0e3689_1415"
HERITAGE_TREES = "63d4fe31021075f62edebe781978c0fc_26"
COUNCIL_DISTRICTS = "c0bfca09c5646f3d854c615330aa5623_1413"
NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"
URBAN_FORESTRY = "Portland Parks & Recreation – Urban Forestry"

ESRI_KINDS = {
    "esriFieldTypeOID": "integer",
    "esriFieldTypeInteger": "integer",
    "esriFieldTypeSmallInteger": "integer",
    "esriFieldTypeDouble": "float",
    "esriFieldTypeString": "string",
    "esriFieldTypeDate": "datetime",
    "esriFieldTypeDateOnly": "date",
}
POLARS_TYPES = {
    "integer": pl.Int64,
    "float": pl.Float64,
    "string": pl.String,
    "date": pl.Date,
    "datetime": pl.Datetime("ms", "UTC"),
}


@pytest.fixture
def portal() -> BundledPortal:
    return BundledPortal(name="demo")


async def everything(portal: BundledPortal) -> list[Dataset]:
    result = await portal.search(SearchRequest(limit=1000))
    return [await portal.dataset(hit.id) for hit in result.hits]


async def fetch(portal: BundledPortal, dataset_id: str, query: Query = Query(), progress=None) -> pl.DataFrame:
    dataset = await portal.dataset(dataset_id)
    pages = [page async for page in portal.pages(dataset, query, progress)]
    assert all(isinstance(page.table, pl.DataFrame) for page in pages)  # polars already: no pyarrow round trip
    return pl.concat([page.table for page in pages])


# -- catalog ----------------------------------------------------------------------------------------------------


def test_it_is_a_portal(portal):
    assert isinstance(portal, Portal)
    assert (portal.kind, portal.name, portal.label) == ("bundled", "demo", LABEL)
    assert portal.state.source == "bundled"


async def test_every_dataset_is_flagged_and_described_as_sample(portal):
    datasets = await everything(portal)
    assert len(datasets) >= 12
    for d in datasets:
        assert d.sample is True
        assert d.description.startswith("Sample data:")
        assert "not the City of Portland's" in d.description


async def test_metadata_looks_like_portlands(portal):
    for d in await everything(portal):
        assert re.fullmatch(r"[0-9a-f]{32}_\d+", d.id), d.id
        assert d.title and d.owner and d.update_frequency and d.categories and d.tags
        assert d.licence == LICENCE
        assert re.fullmatch(
            r"https://www\.portlandmaps\.com/od/rest/services/COP_OpenData_\w+/MapServer/\d+/query", d.api_url
        )
        assert d.api_url.removesuffix("/query").endswith("/" + d.id.rsplit("_", 1)[1])
        assert d.page_url.startswith("https://gis-pdx.opendata.arcgis.com/datasets/PDX::")
        assert d.links and all(isinstance(link, Link) and link.url.startswith("https://") for link in d.links)
        assert d.created.utcoffset() == timedelta(0) and d.updated.utcoffset() == timedelta(0)
        assert d.created < d.updated
        assert d.rows and d.rows > 0
        assert d.geometry_type.startswith("esriGeometry")
        assert d.fields[0].name == "OBJECTID" and d.fields[0].type == "esriFieldTypeOID"
        assert len({f.name for f in d.fields}) == len(d.fields)


async def test_the_portland_layers_from_the_brief_are_there(portal):
    by_title = {d.title: d for d in await everything(portal)}
    for title in (
        "Street Tree Inventory - Active Records",
        "Parks Tree Inventory",
        "Heritage Trees",
        "City Council Districts",
        "Business Districts",
        "Residential Building Permits",
        "Address Points",
        "Streets",
        "Neighborhoods",
    ):
        assert title in by_title
    trees = by_title["Street Tree Inventory - Active Records"]
    assert trees.id == STREET_TREES and trees.rows >= 250_000 and trees.owner == URBAN_FORESTRY
    assert {
        "OBJECTID",
        "SPECIES",
        "DIAMETER",
        "Condition",
        "MATURE_SIZE",
        "FUNCTIONAL_TYPE",
        "Site_Type",
        "Address",
    } <= {f.name for f in trees.fields}
    assert trees.api_url.endswith("COP_OpenData_Environment/MapServer/1415/query")
    assert by_title["City Council Districts"].rows == 4
    layers = {e["title"]: e for e in catalog()["datasets"]}  # the layers' maxRecordCount, kept in the snapshot
    assert layers["City Council Districts"]["max_record_count"] == 500
    assert layers["Residential Building Permits"]["max_record_count"] == 150
    assert by_title["Neighborhoods"].id == NEIGHBORHOODS and 90 <= by_title["Neighborhoods"].rows <= 100
    assert 15_000 <= by_title["Parks Tree Inventory"].rows <= 40_000


async def test_field_kinds_follow_the_esri_types(portal):
    for d in await everything(portal):
        for f in d.fields:
            assert f.kind in FIELD_KINDS
            assert f.kind == ESRI_KINDS[f.type], (d.title, f.name)


async def test_some_fields_carry_coded_domains(portal):
    trees = await portal.dataset(STREET_TREES)
    assert ("Good", "Good") in trees.field("Condition").domain
    assert ("BD", "Broadleaf deciduous") in trees.field("FUNCTIONAL_TYPE").domain


def test_catalog_text_has_no_markup_or_escapes():
    for name in ("catalog.json", "tables.json"):
        text = (files("pdxtui.portals.snapshot") / name).read_text(encoding="utf-8")
        json.loads(text)
        assert "\x1b" not in text
        assert not re.search(r"\[/?[a-z@#]", text), name


# -- search and facets ------------------------------------------------------------------------------------------


async def test_empty_search_lists_everything_newest_first(portal):
    result = await portal.search(SearchRequest())
    assert result.total == len(result.hits) >= 12
    keys = [(h.updated, h.title) for h in result.hits]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
    assert all(h.updated.utcoffset() == timedelta(0) for h in result.hits)


async def test_every_word_must_match(portal):
    trees = await portal.search(SearchRequest(text="TREE"))
    assert 3 <= trees.total < 14
    assert {h.title for h in (await portal.search(SearchRequest(text="heritage tree"))).hits} == {"Heritage Trees"}
    assert (await portal.search(SearchRequest(text="tree nonsenseword"))).total == 0


async def test_title_words_rank_above_title_substrings_and_other_text(portal):
    titles = [h.title for h in (await portal.search(SearchRequest(text="tree"))).hits]
    # "Tree" is a title word of the inventories, starts "Trees", is inside "Streets"; the rest match elsewhere
    assert titles[:4] == ["Street Tree Inventory - Active Records", "Parks Tree Inventory", "Heritage Trees", "Streets"]
    park = [h.title for h in (await portal.search(SearchRequest(text="park"))).hits]
    assert set(park[:3]) == {"Parks", "Parks Tree Inventory", "Bicycle Parking"}  # title words starting "park"
    assert set(park[3:]) == {"Street Tree Inventory - Active Records", "Heritage Trees"}  # owner or description


async def test_words_match_owner_tags_and_categories(portal):
    assert (await portal.search(SearchRequest(text="elections office"))).hits[0].id == COUNCIL_DISTRICTS
    assert (await portal.search(SearchRequest(text="stormwater"))).total >= 1
    forestry = await portal.search(SearchRequest(text="urban forestry"))
    assert {h.owner for h in forestry.hits} == {URBAN_FORESTRY}


async def test_a_dataset_id_typed_as_text_finds_it(portal):
    result = await portal.search(SearchRequest(text=NEIGHBORHOODS))
    assert [h.id for h in result.hits] == [NEIGHBORHOODS]
    result = await portal.search(SearchRequest(text=f"  {STREET_TREES.upper()} "))
    assert [h.id for h in result.hits] == [STREET_TREES]


async def test_filters_match_exactly_ignoring_case(portal):
    owned = await portal.search(SearchRequest(owner=URBAN_FORESTRY.upper()))
    assert owned.total == 3 and {h.owner for h in owned.hits} == {URBAN_FORESTRY}
    assert (await portal.search(SearchRequest(owner="Urban Forestry"))).total == 0  # exact, not a substring
    transport = await portal.search(SearchRequest(category="transportation"))
    assert transport.total >= 3 and all("Transportation" in h.categories for h in transport.hits)
    assert {h.title for h in (await portal.search(SearchRequest(tag="PARKS"))).hits} == {
        "Parks",
        "Parks Tree Inventory",
    }
    tagged = await portal.search(SearchRequest(tag="parks", text="tree"))
    assert [h.title for h in tagged.hits] == ["Parks Tree Inventory"]


async def test_limit_and_offset_page_through_the_same_order(portal):
    full = await portal.search(SearchRequest(limit=100))
    first = await portal.search(SearchRequest(limit=5))
    second = await portal.search(SearchRequest(limit=5, offset=5))
    assert first.total == second.total == full.total
    assert first.hits + second.hits == full.hits[:10]
    assert (await portal.search(SearchRequest(offset=1000))).hits == ()


async def test_facets_count_datasets_most_common_first(portal):
    facets = await portal.facets()
    datasets = await everything(portal)
    assert sum(count for _, count in facets.owners) == len(datasets)
    for values in (facets.owners, facets.categories, facets.tags):
        assert list(values) == sorted(values, key=lambda item: (-item[1], item[0].casefold()))
    assert dict(facets.owners)[URBAN_FORESTRY] == 3
    for category, count in facets.categories:
        assert (await portal.search(SearchRequest(category=category))).total == count


async def test_unknown_dataset_id_raises_not_found(portal):
    with pytest.raises(NotFound) as caught:
        await portal.dataset("0123456789abcdef0123456789abcdef_1")
    assert "0123456789abcdef0123456789abcdef_1" in str(caught.value) and "\n" not in str(caught.value)


# -- rows -------------------------------------------------------------------------------------------------------


async def test_count_comes_from_the_catalog(portal):
    trees = await portal.dataset(STREET_TREES)
    assert await portal.count(trees, Query()) == trees.rows >= 250_000
    frame = build_frame(STREET_TREES)
    assert (
        await portal.count(trees, Query(where="Condition = 'Dead'"))
        == frame.filter(pl.col("Condition") == "Dead").height
    )


async def test_street_trees_pages_deliver_every_row_exactly_once(portal):
    seen: list[Progress] = []
    trees = await portal.dataset(STREET_TREES)
    pages = [page async for page in portal.pages(trees, Query(), seen.append)]
    assert all(page.table.height <= PAGE_ROWS for page in pages) and len(pages) > 1
    assert [page.offset for page in pages] == [i * PAGE_ROWS for i in range(len(pages))]
    assert all(page.total == trees.rows for page in pages)
    frame = pl.concat([page.table for page in pages])
    assert frame.height == trees.rows >= 250_000
    assert frame["OBJECTID"].n_unique() == frame.height
    assert frame["OBJECTID"].to_list() == list(range(1, frame.height + 1))
    assert [p.pages for p in seen] == list(range(1, len(pages) + 1))
    assert seen[-1].rows == seen[-1].total == trees.rows


async def test_a_bad_filter_is_refused_with_its_position(portal):
    from pdxtui.filters import FilterError

    trees = await portal.dataset(STREET_TREES)
    with pytest.raises(FilterError) as info:
        [page async for page in portal.pages(trees, Query(where="1=1"))]
    assert info.value.position == 0


async def test_pages_filter_and_sort_the_whole_dataset(portal):
    trees = await portal.dataset(STREET_TREES)
    query = Query(where="SPECIES ~ maple and DIAMETER > 30", order=(("DIAMETER", True),), limit=5000)
    pages = [page async for page in portal.pages(trees, query)]
    got = pl.concat([page.table for page in pages])
    frame = build_frame(STREET_TREES)
    expected = frame.filter(
        pl.col("SPECIES").str.to_lowercase().str.contains("maple", literal=True) & (pl.col("DIAMETER") > 30)
    )
    assert pages[0].total == expected.height
    assert got.height == min(5000, expected.height)
    assert got["DIAMETER"].to_list() == sorted(expected["DIAMETER"].to_list(), reverse=True)[: got.height]


def test_rows_are_deterministic():
    first, second = build_frame(STREET_TREES), build_frame(STREET_TREES)
    assert first is not second and first.equals(second)
    # pinned values: the same rows on every run and every machine
    row = first.row(0, named=True)
    assert {k: row[k] for k in ("OBJECTID", "SPECIES", "DIAMETER", "Condition", "Address", "Latitude")} == {
        "OBJECTID": 1,
        "SPECIES": "Betula pendula - European white birch",
        "DIAMETER": 50.9,
        "Condition": "Good",
        "Address": "1045 SE LINCOLN ST",
        "Latitude": 45.514738,
    }
    assert first["Condition"].value_counts().sort("Condition").rows() == [
        ("Dead", 5034),
        ("Fair", 83352),
        ("Good", 138606),
        ("Poor", 25192),
    ]


async def test_frames_match_the_fields_of_every_dataset(portal):
    for d in await everything(portal):
        frame = build_frame(d.id)
        assert frame.height == d.rows
        assert frame.columns == [f.name for f in d.fields]
        for f in d.fields:
            assert frame.schema[f.name] == POLARS_TYPES[f.kind], (d.title, f.name)
        domains = {f.name: {code for code, _ in f.domain} for f in d.fields if f.domain}
        for name, codes in domains.items():
            assert set(frame[name].drop_nulls().unique()) <= codes, (d.title, name)


async def test_arrow_pages_keep_the_types(portal):
    frame = await fetch(portal, HERITAGE_TREES)
    assert frame.schema["DATE_DESIG"] == pl.Datetime("ms", "UTC")
    assert frame.schema["TREEID"] == pl.Int64 and frame.schema["HEIGHT"] == pl.Float64


async def test_points_lie_within_portland(portal):
    for d in await everything(portal):
        if d.field("Latitude") is None:
            continue
        frame = build_frame(d.id)
        assert frame["Latitude"].min() >= 45.43 and frame["Latitude"].max() <= 45.65
        assert frame["Longitude"].min() >= -122.84 and frame["Longitude"].max() <= -122.47


async def test_sample_rows_have_nulls_and_non_ascii_text(portal):
    heritage = build_frame(HERITAGE_TREES)
    assert 0 < heritage["NOTES"].null_count() < heritage.height
    assert heritage["Delist_Date"].null_count() > heritage.height // 2
    text = " ".join(heritage["NOTES"].drop_nulls().unique().to_list())
    assert "ñ" in text.lower() and not text.isascii()
    assert not " ".join(build_frame(STREET_TREES)["Address"].unique().to_list()).isascii()


async def test_columns_are_narrowed_and_reordered(portal):
    frame = await fetch(portal, STREET_TREES, Query(columns=("Address", "OBJECTID"), offset=5, limit=10))
    assert frame.columns == ["Address", "OBJECTID"]
    assert frame["OBJECTID"].to_list() == list(range(6, 16))


async def test_order_sorts_locally_with_nulls_last(portal):
    for descending in (False, True):
        query = Query(columns=("OBJECTID", "Delist_Date"), order=(("Delist_Date", descending),))
        frame = await fetch(portal, HERITAGE_TREES, query)
        dates = frame["Delist_Date"]
        present = dates.drop_nulls()
        assert dates[: len(present)].to_list() == sorted(present.to_list(), reverse=descending)
        assert 0 < len(present) < len(dates)
        assert dates[len(present) :].null_count() == len(dates) - len(present)


async def test_order_by_several_columns_then_limit(portal):
    query = Query(columns=("Condition", "DIAMETER"), order=(("Condition", False), ("DIAMETER", True)), limit=1000)
    frame = await fetch(portal, STREET_TREES, query)
    assert frame.height == 1000
    assert set(frame["Condition"]) == {"Dead"}
    assert frame["DIAMETER"].to_list() == sorted(frame["DIAMETER"].to_list(), reverse=True)


async def test_an_empty_selection_still_yields_the_columns(portal):
    trees = await portal.dataset(STREET_TREES)
    pages = [page async for page in portal.pages(trees, Query(columns=("SPECIES",), limit=0))]
    assert len(pages) == 1 and pages[0].table.height == 0 and pages[0].table.columns == ["SPECIES"]


@pytest.mark.parametrize(
    "query",
    [
        Query(columns=("NOPE",)),
        Query(order=(("NOPE", False),)),
        Query(columns=("SPECIES", "SPECIES")),
        Query(offset=-1),
        Query(limit=-5),
    ],
)
async def test_bad_queries_raise_a_pdx_error(portal, query):
    trees = await portal.dataset(STREET_TREES)
    with pytest.raises(PdxError):
        [page async for page in portal.pages(trees, query)]


async def test_building_rows_does_not_block_the_event_loop(portal):
    _frame.cache_clear()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.002)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    try:
        await fetch(portal, STREET_TREES, Query(order=(("OBJECTID", False),), limit=10))  # a sort: every row built
    finally:
        ticker.cancel()
    assert ticks >= 3


def test_a_slice_of_rows_built_alone_is_that_slice_of_the_whole_dataset():
    for item in catalog()["datasets"]:  # every spec kind of the catalog is used by one dataset or another
        n = item["rows"]
        whole = build_frame(item["id"])
        for start, stop in ((0, 20), (n // 2, n // 2 + 777), (max(n - 5, 0), n + 10), (n, n + 5)):
            alone = build_frame(item["id"], start, stop)
            assert alone.schema == whole.schema
            assert alone.equals(whole.slice(start, stop - start)), (item["id"], start, stop)


async def test_a_preview_page_is_built_without_the_whole_dataset(portal):
    _frame.cache_clear()
    first = await fetch(portal, STREET_TREES, Query(limit=20))
    later = await fetch(portal, STREET_TREES, Query(columns=("SPECIES", "OBJECTID"), offset=100_000, limit=30))
    assert _frame.cache_info().currsize == 0  # the 252,184 rows were never built
    whole = build_frame(STREET_TREES)
    assert first.equals(whole.head(20))
    assert later.equals(whole.select("SPECIES", "OBJECTID").slice(100_000, 30))


async def test_frames_are_cached(portal):
    await fetch(portal, COUNCIL_DISTRICTS)
    hits = _frame.cache_info().hits
    await fetch(portal, COUNCIL_DISTRICTS, Query(columns=("NAME",)))
    assert _frame.cache_info().hits == hits + 1


def test_catalog_work_imports_neither_polars_nor_pyarrow():
    code = (
        "import sys, asyncio\n"
        "from pdxtui.portals.bundled import BundledPortal\n"
        "from pdxtui.model import Query, SearchRequest\n"
        "async def main():\n"
        "    p = BundledPortal(name='demo')\n"
        "    await p.search(SearchRequest(text='trees'))\n"
        "    await p.search(SearchRequest(owner='City Elections Office'))\n"
        "    await p.facets()\n"
        f"    d = await p.dataset({STREET_TREES!r})\n"
        "    await p.count(d, Query())\n"
        "    await p.aclose()\n"
        "asyncio.run(main())\n"
        "bad = sorted(m for m in ('polars', 'pyarrow', 'httpx', 'textual') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
