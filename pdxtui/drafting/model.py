"""What a draft is made of: the four kinds, the form fields a UI offers for each, the input (and how form
values become one), the date ranges it takes, and the finished :class:`Draft`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import date
from typing import Any, NamedTuple

from pdxtui.errors import UsageError
from pdxtui.guide import Recipient
from pdxtui.model import Dataset
from pdxtui.requestlog import HostDay


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

#: how far back the API-access letter's usage summary goes
USAGE_DAYS = 30

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
        FormField(
            "include_usage",
            f"Include my request log ({USAGE_DAYS} days)",
            "bool",
            help="Requests, cache hits, bytes, 429s and waits per host and day, from pdxtui's request log "
            "(pdxtui log): what an acceptable-use question needs.",
        ),
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
    (see :func:`parse_date_range`). ``usage`` is prefilled too, from the request log, when ``include_usage``."""

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
    include_usage: bool = False
    #: access: what pdxtui asked of the portal's hosts, per host and day (``requestlog.usage_for``), for
    #: ``include_usage``; filled in by the caller (the form does not type it)
    usage: tuple[HostDay, ...] = ()


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


# -- forms ------------------------------------------------------------------------------------------------------

_FORM_TYPES: dict[str, str] = {f.name: f.type for spec in FORM_FIELDS.values() for f in spec}
_INPUT_NAMES = {f.name for f in dc_fields(DraftInput)} - {"kind", "dataset", "requester", "filter_text", "usage"}
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
