"""The guide: how Portland's open data works, and who to ask for what.

A table of contents on the left; the section on the right; a search box over all sections (Enter on a hit
jumps to it). Every section names the kind of request that fits it: `d` drafts one.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pdxtui.drafting import DRAFT_KINDS
from pdxtui.guide import SECTIONS, search, table_of_contents
from pdxtui.ui.footer import KeysFooter, ShownKeys

KIND_TITLES = {k.key: k.title for k in DRAFT_KINDS}


class GuideScreen(ShownKeys, Screen[str | None]):
    """Dismisses with a drafting kind when the user asks to draft from a section, else None."""

    CSS_PATH = "guide.tcss"

    BINDINGS = [
        Binding("slash", "focus_search", "Search"),
        Binding("d", "draft", "Draft this request"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, start: int = 0) -> None:
        super().__init__()
        self.index = start

    def compose(self) -> ComposeResult:
        with Horizontal(id="guide-main"):
            with Vertical(id="guide-left"):
                yield Input(placeholder="Search the guide ( / )", id="guide-search")
                yield OptionList(
                    *(Option(Text(f"{e.index + 1}. {e.title}"), id=str(e.index)) for e in table_of_contents()),
                    id="guide-toc",
                )
                yield OptionList(id="guide-hits")
            with VerticalScroll(id="guide-body"):
                yield Static("", id="guide-title")
                yield Static("", id="guide-text")
                yield Static("", id="guide-draft")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = "Guide: Portland's open data"
        self.show(self.index)
        self.query_one("#guide-toc", OptionList).focus()

    def show(self, index: int, line_no: int | None = None) -> None:
        self.index = index
        section = SECTIONS[index]
        self.query_one("#guide-title", Static).update(Text(f"{index + 1}. {section.title}"))
        self.query_one("#guide-text", Static).update(Text(section.text(self._text_width())))
        kind = KIND_TITLES.get(section.related_kind, section.related_kind)
        self.query_one("#guide-draft", Static).update(Text(f"→ Press d to draft: {kind}"))
        toc = self.query_one("#guide-toc", OptionList)
        toc.highlighted = index
        body = self.query_one("#guide-body", VerticalScroll)
        if line_no:
            # the title takes two rows; wrapped lines make this approximate, which is enough to bring it on screen
            body.scroll_to(y=max(0, line_no - 1), animate=False)
        else:
            body.scroll_home(animate=False)

    def _text_width(self) -> int:
        """The width the section text is shown in (inside the padding and the scroll bar), so it is wrapped once,
        here, with its hanging indents, and never folded again by the screen."""
        width = self.query_one("#guide-text").size.width
        return width if width >= 20 else 88

    def on_resize(self) -> None:
        self.call_after_refresh(lambda: self.show(self.index))

    @on(OptionList.OptionHighlighted, "#guide-toc")
    def _toc_moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and int(event.option.id) != self.index:
            self.show(int(event.option.id))

    @on(OptionList.OptionSelected, "#guide-toc")
    def _toc_chosen(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#guide-body").focus()

    @on(Input.Changed, "#guide-search")
    def _search(self, event: Input.Changed) -> None:
        hits = self.query_one("#guide-hits", OptionList)
        hits.clear_options()
        found = search(event.value, width=40) if event.value.strip() else []
        hits.set_class(bool(event.value.strip()), "-shown")
        if not found and event.value.strip():
            hits.add_option(Option(Text("no match", "dim"), disabled=True))
        for section_index, line_no, snippet in found[:50]:
            hits.add_option(Option(Text(f"{section_index + 1}. {snippet}"), id=f"{section_index}:{line_no}"))

    @on(Input.Submitted, "#guide-search")
    def _search_submitted(self) -> None:
        hits = self.query_one("#guide-hits", OptionList)
        if hits.option_count:
            hits.focus()
            hits.highlighted = 0

    @on(OptionList.OptionSelected, "#guide-hits")
    def _hit_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            section_index, line_no = (int(part) for part in event.option.id.split(":"))
            self.show(section_index, line_no)

    def action_focus_search(self) -> None:
        self.query_one("#guide-search", Input).focus()

    def action_draft(self) -> None:
        self.dismiss(SECTIONS[self.index].related_kind)

    def action_close(self) -> None:
        self.dismiss(None)
