"""The preview grid at scale: a 1,000,000-row × 20-column dataset in the real app (headless, 140×42).

Measures, in one run:
  * open -> first rows painted (the first page of 1,000 rows in the grid): each measurement in a fresh process (the
    app starts, its catalog settles, the dataset opens; the time runs until the screen update that holds the grid's
    rows has been painted), interleaved with the baseline (A B A B ...), the median of ``--runs`` of each; with
    ``--busy N`` again while N processes keep the CPUs busy (baseline and app under the same load)
  * "load all" -> all 1M rows in the grid, header showing the full count, cursor on the last row
  * sort (descending, on a float column, over the loaded frame as the portal does it)
  * column statistics of a text column and a float column
  * peak RSS of the process
  * the map of 250,000 points (a separate 250k-row frame with latitude/longitude, all rows loaded): ``m`` -> first
    picture on screen, and the drawing alone (arrays from the frame, projection, density raster, Rich text)
and, as the baseline, reading the same rows from a CSV file into a bare polars frame (in a process of its own).

    python bench/grid.py [--runs 5] [--busy 2] [--first-rows-only] [--against <another checkout>]
    PYTHONPATH=<another checkout> python bench/grid.py ...   # the same measurement of another checkout's pdxtui

Goals (issue 4): all rows ready <= 1.5 s, stats <= 1 s, peak RSS <= 600 MB.
Goal (issue 10): the map of 250,000 points on screen in under 0.5 s.
Goal (issue 17): first rows painted <= 0.25x the polars CSV read, on a quiet machine and a busy one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# PYTHONPATH=<another checkout> measures that checkout's pdxtui (and its tests.support) with this script
sys.path.insert(len(sys.path) if os.environ.get("PYTHONPATH") else 0, str(ROOT))

ROWS = 1_000_000
MAP_ROWS = 250_000


def make_frame(rows: int):
    import polars as pl

    i = pl.int_range(rows, eager=True)
    species = ["Acer rubrum", "Quercus garryana", "Pseudotsuga menziesii", "Thuja plicata", "Prunus cerasifera"]
    cols = {"OBJECTID": i + 1}
    for n in range(6):
        cols[f"NUM_{n}"] = ((i * (n + 7919)) % 10007).cast(pl.Float64) / 10
    for n in range(6):
        cols[f"INT_{n}"] = (i * (n + 31)) % 977
    names = pl.Series(species)
    for n in range(5):
        picks = names.gather((i * (n + 3)) % 5)
        cols[f"TEXT_{n}"] = pl.select(
            pl.concat_str([pl.lit(picks), pl.lit(i % 113).cast(pl.String)], separator=" ")
        ).to_series()
    cols["WHEN"] = pl.datetime_range(
        pl.datetime(2000, 1, 1),
        pl.datetime(2000, 1, 1) + pl.duration(minutes=rows - 1),
        "1m",
        eager=True,
        time_zone="UTC",
    )
    cols["CODE"] = (i % 50).cast(pl.String)
    return pl.DataFrame(cols)


def make_points(rows: int):
    """Street-tree-like rows: a condition, a genus, and points over Portland's extent (deterministic)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(10)
    return pl.DataFrame(
        {
            "OBJECTID": np.arange(1, rows + 1),
            "Condition": rng.choice(["Good", "Fair", "Poor", "Dead"], rows, p=[0.55, 0.33, 0.1, 0.02]),
            "Genus": rng.choice(["Acer", "Prunus", "Quercus", "Pyrus", "Tilia", "Ulmus"], rows),
            "Latitude": rng.normal(45.52, 0.05, rows),
            "Longitude": rng.normal(-122.65, 0.08, rows),
        }
    )


