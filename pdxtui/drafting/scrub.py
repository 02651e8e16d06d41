"""No secret reaches a letter: tokens, secret-named URL parameters, ``user:password@`` and ``Bearer`` values
become ``[removed]``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

from pdxtui.cache import is_secret_param
from pdxtui.drafting.model import REMOVED

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
