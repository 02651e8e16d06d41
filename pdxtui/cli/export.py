"""``pdxtui export ID -o PATH``: write a dataset's rows (all, or those a ``--where`` filter keeps) to a file.

Exit codes: 0 written; 1 runtime error (the file exists without --force, the dataset is unknown, the portal
failed, the disk is full, ...); 2 usage error (a bad flag, an unknown format or file extension, an unknown column
in --columns, a --where filter that does not parse: its message and a caret line go to stderr). A SIGTERM or
Ctrl-C stops the export and leaves nothing at PATH (exit 143 / 130).

stdout gets one line, ``wrote N rows to PATH (SIZE); provenance in PATH.provenance.json`` (``--json``: an object
with ``path``, ``rows``, ``bytes``, ``format`` and ``provenance``, the sidecar's path or null); progress goes to
stderr, and only when it is a terminal. The sidecar (``--no-provenance``: none) records where the rows came from
(``pdxtui.provenance``) and is placed together with the file: both or neither.
This module stays cheap to import: polars loads only when an export runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from typing import Any

from pdxtui.errors import UsageError
from pdxtui.export import COMPRESSIONS, EXTENSIONS, FORMATS, QUOTE_STYLES

EXIT_OK, EXIT_USAGE, EXIT_TERMINATED = 0, 2, 143

_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}

DESCRIPTION = f"""\
Write the rows of a dataset to a file, streaming them page by page (memory stays small however big
the dataset). The file appears only when it is complete: it is written to a temp file beside it and
renamed. The format follows the extension of PATH unless --format says otherwise:
  {" ".join(EXTENSIONS)}
