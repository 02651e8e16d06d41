"""Pick the part of a dataset whose rows the grid shows: a resource (table) of a CKAN dataset, or a layer or table
of an ArcGIS map service. Enter picks, Esc cancels."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pdxtui.model import Dataset, Resource
from pdxtui.textsafe import one_line
from pdxtui.ui.footer import KeysFooter


def preview_kind(resource: Resource) -> str:
    if resource.format in ("layer", "table") and not resource.url:
        return "query"  # an ArcGIS layer or table: its own query endpoint
    if resource.datastore:
        return "datastore"
    if resource.tabular:
        return "CSV file"
    return "no preview"


class ResourcesScreen(ModalScreen[str | None]):
    """Dismisses with the id of the chosen tabular resource (or of the chosen layer, which opens as a dataset of
    its own), or None (Esc, or a resource without rows)."""

    CSS_PATH = "resources.tcss"

    BINDINGS = [Binding("escape", "close", "Cancel")]

    def __init__(self, dataset: Dataset) -> None:
        super().__init__()
        if not dataset.resources and dataset.layers:  # a map service: its layers, each opened by its own id
            parts = tuple(Resource(id=x.id, name=x.title, format=x.kind, tabular=True) for x in dataset.layers)
            dataset = replace(dataset, resources=parts, resource="")
            self.noun, self.note = "Layers and tables", "Enter opens the rows of a layer or table · Esc cancels"
        else:
            self.noun, self.note = "Resources", "● rows shown now · Enter shows the rows of another table · Esc cancels"
        self.dataset = dataset

    def compose(self) -> ComposeResult:
        ds = self.dataset
        tabular = sum(r.tabular for r in ds.resources)
        with Vertical():
            yield Static(
                Text(f"{self.noun} of {one_line(ds.title, 70)}: {len(ds.resources)} ({tabular} with rows)"),
                id="resources-title",
            )
            yield Static(Text(self.note), id="resources-note")
            yield DataTable(id="resources-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("", width=1)
        id_width = min(40, max([36, *(len(r.id) for r in self.dataset.resources)]))
        name_width = 34 - (id_width - 36)
        table.add_column("Name", width=name_width)
        table.add_column("Format", width=8)
        table.add_column("Rows from", width=10)
        table.add_column("Id", width=id_width)
        current = 0
        for index, resource in enumerate(self.dataset.resources):
            shown = resource.id == self.dataset.resource
            if shown:
                current = index
            style = "" if resource.tabular else "dim"
            table.add_row(
                Text("●" if shown else ""),
                Text(one_line(resource.name, name_width), style),
                Text(one_line(resource.format, 8), style),
                Text(preview_kind(resource), style),
                Text(one_line(resource.id, id_width), "dim"),
                key=str(index),
            )
        table.move_cursor(row=current)
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is None:
            return
        resource = self.dataset.resources[int(event.row_key.value)]
        if not resource.tabular:
            fmt = resource.format or "unknown format"
            self.notify(
                f"{one_line(resource.name, 60)} has no tabular preview ({one_line(fmt, 20)}).",
                markup=False,
                severity="warning",
                timeout=5,
            )
            return
        self.dismiss(resource.id)

    def action_close(self) -> None:
        self.dismiss(None)
