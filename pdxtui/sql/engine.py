"""Running a SQL query over tables of rows: polars SQL on lazy frames, its errors as one line.

:func:`run` runs a query and waits (the CLI, in a thread); :func:`start` runs it in a thread of its own and hands
back a :class:`Running` that the app awaits and cancels (Esc): the caller stops waiting at once, and what polars
computes after that (it cannot stop a step under way) is dropped. (polars' own background collect,
``collect(background=True)``, could stop between steps, but it runs a GROUP BY over 1,000,000 rows 2-5x slower
than a plain collect: bench/sql.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pdxtui.errors import PdxError
from pdxtui.textsafe import one_line

if TYPE_CHECKING:
    import polars as pl

MAX_ERROR = 400  # characters of polars' message shown


class SqlError(PdxError):
    """A query polars could not run: ``str()`` is one line (polars' message, its position when it gives one).
    ``kind``: "syntax" (the SQL does not parse), "table" (a table that is not there: :class:`UnknownTable`),
    "column", "type", "panic" (polars failed inside, and wrote its own panic text to stderr) or "other";
    ``line``/``column`` (1-based) where polars names the place."""

    def __init__(self, message: str, *, kind: str = "other", line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.line = line
        self.column = column


class UnknownTable(SqlError):
    """The query names a table that is not among those available (``table``: the name as written)."""

    def __init__(self, message: str, table: str):
        super().__init__(message, kind="table")
        self.table = table


# -- reading the query -------------------------------------------------------------------------------------------

_TOKENS = re.compile(
    r"""
    (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^']|'')*(?:'|\Z))
    | (?P<quoted>"(?:[^"]|"")*(?:"|\Z)|`[^`]*(?:`|\Z))
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    """,
    re.VERBOSE | re.DOTALL,
)


def words(sql: str) -> list[tuple[str, int]]:
    """The identifiers of ``sql`` (bare words and "quoted" names, unquoted), with their offsets; comments and
    'strings' skipped."""
    out = []
    for match in _TOKENS.finditer(sql):
        kind = match.lastgroup
        if kind == "word":
            out.append((match.group(), match.start()))
        elif kind == "quoted":
            text = match.group()
            inner = text[1:-1] if len(text) > 1 and text[-1] == text[0] else text[1:]
            out.append((inner.replace('""', '"'), match.start()))
    return out


def referenced(sql: str, names: Iterable[str]) -> list[str]:
    """The table names among ``names`` that ``sql`` mentions (any case, as polars matches them), in the order it
    first mentions them. A column or alias spelled like a table counts too: better to offer one load too many."""
    known = {name.lower(): name for name in names}
    seen: dict[str, None] = {}
    for word, _ in words(sql):
        name = known.get(word.lower())
        if name is not None:
            seen.setdefault(name)
    return list(seen)


def prepare(sql: str) -> str:
    """``sql`` ready to run: surrounding space and final semicolons dropped; :class:`SqlError` when empty."""
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise SqlError("write a query first, e.g. SELECT * FROM street_trees LIMIT 10", kind="syntax")
    return text


# -- errors -------------------------------------------------------------------------------------------------------

_POSITION = re.compile(r"\s*at Line: (\d+), Column: (\d+)", re.IGNORECASE)
_RELATION = re.compile(r"relation '([^']*)' was not found")
_HINT = re.compile(r'Did you mean "([^"]*)"\?')
_NO_COLUMN = re.compile(r"no column named '[^']*' found")
_TYPE_WORDS = re.compile(r"\b(?:d?types?|cast|conversion|compare)\b", re.IGNORECASE)


def error_for(exc: BaseException, available: Iterable[str] = ()) -> SqlError:
    """polars' exception as a :class:`SqlError` of one line: the message's first paragraph (the plan polars
    prints after it is dropped), its "did you mean" hint, and the position as "line L, column C"."""
    import polars as pl

    if isinstance(exc, SqlError):
        return exc
    if isinstance(exc, pl.exceptions.PanicException):  # a Rust assertion inside polars: not the query's fault
        said = one_line(str(exc).split("\n", 1)[0], MAX_ERROR) or "no message"
        return SqlError(f"polars failed inside while running the query ({said}): change the query", kind="panic")
    raw = str(exc)
    first = raw.split("\n\n", 1)[0]
    hint = _HINT.search(raw)
    line = column = None
    position = _POSITION.search(first)
    if position:
        line, column = int(position.group(1)), int(position.group(2))
        first = first[: position.start()] + first[position.end() :]
    first = first.replace("sql parser error: ", "syntax error: ")
    message = one_line(first, MAX_ERROR)
    if line is None and message.endswith("found: EOF"):  # polars gives no place: it is the end
        message = f"{message} (at the end of the query)"
    if hint and hint.group(0) not in message:
        message = f"{message} (did you mean {hint.group(1)!r}?)"
    if line is not None:
        message = f"{message} (line {line}, column {column})"
    relation = _RELATION.search(raw)
    if relation:
        names = sorted(available)
        listed = ", ".join(names) if names else "none (open a dataset first)"
        return UnknownTable(f"no table named {relation.group(1)!r}; the tables are: {listed}", relation.group(1))
    if "parser error" in raw or ("statement" in raw and isinstance(exc, pl.exceptions.SQLInterfaceError)):
        kind = "syntax"
    elif isinstance(exc, pl.exceptions.ColumnNotFoundError) or _NO_COLUMN.search(first):
        kind = "column"
    elif isinstance(exc, (pl.exceptions.InvalidOperationError, pl.exceptions.SchemaError)):
        kind = "type"
    elif isinstance(exc, pl.exceptions.ComputeError) and _TYPE_WORDS.search(first):
        kind = "type"  # "cannot compare string with numeric type (i32)"
    else:
        kind = "syntax" if isinstance(exc, pl.exceptions.SQLSyntaxError) else "other"
    return SqlError(message, kind=kind, line=line, column=column)


# -- running ------------------------------------------------------------------------------------------------------


def plan(sql: str, tables: Mapping[str, pl.DataFrame | pl.LazyFrame]) -> pl.LazyFrame:
    """The lazy plan of ``sql`` over ``tables`` (name -> rows; nothing is copied): :class:`SqlError` when it
    does not parse or names a table that is not there."""
    import polars as pl

    text = prepare(sql)
    context = pl.SQLContext({name: frame.lazy() for name, frame in tables.items()})
    try:
        return context.execute(text, eager=False)
    except (Exception, pl.exceptions.PanicException) as exc:  # polars' errors, plain ones (ValueError), a panic
        raise error_for(exc, tables) from None


def run(sql: str, tables: Mapping[str, pl.DataFrame | pl.LazyFrame]) -> pl.DataFrame:
    """Run ``sql`` over ``tables`` and wait for its rows (:class:`SqlError` for anything polars refuses)."""
    import polars as pl

    lazy = plan(sql, tables)
    try:
        return lazy.collect()
    except (Exception, pl.exceptions.PanicException) as exc:  # a Rust panic is a BaseException
        raise error_for(exc, tables) from None


class Running:
    """A query running in polars' threads (:func:`start`): ``await result()`` for its rows; cancelling that
    await (a worker cancelled with Esc) cancels the query: nobody waits for it any more and its rows are dropped
    when polars is done."""

    def __init__(self, lazy: pl.LazyFrame, available: Iterable[str]) -> None:
        self._available = tuple(available)
        self._lazy: pl.LazyFrame | None = lazy
        self._done = threading.Event()
        self._outcome: tuple[bool, Any] | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._lock = threading.Lock()
        self.cancelled = False
        # one daemon thread runs the query (polars releases the GIL and works in its own pool): the event loop is
        # never blocked, and the thread ends when polars does, cancelled or not
        threading.Thread(target=self._work, name="pdxtui-sql", daemon=True).start()

    def _work(self) -> None:
        lazy, self._lazy = self._lazy, None
        assert lazy is not None
        try:
            outcome: tuple[bool, Any] = (True, lazy.collect())
        except BaseException as exc:  # handed to the awaiting side as it is
            outcome = (False, exc)
        del lazy
        if self.cancelled:  # nobody wants these rows: let them go now
            outcome = (False, SqlError("the query was cancelled"))
        with self._lock:
            self._outcome = outcome
            waiters, self._waiters = self._waiters, []
        self._done.set()
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that event loop is closed: nobody waits there any more
                loop.call_soon_threadsafe(_settle, future)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Stop waiting for the query: whatever polars returns later is dropped."""
        self.cancelled = True

    def wait(self, timeout: float | None = None) -> pl.DataFrame:
        """Block until the rows are in (for a thread or a test); :class:`SqlError` for a query polars refuses."""
        if not self._done.wait(timeout):
            raise TimeoutError("the query is still running")
        return self._unpack()

    async def result(self) -> pl.DataFrame:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._outcome is None:
                self._waiters.append((loop, future))
            else:
                future.set_result(None)
        try:
            await future
        except asyncio.CancelledError:
            with self._lock:  # this waiter is gone: the thread must not call into its loop, which may close
                self._waiters = [(lp, f) for lp, f in self._waiters if f is not future]
            self.cancel()
            raise
        return self._unpack()

    def _unpack(self) -> pl.DataFrame:
        assert self._outcome is not None
        ok, value = self._outcome
        if ok:
            return value
        raise error_for(value, self._available) from None


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def start(sql: str, tables: Mapping[str, pl.DataFrame | pl.LazyFrame]) -> Running:
    """Start ``sql`` over ``tables`` in the background. :class:`SqlError` at once for what polars finds as it plans
    the query (cheaply, before any row is read): SQL that does not parse, a table or column that is not there, most
    type errors; any other comes from :meth:`Running.result`."""
    import polars as pl

    lazy = plan(sql, tables)
    try:
        lazy.collect_schema()
    except (Exception, pl.exceptions.PanicException) as exc:  # a Rust panic is a BaseException
        raise error_for(exc, tables) from None
    return Running(lazy, tables)
