"""Completing table and column names in a query being written (the SQL screen's Tab): what the word before the
cursor can become. Plain Python, no polars."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pdxtui.sql.names import RESERVED

_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*$")
_OPEN_QUOTE = re.compile(r'"([^"]*)$')
_QUALIFIER = re.compile(r'(?:([A-Za-z_][A-Za-z0-9_$]*)|"([^"]*)")\.$')
# the pieces of a query that matter here: what is not code (comments, 'strings'), names (bare or "quoted"), and
# any other single character (a dot, a comma, a bracket)
_PIECES = re.compile(
    r"""(?P<skip>--[^\n]*|/\*.*?(?:\*/|\Z)|'(?:[^']|'')*(?:'|\Z))
    | (?P<name>[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")*(?:"|\Z))
    | (?P<other>\S)""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Completion:
    """``prefix``: the text before the cursor that is being completed (an open quote included); ``insert``: what
    replaces it (the prefix itself when nothing can be added); ``candidates``: every name that fits; ``unknown``:
    the qualifier before the dot when it is neither a table nor an alias of the query (then no candidates)."""

    prefix: str
    insert: str
    candidates: tuple[str, ...]
    unknown: str | None = None

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


def complete(before: str, tables: Mapping[str, Iterable[str]], after: str = "") -> Completion | None:
    """What ``before`` (the query up to the cursor) can be completed to, from ``tables`` (table name -> its column
    names); ``after``: the rest of the query (where aliases may be defined). After ``table.`` or ``alias.`` (typed
    or not), that table's columns; else table names, then every column. None when the cursor is not after (part
    of) a name, or is inside a 'string' or a comment, or after a keyword no name starts with: the key keeps its
    usual meaning."""
    last = _last_piece(before)
    if last is not None and last.lastgroup == "skip" and last.end() == len(before):
        return None  # inside (or at the end of) a comment or a 'string'
    if last is not None and last.lastgroup == "name" and last.group().startswith('"') and _open(last.group()):
        prefix, typed, start = last.group(), last.group()[1:].replace('""', '"'), last.start()
        quote = True
    else:
        quote = False
        word = _WORD.search(before)
        if word is not None:
            prefix, typed, start = word.group(0), word.group(0), word.start()
        elif _QUALIFIER.search(before) is not None:
            prefix = typed = ""  # "table." with nothing typed yet: every column of that table
            start = len(before)
        else:
            return None
    pool = _pool(before[:start], tables, before + after)
    qualifier = _QUALIFIER.search(before[:start])
    unknown = None
    if pool is None:
        assert qualifier is not None
        unknown, pool = qualifier.group(1) or qualifier.group(0)[:-1], []
    wanted = typed.lower()
    found = tuple(name for name in pool if name.lower().startswith(wanted))
    if not found:
        if not quote and wanted in RESERVED:
            return None  # a keyword (DESC, BY): nothing to complete, Tab moves on at once
        return Completion(prefix, prefix, (), unknown)
    if len(found) == 1 or all(name.lower() == found[0].lower() for name in found):
        return Completion(prefix, quoted(found[0]), found)
    shared = common_prefix(found)
    if len(shared) <= len(typed):
        return Completion(prefix, prefix, found)
    if quote:
        return Completion(prefix, '"' + shared.replace('"', '""'), found)
    if not _BARE.match(shared):
        return Completion(prefix, prefix, found)  # (a shared start that needs quotes: the user picks the name)
    return Completion(prefix, shared, found)


def _open(quoted_name: str) -> bool:
    """Whether a "quoted name" is still open (its closing quote not typed yet)."""
    inner = quoted_name[1:]
    return not inner.endswith('"') or (len(inner) - len(inner.rstrip('"'))) % 2 == 0


def _last_piece(text: str) -> re.Match[str] | None:
    last = None
    for last in _PIECES.finditer(text):  # noqa: B007 (the last one is wanted)
        pass
    return last


def _unquoted(name: str) -> str:
    if name.startswith('"'):
        return name[1:-1].replace('""', '"') if len(name) > 1 and name.endswith('"') else name[1:]
    return name


def aliases(sql: str, tables: Iterable[str]) -> dict[str, str]:
    """The aliases ``sql`` gives its tables (``FROM street_trees AS s``, ``JOIN parks p``): alias (lower case) ->
    the table's name. Comments and 'strings' are skipped; a keyword after a table is no alias."""
    known = {name.lower(): name for name in tables}
    pieces = [(m.lastgroup, m.group()) for m in _PIECES.finditer(sql) if m.lastgroup != "skip"]
    found: dict[str, str] = {}
    for i, (kind, text) in enumerate(pieces):
        table = known.get(_unquoted(text).lower()) if kind == "name" else None
        if table is None or (i > 0 and pieces[i - 1][1] == "."):
            continue
        j = i + 1
        if j < len(pieces) and pieces[j][1].lower() == "as":
            j += 1
        if j < len(pieces) and pieces[j][0] == "name":
            alias = _unquoted(pieces[j][1])
            if pieces[j][1].startswith('"') or alias.lower() not in RESERVED:
                found.setdefault(alias.lower(), table)
    return found


def _pool(before: str, tables: Mapping[str, Iterable[str]], sql: str) -> list[str] | None:
    """The names that fit where the word starts: a table's columns after ``table.`` or ``alias.`` (None when the
    qualifier is neither), else tables then columns. ``sql``: the whole query (for its aliases)."""
    qualifier = _QUALIFIER.search(before)
    if qualifier is not None:
        wanted = (qualifier.group(1) or qualifier.group(2) or "").lower()
        by_lower = {name.lower(): name for name in tables}
        table = aliases(sql, tables).get(wanted) or by_lower.get(wanted)
        return list(dict.fromkeys(tables[table])) if table is not None else None
    names: dict[str, None] = dict.fromkeys(tables)
    for columns in tables.values():
        for column in columns:
            names.setdefault(column)
    return list(names)
