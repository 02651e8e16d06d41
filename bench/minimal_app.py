"""The baseline for bench/startup.py: the smallest useful Textual app (Header, DataTable, Footer)."""

from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Minimal(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("title", "rows")
        table.add_row("MINIMAL READY", "1")


if __name__ == "__main__":
    Minimal().run()
