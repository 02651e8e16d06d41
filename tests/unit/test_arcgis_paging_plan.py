"""The ArcGIS paging plan (pdxtui.portals.arcgis.paging) against simulated servers, as a hypothesis property: for
every strategy (offset paging, object id batches, offset paging that finds a server ignoring resultOffset and
switches), any maxRecordCount, page size, row count, offset and limit, the rows delivered are the server's rows,
each exactly once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from pdxtui.portals.arcgis.paging import (
    Chunk,
    Reader,
    by_ids,
    by_offset,
    id_batches,
    supports_order_by,
    supports_pagination,
)
from tests.faults.test_fuzz import FAST


def server(rows: list[int], max_records: int, honours_offset: bool) -> Reader:
    """A layer of ``rows`` (object ids, in order) that sends at most ``max_records`` rows an answer."""

    async def offset_chunk(offset: int, count: int) -> Chunk:
        got: list[int] = []
        exceeded = False
        while len(got) < count:  # as the portal's _slot: ask again while the server says there is more
            ask = count - len(got)
            at = offset + len(got) if honours_offset else 0
            part = rows[at : at + min(ask, max_records)]
            exceeded = at + len(part) < len(rows)
            got.extend(part)
            if not part or (len(part) < ask and not exceeded):
                break
        await asyncio.sleep(0)
        return Chunk(got, len(got), got, exceeded, len(got) < count)

    async def id_chunk(ids: Sequence[int]) -> Chunk:
        wanted = set(ids)
        matches = [r for r in rows if r in wanted]
        got = matches[:max_records]
        await asyncio.sleep(0)
        return Chunk(got, len(got), got, len(matches) > len(got), False)

    async def all_ids() -> list[int]:
        return list(reversed(rows))  # in no particular order: the plan sorts them

    def join(parts: list[list[int]]) -> list[int]:
        return [r for part in parts for r in part]

    return Reader(offset_chunk=offset_chunk, id_chunk=id_chunk, all_ids=all_ids, join=join)


async def deliver(strategy: str, rows: list[int], max_records: int, size: int, start: int, limit: int | None):
    reader = server(rows, max_records, honours_offset=strategy == "offset")
    out: list[tuple[int, list[int]]] = []
    if strategy == "ids":
        ids = sorted(await reader.all_ids())
        stop = len(ids) if limit is None else min(len(ids), start + limit)
        chunks = by_ids(reader, ids[start:stop], size, 3, first=start)
    else:
        stop = len(rows) if limit is None else min(len(rows), start + limit)
        chunks = by_offset(reader, start=start, stop=stop, limit=limit, size=size, window=3, on_switch=lambda n: None)
    async for position, chunk in chunks:
        out.append((position, list(chunk.table)))
    return out


@FAST
@given(
    strategy=st.sampled_from(["offset", "ids", "switch"]),
    count=st.integers(0, 60),
    max_records=st.integers(1, 12),
    size=st.integers(1, 15),
    start=st.integers(0, 5),
    limit=st.none() | st.integers(0, 70),
)
def test_every_row_once_in_order(strategy, count, max_records, size, start, limit):
    rows = [3 * i + 1 for i in range(count)]  # object ids need not be consecutive
    if strategy == "switch":
        start = 0  # a server that ignores resultOffset cannot be asked to start anywhere else
    out = asyncio.run(deliver(strategy, rows, max_records, size, start, limit))
    delivered = [r for _, part in out for r in part]
    end = len(rows) if limit is None else start + limit
    assert delivered == rows[start:end]
    position = start
    for offset, part in out:  # each page says where its first row sits
        assert offset == position and part
        position += len(part)


def test_id_batches():
    assert id_batches(0, 100) == []
    assert id_batches(345, 100) == [(0, 100), (100, 100), (200, 100), (300, 45)]


def test_strategy_from_the_layer_json():
    assert supports_pagination({"currentVersion": 10.91, "advancedQueryCapabilities": {"supportsPagination": True}})
    off = {"supportsPagination": False}
    assert not supports_pagination({"currentVersion": 10.91, "advancedQueryCapabilities": off})
    assert not supports_pagination({"currentVersion": 10.22})
    assert not supports_pagination({"currentVersion": "10.1"})
    assert supports_pagination({"currentVersion": 10.3}) and supports_pagination({"currentVersion": 11.1})
    assert supports_pagination({})  # says nothing: paged, and a repeated page is caught
    assert not supports_order_by({"currentVersion": 10.22})
    assert not supports_order_by({"currentVersion": 10.91, "advancedQueryCapabilities": {"supportsOrderBy": False}})
    assert supports_order_by({"currentVersion": 10.51, "advancedQueryCapabilities": {"supportsPagination": True}})
