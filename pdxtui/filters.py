"""The row filter language (issue 4): parse it once, translate it for each portal, or run it locally.

People type it into the grid's filter bar and into ``pdxtui export --where``::

    SPECIES ~ maple                          SPECIES contains "maple" (any case)
    DIAMETER > 30                            numbers compare as numbers
    Condition = Good                         coded values: type the label you see in the grid
    DATE_DESIG >= 2010-01-01                 dates are YYYY-MM-DD (or YYYY-MM-DDTHH:MM[:SS], UTC)
    COMMON = 'Giant sequoia'                 quote values with spaces: 'single' or "double"
    NOTES is null    /    NOTES is not null  missing values
    SPECIES ~ maple and (DIAMETER > 30 or Condition != Poor)
    not (Site_Type ~ park)

Grammar (keywords ``and or not is null`` ignore case; ``and`` binds tighter than ``or``; ``not`` tighter still)::

    filter    := term ("or" term)*
    term      := unary ("and" unary)*
    unary     := "not" unary | "(" filter ")" | condition
    condition := COLUMN OP VALUE | COLUMN "is" ["not"] "null"
    OP        := "=" ("==") | "!=" ("<>") | ">" | ">=" | "<" | "<=" | "~" (contains) | "!~" (does not contain)

* COLUMN is a field name, matched exactly, else ignoring case, else against the fields' aliases; back ticks
  quote a name with spaces or odd characters (`Site Type`; a doubled back tick inside stands for one).
  An unknown name is an error that suggests the closest one.
* VALUE is a bare word (letters, digits and ``_ - . : / +``), or a quoted string: ``'O''Bryant'``,
  ``'O\\'Bryant'``, ``"say \\"hi\\""`` (inside quotes a doubled quote or a backslash before the quote or a
  backslash is that character; any other backslash is kept as it is). The column's kind types the value:
  integer/float columns take numbers, date columns ``YYYY-MM-DD``, datetime columns that or
  ``YYYY-MM-DDTHH:MM[:SS]`` (UTC; a trailing ``Z`` or ``+HH:MM`` offset is converted to UTC), boolean columns
  ``true false yes no``, text columns any text. ``~``/``!~`` only apply to text columns; ``< <= > >=`` not to
  booleans or coded-value columns. ``= null`` is refused: write ``is null``.

Semantics (the same everywhere; the tests hold the local evaluation to a row-by-row reference):

* ``=`` is exact, case-sensitive equality; ``~`` is a case-insensitive *literal* substring test (no wildcards,
  no regex; both sides upper-cased, Python/Unicode rules locally).
* Missing values follow SQL: a comparison with a null is *unknown*, ``not`` unknown is unknown, ``and``/``or``
  are Kleene logic, and a row is kept only when the whole filter is true. So ``DIAMETER != 30``,
  ``SPECIES !~ maple`` and ``not (DIAMETER > 30)`` all leave out rows where the column is null; use
  ``... or X is null`` to keep them.
* A date (``2010-01-01``) compared with a *datetime* column compares the UTC calendar day: ``= 2010-01-01`` is
  anything that day, ``> 2010-01-01`` is from the next day on. A datetime value compares the instant.
* Coded-value fields (ArcGIS domains: the grid shows labels, the server stores codes): ``=``/``!=`` take a label
  (any case) or a code, and the parsed value is the label. ``to_arcgis`` sends codes: ``= label`` becomes
  ``F = code`` (``F IN (...)`` if several codes share the label), ``~ text`` becomes ``F IN (codes whose label
  contains text)``. Codes outside the domain show as raw text locally and are never matched by ``~`` on the
  server. ``to_soql``/``to_ckan``/``to_polars`` compare labels as text (those portals have no domains; the
  local frame holds labels).

Translators: :func:`to_arcgis` (a REST ``where``), :func:`to_soql` (a ``$where``), :func:`to_ckan` (datastore
``filters``), :func:`to_polars` (an expression for ``DataFrame.filter``). A part a portal cannot express raises
:class:`NotServerSide`; :func:`server_part` keeps the top-level ``and`` items a translator accepts, and the caller
then applies :func:`to_polars` to the rows it gets back (a superset). Nothing here does I/O or imports Textual.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Union

from pdxtui.errors import UsageError
from pdxtui.model import Field
from pdxtui.textsafe import one_line

__all__ = [
    "HELP",
    "OPERATORS",
    "And",
    "CkanFilter",
    "Compare",
    "FilterError",
    "IsNull",
    "Node",
    "Not",
    "NotServerSide",
    "Or",
    "caret",
    "columns",
    "describe",
    "parse",
    "server_part",
    "to_arcgis",
    "to_ckan",
    "to_polars",
    "to_soql",
    "to_text",
]

#: Shown by the UI's filter help and ``pdxtui export --help``.
HELP = """\
Filter rows:  COLUMN OP VALUE, joined with and / or / not and ( ).
  SPECIES ~ maple              contains, ignoring case   (!~  does not contain)
  DIAMETER > 30                = != > >= < <=
  Condition = Good             coded values: the label you see
  DATE_DESIG >= 2010-01-01     dates YYYY-MM-DD, or YYYY-MM-DDTHH:MM (UTC)
  COMMON = 'Giant sequoia'     quote values with spaces ('O''Bryant' or "O'Bryant")
  NOTES is null                also: is not null
  SPECIES ~ maple and (DIAMETER > 30 or Condition != Poor)
