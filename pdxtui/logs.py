"""Logging goes to a rotating file in the user log folder, never to the terminal (the TUI owns it)."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_NAME = "pdxtui.log"


def log_dir() -> Path:
    from platformdirs import user_log_dir

    return Path(os.environ.get("PDXTUI_LOG_DIR") or user_log_dir("pdxtui", appauthor=False))


def setup_logging(debug: bool = False) -> Path | None:
    """Send pdxtui's log records to ``<log dir>/pdxtui.log`` (1 MB × 3 files). Returns the file, or None when it
    cannot be written (then records are dropped: they must never reach the screen)."""
    # Every logger (ours, and libraries' such as stamina's retry notices) goes to the file: anything that reached
    # the terminal would scribble over the TUI, and would clutter the CLI's stderr.
    logging.getLogger("pdxtui").setLevel(logging.DEBUG if debug else logging.INFO)
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    for old in list(root.handlers):
        root.removeHandler(old)
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / LOG_NAME
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
