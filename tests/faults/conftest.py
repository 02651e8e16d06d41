"""Fixtures of the fault tests."""

from __future__ import annotations

import pytest

from tests.support.uihelpers import stretch_notifications


@pytest.fixture(autouse=True)
def lasting_notifications(monkeypatch):
    """Every test here: a notification lasts the whole test (what was told is checked whatever the machine's load)."""
    stretch_notifications(monkeypatch)
