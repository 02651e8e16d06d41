"""Requests and time to read a 100,000-row layer whole (the fake's Address Points, maxRecordCount 1000), by
``resultOffset`` pages and by ``objectIds`` batches (how pdxtui reads a server before 10.3), counted by the fake
portal itself.

    python bench/paging.py

The same layer is read both ways (for the object id run, pdxtui is told the layer cannot page, as a 10.22 server
would say); every run starts with an empty cache. Figures go to BENCHMARKS.md ("Paging by object id").
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.fakeportal import fixtures, start_server  # noqa: E402


async def read(url: str, dataset_id: str, paging: bool) -> tuple[int, float]:
    from pdxtui.cache import Store
    from pdxtui.model import Query
    from pdxtui.net import Fetcher, make_client
    from pdxtui.portals import open_portal, parse_portal

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(tmp)
        spec = parse_portal(url)
        portal = open_portal(spec, fetcher=Fetcher(spec.name, client=make_client(), store=store))
        try:
            ds = await portal.dataset(dataset_id)
            plans = portal._plans  # type: ignore[attr-defined]  # the bench forces a strategy on the plan kept
            plans[ds.id] = dataclasses.replace(plans[ds.id], paging=paging)
            start = time.perf_counter()
            rows = 0
            async for page in portal.pages(ds, Query()):
                rows += page.table.num_rows
            elapsed = time.perf_counter() - start
        finally:
            await portal.aclose()
            store.close()
    return rows, elapsed


def main() -> None:
    layer = fixtures.DATASETS["address_points"]
    with start_server(preload=True) as server:
        url = f"arcgis:{server.url}/hub"
        asyncio.run(read(url, layer.id, True))  # warm-up: imports, the fake's memory of its answers
        for name, paging in (("resultOffset pages", True), ("objectIds batches", False)):
            server.reset_log()
            rows, elapsed = asyncio.run(read(url, layer.id, paging))
            sent = server.requests_to(layer.path + "/query")
            ids = sum(1 for r in sent if r.params.get("returnIdsOnly") == "true")
            counts = sum(1 for r in sent if r.params.get("returnCountOnly") == "true")
            print(
                f"{name:20} {rows:,} rows: {len(sent)} query requests "
                f"({counts} count, {ids} ids, {len(sent) - counts - ids} rows), {elapsed:.2f} s"
            )


if __name__ == "__main__":
    main()
