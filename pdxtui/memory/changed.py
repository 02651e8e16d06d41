"""The rows behind a look's changes, and the changes in the words a panel shows them in.

:func:`changed_rows` picks the rows added and changed since the last look out of the rows the look read
(:attr:`pdxtui.memory.look.Look.frame`), marked "added" or "changed", in the dataset's order. Removed rows are not
among them: a fingerprint keeps one hash per row, never its values, so a removed row is known by its id alone.

Pure: no network, no disk, no textual (the app's "since you last looked" panel and its changed-rows grid use it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pdxtui.memory.fingerprint import Changes, row_hashes

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.memory.look import Look

#: the name of the column that says "added" or "changed" (another name is taken when the dataset has a column so named)
MARK = "change"
#: ids listed in a line before "and N more"
FEW = 5


def mark_column(columns: Sequence[str]) -> str:
    """A name for the mark column that none of ``columns`` has: ``change``, else ``change_``, ``change__``…"""
    name = MARK
    while name in columns:
        name += "_"
    return name


def changed_rows(look: Look) -> pl.DataFrame | None:
    """The rows added and changed since the last look (every column the look read, the key included), with a
    first column (:func:`mark_column`) saying "added" or "changed"; None when the rows were not compared or the
    look did not keep them (a large dataset, a first look)."""
    import polars as pl

    changes, frame, before = look.changes, look.frame, look.before
    if changes is None or frame is None or before is None or changes.added is None:
        return None
    marks = {key: "added" for key in changes.added}
    marks.update({key: "changed" for key in changes.changed or ()})
    if changes.key:
        if changes.key not in frame.columns:
            return None
        keys = frame[changes.key].cast(pl.String).to_list()
    else:
        # rows keyed on their content: their keys are hashes, worked out over the columns the comparison used
        # (those of the last look, when fields were added since)
        rehashed = before.hashed != look.fingerprint.hashed and all(c in frame.columns for c in before.hashed)
        _, _, hashes = row_hashes(frame, "", over=before.hashed if rehashed else None)
        keys = list(hashes)
    name = mark_column(frame.columns)
    column = pl.Series(name, [marks.get(key) for key in keys], dtype=pl.String)
    return frame.select(column, pl.all()).filter(pl.col(name).is_not_null())


def few(ids: Sequence[str], limit: int = FEW) -> str:
    """``12, 15, 18`` or ``12, 15, 18, 23, 40 and 7 more``."""
    shown = ", ".join(ids[:limit])
    rest = len(ids) - limit
    return f"{shown} and {rest:,} more" if rest > 0 else shown


def removed_line(changes: Changes, limit: int = FEW) -> str:
    """What the panel says of the rows removed: their ids (a few, then "and N more"), and that their values are
    gone; "" when none were removed (or rows were not compared)."""
    removed = changes.removed or ()
    if not removed:
        return ""
    n = len(removed)
    rows = "row" if n == 1 else "rows"
    if not changes.key:
        return f"{n:,} {rows} removed (no row id to name them by; their values are gone)"
    return f"Removed {changes.key} {few(removed, limit)} (their values are gone)"
