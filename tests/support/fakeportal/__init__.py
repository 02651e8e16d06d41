"""Fake portals for tests, demos and screenshots: a loopback HTTP server with one app per portal kind.

    from tests.support.fakeportal import start_server
    from tests.support.fakeportal.fixtures import DATASETS

    with start_server() as server:          # or: server = start_server(); ...; server.stop()
        portal = f"arcgis:{server.url}/hub"
        layer = server.url + DATASETS["permits"].path
        server.faults.set("429", path_contains="/query", count=2, retry_after=1)
        server.arcgis.hub_page_cap = 7
        ... server.requests, server.requests_to("/query"), server.reset_log(), server.faults.clear()
        ... server.max_in_flight  (the most requests it answered at one time: a client's per-host limit bounds it)
        server.apps["arcgis"].change("heritage_trees", Change(remove=(3,)))   # changes.py: a dataset changed
        between two looks (the Socrata and CKAN apps have change() too)

Run by hand with ``python -m tests.support.fakeportal [--port N]``.
"""

from __future__ import annotations

from .arcgis import ArcGISApp
from .server import FAULT_KINDS, FakeServer, Fault, Faults, Request

__all__ = ["FAULT_KINDS", "ArcGISApp", "FakeServer", "Fault", "Faults", "Request", "start_server"]


def start_server(
    *, port: int = 0, verbose: bool = False, hub_page_cap: int | None = None, preload: bool = False
) -> FakeServer:
    """Start a FakeServer on 127.0.0.1 with the ArcGIS app mounted (Hub at /hub, REST at /arcgis/rest/services).

    ``port``: 0 lets the OS pick. ``verbose``: log each request to stderr. ``hub_page_cap``: at most this many
    search records per page. ``preload``: generate every fixture's rows now rather than on first request.
    The caller stops it with ``server.stop()`` (or uses it as a context manager).
    """
    server = FakeServer(port=port, verbose=verbose)
    ArcGISApp(hub_page_cap=hub_page_cap).mount(server)
    if preload:
        from .fixtures import DATASETS

        for dataset in DATASETS.values():
            dataset.load()
    return server.start()
