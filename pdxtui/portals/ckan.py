"""CKAN portals (``--portal ckan:https://SITE``; the profile ``datagov`` is catalog.data.gov).

Wire formats follow ``portals.md`` ("CKAN"), all under ``{site}/api/3/action/``:

* search: ``package_search`` with ``q``, ``fq`` (``organization:"…" groups:"…" tags:"…"``), ``rows`` and
  ``start``; facets from the same action with ``rows=0`` and ``facet.field`` (its ``search_facets``);
* metadata: ``package_show?id=`` (the package and its ``resources``); for a resource in the datastore,
  ``datastore_search?resource_id=…&limit=0`` gives its typed ``fields`` and ``total``;
* rows: ``datastore_search`` pages (``limit``/``offset``, sorted by ``_id``) when ``datastore_active``: the row
  count only plans the first requests, a reported ``total`` or a full last page asks for more, a short page ends;
  otherwise the resource's CSV ``url``, downloaded whole (in pages()) and parsed with polars. dataset() types a
  CSV's columns from its first 64 KB only (waiting at most ``sample_wait``); the whole file is then typed to
  match, a column that does not fit staying text. Any other format has no tabular preview.

Dataset ids are ``PACKAGE`` (the first tabular resource: datastore first, else CSV) or ``PACKAGE/RESOURCE_ID``.

Every answer is an envelope ``{"help", "success", "result"}``; ``success`` is checked on every body (a
``success: false`` sent with HTTP 200 is an error too) before anything is cached. Error envelopes sent with a 4xx
status are read back (once, uncached) so the message can say what CKAN said (``Validation Error: rows: …``).

capabilities are empty: ``datastore_search`` takes ``q`` and exact-match ``filters`` only, which cannot run the
filter language, and portals.md documents no sort for it, so the UI filters and sorts the loaded rows itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from pdxtui.errors import NotFound, PdxError, PortalError
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
    Resource,
    SearchRequest,
    SearchResult,
)
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.network import NetworkPortal, as_text, check_columns, prefixed, short

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)

API = "/api/3/action"
SEARCH_MAX_ROWS = 1000  # CKAN's default ckan.search.rows_max
FACET_FIELDS = ("organization", "groups", "tags")
FACET_LIMIT = 100
PAGE_ROWS = 1000  # rows per datastore_search request
MAX_FRAMES = 4  # parsed CSV resources kept in memory
SAMPLE_BYTES = 64 * 1024  # of a CSV file read to type its columns when the dataset opens
SYSTEM_FIELDS = frozenset({"_id", "_full_text"})
TABULAR_FORMATS = frozenset({"csv", "text/csv"})

#: PostgreSQL / datastore column types -> model kinds (anything else is text)
PG_KINDS: dict[str, str] = {
    "text": "string",
    "varchar": "string",
    "char": "string",
    "name": "string",
    "uuid": "string",
    "int": "integer",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "integer": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "serial": "integer",
    "numeric": "float",
    "float4": "float",
    "float8": "float",
    "real": "float",
    "double precision": "float",
    "decimal": "float",
    "money": "float",
    "bool": "boolean",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "datetime",
    "timestamptz": "datetime",
    "timestamp without time zone": "datetime",
    "timestamp with time zone": "datetime",
    "json": "json",
    "jsonb": "json",
}

_INT = r"^[+-]?(?:0|[1-9][0-9]*)$"  # no leading zeros: "007" stays text
_FLOAT = r"^[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_BOOL = r"^(?i:true|false)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
_ISO_SECONDS = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?")


# -- errors ---------------------------------------------------------------------------------------------------------


class CKANError(PortalError):
    """CKAN answered with ``{"success": false, "error": {...}}`` (whatever the HTTP status)."""

    def __init__(self, message: str, *, portal: str = "", kind: str = "", status: int | None = None) -> None:
        super().__init__(message, portal=portal, offline=False)
        self.kind = kind  # CKAN's __type, e.g. "Not Found Error"
        self.status = status


def envelope_error(error: Any) -> tuple[str, str]:
    """(__type, "message") from a CKAN ``error`` object: ``message`` when there is one, else the field errors of
    a Validation Error (``rows: Invalid integer; q: …``)."""
    if not isinstance(error, dict):
        return "", short(error) if error not in (None, "") else "no message"
    kind = short(error.get("__type") or "", 80)
    message = error.get("message")
    if isinstance(message, str) and message.strip():
        return kind, short(message)
    parts = []
    for name, value in error.items():
        if name in ("__type", "message"):
            continue
        if isinstance(value, list):
            value = "; ".join(short(v, 160) for v in value[:3])
        elif isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)[:160]
        parts.append(f"{short(name, 60)}: {short(value, 200)}")
    return kind, short(", ".join(parts[:4])) or "no message"


# -- small conversions ---------------------------------------------------------------------------------------------


def solr_phrase(value: str) -> str:
    """A quoted Solr phrase for ``fq``: ``"…"`` with backslashes and double quotes escaped."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_fq(owner: str | None = None, group: str | None = None, tag: str | None = None) -> str:
    """``organization:"x" AND groups:"y" AND tags:"z"`` for the facets that are set ("" for none)."""
    parts = []
    if owner:
        parts.append(f"organization:{solr_phrase(owner)}")
    if group:
        parts.append(f"groups:{solr_phrase(group)}")
    if tag:
        parts.append(f"tags:{solr_phrase(tag)}")
    return " AND ".join(parts)


