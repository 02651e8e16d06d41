"""How the UI tells the user that something failed: one plain line, and one toast. Imports no screen."""

from __future__ import annotations

import logging

from textual.widget import Widget

from pdxtui.errors import PdxError
from pdxtui.textsafe import one_line

#: what a copy to the clipboard adds when it may not have arrived (OSC 52 needs the terminal's help)
CLIPBOARD_HINT = "If nothing arrived: tmux needs `set -g set-clipboard on`."


def error_text(exc: BaseException) -> str:
    """One plain line for the user. Our own errors carry a finished message; others get their type name."""
    if isinstance(exc, PdxError):
        return one_line(str(exc), 500)
    return one_line(f"unexpected error: {type(exc).__name__}: {exc}", 500)


def report_error(node: Widget, exc: BaseException, where: str) -> None:
    """Log an unexpected error (ours are expected) under the module of ``node``, and show it as a toast, never read
    as markup."""
    if not isinstance(exc, PdxError):
        logging.getLogger(type(node).__module__).exception("%s failed", where, exc_info=exc)
    node.notify(error_text(exc), title=f"{where} failed", severity="error", markup=False, timeout=8)
