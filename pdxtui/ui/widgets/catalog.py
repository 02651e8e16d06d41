"""The list of datasets: two lines per hit (title; bureau · updated · rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.visual import Visual
from textual.widgets import OptionList
from textual.widgets.input import Selection
from textual.widgets.option_list import Option

from pdxtui.model import DatasetSummary
from pdxtui.textout import fmt_count, fmt_date
from pdxtui.textsafe import one_line
from pdxtui.ui.safe import line
from pdxtui.ui.widgets.search import SearchInput
from pdxtui.ui.widgets.vim import LIST_KEYS

DETAIL_WIDTH = 41  # the detail line's width when the list is too narrow to say (under 20 columns)
MIN_OWNER = 12  # the owner is never shortened below this


def hit_prompt(hit: DatasetSummary, width: int = DETAIL_WIDTH) -> Text:
    """Two lines: the title; the owner (shortened so the line fits ``width``) · updated · rows (in a narrow list
    the date, then the rows, give way to the owner)."""
    title = line(hit.title, "bold", 200)
    tail = [fmt_date(hit.updated) if hit.updated else "", f"{fmt_count(hit.rows)} rows" if hit.rows is not None else ""]
    tail_text = " · ".join(t for t in tail if t)
    for drop in (0, 1):
        if len(tail_text) + 3 + MIN_OWNER <= width:
            break
        tail[drop] = ""
        tail_text = " · ".join(t for t in tail if t)
    owner = one_line(hit.owner or "unknown bureau", max(MIN_OWNER, width - len(tail_text) - 3))
    detail = line(" · ".join(f for f in (owner, tail_text) if f), "dim", 200)
    return Text.assemble(title, "\n", detail)


class HitLines(Visual):
    """A hit's two lines (:func:`hit_prompt`), made for the width the list gives them when it measures and draws
    them: the first frame shows them at the list's own width (the hits usually arrive before the list is laid
    out), and a resize needs no new options."""

    def __init__(self, hit: DatasetSummary, console: Any = None) -> None:
        self.hit = hit
        self._console = console
        self._made: dict[int, Content] = {}

    def __str__(self) -> str:
        return str(self.lines(DETAIL_WIDTH))

    def lines(self, width: int) -> Content:
        width = width if width >= 20 else DETAIL_WIDTH
        made = self._made.get(width)
        if made is None:
            made = self._made[width] = Content.from_rich_text(hit_prompt(self.hit, width), console=self._console)
        return made

    def render_strips(self, width: int, height: int | None, style: Any, options: Any) -> list:
        return self.lines(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: Any, container_width: int) -> int:
        return self.lines(container_width).get_optimal_width(rules, container_width)

    def get_height(self, rules: Any, width: int) -> int:
        return self.lines(width).get_height(rules, width)


#: letters the list keeps for itself (movement, z to zoom, q to quit); every other letter typed in the list searches
LIST_LETTERS = {"j", "k", "g", "G", "z", "q"}


class CatalogList(OptionList):
    """Shows search hits. Enter or a click opens the highlighted dataset. A letter typed here (other than the
    movement keys ``j k g G`` and ``q``) goes to the search box: typing a word in the list searches for it."""

    BINDINGS = [Binding("enter", "select", "Open"), *LIST_KEYS]

    DEFAULT_CSS = """
    CatalogList { height: 1fr; }
    CatalogList > .option-list--option { padding: 0 1; }
    """

    @dataclass
    class Open(Message):
        list: CatalogList
        dataset_id: str

        @property
        def control(self) -> CatalogList:
            return self.list

    @dataclass
    class Typed(Message):
        """A letter typed in the list: the screen puts it in the search box, which takes the focus."""

        list: CatalogList
        character: str

        @property
        def control(self) -> CatalogList:
            return self.list

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if character and len(character) == 1 and character.isalpha() and event.key not in LIST_LETTERS:
            event.stop()
            event.prevent_default()
            self.post_message(self.Typed(self, character))

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: tuple[DatasetSummary, ...] = ()

    def show_hits(self, hits: tuple[DatasetSummary, ...]) -> None:
        """List ``hits``, the first highlighted."""
        self.hits = hits
        self.clear_options()
        console = self.app.console
        self.add_options([Option(HitLines(h, console), id=h.id) for h in hits])
        if hits:
            self.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Open(self, event.option.id))


class SearchBox(SearchInput):
    """The search box. It selects its text when reached with / or 1 (typing replaces it), not when a letter typed
    in the results list moves the focus here (that letter goes on the end)."""

    BINDINGS = [Binding("down", "screen.focus_results", "Results")]

    def __init__(self, **kwargs) -> None:
        super().__init__(select_on_focus=False, **kwargs)

    def focus_all(self) -> None:
        self.focus()
        self.selection = Selection(0, len(self.value))

    def type_in(self, text: str) -> None:
        self.focus()
        self.selection = Selection.cursor(len(self.value))
        self.insert_text_at_cursor(text)
