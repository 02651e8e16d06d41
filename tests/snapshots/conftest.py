"""Every snapshot judges freshness at a fixed moment (``fixed_freshness_clock``, tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fixed_freshness(fixed_freshness_clock) -> None:
    return None
