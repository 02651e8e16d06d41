"""Drop-downs that narrow the catalog: bureau, category, tag (asked of the portal), and freshness (judged here, on
the hits loaded)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Select

from pdxtui.model import Facets
from pdxtui.textsafe import one_line
from pdxtui.ui import fresh

FACETS = (("owner", "bureau"), ("category", "category"), ("tag", "tag"))


class FacetBar(Vertical):
    DEFAULT_CSS = """
    FacetBar { height: 4; }
    FacetBar > Select { margin: 0; }
    """

    @dataclass
    class Changed(Message):
        bar: FacetBar

        @property
        def control(self) -> FacetBar:
            return self.bar

    @dataclass
    class FreshnessChanged(Message):
        """The freshness drop-down was changed (a value of ``pdxtui.ui.fresh.CHOICES``)."""

        bar: FacetBar
        choice: str

        @property
        def control(self) -> FacetBar:
            return self.bar

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._words = {name: word for name, word in FACETS}

    def compose(self):
        # The drop-downs are mounted with the first facets (after the catalog has painted): three Selects cost
        # a noticeable part of the first frame. The bar keeps their height meanwhile, so nothing moves.
        yield from ()

    async def set_facets(self, facets: Facets, owner: str = "bureau") -> None:
        """Fill the drop-downs; one the portal gives no values for is disabled and says so."""
        words = {name: (owner if name == "owner" else word) for name, word in FACETS}
        if self.query(Select) and self.query_one("#facet-owner", Select).prompt not in (
            f"Any {owner}",
            f"No {owner} facets",
        ):
            await self.query(Select).remove()  # another portal (e.g. the offline fallback): other words
        if not self.query(Select):
            await self.mount_all(
                [
                    *(
                        Select([], prompt=f"Any {words[name]}", id=f"facet-{name}", allow_blank=True, compact=True)
                        for name, _word in FACETS
                    ),
                    Select(
                        [(label, value) for value, label in fresh.CHOICES[1:]],
                        prompt="Any freshness (ctrl+f)",
                        id="facet-freshness",
                        allow_blank=True,
                        compact=True,
                    ),
                ]
            )
        self._words = words
        self.show_counts(facets, whole=True)

    def show_counts(self, facets: Facets, *, whole: bool = False) -> None:
        """Show ``facets``' values and counts, keeping each drop-down's choice. ``whole``: they cover the whole
        catalog (a facet with no values there says so); else they are the counts over the current matches, and a
        facet named in ``facets.kept`` keeps the values it has."""
        if not self.query(Select):
            return  # not mounted yet: set_facets comes first
        for name, _word in FACETS:
            if name in facets.kept:
                continue
            values = getattr(facets, name + "s" if name != "category" else "categories")
            select = self.query_one(f"#facet-{name}", Select)
            chosen = select.value
            if chosen is not Select.NULL and chosen not in {value for value, _count in values}:
                values = ((str(chosen), 0), *values)  # the choice stays, even when nothing matches it now
            options = [(Text(f"{one_line(value, 40)} ({count:,})"), value) for value, count in values]
            if whole:  # (a facet the whole catalog has no values for has none among the matches either)
                select.prompt = f"Any {self._words[name]}" if options else f"No {self._words[name]} facets"
            with self.prevent(Select.Changed):
                select.set_options(options)
                if chosen is not Select.NULL:
                    select.value = chosen
            select.disabled = not options

    def show_freshness(self, counts: dict[str, int], choice: str) -> None:
        """The freshness choices with how many loaded hits pass each, ``choice`` chosen ("any": none)."""
        found = self.query("#facet-freshness")
        if not found:
            return  # not mounted yet: set_facets comes first
        select = found.first(Select)
        options = [(Text(f"{label} ({counts.get(value, 0):,})"), value) for value, label in fresh.CHOICES[1:]]
        with self.prevent(Select.Changed):
            select.set_options(options)
            select.value = choice if choice != "any" else Select.NULL

    def selected(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {name: None for name, _prompt in FACETS}
        for select in self.query(Select):
            if select.value is not Select.NULL and select.id != "facet-freshness":
                out[(select.id or "").removeprefix("facet-")] = str(select.value)
        return out

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "facet-freshness":
            choice = "any" if event.value is Select.NULL else str(event.value)
            self.post_message(self.FreshnessChanged(self, choice))
            return
        self.post_message(self.Changed(self))
