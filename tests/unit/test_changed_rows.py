"""The rows behind a look's changes (added and changed, marked, in the dataset's order) by id and by content, with a
field added since; the removed rows' line (a few ids, then "and N more"; no values)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import polars as pl

from pdxtui.memory.changed import changed_rows, few, mark_column, removed_line
from pdxtui.memory.fingerprint import compare, take
from pdxtui.memory.look import Look
from pdxtui.model import Dataset, Field

T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)
T1 = datetime(2026, 12, 1, 8, tzinfo=UTC)
FIELDS = (Field("OBJECTID", "esriFieldTypeOID", "integer"), Field("SPECIES", "esriFieldTypeString", "string"))
DS = Dataset("trees", "Street Trees", fields=FIELDS, key_field="OBJECTID")
BEFORE = pl.DataFrame({"OBJECTID": [1, 2, 3, 4], "SPECIES": ["oak", "fir", "ash", "elm"]})


def look_at(ds: Dataset, before: pl.DataFrame, after: pl.DataFrame) -> Look:
    old = take(ds, before, rows=before.height, taken=T0, complete=True)
    new = take(ds, after, rows=after.height, taken=T1, complete=True)
    return Look(fingerprint=new, before=old, changes=compare(old, new, after), frame=after)


def test_added_and_changed_rows_by_id_in_the_dataset_order():
    after = pl.DataFrame({"OBJECTID": [5, 1, 2, 4], "SPECIES": ["yew", "oak", "FIR", "elm"], "change": ["a"] * 4})
    ds = replace(DS, fields=(*FIELDS, Field("change", "esriFieldTypeString", "string")))
    look = look_at(ds, BEFORE.with_columns(pl.lit("a").alias("change")), after)
    rows = changed_rows(look)
    assert rows is not None
    # a dataset column named "change" keeps its name: the mark takes another
    assert rows.columns == ["change_", "OBJECTID", "SPECIES", "change"]
    assert rows.rows() == [("added", 5, "yew", "a"), ("changed", 2, "FIR", "a")]
    assert removed_line(look.changes) == ("Removed OBJECTID 3 (their values are gone)")


def test_rows_keyed_on_content_with_a_field_added_since():
    ds = replace(DS, key_field="")
    after = pl.DataFrame({"OBJECTID": [1, 2, 4, 9], "SPECIES": ["oak", "FIR", "elm", "yew"], "NEW": [0, 0, 0, 0]})
    wider = replace(ds, fields=(*FIELDS, Field("NEW", "esriFieldTypeInteger", "integer")))
    old = take(ds, BEFORE, rows=4, taken=T0, complete=True)
    new = take(wider, after, rows=4, taken=T1, complete=True)
    look = Look(fingerprint=new, before=old, changes=compare(old, new, after), frame=after)
    rows = changed_rows(look)
    # an edit is one removed and one added when rows have no id; the new column marks nothing by itself
    assert rows is not None and rows.rows() == [("added", 2, "FIR", 0), ("added", 9, "yew", 0)]
    assert removed_line(look.changes).startswith("2 rows removed (no row id to name them by")


def test_no_rows_when_they_were_not_compared():
    first = Look(fingerprint=take(DS, BEFORE, rows=4, complete=True), before=None, changes=None, frame=BEFORE)
    assert changed_rows(first) is None
    old = take(DS, None, rows=20_000, taken=T0)
    new = take(DS, None, rows=20_100, taken=T1)
    assert changed_rows(Look(fingerprint=new, before=old, changes=compare(old, new))) is None
    assert removed_line(compare(old, new)) == ""


def test_few_ids_then_how_many_more():
    assert few(["1", "2"]) == "1, 2"
    assert few([str(i) for i in range(12)]) == "0, 1, 2, 3, 4 and 7 more"
    assert mark_column(["a"]) == "change"


def test_hostile_field_names_and_ids_stay_text():
    from pdxtui.memory.fingerprint import Changes, FieldChange
    from pdxtui.ui.screens.changes import changes_text
    from pdxtui.ui.widgets.changes import strip_detail, strip_text

    name = "[bold red]x[/]\x1b[2J"
    changes = Changes(
        "ds",
        "t",
        T0,
        T1,
        1,
        2,
        added=("[/a]",),
        removed=("\x1b]52;c;aGk=\x07",),
        changed=(),
        key="[b]ID",
        fields=(FieldChange(name, "added", new_type="String"),),
        notes=("[/note]",),
    )
    look = Look(fingerprint=take(DS, BEFORE, rows=4, taken=T1, complete=True), before=None, changes=changes)
    for text in (strip_text(changes), strip_detail(changes), changes_text(look, "[red]title")):
        assert not text.spans or all(span.style in ("bold", "dim") for span in text.spans)
        assert "\x1b" not in text.plain
    assert "[bold red]x[/]" in strip_text(changes).plain and "[/note]" in strip_detail(changes).plain
    assert "[/a]" in changes_text(look, "[red]title").plain


def test_the_browser_keeps_only_a_few_recent_looks():
    """The looks kept in one run (to show again on a second open) are few, and none past its time: each may hold
    up to 10,000 rows."""
    from pdxtui.ui.screens.browse_look import KEEP_LOOKS, LOOK_AGAIN_AFTER, keep_look

    first = Look(fingerprint=take(DS, BEFORE, rows=4, complete=True), before=None, changes=None, frame=BEFORE)
    looks: dict = {}
    for n in range(KEEP_LOOKS + 2):
        looks = keep_look(looks, ("p", f"d{n}"), first, now=100.0 + n)
    assert list(looks) == [("p", f"d{n}") for n in range(2, KEEP_LOOKS + 2)]  # the newest few, oldest first
    later = 100.0 + KEEP_LOOKS + LOOK_AGAIN_AFTER + 0.5
    looks = keep_look(looks, ("p", "new"), first, now=later)
    assert list(looks) == [("p", f"d{KEEP_LOOKS + 1}"), ("p", "new")]  # the ones past their hour are gone
    looks = keep_look(looks, ("p", f"d{KEEP_LOOKS + 1}"), first, now=later + 1)  # looked again: the newest
    assert list(looks) == [("p", "new"), ("p", f"d{KEEP_LOOKS + 1}")]
