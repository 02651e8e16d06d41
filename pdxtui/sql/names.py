"""Table names for datasets: short, stable and readable (``street_trees``, ``neighborhoods``).

A name comes from the dataset's title alone, so the same dataset gets the same name in every run; only when two
datasets in one set of tables would share a name does the id tell them apart (``parks_3f2a9c``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pdxtui.errors import UsageError

MAX_NAME = 32
#: words polars SQL reads as keywords (or as functions called without brackets: ``user``, ``current_date``): a
#: table named so would need quoting in every query
RESERVED = frozenset(
    [
        "current_catalog",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "localtime",
        "localtimestamp",
        "session_user",
        "struct",
        "top",
        "trim",
        "user",
        "all",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "between",
        "by",
        "case",
        "cast",
        "create",
        "cross",
        "current",
        "delete",
        "desc",
        "distinct",
        "drop",
        "else",
        "end",
        "except",
        "exists",
        "explain",
        "false",
        "fetch",
        "filter",
        "first",
        "for",
        "from",
        "full",
        "group",
        "having",
        "if",
        "ilike",
        "in",
        "inner",
        "insert",
        "intersect",
        "interval",
        "into",
        "is",
        "join",
        "last",
        "lateral",
        "left",
        "like",
        "limit",
        "natural",
        "not",
        "null",
        "nulls",
        "offset",
        "on",
        "or",
        "order",
        "outer",
        "over",
        "partition",
        "qualify",
        "right",
        "rlike",
        "select",
        "semi",
        "anti",
        "set",
        "show",
        "table",
        "tables",
        "then",
        "true",
        "truncate",
        "union",
        "unnest",
        "update",
        "using",
        "values",
        "when",
        "where",
        "window",
        "with",
    ]
)
#: words dropped from a title when that leaves a name: they add length, never meaning
FILLER = frozenset({"the", "of", "a", "an", "city", "portland", "pdx", "data", "dataset"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


#: letters NFKD does not take apart into an ASCII letter and an accent
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "ı": "i",
    }
)


def slug(text: str) -> str:
    """``text`` as lower-case ASCII words joined by ``_``: accents folded (``Ñandú`` -> ``nandu``), any other
    character a break between words (``2019–2024`` -> ``2019_2024``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return "_".join(re.findall(r"[a-z0-9]+", folded))


def table_name(title: str, dataset_id: str = "") -> str:
    """The name a dataset's table goes by: its title's words (fillers dropped when others remain), cut at a word
    to ``MAX_NAME`` characters; never a SQL keyword, never starting with a digit; the id's when the title has no
    usable words."""
    words = slug(title).split("_") if slug(title) else []
    kept = [w for w in words if w not in FILLER] or words
    name = ""
    for word in kept:
        longer = f"{name}_{word}" if name else word
        if len(longer) > MAX_NAME:
            break
        name = longer
    if not name and kept:
        name = kept[0][:MAX_NAME]
    if not name:
        name = slug(dataset_id)[:MAX_NAME] or "dataset"
    if name[0].isdigit():
        name = f"t_{name}"[:MAX_NAME]
    if name in RESERVED:
        name = f"{name}_data"
    return name


def assign(datasets: Iterable[tuple[str, str]], taken: dict[str, str] | None = None) -> dict[str, str]:
    """Names for ``(dataset_id, title)`` pairs: ``{dataset_id: name}``. ``taken`` (``{dataset_id: name}``) keeps
    names given before (a table keeps its name once given, whatever arrives later). A clash adds the id's first
    characters to the newcomer's name, then a number if still taken."""
    out = dict(taken or {})
    used = {name.lower() for name in out.values()}
    for dataset_id, title in datasets:
        if dataset_id in out:
            continue
        name = table_name(title, dataset_id)
        if name.lower() in used:
            tail = slug(dataset_id).replace("_", "")[:6] or "2"
            name = f"{name[: MAX_NAME - len(tail) - 1]}_{tail}"
            n = 2
            base = name
            while name.lower() in used:
                name = f"{base}_{n}"
                n += 1
        used.add(name.lower())
        out[dataset_id] = name
    return out


def check_name(name: str) -> str:
    """A table name given by the user (``--use ID=NAME``), or :class:`UsageError` saying what is wrong with it."""
    if not _NAME.match(name):
        raise UsageError(
            f"{name!r} cannot be a table name: use letters, digits and _ (not starting with a digit), e.g. street_trees"
        )
    if name.lower() in RESERVED:
        raise UsageError(f"{name!r} is a SQL keyword: choose another table name (e.g. {name}_data)")
    return name
