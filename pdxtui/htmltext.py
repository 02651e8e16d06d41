"""HTML descriptions (ArcGIS Hub, layer metadata, licence text) as plain text, with the stdlib's html.parser.

* block elements (``<p>``, ``<div>``, headings, lists, tables...) are separated by a blank line;
* ``<br>`` and ``<tr>`` end a line, and each ``<li>`` starts one (``- item``, or ``1. item`` in an ``<ol>``);
* entities and character references are decoded, and ``&nbsp;`` becomes a plain space;
* ``<script>``, ``<style>`` (and ``<head>``, ``<template>``...) are dropped with their content;
* links read ``text (url)``, or just the URL when the text is the URL;
* other whitespace collapses as a browser would, except inside ``<pre>``.

Text without any tag is taken as plain text: entities are decoded and its line breaks kept.
Nothing here is markup-safe for a terminal: callers still pass the result through :mod:`pdxtui.textsafe`.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "ul",
    }
)
_LINES = frozenset({"br", "tr", "caption", "thead", "tbody", "tfoot"})
_DROPPED = frozenset({"script", "style", "head", "template", "noscript", "iframe", "object", "svg", "title"})
_CELLS = frozenset({"td", "th"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "embed", "source"})

_MARKERS = re.compile("[\x00-\x02]")
_TAG_LIKE = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>|<!--")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_BREAK, _PARA, _KEEP = "\x00", "\x01", "\x02"  # line/paragraph break markers and <pre> spaces, for _finish


class _Renderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping = 0  # depth inside script/style/...
        self.pre = 0
        self.lists: list[list[int] | None] = []  # one per open ul/ol: None for ul, [counter] for ol
        self.links: list[tuple[str, int]] = []  # (href, position in out where the link text starts)
        self.cell_open = False

    # -- events ------------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            if tag not in _VOID:
                self.dropping += 1
            return
        if self.dropping:
            return
        if tag in _BLOCKS:
            self.out.append(_PARA)
        if tag == "pre":
            self.pre += 1
        elif tag in ("ul", "menu", "dir"):
            self.lists.append(None)
        elif tag == "ol":
            self.lists.append([0])
        elif tag == "li":
            self._soft_break()
            counter = self.lists[-1] if self.lists else None
            if counter is not None:
                counter[0] += 1
                self.out.append(f"{counter[0]}. ")
            else:
                self.out.append("- ")
        elif tag == "br":
            self.out.append(_BREAK)
        elif tag in _LINES:
            self._soft_break()
        elif tag in _CELLS:
            if self.cell_open:
                self.out.append(" | ")
            self.cell_open = True
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.links.append((href, len(self.out)))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.out.append(alt)
        if tag == "tr":
            self.cell_open = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID or tag in _DROPPED:
            self.handle_starttag(tag, attrs)
            return
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            if tag not in _VOID:
                self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping:
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            self._close_link(href, start)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        elif tag in ("ul", "ol", "menu", "dir") and self.lists:
            self.lists.pop()
        elif tag in ("li", "tr"):
            self.cell_open = False
            self._soft_break()
        if tag in _BLOCKS:
            self.out.append(_PARA)

    def handle_data(self, data: str) -> None:
        if self.dropping or not data:
            return
        data = _MARKERS.sub("\ufffd", data).replace("\xa0", " ")
        if self.pre:
            self.out.append(data.replace("\r\n", "\n").replace("\n", _BREAK).replace(" ", _KEEP))
        else:
            self.out.append(_SPACES.sub(" ", data))

    # -- helpers -------------------------------------------------------------------------------------------

    def _soft_break(self) -> None:
        """End the current line unless nothing has been written on it yet."""
        for part in reversed(self.out):
            if part in (_BREAK, _PARA):
                return
            if part.strip():
                self.out.append(_BREAK)
                return

    def _close_link(self, href: str, start: int) -> None:
        text = "".join(part for part in self.out[start:] if part not in (_BREAK, _PARA))
        label = " ".join(text.split())
        if not href or href.startswith(("#", "javascript:")):
            return
        shown = href[len("mailto:") :] if href.startswith("mailto:") else href
        if label.rstrip("/") in (href.rstrip("/"), shown.rstrip("/")):
            return  # the text already is the address
        if not label:
            self.out.append(shown)
        else:
            self.out.append(f" ({shown})")

    def text(self) -> str:
        self.close()
        for href, start in reversed(self.links):  # unclosed <a>
            self._close_link(href, start)
        self.links.clear()
        return _finish("".join(self.out))


def _finish(raw: str) -> str:
    """Resolve break markers into newlines, trim each line and squeeze runs of blank lines to one."""
    text = raw.replace(_PARA, "\n\n").replace(_BREAK, "\n")
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n").replace(_KEEP, " ")


def html_to_text(value: str | None) -> str:
    """Plain text for an HTML fragment (see the module docstring). None or blank gives ""."""
    if not value or not value.strip():
        return ""
    if not _TAG_LIKE.search(value):
        text = html.unescape(value).replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    renderer = _Renderer()
    try:
        renderer.feed(value)
        return renderer.text()
    except Exception:  # html.parser is lenient; this is a last resort for pathological input
        return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", value)).split())
