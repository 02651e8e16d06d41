"""Shared fixtures. Every test runs hermetic: its own cache folder and config file, and no portal env vars."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def hermetic(tmp_path, monkeypatch):
    for name in ("PDXTUI_PORTAL", "PDXTUI_APP_TOKEN", "PDXTUI_PORTLANDMAPS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDXTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PDXTUI_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.delenv("NO_COLOR")
    yield


@pytest.fixture
def demo_service():
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service

    return Service(BundledPortal(name="demo"))
