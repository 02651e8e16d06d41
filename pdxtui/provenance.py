"""Where rows came from: the provenance record every export writes, and the citation made from the same facts.

:func:`build_record` turns a :class:`~pdxtui.model.Dataset`, a :class:`Source` (the portal, the query, the time)
and, for an export, an :class:`Written` (format, scope, rows, columns) into one JSON-able dict. Exports write it
beside the file (``FILE.provenance.json``) and inside it where the format can hold it (see ``pdxtui.export``);
:func:`citation` formats the same record as text, BibTeX or CSL-JSON (``pdxtui cite``, the metadata pane's copy
key). Cheap to import: no polars, no export code.

The record (``"pdxtui_provenance": 1``; keys never removed or renamed within one schema number):

* ``portal``: ``name``, ``label``, ``kind``, ``url`` (the portal's address; null for the bundled snapshot),
  ``organisation`` (who runs it, when pdxtui knows: "City of Portland"; else null), ``site_name``.
* ``dataset``: ``id``, ``title``, ``publisher`` (the owner), ``licence``, ``page_url``, ``api_url``,
  ``data_updated`` (the date the data last changed, ISO 8601, UTC; null when the portal gives none),
  ``update_frequency``, ``sample`` (true: pdxtui's bundled sample rows, not the publisher's).
* ``query``: ``url`` (the exact API request for these rows as sent, secrets removed; for rows read page by
  page, the request without the paging parameters pdxtui added to each page's request, which ``paged_by``
  names and ``url_note`` explains; null when there was no request: the bundled snapshot, or rows handed over
  without their source, and then ``url_note`` says why), ``paged_by`` (those paging parameters; empty: the
  rows came in one request, or there was none), ``filter``
  (pdxtui's filter language, as typed), ``filter_words`` (plain English), ``filtered_by`` ("portal": the
  server ran it, so it is in ``url``; "pdxtui": applied to the rows read, so it is not), ``near`` (the distance
  filter: ``latitude``, ``longitude``, ``metres``, ``words``), ``order`` (``column``, ``descending``),
  ``columns`` (asked for; empty: all), ``limit``, ``offset``.
* ``retrieved_at``: when pdxtui read the rows (UTC, ``2026-12-03T11:22:33Z``); ``served_from``: "network",
  "cache", "stale" or "bundled" (what the portal said of its last answer), "" when unknown.
* ``export`` (exports only): ``file`` (the name, not the folder), ``format``, ``scope`` ("loaded", "filtered",
  "all"), ``rows`` (rows written), ``columns`` (``name``, ``type``: the type in the file, ``portal_type``,
  ``alias``).
* ``citation``: the text citation (for a SQL result: those of its source datasets, one a line). ``notes``: plain
  sentences (sample rows, a filter run here, no request, a SQL result computed on part of a table's rows).
* ``pdxtui_version``.
* ``sql`` (only for rows computed by a SQL query, ``pdxtui sql`` or the SQL screen; the record's ``query.url`` is
  then null and ``url_note`` says why): ``text`` (the query as run), ``engine`` ("polars 2.1.0 (SQLContext)"),
  ``tables`` (those the query read, each: ``name`` (as the query calls it), ``dataset`` (the keys of ``dataset``
  above, for that table's dataset), ``query`` (the keys of ``query`` above: the request its rows came from),
  ``rows_used`` (rows the query ran on), ``all_rows`` (true: they are all of the dataset's rows), ``filter``
  (the filter the rows were read with, or null), ``retrieved_at``, ``served_from``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pdxtui.model import Dataset, Query, describe_near
from pdxtui.textout import iso_utc, parse_iso
from pdxtui.textsafe import fix_surrogates, one_line, secret_forms

if TYPE_CHECKING:
    from pdxtui.service import Service

SCHEMA = 1
KEY = "pdxtui_provenance"  # the schema marker, the GeoJSON member and the Parquet metadata key
SIDECAR_SUFFIX = ".provenance.json"
STYLES = ("text", "bibtex", "csl-json")

SAMPLE_NOTE = (
    "These are pdxtui's bundled SAMPLE rows, generated to look like the dataset: not the publisher's data. "
    "No request was made; the metadata is a snapshot of the City's."
)
NO_REQUEST_NOTE = "no request was made: the rows come from pdxtui's bundled sample snapshot"
UNKNOWN_SOURCE_NOTE = "not known: the rows were handed to the export without their query"
PAGED_NOTE = (
    "the request for the rows as pdxtui sent it, without its paging parameters ({names}): pdxtui sent it once "
    "per page of rows, each time with those parameters set to that page"
)
SQL_URL_NOTE = (
    "no request of its own: the rows were computed by the SQL query in sql.text over the tables in sql.tables "
    "(each with the request its rows came from)"
)
LOCAL_FILTER_NOTE = (
    "The portal cannot run this filter: pdxtui read the rows of the query URL and kept those matching it."
)


@dataclass(frozen=True)
class Source:
    """What is known about where rows come from besides the dataset: the portal, the query and the time.

    ``query_url``: the API request the rows came from (None: no request, or not known). ``filtered_here``: the
    filter ran in pdxtui on the rows read (the portal cannot run it). ``secrets``: tokens to keep out of the
    record. ``retrieved_at`` and ``version``: None means now (UTC) and pdxtui's version (tests fix them).
    ``from_service``: an export reading from a service takes the query URL from it once the rows are read; False:
    these facts are final (rows handed over from elsewhere, e.g. the permits of an address from PortlandMaps)."""

    portal_name: str = ""
    portal_label: str = ""
    portal_kind: str = ""
    portal_url: str = ""
    organisation: str = ""
    site_name: str = ""
    query: Query | None = None
    query_url: str | None = None
    paged_by: tuple[str, ...] = ()
    filtered_here: bool = False
    scope: str = ""
    served_from: str = ""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    retrieved_at: datetime | None = None
    version: str | None = None
    from_service: bool = True
    #: rows computed by a SQL query (a ``pdxtui.sql.result.SqlOrigin``: the text and the tables it read); None for
    #: rows read from a portal
    sql: Any = None


@dataclass(frozen=True)
class Written:
    """What an export wrote: the file name, format, scope, rows and each column with its type in the file."""

    file: str
    format: str
    rows: int
    columns: tuple[tuple[str, str], ...] = ()  # (name, type in the file)
    scope: str = ""


def source_for(
    service: Service,
    dataset: Dataset | None = None,
    query: Query | None = None,
    *,
    secrets: Sequence[str] = (),
    scope: str = "",
    retrieved_at: datetime | None = None,
    version: str | None = None,
) -> Source:
    """The :class:`Source` of rows read from ``service`` for ``query``: the portal's facts and, with a
    ``dataset``, the API URL of the query (the bundled snapshot makes no request: None)."""
    portal = service.portal
    network = portal.kind != "bundled"
    url: str | None = None
    paged_by: tuple[str, ...] = ()
    if dataset is not None and network:
        url, paged_by = _rows_request(service, dataset, query or Query())
    filtered_here = bool(query and query.where and query.where.strip() and not service.can("filter"))
    return Source(
        portal_name=portal.name,
        portal_label=portal.label,
        portal_kind=portal.kind,
        portal_url=portal.site,
        organisation=portal.organisation,
        site_name=portal.site_name,
        query=query,
        query_url=url,
        paged_by=paged_by,
        filtered_here=filtered_here,
        scope=scope,
        served_from=portal.state.source if network else "bundled",
        secrets=tuple(secrets),
        retrieved_at=retrieved_at,
        version=version,
    )


def settled(source: Source, service: Service, dataset: Dataset, fetched: Query) -> Source:
    """``source`` once the rows are read: the URL of the request made (``fetched``: the query sent to the portal,
    without a filter the portal cannot run; a portal may plan it while reading) and where the last answer came
    from. The bundled snapshot makes no request: no URL."""
    portal = service.portal
    if portal.kind == "bundled":
        return replace(source, query_url=None, paged_by=(), served_from="bundled")
    url, paged_by = _rows_request(service, dataset, fetched)
    return replace(source, query_url=url, paged_by=paged_by, served_from=portal.state.source)


def _rows_request(service: Service, dataset: Dataset, query: Query) -> tuple[str | None, tuple[str, ...]]:
    """The rows request of ``query`` (None: none) and the paging parameters left out of it."""
    url, paged_by = service.rows_request(dataset, query)
    return (url or None), (paged_by if url else ())


def now() -> datetime:
    """The clock a record's ``retrieved_at`` (and a citation's "Retrieved" date) reads when not given: UTC now
    (tests fix it, so no run crossing midnight sees two dates)."""
    return datetime.now(UTC)


REMOVED = "[removed]"


def scrubbed_url(url: str | None, secrets: Sequence[str]) -> str | None:
    """``url`` without known tokens, secret-like parameters (api_key, token, $$app_token, ...) and
    ``user:password@`` (``pdxtui.drafting.scrub``, imported only for a URL that could hold one)."""
    if not url:
        return url or None
    if not any(mark in url for mark in "=@%") and _without_secrets(url, secrets) == url:
        return url
    from pdxtui.drafting.scrub import scrub_url

    return scrub_url(_without_secrets(url, secrets))[0]


def _without_secrets(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each known secret (as it is, and URL-encoded) replaced by ``[removed]``. Only the secrets
    themselves: a title that says "Token: ..." is the portal's text, not a secret."""
    if not secrets:
        return text
    from pdxtui.textsafe import without_secrets

    return without_secrets(text, secret_forms(secrets), REMOVED)


