"""The Socrata portal: a domain's catalog, views metadata and SODA2 resources."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from pdxtui.errors import NotFound, PdxError, PortalError, UsageError
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
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.datadates import best_date, edit_time
from pdxtui.portals.network import (
    NetworkPortal,
    both,
    check_columns,
    context,
    count_or_none,
    counted_facets,
    in_order,
)
from pdxtui.portals.socrata.rows import _group_value, _Slot, empty_table, table_from_csv, table_from_json
from pdxtui.portals.socrata.wire import (
    CATALOG_PAGE,
    CATALOG_PATH,
    CATALOG_WINDOW,
    COUNT_ALIAS,
    DEFAULT_PAGE_ROWS,
    FACET_RECORDS,
    MAX_GROUPS,
    POINT_TYPES,
    TOKEN_HINT,
    _check_catalog,
    _check_count,
    _check_list,
    _check_view,
    _count_of,
    _description,
    _frequency,
    _int,
    _Plan,
    _strings,
    _where,
    epoch_seconds,
    hit_frequency,
    parse_columns,
    plan_field,
    socrata_error,
    soql_name,
)
from pdxtui.textsafe import short

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)

#: every SODA2 row's system id (``:id``, text such as ``row-ab12.cd34_ef56``): not one of the dataset's fields
#: (views JSON lists no such column; system fields are left out of the rows unless ``$select`` names them)
ROW_ID = Field(":id", "text", "string", "Row id", "Socrata's system row id")
PAGING = ("$limit", "$offset")  # the parameters pages() sets for each page of rows


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
        hits = tuple(self._summary(r) for r in results)
        return SearchResult(hits=hits, total=total, facets=counted_facets(hits, total, request, owners=False))

    async def facets(self) -> Facets:
        """Category and tag counts over the first ``FACET_RECORDS`` catalog results of this domain (the catalog
        answers in its own relevance order; portals.md documents no facet endpoint, so they are counted from the
        search pages themselves; the first is the catalog's first page, usually already cached). Owners are not
        offered: the catalog cannot be narrowed by them."""
        self._begin()
        results, total = await self._results({}, 0, FACET_RECORDS)
        return counted_facets([self._summary(r) for r in results], total, SearchRequest(), owners=False)

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

    def rows_request(self, dataset: Dataset, query: Query) -> tuple[str, tuple[str, ...]]:
        """The rows request :meth:`pages` sends for ``query`` (``{id}.csv``, or ``.json`` for point columns),
        without ``$limit``/``$offset``, which it sets for each page."""
        plan = self._plans.get(dataset.id)
        if plan is None:
            return self.query_url(dataset, query), ()
        url, params = self._rows_base(plan, query)
        return f"{url}?{urlencode(params, quote_via=quote, safe=',:*()$')}", PAGING

    def _rows_base(self, plan: _Plan, query: Query) -> tuple[str, dict[str, Any]]:
        """The URL and the parameters of every rows request of ``query``, but the paging ones."""
        fields = self._selected(plan, query)
        return f"{plan.resource}.{self._format(plan, fields)}", self._row_params(
            plan, query, fields, self._check_query(plan, query)
        )

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
        delivered = pages = 0
        ended = False
        last: _Slot | None = None

        def fetch(offset: int, count: int) -> Coroutine[Any, Any, _Slot]:
            return self._slot(plan, base, fields, offset, count)

        async with aclosing(in_order(slots, fetch, self.window)) as slotted:
            async for offset, count, last in slotted:
                ended = last.rows < count  # fewer rows than counted: the data ran out
                if last.rows:
                    delivered += last.rows
                    pages += 1
                    if progress is not None:
                        progress(Progress(rows=delivered, total=planned, pages=pages))
                    yield Page(table=last.table, offset=offset, total=total)
                if ended:
                    break
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

    # -- catalog ---------------------------------------------------------------------------------------------------

    @property
    def regional_url(self) -> str:
        import pdxtui.portals.socrata as package  # read at call time: tests point it at their fake server

        return (self.regional_catalog or package.REGIONAL_CATALOG).rstrip("/")

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
        resource = as_dict(result.get("resource"))
        classification = as_dict(result.get("classification"))
        owner = as_dict(result.get("owner"))
        ident = as_text(resource.get("id"))
        return DatasetSummary(
            id=ident,
            title=as_text(resource.get("name")) or ident,
            owner=as_text(owner.get("display_name")) or as_text(resource.get("attribution")),
            updated=epoch_seconds(resource.get("data_updated_at") or resource.get("updatedAt")),
            rows=None,
            update_frequency=hit_frequency(classification),
            # data_updated_at: when the rows last changed; updatedAt (the record, metadata included) only without it
            data_updated=best_date(
                f"{ident} (search hit)",
                (
                    ("data_updated_at", resource.get("data_updated_at"), edit_time),
                    ("updatedAt", resource.get("updatedAt"), edit_time),
                ),
            ),
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
        owner = as_dict(view.get("owner"))
        licence = as_dict(view.get("license"))
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
            # rowsUpdatedAt: when the rows last changed (epoch seconds); viewLastModified moves with any edit of
            # the view (its description, its columns), so it is read only when rowsUpdatedAt is missing
            data_updated=best_date(
                f"{plan.title} ({plan.id})",
                (
                    ("rowsUpdatedAt", view.get("rowsUpdatedAt"), edit_time),
                    ("viewLastModified", view.get("viewLastModified"), edit_time),
                ),
            ),
            rows=plan.rows,
            fields=plan.fields,
            links=tuple(links),
            api_url=f"{plan.resource}.json" if tabular else "",
            page_url=page_url,
            categories=_strings(view.get("category")),
            tags=_strings(view.get("tags")),
            geometry_type="point" if plan.coords else geometry,
            sample=False,
            key_field=ROW_ID.name if tabular else "",
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
        return _count_of(data)  # type: ignore[return-value]  # _check_count lets only answers with a count through

    def _row_key(self, plan: _Plan) -> Field | None:
        return ROW_ID  # asked for by name in $select (system fields are not sent unless named)

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
        # system fields are named bare (``:id``, as in ``$order``); the dataset's own columns as SoQL takes them
        params: dict[str, Any] = {"$select": ",".join(n if n == ROW_ID.name else soql_name(n) for n in wanted)}
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
