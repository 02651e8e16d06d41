"""The list of datasets: two lines per hit (title; freshness mark, bureau · updated · rows), narrowed by the
freshness filter (judged on the hits loaded)."""

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

from pdxtui import freshness
from pdxtui.freshness import UNKNOWN, Freshness
from pdxtui.model import Dataset, DatasetSummary
from pdxtui.textout import fmt_count, fmt_date
from pdxtui.textsafe import one_line
from pdxtui.ui import fresh
from pdxtui.ui.safe import line
from pdxtui.ui.widgets.search import SearchInput
from pdxtui.ui.widgets.vim import LIST_KEYS

DETAIL_WIDTH = 41  # the detail line's width when the list is too narrow to say (under 20 columns)
MIN_OWNER = 12  # the owner is never shortened below this


def hit_prompt(hit: DatasetSummary, width: int = DETAIL_WIDTH, state: str = UNKNOWN) -> Text:
    """Two lines: the title; the freshness mark of ``state``, the owner (shortened so the line fits ``width``) ·
    updated · rows (in a narrow list the date, then the rows, give way to the owner)."""
    title = line(hit.title, "bold", 200)
    width -= fresh.MARK_WIDTH + 1
    changed = hit.data_updated or hit.updated  # the date the mark is judged on, where the portal gives it
    tail = [fmt_date(changed) if changed else "", f"{fmt_count(hit.rows)} rows" if hit.rows is not None else ""]
    tail_text = " · ".join(t for t in tail if t)
    for drop in (0, 1):
        if len(tail_text) + 3 + MIN_OWNER <= width:
            break
        tail[drop] = ""
        tail_text = " · ".join(t for t in tail if t)
    owner = one_line(hit.owner or "unknown bureau", max(MIN_OWNER, width - len(tail_text) - 3))
    detail = line(" · ".join(f for f in (owner, tail_text) if f), "dim", 200)
    return Text.assemble(title, "\n", fresh.mark(state), " ", detail)


class SizedLines(Visual):
    """Lines made for the width the list gives them when it measures and draws them (:meth:`make`): the first frame
    shows them at the list's own width (the items usually arrive before the list is laid out), and a resize needs
    no new options."""

    def __init__(self, console: Any = None) -> None:
        self._console = console
        self._made: dict[int, Content] = {}

    def make(self, width: int) -> Text:
        raise NotImplementedError

    def __str__(self) -> str:
        return str(self.lines(DETAIL_WIDTH))

    def lines(self, width: int) -> Content:
        width = width if width >= 20 else DETAIL_WIDTH
        made = self._made.get(width)
        if made is None:
            made = self._made[width] = Content.from_rich_text(self.make(width), console=self._console)
        return made

    def render_strips(self, width: int, height: int | None, style: Any, options: Any) -> list:
        return self.lines(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: Any, container_width: int) -> int:
        return self.lines(container_width).get_optimal_width(rules, container_width)

    def get_height(self, rules: Any, width: int) -> int:
        return self.lines(width).get_height(rules, width)


class HitLines(SizedLines):
    """A hit's two lines (:func:`hit_prompt`)."""

    def __init__(self, hit: DatasetSummary, console: Any = None, state: str = UNKNOWN) -> None:
        super().__init__(console)
        self.hit = hit
        self.state = state

    def make(self, width: int) -> Text:
        return hit_prompt(self.hit, width, self.state)


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
        self.loaded: tuple[DatasetSummary, ...] = ()  # every hit the search loaded
        self.hits: tuple[DatasetSummary, ...] = ()  # those shown: the loaded hits that pass the freshness filter
        self.freshness_filter = "any"  # a value of pdxtui.ui.fresh.CHOICES
        #: the verdict on an opened dataset, which may judge on a better date than its hit (ArcGIS: the layer's
        #: last edit, not the Hub record's date): its hit's mark follows it
        self.judged: dict[str, Freshness] = {}

    def freshness(self, hit: DatasetSummary) -> Freshness:
        """A hit's freshness: its opened dataset's verdict once known, else the hit's own."""
        return self.judged.get(hit.id) or freshness.of(hit)

    def show_hits(self, hits: tuple[DatasetSummary, ...]) -> None:
        """List ``hits`` (those the freshness filter passes), the first highlighted."""
        self.loaded = hits
        self._list(None)

    def filter_freshness(self, choice: str) -> None:
        """Show only the loaded hits whose freshness passes ``choice``; the highlighted one stays if it passes."""
        self.freshness_filter = choice
        self._list(self._highlighted_id())

    def follow(self, ds: Dataset) -> None:
        """The opened dataset's verdict becomes its hit's (one answer on the screen): the mark, and the filter."""
        verdict = freshness.of(ds)
        hit = next((h for h in self.loaded if h.id == ds.id), None)
        before = self.freshness(hit).state if hit is not None else None
        self.judged[ds.id] = verdict
        if hit is not None and verdict.state != before:
            self._list(self._highlighted_id())

    def states(self) -> list[str]:
        """The freshness state of every loaded hit."""
        return [self.freshness(hit).state for hit in self.loaded]

    def _highlighted_id(self) -> str | None:
        if self.highlighted is None or not 0 <= self.highlighted < len(self.hits):
            return None
        return self.hits[self.highlighted].id

    def _list(self, keep: str | None) -> None:
        states = {hit.id: self.freshness(hit).state for hit in self.loaded}
        self.hits = tuple(h for h in self.loaded if fresh.matches(states[h.id], self.freshness_filter))
        self.clear_options()
        console = self.app.console
        self.add_options([Option(HitLines(h, console, states[h.id]), id=h.id) for h in self.hits])
        if self.hits:
            ids = [h.id for h in self.hits]
            self.highlighted = ids.index(keep) if keep in ids else 0

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