def build_record(dataset: Dataset, source: Source | None = None, written: Written | None = None) -> dict[str, Any]:
    """The provenance record (see the module docstring for its keys). Portal text goes in as sent (JSON escapes
    it); every string is scrubbed of the known secrets."""
    source = source or Source()
    query = source.query or Query()
    secrets = source.secrets
    where = query.where.strip() if query.where and query.where.strip() else None
    notes: list[str] = []
    url = scrubbed_url(source.query_url, secrets)
    url_note = None
    paged_by = list(source.paged_by) if url else []
    if url is None:
        url_note = NO_REQUEST_NOTE if dataset.sample or source.portal_kind == "bundled" else UNKNOWN_SOURCE_NOTE
    elif paged_by:
        url_note = PAGED_NOTE.format(names=", ".join(paged_by))
    if dataset.sample:
        notes.append(SAMPLE_NOTE)
    if where and source.filtered_here:
        notes.append(LOCAL_FILTER_NOTE)
    retrieved = source.retrieved_at or now()
    near = None
    if query.near is not None:
        lat, lon, metres = query.near
        near = {"latitude": lat, "longitude": lon, "metres": metres, "words": describe_near(query.near)}
    record: dict[str, Any] = {
        KEY: SCHEMA,
        "portal": {
            "name": source.portal_name or None,
            "label": source.portal_label or None,
            "kind": source.portal_kind or None,
            "url": scrubbed_url(source.portal_url, secrets),
            "organisation": source.organisation or None,
            "site_name": source.site_name or None,
        },
        "dataset": {
            "id": dataset.id,
            "title": dataset.title,
            "publisher": dataset.owner or None,
            "licence": dataset.licence or None,
            "page_url": scrubbed_url(dataset.page_url, secrets),
            "api_url": scrubbed_url(dataset.api_url, secrets),
            "data_updated": iso_utc(dataset.data_updated),
            "update_frequency": dataset.update_frequency or None,
            "sample": dataset.sample,
        },
        "query": {
            "url": url,
            "url_note": url_note,
            "paged_by": paged_by,
            "filter": where,
            "filter_words": _filter_words(where, dataset) if where else None,
            "filtered_by": ("pdxtui" if source.filtered_here else "portal") if where else None,
            "near": near,
            "order": [{"column": name, "descending": desc} for name, desc in query.order],
            "columns": list(query.columns),
            "limit": query.limit,
            "offset": query.offset,
        },
        "retrieved_at": iso_utc(retrieved),
        "served_from": source.served_from,
    }
    if written is not None:
        record["export"] = {
            "file": written.file,
            "format": written.format,
            "scope": written.scope or source.scope or None,
            "rows": written.rows,
            "columns": [_column(dataset, name, kind) for name, kind in written.columns],
        }
    if source.sql is not None:
        url_note = SQL_URL_NOTE
        record["query"].update(url=None, url_note=url_note, paged_by=[])
        record["sql"] = _sql_section(source.sql, secrets)
        notes += _partial_notes(source.sql)
    record["citation"] = citation(record, "text")
    record["notes"] = notes
    if source.version is not None:
        version = source.version
    else:
        from pdxtui import __version__ as version
    record["pdxtui_version"] = version
    return _scrub_all(fix_surrogates(record), secrets)


