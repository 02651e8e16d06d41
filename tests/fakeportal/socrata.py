"""The fake Socrata portal: catalog v1 (the domain's own and the regional one), views metadata and SODA2 resources.

Mounted on a :class:`tests.fakeportal.server.FakeServer` (``SocrataApp().mount(server)``) as::

    {url}{prefix}/api/catalog/v1            the domain's catalog (portal string socrata:{url}{prefix})
    {url}/regional/api/catalog/v1           the regional catalog (api.us.socrata.com), same parameters
    {url}{prefix}/api/views/{id}.json       views metadata (epoch-second times, columns)
    {url}{prefix}/resource/{id}.json|.csv   rows: $select $where $order $group $limit $offset $q, simple filters

It follows the Socrata section of /work/shared/portals.md. Choices where real servers are unknown or vary:

* catalog: a parameter it does not know makes the answer empty (a misspelt parameter "silently returns nothing");
  ``offset + limit`` above 10,000 is a 400. The domain's items carry ``metadata.domain`` = the host the request
  came to (or ``domain`` when set), and ``domains`` must name it. Order: most viewed first.
* rows: SoQL is evaluated for real (a small parser below): ``= != <> < <= > >=``, ``IS [NOT] NULL``, ``[NOT] LIKE``
  (``%``/``_``, case-sensitive), ``[NOT] IN``, ``[NOT] BETWEEN``, ``AND OR NOT``, ``upper()``/``lower()``, string
  literals with ``''``, numbers, ``true``/``false``; timestamps compare with ``'YYYY-MM-DDTHH:MM:SS'`` text.
  Nulls follow SQL three-valued logic; ``ORDER BY`` puts nulls last ascending, first descending (PostgreSQL).
  Without ``$order`` rows come in a different order on every request (as real paging without an order can),
  so a client that pages without ordering gets gaps and duplicates. JSON values are strings (numbers too),
  checkboxes JSON booleans, null values are left out of each object; CSV quotes every value and leaves nulls
  empty. ``X-SODA2-Fields``/``X-SODA2-Types`` give the schema. ``$limit`` defaults to 1000.
* errors: ``{"code": "...", "error": true, "message": "..."}`` with a 4xx status.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

Query = dict[str, list[str]]
Response = tuple[int, dict[str, str], bytes]

JSON_TYPE = "application/json; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

CATALOG_PARAMS = frozenset(
    {
        "domains",
        "search_context",
        "only",
        "q",
        "categories",
        "tags",
        "limit",
        "offset",
        "order",
        "ids",
        "names",
        "attribution",
        "provenance",
    }
)
CATALOG_WINDOW = 10_000
ROW_PARAMS = frozenset({"$select", "$where", "$order", "$group", "$having", "$limit", "$offset", "$q", "$$app_token"})
DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000

#: views dataTypeName -> SODA2 type name (X-SODA2-Types)
SODA2_TYPES = {"calendar_date": "floating_timestamp", "date": "fixed_timestamp"}


# --- fixtures -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field_name: str
    name: str
    type: str  # views dataTypeName: text, number, calendar_date, checkbox, location, point
    description: str = ""

    @property
    def soda_type(self) -> str:
        return SODA2_TYPES.get(self.type, self.type)


@dataclass(eq=False)
class SocrataDataset:
    id: str
    name: str
    description: str
    attribution: str
    owner: str
    category: str
    tags: tuple[str, ...]
    columns: tuple[Column, ...]
    row_count: int
    make_rows: Callable[[random.Random, int], list[dict[str, Any]]] | None
    created: int  # epoch seconds
    updated: int
    license: str = "Public Domain"
    view_type: str = "tabular"
    type: str = "dataset"  # the catalog's resource.type
    page_views: int = 0
    system_columns: tuple[Column, ...] = ()  # fieldName starting with ':' (views JSON lists them; clients drop them)
    _rows: list[dict[str, Any]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Rows as typed Python values (Decimal, naive datetime, bool, str, (lat, lon), None), each with ``:id``.
        Built once; never mutate."""
        if self._rows is None:
            with self._lock:
                if self._rows is None:
                    made = self.make_rows(random.Random(self.id), self.row_count) if self.make_rows else []
                    for index, row in enumerate(made):
                        digest = hashlib.sha1(f"{self.id}/{index}".encode()).hexdigest()
                        row[":id"] = f"row-{digest[:4]}.{digest[4:8]}_{digest[8:12]}"
                        for column in self.system_columns:
                            row[column.field_name] = Decimal(index % 7 + 1)
                    self._rows = made
        return self._rows

    def by_id_order(self) -> list[dict[str, Any]]:
        """The rows as ``$order=:id`` gives them (tests compare pages with this)."""
        return sorted(self.rows, key=lambda r: r[":id"])

    def column(self, name: str) -> Column | None:
        return next((c for c in (*self.columns, *self.system_columns) if c.field_name == name), None)


