"""Command line: with no subcommand it runs the TUI; subcommands script the same service layer.

Exit codes: 0 success, 1 runtime error (unknown dataset, portal failure), 2 usage error.
Results go to stdout (``--json`` for machines); diagnostics go to stderr.

Each subcommand lives in a module of this package (see ``COMMANDS``) that is imported only when its command is
named (all of them for ``--help``): start-up stays quick.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from pdxtui import __version__
from pdxtui.errors import NotFound, PdxError, UsageError
from pdxtui.textsafe import one_line

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

#: Each subcommand and the module of this package that defines it, in the order ``--help`` lists them. A module
#: has ``register(subparsers, common)``, which adds the parsers of its commands (``common(parser, top=False)``
#: adds --portal/--cache-dir/--config/--refresh/--debug), and ``async run(args, session, service) -> int``. The
#: modules must stay cheap to import (no polars at import).
COMMANDS: dict[str, str] = {
    "search": "browse",
    "show": "browse",
    "preview": "browse",
    "portals": "portals",
    "cache": "cache",
    "export": "export",
    "draft": "draft",
    "cite": "cite",
    "sql": "sql",
    "log": "log",
    "changes": "changes",
    "address": "portlandmaps",
    "property": "portlandmaps",
    "open": "tui",
    "bookmark": "memory",
    "recent": "memory",
}
#: Commands that need no portal: their ``run(args, session)`` gets no service. (A command's parser may say the
#: same of one of its actions with ``set_defaults(offline=True)``: ``bookmark list`` and ``bookmark remove``.)
OFFLINE = ("portals", "cache", "log", "recent")
#: Commands that start the full-screen browser (``tui.launch``) instead of ``run``.
BROWSER = ("open",)
#: Registered whatever the command line, so that a mistyped command lists them (as it always has).
_ALWAYS = ("browse", "portals", "cache", "tui")


class _Parser(argparse.ArgumentParser):
    def format_help(self) -> str:
        if callable(self.epilog):  # a command's long epilog is made only when its help is shown
            self.epilog = self.epilog()
        return super().format_help()

    def error(self, message: str) -> Any:  # one line and exit 2, as argparse does, but without the usage dump
        self.exit(EXIT_USAGE, f"pdxtui: {message} (see pdxtui --help)\n")


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--portal",
        default=default,
        metavar="NAME|KIND:URL",
        help="portal profile (demo, portland, ...) or KIND:URL, e.g. arcgis:https://gis-pdx.opendata.arcgis.com",
    )
    parser.add_argument(
        "--cache-dir",
        default=default,
        metavar="DIR",
        help="cache folder (default: the user cache dir, or $PDXTUI_CACHE_DIR)",
    )
    parser.add_argument(
        "--config",
        default=default,
        metavar="FILE",
        help="config file (default: the user config dir, or $PDXTUI_CONFIG)",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="skip fresh cache entries and ask the portal again",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="write detailed (DEBUG) records to the log file (see README: Troubleshooting)",
    )


def _module(name: str) -> ModuleType:
    import importlib

    return importlib.import_module(f"{__name__}.{name}")


def _modules_for(words: Sequence[str] | None) -> list[str]:
    """The command modules a command line needs: all of them for ``--help`` (or no command line), none for a
    leading ``--version`` (argparse prints it and exits before it reads on) or when no word can be a command
    (``pdxtui``, ``pdxtui --portal demo``: the browser, which starts sooner without them), else those of the
    commands it names, beside the few always registered."""
    every = list(dict.fromkeys(COMMANDS.values()))
    if words is None or any(w in ("-h", "--help") for w in words):
        return every
    if words[:1] == ["--version"] or not _may_name_a_command(words):
        return []
    named = {COMMANDS[w] for w in words if w in COMMANDS}
    return [m for m in every if m in named or m in _ALWAYS]


#: the top-level options that take a value as the next word
_VALUED = ("--portal", "--cache-dir", "--config", "--open")


def _may_name_a_command(words: Sequence[str]) -> bool:
    """Whether a word of ``words`` is in a command's place: neither an option nor the value after one. (An
    abbreviated option, ``--port demo``, counts its value as such a word: the parser is then built as before.)"""
    value_next = False
    for word in words:
        if value_next:
            value_next = False
        elif word.startswith("-") and word != "-" and word != "--":
            value_next = word in _VALUED
        else:
            return True
    return False


def build_parser(words: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for the command line ``words`` (``None``: every subcommand, as ``--help`` shows them)."""
    parser = _Parser(
        prog="pdxtui",
        description="Browse the City of Portland's open data (and other open-data portals) in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"pdxtui {__version__}")
    parser.add_argument(
        "--open", metavar="ID", help="start the browser with this dataset open (the same as: pdxtui open ID)"
    )
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _modules_for(words):
        _module(name).register(sub, _common)
    return parser


async def _run(args: argparse.Namespace) -> int:
    from pdxtui.session import open_session

    session = open_session(portal=args.portal, cache_dir=args.cache_dir, config_path=args.config)
    for warning in session.warnings:
        print(f"pdxtui: warning: {one_line(warning)}", file=sys.stderr)
    printed = len(session.warnings)
    command = _module(COMMANDS[args.command])
    if args.command in OFFLINE or getattr(args, "offline", False):
        return int(await command.run(args, session))

    def on_wait(message: str, seconds: float) -> None:
        if sys.stderr.isatty():  # a person is watching: say why it is slow; scripts get one final line only
            print(f"pdxtui: {one_line(message)}", file=sys.stderr)

    service = session.service(refresh=args.refresh, on_wait=on_wait)
    try:
        return int(await command.run(args, session, service))
    finally:
        _late_warnings(session, service, printed)
        await service.aclose()


def _late_warnings(session: Any, service: Any, printed: int) -> None:
    """Warnings that came up while the command ran: the cache opens on the first fetch (and may turn itself off
    when it finds its database damaged)."""
    warnings = list(session.warnings)
    late = service.cache_warning()
    if late and late not in warnings:
        warnings.append(late)
    for warning in warnings[printed:]:
        print(f"pdxtui: warning: {one_line(warning)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(words).parse_args(words)
    from pdxtui.logs import setup_logging

    setup_logging(debug=args.debug)
    try:
        if args.command is None or args.command in BROWSER:
            return int(_module(COMMANDS["open"]).launch(args))
        if args.open is not None:
            raise UsageError(f"--open starts the browser; it does not go with the {args.command} command")
        import asyncio

        return asyncio.run(_run(args))
    except UsageError as exc:
        print(f"pdxtui: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (NotFound, PdxError) as exc:
        print(f"pdxtui: {one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed early (pdxtui search | head): not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
