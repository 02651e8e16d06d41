"""Freshness facts of ArcGIS datasets and Hub search hits: when the data last changed, and the stated cadence.

Which date (portals.md, "When the data last changed"), best first:

1. the layer JSON's ``editingInfo.dataLastEditDate``: the last edit of the **data** alone (ArcGIS Online and newer
   Enterprise servers send it beside ``lastEditDate``);
2. ``editingInfo.lastEditDate``: the last edit of the layer, which also moves when only its schema or properties
   change, so it is the second choice where both are sent;
3. the Hub record's ``modified``: when the catalog item last changed (Portland's MapServers send no editingInfo,
   nor do servers before 10.1; map services with several layers, tables opened as a whole and file items have only
   this one).

All are epoch milliseconds; servers before 10.0 write text (``12/23/2005 12:00:00 AM``); null, 0, negative numbers
and text that is no date are not dates (:mod:`pdxtui.portals.datadates`). A layer with neither editingInfo nor a
readable record date has no date: its freshness is unknown.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from pdxtui.htmltext import html_to_text
from pdxtui.model import as_dict, as_text
from pdxtui.portals.arcgis.hub import pull_update_frequency
from pdxtui.portals.arcgis.rows import text_moment
from pdxtui.portals.datadates import best_date, edit_time


def arcgis_time(value: Any) -> datetime | None:
    """An ArcGIS date: epoch milliseconds (seconds read as such), ISO text, or an old server's ``M/D/YYYY`` text."""
    if isinstance(value, str) and value.strip():
        moment = text_moment(value.strip())
        if moment is not None:
            return edit_time(moment.isoformat())  # the same checks (a date far ahead is none)
    return edit_time(value)


def data_updated(what: str, record: dict[str, Any], layer: dict[str, Any] | None = None) -> datetime | None:
    """When the data of a dataset last changed: its layer JSON's editingInfo (``layer``: that JSON, when the
    dataset is one layer or table), else its Hub record's ``modified``."""
    editing = as_dict(as_dict(layer).get("editingInfo"))
    return best_date(
        what,
        (
            ("editingInfo.dataLastEditDate", editing.get("dataLastEditDate"), arcgis_time),
            ("editingInfo.lastEditDate", editing.get("lastEditDate"), arcgis_time),
            ("the Hub record's modified", record.get("modified"), arcgis_time),
        ),
    )


def hit_frequency(record: dict[str, Any]) -> str:
    """The "Update Frequency:" line of a Hub record's description ("" when it has none), read for search hits as
    for datasets: only from descriptions that hold the word, and each description once (the facets count the same
    records again; rendering HTML is a tenth of a millisecond a record)."""
    raw = as_text(record.get("description"))
    if "frequency" not in raw.lower():
        return ""
    return _frequency_in(raw)


@lru_cache(maxsize=1024)
def _frequency_in(html: str) -> str:
    return pull_update_frequency(html_to_text(html))[1]