def ckan_time(value: Any) -> datetime | None:
    """CKAN's ``metadata_modified`` (ISO 8601 without zone, UTC) as an aware datetime; None when unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        match = _ISO_SECONDS.match(text)
        if not match:
            return None
        try:
            moment = datetime.fromisoformat(match.group(1))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def pg_kind(type_name: Any) -> str:
    name = as_text(type_name).strip().lower()
    if name.startswith("_") or name.endswith("[]"):
        return "json"  # arrays
    return PG_KINDS.get(name, "string")


def _names(values: Any, key: str = "name", label: str = "title") -> tuple[tuple[str, str], ...]:
    """(name, display title) pairs from CKAN's lists of tags / groups."""
    out = []
    for item in values if isinstance(values, list) else ():
        if isinstance(item, dict):
            name = as_text(item.get(key))
            title = as_text(item.get(label) or item.get("display_name") or name)
            if name or title:
                out.append((name or title, title or name))
        elif isinstance(item, str) and item:
            out.append((item, item))
    return tuple(out)


def resource_format(raw: dict[str, Any]) -> str:
    fmt = as_text(raw.get("format")).strip()
    if not fmt:
        mimetype = as_text(raw.get("mimetype")).lower()
        if "csv" in mimetype:
            return "CSV"
        url = as_text(raw.get("url")).split("?", 1)[0].lower()
        if "." in url.rsplit("/", 1)[-1]:
            return url.rsplit(".", 1)[-1].upper()[:12]
    return fmt


def to_resource(raw: dict[str, Any], site: str = "") -> Resource:
    fmt = resource_format(raw)
    datastore = raw.get("datastore_active") is True
    csv = fmt.strip().lower().lstrip(".") in TABULAR_FORMATS or "csv" in as_text(raw.get("mimetype")).lower()
    url = as_text(raw.get("url")).strip()
    if url.startswith("/") and not url.startswith("//") and site:
        url = site.rstrip("/") + url  # an upload named relative to the site
    return Resource(
        id=as_text(raw.get("id")),
        name=as_text(raw.get("name")) or as_text(raw.get("id")),
        format=fmt,
        url=url,
        tabular=datastore or csv,
        datastore=datastore,
    )


def _is_csv(resource: Resource) -> bool:
    return resource.format.strip().lower().lstrip(".") in TABULAR_FORMATS or (
        resource.url.split("?", 1)[0].lower().endswith(".csv")
    )


def pick_resource(resources: Sequence[Resource]) -> Resource | None:
    """The resource shown for a plain ``PACKAGE`` id: the first in the datastore, else the first CSV."""
    return next((r for r in resources if r.datastore), None) or next((r for r in resources if r.tabular), None)


def split_id(dataset_id: str) -> tuple[str, str]:
    package, _, resource = (dataset_id or "").strip().partition("/")
    return package.strip(), resource.strip()


# -- what pages() needs about a resource -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    title: str
    resource: Resource
    fields: tuple[Field, ...]
    rows: int | None


def datastore_fields(raw: Any) -> tuple[Field, ...]:
    out = []
    for f in raw if isinstance(raw, list) else ():
        if not isinstance(f, dict) or not isinstance(f.get("id"), str) or f["id"] in SYSTEM_FIELDS:
            continue
        info = f.get("info") if isinstance(f.get("info"), dict) else {}  # the Data Dictionary, where filled in
        # the column's real ``type`` decides: a ``type_override`` only takes effect when the datastore is
        # reloaded, and until then the values are still text ("false", "1,234")
        type_name = as_text(f.get("type")) or "text"
        description = as_text(info.get("notes"))
        override = as_text(info.get("type_override")).strip()
        if override and override.lower() != type_name.lower():
            note = f"(Data Dictionary type: {override}; stored as {type_name})"
            description = f"{description} {note}" if description else note
        out.append(
            Field(
                name=f["id"],
                type=type_name,
                kind=pg_kind(type_name),
                alias=as_text(info.get("label")),
                description=description,
            )
        )
    return tuple(out)


_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def text_bool(value: Any) -> Any:
    """A datastore value for a boolean column: text "true"/"false" (and t/f, yes/no, 1/0) read as such, never
    by Python truthiness (``bool("false")`` is True); unreadable text is None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    if isinstance(value, (int, float)):
        return bool(value)
    return None


def parse_csv(body: bytes, declared: dict[str, str] | None = None) -> Any:
    """A pyarrow Table from CSV bytes, typed column by column: whole numbers (no leading zeros), decimals,
    true/false, ISO dates and date-times; anything else (or a column mixing them) stays text.

    ``declared`` (column -> kind, as typed from the start of the file when the dataset opened) keeps the whole
    file consistent with it: whole numbers in a ``float`` column are read as decimals, and a column whose values
    do not all fit its declared kind stays text (nothing is lost; the caller then says the column is text)."""
    import polars as pl

    text_start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if text_start in (b"<", b"{", b"["):
        raise PdxError("the resource did not come back as CSV (it looks like a web page or JSON)")
    try:
        frame = pl.read_csv(body, infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False)
    except Exception as exc:
        raise PdxError(f"the CSV file could not be read: {short(exc, 200)}") from None
    return _typed(frame, declared or {}).to_arrow()


def _typed(frame: Any, declared: dict[str, str] | None = None) -> Any:
    import polars as pl

    columns = []
    for name in frame.columns:
        raw = frame.get_column(name)
        text = raw.str.strip_chars()
        values = text.replace("", None).drop_nulls()
        column = raw
        if values.len():
            typed = None
            wanted = (declared or {}).get(name)
            if wanted == "string":
                typed = None  # declared text: stays text whatever the rest of the file looks like
            elif wanted == "float" and values.str.contains(_FLOAT).all():
                typed = text.cast(pl.Float64, strict=False)  # whole numbers further down a decimal column
            elif values.str.contains(_INT).all():
                typed = text.cast(pl.Int64, strict=False)
            elif values.str.contains(_FLOAT).all():
                typed = text.cast(pl.Float64, strict=False)
            elif values.str.contains(_BOOL).all():
                typed = text.str.to_lowercase().replace_strict(
                    {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
                )
            elif values.str.contains(_DATE).all():
                typed = text.str.to_date("%Y-%m-%d", strict=False)
            elif values.str.contains(_DATETIME).all():
                iso = text.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T").str.replace(r"Z$", "+00:00")
                if iso.str.contains(r"[+-]\d{2}:?\d{2}$").any():
                    typed = _zoned(iso)
                else:
                    typed = iso.str.to_datetime(strict=False, time_unit="ms").dt.replace_time_zone("UTC")
            # a cast that loses a value (an odd spelling the pattern let through) keeps the column as text
            if typed is not None and raw.len() - typed.null_count() == values.len():
                column = typed.alias(name)
            if wanted is not None and _kind_of(column.dtype) != wanted:
                column = raw  # not the kind the dataset declared: text, as the caller is told

        columns.append(column)
    return pl.DataFrame(columns) if columns else frame


def _kind_of(dtype: Any) -> str:
    """The model kind of a polars column type, as csv_fields names it."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    name = str(dtype)
    if name == "Boolean":
        return "boolean"
    if name == "Date":
        return "date"
    if name.startswith("Datetime"):
        return "datetime"
    return "string"