def _sql_section(origin: Any, secrets: Sequence[str]) -> dict[str, Any]:
    """The ``sql`` key of a result's record: the query, the engine, and each table it read with the facts of its
    own rows (its dataset and request, as a record of those rows would give them)."""
    tables = []
    for table in origin.tables:
        own: Source = table.source if table.source is not None else Source()
        own = replace(
            own,
            secrets=tuple(dict.fromkeys((*own.secrets, *secrets))),
            retrieved_at=own.retrieved_at or table.read_at,
            sql=None,
        )
        rows = build_record(table.dataset, own)
        tables.append(
            {
                "name": table.name,
                "dataset": rows["dataset"],
                "query": rows["query"],
                "rows_used": table.loaded,
                "all_rows": bool(table.complete),
                "filter": table.where or None,
                "retrieved_at": rows["retrieved_at"],
                "served_from": rows["served_from"],
            }
        )
    return {"text": origin.sql, "engine": origin.engine, "tables": tables}


def _partial_notes(origin: Any) -> list[str]:
    """A sentence for each table the query ran on only part of."""
    from pdxtui.textout import fmt_count

    notes = []
    for table in origin.tables:
        if table.complete:
            continue
        if table.where:
            notes.append(
                f"The query ran on the {table.loaded:,} rows of {table.name} matching {one_line(table.where, 200)}, "
                "not on all of its rows."
            )
        elif table.total is None:
            notes.append(f"The query ran on {table.loaded:,} rows of {table.name}; its full row count is not known.")
        else:
            notes.append(f"The query ran on {table.loaded:,} of {fmt_count(table.total)} rows of {table.name}.")
    return notes


