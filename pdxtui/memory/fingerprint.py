"""A dataset's fingerprint (what it looked like when last opened) and what changed between two.

A fingerprint holds the row count, the fields with their types, the data-updated date, and, for a dataset under
``ROW_LIMIT`` rows whose rows were all read, one short hash per row keyed on the row's id (the portal's object id
column, :attr:`pdxtui.model.Dataset.key_field`). A dataset with no id column (a CSV file) is keyed on the rows'
content instead: an edited row then shows as one removed and one added, and :attr:`Changes.notes` says so.

Row hashes cover every column but the key, each value in a canonical text (so that ``12`` read as an Integer and
``12.0`` read as a Double hash the same, and a type change alone does not mark every row changed). When a field was
added since the last look, the new rows are hashed again over the old columns only, so that the new column does not
mark every row changed; when a field was removed, rows can no longer be told changed or not (added and removed
still can), and the notes say so.

Pure functions: nothing here reads the network or the disk (:mod:`pdxtui.memory.store` keeps fingerprints;
``pdxtui.memory.look`` takes them from a portal).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pdxtui.model import Dataset
from pdxtui.textout import iso_utc, parse_iso

if TYPE_CHECKING:
    import polars as pl

FORMAT = 1
#: datasets with fewer rows than this get row hashes (when every row was read)
ROW_LIMIT = 10_000
#: with the same row ids before and after, rows are taken for renumbered only when at least this many moved
RENUMBERED_SAME_IDS = 10
#: the key of a row in a dataset without an id column: its content hash and which copy of that content it is
CONTENT_KEY = ""


@dataclass(frozen=True)
class FieldPrint:
    name: str
    #: the portal's own type name ("esriFieldTypeInteger", "number", "int4")
    type: str
    #: pdxtui's kind ("integer", "float", …)
    kind: str = ""

    @property
    def shown_type(self) -> str:
        """The type as people read it: ``esriFieldTypeDouble`` → ``Double``; other portals' names as they are."""
        return self.type.removeprefix("esriFieldType") or self.kind or "?"


@dataclass(frozen=True)
class Fingerprint:
    dataset_id: str
    title: str = ""
    #: when it was taken, UTC
    taken: datetime | None = None
    rows: int | None = None
    fields: tuple[FieldPrint, ...] = ()
    data_updated: datetime | None = None
    #: the column the row hashes are keyed on ("" when keyed on content: see CONTENT_KEY)
    key: str = ""
    #: the columns hashed, sorted (every column read but the key)
    hashed: tuple[str, ...] = ()
    #: row key (as text) → hash of the row; None when rows were not hashed (too many, or not all read)
    row_hashes: Mapping[str, str] | None = None
    #: why there are no row hashes, when there are none ("over 10,000 rows")
    rows_note: str = ""
    #: the dataset's id column, when it was read but rows had to be keyed on their content instead (it repeats
    #: values or has empty cells): "" otherwise
    key_unusable: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "pdxtui_fingerprint": FORMAT,
            "dataset": self.dataset_id,
            "title": self.title,
            "taken": iso_utc(self.taken),
            "rows": self.rows,
            "fields": [[f.name, f.type, f.kind] for f in self.fields],
            "data_updated": iso_utc(self.data_updated),
            "key": self.key,
            "hashed": list(self.hashed),
            "row_hashes": None if self.row_hashes is None else dict(self.row_hashes),
            "rows_note": self.rows_note,
            "key_unusable": self.key_unusable,
        }

    @classmethod
    def from_json(cls, data: Any) -> Fingerprint:
        """A fingerprint from its JSON; ValueError (or TypeError) when it is not one."""
        if not isinstance(data, dict) or data.get("pdxtui_fingerprint") != FORMAT:
            raise ValueError("not a pdxtui fingerprint of a known format")
        dataset_id = data.get("dataset")
        if not isinstance(dataset_id, str) or not dataset_id:
            raise ValueError("no dataset id")
        rows = data.get("rows")
        if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 0):
            raise ValueError(f"a row count of {rows!r}")
        fields = []
        for item in data.get("fields") or []:
            if not isinstance(item, list) or len(item) != 3 or not all(isinstance(x, str) for x in item):
                raise ValueError("a field that does not read")
            fields.append(FieldPrint(*item))
        hashes = data.get("row_hashes")
        if hashes is not None and (
            not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values())
        ):
            raise ValueError("row hashes that do not read")
        hashed = data.get("hashed") or []
        if not isinstance(hashed, list) or not all(isinstance(x, str) for x in hashed):
            raise ValueError("hashed columns that do not read")
        return cls(
            dataset_id=dataset_id,
            title=text_of(data, "title"),
            taken=parse_iso(data.get("taken")),
            rows=rows,
            fields=tuple(fields),
            data_updated=parse_iso(data.get("data_updated")),
            key=text_of(data, "key"),
            hashed=tuple(hashed),
            row_hashes=hashes,
            rows_note=text_of(data, "rows_note"),
            key_unusable=text_of(data, "key_unusable"),
        )


