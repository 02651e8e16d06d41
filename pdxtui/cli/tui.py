"""``pdxtui`` (no command), ``pdxtui open ID`` and ``pdxtui --open ID``: the full-screen browser.

The browser needs a terminal on stdin, stdout and stderr (Textual draws on stderr and reads keys from stdin); run
from a script, a pipe or a dumb terminal it would write escape codes until killed, so it exits 2 with a one-line
hint naming the commands that work there instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from pdxtui.errors import UsageError

#: what works without a terminal (the hint names them)
_INSTEAD = "use the commands: pdxtui search, show, preview, export, draft (pdxtui --help lists all)"


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "open",
        help="start the browser with one dataset open (the same as pdxtui --open ID)",
        description="Start the full-screen browser with the dataset ID open and the grid focused, ready for\n"
        "its keys (f filter, s sort, m map, ...). An id the portal does not know is said in the browser,\n"
        "which stays open. Like every dataset opened in the browser, it is recorded among the recent\n"
        "datasets (pdxtui recent). Needs a terminal: from a script, use search, show, preview or export.",
        epilog="Examples:\n"
        "  pdxtui search heritage trees                    # the id column gives ID\n"
        "  pdxtui --portal demo open 9f50a605cf4945259b983fa35c993fe9_125   # Neighborhoods, bundled sample",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("id", metavar="ID", help="the dataset to open (the id column of pdxtui search)")


def no_terminal_reason(environ: Any = None) -> str:
    """Why the full-screen browser cannot run here ("" when it can)."""
    environ = os.environ if environ is None else environ
    if environ.get("TERM", "").strip().lower() == "dumb":  # no cursor addressing: a TUI would be garbage
        return "TERM=dumb: this terminal cannot show the full-screen browser"
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        try:
            tty = stream is not None and stream.isatty()
        except (AttributeError, ValueError):  # closed, or replaced by an object that is no file
            tty = False
        if not tty:
            return f"the browser needs a terminal and {name} is not one (a pipe or a file)"
    return ""


def launch(args: argparse.Namespace) -> int:
    """Run the browser (with ``args.id`` or ``--open`` open, if given); UsageError when it cannot run here."""
    reason = no_terminal_reason()
    if reason:
        raise UsageError(f"{reason}; {_INSTEAD}")
    import gc

    # Start-up allocates much and frees little: collecting during it only costs. The browser turns the collector
    # back on once the catalog has painted (pdxtui.ui.startup); here, whatever happens.
    gc.disable()
    try:
        from pdxtui.session import open_session

        session = open_session(portal=args.portal, cache_dir=args.cache_dir, config_path=args.config)
        from pdxtui.ui.app import run_app

        open_id = getattr(args, "id", None) if args.command == "open" else args.open
        return run_app(session, open_id=open_id.strip() if open_id and open_id.strip() else None)
    finally:
        gc.enable()
