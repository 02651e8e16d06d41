"""Freshness through the portal classes (issue 18 §1): each fake serves its portal's real date and cadence fields,
in the shapes servers of other ages and configurations send, and each portal puts its best date for the data
(``data_updated``) and the stated cadence on its datasets and search hits, so that every state comes out.

Dates are relative to now (tests/support/fakeportal/fresh.py): right on any day."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

import pytest

from pdxtui import freshness
from pdxtui.model import SearchRequest
from pdxtui.net import Fetcher, make_client
from pdxtui.portals import open_portal, parse_portal
from tests.support.fakeportal.fixtures import DATASETS, OTHER_ITEMS
from tests.support.fakeportal.fixtures.datasets import GARDENS_ID
from tests.support.fakeportal.fresh import ABSENT, iso_ago, ms_ago, s_ago

PERMITS = DATASETS["permits"]  # "Update Frequency: Monthly" (31 days)
HERITAGE = DATASETS["heritage_trees"]  # "Annually"
TREES = DATASETS["street_trees"]  # "Weekly"
MAP_SERVICE = OTHER_ITEMS[0]  # the Environment map service: street trees (1415), heritage trees (26), a table (230)
INSPECTIONS = "insp-2345"  # custom field "Update Frequency": "Daily"


@contextlib.asynccontextmanager
async def opened(portal: str):
    spec = parse_portal(portal)
    client = make_client(timeout_connect=2, timeout_read=5, trust_env=False)
    made = open_portal(spec, fetcher=Fetcher(portal, client=client), close_fetcher=False)
    try:
        yield made
    finally:
        await made.aclose()
        await client.aclose()


def ms_moment(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


# -- ArcGIS --------------------------------------------------------------------------------------------------------


@pytest.fixture
def arcgis(fake_arcgis):
    return fake_arcgis.apps["arcgis"], f"arcgis:{fake_arcgis.url}/hub"


async def arcgis_dataset(arcgis, ident=PERMITS.id):
    async with opened(arcgis[1]) as portal:
        return await portal.dataset(ident)


@pytest.mark.parametrize(
    ("days", "state"), [(3, freshness.FRESH), (40, freshness.DUE), (70, freshness.OVERDUE)]
)  # monthly: due past 31 days, overdue past 62
async def test_arcgis_states_from_the_layers_last_edit(arcgis, days, state):
    app, _ = arcgis
    edited = ms_ago(days)
    app.editing_info["permits"] = {"lastEditDate": edited}
    app.record_fields[PERMITS.id] = {"modified": ms_ago(1)}  # the item changed since: not the data
    ds = await arcgis_dataset(arcgis)
    assert ds.update_frequency == "Monthly"
    assert ds.data_updated == ms_moment(edited)
    assert freshness.of(ds).state == state


async def test_arcgis_prefers_the_data_edit_date_to_the_layer_edit_date(arcgis):
    """lastEditDate also moves when only the schema or the layer's properties change; dataLastEditDate does not."""
    app, _ = arcgis
    app.editing_info["permits"] = {
        "lastEditDate": ms_ago(1),
        "schemaLastEditDate": ms_ago(1),
        "dataLastEditDate": ms_ago(70),
    }
    ds = await arcgis_dataset(arcgis)
    assert freshness.of(ds).state == freshness.OVERDUE
    app.editing_info["permits"] = {"dataLastEditDate": ms_ago(3)}  # a server that sends only that one
    assert freshness.of(await arcgis_dataset(arcgis)).state == freshness.FRESH


async def test_arcgis_without_editing_info_falls_back_to_the_hub_records_modified(arcgis):
    app, _ = arcgis
    app.editing_info["permits"] = ABSENT  # Portland's MapServers, servers before 10.1
    modified = ms_ago(40)
    app.record_fields[PERMITS.id] = {"modified": modified}
    ds = await arcgis_dataset(arcgis)
    assert ds.data_updated == ms_moment(modified) == ds.updated
    assert freshness.of(ds).state == freshness.DUE


