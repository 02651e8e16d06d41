"""The catalog's other lists: the datasets opened last and the bookmarks (``pdxtui.memory``), and the row above
them that chooses what the catalog shows ("Search · Recent · Bookmarks"). Entries are listed from what was kept
on disk (title, owner, when, note), so they show with no network at all; Enter opens one the usual way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pdxtui.textout import local_time
from pdxtui.textsafe import one_line
from pdxtui.ui.widgets.catalog import DETAIL_WIDTH, LIST_LETTERS, SizedLines
from pdxtui.ui.widgets.vim import LIST_KEYS

if TYPE_CHECKING:
    from pdxtui.memory.store import Entry

#: what the catalog can show: (value, label)
VIEWS = (("search", "Search"), ("recent", "Recent"), ("bookmarks", "Bookmarks"))

#: what an empty list says (how to fill it)
EMPTY = {
    "recent": "No recent datasets yet: every dataset you open is listed here, newest first (the last 50).",
    "bookmarks": "No bookmarks yet: press b on an open dataset to bookmark it (B adds a note).",
}


def entry_prompt(entry: Entry, kind: str, width: int = DETAIL_WIDTH) -> Text:
    """An entry's lines, each cut to ``width`` ("…" where cut): the title (the id when none was kept); opened or
    bookmarked when · owner; a bookmark's note (on one line)."""
    verb = "bookmarked" if kind == "bookmarks" else "opened"
    stamp = f"{verb} {local_time(entry.at)}" if entry.at is not None else ""
    detail = " · ".join(part for part in (stamp, one_line(entry.owner, 200)) if part)
    lines = [(entry.title or entry.id, "bold"), (detail, "dim")]
    if entry.note:
        lines.append((f"✎ {entry.note}", "italic"))
    return Text("\n").join(Text(one_line(text, max(width, 10)), style) for text, style in lines)


class EntryLines(SizedLines):
    """An entry's lines (:func:`entry_prompt`)."""

    def __init__(self, entry: Entry, kind: str, console: Any = None) -> None:
        super().__init__(console)
        self.entry, self.kind = entry, kind

    def make(self, width: int) -> Text:
        return entry_prompt(self.entry, self.kind, width)


#: letters these lists keep: the results list's, and B (the note of the highlighted entry's bookmark)
KEPT_LETTERS = LIST_LETTERS | {"B"}


class RememberedList(OptionList):
    """Recent datasets or bookmarks. Enter or a click opens the highlighted one; ``delete`` takes it off the list;
    ``B`` (the screen's) writes the note of its bookmark; a letter typed here (other than ``j k g G z q``) goes to
    the search box, as in the results list."""

    BINDINGS = [Binding("enter", "select", "Open"), Binding("delete,backspace", "take_off", "Remove"), *LIST_KEYS]

    DEFAULT_CSS = """
    RememberedList { height: 1fr; }
    RememberedList > .option-list--option { padding: 0 1; }
    """

    @dataclass
    class Open(Message):
        list: RememberedList
        entry: Entry

        @property
        def control(self) -> RememberedList:
            return self.list

    @dataclass
    class Typed(Message):
        """A letter typed in the list: the screen goes back to searching, with the letter in the search box."""

        list: RememberedList
        character: str

        @property
        def control(self) -> RememberedList:
            return self.list

    @dataclass
    class TakeOff(Message):
        """``delete``: take the highlighted entry off its list (the screen changes the store)."""

        list: RememberedList
        entry: Entry

        @property
        def control(self) -> RememberedList:
            return self.list

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = "recent"
        self.entries: tuple[Entry, ...] = ()

    def show_entries(self, kind: str, entries: list[Entry]) -> None:
        """List ``entries`` of ``kind`` ("recent" or "bookmarks"); the highlighted one stays when it is still there,
        else the first is highlighted. An empty list says how to fill it."""
        keep = self.highlighted_entry()
        same_kind = kind == self.kind
        self.kind, self.entries = kind, tuple(entries)
        self.clear_options()
        if not entries:
            self.add_option(Option(Text(EMPTY[kind], "dim italic"), disabled=True))
            return
        self.add_options([Option(EntryLines(e, kind, self.app.console), id=e.id) for e in entries])
        ids = [e.id for e in entries]
        self.highlighted = ids.index(keep.id) if same_kind and keep is not None and keep.id in ids else 0

    def highlighted_entry(self) -> Entry | None:
        if self.highlighted is None or not 0 <= self.highlighted < len(self.entries):
            return None
        return self.entries[self.highlighted]

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if character and len(character) == 1 and character.isalpha() and event.key not in KEPT_LETTERS:
            event.stop()
            event.prevent_default()
            self.post_message(self.Typed(self, character))

    def action_take_off(self) -> None:
        chosen = self.highlighted_entry()
        if chosen is not None:
            self.post_message(self.TakeOff(self, chosen))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = self.highlighted_entry()
        if chosen is not None:
            self.post_message(self.Open(self, chosen))


class ViewChoice(Static):
    """The row that says what the catalog shows, "Search · Recent · Bookmarks", the current one marked; a click
    chooses (the screen's ``catalog_view`` action), as ``ctrl+o`` does from the keyboard."""

    DEFAULT_CSS = """
    ViewChoice { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = "search"

    def on_mount(self) -> None:
        self.choose(self.view)

    def choose(self, view: str) -> None:
        self.view = view
        parts = []
        for value, label in VIEWS:  # our own labels and values: markup is safe here
            style = "bold reverse" if value == view else "underline"
            parts.append(f"[{style} @click=screen.catalog_view('{value}')] {label} [/]")
        content = Content.from_markup("[dim]·[/]".join(parts) + "  [dim]ctrl+o[/]")
        self.update(content)
