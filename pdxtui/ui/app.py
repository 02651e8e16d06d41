"""The Textual application: bindings, palette providers and the first screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from pdxtui.ui.commands import AppCommands, DatasetCommands
from pdxtui.ui.screens.browse import BrowseScreen
from pdxtui.ui.screens.help import HelpScreen

if TYPE_CHECKING:
    from pdxtui.service import Service
    from pdxtui.session import Session


class PdxApp(App[None]):
    TITLE = "pdxtui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {DatasetCommands, AppCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, service: Service, *, session: Session | None = None) -> None:
        super().__init__()
        self.service = service
        self.session = session
        self.sub_title = service.label

    def on_mount(self) -> None:
        self.push_screen(BrowseScreen(self.service))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def on_unmount(self) -> None:
        try:
            await self.service.aclose()
        except Exception:  # noqa: BLE001 - closing must never stop the exit
            pass


def run_app(session: Session) -> int:
    app = PdxApp(session.service(), session=session)
    app.run()
    return app.return_code or 0
