"""CPU time of one Tab in the browser (the focus moving between panes), against a minimal Textual app's Tab measured
in the same run (each in a fresh child process, interleaved A B A B ..., median of N).

pdxtui: the app headless on the bundled demo portal at 140x42, Bicycle Parking opened from the results list, the
grid focused, then Tab pressed N times (the focus walks search box, facets, list, metadata, schema, grid...), each
press followed by ``pilot.pause()`` so its restyle, layout and paint are done. Baseline: a Header, two bordered
containers each holding a DataTable of the same size and a ``:focus-within`` border, a Footer, the same presses.
Only the presses' own process CPU time is counted (``time.process_time``).

    python bench/focus.py [--runs 5] [--presses 30]
    python bench/focus.py --profile pdxtui     # one run under cProfile: where a Tab's time goes (top 30)
    PYTHONPATH=<other checkout> python bench/focus.py   # measures that checkout's pdxtui
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (140, 42)


async def _presses(pilot, presses: int, profile: bool) -> float:
    import cProfile
    import pstats
    import time

    profiler = cProfile.Profile() if profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(presses):
        await pilot.press("tab")
        await pilot.pause()
    if profiler:
        profiler.disable()
    spent = time.process_time() - started
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    return spent / presses


def pdxtui_tab(presses: int, profile: bool) -> float:
    import asyncio

    import polars  # noqa: F401  (imported before the count starts)

    from tests.support.uihelpers import demo_app, settle

    async def run() -> float:
        app = demo_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            catalog = app.screen.query_one("#catalog")
            catalog.focus()
            catalog.highlighted = [hit.title for hit in catalog.hits].index("Bicycle Parking")
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            app.screen.query_one("#preview").grid.focus()
            await settle(pilot)
            return await _presses(pilot, presses, profile)

    return asyncio.run(run())


def minimal_tab(presses: int, profile: bool) -> float:
    import asyncio

    from textual.app import App
    from textual.containers import Vertical
    from textual.widgets import DataTable, Footer, Header, Input

    class Minimal(App):
        CSS = """
        Vertical { border: round $primary-darken-2; }
        Vertical:focus-within { border: round $accent; }
        """

        def compose(self):
            yield Header()
            yield Input()
            for _ in range(2):
                with Vertical():
                    yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            for table in self.query(DataTable):
                table.add_columns(*(f"column {i}" for i in range(8)))
                for row in range(40):
                    table.add_row(*(f"{row}-{i}" for i in range(8)))

    async def run() -> float:
        app = Minimal()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            return await _presses(pilot, presses, profile)

    return asyncio.run(run())


WHICH = {"pdxtui": pdxtui_tab, "minimal": minimal_tab}


def child(which: str, presses: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, "--presses", str(presses)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--child", choices=WHICH)
    parser.add_argument("--profile", choices=WHICH)
    args = parser.parse_args()
    if args.child or args.profile:
        sys.path.insert(0, str(ROOT))
        spent = WHICH[args.child or args.profile](args.presses, bool(args.profile))
        print(json.dumps(spent))
        return
    child("minimal", 2)  # warm the bytecode and the disk cache, untimed
    child("pdxtui", 2)
    times: dict[str, list[float]] = {"minimal": [], "pdxtui": []}
    for i in range(args.runs):
        for which in ("minimal", "pdxtui") if i % 2 == 0 else ("pdxtui", "minimal"):
            times[which].append(child(which, args.presses))
    base = statistics.median(times["minimal"])
    ours = statistics.median(times["pdxtui"])
    for which, spent in times.items():
        shown = ", ".join(f"{t * 1000:.0f}" for t in spent)
        print(f"{which:8} CPU per Tab: median {statistics.median(spent) * 1000:.1f} ms ({shown})")
    print(f"ratio pdxtui / minimal: {ours / base:.2f}x")


if __name__ == "__main__":
    main()
