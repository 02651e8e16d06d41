"""Time from launch to the first painted catalog, against a minimal Textual app, in the same run.

Each program runs in a detached tmux session (140x42); the screen is polled with ``capture-pane`` until a known
string appears. Prints the median of N runs for each and the ratio. Goal: pdxtui <= 1.5x the minimal app.

    python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def time_to_marker(command: str, marker: str, timeout: float = 20.0) -> float:
    session = f"pdxbench{os.getpid()}"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "140", "-y", "42", command], check=True)
    try:
        while time.perf_counter() - start < timeout:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if marker in screen:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise TimeoutError(f"{marker!r} did not appear within {timeout} s for: {command}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not shutil.which("tmux"):
        print("tmux is required (apt-get install tmux)", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="pdxbench-")
    env = f"PDXTUI_CACHE_DIR={tmp}/cache PDXTUI_CONFIG={tmp}/none.toml"
    py = sys.executable
    pdx_cmd = f"env {env} {py} -m pdxtui --portal demo"
    min_cmd = f"{py} {HERE / 'minimal_app.py'}"
    # Bytecode as an installed copy has it: pip writes .pyc files for installed packages, but an editable install
    # run with PYTHONDONTWRITEBYTECODE=1 (as on this machine) would compile every pdxtui module on each start.
    subprocess.run([py, "-m", "compileall", "-q", str(HERE.parent / "pdxtui")], check=True)
    # warm the OS file cache and bytecode for both before measuring
    time_to_marker(pdx_cmd, "Street Tree Inventory")
    time_to_marker(min_cmd, "MINIMAL READY")
    pdx, base = [], []
    for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
        base.append(time_to_marker(min_cmd, "MINIMAL READY"))
        pdx.append(time_to_marker(pdx_cmd, "Street Tree Inventory"))
    b, p = statistics.median(base), statistics.median(pdx)
    print(f"minimal Textual app (Header, DataTable, Footer): median {b * 1000:.0f} ms over {args.runs} runs")
    print(f"pdxtui --portal demo, first catalog painted:   median {p * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio pdxtui / minimal: {p / b:.2f}  (goal <= 1.5)")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
