"""The Portland guide: structure, links to the drafts, search, and the facts it must carry."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pdxtui.drafting import KIND_KEYS
from pdxtui.guide import CONTACTS, SECTIONS, Recipient, Section, search, section, table_of_contents

ALL = "\n".join(s.title + "\n" + s.body for s in SECTIONS)


def test_every_section_links_to_a_draft_kind():
    assert len(SECTIONS) >= 6
    for s in SECTIONS:
        assert isinstance(s, Section) and s.title and s.body.strip()
        assert s.related_kind in KIND_KEYS, s.key
    assert {s.related_kind for s in SECTIONS} == set(KIND_KEYS)  # and every kind has a section
    assert len({s.key for s in SECTIONS}) == len(SECTIONS)


def test_table_of_contents():
    toc = table_of_contents()
    assert [e.index for e in toc] == list(range(len(SECTIONS)))
    assert [e.title for e in toc] == [s.title for s in SECTIONS]
    assert [e.related_kind for e in toc] == [s.related_kind for s in SECTIONS]
    _index, title, _kind = toc[0]
    assert title == SECTIONS[0].title


def test_section_lookup():
    assert section("records").title == "Filing a public records request"
    with pytest.raises(KeyError):
        section("nope")


def test_search_finds_words_case_insensitively():
    hits = search("RESULTOFFSET")
    assert hits
    api = next(i for i, s in enumerate(SECTIONS) if s.key == "api")
    assert any(i == api for i, _, _ in hits)
    for i, line_no, snippet in hits:
        assert "resultoffset" in SECTIONS[i].lines[line_no].lower()
        assert "resultoffset" in snippet.lower()


def test_search_requires_all_words():
    both = search("PDDL licence")
    assert both
    for i, line_no, _ in both:
        line = SECTIONS[i].lines[line_no].lower()
        assert "pddl" in line and "licence" in line
    assert search("PDDL zebra") == []
    assert search("") == [] and search("   ") == []


def test_search_phrases_titles_and_snippets():
    assert search('"5 business days"')
    assert search('"business 5 days"') == []
    title_hits = search("who to contact")
    assert any(line_no == 0 for _, line_no, _ in title_hits)  # line 0 is the title
    for _, _, snippet in search("the", width=40):
        assert len(snippet) <= 40


def test_the_facts_are_there():
    for needle in (
        "https://gis-pdx.opendata.arcgis.com",
        "PDX::",
        "since 2016",
        "www.portlandmaps.com/od/rest/services/COP_OpenData_<Theme>/MapServer/<layer>",
        "Environment, Boundary, Property, Transportation and PlanningDevelopment",
        "hundred-block",
        "PDDL) 1.0",
        "PortlandMaps terms of service",
        "resultOffset",
        "resultRecordCount",
        "maxRecordCount",
        "orderByFields",
        "exceededTransferLimit",
        "Retry-After",
        "429",
        "app token",
        "ORS 192.311 to 192.478",
        "ORS 192.324(2)",
        "5 business days",
        "ORS 192.329(1)",
        "as soon as practicable and without unreasonable delay",
        "10 business days",
        "ORS 192.324(3)",
        "$25",
        "fee waiver",
        "BCP-ADM-8.03",
        "District Attorney",
        "Smart City PDX",
        "Bureau of Planning & Sustainability",
        "Bureau of Technology Services",
        "503-823-5199",
        "portlandor.mycusthelp.com",
        "may have moved",
    ):
        assert needle in ALL, needle
    for column in (
        "Address",
        "CaseNumber",
        "CrimeAgainst",
        "Neighborhood",
        "OccurDate",
        "OccurTime",
        "OffenseCategory",
        "OffenseType",
        "OpenDataLat",
        "OpenDataLon",
        "OpenDataX",
        "OpenDataY",
        "ReportDate",
        "OffenseCount",
    ):
        assert column in section("crime").body, column


def test_unconfirmed_facts_are_marked():
    for line in ALL.splitlines():
        if "mycusthelp" in line and "|" not in line:
            assert "unconfirmed" in line.lower() or "may have moved" in line.lower(), line
        if "200 requests" in line or "stalls" in line:
            assert "unconfirmed" in line.lower(), line


def test_enforcement_is_administrative_with_no_published_fines():
    body = section("enforcement").body
    assert "no published fines" in body
    assert "general practice" in body and "not a statement of Portland's policy" in body
    for line in ALL.splitlines():  # nothing anywhere claims a fine
        if re.search(r"\bfines?\b", line, re.I):
            assert "no published fines" in line or "not a fine" in line, line
    assert "data.portlandoregon.gov" in ALL and "no evidence" in ALL.lower()


def test_contacts_table_and_recipients():
    contacts = section("contacts")
    assert contacts.table and contacts.table[0][0] == "You want to"
    for row in contacts.table[1:]:
        assert len(row) == 4 and (row[3] == "" or row[3] in KIND_KEYS)
        assert row[0] in contacts.body
    assert all(isinstance(r, Recipient) for r in CONTACTS.values())
    assert CONTACTS["records_centre"].confirmed is False
    assert CONTACTS["bts_helpdesk"].address == "503-823-5199"
    for r in CONTACTS.values():  # no invented e-mail addresses
        assert "@" not in r.address


def test_text_wraps_for_a_terminal():
    for s in SECTIONS:
        for line in s.text(60).splitlines():
            if line.startswith("    ") or len(line.split()) == 1:
                continue  # code lines and single long words stay whole
            assert len(line) <= 60, line
        assert s.text() == s.body


def test_guide_imports_nothing_heavy():
    code = (
        "import sys, pdxtui.guide, pdxtui.drafting, pdxtui.cli.draft; "
        "print(sorted(m for m in ('textual', 'polars', 'httpx', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