def _zoned(iso: Any) -> Any:
    """ISO date-times of which some carry a UTC offset: each read on its own, in UTC (None if any fails)."""
    import polars as pl

    moments = [ckan_time(v) if v else None for v in iso.to_list()]
    return pl.Series(iso.name, moments, dtype=pl.Datetime("ms", "UTC"), strict=False)


def csv_fields(table: Any) -> tuple[Field, ...]:
    import pyarrow as pa

    out = []
    for item in table.schema:
        if pa.types.is_integer(item.type):
            kind = "integer"
        elif pa.types.is_floating(item.type):
            kind = "float"
        elif pa.types.is_boolean(item.type):
            kind = "boolean"
        elif pa.types.is_date(item.type):
            kind = "date"
        elif pa.types.is_timestamp(item.type):
            kind = "datetime"
        else:
            kind = "string"
        out.append(Field(name=item.name, type=f"csv:{kind}", kind=kind))
    return tuple(out)


def records_table(records: list[Any], fields: Sequence[Field]) -> Any:
    """A pyarrow Table (one column per field, in order) from datastore_search ``records``."""
    import pyarrow as pa

    from pdxtui.portals.arcgis import column

    rows = [r if isinstance(r, dict) else {} for r in records]
    arrays = [
        column([text_bool(r.get(f.name)) if f.kind == "boolean" else r.get(f.name) for r in rows], f) for f in fields
    ]
    return pa.Table.from_arrays(arrays, names=[f.name for f in fields])


# -- the portal ----------------------------------------------------------------------------------------------------


