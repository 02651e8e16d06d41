"""SQL across datasets (issue 20): a query through ``pdxtui.sql.engine`` against the same query written directly in
polars, on the same 1,000,000-row frame, in the same run.

(a) Time, best and median of N rounds: a GROUP BY (``species``: 5,000 groups; count, mean and max) through
    ``engine.run`` (the CLI's path) and through ``engine.start(...)`` + ``await running.result()`` (the app's path:
    a worker thread, the event loop woken), against ``frame.lazy().group_by(...).agg(...).sort(...).collect()``.
    Goal: ratio <= 1.2. Also polars directly in a worker thread (``asyncio.to_thread``): what any query off the
    event loop's thread costs, the fair baseline of the app's path.
(b) Peak RSS growth, each path in a fresh child process (Linux: the peak reset after the frame is made and polars
    warmed up on a small one): the GROUP BY, and a filter that keeps about 90% of the rows (its result is the size
    of the frame: a copy more than polars makes would show as one more result's worth). Goal: the same growth as
    polars directly, the result not copied more than once.

    python bench/sql.py [--runs 20] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GROUP_BY = (
    "SELECT species, count(*) AS n, avg(diameter) AS mean_diameter, max(height) AS tallest "
    "FROM street_trees GROUP BY species ORDER BY n DESC, species"
)
FILTER = "SELECT * FROM street_trees WHERE diameter > 5"
PATHS = ("polars", "run", "start")


def make_frame(n: int):
    """``n`` street trees, deterministic: an id, 5,000 species, a ward, diameter and height, a condition, a date."""
    from datetime import date

    import polars as pl

    i = pl.int_range(0, n, dtype=pl.Int64)
    h = i.hash(7)
    return pl.select(
        i.alias("OBJECTID"),
        pl.format("Species {}", h % 5000).alias("species"),
        (h % 90).cast(pl.Int64).alias("ward"),
        ((h % 50_000).cast(pl.Float64) / 1000.0).alias("diameter"),
        ((h % 120_000).cast(pl.Float64) / 1000.0).alias("height"),
        pl.when(h % 3 == 0).then(pl.lit("Good")).when(h % 3 == 1).then(pl.lit("Fair")).otherwise(None).alias("cond"),
        (pl.lit(date(2000, 1, 1)) + pl.duration(days=i % 9000)).alias("planted"),
    )


def direct(frame, sql: str):
    """The query written directly in polars (lazy, as polars' SQL plans it)."""
    import polars as pl

    if sql == GROUP_BY:
        return (
            frame.lazy()
            .group_by("species")
            .agg(
                pl.len().cast(pl.Int64).alias("n"),
                pl.col("diameter").mean().alias("mean_diameter"),
                pl.col("height").max().alias("tallest"),
            )
            .sort(["n", "species"], descending=[True, False])
            .collect()
        )
    return frame.lazy().filter(pl.col("diameter") > 5).collect()


def through(path: str, frame, sql: str):
    from pdxtui.sql import engine

    tables = {"street_trees": frame}
    if path == "polars":
        return direct(frame, sql)
    if path == "run":
        return engine.run(sql, tables)
    return asyncio.run(_started(sql, tables))


async def _started(sql: str, tables):
    from pdxtui.sql import engine

    return await engine.start(sql, tables).result()


def best_times(frame, runs: int) -> dict[str, float]:
    """Each path's best time for the GROUP BY over ``runs`` rounds, the paths taking turns within a round (a busy
    moment of the machine falls on each alike); all inside one running event loop, as in the app."""
    from pdxtui.sql import engine

    tables = {"street_trees": frame}

    paths = (*PATHS, "thread")

    async def rounds() -> dict[str, float]:
        times: dict[str, list[float]] = {path: [] for path in paths}
        for n in range(runs + 1):  # the first round warms up
            order = paths[n % len(paths) :] + paths[: n % len(paths)]
            for path in order:
                start = time.perf_counter()
                if path == "polars":
                    direct(frame, GROUP_BY)
                elif path == "thread":
                    await asyncio.to_thread(direct, frame, GROUP_BY)
                elif path == "run":
                    engine.run(GROUP_BY, tables)
                else:
                    await engine.start(GROUP_BY, tables).result()
                if n:
                    times[path].append(time.perf_counter() - start)
        return {path: min(t) for path, t in times.items()} | {
            f"{path} median": statistics.median(t) for path, t in times.items()
        }

    return asyncio.run(rounds())


def child(path: str, which: str, rows: int) -> int:
    """In a fresh process: make the frame, warm polars up, then run one query one way; print the RSS growth."""
    import polars as pl

    frame = make_frame(rows)
    sql = GROUP_BY if which == "group_by" else FILTER
    small = make_frame(1000)
    through(path, small, sql)  # polars' thread pool and the SQL parser, warmed on a small frame
    before = _reset_peak()
    result = through(path, frame, sql)
    after = _peak()
    assert isinstance(result, pl.DataFrame)
    out = {
        "growth_mib": after - before,
        "result_mib": result.estimated_size() / 2**20,
        "frame_mib": frame.estimated_size() / 2**20,
        "rows": result.height,
    }
    print(json.dumps(out))
    return 0


def _status(key: str) -> float:
    """A ``/proc/self/status`` figure in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak() -> float:
    """Reset the peak RSS to the current RSS (Linux: ``5`` to ``/proc/self/clear_refs``, from 4.0) and return it:
    the making of the frame peaked higher than a query does, and would hide it."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _peak() -> float:
    return _status("VmHWM")


def rss(rows: int) -> None:
    print("(b) peak RSS growth while the query runs, each in a fresh process:")
    for which in ("group_by", "filter"):
        results = {}
        for path in PATHS:
            done = subprocess.run(
                [sys.executable, __file__, "--child", path, which, "--rows", str(rows)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            results[path] = json.loads(done.stdout)
        base = results["polars"]
        print(
            f"    {which:9} result {base['rows']:>9,} rows, {base['result_mib']:6.1f} MiB "
            f"(frame {base['frame_mib']:.0f} MiB)"
        )
        for path in PATHS:
            r = results[path]
            beyond = r["growth_mib"] - base["growth_mib"]
            line = f"      {path:7} growth {r['growth_mib']:7.1f} MiB   beyond polars' own: {beyond:+6.1f} MiB"
            if base["result_mib"] >= 1:  # in results' worth: +1.00 would be one more copy of the result
                line += f" ({beyond / base['result_mib']:+.2f} results)"
            print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("PATH", "QUERY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], args.child[1], args.rows)

    import polars as pl

    frame = make_frame(args.rows)
    from polars.testing import assert_frame_equal

    from pdxtui.sql import engine

    ours = engine.run(GROUP_BY, {"street_trees": frame})
    assert_frame_equal(ours, direct(frame, GROUP_BY))  # the same rows (means summed in another order: to 1e-5)
    print(
        f"polars {pl.__version__}, {pl.thread_pool_size()} threads; frame {frame.height:,} rows x {frame.width} "
        f"columns ({frame.estimated_size() / 2**20:.0f} MiB); GROUP BY into {ours.height:,} groups"
    )
    times = best_times(frame, args.runs)
    print(f"(a) GROUP BY, {args.runs} rounds (the paths take turns in each):")
    base = times["polars"]
    for path, label in (
        ("polars", "polars directly"),
        ("run", "engine.run"),
        ("start", "engine.start + await"),
        ("thread", "polars in a thread"),
    ):
        median = times[f"{path} median"]
        print(
            f"    {label:22} best {times[path] * 1000:6.1f} ms  ratio {times[path] / base:4.2f}   "
            f"median {median * 1000:6.1f} ms  ratio {median / times['polars median']:4.2f}"
        )
    print(
        f"    the app's path against polars run the same way (in a worker thread, awaited): "
        f"ratio {times['start'] / times['thread']:4.2f} (best), "
        f"{times['start median'] / times['thread median']:4.2f} (median)"
    )
    rss(args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
