"""The ArcGIS portal: an ArcGIS Hub site's catalog and the REST layers behind its datasets."""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from pdxtui.errors import NotFound, PdxError, PortalError
from pdxtui.htmltext import html_to_text
from pdxtui.model import (
    Dataset,
    DatasetSummary,
    Facets,
    Field,
    Layer,
    Link,
    Page,
    Progress,
    Query,
    SearchRequest,
    SearchResult,
    as_dict,
    as_text,
)
from pdxtui.portals.arcgis.dates import data_updated, hit_frequency
from pdxtui.portals.arcgis.hub import (
    DEFAULT_PAGE_ROWS,
    FACET_RECORDS,
    HUB_MAX_LIMIT,
    MAX_SEARCH_PAGES,
    NEWEST_FIRST,
    PORTLAND_HOST,
    PORTLAND_LABEL,
    SEARCH_API,
    SEARCH_THROTTLE_WAIT,
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
    throttle_wait,
)
from pdxtui.portals.arcgis.items import CSVItems
from pdxtui.portals.arcgis.layer import ALL_ROWS, _fields, _near_params, _Plan, _where, check_query, query_params
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
from pdxtui.portals.arcgis.rows import _FastRows, _Rows, _Slot, empty_table, rows_from_json, text_moment
from pdxtui.portals.arcgis.services import (
    is_csv,
    is_file,
    item_data_url,
    item_kind,
    item_layer,
    layer_title,
    service_layers,
    service_root,
    several_note,
)
from pdxtui.portals.base import PORTLAND_ORGANISATION, PORTLAND_SITE_NAME, ProgressCallback
from pdxtui.portals.csvtable import csv_fields
from pdxtui.portals.network import both, context, count_or_none, counted_facets

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)


# -- the portal ----------------------------------------------------------------------------------------------------


