"""Shared fixtures. Every test runs hermetic: its own cache folder and config file, and no portal env vars."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def hermetic(tmp_path, tmp_path_factory, monkeypatch):
    for name in ("PDXTUI_PORTAL", "PDXTUI_APP_TOKEN", "PDXTUI_PORTLANDMAPS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDXTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PDXTUI_CONFIG", str(tmp_path / "config.toml"))
    # logs outside tmp_path: tests that check a folder holds nothing but their files must not see the log
    monkeypatch.setenv("PDXTUI_LOG_DIR", str(tmp_path_factory.getbasetemp() / "logs"))
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.delenv("NO_COLOR")
    yield


@pytest.fixture
def demo_service():
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service

    return Service(BundledPortal(name="demo"))


@pytest.fixture
def fake_arcgis():
    """A started fake ArcGIS portal (tests/fakeportal) on 127.0.0.1; portal string ``arcgis:{server.url}/hub``.
    Stopped after the test."""
    from tests.fakeportal import start_server

    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_portlandmaps(monkeypatch):
    """A started fake PortlandMaps API (tests/fakeportal/portlandmaps.py) on 127.0.0.1. ``PDXTUI_PORTLANDMAPS_URL``
    points at it; the key (``server.apps["portlandmaps"].key``) is left for each test to set. Stopped after the test."""
    from tests.fakeportal.portlandmaps import PortlandMapsApp
    from tests.fakeportal.server import FakeServer

    server = FakeServer()
    app = PortlandMapsApp()
    app.mount(server)
    server.start()
    monkeypatch.setenv("PDXTUI_PORTLANDMAPS_URL", app.base_url(server))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_ckan():
    """A started fake CKAN portal (tests/fakeportal/ckan.py) on 127.0.0.1, at the server's root: portal string
    ``ckan:{server.url}``; the app is ``server.apps["ckan"]``. Stopped after the test."""
    from tests.fakeportal.ckan import start_ckan_server

    server = start_ckan_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_socrata(monkeypatch):
    """A started fake Socrata portal (tests/fakeportal/socrata.py) on 127.0.0.1, at the server's root: portal string
    ``socrata:{server.url}``; the app is ``server.apps["socrata"]``. The regional catalog the portal falls back to
    is pointed at the fake (``{server.url}/regional/api/catalog/v1``), so nothing leaves loopback. Stopped after
    the test."""
    import pdxtui.portals.socrata as socrata
    from tests.fakeportal.socrata import start_socrata_server

    server = start_socrata_server()
    monkeypatch.setattr(socrata, "REGIONAL_CATALOG", server.apps["socrata"].regional_url(server.url))
    try:
        yield server
    finally:
        server.stop()