def _when(rng: random.Random, start: datetime, days: int, with_time: bool = False) -> datetime:
    moment = start + timedelta(days=rng.randrange(days))
    if with_time:
        moment += timedelta(seconds=rng.randrange(86_400))
    return moment


NAMES = [
    "Lou's Diner",
    'Taqueria "El Sol"',
    "Pho, Noodles & More",
    "Green Leaf Cafe",
    "Bakery 12",
    "Deli\nExpress",
    "Mama's Kitchen",
    "The 50% Bar",
    "Sushi_Go",
    "Corner Store",
]
RISKS = ["Risk 1 (High)", "Risk 2 (Medium)", "Risk 3 (Low)"]
RESULTS = ["Pass", "Fail", "Pass w/ Conditions", "Out of Business"]


def inspection_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        score = None if i % 11 == 3 else Decimal(rng.randrange(500, 1000)) / 10
        rows.append(
            {
                "inspection_id": Decimal(2_000_000 + i * 3),
                "dba_name": NAMES[rng.randrange(len(NAMES))],
                "license_no": f"{rng.randrange(0, 99999):07d}",
                "risk": None if i % 13 == 5 else RISKS[rng.randrange(3)],
                "inspection_date": _when(rng, datetime(2022, 1, 1), 700),
                "score": score,
                "passed": None if i % 17 == 2 else rng.random() < 0.7,
                "results": RESULTS[rng.randrange(len(RESULTS))],
            }
        )
    return rows


SR_TYPES = ["Pothole in Street", "Graffiti Removal", "Street Light Out", "Tree Trim", "Abandoned Vehicle"]


def service_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        location = (
            None if i % 9 == 4 else (round(41.65 + rng.random() * 0.35, 6), round(-87.85 + rng.random() * 0.3, 6))
        )
        rows.append(
            {
                "sr_number": f"SR23-{i:06d}",
                "sr_type": SR_TYPES[rng.randrange(len(SR_TYPES))],
                "status": "Completed" if rng.random() < 0.6 else "Open",
                "created_date": _when(rng, datetime(2023, 1, 1), 365, with_time=True),
                "ward": Decimal(rng.randrange(1, 51)),
                "location": location,
            }
        )
    return rows


TREE_NAMES = ["Honeylocust", "Littleleaf linden", "Norway maple", "Oak, white", "Ginkgo"]


def tree_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "tree_id": f"T{i:05d}",
                "common_name": TREE_NAMES[rng.randrange(len(TREE_NAMES))],
                "dbh": Decimal(rng.randrange(2, 60)),
                "the_geom": None
                if i % 10 == 7
                else (round(41.7 + rng.random() * 0.2, 6), round(-87.8 + rng.random() * 0.2, 6)),
            }
        )
    return rows


def _secs(year: int, month: int = 1, day: int = 1) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


