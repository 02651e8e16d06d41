"""The two small filter languages the fake ArcGIS portal understands.

* ``compile_where``: an ArcGIS REST ``where`` clause (the SQL-92 subset a MapServer takes) -> a row predicate.
  Supported: ``1=1``; ``=, <>, !=, <, >, <=, >=``; ``[NOT] LIKE 'p%' [ESCAPE 'c']``; ``IS [NOT] NULL``;
  ``[NOT] IN (...)``; ``[NOT] BETWEEN a AND b``; ``AND``, ``OR``, ``NOT``, parentheses; ``UPPER()``/``LOWER()``;
  string literals with ``''`` escaping; numbers; ``timestamp '2010-01-01 00:00:00'``, ``DATE '2010-01-01'``
  and ``CURRENT_TIMESTAMP``/``CURRENT_DATE`` for date fields (UTC). Field names ignore case; ``=`` and
  ``LIKE`` are case-sensitive, so case-insensitive search needs ``UPPER(F) LIKE '%X%'``.
  Comparisons with NULL are unknown (SQL three-valued logic), so ``F <> 'x'`` skips rows where F is null.
* ``compile_hub_filter``: a Hub search ``filter`` (``type='Feature Service' AND tags IN (trees, parks)``) ->
  an item predicate. Values may be quoted or bare; string matching ignores case.

Both raise :class:`ParseError` for anything they cannot parse, and the apps turn that into the portal's error.
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

Row = dict[str, Any]
Predicate = Callable[[Row], Any]  # returns True, False or None (unknown)


class ParseError(ValueError):
    """The expression is not something the fake understands."""


class Token(NamedTuple):
    kind: str  # STR, NUM, OP, ID, QID (double-quoted identifier), WORD (hub bare value)
    value: Any
    pos: int


_STR = r"'(?:[^']|'')*'"
_NUM = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_OP = r"<=|>=|<>|!=|=|<|>|\(|\)|,|-"
_WHERE_TOKEN = re.compile(
    rf"(?P<STR>{_STR})|(?P<NUM>{_NUM})|(?P<OP>{_OP})|(?P<QID>\"(?:[^\"]|\"\")+\")"
    r"|(?P<ID>[A-Za-z_][A-Za-z0-9_.]*)"
)
_HUB_TOKEN = re.compile(rf"(?P<STR>{_STR})|(?P<OP><=|>=|<>|!=|=|<|>|\(|\)|,)|(?P<WORD>[^\s(),'=<>!]+)")


def tokenize(text: str, pattern: re.Pattern[str] = _WHERE_TOKEN) -> list[Token]:
    tokens: list[Token] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return tokens
        match = pattern.match(text, pos)
        if not match:
            raise ParseError(f"unexpected character {text[pos]!r} at {pos}")
        kind = match.lastgroup
        raw = match.group()
        if kind == "STR":
            value: Any = raw[1:-1].replace("''", "'")
        elif kind == "NUM":
            value = float(raw) if any(c in raw for c in ".eE") else int(raw)
        elif kind == "QID":
            kind, value = "ID", raw[1:-1].replace('""', '"')
        else:
            value = raw
        tokens.append(Token(kind, value, pos))
        pos = match.end()


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.index = 0

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.index + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise ParseError("unexpected end of expression")
        self.index += 1
        return token

    def is_op(self, op: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind == "OP" and token.value == op

    def is_keyword(self, word: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind in ("ID", "WORD") and str(token.value).upper() == word

    def accept_op(self, op: str) -> bool:
        if self.is_op(op):
            self.index += 1
            return True
        return False

    def accept_keyword(self, word: str) -> bool:
        if self.is_keyword(word):
            self.index += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            token = self.peek()
            raise ParseError(f"expected {op!r} but found {token.value if token else 'the end'!r}")

    def done(self) -> None:
        token = self.peek()
        if token is not None:
            raise ParseError(f"unexpected {token.value!r} at {token.pos}")


# --- three-valued logic ------------------------------------------------------------------------------------------


def _and(left: Predicate, right: Predicate) -> Predicate:
    def both(row: Row) -> Any:
        a = left(row)
        if a is False:
            return False
        b = right(row)
        if b is False:
            return False
        return None if a is None or b is None else True

    return both


def _or(left: Predicate, right: Predicate) -> Predicate:
    def either(row: Row) -> Any:
        a = left(row)
        if a is True:
            return True
        b = right(row)
        if b is True:
            return True
        return None if a is None or b is None else False

    return either


def _not(inner: Predicate) -> Predicate:
    def negate(row: Row) -> Any:
        value = inner(row)
        return None if value is None else not value

    return negate


# --- ArcGIS where clauses -----------------------------------------------------------------------------------------

_KEYWORDS = {"AND", "OR", "NOT", "IS", "NULL", "LIKE", "IN", "BETWEEN", "ESCAPE"}
_COMPARE = {
    "=": operator.eq,
    "<>": operator.ne,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_FUNCTIONS = {"UPPER": str.upper, "LOWER": str.lower}
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
)


def parse_date(text: str) -> int:
    """A date or timestamp literal -> epoch milliseconds (UTC)."""
    for fmt in _DATE_FORMATS:
        try:
            moment = datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return int(moment.timestamp() * 1000)
    raise ParseError(f"not a date: {text!r}")


class _Operand(NamedTuple):
    kind: str  # string, number, date, null
    get: Callable[[Row], Any]
    literal: Any = None  # the value, for constants
    constant: bool = False


def _const(kind: str, value: Any) -> _Operand:
    return _Operand(kind, lambda _row: value, value, True)


class _WhereParser(_Parser):
    def __init__(self, tokens: list[Token], lookup: Callable[[str], Any]):
        super().__init__(tokens)
        self.lookup = lookup  # name -> field (with .name and .kind) or None
        self.uses_fields = False

    def parse(self) -> Predicate:
        predicate = self.parse_or()
        self.done()
        return predicate

    def parse_or(self) -> Predicate:
        predicate = self.parse_and()
        while self.accept_keyword("OR"):
            predicate = _or(predicate, self.parse_and())
        return predicate

    def parse_and(self) -> Predicate:
        predicate = self.parse_not()
        while self.accept_keyword("AND"):
            predicate = _and(predicate, self.parse_not())
        return predicate

    def parse_not(self) -> Predicate:
        if self.accept_keyword("NOT"):
            return _not(self.parse_not())
        if self.is_op("("):
            # a parenthesised condition; a parenthesised operand such as (A) = 1 is not supported
            self.next()
            predicate = self.parse_or()
            self.expect_op(")")
            return predicate
        return self.parse_condition()

    def parse_condition(self) -> Predicate:
        left = self.parse_operand()
        token = self.peek()
        if token is not None and token.kind == "OP" and token.value in _COMPARE:
            self.next()
            return self.compare(_COMPARE[token.value], left, self.parse_operand())
        if self.accept_keyword("IS"):
            negate = self.accept_keyword("NOT")
            if not self.accept_keyword("NULL"):
                raise ParseError("expected NULL after IS")
            get = left.get
            return (lambda row: get(row) is not None) if negate else (lambda row: get(row) is None)
        negate = self.accept_keyword("NOT")
        if self.accept_keyword("LIKE"):
            predicate = self.like(left)
        elif self.accept_keyword("IN"):
            predicate = self.in_list(left)
        elif self.accept_keyword("BETWEEN"):
            low = self.parse_operand()
            if not self.accept_keyword("AND"):
                raise ParseError("expected AND in BETWEEN")
            high = self.parse_operand()
            predicate = _and(self.compare(operator.ge, left, low), self.compare(operator.le, left, high))
        else:
            raise ParseError(f"expected a comparison after {token.value if token else 'the end'!r}")
        return _not(predicate) if negate else predicate

    def parse_operand(self) -> _Operand:
        token = self.next()
        if token.kind == "STR":
            return _const("string", token.value)
        if token.kind == "NUM":
            return _const("number", token.value)
        if token.kind == "OP" and token.value == "-":
            number = self.next()
            if number.kind != "NUM":
                raise ParseError("expected a number after '-'")
            return _const("number", -number.value)
        if token.kind != "ID":
            raise ParseError(f"unexpected {token.value!r} at {token.pos}")
        word = token.value.upper()
        following = self.peek()
        if word in ("TIMESTAMP", "DATE") and following is not None and following.kind == "STR":
            self.next()
            return _const("date", parse_date(following.value))
        if word == "NULL":
            return _const("null", None)
        if word in ("CURRENT_TIMESTAMP", "CURRENT_DATE"):
            now = int(time.time() * 1000)
            return _const("date", now - now % 86_400_000 if word == "CURRENT_DATE" else now)
        if word in _FUNCTIONS and self.is_op("("):
            self.next()
            inner = self.parse_operand()
            self.expect_op(")")
            if inner.kind not in ("string", "null"):
                raise ParseError(f"{word}() needs a string")
            function, get = _FUNCTIONS[word], inner.get
            return _Operand("string", lambda row: None if (v := get(row)) is None else function(v))
        if word in _KEYWORDS:
            raise ParseError(f"unexpected keyword {token.value!r} at {token.pos}")
        field = self.lookup(token.value)
        if field is None or field.kind == "geometry":
            raise ParseError(f"unknown field {token.value!r}")
        self.uses_fields = True
        return _Operand(field.kind, operator.itemgetter(field.name))

    @staticmethod
    def coerce(operand: _Operand, kind: str) -> _Operand:
        """Make a constant fit the other side's type, as the database would."""
        if operand.kind == kind or operand.kind == "null" or not operand.constant:
            return operand
        if kind == "date" and operand.kind == "string":
            return _const("date", parse_date(operand.literal))
        if kind == "number" and operand.kind == "string":
            try:
                return _const("number", float(operand.literal))
            except ValueError:
                raise ParseError(f"{operand.literal!r} is not a number") from None
        return operand

    def compare(self, op: Callable[[Any, Any], bool], left: _Operand, right: _Operand) -> Predicate:
        left = self.coerce(left, right.kind)
        right = self.coerce(right, left.kind)
        if "null" not in (left.kind, right.kind) and left.kind != right.kind:
            raise ParseError(f"cannot compare {left.kind} with {right.kind}")
        if right.constant:
            get, value = left.get, right.literal
            if value is None:
                return lambda row: None
            return lambda row: None if (v := get(row)) is None else op(v, value)
        get_left, get_right = left.get, right.get

        def both(row: Row) -> Any:
            a, b = get_left(row), get_right(row)
            return None if a is None or b is None else op(a, b)

        return both

    def like(self, left: _Operand) -> Predicate:
        pattern = self.next()
        if pattern.kind != "STR":
            raise ParseError("LIKE needs a string pattern")
        escape = None
        if self.accept_keyword("ESCAPE"):
            token = self.next()
            if token.kind != "STR" or len(token.value) != 1:
                raise ParseError("ESCAPE needs one character")
            escape = token.value
        if left.kind != "string":
            raise ParseError("LIKE needs a string field")
        regex = like_regex(pattern.value, escape)
        get = left.get
        return lambda row: None if (v := get(row)) is None else regex.match(v) is not None

    def in_list(self, left: _Operand) -> Predicate:
        self.expect_op("(")
        values = []
        while True:
            item = self.coerce(self.parse_operand(), left.kind)
            if not item.constant or item.kind not in (left.kind, "null"):
                raise ParseError("IN needs a list of values of the field's type")
            values.append(item.literal)
            if self.accept_op(")"):
                break
            self.expect_op(",")
        choices = frozenset(v for v in values if v is not None)
        get = left.get
        return lambda row: None if (v := get(row)) is None else v in choices


