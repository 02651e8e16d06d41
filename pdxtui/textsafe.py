"""Make untrusted text (titles, descriptions, cell values, server errors) inert for a terminal.

Everything a portal sends passes through :func:`clean` before it is shown. Control characters become visible
Unicode "control pictures" (ESC -> ␛), so no escape sequence (colour, cursor moves, OSC 52, OSC 8) reaches the
terminal. Bidi overrides, zero-width characters and lone surrogates become U+FFFD, so text cannot reorder or
hide itself. Rich markup is handled separately: the UI never parses portal text as markup.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"

# C0 controls except TAB and LF, DEL, C1 controls, bidi controls, zero-width characters, BOM and surrogates.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)
_UNSAFE_ONE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")
_SPACES = re.compile(r"\s+")


def _picture(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ ␁ … ␛ …
    if code == 0x7F:
        return "\u2421"  # ␡
    return REPLACEMENT


def clean(value: object, *, max_len: int | None = None) -> str:
    """Return ``value`` as text that is safe to print. Newlines and tabs are kept."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if max_len is not None and len(text) > max_len:
        text = text[: max_len - 1] + "…"
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(_picture, text)
    return text


def one_line(value: object, max_len: int | None = None) -> str:
    """Like :func:`clean`, but folds all white space (newlines included) into single spaces."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if max_len is not None and len(text) > max_len * 4:
        text = text[: max_len * 4]
    text = _SPACES.sub(" ", text).strip()
    return clean(text, max_len=max_len)


_SURROGATES = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def has_surrogate_escape(body: bytes) -> bool:
    """Whether a JSON body spells a UTF-16 surrogate as an escape (``\\ud800``): only then can ``json.loads`` hand
    back a lone surrogate, which cannot be encoded (stdout, pyarrow and files all raise on it)."""
    return _SURROGATE_ESCAPE.search(body) is not None


def fix_surrogates(value: Any) -> Any:
    """``value`` (parsed JSON) with every lone surrogate in its strings and keys replaced by U+FFFD. Valid pairs
    were already joined by ``json.loads``; what is left can never be printed, stored in Arrow or written out."""
    if isinstance(value, str):
        return _SURROGATES.sub(REPLACEMENT, value) if _SURROGATES.search(value) else value
    if isinstance(value, dict):
        return {fix_surrogates(k): fix_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fix_surrogates(v) for v in value]
    return value


def markup_literal(text: str) -> str:
    """``text`` as Textual markup that shows exactly ``text``: for the few Textual APIs that only take markup
    strings (the command palette's help line). Every ``[`` is escaped; backslashes elsewhere are literal there.
    (``textual.markup.escape`` is not enough: it leaves ``[B]`` and ``[$x]`` and doubles backslashes.)"""
    return text.replace("[", "\\[")


def short(value: Any, limit: int = 300) -> str:
    """``value`` as one line of at most ``limit`` characters (white space folded, "…" where it is cut)."""
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def secret_forms(values: Any, *, words: bool = False, shortest: int = 4) -> set[str]:
    """The forms a secret can take in a URL, a log line or a record: as it is, percent-encoded (both ways), and with
    ``words``, each long word of it too (the token of "Bearer abc..."). Values shorter than ``shortest``
    characters are left out (they would match ordinary text)."""
    from urllib.parse import quote, quote_plus

    found: set[str] = set()
    for value in values:
        value = (value or "").strip() if isinstance(value, str) else ""
        if len(value) < max(shortest, 1):
            continue
        for part in {value, *(w for w in value.split() if len(w) >= 8)} if words else {value}:
            found.update({part, quote(part, safe=""), quote_plus(part)})
    return found


def without_secrets(text: str, forms: Any, mark: str) -> str:
    """``text`` with each of ``forms`` (see :func:`secret_forms`) replaced by ``mark``, the longest first; the marks
    already in ``text`` stay whole (a secret may be a word of the mark)."""
    ordered = sorted(forms, key=len, reverse=True)
    if not ordered or not text:
        return text
    parts = text.split(mark)
    for secret in ordered:
        parts = [part.replace(secret, mark) if secret in part else part for part in parts]
    return mark.join(parts)
