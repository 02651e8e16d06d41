"""Portal text is untrusted: markup and terminal escapes in titles, descriptions, field names and cells are shown
inertly everywhere, and the app stays up."""

from __future__ import annotations

import ast
import pathlib

import pyarrow as pa

from pdxtui.model import Dataset, DatasetSummary, Facets, FetchState, Field, Page, SearchResult
from pdxtui.service import Service
from tests.uihelpers import screen_text, settle, text_of

NASTY = "[/x] [link=http://evil]click[/link] \x1b[31mRED\x1b]52;c;SGVsbG8=\x07 \u202egnp.exe \x00end"
FIELD = "A[/b]\x1b[2J"


class HostilePortal:
    kind = "bundled"
    name = "hostile"
    label = "hostile [b]portal[/b]"
    capabilities = frozenset()

    def __init__(self) -> None:
        self.state = FetchState(source="bundled")
        self.ds = Dataset(id="evil-1", title=NASTY, owner=NASTY, description=NASTY + "\nline two", rows=2,
                          fields=(Field(FIELD, "esriFieldTypeString", "string", alias=NASTY, description=NASTY),),
                          api_url="https://example.invalid/q", licence=NASTY)

    async def search(self, request):
        return SearchResult(hits=(DatasetSummary(id="evil-1", title=NASTY, owner=NASTY, rows=2),), total=1)

    async def facets(self):
        return Facets(owners=((NASTY, 1),))

    async def dataset(self, dataset_id):
        return self.ds

    async def count(self, dataset, query):
        return 2

    async def pages(self, dataset, query, progress=None):
        yield Page(table=pa.table({FIELD: [NASTY, "[bold]not bold[/bold]"]}), offset=0, total=2)

    async def aclose(self):
        return None


async def test_hostile_text_is_shown_inertly_everywhere():
    from pdxtui.ui.app import PdxApp

    app = PdxApp(Service(HostilePortal()))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.screen.open_dataset("evil-1")
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.press("enter")  # the cell view
        await pilot.pause()
        screen = screen_text(app)
        assert app.is_running
        assert "\x1b" not in screen and "\x07" not in screen and "\x00" not in screen and "\u202e" not in screen
        assert "␛[31mRED" in screen  # the escape is visible as a picture, not interpreted
        assert "[/x]" in screen and "[link=http://evil]" in screen  # markup shown literally
        await pilot.press("escape")
        meta = text_of(app.screen.query_one("#metadata-body"))
        assert "[/x]" in meta and "␛" in meta and "\x1b" not in meta
        grid_text = screen_text(app)
        assert "[bold]not bold[/bold]" in grid_text
        app.screen.report_error(RuntimeError(NASTY), "Test")  # an error message with markup: a toast, no crash
        await pilot.pause()
        assert app.is_running


def test_every_notify_in_the_ui_turns_markup_off():
    missing = []
    for path in pathlib.Path(__file__).resolve().parent.parent.joinpath("pdxtui", "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "notify":
                markup = {k.arg: k.value for k in node.keywords}.get("markup")
                if not (isinstance(markup, ast.Constant) and markup.value is False):
                    missing.append(f"{path.name}:{node.lineno}")
    assert missing == []
