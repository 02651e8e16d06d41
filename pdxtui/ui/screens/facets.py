"""Facet view (VisiData's Shift+F): value, count, %, bar for one column. Enter filters the grid on a value."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pdxtui.stats import Facet, bar, format_count, format_pct, format_value
from pdxtui.textsafe import one_line
from pdxtui.ui.footer import KeysFooter
from pdxtui.ui.widgets.vim import VimTable

BAR_WIDTH = 30


class FacetScreen(ModalScreen[tuple[str, Any] | None]):
    """Dismisses with (column, value) when the user picks a value, else None."""

    CSS_PATH = "facets.tcss"

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, facet: Facet, note: str = "") -> None:
        super().__init__()
        self.facet = facet
        self.note = note

    def compose(self) -> ComposeResult:
        f = self.facet
        with Vertical():
            yield Static(
                Text(
                    f"Facets of {one_line(f.column, 60)}: {format_count(f.distinct)} distinct values"
                    f" in {format_count(f.rows)} rows"
                ),
                id="facet-title",
            )
            note = self.note + (" · showing the commonest values only" if f.truncated else "")
            yield Static(Text(f"{note} · Enter filters the grid on a value · Esc closes".strip(" ·")), id="facet-note")
            yield VimTable(id="facet-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Value", width=40)
        table.add_column(Text("Count", justify="right"), width=11)
        table.add_column(Text("%", justify="right"), width=7)
        table.add_column("", width=BAR_WIDTH)
        for index, vc in enumerate(self.facet.values):
            table.add_row(
                Text(format_value(vc.value, 40)),
                Text(format_count(vc.count), justify="right"),
                Text(format_pct(vc.pct), justify="right"),
                Text(bar(self.facet.scale(vc.count), BAR_WIDTH), "green"),
                key=str(index),
            )
        if self.facet.nulls:
            table.add_row(
                Text("∅ (null)", "dim"),
                Text(format_count(self.facet.nulls), justify="right"),
                Text(format_pct(self.facet.null_pct), justify="right"),
                Text(""),
                key="null",
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key == "null":
            self.dismiss((self.facet.column, None))
        elif key is not None:
            self.dismiss((self.facet.column, self.facet.values[int(key)].value))

    def action_close(self) -> None:
        self.dismiss(None)
