"""``pdxtui changes``: the fakes' datasets changed between two runs (rows added, removed and edited; a field added;
a type changed) are reported exactly, on ArcGIS, Socrata and CKAN; the bundled sample and unchanged datasets report
nothing and exit 0; bookmarks are what is checked by default; a portal that cannot be reached is an error for that
dataset (never "no change" from the cache); ``--peek`` keeps nothing; a large dataset costs metadata and a count."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import stamina

from pdxtui.cli import main
from pdxtui.memory.store import Entry, Memory
from tests.support.cli import run_cli
from tests.support.fakeportal.changes import Change
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.fresh import ms_ago
from tests.support.fakeportal.socrata import TREES

HERITAGE = DATASETS["heritage_trees"]
BUSINESS = "e5239d11143312e293ded5be6cfeaab4_11"  # bundled: Business Districts (46 rows)


def checked(capsys, portal: str, *args: str) -> tuple[int, list[dict], str]:
    code, out, err = run_cli(capsys, "--portal", portal, "changes", "--json", *args)
    return code, json.loads(out), err


def only(results: list[dict]) -> dict:
    assert len(results) == 1, results
    return results[0]


def what(result: dict) -> dict:
    """The parts of a result that say what changed."""
    return {
        "status": result["status"],
        "added": result["added"],
        "removed": result["removed"],
        "changed_rows": result["changed_rows"],
        "fields": [(f["name"], f["change"], f["old_type"], f["new_type"]) for f in result["fields"]],
        "data_moved": result["data_updated"]["before"] != result["data_updated"]["after"],
    }


def first_then_same(capsys, portal: str, ident: str) -> None:
    code, results, err = checked(capsys, portal, ident)
    assert code == 0, err
    assert only(results)["status"] == "first_look" and only(results)["summary"].startswith("first look")
    code, results, err = checked(capsys, portal, ident)
    assert code == 0, err
    result = only(results)
    assert (result["status"], result["changed"], result["summary"]) == ("unchanged", False, result["summary"])
    assert result["summary"].startswith("No change since ") and result["added"] == result["removed"] == []


def test_arcgis(capsys, fake_arcgis):
    portal = f"arcgis:{fake_arcgis.url}/hub"
    app = fake_arcgis.apps["arcgis"]
    app.editing_info["heritage_trees"] = {"lastEditDate": ms_ago(30)}
    first_then_same(capsys, portal, HERITAGE.id)
    app.change(
        "heritage_trees",
        Change(
            add=({"COMMON": "Pacific yew", "TREEID": 9001},),
            remove=(3,),
            edit={5: {"HEIGHT": 80.5}},
            add_field=(("Site_Type", "esriFieldTypeString", "Street"),),
            retype={"TREEID": "esriFieldTypeDouble"},
        ),
    )
    code, results, err = checked(capsys, portal, HERITAGE.id)
    assert code == 3, err
    assert what(only(results)) == {
        "status": "changed",
        "added": ["317"],
        "removed": ["3"],
        "changed_rows": ["5"],
        "fields": [("Site_Type", "added", None, "String"), ("TREEID", "type", "Integer", "Double")],
        "data_moved": True,
    }
    assert only(results)["key"] == "OBJECTID" and only(results)["changed"] is True
    code, out, err = run_cli(capsys, "--portal", portal, "changes", HERITAGE.id)  # kept: nothing new since
    assert code == 0 and "No change since" in out and HERITAGE.title in out


def test_socrata(capsys, fake_socrata):
    portal = f"socrata:{fake_socrata.url}"
    first_then_same(capsys, portal, TREES.id)
    before = {r[":id"]: r for r in TREES.rows}
    gone, edited = TREES.rows[3][":id"], TREES.rows[4][":id"]
    changed = fake_socrata.apps["socrata"].change(
        TREES.id,
        Change(
            add=({"tree_id": "T99999", "common_name": "Ginkgo"},),
            remove=(gone,),
            edit={edited: {"common_name": "Oak, bur"}},
            add_field=(("ward", "number", 7),),
            retype={"dbh": "text"},
        ),
    )
    new = [r[":id"] for r in changed.rows if r[":id"] not in before]
    fake_socrata.reset_log()
    code, results, err = checked(capsys, portal, TREES.id)
    asked = [r.path for r in fake_socrata.requests]  # the portal, not the cache of the runs before
    assert asked.count(f"/api/views/{TREES.id}.json") == 1 and asked.count(f"/resource/{TREES.id}.json") == 2
    assert code == 3, err
    assert what(only(results)) == {
        "status": "changed",
        "added": new,
        "removed": [gone],
        "changed_rows": [edited],
        "fields": [("ward", "added", None, "number"), ("dbh", "type", "number", "text")],
        "data_moved": True,  # rowsUpdatedAt moved
    }
    assert only(results)["key"] == ":id"


def test_ckan_and_a_server_whose_date_does_not_move(capsys, fake_ckan):
    portal = f"ckan:{fake_ckan.url}"
    first_then_same(capsys, portal, "street-trees")
    change = Change(
        add=({"tree_id": 999999, "species": "Acer rubrum"},),
        remove=(2, 40),
        edit={7: {"healthy": False, "address": "1 SE Main St"}},
        add_field=(("ward", "text", "7"),),
        retype={"height_ft": "float8"},
        touch=False,
    )
    fake_ckan.apps["ckan"].change("street-trees", change)
    code, results, err = checked(capsys, portal, "street-trees")
    assert code == 3, err
    assert what(only(results)) == {
        "status": "changed",
        "added": ["2346"],
        "removed": ["2", "40"],
        "changed_rows": ["7"],
        "fields": [("ward", "added", None, "text"), ("height_ft", "type", "int8", "float8")],
        "data_moved": False,  # last_modified did not move: the rows said what changed
    }


def test_a_ckan_file_is_compared_by_content(capsys, fake_ckan):
    portal = f"ckan:{fake_ckan.url}"
    first_then_same(capsys, portal, "bike-counts")
    fake_ckan.apps["ckan"].change("bike-counts", Change(edit={3: {"riders": 12345}}))
    code, results, _ = checked(capsys, portal, "bike-counts")
    result = only(results)
    assert code == 3 and result["key"] is None and result["changed_rows"] == []
    assert len(result["added"]) == len(result["removed"]) == 1
    assert any("no row id" in note for note in result["notes"])


def test_bundled_and_bookmarks(capsys):
    code, out, err = run_cli(capsys, "--portal", "demo", "changes")
    assert code == 0 and out == "" and "pdxtui bookmark add ID" in err
    code, out, err = run_cli(capsys, "--portal", "demo", "changes", "--json")
    assert code == 0 and json.loads(out) == []
    Memory().add_bookmark("bundled", Entry(BUSINESS, "Business Districts"))
    code, out, err = run_cli(capsys, "--portal", "demo", "changes")
    assert (
        code == 0
        and out.strip() == f"{BUSINESS} (Business Districts): first look: fingerprint kept, nothing to compare yet"
    )
    code, results, err = checked(capsys, "demo")
    assert code == 0 and only(results)["status"] == "unchanged" and only(results)["dataset"] == BUSINESS


def test_peek_keeps_nothing(capsys, fake_socrata):
    portal = f"socrata:{fake_socrata.url}"
    code, results, _ = checked(capsys, portal, TREES.id, "--peek")
    assert code == 0 and "no fingerprint kept" in only(results)["summary"]
    assert Memory().fingerprint(f"socrata:{fake_socrata.url}", TREES.id) is None
    checked(capsys, portal, TREES.id)
    fake_socrata.apps["socrata"].change(TREES.id, Change(remove=(TREES.rows[0][":id"],)))
    for _ in range(2):  # the change is still there to see: --peek kept the old fingerprint
        code, results, _ = checked(capsys, portal, TREES.id, "--peek")
        assert code == 3 and only(results)["removed"] == [TREES.rows[0][":id"]]


@pytest.fixture
def no_waits():
    with stamina.set_testing(True, attempts=2):
        yield


def test_an_unreachable_portal_is_an_error_not_the_cached_answer(capsys, fake_arcgis, no_waits):
    portal = f"arcgis:{fake_arcgis.url}/hub"
    small = DATASETS["council_districts"]
    first_then_same(capsys, portal, HERITAGE.id)
    checked(capsys, portal, small.id)
    fake_arcgis.faults.set("500", path_contains=HERITAGE.path)
    fake_arcgis.apps["arcgis"].change("council_districts", Change(remove=(1,)))
    code, results, err = checked(capsys, portal, HERITAGE.id, small.id, "no-such-dataset")
    assert code == 1  # an error outweighs a change
    assert [r["status"] for r in results] == ["error", "changed", "error"]
    assert "old cached copy" in results[0]["error"] and results[2]["error"]
    assert HERITAGE.id in err and "no-such-dataset" in err
    fake_arcgis.faults.clear()
    code, results, err = checked(capsys, portal, HERITAGE.id)  # nothing was kept from the failed look
    assert code == 0 and only(results)["status"] == "unchanged"


def test_a_large_dataset_costs_metadata_and_a_count(capsys, fake_arcgis):
    portal = f"arcgis:{fake_arcgis.url}/hub"
    trees = DATASETS["street_trees"]
    checked(capsys, portal, trees.id)
    fake_arcgis.apps["arcgis"].change("street_trees", Change(remove=(10, 11)))
    fake_arcgis.reset_log()
    code, results, _ = checked(capsys, portal, trees.id)
    assert code == 3 and only(results)["rows"] == {"before": trees.row_count, "after": trees.row_count - 2}
    assert only(results)["added"] is None and any("10,000" in n for n in only(results)["notes"])
    queries = fake_arcgis.requests_to("/query")
    assert len(queries) == 1 and queries[0].params["returnCountOnly"] == "true"
    assert all("/query" not in r.path or r.params.get("returnCountOnly") == "true" for r in fake_arcgis.requests)


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["changes", "--help"])
    out = capsys.readouterr().out
    assert "3 something changed" in out and "--peek" in out and "first_look" in out


def test_a_real_process(tmp_path):
    """One subprocess: the exit status a cron job sees, with the data folder the environment names."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PDXTUI_DATA_DIR": str(tmp_path / "d")}
    command = [sys.executable, "-m", "pdxtui", "--portal", "demo", "changes", BUSINESS, "--json"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["status"] == "first_look"
    assert Memory(tmp_path / "d").fingerprint("bundled", BUSINESS) is not None


def test_a_damaged_fingerprint_is_an_error_unless_the_apps_last_look_stands_in(capsys, fake_socrata):
    """A damaged last look is not a silent first look (exit 0): it is an error saying so, and nothing is kept (the
    next run is a first look); when the app's last look can be read, it is compared with instead, with a warning."""
    portal = f"socrata:{fake_socrata.url}"
    checked(capsys, portal, TREES.id)
    path = Memory().fingerprint_path(portal, TREES.id, who="changes")
    path.write_text("{not json")
    code, results, err = checked(capsys, portal, TREES.id)
    assert code == 1 and only(results)["status"] == "error" and "damaged" in only(results)["error"]
    assert "damaged" in err and "set aside" in err
    assert list(path.parent.glob("*.damaged-*")) and Memory().fingerprint(portal, TREES.id, who="changes") is None
    code, results, err = checked(capsys, portal, TREES.id)
    assert code == 0 and only(results)["status"] == "first_look"

    Memory().keep_fingerprint(portal, Memory().fingerprint(portal, TREES.id, who="changes"), who="app")
    path.write_text("{not json")
    code, results, err = checked(capsys, portal, TREES.id)
    assert code == 0 and only(results)["status"] == "unchanged", err
    assert "damaged" in err and "the app's last look" in err and err.count("\n") == 1


def test_renumbered_row_ids_are_compared_by_content(capsys, fake_ckan, fake_arcgis):
    """A CKAN re-upload numbers _id from 1 again: a row removed at the top is one row removed, not every row
    after it changed; an ArcGIS overwrite gives every row a new OBJECTID: an edited row is one removed, one added."""
    portal = f"ckan:{fake_ckan.url}"
    first_then_same(capsys, portal, "street-trees")
    fake_ckan.apps["ckan"].change(
        "street-trees", Change(remove=(1,), edit={8: {"species": "Quercus alba"}}, renumber=True)
    )
    code, results, err = checked(capsys, portal, "street-trees")
    result = only(results)
    assert code == 3, err
    # old rows 1 and 8 are gone by content; the edited row is now _id 7
    assert (result["added"], result["removed"], result["changed_rows"]) == (["7"], ["1", "8"], [])
    assert any("renumbered" in note for note in result["notes"])
    code, out, err = run_cli(capsys, "--portal", portal, "changes", "street-trees")
    assert code == 0 and "No change since" in out  # the new numbering is the baseline now

    portal = f"arcgis:{fake_arcgis.url}/hub"
    app = fake_arcgis.apps["arcgis"]
    first_then_same(capsys, portal, HERITAGE.id)
    served = app.change("heritage_trees", Change(edit={5: {"HEIGHT": 80.5}}, renumber=True))
    code, results, err = checked(capsys, portal, HERITAGE.id)
    result = only(results)
    assert code == 3, err
    new_id = next(row["OBJECTID"] for row in served._rows if row["HEIGHT"] == 80.5)
    assert (result["added"], result["removed"], result["changed_rows"]) == ([str(new_id)], ["5"], [])
    assert any("renumbered" in note for note in result["notes"])


def app_looks(portal: str, ident: str):
    """What the app does when a dataset is opened: a look, kept as the app's last look."""
    import asyncio

    from pdxtui.memory.look import look
    from pdxtui.memory.store import portal_key
    from pdxtui.session import open_session

    async def go():
        service = open_session(portal=portal).service(refresh=True)
        try:
            return await look(service, await service.dataset(ident), Memory(), portal_key(service.portal), record=True)
        finally:
            await service.aclose()

    return asyncio.run(go())


def test_the_app_and_changes_keep_their_own_last_look(capsys, fake_socrata):
    """Opening a dataset in the app does not move `pdxtui changes`'s baseline (nor the other way round)."""
    portal = f"socrata:{fake_socrata.url}"
    code, results, _ = checked(capsys, portal, TREES.id)
    assert code == 0 and only(results)["status"] == "first_look"
    first_row = TREES.rows[0][":id"]
    fake_socrata.apps["socrata"].change(TREES.id, Change(remove=(first_row,)))
    seen = app_looks(portal, TREES.id)
    assert seen.changes is not None and seen.changes.removed == (first_row,)  # the app sees it…
    code, results, err = checked(capsys, portal, TREES.id)
    assert code == 3, err  # …and `changes` still reports it
    assert only(results)["removed"] == [first_row]
    # each baseline moved on its own: neither sees a change now
    assert not app_looks(portal, TREES.id).changes.any
    code, results, _ = checked(capsys, portal, TREES.id)
    assert code == 0 and only(results)["status"] == "unchanged"


def test_the_first_changes_after_the_app_looked_is_a_comparison(capsys, fake_socrata):
    portal = f"socrata:{fake_socrata.url}"
    assert app_looks(portal, TREES.id).changes is None
    code, results, err = checked(capsys, portal, TREES.id)
    assert code == 0 and only(results)["status"] == "unchanged", err
    code, results, err = checked(capsys, portal, TREES.id)  # `changes` has its own baseline now
    assert code == 0 and only(results)["status"] == "unchanged", err


def test_a_store_that_cannot_be_read_is_an_error_not_no_bookmarks(capsys):
    Memory().path.mkdir(parents=True)  # memory.json is a folder: it cannot be read
    code, out, err = run_cli(capsys, "--portal", "demo", "changes")
    assert code == 1 and out == "" and "cannot read the recents and bookmarks" in err and "no bookmarks" not in err


def test_a_damaged_store_is_an_error_and_what_reads_is_still_checked(capsys):
    bookmarks = [{"id": BUSINESS, "title": "Business Districts"}, {"id": 7}]  # the second does not read
    Memory().path.parent.mkdir(parents=True, exist_ok=True)
    Memory().path.write_text(json.dumps({"pdxtui_memory": 1, "portals": {"bundled": {"bookmarks": bookmarks}}}))
    code, out, err = run_cli(capsys, "--portal", "demo", "changes")
    assert code == 1, err  # bookmarks may be missing: not "all is well"
    assert "damaged" in err and "bookmarks may be missing" in err
    assert out.startswith(BUSINESS) and "first look" in out  # the bookmark that reads was still checked


def test_an_unexpected_error_is_that_datasets_error_and_the_rest_are_checked(capsys, monkeypatch):
    import pdxtui.memory.look as looking

    real = looking.look

    async def broken(service, dataset, *args, **kwargs):
        if dataset.id == BUSINESS:
            raise RuntimeError("a bug")
        return await real(service, dataset, *args, **kwargs)

    monkeypatch.setattr(looking, "look", broken)
    sample = "a494697005da9eea74335a369b0e3689_1415"  # bundled too
    code, results, err = checked(capsys, "demo", BUSINESS, sample)
    assert code == 1
    assert [r["status"] for r in results] == ["error", "first_look"]
    assert "a bug" in results[0]["error"] and "Traceback" not in err and BUSINESS in err
    from pdxtui.logs import LOG_NAME, log_dir

    logged = (log_dir() / LOG_NAME).read_text()
    assert "Traceback" in logged and "RuntimeError: a bug" in logged  # the traceback is in the log file


def test_a_stale_page_read_during_the_look_is_an_error_though_the_last_answer_was_fresh():
    """The portal's state is its last answer's: a count asked after an old cached page (offline) says "network"
    again. What the look heard decides: a stale answer anywhere in it is no look at the dataset, and nothing is kept."""
    import asyncio
    from types import SimpleNamespace

    import polars as pl

    from pdxtui.cli.changes import _check
    from pdxtui.memory.fingerprint import take
    from pdxtui.model import Dataset, FetchState, Field
    from pdxtui.netlog import note_source

    fields = (Field("OBJECTID", "esriFieldTypeOID", "integer"), Field("S", "esriFieldTypeString", "string"))
    dataset = Dataset("d", "D", fields=fields, key_field="OBJECTID", rows=3)

    class Service:
        portal = SimpleNamespace(state=FetchState(source="network"))

        async def dataset(self, ident):
            note_source("network")
            return dataset

        async def pages_as_sent(self, ds, query, progress=None):
            self.portal.state = FetchState(source="stale", reason="timed out")
            note_source("stale")  # an old cached page, as the fetcher serves it offline
            yield pl.DataFrame({"OBJECTID": [1, 2], "S": ["a", "b"]})

        async def count(self, ds, query=None):
            self.portal.state = FetchState(source="network")
            note_source("network")
            return 2

    memory = Memory()
    before = take(dataset, pl.DataFrame({"OBJECTID": [1, 2, 3], "S": ["a", "b", "c"]}), rows=3, complete=True)
    memory.keep_fingerprint("p", before, who="changes")
    result = asyncio.run(_check(Service(), memory, "p", "d", "", keep=True))
    assert result["status"] == "error" and "old cached copy" in result["error"]
    assert Memory().fingerprint("p", "d", who="changes").rows == 3  # the last look is kept as it was


def test_ids_given_but_all_blank_are_a_usage_error(capsys):
    """`pdxtui changes ""` (a script's empty variable) is not "check every bookmark": nothing is checked or kept."""
    Memory().add_bookmark("bundled", Entry(BUSINESS, "Business Districts"))
    code, out, err = run_cli(capsys, "--portal", "demo", "changes", "", " ")
    assert code == 2 and "blank" in err and out == ""
    assert Memory().fingerprint("bundled", BUSINESS, who="changes") is None
