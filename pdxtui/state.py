"""What the app remembers between runs (the export dialog's last folder, format, scope and provenance choice):
small JSON files in the user state folder (``~/.local/state/pdxtui`` on Linux; ``PDXTUI_STATE_DIR`` overrides it).

Best effort, both ways: a missing, unreadable or corrupt file reads as "nothing remembered", and a file that cannot
be written is logged and forgotten. Remembering must never stop what the user is doing.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from pdxtui.statedir import ENV_STATE_DIR, state_dir

__all__ = ["ENV_STATE_DIR", "load_state", "save_state", "state_dir", "state_path"]

log = logging.getLogger(__name__)

MAX_BYTES = 64_000  # a state file is a few hundred bytes: anything larger is not ours


def state_path(name: str) -> Path:
    """The file that keeps the state called ``name`` (``export`` → ``<state folder>/export.json``)."""
    return state_dir() / f"{name}.json"


def load_state(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The remembered values in ``path`` ({} when there is no file, or it cannot be read or is not a JSON object)."""
    if path is None:
        return {}
    try:
        raw = Path(path).read_bytes()[: MAX_BYTES + 1]
        if len(raw) > MAX_BYTES:
            raise ValueError("too large")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        if not isinstance(exc, FileNotFoundError):
            log.warning("ignored the state file %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def save_state(path: str | os.PathLike[str] | None, data: dict[str, Any], what: str = "the state file") -> bool:
    """Keep ``data`` in ``path`` (atomically: the old file stays whole until the new one is complete). False when
    it could not be written (logged, naming ``what`` was kept); never raises for a file-system problem."""
    if path is None:
        return False
    from pdxtui.errors import PdxError
    from pdxtui.export.target import write_text_atomic

    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_text_atomic(target, json.dumps(data, ensure_ascii=False, indent=1) + "\n", overwrite=True)
    except (OSError, PdxError, TypeError, ValueError) as exc:
        log.warning("could not keep %s (%s): %s", what, path, exc)
        return False
    return True
