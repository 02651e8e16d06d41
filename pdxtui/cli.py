"""Command line: with no subcommand it runs the TUI; subcommands script the same service layer.

Exit codes: 0 success, 1 runtime error (unknown dataset, portal failure), 2 usage error.
Results go to stdout (``--json`` for machines); diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from pdxtui import __version__
from pdxtui.errors import NotFound, PdxError, UsageError
from pdxtui.model import Dataset, SearchRequest
from pdxtui.textout import dumps, fmt_count, fmt_date, fmt_time, human_age, human_bytes, table
from pdxtui.textsafe import clean, one_line

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
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


EXTENSION_NAMES = (
    "export",
    "draft",
    "address",
    "property",
)  # the NAME of each module in EXTENSIONS, so the TUI need not import them


def build_parser(*, extensions: bool = True) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pdxtui",
        description="Browse the City of Portland's open data (and other open-data portals) in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"pdxtui {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("search", help="search the catalog")
    _common(p, top=False)
    p.add_argument("query", nargs="*", help="words to look for (none: the whole catalog)")
    p.add_argument("--limit", type=int, default=20, help="how many hits (default 20)")
    p.add_argument("--owner", help="only datasets of this publishing bureau")
    p.add_argument("--category", help="only datasets in this category")
    p.add_argument("--tag", help="only datasets with this tag")
    p.add_argument("--json", action="store_true", help="JSON array on stdout")

    p = sub.add_parser("show", help="metadata and schema of one dataset")
    _common(p, top=False)
    p.add_argument("id", help="dataset id")
    p.add_argument("--json", action="store_true", help="JSON object on stdout")

    p = sub.add_parser("preview", help="the first rows of a dataset")
    _common(p, top=False)
    p.add_argument("id", help="dataset id")
    p.add_argument("--rows", type=int, default=10, help="how many rows (default 10)")
    p.add_argument("--json", action="store_true", help="JSON array of records on stdout")

    p = sub.add_parser("portals", help="list the portal profiles (built in and from the config file)")
    _common(p, top=False)
    p.add_argument("--json", action="store_true", help="JSON array on stdout")

    p = sub.add_parser("cache", help="inspect or empty the on-disk cache")
    _common(p, top=False)
    p.add_argument("action", choices=["info", "clear"])
    p.add_argument("--json", action="store_true")
    if extensions:
        for module in _extensions():
            module.register(sub, _common)
    return parser


#: Subcommands that live in modules of their own. Each has ``NAME``, ``register(subparsers, common)`` (adds its
#: parser; ``common(parser, top=False)`` adds --portal/--cache-dir/--config/--refresh) and
#: ``async run(args, session, service) -> int``. Their modules must stay cheap to import (no polars at import).
EXTENSIONS = ("pdxtui.cli_export", "pdxtui.cli_draft", "pdxtui.cli_portlandmaps", "pdxtui.cli_property")


def _extensions() -> list[Any]:
    import importlib

    found = []
    for name in EXTENSIONS:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found


# ---------------------------------------------------------------------------------------------------------------
# helpers shared by the subcommands


def _summary_json(hit: Any) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "owner": hit.owner,
        "updated": hit.updated,
        "rows": hit.rows,
        "type": hit.type,
        "categories": list(hit.categories),
        "tags": list(hit.tags),
    }


def dataset_json(ds: Dataset) -> dict[str, Any]:
    return {
        "id": ds.id,
        "title": ds.title,
        "owner": ds.owner,
        "description": ds.description,
        "licence": ds.licence,
        "update_frequency": ds.update_frequency,
        "updated": ds.updated,
        "created": ds.created,
        "rows": ds.rows,
        "sample": ds.sample,
        "page_url": ds.page_url,
        "api_url": ds.api_url,
        "links": [{"label": link.label, "url": link.url} for link in ds.links],
        "categories": list(ds.categories),
        "tags": list(ds.tags),
        "geometry_type": ds.geometry_type,
        "resource": ds.resource,
        "resources": [
            {
                "id": r.id,
                "name": r.name,
                "format": r.format,
                "url": r.url,
                "tabular": r.tabular,
                "datastore": r.datastore,
                "shown": r.id == ds.resource,
            }
            for r in ds.resources
        ],
        "fields": [
            {"name": f.name, "type": f.type, "kind": f.kind, "alias": f.alias, "description": f.description}
            for f in ds.fields
        ],
    }


def _show_text(ds: Dataset) -> str:
    lines = [one_line(ds.title)]
    if ds.sample:
        lines.append("(bundled SAMPLE data: generated rows, not the publisher's)")
    facts = [
        ("id", ds.id),
        ("owner", ds.owner),
        ("licence", ds.licence),
        ("updates", ds.update_frequency),
        ("last updated", fmt_date(ds.updated)),
        ("rows", fmt_count(ds.rows)),
        ("page", ds.page_url),
        ("API", ds.api_url),
    ] + [(link.label, link.url) for link in ds.links if link.url not in (ds.page_url, ds.api_url)]
    lines += [f"{k + ':':14} {one_line(v)}" for k, v in facts if v]
    if ds.description:
        lines += ["", clean(ds.description)]
    if ds.resources:
        rows = [
            [
                "*" if r.id == ds.resource else "",
                r.id,
                r.name,
                r.format,
                "datastore" if r.datastore else "CSV file" if r.tabular else "none",
            ]
            for r in ds.resources
        ]
        lines += ["", table(["", "resource", "name", "format", "preview"], rows, max_width=60)]
        if sum(r.tabular for r in ds.resources) > 1:
            lines.append("* rows shown; another resource: pdxtui show PACKAGE/RESOURCE_ID")
    lines += [
        "",
        table(
            ["field", "type", "alias", "description"],
            [[f.name, f.type, f.alias, f.description] for f in ds.fields],
            max_width=60,
        ),
    ]
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> int:
    from pdxtui.session import open_session

    session = open_session(portal=args.portal, cache_dir=args.cache_dir, config_path=args.config)
    for warning in session.warnings:
        print(f"pdxtui: warning: {one_line(warning)}", file=sys.stderr)
    printed = len(session.warnings)
    if args.command == "cache":
        return _cache(session, args)
    if args.command == "portals":
        return _portals(session, args)

    def on_wait(message: str, seconds: float) -> None:
        if sys.stderr.isatty():  # a person is watching: say why it is slow; scripts get one final line only
            print(f"pdxtui: {one_line(message)}", file=sys.stderr)

    service = session.service(refresh=args.refresh, on_wait=on_wait)
    try:
        extension = next((m for m in _extensions() if args.command == m.NAME), None)
        if extension is not None:
            return await extension.run(args, session, service)
        if args.command == "search":
            if args.limit < 1:
                raise UsageError("--limit must be at least 1")
            req = SearchRequest(
                text=" ".join(args.query), owner=args.owner, category=args.category, tag=args.tag, limit=args.limit
            )
            result = await service.search(req)
            if args.json:
                print(dumps([_summary_json(h) for h in result.hits]))
            else:
                rows = [[h.id, h.title, h.owner, fmt_date(h.updated), fmt_count(h.rows)] for h in result.hits]
                print(table(["id", "title", "owner", "updated", "rows"], rows))
                print(f"{len(result.hits)} of {fmt_count(result.total)} datasets", file=sys.stderr)
        elif args.command == "show":
            ds = await service.dataset(args.id)
            print(dumps(dataset_json(ds)) if args.json else _show_text(ds))
        elif args.command == "preview":
            if args.rows < 0:
                raise UsageError("--rows must not be negative")
            ds = await service.dataset(args.id)
            preview = await service.preview(ds, rows=args.rows)
            if args.json:
                print(dumps(preview.frame.to_dicts()))
            else:
                print(table(preview.frame.columns, preview.frame.rows()))
                note = " (SAMPLE data)" if ds.sample else ""
                print(f"Showing {preview.shown:,} of {fmt_count(preview.total)} rows{note}", file=sys.stderr)
        state = service.portal.state
        if state.source == "stale":
            print(
                f"pdxtui: warning: offline, showing a copy cached {human_age(state.age_seconds or 0)} ago"
                f" ({one_line(state.reason, 200)})",
                file=sys.stderr,
            )
    finally:
        _late_warnings(session, service, printed)
        await service.aclose()
    return EXIT_OK


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


def _portals(session: Any, args: argparse.Namespace) -> int:
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
    print(table(["", "name", "kind", "url", "from", "about"], rows, max_width=70))
    print(
        "* opens when --portal is not given. Any KIND:URL works too, e.g. --portal socrata:https://data.example.gov",
        file=sys.stderr,
    )
    return EXIT_OK


def _late_warnings(session: Any, service: Any, printed: int) -> None:
    """Warnings that came up while the command ran: the cache opens on the first fetch (and may turn itself off
    when it finds its database damaged)."""
    warnings = list(session.warnings)
    fetcher = getattr(service.portal, "_fetcher", None)
    late = getattr(getattr(fetcher, "store", None), "warning", "")
    if isinstance(late, str) and late and late not in warnings:
        warnings.append(late)
    for warning in warnings[printed:]:
        print(f"pdxtui: warning: {one_line(warning)}", file=sys.stderr)


def _cache(session: Any, args: argparse.Namespace) -> int:
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


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # the subcommands in modules of their own are only loaded when asked for (or for --help): start-up stays quick
    wanted = any(w in EXTENSION_NAMES or w in ("-h", "--help") for w in words)
    parser = build_parser(extensions=wanted)
    args = parser.parse_args(words)
    from pdxtui.logs import setup_logging

    setup_logging(debug=args.debug)
    try:
        if args.command is None:
            if os.environ.get("TERM", "").strip().lower() == "dumb":  # no cursor addressing: a TUI would be garbage
                raise UsageError(
                    "TERM=dumb: this terminal cannot show the full-screen browser; use the commands "
                    "(pdxtui search, show, preview, export) or run it in a full terminal"
                )
            from pdxtui.session import open_session

            session = open_session(portal=args.portal, cache_dir=args.cache_dir, config_path=args.config)
            from pdxtui.ui.app import run_app

            return run_app(session)
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
