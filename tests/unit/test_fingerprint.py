"""Fingerprints and what changed between two: rows added, removed and edited by id; fields added, removed and
retyped; a retype or a new field alone does not mark rows changed; keyless rows compared by content; large datasets
by count only; the summary line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import polars as pl

from pdxtui.memory.fingerprint import ROW_LIMIT, Fingerprint, compare, take
from pdxtui.model import Dataset, Field

T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)
T1 = datetime(2026, 12, 1, 8, tzinfo=UTC)
FIELDS = (
    Field("OBJECTID", "esriFieldTypeOID", "integer"),
    Field("SPECIES", "esriFieldTypeString", "string"),
    Field("DIAMETER", "esriFieldTypeInteger", "integer"),
)
DS = Dataset("trees", "Street Trees", fields=FIELDS, key_field="OBJECTID", data_updated=T0)
ROWS = pl.DataFrame({"OBJECTID": [1, 2, 3, 4], "SPECIES": ["oak", "fir", "ash", "elm"], "DIAMETER": [10, 12, 8, 3]})


def look(dataset, frame, when=T1):
    return take(dataset, frame, rows=frame.height, taken=when, complete=True)


def test_nothing_changed():
    changes = compare(look(DS, ROWS, T0), look(DS, ROWS))
    assert not changes.any and changes.describe() == "No change since 2026-11-20"
    assert changes.added == changes.removed == changes.changed == ()


def test_rows_added_removed_and_edited_by_id():
    after = pl.DataFrame(
        {"OBJECTID": [1, 2, 4, 5], "SPECIES": ["oak", "FIR", "elm", "yew"], "DIAMETER": [10, 12, 3, 1]}
    )
    ds = replace(DS, data_updated=T1)
    changes = compare(look(DS, ROWS, T0), look(ds, after))
    assert (changes.added, changes.removed, changes.changed) == (("5",), ("3",), ("2",))
    assert changes.describe() == "Since 2026-11-20: +1 row, \u22121 row, 1 row changed, data updated 2026-12-01"
    assert changes.to_json()["changed"] is True and changes.to_json()["key"] == "OBJECTID"


def test_a_retype_and_a_new_field_are_field_changes_only():
    fields = (*FIELDS[:2], Field("DIAMETER", "esriFieldTypeDouble", "float"), Field("Site_Type", "x", "string"))
    ds = replace(DS, fields=fields)
    after = ROWS.with_columns(pl.col("DIAMETER").cast(pl.Float64), pl.lit("Street").alias("Site_Type"))
    changes = compare(look(DS, ROWS, T0), look(ds, after), after)
    assert changes.changed == () and changes.added == ()
    assert changes.describe() == "Since 2026-11-20: field `Site_Type` added, `DIAMETER` Integer\u2192Double"
    # without the rows at hand, rows are compared by id only, and the notes say so
    blind = compare(look(DS, ROWS, T0), look(ds, after))
    assert blind.changed is None and blind.added == () and any("by id only" in n for n in blind.notes)


def test_a_removed_field_says_changed_values_cannot_be_told():
    ds = replace(DS, fields=FIELDS[:2])
    changes = compare(look(DS, ROWS, T0), look(ds, ROWS.drop("DIAMETER").filter(pl.col("OBJECTID") != 4)))
    assert changes.removed == ("4",) and changes.changed is None
    assert "field `DIAMETER` removed" in changes.describe() and any("removed" in n for n in changes.notes)


def test_keyless_rows_compare_by_content_with_repeats():
    ds = replace(DS, key_field="")
    before = pl.DataFrame({"A": ["x", "x", "y"]})
    after = pl.DataFrame({"A": ["x", "y", "z"]})
    changes = compare(look(ds, before, T0), look(ds, after))
    assert len(changes.added) == 1 and len(changes.removed) == 1 and changes.changed == ()
    assert any("no row id" in n for n in changes.notes)


def test_keyless_rows_with_a_field_removed_are_not_said_compared_by_id():
    """No row id and a field gone: the rows cannot be compared at all (their old hashes cover the field): the note
    says so, not "compared by id only"."""
    ds = replace(DS, key_field="", fields=FIELDS[1:])
    before = ROWS.drop("OBJECTID")
    changes = compare(look(ds, before, T0), look(replace(ds, fields=FIELDS[1:2]), before.drop("DIAMETER")))
    assert changes.added is None and "field `DIAMETER` removed" in changes.describe()
    assert not any("by id" in n for n in changes.notes)
    assert any("rows are not compared" in n and "no row id" in n for n in changes.notes), changes.notes


def test_a_repeated_id_falls_back_to_content():
    frame = pl.DataFrame({"OBJECTID": [1, 1], "SPECIES": ["oak", "fir"], "DIAMETER": [1, 2]})
    assert look(DS, frame).key == ""


def test_large_or_partly_read_datasets_compare_counts_only():
    big = take(DS, None, rows=ROW_LIMIT + 5, taken=T0)
    bigger = take(DS, None, rows=ROW_LIMIT + 1208, taken=T1)
    changes = compare(big, bigger)
    assert changes.added is None and changes.describe() == "Since 2026-11-20: +1,203 rows (net)"
    assert "10,000" in changes.notes[0]
    assert take(DS, ROWS, rows=4, complete=False).row_hashes is None


def test_json_round_trip():
    fp = look(DS, ROWS)
    assert Fingerprint.from_json(fp.to_json()) == fp


def test_times_hash_the_same_whatever_their_unit_or_zone():
    when = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    ms = pl.DataFrame({"T": [when]}).with_columns(pl.col("T").dt.cast_time_unit("ms"))
    la = pl.DataFrame({"T": [when]}).with_columns(pl.col("T").dt.convert_time_zone("America/Los_Angeles"))
    naive = pl.DataFrame({"T": [when.replace(tzinfo=None)]}).with_columns(pl.col("T").dt.cast_time_unit("ns"))
    ds = Dataset("t", "T", fields=(Field("T", "date", "datetime"),))
    prints = {tuple(look(ds, frame).row_hashes.values()) for frame in (ms, la, naive)}
    assert len(prints) == 1


def test_a_date_with_milliseconds_survives_the_round_trip_unchanged():
    """ArcGIS dates are epoch milliseconds; a kept fingerprint holds seconds: the same date is no change."""
    ds = replace(DS, data_updated=datetime(2026, 11, 20, 8, 0, 0, 878_000, tzinfo=UTC))
    kept = Fingerprint.from_json(look(ds, ROWS, T0).to_json())
    changes = compare(kept, look(ds, ROWS))
    assert not changes.any and changes.describe() == "No change since 2026-11-20"


def test_renumbered_ids_are_reported_by_content():
    """CKAN's datastore numbers _id 1..N again on each upload: one row removed at the top renumbers every row
    after it; that is one row removed, not every row changed."""
    n = 60
    before = pl.DataFrame({"OBJECTID": range(1, n + 1), "SPECIES": [f"s{i}" for i in range(n)], "DIAMETER": [1] * n})
    after = before.slice(1).with_columns(pl.Series("OBJECTID", range(1, n)))
    changes = compare(look(DS, before, T0), look(DS, after))
    assert (changes.added, changes.removed, changes.changed) == ((), ("1",), ())
    assert any("renumbered" in note for note in changes.notes)
    # an edited row, renumbered too, is one removed and one added (the new key of the new content)
    edited = after.with_columns(
        pl.when(pl.col("OBJECTID") == 5).then(pl.lit("NEW")).otherwise("SPECIES").alias("SPECIES")
    )
    changes = compare(look(DS, before, T0), look(DS, edited))
    assert (changes.added, changes.removed, changes.changed) == (("5",), ("1", "6"), ())
    # a row removed at the top and one added at the end: the same ids 1..N, every row's content under another id
    shifted = pl.concat([before.slice(1), pl.DataFrame({"OBJECTID": [0], "SPECIES": ["new"], "DIAMETER": [2]})])
    shifted = shifted.with_columns(pl.Series("OBJECTID", range(1, n + 1)))
    changes = compare(look(DS, before, T0), look(DS, shifted))
    assert (changes.added, changes.removed, changes.changed) == ((str(n),), ("1",), ())
    assert any("renumbered" in note for note in changes.notes)


def test_edits_without_renumbering_stay_by_id():
    after = ROWS.with_columns(pl.Series("SPECIES", ["OAK", "FIR", "ash", "elm"]))
    changes = compare(look(DS, ROWS, T0), look(DS, after))
    assert (changes.added, changes.removed, changes.changed) == ((), (), ("1", "2"))
    assert not any("renumbered" in note for note in changes.notes)


def _by_id(before: dict[int, str], after: dict[int, str]):
    def frame(rows):
        n = len(rows)
        return pl.DataFrame({"OBJECTID": list(rows), "SPECIES": list(rows.values()), "DIAMETER": [1] * n})

    changes = compare(look(DS, frame(before), T0), look(DS, frame(after)))
    assert not any("renumbered" in note for note in changes.notes)
    return changes.added, changes.removed, changes.changed


def test_real_edits_are_not_taken_for_renumbered_ids():
    """Values swapped or rotated between rows (the same ids), a row deleted and its twin added under a new id, an
    edit A→B with the row holding B deleted: real edits, told by id (not "renumbered" and "No change")."""
    assert _by_id({1: "open", 2: "closed", 3: "x"}, {1: "closed", 2: "open", 3: "x"}) == ((), (), ("1", "2"))
    assert _by_id({1: "a", 2: "b", 3: "c", 4: "d"}, {1: "b", 2: "c", 3: "a", 4: "d"}) == ((), (), ("1", "2", "3"))
    assert _by_id({1: "a", 2: "b", 3: "c"}, {1: "a", 3: "c", 9: "b"}) == (("9",), ("2",), ())
    assert _by_id({1: "A", 2: "B", 3: "C"}, {1: "B", 3: "C"}) == ((), ("2",), ("1",))


def test_an_id_column_that_repeats_values_is_said_so():
    frame = pl.DataFrame({"OBJECTID": [1, 1, 2], "SPECIES": ["oak", "fir", "ash"], "DIAMETER": [1, 2, 3]})
    after = frame.with_columns(pl.Series("SPECIES", ["oak", "fir", "elm"]))
    changes = compare(look(DS, frame, T0), look(DS, after))
    assert len(changes.added) == len(changes.removed) == 1
    assert any("OBJECTID repeats values" in note for note in changes.notes), changes.notes
    assert not any("no row id" in note for note in changes.notes)