INSPECTIONS = SocrataDataset(
    id="insp-2345",
    name="Food Inspections",
    description="Restaurant and food establishment inspections.\n\nRows are generated for tests.",
    attribution="Department of Public Health",
    owner="Health Data Team",
    category="Health & Human Services",
    tags=("food", "inspections", "restaurants"),
    columns=(
        Column("inspection_id", "Inspection ID", "number"),
        Column("dba_name", "DBA Name", "text", "Doing-business-as name"),
        Column("license_no", "License #", "text"),
        Column("risk", "Risk", "text"),
        Column("inspection_date", "Inspection Date", "calendar_date"),
        Column("score", "Score", "number"),
        Column("passed", "Passed", "checkbox"),
        Column("results", "Results", "text"),
    ),
    system_columns=(Column(":@computed_region_awaf_s7ux", "Historical Wards 2003-2015", "number"),),
    row_count=2345,
    make_rows=inspection_rows,
    created=_secs(2015, 3, 2),
    updated=_secs(2024, 6, 30),
    page_views=9000,
)
SERVICE_REQUESTS = SocrataDataset(
    id="svc-0523",
    name="311 Service Requests",
    description="Requests to 311 with where they were made.",
    attribution="Office of 311",
    owner="311 City Services",
    category="Service Requests",
    tags=("311", "requests"),
    columns=(
        Column("sr_number", "SR Number", "text"),
        Column("sr_type", "SR Type", "text"),
        Column("status", "Status", "text"),
        Column("created_date", "Created Date", "calendar_date"),
        Column("ward", "Ward", "number"),
        Column("location", "Location", "location"),
    ),
    row_count=523,
    make_rows=service_rows,
    created=_secs(2018, 5, 1),
    updated=_secs(2024, 5, 1),
    page_views=7000,
)
TREES = SocrataDataset(
    id="tree-0077",
    name="Street Trees",
    description="<p>Trees on <b>public</b> streets &amp; parkways.</p>",
    attribution="Bureau of Forestry",
    owner="Forestry",
    category="Environment & Sustainable Development",
    tags=("trees", "environment"),
    columns=(
        Column("tree_id", "Tree ID", "text"),
        Column("common_name", "Common Name", "text"),
        Column("dbh", "Diameter (in)", "number"),
        Column("the_geom", "Location", "point"),
    ),
    row_count=77,
    make_rows=tree_rows,
    created=_secs(2016, 1, 1),
    updated=_secs(2023, 11, 5),
    page_views=5000,
)

TOPICS = ["Budget", "Buildings", "Transportation", "Parks", "Public Safety", "Ethics", "Community"]


def _filler(i: int) -> SocrataDataset:
    topic = TOPICS[i % len(TOPICS)]
    kind = "dataset" if i % 6 else ("chart" if i % 12 else "map")
    return SocrataDataset(
        id=f"c{i:03d}-{i * 37 % 10000:04d}",
        name=f"{topic} Records {2000 + i}",
        description=f"{topic} figures for {2000 + i}.",
        attribution=f"Department of {topic}",
        owner=f"{topic} Office",
        category=topic,
        tags=(topic.lower().replace(" ", "-"), "annual" if i % 2 else "monthly"),
        columns=(),
        row_count=0,
        make_rows=None,
        created=_secs(2010 + i % 10),
        updated=_secs(2020 + i % 4, 1 + i % 12),
        view_type="href",
        type=kind,
        page_views=1000 - i,
    )


DATASETS: dict[str, SocrataDataset] = {d.id: d for d in (INSPECTIONS, SERVICE_REQUESTS, TREES)}
CATALOG: list[SocrataDataset] = [INSPECTIONS, SERVICE_REQUESTS, TREES] + [_filler(i) for i in range(1, 43)]


# --- SoQL ---------------------------------------------------------------------------------------------------------


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


# --- the app ------------------------------------------------------------------------------------------------------


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return status, {"Content-Type": JSON_TYPE, **(headers or {})}, body


def socrata_error(status: int, code: str, message: str) -> Response:
    return _json({"code": code, "error": True, "message": message, "data": {}}, status)


class _Answer(Exception):
    def __init__(self, response: Response):
        super().__init__("answer")
        self.response = response


