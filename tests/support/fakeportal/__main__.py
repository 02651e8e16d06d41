"""Run the fake portal by hand: ``python -m tests.support.fakeportal [--port N]`` (Ctrl-C stops it)."""

from __future__ import annotations

import argparse
import threading

from . import start_server
from .fixtures import DATASETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fakeportal", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--hub-page-cap", type=int, default=None, help="at most this many search records a page")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    server = start_server(port=args.port, verbose=args.verbose, hub_page_cap=args.hub_page_cap)
    if args.latency:
        server.faults.set("latency", seconds=args.latency)
    url = server.url
    print(f"pdxtui fake portal on {url}")
    print(f"  portal:  arcgis:{url}/hub")
    print(f"  try:     pdxtui --portal arcgis:{url}/hub")
    print(f"  search:  {url}/hub/api/search/v1/collections/dataset/items?q=trees&limit=5")
    print("  layers:")
    for ds in DATASETS.values():
        print(f"    {ds.key:<20} {url}{ds.path}  ({ds.row_count:,} rows, maxRecordCount {ds.max_record_count})")
    from .ckan import CKANApp

    CKANApp(prefix="/ckan").mount(server)
    print(f"  CKAN:    pdxtui --portal ckan:{url}/ckan   ({url}/ckan/api/3/action/package_search?q=budget)")
    from .socrata import SocrataApp

    SocrataApp(prefix="/socrata", regional_prefix="/socrata-regional").mount(server)
    print(f"  Socrata: pdxtui --portal socrata:{url}/socrata   ({url}/socrata/api/catalog/v1?only=dataset&q=food)")
    from .portlandmaps import TEST_KEY, PortlandMapsApp

    maps = PortlandMapsApp()
    maps.mount(server)
    print(
        f"  PortlandMaps (press a in the app): PDXTUI_PORTLANDMAPS_URL={maps.base_url(server)} "
        f"PDXTUI_PORTLANDMAPS_KEY={TEST_KEY} pdxtui --portal demo"
    )
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
