"""``pdxtui bookmark add|remove|list`` and ``pdxtui recent``: the bookmarks and the datasets opened last, kept per
portal in the user data folder (:mod:`pdxtui.memory.store`; ``$PDXTUI_DATA_DIR`` overrides the folder).

``list``, ``remove`` and ``recent`` read and change that file only: they never ask the portal (``--portal`` picks
whose lists). ``add`` asks the portal for the dataset's metadata once (the cache answers when it can; a stale copy
when the portal cannot be reached) to check the id and keep the title and owner.

Exit codes: 0 done; 1 the dataset cannot be checked or is unknown (``add`` without ``--force``), no such bookmark
(``remove``), or the file cannot be read or written; 2 a usage error. Warnings (a damaged file set aside) go to
stderr, once. Portal text (titles, owners) and notes reach the terminal through :mod:`pdxtui.textsafe`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pdxtui.errors import NotFound, PortalError, UsageError
from pdxtui.textsafe import one_line

EXIT_OK, EXIT_ERROR = 0, 1

BOOKMARK_DESCRIPTION = """\
Bookmarks: datasets kept per portal, each with its title, owner, the date it was bookmarked and a
note of yours. The browser lists them too ("Bookmarks" beside the search; b toggles one). They live
in the user data folder ($PDXTUI_DATA_DIR overrides it), in a small file written atomically; a damaged
file is set aside with a warning.

  add ID     check the dataset on the portal (one metadata request, from the cache when it is there) and
             bookmark it; a bookmark that exists is updated (title, owner; the note with --note)
  remove ID  forget the bookmark (exit 1 when there is none)
  list       the bookmarks of this portal, newest first: id, title, owner, date added, note

list and remove need no network. Exit codes: 0 done, 1 error (unknown dataset, no such bookmark, the
file cannot be written), 2 usage error."""

BOOKMARK_EPILOG = """\
--json shapes:
  list   [{"id", "title", "owner", "added" (ISO 8601, UTC), "note"}, ...]
  add    {"id", "title", "owner", "added", "note", "new": true|false, "checked": true|false}
  remove {"id", "removed": true}

Examples:
  pdxtui bookmark add a494697005da9eea74335a369b0e3689_1415 --note 'quarterly pull'
  pdxtui --portal chicago bookmark list --json | jq -r '.[].id'
  pdxtui bookmark remove a494697005da9eea74335a369b0e3689_1415"""

RECENT_DESCRIPTION = """\
The datasets opened last in the browser on this portal (pdxtui, or pdxtui open ID), newest first, at
most 50: id, title, owner, when opened. show, preview and export from scripts are not recorded. Reads
the user data folder only: no network. --clear forgets them (this portal's; bookmarks stay)."""

RECENT_EPILOG = """\
--json: [{"id", "title", "owner", "opened" (ISO 8601, UTC)}, ...]

Examples:
  pdxtui recent
  pdxtui --portal seattle recent --json
  pdxtui recent --clear"""


def register(subparsers: Any, common: Any) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "bookmark",
        help="add, remove or list bookmarked datasets (per portal)",
        description=BOOKMARK_DESCRIPTION,
        epilog=BOOKMARK_EPILOG,
        formatter_class=raw,
    )
    common(p, top=False)
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p), required=True)
    a = actions.add_parser(
        "add",
        help="bookmark a dataset (or update its bookmark)",
        description="Check the dataset on the portal (its metadata: from the cache when it is there, a stale\n"
        "copy when the portal cannot be reached) and bookmark it with its title and owner. A bookmark that\n"
        "exists is updated and keeps its date; --note attaches or replaces its note. A dataset that cannot\n"
        "be checked (the portal unreachable and nothing cached, or it does not know the id) is not\n"
        "bookmarked unless --force is given.",
        epilog=BOOKMARK_EPILOG,
        formatter_class=raw,
    )
    common(a, top=False)
    a.add_argument("id", metavar="ID", help="the dataset (the id column of pdxtui search)")
    a.add_argument("--note", metavar="TEXT", help="a note to keep with it (replaces the note it had; '' removes it)")
    a.add_argument(
        "--force", action="store_true", help="bookmark it even when the portal cannot confirm it (a warning says why)"
    )
    a.add_argument("--json", action="store_true", help="the bookmark as kept, as a JSON object")
    r = actions.add_parser(
        "remove",
        help="forget a bookmark",
        description="Forget the bookmark of ID on this portal (exit 1 when there is none). No network.",
        epilog=BOOKMARK_EPILOG,
        formatter_class=raw,
    )
    common(r, top=False)
    r.add_argument("id", metavar="ID", help="the bookmarked dataset")
    r.add_argument("--json", action="store_true", help='print {"id", "removed": true}')
    r.set_defaults(offline=True)
    li = actions.add_parser(
        "list",
        help="the bookmarks of this portal",
        description="The bookmarks of this portal, newest first: id, title, owner, date added, note (one line\n"
        "each). No network.",
        epilog=BOOKMARK_EPILOG,
        formatter_class=raw,
    )
    common(li, top=False)
    li.add_argument("--json", action="store_true", help="a JSON list on stdout")
    li.set_defaults(offline=True)

    p = subparsers.add_parser(
        "recent",
        help="the datasets opened last in the browser (per portal)",
        description=RECENT_DESCRIPTION,
        epilog=RECENT_EPILOG,
        formatter_class=raw,
    )
    common(p, top=False)
    p.add_argument("--json", action="store_true", help='a JSON list on stdout (with --clear: {"cleared": N})')
    p.add_argument("--clear", action="store_true", help="forget this portal's recent datasets (bookmarks stay)")