def like_regex(pattern: str, escape: str | None = None) -> re.Pattern[str]:
    """SQL LIKE pattern -> compiled regex that must match the whole value."""
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if escape is not None and char == escape and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def compile_where(where: str, lookup: Callable[[str], Any]) -> Predicate | None:
    """Compile a where clause. Returns None when every row matches (``1=1``), else a predicate that is true
    exactly for the rows to keep. ``lookup(name)`` returns a field object (``.name``, ``.kind``) or None."""
    parser = _WhereParser(tokenize(where), lookup)
    predicate = parser.parse()
    if not parser.uses_fields:
        result = predicate({})
        return None if result is True else (lambda row: False)
    return lambda row: predicate(row) is True


# --- Hub search filters ---------------------------------------------------------------------------------------------

HUB_SCALAR_FIELDS = frozenset({"id", "type", "owner", "access", "title", "name", "licenseinfo"})
HUB_LIST_FIELDS = frozenset({"tags", "categories"})
HUB_TIME_FIELDS = frozenset({"created", "modified"})


def _category_key(value: str) -> str:
    key = value.strip().strip("/").lower()
    return key[len("categories/") :] if key.startswith("categories/") else key


class _HubFilterParser(_Parser):
    def parse(self) -> Predicate:
        predicate = self.parse_or()
        self.done()
        return predicate

    def parse_or(self) -> Predicate:
        predicate = self.parse_and()
        while self.accept_keyword("OR"):
            predicate = _or(predicate, self.parse_and())
        return predicate

    def parse_and(self) -> Predicate:
        predicate = self.parse_not()
        while self.accept_keyword("AND"):
            predicate = _and(predicate, self.parse_not())
        return predicate

    def parse_not(self) -> Predicate:
        if self.accept_keyword("NOT"):
            return _not(self.parse_not())
        if self.accept_op("("):
            predicate = self.parse_or()
            self.expect_op(")")
            return predicate
        return self.parse_condition()

    def value(self) -> str:
        token = self.next()
        if token.kind == "STR":
            return token.value
        if token.kind != "WORD" or str(token.value).upper() in ("AND", "OR", "NOT", "IN", "BETWEEN"):
            raise ParseError(f"expected a value at {token.pos}")
        words = [token.value]
        # bare multi-word values: type=Feature Service
        while (
            (following := self.peek()) is not None
            and following.kind == "WORD"
            and str(following.value).upper() not in ("AND", "OR", "NOT", "IN", "BETWEEN")
        ):
            words.append(self.next().value)
        return " ".join(words)

    def values(self) -> list[str]:
        self.expect_op("(")
        out = [self.value()]
        while self.accept_op(","):
            out.append(self.value())
        self.expect_op(")")
        return out

    def parse_condition(self) -> Predicate:
        token = self.next()
        if token.kind != "WORD":
            raise ParseError(f"expected a field name at {token.pos}")
        name = token.value.lower()
        if name not in HUB_SCALAR_FIELDS | HUB_LIST_FIELDS | HUB_TIME_FIELDS:
            raise ParseError(f"unknown filter field {token.value!r}")
        if name in HUB_TIME_FIELDS:
            return self.time_condition(name)
        negate = self.accept_keyword("NOT")
        if self.accept_keyword("IN"):
            wanted = self.values()
            op = "="
        else:
            if negate:
                raise ParseError("expected IN after NOT")
            op_token = self.next()
            if op_token.kind != "OP" or op_token.value not in ("=", "<>", "!="):
                raise ParseError(f"expected =, <> or IN after {token.value!r}")
            op = op_token.value
            wanted = [self.value()]
        matches = self.matcher(name, wanted)
        if op != "=":
            negate = not negate
        return (lambda item: not matches(item)) if negate else matches

    @staticmethod
    def matcher(name: str, wanted: list[str]) -> Predicate:
        if name == "categories":
            keys = {_category_key(w) for w in wanted}

            def category_match(item: Row) -> bool:
                for category in item.get("categories") or ():
                    key = _category_key(category)
                    if key in keys or key.rsplit("/", 1)[-1] in keys:
                        return True
                return False

            return category_match
        lowered = {w.lower() for w in wanted}
        if name == "tags":
            return lambda item: any(str(tag).lower() in lowered for tag in item.get("tags") or ())
        field = "licenseInfo" if name == "licenseinfo" else name
        return lambda item: str(item.get(field, "")).lower() in lowered

    def time_condition(self, name: str) -> Predicate:
        def number(text: str) -> int:
            try:
                return int(float(text))
            except ValueError:
                raise ParseError(f"{name} needs epoch milliseconds, not {text!r}") from None

        if self.accept_keyword("BETWEEN"):
            low = number(self.value())
            if not self.accept_keyword("AND"):
                raise ParseError("expected AND in BETWEEN")
            high = number(self.value())
            return lambda item: low <= item[name] <= high
        op_token = self.next()
        if op_token.kind != "OP" or op_token.value not in _COMPARE:
            raise ParseError(f"expected a comparison after {name!r}")
        op, value = _COMPARE[op_token.value], number(self.value())
        return lambda item: op(item[name], value)


def compile_hub_filter(text: str) -> Predicate:
    """Compile a Hub ``filter`` -> predicate over an item's properties dict."""
    predicate = _HubFilterParser(tokenize(text, _HUB_TOKEN)).parse()
    return lambda item: predicate(item) is True
