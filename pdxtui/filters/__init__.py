"""The row filter language (issue 4): parse it once, translate it for each portal, or run it locally.

People type it into the grid's filter bar and into ``pdxtui export --where``::

    SPECIES ~ maple                          SPECIES contains "maple" (any case)
    DIAMETER > 30                            numbers compare as numbers
    Condition = Good                         coded values: type the label you see in the grid
    DATE_DESIG >= 2010-01-01                 dates are YYYY-MM-DD (or YYYY-MM-DDTHH:MM[:SS], UTC)
    COMMON = 'Giant sequoia'                 quote values with spaces: 'single' or "double"
    NOTES is null    /    NOTES is not null  missing values
    SPECIES ~ maple and (DIAMETER > 30 or Condition != Poor)
    not (Site_Type ~ park)

Grammar (keywords ``and or not is null`` ignore case; ``and`` binds tighter than ``or``; ``not`` tighter still)::

    filter    := term ("or" term)*
    term      := unary ("and" unary)*
    unary     := "not" unary | "(" filter ")" | condition
    condition := COLUMN OP VALUE | COLUMN "is" ["not"] "null"
    OP        := "=" ("==") | "!=" ("<>") | ">" | ">=" | "<" | "<=" | "~" (contains) | "!~" (does not contain)

* COLUMN is a field name, matched exactly, else ignoring case, else against the fields' aliases; back ticks
  quote a name with spaces or odd characters (`Site Type`; a doubled back tick inside stands for one).
  An unknown name is an error that suggests the closest one.
* VALUE is a bare word (letters, digits and ``_ - . : / +``), or a quoted string: ``'O''Bryant'``,
  ``'O\\'Bryant'``, ``"say \\"hi\\""`` (inside quotes a doubled quote or a backslash before the quote or a
  backslash is that character; any other backslash is kept as it is). The column's kind types the value:
  integer/float columns take numbers, date columns ``YYYY-MM-DD``, datetime columns that or
  ``YYYY-MM-DDTHH:MM[:SS]`` (UTC; a trailing ``Z`` or ``+HH:MM`` offset is converted to UTC), boolean columns
  ``true false yes no``, text columns any text. ``~``/``!~`` only apply to text columns; ``< <= > >=`` not to
  booleans or coded-value columns. ``= null`` is refused: write ``is null``.

Semantics (the same everywhere; the tests hold the local evaluation to a row-by-row reference):

* ``=`` is exact, case-sensitive equality; ``~`` is a case-insensitive *literal* substring test (no wildcards,
  no regex; both sides upper-cased, Python/Unicode rules locally).
* Missing values follow SQL: a comparison with a null is *unknown*, ``not`` unknown is unknown, ``and``/``or``
  are Kleene logic, and a row is kept only when the whole filter is true. So ``DIAMETER != 30``,
  ``SPECIES !~ maple`` and ``not (DIAMETER > 30)`` all leave out rows where the column is null; use
  ``... or X is null`` to keep them.
* A date (``2010-01-01``) compared with a *datetime* column compares the UTC calendar day: ``= 2010-01-01`` is
  anything that day, ``> 2010-01-01`` is from the next day on. A datetime value compares the instant.
* Coded-value fields (ArcGIS domains: the grid shows labels, the server stores codes): ``=``/``!=`` take a label
  (any case) or a code, and the parsed value is the label. ``to_arcgis`` sends codes: ``= label`` becomes
  ``F = code`` (``F IN (...)`` if several codes share the label), ``~ text`` becomes ``F IN (codes whose label
  contains text)``. Codes outside the domain show as raw text locally and are never matched by ``~`` on the
  server. ``to_soql``/``to_ckan``/``to_polars`` compare labels as text (those portals have no domains; the
  local frame holds labels).

Translators: :func:`to_arcgis` (a REST ``where``), :func:`to_soql` (a ``$where``), :func:`to_ckan` (datastore
``filters``), :func:`to_polars` (an expression for ``DataFrame.filter``). A part a portal cannot express raises
:class:`NotServerSide`; :func:`server_part` keeps the top-level ``and`` items a translator accepts, and the caller
then applies :func:`to_polars` to the rows it gets back (a superset). Nothing here does I/O or imports Textual.
"""

from __future__ import annotations

from pdxtui.filters.ckan import CkanFilter, to_ckan
from pdxtui.filters.frames import to_polars
from pdxtui.filters.parse import HELP, OPERATORS, parse
from pdxtui.filters.sql import server_part, to_arcgis, to_soql
from pdxtui.filters.tree import And, Compare, FilterError, IsNull, Node, Not, NotServerSide, Or, caret, columns
from pdxtui.filters.words import describe, example, to_text

__all__ = [
    "HELP",
    "OPERATORS",
    "And",
    "CkanFilter",
    "Compare",
    "FilterError",
    "IsNull",
    "Node",
    "Not",
    "NotServerSide",
    "Or",
    "caret",
    "columns",
    "describe",
    "example",
    "parse",
    "server_part",
    "to_arcgis",
    "to_ckan",
    "to_polars",
    "to_soql",
    "to_text",
]