async def run(args: argparse.Namespace, session: Any, service: Any = None) -> int:
    from pdxtui.memory.store import Memory, portal_key, spec_key

    memory = Memory()
    # no portal is made for the commands that only read the store: only its key is wanted
    key = portal_key(service.portal) if service is not None else spec_key(session.spec)
    try:
        if args.command == "recent" and args.clear:
            return _clear(args, memory, key)
        if args.command == "recent":
            return _listing(args, memory, key, recent=True)
        if args.action == "list":
            return _listing(args, memory, key, recent=False)
        if args.action == "remove":
            return _remove(args, memory, key)
        return await _add(args, memory, key, service)
    finally:
        for warning in memory.warnings:
            if warning != memory.unreadable:  # that one is the error
                print(f"pdxtui: warning: {one_line(warning)}", file=sys.stderr)


def _listing(args: argparse.Namespace, memory: Any, key: str, *, recent: bool) -> int:
    from pdxtui.memory.store import StoreError
    from pdxtui.textout import dumps, local_time, table

    entries = memory.recent(key) if recent else memory.bookmarks(key)
    if memory.unreadable:  # not "no bookmarks": the file is there and could not be read
        raise StoreError(memory.unreadable)
    if args.json:
        print(dumps([entry_json(e, recent=recent) for e in entries]))
        return EXIT_OK
    what = "recent datasets" if recent else "bookmarks"
    if not entries:
        hint = "open one in the browser: pdxtui" if recent else "add one: pdxtui bookmark add ID"
        print(f"No {what} on {one_line(key)} yet ({hint}).", file=sys.stderr)
        return EXIT_OK
    if recent:
        rows = [[e.id, one_line(e.title, 50), one_line(e.owner, 30), local_time(e.at)] for e in entries]
        head = ["id", "title", "owner", "opened"]
    else:
        rows = [
            [e.id, one_line(e.title, 50), one_line(e.owner, 30), local_time(e.at, minutes=False), one_line(e.note, 60)]
            for e in entries
        ]
        head = ["id", "title", "owner", "added", "note"]
    print(table(head, rows, max_width=300), flush=True)  # the id whole (scripts copy it); the rest cut above
    one = "recent dataset" if recent else "bookmark"
    print(f"{len(entries)} {one if len(entries) == 1 else what} on {one_line(key)}", file=sys.stderr)
    return EXIT_OK


def _clear(args: argparse.Namespace, memory: Any, key: str) -> int:
    cleared = memory.forget_recent(key)
    if args.json:
        from pdxtui.textout import dumps

        print(dumps({"cleared": cleared}))
    else:
        print(f"Cleared {cleared} recent {'dataset' if cleared == 1 else 'datasets'} on {one_line(key)}.")
    return EXIT_OK


def _remove(args: argparse.Namespace, memory: Any, key: str) -> int:
    ident = _id_of(args)
    if not memory.remove_bookmark(key, ident):
        raise NotFound(f"no bookmark {ident!r} on {key} (pdxtui bookmark list shows them)")
    if args.json:
        from pdxtui.textout import dumps

        print(dumps({"id": ident, "removed": True}))
    else:
        print(f"Removed the bookmark {one_line(ident)}.")
    return EXIT_OK


async def _add(args: argparse.Namespace, memory: Any, key: str, service: Any) -> int:
    from pdxtui.cli.browse import warn_if_stale
    from pdxtui.memory.store import Entry

    ident = _id_of(args)
    dataset, problem = None, ""
    try:
        dataset = await service.dataset(ident)
    except NotFound as exc:  # its message names the id
        problem = one_line(exc, 300)
    except PortalError as exc:  # unreachable with nothing cached, or the portal answered with an error
        problem = f"{ident} cannot be checked on the portal: {one_line(exc, 300)}"
    old = memory.bookmark(key, dataset.id if dataset is not None else ident)
    if dataset is None:
        if old is None and not args.force:
            raise PortalError(f"{problem}; not bookmarked (--force bookmarks it unchecked)")
        entry = Entry(ident)
    else:
        warn_if_stale(service)
        entry = Entry(dataset.id, dataset.title, dataset.owner)
    kept = memory.add_bookmark(key, entry, note=args.note)
    if dataset is None:  # said once it is kept (a store that cannot be written is the error instead)
        kept_as = "the bookmark keeps the title and owner it had" if old else "bookmarked unchecked (--force)"
        print(f"pdxtui: warning: {problem}; {kept_as}", file=sys.stderr)
    if args.json:
        from pdxtui.textout import dumps

        print(dumps({**entry_json(kept, recent=False), "new": old is None, "checked": dataset is not None}))
        return EXIT_OK
    title = f": {one_line(kept.title, 80)}" if kept.title else ""
    if old is None:
        said = f"Bookmarked {one_line(kept.id)}{title}"
    else:
        said = f"Updated the bookmark {one_line(kept.id)}{title}" + (
            " (note replaced)" if args.note is not None and kept.note != old.note else ""
        )
    if kept.id != ident:
        said += f" (the portal's id for {one_line(ident)})"
    print(said + ".")
    return EXIT_OK


def _id_of(args: argparse.Namespace) -> str:
    ident = args.id.strip()
    if not ident:
        raise UsageError("give a dataset id (the id column of pdxtui search)")
    return ident


def entry_json(entry: Any, *, recent: bool) -> dict[str, Any]:
    """A recent (``opened``) or a bookmark (``added``, ``note``) as ``--json`` writes it: always the same keys."""
    from pdxtui.textout import iso_utc

    out: dict[str, Any] = {"id": entry.id, "title": entry.title, "owner": entry.owner}
    if recent:
        out["opened"] = iso_utc(entry.at)
    else:
        out["added"] = iso_utc(entry.at)
        out["note"] = entry.note
    return out