@dataclass(frozen=True)
class FieldChange:
    name: str
    #: "added", "removed" or "type"
    change: str
    old_type: str = ""
    new_type: str = ""

    def describe(self) -> str:
        if self.change == "type":
            return f"`{self.name}` {self.old_type}→{self.new_type}"
        return f"field `{self.name}` {self.change}"


@dataclass(frozen=True)
class Changes:
    """What changed between two looks at one dataset (``before`` → ``after``)."""

    dataset_id: str
    title: str
    since: datetime | None
    taken: datetime | None
    rows_before: int | None
    rows_after: int | None
    #: row keys added, removed and changed (as text, in the dataset's order where known); None when rows were not
    #: compared (then only the counts are)
    added: tuple[str, ...] | None = None
    removed: tuple[str, ...] | None = None
    changed: tuple[str, ...] | None = None
    #: the column the keys are values of ("" when rows are keyed on their content)
    key: str = ""
    fields: tuple[FieldChange, ...] = ()
    data_updated_before: datetime | None = None
    data_updated_after: datetime | None = None
    #: what the comparison could not tell, in words ("rows are compared only under 10,000 rows")
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rows_compared(self) -> bool:
        return self.added is not None

    @property
    def any(self) -> bool:
        """Whether anything changed (the notes alone are not a change)."""
        return bool(
            self.fields
            or self.added
            or self.removed
            or self.changed
            or (self.rows_before != self.rows_after and None not in (self.rows_before, self.rows_after))
            or (
                self.data_updated_after is not None
                and self.data_updated_before is not None
                and self.data_updated_after != self.data_updated_before
            )
        )

    def parts(self) -> list[str]:
        """The changes in words, one per part: ``+1,203 rows``, ``−4 rows``, ``2 rows changed``, ``field `X`
        added``, ```DIAMETER` Integer→Double``, ``data updated 2026-11-30``."""
        out: list[str] = []
        if self.added is not None and self.removed is not None:
            if self.added:
                out.append(f"+{len(self.added):,} {_rows(len(self.added))}")
            if self.removed:
                out.append(f"\u2212{len(self.removed):,} {_rows(len(self.removed))}")
            if self.changed:
                out.append(f"{len(self.changed):,} {_rows(len(self.changed))} changed")
        elif None not in (self.rows_before, self.rows_after) and self.rows_before != self.rows_after:
            delta = (self.rows_after or 0) - (self.rows_before or 0)
            sign = "+" if delta > 0 else "\u2212"
            out.append(f"{sign}{abs(delta):,} {_rows(abs(delta))} (net)")
        out.extend(f.describe() for f in self.fields)
        if (
            self.data_updated_after is not None
            and self.data_updated_before is not None
            and self.data_updated_after != self.data_updated_before
        ):
            out.append(f"data updated {self.data_updated_after.astimezone(UTC):%Y-%m-%d}")
        return out

    def describe(self) -> str:
        """One line: ``Since 2026-11-20: +1,203 rows, −4 rows, field `Site_Type` added, `DIAMETER`
        Integer→Double, data updated 2026-11-30`` (``No change since 2026-11-20`` when nothing changed)."""
        since = f"{self.since.astimezone(UTC):%Y-%m-%d}" if self.since else "the last look"
        parts = self.parts()
        if not parts:
            return f"No change since {since}"
        return f"Since {since}: " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_id,
            "title": self.title,
            "changed": self.any,
            "since": iso_utc(self.since),
            "checked": iso_utc(self.taken),
            "rows": {"before": self.rows_before, "after": self.rows_after},
            "key": self.key or None,
            "added": None if self.added is None else list(self.added),
            "removed": None if self.removed is None else list(self.removed),
            "changed_rows": None if self.changed is None else list(self.changed),
            "fields": [
                {"name": f.name, "change": f.change, "old_type": f.old_type or None, "new_type": f.new_type or None}
                for f in self.fields
            ],
            "data_updated": {"before": iso_utc(self.data_updated_before), "after": iso_utc(self.data_updated_after)},
            "notes": list(self.notes),
            "summary": self.describe(),
        }


def _rows(n: int) -> str:
    return "row" if n == 1 else "rows"


# -- taking a fingerprint -------------------------------------------------------------------------------------------


