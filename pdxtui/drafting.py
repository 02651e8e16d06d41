"""Request drafting: pure functions from (kind, dataset, requester profile, user fields) to a letter.

Four kinds of request (:data:`DRAFT_KINDS`):

* ``records`` - a public records request under the Oregon Public Records Law (ORS 192.311 to 192.478).
* ``publish`` - a request to publish a dataset, or add fields to one, to the owning bureau or the open-data
  program (Smart City PDX, Bureau of Planning & Sustainability).
* ``access`` - an API access, rate-limit or failing-endpoint question to the Bureau of Technology Services.
* ``quality`` - a data quality report to the owning bureau.

Use::

    inp = DraftInput("records", dataset=ds, requester=config.requester, fields=("NAME",),
                     date_from="2023-01-01", date_to="2023-12-31", filter_text=filters.describe(node))
    d = draft(inp, today=date.today(), secrets=[token])
    d.subject, d.body, d.send_to, d.placeholders, d.notes
    render(d)       # subject + letter + "send to" block + notes, as one plain text
    to_json(d)      # {kind, subject, body, send_to: [...], placeholders: [...], notes: [...]}

:data:`FORM_FIELDS` lists, per kind, the :class:`DraftInput` fields a form should offer (name, label, type,
choices, help) so a UI can build the form generically; :func:`input_from_form` turns the widget values back
into a :class:`DraftInput`. The dataset, requester and ``filter_text`` are prefilled by the caller, not typed.

Rules the letters follow:

* Nothing is invented. A missing requester name or e-mail becomes a placeholder (``[your name]``,
  ``[your email]``); phone, organisation and postal address are left out when empty. Other missing essentials
  (the records wanted, a date range, a URL, what is wrong...) also become ``[bracketed]`` placeholders, and
  ``Draft.placeholders`` lists those still in the text, in order.
* No secret reaches the text: every string in ``secrets`` (4 characters or more, also percent-encoded) is
  replaced by ``[removed]``; URLs lose query (and fragment) parameters with secret-like names (token,
  app_token, api_key, key, apikey, access_token, password, secret, ...) and any ``user:password@``; in other
  text, ``token=...``, ``api_key: ...`` and ``Authorization: Bearer ...`` values become ``[removed]``.
* Portal-provided text (titles, owners, field names) passes through :mod:`pdxtui.textsafe`.
* Paragraphs are single lines (they paste cleanly into web forms); the reader wraps them.
* Deterministic: the date comes from the ``today`` argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

from pdxtui.cache import is_secret_param
from pdxtui.errors import UsageError
from pdxtui.guide import CONTACTS, Recipient, owner_recipient
from pdxtui.model import Dataset
from pdxtui.textsafe import clean, one_line

__all__ = [
    "CADENCES",
    "DRAFT_KINDS",
    "FORMATS",
    "FORM_FIELDS",
    "KIND_KEYS",
    "TOPICS",
    "DateRangeError",
    "Draft",
    "DraftInput",
    "FormField",
    "Kind",
    "Recipient",
    "check",
    "draft",
    "input_from_form",
    "parse_date_range",
    "render",
    "scrub",
    "scrub_url",
    "to_json",
]


class Kind(NamedTuple):
    key: str
    title: str
    description: str


#: The kinds of request, in menu order.
DRAFT_KINDS: tuple[Kind, ...] = (
    Kind(
        "records", "Public records request", "Ask the City for records it holds, under the Oregon Public Records Law."
    ),
    Kind(
        "publish",
        "Ask for data to be published",
        "Ask the owning bureau or the open-data program to publish a dataset or add fields.",
    ),
    Kind(
        "access",
        "API access question",
        "Ask the Bureau of Technology Services about access, limits or a failing request.",
    ),
    Kind("quality", "Data quality report", "Tell the owning bureau about wrong or missing values in a dataset."),
)
KIND_KEYS: tuple[str, ...] = tuple(k.key for k in DRAFT_KINDS)

#: Suggested values for the choice fields (draft() accepts any text).
FORMATS = ("CSV", "JSON", "GeoJSON", "Excel (XLSX)", "Shapefile")
CADENCES = ("daily", "weekly", "monthly", "quarterly", "yearly", "whenever it changes")
TOPICS = ("failing request", "rate limits", "app token or key", "other")

PLACEHOLDER_NAME = "[your name]"
PLACEHOLDER_EMAIL = "[your email]"
REMOVED = "[removed]"


@dataclass(frozen=True)
class FormField:
    """One input of a draft form.

    ``type`` is one of:
    ``text`` (one line), ``multiline``, ``bool`` (a checkbox), ``choice`` (``choices`` are suggestions; any text
    is accepted), ``fields`` (pick names from the dataset's fields; a tuple of names) and ``list`` (free text,
    split on commas and white space into a tuple)."""

    name: str  # the DraftInput attribute
    label: str
    type: str
    choices: tuple[str, ...] = ()
    help: str = ""


_DATE_HELP = "YYYY-MM-DD (or YYYY-MM, or YYYY); leave empty for an open end"

#: kind -> the form fields to offer, in order. Prefilled, not typed: dataset, requester, filter_text.
FORM_FIELDS: dict[str, tuple[FormField, ...]] = {
    "records": (
        FormField(
            "description",
            "Records you want",
            "multiline",
            help="Describe the records (what they are, which office keeps them), not the question you want "
            "answered. Optional when a dataset is chosen.",
        ),
        FormField("fields", "Fields", "fields", help="The fields (columns) you want."),
        FormField("date_from", "From", "text", help=_DATE_HELP),
        FormField("date_to", "To", "text", help=_DATE_HELP),
        FormField("format", "Format", "choice", FORMATS, help="Electronic format you would like (ORS 192.324(3))."),
        FormField(
            "use",
            "How you will use the data",
            "multiline",
            help="Optional, but it helps; needed to argue for a fee waiver.",
        ),
        FormField("fee_waiver", "Ask for a fee waiver or reduction in the public interest", "bool"),
    ),
    "publish": (
        FormField(
            "description",
            "Data you would like published",
            "multiline",
            help="What the data is and which bureau keeps it. Optional when a dataset is chosen.",
        ),
        FormField("fields", "Fields you need from this dataset", "fields"),
        FormField("fields_wanted", "New fields you would like added", "multiline"),
        FormField("date_from", "History from", "text", help=_DATE_HELP),
        FormField("date_to", "History to", "text", help=_DATE_HELP),
        FormField("format", "Format", "choice", FORMATS),
        FormField("cadence", "How often it should be updated", "choice", CADENCES),
        FormField("purpose", "Why it matters", "multiline", help="Who would benefit, and how."),
        FormField("use", "How you will use it", "multiline"),
    ),
    "access": (
        FormField("topic", "Topic", "choice", TOPICS),
        FormField("url", "Request URL", "text", help="The exact URL that fails. Tokens and keys are removed."),
        FormField("error", "Error you saw", "multiline", help="The HTTP status and message. Tokens are removed."),
        FormField("problem", "What you need", "multiline"),
    ),
    "quality": (
        FormField("fields", "Field(s) with the problem", "fields"),
        FormField("record_ids", "Example record ids", "list", help="A few ids (e.g. OBJECTID), separated by commas."),
        FormField("problem", "What is wrong", "multiline"),
        FormField("expected", "What you expected", "multiline"),
    ),
}


@dataclass(frozen=True)
class DraftInput:
    """Everything a draft is made from. Which fields each kind reads: see :data:`FORM_FIELDS` (plus
    ``dataset``, ``requester`` and ``filter_text`` for every kind).

    ``requester`` is anything with ``name, email, phone, organisation, address`` attributes (e.g.
    ``pdxtui.config.Requester``), or None. ``filter_text`` is the active row filter in plain English
    (``pdxtui.filters.describe``); None, "" and "all rows" mean no filter. Dates are text as typed
    (see :func:`parse_date_range`)."""

    kind: str
    dataset: Dataset | None = None
    requester: Any = None
    fields: tuple[str, ...] = ()
    description: str = ""
    fields_wanted: str = ""
    date_from: str | None = None
    date_to: str | None = None
    format: str = "CSV"
    use: str = ""
    purpose: str = ""
    cadence: str = ""
    filter_text: str | None = None
    record_ids: tuple[str, ...] = ()
    problem: str = ""
    expected: str = ""
    topic: str = ""
    url: str = ""
    error: str = ""
    fee_waiver: bool = False


@dataclass(frozen=True)
class Draft:
    """A finished draft. ``body`` is the letter (plain text, blank lines between paragraphs); ``send_to`` where
    to send it, best first; ``placeholders`` the ``[bracketed]`` gaps still in subject or body; ``notes``
    advice for the sender (not part of the letter)."""

    kind: str
    subject: str
    body: str
    send_to: tuple[Recipient, ...] = ()
    placeholders: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# -- dates ------------------------------------------------------------------------------------------------------


class DateRangeError(UsageError, ValueError):
    """A date or date range that cannot be read."""


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _bounds(text: str) -> tuple[date, date]:
    """First and last day of a YYYY, YYYY-MM or YYYY-MM-DD period."""
    m = _DATE_RE.match(text)
    if not m:
        raise DateRangeError(f"{text!r} is not a date; use YYYY-MM-DD (or YYYY-MM, or YYYY)")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if day is not None:
            d = date(year, int(month), int(day))
            return d, d
        if month is not None:
            first = date(year, int(month), 1)
            nxt = date(year + (first.month == 12), first.month % 12 + 1, 1)
            return first, date.fromordinal(nxt.toordinal() - 1)
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        raise DateRangeError(f"{text!r} is not a real date") from None


def _normal(text: str) -> str:
    m = _DATE_RE.match(text)
    assert m
    parts = [m.group(1)] + [f"{int(p):02d}" for p in m.groups()[1:] if p is not None]
    return "-".join(parts)


def parse_date_range(text: str) -> tuple[str | None, str | None]:
    """``FROM..TO`` (either end may be empty), or one period, into ``(date_from, date_to)``.

    Each end is ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (normalised to zero-padded form). One period without
    ``..`` means from its start to its end: ``2023`` gives ``("2023", "2023")``. Raises
    :class:`DateRangeError` (a UsageError) for text that is not a date or a range that ends before it
    starts."""
    text = text.strip()
    if not text:
        raise DateRangeError("empty date range; use FROM..TO, e.g. 2023-01-01..2023-12-31")
    if ".." in text:
        left, _, right = text.partition("..")
        start, end = left.strip() or None, right.strip() or None
        if start is None and end is None:
            raise DateRangeError("a date range needs at least one end, e.g. 2023-01-01..")
    else:
        start = end = text
    if start is not None:
        _bounds(start)
        start = _normal(start)
    if end is not None:
        _bounds(end)
        end = _normal(end)
    if start is not None and end is not None and _bounds(start)[0] > _bounds(end)[1]:
        raise DateRangeError(f"the range {start}..{end} ends before it starts")
    return start, end


def check(inp: DraftInput) -> tuple[str, ...]:
    """Problems a form should show before drafting: an unknown kind, dates that cannot be read."""
    problems = []
    if inp.kind not in KIND_KEYS:
        problems.append(f"unknown kind {inp.kind!r}; choose one of {', '.join(KIND_KEYS)}")
    for label, value in (("From", inp.date_from), ("To", inp.date_to)):
        if value:
            try:
                _bounds(value.strip())
            except DateRangeError as exc:
                problems.append(f"{label}: {exc}")
    if not problems and inp.date_from and inp.date_to:
        try:
            parse_date_range(f"{inp.date_from}..{inp.date_to}")
        except DateRangeError as exc:
            problems.append(str(exc))
    return tuple(problems)


# -- secrets ----------------------------------------------------------------------------------------------------

_EXTRA_SECRET_NAMES = frozenset({"authorization", "auth", "xapptoken", "xesriauthorization", "sig", "signature"})


def _is_secret_name(name: str) -> bool:
    return (
        is_secret_param(name) or name.lower().replace("$", "").replace("-", "").replace("_", "") in _EXTRA_SECRET_NAMES
    )


_URL_RE = re.compile(r"""https?://[^\s<>"'`]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"
_PAIR_RE = re.compile(r"([?&#;])([^=&#\s?;]+)=([^&#\s;]*)")
_ASSIGN_RE = re.compile(
    r"""(?ix)
    \b(x-app-token|x-esri-authorization|x-api-key|authorization|app[_-]?token|api[_-]?key|access[_-]?token
       |client[_-]?secret|token|password|passwd|secret)
    (["']?\s*[:=]\s*["']?)
    (?:(bearer|basic|token)\s+)?
    ([^\s&"',;<>]+)"""
)
_BEARER_RE = re.compile(r"(?i)\b(bearer)\s+((?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,})")  # a digit: not prose


