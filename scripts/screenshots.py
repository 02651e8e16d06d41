"""Drive the real app headlessly and write SVG (and PNG) screenshots into screenshots/.

    python scripts/screenshots.py [--out screenshots] [--only NAME ...]

SVGs come from Textual's own exporter. PNGs come from ``rsvg-convert`` (Debian: librsvg2-bin), and look right with
``fonts-firacode`` and ``fonts-symbola`` installed; without rsvg-convert only the SVGs are written.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.uihelpers import demo_app, settle  # noqa: E402

SIZE = (140, 42)
Shot = Callable[..., Awaitable[None]]


async def catalog(pilot) -> None:
    await settle(pilot)


async def search(pilot) -> None:
    await settle(pilot)
    await pilot.press(*"tree")
    await settle(pilot)


async def dataset(pilot) -> None:
    await settle(pilot)
    await pilot.press(*"street tree", "enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    pilot.app.screen.query_one("#grid").focus()
    await pilot.pause()


async def help_screen(pilot) -> None:
    await settle(pilot)
    await pilot.press("f1")
    await pilot.pause()


async def _open_trees(pilot, column: str) -> None:
    await settle(pilot)
    await pilot.press(*"street tree", "enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    pane = pilot.app.screen.query_one("#preview")
    pane.grid.focus()
    pane.grid.move_cursor(row=3, column=pane.view.columns.index(column))
    await pilot.pause()


async def stats(pilot) -> None:
    await _open_trees(pilot, "SPECIES")
    await pilot.press("s")
    await settle(pilot)


async def facets(pilot) -> None:
    await _open_trees(pilot, "Condition")
    await pilot.press("F")
    await settle(pilot)


async def filtered(pilot) -> None:
    await _open_trees(pilot, "DIAMETER")
    await pilot.press("f", *"SPECIES ~ maple and DIAMETER > 40", "enter")
    await settle(pilot)
    await pilot.press("right_square_bracket")
    await settle(pilot)


async def export_dialog(pilot) -> None:
    await _open_trees(pilot, "SPECIES")
    await pilot.press("ctrl+e")
    await settle(pilot)
    pilot.app.screen.query_one("#path").value = "street-trees.parquet"
    await settle(pilot)


async def draft(pilot) -> None:
    pilot.app.today = date(2026, 11, 27)
    await _open_trees(pilot, "SPECIES")
    await pilot.press("d")
    await settle(pilot)


async def guide(pilot) -> None:
    await settle(pilot)
    pilot.app.screen.query_one("#catalog").focus()
    await pilot.press("g")
    await pilot.pause()
    await pilot.press("down", "down", "down", "down", "down", "down")
    await pilot.pause()


async def map_view(pilot) -> None:
    await _open_trees(pilot, "SPECIES")
    for _ in range(4):  # 5,000 loaded rows
        await pilot.press("plus")
        await settle(pilot)
    pilot.app.screen.query_one("#preview").grid.focus()
    await pilot.press("m")
    await settle(pilot)


async def histogram(pilot) -> None:
    await _open_trees(pilot, "DIAMETER")
    await pilot.press("v")
    await settle(pilot)


async def freshness_filter(pilot) -> None:
    """The catalog showing only the datasets due or overdue for an update (ctrl+f twice), one of them open."""
    await settle(pilot)
    await pilot.press("ctrl+f", "ctrl+f")
    await settle(pilot)
    await pilot.press("down", "down", "down", "enter")
    await settle(pilot)


_fake = None


def fake_portal_app():
    """The browser on the fake ArcGIS portal the tests use (tests/support/fakeportal, on 127.0.0.1), which answers
    one rows request with 429 first: the Requests panel then has a wait and a throttled answer to show."""
    global _fake
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from tests.support.fakeportal import start_server

    if _fake is None:
        _fake = start_server()
    _fake.faults.set("429", path_contains="/query?", count=1, retry_after=0.3)
    return PdxApp(session=open_session(portal=f"arcgis:{_fake.url}/hub"))


async def requests_panel(pilot) -> None:
    await settle(pilot, timeout=60)
    await pilot.press(*"permits", "enter")
    await settle(pilot, timeout=60)
    await pilot.press("enter")
    await settle(pilot, timeout=60)
    await pilot.press("ctrl+n")
    await settle(pilot)
    await pilot.pause(0.5)


def offline_app():
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp

    return PdxApp(session=open_session(portal="arcgis:http://127.0.0.1:9/hub"))


async def offline(pilot) -> None:
    await settle(pilot, timeout=60)


async def bookmarks(pilot) -> None:
    """The Bookmarks list (ctrl+o twice) beside a bookmarked dataset with its note: two bookmarks and three recent
    datasets kept in the (throwaway) data folder first."""
    from datetime import UTC, datetime, timedelta

    from pdxtui.memory.store import Entry, Memory
    from pdxtui.model import SearchRequest

    hits = (await pilot.app.screen.service.search(SearchRequest(limit=100))).hits
    ids = {hit.title: hit.id for hit in hits}
    memory = Memory()
    now = datetime.now(UTC)
    for days, title in ((9, "Parks"), (3, "Heritage Trees"), (1, "Neighborhoods")):
        memory.opened("bundled", Entry(ids[title], title, at=now - timedelta(days=days)))
    memory.add_bookmark("bundled", Entry(ids["Parks"], "Parks", at=now - timedelta(days=20)))
    memory.add_bookmark(
        "bundled",
        Entry(ids["Neighborhoods"], "Neighborhoods", at=now - timedelta(days=2)),
        note="check the boundaries before the district report",
    )
    await settle(pilot)
    pilot.app.screen.open_dataset(ids["Neighborhoods"])
    await settle(pilot)
    await pilot.press("ctrl+o", "ctrl+o")
    await settle(pilot)


async def _since_last_look(pilot, *keys: str) -> None:
    """Heritage Trees opened after an earlier look kept beforehand (tests/support/earlierlook.py: rows added,
    removed and edited, a field added, one retyped), then ``keys``."""
    from tests.support.earlierlook import open_after_earlier_look

    await open_after_earlier_look(pilot, *keys)


async def changes(pilot) -> None:
    await _since_last_look(pilot)


async def changed_rows(pilot) -> None:
    await _since_last_look(pilot, "d")


async def sql_console(pilot) -> None:
    """The SQL screen (ctrl+k) with a JOIN and GROUP BY over two datasets opened in the browser first."""
    from pdxtui.model import SearchRequest

    hits = (await pilot.app.screen.service.search(SearchRequest(limit=100))).hits
    ids = {hit.title: hit.id for hit in hits}
    await settle(pilot)
    for title in ("Heritage Trees", "Neighborhoods"):
        pilot.app.screen.open_dataset(ids[title])
        await settle(pilot)
    await pilot.press("ctrl+k")
    await settle(pilot)
    pilot.app.screen.query_one("#sql-editor").insert(
        "SELECT n.COALIT AS coalition, count(*) AS trees, round(avg(h.HEIGHT), 1) AS mean_height\n"
        "FROM heritage_trees h\nJOIN neighborhoods n ON h.Neighborhood = n.NAME\n"
        "GROUP BY n.COALIT\nORDER BY trees DESC"
    )
    await pilot.press("f5")
    await settle(pilot)


SHOTS: dict[str, tuple[Callable[[], object], Shot]] = {
    "catalog": (demo_app, catalog),
    "search": (demo_app, search),
    "dataset": (demo_app, dataset),
    "help": (demo_app, help_screen),
    "filtered": (demo_app, filtered),
    "stats": (demo_app, stats),
    "facets": (demo_app, facets),
    "export": (demo_app, export_dialog),
    "draft": (demo_app, draft),
    "guide": (demo_app, guide),
    "offline": (offline_app, offline),
    "map": (demo_app, map_view),
    "histogram": (demo_app, histogram),
    "freshness": (demo_app, freshness_filter),
    "requests": (fake_portal_app, requests_panel),
    "bookmarks": (demo_app, bookmarks),
    "changes": (demo_app, changes),
    "changed-rows": (demo_app, changed_rows),
    "sql": (demo_app, sql_console),
}


async def take(name: str, out: Path) -> Path:
    make_app, steps = SHOTS[name]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot)
        await pilot.pause()
        svg = app.export_screenshot(title=f"pdxtui — {name}")
    path = out / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


def to_png(svg: Path) -> Path | None:
    if not shutil.which("rsvg-convert"):
        return None
    png = svg.with_suffix(".png")
    subprocess.run(["rsvg-convert", "--zoom", "1", str(svg), "-o", str(png)], check=True)
    return png


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--only", nargs="*", choices=sorted(SHOTS), help="take only these shots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # hermetic: no user config or cache is read or written
    tmp = tempfile.mkdtemp(prefix="pdxshots-")
    os.environ["PDXTUI_CACHE_DIR"] = os.path.join(tmp, "cache")
    os.environ["PDXTUI_CONFIG"] = os.path.join(tmp, "config.toml")
    os.environ["PDXTUI_LOG_DIR"] = os.path.join(tmp, "logs")
    os.environ["PDXTUI_STATE_DIR"] = os.path.join(tmp, "state")  # the request log, the export dialog's choices
    os.environ["PDXTUI_DATA_DIR"] = os.path.join(tmp, "data")  # recents, bookmarks, fingerprints
    from pdxtui.logs import setup_logging

    setup_logging()
    names = args.only or list(SHOTS)
    png_missing = False
    for name in names:
        svg = asyncio.run(take(name, args.out))
        png = to_png(svg)
        png_missing |= png is None
        print(f"{svg.relative_to(ROOT) if svg.is_relative_to(ROOT) else svg}" + (f" + {png.name}" if png else ""))
    if png_missing:
        print(
            "rsvg-convert not found: wrote SVG only (apt-get install librsvg2-bin fonts-firacode fonts-symbola)",
            file=sys.stderr,
        )
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
