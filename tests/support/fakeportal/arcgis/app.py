"""The fake ArcGIS portal's app: the switches, the answer cache, and routing to the Hub or REST half."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .. import fixtures
from ..changes import Change, changed_rows
from ..fixtures import CatalogItem, Dataset
from .common import HubError, Query, Response, arcgis_error, base_url, hub_error, json_response
from .hub import HubSite
from .rest import RestServices


class ArcGISApp(HubSite, RestServices):
    """Serves the Hub site under ``hub_prefix`` and the MapServer REST tree under ``rest_prefix``.

    Switches (plain attributes, safe to change between requests):
    ``hub_page_cap``: when set, a search page holds at most this many records whatever ``limit`` asks for; the
    ``next`` link still advances by what was returned, so clients that follow ``next`` get everything.
    ``search_limit``: the allowance the search answers' throttle headers count down from (a Hub site was seen
    with 10; the default is high so that ordinary tests never wait; the answer that uses it up says 0 remain);
    ``search_reset``: seconds sent as the reset header (None: no such header, as the real window is
    unconfirmed). ``searches_served`` counts the search answers.
    Freshness facts (tests/support/fakeportal/fresh.py): ``editing_info`` (dataset key -> the layer JSON's
    ``editingInfo``, whatever its shape; ``ABSENT`` drops it) and ``record_fields`` (item id -> fields of the Hub
    record's ``properties`` to replace, e.g. ``modified``; ``ABSENT`` drops one).
    """

    name = "arcgis"

    def __init__(
        self,
        hub_prefix: str = "/hub",
        rest_prefix: str = "/arcgis/rest/services",
        hub_page_cap: int | None = None,
        extra: Sequence[Dataset] = (),
    ):
        self.extra = tuple(extra)  # datasets served on top of fixtures.DATASETS (e.g. fixtures.HOSTILE)
        self.hub_prefix = "/" + hub_prefix.strip("/")
        self.rest_prefix = "/" + rest_prefix.strip("/")
        self.hub_page_cap = hub_page_cap
        self.search_limit = 10_000  # high enough that ordinary tests never see 0 remaining
        self.search_reset: float | None = None
        self.searches_served = 0
        self._cache: OrderedDict[tuple, Sequence[int]] = OrderedDict()
        self._cache_lock = threading.Lock()
        # Serialized answers of the read-only query endpoint, per (layer, normalized parameters). The fixture
        # data never change, so an answer is a pure function of its key. This keeps the fake cheap (a real portal
        # is another machine); latency, faults and the request log still apply per request in server.py.
        self._answers: OrderedDict[tuple, Response] = OrderedDict()
        self._answers_bytes = 0
        self.forbidden_items: set[str] = set()  # item ids whose /data answers 403 (a private item)
        self.editing_info: dict[str, Any] = {}
        self._changed: dict[str, Dataset] = {}  # layers changed by change(), by key
        self.record_fields: dict[str, dict[str, Any]] = {}

    def _catalog(self, collection: str) -> list[CatalogItem]:
        return fixtures.catalog(collection) + [fixtures.item_for(ds) for ds in self.extra if collection != "site"]

    def _datasets(self) -> list[Dataset]:
        served = list(fixtures.DATASETS.values()) + list(fixtures.SERVICE_TABLES) + list(self.extra)
        return [self._changed.get(d.key, d) for d in served]

    def _dataset_by_path(self, path: str) -> Dataset | None:
        lowered = path.rstrip("/").lower()
        found = fixtures.dataset_by_path(path) or next(
            (d for d in (*fixtures.SERVICE_TABLES, *self.extra) if d.path.lower() == lowered), None
        )
        return self._changed.get(found.key, found) if found is not None else None

    def change(self, key: str, change: Change) -> Dataset:
        """Change the layer ``key`` in place (tests/support/fakeportal/changes.py): its rows by OBJECTID, its
        fields, and (``change.touch``) its ``editingInfo.lastEditDate`` moved to now. Returns the layer as served."""
        ds = next((d for d in self._datasets() if d.key == key), None)
        if ds is None:
            raise KeyError(f"no layer {key!r}")
        oid = ds.object_id_field
        top = max((row[oid] for row in ds.rows), default=0)
        rows = changed_rows(
            ds.rows,
            replace(change, renumber=False),  # renumbered below, once each row has its shape
            oid,
            lambda n: top + 1 + n,
            lambda name, value: _as(change.retype[name], value),
        )
        shapes = {row[oid]: shape for row, shape in zip(ds.rows, ds.geometries, strict=True)}
        fields = [replace(f, type=change.retype.get(f.name, f.type)) for f in ds.fields]
        fields += [fixtures.Field(name, kind, name) for name, kind, _ in change.add_field]
        changed = replace(ds, fields=tuple(fields), row_count=len(rows))
        changed._rows = rows
        changed._geometries = [shapes.get(row[oid], ds.geometries[0] if ds.geometries else None) for row in rows]
        if change.renumber:  # an overwrite or truncate-and-append: every row a new OBJECTID after the highest
            changed._rows = [{**row, oid: top + 1 + len(change.add) + n} for n, row in enumerate(rows)]
        if change.touch:
            editing = self.editing_info.get(key, ds.editing_info)
            editing = dict(editing) if isinstance(editing, dict) else {}
            self.editing_info[key] = {**editing, "lastEditDate": int(time.time() * 1000)}
        self._changed[key] = changed
        with self._cache_lock:
            self._answers.clear()
            self._answers_bytes = 0
            self._cache.clear()
        return changed

    def item_data(self, path: str, forbidden: set[str]) -> Response:
        """``/sharing/rest/content/items/{id}/data``: a file item's bytes (403 with an error object when private)."""
        parts = path.strip("/").split("/")
        if len(parts) == 6 and parts[2:4] == ["content", "items"] and parts[5] == "data":
            if parts[4] in forbidden:
                return json_response(
                    {
                        "error": {
                            "code": 403,
                            "messageCode": "GWM_0003",
                            "message": "You do not have permissions to access this resource or perform this operation.",
                            "details": [],
                        }
                    },
                    status=403,
                )
            for item in self._catalog("all"):
                if item.id == parts[4] and item.data:
                    return 200, {"Content-Type": item.data_type}, item.data
        return json_response(
            {"error": {"code": 400, "message": "Item does not exist or is inaccessible.", "details": []}}, status=400
        )

    def mount(self, server: Any) -> None:
        server.mount(self.hub_prefix, self, name=self.name)
        server.mount(self.rest_prefix, self)
        server.mount("/sharing/rest", self)  # item content, as on the organisation's portal

    def handle(self, method: str, path: str, query: Query, headers: Any) -> Response:
        base = base_url(headers)
        if path == self.hub_prefix or path.startswith(self.hub_prefix + "/"):
            if method != "GET":
                return hub_error(405, f"{method} is not allowed")
            try:
                return self.hub(path[len(self.hub_prefix) :].rstrip("/"), query, base)
            except HubError as error:
                return hub_error(error.status, error.message)
        if path.startswith("/sharing/rest/"):
            return self.item_data(path, self.forbidden_items)
        if method not in ("GET", "POST"):
            return arcgis_error(405, "Method not allowed")
        return self.rest(path[len(self.rest_prefix) :].strip("/"), query, base)


def _as(kind: str, value: Any) -> Any:
    """A value as a field of type ``kind`` holds it (a retyped field: Integer→Double gives ``12.0``)."""
    if kind in (fixtures.DOUBLE, fixtures.SINGLE):
        return float(value)
    if kind in (fixtures.INTEGER, fixtures.SMALLINT):
        return int(value)
    return str(value) if kind == fixtures.STRING else value
