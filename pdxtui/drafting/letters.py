"""The four letters (records, publish, access, quality) and :func:`draft`, which picks one and fills it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from pdxtui.drafting.model import (
    KIND_KEYS,
    PLACEHOLDER_EMAIL,
    PLACEHOLDER_NAME,
    REMOVED,
    USAGE_DAYS,
    Draft,
    DraftInput,
)
from pdxtui.drafting.scrub import scrub, scrub_url
from pdxtui.guide import CONTACTS, Recipient, owner_recipient
from pdxtui.model import Dataset
from pdxtui.requestlog import grand_total, usage_table
from pdxtui.textsafe import clean, one_line

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
    if inp.include_usage:
        _usage(inp, letter)
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


def late_update(ds: Dataset, today: date) -> str:
    """When the dataset is due or overdue for an update by its own stated cadence: a sentence that says so with the
    dates ("The dataset states it is updated weekly; its data last changed on 2025-05-12, so an update was expected
    by 2025-05-19."); else "" (fresh, or no cadence or date to judge by). Judged at the start of ``today``, or, for
    a snapshot (the bundled sample), at its date, which the sentence then names."""
    from pdxtui import freshness

    at = None if ds.freshness_as_of is not None else datetime.combine(today, time(), UTC)
    verdict = freshness.of(ds, at)
    if verdict.state not in (freshness.DUE, freshness.OVERDUE):
        return ""
    assert verdict.data_updated is not None and verdict.expected_by is not None  # (a due or overdue verdict has both)
    changed, expected = verdict.data_updated.date().isoformat(), verdict.expected_by.date().isoformat()
    text = (
        f"The dataset states it is updated {verdict.cadence.name}; its data last changed on {changed}, so an "
        f"update was expected by {expected}"
    )
    if verdict.snapshot and verdict.at is not None:
        return text + f" (as of the snapshot date {verdict.at.date().isoformat()}, it was {verdict.verdict()})."
    return text + f". It is now {verdict.verdict()}."


def _usage(inp: DraftInput, letter: _Letter) -> None:
    """What pdxtui asked of the portal's hosts in the last days, per host and day, as its request log has it."""
    if not inp.usage:
        letter.para(f"pdxtui's request log holds no requests to these services in the last {USAGE_DAYS} days.")
        return
    total = grand_total(inp.usage)
    cached = f"; {total.cache_hits:,} more were answered from pdxtui's own cache" if total.cache_hits else ""
    letter.para(
        f"For reference, from pdxtui's request log of the last {USAGE_DAYS} days (per host and day, UTC): "
        f"{total.network:,} requests went to these services ({total.attempts:,} tries, retries included){cached}; "
        f"{total.throttled:,} answers were 429 (too many requests)."
    )
    letter.parts.append("\n".join(usage_table(list(inp.usage))))


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
    late = late_update(ds, today) if ds is not None else ""
    if late:
        letter.para(late)
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