Column names ignore case; quote odd ones with `back ticks`. and binds tighter than or.
Rows where the column is empty never match a comparison (not even != or !~)."""

#: canonical operator -> the spellings accepted for it
OPERATORS = {
    "=": ("=", "=="),
    "!=": ("!=", "<>"),
    "<": ("<",),
    "<=": ("<=",),
    ">": (">",),
    ">=": (">=",),
    "~": ("~",),
    "!~": ("!~",),
}
_OPS = {spelling: op for op, spellings in OPERATORS.items() for spelling in spellings}
_ORDERING = frozenset({"<", "<=", ">", ">="})
_CONTAINS = frozenset({"~", "!~"})
_OP_CHARS = frozenset("=!<>~")
_WORD_PUNCT = frozenset("_-.:/+")
_KEYWORDS = frozenset({"and", "or", "not", "is", "null"})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2}))?(Z|z|[+-]\d{2}:?\d{2})?\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORDLIKE = re.compile(r"[^\W\d]\w*\Z")
_INT64 = 2**63 - 1
_EPOCH_DAY = date(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1)

#: words an ArcGIS where clause (SQL-92 on whatever database backs the layer) cannot take as a bare field name
_SQL_RESERVED = frozenset(
    {
        "ALL",
        "AND",
        "ANY",
        "AS",
        "ASC",
        "BETWEEN",
        "BY",
        "CASE",
        "CAST",
        "CURRENT_DATE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "DATE",
        "DESC",
        "DISTINCT",
        "ELSE",
        "END",
        "ESCAPE",
        "EXISTS",
        "FALSE",
        "FROM",
        "GROUP",
        "HAVING",
        "IN",
        "INTERVAL",
        "IS",
        "LIKE",
        "LOWER",
        "NOT",
        "NULL",
        "OR",
        "ORDER",
        "SELECT",
        "SOME",
        "THEN",
        "TIME",
        "TIMESTAMP",
        "TRUE",
        "UPPER",
        "WHEN",
        "WHERE",
    }
)
_SOQL_RESERVED = frozenset(
    {
        "AND",
        "OR",
        "NOT",
        "NULL",
        "IS",
        "LIKE",
        "IN",
        "BETWEEN",
        "TRUE",
        "FALSE",
        "AS",
        "SELECT",
        "WHERE",
        "ORDER",
        "GROUP",
        "BY",
        "HAVING",
        "LIMIT",
        "OFFSET",
        "SEARCH",
    }
)


# -- errors -----------------------------------------------------------------------------------------------------


class FilterError(UsageError):
    """A filter that cannot be parsed or used. ``position`` is a 0-based offset into the text (None: unknown);
    ``message`` is the text without the position; ``str()`` reads "... at column N" (1-based) for people."""

    def __init__(self, message: str, position: int | None = None, hint: str = "") -> None:
        self.reason = message
        self.position = position
        self.hint = hint
        self.message = f"{message}; {hint}" if hint else message
        where = f" at column {position + 1}" if position is not None else ""
        super().__init__(f"{message}{where}" + (f"; {hint}" if hint else ""))


class NotServerSide(FilterError):
    """This (part of the) filter cannot be sent to the portal; filter the rows locally instead."""


def caret(text: str, err: FilterError) -> str:
    """The line of ``text`` holding the error, and a ``^`` under the error's position (two lines).

    Control characters are shown as visible stand-ins of the same width, tabs as spaces, and wide (East Asian)
    characters count two cells, so the caret lines up in a terminal."""
    position = err.position
    if position is None:
        return _display(text.replace("\n", " "))[0]
    position = max(0, min(position, len(text)))
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start:] if end < 0 else text[start:end]
    shown, widths = _display(line)
    return f"{shown}\n{' ' * sum(widths[: position - start])}^"


def _display(line: str) -> tuple[str, list[int]]:
    out, widths = [], []
    for ch in line:
        if ch == "\t" or (ch.isspace() and ch != " "):
            ch = " "
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            ch = "\ufffd" if ord(ch) >= 0x20 else chr(0x2400 + ord(ch))
        if unicodedata.combining(ch):
            width = 0
        else:
            width = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        out.append(ch)
        widths.append(width)
    return "".join(out), widths


def _show(text: str) -> str:
    """A user's token, quoted and made safe for a one-line message."""
    return repr(one_line(text, 40))