class CKANPortal(NetworkPortal[_Plan]):
    """A CKAN site: its catalog (package_search), packages (package_show) and the rows of their resources
    (datastore_search, or the resource's CSV file).

    ``fetcher`` is a :class:`pdxtui.net.Fetcher`, a zero-argument callable that makes one on first use, or None
    for a default Fetcher without a cache. With ``close_fetcher`` the portal owns it: ``aclose()`` closes its
    client and its store. ``refresh`` skips fresh cache entries.
    """

    kind = "ckan"
    #: datastore_search cannot run the filter language and documents no sort: the UI works on loaded rows
    capabilities: frozenset[str] = frozenset()
    #: seconds dataset() waits for the start of a CSV file to type its columns (past that, pages() does it)
    sample_wait: float = 2.0

    def __init__(
        self,
        spec: PortalSpec,
        fetcher: Fetcher | Callable[[], Fetcher] | None = None,
        *,
        refresh: bool = False,
        close_fetcher: bool = True,
    ) -> None:
        super().__init__(spec, fetcher, refresh=refresh, close_fetcher=close_fetcher)
        self.host = urlsplit(self.site).hostname or self.site
        self.label = f"CKAN: {self.host}"
        self.api = f"{self.site}{API}"
        self._offsite: Fetcher | None = None
        self._frames: OrderedDict[str, Any] = OrderedDict()
        self._owners: dict[str, str] = {}  # organization title (as shown) -> name (for fq)
        self._groups: dict[str, str] = {}
        self._facets_read = False  # the facets fill the two maps above

    # -- fetchers ----------------------------------------------------------------------------------------------

    def _fetcher_for(self, url: str) -> Fetcher:
        """The portal's fetcher for its own host; for files elsewhere (resource URLs often point at another
        server) a fetcher sharing its client and cache but without the token, so the token stays on the site."""
        fetcher = self.fetcher
        if not fetcher.token or (urlsplit(url).hostname or "").lower() == self.host.lower():
            return fetcher
        if self._offsite is None:
            from pdxtui.net import Fetcher

            self._offsite = Fetcher(
                fetcher.portal_name,
                client=fetcher.client,
                store=fetcher.store,
                ttl=fetcher.ttl,
                max_per_host=fetcher.max_per_host,
                on_wait=fetcher.on_wait,
                max_bytes=fetcher.max_bytes,
                attempts=fetcher.attempts,
            )
        return self._offsite

    async def aclose(self) -> None:
        offsite, self._offsite = self._offsite, None
        if offsite is not None:
            await offsite.aclose()  # its client is the main fetcher's: not closed here
        await super().aclose()

    # -- Portal protocol -----------------------------------------------------------------------------------------

    async def search(self, request: SearchRequest) -> SearchResult:
        self._begin()
        wanted = max(0, request.limit)
        params: dict[str, Any] = {}
        text = request.text.strip()
        if text:
            params["q"] = text
        owner = await self._facet_name(request.owner, self._owners)
        group = await self._facet_name(request.category, self._groups)
        fq = build_fq(owner, group, request.tag)
        if fq:
            params["fq"] = fq
        if not text:
            params["sort"] = "metadata_modified desc"
        hits: list[DatasetSummary] = []
        total: int | None = None
        start = max(0, request.offset)
        while True:
            rows = min(SEARCH_MAX_ROWS, wanted - len(hits))
            page = {**params, "rows": rows, "start": start}
            result = await self._action("package_search", page, "catalog", "searching the catalog")
            count = result.get("count")
            if isinstance(count, int) and not isinstance(count, bool):
                total = count
            found = [r for r in result.get("results") or () if isinstance(r, dict)]
            hits.extend(self._summary(r) for r in found[: max(0, wanted - len(hits))])
            start += len(found)
            if len(hits) >= wanted or not found or rows == 0 or (total is not None and start >= total):
                break
        return SearchResult(hits=tuple(hits), total=total)

    async def _facet_name(self, shown: str | None, names: dict[str, str]) -> str | None:
        """The CKAN name for an organization or group given as shown (its title) or as its name. Titles are
        learnt from the facets (read once, when a value is not known yet) and from the packages seen; a value
        still unknown goes to CKAN as given."""
        if not shown:
            return None
        if shown in names:
            return names[shown]
        if shown in names.values():
            return shown
        if not self._facets_read:
            try:
                await self._facets()
            except PdxError as exc:  # the search itself will say what is wrong with the site
                log.info("facets unavailable for name lookup: %s", exc)
            self._facets_read = True
        return names.get(shown, shown)

    async def facets(self) -> Facets:
        """Organization, group and tag counts over the whole catalog, from package_search's ``search_facets``."""
        self._begin()
        return await self._facets()

    async def _facets(self) -> Facets:
        params = {"rows": 0, "facet.field": json.dumps(list(FACET_FIELDS)), "facet.limit": FACET_LIMIT}
        result = await self._action("package_search", params, "catalog", "reading the catalog facets")
        facets = result.get("search_facets") if isinstance(result.get("search_facets"), dict) else {}

        def items(field: str, names: dict[str, str] | None) -> tuple[tuple[str, int], ...]:
            block = facets.get(field) if isinstance(facets.get(field), dict) else {}
            out = []
            for item in block.get("items") or ():
                if not isinstance(item, dict) or not isinstance(item.get("count"), int):
                    continue
                name = as_text(item.get("name"))
                shown = as_text(item.get("display_name")) or name
                if not shown:
                    continue
                if names is not None and name:
                    names[shown] = name
                out.append((shown, item["count"]))
            return tuple(sorted(out, key=lambda pair: (-pair[1], pair[0].casefold())))

        found = Facets(
            owners=items("organization", self._owners),
            categories=items("groups", self._groups),
            tags=items("tags", None),
        )
        self._facets_read = True
        return found

    async def dataset(self, dataset_id: str) -> Dataset:
        self._begin()
        package, wanted = split_id(dataset_id)
        if not package:
            raise NotFound("no dataset id given")
        raw = await self._package(package)
        resources = tuple(to_resource(r, self.site) for r in _list(raw.get("resources")) if isinstance(r, dict))
        if wanted:
            chosen = next((r for r in resources if r.id == wanted), None)
            if chosen is None:
                title = as_text(raw.get("title")) or package
                raise NotFound(f"{title} ({package}) has no resource {wanted!r} on {self.label}")
        else:
            chosen = pick_resource(resources)
        ident = f"{package}/{wanted}" if wanted else package
        fields: tuple[Field, ...] = ()
        rows: int | None = None
        title = as_text(raw.get("title")) or as_text(raw.get("name")) or package
        if chosen is not None and chosen.datastore:
            try:
                fields, rows = await self._datastore_schema(chosen, title)
            except CKANError as exc:  # datastore_active, yet no table behind it: it happens; try the file
                log.info("datastore unavailable for %s: %s", chosen.id, exc)
                if not _is_csv(chosen):
                    raise
                chosen = replace(chosen, datastore=False)
        if chosen is not None and chosen.tabular and not chosen.datastore:
            try:
                fields, rows = await self._csv_columns(chosen, title)
            except PdxError as exc:  # the metadata is still worth showing; pages() says what went wrong
                log.info("CSV resource could not be read: %s", exc)
        if chosen is not None and chosen.tabular:
            self._remember(ident, _Plan(title=title, resource=chosen, fields=fields, rows=rows))
        return self._build(ident, raw, resources, chosen, fields, rows)

    async def count(self, dataset: Dataset, query: Query) -> int:
        self._begin()
        plan = await self._plan(dataset)
        self._check_query(plan, query)
        if not (query.where and query.where.strip()):
            if plan.rows is not None:
                return plan.rows
            if plan.resource.datastore:
                _, rows = await self._datastore_schema(plan.resource, plan.title)
                return rows or 0
        table, plan = await self._csv_loaded(dataset.id, plan)
        table = await asyncio.to_thread(self._local, table, plan, query)
        return table.num_rows

    async def pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None = None
    ) -> AsyncIterator[Page]:
        """The selected rows page by page, in order. Datastore resources page with limit/offset (requests run
        a few at a time; rows added since the count are read too); CSV resources are downloaded and parsed once,
        then sliced (a filter or an order on a CSV resource runs here, over the whole file, in a worker thread).
        An empty selection yields one empty page, so callers always see the columns."""
        self._begin()
        plan = await self._plan(dataset)
        self._check_query(plan, query)
        if not plan.resource.datastore:
            table, plan = await self._csv_loaded(dataset.id, plan)
            async for page in self._csv_pages(plan, table, query, self._selected(plan, query), progress):
                yield page
            return
        fields = self._selected(plan, query)
        async for page in self._datastore_pages(plan, query, fields, progress):
            yield page

    def query_url(self, dataset: Dataset, query: Query) -> str:
        """A URL that returns the rows: ``datastore_search`` for datastore resources (with ``filters`` when the
        filter is a plain equality CKAN runs exactly), else the CSV file itself."""
        _, wanted = split_id(dataset.id)
        rid = dataset.resource or wanted
        resource = next((r for r in dataset.resources if r.id == rid), None)
        if resource is None:
            return dataset.api_url
        if not resource.datastore or "/datastore_search?" not in dataset.api_url:  # a file (or the fallback to it)
            return resource.url
        params: dict[str, Any] = {"resource_id": resource.id}
        if query.where and query.where.strip():
            from pdxtui.filters import parse, to_ckan

            try:
                wanted_filter = to_ckan(parse(query.where, dataset.fields), dataset.fields)
            except PdxError:
                wanted_filter = None
            if wanted_filter is not None and wanted_filter.exact and wanted_filter.filters:
                params["filters"] = json.dumps(wanted_filter.filters, ensure_ascii=False, separators=(",", ":"))
        if query.limit is not None:
            params["limit"] = query.limit
        if query.offset:
            params["offset"] = query.offset
        return f"{self.api}/datastore_search?{urlencode(params, quote_via=quote)}"

    # -- requests ----------------------------------------------------------------------------------------------

    async def _action(self, action: str, params: dict[str, Any], kind: str, doing: str) -> dict[str, Any]:
        """Call ``{site}/api/3/action/{action}`` and return its ``result`` (a dict), or raise one readable line."""
        url = f"{self.api}/{action}"
        fetcher = self.fetcher
        try:
            data = await fetcher.get_json(
                url, params, kind=kind, refresh=self.refresh, validate=self._check(action, doing)
            )
        except CKANError:
            raise
        except PortalError as exc:
            status = getattr(exc, "status", None)
            if isinstance(status, int) and 400 <= status < 500:
                read = self._error_envelope(exc)
                if read is not None:
                    kind_name, message = read
                    raise self._error(action, doing, kind_name, message, status) from None
            raise self._wrap(doing, exc) from None
        self._note(fetcher.state)
        result = data.get("result")
        if not isinstance(result, dict):
            raise PortalError(f"{self.label}: {doing}: {action} answered without a result object", portal=self.name)
        return result

    def _check(self, action: str, doing: str) -> Callable[[Any], None]:
        def check(data: Any) -> None:
            if not isinstance(data, dict) or "success" not in data:
                raise PortalError(
                    f"{self.label}: {doing}: {action} did not answer with a CKAN API envelope (is this a CKAN site?)",
                    portal=self.name,
                )
            if data.get("success") is not True:
                kind_name, message = envelope_error(data.get("error"))
                raise self._error(action, doing, kind_name, message, None)

        return check

    def _error(self, action: str, doing: str, kind_name: str, message: str, status: int | None) -> CKANError:
        what = f"{kind_name}: {message}" if kind_name and not message.lower().startswith(kind_name.lower()) else message
        text = self._scrub(f"{self.label}: {doing}: {action} failed: {what}")
        if kind_name == "Not Found Error":
            error: CKANError = _CKANNotFound(text, portal=self.name, kind=kind_name, status=status)
        else:
            error = CKANError(text, portal=self.name, kind=kind_name, status=status)
        return error

    @staticmethod
    def _error_envelope(exc: BaseException) -> tuple[str, str] | None:
        """The ``error`` of a 4xx answer's envelope, from the start of its body that the fetcher keeps on the
        error (no second request)."""
        body = getattr(exc, "body", b"")
        try:
            data = json.loads(body) if body else None
        except ValueError:  # cut at 64 KB, or not JSON: the status line is still there to report
            return None
        if isinstance(data, dict) and data.get("success") is False:
            return envelope_error(data.get("error"))
        return None

    async def _peek(
        self, fetcher: Fetcher, url: str, params: dict[str, Any] | None, limit: int
    ) -> tuple[int, str, bytes, bool]:
        """(status, content type, at most ``limit`` bytes of the body, whether the body ended within them) for
        one GET through ``fetcher``'s client: under its per-host limit, with its token (dropped when a redirect
        leaves the host), uncached and without retries. The rest of the body is never read."""
        import httpx

        host = urlsplit(url).hostname or url  # the fetcher's own key for its per-host limit
        request = fetcher.client.build_request("GET", url, params=params, headers=fetcher._headers(None))
        async with fetcher._limit(host):
            for _ in range(6):
                response = await fetcher.client.send(request, stream=True, follow_redirects=False)
                try:
                    if response.next_request is not None:
                        request = response.next_request
                        if request.url.host != host and fetcher.token:
                            request.headers.pop(fetcher.token_header, None)
                        continue
                    chunks: list[bytes] = []
                    size = 0
                    ended = True
                    async for chunk in response.aiter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size >= limit:
                            ended = False
                            break
                    body = b"".join(chunks)
                    if len(body) > limit:
                        body, ended = body[:limit], False
                    return response.status_code, response.headers.get("Content-Type", ""), body, ended
                finally:
                    await response.aclose()
        raise httpx.TooManyRedirects(f"{host} redirected too many times")

    def _wrap(self, doing: str, exc: PortalError) -> PortalError:
        """The same error as one line that names the portal and what was being done."""
        message = str(exc)
        if message.startswith(self.label):
            return exc
        return prefixed(exc, self._scrub(f"{self.label}: {doing}: {message}"), portal=self.name)

    def _scrub(self, text: str) -> str:
        token = self.fetcher.token
        return text.replace(token, "[token]") if token else text

    async def _package(self, package: str) -> dict[str, Any]:
        try:
            return await self._action("package_show", {"id": package}, "metadata", f"reading the dataset {package}")
        except PortalError as exc:
            if isinstance(exc, _CKANNotFound) or getattr(exc, "status", None) in (404, 410):
                raise NotFound(f"no dataset with id {package!r} on {self.label}") from None
            raise

    async def _datastore_schema(self, resource: Resource, title: str) -> tuple[tuple[Field, ...], int | None]:
        result = await self._action(
            "datastore_search", {"resource_id": resource.id, "limit": 0}, "metadata", f"reading the columns of {title}"
        )
        total = result.get("total")
        return datastore_fields(result.get("fields")), total if isinstance(total, int) and total >= 0 else None

    async def _csv_columns(self, resource: Resource, title: str) -> tuple[tuple[Field, ...], int | None]:
        """The columns of a CSV resource (and its row count when the file is small), typed from the start of
        the file: at most ``SAMPLE_BYTES`` are read, so a dataset opens without waiting for a big file. The whole
        file (in pages()) is typed consistently with these fields (see parse_csv's ``declared``)."""
        import httpx

        table = self._frames.get(resource.id)
        if table is not None:
            return csv_fields(table), table.num_rows
        url = resource.url
        if urlsplit(url).scheme not in ("http", "https"):
            raise PdxError(f"{title}: the resource {resource.name} has no downloadable URL")
        fetcher = self._fetcher_for(url)
        doing = f"reading the columns of {title} ({resource.name})"
        from pdxtui.cache import key as cache_key

        try:
            key = cache_key(fetcher.portal_name, url, None)
        except ValueError as exc:
            raise PdxError(f"{title}: not a valid URL ({exc}): {url}") from None
        entry = None if self.refresh else fetcher.store.get(key, fetcher.ttl.get("rows"))
        if entry is not None and entry.fresh and "html" not in entry.content_type.lower():
            # the whole file is in the cache (pages() will read it from there): its start is enough here
            ended = len(entry.body) <= SAMPLE_BYTES
            return await self._sampled(entry.body[:SAMPLE_BYTES], ended, doing)
        try:
            status, content_type, body, ended = await asyncio.wait_for(
                self._peek(fetcher, url, None, SAMPLE_BYTES), self.sample_wait
            )
        except TimeoutError:
            # a slow file server: the metadata does not wait for it; pages() reads the whole file and its columns
            log.info("the start of %s took longer than %.1f s: columns left to the download", url, self.sample_wait)
            return (), None
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            # offline, say: the whole file may still be in the cache
            log.info("could not sample %s (%s): trying the whole file", url, exc)
            table = await self._csv_table(resource, title)
            return csv_fields(table), table.num_rows
        if not 200 <= status < 300:
            raise PortalError(
                self._scrub(f"{self.label}: {doing}: {urlsplit(url).hostname} answered {status}"), portal=self.name
            )
        if "html" in content_type.lower():
            raise PortalError(f"{self.label}: {doing}: the server sent a web page (HTML), not CSV", portal=self.name)
        fields, rows = await self._sampled(body, ended, doing)
        if ended:  # that was the whole file: keep it, as the whole download would, so pages() need not fetch it
            fetcher.store.put(key, body, content_type)
        return fields, rows

    async def _sampled(self, body: bytes, ended: bool, doing: str) -> tuple[tuple[Field, ...], int | None]:
        """Fields (and, when ``ended`` says the body is the whole file, the row count) from the start of a CSV."""
        if not ended:
            cut = body.rfind(b"\n")
            if cut <= 0:
                raise PdxError(f"{self.label}: {doing}: no line break in the first {SAMPLE_BYTES // 1024} KB")
            body = body[: cut + 1]  # whole lines only
        try:
            sample = await asyncio.to_thread(parse_csv, body)
        except PdxError as exc:
            raise PortalError(f"{self.label}: {doing}: {exc}", portal=self.name) from None
        return csv_fields(sample), sample.num_rows if ended else None

    async def _csv_loaded(self, ident: str, plan: _Plan) -> tuple[Any, _Plan]:
        """The whole CSV file of a plan, typed as its fields declare; when a column of the whole file did not
        fit its declared kind (it came back as text), the plan's fields say so from now on."""
        table = await self._csv_table(plan.resource, plan.title, plan.fields)
        fields = csv_fields(table)
        if fields != plan.fields or plan.rows != table.num_rows:
            if plan.fields and fields != plan.fields:
                log.info(
                    "CSV columns of %s retyped from the whole file: %s",
                    plan.title,
                    ", ".join(f"{f.name} {f.kind}" for f in fields if f not in plan.fields),
                )
            plan = replace(plan, fields=fields, rows=table.num_rows)
            self._remember(ident, plan)
        return table, plan

    async def _csv_table(self, resource: Resource, title: str, declared: Sequence[Field] = ()) -> Any:
        """The whole CSV resource as a typed pyarrow Table (kept in memory for a few resources), its columns
        typed as ``declared`` where the data fits (see parse_csv)."""
        table = self._frames.get(resource.id)
        if table is not None:
            self._frames.move_to_end(resource.id)
            return table
        url = resource.url
        if urlsplit(url).scheme not in ("http", "https"):
            raise PdxError(f"{title}: the resource {resource.name} has no downloadable URL")
        fetcher = self._fetcher_for(url)
        doing = f"downloading the CSV file of {title} ({resource.name})"
        kinds = {f.name: f.kind for f in declared}

        def parse(body: bytes, content_type: str) -> Any:
            if "html" in content_type.lower():
                raise PortalError(
                    f"{self.label}: {doing}: the server sent a web page (HTML), not CSV", portal=self.name
                )
            try:
                return parse_csv(body, kinds)
            except PortalError:
                raise
            except PdxError as exc:
                raise PortalError(f"{self.label}: {doing}: {exc}", portal=self.name) from None

        try:
            _, table = await fetcher.get_parsed(url, None, parse, kind="rows", refresh=self.refresh, offload=True)
        except PortalError as exc:
            raise self._wrap(doing, exc) from None
        self._note(fetcher.state)
        self._frames[resource.id] = table
        while len(self._frames) > MAX_FRAMES:
            self._frames.popitem(last=False)
        return table

    # -- rows ----------------------------------------------------------------------------------------------------

    async def _csv_pages(
        self, plan: _Plan, table: Any, query: Query, fields: tuple[Field, ...], progress: ProgressCallback | None
    ) -> AsyncIterator[Page]:
        # the filter and the order run over the whole file: in a worker thread, like the parsing
        table = await asyncio.to_thread(self._local, table, plan, query)
        total = table.num_rows
        stop = total if query.limit is None else min(total, query.offset + query.limit)
        start = min(query.offset, stop)
        table = table.select([f.name for f in fields])
        delivered = pages = 0
        for offset in range(start, stop, PAGE_ROWS):
            chunk = table.slice(offset, min(PAGE_ROWS, stop - offset))
            delivered += chunk.num_rows
            pages += 1
            if progress is not None:
                progress(Progress(rows=delivered, total=stop - start, pages=pages))
            yield Page(table=chunk, offset=offset, total=total)
        if pages == 0:
            if progress is not None:
                progress(Progress(rows=0, total=0, pages=1))
            yield Page(table=table.slice(0, 0), offset=start, total=total)

    def _local(self, table: Any, plan: _Plan, query: Query) -> Any:
        """A CSV resource's rows narrowed by the filter and put in order, here (the whole file is at hand)."""
        where = query.where if query.where and query.where.strip() else None
        if where is None and not query.order:
            return table
        import polars as pl

        from pdxtui.filters import parse, to_polars

        frame = pl.from_arrow(table)
        node = parse(where, plan.fields) if where else None
        if node is not None:
            frame = frame.filter(to_polars(node, frame.schema))  # type: ignore[union-attr]
        if query.order:
            frame = frame.sort(
                [c for c, _ in query.order],
                descending=[d for _, d in query.order],  # type: ignore[union-attr]
                nulls_last=True,
                maintain_order=True,
            )
        return frame.to_arrow()  # type: ignore[union-attr]

    async def _datastore_pages(
        self, plan: _Plan, query: Query, fields: tuple[Field, ...], progress: ProgressCallback | None
    ) -> AsyncIterator[Page]:
        """Pages of ``PAGE_ROWS`` rows, a few requests at a time, in order. The row count (from metadata that may
        be a day old, or None when the datastore gives none) only plans the first requests: a ``total`` reported
        by a page plans more, and a full last page asks for the next one, until a page comes back short."""
        rid = plan.resource.id
        start = query.offset
        total = plan.rows
        if total is None:
            _, total = await self._datastore_schema(plan.resource, plan.title)
        cap = None if query.limit is None else start + query.limit
        slots: list[tuple[int, int]] = []
        end = start  # where the planned slots end

        def plan_to(upto: int) -> None:
            nonlocal end
            upto = upto if cap is None else min(upto, cap)
            while end < upto:
                count = PAGE_ROWS if cap is None else min(PAGE_ROWS, cap - end)  # full pages: more shows up
                slots.append((end, count))
                end += count

        plan_to(total if total is not None else start + 1)  # no count: one request to see
        window = self.window
        tasks: dict[int, asyncio.Task[tuple[Any, int, int | None]]] = {}
        delivered = pages = 0

        def planned() -> int | None:
            if total is None:
                return None
            return max(0, (total if cap is None else min(total, cap)) - start)

        try:
            index = scheduled = 0
            while index < len(slots):
                while scheduled < len(slots) and scheduled < index + window:
                    offset, count = slots[scheduled]
                    tasks[scheduled] = asyncio.ensure_future(self._records(plan, offset, count, fields))
                    scheduled += 1
                table, got, reported = await tasks.pop(index)
                offset, count = slots[index]
                index += 1
                if reported is not None:
                    total = reported
                    plan_to(reported)  # rows added since the count: plan them too
                if got:
                    delivered += got
                    pages += 1
                    if progress is not None:
                        progress(Progress(rows=delivered, total=planned(), pages=pages))
                    yield Page(table=table, offset=offset, total=total)
                if got < count:
                    break  # the data ran out (the table may have shrunk since it was counted)
                if index == len(slots):
                    plan_to(end + 1)  # a full last page: the count was out of date, ask for the next one
            if pages == 0:
                from pdxtui.portals.arcgis import empty_table

                if progress is not None:
                    progress(Progress(rows=0, total=0, pages=1))
                yield Page(table=empty_table(fields), offset=start, total=total)
        finally:
            for task in tasks.values():
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks.values(), return_exceptions=True)
        log.debug("read %d rows of resource %s", delivered, rid)

    async def _records(
        self, plan: _Plan, offset: int, count: int, fields: tuple[Field, ...]
    ) -> tuple[Any, int, int | None]:
        """One datastore_search page, parsed (off the event loop) before the body is cached."""
        url = f"{self.api}/datastore_search"
        # CKAN's datastore_search takes ``sort`` ("_id asc"): without it the database may hand out pages in any
        # order, and limit/offset paging could skip or repeat rows
        params = {"resource_id": plan.resource.id, "limit": count, "offset": offset, "sort": "_id asc"}
        fetcher = self.fetcher
        doing = f"reading rows {offset + 1:,}-{offset + count:,} of {plan.title}"
        check = self._check("datastore_search", doing)

        def parse(body: bytes, content_type: str) -> tuple[Any, int, int | None]:
            data = fetcher.parse_json(url, body, content_type)
            check(data)
            result = data.get("result")
            records = result.get("records") if isinstance(result, dict) else None
            if not isinstance(records, list):
                raise PortalError(f"{self.label}: {doing}: datastore_search answered without records", portal=self.name)
            records = records[:count]
            total = result.get("total")
            return records_table(records, fields), len(records), total if isinstance(total, int) else None

        try:
            _, value = await fetcher.get_parsed(url, params, parse, kind="rows", refresh=self.refresh, offload=True)
        except CKANError:
            raise
        except PortalError as exc:
            status = getattr(exc, "status", None)
            if isinstance(status, int) and 400 <= status < 500:
                read = self._error_envelope(exc)
                if read is not None:
                    raise self._error("datastore_search", doing, read[0], read[1], status) from None
            raise self._wrap(doing, exc) from None
        self._note(fetcher.state)
        return value

    # -- metadata ------------------------------------------------------------------------------------------------

    def _build(
        self,
        ident: str,
        raw: dict[str, Any],
        resources: tuple[Resource, ...],
        chosen: Resource | None,
        fields: tuple[Field, ...],
        rows: int | None,
    ) -> Dataset:
        package = as_text(raw.get("name")) or split_id(ident)[0]
        org = raw.get("organization") if isinstance(raw.get("organization"), dict) else {}
        owner = as_text(org.get("title") or org.get("name")) or as_text(raw.get("author") or raw.get("maintainer"))
        if org.get("title") and org.get("name"):
            self._owners.setdefault(as_text(org["title"]), as_text(org["name"]))
        groups = _names(raw.get("groups"))
        for name, title in groups:
            self._groups.setdefault(title, name)
        page_url = f"{self.site}/dataset/{quote(package, safe='')}"
        links = [Link("CKAN dataset page", page_url)]
        if chosen is not None and chosen.url:
            links.append(Link(f"Resource file ({chosen.format or 'file'})", chosen.url))
        if as_text(raw.get("url")).startswith(("http://", "https://")):
            links.append(Link("Source", as_text(raw["url"])))
        api_url = ""
        if chosen is not None and chosen.datastore:
            api_url = f"{self.api}/datastore_search?resource_id={quote(chosen.id, safe='')}"
        elif chosen is not None:
            api_url = f"{self.api}/package_show?id={quote(package, safe='')}"
        frequency = as_text(raw.get("frequency") or raw.get("accrualPeriodicity"))
        for extra in raw.get("extras") or ():
            if isinstance(extra, dict) and as_text(extra.get("key")).lower() in ("frequency", "accrualperiodicity"):
                frequency = frequency or as_text(extra.get("value"))
        return Dataset(
            id=ident,
            title=as_text(raw.get("title")) or package,
            owner=owner,
            description=html_to_text(as_text(raw.get("notes"))),
            licence=as_text(raw.get("license_title") or raw.get("license_id")),
            update_frequency=frequency,
            updated=ckan_time(raw.get("metadata_modified")),
            created=ckan_time(raw.get("metadata_created")),
            rows=rows,
            fields=fields,
            links=tuple(links),
            api_url=api_url,
            page_url=page_url,
            categories=tuple(title for _, title in groups),
            tags=tuple(title for _, title in _names(raw.get("tags"), "name", "display_name")),
            sample=False,
            resources=resources,
            resource=chosen.id if chosen is not None else "",
        )

    def _summary(self, raw: dict[str, Any]) -> DatasetSummary:
        org = raw.get("organization") if isinstance(raw.get("organization"), dict) else {}
        if org.get("title") and org.get("name"):
            self._owners.setdefault(as_text(org["title"]), as_text(org["name"]))
        groups = _names(raw.get("groups"))
        for name, title in groups:
            self._groups.setdefault(title, name)
        formats = sorted(
            {
                resource_format(r).upper()
                for r in _list(raw.get("resources"))
                if isinstance(r, dict) and resource_format(r)
            }
        )
        notes = html_to_text(as_text(raw.get("notes")))
        return DatasetSummary(
            id=as_text(raw.get("name") or raw.get("id")),
            title=as_text(raw.get("title") or raw.get("name")),
            owner=as_text(org.get("title") or org.get("name")),
            updated=ckan_time(raw.get("metadata_modified")),
            rows=None,
            type=", ".join(formats),
            snippet=short(notes, 200),
            categories=tuple(title for _, title in groups),
            tags=tuple(title for _, title in _names(raw.get("tags"), "name", "display_name")),
        )

    async def _plan(self, dataset: Dataset) -> _Plan:
        plan = self._plans.get(dataset.id)
        if plan is None:
            refreshed = await self.dataset(dataset.id)
            plan = self._plans.get(refreshed.id)
        if plan is None:
            resource = next((r for r in dataset.resources if r.id == dataset.resource), None)
            if resource is None and dataset.resources:
                formats = ", ".join(sorted({r.format or "unknown format" for r in dataset.resources}))
                raise PdxError(f"{dataset.title}: this dataset has no tabular resource to preview ({formats})")
            if resource is None:
                raise PdxError(f"{dataset.title}: this dataset has no resources to preview")
            fmt = resource.format or "unknown format"
            raise PdxError(
                f"{dataset.title}: this resource has no tabular preview ({fmt}); "
                f"download it from {resource.url or 'the dataset page'}"
            )
        if not plan.fields and not plan.resource.datastore:  # the CSV could not be read when the dataset opened
            table = await self._csv_table(plan.resource, plan.title)  # raises the reason again, or succeeds now
            plan = _Plan(title=plan.title, resource=plan.resource, fields=csv_fields(table), rows=table.num_rows)
            self._remember(dataset.id, plan)
        return plan

    @staticmethod
    def _check_query(plan: _Plan, query: Query) -> None:
        check_columns(query, plan.fields, plan.title)
        if plan.resource.datastore and (query.order or (query.where and query.where.strip())):
            raise PdxError(
                f"{plan.title}: CKAN's datastore cannot filter or sort this on the server; "
                "filter and sort the loaded rows instead"
            )
        if query.where and query.where.strip():
            from pdxtui.filters import parse

            parse(query.where, plan.fields)  # a FilterError, before anything is read

    # -- fetch state -------------------------------------------------------------------------------------------


class _CKANNotFound(CKANError):
    """A Not Found Error envelope."""


__all__ = [
    "CKANError",
    "CKANPortal",
    "build_fq",
    "envelope_error",
    "parse_csv",
    "pg_kind",
    "pick_resource",
    "solr_phrase",
    "split_id",
    "to_resource",
]


def _list(value: Any) -> list[Any]:
    """``value`` when the portal sent a list where one belongs, else an empty list (never iterate a number)."""
    return value if isinstance(value, list) else []
