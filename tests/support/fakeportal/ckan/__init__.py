"""The fake CKAN portal: the Action API (``/api/3/action/...``) and the resource files it points at.

Mounted at a prefix (``""`` by default, so the portal string is ``ckan:{server.url}``)::

    {url}{prefix}/api/3/action/package_search?q=&fq=&rows=&start=&sort=&facet.field=&facet.limit=
    {url}{prefix}/api/3/action/package_show?id=
    {url}{prefix}/api/3/action/datastore_search?resource_id=&limit=&offset=&q=&filters=&include_total=
    {url}{prefix}/dataset/{package}/resource/{id}/download/{file}           CSV, PDF and ZIP files

It follows "CKAN" in /work/shared/portals.md: every answer is ``{"help", "success", "result"}``; failures are
``{"help", "success": false, "error": {"__type": ..., ...}}`` with CKAN's statuses (404 Not Found Error, 409
Validation Error with field messages and no ``message``, 400 Search Query Error, 403 Authorization Error).
Choices where real sites vary: unknown parameters of an action are a 409 Validation Error (so a misspelt
parameter fails loudly); package_search ``rows`` defaults to 10 (at most 1000); datastore_search ``limit``
defaults to 100 (at most 32000); records always carry ``_id`` and come ordered by it; ``q`` on package_search
matches every word (case-insensitive substring) against title, name, notes and tags.

Switches (plain attributes): ``envelope_on_200``: action names that answer HTTP 200 with ``success: false``
(as some proxies and old sites do); ``datastore_gone``: resource ids that package_show still calls
``datastore_active`` but whose datastore table is missing (a real CKAN failure mode); ``require_token``: when set,
every request must carry ``Authorization: <token>`` (else 403 Authorization Error); ``tokens_seen``: the
Authorization values receiv

The package: ``data`` (organizations, groups, tables, packages), ``app`` (CKANApp and ``start_ckan_server``).
Every public name is importable from here.
"""

from __future__ import annotations

from .app import (
    DATASTORE_DEFAULT_LIMIT,
    DATASTORE_PARAMS,
    DATASTORE_ROWS_MAX,
    HELP,
    JSON_TYPE,
    SEARCH_PARAMS,
    SEARCH_ROWS_MAX,
    SHOW_PARAMS,
    CKANApp,
    CKANFailure,
    Query,
    Response,
    invalid,
    not_found,
    start_ckan_server,
)
from .data import (
    DEPARTMENTS,
    GROUPS,
    ORGS,
    PDF,
    SPECIES,
    STATIONS,
    FakePackage,
    FakeResource,
    Table,
    bikes_table,
    budget_table,
    make_packages,
    orphan_packages,
    trees_table,
)

__all__ = [
    "DATASTORE_DEFAULT_LIMIT",
    "DATASTORE_PARAMS",
    "DATASTORE_ROWS_MAX",
    "DEPARTMENTS",
    "GROUPS",
    "HELP",
    "JSON_TYPE",
    "ORGS",
    "PDF",
    "SEARCH_PARAMS",
    "SEARCH_ROWS_MAX",
    "SHOW_PARAMS",
    "SPECIES",
    "STATIONS",
    "CKANApp",
    "CKANFailure",
    "FakePackage",
    "FakeResource",
    "Query",
    "Response",
    "Table",
    "bikes_table",
    "budget_table",
    "invalid",
    "make_packages",
    "not_found",
    "orphan_packages",
    "start_ckan_server",
    "trees_table",
]