# -- the tree ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``column op value``. ``op`` is canonical (``= != < <= > >= ~ !~``); ``value`` is typed by the column's
    kind: int/float, str, bool, date or datetime (naive, UTC). For coded-value fields it is the label."""

    column: str
    op: str
    value: Any
    position: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class IsNull:
    """``column is null`` (``negated``: ``is not null``)."""

    column: str
    negated: bool = False
    position: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Union[Compare, IsNull, And, Or, Not]


def _join(kind: type[And] | type[Or], items: Iterable[Node]) -> Node:
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def columns(node: Node | None) -> set[str]:
    """The (canonical) column names a filter reads."""
    if node is None:
        return set()
    if isinstance(node, (Compare, IsNull)):
        return {node.column}
    if isinstance(node, Not):
        return columns(node.item)
    return set().union(*(columns(item) for item in node.items))


# -- lexing -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD, STR (quoted value), NAME (back-ticked column), OP, LPAREN, RPAREN, END
    text: str  # decoded text
    pos: int
    raw: str = ""


def _word_char(ch: str) -> bool:
    return ch in _WORD_PUNCT or unicodedata.category(ch)[0] in "LNM"


def _lex(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            out.append(_Tok("END", "", n))
            return out
        ch = text[i]
        if ch in "()":
            out.append(_Tok("LPAREN" if ch == "(" else "RPAREN", ch, i, ch))
            i += 1
        elif ch in _OP_CHARS:
            j = i
            while j < n and text[j] in _OP_CHARS:
                j += 1
            out.append(_Tok("OP", text[i:j], i, text[i:j]))
            i = j
        elif ch in "'\"`":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    what = "back-ticked column name" if ch == "`" else f"quote ({ch})"
                    raise FilterError(f"unterminated {what}", i, f"close it with another {ch}")
                c = text[j]
                if c == "\\" and ch != "`" and j + 1 < n and text[j + 1] in (ch, "\\"):
                    buf.append(text[j + 1])
                    j += 2
                elif c == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        buf.append(ch)
                        j += 2
                    else:
                        j += 1
                        break
                else:
                    buf.append(c)
                    j += 1
            out.append(_Tok("NAME" if ch == "`" else "STR", "".join(buf), i, text[i:j]))
            i = j
        elif _word_char(ch):
            j = i
            while j < n and _word_char(text[j]):
                j += 1
            out.append(_Tok("WORD", text[i:j], i, text[i:j]))
            i = j
        else:
            raise FilterError(f"unexpected character {_show(ch)}", i, "put values with other characters in quotes")


# -- parsing ----------------------------------------------------------------------------------------------------


def parse(text: str, fields: Sequence[Field]) -> Node | None:
    """Parse filter ``text`` against a dataset's ``fields``. None for blank text; :class:`FilterError` (with a
    position) for anything else that is not a valid filter for these fields."""
    if text is None or not text.strip():
        return None
    return _Parser(_lex(text), tuple(fields)).parse()


class _Parser:
    def __init__(self, tokens: list[_Tok], fields: tuple[Field, ...]) -> None:
        self.tokens = tokens
        self.index = 0
        self.fields = fields

    # token helpers
    def peek(self, ahead: int = 0) -> _Tok:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def next(self) -> _Tok:
        tok = self.peek()
        if tok.kind != "END":
            self.index += 1
        return tok

    def keyword(self, word: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == "WORD" and tok.text.lower() == word

    def parse(self) -> Node:
        node = self.parse_or()
        tok = self.peek()
        if tok.kind != "END":
            if tok.kind == "RPAREN":
                raise FilterError("unexpected ')'", tok.pos, "it closes no '('")
            previous = self.tokens[self.index - 1] if self.index else None
            hint = "join conditions with 'and' or 'or'"
            if previous is not None and previous.kind == "WORD" and tok.kind == "WORD":
                hint = "put values that contain spaces in quotes, or join conditions with 'and' or 'or'"
            raise FilterError(f"unexpected {_show(tok.raw)}", tok.pos, hint)
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.keyword("or"):
            self.next()
            items.append(self.parse_and())
        return _join(Or, items)

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while self.keyword("and"):
            self.next()
            items.append(self.parse_unary())
        return _join(And, items)

    def parse_unary(self) -> Node:
        if self.keyword("not") and self.peek(1).kind != "OP" and not self.keyword("is", 1):
            self.next()
            return Not(self.parse_unary())
        tok = self.peek()
        if tok.kind == "LPAREN":
            self.next()
            if self.peek().kind == "RPAREN":
                raise FilterError("empty parentheses", tok.pos, "put a condition inside ( )")
            node = self.parse_or()
            close = self.peek()
            if close.kind != "RPAREN":
                if close.kind == "END":
                    raise FilterError("missing ')'", close.pos, f"to close the '(' at column {tok.pos + 1}")
                raise FilterError(
                    f"expected ')' before {_show(close.raw)}", close.pos, f"to close the '(' at column {tok.pos + 1}"
                )
            self.next()
            return node
        return self.parse_condition()

    def parse_condition(self) -> Node:
        before = self.tokens[self.index - 1] if self.index else None
        tok = self.next()
        if tok.kind == "END":
            after = f" after {_show(before.raw)}" if before is not None else ""
            raise FilterError(f"expected a condition{after}", tok.pos, "for example: DIAMETER > 30")
        if tok.kind == "STR":
            raise FilterError(
                f"expected a column name, found the quoted value {_show(tok.raw)}",
                tok.pos,
                "quote column names with `back ticks`",
            )
        if tok.kind in ("OP", "RPAREN"):
            raise FilterError(f"expected a column name before {_show(tok.raw)}", tok.pos)
        if tok.kind == "WORD" and tok.text.lower() in ("and", "or"):
            raise FilterError(f"expected a condition before {_show(tok.raw)}", tok.pos)
        column = self.resolve(tok)

        op_tok = self.next()
        if op_tok.kind == "WORD" and op_tok.text.lower() == "is":
            negated = False
            if self.keyword("not"):
                self.next()
                negated = True
            null = self.next()
            if not (null.kind == "WORD" and null.text.lower() == "null"):
                raise FilterError("expected 'null' or 'not null' after 'is'", null.pos)
            return IsNull(column.name, negated, tok.pos)
        if op_tok.kind != "OP":
            found = "" if op_tok.kind == "END" else f", found {_show(op_tok.raw)}"
            raise FilterError(
                f"expected an operator after {_show(tok.raw)}{found}",
                op_tok.pos,
                "use = != < <= > >= ~ (contains) !~ or 'is null'",
            )
        op = _OPS.get(op_tok.text)
        if op is None:
            raise FilterError(
                f"unknown operator {_show(op_tok.text)}", op_tok.pos, "use = != < <= > >= ~ (contains) !~ or 'is null'"
            )
        self.check_op(column, op, op_tok)

        value_tok = self.next()
        if value_tok.kind == "WORD" and value_tok.text.lower() == "null":
            raise FilterError(
                f"expected a value after {_show(op_tok.text)}",
                value_tok.pos,
                f"write {one_line(tok.raw, 40)} is null (or is not null) to find missing values,"
                " or quote 'null' to mean the word",
            )
        if value_tok.kind != "STR" and (value_tok.kind != "WORD" or value_tok.text.lower() in _KEYWORDS):
            raise FilterError(
                f"expected a value after {_show(op_tok.text)}",
                value_tok.pos,
                "quote it if you mean the word" if value_tok.kind == "WORD" else "",
            )
        return Compare(column.name, op, _typed(column, op, value_tok), tok.pos)

    def resolve(self, tok: _Tok) -> Field:
        name = tok.text
        found = [f for f in self.fields if f.name == name]
        if not found:
            found = [f for f in self.fields if f.name.casefold() == name.casefold()]
        if not found:
            found = [f for f in self.fields if f.alias and f.alias.casefold() == name.casefold()]
        if len(found) > 1:
            raise FilterError(
                f"column {_show(name)} is ambiguous",
                tok.pos,
                "write one of " + ", ".join(f.name for f in found) + " exactly",
            )
        if not found:
            if tok.kind == "WORD" and not _WORDLIKE.match(name):
                raise FilterError(f"expected a column name, found {_show(tok.raw)}", tok.pos)
            raise FilterError(f"unknown column {_show(name)}", tok.pos, _suggest(name, self.fields))
        column = found[0]
        if column.kind == "geometry":
            raise FilterError(f"cannot filter on the geometry column {_show(column.name)}", tok.pos)
        return column

    @staticmethod
    def check_op(column: Field, op: str, tok: _Tok) -> None:
        kind = _kind(column)
        if op in _CONTAINS and kind != "string":
            raise FilterError(
                f"cannot use {_show(tok.text)} on {column.name}, which holds {_NOUN[kind]}",
                tok.pos,
                "~ and !~ work on text; use = != < <= > >=",
            )
        if op in _CONTAINS and column.domain:
            return
        if op in _ORDERING and (kind == "boolean" or column.domain):
            what = "true/false values" if kind == "boolean" else "coded values"
            raise FilterError(
                f"cannot use {_show(tok.text)} on {column.name}, which holds {what}",
                tok.pos,
                "use = or !=" + (" (or ~ to match part of a label)" if column.domain else ""),
            )


_NOUN = {
    "string": "text",
    "integer": "numbers",
    "float": "numbers",
    "boolean": "true/false values",
    "date": "dates",
    "datetime": "dates and times",
}


def _kind(column: Field) -> str:
    return "string" if column.kind in ("json", "string") or column.kind not in _NOUN else column.kind


def _suggest(name: str, fields: Sequence[Field]) -> str:
    names = {f.name.casefold(): f.name for f in fields}
    names.update({f.alias.casefold(): f.name for f in fields if f.alias and f.alias.casefold() not in names})
    close = difflib.get_close_matches(name.casefold(), list(names), n=1, cutoff=0.6)
    return f"did you mean {names[close[0]]}?" if close else ""


def _typed(column: Field, op: str, tok: _Tok) -> Any:
    """The value of ``tok`` as the column's kind needs it, or a FilterError at the token."""
    text = tok.text
    kind = _kind(column)
    if kind == "string":
        if column.domain and op not in _CONTAINS:
            return _label(column, tok)
        return text
    if kind in ("integer", "float"):
        number = _number(text.strip())
        if number is None:
            raise FilterError(f"expected a number for {column.name}, not {_show(tok.raw)}", tok.pos)
        return number
    if kind == "boolean":
        word = text.strip().lower()
        if word in ("true", "yes"):
            return True
        if word in ("false", "no"):
            return False
        raise FilterError(
            f"expected true or false for {column.name}, not {_show(tok.raw)}", tok.pos, "write true, false, yes or no"
        )
    moment = _moment(text.strip(), tok)
    if kind == "date":
        if isinstance(moment, datetime):
            raise FilterError(
                f"expected a date for {column.name}, not a date and time",
                tok.pos,
                f"{column.name} holds dates without a time of day: write YYYY-MM-DD",
            )
        if moment is None:
            raise FilterError(
                f"expected a date for {column.name}, not {_show(tok.raw)}", tok.pos, "write YYYY-MM-DD, e.g. 2010-01-01"
            )
        return moment
    if moment is None:
        raise FilterError(
            f"expected a date for {column.name}, not {_show(tok.raw)}",
            tok.pos,
            "write YYYY-MM-DD or YYYY-MM-DDTHH:MM, e.g. 2010-01-01T09:30",
        )
    if type(moment) is date and moment == date.max:
        raise FilterError("date out of range", tok.pos)
    return moment


