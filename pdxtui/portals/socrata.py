"""Socrata portals (most US cities: ``--portal socrata:https://data.cityofchicago.org``).

Wire formats follow ``portals.md`` ("Socrata"):

* search: ``GET {domain}/api/catalog/v1`` with ``domains`` and ``search_context`` set to the host,
  ``only=dataset``, ``q``, ``categories``, ``tags``, ``limit`` and ``offset``; ``resultSetSize`` is the total.
  When the domain's own path fails, the regional catalog (``REGIONAL_CATALOG``, same parameters) is used.
  ``offset + limit`` above 10,000 is refused by the API with a 400, so searches stop at 10,000 with a message.
* metadata: ``GET {domain}/api/views/{id}.json`` (times are epoch *seconds*; columns whose ``fieldName`` starts
  with ``:`` are dropped), and the row count from ``GET {domain}/resource/{id}.json?$select=count(*)``.
* rows: ``GET {domain}/resource/{id}.csv`` pages (``$limit``/``$offset``, always ``$order`` ending with ``:id``),
  fetched concurrently under the fetcher's per-host limit and yielded in order, parsed with polars and typed from
  the metadata. Where CSV cannot carry a column (``location`` and ``point`` objects) the page comes from
  ``.json`` instead, and each such column also gives ``latitude``/``longitude`` float columns (named as the
  ArcGIS portal names its point coordinates, so maps and GeoJSON export find them).
* filters and sorting run on the server as SoQL ``$where`` (:func:`pdxtui.filters.to_soql`) and ``$order``;
  value counts as ``$select=col, count(*) AS n`` with ``$group``.

The app token (``X-App-Token``) is sent by the :class:`pdxtui.net.Fetcher` as a header only: it is never part of a
URL, a cache key or a message. Without a token Socrata throttles by IP with 429; those are retried (net.py) and
the retry notices and the final error say that an app token avoids them.

Importing this module, creating the portal, ``search()``, ``facets()`` and ``dataset()`` import neither polars nor
pyarrow.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from pdxtui.errors import NotFound, PdxError, PortalError, UsageError
from pdxtui.htmltext import html_to_text
from pdxtui.model import (
    Dataset,
    DatasetSummary,
    Facets,
    Field,
    Link,
    Page,
    Progress,
    Query,
    SearchRequest,
    SearchResult,
    finite_float,
)
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.network import NetworkPortal, as_text, both, check_columns, context, count_or_none, ranked, short

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)

#: the central catalog (North America) behind every Socrata domain; tests point this at the fake server
REGIONAL_CATALOG = "https://api.us.socrata.com/api/catalog/v1"
CATALOG_PATH = "/api/catalog/v1"
CATALOG_PAGE = 100  # the catalog's default (and our) page size
CATALOG_WINDOW = 10_000  # offset + limit above this is answered with 400
FACET_RECORDS = 500  # facets are counted over the first this-many catalog results of the domain
DEFAULT_PAGE_ROWS = 5000  # rows per request ($limit)
MAX_GROUPS = 50_000  # value counts: groups asked for in one request
COUNT_ALIAS = "pdxtui_n"

TOKEN_HINT = (
    "without an app token Socrata limits requests per IP; an app token avoids this "
    "(set PDXTUI_APP_TOKEN, or add it under [tokens] in the config)"
)

#: Socrata column types (views ``dataTypeName`` and SODA2 ``X-SODA2-Types`` names) -> model kinds
SOCRATA_KINDS: dict[str, str] = {
    "text": "string",
    "html": "string",
    "email": "string",
    "phone": "string",
    "url": "string",
    "flag": "string",
    "drop_down_list": "string",
    "photo": "string",
    "document": "string",
    "blob": "string",
    "number": "float",
    "double": "float",
    "money": "float",
    "percent": "float",
    "stars": "float",
    "calendar_date": "datetime",
    "floating_timestamp": "datetime",
    "date": "datetime",
    "fixed_timestamp": "datetime",
    "checkbox": "boolean",
    "point": "geometry",
    "location": "geometry",
    "multipoint": "geometry",
    "line": "geometry",
    "multiline": "geometry",
    "polygon": "geometry",
    "multipolygon": "geometry",
}
#: types CSV cannot carry: pages holding one of these come from ``.json``
POINT_TYPES = frozenset({"point", "location"})

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HTML_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")
_SOQL_WORDS = frozenset(
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
        "ASC",
        "DESC",
    }
)


# -- small conversions -------------------------------------------------------------------------------------------


def soql_name(name: str) -> str:
    """A column name as SoQL takes it: bare when an identifier, else in back ticks."""
    if _IDENTIFIER.match(name) and name.upper() not in _SOQL_WORDS:
        return name
    if "`" in name or not name:
        raise PdxError(f"column {name!r} cannot be named in a Socrata query")
    return f"`{name}`"


def epoch_seconds(value: Any) -> datetime | None:
    """An aware UTC datetime from epoch seconds (views JSON) or an ISO string (catalog); None when unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def socrata_time(text: Any) -> datetime | None:
    """A SoQL timestamp (``2024-01-05T12:00:00.000``, floating, taken as UTC; or with ``Z``) as an aware datetime."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _strings(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return ()
    out: list[str] = []
    for v in values:
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip() and str(v) not in out:
            out.append(str(v))
    return tuple(out)


def _description(text: str) -> str:
    """Socrata descriptions are mostly plain text (kept as is); some hold HTML (rendered as text)."""
    return html_to_text(text) if _HTML_TAG.search(text) else text.strip()


def socrata_error(data: Any) -> str | None:
    """The message of a Socrata error body (``{"error": true, "message"}`` or ``{"code", "message"}``), else None."""
    if not isinstance(data, dict):
        return None
    if data.get("error") is True or (isinstance(data.get("code"), str) and "message" in data):
        message = short(data.get("message") or data.get("code") or "no message")
        code = data.get("code")
        return f"{message} [{code}]" if isinstance(code, str) and code and code not in message else message
    if isinstance(data.get("error"), (str, dict)):
        err = data["error"]
        return short(err.get("message") if isinstance(err, dict) else err) or "no message"
    return None


# -- columns -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coords:
    """Latitude/longitude columns taken from a point or location column."""

    source: str
    type: str  # "point" | "location"
    lat: str
    lon: str


def parse_columns(raw: Any) -> tuple[tuple[Field, ...], tuple[_Coords, ...]]:
    """(fields as pages() yields them, coordinate columns) from views JSON ``columns``.

    Columns whose fieldName starts with ``:`` (system and computed-region columns) are dropped; the rest are put
    in ``position`` order. Each point/location column is kept (as ``POINT (lon lat)`` text) and followed by two
    float columns: ``latitude``/``longitude`` for the first one when the dataset has no such columns, else
    ``{column}_latitude``/``{column}_longitude``."""
    columns = [
        c
        for c in raw or ()
        if isinstance(c, dict)
        and isinstance(c.get("fieldName"), str)
        and c["fieldName"]
        and not c["fieldName"].startswith(":")
    ]
    columns.sort(key=lambda c: c.get("position") if isinstance(c.get("position"), int) else 1 << 30)
    taken = {c["fieldName"].lower() for c in columns}
    out: list[Field] = []
    coords: list[_Coords] = []
    seen: set[str] = set()
    for c in columns:
        name = c["fieldName"]
        if name in seen:
            continue
        seen.add(name)
        kind_name = as_text(c.get("dataTypeName")).lower() or "text"
        alias = as_text(c.get("name"))
        out.append(
            Field(
                name=name,
                type=kind_name,
                kind=SOCRATA_KINDS.get(kind_name, "string"),
                alias=alias,
                description=_description(as_text(c.get("description"))),
            )
        )
        if kind_name in POINT_TYPES:
            lat, lon = "latitude", "longitude"
            if coords or {lat, lon} & taken:
                lat, lon = f"{name}_latitude", f"{name}_longitude"
            if {lat.lower(), lon.lower()} & taken:
                continue  # the dataset already has these names: it carries its own coordinates
            taken |= {lat.lower(), lon.lower()}
            label = alias or name
            coords.append(_Coords(name, kind_name, lat, lon))
            out.append(
                Field(
                    lat,
                    "number",
                    "float",
                    "Latitude" if lat == "latitude" else f"{label} latitude",
                    f"WGS 84 latitude of the {kind_name} column {name}",
                )
            )
            out.append(
                Field(
                    lon,
                    "number",
                    "float",
                    "Longitude" if lon == "longitude" else f"{label} longitude",
                    f"WGS 84 longitude of the {kind_name} column {name}",
                )
            )
    return tuple(out), tuple(coords)


def _point_of(value: Any) -> tuple[float | None, float | None, str | None]:
    """(lat, lon, "POINT (lon lat)") from a SODA2 JSON point (GeoJSON) or location object."""
    lat = lon = None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None, None, value
    if isinstance(value, dict):
        coordinates = value.get("coordinates")
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            lon, lat = finite_float(coordinates[0]), finite_float(coordinates[1])
        else:
            lat, lon = finite_float(value.get("latitude")), finite_float(value.get("longitude"))
    if lat is None or lon is None:
        return None, None, None
    return lat, lon, f"POINT ({lon!r} {lat!r})"


def _json_text(value: Any) -> str | None:
    """One SODA2 JSON value as the text CSV would carry (numbers arrive as strings; objects are flattened)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("url", "phone_number"):
            if isinstance(value.get(key), str):
                return value[key]
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