class SocrataApp:
    """Serves one fake Socrata domain under ``prefix`` (default: the server root) and the regional catalog.

    Switches (plain attributes, safe to change between requests): ``domain_catalog`` (False: the domain's
    ``/api/catalog/v1`` answers 404 with a web page, so clients must use the regional catalog), ``extra_catalog``
    (that many more generated datasets in the catalog, for paging past 10,000), ``domain`` (the host name the
    catalog lists its datasets under; default: the host of each request), ``require_token`` (when set, requests
    without this ``X-App-Token`` are refused with 403 ``{"error": true, "message": ...}``), ``drop_column``
    (a field name the resource endpoint no longer knows, though the views metadata still lists it: a schema
    change between metadata and rows).
    """

    name = "socrata"

    def __init__(self, prefix: str = "", regional_prefix: str = "/regional", *, domain: str | None = None):
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.regional_prefix = "/" + regional_prefix.strip("/")
        self.domain = domain
        self.domain_catalog = True
        self.extra_catalog = 0
        self.require_token: str | None = None
        self.drop_column: str | None = None
        self._shuffles = itertools.count()

    def mount(self, server: Any) -> None:
        server.mount(self.prefix + "/api/catalog", self, name=self.name)
        server.mount(self.prefix + "/api/views", self)
        server.mount(self.prefix + "/resource", self)
        server.mount(self.regional_prefix + "/api/catalog", self)

    def regional_url(self, server_url: str) -> str:
        return f"{server_url}{self.regional_prefix}/api/catalog/v1"

    def handle(self, method: str, path: str, query: Query, headers: Any) -> Response:
        if method != "GET":
            return socrata_error(405, "method_not_allowed", f"{method} is not allowed")
        host = (headers.get("Host") or "127.0.0.1").rsplit(":", 1)[0]
        if self.require_token is not None and headers.get("X-App-Token") != self.require_token:
            return _json({"error": True, "message": "Invalid app_token specified"}, 403)
        try:
            if path == self.regional_prefix + "/api/catalog/v1":
                return self.catalog(query, host)
            if path == self.prefix + "/api/catalog/v1":
                if not self.domain_catalog:
                    return 404, {"Content-Type": HTML_TYPE}, b"<html><body><h1>Page not found</h1></body></html>"
                return self.catalog(query, host)
            match = re.fullmatch(re.escape(self.prefix) + r"/api/views/([^/]+)\.json", path)
            if match:
                return self.view(match.group(1), host)
            match = re.fullmatch(re.escape(self.prefix) + r"/resource/([^/]+)\.(json|csv)", path)
            if match:
                return self.resource(match.group(1), match.group(2), query)
        except _Answer as answer:
            return answer.response
        except SoqlError as error:
            return socrata_error(400, error.code, error.message)
        return socrata_error(404, "not_found", f"Not found: {path}")

    # catalog

    def catalog_items(self) -> list[SocrataDataset]:
        extra = [_filler(100 + i) for i in range(self.extra_catalog)] if self.extra_catalog else []
        return CATALOG + extra

    def catalog(self, query: Query, host: str) -> Response:
        params = {name: values[-1] for name, values in query.items()}
        if set(params) - CATALOG_PARAMS:
            return _json({"results": [], "resultSetSize": 0, "timings": {"serviceMillis": 1, "searchMillis": [0]}})
        try:
            limit = int(params.get("limit", "100"))
            offset = int(params.get("offset", "0"))
        except ValueError:
            return socrata_error(400, "invalid_parameter", "limit and offset must be integers")
        if limit < 0 or offset < 0:
            return socrata_error(400, "invalid_parameter", "limit and offset must not be negative")
        if offset + limit > CATALOG_WINDOW:
            return socrata_error(
                400, "invalid_parameter", f"offset + limit must not exceed {CATALOG_WINDOW}; got {offset + limit}"
            )
        domain = self.domain or host
        items = self.catalog_items()
        domains = [d.strip().lower() for d in params.get("domains", "").split(",") if d.strip()]
        if domains and domain.lower() not in domains:
            items = []
        only = {o.strip().rstrip("s") for o in params.get("only", "").split(",") if o.strip()}
        if only:
            items = [d for d in items if d.type in only]
        for word in params.get("q", "").lower().split():
            items = [d for d in items if word in " ".join((d.name, d.description, d.category, *d.tags)).lower()]
        if params.get("categories"):
            wanted = params["categories"].lower()
            items = [d for d in items if d.category.lower() == wanted]
        if params.get("tags"):
            wanted = params["tags"].lower()
            items = [d for d in items if wanted in (t.lower() for t in d.tags)]
        items = sorted(items, key=lambda d: (-d.page_views, d.id))
        page = items[offset : offset + limit]
        return _json(
            {
                "results": [self.result(d, domain) for d in page],
                "resultSetSize": len(items),
                "timings": {"serviceMillis": 3, "searchMillis": [1, 1]},
            }
        )

    def result(self, d: SocrataDataset, domain: str) -> dict[str, Any]:
        iso = lambda secs: datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731
        return {
            "resource": {
                "id": d.id,
                "name": d.name,
                "description": d.description,
                "attribution": d.attribution,
                "type": d.type,
                "updatedAt": iso(d.updated),
                "createdAt": iso(d.created),
                "data_updated_at": iso(d.updated),
                "columns_name": [c.name for c in d.columns],
                "columns_field_name": [c.field_name for c in d.columns],
                "columns_datatype": [c.type for c in d.columns],
                "columns_description": [c.description for c in d.columns],
                "download_count": d.page_views // 10,
                "page_views": {"page_views_total": d.page_views},
            },
            "classification": {
                "categories": [],
                "domain_category": d.category,
                "tags": [],
                "domain_tags": list(d.tags),
            },
            "metadata": {"domain": domain, "license": d.license},
            "permalink": f"https://{domain}/d/{d.id}",
            "link": f"https://{domain}/{quote(d.name)}/{d.id}",
            "owner": {"id": "abcd-0000", "user_type": "interactive", "display_name": d.owner},
        }

    # views

    def find(self, ident: str) -> SocrataDataset:
        dataset = DATASETS.get(ident) or next((d for d in self.catalog_items() if d.id == ident), None)
        if dataset is None:
            raise _Answer(socrata_error(404, "not_found", f"Cannot find view with id {ident}"))
        return dataset

    def view(self, ident: str, host: str) -> Response:
        d = self.find(ident)
        columns = []
        for position, c in enumerate((*d.system_columns, *d.columns), start=1):
            columns.append(
                {
                    "id": 100 + position,
                    "name": c.name,
                    "dataTypeName": c.type,
                    "fieldName": c.field_name,
                    "position": position,
                    "renderTypeName": c.type,
                    "description": c.description,
                    "tableColumnId": 200 + position,
                    "format": {},
                }
            )
        columns = columns[1:] + columns[:1] if d.system_columns else columns  # system column listed last
        return _json(
            {
                "id": d.id,
                "name": d.name,
                "assetType": "dataset",
                "attribution": d.attribution,
                "attributionLink": "https://example.org/publisher",
                "averageRating": 0,
                "category": d.category,
                "createdAt": d.created,
                "description": d.description,
                "displayType": "table",
                "downloadCount": 10,
                "licenseId": "PUBLIC_DOMAIN",
                "publicationDate": d.created,
                "rowsUpdatedAt": d.updated,
                "viewLastModified": d.updated + 60,
                "viewType": d.view_type,
                "tags": list(d.tags),
                "license": {"name": d.license, "termsLink": "https://example.org/terms"},
                "metadata": {"custom_fields": {"Refresh": {"Update Frequency": "Daily"}}} if d is INSPECTIONS else {},
                "owner": {"id": "abcd-0000", "displayName": d.owner, "screenName": d.owner},
                "columns": columns,
            }
        )

    # rows

    def resource(self, ident: str, fmt: str, query: Query) -> Response:
        d = self.find(ident)
        if d.view_type != "tabular":
            return socrata_error(404, "not_found", f"Cannot find resource {ident}")
        params = {name: values[-1] for name, values in query.items()}
        unknown = [p for p in params if p.startswith("$") and p not in ROW_PARAMS]
        if unknown:
            return socrata_error(
                400, "query.soql.unrecognized-argument", f"Unrecognized arguments [{', '.join(unknown)}]"
            )
        rows = d.rows
        if self.drop_column:
            d = _Without(d, self.drop_column)
        for name, value in params.items():  # simple filters: column=value
            if name.startswith("$"):
                continue
            if d.column(name) is None:
                return socrata_error(400, "query.soql.no-such-column", f"No such column: {name}")
            rows = [r for r in rows if soda_text(r.get(name)) == value]
        if params.get("$where", "").strip():
            where = Soql(params["$where"], d).whole()
            rows = [r for r in rows if where(r) is True]
        if params.get("$q", "").strip():
            words = params["$q"].lower().split()
            rows = [
                r for r in rows if all(any(isinstance(v, str) and w in v.lower() for v in r.values()) for w in words)
            ]
        select = self.select(d, params.get("$select", ""), bool(params.get("$group")))
        grouped = bool(params.get("$group")) or any(agg for _, _, agg in select)
        order = params.get("$order", "").strip()
        if grouped:
            if params.get("$group"):
                out = self.group(d, rows, params["$group"], select)
            elif not all(agg for _, _, agg in select):
                raise SoqlError("Aggregates and plain columns need $group")
            else:
                out = [{name: Decimal(len(rows)) for name, _, _ in select}]
            if order:  # a grouped answer orders by what it selected
                aliases = {name: (lambda n: lambda r: r.get(n))(name) for name, _, _ in select}
                self.sort(out, order, _Aliased(d), aliases)
        else:
            rows = list(rows)
            if order:
                aliases = {name: value for name, value, _ in select if value is not None}
                self.sort(rows, order, d, aliases)
            else:  # no order: whatever order the backend happens to produce (different on each request)
                random.Random(next(self._shuffles)).shuffle(rows)
            out = rows
        try:
            limit = int(params.get("$limit", DEFAULT_LIMIT))
            offset = int(params.get("$offset", 0))
        except ValueError:
            return socrata_error(400, "query.soql.malformed", "$limit and $offset must be integers")
        if limit < 0 or offset < 0 or limit > MAX_LIMIT:
            return socrata_error(400, "query.soql.malformed", f"$limit must be between 0 and {MAX_LIMIT}")
        out = out[offset : offset + limit]
        if not grouped:
            out = [{name: value(r) for name, value, _ in select} for r in out]
        names = [name for name, _, _ in select]
        types = [self.type_of(d, name, value) for name, value, _ in select]
        headers = {
            "X-SODA2-Fields": json.dumps(names),
            "X-SODA2-Types": json.dumps(types),
            "Last-Modified": "Sun, 30 Jun 2024 00:00:00 GMT",
        }
        if fmt == "csv":
            return 200, {"Content-Type": CSV_TYPE, **headers}, self.csv(names, out, d)
        return _json([self.record(names, r, d) for r in out], headers=headers)

    @staticmethod
    def sort(rows: list[dict[str, Any]], order: str, d: Any, aliases: dict[str, Callable]) -> None:
        keys = []
        for part in _split(order):
            words = part.strip().rsplit(None, 1)
            descending = len(words) == 2 and words[1].upper() == "DESC"
            text = words[0] if len(words) == 2 and words[1].upper() in ("ASC", "DESC") else part.strip()
            keys.append((Soql(text, d, aliases).whole(), descending))
        for value, descending in reversed(keys):
            rows.sort(key=lambda r, v=value, desc=descending: _order_key(v(r), desc), reverse=descending)

    def select(self, d: SocrataDataset, text: str, grouped: bool) -> list[tuple[str, Callable, bool]]:
        """(output name, value function, is an aggregate) for each $select item (all columns when empty)."""
        if not text.strip():
            return [
                (c.field_name, (lambda n: lambda r: r.get(n))(c.field_name), False)
                for c in (*d.columns, *d.system_columns)
            ]
        out = []
        for part in _split(text):
            part = part.strip()
            match = re.fullmatch(r"(.+?)\s+(?:AS|as)\s+([A-Za-z_][A-Za-z0-9_]*)", part)
            expr, alias = (match.group(1), match.group(2)) if match else (part, None)
            if re.fullmatch(r"count\s*\(\s*\*\s*\)", expr, re.IGNORECASE):
                out.append((alias or "count", None, True))
                continue
            value = Soql(expr, d).whole()
            name = alias or (expr[1:-1] if expr.startswith("`") else expr)
            out.append((name, value, False))
        return out

    def group(
        self, d: SocrataDataset, rows: list[dict[str, Any]], group: str, select: list[tuple[str, Callable, bool]]
    ) -> list[dict[str, Any]]:
        keys = [Soql(part, d).whole() for part in _split(group)]
        plain = [(name, value) for name, value, agg in select if not agg]
        buckets: dict[tuple, list[dict[str, Any]]] = {}
        for r in rows:
            buckets.setdefault(tuple(k(r) for k in keys), []).append(r)
        out = []
        for members in buckets.values():
            first = members[0]
            out.append(
                {name: value(first) for name, value in plain}
                | {name: Decimal(len(members)) for name, _, agg in select if agg}
            )
        return out

    @staticmethod
    def type_of(d: SocrataDataset, name: str, value: Callable | None) -> str:
        column = d.column(name)
        return column.soda_type if column else "number"

    @staticmethod
    def record(names: list[str], row: dict[str, Any], d: SocrataDataset) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            value = row.get(name)
            if value is None:
                continue  # nulls are left out
            column = d.column(name)
            kind = column.type if column else ""
            if kind == "location":
                lat, lon = value
                out[name] = {
                    "latitude": repr(lat),
                    "longitude": repr(lon),
                    "human_address": json.dumps({"address": "", "city": "", "state": "", "zip": ""}),
                }
            elif kind == "point":
                lat, lon = value
                out[name] = {"type": "Point", "coordinates": [lon, lat]}
            elif isinstance(value, bool):
                out[name] = value
            else:
                out[name] = soda_text(value)
        return out

    @staticmethod
    def csv(names: list[str], rows: list[dict[str, Any]], d: SocrataDataset) -> bytes:
        def cell(value: Any, kind: str) -> str:
            if value is None:
                return ""
            if kind == "location":
                text = f"({value[0]!r}, {value[1]!r})"
            elif kind == "point":
                text = f"POINT ({value[1]!r} {value[0]!r})"
            else:
                text = soda_text(value) or ""
            return '"' + text.replace('"', '""') + '"'

        kinds = [(d.column(n).type if d.column(n) else "") for n in names]
        lines = [",".join('"' + n.replace('"', '""') + '"' for n in names)]
        for row in rows:
            lines.append(",".join(cell(row.get(n), k) for n, k in zip(names, kinds)))
        return ("\n".join(lines) + "\n").encode()


