"""A corpus of hostile text, as a portal we do not control might send it, and checks that it stayed inert.

Every value here goes into the fake portals' titles, descriptions, field names and cells (see
``tests/fakeportal/fixtures.py`` ``HOSTILE``). The checks say what "inert" means for text that reached a screen,
a stdout byte stream or a file:

* no ESC, no other C0 control but TAB/LF, no DEL, no C1 control (so no CSI, OSC 52, OSC 8, cursor moves);
* no bidi override or isolate, no zero-width character (text cannot reorder or hide itself);
* no lone surrogate (stdout would raise UnicodeEncodeError);
* Rich markup shown literally (``[/x]`` is on the screen as those four characters).
"""

from __future__ import annotations

import re

# --- the corpus -------------------------------------------------------------------------------------------------

MARKUP = "[/x] [bold red]B[/] [link=https://evil.example/]click[/link] [/link] [@click=app.quit]q[/] [/]"
ANSI_CSI = "\x1b[31mRED\x1b[0m \x1b[2J\x1b[H\x1b[10;10Hmoved \x1b[?1049h"
OSC52 = "\x1b]52;c;cHduZWQ=\x07clip"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
C0 = "bell\x07 bs\x08 cr\r vt\x0b ff\x0c so\x0e del\x7f"
C1 = "csi\x9b31m osc\x9d52;c;eA==\x9c nel\x85"
BIDI = "\u202egnp.exe\u202c \u2066iso\u2069 \u200fRLM \u061calm"
ZERO_WIDTH = "zero\u200bwidth\u200cjoin\u200d\ufeffbom\u2060wj"
WIDE = "東京都庁 👩\u200d👩\u200d👧 🇯🇵 ｗｉｄｅ"
HTML = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"
NUL = "nul\x00byte"
SURROGATE = "lone\ud800half\udfffend"
HUGE = "H" * 100_000 + "\x1b[31mtail"

#: name -> value; the order is the order of the hostile fixture's columns and rows
CORPUS: dict[str, str] = {
    "markup": MARKUP,
    "ansi": ANSI_CSI,
    "osc52": OSC52,
    "osc8": OSC8,
    "c0": C0,
    "c1": C1,
    "bidi": BIDI,
    "zero_width": ZERO_WIDTH,
    "wide": WIDE,
    "html": HTML,
    "nul": NUL,
    "surrogate": SURROGATE,
    "huge": HUGE,
}

#: everything in one line (minus the 100 KB one): for titles and owners
ALL_IN_ONE = " | ".join(v for k, v in CORPUS.items() if k != "huge")

#: hostile field names (ArcGIS allows almost anything in a name; real layers have spaces and punctuation)
FIELD_NAMES = ("[/b]name", "\x1b[2Jcls", "名前👩\u200d👩", "col\u202eRTL", "nul\x00col", "osc\x1b]52;c;eA==\x07")

#: strings that must be visible somewhere once rendered, proving that the text was shown, not dropped
VISIBLE = ("[/x]", "[link=https://evil.example/]", "␛[31mRED", "東京都庁", "<script>")

# --- the checks -------------------------------------------------------------------------------------------------

_BAD = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)
_BAD_BYTES = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xed[\xa0-\xbf]")


def bad_chars(text: str) -> list[str]:
    """Every character of ``text`` that must never reach a terminal, as ``U+XXXX`` (empty when inert)."""
    return sorted({f"U+{ord(ch):04X}" for ch in _BAD.findall(text)})


def assert_inert(text: str, where: str = "") -> None:
    """``text`` (what a screen showed, or a file held) carries no control, bidi, zero-width or surrogate char."""
    found = bad_chars(text)
    assert not found, f"{where or 'text'} let through {found}"


def assert_inert_bytes(data: bytes, where: str = "") -> None:
    """Raw bytes written to stdout: no C0 control but TAB and LF (so no ESC, NUL or CR), no DEL, no UTF-8
    encoded C1 control, no encoded surrogate (``\\xed\\xa0``...), and valid UTF-8 overall."""
    found = sorted({m.group() for m in _BAD_BYTES.finditer(data)})
    assert not found, f"{where or 'output'} carried {found!r}"
    data.decode("utf-8")  # strict: a lone surrogate written with surrogateescape/-pass would fail here
