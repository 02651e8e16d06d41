"""SoQL for the fake Socrata portal: the tokenizer, the parser-evaluator (``Soql``) and SODA text values."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .data import SocrataDataset


class SoqlError(Exception):
    def __init__(self, message: str, code: str = "query.compiler.malformed"):
        super().__init__(message)
        self.message, self.code = message, code


_TOKEN = re.compile(
    r"\s*(?:(?P<STR>'(?:[^']|'')*')|(?P<NUM>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<QID>`[^`]+`)"
    r"|(?P<ID>[A-Za-z_:@][A-Za-z0-9_:@]*)|(?P<OP><=|>=|<>|!=|=|<|>|\(|\)|,|\*))"
)
KEYWORDS = frozenset({"AND", "OR", "NOT", "IS", "NULL", "LIKE", "IN", "BETWEEN", "TRUE", "FALSE", "AS", "ASC", "DESC"})


def tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SoqlError(f"Could not parse SoQL at position {pos}: {text[pos : pos + 20]!r}")
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "STR":
            out.append(("STR", raw[1:-1].replace("''", "'")))
        elif kind == "NUM":
            out.append(("NUM", Decimal(raw)))
        elif kind == "QID":
            out.append(("ID", raw[1:-1]))
        elif kind == "ID" and raw.upper() in KEYWORDS:
            out.append(("KW", raw.upper()))
        else:
            out.append((kind, raw))
        pos = match.end()
    return out


Value = Callable[[dict[str, Any]], Any]


class Soql:
    """Parses one SoQL expression over a dataset's columns into a function of a row."""

    def __init__(self, text: str, dataset: SocrataDataset, aliases: dict[str, Any] | None = None):
        self.toks = tokens(text)
        self.i = 0
        self.dataset = dataset
        self.aliases = aliases or {}

    def peek(self, ahead: int = 0) -> tuple[str, Any] | None:
        return self.toks[self.i + ahead] if self.i + ahead < len(self.toks) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise SoqlError("Unexpected end of SoQL expression")
        self.i += 1
        return tok

    def kw(self, word: str) -> bool:
        tok = self.peek()
        if tok == ("KW", word):
            self.i += 1
            return True
        return False

    def op(self, symbol: str) -> bool:
        tok = self.peek()
        if tok == ("OP", symbol):
            self.i += 1
            return True
        return False

    def expect(self, symbol: str) -> None:
        if not self.op(symbol):
            raise SoqlError(f"Expected {symbol!r} at {self.peek()!r}")

    def done(self) -> None:
        if self.peek() is not None:
            raise SoqlError(f"Unexpected {self.peek()[1]!r} in SoQL")

    def whole(self) -> Value:
        value = self.expr()
        self.done()
        return value

    def expr(self) -> Value:
        left = self.conj()
        while self.kw("OR"):
            right = self.conj()
            left = (lambda a, b: lambda r: _or(a(r), b(r)))(left, right)
        return left

    def conj(self) -> Value:
        left = self.neg()
        while self.kw("AND"):
            right = self.neg()
            left = (lambda a, b: lambda r: _and(a(r), b(r)))(left, right)
        return left

    def neg(self) -> Value:
        if self.kw("NOT"):
            inner = self.neg()
            return lambda r: None if inner(r) is None else not inner(r)
        return self.predicate()

    def predicate(self) -> Value:
        left = self.operand()
        if self.kw("IS"):
            negate = self.kw("NOT")
            if not self.kw("NULL"):
                raise SoqlError("Expected NULL after IS")
            return lambda r: (left(r) is not None) if negate else (left(r) is None)
        negate = self.kw("NOT")
        if self.kw("LIKE"):
            pattern = self.operand()
            return lambda r: _negate(_like(left(r), pattern(r)), negate)
        if self.kw("IN"):
            self.expect("(")
            items = [self.operand()]
            while self.op(","):
                items.append(self.operand())
            self.expect(")")
            return lambda r: _negate(_in(left(r), [item(r) for item in items]), negate)
        if self.kw("BETWEEN"):
            low = self.operand()
            if not self.kw("AND"):
                raise SoqlError("Expected AND in BETWEEN")
            high = self.operand()
            return lambda r: _negate(_and(_cmp(">=", left(r), low(r)), _cmp("<=", left(r), high(r))), negate)
        if negate:
            raise SoqlError("Expected LIKE, IN or BETWEEN after NOT")
        tok = self.peek()
        if tok and tok[0] == "OP" and tok[1] in ("=", "!=", "<>", "<", "<=", ">", ">="):
            self.i += 1
            right = self.operand()
            return lambda r: _cmp(tok[1], left(r), right(r))
        return left

    def operand(self) -> Value:
        kind, value = self.take()
        if kind == "OP" and value == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if kind == "STR":
            return lambda r: value
        if kind == "NUM":
            return lambda r: value
        if kind == "KW" and value in ("TRUE", "FALSE"):
            return lambda r: value == "TRUE"
        if kind == "KW" and value == "NULL":
            return lambda r: None
        if kind == "ID":
            if self.op("("):
                return self.function(value)
            return self.column(value)
        raise SoqlError(f"Unexpected {value!r} in SoQL")

    def function(self, name: str) -> Value:
        lowered = name.lower()
        if lowered == "count" and self.op("*"):
            self.expect(")")
            if "count(*)" in self.aliases:
                return self.aliases["count(*)"]
            raise SoqlError("count(*) is only allowed in $select")
        arg = self.expr()
        self.expect(")")
        if lowered == "upper":
            return lambda r: None if arg(r) is None else _as_text(arg(r)).upper()
        if lowered == "lower":
            return lambda r: None if arg(r) is None else _as_text(arg(r)).lower()
        raise SoqlError(f"Unknown function {name}", "query.soql.no-such-function")

    def column(self, name: str) -> Value:
        if name in self.aliases:
            return self.aliases[name]
        if name == ":id":
            return lambda r: r[":id"]
        if self.dataset.column(name) is None:
            raise SoqlError(f"No such column: {name}", "query.soql.no-such-column")
        return lambda r: r.get(name)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return soda_text(value) or ""