async def test_arcgis_with_no_date_at_all_or_no_cadence_is_unknown(arcgis):
    app, _ = arcgis
    app.editing_info["permits"] = ABSENT
    app.record_fields[PERMITS.id] = {"modified": ABSENT}
    ds = await arcgis_dataset(arcgis)
    judged = freshness.of(ds)
    assert ds.data_updated is None and judged.state == freshness.UNKNOWN and judged.cadence.name == "monthly"
    app.record_fields[PERMITS.id] = {"description": "<p>Permits.</p><p>Update Frequency: As needed</p>"}
    app.editing_info["permits"] = {"lastEditDate": ms_ago(400)}
    judged = freshness.of(await arcgis_dataset(arcgis))
    assert judged.state == freshness.UNKNOWN and judged.cadence.stated == "As needed"


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (0, None),  # "never"
        (-1, None),
        (None, None),
        ("", None),
        ("not a date", None),
        ({"epoch": 5}, None),
        (True, None),
        (253402214400000, None),  # 9999-12-31: a placeholder, not an edit
        ("12/23/2005 12:00:00 AM", datetime(2005, 12, 23, tzinfo=UTC)),  # a server before 10.0
        ("2024-05-01T12:30:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        (1714566600, datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),  # seconds where milliseconds belong
        ("1714566600000", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),  # milliseconds as text
    ],
)
async def test_arcgis_odd_edit_dates_never_crash_and_never_invent(arcgis, caplog, sent, read):
    app, _ = arcgis
    modified = ms_ago(3)
    app.record_fields[PERMITS.id] = {"modified": modified}
    app.editing_info["permits"] = {"lastEditDate": sent}
    with caplog.at_level(logging.WARNING, logger="pdxtui"):
        ds = await arcgis_dataset(arcgis)
    assert ds.data_updated == (read or ms_moment(modified))  # unreadable: the Hub record's date
    said = [r.getMessage() for r in caplog.records if "editingInfo.lastEditDate" in r.getMessage()]
    if read is None and sent not in (None, ""):
        assert said and "not a date" in said[0]  # a value sent is never dropped without a word
    else:
        assert not said


async def test_arcgis_odd_editing_info_shapes(arcgis):
    app, _ = arcgis
    modified = ms_ago(3)
    app.record_fields[PERMITS.id] = {"modified": modified}
    for odd in ("2024-01-01", [1, 2], 12345, None):
        app.editing_info["permits"] = odd
        assert (await arcgis_dataset(arcgis)).data_updated == ms_moment(modified), odd
    app.record_fields[PERMITS.id] = {"modified": "last Tuesday"}
    app.editing_info["permits"] = ABSENT
    assert (await arcgis_dataset(arcgis)).data_updated is None


async def test_arcgis_search_hits_carry_the_cadence_and_the_records_date(arcgis):
    """A hit is judged on its Hub record (the layer is not read per hit); opening it may find a better date."""
    app, portal = arcgis
    modified = ms_ago(70)
    app.record_fields[PERMITS.id] = {"modified": modified}
    app.editing_info["permits"] = {"lastEditDate": ms_ago(2)}
    async with opened(portal) as made:
        hits = (await made.search(SearchRequest(text="residential building permits", limit=5))).hits
    hit = next(h for h in hits if h.id == PERMITS.id)
    assert hit.update_frequency == "Monthly" and hit.data_updated == ms_moment(modified)
    assert freshness.of(hit).state == freshness.OVERDUE
    assert freshness.of(await arcgis_dataset(arcgis)).state == freshness.FRESH


async def test_arcgis_each_layer_of_a_service_tables_and_file_items_have_their_own_date(arcgis):
    app, _ = arcgis
    service_modified, trees_edit, table_modified = ms_ago(500), ms_ago(2), ms_ago(900)
    app.record_fields[MAP_SERVICE.id] = {"modified": service_modified}
    app.editing_info["street_trees"] = {"lastEditDate": trees_edit}
    overview = await arcgis_dataset(arcgis, MAP_SERVICE.id)
    assert overview.layers and overview.data_updated == ms_moment(service_modified)  # no one layer: the item's
    layer = await arcgis_dataset(arcgis, f"{MAP_SERVICE.id}_1415")
    assert layer.data_updated == ms_moment(trees_edit)
    table = await arcgis_dataset(arcgis, f"{MAP_SERVICE.id}_230")  # a table without editingInfo: the item's
    assert table.data_updated == ms_moment(service_modified)
    app.record_fields[GARDENS_ID] = {"modified": table_modified}
    csv_item = await arcgis_dataset(arcgis, GARDENS_ID)
    assert csv_item.data_updated == ms_moment(table_modified)


async def test_arcgis_fixture_layers_as_served(arcgis):
    """The fake's own layers: heritage trees carries dataLastEditDate beside a later lastEditDate; street trees none."""
    heritage = await arcgis_dataset(arcgis, HERITAGE.id)
    assert heritage.data_updated == ms_moment(HERITAGE.editing_info["dataLastEditDate"])
    trees = await arcgis_dataset(arcgis, TREES.id)
    assert trees.data_updated == ms_moment(TREES.modified)


