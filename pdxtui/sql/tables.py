"""The tables a query can use: each a dataset with the rows pdxtui has of it.

Every dataset opened in the app (and every one loaded for ``pdxtui sql --use``) is a :class:`Table` under a name
from :mod:`pdxtui.sql.names`, kept for the run. A table knows whether its rows are all of the dataset's rows: a
query over a table that is not complete says so (the app offers to load the rest first).

The rows are kept within a budget (:attr:`Tables.budget` bytes): :meth:`Tables.trim` (the browser calls it as rows
arrive) lets the rows of the least recently used tables go, never those of the dataset on screen; such a table stays,
"not loaded", and a query over it offers to load it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pdxtui.model import Dataset
from pdxtui.sql import names as naming
from pdxtui.textout import fmt_count

if TYPE_CHECKING:
    import polars as pl


def dataset_key(dataset: Dataset) -> str:
    """One dataset's key among the tables: its id, and the resource (a CKAN table) when there is one."""
    return f"{dataset.id}/{dataset.resource}" if dataset.resource else dataset.id


@dataclass
class Table:
    """A dataset as a table. ``frame``: the rows loaded (None: none yet, e.g. a bookmark known from the cache);
    ``total``: how many rows the dataset has (None: not known); ``where``: the filter the rows were read with
    (then they are not the dataset's rows, only those matching); ``origin``: "opened" (in the app), "recent",
    "bookmark" or "use" (``pdxtui sql --use``); ``source``: where the rows came from, for provenance
    (a :class:`pdxtui.provenance.Source`, or None)."""

    name: str
    dataset: Dataset
    frame: pl.DataFrame | None = None
    total: int | None = None
    where: str | None = None
    origin: str = "opened"
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    source: Any = None
    used: int = 0  # when its rows were last added or queried (a counter of its Tables): the least recent go first

    @property
    def loaded(self) -> int:
        return self.frame.height if self.frame is not None else 0

    @property
    def complete(self) -> bool:
        """The rows are all of the dataset's rows (known only when the dataset says how many it has)."""
        return self.frame is not None and not self.where and self.total is not None and self.loaded >= self.total

    def describe(self) -> str:
        """How many rows the table holds, in words: "all 52 rows", "1,000 of 218,000 rows loaded"."""
        if self.frame is None:
            return f"not loaded ({fmt_count(self.total)} rows)" if self.total is not None else "not loaded"
        if self.where:
            return f"{self.loaded:,} rows matching {self.where}"
        if self.complete:
            return f"all {self.loaded:,} rows"
        return f"{self.loaded:,} of {fmt_count(self.total)} rows loaded"

    def rows(self) -> pl.DataFrame:
        """The rows to query: those loaded, or none (with the dataset's columns) when none are."""
        if self.frame is not None:
            return self.frame
        import polars as pl

        from pdxtui.frames import polars_dtype

        return pl.DataFrame(schema={f.name: polars_dtype(f.dtype) for f in self.dataset.fields})


class Tables:
    """The tables of one run, in the order they came; a dataset keeps its name once it has one. ``budget``: the
    bytes of rows :meth:`trim` keeps (None: no limit)."""

    BUDGET = 512 * 1024 * 1024

    def __init__(self, budget: int | None = BUDGET) -> None:
        self._tables: dict[str, Table] = {}  # dataset key -> table
        self._names: dict[str, str] = {}  # dataset key -> name
        self.budget = budget
        self._clock = 0

    def __len__(self) -> int:
        return len(self._tables)

    def __iter__(self):
        return iter(list(self._tables.values()))

    def names(self) -> list[str]:
        return [t.name for t in self._tables.values()]

    def get(self, name: str) -> Table | None:
        """The table called ``name`` (any case: polars matches table names so)."""
        wanted = name.lower()
        return next((t for t in self._tables.values() if t.name.lower() == wanted), None)

    def of(self, dataset: Dataset) -> Table | None:
        return self._tables.get(dataset_key(dataset))

    def name_for(self, dataset: Dataset, name: str | None = None) -> str:
        """The name ``dataset`` has or would get (``name``: the one asked for, checked and refused when another
        dataset has it: :class:`pdxtui.errors.UsageError`)."""
        key = dataset_key(dataset)
        if name is not None:
            naming.check_name(name)
            other = self.get(name)
            if other is not None and dataset_key(other.dataset) != key:
                from pdxtui.errors import UsageError

                raise UsageError(
                    f"two datasets are named {name!r}: {other.dataset.id} and {dataset.id}; give each its own name"
                )
            return name
        if key in self._names:
            return self._names[key]
        return naming.assign([(key, dataset.title)], self._names)[key]

    def add(
        self,
        dataset: Dataset,
        frame: pl.DataFrame | None,
        total: int | None = None,
        *,
        where: str | None = None,
        origin: str = "opened",
        name: str | None = None,
        source: Any = None,
        read_at: datetime | None = None,
    ) -> Table:
        """Put ``dataset`` in with ``frame`` as its rows (replacing rows it had, unless those were all of them and
        these are not: a later preview of a dataset loaded in full keeps the full rows). Returns its table."""
        key = dataset_key(dataset)
        table_name = self.name_for(dataset, name)
        self._names[key] = table_name
        old = self._tables.get(key)
        new = Table(
            table_name,
            dataset,
            frame,
            total if total is not None else dataset.rows,
            where or None,
            origin if old is None or old.origin not in ("opened", "use") else old.origin,
            read_at or datetime.now(UTC),
            source,
        )
        if old is not None and old.complete and not new.complete:
            old.dataset = dataset
            self._touch(old)
            return old
        self._tables[key] = new
        self._touch(new)
        return new

    def _touch(self, table: Table) -> None:
        self._clock += 1
        table.used = self._clock

    def trim(self, keep: Iterable[Dataset] = ()) -> list[Table]:
        """Let the rows of the least recently used tables go (they stay as tables, not loaded) until the rows kept
        fit :attr:`budget`; the rows of ``keep`` (the dataset the browser shows) stay whatever their size. Returns
        the tables whose rows went."""
        if self.budget is None:
            return []
        kept = {dataset_key(ds) for ds in keep}
        held = [(key, t) for key, t in self._tables.items() if t.frame is not None]
        total = sum(t.frame.estimated_size() for _, t in held if t.frame is not None)
        dropped: list[Table] = []
        for key, table in sorted(held, key=lambda pair: pair[1].used):
            if total <= self.budget:
                break
            if key in kept or table.frame is None:
                continue
            total -= table.frame.estimated_size()
            table.frame, table.where, table.source = None, None, None
            dropped.append(table)
        return dropped

    def frames(self, names: Iterable[str] | None = None) -> dict[str, pl.DataFrame]:
        """Each table's rows by name (``names``: only those, which count as used now), for
        :func:`pdxtui.sql.engine.run`."""
        wanted = {n.lower() for n in names} if names is not None else None
        chosen = [t for t in self._tables.values() if wanted is None or t.name.lower() in wanted]
        for table in chosen if wanted is not None else ():  # those named are used: the last to let go
            self._touch(table)
        return {t.name: t.rows() for t in chosen}

    def used_by(self, sql: str) -> list[Table]:
        """The tables ``sql`` mentions, in the order it mentions them."""
        from pdxtui.sql.engine import referenced

        found = referenced(sql, self.names())
        used = [t for name in found if (t := self.get(name)) is not None]
        for table in used:  # a query uses them: the last to let go
            self._touch(table)
        return used
