"""What the fakes need to serve freshness facts as servers of every age do: dates relative to now (so a test that
checks a state is right on any day, in a CLI subprocess too), and overrides of the fields a record carries,
``ABSENT`` dropping a field altogether (an older server that does not send it).

    app.editing_info["permits"] = {"lastEditDate": ms_ago(3)}          # ArcGIS layer JSON
    app.record_fields[ds.id] = {"modified": ABSENT}                    # ArcGIS Hub record
    app.view_fields["insp-2345"] = {"rowsUpdatedAt": ABSENT}           # Socrata views JSON
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()


def ago(days: float) -> datetime:
    """Now, less ``days`` days (UTC)."""
    return datetime.now(UTC) - timedelta(days=days)


def ms_ago(days: float) -> int:
    """Epoch milliseconds ``days`` days ago (ArcGIS)."""
    return int(ago(days).timestamp() * 1000)


def s_ago(days: float) -> int:
    """Epoch seconds ``days`` days ago (Socrata views)."""
    return int(ago(days).timestamp())


def iso_ago(days: float, zone: bool = False) -> str:
    """ISO text ``days`` days ago: as CKAN writes it (no zone, microseconds), or with ``Z`` (Socrata's catalog)."""
    moment = ago(days)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z") if zone else moment.replace(tzinfo=None).isoformat()


def overridden(record: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    """``record`` with ``changes`` applied: a value replaces the field, ``ABSENT`` removes it."""
    if not changes:
        return record
    out = dict(record)
    for name, value in changes.items():
        if value is ABSENT:
            out.pop(name, None)
        else:
            out[name] = value
    return out
