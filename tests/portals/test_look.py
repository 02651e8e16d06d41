"""``pdxtui.memory.look.look`` against the fake ArcGIS portal, its layers changed between two looks
(tests/support/fakeportal/changes.py): rows added, removed and edited by object id; a field added and one retyped
without marking rows changed; a server that does not move its date; a large layer looked at with metadata and a
count only."""

from __future__ import annotations

import pytest

from pdxtui.memory.look import look
from pdxtui.memory.store import Memory
from pdxtui.session import open_session
from tests.support.fakeportal.changes import Change
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.fresh import ms_ago

HERITAGE = DATASETS["heritage_trees"]  # 316 rows: hashed per row


@pytest.fixture
async def service(fake_arcgis):
    made = open_session(portal=f"arcgis:{fake_arcgis.url}/hub").service(refresh=True)
    yield made
    await made.aclose()


@pytest.fixture
def memory(tmp_path):
    return Memory(tmp_path / "memory")


async def again(service, memory, ident, portal="p"):
    return await look(service, await service.dataset(ident), memory, portal)


async def test_rows_added_removed_and_edited(fake_arcgis, service, memory):
    app = fake_arcgis.apps["arcgis"]
    app.editing_info["heritage_trees"] = {"lastEditDate": ms_ago(30)}
    first = await again(service, memory, HERITAGE.id)
    assert first.changes is None and first.before is None
    assert first.fingerprint.key == "OBJECTID" and len(first.fingerprint.row_hashes) == HERITAGE.row_count
    assert first.frame is not None and first.frame.height == HERITAGE.row_count
    same = await again(service, memory, HERITAGE.id)
    assert same.changes is not None and not same.changes.any and same.changes.changed == ()

    app.change("heritage_trees", Change(add=({"COMMON": "Pacific yew"},), remove=(3,), edit={5: {"HEIGHT": 80.5}}))
    changes = (await again(service, memory, HERITAGE.id)).changes
    assert (changes.added, changes.removed, changes.changed) == (("317",), ("3",), ("5",))
    assert changes.rows_before == changes.rows_after == HERITAGE.row_count
    assert changes.data_updated_after > changes.data_updated_before  # editingInfo.lastEditDate moved
    assert not changes.fields and changes.any


async def test_a_field_added_and_one_retyped_mark_no_row_changed(fake_arcgis, service, memory):
    await again(service, memory, HERITAGE.id)
    change = Change(
        add_field=(("Site_Type", "esriFieldTypeString", "Street"),), retype={"TREEID": "esriFieldTypeDouble"}
    )
    fake_arcgis.apps["arcgis"].change("heritage_trees", change)
    changes = (await again(service, memory, HERITAGE.id)).changes
    assert [(f.name, f.change, f.old_type, f.new_type) for f in changes.fields] == [
        ("Site_Type", "added", "", "String"),
        ("TREEID", "type", "Integer", "Double"),
    ]
    assert changes.added == changes.removed == changes.changed == ()
    assert "field `Site_Type` added, `TREEID` Integer\u2192Double" in changes.describe()


async def test_a_server_that_does_not_move_its_date_is_read_from_the_rows(fake_arcgis, service, memory):
    old = DATASETS["sewer_manholes"]  # 10.22: no editingInfo; the date is the Hub record's, which does not move
    await again(service, memory, old.id)
    fake_arcgis.apps["arcgis"].change("sewer_manholes", Change(remove=(7,), edit={9: {"NAME": "Renamed"}}, touch=False))
    changes = (await again(service, memory, old.id)).changes
    assert changes.data_updated_after == changes.data_updated_before
    assert (changes.removed, changes.changed) == (("7",), ("9",))
    assert changes.describe().endswith(": \u22121 row, 1 row changed")


async def test_a_large_layer_is_looked_at_with_metadata_and_a_count_only(fake_arcgis, service, memory):
    trees = DATASETS["street_trees"]  # 20,437 rows
    dataset = await service.dataset(trees.id)
    fake_arcgis.reset_log()
    seen = await look(service, dataset, memory, "p")
    assert seen.fingerprint.row_hashes is None and seen.fingerprint.rows == trees.row_count and seen.frame is None
    assert fake_arcgis.requests == []  # the count came with the metadata
    fake_arcgis.apps["arcgis"].change("street_trees", Change(remove=(1, 2, 3)))
    fake_arcgis.reset_log()
    changes = (await again(service, memory, trees.id)).changes
    assert changes.describe().startswith("Since ") and "\u22123 rows (net)" in changes.describe()
    queries = fake_arcgis.requests_to("/query")
    assert queries and all(r.params.get("returnCountOnly") == "true" for r in queries)


async def test_a_map_service_of_several_layers_is_looked_at_without_rows(fake_arcgis, service, memory):
    """A bookmarked map service (or a PDF item) has no rows to count: its look is its metadata, never an error."""
    from tests.support.fakeportal.fixtures import OTHER_ITEMS

    dataset = await service.dataset(OTHER_ITEMS[0].id)
    assert dataset.notice and dataset.layers
    fake_arcgis.reset_log()
    first = await look(service, dataset, memory, "p")
    assert first.fingerprint.rows is None and first.fingerprint.row_hashes is None
    assert fake_arcgis.requests == []
    changes = (await look(service, dataset, memory, "p")).changes
    assert changes is not None and not changes.any


async def test_a_short_read_is_not_taken_for_the_whole_dataset(fake_arcgis, service, memory):
    """The portal counted more rows than it sent (a page lost, a server cap): no row hashes, and a note says why
    (else every missing row would later read as added)."""
    from dataclasses import replace

    dataset = await service.dataset(HERITAGE.id)
    counted = replace(dataset, rows=HERITAGE.row_count + 4)
    seen = await look(service, counted, memory, "p")  # the metadata's count may lag: the data's own is asked
    assert seen.fingerprint.row_hashes is not None and seen.fingerprint.rows == HERITAGE.row_count

    async def miscounted(_dataset):
        return HERITAGE.row_count + 4

    service.count = miscounted
    seen = await look(service, counted, memory, "p")
    assert seen.fingerprint.row_hashes is None and seen.frame is None
    assert seen.fingerprint.rows == HERITAGE.row_count + 4
    assert "fewer rows" in seen.fingerprint.rows_note and str(HERITAGE.row_count) in seen.fingerprint.rows_note
    del service.count
    changes = (await look(service, dataset, memory, "p")).changes
    assert changes.added is None and any("fewer rows" in note for note in changes.notes)


async def test_hashing_and_the_fingerprint_files_are_off_the_event_loop(fake_arcgis, service, memory, monkeypatch):
    """The app's screen must not stall while 10,000 rows are hashed: take, compare and the files run in a thread."""
    import threading

    import pdxtui.memory.look as looking

    threads: dict[str, str] = {}

    def spy(name, real):
        def call(*args, **kwargs):
            threads[name] = threading.current_thread().name
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(looking, "take", spy("take", looking.take))
    monkeypatch.setattr(looking, "compare", spy("compare", looking.compare))
    monkeypatch.setattr(memory, "keep_fingerprint", spy("keep", memory.keep_fingerprint))
    monkeypatch.setattr(memory, "last_look", spy("read", memory.last_look))
    await again(service, memory, HERITAGE.id)
    await again(service, memory, HERITAGE.id)
    main = threading.main_thread().name
    assert set(threads) == {"take", "compare", "keep", "read"} and main not in threads.values(), threads
