"""Shared fixtures. Every test runs hermetic: its own cache folder and config file, and no portal env vars."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest


def pytest_addoption(parser, pluginmanager):
    """With ``-p no:xdist`` (one process, as when running a file or two), the ``-n``/``--dist`` that addopts in
    pyproject.toml holds would be unknown options: accept them, and do nothing with them."""
    if pluginmanager.is_blocked("xdist") or not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist (off)")
        # _addoption: pytest keeps lowercase short options for itself and for plugins; xdist registers -n this way
        group._addoption("-n", "--numprocesses", dest="numprocesses", default=None, help="ignored: xdist is off")
        group.addoption("--dist", dest="dist", default="no", help="ignored: xdist is off")


#: The folders in the order their tests are handed to the xdist workers: the Textual pilots (seconds each) first, so
#: that the run ends on short tests and no worker is left alone with a long one while the others idle. Inside a
#: folder, the files that hold the longest tests (the key and footer walks, the hostile walk) lead.
RUN_FIRST = (
    "tests/ui/test_ui_keys.py",
    "tests/faults/test_hostile.py",
    "tests/ui/",
    "tests/snapshots/",
    "tests/faults/",
)


def _run_order(item) -> int:
    path = item.nodeid.split("::")[0]
    return next((i for i, prefix in enumerate(RUN_FIRST) if path.startswith(prefix)), len(RUN_FIRST))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.serial`` tests share one xdist group: they run one after another on one worker. Under xdist,
    the long tests are handed out first (``RUN_FIRST``; a stable sort: the order inside a file stays)."""
    if not config.pluginmanager.has_plugin("xdist"):  # one process: they run one after another anyway
        return
    items.sort(key=_run_order)
    for item in items:
        if item.get_closest_marker("serial"):
            item.add_marker(pytest.mark.xdist_group("serial"))


def pytest_collection_finish(session):
    """The collector's schedule for a test run: what is alive once the tests are collected (modules, test items) is
    frozen out of the collector's sight, and the youngest generation is collected every 10,000 allocations instead of
    700. A Textual pilot allocates millions of short-lived objects; at the default, the collector walked the whole
    heap so often that it took a seventh to a quarter of a pilot test's CPU time (BENCHMARKS.md, "Test suite").
    Garbage is still collected, only in fewer, larger passes; no test depends on when."""
    share_parsed_css()
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


#: parsed Textual CSS, shared by every app the test process starts (:func:`share_parsed_css`)
_PARSED_CSS: dict[tuple, list] = {}


def share_parsed_css() -> None:
    """Every Textual app parses its stylesheets again: each app start (about 90 parses, a seventh of the start's CPU),
    and each ``reparse`` (a screen's first push, :func:`pdxtui.ui.startup.load_later_css`) parses every source anew,
    in a fresh ``Stylesheet`` with an empty cache. Textual already keeps the rule sets a parse made, per stylesheet,
    keyed on the source and where it was read from (``Stylesheet._parse_rules``); this keeps them per test process,
    keyed also on the variables the parse substituted (the theme). Rule sets are not changed once parsed (textual
    hands the same ones out again itself), so an app gets the rules it would have parsed; a broken stylesheet is
    still refused (the caller checks each rule's errors). Pilot tests only: the app itself parses as before."""
    from textual.css.stylesheet import Stylesheet

    parse_rules = Stylesheet._parse_rules
    if getattr(parse_rules, "shared", False):
        return

    def shared_parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(sorted(self._variables.items())))
        rules = _PARSED_CSS.get(key)
        if rules is None:
            rules = _PARSED_CSS[key] = parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        return rules

    shared_parse_rules.shared = True  # type: ignore[attr-defined]  # a marker: patched once per process
    Stylesheet._parse_rules = shared_parse_rules  # type: ignore[method-assign]  # the sharing this function is for


