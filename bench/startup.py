"""Time from launch to the first painted catalog, against a minimal Textual app, in the same run.

Each program runs in a detached tmux session (140x42); the screen is polled with ``capture-pane`` until a known
string appears. Three programs take turns, in a rotating order, so that a busy moment on the machine does not
fall on one of them only:

  minimal    bench/minimal_app.py: Header, DataTable, Footer (the baseline)
  demo       pdxtui --portal demo (the bundled sample portal)
  portland   pdxtui with no --portal: the default profile "portland", pointed by a config file at the fake ArcGIS
             Hub server (tests/support/fakeportal, in its own process on 127.0.0.1), with a warm cache (one
             untimed run fills it first). Nothing but loopback is ever contacted.

For each it prints the median and the spread (min-max) of the times, and for pdxtui the ratio of the medians and
the median and spread of the per-round ratios. Goal: pdxtui <= 1.5x the minimal app (stretch 1.2x). It also prints
the CPU time each had used when its marker appeared (Linux /proc), a ratio that other load on a busy machine
disturbs far less than the wall-clock one.

    python bench/startup.py [--runs 7] [--only demo|portland]
    PYTHONPATH=/path/to/other/checkout python bench/startup.py     # measure another checkout's pdxtui

The pdxtui measured is the one ``python -c "import pdxtui"`` finds with the caller's PYTHONPATH (the sessions run
in a scratch folder, so the current folder never shadows it); the fake portal always comes from this checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO_MARKER = "Street Tree Inventory"  # the second hit of the bundled catalog
PORTLAND_MARKER = "PortlandUrbanForestry"  # an owner in the fake Hub's catalog (the bundled one has none such)
MINIMAL_MARKER = "MINIMAL READY"
#: a tmux server of our own (its own socket), kept alive by an idle session for the whole run: killing the last
#: session of a server stops it, and a session started meanwhile fails ("server exited unexpectedly")
TMUX = ["tmux", "-L", f"pdxbench{os.getpid()}"]


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by process ``pid`` and its descendants, every thread counted (Linux: schedstat)."""
    total, todo = 0.0, [pid]
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        with contextlib.suppress(OSError, ValueError):
            for task in (proc / "task").iterdir():
                total += int((task / "schedstat").read_text().split()[0]) / 1e9
                todo.extend(int(child) for child in (task / "children").read_text().split())
    return total


def time_to_marker(
    command: str, marker: str, cwd: str, timeout: float = 30.0, linger: float = 0.0
) -> tuple[float, float]:
    """Seconds from starting ``command`` in a new tmux session until ``marker`` is on its screen, and the CPU
    seconds the command had used by then (which other load on the machine stretches the least). ``linger``: keep
    it running that long afterwards (a warm-up run lets the app finish what it does after the first paint)."""
    session = "timed"
    subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)
    start = time.perf_counter()
    subprocess.run([*TMUX, "new-session", "-d", "-s", session, "-x", "140", "-y", "42", "-c", cwd, command], check=True)
    try:
        shown = subprocess.run([*TMUX, "display-message", "-p", "-t", session, "#{pane_pid}"], capture_output=True)
        pid = int(shown.stdout.strip() or 0)
        screen = ""
        while time.perf_counter() - start < timeout:
            screen = subprocess.run([*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            if marker in screen:
                elapsed = time.perf_counter() - start
                cpu = cpu_seconds(pid) if pid else float("nan")
                time.sleep(linger)
                return elapsed, cpu
            time.sleep(0.005)
        raise TimeoutError(f"{marker!r} did not appear within {timeout} s for: {command}\n{screen}")
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)


@contextlib.contextmanager
def tmux_server() -> Iterator[None]:
    subprocess.run([*TMUX, "new-session", "-d", "-s", "keeper", "sleep 100000"], check=True)
    try:
        yield
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)