def _number(text: str) -> int | float | None:
    if not _NUMBER.match(text):
        return None
    if any(c in text for c in ".eE"):
        value = float(text)
        if value in (float("inf"), float("-inf")):
            return None
        return value
    value = int(text)
    return value if -_INT64 <= value <= _INT64 else float(value)


def _moment(text: str, tok: _Tok) -> date | datetime | None:
    """A date or a naive UTC datetime from ISO text, None if it is not shaped like one."""
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FilterError(f"{_show(text)} is not a real date", tok.pos) from None
    match = _DATETIME.match(text)
    if not match:
        return None
    day, hour, minute, second, offset = match.groups()
    try:
        moment = datetime.combine(date.fromisoformat(day), datetime.min.time()).replace(
            hour=int(hour), minute=int(minute), second=int(second or 0)
        )
        if offset and offset.upper() != "Z":
            sign = 1 if offset[0] == "+" else -1
            digits = offset[1:].replace(":", "")
            shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if shift >= timedelta(hours=24):
                raise ValueError
            moment = moment.replace(tzinfo=timezone(sign * shift)).astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise FilterError(f"{_show(text)} is not a real date and time", tok.pos) from None
    return moment


def _label(column: Field, tok: _Tok) -> str:
    """A coded-value field's value: the label typed (any case), or the label of a code typed."""
    text = tok.text
    for _code, label in column.domain:
        if label == text:
            return label
    for _code, label in column.domain:
        if label.casefold() == text.casefold():
            return label
    for code, label in column.domain:
        if str(code) == text.strip():
            return label
    labels = [label for _code, label in column.domain]
    close = difflib.get_close_matches(text.casefold(), [label.casefold() for label in labels], n=1, cutoff=0.6)
    if close:
        hint = "did you mean " + next(label for label in labels if label.casefold() == close[0]) + "?"
    else:
        hint = "values: " + ", ".join(labels[:8]) + (", …" if len(labels) > 8 else "")
    raise FilterError(f"{_show(tok.raw)} is not one of {column.name}'s values", tok.pos, one_line(hint, 200))


