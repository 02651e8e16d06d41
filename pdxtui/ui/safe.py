"""Building display text from untrusted strings: always Rich ``Text`` objects, never markup."""

from __future__ import annotations

from rich.text import Text

from pdxtui.textsafe import clean, one_line


def plain(value: object, style: str = "", *, max_len: int | None = None) -> Text:
    """Untrusted text as an inert Text: no markup parsed, control characters made visible."""
    return Text(clean(value, max_len=max_len), style=style)


def line(value: object, style: str = "", max_len: int | None = None) -> Text:
    """Like :func:`plain`, folded onto one line."""
    return Text(one_line(value, max_len), style=style, no_wrap=True, overflow="ellipsis")
