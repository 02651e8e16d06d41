"""``pdxtui changes [ID…] [--json] [--peek]``: what changed in the bookmarked datasets (or the ids given) since
they were last looked at, for scripts and cron.

Each dataset is read afresh from the portal (never from the disk cache: a cached answer would say "no change"),
fingerprinted (:func:`pdxtui.memory.look.look`: metadata and the row count first, rows only for a dataset under
10,000 rows) and compared with the fingerprint kept at the last look, which the new one then replaces (not with
``--peek``).

Exit codes: 0 nothing changed (first looks included), 3 something changed, 1 a dataset could not be checked (its
last look's fingerprint damaged included; the others are still checked and reported; an error outweighs a change)
or the bookmarks could not all be read (a damaged file: those that read are checked), 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdxtui.memory.look import Look
    from pdxtui.memory.store import Memory

EXIT_OK, EXIT_ERROR, EXIT_CHANGED = 0, 1, 3
FIRST_LOOK = "first look: fingerprint kept, nothing to compare yet"
FIRST_PEEK = "first look: nothing to compare yet (--peek: no fingerprint kept)"
#: ids of added, removed or changed rows listed in the text output, per kind (--json lists them all)
SHOWN_IDS = 10

DESCRIPTION = """\
Check bookmarked datasets (or the ids given) for what changed since they were last looked at: rows
added, removed and changed (datasets under 10,000 rows, by row id), the row count, fields added,
removed or retyped, and the date the portal says the data changed. One line per dataset; what could
not be compared is said under it. Every dataset is read afresh from the portal (not from the cache);
its new fingerprint is kept for next time (not with --peek).

Exit status: 0 nothing changed (a first look is not a change), 3 something changed, 1 a dataset could
not be checked (the portal failed or cannot be reached, or its last look's fingerprint was damaged;
said on stderr, the others are still checked; 1 wins over 3) or the bookmarks file could not be read
or was damaged, 2 usage error.

--json prints a list, one object per dataset, each with "dataset", "title" and "status":
  "changed" / "unchanged": what changed, as in the app's "since you last looked" panel: "since",
      "checked", "rows" {"before", "after"}, "key" (the row id column, null when rows are keyed on their
      content), "added", "removed", "changed_rows" (row ids; null when rows were not compared),
      "fields" [{"name", "change": added|removed|type, "old_type", "new_type"}], "data_updated"
      {"before", "after"}, "notes", "summary", "changed" (true/false);
  "first_look": "checked", "rows", "summary";
  "error": "error" (the reason, one line)."""

EPILOG = """\
Examples:
  pdxtui bookmark add a494697005da9eea74335a369b0e3689_1415
  pdxtui changes
  pdxtui --portal chicago changes ijzp-q8t2 --json
  # crontab: every morning at 7, print (cron mails it) only when something changed or failed
  0 7 * * *  out=$(pdxtui changes 2>&1); [ $? -ne 0 ] && echo "$out"
