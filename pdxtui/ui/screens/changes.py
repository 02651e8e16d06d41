"""What changed since you last looked, in full (``w`` on the browse screen): the summary, the fields, every id
added, changed and removed, and what the comparison could not tell. ``d`` closes it and shows the added and changed
rows in the grid. Every text from the portal (titles, field names, ids) is painted as ``Text``, never as markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pdxtui.memory.changed import few
from pdxtui.memory.look import Look
from pdxtui.textout import fmt_count
from pdxtui.textsafe import clean, one_line
from pdxtui.ui.footer import KeysFooter

#: ids listed per kind (added, changed, removed) before "and N more"
MAX_IDS = 2000


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "an unknown time"


def _ids(out: Text, label: str, ids: Sequence[str] | None, keyed: bool, after: str = "") -> None:
    if not ids:
        return
    out.append(f"\n\n{label} ({len(ids):,})", "bold")
    if after:
        out.append(f"  {after}", "dim")
    if keyed:
        out.append("\n" + clean(few(list(ids), MAX_IDS)))


def changes_text(look: Look, title: str) -> Text:
    """The full account of one look, as the screen shows it."""
    out = Text()
    out.append(one_line(title, 200) or one_line(look.fingerprint.dataset_id, 200), "bold")
    changes, now = look.changes, look.fingerprint
    if changes is None:
        fields = len(now.fields)
        out.append(
            f"\n\nFirst look at this dataset: its fingerprint is kept ({fmt_count(now.rows)} rows, {fields} "
            f"field{'s' if fields != 1 else ''}). What changed shows from the next time you open it."
        )
        if now.rows_note:
            out.append(f"\nRow by row: {one_line(now.rows_note, 300)}; the row count, fields and dates are compared.")
        return out
    out.append(f"\nLast look: {_when(changes.since)}", "dim")
    out.append("\n\n")
    out.append(one_line(changes.describe(), 2000))
    if changes.rows_before != changes.rows_after:
        out.append(f"\nRows: {fmt_count(changes.rows_before)} then, {fmt_count(changes.rows_after)} now")
    if changes.fields:
        out.append("\n\nFields", "bold")
        for field in changes.fields:
            out.append("\n  " + one_line(field.describe(), 300))
    keyed = bool(changes.key)
    by = f"by {one_line(changes.key, 60)}" if keyed else "no row id: listed by count only"
    _ids(out, "Added", changes.added, keyed, by)
    _ids(out, "Changed", changes.changed, keyed, f"{by}; the values shown in the grid are today's")
    _ids(out, "Removed", changes.removed, keyed, "their values are gone: a look keeps a hash per row, not its values")
    if changes.notes:
        out.append("\n\nNotes", "bold")
        for said in changes.notes:
            out.append("\n  " + one_line(said, 400))
    return out


class ChangesScreen(ModalScreen[str | None]):
    """Dismisses with "rows" when the user asks for the changed rows in the grid (d), else None."""

    CSS_PATH = "changes.tcss"
    BINDINGS = [
        Binding("escape,q,w", "close", "Close"),
        Binding("d", "rows", "Changed rows in the grid"),
    ]

    def __init__(self, look: Look, title: str) -> None:
        super().__init__()
        self.look = look
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("What changed since you last looked"), id="changes-title")
            with VerticalScroll(id="changes-scroll"):
                yield Static(changes_text(self.look, self.title_text), id="changes-body")
            rows = self.look.changes is not None and bool(self.look.changes.added or self.look.changes.changed)
            hint = "d shows the added and changed rows in the grid · Esc closes" if rows else "Esc closes"
            yield Static(Text(hint), id="changes-note")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#changes-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_rows(self) -> None:
        self.dismiss("rows")
