"""``pdxtui draft KIND [DATASET_ID]``: write a request letter (records, publish, access, quality).

Prints the letter, where to send it and notes for the sender, as plain text (``--json``: an object
``{kind, subject, body, send_to: [{label, how, address, note, confirmed}], placeholders, notes}``).
``-o FILE`` writes the same text to FILE atomically (a temp file in the same folder, then a rename) and refuses
to replace an existing file unless ``--force`` is given (exit 1). The requester's details come from the
``[requester]`` table of the config file; any configured token is scrubbed from the output. Gaps left in the
letter (``[your name]``...) are listed on stderr.

Exit codes: 0 done; 1 unknown dataset, existing output file, write error; 2 bad flags (unknown kind, a
``--dates`` range that cannot be read, an unknown ``--field``, a bad ``--where``).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import date
from pathlib import Path
from typing import Any

from pdxtui.config import known_secrets
from pdxtui.drafting import (
    DRAFT_KINDS,
    KIND_KEYS,
    TOPICS,
    USAGE_DAYS,
    DraftInput,
    draft,
    parse_date_range,
    render,
    to_json,
)
from pdxtui.errors import UsageError
from pdxtui.export.target import write_text_atomic
from pdxtui.textsafe import one_line

_EPILOG = (
    """\
kinds:
"""
    + "\n".join(f"  {k.key:9} {k.title}: {k.description}" for k in DRAFT_KINDS)
    + """

examples:
  pdxtui draft records 9f50a605cf4945259b983fa35c993fe9_125 --field NAME --dates 2023-01-01..2023-12-31
  pdxtui draft publish --description "Sidewalk repair requests" --cadence monthly --use "a walkability map"
  pdxtui draft access --url "https://www.portlandmaps.com/od/rest/services/..." --error "HTTP 503"
  pdxtui draft access --topic "rate limits" --include-usage
  pdxtui draft quality ID --field NAME --record-id 12 --record-id 57 --problem "names are misspelt" -o report.txt

Your name and e-mail come from [requester] in the config file; missing details become [placeholders].
Tokens and keys are removed from URLs and error text.
"""
)


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "draft",
        help="draft a records request, publication request, API question or data quality report",
        description="Draft a request letter, prefilled from a dataset's metadata and your [requester] profile.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("kind", choices=KIND_KEYS, metavar="KIND", help="records, publish, access or quality")
    p.add_argument("dataset", nargs="?", metavar="DATASET_ID", help="the dataset the request is about (optional)")
    p.add_argument(
        "--field",
        dest="fields",
        action="append",
        default=[],
        metavar="F",
        help="a field of the dataset (repeat for more)",
    )
    p.add_argument("--dates", metavar="FROM..TO", help="period, e.g. 2023-01-01..2023-12-31, 2023.., 2023")
    p.add_argument("--format", default="CSV", help="format wanted (default CSV)")
    p.add_argument("--description", default="", metavar="TEXT", help="records or data you want, in your words")
    p.add_argument("--fields-wanted", default="", metavar="TEXT", help="publish: new fields you would like")
    p.add_argument("--use", default="", metavar="TEXT", help="how you will use the data")
    p.add_argument("--purpose", default="", metavar="TEXT", help="publish: why the data matters")
    p.add_argument("--cadence", default="", metavar="TEXT", help="publish: how often it should be updated")
    p.add_argument(
        "--where",
        metavar="FILTER",
        help='only the rows matching this filter, e.g. "NAME ~ park" (described in plain English)',
    )
    p.add_argument(
        "--record-id",
        dest="record_ids",
        action="append",
        default=[],
        metavar="ID",
        help="quality: an example record id (repeat for more)",
    )
    p.add_argument("--problem", default="", metavar="TEXT", help="quality: what is wrong; access: what you need")
    p.add_argument("--expected", default="", metavar="TEXT", help="quality: what you expected")
    p.add_argument("--topic", default="", metavar="TOPIC", help="access: " + ", ".join(TOPICS))
    p.add_argument("--url", default="", help="access: the request URL (tokens are removed)")
    p.add_argument("--error", default="", metavar="TEXT", help="access: the error you saw (tokens are removed)")
    p.add_argument("--fee-waiver", action="store_true", help="records: ask for a public-interest fee waiver")
    p.add_argument(
        "--include-usage",
        action="store_true",
        help=f"access: add what pdxtui asked of the portal per host and day, last {USAGE_DAYS} days (pdxtui log)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--force", action="store_true", help="with -o: replace FILE if it exists")
    p.add_argument("--json", action="store_true", help="JSON object on stdout")


def _today() -> date:
    """The letter's date (tests replace this)."""
    return date.today()


def _resolve_fields(names: list[str], dataset: Any) -> tuple[str, ...]:
    if dataset is None or not dataset.fields:
        return tuple(n.strip() for n in names if n.strip())
    known = [f.name for f in dataset.fields]
    out = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        match = (
            next((k for k in known if k == name), None)
            or next((k for k in known if k.lower() == name.lower()), None)
            or next((f.name for f in dataset.fields if f.alias and f.alias.lower() == name.lower()), None)
        )
        if match is None:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; fields: {', '.join(known)}"
            raise UsageError(f"--field: {one_line(dataset.title)} has no field {one_line(name)!r}{one_line(hint)}")
        if match not in out:
            out.append(match)
    return tuple(out)


async def run(args: argparse.Namespace, session: Any, service: Any) -> int:
    date_from = date_to = None
    if args.dates is not None:
        try:
            date_from, date_to = parse_date_range(args.dates)
        except UsageError as exc:
            raise UsageError(f"--dates: {exc}") from None
    if args.force and not args.output:
        raise UsageError("--force only applies with -o FILE")
    if args.include_usage and args.kind != "access":
        raise UsageError("--include-usage goes with draft access (the API-access question)")

    dataset = await service.dataset(args.dataset) if args.dataset else None
    filter_text = None
    if args.where:
        if dataset is None:
            raise UsageError("--where needs a DATASET_ID")
        from pdxtui.filters import describe, parse

        filter_text = describe(parse(args.where, dataset.fields))

    inp = DraftInput(
        kind=args.kind,
        dataset=dataset,
        requester=session.config.requester,
        fields=_resolve_fields(args.fields, dataset),
        description=args.description,
        fields_wanted=args.fields_wanted,
        date_from=date_from,
        date_to=date_to,
        format=args.format or "CSV",
        use=args.use,
        purpose=args.purpose,
        cadence=args.cadence,
        filter_text=filter_text,
        record_ids=tuple(args.record_ids),
        problem=args.problem,
        expected=args.expected,
        topic=args.topic,
        url=args.url,
        error=args.error,
        fee_waiver=args.fee_waiver,
        include_usage=args.include_usage,
        usage=session.usage(dataset.api_url if dataset else "", args.url) if args.include_usage else (),
    )
    result = draft(inp, today=_today(), secrets=known_secrets(session.config))

    if args.json:
        from pdxtui.textout import dumps

        text = dumps(to_json(result)) + "\n"
    else:
        text = render(result)
    if args.output:
        path = Path(args.output).expanduser()
        write_text_atomic(path, text, overwrite=args.force)
        print(f"pdxtui: wrote {one_line(str(path))}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if result.placeholders:
        print(f"pdxtui: fill in before sending: {', '.join(result.placeholders)}", file=sys.stderr)
    return 0
