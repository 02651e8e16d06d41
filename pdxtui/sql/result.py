"""A query's result as data like any other: a :class:`~pdxtui.model.Dataset` for the grid and the export dialog,
and the provenance of its rows (the SQL text and each table it read, with that table's own source)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pdxtui.model import Dataset, Field
from pdxtui.sql.tables import Table
from pdxtui.textsafe import one_line

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.provenance import Source


def field_kind(dtype: Any) -> str:
    """The ``model.FIELD_KINDS`` kind of a polars dtype ("string" for anything without its own kind)."""
    import polars as pl

    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "float"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    return "string"


def fields_of(frame: pl.DataFrame, tables: Sequence[Table] = ()) -> tuple[Field, ...]:
    """The result's columns as fields: the polars type, and the alias and description of a source field of the
    same name and kind (``SELECT species FROM street_trees`` keeps what the portal said of ``species``) when the
    tables that have a column of that name all say the same of it (``SELECT b.OBJECTID FROM a JOIN b ...`` cannot
    tell whose OBJECTID it is: a description of the wrong one would mislead)."""
    said: dict[str, set[tuple[str, str, str]]] = {}  # name -> (kind, alias, description) of each table's field
    for table in tables:
        for f in table.dataset.fields:
            said.setdefault(f.name, set()).add((f.kind, f.alias, f.description))
    out = []
    for name, dtype in frame.schema.items():
        kind = field_kind(dtype)
        versions = said.get(name, set())
        source = Field(name, "", *next(iter(versions))) if len(versions) == 1 else None
        same = source is not None and source.kind == kind
        out.append(
            Field(
                name=name,
                type=str(dtype),
                kind=kind,
                alias=source.alias if same and source else "",
                description=source.description if same and source else "",
            )
        )
    return tuple(out)


def sql_id(sql: str) -> str:
    return "sql-" + hashlib.sha256(sql.strip().encode("utf-8", "surrogatepass")).hexdigest()[:10]


def result_dataset(sql: str, frame: pl.DataFrame, tables: Sequence[Table]) -> Dataset:
    """The result of ``sql`` over ``tables`` (those it used) as a dataset: titled by the query, owned by the
    sources' publishers, sample when any source is."""
    owners = list(dict.fromkeys(t.dataset.owner for t in tables if t.dataset.owner))
    licences = list(dict.fromkeys(t.dataset.licence for t in tables if t.dataset.licence))
    names = ", ".join(f"{t.name} ({one_line(t.dataset.title, 80)})" for t in tables) or "no table"
    return Dataset(
        id=sql_id(sql),
        title=f"SQL: {one_line(sql, 70)}",
        owner="; ".join(owners),
        description=f"The result of a SQL query over {names}.",
        licence="; ".join(licences),
        rows=frame.height,
        fields=fields_of(frame, tables),
        sample=any(t.dataset.sample for t in tables),
    )


@dataclass(frozen=True)
class SqlOrigin:
    """What a provenance record says of a result: the query and the tables it read (each with the source of its
    rows, when known), and the engine."""

    sql: str
    tables: tuple[Table, ...] = ()
    engine: str = field(default_factory=lambda: _engine())


def _engine() -> str:
    import polars as pl

    return f"polars {pl.__version__} (SQLContext)"


def result_source(
    sql: str,
    tables: Sequence[Table],
    *,
    secrets: Sequence[str] = (),
    retrieved_at: datetime | None = None,
) -> Source:
    """The :class:`pdxtui.provenance.Source` of a result: the portal of its tables, no request of its own (the
    rows were computed here), and the query with its tables (``Source.sql``)."""
    from pdxtui.provenance import Source

    first = next((t.source for t in tables if t.source is not None), None)
    return Source(
        portal_name=first.portal_name if first else "",
        portal_label=first.portal_label if first else "",
        portal_kind=first.portal_kind if first else "",
        portal_url=first.portal_url if first else "",
        organisation=first.organisation if first else "",
        site_name=first.site_name if first else "",
        query=None,
        query_url=None,
        scope="all",
        served_from="computed",
        secrets=tuple(secrets),
        retrieved_at=retrieved_at,
        from_service=False,
        sql=SqlOrigin(sql.strip(), tuple(tables)),
    )
