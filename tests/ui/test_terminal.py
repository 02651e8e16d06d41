"""The terminal: small sizes, resizing during a fetch, NO_COLOR and TERM=dumb, and Unicode widths in the grid."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from rich.cells import cell_len

from pdxtui.model import Dataset, DatasetSummary, Facets, FetchState, Field, Page, SearchResult
from pdxtui.service import Service
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.uihelpers import demo_app, screen_text, settle, text_of, wait_for

NEIGHBORHOODS = "9f50a605cf4945259b983fa35c993fe9_125"


def lines_fit(app, width: int) -> None:
    """Every painted line is exactly the terminal's width in cells: nothing measured wrong, nothing spilled."""
    for number, line in enumerate(screen_text(app).split("\n")):
        assert cell_len(line) == width, (number, cell_len(line), line)


async def test_usable_at_60_by_20():
    app = demo_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press(*"tree", "enter")  # the search box has the focus at start
        await settle(pilot)
        assert "Tree" in screen_text(app)  # the hits are on screen
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.dataset is not None and "Tree" in app.screen.dataset.title
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.press("down", "down", "right")
        await pilot.pause()
        shown = screen_text(app)
        assert "Showing" in shown  # the preview header is visible
        assert pane.grid.cursor_coordinate.row == 2
        await pilot.press("enter")  # the cell view fits
        await settle(pilot)
        assert "Esc closes" in screen_text(app)
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        assert "Filters" in screen_text(app) or "Key" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        lines_fit(app, 60)
        assert app.is_running


KEYS_EVERYWHERE = [
    "slash",
    "t",
    "r",
    "e",
    "e",
    "enter",
    "down",
    "enter",
    "tab",
    "tab",
    "down",
    "enter",
    "escape",
    "f",
    "x",
    "escape",
    "question_mark",
    "escape",
    "g",
    "escape",
    "d",
    "escape",
    "ctrl+e",
    "escape",
    "C",
    "escape",
    "s",
    "F",
    "escape",
    "right",
    "right",
    "plus",
    "ctrl+p",
    "escape",
    "ctrl+n",
    "escape",
]


@pytest.mark.parametrize("size", [(20, 8), (1, 1)])
async def test_no_crash_at_tiny_sizes(size):
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.screen.open_dataset(NEIGHBORHOODS)
        await settle(pilot)
        for key in KEYS_EVERYWHERE:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot)
        assert app.is_running
    assert app.return_code in (None, 0)


async def test_resize_during_a_fetch(fake_arcgis):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp

    permits = DATASETS["permits"]
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        fake_arcgis.faults.set("latency", path_contains="/query?", seconds=0.3)
        app.screen.open_dataset(permits.id)
        await wait_for(pilot, lambda: any(w.group == "preview" and w.is_running for w in app.workers))
        for size in [(60, 20), (20, 8), (200, 60), (80, 24), (140, 42)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.05)
        await settle(pilot, timeout=30)
        assert app.is_running
        assert f"of {permits.row_count:,} rows" in text_of(app.screen.query_one("#preview-header"))
        lines_fit(app, 140)


async def test_no_color_gives_a_monochrome_screen(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.no_color
        svg = app.export_screenshot()
    colours = set(re.findall(r"fill:\s*#([0-9a-fA-F]{6})", svg))
    assert colours
    greys = {c for c in colours if _grey(c)}
    assert greys == colours, sorted(colours - greys)


async def test_colour_without_no_color():
    """The converse: without NO_COLOR the same screen has colour (so the test above can fail)."""
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        svg = app.export_screenshot()
    colours = set(re.findall(r"fill:\s*#([0-9a-fA-F]{6})", svg))
    assert any(not _grey(c) for c in colours)


def _grey(hex6: str) -> bool:
    """Grey, give or take the SVG frame's own near-grey (#c5c8c6, not from the app)."""
    r, g, b = (int(hex6[i : i + 2], 16) for i in (0, 2, 4))
    return max(r, g, b) - min(r, g, b) <= 8


def test_term_dumb_refuses_the_full_screen_browser_but_the_cli_works(monkeypatch, capsys):
    from pdxtui.cli import main

    monkeypatch.setenv("TERM", "dumb")
    assert main(["--portal", "demo"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "TERM=dumb" in err and "pdxtui search" in err and err.count("\n") == 1
    assert main(["--portal", "demo", "search", "tree"]) == 0
    out, _ = capsys.readouterr()
    assert "Street Tree" in out and "\x1b" not in out


# --- Unicode widths in the grid ----------------------------------------------------------------------------------

WIDE_ROWS = [
    "東京都庁舎",
    "👩\u200d👩\u200d👧 family",
    "🇯🇵🇫🇷 flags",
    "ｗｉｄｅ ｌａｔｉｎ",
    "e\u0301 combining",
    "ascii only",
    "한국어 텍스트",
    "混ぜたmixed文字",
]


class WidePortal:
    kind = "bundled"
    name = "wide"
    label = "wide"
    capabilities = frozenset()

    def __init__(self) -> None:
        self.state = FetchState(source="bundled")
        self.ds = Dataset(
            id="wide-1",
            title="Wide 東京",
            owner="名前",
            description="",
            rows=len(WIDE_ROWS),
            fields=(Field("名前", "text", "string"), Field("after", "text", "string")),
            api_url="https://example.invalid/q",
        )

    async def search(self, request):
        return SearchResult(hits=(DatasetSummary(id="wide-1", title="Wide 東京", owner="名前", rows=8),), total=1)

    async def facets(self):
        return Facets()

    async def dataset(self, dataset_id):
        return self.ds

    async def count(self, dataset, query):
        return len(WIDE_ROWS)

    async def pages(self, dataset, query, progress=None):
        after = [f"|{i}|" for i in range(len(WIDE_ROWS))]
        yield Page(table=pa.table({"名前": WIDE_ROWS, "after": after}), offset=0, total=len(WIDE_ROWS))

    async def aclose(self):
        return None


async def test_wide_characters_keep_the_grid_aligned():
    from pdxtui.ui.app import PdxApp

    app = PdxApp(Service(WidePortal()))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.screen.open_dataset("wide-1")
        await settle(pilot)
        lines = screen_text(app).split("\n")
        starts = set()
        for i in range(len(WIDE_ROWS)):
            line = next(line for line in lines if f"|{i}|" in line)
            starts.add(cell_len(line[: line.index(f"|{i}|")]))  # the cell column where "after" begins
        assert len(starts) == 1, starts  # every row's next column starts at the same cell
        lines_fit(app, 120)
