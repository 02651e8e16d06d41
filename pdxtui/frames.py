"""polars frames as pdxtui types and shows them: the portal's declared types applied to fetched columns, and a
grid-ready copy of a frame. Shared by the service (fetching), export (empty frames of the right types) and the UI.

polars is imported inside the functions, so importing this module stays cheap."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pdxtui.model import Dataset, Field
from pdxtui.textsafe import clean, one_line

if TYPE_CHECKING:
    import polars as pl


_TRUTH = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
}


def polars_dtype(name: str) -> Any:
    import polars as pl

    if name == "Datetime":
        return pl.Datetime("ms", "UTC")
    return getattr(pl, name)


def apply_schema(frame: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    """Cast columns to the types the portal declares (never guessed when the portal says)."""
    import polars as pl

    casts = []
    texts = []
    for field in dataset.fields:
        if field.name not in frame.columns:
            continue
        want = polars_dtype(field.dtype)
        have = frame.schema[field.name]
        if field.type == str(have):  # declared as exactly the type it has (a SQL result's columns): kept as it is
            continue
        if have == want or (isinstance(want, pl.Datetime) and isinstance(have, pl.Datetime)):
            continue
        if have in (pl.String, pl.Utf8):
            texts.append(field.name)
            casts.append(read_text(pl.col(field.name), want))
        else:
            casts.append(pl.col(field.name).cast(want, strict=False))
    if not casts:
        return frame
    try:
        typed = frame.with_columns(casts)
    except pl.exceptions.PolarsError:  # one column that cannot be read as its type: cast the others one by one
        typed = frame
        for cast in casts:
            try:
                typed = typed.with_columns(cast)
            except pl.exceptions.PolarsError:
                continue
    if texts:
        # text that does not fit the declared type (a CSV whose later rows say "n/a" in a number column) is
        # kept as text rather than turned into nulls: nothing the portal sent is lost
        lost = typed.select([pl.col(n).null_count() for n in texts]).row(0)
        had = frame.select([pl.col(n).null_count() for n in texts]).row(0)
        keep = [n for n, after, before in zip(texts, lost, had) if after > before]
        if keep:
            typed = typed.with_columns([frame[n] for n in keep])
    return typed


def text_notes(
    raw: pl.DataFrame, typed: pl.DataFrame, dataset: Dataset, offset: int = 0, *, only: Iterable[str] | None = None
) -> list[str]:
    """What to say of the columns :func:`apply_schema` kept as text (``typed`` from ``raw``, the rows as the
    portal sent them, the first being row ``offset + 1``) though the portal declares another type: the first row
    whose text does not read as that type, and that text. ``only``: of these columns only (those that turned to
    text because of rows read later)."""
    import polars as pl

    if only is not None:
        only = set(only)
    names = []
    for field in dataset.fields:
        n = field.name
        if field.dtype == "String" or n not in typed.columns or typed.schema[n] != pl.String:
            continue
        if n not in raw.columns or raw.schema[n] != pl.String:
            continue
        if only is not None and n not in only:
            continue
        names.append((n, polars_dtype(field.dtype)))
    if not names:
        return []
    misfit = raw.select(
        [
            (pl.col(n).is_not_null() & read_text(pl.col(n), want).is_null()).arg_true().first().alias(n)
            for n, want in names
        ]
    ).row(0)
    notes = []
    for (n, _), row in zip(names, misfit):
        if row is None:
            continue
        value = one_line(raw[n][row], 40)
        notes.append(f"column {one_line(n, 80)} holds text from row {offset + row + 1:,} on ({value!r}): shown as text")
    return notes


def read_text(column: Any, want: Any) -> Any:
    """An expression reading text as ``want`` (values that do not parse become null): how :func:`apply_schema`
    reads text columns, and how a filter compares a column kept as text with a number or a date."""
    import polars as pl

    if want == pl.Date:
        return column.str.strip_chars().str.to_date(strict=False)
    if isinstance(want, pl.Datetime):
        return column.str.strip_chars().str.to_datetime(strict=False, time_unit="ms", time_zone="UTC")
    if want == pl.Boolean:
        return column.str.strip_chars().str.to_lowercase().replace_strict(_TRUTH, default=None, return_dtype=pl.Boolean)
    return column.str.strip_chars().cast(want, strict=False)


def estimated_bytes(frame: pl.DataFrame, rows: int | None) -> int | None:
    """A rough in-memory size for ``rows`` rows shaped like ``frame`` (for "load all" confirmations)."""
    if rows is None or frame.height == 0:
        return None
    return int(frame.estimated_size() / frame.height * rows)


def display_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``frame`` made for painting in a grid, cheaply (no pass over string data, so it stays fast at
    a million rows): datetime columns holding only midnights become dates, other datetimes lose their zone
    noise; durations (a SQL result's difference of dates) are ISO 8601 ("P8023D", as exports write them). Strings
    are made inert cell by cell as the grid paints them (see ``pdxtui.ui.widgets.grid``)."""
    import polars as pl

    durations = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Duration)]
    if durations:
        frame = frame.with_columns([pl.col(c).dt.to_string("iso") for c in durations])
    return _readable_datetimes(frame)