class ArcGISPortal(CSVItems):
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
        if self.portland:
            self.organisation, self.site_name = PORTLAND_ORGANISATION, PORTLAND_SITE_NAME
        self._categories: dict[str, str] = {}  # label -> the Hub's own spelling, for filters
        self._csv_items: OrderedDict[str, Any] = OrderedDict()
        #: seconds to wait when the search allowance is used up and the Hub does not say for how long (None: the
        #: fetcher's ``throttle_wait``, config ``net.throttle_wait``)
        self.search_wait: float | None = None

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
        hits = tuple(self._summary(r) for r in records)
        # the Hub has no aggregation endpoint and its searches are rationed: the counts come from this answer
        return SearchResult(hits=hits, total=total, facets=counted_facets(hits, total, request))

    async def facets(self) -> Facets:
        """Owner, category and tag counts over the newest ``FACET_RECORDS`` catalog records.

        portals.md documents no aggregation endpoint, so facets are counted from the search pages themselves
        (the first of them is the same request as the catalog's first page, so it usually comes from the cache).
        """
        self._begin()
        params = {"sortBy": NEWEST_FIRST, "limit": HUB_MAX_LIMIT, "startindex": 1}
        records, total = await self._records(params, FACET_RECORDS)
        return counted_facets([self._summary(r) for r in records], total, SearchRequest())

    async def dataset(self, dataset_id: str) -> Dataset:
        self._begin()
        ident = (dataset_id or "").strip()
        if not ident:
            raise NotFound("no dataset id given")
        wanted = item_layer(ident)  # ITEMID_N: layer N of the service behind item ITEMID
        try:
            feature = await self._record(ident)
        except NotFound:
            if wanted is None:
                raise
            feature = await self._record(wanted[0])  # Hub lists the item itself under its bare id
        props = as_dict(feature.get("properties"))
        record_id = as_text(feature.get("id") or props.get("id") or ident)
        title = as_text(props.get("title") or props.get("name")) or record_id
        layer = layer_url_for(props.get("url"), record_id)
        layers: tuple[Layer, ...] = ()
        service = "" if layer else service_root(props.get("url"))
        if service:
            layers = await self._service_layers(service, record_id.split("_", 1)[0], title)
            chosen = next((item for item in layers if item.id == ident), None) if wanted else None
            if wanted and chosen is None:
                raise NotFound(f"{title} ({record_id}) has no layer or table {wanted[1]} on {self.label}")
            if chosen is None and len(layers) == 1:
                chosen = layers[0]  # one layer or table: opened directly
            if chosen is not None:
                layer = f"{service}/{chosen.id.rsplit('_', 1)[1]}"
                title = layer_title(title, chosen.title) if len(layers) > 1 else title
                ident, layers = chosen.id if wanted else record_id, ()
            else:
                ident = record_id
        elif wanted and not layer and record_id != ident:
            raise NotFound(f"no dataset with id {ident!r} on {self.label} ({title} is not a map service)")
        else:
            ident = record_id
        info: dict[str, Any] = {}
        rows: int | None = None
        if layer:
            info, rows = await both(self._layer_info(layer, title), count_or_none(self._count(layer, title)))
        ds = self._build(ident, title, props, layer, info, rows)
        if layers:
            return replace(ds, layers=layers, notice=several_note(layers))
        if not layer:
            links = self._file_links(record_id, props)
            if is_csv(as_text(props.get("type"))):  # previewed as CKAN's CSV resources are
                table = await self._csv_item(record_id, links[0].url, title)
                return replace(
                    ds, fields=csv_fields(table), rows=table.num_rows, api_url=links[0].url, links=ds.links + links
                )
            return replace(ds, notice=self._not_a_layer(props, links), links=ds.links + links)
        return ds

    async def count(self, dataset: Dataset, query: Query) -> int:
        self._begin()
        if self._is_csv_item(dataset):
            return (await self._csv_item_table(dataset, query)).num_rows
        plan = await self._plan(dataset)
        check_query(plan, query)
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
        if self._is_csv_item(dataset):
            return await self._csv_item_counts(dataset, column, query)
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
                # epoch ms, or the text dates of servers before 10.0; a value that is no date stays as sent
                moment = text_moment(value) if isinstance(value, str) else None
                value = moment or epoch_ms(value) or value
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
        if self._is_csv_item(dataset):
            async for page in self._csv_item_pages(dataset, query, progress):
                yield page
            return
        plan = await self._plan(dataset)
        check_query(plan, query)
        fields = self._selected(plan, query)
        where = _where(plan, query.where)
        near = _near_params(plan, query.near)
        base, wire = self._rows_params(plan, query)
        reader = self._reader(plan, base, wire)
        start, size, window = query.offset, plan.page_rows, self.window
        delivered = pages = 0
        chunks: AsyncGenerator[tuple[int, Chunk], None]
        total: int | None
        if query.order and not (plan.paging and plan.order_by):
            note = sort_note(plan)
            log.warning("%s", note)
            if progress is not None:
                progress(Progress(rows=0, total=None, pages=0, message=note))
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

    def _row_key(self, plan: _Plan) -> Field | None:
        return next((f for f in plan.fields if f.name == plan.oid), None)

    def _rows_params(self, plan: _Plan, query: Query) -> tuple[dict[str, Any], tuple[Field, ...]]:
        """The parameters of every rows request :meth:`pages` sends for ``query`` (the paging ones aside), and the
        fields they read (the columns asked for, plus what sorting and coordinates need)."""
        wire = wire_fields(plan, self._selected(plan, query), [name for name, _ in query.order])
        if query.order and not (plan.paging and plan.order_by):  # sorted here: read in the server's own order
            query = Query(where=query.where, near=query.near)
        return query_params(plan, query, wire), wire

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
            data = await self.fetcher.get_json(
                url, query, kind="catalog", refresh=self.refresh, validate=_check_collection, gate=self._search_gate
            )
            self._note(self.fetcher.state)
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

    async def _search_gate(self) -> None:
        """Before a search goes to the network: when the Hub said its search allowance was used up
        (``x-ratelimit-remaining-portal_search_throttler: 0``), wait (announced) rather than send a search it
        would refuse."""
        fetcher = self.fetcher
        seen = fetcher.rate_limits_for(self.items_url)
        default = self.search_wait
        if default is None:
            default = getattr(fetcher, "throttle_wait", SEARCH_THROTTLE_WAIT)  # test doubles of a Fetcher may not say
        wait = throttle_wait(seen, time.time(), default)
        if wait <= 0 or seen is None:
            return
        limit = next((v for k, v in seen[1].items() if k.startswith("x-ratelimit-limit")), "")
        allowance = f" ({limit} searches)" if limit else ""
        await fetcher.pause(
            f"{urlsplit(self.site).hostname or self.site}: the catalog search allowance{allowance} is used up; "
            f"waiting {wait:.3g} s before the next search",
            wait,
        )

    async def _record(self, ident: str) -> dict[str, Any]:
        url = f"{self.items_url}/{quote(ident, safe='')}"
        try:
            return await self._get(url, None, "metadata", _check_record)
        except PortalError as exc:
            if getattr(exc, "status", None) in (404, 410):
                raise NotFound(f"no dataset with id {ident!r} on {self.label}") from None
            raise

    async def _service_layers(self, service: str, item_id: str, title: str) -> tuple[Layer, ...]:
        """The layers and tables of the service at ``service`` (its ``?f=json``), as ``ITEMID_N`` entries."""
        with _doing(f"reading the list of layers of {title or service}"):
            info = await self._get(service, {"f": "json"}, "metadata", _check_layer(title, service, self.name))
        return service_layers(item_id, info)

    @staticmethod
    def _not_a_layer(props: dict[str, Any], links: tuple[Link, ...]) -> str:
        """What an item that is not a layer is, that it has no tabular preview, and where to get it."""
        kind = item_kind(as_text(props.get("type")))
        where = f" Download or open it at {links[0].url}" if links else ""
        return f"This item is {kind}, not a map layer: it has no tabular preview.{where}"

    def _file_links(self, item_id: str, props: dict[str, Any]) -> tuple[Link, ...]:
        record_type = as_text(props.get("type"))
        out: list[Link] = []
        if is_file(record_type):
            out.append(Link(f"Download ({record_type.strip() or 'file'})", item_data_url(self.site, item_id)))
        url = as_text(props.get("url")).strip()
        if url.startswith(("http://", "https://")) and not service_root(url) and url not in (x.url for x in out):
            out.append(Link("Item URL", url))
        return tuple(out)

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
            data_updated=data_updated(f"{title} ({layer or ident})", props, info),
            rows=rows,
            fields=fields,
            links=tuple(links),
            api_url=f"{layer}/query" if layer and fields else "",
            page_url=page_url,
            categories=tuple(self._category(c) for c in _strings(props.get("categories"))),
            tags=_strings(props.get("tags")),
            geometry_type=as_text(info.get("geometryType")),
            sample=False,
            key_field=oid or "",
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
            update_frequency=hit_frequency(props),
            # the record's modified: the layer is not read per hit, so its editingInfo is unknown here (the
            # dataset, once opened, may be judged on a better date: dates.data_updated)
            data_updated=data_updated(f"{as_text(props.get('title')) or ident} (search hit)", props),
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
            if dataset.layers:
                ids = ", ".join(item.id for item in dataset.layers[:6])
                more = ", …" if len(dataset.layers) > 6 else ""
                raise PdxError(f"{dataset.title or dataset.id}: {dataset.notice} Its layers and tables: {ids}{more}")
            if dataset.notice:
                raise PdxError(f"{dataset.title or dataset.id}: {dataset.notice}")
            raise PdxError(f"{dataset.title or dataset.id} has no table of rows to show (it is not a map layer)")
        return plan

    def query_url(self, dataset: Dataset, query: Query) -> str:
        """The layer's ``query`` URL for ``query`` (filter, distance, columns and order), for copying into other
        tools. Without the layer's plan (not opened in this session) it is the bare layer query for all rows."""
        from urllib.parse import urlencode

        plan = self._plans.get(dataset.id)
        if self._is_csv_item(dataset):
            return dataset.api_url  # the file itself
        if plan is None:
            return (
                f"{dataset.api_url}?{urlencode({'where': ALL_ROWS, 'outFields': '*', 'f': 'json'})}"
                if dataset.api_url
                else ""
            )
        params = query_params(plan, query, self._selected(plan, query))
        return f"{plan.url.rstrip('/')}/query?{urlencode(params)}"

    def rows_request(self, dataset: Dataset, query: Query) -> tuple[str, tuple[str, ...]]:
        """The rows request :meth:`pages` sends for ``query``: the layer query with ``resultOffset`` and
        ``resultRecordCount`` set per page; on a server without paging, the object id batches (``objectIds``
        per batch, no ``orderByFields``). A CSV item: the file, in one request."""
        from urllib.parse import urlencode

        plan = self._plans.get(dataset.id)
        if self._is_csv_item(dataset) or plan is None:
            return self.query_url(dataset, query), ()
        params, _ = self._rows_params(plan, query)
        paged_by: tuple[str, ...] = ("resultOffset", "resultRecordCount")
        if not plan.paging:
            params = {k: v for k, v in params.items() if k != "orderByFields"}  # as id_chunk sends them
            paged_by = ("objectIds",)
        return f"{plan.url.rstrip('/')}/query?{urlencode(params)}", paged_by


# -- helpers -------------------------------------------------------------------------------------------------------


def _doing(doing: str) -> context:
    """Prefix network and format errors with what was being done (ArcGIS errors already say so)."""
    return context(doing, keep=(LayerError,))