def _filter_words(where: str, dataset: Dataset) -> str:
    from pdxtui.errors import PdxError
    from pdxtui.filters import describe, parse

    try:
        return describe(parse(where, dataset.fields))
    except PdxError:
        return where


def _column(dataset: Dataset, name: str, kind: str) -> dict[str, Any]:
    meta = dataset.field(name)
    return {
        "name": name,
        "type": kind,
        "portal_type": (meta.type or None) if meta else None,
        "alias": (meta.alias or None) if meta and meta.alias != name else None,
    }


def _scrub_all(value: Any, secrets: Sequence[str]) -> Any:
    """Every string in the record without the known secrets (a portal may echo a token in a title)."""
    if not secrets:
        return value
    if isinstance(value, str):
        return _without_secrets(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub_all(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_all(v, secrets) for v in value]
    return value


def record_json(record: dict[str, Any]) -> str:
    """The record as the sidecar holds it: indented UTF-8 JSON, keys in their order, a final newline."""
    return json.dumps(record, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def sidecar_path(path: str) -> str:
    return path + SIDECAR_SUFFIX


# -- citations ----------------------------------------------------------------------------------------------------


def citation(record: dict[str, Any], style: str = "text") -> Any:
    """The record's dataset as a citation: ``"text"`` (a line), ``"bibtex"`` (an ``@misc`` entry) or
    ``"csl-json"`` (a list of one CSL item, for Zotero, pandoc and citeproc)."""
    sql = record.get("sql")
    if isinstance(sql, dict) and sql.get("tables"):
        return _sources_citation(record, style)
    facts = _citation_facts(record)
    if style == "text":
        return _text(facts)
    if style == "bibtex":
        return _bibtex(facts)
    if style in ("csl-json", "csl"):
        return [_csl(facts)]
    raise ValueError(f"unknown citation style {style!r}: use one of {', '.join(STYLES)}")


def _sources_citation(record: dict[str, Any], style: str) -> Any:
    """A SQL result's citation: those of the datasets its tables came from (each once), in the query's order."""
    seen: dict[str, dict[str, Any]] = {}
    for table in record["sql"].get("tables") or []:
        data = table.get("dataset") or {}
        key = f"{data.get('id')}|{data.get('title')}"
        seen.setdefault(
            key, {"portal": record.get("portal"), "dataset": data, "retrieved_at": table.get("retrieved_at")}
        )
    parts = [citation(one, style) for one in seen.values()]
    if style in ("csl-json", "csl"):
        return [item for part in parts for item in part]
    return "\n".join(parts)  # text: one a line; BibTeX: one entry after the other


def citation_text(record: dict[str, Any], style: str = "text") -> str:
    """:func:`citation` as text to print or copy (CSL-JSON indented)."""
    value = citation(record, style)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class _Facts:
    author: str
    title: str
    site: str
    url: str
    licence: str
    issued: datetime | None
    accessed: datetime | None
    sample: bool
    key_seed: str


def _citation_facts(record: dict[str, Any]) -> _Facts:
    portal = record.get("portal") or {}
    data = record.get("dataset") or {}
    organisation = one_line(portal.get("organisation") or "")
    publisher = one_line(data.get("publisher") or "")
    site = (
        one_line(portal.get("site_name") or "") or _host(portal.get("url") or "") or one_line(portal.get("label") or "")
    )
    if publisher and organisation and organisation.casefold() not in publisher.casefold():
        author = f"{organisation}, {publisher}"
    else:
        author = publisher or organisation or site or "Unknown publisher"
    return _Facts(
        author=author,
        title=one_line(data.get("title") or data.get("id") or "Untitled dataset"),
        site=site,
        url=one_line(data.get("page_url") or data.get("api_url") or ""),
        licence=short_licence(one_line(data.get("licence") or "")),
        issued=parse_iso(data.get("data_updated")),
        accessed=parse_iso(record.get("retrieved_at")),
        sample=bool(data.get("sample")),
        key_seed=f"{portal.get('url') or portal.get('name') or ''}|{data.get('id') or ''}",
    )


def short_licence(licence: str) -> str:
    """``Open Data Commons Public Domain Dedication and License (PDDL) 1.0`` -> ``PDDL 1.0``; others unchanged."""
    match = re.search(r"\(([A-Z][A-Za-z0-9.+-]{1,15})\)\s*(v?\d+(?:\.\d+)*)?", licence)
    if match:
        return f"{match.group(1)} {match.group(2)}".strip() if match.group(2) else match.group(1)
    return licence


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _text(f: _Facts) -> str:
    parts = [f"{f.author}.", f"*{f.title}*."]
    if f.site:
        parts.append(f"{f.site}.")
    if f.accessed is not None:
        parts.append(f"Retrieved {f.accessed.date().isoformat()}.")
    if f.url:
        parts.append(f"{f.url}.")
    parts.append(f"Licence: {f.licence}" if f.licence else "Licence: not stated")
    text = " ".join(parts)
    if f.sample:
        text += " (pdxtui's bundled sample snapshot: the metadata is the publisher's, the rows are not)"
    return text


def citation_key(f: _Facts) -> str:
    """A stable BibTeX key: the title's first words, the year the data changed, and a short hash of the portal
    and dataset id (the same dataset on the same portal always gets the same key)."""
    words = re.findall(r"[a-z0-9]+", f.title.lower())[:3] or ["dataset"]
    year = str(f.issued.year) if f.issued else ""
    digest = hashlib.sha1(f.key_seed.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{'_'.join(words)}{year}_{digest}"


_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def bibtex_escape(text: str) -> str:
    """Text for a BibTeX field: LaTeX specials escaped; braces become commands, so braces stay balanced."""
    return "".join(_BIBTEX_SPECIALS.get(ch, ch) for ch in one_line(text))


def _bibtex_url(url: str) -> str:
    """A URL for the ``url`` field (verbatim in biblatex/hyperref): only braces, backslashes and spaces, which
    would unbalance the entry or end it, are percent-encoded."""
    return "".join({"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20"}.get(ch, ch) for ch in url)


def _bibtex(f: _Facts) -> str:
    fields = [
        ("author", "{" + bibtex_escape(f.author) + "}"),  # a body, not a person: one more pair of braces
        ("title", "{" + bibtex_escape(f.title) + "}"),
    ]
    if f.site:
        fields.append(("howpublished", bibtex_escape(f.site)))
    if f.issued is not None:
        fields.append(("year", str(f.issued.year)))
    if f.url:
        fields.append(("url", _bibtex_url(f.url)))
    if f.accessed is not None:
        fields.append(("urldate", f.accessed.date().isoformat()))
    note = f"Dataset. Licence: {f.licence}" if f.licence else "Dataset. Licence: not stated"
    if f.sample:
        note += ". pdxtui bundled sample snapshot"
    fields.append(("note", bibtex_escape(note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation_key(f)},\n{body}\n}}\n"


def _date_parts(moment: datetime | None) -> dict[str, Any] | None:
    if moment is None:
        return None
    return {"date-parts": [[moment.year, moment.month, moment.day]]}


def _csl(f: _Facts) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": citation_key(f),
        "type": "dataset",
        "title": f.title,
        "author": [{"literal": f.author}],
    }
    if f.site:
        item["publisher"] = f.site
    issued = _date_parts(f.issued)
    if issued:
        item["issued"] = issued
    accessed = _date_parts(f.accessed)
    if accessed:
        item["accessed"] = accessed
    if f.url:
        item["URL"] = f.url
    note = f"Licence: {f.licence}" if f.licence else "Licence: not stated"
    item["note"] = note + ("; pdxtui bundled sample snapshot" if f.sample else "")
    return item
