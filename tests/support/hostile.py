"""A corpus of hostile text, as a portal we do not control might send it, and checks that it stayed inert.

Every value here goes into the fake portals' titles, descriptions, field names and cells (see
``tests/support/fakeportal/fixtures`` ``HOSTILE``). The checks say what "inert" means for text that reached a screen,
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

_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
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


# --- hostile versions of the other fake portals -------------------------------------------------------------------

import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
from typing import Any  # noqa: E402

_LINE_VALUES = [v for k, v in CORPUS.items() if k != "huge"]


class HostileApp:
    """Wraps a fake portal app (Socrata, CKAN) without touching it: in its JSON answers, the values of the display
    keys (titles, descriptions, column names) and the string cells of ``records`` get corpus text appended; in its
    CSV answers, every text cell does. Identifiers (ids, slugs, field names used in queries) are left alone, so
    the portal still works. The last display key of each answer gets the 100 KB string as well."""

    def __init__(self, app: Any, keys: frozenset[str], long_keys: frozenset[str], invalid_utf8: bool = False) -> None:
        self.app, self.keys, self.long_keys, self.invalid_utf8 = app, keys, long_keys, invalid_utf8
        self.name = getattr(app, "name", None)
        self._n = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def _next(self) -> str:
        self._n += 1
        return _LINE_VALUES[self._n % len(_LINE_VALUES)]

    def handle(self, method: str, path: str, query: Any, headers: Any) -> Any:
        status, out_headers, body = self.app.handle(method, path, query, headers)
        items = out_headers.items() if isinstance(out_headers, dict) else out_headers
        ctype = next((v for k, v in items if k.lower() == "content-type"), "")
        if status == 200 and "json" in ctype:
            try:
                data = json.loads(body)
            except ValueError:
                return status, out_headers, body
            body = json.dumps(self._inject(data)).encode()  # ensure_ascii: lone surrogates as \ud800 escapes
        elif status == 200 and "csv" in ctype:
            body = self._csv(body)
        return status, out_headers, body

    def _inject(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._inject(v, k) for k, v in value.items()}
        if isinstance(value, list):
            if key == "records":
                return [
                    {k: self._cell(v) if not k.startswith("_") else v for k, v in r.items()}
                    if isinstance(r, dict)
                    else r
                    for r in value
                ]
            return [self._inject(v, key) for v in value]
        if isinstance(value, str) and key in self.keys:
            extra = HUGE if key in self.long_keys else self._next()
            return f"{value} {extra}"
        return value

    def _cell(self, value: Any) -> Any:
        if not isinstance(value, str) or not value or value[:1].isdigit() or value[:1] == "-":
            return value
        return f"{value} {self._next()}"

    def _csv(self, body: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        if not rows:
            return body
        out = io.StringIO(newline="")
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(rows[0])
        for row in rows[1:]:
            writer.writerow([self._cell(cell) for cell in row])
        text = out.getvalue()
        if self.invalid_utf8:  # a lone surrogate goes out as the invalid UTF-8 a broken server would send
            return text.encode("utf-8", "surrogatepass")
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")  # as U+FFFD


HOSTILE_KEYS = {
    "socrata": (frozenset({"name", "description", "attribution", "category"}), frozenset({"description"})),
    "ckan": (frozenset({"title", "notes", "description", "display_name"}), frozenset({"notes"})),
}


def start_hostile_server(kind: str, invalid_utf8: bool = False) -> Any:
    """A started FakeServer with the ``kind`` fake portal (socrata or ckan) wrapped in :class:`HostileApp`
    (``invalid_utf8``: CSV answers carry the corpus' lone surrogates as invalid UTF-8 bytes)."""
    from tests.support.fakeportal.server import FakeServer

    if kind == "socrata":
        from tests.support.fakeportal.socrata import SocrataApp as AppClass

        app = AppClass()
    else:
        from tests.support.fakeportal.ckan import CKANApp

        app = CKANApp("")
    keys, long_keys = HOSTILE_KEYS[kind]
    server = FakeServer()
    wrapper = HostileApp(app, keys, long_keys, invalid_utf8)

    class _Mounter:  # the app mounts itself; route what it mounts to the wrapper instead
        def mount(self, prefix: str, _app: Any, name: str | None = None) -> None:
            server.mount(prefix, wrapper, name=name)

    app.mount(_Mounter())
    return server.start()
