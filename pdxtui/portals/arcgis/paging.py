"""How to read a layer's rows whole, on servers of every age, delivering each row exactly once and in order.

* ``resultOffset`` paging only where the layer says ``advancedQueryCapabilities.supportsPagination`` (or, with no
  flag, where the server is 10.3 or later, or does not say its version);
* otherwise the object ids (``returnIdsOnly=true``, which takes the ``where`` and the distance filter), sorted,
  read in ``objectIds=`` batches of at most maxRecordCount, as pyesridump and koop do;
* whatever the strategy, a page that repeats an object id already delivered (a server that ignores
  ``resultOffset`` while claiming support) is dropped, and the rest is read by object ids (``on_switch`` is told).

The I/O is the portal's (a :class:`Reader`); this module holds the plan, so it can be tested without a server.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Coroutine, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from pdxtui.errors import PdxError, PortalError
from pdxtui.model import Field, Query
from pdxtui.portals.arcgis.hub import _layer_error
from pdxtui.portals.arcgis.layer import _Plan
from pdxtui.portals.arcgis.rows import _Rows, _Slot, empty_table
from pdxtui.portals.network import in_order

#: the first ArcGIS Server version with resultOffset/resultRecordCount and orderByFields everywhere
PAGING_VERSION = 10.3


def _version(info: dict[str, Any]) -> float | None:
    value = info.get("currentVersion")
    if not isinstance(value, (int, float, str)) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _flag(info: dict[str, Any], name: str) -> bool:
    """An ``advancedQueryCapabilities`` flag; without it, true on 10.3 or later (or when no version is given)."""
    capabilities = info.get("advancedQueryCapabilities")
    if isinstance(capabilities, dict) and isinstance(capabilities.get(name), bool):
        return bool(capabilities[name])
    version = _version(info)
    return version is None or version >= PAGING_VERSION


def supports_pagination(info: dict[str, Any]) -> bool:
    """Whether the layer honours ``resultOffset``/``resultRecordCount`` (by what its metadata claims)."""
    return _flag(info, "supportsPagination")


def supports_order_by(info: dict[str, Any]) -> bool:
    """Whether the layer honours ``orderByFields``."""
    return _flag(info, "supportsOrderBy")


@dataclass
class Chunk:
    """Rows of one slot: ``table`` (whatever the reader builds), ``rows`` in it, their object ids (empty when the
    layer has no object id field: nothing can be checked then), whether the server said there is more, and whether
    the data ran out before the slot was full."""

    table: Any
    rows: int
    oids: Sequence[int]
    exceeded: bool
    ended: bool


@dataclass(frozen=True)
class Reader:
    """The requests a strategy needs, made by the portal: ``count`` rows from ``offset``; the rows of some object
    ids; every matching object id (``returnIdsOnly``)."""

    offset_chunk: Callable[[int, int], Coroutine[Any, Any, Chunk]]
    id_chunk: Callable[[Sequence[int]], Coroutine[Any, Any, Chunk]]
    all_ids: Callable[[], Coroutine[Any, Any, list[int]]]
    join: Callable[[list[Any]], Any] = lambda tables: _concat(tables)


def _concat(tables: list[Any]) -> Any:
    import pyarrow as pa

    return pa.concat_tables(tables)


async def _batch(reader: Reader, ids: Sequence[int]) -> Chunk:
    """The rows of ``ids``, asking again for those missing while the server says it sent fewer than it has (a
    server may cap an answer below its maxRecordCount)."""
    chunk = await reader.id_chunk(ids)
    parts, got = [chunk], list(chunk.oids)
    while chunk.exceeded and chunk.rows and len(got) < len(ids) and got:
        have = set(got)
        chunk = await reader.id_chunk([i for i in ids if i not in have])
        if not chunk.rows or not have.isdisjoint(chunk.oids):
            break
        parts.append(chunk)
        got.extend(chunk.oids)
    if len(parts) == 1:
        return parts[0]
    return Chunk(reader.join([p.table for p in parts]), len(got), got, False, False)


def id_batches(count: int, size: int) -> list[tuple[int, int]]:
    """(index, count) slots over ``count`` ids, at most ``size`` each."""
    size = max(1, size)
    return [(i, min(size, count - i)) for i in range(0, count, size)]


def _repeats(chunk: Chunk, seen: set[int]) -> bool:
    oids = chunk.oids
    return bool(oids) and (len(set(oids)) != len(oids) or not seen.isdisjoint(oids))


async def by_ids(
    reader: Reader, ids: Sequence[int], size: int, window: int, seen: set[int] | None = None, first: int = 0
) -> AsyncGenerator[tuple[int, Chunk], None]:
    """``ids`` (already sorted and cut to what is wanted) in batches of ``size``, concurrently, in order; yields
    (position of the first row, chunk). ``first`` is the position of ``ids[0]``. A batch that brings back an id
    already delivered (a server that ignores ``objectIds``) is refused rather than shown twice."""
    seen = set() if seen is None else seen
    position = first

    def fetch(index: int, count: int) -> Coroutine[Any, Any, Chunk]:
        return _batch(reader, ids[index : index + count])

    async with aclosing(in_order(id_batches(len(ids), size), fetch, window)) as slotted:
        async for _, _, chunk in slotted:
            if _repeats(chunk, seen):
                raise PdxError(
                    "the server sent rows already delivered when asked for other object ids; "
                    "stopped rather than show a row twice"
                )
            seen.update(chunk.oids)
            if chunk.rows:
                yield position, chunk
                position += chunk.rows


async def by_offset(
    reader: Reader,
    *,
    start: int,
    stop: int,
    limit: int | None,
    size: int,
    window: int,
    on_switch: Callable[[int], None],
) -> AsyncGenerator[tuple[int, Chunk], None]:
    """Offset pages for rows ``start``..``stop`` (the counted end), concurrently and in order, then while the
    server says there is more (the count may be out of date), never past ``limit`` rows. A page that repeats an
    object id already delivered is dropped; ``on_switch(rows delivered)`` is called and the rest comes by object
    ids. Yields (position of the first row, chunk)."""
    seen: set[int] = set()
    delivered = 0
    last: Chunk | None = None
    repeated = ended = False
    slots = [(offset, min(size, stop - offset)) for offset in range(start, stop, max(1, size))]
    async with aclosing(in_order(slots, reader.offset_chunk, window)) as slotted:
        async for _, _, last in slotted:
            if _repeats(last, seen):
                repeated = True
                break
            seen.update(last.oids)
            if last.rows:
                yield start + delivered, last
                delivered += last.rows
            if last.ended:
                ended = True
                break
    more = not repeated and last is not None and last.exceeded and not ended
    while more and (limit is None or delivered < limit):
        count = size if limit is None else min(size, limit - delivered)
        last = await reader.offset_chunk(start + delivered, count)
        if _repeats(last, seen):
            repeated = True
            break
        seen.update(last.oids)
        if last.rows:
            yield start + delivered, last
            delivered += last.rows
        more = last.exceeded and not last.ended and last.rows > 0
    if not repeated or (limit is not None and delivered >= limit):
        return
    on_switch(delivered)
    rest = [i for i in sorted(await reader.all_ids())[start:] if i not in seen]
    if limit is not None:
        rest = rest[: limit - delivered]
    async with aclosing(by_ids(reader, rest, size, window, seen, start + delivered)) as batches:
        async for position, chunk in batches:
            yield position, chunk


# -- what the portal's pages() needs around the plan: Arrow chunks, the ids answer, a sort on the rows read ---------

#: the parameters of the distance filter (layer._near_params), which the ids query takes too
NEAR_KEYS = ("geometry", "geometryType", "inSR", "spatialRel", "distance", "units")


def wire_fields(plan: _Plan, fields: tuple[Field, ...], also: Sequence[str] = ()) -> tuple[Field, ...]:
    """The fields to ask the server for: those selected, then the object id (so that no row is delivered twice)
    and the columns named in ``also`` (a sort done on the rows read), when they are not selected already."""
    wanted = [f.name for f in fields]
    extra = [name for name in ([plan.oid] if plan.oid else []) + list(also) if name not in wanted]
    by_name = {f.name: f for f in plan.fields}
    added: list[Field] = []
    for name in extra:
        if name in by_name and by_name[name] not in added:
            added.append(by_name[name])
    return (*fields, *added)


def oids_of(table: Any, oid: str | None) -> list[int]:
    if table is None or oid is None or oid not in table.column_names:
        return []
    return [value for value in table.column(oid).to_pylist() if value is not None]


def as_chunk(slot: _Slot, oid: str | None) -> Chunk:
    return Chunk(slot.table, slot.rows, oids_of(slot.table, oid), slot.exceeded, slot.ended)


def in_oid_order(page: _Rows, wire: tuple[Field, ...], oid: str | None) -> Chunk:
    """An ``objectIds`` answer as a chunk, its rows in object id order (the ids were asked for in that order)."""
    table = page.table if page.table is not None else empty_table(wire)
    oids = oids_of(table, oid)
    if oids != sorted(oids):
        table = table.sort_by([(oid, "ascending")])
        oids = sorted(oids)
    return Chunk(table, page.rows, oids, page.exceeded, False)


def check_ids(title: str, url: str, portal: str) -> Callable[[Any], None]:
    """A ``returnIdsOnly`` answer: ``{"objectIdFieldName": ..., "objectIds": [...]}`` (``null`` when none match)."""

    def check(data: Any) -> None:
        if isinstance(data, dict) and data.get("error") is not None:
            raise _layer_error(title, url, portal, data)
        ids = data.get("objectIds", ()) if isinstance(data, dict) else ()
        if not isinstance(data, dict) or not (
            ids is None or (isinstance(ids, list) and all(type(i) is int for i in ids))
        ):
            raise PortalError(f"the ArcGIS layer {title or url} answered an object id request without object ids")

    return check


def object_ids(data: dict[str, Any]) -> list[int]:
    """The ids of a checked ``returnIdsOnly`` answer, sorted, each once."""
    return sorted(set(data.get("objectIds") or ()))


def switch_note(plan: _Plan, delivered: int) -> str:
    return (
        f"{plan.title or plan.url}: the server sent rows already delivered for the next page (it ignores "
        f"resultOffset); reading the rest by object id after {delivered:,} rows"
    )


def sort_note(plan: _Plan) -> str:
    return (
        f"{plan.title or plan.url}: the server cannot sort page by page, so every matching row is read and sorted here"
    )


async def sorted_locally(
    reader: Reader, plan: _Plan, query: Query, wire: tuple[Field, ...], window: int
) -> tuple[int, AsyncGenerator[tuple[int, Chunk], None]]:
    """Every matching row (read by object id, which works on every server), sorted by ``query.order`` then the
    object id, cut to the query's offset and limit. Returns (rows matching, chunks of at most maxRecordCount).
    Nulls sort first; coded values sort by their labels (the server would sort by code)."""
    import pyarrow as pa

    ids = sorted(await reader.all_ids())
    tables = []
    async with aclosing(by_ids(reader, ids, plan.page_rows, window)) as batches:
        async for _, chunk in batches:
            tables.append(chunk.table)
    table = pa.concat_tables(tables) if tables else empty_table(wire)
    keys = [(name, "descending" if descending else "ascending", "at_start") for name, descending in query.order]
    if plan.oid and plan.oid not in [name for name, _ in query.order]:
        keys.append((plan.oid, "ascending", "at_start"))
    table = table.sort_by(keys)
    start = query.offset
    stop = table.num_rows if query.limit is None else min(table.num_rows, start + query.limit)

    async def chunks() -> AsyncGenerator[tuple[int, Chunk], None]:
        for position in range(start, stop, max(1, plan.page_rows)):
            part = table.slice(position, min(plan.page_rows, stop - position))
            yield position, Chunk(part, part.num_rows, oids_of(part, plan.oid), False, False)

    return table.num_rows, chunks()
