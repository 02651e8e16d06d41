"""Fixtures of the Pilot tests."""

from __future__ import annotations

import pytest

from tests.support.uihelpers import demo_ids, stretch_notifications


@pytest.fixture(scope="session")
def ids() -> dict[str, str]:
    """The bundled portal's dataset ids by title."""
    return demo_ids()


@pytest.fixture(autouse=True)
def lasting_notifications(monkeypatch):
    """Every test here: a notification lasts the whole test (what was told is checked whatever the machine's load)."""
    stretch_notifications(monkeypatch)
