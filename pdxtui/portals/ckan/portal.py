"""The CKAN portal: a site's catalog (package_search), packages (package_show) and the rows of their resources
(datastore_search, or the resource's CSV file)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

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
    as_dict,
    as_text,
)
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.ckan.files import CKANFiles
from pdxtui.portals.ckan.rows import csv_fields, records_table
from pdxtui.portals.ckan.wire import (
    API,
    FACET_PARAMS,
    PAGE_ROWS,
    ROW_ID,
    SEARCH_MAX_ROWS,
    CKANError,
    _CKANNotFound,
    _is_csv,
    _list,
    _names,
    _Plan,
    build_fq,
    ckan_time,
    data_updated,
    datastore_fields,
    envelope_error,
    package_frequency,
    pick_resource,
    resource_format,
    split_id,
    to_resource,
)
from pdxtui.portals.network import check_columns, in_order
from pdxtui.textsafe import short

if TYPE_CHECKING:
    from pdxtui.net import Fetcher
    from pdxtui.portals import PortalSpec

log = logging.getLogger(__name__)


class CKANPortal(CKANFiles):
    """A CKAN site: its catalog (package_search), packages (package_show) and the rows of their resources
    (datastore_search, or the resource's CSV file).

    ``fetcher`` is a :class:`pdxtui.net.Fetcher`, a zero-argument callable that makes one on first use, or None
    for a default Fetcher without a cache. With ``close_fetcher`` the portal owns it: ``aclose()`` closes its
    client and its store. ``refresh`` skips fresh cache entries.
    """

    kind = "ckan"
    publisher_word = "organization"
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
        self.label = f"CKAN: {self.host}"
        self.api = f"{self.site}{API}"
        self._offsite: Fetcher | None = None
        self._frames: OrderedDict[str, Any] = OrderedDict()
        self._owners: dict[str, str] = {}  # organization title (as shown) -> name (for fq)
        self._groups: dict[str, str] = {}
        self._facets_read = False  # the facets fill the two maps above

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
        facets: Facets | None = None
        first = True
        start = max(0, request.offset)
        while True:
            rows = min(SEARCH_MAX_ROWS, wanted - len(hits))
            page = {**params, "rows": rows, "start": start}
            if first:  # the first page's answer carries the counts over all the matches (search_facets)
                page.update(FACET_PARAMS)
            result = await self._action("package_search", page, "catalog", "searching the catalog")
            if first and isinstance(result.get("search_facets"), dict):  # (a site may answer without them)
                facets = self._read_facets(result)
            first = False
            count = result.get("count")
            if isinstance(count, int) and not isinstance(count, bool):
                total = count
            found = [r for r in result.get("results") or () if isinstance(r, dict)]
            hits.extend(self._summary(r) for r in found[: max(0, wanted - len(hits))])
            start += len(found)
            if len(hits) >= wanted or not found or rows == 0 or (total is not None and start >= total):
                break
        chosen = {"owner": owner, "group": group, "tag": request.tag}  # build_fq's words
        return SearchResult(hits=tuple(hits), total=total, facets=await self._narrowed(facets, text, chosen))

    async def _narrowed(self, facets: Facets | None, text: str, fq: dict[str, str | None]) -> Facets | None:
        """The search's facet counts, each chosen facet counted again without its own choice (the other
        organizations, groups or tags to switch to): one ``rows=0`` package_search per chosen facet."""
        if facets is None:
            return None
        counts = {"owner": facets.owners, "group": facets.categories, "tag": facets.tags}
        kept: set[str] = set()
        for name, value in fq.items():
            if not value:
                continue
            params: dict[str, Any] = {"rows": 0, **FACET_PARAMS}
            if text:
                params["q"] = text
            others = build_fq(**{k: (None if k == name else v) for k, v in fq.items()})
            if others:
                params["fq"] = others
            try:
                result = await self._action("package_search", params, "catalog", "counting the catalog facets")
            except PdxError as exc:  # the search itself answered: its drop-down keeps the values it has
                log.info("facet counts without the chosen %s failed: %s", name, exc)
                kept.add("category" if name == "group" else name)
                continue
            again = self._read_facets(result)
            counts[name] = {"owner": again.owners, "group": again.categories, "tag": again.tags}[name]
        return Facets(owners=counts["owner"], categories=counts["group"], tags=counts["tag"], kept=frozenset(kept))

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
        params = {"rows": 0, **FACET_PARAMS}
        result = await self._action("package_search", params, "catalog", "reading the catalog facets")
        found = self._read_facets(result)
        self._facets_read = True
        return found

    def _read_facets(self, result: dict[str, Any]) -> Facets:
        """Organization, group and tag counts from a package_search answer's ``search_facets`` (the titles shown
        are learnt, with their names, for ``fq``)."""
        facets = as_dict(result.get("search_facets"))

        def items(field: str, names: dict[str, str] | None) -> tuple[tuple[str, int], ...]:
            block = as_dict(facets.get(field))
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

        return Facets(
            owners=items("organization", self._owners),
            categories=items("groups", self._groups),
            tags=items("tags", None),
        )

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

    def _row_key(self, plan: _Plan) -> Field | None:
        return ROW_ID if plan.resource.datastore else None  # a file's rows have no id: compared by content

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

    def rows_request(self, dataset: Dataset, query: Query) -> tuple[str, tuple[str, ...]]:
        """The rows request :meth:`pages` sends: ``datastore_search`` of the resource, in ``_id`` order, with
        ``limit``/``offset`` set per page (a filter or an order runs here, on the rows read); a CSV resource:
        the file, downloaded whole in one request."""
        plan = self._plans.get(dataset.id)
        if plan is None:
            return self.query_url(dataset, query), ()
        if not plan.resource.datastore:
            return plan.resource.url, ()
        params = _datastore_params(plan.resource.id)
        return f"{self.api}/datastore_search?{urlencode(params, quote_via=quote)}", ("limit", "offset")

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
        delivered = pages = 0

        def planned() -> int | None:
            if total is None:
                return None
            return max(0, (total if cap is None else min(total, cap)) - start)

        def fetch(offset: int, count: int) -> Coroutine[Any, Any, tuple[Any, int, int | None]]:
            return self._records(plan, offset, count, fields)

        async with aclosing(in_order(slots, fetch, self.window)) as slotted:
            async for offset, count, (table, got, reported) in slotted:
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
                if offset + count == end:
                    plan_to(end + 1)  # a full last page: the count was out of date, ask for the next one
        if pages == 0:
            from pdxtui.portals.arcgis import empty_table

            if progress is not None:
                progress(Progress(rows=0, total=0, pages=1))
            yield Page(table=empty_table(fields), offset=start, total=total)
        log.debug("read %d rows of resource %s", delivered, rid)

    async def _records(
        self, plan: _Plan, offset: int, count: int, fields: tuple[Field, ...]
    ) -> tuple[Any, int, int | None]:
        """One datastore_search page, parsed (off the event loop) before the body is cached."""
        url = f"{self.api}/datastore_search"
        params = {**_datastore_params(plan.resource.id), "limit": count, "offset": offset}
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
        org = as_dict(raw.get("organization"))
        owner = package_owner(raw)
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
        return Dataset(
            id=ident,
            title=as_text(raw.get("title")) or package,
            owner=owner,
            description=html_to_text(as_text(raw.get("notes"))),
            licence=as_text(raw.get("license_title") or raw.get("license_id")),
            update_frequency=package_frequency(raw),
            updated=ckan_time(raw.get("metadata_modified")),
            created=ckan_time(raw.get("metadata_created")),
            data_updated=data_updated(raw, f"{package} ({self.site})", split_id(ident)[1]),
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
            key_field=ROW_ID.name if api_url.startswith(f"{self.api}/datastore_search?") else "",
        )

    def _summary(self, raw: dict[str, Any]) -> DatasetSummary:
        org = as_dict(raw.get("organization"))
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
            owner=package_owner(raw),
            updated=ckan_time(raw.get("metadata_modified")),
            rows=None,
            update_frequency=package_frequency(raw),
            data_updated=data_updated(raw, f"{as_text(raw.get('name') or raw.get('id'))} (search hit)"),
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


def package_owner(raw: dict[str, Any]) -> str:
    """A package's owner, the same in search and show (portals.md, CKAN "Owner"): the organization's title (its
    name when it has none), else the author, else the maintainer; "" when none is given."""
    org = as_dict(raw.get("organization"))
    for value in (org.get("title"), org.get("name"), raw.get("author"), raw.get("maintainer")):
        text = as_text(value).strip()
        if text:
            return text
    return ""


def _datastore_params(resource_id: str) -> dict[str, Any]:
    """The parameters of every ``datastore_search`` rows request but the paging ones. It takes ``sort``
    ("_id asc"): without it the database may hand out pages in any order, and limit/offset paging could skip or
    repeat rows."""
    return {"resource_id": resource_id, "sort": "_id asc"}
