"""``pdxtui sql "SELECT ..." --use ID[=NAME] ...``: a SQL query over datasets (polars SQL), printed or written.

Each ``--use`` dataset is a table (named from its title, or NAME); every row of each table the query names is
read (page by page; fresh pages from the cache), then the query runs in polars (``pdxtui.sql``). stdout gets the
result: a text table of its first ``--rows`` rows (the count on stderr), every row as JSON (``--json``) or CSV
(``--csv``); ``-o FILE`` writes it to a file as ``pdxtui export`` does (the format from the extension, atomic, with
the provenance sidecar naming the query and each dataset it read). A query that ran is kept in the SQL history.

Exit codes: 0 ok; 1 the query fails in polars (one line on stderr, with the position polars gives), an unknown
dataset, a portal failure; 2 usage: an invalid table name, two ``--use`` with one name, one dataset given two
names, a table the query names that no ``--use`` gives. Cheap to import: polars loads when a query runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from pdxtui.errors import PdxError, UsageError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
SHOWN_ROWS = 100  # rows of the text table by default: the rest with --rows, --csv, --json or -o
JSON_CHUNK = 20_000  # rows encoded at a time by --json
# portals whose datasets list every column their rows have (an ArcGIS layer's fields, the bundled samples): a column
# the query names that is not among them is an error before any row is read. A Socrata view's rows can hold columns
# its metadata leaves out (computed regions), a CKAN CSV's header is read with its rows: there, the rows decide.
COLUMNS_KNOWN = frozenset({"arcgis", "bundled"})

DESCRIPTION = """\
Run a SQL query (polars SQL: joins, GROUP BY, window functions, CTEs, date functions) over datasets of the
portal. Each --use ID is a table, named from the dataset's title (street_trees) or as --use ID=NAME says; every
row of each table the query names is read first (page by page; fresh pages come from the cache). Table names
match in any case; quote a column name with spaces or capitals as "Name".
The result goes to stdout: a text table of its first rows (--rows; the row count on stderr), or every row as
JSON (--json) or CSV (--csv). -o FILE writes it like pdxtui export (the format from the extension, the file
appears when complete, PATH.provenance.json beside it names the query and each dataset it read).
The SQL may be "-" (read from stdin) or come from --file F. A query that ran is kept in the SQL history of the
portal (the app's SQL screen recalls it).
Exit codes: 0 ok, 1 the query fails (polars' message, one line), an unknown dataset or a portal failure,
2 usage error (a bad or duplicate table name, a table the query names that no --use gives)."""

EPILOG = """\
Examples:
  pdxtui sql "SELECT species, count(*) AS n FROM street_trees GROUP BY species ORDER BY n DESC" --use <id>
  pdxtui sql "SELECT p.*, t.n FROM permits p JOIN (SELECT ward, count(*) AS n FROM trees GROUP BY ward) t
             USING (ward)" --use <id>=permits --use <id>=trees --csv > joined.csv
  pdxtui sql --file query.sql --use <id> -o result.parquet"""


def register(subparsers: Any, common: Any) -> None:
    p = subparsers.add_parser(
        "sql",
        help="run a SQL query over datasets (--use ID[=NAME] for each table)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p, top=False)
    p.add_argument("query", nargs="?", metavar="SQL", help='the query ("-": read it from stdin)')
    p.add_argument(
        "--use",
        action="append",
        default=[],
        metavar="ID[=NAME]",
        help="a dataset the query reads, as the table NAME (default: a name from its title); repeat for each",
    )
    p.add_argument("--file", metavar="F", help="read the query from the file F")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="every row as a JSON array of records (with -o: a summary)")
    out.add_argument("--csv", action="store_true", help="every row as CSV, with a header")
    p.add_argument(
        "--rows", type=int, default=SHOWN_ROWS, metavar="N", help=f"rows of the text table (default {SHOWN_ROWS})"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the result to FILE (CSV, Parquet, XLSX, ...)")
    p.add_argument("--force", action="store_true", help="with -o: replace FILE (and its provenance sidecar)")


# -- the command line ---------------------------------------------------------------------------------------------


def query_text(args: argparse.Namespace) -> str:
    """The SQL of the command line: the argument, stdin for "-", or --file."""
    if args.query is not None and args.file is not None:
        raise UsageError("give the query once: as an argument or with --file, not both")
    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8-sig") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise PdxError(f"cannot read the query from {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
    if args.query is None:
        raise UsageError('give a query, e.g. pdxtui sql "SELECT * FROM street_trees LIMIT 10" --use ID')
    if args.query == "-":
        return sys.stdin.read()
    return args.query


def parse_uses(uses: list[str]) -> dict[str, str | None]:
    """``--use`` values as ``{dataset id: name asked for (None: from the title)}``, in their order: a bad name, one
    name for two datasets or two names for one dataset is a :class:`UsageError`."""
    from pdxtui.sql.names import check_name

    chosen: dict[str, str | None] = {}
    owner: dict[str, str] = {}  # name (lower case) -> dataset id
    for use in uses:
        dataset_id, eq, name = use.partition("=")
        dataset_id = dataset_id.strip()
        if not dataset_id:
            raise UsageError(f"--use {use!r}: give a dataset id, e.g. --use ID or --use ID=street_trees")
        if eq and not name.strip():
            raise UsageError(f"--use {use!r}: give a table name after '=', or leave out the '='")
        wanted = check_name(name.strip()) if eq else None
        if wanted is not None:
            other = owner.get(wanted.lower())
            if other is not None and other != dataset_id:
                raise UsageError(f"two datasets are named {wanted!r}: {other} and {dataset_id}; give each its own name")
            owner[wanted.lower()] = dataset_id
        before = chosen.get(dataset_id)
        if before is not None and wanted is not None and before.lower() != wanted.lower():
            raise UsageError(
                f"--use {dataset_id} is given twice, as {before!r} and {wanted!r}: a dataset is one table "
                f"(to join it with itself, use aliases: FROM {before} AS a JOIN {before} AS b ...)"
            )
        chosen[dataset_id] = before or wanted
    return chosen


async def run(args: argparse.Namespace, session: Any, service: Any) -> int:
    from pdxtui.config import known_secrets
    from pdxtui.sql.engine import SqlError, prepare

    if args.rows < 0:
        raise UsageError("--rows must not be negative")
    if args.csv and args.output:
        raise UsageError("--csv prints the rows; with -o FILE the format follows FILE's extension (e.g. -o out.csv)")
    try:
        sql = prepare(query_text(args))
    except SqlError as exc:
        raise UsageError(str(exc)) from None
    uses = parse_uses(args.use)
    options = _export_options(args)
    secrets = tuple(known_secrets(session.config))

    datasets = [await service.dataset(dataset_id) for dataset_id in uses]
    named = _names(datasets, list(uses.values()))
    # parses the query: a syntax error, an unknown table (or column, where the portal lists them all) before any row
    _check_tables(sql, datasets, named, columns_known=service.portal.kind in COLUMNS_KNOWN)

    from pdxtui.sql.engine import referenced
    from pdxtui.sql.load import load_into
    from pdxtui.sql.tables import Tables

    used = set(referenced(sql, named))
    tables = Tables()
    loading = _Loading(sys.stderr.isatty())
    try:
        for dataset, name in zip(datasets, named):
            if name not in used:
                print(f"pdxtui: note: the query does not name {name} ({dataset.id}): not read", file=sys.stderr)
                continue
            heard = loading.for_table(name)
            await load_into(tables, service, dataset, name=name, origin="use", secrets=secrets, progress=heard)
    finally:
        loading.close()

    frame = await _run_query(sql, tables)
    _remember(service, sql)
    chosen = tables.used_by(sql)
    if args.output:
        code = await _write(args, options, sql, frame, chosen, secrets)
    else:
        _print(args, frame)
        code = EXIT_OK
    if any(t.dataset.sample for t in chosen):
        print("pdxtui: note: these are the bundled SAMPLE rows, not the publisher's data", file=sys.stderr)
    from pdxtui.cli.browse import warn_if_stale

    warn_if_stale(service)
    return code


def _names(datasets: list[Any], asked: list[str | None]) -> list[str]:
    """Each dataset's table name: the one asked for, else from its title (a name asked for wins a clash)."""
    from pdxtui.sql.names import assign
    from pdxtui.sql.tables import dataset_key

    taken = {dataset_key(ds): name for ds, name in zip(datasets, asked) if name is not None}
    given = assign([(dataset_key(ds), ds.title) for ds in datasets], taken)
    return [given[dataset_key(ds)] for ds in datasets]


def _check_tables(sql: str, datasets: list[Any], names: list[str], *, columns_known: bool = False) -> None:
    """Plan the query over empty tables of the datasets' columns (nothing runs): a query that does not parse is a
    :class:`SqlError` (exit 1), a table no ``--use`` gives a :class:`UsageError` listing those there are. A column
    that is not there is a :class:`SqlError` too when ``columns_known`` (the datasets list every column their rows
    have), else a note on stderr: the rows are read, and decide."""
    from pdxtui.sql.engine import UnknownTable

    error = _plan_error(sql, datasets, names)
    if isinstance(error, UnknownTable):
        if not names:
            raise UsageError(f"the query names the table {error.table!r}: give its dataset with --use ID={error.table}")
        listed = ", ".join(f"{name} ({ds.id})" for ds, name in zip(datasets, names))
        raise UsageError(f"no table named {error.table!r}: the --use tables are {listed} (add --use ID={error.table})")
    if error is not None and error.kind == "syntax":
        raise error
    if error is not None and error.kind == "column":
        if columns_known and all(ds.fields for ds in datasets):
            raise error
        from pdxtui.textsafe import one_line

        print(
            f"pdxtui: note: {one_line(str(error), 300)}: the catalog may not list every column, "
            "reading the rows to be sure",
            file=sys.stderr,
        )
    # any other complaint is judged on the real rows (the catalog's columns may not be all the rows have)


def _plan_error(sql: str, datasets: list[Any], names: list[str]) -> Any:
    """What polars says of the query as it resolves its plan over empty tables (it looks the tables up then), or
    None."""
    import polars as pl

    from pdxtui.sql.engine import SqlError, error_for, plan
    from pdxtui.sql.tables import Table

    empty = {name: Table(name, ds).rows() for ds, name in zip(datasets, names)}
    try:
        plan(sql, empty).collect_schema()
    except SqlError as exc:
        return exc
    except (Exception, pl.exceptions.PanicException) as exc:  # polars' own errors, a few plain ones, a Rust panic
        return error_for(exc, empty)
    return None


async def _run_query(sql: str, tables: Any) -> Any:
    from pdxtui.sql.engine import UnknownTable, run

    try:
        return await asyncio.to_thread(run, sql, tables.frames())
    except UnknownTable as exc:  # planned above: only a table the check could not see (never, but said plainly)
        raise UsageError(str(exc)) from None


def _remember(service: Any, sql: str) -> None:
    from pdxtui.memory.store import portal_key
    from pdxtui.sql.history import History
    from pdxtui.textsafe import one_line

    history = History()
    history.add(portal_key(service.portal), sql)
    for warning in history.warnings:
        print(f"pdxtui: warning: {one_line(warning, 300)}", file=sys.stderr)


# -- output -------------------------------------------------------------------------------------------------------


def _export_options(args: argparse.Namespace) -> Any:
    """The export options of ``-o``, checked before any row is read (the extension, the file in the way)."""
    if not args.output:
        return None
    from pdxtui.cli.export import _not_a_folder
    from pdxtui.export import ExportOptions, check_target, format_for

    _not_a_folder(args.output, "result", None)
    format_for(args.output, None)
    check_target(args.output, args.force, provenance=True)
    return ExportOptions(overwrite=args.force, provenance=True)


async def _write(args: argparse.Namespace, options: Any, sql: str, frame: Any, chosen: list[Any], secrets: Any) -> int:
    from pdxtui.export import export_frame
    from pdxtui.sql.result import result_dataset, result_source

    dataset = result_dataset(sql, frame, chosen)
    source = result_source(sql, chosen, secrets=secrets)
    result = await asyncio.to_thread(export_frame, frame, args.output, options, dataset=dataset, source=source)
    if args.json:
        from pdxtui.textout import dumps

        shown = {"path": result.path, "rows": result.rows, "bytes": result.bytes, "format": result.format}
        print(dumps({**shown, "provenance": result.provenance}))
    else:
        print(result.summary(args.output))
    return EXIT_OK


def _print(args: argparse.Namespace, frame: Any) -> None:
    from pdxtui.textout import table

    if args.json:
        _print_json(frame)
    elif args.csv:
        from pdxtui.export.writers import _text_ready

        text = _text_ready(frame, nested=True, datetimes="all").write_csv(date_format="%Y-%m-%d")
        if sys.stdout.isatty():  # a person reads it: no escape sequence from the portal reaches the terminal
            from pdxtui.textsafe import clean

            text = clean(text)
        sys.stdout.write(text)  # piped: the values exactly as they are
    else:
        shown = frame.head(args.rows)
        print(table(shown.columns, shown.rows()), flush=True)  # before stderr's line
        noun = "row" if frame.height == 1 else "rows"
        if shown.height < frame.height:
            print(
                f"Showing {shown.height:,} of {frame.height:,} rows (more: --rows N; all: --csv, --json or -o FILE)",
                file=sys.stderr,
            )
        else:
            print(f"{frame.height:,} {noun}", file=sys.stderr)


def _print_json(frame: Any) -> None:
    """Every row as a JSON array, one record a line, encoded ``JSON_CHUNK`` rows at a time as ``pdxtui export``
    writes JSON (ISO dates and durations), ASCII only: no control or bidi character reaches a terminal raw."""
    from pdxtui.export.writers import json_records

    out = sys.stdout
    if not frame.height:
        out.write("[]\n")
        return
    out.write("[")
    for offset in range(0, frame.height, JSON_CHUNK):
        text = json_records(frame.slice(offset, JSON_CHUNK)).decode("utf-8")
        out.write(("," if offset else "") + "\n" + _ascii(text).replace("\n", ",\n"))
    out.write("\n]\n")


def _ascii(text: str) -> str:
    """JSON text with every non-ASCII character as a \\u escape (as ``json.dumps(ensure_ascii=True)`` writes)."""
    if text.isascii():
        return text
    import re

    def escaped(match: Any) -> str:
        code = ord(match.group())
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return re.sub(r"[^\x00-\x7f]", escaped, text)


class _Loading:
    """Progress of the tables being read, on stderr (a terminal only), and what the portal said while reading
    (a note each, once)."""

    def __init__(self, tty: bool) -> None:
        from pdxtui.cli.export import _Meter

        self.meter = _Meter(verb="reading") if tty else None
        self.notes: list[str] = []

    def for_table(self, name: str) -> Any:
        from pdxtui.textsafe import one_line

        def heard(progress: Any) -> None:
            if progress.message and progress.message not in self.notes:
                self.notes.append(progress.message)
                if self.meter is not None:
                    self.meter.close()
                print(f"pdxtui: note: {name}: {one_line(progress.message, 300)}", file=sys.stderr)
            if self.meter is not None:
                self.meter.update(progress, f"reading {name}")

        return heard

    def close(self) -> None:
        if self.meter is not None:
            self.meter.close()