# -- shared translation helpers ---------------------------------------------------------------------------------


def _field_map(fields: Sequence[Field]) -> dict[str, Field]:
    return {f.name: f for f in fields}


def _field(by_name: Mapping[str, Field], node: Compare | IsNull) -> Field:
    found = by_name.get(node.column)
    if found is None:
        raise FilterError(f"unknown column {_show(node.column)}", node.position)
    return found


def _sql_string(text: str) -> str:
    """A SQL-92 / SoQL string literal: single quotes, a quote inside doubled. Nothing else is special."""
    return "'" + text.replace("'", "''") + "'"


def _sql_number(value: int | float) -> str:
    """Plain positional digits (no exponent), which every SQL dialect reads."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _iso(value: datetime, sep: str) -> str:
    """``YYYY-MM-DD{sep}HH:MM:SS`` with a four-digit year (strftime drops the padding on some platforms)."""
    return f"{value.date().isoformat()}{sep}{value.time().replace(microsecond=0).isoformat()}"


def _day_bounds(value: date) -> tuple[datetime, datetime]:
    start = datetime(value.year, value.month, value.day)
    return start, start + timedelta(days=1)


def _is_day_on_datetime(column: Field, value: Any) -> bool:
    return type(value) is date and _kind(column) == "datetime"


def _contains_codes(column: Field, text: str) -> list[Any]:
    needle = text.upper()
    return [code for code, label in column.domain if needle in str(label).upper()]


def _label_codes(column: Field, label: str) -> list[Any]:
    return [code for code, text in column.domain if text == label]


class _Sql:
    """Renders a tree as an ArcGIS (``arcgis``) or Socrata (``soql``) where clause."""

    def __init__(self, fields: Sequence[Field], dialect: str) -> None:
        self.by_name = _field_map(fields)
        self.arcgis = dialect == "arcgis"

    def render(self, node: Node) -> str:
        if isinstance(node, And):
            if not node.items:
                return "1=1" if self.arcgis else "true"
            return " AND ".join(f"({self.render(i)})" if isinstance(i, Or) else self.render(i) for i in node.items)
        if isinstance(node, Or):
            if not node.items:
                return "1=0" if self.arcgis else "false"
            return " OR ".join(self.render(i) for i in node.items)
        if isinstance(node, Not):
            return f"NOT ({self.render(node.item)})"
        if isinstance(node, IsNull):
            column = _field(self.by_name, node)
            return f"{self.name(column, node)} IS {'NOT ' if node.negated else ''}NULL"
        if isinstance(node, Compare):
            return self.compare(node)
        raise TypeError(f"not a filter node: {node!r}")

    def name(self, column: Field, node: Compare | IsNull) -> str:
        name = column.name
        if self.arcgis:
            if (
                not _IDENTIFIER.match(name)
                or name.upper() in _SQL_RESERVED
                or column.kind in ("geometry", "json")
                or column.type.startswith("esriGeometry")
            ):
                raise NotServerSide(f"cannot filter on {name} on the server", node.position)
            return name
        if _IDENTIFIER.match(name) and name.upper() not in _SOQL_RESERVED:
            return name
        if "`" in name or not name:
            raise NotServerSide(f"cannot filter on {name} on the server", node.position)
        return f"`{name}`"

    def literal(self, column: Field, value: Any) -> str:
        if isinstance(value, bool):
            if self.arcgis:
                return "1" if value else "0"
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return _sql_number(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            if self.arcgis and _kind(column) == "date":
                return f"DATE '{value.isoformat()}'"
            value = datetime(value.year, value.month, value.day)
        if isinstance(value, datetime):
            return f"timestamp '{_iso(value, ' ')}'" if self.arcgis else f"'{_iso(value, 'T')}'"
        return _sql_string(str(value))

    def compare(self, node: Compare) -> str:
        column = _field(self.by_name, node)
        name = self.name(column, node)
        op, value = node.op, node.value
        if self.arcgis and column.domain:
            return self.coded(column, name, node)
        if op in _CONTAINS:
            return self.contains(name, node)
        if _is_day_on_datetime(column, value):
            start, end = (self.literal(column, moment) for moment in _day_bounds(value))
            if op == "=":
                return f"({name} >= {start} AND {name} < {end})"
            if op == "!=":
                return f"({name} < {start} OR {name} >= {end})"
            return {
                "<": f"{name} < {start}",
                "<=": f"{name} < {end}",
                ">": f"{name} >= {end}",
                ">=": f"{name} >= {start}",
            }[op]
        sql_op = "<>" if op == "!=" and self.arcgis else op
        return f"{name} {sql_op} {self.literal(column, value)}"

    def contains(self, name: str, node: Compare) -> str:
        needle = str(node.value).upper()
        negate = "NOT " if node.op == "!~" else ""
        if self.arcgis:
            if any(c in needle for c in "%_\\"):
                pattern = re.sub(r"([%_\\])", r"\\\1", needle)
                return f"UPPER({name}) {negate}LIKE {_sql_string('%' + pattern + '%')} ESCAPE '\\'"
            return f"UPPER({name}) {negate}LIKE {_sql_string('%' + needle + '%')}"
        if any(c in needle for c in "%_\\"):
            raise NotServerSide(
                f"SoQL cannot search {node.column} for a literal %, _ or \\ (its like has no escape)", node.position
            )
        return f"upper({name}) {negate.lower()}like {_sql_string('%' + needle + '%')}"

    def coded(self, column: Field, name: str, node: Compare) -> str:
        if node.op in _CONTAINS:
            codes = _contains_codes(column, str(node.value))
            negate = node.op == "!~"
        elif node.op in ("=", "!="):
            codes = _label_codes(column, node.value)
            negate = node.op == "!="
            if not codes:  # a value that parse() did not make: compare it as text
                codes = [node.value]
        else:
            raise NotServerSide(f"cannot compare the coded values of {column.name} with {node.op!r}", node.position)
        if not codes:  # no label matches: false for values, unknown for nulls (as locally)
            return f"{name} = {name}" if negate else f"{name} <> {name}"
        literals = [self.literal(column, code) for code in codes]
        if len(literals) == 1:
            return f"{name} {'<>' if negate else '='} {literals[0]}"
        return f"{name} {'NOT IN' if negate else 'IN'} ({', '.join(literals)})"


def to_arcgis(node: Node, fields: Sequence[Field]) -> str:
    """An ArcGIS REST ``where`` clause (standardized SQL-92).

    Strings are single-quoted with ``'`` doubled; numbers bare; datetimes ``timestamp 'YYYY-MM-DD HH:MM:SS'``
    (UTC), date-only fields ``DATE 'YYYY-MM-DD'``; booleans ``1``/``0``; ``!=`` is ``<>``. Contains is
    ``UPPER(F) LIKE '%VALUE%'`` with the value upper-cased; when the value holds ``%``, ``_`` or ``\\`` they are
    escaped with a backslash and ``ESCAPE '\\'`` is added (a backslash is also PostgreSQL's default LIKE escape,
    so it is never sent bare). Coded-value labels become codes (see the module docstring). Field names must be
    plain identifiers that are not SQL keywords, and not the latitude/longitude taken from point geometry:
    anything else raises :class:`NotServerSide`."""
    return _Sql(fields, "arcgis").render(node)


def to_soql(node: Node, fields: Sequence[Field]) -> str:
    """A Socrata ``$where`` clause.

    Strings single-quoted with ``''``; dates and datetimes as floating timestamps ``'YYYY-MM-DDTHH:MM:SS'``;
    booleans ``true``/``false``; names that are not identifiers in back ticks. Contains is
    ``upper(f) like '%VALUE%'``. SoQL's ``like`` treats ``%`` and ``_`` as wildcards and documents no escape (and
    whether a backslash escapes is unknown), so a contains value holding ``%``, ``_`` or ``\\`` raises
    :class:`NotServerSide`: use :func:`server_part` and filter those rows locally."""
    return _Sql(fields, "soql").render(node)


def server_part(node: Node | None, translate: Callable[[Node], str]) -> tuple[str | None, bool]:
    """What a portal can filter: ``(clause or None, exact)``.

    ``translate`` is e.g. ``lambda n: to_soql(n, fields)``. If the whole filter translates, ``exact`` is True.
    Otherwise the top-level ``and`` items that translate are kept (dropping ``and`` items only ever widens the
    result), ``exact`` is False, and the caller must apply :func:`to_polars` of the whole filter to the rows."""
    if node is None:
        return None, True
    try:
        return translate(node), True
    except NotServerSide:
        pass
    kept = []
    for item in node.items if isinstance(node, And) else ():
        try:
            translate(item)
        except NotServerSide:
            continue
        kept.append(item)
    if not kept:
        return None, False
    return translate(_join(And, kept)), False


# -- CKAN -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CkanFilter:
    """Arguments for CKAN ``datastore_search``: ``filters`` (JSON-encode it), ``q`` and whether they are exact.

    ``filters`` maps a field to one value, or to a list meaning any of them; fields are and-ed. Values are text
    (PostgreSQL casts them to the column's type). ``q`` is always None: full-text search matches whole words
    across every column, which is neither narrower nor wider than ``~``, so it cannot stand in for it.
    ``exact`` False: the filters are only the part CKAN can do (a superset of the rows); apply
    :func:`to_polars` of the whole filter to what comes back."""

    filters: dict[str, list[str] | str]
    q: str | None = None
    exact: bool = True


def to_ckan(node: Node | None, fields: Sequence[Field]) -> CkanFilter:
    """Translate the equality part of a filter: ``and`` of ``F = v``, and ``or`` of ``F = v`` on one field."""
    if node is None:
        return CkanFilter({}, None, True)
    by_name = _field_map(fields)
    filters: dict[str, list[str]] = {}
    exact = True
    for item in node.items if isinstance(node, And) else (node,):
        atom = _ckan_atom(item, by_name)
        if atom is None:
            exact = False
            continue
        name, values = atom
        if name in filters:
            if set(filters[name]) != set(values):
                exact = False  # two conditions on one field: keep the first (a superset)
            continue
        filters[name] = values
    out: dict[str, list[str] | str] = {k: v[0] if len(v) == 1 else v for k, v in filters.items()}
    return CkanFilter(out, None, exact)


def _ckan_atom(node: Node, by_name: Mapping[str, Field]) -> tuple[str, list[str]] | None:
    items = node.items if isinstance(node, Or) else (node,)
    name = None
    values: list[str] = []
    for item in items:
        if not isinstance(item, Compare) or item.op != "=" or (name is not None and item.column != name):
            return None
        column = _field(by_name, item)
        if _is_day_on_datetime(column, item.value):
            return None
        name = item.column
        text = _ckan_value(item.value)
        if text not in values:
            values.append(text)
    return (name, values) if name is not None else None


def _ckan_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _sql_number(value)
    if isinstance(value, datetime):
        return _iso(value, "T")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- polars -----------------------------------------------------------------------------------------------------


def to_polars(node: Node, schema: Mapping[str, Any] | None = None) -> Any:
    """A polars expression for ``frame.filter(...)`` with the semantics above (SQL nulls, literal contains).

    Dates compare by UTC calendar day (``dt.epoch("d")``) and datetimes by instant (``dt.epoch("us")``), so the
    same expression works on ``Date``, naive ``Datetime`` (taken as UTC) and ``Datetime(tz)`` columns. With a
    ``schema`` (``frame.schema``), unknown columns raise :class:`FilterError`, and ``~`` on a non-text column
    casts it to text first."""
    import polars as pl

    def column(name: str, position: int | None) -> Any:
        if name == "*" or (name.startswith("^") and name.endswith("$")):
            raise FilterError(f"cannot filter on the column {_show(name)} locally", position)
        if schema is not None and name not in schema:
            raise FilterError(f"unknown column {_show(name)}", position)
        return pl.col(name)

    def build(node: Node) -> Any:
        if isinstance(node, And):
            return _fold(pl, [build(i) for i in node.items], "and")
        if isinstance(node, Or):
            return _fold(pl, [build(i) for i in node.items], "or")
        if isinstance(node, Not):
            return ~build(node.item)
        if isinstance(node, IsNull):
            col = column(node.column, node.position)
            return col.is_not_null() if node.negated else col.is_null()
        if not isinstance(node, Compare):
            raise TypeError(f"not a filter node: {node!r}")
        col = column(node.column, node.position)
        op, value = node.op, node.value
        if op in _CONTAINS:
            if schema is not None and schema[node.column] != pl.String:
                col = col.cast(pl.String)
            found = col.str.to_uppercase().str.contains(str(value).upper(), literal=True)
            return ~found if op == "!~" else found
        if isinstance(value, datetime):
            col, lit = col.dt.epoch("us"), pl.lit((value - _EPOCH) // timedelta(microseconds=1), pl.Int64)
        elif isinstance(value, date):
            col, lit = col.dt.epoch("d").cast(pl.Int64), pl.lit((value - _EPOCH_DAY).days, pl.Int64)
        elif isinstance(value, bool):
            lit = pl.lit(value, pl.Boolean)
        elif isinstance(value, int):
            lit = pl.lit(value, pl.Int64)
        elif isinstance(value, float):
            lit = pl.lit(value, pl.Float64)
        else:
            lit = pl.lit(str(value), pl.String)
        return {"=": col.eq, "!=": col.ne, "<": col.lt, "<=": col.le, ">": col.gt, ">=": col.ge}[op](lit)

    return build(node)


def _fold(pl: Any, exprs: list[Any], how: str) -> Any:
    if not exprs:
        return pl.lit(how == "and")
    out = exprs[0]
    for expr in exprs[1:]:
        out = (out & expr) if how == "and" else (out | expr)
    return out


# -- words ------------------------------------------------------------------------------------------------------

_PHRASES = {
    "=": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is greater than",
    ">=": "is at least",
    "~": "contains",
    "!~": "does not contain",
}
_DATE_PHRASES = {
    "=": "is on",
    "!=": "is not on",
    "<": "is before",
    "<=": "is on or before",
    ">": "is after",
    ">=": "is on or after",
}


def describe(node: Node | None) -> str:
    """Plain English, e.g. ``SPECIES contains "maple" and DIAMETER is greater than 30``."""
    if node is None:
        return "all rows"
    if isinstance(node, Compare):
        value = node.value
        if isinstance(value, (date, datetime)):
            phrase = _DATE_PHRASES[node.op]
            if isinstance(value, datetime):
                phrase = phrase.replace(" on", "") if node.op in ("=", "!=") else phrase.replace(" on or", " at or")
        else:
            phrase = _PHRASES[node.op]
        return f"{node.column} {phrase} {_describe_value(value)}"
    if isinstance(node, IsNull):
        return f"{node.column} {'has a value' if node.negated else 'has no value'}"
    if isinstance(node, Not):
        return f"not ({describe(node.item)})"
    if isinstance(node, And):
        return " and ".join(f"({describe(i)})" if isinstance(i, Or) else describe(i) for i in node.items)
    return " or ".join(f"({describe(i)})" if isinstance(i, And) else describe(i) for i in node.items)


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _sql_number(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return f"{value.date().isoformat()} {value.time().isoformat('seconds' if value.second else 'minutes')} UTC"
    if isinstance(value, date):
        return value.isoformat()
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_text(node: Node | None) -> str:
    """The filter written back in the filter language (canonical spelling); ``parse`` reads it back."""
    if node is None:
        return ""
    if isinstance(node, And):
        return " and ".join(f"({to_text(i)})" if isinstance(i, Or) else to_text(i) for i in node.items)
    if isinstance(node, Or):
        return " or ".join(to_text(i) for i in node.items)
    if isinstance(node, Not):
        inner = node.item
        return f"not ({to_text(inner)})" if isinstance(inner, (And, Or)) else f"not {to_text(inner)}"
    name = node.column
    if not (_WORDLIKE.match(name) and name.lower() not in _KEYWORDS):
        name = "`" + name.replace("`", "``") + "`"
    if isinstance(node, IsNull):
        return f"{name} is {'not ' if node.negated else ''}null"
    value = node.value
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, datetime):
        text = _iso(value, "T")
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{name} {node.op} {text}"


_EXAMPLE_WORD = re.compile(r"[A-Za-z]{3,}")


def example(fields: Sequence[Field], rows: Mapping[str, Sequence[Any]]) -> str:
    """A filter that fits this dataset, for the filter bar's hint: ``text ~ word and number > median`` from the
    first text and number columns that have values in ``rows`` (column name -> the loaded values). Written with
    :func:`to_text`, so it always parses; empty when the dataset has neither kind of column."""
    parts: list[Node] = []
    text = next((f for f in fields if f.kind == "string" and not f.domain and _example_word(rows.get(f.name))), None)
    if text is not None:
        parts.append(Compare(text.name, "~", _example_word(rows.get(text.name))))
    number = next(
        (
            f
            for f in fields
            if f.kind in ("integer", "float")
            and not f.domain
            and not _id_like(f.name)
            and _example_number(rows.get(f.name)) is not None
        ),
        None,
    )
    if number is not None:
        parts.append(Compare(number.name, ">", _example_number(rows.get(number.name))))
    if not parts:
        return ""
    written = to_text(parts[0] if len(parts) == 1 else And(tuple(parts)))
    if text is not None:  # a plain word needs no quotes (SPECIES ~ maple), as people type it
        word = _example_word(rows.get(text.name))
        if word not in _KEYWORDS and word not in ("true", "false"):
            written = written.replace(f"~ '{word}'", f"~ {word}", 1)
    return written


def _example_word(values: Sequence[Any] | None) -> str:
    for value in (values or ())[:200]:
        if isinstance(value, str):
            match = _EXAMPLE_WORD.search(value)
            if match:
                return match.group(0).lower()
    return ""


def _example_number(values: Sequence[Any] | None) -> int | None:
    present = sorted(
        v for v in (values or ())[:1000] if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
    )
    if not present:
        return None
    return int(present[len(present) // 2])


def _id_like(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("objectid", "fid", "id", "oid", "_id") or (
        lowered.endswith(("_id", "id")) and len(lowered) <= 12
    )
