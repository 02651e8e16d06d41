"""Vim-style movement for the lists and tables: ``j k`` down/up, ``h l`` left/right, ``g G`` first/last row.

The bindings are hidden from the footer (the help and the README list them); arrows, PgUp/PgDn and Home/End keep
working as before."""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

#: for an OptionList (the results list)
LIST_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("g", "first", "First", show=False),
    Binding("G", "last", "Last", show=False),
]

#: j k h l, for any table with a cell cursor (textual's DataTable and the preview grid)
MOVE_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("h", "cursor_left", "Left", show=False),
    Binding("l", "cursor_right", "Right", show=False),
]

#: for textual's DataTable (the schema, the facet view)
TABLE_KEYS: list[BindingType] = [
    *MOVE_KEYS,
    Binding("g", "scroll_top", "First row", show=False),
    Binding("G", "scroll_bottom", "Last row", show=False),
]


class VimTable(DataTable):
    """textual's DataTable with vim movement (the facet view's values)."""

    BINDINGS = TABLE_KEYS
