"""Helpers for Pilot and snapshot tests: build the app on a portal, wait for its workers."""

from __future__ import annotations

import asyncio

from rich.text import Text


def demo_app():
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp

    return PdxApp(Service(BundledPortal(name="demo")))


def demo_ids() -> dict[str, str]:
    """The bundled portal's dataset ids by title."""
    from pdxtui.model import SearchRequest
    from pdxtui.portals.bundled import BundledPortal

    result = asyncio.run(BundledPortal().search(SearchRequest(limit=100)))
    return {hit.title: hit.id for hit in result.hits}


async def open_in(pilot, dataset_id: str):
    """Open a dataset on the browser, wait for its rows and focus its grid; returns the preview pane."""
    await settle(pilot)
    pilot.app.screen.open_dataset(dataset_id)
    await settle(pilot)
    pane = pilot.app.screen.query_one("#preview")
    pane.grid.focus()
    await pilot.pause()
    return pane


async def settle(pilot, timeout: float = 15.0) -> None:
    """Wait until no timer-started search is pending and every worker has finished, then let the screen paint."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        steady_cursors(app)
        settled = all(getattr(screen, "settled", True) for screen in app.screen_stack)
        if settled and not any(w.is_running for w in app.workers):
            return
        if loop.time() > deadline:
            raise TimeoutError("the app did not settle")
        await asyncio.sleep(0.02)


def steady_cursors(app) -> None:
    """Blinking cursors make snapshots depend on timing: keep them steadily on."""
    from textual.widgets import Input, TextArea

    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            if isinstance(widget, (Input, TextArea)) and widget.cursor_blink:
                widget.cursor_blink = False


async def wait_for(pilot, predicate, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met: {predicate}")
        await pilot.pause(0.02)


def text_of(widget) -> str:
    """The plain text a Static currently shows (a Text, or any Rich renderable printed without colour)."""
    import io

    from rich.console import Console

    content = widget.content
    if isinstance(content, Text):
        return content.plain
    if isinstance(content, str):
        return content
    console = Console(width=max(widget.size.width, 60), file=io.StringIO(), color_system=None, record=True)
    console.print(content)
    return console.export_text()


def screen_text(app) -> str:
    """Everything painted on the current screen (modal screens included), as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


#: how much longer a notification lasts in a pilot test than in the app: tests read ``app._notifications``, which
#: drops a notification once its timeout has passed, and on a loaded machine a test can take longer than the
#: 4-10 s a notification lasts between raising it and looking for it
NOTIFY_STRETCH = 60


def stretch_notifications(monkeypatch) -> None:
    """Notifications that outlast the test (their timeout × NOTIFY_STRETCH), so that a check of what was told does
    not depend on how loaded the machine is."""
    from textual.app import App

    told = App.notify

    def notify(self, message, *, title="", severity="information", timeout=None, markup=True):
        timeout = (self.NOTIFICATION_TIMEOUT if timeout is None else timeout) * NOTIFY_STRETCH
        return told(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    monkeypatch.setattr(App, "notify", notify)