class _Without:
    """A dataset as the resource endpoint sees it once a column has gone."""

    def __init__(self, d: SocrataDataset, gone: str):
        self.d, self.gone = d, gone
        self.columns = tuple(c for c in d.columns if c.field_name != gone)
        self.system_columns = d.system_columns

    def column(self, name: str) -> Column | None:
        return None if name == self.gone else self.d.column(name)


class _Aliased:
    """Stands in for a dataset when a grouped answer is ordered: only the selected names (aliases) exist."""

    def __init__(self, d: SocrataDataset):
        self.d = d

    def column(self, name: str) -> None:
        return None


def _split(text: str) -> list[str]:
    """Split on commas outside quotes and parentheses."""
    parts, depth, quote_open, current = [], 0, False, []
    for ch in text:
        if ch == "'":
            quote_open = not quote_open
        elif not quote_open and ch == "(":
            depth += 1
        elif not quote_open and ch == ")":
            depth -= 1
        elif not quote_open and depth == 0 and ch == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def start_socrata_server(*, port: int = 0, verbose: bool = False, prefix: str = "") -> Any:
    """A started FakeServer with only the Socrata app (domain at ``prefix``, regional catalog at /regional).
    ``server.apps["socrata"]`` is the app; the caller stops the server."""
    from .server import FakeServer

    server = FakeServer(port=port, verbose=verbose)
    SocrataApp(prefix).mount(server)
    return server.start()
