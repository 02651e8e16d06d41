"""Where the user data folder is (``~/.local/share/pdxtui`` on Linux; ``PDXTUI_DATA_DIR`` overrides it): what the
user would miss if it were lost (recent datasets, bookmarks with their notes, the fingerprints that say what
changed), as opposed to the state folder's logs and remembered dialog choices (:mod:`pdxtui.statedir`)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "PDXTUI_DATA_DIR"


def data_dir() -> Path:
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("pdxtui", appauthor=False))
