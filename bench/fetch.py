"""Fetch speed against the fake ArcGIS portal: 100,000 rows, maxRecordCount 1000 (100 pages), 100 ms added to
every request (a remote server; ``--latency`` changes it).

Prints two ratios, each measured in this run:
  (a) pdxtui concurrent paging (the default per-host limit) / pdxtui sequential paging (limit 1)   goal <= 0.3
  (b) pdxtui full fetch into a polars frame / a bare baseline (httpx fetching the same pages as
      many at a time as pdxtui's default limit, json.loads, then one polars DataFrame)            goal <= 1.2

    python bench/fetch.py [--runs 5] [--latency 0.1]
    PYTHONPATH=<other checkout> python bench/fetch.py     # the same measurement of another checkout's pdxtui

The per-host limit used for "concurrent" is the default of the pdxtui being measured (``net.max_per_host`` in
its config), so that an older checkout is measured as it ships.

Every pdxtui run starts with an empty cache, so no run is served from disk. One untimed warm-up round comes
first (imports, connection set-up, and the fake portal's memory of the pages it has served), then the three
kinds of run take turns, in a rotating order, so that a busy moment on the machine does not fall on one of them
only. Both sides send the same requests (the same parameters) to the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.fakeportal import fixtures  # noqa: E402

if os.environ.get("PYTHONPATH"):  # measure the pdxtui it names (another checkout, for before and after)
    sys.path.remove(str(ROOT))

LATENCY = 0.1  # seconds added to every request: a remote server


def default_per_host() -> int:
    """The default ``net.max_per_host`` of the pdxtui being measured."""
    from pdxtui.config import NetConfig

    return int(NetConfig().max_per_host)


async def pdxtui_fetch(portal_url: str, dataset_id: str, per_host: int) -> tuple[float, int]:
    from pdxtui.cache import Store
    from pdxtui.net import Fetcher, make_client
    from pdxtui.portals import open_portal, parse_portal
    from pdxtui.service import Service

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(tmp)
        spec = parse_portal(portal_url)
        fetcher = Fetcher(spec.name, client=make_client(), store=store, max_per_host=per_host)
        service = Service(open_portal(spec, fetcher=fetcher))
        try:
            ds = await service.dataset(dataset_id)
            start = time.perf_counter()
            preview = await service.preview(ds, rows=ds.rows or 0)
            elapsed = time.perf_counter() - start
        finally:
            await service.aclose()
            store.close()
    return elapsed, preview.frame.height


async def bare_fetch(layer_url: str, rows: int, page: int, per_host: int = 4) -> tuple[float, int]:
    import httpx
    import polars as pl

    sem = asyncio.Semaphore(per_host)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(offset: int) -> list[dict]:
            params = {
                "where": "1=1",
                "outFields": "*",
                "orderByFields": "OBJECTID ASC",
                "returnGeometry": "true",
                "outSR": "4326",
                "f": "json",
                "resultOffset": offset,
                "resultRecordCount": page,
            }
            async with sem:
                response = await client.get(layer_url + "/query", params=params)
            data = json.loads(response.content)
            out = []
            for feature in data["features"]:
                record = dict(feature["attributes"])
                geometry = feature.get("geometry") or {}
                record["latitude"], record["longitude"] = geometry.get("y"), geometry.get("x")
                out.append(record)
            return out

        start = time.perf_counter()
        pages = await asyncio.gather(*(one(offset) for offset in range(0, rows, page)))
        frame = pl.DataFrame([record for chunk in pages for record in chunk], infer_schema_length=None)
        elapsed = time.perf_counter() - start
    return elapsed, frame.height


@contextlib.contextmanager
def served(latency: float, probe: str | None = None):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fakeportal", "--port", str(port), "--latency", str(latency)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's fake portal, whichever pdxtui is measured
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # wait until it listens
            if line.startswith("Ctrl-C"):
                break
        url = f"http://127.0.0.1:{port}"
        # ready once it answers (the layer by default; ``probe``: another path, e.g. the Hub's search)
        probe = probe or f"{fixtures.DATASETS['address_points'].path}?f=json"
        urllib.request.urlopen(f"{url}{probe}", timeout=30).read()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds added to every request (0.1)")
    args = parser.parse_args()
    ds = fixtures.DATASETS["address_points"]
    per_host = default_per_host()
    load_before = os.getloadavg()
    # the fake portal runs in its own process, so that it does not share this process's GIL with the clients
    with served(args.latency) as url:
        portal = f"arcgis:{url}/hub"
        layer_url = url + ds.path
        kinds = {
            "conc": lambda: pdxtui_fetch(portal, ds.id, per_host=per_host),
            "seq": lambda: pdxtui_fetch(portal, ds.id, per_host=1),
            "bare": lambda: bare_fetch(layer_url, ds.row_count, ds.max_record_count, per_host=per_host),
        }
        times: dict[str, list[float]] = {name: [] for name in kinds}
        order = list(kinds)
        for round_ in range(args.runs + 1):
            for name in order:
                t, n = asyncio.run(kinds[name]())
                assert n == ds.row_count, (name, n, ds.row_count)
                if round_:  # round 0 is the warm-up
                    times[name].append(t)
            order = order[1:] + order[:1]
    load_after = os.getloadavg()
    c, s, b = (statistics.median(times[name]) for name in ("conc", "seq", "bare"))
    import pdxtui

    print(
        f"pdxtui from {Path(pdxtui.__file__).parent.parent}: {ds.row_count:,} rows, {ds.max_record_count} per page, "
        f"{args.latency * 1000:.0f} ms added per request, median of {args.runs} (after a warm-up round); "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    for name, label in (
        ("conc", f"pdxtui concurrent ({per_host} per host)"),
        ("seq", "pdxtui sequential (1 per host)"),
        ("bare", f"bare httpx + json + polars ({per_host})"),
    ):
        runs = " ".join(f"{t:.2f}" for t in times[name])
        print(f"{label}: {statistics.median(times[name]):.2f} s   runs: {runs}")
    print(f"(a) concurrent / sequential = {c / s:.2f}  (goal <= 0.3)")
    print(f"(b) pdxtui / bare baseline  = {c / b:.2f}  (goal <= 1.2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
