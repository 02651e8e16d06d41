"""CKAN resource files (CSV): sampled to type their columns, downloaded whole, parsed once and sliced into pages."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pdxtui.errors import PdxError, PortalError
from pdxtui.model import Field, Page, Progress, Query, Resource
from pdxtui.portals.base import ProgressCallback
from pdxtui.portals.ckan.wire import MAX_FRAMES, PAGE_ROWS, SAMPLE_BYTES, _Plan
from pdxtui.portals.csvtable import csv_fields, local_rows, parse_csv
from pdxtui.portals.network import NetworkPortal, prefixed

if TYPE_CHECKING:
    from pdxtui.net import Fetcher

log = logging.getLogger(__name__)


class CKANFiles(NetworkPortal[_Plan]):
    """What CKANPortal does with resource files (CSV): the fetcher for files on other hosts, the sample of a file's
    start that types its columns, and the whole file, parsed once, kept for a few resources and sliced into pages.
    The one-line error wrapping (with the token scrubbed) is here too; CKANPortal subclasses this."""

    host: str
    label: str
    sample_wait: float
    _offsite: Fetcher | None
    _frames: OrderedDict[str, Any]

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

    def _wrap(self, doing: str, exc: PortalError) -> PortalError:
        """The same error as one line that names the portal and what was being done."""
        message = str(exc)
        if message.startswith(self.label):
            return exc
        return prefixed(exc, self._scrub(f"{self.label}: {doing}: {message}"), portal=self.name)

    def _scrub(self, text: str) -> str:
        token = self.fetcher.token
        return text.replace(token, "[token]") if token else text

    async def _peek(
        self, fetcher: Fetcher, url: str, params: dict[str, Any] | None, limit: int
    ) -> tuple[int, str, bytes, bool]:
        """(status, content type, at most ``limit`` bytes of the body, whether the body ended within them) for
        one GET through ``fetcher``'s client: in its turn (the per-host limit, a 429's hold), with its token
        (dropped when a redirect leaves the host), uncached and without retries. The rest of the body is never
        read."""
        import httpx

        host = urlsplit(url).hostname or url  # the fetcher's own key for its per-host limit
        request = fetcher.client.build_request("GET", url, params=params, headers=fetcher._headers(None))
        async with fetcher.recording(url, params) as trace, fetcher.turn(host):  # in the request log, as any GET
            for _ in range(6):
                trace.attempts = 1  # it went out (a wait for the turn that timed out did not)
                response = await fetcher.client.send(request, stream=True, follow_redirects=False)
                try:
                    if response.next_request is not None:
                        request = response.next_request
                        if request.url.host != host and fetcher.token:
                            request.headers.pop(fetcher.token_header, None)
                        continue
                    fetcher.saw(response, host)
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
                    trace.bytes = len(body)
                    return response.status_code, response.headers.get("Content-Type", ""), body, ended
                finally:
                    await response.aclose()
            raise httpx.TooManyRedirects(f"{host} redirected too many times")

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
        from pdxtui.cache import only_cached

        try:
            key = cache_key(fetcher.portal_name, url, None)
        except ValueError as exc:
            raise PdxError(f"{title}: not a valid URL ({exc}): {url}") from None
        cached_only = only_cached()  # any copy of the file will do then (a stale one too); no peek goes out
        ttl = None if cached_only else fetcher.ttl.get("rows")
        entry = None if self.refresh and not cached_only else fetcher.store.get(key, ttl)
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
        return local_rows(table, plan.fields, query)
