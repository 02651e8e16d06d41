"""``pdxtui address TEXT`` and ``pdxtui property ID --detail TYPE``: the PortlandMaps API from the command line.

Both need a PortlandMaps API key (``PDXTUI_PORTLANDMAPS_KEY`` or ``api_key`` in the ``[portlandmaps]`` table of
the config file); without one they exit 1 with a message saying how to get and set it, and send nothing.
Exit codes: 0 ok, 1 runtime error (no key, the API refused, the network failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK = 0
WAIT_NOTE_SECONDS = 2.0  # rate-limit waits at least this long are reported on stderr even when it is not a terminal

_KEY_NOTE = """\
PortlandMaps needs an API key: request one at https://www.portlandmaps.com/development/ and set
PDXTUI_PORTLANDMAPS_KEY, or put it in the config file ({path}, or the --config FILE):
  [portlandmaps]
  api_key = "your-key"
  rate = "200/15min"      # requests per time; the default, as reported (unconfirmed)
Answers are cached for a week; --refresh asks again."""


def register(subparsers: Any, common: Any) -> None:
    """The ``address`` and ``property`` subcommands."""
    from pdxtui.config import default_config_path

    note = _KEY_NOTE.format(path=default_config_path())
    p = subparsers.add_parser(
        "address",
        help="look up addresses with the PortlandMaps API (needs a key)",
        description="Address suggestions from PortlandMaps (/api/suggest/).\n\n" + note,
        epilog='Example:\n  pdxtui address "1120 SW 5th Ave" --json',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("text", nargs="+", help="the address, or the start of it")
    p.add_argument("--count", type=int, default=10, metavar="N", help="suggestions per page (1-1000, default 10)")
    p.add_argument("--page", type=int, default=1, metavar="N", help="page of suggestions (default 1)")
    p.add_argument("--json", action="store_true", help="JSON array on stdout")

    from pdxtui.portlandmaps import DETAIL_TYPES

    p = subparsers.add_parser(
        "property",
        help="property, assessor, zoning or permit details from PortlandMaps (needs a key)",
        description="Details of one property from PortlandMaps (/api/detail/).\n\n" + note,
        epilog="Example:\n  pdxtui property R246993 --detail assessor --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("id", help="the property id (the id column of pdxtui address)")
    p.add_argument("--detail", choices=DETAIL_TYPES, default="property", help="which details (default property)")
    p.add_argument("--json", action="store_true", help="JSON object on stdout")


async def run(args: argparse.Namespace, session: Any, service: Any) -> int:
    from pdxtui.errors import UsageError
    from pdxtui.portlandmaps import open_client
    from pdxtui.textout import dumps
    from pdxtui.textsafe import one_line

    def on_wait(message: str, seconds: float) -> None:
        # A long wait is always said (stderr: a script reading stdout is not disturbed), so that a loop over
        # `pdxtui address` does not seem to hang for up to 15 minutes; short waits only on a terminal.
        if seconds >= WAIT_NOTE_SECONDS or sys.stderr.isatty():
            print(f"pdxtui: {one_line(message)}", file=sys.stderr, flush=True)

    if args.command == "address":
        if not 1 <= args.count <= 1000:
            raise UsageError("--count must be between 1 and 1000")
        if args.page < 1:
            raise UsageError("--page must be at least 1")
    client = open_client(session.config, cache_dir=session.cache_dir, on_wait=on_wait, refresh=args.refresh)
    try:
        if args.command == "address":
            page = await client.suggest(" ".join(args.text), count=args.count, page=args.page)
            if args.json:
                print(dumps([c.as_json() for c in page.candidates]))
            else:
                _print_candidates(page)
        else:
            detail = await client.detail(args.detail, args.id)
            if args.json:
                data = {k: v for k, v in detail.raw.items() if k != "status"}
                print(dumps({"detail_type": detail.detail_type, "detail_id": detail.detail_id, **data}))
            else:
                _print_detail(detail)
        if client.state.source == "cache":
            print("pdxtui: answered from the cache (--refresh asks PortlandMaps again)", file=sys.stderr)
    finally:
        await client.aclose()
    return EXIT_OK


def _print_candidates(page: Any) -> None:
    from pdxtui.textout import table

    rows = [[c.address, c.city, c.zip_code, _coord(c.lat), _coord(c.lon), c.id] for c in page.candidates]
    print(table(["address", "city", "zip", "lat", "lon", "id"], rows, max_width=50))
    total = f" of {page.total:,}" if page.total is not None else ""
    more = f"; --page {page.page + 1} for more" if page.more else ""
    print(f"{len(page.candidates)}{total} suggestions{more}", file=sys.stderr)


def _coord(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _print_detail(detail: Any) -> None:
    from pdxtui.textout import table
    from pdxtui.textsafe import one_line

    first = True
    for section in detail.sections:
        if not first:
            print()
        first = False
        print(f"== {one_line(section.title, 80)} ==")
        if section.is_table:
            rows = [[row.get(c) for c in section.columns] for row in section.rows]
            print(table(list(section.columns), rows, max_width=40))
        elif section.pairs:
            width = min(30, max(len(k) for k, _ in section.pairs))
            for key, value in section.pairs:
                print(f"{one_line(key, 60):<{width}}  {one_line(value, 300)}")
        else:
            print("(none)")