def _negate(value: Any, negate: bool) -> Any:
    if value is None or not negate:
        return value
    return not value


def _and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return bool(a) and bool(b)


def _or(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return bool(a) or bool(b)


def _coerce(a: Any, b: Any) -> tuple[Any, Any]:
    """Make two values comparable, as SoQL's type checker would, or raise a type mismatch."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        raise SoqlError("Type mismatch: location columns cannot be compared", "query.compiler.type-mismatch")
    if type(a) is type(b):
        return a, b
    for x, y, flip in ((a, b, False), (b, a, True)):
        if isinstance(x, datetime) and isinstance(y, str):
            try:
                moment = datetime.fromisoformat(y.replace("Z", ""))
            except ValueError:
                raise SoqlError(
                    f"Could not parse {y!r} as a floating timestamp", "query.compiler.type-mismatch"
                ) from None
            return (moment, x) if flip else (x, moment)
        if isinstance(x, Decimal) and isinstance(y, str):
            try:
                number = Decimal(y)
            except InvalidOperation:
                raise SoqlError(f"Could not parse {y!r} as a number", "query.compiler.type-mismatch") from None
            return (number, x) if flip else (x, number)
        if isinstance(x, bool) and isinstance(y, str) and y.lower() in ("true", "false"):
            return (y.lower() == "true", x) if flip else (x, y.lower() == "true")
    raise SoqlError(
        f"Type mismatch: cannot compare {type(a).__name__} with {type(b).__name__}", "query.compiler.type-mismatch"
    )


def _cmp(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _coerce(a, b)
    if op == "=":
        return a == b
    if op in ("!=", "<>"):
        return a != b
    if isinstance(a, bool):
        raise SoqlError("Type mismatch: checkbox values cannot be ordered", "query.compiler.type-mismatch")
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _like(value: Any, pattern: Any) -> Any:
    if value is None or pattern is None:
        return None
    if not isinstance(value, str) or not isinstance(pattern, str):
        raise SoqlError("Type mismatch: LIKE takes text", "query.compiler.type-mismatch")
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _in(value: Any, items: list[Any]) -> Any:
    if value is None:
        return None
    result: Any = False
    for item in items:
        result = _or(result, _cmp("=", value, item))
    return result


def soda_text(value: Any) -> str | None:
    """A typed value as SODA2 writes it in JSON strings and CSV cells."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000")
    if isinstance(value, int):
        return str(value)
    return str(value)


def _order_key(value: Any, descending: bool) -> tuple:
    """Sort key with PostgreSQL null placement: last when ascending, first when descending."""
    return (1, value) if value is not None else (2, 0)  # reversed for DESC: nulls come first there
