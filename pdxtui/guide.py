"""The Portland guide: where the City's open data lives, how to judge and use it, and how to ask for more.

Plain data and a little search, with no Textual import (the guide screen renders it, and the drafting package takes its
contacts from here). Facts come from the project's portal notes; anything marked "unconfirmed" there is marked
so here too, in the text people read.

* :data:`SECTIONS` - the sections in reading order. Each :class:`Section` has a ``title``, a ``body`` (one
  paragraph, bullet or table row per line; wrap it to the screen with :meth:`Section.text`) and
  ``related_kind``, the key of the request draft that fits (see ``pdxtui.drafting.DRAFT_KINDS``).
* :func:`table_of_contents` - ``[(index, title, related_kind), ...]``.
* :func:`search` - ``[(section_index, line_no, snippet), ...]``: lines holding every word of the query.
* :data:`CONTACTS` - where requests go, as :class:`Recipient` records (the drafts' "send to" block).
"""

# ruff: noqa: E501  # each paragraph of the guide is one source line; Section.text() wraps it for the screen

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Recipient:
    """Where to send a request.

    ``label`` names the office or page; ``how`` says how to reach it ("online form", "phone", ...);
    ``address`` is the URL, phone number or e-mail address, or "" when pdxtui does not know one; ``note`` is a
    sentence of advice; ``confirmed`` is False when the address comes only from third-party sources and may be
    out of date (show it with a warning)."""

    label: str
    how: str
    address: str = ""
    note: str = ""
    confirmed: bool = True


HUB_URL = "https://gis-pdx.opendata.arcgis.com"
RECORDS_PORTAL_URL = "https://portlandor.mycusthelp.com"
PORTLANDMAPS_DEV_URL = "https://www.portlandmaps.com/development/"
BTS_HELPDESK_PHONE = "503-823-5199"

#: Known places to send things. Addresses pdxtui does not know are left empty, never guessed.
CONTACTS: dict[str, Recipient] = {
    "records_centre": Recipient(
        label="City of Portland public records request centre",
        how="online form (the City's standard written request form)",
        address=RECORDS_PORTAL_URL,
        note="A GovQA portal. This address is unconfirmed and may have moved: if it does not open, look for "
        '"public records request" on the City\'s website.',
        confirmed=False,
    ),
    "police_records": Recipient(
        label="Portland Police Bureau records requests",
        how="the Police Bureau's own request form",
        note="Police records have their own form rather than the City-wide centre. pdxtui does not know its "
        "address: find it on the City's website.",
    ),
    "emergency_records": Recipient(
        label="Emergency Communications records requests",
        how="Emergency Communications' own request form",
        note="Emergency Communications records have their own form rather than the City-wide centre. pdxtui "
        "does not know its address: find it on the City's website.",
    ),
    "open_data_program": Recipient(
        label="City open-data program (Smart City PDX, Bureau of Planning & Sustainability)",
        how="e-mail or contact form",
        note="pdxtui does not know a direct address: look up Smart City PDX on the City's website.",
    ),
    "bts_helpdesk": Recipient(
        label="Bureau of Technology Services HelpDesk",
        how="phone",
        address=BTS_HELPDESK_PHONE,
        note="BTS runs the City's technology infrastructure. Keep this text at hand for the call, and ask "
        "whether they want it in writing.",
    ),
    "portlandmaps_dev": Recipient(
        label="PortlandMaps API documentation",
        how="web page (read first)",
        address=PORTLANDMAPS_DEV_URL,
        note="The official documentation of the PortlandMaps property and address API, which needs an api_key "
        "on every call.",
    ),
    "district_attorney": Recipient(
        label="District Attorney (appeal of a denied records request)",
        how="written appeal",
        note="If the City denies a public records request, the denial can be appealed to the District "
        "Attorney. pdxtui does not know the office's address.",
    ),
}


