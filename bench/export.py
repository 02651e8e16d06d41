"""Export speed and memory.

(a) A loaded frame of 1,000,000 rows x 10 columns written with ``pdxtui.export.export_frame`` against bare polars
    ``write_csv`` / ``write_parquet`` of the same frame in the same run (best of N; goal: ratio <= 1.3). pdxtui
    fsyncs the temp file before renaming it (bare polars does not); the ratio without it is shown too. Also
    XLSX for 100,000 rows of the same frame (``--excel`` adds polars ``write_excel`` for comparison: slow).
(b) Streaming to Parquet with ``pdxtui export`` in a child process, its peak RSS (``os.wait4`` rusage) at N and
    2N rows (``--limit``); goal <= 300 MB and flat as the rows double. Sources: the bundled demo portal's street
    trees (252,184 rows; the fake ArcGIS portal has no layer of 200,000 rows), and the fake ArcGIS portal's
    100,000-row address points layer over HTTP on 127.0.0.1 (``python -m tests.support.fakeportal``, its own process).

    python bench/export.py [--runs 3] [--rows 1000000] [--excel] [--skip-stream]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STREET_TREES = "a494697005da9eea74335a369b0e3689_1415"


def make_frame(n: int):
    """1M x 10, deterministic: ints, floats, repeated and unique text (with commas, quotes, nulls), a boolean,
    a date and a UTC datetime."""
    import polars as pl

    i = pl.int_range(0, n, dtype=pl.Int64)
    h = i.hash(42)
    return pl.select(
        i.alias("id"),
        ((h % 1_000_000).cast(pl.Float64) / 1_000_000).alias("x"),
        ((h % 97_003).cast(pl.Float64) / 7.0).alias("y"),
        pl.format("name {}", h % 5000).alias("name"),
        pl.when(h % 3 == 0)
        .then(pl.lit("Good"))
        .when(h % 3 == 1)
        .then(pl.lit("Fair"))
        .otherwise(pl.lit("Poor"))
        .alias("condition"),
        (h % 1000).cast(pl.Int64).alias("k"),
        (h % 2 == 0).alias("flag"),
        (pl.lit(date(2000, 1, 1)) + pl.duration(days=i % 9000)).alias("day"),
        (pl.lit(datetime(2020, 1, 1)) + pl.duration(seconds=i))
        .dt.replace_time_zone("UTC")
        .dt.cast_time_unit("ms")
        .alias("when"),
        pl.when(i % 7 == 0).then(None).otherwise(pl.format('note, "{}"', i)).alias("note"),
    )


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


@contextlib.contextmanager
def no_fsync():
    """The same export without its fsync (which bare polars does not do), to show what the fsync costs."""
    real = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


def bench_frame(rows: int, runs: int, excel: bool) -> None:
    from pdxtui.export import ExportOptions, export_frame

    frame = make_frame(rows)
    tmp = Path(tempfile.mkdtemp(prefix="pdxbench-export-"))
    force = ExportOptions(overwrite=True)
    print(
        f"(a) loaded frame: {frame.height:,} rows x {frame.width} columns, "
        f"{frame.estimated_size() / 2**20:.0f} MiB in memory; best of {runs}"
    )
    cases = [
        ("CSV", lambda: frame.write_csv(tmp / "polars.csv"), lambda: export_frame(frame, tmp / "pdx.csv", force)),
        (
            "Parquet",
            lambda: frame.write_parquet(tmp / "polars.parquet"),
            lambda: export_frame(frame, tmp / "pdx.parquet", force),
        ),
    ]
    for label, bare, ours in cases:
        bare()  # warm up both
        ours()
        b, o = best(bare, runs), best(ours, runs)
        with no_fsync():
            n = best(ours, runs)
        print(
            f"    {label:8} polars {b:6.3f} s   pdxtui.export {o:6.3f} s   ratio {o / b:4.2f}"
            f"   (without the fsync: {n:6.3f} s, ratio {n / b:4.2f})"
        )
    small = frame.head(100_000)
    ours_xlsx = best(lambda: export_frame(small, tmp / "pdx.xlsx", force), 1)
    line = f"    XLSX     100,000 rows: pdxtui.export {ours_xlsx:6.3f} s"
    if excel:
        naive = small.with_columns(small["when"].dt.replace_time_zone(None))  # write_excel refuses time zones
        bare_xlsx = best(lambda: naive.write_excel(tmp / "polars.xlsx"), 1)
        line += f"   polars write_excel {bare_xlsx:6.3f} s"
    print(line)
    for path in tmp.iterdir():
        path.unlink()
    tmp.rmdir()


def child_rss(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``python ARGV`` in a child; (its own peak RSS in MiB, seconds, stdout).

    Linux carries a process's peak RSS across fork and exec, so the child is started by a small launcher
    (``bench/export.py --measure``, which imports nothing big), not by this process with its 1M-row frame."""
    import json

    done = subprocess.run(
        [sys.executable, __file__, "--measure", "--", *argv], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(argv)} failed: {done.stderr.strip()}")
    result = json.loads(done.stdout)
    return result["rss_mib"], result["seconds"], result["stdout"]