# -- Socrata -------------------------------------------------------------------------------------------------------


@pytest.fixture
def socrata(fake_socrata):
    return fake_socrata.apps["socrata"], f"socrata:{fake_socrata.url}"


async def socrata_dataset(socrata, ident=INSPECTIONS):
    async with opened(socrata[1]) as portal:
        return await portal.dataset(ident)


@pytest.mark.parametrize(("days", "state"), [(0.5, freshness.FRESH), (1.5, freshness.DUE), (3, freshness.OVERDUE)])
async def test_socrata_states_from_rows_updated_at(socrata, days, state):
    app, _ = socrata
    rows = s_ago(days)
    app.view_fields[INSPECTIONS] = {"rowsUpdatedAt": rows, "viewLastModified": s_ago(0.1)}  # a newer metadata edit
    ds = await socrata_dataset(socrata)
    assert ds.update_frequency == "Daily"
    assert ds.data_updated == datetime.fromtimestamp(rows, UTC)
    assert freshness.of(ds).state == state


async def test_socrata_without_rows_updated_at_falls_back_to_view_last_modified(socrata):
    app, _ = socrata
    modified = s_ago(1.5)
    app.view_fields[INSPECTIONS] = {"rowsUpdatedAt": ABSENT, "viewLastModified": modified}
    ds = await socrata_dataset(socrata)
    assert ds.data_updated == datetime.fromtimestamp(modified, UTC)
    assert freshness.of(ds).state == freshness.DUE
    app.view_fields[INSPECTIONS] = {"rowsUpdatedAt": ABSENT, "viewLastModified": ABSENT}
    assert freshness.of(await socrata_dataset(socrata)).state == freshness.UNKNOWN


async def test_socrata_without_a_custom_frequency_is_unknown(socrata):
    app, _ = socrata
    app.view_fields[INSPECTIONS] = {"rowsUpdatedAt": s_ago(0.5), "metadata": ABSENT}
    ds = await socrata_dataset(socrata)
    assert ds.update_frequency == "" and freshness.of(ds).state == freshness.UNKNOWN
    app.view_fields[INSPECTIONS] = {"metadata": {"custom_fields": {"Dataset Info": {"Refresh cadence": "Weekly"}}}}
    assert (await socrata_dataset(socrata)).update_frequency == "Weekly"


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (0, None),
        (-5, None),
        ("never", None),
        ("", None),
        ([], None),
        (1714566600000, datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),  # milliseconds where seconds belong
        ("2024-05-01T12:30:00.000Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("1714566600", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ],
)
async def test_socrata_odd_rows_updated_at_never_crash_and_never_invent(socrata, sent, read):
    app, _ = socrata
    modified = s_ago(0.5)
    app.view_fields[INSPECTIONS] = {"rowsUpdatedAt": sent, "viewLastModified": modified}
    ds = await socrata_dataset(socrata)
    assert ds.data_updated == (read or datetime.fromtimestamp(modified, UTC))


async def test_socrata_hits_carry_data_updated_at_and_the_domain_metadata_cadence(socrata):
    app, portal = socrata

    async def hit():
        async with opened(portal) as made:
            hits = (await made.search(SearchRequest(text="food inspections", limit=5))).hits
        return next(h for h in hits if h.id == INSPECTIONS)

    app.catalog_fields[INSPECTIONS] = {"resource": {"data_updated_at": iso_ago(1.5, zone=True)}}
    found = await hit()
    assert found.update_frequency == "Daily" and freshness.of(found).state == freshness.DUE
    # no data_updated_at (an older catalog): updatedAt
    app.catalog_fields[INSPECTIONS] = {"resource": {"data_updated_at": ABSENT, "updatedAt": iso_ago(0.5, zone=True)}}
    assert freshness.of(await hit()).state == freshness.FRESH
    # domain_metadata in other shapes, or none
    for shape, cadence in (
        (ABSENT, ""),
        ({"Refresh_Update-Frequency": "Weekly"}, "Weekly"),
        ("Weekly", ""),
        ([{"key": "Refresh_Owner", "value": "x"}, "junk", {"key": "Update-Frequency"}], ""),
    ):
        app.catalog_fields[INSPECTIONS] = {"classification": {"domain_metadata": shape}}
        assert (await hit()).update_frequency == cadence, shape


