"""The ArcGIS portal: an ArcGIS Hub site's catalog and the REST layers behind its datasets."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

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
    SearchRequest,
    SearchResult,
    as_dict,
    as_text,
)
from pdxtui.portals.arcgis.hub import (
    DEFAULT_PAGE_ROWS,
    FACET_RECORDS,
    HUB_MAX_LIMIT,
    MAX_SEARCH_PAGES,
    NEWEST_FIRST,
    PORTLAND_HOST,
    PORTLAND_LABEL,
    SEARCH_API,
    SHAPES,
    LayerError,
    _check_collection,
    _check_count,
    _check_layer,
    _check_record,
    _check_rows,
    _next_link,
    _strings,
    category_label,
    epoch_ms,
    hub_filter,
    layer_url_for,
    pull_metadata_link,
    pull_update_frequency,
)
from pdxtui.portals.arcgis.layer import ALL_ROWS, _fields, _near_params, _Plan, _where
from pdxtui.portals.arcgis.paging import (
    NEAR_KEYS,
    Chunk,
    Reader,
    as_chunk,
    by_ids,
    by_offset,
    check_ids,
    in_oid_order,
    object_ids,
    sort_note,
    sorted_locally,
    supports_order_by,
    supports_pagination,
    switch_note,
    wire_fields,
)
from pdxtui.portals.arcgis.rows import _FastRows, _Rows, _Slot, empty_table, rows_from_json
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.network import NetworkPortal, both, check_columns, context, count_or_none, ranked

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)


# -- the portal ----------------------------------------------------------------------------------------------------


class ArcGISPortal(NetworkPortal[_Plan]):
    """An ArcGIS Hub site and the ArcGIS REST layers its datasets point at.

    ``fetcher`` is a :class:`pdxtui.net.Fetcher`, or a zero-argument callable that makes one on first use (so
    creating the portal stays cheap), or None for a default Fetcher without a cache. With ``close_fetcher`` the
    portal owns it: ``aclose()`` closes its client and its cache store. ``refresh`` skips fresh cache entries
    (a stale copy is still served when the portal cannot be reached).
    """

    kind = "arcgis"
    #: the layer sorts (orderByFields) and filters (where, from the filter language) the whole dataset itself
    capabilities = frozenset({"sort", "filter", "group", "near"})  # near: Query.near on point layers

    def __init__(
        self,
        spec: PortalSpec,
        fetcher: Fetcher | Callable[[], Fetcher] | None = None,
        *,
        refresh: bool = False,
        close_fetcher: bool = False,
    ) -> None:
        super().__init__(spec, fetcher, refresh=refresh, close_fetcher=close_fetcher)
        host = urlsplit(self.site).hostname or self.site
        self.portland = host.lower() == PORTLAND_HOST
        self.label = PORTLAND_LABEL if self.portland else f"ArcGIS Hub: {host}"
        self.publisher_word = "bureau" if self.portland else "publisher"
        self._categories: dict[str, str] = {}  # label -> the Hub's own spelling, for filters

    # -- Portal protocol -----------------------------------------------------------------------------------------

    @property
    def items_url(self) -> str:
        return f"{self.site}{SEARCH_API}/collections/dataset/items"

    async def search(self, request: SearchRequest) -> SearchResult:
        self._begin()
        wanted = max(0, request.limit)
        params: dict[str, Any] = {}
        text = request.text.strip()
        if text:
            params["q"] = text
        where = hub_filter(
            owner=request.owner,
            tags=request.tag,
            categories=self._category_value(request.category) if request.category else None,
        )
        if where:
            params["filter"] = where
        if not text:
            params["sortBy"] = NEWEST_FIRST
        params["limit"] = min(HUB_MAX_LIMIT, wanted)
        params["startindex"] = max(0, request.offset) + 1
        records, total = await self._records(params, wanted)
        return SearchResult(hits=tuple(self._summary(r) for r in records), total=total)

    async def facets(self) -> Facets:
        """Owner, category and tag counts over the newest ``FACET_RECORDS`` catalog records.

        portals.md documents no aggregation endpoint, so facets are counted from the search pages themselves
        (the first of them is the same request as the catalog's first page, so it usually comes from the cache).
        """
        self._begin()
        params = {"sortBy": NEWEST_FIRST, "limit": HUB_MAX_LIMIT, "startindex": 1}
        records, _ = await self._records(params, FACET_RECORDS)
        owners: Counter[str] = Counter()
        categories: Counter[str] = Counter()
        tags: Counter[str] = Counter()
        for record in records:
            props = record.get("properties") or {}
            if isinstance(props.get("owner"), str) and props["owner"]:
                owners[props["owner"]] += 1
            categories.update({self._category(c) for c in _strings(props.get("categories"))})
            tags.update(set(_strings(props.get("tags"))))
        return Facets(owners=ranked(owners), categories=ranked(categories), tags=ranked(tags))

    async def dataset(self, dataset_id: str) -> Dataset:
        self._begin()
        ident = (dataset_id or "").strip()
        if not ident:
            raise NotFound("no dataset id given")
        feature = await self._record(ident)
        props = as_dict(feature.get("properties"))
        ident = as_text(feature.get("id") or props.get("id") or ident)
        title = as_text(props.get("title") or props.get("name")) or ident
        layer = layer_url_for(props.get("url"), ident)
        info: dict[str, Any] = {}
        rows: int | None = None
        if layer:
            info, rows = await both(self._layer_info(layer, title), count_or_none(self._count(layer, title)))
        return self._build(ident, title, props, layer, info, rows)

    async def count(self, dataset: Dataset, query: Query) -> int:
        self._begin()
        plan = await self._plan(dataset)
        self._check_query(plan, query)
        where = _where(plan, query.where)
        near = _near_params(plan, query.near)
        if dataset.rows is not None and where == ALL_ROWS and not near:
            return dataset.rows
        return await self._count(plan.url, plan.title, where, near)

    async def group_counts(
        self, dataset: Dataset, column: str, query: Query | None = None
    ) -> tuple[list[tuple[Any, int]], int]:
        """How many rows hold each value of ``column`` over the whole dataset (narrowed by the query's filter), by
        the layer's own group-by (``outStatistics`` with ``groupByFieldsForStatistics``). Returns (value, count)
        pairs, most frequent first (a None value counts the rows with no value), and the number of rows counted.
        Coded values come back as their labels and dates as datetimes, as in the rows."""
        self._begin()
        plan = await self._plan(dataset)
        field = next((f for f in plan.fields if f.name == column), None)
        if field is None or column not in plan.attributes:
            raise PdxError(f"{plan.title} cannot count the values of {column!r} on the server")
        where = _where(plan, query.where if query else None)
        counted = plan.oid or column
        params = {
            "where": where,
            **_near_params(plan, query.near if query else None),
            "outStatistics": json.dumps(
                [{"statisticType": "count", "onStatisticField": counted, "outStatisticFieldName": "pdxtui_n"}]
            ),
            "groupByFieldsForStatistics": column,
            "orderByFields": "pdxtui_n DESC",
            "returnGeometry": "false",
            "f": "json",
        }
        with _doing(f"counting the values of {column} in {plan.title or plan.url}"):
            data = await self._get(
                f"{plan.url}/query", params, "metadata", _check_rows(plan.title, plan.url, self.name)
            )
        labels = dict(field.domain)
        pairs: list[tuple[Any, int]] = []
        for feature in data.get("features") or []:
            attributes = feature.get("attributes") or {}
            lowered = {str(k).lower(): v for k, v in attributes.items()}
            value = attributes.get(column, lowered.get(column.lower()))
            count = attributes.get("pdxtui_n", lowered.get("pdxtui_n"))
            if not isinstance(count, int):
                continue
            if value is not None and labels:
                value = labels.get(value, value)
            elif value is not None and field.kind in ("datetime", "date"):
                value = epoch_ms(value)
            pairs.append((value, count))
        if not plan.order_by:  # the server ignored orderByFields: most frequent first here (a stable sort)
            pairs.sort(key=lambda pair: -pair[1])
        total = sum(count for _, count in pairs)
        return pairs, total

    async def pages(
        self, dataset: Dataset, query: Query, progress: ProgressCallback | None = None
    ) -> AsyncIterator[Page]:
        """Yield the selected rows page by page, in order, with no gaps and no duplicates.

        Pages hold at most maxRecordCount rows. Once the row count is known they are fetched concurrently
        (bounded by the fetcher's per-host limit) and yielded in order. ``Page.offset`` is the position of the
        page's first row, ``Page.total`` the number of matching rows; ``Progress.total`` the number of rows this
        call delivers. An empty selection yields one empty page, so callers always see the columns. If the
        consumer stops early or is cancelled, outstanding requests are cancelled too.
        """
        self._begin()
        plan = await self._plan(dataset)
        self._check_query(plan, query)
        fields = self._selected(plan, query)
        where = _where(plan, query.where)
        near = _near_params(plan, query.near)
        wire = wire_fields(plan, fields, [name for name, _ in query.order])
        reader = self._reader(plan, self._query_params(plan, query, wire), wire)
        start, size, window = query.offset, plan.page_rows, self.window
        delivered = pages = 0
        chunks: AsyncGenerator[tuple[int, Chunk], None]
        total: int | None
        if query.order and not (plan.paging and plan.order_by):
            note = sort_note(plan)
            log.warning("%s", note)
            if progress is not None:
                progress(Progress(rows=0, total=None, pages=0, message=note))
            reader = self._reader(plan, self._query_params(plan, Query(where=query.where, near=query.near), wire), wire)
            total, chunks = await sorted_locally(reader, plan, query, wire, window)
            stop = total
        elif plan.paging:
            known = dataset.rows if dataset.rows is not None else plan.rows
            total = known if where == ALL_ROWS and not near else None
            if total is None:
                total = await self._count(plan.url, plan.title, where, near)
            stop = total if query.limit is None else min(total, start + query.limit)

            def switched(delivered: int) -> None:
                note = switch_note(plan, delivered)
                log.warning("%s", note)
                if progress is not None:
                    progress(Progress(rows=delivered, total=None, pages=pages, message=note))

            chunks = by_offset(
                reader, start=start, stop=stop, limit=query.limit, size=size, window=window, on_switch=switched
            )
        else:
            ids = sorted(await reader.all_ids())
            total = len(ids)
            stop = total if query.limit is None else min(total, start + query.limit)
            chunks = by_ids(reader, ids[start:stop], size, window, first=start)
        planned = max(0, stop - start)
        names = [f.name for f in fields]
        async with aclosing(chunks) as delivering:
            async for position, chunk in delivering:
                table = chunk.table if len(wire) == len(fields) else chunk.table.select(names)
                delivered += chunk.rows
                pages += 1
                counted = position < stop
                if progress is not None:
                    progress(Progress(rows=delivered, total=planned if counted else None, pages=pages))
                yield Page(table=table, offset=position, total=total if counted else None)
        if pages == 0:
            if progress is not None:
                progress(Progress(rows=0, total=0, pages=1))
            yield Page(table=empty_table(fields), offset=start, total=total)

    def _reader(self, plan: _Plan, base: dict[str, Any], wire: tuple[Field, ...]) -> Reader:
        """The requests paging makes for ``plan``: offset slots, object id batches, and the matching ids."""
        rows = _FastRows(wire, plan.lat, plan.lon)

        async def offset_chunk(offset: int, count: int) -> Chunk:
            return as_chunk(await self._slot(plan, base, wire, offset, count, rows), plan.oid)

        async def id_chunk(ids: Sequence[int]) -> Chunk:
            params = {k: v for k, v in base.items() if k != "orderByFields"}
            params["objectIds"] = ",".join(str(i) for i in ids)
            with _doing(f"reading {len(ids):,} rows of {plan.title or plan.url} by object id"):
                page = await self._get_rows(
                    f"{plan.url}/query", params, _check_rows(plan.title, plan.url, self.name), rows, len(ids)
                )
            return in_oid_order(page, wire, plan.oid)

        async def all_ids() -> list[int]:
            params = {"where": base["where"], **{k: base[k] for k in NEAR_KEYS if k in base}}
            params.update({"returnIdsOnly": "true", "f": "json"})
            with _doing(f"reading the object ids of {plan.title or plan.url}"):
                data = await self._get(f"{plan.url}/query", params, "rows", check_ids(plan.title, plan.url, self.name))
            return object_ids(data)

        return Reader(offset_chunk=offset_chunk, id_chunk=id_chunk, all_ids=all_ids)

    # -- requests ----------------------------------------------------------------------------------------------

    async def _records(self, params: dict[str, Any], wanted: int) -> tuple[list[dict[str, Any]], int | None]:
        """Search records, following ``next`` links until ``wanted`` are in hand or the results run out."""
        url: str = self.items_url
        query: dict[str, Any] | None = params
        records: list[dict[str, Any]] = []
        total: int | None = None
        seen: set[str] = set()
        for _ in range(MAX_SEARCH_PAGES):
            data = await self._get(url, query, "catalog", _check_collection)
            matched = data.get("numberMatched")
            if isinstance(matched, int) and not isinstance(matched, bool):
                total = matched
            features = [f for f in data.get("features") or () if isinstance(f, dict)]
            records.extend(features[: max(0, wanted - len(records))])
            if len(records) >= wanted or not features:
                break
            href = _next_link(data)
            if not href:
                break
            url, query = urljoin(url, href), None
            if url in seen:
                break
            seen.add(url)
        return records, total

    async def _record(self, ident: str) -> dict[str, Any]:
        url = f"{self.items_url}/{quote(ident, safe='')}"
        try:
            return await self._get(url, None, "metadata", _check_record)
        except PortalError as exc:
            if getattr(exc, "status", None) in (404, 410):
                raise NotFound(f"no dataset with id {ident!r} on {self.label}") from None
            raise

    async def _layer_info(self, url: str, title: str) -> dict[str, Any]:
        with _doing(f"reading the layer metadata of {title or url}"):
            return await self._get(url, {"f": "json"}, "metadata", _check_layer(title, url, self.name))

    async def _count(self, url: str, title: str, where: str = "1=1", near: dict[str, str] | None = None) -> int:
        params = {"where": where, **(near or {}), "returnCountOnly": "true", "f": "json"}
        with _doing(f"counting the rows of {title or url}"):
            data = await self._get(f"{url}/query", params, "metadata", _check_count(title, url, self.name))
        return int(data["count"])

    async def _slot(
        self,
        plan: _Plan,
        base: dict[str, Any],
        fields: tuple[Field, ...],
        offset: int,
        count: int,
        reader: _FastRows | None = None,
    ) -> _Slot:
        """``count`` rows from ``offset``, in as many requests as the server needs (it may send fewer than asked
        and set exceededTransferLimit). ``ended``: the data ran out before ``count`` rows."""
        tables = []
        got = 0
        exceeded = ended = False
        check = _check_rows(plan.title, plan.url, self.name)
        reader = reader or _FastRows(fields, plan.lat, plan.lon)
        while got < count:
            ask = count - got
            params = dict(base)
            if plan.paging:
                params["resultOffset"] = offset + got
            params["resultRecordCount"] = ask
            first, last = offset + got + 1, offset + count
            with _doing(f"reading rows {first:,}-{last:,} of {plan.title or plan.url}"):
                page = await self._get_rows(f"{plan.url}/query", params, check, reader, ask)
            exceeded = page.exceeded
            if page.table is not None:
                tables.append(page.table)
            got += page.rows
            if not page.rows or (page.rows < ask and not exceeded) or not plan.paging:
                ended = page.rows < ask
                break
        if not tables:
            table = empty_table(fields)
        elif len(tables) == 1:
            table = tables[0]
        else:
            import pyarrow as pa

            table = pa.concat_tables(tables)
        return _Slot(table=table, rows=got, exceeded=exceeded, ended=ended)

    async def _get_rows(
        self, url: str, params: dict[str, Any], check: Callable[[Any], None], reader: _FastRows, ask: int
    ) -> _Rows:
        """One rows query, parsed once, off the event loop (so the next requests go out meanwhile), before the
        body is cached: the fast reader when it can vouch for the result, else json.loads + ``check`` +
        build_table. A body that fails to parse raises and is never cached."""
        fetcher = self.fetcher

        def parse(body: bytes, content_type: str) -> _Rows:
            fast = reader.read(body, content_type, ask)
            if fast is not None:
                return fast
            data = fetcher.parse_json(url, body, content_type)
            check(data)
            return rows_from_json(data, reader.fields, reader.lat, reader.lon, ask)

        _, rows = await fetcher.get_parsed(url, params, parse, kind="rows", refresh=self.refresh, offload=True)
        self._note(fetcher.state)
        return rows

    # -- metadata --------------------------------------------------------------------------------------------

    def _build(
        self, ident: str, title: str, props: dict[str, Any], layer: str, info: dict[str, Any], rows: int | None
    ) -> Dataset:
        description = html_to_text(as_text(props.get("description")) or as_text(info.get("description")))
        description, frequency = pull_update_frequency(description)
        description, metadata = pull_metadata_link(description)
        fields, oid, lat, lon = _fields(info) if info else ((), None, None, None)
        max_records = info.get("maxRecordCount")
        max_records = max_records if isinstance(max_records, int) and max_records > 0 else None
        page_url = f"{self.site}/datasets/{ident}"
        links = [Link("PortlandMaps Open Data page" if self.portland else "ArcGIS Hub page", page_url)]
        if layer:
            links.append(Link("ArcGIS REST layer", layer))
        if metadata:
            links.append(Link("Metadata", metadata))
        paging = supports_pagination(info)
        if layer and fields:
            self._remember(
                ident,
                _Plan(
                    url=layer,
                    title=title,
                    fields=fields,
                    attributes=frozenset(f.name for f in fields if f.name not in (lat, lon) and f.type not in SHAPES),
                    oid=oid,
                    lat=lat,
                    lon=lon,
                    page_rows=max_records or DEFAULT_PAGE_ROWS,
                    paging=paging,
                    rows=rows,
                    order_by=supports_order_by(info),
                ),
            )
        for raw in _strings(props.get("categories")):
            self._category(raw)
        return Dataset(
            id=ident,
            title=title,
            owner=as_text(props.get("owner")),
            description=description,
            licence=html_to_text(as_text(props.get("licenseInfo"))),
            update_frequency=frequency,
            updated=epoch_ms(props.get("modified")),
            created=epoch_ms(props.get("created")),
            rows=rows,
            fields=fields,
            links=tuple(links),
            api_url=f"{layer}/query" if layer and fields else "",
            page_url=page_url,
            categories=tuple(self._category(c) for c in _strings(props.get("categories"))),
            tags=_strings(props.get("tags")),
            geometry_type=as_text(info.get("geometryType")),
            sample=False,
        )

    def _summary(self, record: dict[str, Any]) -> DatasetSummary:
        props = as_dict(record.get("properties"))
        ident = as_text(record.get("id") or props.get("id"))
        return DatasetSummary(
            id=ident,
            title=as_text(props.get("title") or props.get("name")) or ident,
            owner=as_text(props.get("owner")),
            updated=epoch_ms(props.get("modified")),
            rows=None,
            type=as_text(props.get("type")),
            snippet=html_to_text(as_text(props.get("snippet"))),
            categories=tuple(self._category(c) for c in _strings(props.get("categories"))),
            tags=_strings(props.get("tags")),
        )

    def _category(self, raw: str) -> str:
        label = category_label(raw)
        self._categories.setdefault(label.casefold(), raw)
        return label

    def _category_value(self, label: str) -> str:
        """The Hub's own spelling of a category label (``Environment`` -> ``/Categories/Environment``)."""
        known = self._categories.get(label.strip().casefold())
        if known:
            return known
        return label if label.startswith("/") else f"/Categories/{label.strip()}"

    async def _plan(self, dataset: Dataset) -> _Plan:
        plan = self._plans.get(dataset.id)
        if plan is None:
            await self.dataset(dataset.id)
            plan = self._plans.get(dataset.id)
        if plan is None:
            raise PdxError(f"{dataset.title or dataset.id} has no table of rows to show (it is not a map layer)")
        return plan

    def query_url(self, dataset: Dataset, query: Query) -> str:
        """The layer's ``query`` URL for ``query`` (filter, distance, columns and order), for copying into other
        tools. Without the layer's plan (not opened in this session) it is the bare layer query for all rows."""
        from urllib.parse import urlencode

        plan = self._plans.get(dataset.id)
        if plan is None:
            return (
                f"{dataset.api_url}?{urlencode({'where': ALL_ROWS, 'outFields': '*', 'f': 'json'})}"
                if dataset.api_url
                else ""
            )
        params = self._query_params(plan, query, self._selected(plan, query))
        return f"{plan.url.rstrip('/')}/query?{urlencode(params)}"

    # -- rows queries ----------------------------------------------------------------------------------------

    @staticmethod
    def _check_query(plan: _Plan, query: Query) -> None:
        if query.where is not None:
            _where(plan, query.where)  # a filter that cannot be sent raises FilterError, before any request
        _near_params(plan, query.near)  # a distance filter on a layer without points: PdxError
        check_columns(query, plan.fields, plan.title)
        for name, _ in query.order:
            if name not in plan.attributes:
                raise PdxError(f"cannot sort by {name!r}: it comes from the geometry, not from the layer's fields")

    @staticmethod
    def _query_params(plan: _Plan, query: Query, fields: tuple[Field, ...]) -> dict[str, Any]:
        attributes = [f.name for f in fields if f.name in plan.attributes]
        geometry = any(f.name in (plan.lat, plan.lon) or f.type in SHAPES for f in fields)
        if not query.columns:
            out_fields = "*"
        else:
            out_fields = ",".join(attributes) or plan.oid or next(iter(sorted(plan.attributes)), "*")
        order = [f"{name} {'DESC' if descending else 'ASC'}" for name, descending in query.order]
        tie_breaker = plan.oid or next((f.name for f in plan.fields if f.name in plan.attributes), None)
        if tie_breaker and tie_breaker not in [name for name, _ in query.order]:
            order.append(f"{tie_breaker} ASC")
        params: dict[str, Any] = {
            "where": _where(plan, query.where),
            **_near_params(plan, query.near),
            "outFields": out_fields,
            "orderByFields": ",".join(order),
            "returnGeometry": "true" if geometry else "false",
        }
        if not plan.order_by:  # an old server: it would ignore (or refuse) it; pages() sorts the rows it read
            del params["orderByFields"]
        if geometry:
            params["outSR"] = "4326"
        params["f"] = "json"
        return params

    # -- fetch state -------------------------------------------------------------------------------------------


# -- helpers -------------------------------------------------------------------------------------------------------


def _doing(doing: str) -> context:
    """Prefix network and format errors with what was being done (ArcGIS errors already say so)."""
    return context(doing, keep=(LayerError,))
