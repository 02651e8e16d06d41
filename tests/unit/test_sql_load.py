"""Loading every row of a dataset into a table (issue 20) against the fake portals: every row once, typed as the
portal declares, through servers that page well, badly (before ArcGIS 10.3) or wrongly (an offset ignored)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import polars as pl
import pytest

from pdxtui.errors import UsageError
from pdxtui.model import Dataset, Field
from pdxtui.sql.load import all_rows, load_into
from pdxtui.sql.tables import Tables
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.socrata import INSPECTIONS


def _service(portal: str):
    from pdxtui.session import open_session

    return open_session(portal=portal).service()


async def _all(service, dataset_id: str) -> tuple[Dataset, pl.DataFrame]:
    try:
        dataset = await service.dataset(dataset_id)
        return dataset, await all_rows(service, dataset)
    finally:
        await service.aclose()


@pytest.mark.parametrize("key", ["permits", "sewer_manholes", "drinking_fountains"])
def test_every_arcgis_row_once_whatever_the_servers_paging(fake_arcgis, key):
    fixture = DATASETS[key]
    service = _service(f"arcgis:{fake_arcgis.url}/hub")
    _, frame = asyncio.run(_all(service, fixture.id))
    assert frame.height == fixture.row_count > fixture.max_record_count  # more than one page
    assert frame["OBJECTID"].n_unique() == frame.height  # none doubled
    assert sorted(frame["OBJECTID"].to_list()) == sorted(r["OBJECTID"] for r in fixture.rows)  # none lost
    name_column = "PERMIT_NUM" if key == "permits" else "NAME"
    by_id = {r["OBJECTID"]: r[name_column] for r in fixture.rows}
    assert all(by_id[i] == v for i, v in frame.select("OBJECTID", name_column).iter_rows())  # values as sent


def test_arcgis_types_are_those_declared(fake_arcgis):
    fixture = DATASETS["permits"]
    service = _service(f"arcgis:{fake_arcgis.url}/hub")
    _, frame = asyncio.run(_all(service, fixture.id))
    schema = frame.schema
    assert schema["OBJECTID"].is_integer() and schema["VALUATION"] == pl.Float64
    assert isinstance(schema["ISSUED"], pl.Datetime) and schema["PERMIT_NUM"] == pl.String
    first = next(r for r in fixture.rows if r["OBJECTID"] == 1)
    row = frame.filter(pl.col("OBJECTID") == 1).row(0, named=True)
    assert row["ISSUED"] == datetime.fromtimestamp(first["ISSUED"] / 1000, UTC)
    assert row["VALUATION"] == first["VALUATION"]
    assert schema["latitude"] == pl.Float64 and frame["latitude"].null_count() == 0  # point geometry kept


def test_every_socrata_row_typed(fake_socrata):
    service = _service(f"socrata:{fake_socrata.url}")
    _, frame = asyncio.run(_all(service, INSPECTIONS.id))
    assert frame.height == len(INSPECTIONS.rows) and frame["inspection_id"].n_unique() == frame.height
    assert frame.schema["passed"] == pl.Boolean and isinstance(frame.schema["inspection_date"], pl.Datetime)
    assert frame.schema["score"] == pl.Float64
    sent = sorted(float(r["inspection_id"]) for r in INSPECTIONS.rows)
    assert sorted(frame["inspection_id"].to_list()) == sent
    assert frame["risk"].null_count() == sum(1 for r in INSPECTIONS.rows if r["risk"] is None)  # no null added


def test_load_into_makes_a_complete_table_with_its_source(fake_arcgis):
    fixture = DATASETS["heritage_trees"]

    async def go():
        service = _service(f"arcgis:{fake_arcgis.url}/hub")
        try:
            dataset = await service.dataset(fixture.id)
            tables = Tables()
            heard = []
            table = await load_into(tables, service, dataset, origin="use", secrets=("s3cr3t",), progress=heard.append)
            with pytest.raises(UsageError, match="two datasets are named 'heritage_trees'"):
                other = await service.dataset(DATASETS["permits"].id)
                await load_into(tables, service, other, name="heritage_trees")
            return tables, table, heard
        finally:
            await service.aclose()

    served_before = len(fake_arcgis.requests)
    tables, table, heard = asyncio.run(go())
    assert table.name == "heritage_trees" and table.complete and table.origin == "use"
    assert table.loaded == table.total == fixture.row_count and tables.names() == ["heritage_trees"]
    assert table.source.query_url and fixture.path + "/query" in table.source.query_url
    assert table.source.secrets == ("s3cr3t",) and table.source.served_from == "network"
    assert table.source.retrieved_at == table.read_at
    assert heard and heard[-1].rows == fixture.row_count
    later = fake_arcgis.requests[served_before:]
    permits_rows = [r for r in later if DATASETS["permits"].path in r.path and "resultOffset" in r.params]
    assert permits_rows == []  # the clash was said before any row was read


class _NoRows:
    """A service (and its portal) whose dataset has no row at all."""

    @property
    def portal(self):
        return self

    async def pages(self, dataset, query, progress=None):
        return
        yield


def test_a_dataset_without_rows_gives_its_columns_typed():
    dataset = Dataset(
        id="x", title="Empty", rows=0, fields=(Field("n", "integer", "integer"), Field("when", "date", "datetime"))
    )
    frame = asyncio.run(all_rows(_NoRows(), dataset))  # type: ignore[arg-type]  # a stand-in for a Service
    assert frame.height == 0 and frame.columns == ["n", "when"] and frame.schema["n"].is_integer()
    assert isinstance(frame.schema["when"], pl.Datetime)
