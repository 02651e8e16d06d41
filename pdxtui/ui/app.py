"""The Textual application: bindings, palette providers and the first screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from pdxtui.ui.commands import AppCommands, DatasetCommands
from pdxtui.ui.screens.browse import BrowseScreen
from pdxtui.ui.startup import FIRST_CSS

if TYPE_CHECKING:
    from pdxtui.service import Service
    from pdxtui.session import Session
    from pdxtui.ui.screens.draft import DraftScreen


class PdxApp(App[None]):
    TITLE = "pdxtui"
    # Every screen keeps its CSS beside it (CSS_PATH). The app reads the first frame's at start; the others are read
    # as soon as the catalog has painted, before any other screen can open (pdxtui.ui.startup says why).
    CSS_PATH = list(FIRST_CSS)
    COMMANDS = App.COMMANDS | {DatasetCommands, AppCommands}
    # ? first: the footer shows the first key of an action, and shows F1 where ? would be typed (a text box)
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        # from every screen, text boxes included (Input and TextArea bind no ctrl+n); on the panel, it closes it
        Binding("ctrl+n", "requests", "Requests", show=False, priority=True),
    ]
    # below 100 columns the screen gets the class -narrow (browse.tcss: the sidebar shrinks, the panes keep room)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(
        self, service: Service | None = None, *, session: Session | None = None, open_id: str | None = None
    ) -> None:
        """Give a ``session`` (the CLI does) or a ready ``service`` (tests may). ``open_id``: a dataset to open at
        start (``pdxtui open ID``)."""
        super().__init__()
        self.open_id = open_id
        self.print_on_exit: str | None = None  # text the CLI prints on stdout once the screen is given back
        self.requester = None  # the drafting profile when there is no session (tests)
        self.today = None  # the date drafted letters carry (None: today; tests pin it)
        from pdxtui.sql.tables import Tables

        #: the tables the SQL screen can query: every dataset opened in this run (pdxtui.sql.tables)
        self.sql_tables = Tables()
        if service is None:
            if session is None:
                raise ValueError("PdxApp needs a service or a session")
            service = session.service(on_wait=self.on_wait)
        self.service = service
        self.session = session
        self.sub_title = service.label

    def on_mount(self) -> None:
        refresher = None
        if self.session is not None:
            session = self.session

            def refresher() -> Service:
                return session.service(refresh=True, on_wait=self.on_wait)

        # Pushed from the app's queue, which textual serves once its own start-up is over: a screen mounted during
        # that start-up is laid out and drawn once for nothing (textual holds that paint back) and then again.
        self.call_later(self.push_screen, BrowseScreen(self.service, refresher=refresher, open_id=self.open_id))
        self._warned = 0
        if self.session is not None:  # config and cache warnings (the cache opens on the first fetch)
            self.show_warnings()
            self.set_interval(0.5, self.show_warnings)

    def show_warnings(self) -> None:
        """Each new warning of the session (bad config keys, a corrupt or unwritable cache) once, as a toast."""
        from pdxtui.service import Service as ServiceClass  # loaded by the browser already; not at start-up

        warnings = list(self.session.warnings) if self.session is not None else []
        for screen in self.screen_stack:  # a cache found damaged (or unwritable) after it opened
            service = getattr(screen, "service", None)  # the screens that browse a portal have one
            late = service.cache_warning() if isinstance(service, ServiceClass) else ""
            if late and late not in warnings:
                warnings.append(late)
                if self.session is not None:
                    self.session.warnings.append(late)
        for warning in warnings[self._warned :]:
            self.notify(warning, title="Warning", severity="warning", markup=False, timeout=10)
        self._warned = len(warnings)

    def on_wait(self, message: str, seconds: float) -> None:
        """The fetcher is about to wait before retrying (429, 5xx, Retry-After): say so in the status line."""
        for screen in self.screen_stack:
            if isinstance(screen, BrowseScreen):
                screen.set_status(message)

    def on_draft_screen_print_and_quit(self, event: DraftScreen.PrintAndQuit) -> None:
        self.print_on_exit = event.text
        self.exit()

    def on_draft_screen_requester_saved(self, event: DraftScreen.RequesterSaved) -> None:
        self.requester = event.requester

    def action_help(self) -> None:
        from pdxtui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            browse = next((s for s in reversed(self.screen_stack) if isinstance(s, BrowseScreen)), None)
            self.push_screen(HelpScreen(browse.service.filter_note() if browse is not None else ""))

    def action_requests(self) -> None:
        """The Requests panel: the last requests, totals per host today, 429s, waits and rate limits."""
        from pdxtui.ui.screens.requests import RequestsScreen

        if isinstance(self.screen, RequestsScreen):
            self.screen.dismiss(None)
        elif not any(isinstance(screen, RequestsScreen) for screen in self.screen_stack):
            self.push_screen(RequestsScreen(rate_source=self.rates_seen))

    def rates_seen(self) -> dict[str, dict[str, str]]:
        """The rate-limit headers the open portals' fetchers last saw, per host (for the Requests panel)."""
        from pdxtui.service import Service as ServiceClass  # loaded by the browser already; not at start-up

        seen: dict[str, dict[str, str]] = {}
        services = [self.service, *(getattr(screen, "service", None) for screen in self.screen_stack)]
        for service in services:  # the screens that browse a portal have one
            if isinstance(service, ServiceClass):
                seen.update(service.portal.rate_limits())
        return seen

    async def on_unmount(self) -> None:
        try:
            for screen in self.screen_stack:
                if isinstance(screen, BrowseScreen) and screen.service is not self.service:
                    await screen.service.aclose()
            await self.service.aclose()
        except Exception:
            pass


def run_app(session: Session, open_id: str | None = None) -> int:
    app = PdxApp(session=session, open_id=open_id)
    app.run()
    if app.print_on_exit:
        print(app.print_on_exit)
    return app.return_code or 0