def frame_portal(frame):
    """A :class:`pdxtui.portals.base.Portal` over ``frame`` (the class is made here, so that importing this script
    imports nothing of pdxtui's before ``PYTHONPATH`` has chosen which checkout)."""
    from pdxtui.portals.base import Portal

    class FramePortal(Portal):
        """A Portal over one in-memory frame: what a fully cached dataset looks like to the app. A real Portal subclass,
        so it has every optional capability's default (``publisher_word``, ``host``, ...) as a real portal does."""

        kind = "bundled"
        label = "benchmark frame (1M rows)"
        name = "bench"
        capabilities = frozenset({"sort"})

        def __init__(self, frame) -> None:
            from pdxtui.model import Dataset, FetchState, Field

            self.frame = frame
            self._state = FetchState(source="bundled")
            kinds = {"Int64": "integer", "Float64": "float", "String": "string"}
            fields = tuple(
                Field(c, str(t), kinds.get(str(t), "datetime" if "Datetime" in str(t) else "string"))
                for c, t in frame.schema.items()
            )
            self.ds = Dataset(id="bench", title="Benchmark 1M rows", rows=frame.height, fields=fields)

        @property
        def state(self):
            return self._state

        async def search(self, request):
            from pdxtui.model import DatasetSummary, SearchResult

            return SearchResult(
                hits=(DatasetSummary(id="bench", title=self.ds.title, rows=self.frame.height),), total=1
            )

        async def facets(self):
            from pdxtui.model import Facets

            return Facets()

        async def dataset(self, dataset_id):
            return self.ds

        async def count(self, dataset, query):
            return self.frame.height

        async def pages(self, dataset, query, progress=None):
            import polars as pl

            from pdxtui.model import Page, Progress

            frame = self.frame
            if query.order:
                frame = await asyncio.to_thread(
                    lambda: frame.sort(
                        [c for c, _ in query.order], descending=[d for _, d in query.order], nulls_last=True
                    )
                )
            frame = frame.slice(query.offset, query.limit)
            step = 250_000
            for start in range(0, max(frame.height, 1), step):
                chunk = frame.slice(start, step)
                if progress:
                    progress(Progress(rows=start + chunk.height, total=frame.height))
                yield Page(
                    table=chunk.to_arrow(compat_level=pl.CompatLevel.newest()),
                    offset=query.offset + start,
                    total=self.frame.height,
                )

        async def aclose(self):
            return None

    return FramePortal(frame)


def watch_first_paint():
    """Hooks that set the returned event once a screen update that holds the grid's rows has been painted: the
    compositor's update handed to the driver after the grid rendered lines with rows in them. The grid's module is
    hooked as soon as the app imports it (importing it here would take its imports out of the time measured). Hooks
    on classes of Textual and of the grid, so they work on older checkouts too."""
    import builtins

    from textual.app import App

    painted = asyncio.Event()
    rendered = [False]
    display, original_import = App._display, builtins.__import__

    def hook_grid() -> None:
        module = sys.modules.get("pdxtui.ui.widgets.grid")
        grid = getattr(module, "PreviewGrid", None)
        if grid is None or grid.__dict__.get("bench_hooked"):
            return
        render_lines = grid.render_lines

        def grid_render_lines(self, crop):
            lines = render_lines(self, crop)
            if self.row_count:
                rendered[0] = True
            return lines

        grid.render_lines, grid.bench_hooked = grid_render_lines, True

    def importing(*args, **kwargs):
        module = original_import(*args, **kwargs)
        hook_grid()
        return module

    def app_display(self, screen, renderable):
        display(self, screen, renderable)
        if renderable is not None and rendered[0] and not painted.is_set():
            painted.set()
            builtins.__import__, App._display = original_import, display

    hook_grid()
    builtins.__import__ = importing
    App._display = app_display
    return painted


async def open_and_time_first_paint(app) -> float:
    """Open the benchmark dataset in the (settled) browser; the seconds until its first rows are painted."""
    painted = watch_first_paint()
    start = time.perf_counter()
    app.screen.open_dataset("bench")
    await asyncio.wait_for(painted.wait(), 60)
    return time.perf_counter() - start


async def first_rows_only(frame) -> float:
    """A fresh app as a user starts it: the catalog paints and settles, then the dataset opens."""
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp
    from tests.support.uihelpers import settle

    app = PdxApp(Service(frame_portal(frame)))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        return await open_and_time_first_paint(app)


