"""CKAN portals (``--portal ckan:https://SITE``; the profile ``datagov`` is catalog.data.gov).

Wire formats follow ``portals.md`` ("CKAN"), all under ``{site}/api/3/action/``:

* search: ``package_search`` with ``q``, ``fq`` (``organization:"…" groups:"…" tags:"…"``), ``rows`` and
  ``start``; facets from the same action with ``rows=0`` and ``facet.field`` (its ``search_facets``);
* metadata: ``package_show?id=`` (the package and its ``resources``); for a resource in the datastore,
  ``datastore_search?resource_id=…&limit=0`` gives its typed ``fields`` and ``total``;
* rows: ``datastore_search`` pages (``limit``/``offset``, sorted by ``_id``) when ``datastore_active``: the row
  count only plans the first requests, a reported ``total`` or a full last page asks for more, a short page ends;
  otherwise the resource's CSV ``url``, downloaded whole (in pages()) and parsed with polars. dataset() types a
  CSV's columns from its first 64 KB only (waiting at most ``sample_wait``); the whole file is then typed to
  match, a column that does not fit staying text. Any other format has no tabular preview.

Dataset ids are ``PACKAGE`` (the first tabular resource: datastore first, else CSV) or ``PACKAGE/RESOURCE_ID``.

Every answer is an envelope ``{"help", "success", "result"}``; ``success`` is checked on every body (a
``success: false`` sent with HTTP 200 is an error too) before anything is cached. Error envelopes sent with a 4xx
status are read back (once, uncached) so the message can say what CKAN said (``Validation Error: rows: …``).

capabilities are empty: ``datastore_search`` takes ``q`` and exact-match ``filters`` only, which cannot run the
filter language, and portals.md documents no sort for it, so the UI filters and sorts the loaded rows itself.
"""

from pdxtui.portals.ckan.portal import CKANPortal
from pdxtui.portals.ckan.rows import parse_csv, records_table, text_bool
from pdxtui.portals.ckan.wire import (
    CKANError,
    build_fq,
    envelope_error,
    pg_kind,
    pick_resource,
    solr_phrase,
    split_id,
    to_resource,
)

__all__ = [
    "CKANError",
    "CKANPortal",
    "build_fq",
    "envelope_error",
    "parse_csv",
    "pg_kind",
    "pick_resource",
    "records_table",
    "solr_phrase",
    "split_id",
    "text_bool",
    "to_resource",
]
