"""CPU time of a Textual pilot walk under the test suite's collector schedule (tests/conftest.py) against Python's
default schedule, interleaved in the same run (A B A B ..., each walk in a fresh child process), median of N.

The walk is a typical pilot test: start the app on the bundled demo portal at 140x42, open Bicycle Parking from the
results list, then press each of a dozen grid keys (filter, sort both ways, stats, value counts, map, chart, find,
column picker, export, guide, help, more rows), closing what opened. Only the walk's own process CPU time is counted
(``time.process_time``, after the imports): that is what a pilot costs the 2-core machine, whatever the load.

    python bench/suite_gc.py [--runs 5]
    PYTHONPATH=<other checkout> python bench/suite_gc.py   # the walk uses only tests/support/uihelpers.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the schedule tests/conftest.py sets after collection
SUITE = (10_000, 10, 10)

KEYS = ["f", "left_square_bracket", "right_square_bracket", "s", "F", "m", "v", "slash", "C", "ctrl+e", "ctrl+g"]
KEYS += ["question_mark", "plus"]


def walk(schedule: str) -> float:
    import asyncio
    import gc
    import time

    import polars  # noqa: F401  (imported before the count starts, as in a test run)

    from tests.support.uihelpers import demo_app, settle

    if schedule == "suite":
        gc.collect()
        gc.freeze()
        gc.set_threshold(*SUITE)

    async def run() -> None:
        app = demo_app()
        async with app.run_test(size=(140, 42)) as pilot:
            await settle(pilot)
            browser = app.screen
            catalog = browser.query_one("#catalog")
            catalog.focus()
            catalog.highlighted = [hit.title for hit in catalog.hits].index("Bicycle Parking")
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            for key in KEYS:
                browser.query_one("#preview").grid.focus()
                await pilot.press(key)
                await settle(pilot)
                if app.screen is not browser:
                    app.screen.dismiss(None)
                    await settle(pilot)

    started = time.process_time()
    asyncio.run(run())
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=("default", "suite"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(walk(args.child)))
        return
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)]))}
    times: dict[str, list[float]] = {"default": [], "suite": []}
    for _ in range(args.runs):
        for schedule in times:
            out = subprocess.run(
                [sys.executable, __file__, "--child", schedule], capture_output=True, text=True, env=env, check=True
            )
            times[schedule].append(json.loads(out.stdout.strip().splitlines()[-1]))
    default, suite = (statistics.median(times[s]) for s in ("default", "suite"))
    print(f"pilot walk, CPU s (median of {args.runs}): default collector {default:.2f}, suite's schedule {suite:.2f}")
    print(f"  runs: default {[round(t, 2) for t in times['default']]}, suite {[round(t, 2) for t in times['suite']]}")
    print(f"ratio suite/default: {suite / default:.2f}")


if __name__ == "__main__":
    main()
