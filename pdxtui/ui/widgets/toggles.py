"""Checkboxes, radio buttons and checklists whose state is in the text, not only in a colour.

Textual draws every checkbox as ``▐X▌`` and tells on from off by colour alone, so under ``NO_COLOR`` (or on a
monochrome screen) a ticked box and an empty one look the same. These draw ``[x]`` / ``[ ]`` and ``(•)`` / ``( )``
instead; the focus style (reverse, bold) is in the app's CSS and survives ``NO_COLOR`` too.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList

TICKED, UNTICKED = ("[", "x", "]"), ("[", " ", "]")
CHOSEN, UNCHOSEN = ("(", "•", ")"), ("(", " ", ")")
Value = TypeVar("Value")


def _glyphs(widget, left: str, inner: str, right: str) -> Content:
    # the brackets in the text colour (textual's button colours would make an empty box nearly invisible), the
    # mark in the button's colour (green when on)
    mark = widget.get_visual_style("toggle--button")
    plain = widget.get_visual_style()
    return Content.assemble((left, plain), (inner, mark), (right, plain))


class TickBox(Checkbox):
    """A checkbox drawn ``[x] label`` when ticked and ``[ ] label`` when not."""

    @property
    def _button(self) -> Content:
        return _glyphs(self, *(TICKED if self.value else UNTICKED))


class ChoiceButton(RadioButton):
    """A radio button drawn ``(•) label`` when chosen and ``( ) label`` when not."""

    @property
    def _button(self) -> Content:
        return _glyphs(self, *(CHOSEN if self.value else UNCHOSEN))


class TickList(SelectionList[Value], Generic[Value]):
    """A SelectionList whose rows start with ``[x]`` or ``[ ]``."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 3:
            return strip
        index = self.scroll_offset.y + y
        if index >= self.option_count:
            return strip
        ticked = self.get_option_at_index(index).value in self._selected
        marks = TICKED if ticked else UNTICKED
        text = segments[3].style if len(segments) > 3 else None  # the row's own style: brackets that show
        left, mark, right = marks
        segments[:3] = [Segment(left, text), Segment(mark, segments[1].style), Segment(right, text)]
        return Strip(segments, strip.cell_length)
