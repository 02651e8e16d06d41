"""Completing table and column names in a query being written (the SQL screen's Tab): what the word before the
cursor can become. Plain Python, no polars."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*$")
_OPEN_QUOTE = re.compile(r'"([^"]*)$')
_QUALIFIER = re.compile(r'(?:([A-Za-z_][A-Za-z0-9_$]*)|"([^"]*)")\.$')


@dataclass(frozen=True)
class Completion:
    """``prefix``: the text before the cursor that is being completed (an open quote included); ``insert``: what
    replaces it (the prefix itself when nothing can be added); ``candidates``: every name that fits."""

    prefix: str
    insert: str
    candidates: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.insert != self.prefix


def quoted(name: str) -> str:
    """``name`` as SQL writes it: bare when it can be, else "in double quotes"."""
    return name if _BARE.match(name) else '"' + name.replace('"', '""') + '"'


def common_prefix(words: Sequence[str]) -> str:
    """The longest start all ``words`` share (any case), spelled as the first word spells it."""
    if not words:
        return ""
    first = words[0]
    end = len(first)
    for word in words[1:]:
        n = 0
        while n < min(end, len(word)) and first[n].lower() == word[n].lower():
            n += 1
        end = n
    return first[:end]


def complete(before: str, tables: Mapping[str, Iterable[str]]) -> Completion | None:
    """What ``before`` (the query up to the cursor) can be completed to, from ``tables`` (table name -> its column
    names): after ``table.``, that table's columns; else table names, then every column. None when the cursor is
    not after (part of) a name: the key keeps its usual meaning."""
    quote = _OPEN_QUOTE.search(before)
    if quote is not None and before.count('"') % 2 == 1:
        prefix, typed, start = quote.group(0), quote.group(1), quote.start()
    else:
        word = _WORD.search(before)
        if word is None:
            return None
        prefix, typed, start = word.group(0), word.group(0), word.start()
    pool = _pool(before[:start], tables)
    wanted = typed.lower()
    found = tuple(name for name in pool if name.lower().startswith(wanted))
    if not found:
        return Completion(prefix, prefix, ())
    if len(found) == 1 or all(name.lower() == found[0].lower() for name in found):
        return Completion(prefix, quoted(found[0]), found)
    shared = common_prefix(found)
    if len(shared) <= len(typed):
        return Completion(prefix, prefix, found)
    if quote is not None and prefix.startswith('"'):
        return Completion(prefix, '"' + shared.replace('"', '""'), found)
    if not _BARE.match(shared):
        return Completion(prefix, prefix, found)  # (a shared start that needs quotes: the user picks the name)
    return Completion(prefix, shared, found)


def _pool(before: str, tables: Mapping[str, Iterable[str]]) -> list[str]:
    """The names that fit where the word starts: a table's columns after ``table.``, else tables then columns."""
    qualifier = _QUALIFIER.search(before)
    if qualifier is not None:
        wanted = (qualifier.group(1) or qualifier.group(2) or "").lower()
        for name, columns in tables.items():
            if name.lower() == wanted:
                return list(dict.fromkeys(columns))
    names: dict[str, None] = dict.fromkeys(tables)
    for columns in tables.values():
        for column in columns:
            names.setdefault(column)
    return list(names)
