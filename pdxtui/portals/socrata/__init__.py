"""Socrata portals (most US cities: ``--portal socrata:https://data.cityofchicago.org``).

Wire formats follow ``portals.md`` ("Socrata"):

* search: ``GET {domain}/api/catalog/v1`` with ``domains`` and ``search_context`` set to the host,
  ``only=dataset``, ``q``, ``categories``, ``tags``, ``limit`` and ``offset``; ``resultSetSize`` is the total.
  When the domain's own path fails, the regional catalog (``REGIONAL_CATALOG``, same parameters) is used.
  ``offset + limit`` above 10,000 is refused by the API with a 400, so searches stop at 10,000 with a message.
* metadata: ``GET {domain}/api/views/{id}.json`` (times are epoch *seconds*; columns whose ``fieldName`` starts
  with ``:`` are dropped), and the row count from ``GET {domain}/resource/{id}.json?$select=count(*)``.
* rows: ``GET {domain}/resource/{id}.csv`` pages (``$limit``/``$offset``, always ``$order`` ending with ``:id``),
  fetched concurrently under the fetcher's per-host limit and yielded in order, parsed with polars and typed from
  the metadata. Where CSV cannot carry a column (``location`` and ``point`` objects) the page comes from
  ``.json`` instead, and each such column also gives ``latitude``/``longitude`` float columns (named as the
  ArcGIS portal names its point coordinates, so maps and GeoJSON export find them).
* filters and sorting run on the server as SoQL ``$where`` (:func:`pdxtui.filters.to_soql`) and ``$order``;
  value counts as ``$select=col, count(*) AS n`` with ``$group``.

The app token (``X-App-Token``) is sent by the :class:`pdxtui.net.Fetcher` as a header only: it is never part of a
URL, a cache key or a message. Without a token Socrata throttles by IP with 429; those are retried (net.py) and
the retry notices and the final error say that an app token avoids them.

Importing this module, creating the portal, ``search()``, ``facets()`` and ``dataset()`` import neither polars nor
pyarrow.
"""

from pdxtui.portals.socrata.portal import SocrataPortal
from pdxtui.portals.socrata.rows import empty_table, table_from_csv, table_from_json
from pdxtui.portals.socrata.wire import (
    SOCRATA_KINDS,
    TOKEN_HINT,
    epoch_seconds,
    parse_columns,
    socrata_error,
    socrata_time,
    soql_name,
)

#: the central catalog (North America) behind every Socrata domain, read when a catalog search falls back to it
#: (tests point it at their fake server)
REGIONAL_CATALOG = "https://api.us.socrata.com/api/catalog/v1"

__all__ = [
    "REGIONAL_CATALOG",
    "SOCRATA_KINDS",
    "TOKEN_HINT",
    "SocrataPortal",
    "empty_table",
    "epoch_seconds",
    "parse_columns",
    "socrata_error",
    "socrata_time",
    "soql_name",
    "table_from_csv",
    "table_from_json",
]
