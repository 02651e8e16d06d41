"""Remembered datasets as tables (``pdxtui.sql.remembered``) and the cache-only read under them
(``Service.cached_dataset``, ``pdxtui.cache.cache_only``), against the fake portals: what the cache holds is
added, fresh or stale, and nothing is ever sent."""

from __future__ import annotations

import pytest

from pdxtui.cache import Store
from pdxtui.errors import NotCached
from pdxtui.memory.store import Entry, Memory, portal_key
from pdxtui.session import open_session
from pdxtui.sql.remembered import add_remembered
from pdxtui.sql.tables import Tables
from tests.support.fakeportal.fixtures import DATASETS

TREES = DATASETS["heritage_trees"]
FOUNTAINS = DATASETS["drinking_fountains"]
PERMITS = DATASETS["permits"]


@pytest.fixture
async def services():
    made = []

    def make(portal: str, **kw):
        service = open_session(portal=portal).service(**kw)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.aclose()


def age_cache(seconds: float) -> None:
    """Make every entry of the test's cache ``seconds`` older (stale for its TTL)."""
    store = Store.open(None)  # the test's cache folder ($PDXTUI_CACHE_DIR)
    try:
        for key in list(store._cache.iterkeys()):  # type: ignore[union-attr]  # opened above: never None
            entry = store.get(key, None)
            assert entry is not None
            store._cache.set(key, _repack(entry, entry.stored_at - seconds))  # type: ignore[union-attr]
    finally:
        store.close()


def _repack(entry, stored_at):
    from pdxtui.cache import _pack

    return _pack(entry.body, entry.content_type, stored_at)


async def test_a_cached_recent_is_added_one_not_cached_is_not_and_nothing_is_sent(fake_arcgis, services, tmp_path):
    portal = f"arcgis:{fake_arcgis.url}/hub"
    first = services(portal)
    opened = await first.dataset(TREES.id)  # the browser opened it once: its metadata is in the cache
    memory = Memory(tmp_path / "memory")
    key = portal_key(first.portal)
    memory.opened(key, Entry(FOUNTAINS.id, "Drinking fountains"))  # opened in another run; not in this cache
    memory.opened(key, Entry(TREES.id, opened.title))
    memory.add_bookmark(key, Entry("no-such-dataset", "Gone"))
    fake_arcgis.reset_log()

    tables = Tables()
    later = services(portal)  # a new run: a fresh portal on the same cache
    assert await add_remembered(tables, later, memory, key) == 1
    assert fake_arcgis.requests == []  # not one request, for the cached one nor for the others
    (table,) = list(tables)
    assert table.dataset.id == TREES.id and table.origin == "recent" and table.frame is None
    assert table.name == "heritage_trees" and table.describe() == "not loaded (316 rows)"
    assert not table.complete and table.rows().height == 0 and table.rows().columns == [f.name for f in opened.fields]
    # again: nothing new, the name kept
    assert await add_remembered(tables, later, memory, key) == 0
    assert tables.names() == ["heritage_trees"] and fake_arcgis.requests == []
    # the uncached one is read normally once asked for, through the same service
    with pytest.raises(NotCached):
        await later.cached_dataset(FOUNTAINS.id)
    assert (await later.dataset(FOUNTAINS.id)).id == FOUNTAINS.id and fake_arcgis.requests


async def test_a_stale_copy_counts_and_an_opened_table_is_left_as_it_is(fake_socrata, services, tmp_path):
    import polars as pl

    portal = f"socrata:{fake_socrata.url}"
    first = services(portal)
    kept = await first.dataset("tree-0077")
    other = await first.dataset("insp-2345")
    memory = Memory(tmp_path / "memory")
    key = portal_key(first.portal)
    memory.opened(key, Entry("tree-0077", kept.title))
    memory.add_bookmark(key, Entry("insp-2345", other.title))
    age_cache(30 * 86400)  # a month old: stale for every kind
    fake_socrata.reset_log()

    tables = Tables()
    rows = pl.DataFrame({"a": [1]})
    tables.add(kept, rows, 1)  # opened in this run already: its rows stay
    later = services(portal, refresh=True)  # even a refreshing service sends nothing in cache-only reads
    assert await add_remembered(tables, later, memory, key) == 1
    assert fake_socrata.requests == []
    assert [(t.dataset.id, t.origin, t.frame is None) for t in tables] == [
        ("tree-0077", "opened", False),
        ("insp-2345", "bookmark", True),
    ]
    assert tables.of(kept).frame is rows
    assert later.portal.state.source == "cache"  # read from the cache, not "stale": nobody asked the portal


async def test_a_ckan_csv_resource_in_the_cache_needs_no_peek(fake_ckan, services, tmp_path):
    portal = f"ckan:{fake_ckan.url}"
    first = services(portal)
    bikes = await first.dataset("bike-counts")  # a CSV resource: its columns come from the file's start
    memory = Memory(tmp_path / "memory")
    key = portal_key(first.portal)
    memory.opened(key, Entry("bike-counts", bikes.title))
    age_cache(30 * 86400)  # a stale copy of the file: its start is read from there, not peeked at
    fake_ckan.reset_log()
    tables = Tables()
    assert await add_remembered(tables, services(portal), memory, key) == 1
    assert fake_ckan.requests == []
    assert [f.name for f in next(iter(tables)).dataset.fields] == [f.name for f in bikes.fields]


async def test_the_bundled_sample_answers_and_a_damaged_memory_file_is_a_warning(demo_service, tmp_path):
    memory = Memory(tmp_path / "memory")
    memory.opened("bundled", Entry("63d4fe31021075f62edebe781978c0fc_26", "Heritage Trees"))
    tables = Tables()
    assert await add_remembered(tables, demo_service, memory, "bundled") == 1
    assert next(iter(tables)).origin == "recent"

    memory.path.write_text("{not json", encoding="utf-8")
    assert await add_remembered(Tables(), demo_service, memory, "bundled") == 0
    assert any("damaged" in w for w in memory.warnings)


async def test_cache_only_is_for_the_task_that_asked(fake_arcgis, services):
    """A cache-only read beside an ordinary one on the same service: the ordinary one still goes out."""
    import asyncio

    service = services(f"arcgis:{fake_arcgis.url}/hub")
    ordinary, cached = await asyncio.gather(
        service.dataset(PERMITS.id), service.cached_dataset(TREES.id), return_exceptions=True
    )
    assert getattr(ordinary, "id", None) == PERMITS.id
    assert isinstance(cached, NotCached)