"""


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "changes",
        help="what changed in bookmarked datasets since the last look (exit 3 when something did)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("ids", nargs="*", metavar="ID", help="dataset ids (default: every bookmark of the portal)")
    p.add_argument("--json", action="store_true", help="a JSON list on stdout (shape above)")
    p.add_argument("--peek", action="store_true", help="compare, but keep the last fingerprint as it is")
    p.set_defaults(refresh=True)  # always read afresh: a cached answer would say "no change"


async def run(args: argparse.Namespace, session: Any, service: Any) -> int:
    from pdxtui.errors import UsageError
    from pdxtui.memory.store import Memory, portal_key
    from pdxtui.textsafe import one_line

    given = list(dict.fromkeys(i.strip() for i in args.ids if i.strip()))
    if args.ids and not given:  # a script's empty variable: not "check every bookmark"
        raise UsageError("the dataset ids given are blank (name none to check every bookmark)")
    memory = Memory()
    portal = portal_key(service.portal)
    bookmarks = {e.id: e for e in memory.bookmarks(portal)}
    ids = given or list(bookmarks)
    # not "no bookmarks" and exit 0 when the bookmarks could not be read, or only some of them could
    store_problem = memory.unreadable or memory.damaged
    _warn(memory, but=memory.unreadable)
    if memory.unreadable:
        said = "" if args.ids else ": the bookmarks cannot be checked"
        print(f"pdxtui: {one_line(memory.unreadable)}{said}", file=sys.stderr)
    elif memory.damaged and not args.ids:
        print(
            "pdxtui: bookmarks may be missing (see the warning above): those that could be read are checked",
            file=sys.stderr,
        )
    if not ids and store_problem:
        if args.json:
            print("[]")
        return EXIT_ERROR
    if not ids:
        print(
            f"pdxtui: no bookmarks on {service.label} and no dataset ids given: nothing to check. "
            "Bookmark a dataset with `pdxtui bookmark add ID` (or b in the browser), or name ids: "
            "pdxtui changes ID…",
            file=sys.stderr,
        )
        if args.json:
            print("[]")
        return EXIT_OK
    results: list[dict[str, Any]] = []
    for ident in ids:
        title = bookmarks[ident].title if ident in bookmarks else ""
        results.append(await _check(service, memory, portal, ident, title, keep=not args.peek))
        _warn(memory)
    if args.json:
        from pdxtui.textout import dumps

        print(dumps(results))
    else:
        for result in results:
            _print(result)
    statuses = {r["status"] for r in results}
    if "error" in statuses or store_problem:
        return EXIT_ERROR
    return EXIT_CHANGED if "changed" in statuses else EXIT_OK


async def _check(service: Any, memory: Memory, portal: str, ident: str, title: str, *, keep: bool) -> dict[str, Any]:
    """One dataset looked at: its result as ``--json`` prints it (a portal error is a result too)."""
    from pdxtui.errors import PdxError
    from pdxtui.memory.look import look
    from pdxtui.netlog import answers
    from pdxtui.textout import iso_utc
    from pdxtui.textsafe import one_line

    try:
        # what this check heard (its pages are read by tasks it starts: they report here too), not the portal's
        # last answer: a count asked after an old cached page would say "network" again
        with answers() as heard:
            dataset = await service.dataset(ident)
            _not_stale(service, ident, heard.stale)
            title = dataset.title or title
            seen: Look = await look(service, dataset, memory, portal, record=False, who="changes", strict=True)
        _not_stale(service, ident, heard.stale)
        if keep:
            memory.keep_fingerprint(portal, seen.fingerprint, who="changes")
    except Exception as exc:  # one dataset's failure, whatever it is, must not stop the others
        if isinstance(exc, PdxError):
            reason = one_line(exc)
            if str(exc) in memory.warnings:  # said once, as the error
                memory.warnings.remove(str(exc))
        else:  # a bug: its traceback goes to the log file, its one line to the user
            import logging

            logging.getLogger(__name__).exception("pdxtui changes: checking %s failed", ident)
            reason = one_line(f"unexpected error ({type(exc).__name__}: {exc}); the log file has the details")
        shown = f"{ident} ({one_line(title, 80)})" if title else ident
        print(f"pdxtui: {shown}: {reason}", file=sys.stderr)
        return {"dataset": ident, "title": title, "status": "error", "error": reason}
    if seen.changes is None:
        return {
            "dataset": dataset.id,
            "title": title,
            "status": "first_look",
            "checked": iso_utc(seen.fingerprint.taken),
            "rows": seen.fingerprint.rows,
            "summary": FIRST_LOOK if keep else FIRST_PEEK,
        }
    data = seen.changes.to_json()
    return {"dataset": data.pop("dataset"), "title": data.pop("title"), "status": _status(seen), **data}


def _status(seen: Look) -> str:
    return "changed" if seen.changes is not None and seen.changes.any else "unchanged"


def _not_stale(service: Any, ident: str, heard_stale: bool) -> None:
    """A portal that could not be reached answers from an old cached copy: that is no look at the dataset
    (``heard_stale``: an answer of this check was such a copy; the portal's state is only its last answer's)."""
    from pdxtui.errors import PortalError

    state = service.portal.state
    if heard_stale or state.source == "stale":
        reason = (state.source == "stale" and state.reason) or "the portal could not be reached"
        raise PortalError(f"{ident}: cannot be checked: {reason} (only an old cached copy was at hand)")


def _print(result: dict[str, Any]) -> None:
    from pdxtui.memory.changed import few
    from pdxtui.textsafe import one_line

    name = one_line(result["dataset"])
    if result.get("title"):
        name = f"{name} ({one_line(result['title'], 80)})"
    if result["status"] == "error":  # said on stderr when it happened
        return
    print(f"{name}: {one_line(result['summary'])}")
    key = result.get("key")
    if key:
        for label, rows in (
            ("added", result["added"]),
            ("removed", result["removed"]),
            ("changed", result["changed_rows"]),
        ):
            if rows:
                print(f"  {label} ({one_line(key)}): {few([one_line(r) for r in rows], SHOWN_IDS)}")
    for note in result.get("notes") or ():
        print(f"  note: {one_line(note)}")


def _warn(memory: Memory, but: str = "") -> None:
    from pdxtui.textsafe import one_line

    for warning in memory.warnings:
        if warning != but:  # said as the error
            print(f"pdxtui: warning: {one_line(warning)}", file=sys.stderr)
    memory.warnings.clear()
