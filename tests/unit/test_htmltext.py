"""HTML descriptions as plain text (pdxtui.htmltext)."""

from __future__ import annotations

import pytest

from pdxtui.htmltext import html_to_text
from tests.support.fakeportal.fixtures import HERITAGE_DESCRIPTION, PDDL


def test_paragraphs_become_blank_line_separated():
    assert html_to_text("<p>One</p><p>Two</p>") == "One\n\nTwo"
    assert html_to_text("<div><p>Nested</p>\n  <p>again</p></div>") == "Nested\n\nagain"
    assert html_to_text("<h2>Title</h2>Body text") == "Title\n\nBody text"


def test_br_breaks_lines():
    assert html_to_text("a<br>b<br/>c") == "a\nb\nc"
    assert html_to_text("a<br><br>b") == "a\n\nb"


def test_lists():
    assert html_to_text("<p>Intro</p><ul><li>one</li><li>two <b>bold</b></li></ul>") == "Intro\n\n- one\n- two bold"
    assert html_to_text("<ol><li>first<li>second</ol>after") == "1. first\n2. second\n\nafter"


def test_entities_are_decoded():
    assert html_to_text(
        "<p>Planning &amp; Sustainability &lt;BPS&gt; &eacute;t&eacute; &#8220;x&#8221; &#x27;</p>"
    ) == ("Planning & Sustainability <BPS> été “x” '")
    assert html_to_text("<p>a&nbsp;b</p>") == "a b"
    assert html_to_text("caf&eacute; &amp; co") == "café & co"  # no tags at all


def test_script_and_style_are_dropped():
    text = html_to_text("<style>p { color: red }</style><p>kept</p><script>alert('x<p>')</script><p>too</p>")
    assert text == "kept\n\ntoo"


def test_links_show_their_url():
    assert html_to_text('<a href="https://example.org/x">the docs</a>') == "the docs (https://example.org/x)"
    assert html_to_text('<a href="https://example.org/">https://example.org</a>') == "https://example.org"
    assert html_to_text('<a href="mailto:gis@portlandoregon.gov">gis@portlandoregon.gov</a>') == (
        "gis@portlandoregon.gov"
    )
    assert html_to_text('<a href="#top">back</a> <a>no href</a>') == "back no href"
    assert html_to_text('<p>unclosed <a href="https://u.example">link') == "unclosed link (https://u.example)"


def test_whitespace_collapses_except_in_pre():
    assert html_to_text("<p>  lots \n of\t space  </p>") == "lots of space"
    assert html_to_text("<pre>a\n  b</pre>") == "a\n  b"


def test_plain_text_keeps_its_lines():
    assert html_to_text("first line\nsecond line\n\n\n\nlast") == "first line\nsecond line\n\nlast"


@pytest.mark.parametrize("value", [None, "", "   ", "<p></p>", "<script>x</script>"])
def test_empty(value):
    assert html_to_text(value) == ""


def test_control_markers_in_input_are_neutralised():
    assert html_to_text("<p>a\x00b\x01c\x02d</p>") == "a\ufffdb\ufffdc\ufffdd"


def test_portland_descriptions():
    assert html_to_text(HERITAGE_DESCRIPTION) == (
        "Heritage Trees are trees that City Council has designated for their size, age, history & rarity.\n"
        "Each one is protected by Title 11 (https://www.portland.gov/trees) of City Code.\n\n"
        "Includes trees in the Café Ñandú courtyard and the 桜 (sakura) of Old Town.\n"
        "Update Frequency: Annually\n"
        "Metadata Link: https://www.portlandmaps.com/metadata/index.cfm?&action=DisplayLayer&LayerID=52"
    )
    assert html_to_text(PDDL) == (
        "Open Data Commons Public Domain Dedication and License (PDDL) v1.0. See PDDL 1.0 "
        "(https://opendatacommons.org/licenses/pddl/1-0/) and the PortlandMaps terms of service."
    )


def test_tables_are_readable():
    html = "<table><tr><th>Field</th><th>Meaning</th></tr><tr><td>DBH</td><td>diameter</td></tr></table>"
    assert html_to_text(html) == "Field | Meaning\nDBH | diameter"
