"""The fake Socrata portal: catalog v1 (the domain's own and the regional one), views metadata and SODA2 resources.

Mounted on a :class:`tests.support.fakeportal.server.FakeServer` (``SocrataApp().mount(server)``) as::

    {url}{prefix}/api/catalog/v1            the domain's catalog (portal string socrata:{url}{prefix})
    {url}/regional/api/catalog/v1           the regional catalog (api.us.socrata.com), same parameters
    {url}{prefix}/api/views/{id}.json       views metadata (epoch-second times, columns)
    {url}{prefix}/resource/{id}.json|.csv   rows: $select $where $order $group $limit $offset $q, simple filters

It follows the Socrata section of /work/shared/portals.md. Choices where real servers are unknown or vary:

* catalog: a parameter it does not know makes the answer empty (a misspelt parameter "silently returns nothing");
  ``offset + limit`` above 10,000 is a 400. The domain's items carry ``metadata.domain`` = the host the request
  came to (or ``domain`` when set), and ``domains`` must name it. Order: most viewed first.
* rows: SoQL is evaluated for real (a small parser below): ``= != <> < <= > >=``, ``IS [NOT] NULL``, ``[NOT] LIKE``
  (``%``/``_``, case-sensitive), ``[NOT] IN``, ``[NOT] BETWEEN``, ``AND OR NOT``, ``upper()``/``lower()``, string
  literals with ``''``, numbers, ``true``/``false``; timestamps compare with ``'YYYY-MM-DDTHH:MM:SS'`` text.
  Nulls follow SQL three-valued logic; ``ORDER BY`` puts nulls last ascending, first descending (PostgreSQL).
  Without ``$order`` rows come in a different order on every request (as real paging without an order can),
  so a client that pages without ordering gets gaps and duplicates. JSON values are strings (numbers too),
  checkboxes JSON booleans, null values are left out of each object; CSV quotes every value and leaves nulls
  empty. ``X-SODA2-Fields``/``X-SODA2-Types`` give the schema. ``$limit`` defaults to 1000.
* errors: ``{"code": "...", "error": true, "message": "..."}`` with a 4xx status.

The package: ``data`` (columns, row generators, DATASETS, CATALOG), ``soql`` (the SoQL tokenizer and evaluator),
``app`` (SocrataApp and ``start_socrata_server``). Every public name is importable from here.
"""

from __future__ import annotations

from .app import (
    CATALOG_PARAMS,
    CATALOG_WINDOW,
    CSV_TYPE,
    DEFAULT_LIMIT,
    HTML_TYPE,
    JSON_TYPE,
    MAX_LIMIT,
    ROW_PARAMS,
    Response,
    SocrataApp,
    socrata_error,
    start_socrata_server,
)
from .data import (
    CATALOG,
    DATASETS,
    INSPECTIONS,
    NAMES,
    RESULTS,
    RISKS,
    SERVICE_REQUESTS,
    SODA2_TYPES,
    SR_TYPES,
    TOPICS,
    TREE_NAMES,
    TREES,
    Column,
    SocrataDataset,
    inspection_rows,
    service_rows,
    tree_rows,
)
from .soql import KEYWORDS, Soql, SoqlError, Value, soda_text, tokens

__all__ = [
    "CATALOG",
    "CATALOG_PARAMS",
    "CATALOG_WINDOW",
    "CSV_TYPE",
    "DATASETS",
    "DEFAULT_LIMIT",
    "HTML_TYPE",
    "INSPECTIONS",
    "JSON_TYPE",
    "KEYWORDS",
    "MAX_LIMIT",
    "NAMES",
    "RESULTS",
    "RISKS",
    "ROW_PARAMS",
    "SERVICE_REQUESTS",
    "SODA2_TYPES",
    "SR_TYPES",
    "TOPICS",
    "TREES",
    "TREE_NAMES",
    "Column",
    "Response",
    "SocrataApp",
    "SocrataDataset",
    "Soql",
    "SoqlError",
    "Value",
    "inspection_rows",
    "service_rows",
    "socrata_error",
    "soda_text",
    "start_socrata_server",
    "tokens",
    "tree_rows",
]
