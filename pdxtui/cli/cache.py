"""``pdxtui cache info|clear``: inspect or empty the on-disk cache."""

from __future__ import annotations

import argparse
import time
from typing import Any

from pdxtui.textout import dumps, fmt_time, human_age, human_bytes
from pdxtui.textsafe import one_line

EXIT_OK = 0


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "cache",
        help="inspect or empty the on-disk cache",
        description="Portal answers are kept on disk (catalog for an hour, metadata and rows for a day, by\n"
        "default), so that browsing again is quick and works offline. info shows where, how big and how old;\n"
        "clear empties it. --cache-dir or $PDXTUI_CACHE_DIR choose another folder.",
        epilog="Examples:\n  pdxtui cache info\n  pdxtui cache clear\n  pdxtui cache info --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("action", choices=["info", "clear"], help="info: where, how big, how old; clear: empty it")
    p.add_argument("--json", action="store_true", help="JSON object on stdout (info)")


async def run(args: argparse.Namespace, session: Any) -> int:
    store = session.store()
    try:
        if args.action == "clear":
            removed = store.clear()
            print(f"cache cleared: {removed} entries removed from {store.path}")
            return EXIT_OK
        info = store.info()
        if args.json:
            print(dumps(info))
        else:
            oldest = info.get("oldest_stored_at")
            rows = [
                ("location", info["path"]),
                ("size", f"{human_bytes(info['size_bytes'])} of {human_bytes(info['size_limit'])} allowed"),
                ("entries", f"{info['entries']:,}"),
                (
                    "oldest entry",
                    "none" if oldest is None else f"{fmt_time(oldest)} ({human_age(time.time() - oldest)} ago)",
                ),
            ]
            if not info.get("enabled", True):
                rows.append(("state", "disabled: " + one_line(info.get("warning", ""))))
            for key, value in rows:
                print(f"{key + ':':14}{value}")
    finally:
        store.close()
    return EXIT_OK