async def run_app(frame) -> dict[str, float]:
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp
    from tests.support.uihelpers import settle

    app = PdxApp(Service(frame_portal(frame)))
    out: dict[str, float] = {}
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        out["first rows painted"] = await open_and_time_first_paint(app)
        pane = app.screen.query_one("#preview")
        await settle(pilot)

        pane.grid.focus()
        start = time.perf_counter()
        pane.action_load_all()
        await pilot.pause(0)
        while pane.preview is None or pane.preview.shown < frame.height or pane.grid is None:
            # the question can come after the first pause; answered once its buttons are there
            if type(app.screen).__name__ == "ConfirmScreen" and app.screen.query("#yes"):
                app.screen.dismiss(True)
            await pilot.pause(0)
        pane.grid.focus()
        await pilot.press("ctrl+end")
        await pilot.pause(0)
        assert pane.grid.cursor_row == frame.height - 1
        out["all rows ready, cursor on last row"] = time.perf_counter() - start

        pane.grid.move_cursor(column=pane.view.columns.index("NUM_0"))
        start = time.perf_counter()
        await pane.action_sort(True)
        await settle(pilot)
        out["sort 1M rows (NUM_0 desc) and repaint"] = time.perf_counter() - start

    from pdxtui.stats import column_stats

    out.update(await run_map(make_points(MAP_ROWS)))
    for column in ("TEXT_0", "NUM_0"):
        start = time.perf_counter()
        column_stats(frame, column)
        out[f"stats of {column}"] = time.perf_counter() - start
    return out


async def run_map(frame) -> dict[str, float]:
    """Load all rows of a 250k-point layer, press m, and time until the map is on screen."""
    from pdxtui import charts
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens.chart import ChartScreen
    from pdxtui.ui.widgets.chart import ChartCanvas
    from tests.support.uihelpers import settle

    portal = frame_portal(frame)
    portal.label = f"benchmark points ({frame.height:,} rows)"
    app = PdxApp(Service(portal))
    out: dict[str, float] = {}
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.screen.open_dataset("bench")
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        pane.action_load_all()
        await pilot.pause(0)
        while pane.preview is None or pane.preview.shown < frame.height or pane.grid is None:
            # the question can come after the first pause; answered once its buttons are there
            if type(app.screen).__name__ == "ConfirmScreen" and app.screen.query("#yes"):
                app.screen.dismiss(True)
            await pilot.pause(0)
        await settle(pilot)
        pane.grid.focus()
        start = time.perf_counter()
        await pilot.press("m")
        while not (
            isinstance(app.screen, ChartScreen)
            and app.screen.query(ChartCanvas)
            and app.screen.canvas.picture is not None
        ):
            await asyncio.sleep(0.002)  # not pilot.pause: a busy wait would take the GIL from the drawing thread
        await pilot.pause(0)  # the frame with the picture is painted
        out[f"map of {frame.height:,} points: m -> on screen"] = time.perf_counter() - start
        status = app.screen.query_one("#chart-status").render()
        assert f"{frame.height:,} points" in str(status), status
    start = time.perf_counter()
    data = charts.map_data(frame, "Latitude", "Longitude", "Condition")
    picture = charts.draw_map(data, charts.fit_extent(data.extent(), 138, 36), 138, 36)
    out[f"map of {frame.height:,} points: drawing alone"] = time.perf_counter() - start
    assert picture.density and picture.drawn > 0.99 * frame.height
    return out


