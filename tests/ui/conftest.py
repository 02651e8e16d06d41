"""Fixtures of the Pilot tests."""

from __future__ import annotations

import pytest

from tests.support.uihelpers import demo_ids


@pytest.fixture(scope="session")
def ids() -> dict[str, str]:
    """The bundled portal's dataset ids by title."""
    return demo_ids()