def take(
    dataset: Dataset,
    frame: pl.DataFrame | None,
    *,
    rows: int | None,
    taken: datetime | None = None,
    complete: bool = False,
) -> Fingerprint:
    """The fingerprint of ``dataset`` as it is now. ``rows``: its row count (None: unknown); ``frame``: its rows,
    used only when ``complete`` (every row of the dataset is in it) and there are fewer than ``ROW_LIMIT``; the
    key column is ``dataset.key_field`` when the frame has it and its values are unique, else rows are keyed on
    their content."""
    fields = tuple(FieldPrint(f.name, f.type, f.kind) for f in dataset.fields)
    base = Fingerprint(
        dataset_id=dataset.id,
        title=dataset.title,
        taken=taken or datetime.now(UTC),
        rows=rows,
        fields=fields,
        # to the second, as it is kept (iso_utc): a date sent in milliseconds must compare equal to itself later
        data_updated=dataset.data_updated.replace(microsecond=0) if dataset.data_updated else None,
    )
    count = frame.height if frame is not None else rows
    if count is not None and count >= ROW_LIMIT:
        return _without_rows(base, f"row changes are tracked for datasets under {ROW_LIMIT:,} rows")
    if frame is None or not complete:
        return _without_rows(base, "the rows were not all read")
    key, hashed, hashes = row_hashes(frame, dataset.key_field)
    unusable = dataset.key_field if dataset.key_field in frame.columns and not key else ""
    return Fingerprint(
        **{
            **base.__dict__,
            "key": key,
            "hashed": hashed,
            "row_hashes": hashes,
            "rows": frame.height,
            "key_unusable": unusable,
        }
    )


def _without_rows(base: Fingerprint, why: str) -> Fingerprint:
    return Fingerprint(**{**base.__dict__, "rows_note": why})


def row_hashes(
    frame: pl.DataFrame, key: str = "", over: Sequence[str] | None = None
) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """(key column used, columns hashed, key → hash) for the rows of ``frame``. ``key`` "" (or a column that is
    missing or repeats values): rows keyed on their content (``HASH#N``, the N-th copy). ``over``: hash these
    columns only (those of an earlier fingerprint); default every column but the key."""
    import polars as pl

    usable = (
        bool(key) and key in frame.columns and frame[key].null_count() == 0 and frame[key].n_unique() == frame.height
    )
    key = key if usable else CONTENT_KEY
    names = sorted(c for c in (over if over is not None else frame.columns) if c in frame.columns and c != key)
    if names:
        texts = frame.select(pl.concat_str([_canonical(frame, n) for n in names], separator="\x1f").alias("_row"))[
            "_row"
        ].to_list()
    else:
        texts = [""] * frame.height
    digests = [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest() for t in texts]
    if key:
        keys = frame[key].cast(pl.String).to_list()
        return key, tuple(names), dict(zip(keys, digests, strict=True))
    seen: dict[str, int] = {}
    out: dict[str, str] = {}
    for digest in digests:
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        out[f"{digest}#{n}"] = digest
    return key, tuple(names), out