# -- CKAN ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def ckan(fake_ckan):
    return fake_ckan.apps["ckan"], f"ckan:{fake_ckan.url}"


async def ckan_dataset(ckan, ident="street-trees"):
    async with opened(ckan[1]) as portal:
        return await portal.dataset(ident)


@pytest.mark.parametrize(("days", "state"), [(10, freshness.FRESH), (400, freshness.DUE), (800, freshness.OVERDUE)])
async def test_ckan_states_from_the_newest_resource_last_modified(ckan, days, state):
    app, _ = ckan
    trees = app.package("street-trees")  # "Annually" in extras
    trees.resources[0].last_modified = iso_ago(days)  # ISO without a zone, as CKAN writes it: UTC
    trees.resources[1].last_modified = iso_ago(days + 300)
    trees.modified = iso_ago(1)
    ds = await ckan_dataset(ckan)
    assert ds.update_frequency == "Annually"
    assert ds.data_updated is not None and ds.data_updated.tzinfo is not None
    assert (
        abs(
            (
                datetime.fromisoformat(trees.resources[0].last_modified).replace(tzinfo=UTC) - ds.data_updated
            ).total_seconds()
        )
        < 1
    )
    assert freshness.of(ds).state == state


async def test_ckan_without_resource_last_modified_falls_back_to_metadata_modified(ckan):
    app, _ = ckan
    bikes = app.package("bike-counts")  # its one resource is a link: last_modified null; accrualPeriodicity R/P1D
    bikes.modified = iso_ago(1.5)
    ds = await ckan_dataset(ckan, "bike-counts")
    assert freshness.of(ds).cadence.name == "daily" and freshness.of(ds).state == freshness.DUE
    assert ds.data_updated == datetime.fromisoformat(bikes.modified).replace(tzinfo=UTC)


async def test_ckan_a_resource_opened_by_id_is_judged_on_its_own_date(ckan):
    app, _ = ckan
    budget = app.package("city-budget")
    budget.fields = {"frequency": "annual"}  # a field of its own (ckanext-scheming)
    budget.resources[0].last_modified = iso_ago(800)  # 2023
    budget.resources[1].last_modified = iso_ago(10)  # 2024
    budget.resources[2].last_modified = None
    assert freshness.of(await ckan_dataset(ckan, "city-budget")).state == freshness.FRESH  # the newest resource
    old = await ckan_dataset(ckan, f"city-budget/{budget.resources[0].id}")
    assert freshness.of(old).state == freshness.OVERDUE


@pytest.mark.parametrize(
    ("extras", "fields", "cadence"),
    [
        ([{"key": "accrualPeriodicity", "value": "R/P1W"}], {}, "weekly"),  # DCAT, data.gov
        ([{"key": "frequency", "value": "weekly"}], {}, "weekly"),
        ([], {"frequency": "weekly"}, "weekly"),  # ckanext-scheming: a field of its own
        ([], {"accrualPeriodicity": "R/P1M"}, "monthly"),
        ([], {}, ""),
        ("not a list", {}, ""),
    ],
)
async def test_ckan_cadence_from_frequency_or_accrual_periodicity(ckan, extras, fields, cadence):
    app, portal = ckan
    trees = app.package("street-trees")
    trees.extras, trees.fields = extras, fields
    trees.resources[0].last_modified = iso_ago(3)
    ds = await ckan_dataset(ckan)
    judged = freshness.of(ds)
    assert judged.cadence.name == cadence
    assert judged.state == (freshness.FRESH if cadence else freshness.UNKNOWN)
    async with opened(portal) as made:  # package_search returns the same dicts
        hits = (await made.search(SearchRequest(text="street tree", limit=5))).hits
    hit = next(h for h in hits if h.id == "street-trees")
    assert hit.update_frequency == ds.update_frequency and hit.data_updated == ds.data_updated


@pytest.mark.parametrize("sent", ["", "not a date", "2024-13-45T00:00:00"])
async def test_ckan_odd_last_modified_falls_back_without_crashing(ckan, sent):
    app, _ = ckan
    trees = app.package("street-trees")
    trees.resources[0].last_modified = sent
    trees.resources[1].last_modified = None
    trees.modified = "2024-05-01T12:30:00.123456"
    ds = await ckan_dataset(ckan)
    assert ds.data_updated == datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)
    trees.modified = "junk"
    assert (await ckan_dataset(ckan)).data_updated is None
