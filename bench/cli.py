"""Quick command-line commands against ``python -c "import polars"`` (issue 17, goal 4: preview <= 2x).

    python bench/cli.py [--runs 9]
    PYTHONPATH=/path/to/other/checkout python bench/cli.py     # the same commands, run by another checkout's code

Each command is a fresh process, as a person runs it: ``pdxtui --portal demo preview ID --rows 20`` (the bundled
sample), the same against the fake ArcGIS portal from a warm cache, and ``search``/``show``/``--help``/``--version``.
The fake portal runs in its own process on 127.0.0.1 only to warm a temporary cache folder with one run of each
ArcGIS command; it is stopped before the timed runs, so those are answered from the cache (a run that needed the
network would fail, and the script with it). The baseline and the commands take turns in every round (rotating
order), one untimed round first; each figure is the median of ``--runs`` rounds and each ratio is against the
baseline's median in the same run, for the wall-clock time and for the CPU time the process used (all its
threads; steadier than the wall clock when the machine is busy). The pdxtui measured is the one
``python -m pdxtui`` finds outside a checkout (PYTHONPATH, else the installed one); its bytecode is compiled first,
as an installed copy would have it (this machine sets PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_ID = "a494697005da9eea74335a369b0e3689_1415"  # Street Tree Inventory in the bundled snapshot (252,184 rows)
ROWS = "20"


#: commands run from here, not from a checkout (python -m and -c look in the current folder first)
OUTSIDE = tempfile.gettempdir()


def cpu_of_children() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(argv: list[str]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds: user + system, all threads) of one run of ``argv``."""
    cpu = cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=OUTSIDE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}")
    return elapsed, cpu_of_children() - cpu


def main() -> int:
    from bench.fetch import served  # the fake portal in its own process (bench/fetch.py)
    from bench.measured import compile_package, measured_package
    from tests.support.fakeportal import fixtures

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    py = sys.executable
    where = measured_package()
    compile_package(where)
    trees = fixtures.DATASETS["street_trees"].id
    pdx = [py, "-m", "pdxtui"]
    demo = [*pdx, "--portal", "demo"]
    with tempfile.TemporaryDirectory(prefix="pdxtui-bench-cli-") as cache:
        with served(0.0) as url:
            arcgis = [*pdx, "--portal", f"arcgis:{url}/hub", "--cache-dir", cache]
            commands = {
                'python -c "import polars"': [py, "-c", "import polars"],
                "(floor) import polars, pyarrow": [py, "-c", "import polars, pyarrow, pyarrow.json"],
                "demo preview": [*demo, "preview", DEMO_ID, "--rows", ROWS],
                "arcgis preview (warm cache)": [*arcgis, "preview", trees, "--rows", ROWS],
                "demo search trees": [*demo, "search", "trees"],
                "demo show": [*demo, "show", DEMO_ID],
                "arcgis search trees (warm cache)": [*arcgis, "search", "trees"],
                "arcgis show (warm cache)": [*arcgis, "show", trees],
                "pdxtui --help": [*pdx, "--help"],
                "pdxtui --version": [*pdx, "--version"],
            }
            for name, argv in commands.items():  # warms the cache; the server stops after this
                if name.startswith("arcgis"):
                    run(argv)
        load_before = os.getloadavg()
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        order = list(commands)
        for round_ in range(args.runs + 1):
            for name in order:
                elapsed, cpu = run(commands[name])
                if round_:  # round 0 is the warm-up
                    times[name].append(elapsed)
                    cpus[name].append(cpu)
            order = order[1:] + order[:1]
        load_after = os.getloadavg()
    base_name = next(iter(commands))
    base, base_cpu = statistics.median(times[base_name]), statistics.median(cpus[base_name])
    print(
        f"pdxtui from {where}; median of {args.runs} rounds after a warm-up round; {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(f"{'':34} {'wall clock':>16} {'CPU (user+sys)':>16}   wall-clock runs (ms)")
    for name, got in times.items():
        median, cpu = statistics.median(got), statistics.median(cpus[name])
        ratio = f"{median / base:5.2f}x" if name != base_name else ""
        cpu_ratio = f"{cpu / base_cpu:5.2f}x" if name != base_name else ""
        runs = " ".join(f"{t * 1000:.0f}" for t in got)
        print(f"{name:34} {median * 1000:6.0f} ms {ratio:6} {cpu * 1000:6.0f} ms {cpu_ratio:6}   {runs}")
    print("goal: preview <= 2.00x the baseline (demo and ArcGIS from a warm cache), wall clock; the CPU time")
    print("(all threads) is steadier when the machine is busy")
    print("(floor): the imports alone of a command that reads ArcGIS rows (pyarrow brings numpy)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