def _canonical(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column's values as canonical text (null as ``\\x00``): integral floats as integers, so that a column
    whose type went from Integer to Double hashes the same; dates and times in ISO form."""
    import polars as pl

    col = pl.col(name)
    dtype = frame.schema[name]
    if dtype.is_float():
        whole = col.is_finite() & (col.abs() < 2**53) & (col == col.round(0))
        text = pl.when(whole).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.cast(pl.String))
    elif dtype.is_nested() or dtype == pl.Object:
        text = col.map_elements(repr, return_dtype=pl.String)
    elif isinstance(dtype, pl.Datetime):  # one form whatever the time unit or zone the rows came in
        moment = col.dt.convert_time_zone("UTC") if dtype.time_zone else col
        text = moment.dt.cast_time_unit("us").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")
    elif dtype == pl.Boolean:
        text = pl.when(col).then(pl.lit("true")).otherwise(pl.lit("false"))
    else:
        text = col.cast(pl.String)
    return text.fill_null("\x00")


# -- comparing two --------------------------------------------------------------------------------------------------


def compare(before: Fingerprint, after: Fingerprint, frame: pl.DataFrame | None = None) -> Changes:
    """What changed from ``before`` to ``after``. ``frame``: the rows ``after`` was taken from, when they are at
    hand: used to hash the rows again over ``before``'s columns when fields were added since (without it, every
    row would count as changed)."""
    notes: list[str] = []
    old_fields = {f.name: f for f in before.fields}
    new_fields = {f.name: f for f in after.fields}
    field_changes: list[FieldChange] = [
        FieldChange(f.name, "added", new_type=f.shown_type) for f in after.fields if f.name not in old_fields
    ]
    field_changes += [
        FieldChange(f.name, "removed", old_type=f.shown_type) for f in before.fields if f.name not in new_fields
    ]
    field_changes += [
        FieldChange(f.name, "type", old_fields[f.name].shown_type, f.shown_type)
        for f in after.fields
        if f.name in old_fields and (old_fields[f.name].type, old_fields[f.name].kind) != (f.type, f.kind)
    ]
    added = removed = changed = None
    old_rows, new_rows = before.row_hashes, after.row_hashes
    if old_rows is not None and new_rows is not None:
        if before.key != after.key:
            notes.append(
                f"the rows' id column changed ({before.key or 'none'} → {after.key or 'none'}): rows are not compared"
            )
        else:
            if before.hashed != after.hashed:
                missing = [c for c in before.hashed if c not in after.hashed]
                if not missing and frame is not None:
                    _, _, new_rows = row_hashes(frame, after.key, over=before.hashed)
                else:
                    why = (
                        "fields were removed since the last look"
                        if missing
                        else "fields were added and the rows are not at hand"
                    )
                    if not after.key:  # keyed on content: with the content changed, nothing is left to compare
                        how = "not compared (this dataset has no row id): only the row count is"
                    else:
                        how = "compared by id only" + (" (changed values cannot be told)" if missing else "")
                    notes.append(f"{why}: rows are {how}")
                    new_rows = None
            if after.key:
                added = tuple(k for k in after.row_hashes or {} if k not in old_rows)
                removed = tuple(k for k in old_rows if k not in (after.row_hashes or {}))
                if new_rows is not None:
                    changed = tuple(k for k, h in new_rows.items() if k in old_rows and old_rows[k] != h)
                    moved = _renumbered(old_rows, new_rows, len(added) + len(removed) + 2 * len(changed))
                    if moved is not None:
                        added, removed, changed = moved
                        notes.append(
                            "the portal renumbered its row ids since the last look (as a re-upload or a replace "
                            "does): rows are compared by content, so an edited row shows as one removed and one added"
                        )
            elif new_rows is not None:  # keyed on content: the keys are the (comparable) hashes themselves
                added = tuple(k for k in new_rows if k not in old_rows)
                removed = tuple(k for k in old_rows if k not in new_rows)
                changed = ()
                if after.key_unusable:
                    notes.append(
                        f"the id column {after.key_unusable} repeats values (or has empty cells): rows are compared "
                        "by content, so an edited row shows as one removed and one added"
                    )
                else:
                    notes.append("this dataset has no row id: an edited row shows as one removed and one added")
    else:
        why = after.rows_note if after.row_hashes is None else before.rows_note
        notes.append(f"rows were not compared ({why or 'not read'}): only the row count is")
    return Changes(
        dataset_id=after.dataset_id,
        title=after.title or before.title,
        since=before.taken,
        taken=after.taken,
        rows_before=before.rows,
        rows_after=after.rows,
        added=added,
        removed=removed,
        changed=changed,
        key=after.key,
        fields=tuple(field_changes),
        data_updated_before=before.data_updated,
        data_updated_after=after.data_updated,
        notes=tuple(notes),
    )


def _renumbered(
    old_rows: Mapping[str, str], new_rows: Mapping[str, str], claimed: int
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
    """(added, removed, changed) by content, when the difference by id (``claimed``: added + removed + 2 × changed
    rows) is more than the difference in content can explain and the ids really moved: some id appeared or vanished,
    and most rows' content now sits under an id that did not hold it (a table recreated and numbered from 1 again,
    rows replaced with new ids). None when the ids can be trusted: values swapped between rows, a row deleted and
    its twin added under a new id, are real edits told by id. With the same ids before and after (a table numbered
    1..N again, a row gone at the top and one added at the end), only when at least ``RENUMBERED_SAME_IDS`` rows
    moved: a handful of values moved between rows are edits."""
    from collections import Counter

    old_count, new_count = Counter(old_rows.values()), Counter(new_rows.values())
    gone, new = old_count - new_count, new_count - old_count
    if claimed <= gone.total() + new.total():
        return None
    moved = sum(1 for key, digest in new_rows.items() if digest in old_count and old_rows.get(key) != digest)
    if 2 * moved <= min(len(old_rows), len(new_rows)):
        return None
    if old_rows.keys() == new_rows.keys() and moved < RENUMBERED_SAME_IDS:
        return None  # the same ids, a few values moved between rows: edits (a table re-numbered 1..N moves many)

    def pick(rows: Mapping[str, str], surplus: Counter[str]) -> tuple[str, ...]:
        left = Counter(surplus)
        out = []
        for key, digest in rows.items():
            if left[digest] > 0:
                left[digest] -= 1
                out.append(key)
        return tuple(out)

    return pick(new_rows, new), pick(old_rows, gone), ()


def text_of(data: dict[str, Any], name: str) -> str:
    """``data[name]`` when it is text, else ""."""
    value = data.get(name)
    return value if isinstance(value, str) else ""