def measure(argv: list[str]) -> int:
    """The launcher: run ``python ARGV``, reap it with ``os.wait4`` and print its rusage as JSON."""
    import json

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write(err.decode(errors="replace"))
        return 1
    print(
        json.dumps(
            {"rss_mib": usage.ru_maxrss / 1024, "seconds": time.perf_counter() - start, "stdout": out.decode().strip()}
        )
    )
    return 0


def bench_stream() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pdxbench-stream-"))
    env = {
        **os.environ,
        "PDXTUI_CACHE_DIR": str(tmp / "cache"),
        "PDXTUI_CONFIG": str(tmp / "none.toml"),
    }
    env.pop("PDXTUI_PORTAL", None)
    base, _, _ = child_rss(["-c", "import polars, pyarrow, pdxtui.cli, pdxtui.export"], env)
    print(
        f"(b) streaming to Parquet in a child process (peak RSS); python + polars + pyarrow + pdxtui imported: "
        f"{base:.0f} MiB"
    )
    target = tmp / "out.parquet"
    for rows in (100_000, 200_000, None):
        limit = ["--limit", str(rows)] if rows else []
        rss, seconds, out = child_rss(
            ["-m", "pdxtui", "--portal", "demo", "export", STREET_TREES, "-o", str(target), "--force", *limit], env
        )
        print(f"    demo street trees    {out.split(' to ')[0]:>22}  peak RSS {rss:5.0f} MiB  {seconds:5.2f} s")

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fakeportal", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = None
        assert server.stdout is not None
        for line in server.stdout:
            match = re.search(r"portal:\s+(arcgis:\S+)", line)
            if match:
                url = match.group(1)
                break
        if url is None:
            raise RuntimeError("the fake portal did not start")
        from tests.support.fakeportal.fixtures import DATASETS

        layer = DATASETS["address_points"]
        for rows in (25_000, 50_000, 100_000):
            rss, seconds, out = child_rss(
                [
                    "-m",
                    "pdxtui",
                    "--portal",
                    url,
                    "export",
                    layer.id,
                    "-o",
                    str(target),
                    "--force",
                    "--limit",
                    str(rows),
                    "--refresh",
                ],
                env,
            )
            print(
                f"    fake ArcGIS addresses {out.split(' to ')[0]:>21}  peak RSS {rss:5.0f} MiB  {seconds:5.2f} s"
                f"  (pages of {layer.max_record_count:,})"
            )
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    if sys.argv[1:2] == ["--measure"]:
        return measure(sys.argv[3:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--excel", action="store_true", help="also time polars write_excel on 100,000 rows")
    parser.add_argument("--skip-stream", action="store_true")
    args = parser.parse_args()
    import polars as pl

    print(f"polars {pl.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_frame(args.rows, args.runs, args.excel)
    if not args.skip_stream:
        bench_stream()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