Beside PATH goes PATH.provenance.json: the portal, dataset, licence, the exact API query (secrets
removed), the filter in words, the time (UTC), rows and columns; Parquet, GeoJSON and XLSX hold the
same record inside too. --no-provenance writes neither.
Exit codes: 0 written, 1 runtime error (PATH exists without --force, portal or disk trouble), 2 usage
error (bad flag, unknown format, extension or column, a --where that does not parse)."""


def _epilog() -> str:
    from pdxtui.filters import HELP

    return (
        HELP + "\n\nExamples:\n"
        "  pdxtui export ID -o trees.csv --where 'SPECIES ~ maple' --columns SPECIES,DIAMETER\n"
        "  pdxtui export ID -o trees.parquet --limit 10000 --force"
    )


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a dataset's rows to a file (CSV, TSV, JSON, NDJSON, Parquet, XLSX, GeoJSON)",
        description=DESCRIPTION,
        epilog=_epilog,  # made when the help is shown (see cli._Parser)
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("id", help="dataset id")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="the file to write")
    p.add_argument("--format", metavar="FORMAT", help=f"one of {', '.join(FORMATS)} (default: from PATH's extension)")
    p.add_argument("--where", metavar="EXPR", help="only rows that match this filter (see below)")
    p.add_argument("--columns", metavar="A,B,C", help="these columns, in this order (default: all)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N rows")
    p.add_argument("--force", action="store_true", help="replace PATH (and its provenance sidecar) if it exists")
    p.add_argument(
        "--no-provenance",
        action="store_true",
        help="write no PATH.provenance.json and no provenance record inside the file",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON (path, rows, bytes, sidecar)")
    g = p.add_argument_group("format options")
    g.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="CSV/TSV field separator: one character, or tab, comma, "
        "semicolon, pipe, space (default , for CSV, tab for TSV)",
    )
    g.add_argument("--no-header", action="store_true", help="CSV/TSV/XLSX: no header row")
    g.add_argument("--quote", choices=QUOTE_STYLES, default="necessary", help="CSV/TSV quoting (default necessary)")
    g.add_argument("--null", default="", metavar="TEXT", help="CSV/TSV text for missing values (default empty)")
    g.add_argument("--compression", choices=COMPRESSIONS, default="zstd", help="Parquet compression (default zstd)")
    g.add_argument("--pretty", action="store_true", help="JSON: indented (default: one object a line)")


async def run(args: argparse.Namespace, session: Any, service: Any) -> int:
    from pdxtui.cli.rowargs import bad_where, split_columns, where_text
    from pdxtui.export import ExportOptions, check_target, export_query, format_for
    from pdxtui.model import Query
    from pdxtui.textsafe import one_line

    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must not be negative")
    columns = split_columns(args.columns)
    options = ExportOptions(
        format=args.format,
        columns=columns,
        overwrite=args.force,
        delimiter=_delimiter(args.delimiter),
        header=not args.no_header,
        quote_style=args.quote,
        null=args.null,
        compression=args.compression,
        pretty=args.pretty,
        provenance=not args.no_provenance,
    )
    # the cheap checks first, before the portal is asked anything
    _not_a_folder(args.output, args.id, args.format)
    format_for(args.output, args.format)
    check_target(args.output, args.force, provenance=options.provenance)

    dataset = await service.dataset(args.id)
    where = where_text(args.where)
    if bad_where(where, dataset.fields):
        return EXIT_USAGE

    meter = _Meter() if sys.stderr.isatty() else None
    notes: list[str] = []

    def heard(step: Any) -> None:
        if step.message and step.message not in notes:
            notes.append(step.message)
            if meter is not None:
                meter.close()
            print(f"pdxtui: note: {one_line(step.message, 300)}", file=sys.stderr)
        if meter is not None:
            meter.update(step)

    from pdxtui.config import known_secrets
    from pdxtui.provenance import source_for

    query = Query(where=where, limit=args.limit)
    source = source_for(service, secrets=known_secrets(session.config), scope="filtered" if where else "all")
    task = asyncio.ensure_future(
        export_query(service, dataset, args.output, options, query=query, progress=heard, source=source)
    )
    terminated = _on_sigterm(task)
    try:
        result = await task
    except asyncio.CancelledError:
        if not terminated():
            raise
        print(f"pdxtui: export stopped; nothing was written to {args.output}", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        _on_sigterm(None)
        if meter is not None:
            meter.close()
    if dataset.sample:
        print("pdxtui: note: these are the bundled SAMPLE rows, not the publisher's data", file=sys.stderr)
    if args.json:
        import json

        shown = {"path": result.path, "rows": result.rows, "bytes": result.bytes, "format": result.format}
        print(json.dumps({**shown, "provenance": result.provenance}, ensure_ascii=False))
    else:
        print(result.summary(args.output))
    return EXIT_OK


def _not_a_folder(output: str, dataset_id: str, fmt: str | None) -> None:
    """-o names a folder: say so, with a file name in it to use (before the extension check would call it an
    unknown extension)."""
    import os

    from pdxtui.export import FORMATS, format_for

    if not (output.endswith(("/", os.sep)) or os.path.isdir(os.path.expanduser(output))):
        return
    ext = FORMATS[format_for("", fmt)].extensions[0] if fmt else ".csv"
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in dataset_id).strip("._")[:80] or "rows"
    raise UsageError(f"{output} is a folder: give a file name in it, e.g. -o {os.path.join(output, stem + ext)}")


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    return _DELIMITER_NAMES.get(value.lower() if len(value) > 1 else value, value)


def _on_sigterm(task: asyncio.Future[Any] | None) -> Any:
    """SIGTERM cancels ``task`` (so its temp file is removed); returns "was it SIGTERM?". None: stop listening."""
    fired = []
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
        loop = asyncio.get_running_loop()
        if task is None:
            loop.remove_signal_handler(signal.SIGTERM)
        else:

            def stop() -> None:
                fired.append(True)
                task.cancel()

            loop.add_signal_handler(signal.SIGTERM, stop)
    return lambda: bool(fired)


class _Meter:
    """One self-rewriting progress line on stderr (a terminal), at most ten times a second."""

    def __init__(self, verb: str = "exporting") -> None:
        self.verb = verb
        self.last = 0.0
        self.shown = False

    def update(self, progress: Any, verb: str | None = None) -> None:
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        doing = verb or self.verb
        if progress.total:
            text = f"{doing}: {progress.rows:,} of {progress.total:,} rows ({100 * progress.rows // progress.total}%)"
        else:
            text = f"{doing}: {progress.rows:,} rows"
        sys.stderr.write(f"\r\x1b[K{text}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False
