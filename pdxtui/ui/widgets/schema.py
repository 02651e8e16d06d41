"""Schema pane: one row per field with name, type, alias and description."""

from __future__ import annotations

from textual.widgets import DataTable

from pdxtui.model import Dataset
from pdxtui.ui.safe import line
from pdxtui.ui.widgets.vim import TABLE_KEYS


def short_type(name: str) -> str:
    return name.removeprefix("esriFieldType")


class SchemaPane(DataTable):
    BINDINGS = TABLE_KEYS
    DEFAULT_CSS = """
    SchemaPane { height: 1fr; }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("Field", "Type", "Alias", "Description")

    def show(self, ds: Dataset) -> None:
        self.clear()
        for f in ds.fields:
            kind = short_type(f.type)
            if f.domain:
                kind += " (coded)"
            self.add_row(
                line(f.name, "bold", 40),
                line(kind, max_len=24),
                line(f.alias, max_len=40),
                line(f.description, max_len=200),
                key=f.name,
            )
