"""Where the user state folder is (``~/.local/state/pdxtui`` on Linux; ``PDXTUI_STATE_DIR`` overrides it): on its
own, so that the request log (written from the fetcher, below the portals) finds it without importing what
``state.py`` writes with."""

from __future__ import annotations

import os
from pathlib import Path

ENV_STATE_DIR = "PDXTUI_STATE_DIR"


def state_dir() -> Path:
    env = os.environ.get(ENV_STATE_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_state_dir

    return Path(user_state_dir("pdxtui", appauthor=False))
