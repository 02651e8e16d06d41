"""The catalog's search input (a leading ``/`` means "search"), and what the catalog says when nothing matches."""

from __future__ import annotations

import re

from textual.widgets import Input

from pdxtui.model import SearchRequest
from pdxtui.textsafe import one_line

LEADING_SLASHES = re.compile(r"^\s*/[\s/]*")  # "/heritage", " / heritage", "//": the slash means "search"


def no_match(request: SearchRequest) -> str:
    """What the catalog says when nothing matches: the words searched for (shortened) and what to try."""
    words = f" “{one_line(request.text, 40)}”" if request.text else ""
    chosen = request.owner or request.category or request.tag
    if chosen:
        hint = "try fewer words or clear the filters" if words else "clear a filter"
    else:
        hint = "try fewer or other words"
    return f"No datasets match{words}: {hint}"


class SearchInput(Input):
    """The catalog search. A leading ``/`` (typed, as the placeholder's ``( / )`` invites, or pasted) means "search",
    never part of the query: it is dropped, so pressing ``/`` at the start of the box inserts nothing."""

    def replace(self, text: str, start: int, end: int) -> None:
        value = self.value
        start, end = sorted((max(0, start), min(len(value), end)))
        wanted = f"{value[:start]}{text}{value[end:]}"
        kept = LEADING_SLASHES.sub("", wanted)
        if kept == wanted:
            super().replace(text, start, end)
            return
        cut = len(wanted) - len(kept)
        self.value = kept
        self.cursor_position = max(0, start + len(text) - cut)

    @property
    def query_text(self) -> str:
        """The text searched for: the box's value without surrounding spaces (or a leading ``/`` set in code)."""
        return LEADING_SLASHES.sub("", self.value).strip()
