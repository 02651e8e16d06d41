"""Request drafting: each letter's required parts, placeholders, secret scrubbing, dates and forms."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from pdxtui import drafting
from pdxtui.config import Requester
from pdxtui.drafting import (
    DRAFT_KINDS,
    FORM_FIELDS,
    KIND_KEYS,
    DateRangeError,
    Draft,
    DraftInput,
    Recipient,
    check,
    draft,
    input_from_form,
    parse_date_range,
    render,
    scrub,
    scrub_url,
    to_json,
)
from pdxtui.errors import UsageError
from pdxtui.filters import describe, parse
from pdxtui.model import Dataset, Field

TODAY = date(2024, 5, 1)
CANARY = "CANARY-t0ken-9f8e7d"
ODD_CANARY = "s3cr3t/Tok+en=="  # changes under percent-encoding

TREES = Dataset(
    id="abc123_1415",
    title="Street Tree Inventory - Active Records",
    owner="Urban Forestry",
    update_frequency="Weekly",
    fields=(
        Field("OBJECTID", "esriFieldTypeOID", "integer", alias="OBJECTID"),
        Field("SPECIES", "esriFieldTypeString", "string", alias="Species"),
        Field("DIAMETER", "esriFieldTypeDouble", "float", alias="Diameter (in)"),
        Field("Condition", "esriFieldTypeString", "string", alias="Condition"),
    ),
    page_url="https://gis-pdx.opendata.arcgis.com/datasets/PDX::street-tree-inventory-active-records",
    api_url="https://www.portlandmaps.com/od/rest/services/COP_OpenData_Environment/MapServer/1415/query",
)
CRIME = Dataset(
    id="crime_1", title="Crime Data", owner="Portland Police Bureau", page_url="https://www.portlandmaps.com/crime"
)
FULL = Requester(
    name="Ada Lovelace",
    email="ada@example.org",
    phone="503-555-0100",
    organisation="Friends of Trees",
    address="1 Main St\nPortland, OR 97201",
)
EMPTY = Requester()


def make(kind: str, **kw) -> Draft:
    kw.setdefault("dataset", TREES)
    kw.setdefault("requester", FULL)
    return draft(DraftInput(kind, **kw), today=TODAY)


def everything(d: Draft) -> str:
    """Every piece of text a draft carries."""
    parts = [d.subject, d.body, *d.placeholders, *d.notes, render(d), repr(to_json(d))]
    for r in d.send_to:
        parts += [r.label, r.how, r.address, r.note]
    return "\n".join(parts)


# -- kinds and forms --------------------------------------------------------------------------------------------


def test_kinds_in_order_with_titles():
    assert KIND_KEYS == ("records", "publish", "access", "quality")
    for kind in DRAFT_KINDS:
        _key, title, description = kind
        assert title and description and "\n" not in description


def test_form_fields_describe_draft_input():
    names = {f.name for f in dataclasses.fields(DraftInput)}
    assert set(FORM_FIELDS) == set(KIND_KEYS)
    for kind, spec in FORM_FIELDS.items():
        assert spec, kind
        assert len({f.name for f in spec}) == len(spec)
        for f in spec:
            assert f.name in names, f.name
            assert f.type in ("text", "multiline", "bool", "choice", "fields", "list")
            assert f.label
            assert bool(f.choices) == (f.type == "choice")
    assert "fee_waiver" in [f.name for f in FORM_FIELDS["records"]]
    assert {"url", "error"} <= {f.name for f in FORM_FIELDS["access"]}
    assert {"record_ids", "problem", "fields"} <= {f.name for f in FORM_FIELDS["quality"]}
    assert {"cadence", "use", "purpose"} <= {f.name for f in FORM_FIELDS["publish"]}


def test_input_from_form_converts_by_type():
    inp = input_from_form(
        "quality",
        {
            "record_ids": "12, 57 103",
            "fields": "SPECIES, DIAMETER",
            "problem": " x ",
            "fee_waiver": 1,
            "date_from": "",
            "format": "",
            "nonsense": "ignored",
        },
        dataset=TREES,
        requester=FULL,
        filter_text="all rows",
    )
    assert inp.record_ids == ("12", "57", "103")
    assert inp.fields == ("SPECIES", "DIAMETER")
    assert inp.problem == "x" and inp.fee_waiver is True and inp.date_from is None and inp.format == "CSV"
    assert inp.dataset is TREES and inp.requester is FULL and inp.kind == "quality"
    inp = input_from_form("records", {"fields": ["SPECIES"], "record_ids": ["1", "2"]})
    assert inp.fields == ("SPECIES",) and inp.record_ids == ("1", "2")


def test_unknown_kind_raises_and_check_reports():
    with pytest.raises(ValueError):
        draft(DraftInput("complaint"), today=TODAY)
    assert check(DraftInput("complaint"))
    assert check(DraftInput("records")) == ()
    assert check(DraftInput("records", date_from="2023-02-30"))
    assert check(DraftInput("records", date_from="2024", date_to="2023"))


# -- records ----------------------------------------------------------------------------------------------------


def test_records_has_the_required_parts():
    d = make(
        "records",
        fields=("SPECIES", "DIAMETER"),
        date_from="2023-01-01",
        date_to="2023-12-31",
        use="a street tree report for our neighbourhood association",
    )
    body = d.body
    for needle in (
        "Oregon Public Records Law",
        "ORS 192.311 to 192.478",
        "ORS 192.324(2)",
        "5 business days",
        "ORS 192.329(1)",
        "as soon as practicable and without unreasonable delay",
        "10 business days",
        "ORS 192.324(3)",
        "electronic form",
        "CSV",
        "$25",
        "written estimate",
        "Street Tree Inventory - Active Records",
        "abc123_1415",
        "Urban Forestry",
        TREES.page_url,
        TREES.api_url,
        "SPECIES (Species), DIAMETER (Diameter (in))",
        "2023-01-01 to 2023-12-31",
        "a street tree report",
        "Ada Lovelace",
        "Friends of Trees",
        "1 Main St",
        "Portland, OR 97201",
        "Email: ada@example.org",
        "Phone: 503-555-0100",
        "May 1, 2024",
    ):
        assert needle in body, needle
    assert "waive" not in body
    assert d.placeholders == ()
    assert d.subject.startswith("Public records request:") and "Street Tree Inventory" in d.subject
    assert d.kind == "records"


def test_records_fee_waiver_is_an_option():
    assert "waive or reduce the fees" in make("records", fee_waiver=True, use="x").body
    d = make("records", fee_waiver=True, date_from="2023")
    assert "public interest" in d.body
    assert any("public interest" in p for p in d.placeholders)  # the reason is missing


def test_records_format_choice_and_open_period():
    d = make("records", format="GeoJSON", date_from="2020-01-01")
    assert "GeoJSON would suit me best" in d.body and "from 2020-01-01 to the present" in d.body
    assert "up to and including 2019-12-31" in make("records", date_to="2019-12-31").body
    assert "Period: 2023" in re.sub(r" +", " ", make("records", date_from="2023", date_to="2023").body)
    missing = make("records")
    assert any(p.startswith("[the period") for p in missing.placeholders)


def test_records_send_to_the_records_centre_or_the_police_form():
    d = make("records")
    first = d.send_to[0]
    assert isinstance(first, Recipient)
    assert "portlandor.mycusthelp.com" in first.address and first.confirmed is False
    assert "may have moved" in first.note
    assert any("District Attorney" in r.label for r in d.send_to)
    police = make("records", dataset=CRIME)
    assert "Police" in police.send_to[0].label
    general = make("records", dataset=None)
    labels = " ".join(r.label for r in general.send_to)
    assert "records request centre" in general.send_to[0].label and "Police" in labels and "Emergency" in labels


# -- the other kinds --------------------------------------------------------------------------------------------


def test_publish_has_purpose_fields_format_cadence_use():
    d = make(
        "publish",
        fields_wanted="PLANTED_DATE, the date the tree was planted",
        cadence="monthly",
        purpose="Shows where the canopy is growing",
        use="a canopy map",
        format="CSV",
    )
    for needle in (
        "Street Tree Inventory",
        "abc123_1415",
        "Urban Forestry",
        "PLANTED_DATE",
        "monthly",
        "Shows where the canopy is growing",
        "a canopy map",
        "CSV",
        "public records request",
    ):
        assert needle in d.body, needle
    assert d.subject == 'Open data request: new fields in "Street Tree Inventory - Active Records"'
    assert d.send_to[0].label == "Urban Forestry" and d.send_to[0].address == TREES.page_url
    assert "Smart City PDX" in d.send_to[1].label and "Planning & Sustainability" in d.send_to[1].label
    assert d.placeholders == ()


def test_publish_cadence_defaults_to_the_current_one():
    d = make("publish", fields_wanted="X", use="y")
    assert "as now (Weekly)" in d.body


def test_access_has_url_error_and_helpdesk():
    url = "https://www.portlandmaps.com/od/rest/services/COP_OpenData_Environment/MapServer/1415/query?where=1%3D1&outFields=*"
    d = make("access", url=url, error="HTTP 503 Service Unavailable after 60 s")
    assert f"GET {url}" in d.body
    assert "HTTP 503 Service Unavailable after 60 s" in d.body
    assert "2024-05-01" in d.body
    assert d.send_to[0].address == "503-823-5199" and "Technology Services" in d.send_to[0].label
    assert d.subject.startswith("API question (a request that fails)")


def test_access_topics():
    assert "how I can get one" in make("access", topic="app token or key").body
    limits = make("access", topic="rate limits")
    assert "what limits apply" in limits.body
    assert not any("URL" in p for p in limits.placeholders)
    failing = make("access", dataset=None, topic="failing request")
    assert any("URL" in p for p in failing.placeholders) and any("error" in p for p in failing.placeholders)
    keyed = make("access", url="https://www.portlandmaps.com/api/suggest/?query=1+Main")
    assert any("development" in r.address for r in keyed.send_to)


def test_access_offers_the_request_log_summary():
    from pdxtui.requestlog import HostDay

    assert any(f.name == "include_usage" and f.type == "bool" for f in FORM_FIELDS["access"])
    usage = (
        HostDay(
            "2024-04-30",
            "services.arcgis.com",
            requests=40,
            network=31,
            attempts=33,
            bytes=2_500_000,
            cache_hits=9,
            throttled=2,
            errors=1,
            waited=3.5,
        ),
        HostDay("2024-05-01", "www.portlandmaps.com", requests=5, network=5, attempts=5, bytes=1200),
    )
    without = make("access", topic="rate limits", usage=usage)  # not asked for: not in the letter
    assert "services.arcgis.com" not in without.body
    d = make("access", topic="rate limits", include_usage=True, usage=usage)
    assert "last 30 days" in d.body and "36 requests went to these services (38 tries, retries included)" in d.body
    assert "; 9 more were answered from pdxtui's own cache; 2 answers were 429 (too many requests)." in d.body
    table = d.body[d.body.index("Day ") :].split("\n\n")[0].splitlines()
    assert table[0].split() == [
        "Day",
        "Host",
        "Requests",
        "Network",
        "Cache",
        "hits",
        "Bytes",
        "429s",
        "Errors",
        "Waited",
    ]
    assert table[1].split()[:5] == ["2024-04-30", "services.arcgis.com", "40", "31", "9"]
    assert table[-1].split()[:4] == ["Total", "45", "36", "9"] and table[-1].endswith("3.5 s")
    empty = make("access", topic="rate limits", include_usage=True)
    assert "holds no requests to these services in the last 30 days" in empty.body
    form = input_from_form("access", {"include_usage": True, "usage": "ignored: not typed"})
    assert form.include_usage is True and form.usage == ()


def test_quality_has_dataset_field_ids_problem():
    d = make(
        "quality",
        fields=("SPECIES",),
        record_ids=("12", "57"),
        problem="Common names are swapped",
        expected="Acer macrophyllum - Bigleaf maple",
    )
    for needle in (
        "Street Tree Inventory",
        "abc123_1415",
        "Urban Forestry",
        "SPECIES (Species)",
        "OBJECTID 12, 57",
        "Common names are swapped",
        "Bigleaf maple",
        "2024-05-01",
    ):
        assert needle in d.body, needle
    assert d.send_to[0].label == "Urban Forestry"
    assert d.placeholders == ()
    empty = make("quality")
    assert {"[what is wrong]", "[the field that is wrong]"} <= set(empty.placeholders)


# -- shared behaviour -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KIND_KEYS)
def test_placeholders_only_when_the_profile_is_empty(kind):
    filled = make(kind, requester=FULL)
    assert "[your name]" not in filled.body and "[your email]" not in filled.body
    assert "[your name]" not in filled.placeholders
    empty = make(kind, requester=EMPTY)
    assert "[your name]" in empty.body and "Email: [your email]" in empty.body
    assert {"[your name]", "[your email]"} <= set(empty.placeholders)
    assert "Phone:" not in empty.body  # optional details are left out, never invented
    none = make(kind, requester=None)
    assert none.body == empty.body
    for p in empty.placeholders:
        assert p in empty.body or p in empty.subject


@pytest.mark.parametrize("kind", KIND_KEYS)
def test_no_secret_ever_appears(kind):
    encoded = [quote(ODD_CANARY, safe=""), quote_plus(ODD_CANARY)]
    url = (
        f"https://user:{CANARY}@www.portlandmaps.com/od/rest/services/x/MapServer/1/query?where=1%3D1"
        f"&token={CANARY}&app_token={CANARY}&api_key={CANARY}&key={CANARY}&apikey={CANARY}"
        f"&access_token={CANARY}&password={CANARY}&secret={CANARY}&$$app_token={CANARY}&X={encoded[0]}"
        f"#access_token={CANARY}"
    )
    text = (
        f"Authorization: Bearer {CANARY}; X-App-Token: {CANARY}; token={CANARY}; api_key: '{CANARY}'; "
        f"saw {ODD_CANARY} and {encoded[1]} in {url}"
    )
    d = draft(
        DraftInput(
            kind,
            dataset=dataclasses.replace(TREES, title=f"Trees {CANARY}"),
            requester=FULL,
            url=url,
            error=text,
            problem=text,
            description=text,
            use=text,
            purpose=text,
            fields_wanted=text,
            expected=text,
            record_ids=(CANARY,),
            filter_text=f"x is {CANARY}",
        ),
        today=TODAY,
        secrets=[CANARY, ODD_CANARY],
    )
    blob = everything(d)
    assert CANARY not in blob
    for form in (ODD_CANARY, *encoded):
        assert form not in blob
    assert "[removed]" in d.body
    assert any("removed" in n for n in d.notes)


def test_secret_params_are_scrubbed_without_the_secrets_list():
    d = make(
        "access",
        url=f"https://www.portlandmaps.com/api/suggest/?query=1+Main&api_key={CANARY}",
        error=f"403 for ...?token={CANARY}",
    )
    assert CANARY not in everything(d)
    assert "GET https://www.portlandmaps.com/api/suggest/?query=1+Main\n" in d.body + "\n"
    assert "removed: api_key" in d.body


def test_scrub_url_keeps_the_rest_exactly():
    assert scrub_url("https://h.example/p?where=1%3D1&token=x&outFields=*&f=json#top") == (
        "https://h.example/p?where=1%3D1&outFields=*&f=json#top",
        ("token",),
    )
    url = "https://h.example/p?b=2&a=1"
    assert scrub_url(url) == (url, ())
    assert scrub_url("https://me:pw@h.example/p") == ("https://h.example/p", ("user:password",))
    assert scrub("see https://h.example/q?x=1&apikey=zz.", ()) == "see https://h.example/q?x=1."
    assert scrub("token = abc, fine", ()) == "token = [removed], fine"
    assert scrub("the primary key: OBJECTID", ()) == "the primary key: OBJECTID"  # prose keeps "key:"
    assert scrub("the bearer of bad news", ()) == "the bearer of bad news"
    assert scrub("abc", ["abc"]) == "abc"  # too short to be a token: the text is left alone


@pytest.mark.parametrize("kind", KIND_KEYS)
def test_works_without_a_dataset(kind):
    d = make(kind, dataset=None, requester=EMPTY)
    assert d.body.startswith("May 1, 2024")
    assert d.send_to and d.subject
    assert "None" not in d.body
    assert not any("sample" in n for n in d.notes)


@pytest.mark.parametrize("kind", KIND_KEYS)
def test_filter_in_plain_english(kind):
    node = parse("SPECIES ~ maple and DIAMETER > 30", TREES.fields)
    d = make(kind, filter_text=describe(node))
    assert 'only those where SPECIES contains "maple" and DIAMETER is greater than 30' in d.body
    assert "Rows:" not in make(kind, filter_text=describe(None)).body
    assert "Rows:" not in make(kind, filter_text=None).body


@pytest.mark.parametrize("kind", KIND_KEYS)
def test_deterministic_and_dated_by_today(kind):
    assert make(kind) == make(kind)
    assert "December 31, 1999" in draft(DraftInput(kind), today=date(1999, 12, 31)).body


@pytest.mark.parametrize("kind", KIND_KEYS)
def test_portal_text_is_made_safe(kind):
    nasty = dataclasses.replace(TREES, title="Trees\x1b[2J\x07\u202e", owner="Forestry\x1b]52;c;x\x07")
    d = make(kind, dataset=nasty, problem="bad\x1b[31m", fields=("SPECIES",))
    for text in (d.subject, d.body, render(d)):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


def test_notes_for_sample_and_foreign_datasets():
    assert any("sample" in n for n in make("records", dataset=dataclasses.replace(TREES, sample=True)).notes)
    foreign = dataclasses.replace(
        TREES, page_url="https://data.cityofchicago.org/d/x", api_url="https://data.cityofchicago.org/resource/x.json"
    )
    assert any("does not look like a City of Portland" in n for n in make("records", dataset=foreign).notes)
    assert not any("does not look like" in n for n in make("records").notes)


def test_no_claims_beyond_the_facts():
    for kind in KIND_KEYS:
        body = make(kind, fee_waiver=True, use="x").body
        assert "data.portlandoregon.gov" not in body
        assert set(re.findall(r"\$\d+", body)) <= {"$25"}
        assert not re.search(r"\bfines?\b|\bpenalt", body, re.I)
        for statute in re.findall(r"ORS 192\.\d+(?:\(\d\))?", body):
            assert statute in ("ORS 192.311", "ORS 192.324(2)", "ORS 192.324(3)", "ORS 192.329(1)"), statute


def test_render_and_json():
    d = make("records", requester=EMPTY)
    text = render(d)
    assert text.startswith(f"Subject: {d.subject}\n\n{d.body}\n")
    assert "Send to:\n1. City of Portland public records request centre" in text
    assert "(no address known to pdxtui)" in text  # the District Attorney
    assert text.endswith("\n") and "Before you send:" in text
    data = to_json(d)
    assert set(data) == {"kind", "subject", "body", "send_to", "placeholders", "notes"}
    assert data["send_to"][0] == {
        "label": d.send_to[0].label,
        "how": d.send_to[0].how,
        "address": d.send_to[0].address,
        "note": d.send_to[0].note,
        "confirmed": False,
    }
    assert data["placeholders"] == list(d.placeholders)


# -- dates ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2023-01-01..2023-12-31", ("2023-01-01", "2023-12-31")),
        ("2023-1-5..", ("2023-01-05", None)),
        ("..2023-06", (None, "2023-06")),
        ("2023", ("2023", "2023")),
        ("2023-06..2023", ("2023-06", "2023")),
        (" 2020 .. 2021 ", ("2020", "2021")),
    ],
)
def test_parse_date_range(text, expected):
    assert parse_date_range(text) == expected


@pytest.mark.parametrize(
    "text", ["", "..", "2023-13-01..", "2023-02-30", "yesterday", "2024..2023", "2023-12-31..2023-01-01", "01/02/2023"]
)
def test_parse_date_range_errors(text):
    with pytest.raises(DateRangeError) as info:
        parse_date_range(text)
    assert isinstance(info.value, UsageError)
    assert "\n" not in str(info.value)


def test_module_stays_pure():
    assert not hasattr(drafting, "textual")
    for src in Path(drafting.__file__).parent.glob("*.py"):
        text = src.read_text(encoding="utf-8")
        assert "import textual" not in text and "from textual" not in text and "open(" not in text, src.name
