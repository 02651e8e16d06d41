"""``pdxtui search``, ``show`` and ``preview``: the catalog, one dataset's metadata, and its first rows."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pdxtui import freshness
from pdxtui.cli.rowargs import bad_where, columns_of, order_of, split_columns, where_text
from pdxtui.errors import UsageError
from pdxtui.model import Dataset, Query, SearchRequest
from pdxtui.textout import dumps, fmt_count, fmt_date, human_age, table
from pdxtui.textsafe import clean, one_line

EXIT_OK, EXIT_USAGE = 0, 2


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "search",
        help="search the catalog",
        description="Search the portal's catalog: a table of datasets (id, title, owner, last update, rows) on\n"
        "stdout, newest first, and a count on stderr. The id column is what show, preview, export and open take.",
        epilog="Examples:\n"
        "  pdxtui search trees\n"
        "  pdxtui search --owner 'Portland Parks & Recreation' --limit 50\n"
        "  pdxtui --portal seattle search permits --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("query", nargs="*", help="words to look for (none: the whole catalog)")
    p.add_argument("--limit", type=int, default=20, help="how many hits (default 20)")
    p.add_argument("--owner", help="only datasets of this publishing bureau")
    p.add_argument("--category", help="only datasets in this category")
    p.add_argument("--tag", help="only datasets with this tag")
    p.add_argument("--json", action="store_true", help="JSON array on stdout")

    p = subparsers.add_parser(
        "show",
        help="metadata and schema of one dataset",
        description="One dataset's metadata (owner, licence, update frequency, links, description) and its\n"
        "fields with their types, aliases and descriptions; its layers or resources when it has several.\n"
        "Served from the cache when the portal cannot be reached (with a warning). Not recorded among the\n"
        "recent datasets (pdxtui recent): scripts would flood them; pdxtui open ID records.",
        epilog="Examples:\n"
        "  pdxtui show 9f50a605cf4945259b983fa35c993fe9_125\n"
        "  pdxtui show ID --json | jq '.fields[].name'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("id", help="dataset id")
    p.add_argument("--json", action="store_true", help="JSON object on stdout")

    p = subparsers.add_parser(
        "preview",
        help="the first rows of a dataset (optionally filtered, sorted, some columns)",
        description="The first rows of a dataset as a table (or JSON records with --json): all of them, or those\n"
        "a --where filter keeps, sorted by --order, with the --columns you name. The portal filters and sorts\n"
        "the whole dataset where it can. Exit codes: 0 ok, 1 runtime error (unknown dataset, portal trouble),\n"
        "2 usage error (bad flag, unknown column, a --where that does not parse: its message and a caret line).\n"
        "Served from the cache when the portal cannot be reached (with a warning). Not recorded among the\n"
        "recent datasets (pdxtui recent): scripts would flood them; pdxtui open ID records.",
        epilog=_preview_epilog,  # made when the help is shown: the filter language's help imports pdxtui.filters
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("id", help="dataset id")
    p.add_argument("--rows", type=int, default=10, help="how many rows (default 10)")
    p.add_argument("--where", metavar="EXPR", help="only rows that match this filter (see below)")
    p.add_argument("--columns", metavar="A,B,C", help="these columns, in this order (default: all)")
    p.add_argument(
        "--order", metavar="'A desc,B'", help="sort by these columns, each asc (default) or desc, e.g. 'DIAMETER desc'"
    )
    p.add_argument("--json", action="store_true", help="JSON array of records on stdout")


def _preview_epilog() -> str:
    from pdxtui.filters import HELP

    return (
        f"{HELP}\n\nExamples:\n"
        "  pdxtui preview ID --rows 20\n"
        "  pdxtui preview ID --where 'DIAMETER > 40' --order 'DIAMETER desc,COMMON' --columns COMMON,DIAMETER\n"
        "  pdxtui preview ID --json --rows 100 > rows.json"
    )


async def run(args: argparse.Namespace, session: Any, service: Any) -> int:
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
            print(table(["id", "title", "owner", "updated", "rows"], rows), flush=True)  # before stderr's line
            print(f"{len(result.hits)} of {fmt_count(result.total)} datasets", file=sys.stderr)
    elif args.command == "show":
        ds = await service.dataset(args.id)
        print(dumps(dataset_json(ds)) if args.json else _show_text(ds))
    elif args.command == "preview":
        if args.rows < 0:
            raise UsageError("--rows must not be negative")
        split_columns(args.columns)  # the checks that need no dataset first
        split_columns(args.order, "--order")
        ds = await service.dataset(args.id)
        where = where_text(args.where)
        if bad_where(where, ds.fields):
            return EXIT_USAGE
        query = Query(where=where, columns=columns_of(args.columns, ds.fields), order=order_of(args.order, ds.fields))
        if (where and not service.can("filter")) or (query.order and not service.can("sort")):
            preview = await service.preview_here(ds, args.rows, query)  # e.g. a CKAN resource: filtered here
        else:
            preview = await service.preview(ds, rows=args.rows, query=query)
        if args.json:
            print(dumps(preview.frame.to_dicts()))
        else:
            print(table(preview.frame.columns, preview.frame.rows()), flush=True)  # before stderr's line
            note = " (SAMPLE data)" if ds.sample else ""
            print(f"Showing {preview.shown:,} of {fmt_count(preview.total)} rows{note}", file=sys.stderr)
        for said in preview.notes:
            print(f"pdxtui: note: {one_line(said, 300)}", file=sys.stderr)
    warn_if_stale(service)
    return EXIT_OK


def warn_if_stale(service: Any) -> None:
    """Say on stderr when what was shown is a cached copy served because the portal could not be reached."""
    state = service.portal.state
    if state.source == "stale":
        print(
            f"pdxtui: warning: offline, showing a copy cached {human_age(state.age_seconds or 0)} ago"
            f" ({one_line(state.reason, 200)})",
            file=sys.stderr,
        )


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
        # judged on the hit's own facts: an opened dataset may have a better date (show --json)
        "freshness": freshness.of(hit).to_json(),
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
        "layers": [{"id": item.id, "title": item.title, "kind": item.kind} for item in ds.layers],
        "freshness": freshness.of(ds).to_json(),
        "notice": ds.notice,
        "fields": [
            {"name": f.name, "type": f.type, "kind": f.kind, "alias": f.alias, "description": f.description}
            for f in ds.fields
        ],
    }


def _show_text(ds: Dataset) -> str:
    lines = [one_line(ds.title)]
    if ds.sample:
        lines.append("(bundled SAMPLE data: generated rows, not the publisher's)")
    # the cadence in the publisher's words (and as understood, where they differ: "R/P1W (weekly)"), then the rest
    # of the freshness line: "Weekly · data last changed 2025-05-12 · overdue by 29 weeks"
    fresh = freshness.of(ds)
    stated = ds.update_frequency.strip() or "no stated cadence"
    if fresh.cadence.name and not stated.lower().startswith(fresh.cadence.name[:5]):  # "annual" is "annually"
        stated = f"{stated} ({fresh.cadence.name})"
    judged = " · ".join(fresh.parts()[1:])  # the parts after the cadence
    facts = [
        ("id", ds.id),
        ("owner", ds.owner),
        ("licence", ds.licence),
        ("updates", f"{stated} · {judged}"),
        ("last updated", fmt_date(ds.updated)),
        ("rows", fmt_count(ds.rows)),
        ("page", ds.page_url),
        ("API", ds.api_url),
    ] + [(link.label, link.url) for link in ds.links if link.url not in (ds.page_url, ds.api_url)]
    lines += [f"{k + ':':14} {one_line(v)}" for k, v in facts if v]
    if ds.notice:
        lines += ["", one_line(ds.notice)]
    if ds.description:
        lines += ["", clean(ds.description)]
    if ds.layers:
        rows = [[item.id, item.title, item.kind] for item in ds.layers]
        lines += ["", table(["layer", "name", "kind"], rows, max_width=60)]
        lines.append("rows of one of them: pdxtui preview ITEMID_N")
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