@pytest.fixture(autouse=True)
def hermetic(tmp_path, tmp_path_factory, monkeypatch):
    for name in ("PDXTUI_PORTAL", "PDXTUI_APP_TOKEN", "PDXTUI_PORTLANDMAPS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDXTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PDXTUI_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("PDXTUI_STATE_DIR", str(tmp_path / "state"))  # what the export dialog remembers
    monkeypatch.setenv("PDXTUI_DATA_DIR", str(tmp_path / "data"))  # recents, bookmarks, fingerprints
    # logs outside tmp_path: tests that check a folder holds nothing but their files must not see the log
    monkeypatch.setenv("PDXTUI_LOG_DIR", str(tmp_path_factory.getbasetemp() / "logs"))
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.delenv("NO_COLOR")
    yield


#: the folders whose tests read what the app told (``app._notifications``): there a notification lasts the whole test
LASTING_NOTIFICATIONS = ("ui", "faults")


@pytest.fixture(autouse=True)
def lasting_notifications(request, monkeypatch):
    """In pilot and fault tests a notification lasts the whole test: Textual drops one from ``app._notifications``
    once its 4-10 s are up, and on a loaded machine a test may look later than that."""
    if request.path.parent.name in LASTING_NOTIFICATIONS:
        from tests.support.uihelpers import stretch_notifications

        stretch_notifications(monkeypatch)


@pytest.fixture
def quick_retries():
    """Retries without sleeping between attempts, at most 3 (``pytestmark = pytest.mark.usefixtures(...)``)."""
    import stamina

    with stamina.set_testing(True, attempts=3, cap=True):
        yield


@pytest.fixture
def demo_service():
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service

    return Service(BundledPortal(name="demo"))


class _FakeServers:
    """One fake server per portal kind and test process, started on first use and shared by the tests that ask
    for it: a test gets it back as if just started (no faults, an empty request log, fresh apps), so what one test
    switches on or changes is never seen by the next (tests/portals/test_fakeportal.py proves it). A test that stops its
    server gets a new one next time."""

    def __init__(self) -> None:
        self._servers: dict[str, Any] = {}

    def get(self, kind: str, make_app: Callable[[], Any]) -> Any:
        from tests.support.fakeportal.server import FakeServer

        server = self._servers.get(kind)
        if server is None or not server.running:
            server = self._servers[kind] = FakeServer().start()
        return server.reset(make_app())

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()


@pytest.fixture(scope="session")
def _fake_servers():
    servers = _FakeServers()
    try:
        yield servers
    finally:
        servers.stop()


def _shared(servers: _FakeServers, kind: str, make_app: Callable[[], Any]) -> Iterator[Any]:
    server = servers.get(kind, make_app)
    try:
        yield server
    finally:
        if server.running:  # nothing a test switched on outlives it (a late request from its workers included)
            server.reset(make_app())


@pytest.fixture
def fake_arcgis(_fake_servers):
    """A started fake ArcGIS portal (tests/fakeportal) on 127.0.0.1; portal string ``arcgis:{server.url}/hub``.
    Shared by the tests of this process, reset before and after each."""
    from tests.support.fakeportal.arcgis import ArcGISApp

    yield from _shared(_fake_servers, "arcgis", ArcGISApp)


@pytest.fixture
def fake_portlandmaps(_fake_servers, monkeypatch):
    """A started fake PortlandMaps API (tests/support/fakeportal/portlandmaps.py) on 127.0.0.1.
    ``PDXTUI_PORTLANDMAPS_URL`` points at it; the key (``server.apps["portlandmaps"].key``) is left for each test
    to set. Shared by the tests of this process, reset before and after each."""
    from tests.support.fakeportal.portlandmaps import PortlandMapsApp

    for server in _shared(_fake_servers, "portlandmaps", PortlandMapsApp):
        monkeypatch.setenv("PDXTUI_PORTLANDMAPS_URL", server.apps["portlandmaps"].base_url(server))
        yield server


@pytest.fixture
def fake_ckan(_fake_servers):
    """A started fake CKAN portal (tests/support/fakeportal/ckan/) on 127.0.0.1, at the server's root: portal string
    ``ckan:{server.url}``; the app is ``server.apps["ckan"]``. Shared by the tests of this process, reset before
    and after each."""
    from tests.support.fakeportal.ckan import CKANApp

    yield from _shared(_fake_servers, "ckan", CKANApp)


@pytest.fixture
def fake_socrata(_fake_servers, monkeypatch):
    """A started fake Socrata portal (tests/support/fakeportal/socrata/) on 127.0.0.1, at the server's root: portal
    string ``socrata:{server.url}``; the app is ``server.apps["socrata"]``. The regional catalog the portal falls
    back to is pointed at the fake (``{server.url}/regional/api/catalog/v1``), so nothing leaves loopback. Shared by
    the tests of this process, reset before and after each."""
    import pdxtui.portals.socrata as socrata
    from tests.support.fakeportal.socrata import SocrataApp

    for server in _shared(_fake_servers, "socrata", SocrataApp):
        monkeypatch.setattr(socrata, "REGIONAL_CATALOG", server.apps["socrata"].regional_url(server.url))
        yield server


#: the moment freshness is judged at in screens that are snapshotted (pdxtui.freshness.clock)
FIXED_NOW = "2026-12-03T12:00:00+00:00"


@pytest.fixture
def fixed_freshness_clock(monkeypatch) -> None:
    """Freshness judged at :data:`FIXED_NOW`, not the wall clock: a snapshot of a live portal's marks and lines
    ("overdue by 29 weeks") stays the same tomorrow. (The bundled sample is judged at its snapshot date anyway.)"""
    from datetime import datetime

    from pdxtui import freshness

    monkeypatch.setattr(freshness, "clock", lambda: datetime.fromisoformat(FIXED_NOW))