# -- typing rows with polars ------------------------------------------------------------------------------------------


def _typed(frame: Any, fields: Sequence[Field]) -> Any:
    """A frame of text columns (as CSV gives them) cast to the fields' kinds; columns in ``fields`` order."""
    import polars as pl

    exprs = []
    for field in fields:
        name = field.name
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype=_polars_type(field.kind)).alias(name))
            continue
        col = pl.col(name)
        dtype = frame.schema[name]
        if dtype != pl.String:
            exprs.append(col.cast(_polars_type(field.kind), strict=False))
            continue
        if field.kind == "float":
            exprs.append(col.str.strip_chars().cast(pl.Float64, strict=False))
        elif field.kind == "integer":
            exprs.append(col.str.strip_chars().cast(pl.Int64, strict=False))
        elif field.kind == "boolean":
            exprs.append(
                col.str.strip_chars()
                .str.to_lowercase()
                .replace_strict(
                    {"true": True, "false": False, "1": True, "0": False}, default=None, return_dtype=pl.Boolean
                )
            )
        elif field.kind == "datetime":
            text = col.str.strip_chars().str.strip_suffix("Z")
            exprs.append(
                pl.coalesce(
                    text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="ms", strict=False),
                    text.str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="ms", strict=False),
                    text.str.to_datetime("%Y-%m-%d", time_unit="ms", strict=False),
                )
                .dt.replace_time_zone("UTC")
                .alias(name)
            )
        elif field.kind == "date":
            exprs.append(col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        else:  # CSV cannot tell an empty text from a missing one: both are missing, from CSV and JSON alike
            exprs.append(pl.when(col.str.len_bytes() > 0).then(col).alias(name))
    return frame.select(exprs)


def _polars_type(kind: str) -> Any:
    import polars as pl

    return {
        "integer": pl.Int64,
        "float": pl.Float64,
        "boolean": pl.Boolean,
        "datetime": pl.Datetime("ms", "UTC"),
        "date": pl.Date,
    }.get(kind, pl.String)


def table_from_csv(body: bytes, fields: Sequence[Field]) -> Any:
    """A pyarrow Table (one column per field, in order) from a ``.csv`` page; every cell is read as text first."""
    import io

    import polars as pl

    if not body.strip():
        return empty_table(fields)
    try:
        frame = pl.read_csv(io.BytesIO(body), infer_schema=False, truncate_ragged_lines=False, encoding="utf8-lossy")
    except Exception as exc:
        raise PortalError(f"the rows were not readable CSV ({short(exc, 160)})") from None
    return _typed(frame, fields).to_arrow()


def table_from_json(records: Any, fields: Sequence[Field], coords: Sequence[_Coords]) -> Any:
    """A pyarrow Table from a ``.json`` page (a list of objects; null values are left out of them)."""
    import polars as pl

    if not isinstance(records, list):
        raise PortalError("the rows answer was not a list of records")
    rows = [r if isinstance(r, dict) else {} for r in records]
    derived = {c.lat: (c, 0) for c in coords} | {c.lon: (c, 1) for c in coords}
    points = {c.source: [_point_of(r.get(c.source)) for r in rows] for c in coords}
    data: dict[str, Any] = {}
    for field in fields:
        if field.name in derived:
            source, axis = derived[field.name]
            values = points.get(source.source) or [_point_of(r.get(source.source)) for r in rows]
            data[field.name] = pl.Series(field.name, [p[axis] for p in values], pl.Float64)
        elif field.type in POINT_TYPES:
            values = points.get(field.name) or [_point_of(r.get(field.name)) for r in rows]
            data[field.name] = pl.Series(field.name, [p[2] for p in values], pl.String)
        else:
            data[field.name] = pl.Series(field.name, [_json_text(r.get(field.name)) for r in rows], pl.String)
    return _typed(pl.DataFrame(data), fields).to_arrow()


def empty_table(fields: Sequence[Field]) -> Any:
    import polars as pl

    return pl.DataFrame(schema={f.name: _polars_type(f.kind) for f in fields}).to_arrow()


def _group_value(value: Any, field: Field) -> Any:
    """A ``$group`` answer's value typed as the rows are."""
    if value is None:
        return None
    if field.kind == "float":
        return finite_float(value)
    if field.kind == "boolean":
        return value if isinstance(value, bool) else str(value).strip().lower() == "true"
    if field.kind == "datetime":
        return socrata_time(value)
    return _json_text(value)


# -- what pages() needs to know, kept from dataset() ----------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    id: str
    title: str
    resource: str  # {domain}/resource/{id}
    fields: tuple[Field, ...]
    coords: tuple[_Coords, ...]
    rows: int | None

    @property
    def server(self) -> frozenset[str]:
        """Names of the columns the server has (not latitude/longitude taken from a location)."""
        derived = {c.lat for c in self.coords} | {c.lon for c in self.coords}
        return frozenset(f.name for f in self.fields if f.name not in derived)

    @property
    def comparable(self) -> frozenset[str]:
        """Server columns SoQL can filter and sort by (not geometry)."""
        return frozenset(f.name for f in self.fields if f.name in self.server and f.kind != "geometry")


@dataclass
class _Slot:
    table: Any
    rows: int


# -- the portal ----------------------------------------------------------------------------------------------------


class SocrataPortal(NetworkPortal[_Plan]):
    """A Socrata domain: its catalog, views metadata and SODA2 resources.

    ``fetcher`` is a :class:`pdxtui.net.Fetcher`, a zero-argument callable that makes one on first use, or None
    for a default Fetcher without a cache. With ``close_fetcher`` the portal owns it and ``aclose()`` closes its
    client and cache store. ``refresh`` skips fresh cache entries. ``regional_catalog`` replaces
    :data:`REGIONAL_CATALOG` (the fallback catalog URL); ``page_rows`` the rows per request.
    """

    kind = "socrata"
    #: SoQL $order and $where run over the whole dataset, and $group counts values
    capabilities = frozenset({"sort", "filter", "group"})

    def __init__(
        self,
        spec: PortalSpec,
        fetcher: Fetcher | Callable[[], Fetcher] | None = None,
        *,
        refresh: bool = False,
        close_fetcher: bool = True,
        regional_catalog: str | None = None,
        page_rows: int = DEFAULT_PAGE_ROWS,
    ) -> None:
        super().__init__(spec, fetcher, refresh=refresh, close_fetcher=close_fetcher)
        self.host = urlsplit(self.site).hostname or self.site
        self.label = f"Socrata: {self.host}"
        self.regional_catalog = regional_catalog
        self.page_rows = max(1, int(page_rows))
        if self._fetcher is not None:
            self._hint(self._fetcher)
        self._catalog: str | None = None  # the catalog URL that answered last (the domain's or the regional one)

    # -- Portal protocol -----------------------------------------------------------------------------------------

    def _fetcher_ready(self, fetcher: Fetcher) -> None:
        self._hint(fetcher)

    async def search(self, request: SearchRequest) -> SearchResult:
        self._begin()
        if request.owner:
            raise UsageError("the Socrata catalog cannot be narrowed by owner here; use a category or a tag")
        offset = max(0, request.offset)
        wanted = max(0, request.limit)
        if offset >= CATALOG_WINDOW and wanted:
            raise PdxError(self._window_message())
        wanted = min(wanted, CATALOG_WINDOW - offset)
        params: dict[str, Any] = {}
        if request.text.strip():
            params["q"] = request.text.strip()
        if request.category:
            params["categories"] = request.category
        if request.tag:
            params["tags"] = request.tag
        results, total = await self._results(params, offset, wanted)
        return SearchResult(hits=tuple(self._summary(r) for r in results), total=total)

    async def facets(self) -> Facets:
        """Category and tag counts over the first ``FACET_RECORDS`` catalog results of this domain (the catalog
        answers in its own relevance order; portals.md documents no facet endpoint, so they are counted from the
        search pages themselves; the first is the catalog's first page, usually already cached). Owners are not
        offered: the catalog cannot be narrowed by them."""
        self._begin()
        results, _ = await self._results({}, 0, FACET_RECORDS)
        categories: Counter[str] = Counter()
        tags: Counter[str] = Counter()
        for result in results:
            summary = self._summary(result)
            categories.update(set(summary.categories))
            tags.update(set(summary.tags))
        return Facets(owners=(), categories=ranked(categories), tags=ranked(tags))

    async def dataset(self, dataset_id: str) -> Dataset:
        self._begin()
        ident = (dataset_id or "").strip()
        if not ident:
            raise NotFound("no dataset id given")
        view, rows = await both(self._view(ident), count_or_none(self._count(ident, ident)))
        ident = as_text(view.get("id")) or ident
        title = as_text(view.get("name")) or ident
        fields, coords = parse_columns(view.get("columns"))
        tabular = bool(fields) and as_text(view.get("viewType") or "tabular") == "tabular"
        rows = rows if tabular else None
        plan = _Plan(ident, title, f"{self.site}/resource/{quote(ident, safe='')}", fields, coords, rows)
        if tabular:
            self._remember(plan.id, plan)
        return self._build(view, plan, tabular)

    async def count(self, dataset: Dataset, query: Query) -> int:
        self._begin()
        plan = await self._plan(dataset)
        where = self._check_query(plan, query)
        if where is None:
            rows = dataset.rows if dataset.rows is not None else plan.rows
            if rows is not None:
                return rows
        return await self._count(plan.id, plan.title, where)

    async def group_counts(
        self, dataset: Dataset, column: str, query: Query | None = None
    ) -> tuple[list[tuple[Any, int]], int]:
        """How many rows hold each value of ``column`` over the whole dataset (narrowed by the query's filter),
        by SoQL ``$group``. (value, count) pairs, most frequent first (None counts rows with no value), and the
        number of rows counted. Values are typed as in the rows."""
        self._begin()
        plan = await self._plan(dataset)
        field = plan_field(plan, column)
        if field is None or column not in plan.comparable:
            raise PdxError(f"{plan.title} cannot count the values of {column!r} on the server")
        where = self._check_query(plan, query or Query())
        name = soql_name(column)
        params: dict[str, Any] = {
            "$select": f"{name}, count(*) AS {COUNT_ALIAS}",
            "$group": name,
            "$order": f"{COUNT_ALIAS} DESC",
            "$limit": MAX_GROUPS,
        }
        if where:
            params["$where"] = where
        with self._doing(f"counting the values of {column} in {plan.title}"):
            data = await self._get(f"{plan.resource}.json", params, "metadata", _check_list)
        pairs: list[tuple[Any, int]] = []
        for row in data:
            if not isinstance(row, dict):
                continue
            count = _int(row.get(COUNT_ALIAS))
            if count is None:
                continue
            pairs.append((_group_value(row.get(column), field), count))
        return pairs, sum(count for _, count in pairs)

    def query_url(self, dataset: Dataset, query: Query) -> str:
        """The SODA2 URL that returns the rows of ``query`` as JSON (no token: send it as X-App-Token)."""
        plan = self._plans.get(dataset.id)
        if plan is None:
            return dataset.api_url
        params = self._row_params(plan, query, self._selected(plan, query), self._check_query(plan, query))
        if query.limit is not None:
            params["$limit"] = query.limit
        if query.offset:
            params["$offset"] = query.offset
        return f"{plan.resource}.json?{urlencode(params, quote_via=quote, safe=',:*()$')}"

    async def pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None = None
    ) -> AsyncIterator[Page]:
        """Yield the selected rows page by page, in order, with no gaps and no duplicates.

        Pages of ``page_rows`` rows are fetched concurrently once the row count is known (bounded by the fetcher's
        per-host limit) and yielded in order; every request sends ``$order`` ending with ``:id``. An empty
        selection yields one empty page. Stopping early or cancelling cancels the outstanding requests."""
        self._begin()
        plan = await self._plan(dataset)
        where = self._check_query(plan, query)
        fields = self._selected(plan, query)
        total = (dataset.rows if dataset.rows is not None else plan.rows) if where is None else None
        if total is None:
            try:
                total = await self._count(plan.id, plan.title, where)
            except PortalError as exc:
                if exc.offline:
                    raise
                # the rows may still be readable when count(*) is refused: read page after page instead
                log.warning("count of %s failed, reading rows without it: %s", plan.id, exc)
        start = query.offset
        base = self._row_params(plan, query, fields, where)
        size = self.page_rows
        if total is None:
            stop, planned, slots = None, None, []
        else:
            stop = total if query.limit is None else min(total, start + query.limit)
            planned = max(0, stop - start)
            slots = [(offset, min(size, stop - offset)) for offset in range(start, stop, size)]
        if slots and query.limit is None:
            # the count may be out of date: the last page asks for a full page, and a full answer means more
            slots[-1] = (slots[-1][0], size)
        window = self.window
        tasks: dict[int, asyncio.Task[_Slot]] = {}
        delivered = pages = 0
        try:
            index = scheduled = 0
            ended = False
            last: _Slot | None = None
            while index < len(slots) and not ended:
                while scheduled < len(slots) and scheduled < index + window:
                    offset, count = slots[scheduled]
                    tasks[scheduled] = asyncio.ensure_future(self._slot(plan, base, fields, offset, count))
                    scheduled += 1
                last = await tasks.pop(index)
                offset, count = slots[index]
                index += 1
                ended = last.rows < count  # fewer rows than counted: the data ran out
                if last.rows:
                    delivered += last.rows
                    pages += 1
                    if progress is not None:
                        progress(Progress(rows=delivered, total=planned, pages=pages))
                    yield Page(table=last.table, offset=offset, total=total)
            # The count was out of date (the last page came back full), or there is none: keep asking while
            # pages come back full (and, without a count, until the limit is reached).
            more = (last is not None and not ended and query.limit is None) or (total is None and query.limit != 0)
            while more:
                offset = start + delivered
                want = size if query.limit is None else min(size, query.limit - delivered)
                last = await self._slot(plan, base, fields, offset, want)
                if last.rows:
                    delivered += last.rows
                    pages += 1
                    if progress is not None:
                        progress(Progress(rows=delivered, total=None, pages=pages))
                    yield Page(table=last.table, offset=offset, total=None)
                more = last.rows == want and (query.limit is None or delivered < query.limit)
            if pages == 0:
                if progress is not None:
                    progress(Progress(rows=0, total=0, pages=1))
                yield Page(table=empty_table(fields), offset=start, total=total)
        finally:
            for task in tasks.values():
                if not task.done():
                    task.cancel()
            if tasks:
                await asyncio.gather(*tasks.values(), return_exceptions=True)

    # -- catalog ---------------------------------------------------------------------------------------------------

    @property
    def regional_url(self) -> str:
        return (self.regional_catalog or REGIONAL_CATALOG).rstrip("/")

    @property
    def catalog_urls(self) -> list[str]:
        """Where the catalog is asked, in order: the domain's own path, then the regional catalog."""
        own = f"{self.site}{CATALOG_PATH}"
        regional = self.regional_url
        urls = [own, regional] if regional and regional != own else [own]
        if self._catalog in urls:
            urls.remove(self._catalog)
            urls.insert(0, self._catalog)
        return urls

    def _window_message(self) -> str:
        return (
            f"the Socrata catalog of {self.host} only lists its first {CATALOG_WINDOW:,} results "
            "(the API refuses to page further); narrow the search with words, a category or a tag"
        )

    async def _results(
        self, params: dict[str, Any], offset: int, wanted: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Catalog results from ``offset``, page by page until ``wanted`` are in hand or they run out."""
        results: list[dict[str, Any]] = []
        total: int | None = None
        ask_total = wanted == 0
        while len(results) < wanted or ask_total:
            limit = min(CATALOG_PAGE, wanted - len(results)) if not ask_total else 1
            at = offset + len(results)
            if at + limit > CATALOG_WINDOW:  # the API answers 400 past this
                limit = CATALOG_WINDOW - at
                if limit <= 0:
                    break
            page = {
                "domains": self.host,
                "search_context": self.host,
                **params,
                "only": "dataset",
                "limit": limit,
                "offset": at,
            }
            data = await self._catalog_page(page)
            size = data.get("resultSetSize")
            if isinstance(size, int) and not isinstance(size, bool):
                total = size
            got = [r for r in data.get("results") or () if isinstance(r, dict)]
            if ask_total:
                break
            results.extend(got[: wanted - len(results)])
            if len(got) < limit:
                break
        return results, total

    async def _catalog_page(self, params: dict[str, Any]) -> dict[str, Any]:
        """One catalog page: from the domain's own catalog, or, when the domain answers but not with a catalog
        (404, a web page, an error), from the regional one. A domain that cannot be reached at all is not
        replaced (its rows could not be read either; a cached copy is served instead where there is one)."""
        problems: list[PortalError] = []
        for url in self.catalog_urls:
            try:
                with self._doing(f"searching the catalog of {self.host}"):
                    data = await self._get(url, params, "catalog", _check_catalog)
            except PortalError as exc:
                if exc.offline and url != self.regional_url:
                    raise
                log.info("catalog %s failed: %s", url, exc)
                problems.append(exc)
                continue
            self._catalog = url
            return data
        raise problems[0]

    def _summary(self, result: dict[str, Any]) -> DatasetSummary:
        resource = result.get("resource") if isinstance(result.get("resource"), dict) else {}
        classification = result.get("classification") if isinstance(result.get("classification"), dict) else {}
        owner = result.get("owner") if isinstance(result.get("owner"), dict) else {}
        ident = as_text(resource.get("id"))
        return DatasetSummary(
            id=ident,
            title=as_text(resource.get("name")) or ident,
            owner=as_text(owner.get("display_name")) or as_text(resource.get("attribution")),
            updated=epoch_seconds(resource.get("data_updated_at") or resource.get("updatedAt")),
            rows=None,
            type=as_text(resource.get("type")),
            snippet=short(_description(as_text(resource.get("description"))), 300),
            categories=_strings(
                [*_strings(classification.get("domain_category")), *_strings(classification.get("categories"))]
            ),
            tags=_strings([*_strings(classification.get("domain_tags")), *_strings(classification.get("tags"))]),
        )

    # -- metadata --------------------------------------------------------------------------------------------

    async def _view(self, ident: str) -> dict[str, Any]:
        url = f"{self.site}/api/views/{quote(ident, safe='')}.json"
        try:
            with self._doing(f"reading the metadata of {ident}"):
                return await self._get(url, None, "metadata", _check_view)
        except PortalError as exc:
            if getattr(exc, "status", None) in (404, 410):
                raise NotFound(f"no dataset with id {ident!r} on {self.label}") from None
            raise

    def _build(self, view: dict[str, Any], plan: _Plan, tabular: bool) -> Dataset:
        owner = view.get("owner") if isinstance(view.get("owner"), dict) else {}
        licence = view.get("license") if isinstance(view.get("license"), dict) else {}
        page_url = f"{self.site}/d/{quote(plan.id, safe='')}"
        links = [Link("Socrata dataset page", page_url)]
        if tabular:
            links.append(Link("SODA API endpoint", f"{plan.resource}.json"))
        if isinstance(view.get("attributionLink"), str) and view["attributionLink"].startswith(("http://", "https://")):
            links.append(Link("Publisher", view["attributionLink"]))
        if isinstance(licence.get("termsLink"), str) and licence["termsLink"].startswith(("http://", "https://")):
            links.append(Link("Licence terms", licence["termsLink"]))
        geometry = next((f.type for f in plan.fields if f.kind == "geometry"), "")
        return Dataset(
            id=plan.id,
            title=plan.title,
            owner=as_text(owner.get("displayName")) or as_text(view.get("attribution")),
            description=_description(as_text(view.get("description"))),
            licence=as_text(licence.get("name")) or as_text(view.get("licenseId")),
            update_frequency=_frequency(view.get("metadata")),
            updated=epoch_seconds(view.get("rowsUpdatedAt") or view.get("viewLastModified")),
            created=epoch_seconds(view.get("createdAt")),
            rows=plan.rows,
            fields=plan.fields,
            links=tuple(links),
            api_url=f"{plan.resource}.json" if tabular else "",
            page_url=page_url,
            categories=_strings(view.get("category")),
            tags=_strings(view.get("tags")),
            geometry_type="point" if plan.coords else geometry,
            sample=False,
        )

    async def _plan(self, dataset: Dataset) -> _Plan:
        plan = self._plans.get(dataset.id)
        if plan is None:
            await self.dataset(dataset.id)
            plan = self._plans.get(dataset.id)
        if plan is None:
            raise PdxError(f"{dataset.title or dataset.id} has no table of rows to show (it is not a Socrata dataset)")
        return plan

    # -- rows --------------------------------------------------------------------------------------------------

    async def _count(self, ident: str, title: str, where: str | None = None) -> int:
        params: dict[str, Any] = {"$select": "count(*)"}
        if where:
            params["$where"] = where
        url = f"{self.site}/resource/{quote(ident, safe='')}.json"
        with self._doing(f"counting the rows of {title}"):
            data = await self._get(url, params, "metadata", _check_count)
        return _count_of(data)  # type: ignore[return-value]

    def _check_query(self, plan: _Plan, query: Query) -> str | None:
        """The SoQL ``$where`` for the query (None for all rows), after checking its columns; a filter that
        cannot run on the server as a whole raises FilterError saying which part."""
        check_columns(query, plan.fields, plan.title)
        for name, _ in query.order:
            if name not in plan.comparable:
                raise PdxError(f"cannot sort {plan.title} by {name!r} on the server (it is a location)")
        return _where(plan, query.where)

    @staticmethod
    def _row_params(plan: _Plan, query: Query, fields: Sequence[Field], where: str | None) -> dict[str, Any]:
        sources = {c.lat: c.source for c in plan.coords} | {c.lon: c.source for c in plan.coords}
        wanted: list[str] = []
        for field in fields:
            name = sources.get(field.name, field.name)
            if name not in wanted:
                wanted.append(name)
        params: dict[str, Any] = {"$select": ",".join(soql_name(n) for n in wanted)}
        if where:
            params["$where"] = where
        order = [f"{soql_name(name)} {'DESC' if descending else 'ASC'}" for name, descending in query.order]
        params["$order"] = ",".join([*order, ":id"])
        return params

    def _format(self, plan: _Plan, fields: Sequence[Field]) -> str:
        """``json`` when a page holds a location or point column (CSV cannot carry them), else ``csv``."""
        sources = {c.lat for c in plan.coords} | {c.lon for c in plan.coords}
        return "json" if any(f.type in POINT_TYPES or f.name in sources for f in fields) else "csv"

    async def _slot(
        self, plan: _Plan, base: dict[str, Any], fields: tuple[Field, ...], offset: int, count: int
    ) -> _Slot:
        fmt = self._format(plan, fields)
        params = {**base, "$limit": count, "$offset": offset}
        url = f"{plan.resource}.{fmt}"
        fetcher = self.fetcher
        coords = plan.coords

        def parse(body: bytes, content_type: str) -> Any:
            if "html" in content_type.lower() or body.lstrip()[:1] == b"<":
                raise PortalError(
                    f"{self.host} answered with a web page (HTML), not rows; the URL may be wrong or the service down",
                    portal=self.name,
                )
            if fmt == "json" or body.lstrip()[:1] in (b"{", b"["):
                data = fetcher.parse_json(url, body, content_type)
                problem = socrata_error(data)
                if problem:
                    raise PortalError(f"{self.label} answered with an error: {problem}", portal=self.name)
                if fmt == "csv":
                    raise PortalError("the rows answer was JSON, not CSV", portal=self.name)
                return table_from_json(data, fields, coords)
            return table_from_csv(body, fields)

        with self._doing(f"reading rows {offset + 1:,}-{offset + count:,} of {plan.title}"):
            _, table = await fetcher.get_parsed(url, params, parse, kind="rows", refresh=self.refresh, offload=True)
        self._note(fetcher.state)
        return _Slot(table=table, rows=table.num_rows)

    # -- requests ----------------------------------------------------------------------------------------------

    def _doing(self, doing: str) -> context:
        """Prefix errors with the portal and what was being done: one readable line. Without an app token, a 429
        that outlasted the retries also says that a token avoids it."""
        token = getattr(self._fetcher, "token", None) if self._fetcher is not None else None
        return context(doing, label=self.label, hint="" if token else TOKEN_HINT)

    def _hint(self, fetcher: Any) -> None:
        """Without a token, say in each 429 retry notice that a token avoids them (the final error says so too)."""
        if getattr(fetcher, "token", None) or getattr(fetcher, "_socrata_hint", False):
            return
        wait = getattr(fetcher, "on_wait", None)
        if wait is None:
            return

        def on_wait(message: str, seconds: float) -> None:
            if " 429 " in message:
                message = f"{message} ({TOKEN_HINT})"
            wait(message, seconds)

        fetcher.on_wait = on_wait
        fetcher._socrata_hint = True

    # -- fetch state -------------------------------------------------------------------------------------------


def plan_field(plan: _Plan, name: str) -> Field | None:
    return next((f for f in plan.fields if f.name == name), None)


def _where(plan: _Plan, text: str | None) -> str | None:
    """The SoQL ``$where`` for filter text (pdxtui's filter language), or None for all rows."""
    if not text or not text.strip():
        return None
    from pdxtui.filters import FilterError, NotServerSide, columns, parse, to_soql

    node = parse(text, plan.fields)
    if node is None:
        return None
    comparable = plan.comparable
    for name in sorted(columns(node)):
        if name not in comparable:
            raise FilterError(f"{plan.title} cannot filter on {name} on the server (it is a location)")
    try:
        return to_soql(node, plan.fields)
    except NotServerSide as exc:
        raise FilterError(f"{plan.title} cannot filter this on the server: {exc.reason}", exc.position) from None


def _frequency(metadata: Any) -> str:
    """An "update frequency" custom field, where the domain keeps one (not every domain does)."""
    if not isinstance(metadata, dict):
        return ""
    custom = metadata.get("custom_fields")
    if not isinstance(custom, dict):
        return ""
    for group in custom.values():
        if not isinstance(group, dict):
            continue
        for key, value in group.items():
            if "frequency" in str(key).lower() and isinstance(value, str) and value.strip():
                return value.strip()
    return ""


# -- validation callbacks (run on every body before it is cached) ------------------------------------------------------


def _check_catalog(data: Any) -> str | None:
    problem = socrata_error(data)
    if problem:
        return f"the catalog search failed: {problem}"
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return "the catalog answered, but not with a list of results (is this a Socrata site?)"
    return None


def _check_view(data: Any) -> str | None:
    problem = socrata_error(data)
    if problem:
        return f"the dataset metadata could not be read: {problem}"
    if not isinstance(data, dict) or not isinstance(data.get("id", ""), str):
        return "the metadata answer was not a Socrata view"
    return None


def _check_list(data: Any) -> str | None:
    problem = socrata_error(data)
    if problem:
        return problem
    if not isinstance(data, list):
        return "the answer was not a list of rows"
    return None


def _check_count(data: Any) -> str | None:
    problem = _check_list(data)
    if problem:
        return problem
    if _count_of(data) is None:
        return "a count(*) query was answered without a count"
    return None


def _count_of(data: Any) -> int | None:
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict) or len(data[0]) != 1:
        return None
    return _int(next(iter(data[0].values())))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None


# -- helpers -------------------------------------------------------------------------------------------------------
