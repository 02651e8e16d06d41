"""Reading the date a portal says its data last changed (pdxtui/portals/datadates.py and each portal's choice of
field), over the values servers of every age send: never a crash, never an invented date."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import pytest

from pdxtui.portals.arcgis.dates import arcgis_time, data_updated, hit_frequency
from pdxtui.portals.ckan.wire import data_updated as ckan_data_updated
from pdxtui.portals.ckan.wire import package_frequency
from pdxtui.portals.datadates import best_date, edit_time
from pdxtui.portals.socrata.wire import hit_frequency as socrata_hit_frequency

MAY = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714566600, MAY),  # epoch seconds (Socrata views)
        (1714566600000, MAY),  # epoch milliseconds (ArcGIS)
        (1714566600.0, MAY),
        ("1714566600000", MAY),
        ("2024-05-01T12:30:00", MAY),  # CKAN: no zone, UTC
        ("2024-05-01T12:30:00.000Z", MAY),  # Socrata's catalog
        ("2024-05-01T05:30:00-07:00", MAY),  # another zone: the same moment, in UTC
        (" 2024-05-01T12:30:00 ", MAY),
        (0, None),
        (-1, None),
        (-1714566600000, None),
        (None, None),
        ("", None),
        ("   ", None),
        ("N/A", None),
        ("12/23/2005", None),  # not ISO (ArcGIS reads it: arcgis_time)
        (True, None),
        (False, None),
        (math.nan, None),
        (math.inf, None),
        (1e300, None),
        ([], None),
        ({}, None),
        ("9999-12-31T00:00:00", None),  # a placeholder, not an edit
    ],
)
def test_edit_time(value, expected):
    assert edit_time(value) == expected


def test_edit_time_is_aware_utc_and_refuses_far_ahead():
    tomorrow_noon = datetime.now(UTC) + timedelta(hours=12)
    assert edit_time(tomorrow_noon.isoformat()) == tomorrow_noon  # clocks a little ahead are let be
    assert edit_time((datetime.now(UTC) + timedelta(days=3)).isoformat()) is None
    moment = edit_time("2024-05-01T14:30:00+02:00")
    assert moment == MAY and moment is not None and moment.utcoffset() == timedelta(0)


def test_best_date_takes_the_first_readable_and_says_what_it_could_not_read(caplog):
    with caplog.at_level(logging.WARNING, logger="pdxtui"):
        got = best_date(
            "Permits (x)",
            (("first", "garbage", edit_time), ("absent", None, edit_time), ("third", 1714566600, edit_time)),
        )
    assert got == MAY
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "Permits (x): first 'garbage' is not a date" in said[0]
    assert best_date("x", ()) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12/23/2005 12:00:00 AM", datetime(2005, 12, 23, tzinfo=UTC)),
        ("12/23/2005", datetime(2005, 12, 23, tzinfo=UTC)),
        (1714566600000, MAY),
        ("13/45/2005", None),
        ("", None),
    ],
)
def test_arcgis_time(value, expected):
    assert arcgis_time(value) == expected


def test_arcgis_data_updated_order():
    record = {"modified": 1714566600000}
    both = {"editingInfo": {"lastEditDate": 1714652999000, "dataLastEditDate": 1714566600000}}
    assert data_updated("x", {}, both) == MAY  # dataLastEditDate first
    assert data_updated("x", record, {"editingInfo": {"lastEditDate": 0}}) == MAY  # 0: the record's date
    assert data_updated("x", record, {"editingInfo": "yes"}) == MAY
    assert data_updated("x", record, None) == MAY
    assert data_updated("x", {}, {}) is None


def test_arcgis_hit_frequency():
    assert hit_frequency({"description": "<p>Trees.</p><p><strong>Update Frequency:</strong> Weekly</p>"}) == "Weekly"
    assert hit_frequency({"description": "<p>Trees.</p>"}) == ""
    assert hit_frequency({"description": None}) == hit_frequency({}) == ""


def test_socrata_hit_frequency_shapes():
    listed = [{"key": "Dataset-Information_Update-Frequency", "value": " Monthly "}]
    assert socrata_hit_frequency({"domain_metadata": listed}) == "Monthly"
    assert socrata_hit_frequency({"domain_metadata": {"Refresh_Update-Frequency": "Weekly"}}) == "Weekly"
    for odd in (None, "Weekly", 5, [None, "x", {"key": "Update-Frequency", "value": 7}], [{"value": "Weekly"}]):
        assert socrata_hit_frequency({"domain_metadata": odd}) == "", odd
    assert socrata_hit_frequency({}) == ""


def test_ckan_package_facts():
    package = {
        "metadata_modified": "2023-01-01T00:00:00.000001",
        "resources": [
            {"id": "a", "last_modified": "2024-05-01T12:30:00"},
            {"id": "b", "last_modified": "2024-04-01T00:00:00"},
            {"id": "c", "last_modified": None},
            "not a resource",
        ],
        "extras": [{"key": "accrualPeriodicity", "value": "R/P1W"}],
    }
    assert ckan_data_updated(package, "x") == MAY
    assert ckan_data_updated(package, "x", "b") == datetime(2024, 4, 1, tzinfo=UTC)
    assert ckan_data_updated(package, "x", "c") == datetime(2023, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert ckan_data_updated({"resources": "none"}, "x") is None
    assert package_frequency(package) == "R/P1W"
    assert package_frequency({"frequency": "weekly", "extras": package["extras"]}) == "weekly"
    assert package_frequency({"extras": [{"key": "Frequency", "value": "Daily"}, "junk"]}) == "Daily"
    assert package_frequency({"extras": {"frequency": "x"}}) == ""