def _drop_secret_pairs(part: str, removed: list[str]) -> str:
    kept = []
    for pair in part.split("&"):
        name = unquote_plus(pair.partition("=")[0])
        if pair and _is_secret_name(name):
            if name not in removed:
                removed.append(name)
            continue
        kept.append(pair)
    return "&".join(p for p in kept if p)


def scrub_url(url: str) -> tuple[str, tuple[str, ...]]:
    """``url`` without secret-like query or fragment parameters and without ``user:password@``; the rest is kept
    exactly (order and encoding). Returns the URL and the names of the parameters removed."""
    removed: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, ()
    netloc = parts.netloc
    if "@" in netloc:
        netloc = netloc.rpartition("@")[2]
        removed.append("user:password")
    query = _drop_secret_pairs(parts.query, removed) if parts.query else ""
    fragment = parts.fragment
    if "=" in fragment:
        fragment = _drop_secret_pairs(fragment, removed)
    if not removed:
        return url, ()
    out = f"{parts.scheme}://{netloc}{parts.path}"
    if query:
        out += "?" + query
    if fragment:
        out += "#" + fragment
    return out, tuple(removed)


def _secret_variants(secrets: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str):
            continue
        secret = secret.strip()
        if len(secret) < 4:  # too short to be a real token, and replacing it would wreck the text
            continue
        found.update({secret, quote(secret, safe=""), quote(secret), quote_plus(secret)})
    return sorted(found, key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with every secret removed (see the module docstring)."""
    for secret in _secret_variants(secrets):
        text = text.replace(secret, REMOVED)

    def url(m: re.Match[str]) -> str:
        raw = m.group(0)
        core = raw.rstrip(_TRAILING)
        return scrub_url(core)[0] + raw[len(core) :]

    text = _URL_RE.sub(url, text)

    def pair(m: re.Match[str]) -> str:
        if _is_secret_name(unquote_plus(m.group(2))):
            return f"{m.group(1)}{m.group(2)}={REMOVED}"
        return m.group(0)

    text = _PAIR_RE.sub(pair, text)

    def assign(m: re.Match[str]) -> str:
        scheme = f"{m.group(3)} " if m.group(3) else ""
        return f"{m.group(1)}{m.group(2)}{scheme}{REMOVED}"

    text = _ASSIGN_RE.sub(assign, text)
    return _BEARER_RE.sub(lambda m: f"{m.group(1)} {REMOVED}", text)


# -- text helpers -----------------------------------------------------------------------------------------------

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PORTLAND_HOSTS = ("portlandmaps.com", "gis-pdx.opendata.arcgis.com", "portland.gov", "portlandoregon.gov")


def _long_date(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _text(value: Any) -> str:
    """User or portal text, kept multi-line, made safe, trimmed."""
    return clean(value).strip() if value else ""


def _line(value: Any, max_len: int | None = None) -> str:
    return one_line(value, max_len) if value else ""


class _Letter:
    """Collects paragraphs and the placeholders used."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.used: list[str] = []

    def ph(self, what: str) -> str:
        text = f"[{what}]"
        if text not in self.used:
            self.used.append(text)
        return text

    def para(self, *texts: str) -> None:
        text = " ".join(t for t in texts if t)
        if text:
            self.parts.append(text)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        rows = [(k, v) for k, v in rows if v]
        if not rows:
            return
        width = max(len(k) for k, _ in rows) + 2
        lines = []
        for key, value in rows:
            first, *rest = value.splitlines() or [""]
            lines.append(f"{key + ':':{width}}{first}")
            lines.extend(" " * width + more for more in rest)
        self.parts.append("\n".join(lines))

    def text(self) -> str:
        return "\n\n".join(self.parts)


def _requester(req: Any) -> dict[str, str]:
    return {
        k: _text(getattr(req, k, "") if req is not None else "")
        for k in ("name", "email", "phone", "organisation", "address")
    }


def _signature(letter: _Letter, req: Any, closing: str) -> None:
    who = _requester(req)
    lines = [closing, "", one_line(who["name"]) if who["name"] else letter.ph("your name")]
    if who["organisation"]:
        lines.append(one_line(who["organisation"]))
    if who["address"]:
        lines.extend(line.strip() for line in who["address"].splitlines() if line.strip())
    lines.append("Email: " + (one_line(who["email"]) if who["email"] else letter.ph("your email")))
    if who["phone"]:
        lines.append("Phone: " + one_line(who["phone"]))
    letter.parts.append("\n".join(lines))


def _id_field(ds: Dataset | None) -> str:
    if ds is None:
        return ""
    for f in ds.fields:
        if f.type.endswith("OID") or f.type == "esriFieldTypeOID":
            return f.name
    for f in ds.fields:
        if f.name.upper() in ("OBJECTID", "FID", ":ID"):
            return f.name
    return ""


def _field_list(ds: Dataset | None, names: Sequence[str]) -> str:
    out = []
    for name in names:
        name = _line(name)
        if not name:
            continue
        f = ds.field(name) if ds is not None else None
        alias = _line(f.alias) if f is not None and f.alias else ""
        out.append(f"{name} ({alias})" if alias and alias != name else name)
    return ", ".join(out)


def _period(date_from: str | None, date_to: str | None) -> str:
    start, end = _line(date_from), _line(date_to)
    if start and end:
        return start if start == end else f"{start} to {end}"
    if start:
        return f"from {start} to the present"
    if end:
        return f"up to and including {end}"
    return ""


def _filter(text: str | None) -> str:
    value = _line(text)
    return "" if value.lower() in ("", "all rows") else f"only those where {value}"


def _dataset_name(ds: Dataset) -> str:
    return f'"{_line(ds.title) or _line(ds.id)}"'


def _dataset_facts(ds: Dataset | None, *, api: bool = True) -> list[tuple[str, str]]:
    if ds is None:
        return []
    rows = [
        ("Dataset", _dataset_name(ds)),
        ("ID", _line(ds.id)),
        ("Owner", _line(ds.owner)),
        ("Page", _line(ds.page_url)),
    ]
    if api:
        rows.append(("API", _line(ds.api_url)))
    return rows


def _short(text: str, n: int = 60) -> str:
    first = one_line(text.splitlines()[0] if text.strip() else "")
    return first if len(first) <= n else first[: n - 3].rstrip() + "..."


def _is_portland(ds: Dataset) -> bool:
    for url in (ds.page_url, ds.api_url, *(link.url for link in ds.links)):
        host = (urlsplit(url).hostname or "") if url else ""
        if any(host == h or host.endswith("." + h) for h in _PORTLAND_HOSTS):
            return True
    return False


def _owner_is(ds: Dataset | None, word: str) -> bool:
    return ds is not None and word in ds.owner.lower()


# -- the four letters -------------------------------------------------------------------------------------------


def _records(inp: DraftInput, today: date, letter: _Letter) -> tuple[str, list[Recipient], list[str]]:
    ds = inp.dataset
    notes: list[str] = []
    description = _text(inp.description)
    if ds is not None:
        subject = f"Public records request: {_dataset_name(ds)}" + (f" ({_line(ds.owner)})" if ds.owner else "")
    elif description:
        subject = f"Public records request: {_short(description)}"
    else:
        subject = "Public records request"

    letter.para(_long_date(today))
    letter.para("Dear Public Records Officer,")
    letter.para(
        "Under the Oregon Public Records Law (ORS 192.311 to 192.478), I request copies of the records described below."
    )
    if description:
        letter.para(description)
        if ds is not None:
            letter.para("They relate to this dataset, which the City publishes as open data:")
    elif ds is not None:
        owner = f"the {_line(ds.owner)}" if ds.owner else "the City"
        letter.para(
            f"I am asking for the records of {owner} from which the published dataset "
            f"{_dataset_name(ds)} is drawn, limited as set out below. An electronic extract from the "
            "system that holds them, with the fields listed, would meet this request."
        )
    else:
        letter.para(
            letter.ph("describe the records you want: what they are, which office keeps them, and what they cover")
        )
    fmt = _line(inp.format) or "CSV"
    letter.facts(
        [
            *_dataset_facts(ds),
            ("Fields", _field_list(ds, inp.fields) or ("all fields" if ds is not None and not description else "")),
            ("Rows", _filter(inp.filter_text)),
            (
                "Period",
                _period(inp.date_from, inp.date_to)
                or letter.ph("the period the records should cover, e.g. 2023-01-01 to 2023-12-31"),
            ),
            ("Format", f"{fmt}, electronic"),
        ]
    )
    letter.para(
        "Under ORS 192.324(3), I ask for the records in the electronic form in which they are kept. "
        f"{fmt} would suit me best; please do not print or scan them."
    )
    use = _text(inp.use)
    if inp.fee_waiver:
        letter.para(
            "How I will use the records: "
            + (use or letter.ph("how you will use the records, and why that serves the public interest"))
        )
        letter.para(
            "Because releasing these records serves the public interest, I ask you to waive or reduce "
            "the fees. If fees still apply and will be more than $25, please send me a written "
            "estimate before doing the work, so that I can confirm or narrow the request."
        )
    else:
        if use:
            letter.para(f"How I will use the records: {use}")
        else:
            notes.append("Saying how you will use the data is optional, but it often helps the request along.")
        letter.para(
            "If the fees will be more than $25, please send me a written estimate before doing the work, "
            "so that I can confirm or narrow the request."
        )
    letter.para(
        "I understand that the City is to acknowledge this request within 5 business days "
        '(ORS 192.324(2)) and to complete it "as soon as practicable and without unreasonable delay" '
        "(ORS 192.329(1)). If it will take more than 10 business days after that, please send me a "
        "written estimate of when the records will be ready."
    )
    letter.para(
        "If any part of the records is exempt from disclosure, please release the rest and tell me what "
        "was withheld and why. If anything here is unclear, or a narrower request would be quicker or "
        "cheaper, please contact me; I am happy to adjust it."
    )
    _signature(letter, inp.requester, "Thank you for your help,")

    if _owner_is(ds, "police"):
        send = [CONTACTS["police_records"], CONTACTS["records_centre"]]
    elif _owner_is(ds, "emergency communications"):
        send = [CONTACTS["emergency_records"], CONTACTS["records_centre"]]
    elif ds is None:
        send = [CONTACTS["records_centre"], CONTACTS["police_records"], CONTACTS["emergency_records"]]
    else:
        send = [CONTACTS["records_centre"]]
    send.append(CONTACTS["district_attorney"])
    return subject, send, notes


def _publish(inp: DraftInput, today: date, letter: _Letter) -> tuple[str, list[Recipient], list[str]]:
    ds = inp.dataset
    description = _text(inp.description)
    wanted = _text(inp.fields_wanted)
    if ds is not None:
        subject = (
            f"Open data request: new fields in {_dataset_name(ds)}"
            if wanted
            else f"Open data request: {_dataset_name(ds)}"
        )
    elif description:
        subject = f"Open data request: {_short(description)}"
    else:
        subject = "Open data request"

    letter.para(_long_date(today))
    letter.para("Hello,")
    if ds is not None and wanted:
        ask = (
            f"I am writing to ask whether the dataset {_dataset_name(ds)} on PortlandMaps Open Data could be "
            "extended with the fields described below."
        )
    elif ds is not None:
        ask = (
            f"I am writing about the dataset {_dataset_name(ds)} on PortlandMaps Open Data, and to ask "
            "whether it could be published as described below."
        )
    else:
        ask = (
            "I am writing to ask whether the City could publish the data described below as open data on "
            "PortlandMaps Open Data."
        )
    letter.para(ask)
    if description:
        letter.para(description)
    elif ds is None and not wanted:
        letter.para(
            letter.ph(
                "describe the data you would like published: what it is, which bureau keeps it, and what it covers"
            )
        )
    elif ds is not None and not wanted and not _text(inp.cadence) and not inp.date_from and not inp.date_to:
        letter.para(letter.ph("what you would like: new fields, more history, or more frequent updates"))
    cadence = _line(inp.cadence)
    if not cadence and ds is not None and ds.update_frequency:
        cadence = f"as now ({_line(ds.update_frequency)})"
    letter.facts(
        [
            *_dataset_facts(ds),
            ("Fields", _field_list(ds, inp.fields)),
            ("New fields", wanted),
            ("Rows", _filter(inp.filter_text)),
            ("History", _period(inp.date_from, inp.date_to)),
            ("Format", f"{_line(inp.format) or 'CSV'}, machine-readable"),
            ("Updates", cadence or letter.ph("how often it should be updated, e.g. monthly")),
        ]
    )
    purpose = _text(inp.purpose)
    if purpose:
        letter.para(f"Why it matters: {purpose}")
    letter.para("How I would use it: " + (_text(inp.use) or letter.ph("how you will use the data")))
    letter.para(
        "I know that publishing data takes work, and that some of it may not be publishable. Part of it "
        "would still help. If it cannot be published, please tell me whether I should make a public "
        "records request instead, or whom else to ask."
    )
    _signature(letter, inp.requester, "Thank you for considering this,")

    if ds is not None:
        send = [owner_recipient(_line(ds.owner), _line(ds.page_url)), CONTACTS["open_data_program"]]
    else:
        send = [CONTACTS["open_data_program"], owner_recipient()]
    return subject, send, []


_TOPIC_ASK = {
    "failing request": (
        "a request that fails",
        "Could you tell me whether the service is working as it should, and whether something in my request is wrong?",
    ),
    "rate limits": (
        "the request limits of the service",
        "Could you tell me what limits apply to requests to this service, and how fast a client may safely send them?",
    ),
    "app token or key": (
        "getting an app token or API key",
        "Could you tell me whether this service needs an app token or API key, and how I can get one?",
    ),
    "other": ("a question about access", ""),
}


def _topic(inp: DraftInput) -> str:
    topic = _line(inp.topic).lower()
    if topic in _TOPIC_ASK:
        return topic
    for key in _TOPIC_ASK:  # "limits", "token", "fail" ...
        if len(topic) >= 3 and (topic in key or key.split()[0] in topic):
            return key
    if topic:
        return "other"
    return "failing request" if (inp.url or inp.error) else "other"


def _access(inp: DraftInput, today: date, letter: _Letter) -> tuple[str, list[Recipient], list[str]]:
    ds = inp.dataset
    topic = _topic(inp)
    what, ask = _TOPIC_ASK[topic]
    if topic == "other" and _line(inp.topic):
        what = _line(inp.topic)
    url, removed = scrub_url(_line(inp.url)) if inp.url else ("", ())
    target = _dataset_name(ds) if ds is not None else (urlsplit(url).hostname or "" if url else "")
    subject = f"API question ({what})" + (f": {target}" if target else "")

    letter.para(_long_date(today))
    letter.para("Hello,")
    where = f" for the dataset {_dataset_name(ds)}" if ds is not None else ""
    letter.para(
        f"I am using the City of Portland's open data services{where} and would be grateful for your help with {what}."
    )
    rows: list[tuple[str, str]] = []
    if url:
        rows.append(("Request", f"GET {url}"))
    elif ds is not None and ds.api_url:
        rows.append(("Endpoint", _line(ds.api_url)))
    elif topic == "failing request":
        rows.append(("Request", letter.ph("the full request URL, without any token")))
    error = _text(inp.error)
    if error:
        rows.append(("Error", error))
    elif topic == "failing request":
        rows.append(("Error", letter.ph("the HTTP status and error message you saw")))
    rows.append(("Seen on" if topic == "failing request" else "Date", today.isoformat()))
    if ds is not None:
        rows += [
            ("Dataset", _dataset_name(ds)),
            ("ID", _line(ds.id)),
            ("Owner", _line(ds.owner)),
            ("Page", _line(ds.page_url)),
        ]
    rows.append(("Rows", _filter(inp.filter_text)))
    letter.facts(rows)
    if removed:
        names = ", ".join(n for n in removed)
        letter.para(f"I have left my credentials out of the URL above on purpose (removed: {names}).")
    problem = _text(inp.problem)
    if problem:
        letter.para(f"What I need: {problem}")
    elif topic == "other":
        letter.para("What I need: " + letter.ph("what you need, or what goes wrong"))
    if ask:
        letter.para(ask)
    letter.para(
        "I use pdxtui, a terminal browser for open data. It caches answers, by default sends at most 4 "
        "requests at a time to one server, and backs off on 429, 502, 503 and 504 answers, waiting as "
        "long as Retry-After asks."
    )
    _signature(letter, inp.requester, "Thank you for your help,")

    send = [CONTACTS["bts_helpdesk"]]
    host = (urlsplit(url).hostname or "") if url else ""
    if (host.endswith("portlandmaps.com") and "/api/" in urlsplit(url).path) or topic == "app token or key":
        send.append(CONTACTS["portlandmaps_dev"])
    if ds is not None:
        send.append(owner_recipient(_line(ds.owner), _line(ds.page_url)))
    notes = [
        "The HelpDesk is a phone line: use this text for the call, or as the ticket text if they ask for it in writing."
    ]
    return subject, send, notes


def _quality(inp: DraftInput, today: date, letter: _Letter) -> tuple[str, list[Recipient], list[str]]:
    ds = inp.dataset
    fields_text = _field_list(ds, inp.fields)
    if ds is not None:
        subject = f"Data quality report: {_dataset_name(ds)}" + (f", field {fields_text}" if fields_text else "")
    else:
        subject = "Data quality report" + (f": field {fields_text}" if fields_text else "")

    letter.para(_long_date(today))
    letter.para("Hello,")
    if ds is not None:
        by = f", which the {_line(ds.owner)} publishes" if ds.owner else ""
        letter.para(f"I think I have found an error in the dataset {_dataset_name(ds)}{by} on PortlandMaps Open Data.")
    else:
        letter.para("I think I have found an error in one of the City's open datasets.")
    ids = [_line(i) for i in inp.record_ids if _line(i)]
    shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
    id_field = _id_field(ds)
    letter.facts(
        [
            *(_dataset_facts(ds) if ds is not None else [("Dataset", letter.ph("dataset title and id"))]),
            (
                "Fields" if len([f for f in inp.fields if _line(f)]) > 1 else "Field",
                fields_text or letter.ph("the field that is wrong"),
            ),
            (
                "Records",
                (f"{id_field} {shown}" if id_field else shown)
                if ids
                else letter.ph("a few example record ids, e.g. OBJECTID values"),
            ),
            ("Rows", _filter(inp.filter_text)),
            ("Checked on", today.isoformat()),
        ]
    )
    letter.para("What is wrong: " + (_text(inp.problem) or letter.ph("what is wrong")))
    expected = _text(inp.expected)
    if expected:
        letter.para(f"What I expected: {expected}")
    letter.para(
        "Could you check these records and correct them if they are wrong? If the values are right and I "
        "have misread them, a note in the dataset's description would help other users too."
    )
    _signature(letter, inp.requester, "Thank you,")

    if ds is not None:
        send = [owner_recipient(_line(ds.owner), _line(ds.page_url)), CONTACTS["open_data_program"]]
    else:
        send = [owner_recipient(), CONTACTS["open_data_program"]]
    return subject, send, []


def draft(inp: DraftInput, *, today: date, secrets: Sequence[str] = ()) -> Draft:
    """The letter for ``inp``. Pure and deterministic: ``today`` dates it; every string in ``secrets`` (and any
    token-like URL parameter or header value) is removed from every part. Raises ValueError for an unknown
    kind."""
    if inp.kind not in KIND_KEYS:
        raise ValueError(f"unknown kind {inp.kind!r}; choose one of {', '.join(KIND_KEYS)}")
    letter = _Letter()
    if inp.kind == "records":
        subject, send, notes = _records(inp, today, letter)
    elif inp.kind == "publish":
        subject, send, notes = _publish(inp, today, letter)
    elif inp.kind == "access":
        subject, send, notes = _access(inp, today, letter)
    else:
        subject, send, notes = _quality(inp, today, letter)

    ds = inp.dataset
    if ds is not None and ds.sample:
        notes.insert(
            0,
            "This dataset comes from pdxtui's bundled sample snapshot: check its title, owner and "
            "links on PortlandMaps Open Data before you send this.",
        )
    if ds is not None and not _is_portland(ds):
        notes.insert(
            0,
            "This dataset does not look like a City of Portland one, but the letter is written for "
            "Portland (and, for records requests, Oregon law).",
        )

    body = clean(scrub(letter.text(), secrets))
    subject = one_line(scrub(subject, secrets))
    if REMOVED in body or REMOVED in subject:
        notes.append("Tokens, keys or passwords were removed from the text; do not add them back.")
    placeholders = tuple(p for p in letter.used if p in body or p in subject)
    if placeholders:
        notes.append("Fill in the parts in [square brackets] before you send this.")
        if PLACEHOLDER_NAME in placeholders or PLACEHOLDER_EMAIL in placeholders:
            notes.append(
                "Set name and email under [requester] in the pdxtui config file to fill in your details automatically."
            )
    send_to = tuple(
        Recipient(
            label=one_line(scrub(r.label, secrets)),
            how=r.how,
            address=one_line(scrub(r.address, secrets)),
            note=one_line(scrub(r.note, secrets)),
            confirmed=r.confirmed,
        )
        for r in send
    )
    return Draft(
        kind=inp.kind,
        subject=subject,
        body=body,
        send_to=send_to,
        placeholders=placeholders,
        notes=tuple(one_line(scrub(n, secrets)) for n in notes),
    )


# -- output -----------------------------------------------------------------------------------------------------


def recipient_lines(r: Recipient) -> list[str]:
    """A recipient as text lines: label and how, the address (or that none is known), the note."""
    lines = [f"{r.label} - {r.how}"]
    if r.address:
        flag = "" if r.confirmed or "unconfirmed" in r.note else "  (unconfirmed, may have moved)"
        lines.append(f"  {r.address}{flag}")
    else:
        lines.append("  (no address known to pdxtui)")
    if r.note:
        lines.append(f"  {r.note}")
    return lines


def render(d: Draft) -> str:
    """The whole draft as plain text: subject, letter, where to send it, and notes for the sender."""
    out = [f"Subject: {d.subject}", "", d.body, "", "-" * 24, "Send to:"]
    for number, r in enumerate(d.send_to, 1):
        first, *rest = recipient_lines(r)
        out.append(f"{number}. {first}")
        out.extend(f" {line}" for line in rest)
    if d.notes:
        out += ["", "Before you send:"]
        out.extend(f"- {note}" for note in d.notes)
    return "\n".join(out) + "\n"


def recipient_json(r: Recipient) -> dict[str, Any]:
    return {"label": r.label, "how": r.how, "address": r.address, "note": r.note, "confirmed": r.confirmed}


def to_json(d: Draft) -> dict[str, Any]:
    """``{kind, subject, body, send_to: [{label, how, address, note, confirmed}], placeholders, notes}``."""
    return {
        "kind": d.kind,
        "subject": d.subject,
        "body": d.body,
        "send_to": [recipient_json(r) for r in d.send_to],
        "placeholders": list(d.placeholders),
        "notes": list(d.notes),
    }


# -- forms ------------------------------------------------------------------------------------------------------

_FORM_TYPES: dict[str, str] = {f.name: f.type for spec in FORM_FIELDS.values() for f in spec}
_INPUT_NAMES = {f.name for f in dc_fields(DraftInput)} - {"kind", "dataset", "requester", "filter_text"}
_SPLIT = re.compile(r"[,\s]+")


def _as_tuple(value: Any, *, split_spaces: bool) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        parts = _SPLIT.split(value) if split_spaces else value.split(",")
        return tuple(p.strip() for p in parts if p.strip())
    return tuple(str(v).strip() for v in value if str(v).strip())


def input_from_form(
    kind: str,
    values: Mapping[str, Any],
    *,
    dataset: Dataset | None = None,
    requester: Any = None,
    filter_text: str | None = None,
) -> DraftInput:
    """A DraftInput from form values (name -> widget value), converted by each field's type: ``list`` text is
    split on commas and white space, ``fields`` on commas (or given as a sequence), ``bool`` made bool, text
    trimmed; empty dates become None. Names that are not DraftInput fields are ignored."""
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if name not in _INPUT_NAMES:
            continue
        kind_of = _FORM_TYPES.get(name, "text")
        if kind_of == "bool":
            kwargs[name] = bool(value)
        elif kind_of == "list":
            kwargs[name] = _as_tuple(value, split_spaces=True)
        elif kind_of == "fields":
            kwargs[name] = _as_tuple(value, split_spaces=False)
        elif name in ("date_from", "date_to"):
            kwargs[name] = str(value).strip() or None if value is not None else None
        else:
            kwargs[name] = "" if value is None else str(value).strip()
    if "format" in kwargs and not kwargs["format"]:
        kwargs["format"] = "CSV"
    return DraftInput(kind=kind, dataset=dataset, requester=requester, filter_text=filter_text, **kwargs)
