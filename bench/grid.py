"""The preview grid at scale: a 1,000,000-row × 20-column dataset in the real app (headless, 140×42).

Measures, in one run:
  * open -> first rows painted (the first page of 1,000 rows in the grid)
  * "load all" -> all 1M rows in the grid, header showing the full count, cursor on the last row
  * sort (descending, on a float column, over the loaded frame as the portal does it)
  * column statistics of a text column and a float column
  * peak RSS of the process
  * the map of 250,000 points (a separate 250k-row frame with latitude/longitude, all rows loaded): ``m`` -> first
    picture on screen, and the drawing alone (arrays from the frame, projection, density raster, Rich text)
and, as the baseline, reading the same rows from a CSV file into a bare polars frame.

    python bench/grid.py

Goals (issue 4): first rows <= 0.5 s, all rows ready <= 1.5 s, stats <= 1 s, peak RSS <= 600 MB.
Goal (issue 10): the map of 250,000 points on screen in under 0.5 s.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


class FramePortal:
    """A Portal over one in-memory frame: what a fully cached dataset looks like to the app."""

    kind = "bundled"
    label = "benchmark frame (1M rows)"
    name = "bench"
    capabilities = frozenset({"sort"})

    def __init__(self, frame) -> None:
        from pdxtui.model import Dataset, FetchState, Field

        self.frame = frame
        self.state = FetchState(source="bundled")
        kinds = {"Int64": "integer", "Float64": "float", "String": "string"}
        fields = tuple(
            Field(c, str(t), kinds.get(str(t), "datetime" if "Datetime" in str(t) else "string"))
            for c, t in frame.schema.items()
        )
        self.ds = Dataset(id="bench", title="Benchmark 1M rows", rows=frame.height, fields=fields)

    async def search(self, request):
        from pdxtui.model import DatasetSummary, SearchResult

        return SearchResult(hits=(DatasetSummary(id="bench", title=self.ds.title, rows=self.frame.height),), total=1)

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
                lambda: frame.sort([c for c, _ in query.order], descending=[d for _, d in query.order], nulls_last=True)
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


async def run_app(frame) -> dict[str, float]:
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp
    from tests.support.uihelpers import settle

    app = PdxApp(Service(FramePortal(frame)))
    out: dict[str, float] = {}
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        pane = None
        start = time.perf_counter()
        app.screen.open_dataset("bench")
        while True:
            await pilot.pause(0)
            found = app.screen.query("#preview")
            if found and found.first().grid is not None:
                pane = found.first()
                break
        await pilot.pause(0)
        out["first rows"] = time.perf_counter() - start
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

    portal = FramePortal(frame)
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


def main() -> int:
    import polars as pl

    os.environ.setdefault("PDXTUI_CACHE_DIR", tempfile.mkdtemp(prefix="pdxbench-"))
    os.environ.setdefault("PDXTUI_LOG_DIR", os.environ["PDXTUI_CACHE_DIR"])
    if len(sys.argv) > 1 and sys.argv[1] == "--baseline":  # child process: read the CSV, print the seconds
        start = time.perf_counter()
        assert pl.read_csv(sys.argv[2], try_parse_dates=True).height == ROWS
        print(time.perf_counter() - start)
        return 0
    frame = make_frame(ROWS)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "rows.csv"
        frame.write_csv(csv)
        size = csv.stat().st_size
        # the baseline runs in its own process, so its memory does not count against the app's peak
        base = float(
            subprocess.run(
                [sys.executable, __file__, "--baseline", str(csv)], capture_output=True, text=True, check=True
            ).stdout
        )
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = asyncio.run(run_app(frame))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{ROWS:,} rows × {frame.width} columns")
    print(f"baseline: bare polars read_csv of the same rows ({size / 1e6:.0f} MB): {base:.2f} s")
    for label, seconds in results.items():
        print(f"{label:<42} {seconds:6.2f} s   ({seconds / base:.2f}× the polars CSV read)")
    print(f"peak RSS of the whole process {peak_mb:,.0f} MB (the generated frame alone: {before_mb:,.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