def spread(values: list[float], scale: float = 1000.0, unit: str = " ms", digits: int = 0) -> str:
    def fmt(value: float) -> str:
        return f"{value * scale:.{digits}f}"

    return f"median {fmt(statistics.median(values))}{unit} (min {fmt(min(values))}, max {fmt(max(values))})"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from bench.fetch import served  # the fake portal in its own process
    from bench.measured import compile_package, measured_package

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed rounds (each runs every program once)")
    parser.add_argument("--only", choices=("demo", "portland"), help="measure only this pdxtui start")
    args = parser.parse_args()
    if not shutil.which("tmux"):
        print("tmux is required (apt-get install tmux)", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="pdxbench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDXTUI_")}  # no portal, token, cache of the caller
    package = measured_package(env)
    compile_package(package)  # bytecode as an installed copy has it (bench/measured.py)
    py = shlex.quote(sys.executable)
    # A session gets the tmux server's environment, not this one: say PYTHONPATH, and clear pdxtui's settings
    cleared = ["PDXTUI_PORTAL", "PDXTUI_APP_TOKEN", *([] if env.get("PYTHONPATH") else ["PYTHONPATH"])]
    pythonpath = f"PYTHONPATH={shlex.quote(env['PYTHONPATH'])} " if env.get("PYTHONPATH") else ""
    base_env = f"env {' '.join(f'-u {name}' for name in cleared)} {pythonpath}PDXTUI_LOG_DIR={tmp}/logs"
    load_before = os.getloadavg()
    print(f"pdxtui measured: {package}")
    with contextlib.ExitStack() as stack:
        stack.enter_context(tmux_server())
        programs: dict[str, tuple[str, str]] = {"minimal": (f"{py} {HERE / 'minimal_app.py'}", MINIMAL_MARKER)}
        if args.only in (None, "demo"):
            demo_env = f"{base_env} PDXTUI_CACHE_DIR={tmp}/demo-cache PDXTUI_CONFIG={tmp}/none.toml"
            programs["demo"] = (f"{demo_env} {py} -m pdxtui --portal demo", DEMO_MARKER)
        if args.only in (None, "portland"):
            # the fake portal in its own process (bench/fetch.py), ready once the Hub's search answers
            url = stack.enter_context(served(0.0, probe="/hub/api/search/v1/collections/dataset/items?limit=1"))
            if urlsplit(url).hostname != "127.0.0.1":  # never anything but loopback
                raise SystemExit(f"refusing a non-loopback portal: {url}")
            config = Path(tmp) / "portland.toml"
            config.write_text(f'[portals.portland]\nkind = "arcgis"\nurl = "{url}/hub"\n', encoding="utf-8")
            warm_env = f"{base_env} PDXTUI_CACHE_DIR={tmp}/portland-cache PDXTUI_CONFIG={config}"
            programs["portland"] = (f"{warm_env} {py} -m pdxtui", PORTLAND_MARKER)
        names = list(programs)
        # untimed: warm the OS file cache, and fill the portland cache (the catalog, then what follows the first
        # paint: the facets), so that every timed portland run starts with a warm cache
        for name in names:
            command, marker = programs[name]
            time_to_marker(command, marker, tmp, linger=2.0 if name == "portland" else 0.0)  # (times not kept)
        times: dict[str, list[float]] = {name: [] for name in names}
        cpus: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(args.runs):  # interleaved, in a rotating order, so drift in machine load hits all alike
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                command, marker = programs[name]
                elapsed, cpu = time_to_marker(command, marker, tmp)
                times[name].append(elapsed)
                cpus[name].append(cpu)
    load_after = os.getloadavg()
    base, base_cpu = times["minimal"], cpus["minimal"]
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} cores)")
    print(f"minimal Textual app (Header, DataTable, Footer): {spread(base)} over {args.runs} runs")
    print(f"  CPU used by then: {spread(base_cpu)}")
    labels = {"demo": "pdxtui --portal demo", "portland": "pdxtui (default portal, warm cache)"}
    for name in names[1:]:
        ratios = [t / b for t, b in zip(times[name], base, strict=True)]
        print(f"{labels[name]}, first catalog painted: {spread(times[name])}")
        ratio = statistics.median(times[name]) / statistics.median(base)
        print(f"  ratio {name} / minimal: {ratio:.2f} (of the medians); per round {spread(ratios, 1.0, '', 2)}")
        cpu_ratio = statistics.median(cpus[name]) / statistics.median(base_cpu)
        print(f"  CPU used by then: {spread(cpus[name])}; ratio of the medians {cpu_ratio:.2f}")
    print("goal: ratio <= 1.5 (stretch 1.2). The CPU ratio is the same start-up seen through what other load on")
    print("the machine stretches least (it leaves out waiting for the CPU and the terminal): not the goal's measure.")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
