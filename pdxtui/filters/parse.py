"""The filter language's lexer and parser: text in, a typed :data:`~pdxtui.filters.tree.Node` out."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from pdxtui.filters.tree import _NOUN, And, Compare, FilterError, IsNull, Node, Not, Or, _join, _kind, _show
from pdxtui.model import Field
from pdxtui.textsafe import one_line

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
