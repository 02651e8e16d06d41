"""A canvas that shows a picture drawn by a function of its size (cols, rows), in a thread worker.

It redraws when it is resized and when :meth:`ChartCanvas.draw` is called; the last picture stays on screen while
the next one is drawn, so the UI never waits for the drawing. The picture is anything with a ``lines`` attribute
(a list of Rich ``Text``): :mod:`pdxtui.charts` makes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widget import Widget
from textual.worker import get_current_worker

Painter = Callable[[int, int], Any]


class ChartCanvas(Widget, can_focus=True):  # focused when its screen opens: the screen's keys are its keys
    DEFAULT_CSS = """
    ChartCanvas { width: 1fr; height: 1fr; }
    """

    @dataclass
    class Drawn(Message):
        """A picture is on screen (``picture`` None and ``error`` set when drawing failed)."""

        canvas: ChartCanvas
        picture: Any
        error: BaseException | None = None

        @property
        def control(self) -> ChartCanvas:
            return self.canvas

    def __init__(self, painter: Painter | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.painter = painter
        self.picture: Any = None
        self._lines: list[Text] = []
        self._asked = 0  # draws asked for
        self._done = 0  # draws finished (shown, failed or superseded)
        self.drawn_size: tuple[int, int] | None = None

    @property
    def idle(self) -> bool:
        """No drawing is waiting: what is shown is the latest picture for the current size."""
        return self._done >= self._asked and self.drawn_size == (self.size.width, self.size.height)

    def draw(self, painter: Painter | None = None) -> None:
        """Draw again (with a new ``painter``, if given) at the current size."""
        if painter is not None:
            self.painter = painter
        width, height = self.size.width, self.size.height
        if self.painter is None or width <= 0 or height <= 0:
            return
        self._asked += 1
        self._paint(self.painter, width, height, self._asked)

    def on_resize(self) -> None:
        self.draw()

    @work(thread=True, exclusive=True, group="chart-draw", exit_on_error=False)
    def _paint(self, painter: Painter, width: int, height: int, ticket: int) -> None:
        worker = get_current_worker()
        try:
            picture = painter(width, height)
        except Exception as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, exc, ticket, (width, height))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, picture, ticket, (width, height))

    def _show(self, picture: Any, ticket: int, size: tuple[int, int]) -> None:
        if ticket < self._asked:  # a newer draw is on its way
            return
        self._done = ticket
        self.picture = picture
        self.drawn_size = size
        self._lines = list(picture.lines)
        self.refresh()
        self.post_message(self.Drawn(self, picture))

    def _failed(self, exc: BaseException, ticket: int, size: tuple[int, int]) -> None:
        if ticket < self._asked:
            return
        self._done = ticket
        self.drawn_size = size
        self._lines = []
        self.refresh()
        self.post_message(self.Drawn(self, None, exc))

    def render(self) -> Text:
        return Text("\n").join(self._lines) if self._lines else Text("")
