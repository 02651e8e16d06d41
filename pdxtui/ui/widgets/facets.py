"""Three drop-downs that narrow the catalog: bureau, category, tag."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Select

from pdxtui.model import Facets
from pdxtui.textsafe import one_line

FACETS = (("owner", "Any bureau"), ("category", "Any category"), ("tag", "Any tag"))


class FacetBar(Vertical):
    DEFAULT_CSS = """
    FacetBar { height: auto; }
    FacetBar > Select { margin: 0; }
    """

    @dataclass
    class Changed(Message):
        bar: FacetBar

        @property
        def control(self) -> FacetBar:
            return self.bar

    def compose(self):
        for name, prompt in FACETS:
            yield Select([], prompt=prompt, id=f"facet-{name}", allow_blank=True, compact=True)

    def set_facets(self, facets: Facets) -> None:
        for name, _prompt in FACETS:
            values = getattr(facets, name + "s" if name != "category" else "categories")
            options = [(Text(f"{one_line(value, 40)} ({count})"), value) for value, count in values]
            select = self.query_one(f"#facet-{name}", Select)
            with self.prevent(Select.Changed):
                select.set_options(options)

    def selected(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name, _prompt in FACETS:
            value = self.query_one(f"#facet-{name}", Select).value
            out[name] = None if value is Select.NULL else str(value)
        return out

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self))