def _readable_datetimes(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns that hold only midnights are shown as dates; others without their time zone (UTC)."""
    import polars as pl

    stamps = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    if not stamps:
        return frame
    midnight = frame.select(
        [(pl.col(c).dt.time().fill_null(pl.time(0)) == pl.time(0)).all().alias(c) for c in stamps]
    ).row(0)
    return frame.with_columns(
        [
            pl.col(c).dt.date() if only_dates else pl.col(c).dt.replace_time_zone(None)
            for c, only_dates in zip(stamps, midnight)
        ]
    )


#: floats of larger magnitude are not all exact integers (a float64 has 53 bits of mantissa)
_WHOLE_LIMIT = 2.0**53


def whole_float_columns(frame: pl.DataFrame) -> list[str]:
    """The float columns of ``frame`` whose values (at least one) are all whole numbers within +-2**53, so that
    they are exactly integers: a Socrata ``number`` column of ids or counts (``297720928``, not ``297720928.0``)."""
    import polars as pl

    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    if not floats or frame.height == 0:
        return []
    whole = frame.select(
        [
            (
                (pl.col(n).drop_nulls().len() > 0)
                & (pl.col(n).drop_nulls().is_finite().all())
                & ((pl.col(n).drop_nulls() == pl.col(n).drop_nulls().round(0)).all())
                & (pl.col(n).drop_nulls().abs().max() <= _WHOLE_LIMIT)
            ).alias(n)
            for n in floats
        ]
    ).row(0)
    return [name for name, ok in zip(floats, whole) if ok]


def whole_floats(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its float columns that hold only whole numbers (see :func:`whole_float_columns`) as Int64,
    as the grid prints them. What export writes and the copy key copies; other floats stay floats."""
    import polars as pl

    names = whole_float_columns(frame)
    return frame.with_columns([pl.col(n).cast(pl.Int64) for n in names]) if names else frame


def plain_number(value: float) -> str:
    """A float as text for copying: whole numbers without a fraction (``26``, not ``26.0``), others with every
    digit the portal sent (Python's shortest round-trip form); no thousands separators, so it pastes as a number."""
    if value.is_integer() and abs(value) <= _WHOLE_LIMIT:
        return str(int(value))
    return repr(value)


# -- what a column holds, by its name and values --------------------------------------------------------------------

# words of a column name (split at _, spaces, case changes and digits): OBJECTID, ADDRESS_ID, PropertyID, tree_id
_NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_ID_WORDS = frozenset({"id", "ids", "oid", "fid", "gid", "uid", "guid", "uuid", "objectid", "globalid", "pk", "key"})
_NOT_ID = ("aid", "valid", "solid", "fluid", "humid", "rapid", "liquid", "hybrid", "acid", "avid", "vivid", "lucid")
# numbers that are labels, not quantities: codes, years, ZIP and parcel numbers, house numbers
_LABEL_WORDS = frozenset(
    {
        "zip", "zipcode", "postal", "postcode", "fips", "tract", "geoid", "parcel", "apn", "pin", "tlid", "rno",
        "code", "codes", "year", "years", "yr", "fy", "phone", "fax", "account", "acct", "permit", "case", "ward",
        "precinct", "district", "route", "type", "class", "house", "add", "addr", "address",
    }
)  # fmt: skip
_NUMBER_WORDS = frozenset({"number", "num", "no", "nbr", "nr"})  # a label when last (PERMIT_NUMBER), not NUM_TREES
# ... unless the name says it counts or measures (CASE_COUNT, ZIP_POPULATION, TYPE_TOTAL)
_QUANTITY_WORDS = frozenset(
    {
        "count", "counts", "cnt", "total", "totals", "sum", "amount", "amt", "qty", "quantity", "population", "pop",
        "units", "value", "cost", "area", "length", "acres", "feet", "ft", "sqft", "miles", "riders", "trips",
    }
)  # fmt: skip
# text that describes rather than sorts: never a map's colours
_TEXT_WORDS = frozenset(
    {
        "name", "names", "address", "addr", "desc", "descr", "description", "note", "notes", "comment", "comments",
        "remark", "remarks", "title", "url", "website", "web", "link", "email", "phone", "label", "maplabel", "text",
        "intersection",
    }
)  # fmt: skip


def name_words(name: str) -> list[str]:
    """The words of a column name, lower case: ``"YEAR_Designated"`` -> ``["year", "designated"]``."""
    return [w.lower() for w in _NAME_WORD.findall(name)]


def _field_words(name: str, field: Field | None) -> list[list[str]]:
    names = [name] + ([field.alias] if field is not None and field.alias and field.alias != name else [])
    return [name_words(n) for n in names]


def is_identifier(name: str, field: Field | None = None) -> bool:
    """Whether a column holds row or record ids (OBJECTID, ADDRESS_ID, TreeID, tree_id, an ArcGIS OID field):
    never summed, never coloured by, shown without thousands separators."""
    if field is not None and (field.type.endswith("OID") or field.type.endswith("GlobalID")):
        return True
    for words in _field_words(name, field):
        for word in words:
            if word in _ID_WORDS or (len(word) > 3 and word.endswith("id") and not word.endswith(_NOT_ID)):
                return True
    return False


def is_label_number(name: str, field: Field | None = None) -> bool:
    """Whether a number column holds labels rather than quantities, so it is shown without thousands separators:
    ids (:func:`is_identifier`), coded values (a domain), years, ZIP, parcel and house numbers, type codes, and
    names ending in a number word (``PERMIT_NUMBER``, ``ADD_NUM``; ``NUM_TREES`` is a count); not when the name
    also says it counts or measures (``CASE_COUNT``, ``ZIP_POPULATION``)."""
    if is_identifier(name, field) or (field is not None and field.domain):
        return True
    for words in _field_words(name, field):
        if any(w in _QUANTITY_WORDS for w in words):
            continue
        if any(w in _LABEL_WORDS or w.startswith("year") or w.endswith(("year", "add")) for w in words):
            return True
        if len(words) > 1 and words[-1] in _NUMBER_WORDS:
            return True
    return False


def is_descriptive_text(name: str, field: Field | None = None) -> bool:
    """Whether a text column describes each row (names, addresses, descriptions, notes, links) rather than
    sorting rows into a few kinds."""
    return any(w in _TEXT_WORDS for words in _field_words(name, field) for w in words)


# -- numbers in the grid ---------------------------------------------------------------------------------------------

#: a float column whose values need at most this many decimals shows them all with that many (1.5 and 2.25 as
#: 1.50 and 2.25); past it, each value keeps its own digits and is padded with spaces to line up on the point
MAX_PADDED_DECIMALS = 6
#: the most decimals a column is lined up to (more than a float64 carries)
MAX_DECIMALS = 17
#: years: whole numbers all within this range are shown without separators (2024, not 2,024)
YEARS = (1800, 2100)
_DECIMALS_SAMPLE = 50_000  # values of a big column the decimals are first worked out from
_FIXED_LIMIT = 1e21  # beyond this a float is shown in Python's exponent form (1e+25), not 26 digits


@dataclass(frozen=True)
class NumberFormat:
    """How the grid writes the numbers of one column: right-aligned, lined up on the decimal point, with thousands
    separators unless the numbers are labels (:func:`is_label_number`). Never drops a digit the portal sent."""

    separators: bool = True
    decimals: int = 0  # digits after the point the column lines up to
    zeros: bool = True  # shorter fractions filled with zeros (1.50); False: with spaces (many decimals, as sent)
    width: int = 0  # cells of the column's widest value

    def text(self, value: Any) -> str:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return f"{value:,}" if self.separators else str(value)
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return {"nan": "NaN", "inf": "inf", "-inf": "-inf"}[repr(value)]
            if abs(value) >= _FIXED_LIMIT:
                return repr(value)
            number = Decimal(repr(value)).normalize()  # the digits the portal sent, "26.0" as 26
        elif isinstance(value, Decimal):
            if not value.is_finite():
                return str(value)
            number = value
        else:
            return str(value)
        own = _own_decimals(number)
        places = max(own, self.decimals) if self.zeros else own
        text = format(number, f"{',' if self.separators else ''}.{places}f")
        if not self.zeros and own < self.decimals:
            text += " " * (self.decimals - own + (1 if own == 0 else 0))  # line up on the point
        return text


def number_formats(frame: pl.DataFrame, fields: Iterable[Field] = ()) -> list[NumberFormat | None]:
    """How each column of ``frame`` is written in the grid: a :class:`NumberFormat` for number columns, None for
    the others. Worked out over every row with a few vectorised passes (a million rows take milliseconds); the
    grid formats only the cells it paints."""
    import polars as pl

    by_name = {f.name: f for f in fields}
    numeric = [n for n, dtype in frame.schema.items() if dtype.is_numeric() and dtype != pl.Boolean]
    if not numeric:
        return [None] * frame.width
    bounds = frame.select(  # polars' min and max pass over NaN (all NaN: NaN, dropped below)
        [pl.col(n).min().alias(f"lo{i}") for i, n in enumerate(numeric)]
        + [pl.col(n).max().alias(f"hi{i}") for i, n in enumerate(numeric)]
    ).row(0)
    formats: dict[str, NumberFormat] = {}
    for i, name in enumerate(numeric):
        dtype = frame.schema[name]
        lo, hi = bounds[i], bounds[len(numeric) + i]
        if isinstance(lo, float) and not math.isfinite(lo):
            lo = None
        if isinstance(hi, float) and not math.isfinite(hi):
            hi = None
        whole = dtype.is_integer() or lo is None or (float(lo).is_integer() and float(hi).is_integer())
        years = whole and lo is not None and YEARS[0] <= lo and hi <= YEARS[1]
        separators = not (years or is_label_number(name, by_name.get(name)))
        decimals, zeros = 0, True
        if isinstance(dtype, pl.Decimal):
            decimals = dtype.scale or 0
        elif dtype.is_float():
            decimals, zeros = _float_decimals(frame[name])
        fmt = NumberFormat(separators, decimals, zeros)
        width = max((len(fmt.text(v)) for v in (lo, hi) if v is not None), default=0)
        formats[name] = NumberFormat(separators, decimals, zeros, width)
    return [formats.get(name) for name in frame.columns]


def _float_decimals(column: pl.Series) -> tuple[int, bool]:
    """(decimals, zeros) for a float column: the fewest decimals that hold every value exactly, if at most
    :data:`MAX_PADDED_DECIMALS`; else the most decimals a value has (its shortest exact text, among a sample of
    the values), to line up with spaces. A value with more digits than its column still shows them all."""
    import polars as pl

    values = column.cast(pl.Float64).drop_nulls()
    values = values.filter(values.is_finite() & (values.abs() < 1e15))
    if values.is_empty():
        return 0, True
    sample = values
    if values.len() > _DECIMALS_SAMPLE:  # the first rows (the ones on screen) and a spread of the others
        sample = pl.concat([values.head(_DECIMALS_SAMPLE // 10), values.sample(_DECIMALS_SAMPLE, seed=0)])
    for places in range(MAX_PADDED_DECIMALS + 1):
        if (sample.round(places) == sample).all():
            # the sample's answer, checked on every value (one pass when it holds)
            for checked in range(places, MAX_PADDED_DECIMALS + 1):
                if (values.round(checked) == values).all():
                    return checked, True
            break
    # polars writes a float as its shortest exact text, as Python does: "0.30000000000000004", "1.5e-7"
    text = sample.cast(pl.String)
    exponent = text.str.contains("e", literal=True)
    plain = text.filter(~exponent)
    most = (plain.str.len_chars() - plain.str.find(".", literal=True) - 1).max() if plain.len() else 0
    most = int(most or 0)  # type: ignore[arg-type]  # an Int64 column's max
    for written in text.filter(exponent).unique().head(5000).to_list():  # rare: tiny or huge values
        most = max(most, _own_decimals(Decimal(written)))
    return min(most, MAX_DECIMALS), False


def _own_decimals(number: Decimal) -> int:
    """Digits after the point that ``number`` needs: 1 for 2.50, 0 for 26.0 and 1E+1."""
    return max(0, -int(number.normalize().as_tuple().exponent))


# -- copying cells as TSV ------------------------------------------------------------------------------------------


def tsv_cell(value: Any) -> str:
    """One value for TSV: tabs and line breaks inside a value become spaces, nested values JSON. Numbers are copied
    as the portal sent them, without the grid's thousands separators or added zeros, so they paste as numbers;
    whole floats without a fraction (``26``, not ``26.0``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return plain_number(value)
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    elif hasattr(value, "to_list"):  # a polars Series from a list column
        value = json.dumps(value.to_list(), ensure_ascii=False, default=str)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value).replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return clean(text)  # control characters as pictures: a pasted cell cannot end a bracketed paste or run escapes


def to_tsv(frame: pl.DataFrame, *, header: bool) -> str:
    lines = ["\t".join(tsv_cell(c) for c in frame.columns)] if header else []
    lines += ["\t".join(tsv_cell(v) for v in row) for row in frame.rows()]
    return "\n".join(lines)