def child(*args: str, checkout: str | None = None) -> float:
    """Run this script in a child process for one measurement (of ``checkout``'s pdxtui when given); the seconds it
    printed."""
    env = dict(os.environ, PYTHONPATH=checkout) if checkout else None
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"{args[0]} failed:\n{out.stderr[-3000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def burners(count: int) -> list[subprocess.Popen]:
    """``count`` processes that keep a CPU busy each (the machine "while other work runs")."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


def first_rows_rounds(csv: Path, runs: int, busy: int, against: str | None) -> dict[str, list[float]]:
    """Baseline (a bare polars ``read_csv`` of the rows) and the app's open -> first rows painted (and the other
    checkout's, ``against``), each in a fresh process, interleaved (A B A B ...), ``runs`` times each, with ``busy``
    CPU burners running throughout."""
    load = burners(busy)
    try:
        time.sleep(0.5 if busy else 0)  # the burners are running before the first measurement
        times: dict[str, list[float]] = {"baseline": [], "app": []}
        for _ in range(runs):
            times["baseline"].append(child("--baseline", str(csv)))
            times["app"].append(child("--first-rows"))
            if against:
                times.setdefault("against", []).append(child("--first-rows", checkout=against))
        return times
    finally:
        stop(load)


def report_rounds(what: str, times: dict[str, list[float]], against: str | None) -> None:
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    base = statistics.median(times["baseline"])
    print(f"open -> first rows painted, {what} (load average after: {load}); goal ≤ 0.25× the baseline")
    print(
        f"  baseline (polars read_csv): median {base:.3f} s   runs {', '.join(f'{t:.2f}' for t in times['baseline'])}"
    )
    names = {"app": f"pdxtui ({pdxtui_folder().parent})", "against": f"pdxtui ({against})"}
    for key, name in names.items():
        if key in times:
            runs = ", ".join(f"{t:.3f}" for t in times[key])
            median = statistics.median(times[key])
            print(f"  {name}: median {median:.3f} s = {median / base:.2f}× the baseline   runs {runs}")


def main() -> int:
    import polars as pl

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="rounds of the first-rows measurement (default 5)")
    parser.add_argument(
        "--busy", type=int, default=0, help="also measure the first rows with N CPU-burning processes running"
    )
    parser.add_argument("--first-rows-only", action="store_true", help="skip load all, sort, map and stats")
    parser.add_argument(
        "--against",
        metavar="CHECKOUT",
        help="also time the first rows of another checkout's pdxtui, in the same rounds",
    )
    parser.add_argument("--baseline", metavar="CSV", help=argparse.SUPPRESS)  # child: read the CSV, print seconds
    parser.add_argument("--first-rows", action="store_true", help=argparse.SUPPRESS)  # child: time the first rows
    args = parser.parse_args()
    os.environ.setdefault("PDXTUI_CACHE_DIR", tempfile.mkdtemp(prefix="pdxbench-"))
    os.environ.setdefault("PDXTUI_LOG_DIR", os.environ["PDXTUI_CACHE_DIR"])
    if args.baseline:
        start = time.perf_counter()
        assert pl.read_csv(args.baseline, try_parse_dates=True).height == ROWS
        print(time.perf_counter() - start)
        return 0
    if args.first_rows:
        print(asyncio.run(first_rows_only(make_frame(ROWS))))
        return 0
    from bench.measured import compile_package  # bytecode as an installed copy has it

    for folder in [pdxtui_folder()] + ([Path(args.against) / "pdxtui"] if args.against else []):
        compile_package(folder)
    frame = make_frame(ROWS)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "rows.csv"
        frame.write_csv(csv)
        size = csv.stat().st_size
        print(f"{ROWS:,} rows × {frame.width} columns; baseline: bare polars read_csv of them ({size / 1e6:.0f} MB)")
        child("--baseline", str(csv))  # warm the file cache
        times = first_rows_rounds(csv, args.runs, 0, args.against)
        report_rounds("no CPU burners", times, args.against)
        if args.busy:
            busy = first_rows_rounds(csv, args.runs, args.busy, args.against)
            report_rounds(f"{args.busy} CPU burners running", busy, args.against)
    if args.first_rows_only:
        return 0
    quiet = statistics.median(times["baseline"])
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = asyncio.run(run_app(frame))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"in one process, against the baseline median without burners ({quiet:.2f} s):")
    for label, seconds in results.items():
        print(f"{label:<42} {seconds:6.2f} s   ({seconds / quiet:.2f}× the polars CSV read)")
    print(f"peak RSS of the whole process {peak_mb:,.0f} MB (the generated frame alone: {before_mb:,.0f} MB)")
    return 0


def pdxtui_folder() -> Path:
    """The pdxtui package that runs (the one ``PYTHONPATH`` chose)."""
    import pdxtui

    return Path(pdxtui.__file__).parent


if __name__ == "__main__":
    raise SystemExit(main())