def owner_recipient(owner: str = "", page_url: str = "") -> Recipient:
    """The bureau that owns a dataset. pdxtui knows no bureau addresses; the dataset page may name a contact."""
    return Recipient(
        label=owner or "The bureau that owns the data",
        how="the contact given on the dataset page or in its metadata" if page_url else "e-mail or contact form",
        address=page_url,
        note="pdxtui does not know this bureau's address. Look on the dataset page and its metadata link for a "
        "contact, or ask the open-data program to pass the message on.",
    )


class TocEntry(NamedTuple):
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose: the guide screen reads entry.index
    title: str
    related_kind: str


@dataclass(frozen=True)
class Section:
    """One page of the guide. ``body`` holds one paragraph, bullet ("- ") or table row per line; blank lines
    separate blocks. ``table`` repeats the section's table, if it has one, as rows of cells (the first row is
    the header) for a UI that draws real tables."""

    key: str
    title: str
    body: str
    related_kind: str
    table: tuple[tuple[str, ...], ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        """The title (line 0) followed by the body's lines: what :func:`search` numbers."""
        return (self.title, *self.body.splitlines())

    def text(self, width: int | None = None) -> str:
        """The body wrapped to ``width`` columns (None: as stored), bullets with a hanging indent."""
        if not width:
            return self.body
        out: list[str] = []
        for line in self.body.splitlines():
            if not line.strip():
                out.append("")
                continue
            lead = len(line) - len(line.lstrip(" "))
            stripped = line.lstrip(" ")
            hang = lead + (2 if stripped.startswith("- ") else 0)
            if stripped.startswith("| ") or stripped.startswith("    "):
                out.append(line)  # table rows and code lines stay as they are
                continue
            out.extend(
                textwrap.wrap(
                    stripped,
                    width=max(20, width),
                    initial_indent=" " * lead,
                    subsequent_indent=" " * hang,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                or [""]
            )
        return "\n".join(out)


def _table_lines(rows: tuple[tuple[str, ...], ...]) -> str:
    """Rows as "- need: who (how) [draft: kind]" bullets, which wrap well in a narrow terminal."""
    out = []
    for need, who, how, kind in rows[1:]:
        tail = f" [draft: {kind}]" if kind else ""
        out.append(f"- {need}: {who}, {how}.{tail}")
    return "\n".join(out)


_CONTACT_TABLE: tuple[tuple[str, ...], ...] = (
    ("You want to", "Contact", "How", "Draft"),
    ("Find or download published data", "PortlandMaps Open Data", HUB_URL, ""),
    ("Get crime data", "Police Bureau", "its separate CSV download (not on the Hub)", ""),
    (
        "Get data published, or fields added",
        "The bureau that owns the data, or the open-data program (Smart City PDX, Bureau of Planning & Sustainability)",
        "e-mail or contact form; pdxtui knows no direct address",
        "publish",
    ),
    (
        "Report an error in a dataset",
        "The bureau that owns the data",
        "the contact on the dataset page or in its metadata",
        "quality",
    ),
    (
        "Sort out API trouble, limits or access",
        "Bureau of Technology Services HelpDesk",
        f"phone {BTS_HELPDESK_PHONE}",
        "access",
    ),
    ("Use the PortlandMaps property and address API", "PortlandMaps API documentation", PORTLANDMAPS_DEV_URL, "access"),
    (
        "Make a formal public records request",
        "City public records request centre",
        f"online form, {RECORDS_PORTAL_URL} (unconfirmed, may have moved)",
        "records",
    ),
    ("Request Police or Emergency Communications records", "That bureau", "its own request form", "records"),
    ("Appeal a denied records request", "District Attorney", "written appeal", "records"),
)


SECTIONS: tuple[Section, ...] = (
    Section(
        key="organised",
        title="Where Portland's open data lives",
        related_kind="publish",
        body=f"""\
The City's open data catalog is PortlandMaps Open Data, an ArcGIS Hub site at {HUB_URL}. It has been the City's GIS data portal since 2016. Its Hub organisation is called PDX, so a dataset page looks like /datasets/PDX::street-tree-inventory-active-records.

The Hub is the catalog: titles, owners, descriptions, tags and links. The rows come from the City's own ArcGIS Server on www.portlandmaps.com, one map layer per dataset:
    https://www.portlandmaps.com/od/rest/services/COP_OpenData_<Theme>/MapServer/<layer>
Themes include Environment, Boundary, Property, Transportation and PlanningDevelopment. Older scripts use addresses under /arcgis/rest/services/Public/COP_OpenData... instead.

- Crime data is the exception: the Police Bureau publishes it as a separate CSV download, not on the Hub (see "Crime data from the Police Bureau").
- You may see data.portlandoregon.gov mentioned. There is no evidence it was ever a live Socrata portal, and pdxtui does not use it.
- One third-party script reports that the ArcGIS Server sometimes stalls for about a minute and then answers 503. This is unconfirmed; pdxtui copes with timeouts, retries and its cache.

In pdxtui the default portal, portland, searches the Hub and reads rows from the layers. The demo portal (--portal demo) is a bundled offline snapshot: its titles, owners, fields and links follow the City's layers, but its rows are generated sample data, not the City's.

If the data you need is not in the catalog, ask for it to be published: the "publish" draft writes that request.""",
    ),
    Section(
        key="crime",
        title="Crime data from the Police Bureau",
        related_kind="records",
        body="""\
The Police Bureau's crime data is a CSV download of its own, outside the Hub, so a catalog search will not find it.

Its columns are Address, CaseNumber, CrimeAgainst, Neighborhood, OccurDate, OccurTime, OffenseCategory, OffenseType, OpenDataLat, OpenDataLon, OpenDataX, OpenDataY, ReportDate and OffenseCount.

- Addresses are generalised to the hundred-block. A row tells you the block, not the exact place, so take care when you map points or join them to parcels.
- There are two dates: OccurDate (with OccurTime) and ReportDate. Decide which one your question is about before you count by date.
- OffenseCount is a count on each row: check whether a row can stand for more than one offence before you count rows.

Police records that are not in the download are requested from the Police Bureau on its own form, not through the City-wide records centre. The "records" draft writes the request and names that form.""",
    ),
    Section(
        key="fit",
        title="Does a dataset fit your question?",
        related_kind="quality",
        body="""\
Read the metadata before you download anything. In pdxtui, the metadata pane shows the owner, description, licence, row count and links; the schema pane shows each field's type, alias and description.

- Who owns it: the owning bureau is the one to ask about meaning, gaps and errors.
- How fresh it is: pdxtui compares the last change to the data with the layer's "Update Frequency:" line and says fresh, due, overdue or unknown. It uses the layer's own edit date where the server gives one; Portland's layers give none, so it uses the Hub's modified date, which moves when the item changes, not only the data. The "Metadata Link" line leads to the full metadata.
- What a row is: one tree, one permit, one boundary? Check the row count and the fields against what you want to count.
- Coverage: use the stats pane for date ranges, empty values and the spread of each column. Missing years or areas matter more than a pretty map.
- Coded values: some fields store codes and show labels; pdxtui shows the labels and filters by them.
- Precision: crime data is generalised to the hundred-block.
- Licence: the PortlandMaps terms of service publish the data under the Open Data Commons Public Domain Dedication and License (PDDL) 1.0. Read the licence itself for what it allows, and check a dataset's own metadata for anything more.
- Sample rows: anything from the demo portal is generated sample data, labelled as such.

If a value looks wrong, report it to the owning bureau: the "quality" draft lists the dataset, field, example record ids and what is wrong.""",
    ),
    Section(
        key="api",
        title="Using the API well",
        related_kind="access",
        body="""\
Each dataset is an ArcGIS REST layer. {layer}?f=json describes it: fields, maxRecordCount and whether it can page and sort. Rows come from {layer}/query, for example where=1=1, outFields=*, f=json.

- Paging: ask for pages with resultOffset and resultRecordCount. A page can hold at most the layer's maxRecordCount rows, and that varies: City Council Districts allows 500, Residential Building Permits only 150.
- Always send orderByFields (for example OBJECTID) when paging, or pages may overlap or skip rows.
- Keep paging while the answer says exceededTransferLimit is true; a page shorter than asked for also means the end.
- returnCountOnly=true gives just {"count": N}.
- Errors arrive with HTTP status 200 and an "error" object in the JSON. Check for it before reading rows.

Rate limits and tokens:
- pdxtui's sources list no published rate limit for the City's ArcGIS Server.
- The PortlandMaps property and address API (documented at https://www.portlandmaps.com/development/) needs an api_key on every call. Third-party code reports a limit of 200 requests per 15 minutes per key, answered with 429 and an X-Rate-Limit-Reset header; this is unconfirmed.
- pdxtui sends an app token only if you configure one ([tokens] in the config file, or PDXTUI_APP_TOKEN). Never paste a token into an e-mail, a ticket or a bug report; pdxtui's drafts remove tokens from URLs and error text.

Acceptable use, as general good practice:
- Ask only for the columns and rows you need (outFields, where), and download a whole dataset once rather than again and again.
- Keep few requests in flight, back off when the server answers 429 or 503, and honour Retry-After.
- Identify your program: pdxtui's User-Agent names pdxtui and its version.

What pdxtui does for you:
- It caches answers on disk (by default the catalog for an hour, metadata and rows for a day; see [cache] in the config), and --refresh asks the portal again. "pdxtui cache info" and "pdxtui cache clear" manage the cache.
- It retries network errors, 429, 502, 503 and 504 with backoff (up to 5 attempts), waiting as long as Retry-After asks.
- It sends at most 6 requests at a time to one host, as a web browser does (net.max_per_host in the config).
- Offline, it shows a stale cached copy and says so.

For access, limits or an endpoint that keeps failing, ask the Bureau of Technology Services: the "access" draft writes the message.""",
    ),
    Section(
        key="enforcement",
        title="Overuse and enforcement",
        related_kind="access",
        body=f"""\
pdxtui's sources show no published fines or penalties for misusing the City's APIs, and no published usage policy beyond the PortlandMaps API's key requirement. Be wary of any claim of a specific penalty.

What follows is general practice for public web services, not a statement of Portland's policy. Operators deal with overuse administratively: they slow a client down, block its IP address or revoke its key, and sometimes contact the key's owner. The realistic consequence of hammering a server is losing access, not a fine.

Signs that you are being held back:
- 429 Too Many Requests, perhaps with a Retry-After header.
- 503 answers or timeouts (these can also just mean the server is busy).
- 403 Forbidden where requests used to work.

What to do:
- Stop, wait, and slow down: lower net.max_per_host, rely on the cache, and avoid --refresh in loops.
- If you need a lot of data regularly, ask for it: the Bureau of Technology Services HelpDesk ({BTS_HELPDESK_PHONE}) for access questions, or the owning bureau for a bulk copy or a regular export.
- Keep tokens private. If one leaks, ask for a new one.

The "access" draft writes a short message to BTS with the URL (token removed) and the error you saw.""",
    ),
    Section(
        key="unpublished",
        title="Asking for data that is not published",
        related_kind="publish",
        body="""\
First make sure it really is missing: search the Hub with other words, list the owning bureau's other datasets (pdxtui search --owner "..."), and remember that crime data lives outside the Hub.

Then ask the bureau that owns the data, or the City's open-data program, which sits in the Smart City PDX team of the Bureau of Planning & Sustainability. The Bureau of Technology Services runs the infrastructure; it is the place for API access, not for what the data contains.

A request that gets results:
- Describe the records you want, not the question you want answered.
- Name the fields, the date range and the format (CSV, for example).
- Say how often it should be updated, and how you will use the data.
- Keep it short and specific, and offer to talk it through.

If the data cannot be published, the formal route is a public records request (see "Filing a public records request"). The "publish" draft writes the request to publish.""",
    ),
    Section(
        key="records",
        title="Filing a public records request",
        related_kind="records",
        body=f"""\
Records the City holds can be requested under the Oregon Public Records Law, ORS 192.311 to 192.478.

Where to file:
- The City takes written requests on its standard form, filed online through its public records request centre: a GovQA portal at {RECORDS_PORTAL_URL}. That address is unconfirmed and may have moved.
- Police records and Emergency Communications records have their own forms.

Timelines:
- Within 5 business days the City must acknowledge the request, or complete it (ORS 192.324(2)).
- It must then complete the request "as soon as practicable and without unreasonable delay" (ORS 192.329(1)). Normally that means within 10 business days after the acknowledgement deadline; if not, the City must give a written estimate of when.

Format:
- Under ORS 192.324(3) you may ask for records in the electronic form in which they are kept, for example CSV.

Fees:
- Fees must reflect the actual cost of the work; the City's own policy, BCP-ADM-8.03, says the same.
- Fees over $25 need a written estimate first.
- You may ask for a fee waiver or reduction in the public interest.

If the City denies the request, the denial can be appealed to the District Attorney.

A good request describes the records rather than the question, gives a date range, the fields and the format, and says how you will use the data. Keep a copy and note the date you sent it. The "records" draft writes such a request, filled in from the dataset you are looking at.""",
    ),
    Section(
        key="quality",
        title="Reporting a problem in the data",
        related_kind="quality",
        body="""\
Data errors are fixed by the bureau that owns the dataset. A report they can act on says:

- which dataset (title and id) and which field;
- a few example records, by their id (usually OBJECTID), so they can find them;
- what is wrong, and what you expected instead;
- when you looked, since the data may change.

pdxtui's "quality" draft fills in the dataset, the fields you picked, the row filter you used and today's date. Send it to the owning bureau, and copy the open-data program if you get no answer.""",
    ),
    Section(
        key="contacts",
        title="Who to contact for what",
        related_kind="records",
        table=_CONTACT_TABLE,
        body=_table_lines(_CONTACT_TABLE)
        + "\n\npdxtui knows no e-mail addresses for the bureaus; where it has no address, it says so rather than "
        "guess. The records centre's address is unconfirmed and may have moved.",
    ),
)


def table_of_contents() -> list[TocEntry]:
    """``[(index, title, related_kind), ...]`` in reading order."""
    return [TocEntry(i, s.title, s.related_kind) for i, s in enumerate(SECTIONS)]


def section(key: str) -> Section:
    """The section with this key; KeyError if there is none."""
    for s in SECTIONS:
        if s.key == key:
            return s
    raise KeyError(key)


_TERMS = re.compile(r'"([^"]*)"|(\S+)')


def _terms(query: str) -> list[str]:
    """Words of a query, lower-cased; "double quotes" keep a phrase together."""
    out = []
    for phrase, word in _TERMS.findall(query):
        term = (phrase or word).strip().casefold()
        if term:
            out.append(term)
    return out


def _snippet(line: str, term: str, width: int) -> str:
    if len(line) <= width:
        return line
    at = max(0, line.casefold().find(term))
    start = max(0, min(at - width // 3, len(line) - width))
    text = line[start : start + width]
    if start > 0:
        text = "…" + text[1:]
    if start + width < len(line):
        text = text[:-1] + "…"
    return text


def search(query: str, *, width: int = 80) -> list[tuple[int, int, str]]:
    """Lines that hold every word of ``query`` (case-insensitive substrings; "quoted phrases" stay together).

    Returns ``(section_index, line_no, snippet)`` in reading order. ``line_no`` indexes ``Section.lines``:
    0 is the title, 1 the body's first line. The snippet is the line, cut to ``width`` characters around the
    first word. An empty query finds nothing."""
    terms = _terms(query)
    if not terms:
        return []
    hits = []
    for index, sec in enumerate(SECTIONS):
        for line_no, line in enumerate(sec.lines):
            folded = line.casefold()
            if all(term in folded for term in terms):
                hits.append((index, line_no, _snippet(line.strip(), terms[0], width)))
    return hits
