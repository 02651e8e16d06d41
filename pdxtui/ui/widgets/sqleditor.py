"""The SQL screen's editor: Textual's TextArea (SQL highlighting where the installed Textual has it), Tab to complete
a table or column name, and up/down in an empty editor to go through the queries run before."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from pdxtui.sql.complete import complete

MAX_LISTED = 12  # candidates named in the line under the editor


class SqlEditor(TextArea):
    """``past``: the queries run before, newest first; ``names``: table name -> its column names (completion)."""

    @dataclass
    class Hint(Message):
        """What the editor wants said in the line under it (completion candidates, the history position); ""
        clears it."""

        editor: SqlEditor
        text: str

        @property
        def control(self) -> SqlEditor:
            return self.editor

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(
            text,
            soft_wrap=False,
            tab_behavior="focus",  # Tab completes after a name; elsewhere it moves on, as everywhere in pdxtui
            show_line_numbers=True,
            theme="monokai",
            **kwargs,
        )
        self.past: list[str] = []
        self.names: Mapping[str, Iterable[str]] = {}
        self._recalled: int | None = None  # the index in history of the query shown, while it is unchanged
        self._unmatched: tuple[tuple[int, int], str] | None = None  # where Tab found no name (Tab again moves on)

    def on_mount(self) -> None:
        self.call_after_refresh(self._highlight)

    def _highlight(self) -> None:
        """SQL highlighting, once the screen has painted (building tree-sitter's query is a first open's largest
        single cost); tree-sitter may be missing: then plain text, no error."""
        if "sql" in self.available_languages and self.language != "sql":
            self.language = "sql"

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "tab" and self._complete():
            event.stop()
            event.prevent_default()
            return
        if event.key in ("up", "down") and self._recall(older=event.key == "up"):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    # ------------------------------------------------------------------ history
    def _recall(self, older: bool) -> bool:
        """Up in an empty editor shows the newest query, up again the one before; down goes forward, back to an
        empty editor. Once the query shown is edited, up and down move the cursor again."""
        at = self._recalled
        if at is not None and (at >= len(self.past) or self.text != self.past[at]):
            self._recalled = at = None
        if at is None:
            if not older or self.text or not self.past:
                return False
            self._show_query(0)
            return True
        if older:
            if at + 1 < len(self.past):
                self._show_query(at + 1)
            else:
                self.post_message(self.Hint(self, f"The oldest query kept ({at + 1} of {len(self.past)})."))
            return True
        if at == 0:
            self._recalled = None
            self.replace("", self.document.start, self.document.end)
            self.post_message(self.Hint(self, ""))
        else:
            self._show_query(at - 1)
        return True

    def _show_query(self, index: int) -> None:
        self.replace(self.past[index], self.document.start, self.document.end)
        self._recalled = index
        self.move_cursor(self.document.end)
        n = len(self.past)
        self.post_message(self.Hint(self, f"Query {index + 1} of {n} run before (↑ older, ↓ newer; edit to keep it)."))

    def remember(self, sql: str) -> None:
        """``sql`` was run: it becomes the newest of the history (an earlier copy moves up)."""
        text = sql.strip()
        self.past = [text, *(q for q in self.past if q != text)]
        self._recalled = None

    # ------------------------------------------------------------------ completion
    def _complete(self) -> bool:
        row, column = self.cursor_location
        before = self.document.get_text_range((0, 0), (row, column))
        after = self.document.get_text_range((row, column), self.document.end)  # (where aliases may be defined)
        done = complete(before, self.names, after)
        if done is None:
            return False  # no word before the cursor: Tab moves on
        if not done.candidates and self._unmatched == (self.cursor_location, self.text):
            self._unmatched = None
            return False  # Tab again after "no name starts with ...": it moves on
        self._unmatched = (self.cursor_location, self.text) if not done.candidates else None
        if done.changed:
            self.replace(done.insert, (row, column - len(done.prefix)), (row, column))
        if not done.candidates and done.unknown is not None:
            said = f"{done.unknown} is no table, nor an alias the query defines (FROM table AS {done.unknown})"
            self.post_message(self.Hint(self, f"{said}: no columns to offer (Tab again moves on)."))
        elif not done.candidates:
            word = done.prefix.lstrip('"')
            self.post_message(self.Hint(self, f"No table or column starts with {word} (Tab again moves on)."))
        elif len(done.candidates) == 1:
            self.post_message(self.Hint(self, ""))
        else:
            listed = "  ".join(done.candidates[:MAX_LISTED])
            more = f"  (+{len(done.candidates) - MAX_LISTED} more)" if len(done.candidates) > MAX_LISTED else ""
            self.post_message(self.Hint(self, f"{len(done.candidates)} names: {listed}{more}"))
        return True
