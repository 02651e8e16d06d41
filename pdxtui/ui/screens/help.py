"""Help: every key, from ``pdxtui.ui.keys``."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pdxtui import __version__
from pdxtui.ui.footer import KeysFooter
from pdxtui.ui.fresh import legend
from pdxtui.ui.keys import FILTER_HELP, KEYS


def keys_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 2, 0, 0), expand=True)
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    table.add_column("Where", style="dim")
    for key, action, where in KEYS:
        table.add_row(Text(key), Text(action), Text(where))
    return table


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", priority=True),
    ]

    def __init__(self, portal_note: str = "") -> None:
        super().__init__()
        #: where filters and sorts run on the current portal (from ``Service.filter_note``)
        self.portal_note = portal_note

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(f"pdxtui {__version__} — keys"), id="help-title")
            yield Static(keys_table(), id="help-keys")
            yield Static(Text(FILTER_HELP), id="help-filters")
            yield Static(legend(), id="help-freshness")
            if self.portal_note:
                yield Static(Text("  " + self.portal_note), id="help-portal")
            yield Static(
                Text(
                    "Esc, q, ? or F1 closes this help. Data shown from the bundled portal is generated "
                    "sample data, labelled SAMPLE."
                ),
                id="help-foot",
            )
        yield KeysFooter()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
