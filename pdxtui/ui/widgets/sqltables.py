"""The SQL screen's list of tables: each table's name and rows ("all 52 rows", "1,000 of 218,000 rows loaded"), the
columns of the highlighted one, and Enter to put its name in the query."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pdxtui.sql.tables import Table, Tables
from pdxtui.textout import fmt_count
from pdxtui.textsafe import one_line

NO_TABLES = (
    "No tables yet. Every dataset you open in the browser becomes a table here, named after its title "
    "(street_trees): press Esc, open a dataset, and come back (: or ctrl+k)."
)


def table_prompt(table: Table, *, compact: bool = False) -> Text:
    """The table's name and rows on two lines; ``compact`` (a short screen): on one line where it fits, the mark
    of rows not all loaded before the name (never wrapped alone onto a line of its own)."""
    if compact:
        mark = "  " if table.complete else "◐ "
        return Text.assemble((mark, "yellow"), (table.name, "bold"), (f"  {short_rows(table)}", "dim"))
    mark = "" if table.complete else "  ◐"
    return Text.assemble((table.name, "bold"), (mark, "yellow"), "\n", (f"  {table.describe()}", "dim"))


def short_rows(table: Table) -> str:
    """The table's rows in few characters (unbroken when wrapped): "all 338", "1,000/252,184" (loaded/total)."""
    if table.frame is None:
        return "not loaded"
    if table.where:
        return table.describe()
    return f"all {table.loaded:,}" if table.complete else f"{table.loaded:,}/{fmt_count(table.total)}"


def short_type(dtype: object) -> str:
    """A polars type in few characters: ``Datetime(ms, UTC)``, not ``Datetime(time_unit='ms', time_zone='UTC')``."""
    return re.sub(r"\b(time_unit|time_zone|precision|scale)=", "", str(dtype)).replace("'", "")


def columns_text(table: Table) -> Text:
    """The highlighted table's columns (name and type) under its title, as plain text: portal text is never
    markup."""
    out = Text.assemble(
        ("Columns of ", "dim"), (table.name, "bold"), ("  ", ""), (one_line(table.dataset.title, 120), "dim")
    )
    if table.frame is not None:
        columns = [(one_line(name, 40), short_type(dtype)) for name, dtype in table.frame.schema.items()]
    else:
        columns = [(one_line(f.name, 40), f.dtype) for f in table.dataset.fields]
    width = max((len(name) for name, _ in columns), default=0)
    for name, kind in columns:
        out.append(f"\n{name.ljust(width)}  ")
        out.append(kind, "dim")
    if not columns:
        out.append("\n(no columns)", "dim")
    return out


class TablesPane(Vertical):
    DEFAULT_CSS = """
    TablesPane { height: 1fr; }
    TablesPane > #sql-table-list { height: auto; max-height: 60%; border: none; }
    TablesPane > #sql-table-list.-compact { max-height: 100%; }
    TablesPane > #sql-table-columns { height: 1fr; padding: 0 1; margin-top: 1; overflow-y: auto; }
    TablesPane > #sql-no-tables { padding: 1 1; color: $text-muted; }
    """

    @dataclass
    class Chosen(Message):
        """Enter on a table: its name goes into the query."""

        pane: TablesPane
        name: str

        @property
        def control(self) -> TablesPane:
            return self.pane

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._tables: list[Table] = []
        #: a short screen: one line a table where it fits, and no columns box (the list takes the height)
        self.compact = False

    def compose(self):
        yield Static(Text(NO_TABLES), id="sql-no-tables")
        yield OptionList(id="sql-table-list")
        yield Static("", id="sql-table-columns")

    def show(self, tables: Tables) -> None:
        """List ``tables`` (the highlighted one stays highlighted when it is still there)."""
        listing = self.query_one("#sql-table-list", OptionList)
        was = listing.highlighted
        current = self._tables[was].name if was is not None and was < len(self._tables) else None
        self._tables = list(tables)
        listing.clear_options()
        listing.add_options(
            [Option(table_prompt(t, compact=self.compact), id=f"t{i}") for i, t in enumerate(self._tables)]
        )
        empty = not self._tables
        self.query_one("#sql-no-tables").display = empty
        listing.display = not empty
        self.query_one("#sql-table-columns").display = not empty and not self.compact
        listing.set_class(self.compact, "-compact")
        if not empty:
            names = [t.name for t in self._tables]
            listing.highlighted = names.index(current) if current in names else 0
            self._show_columns(listing.highlighted)

    def _show_columns(self, index: int | None) -> None:
        columns = self.query_one("#sql-table-columns", Static)
        if index is None or index >= len(self._tables):
            columns.update("")
            return
        columns.update(columns_text(self._tables[index]))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_columns(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self._tables):
            self.post_message(self.Chosen(self, self._tables[event.option_index].name))
