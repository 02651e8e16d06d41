"""ArcGIS portals: an ArcGIS Hub site's catalog (OGC API Records search) and the ArcGIS REST layers
(MapServer / FeatureServer) behind its datasets. The profile ``portland`` is the City's PortlandMaps Open Data site.

Wire formats follow ``portals.md`` ("ArcGIS Hub search" and "ArcGIS REST layer"):

* search: ``GET {site}/api/search/v1/collections/dataset/items`` with ``q``, ``filter``, ``limit`` (<= 100),
  1-based ``startindex`` and ``sortBy=-properties.modified`` when there is no text; pages by ``links[rel=next]``;
  ``numberMatched`` is the total;
* metadata: the Hub record (``.../items/{id}``) merged with the layer's ``{url}?f=json`` and
  ``{url}/query?where=1=1&returnCountOnly=true&f=json``;
* rows: ``{url}/query`` pages (``resultOffset``/``resultRecordCount`` <= maxRecordCount), always ordered
  (``orderByFields`` ends with the OID field), fetched concurrently and yielded in order.

Every request goes through a :class:`pdxtui.net.Fetcher` (cache, retries, Retry-After, per-host limit). ArcGIS
errors sent with HTTP 200 are rejected by a ``validate`` callback, so they are never cached.

Importing this module, creating the portal, ``search()``, ``facets()`` and ``dataset()`` import neither polars nor
pyarrow; httpx is imported when the first request is made (the fetcher may be handed over as a factory).
"""

from pdxtui.portals.arcgis.hub import (
    PORTLAND_HOST,
    PORTLAND_LABEL,
    LayerError,
    category_label,
    epoch_ms,
    hub_filter,
    layer_url_for,
    pull_metadata_link,
    pull_update_frequency,
    quote_value,
)
from pdxtui.portals.arcgis.portal import ArcGISPortal
from pdxtui.portals.arcgis.rows import build_table, column, empty_table, rows_from_json, shape_geojson

__all__ = [
    "PORTLAND_HOST",
    "PORTLAND_LABEL",
    "ArcGISPortal",
    "LayerError",
    "build_table",
    "category_label",
    "column",
    "empty_table",
    "epoch_ms",
    "hub_filter",
    "layer_url_for",
    "pull_metadata_link",
    "pull_update_frequency",
    "quote_value",
    "rows_from_json",
    "shape_geojson",
]
