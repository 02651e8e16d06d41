"""``pdxtui portals``: the portal profiles --portal accepts (built in and from the config file)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pdxtui.textout import dumps, table

EXIT_OK = 0


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "portals",
        help="list the portal profiles (built in and from the config file)",
        description="The portal profiles --portal accepts: those built in and those of the [portals] table of\n"
        "the config file. * marks the one opened without --portal. Any KIND:URL works too (arcgis, socrata,\n"
        "ckan), without a profile.",
        epilog="Examples:\n"
        "  pdxtui portals\n"
        "  pdxtui portals --json\n"
        "  pdxtui --portal socrata:https://data.example.gov search parks",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("--json", action="store_true", help="JSON array on stdout")


def portal_profiles(session: Any) -> list[dict[str, Any]]:
    """Every profile --portal accepts: the built-in ones, then those from the config file (which may redefine a
    built-in one). ``default`` marks the one opened without --portal; ``token`` says whether an app token is set
    (never the token itself)."""
    from pdxtui.config import profiles_from_config
    from pdxtui.portals import BUILTIN_PROFILES, PROFILE_NOTES

    configured = profiles_from_config(session.config)
    out = []
    for name in [*BUILTIN_PROFILES, *(n for n in configured if n not in BUILTIN_PROFILES)]:
        spec = configured.get(name) or BUILTIN_PROFILES[name]
        out.append(
            {
                "name": name,
                "kind": spec.kind,
                "url": spec.url,
                "source": "config" if name in configured else "built-in",
                "note": PROFILE_NOTES.get(name, "") if name not in configured else "",
                "default": name == session.spec.name,
                "token": bool(session.config.tokens.get(name) or session.config.portals.get(name, {}).get("token")),
            }
        )
    return out


async def run(args: argparse.Namespace, session: Any) -> int:
    profiles = portal_profiles(session)
    if args.json:
        print(dumps(profiles))
        return EXIT_OK
    rows = [
        [
            "*" if p["default"] else "",
            p["name"],
            p["kind"],
            p["url"] or "(offline, in the package)",
            p["source"] + (", token set" if p["token"] else ""),
            p["note"],
        ]
        for p in profiles
    ]
    # the table first (flushed: stdout may be a pipe that shares stderr's destination), then a blank line and the
    # footnote, so that it does not read as one more row
    print(table(["", "name", "kind", "url", "from", "about"], rows, max_width=70), flush=True)
    print(
        "\n* opens when --portal is not given. Any KIND:URL works too, e.g. --portal socrata:https://data.example.gov",
        file=sys.stderr,
    )
    return EXIT_OK
