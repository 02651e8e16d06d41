"""Export formats, options, limits, errors and results, and the questions asked before an export starts (which
format a file name means, which columns, whether a format can hold the rows)."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pdxtui.errors import PdxError, UsageError
from pdxtui.model import Dataset, Field, Progress

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extensions: tuple[str, ...]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", "CSV", (".csv",)),
        Format("tsv", "TSV (tab-separated)", (".tsv",)),
        Format("json", "JSON (array of objects)", (".json",)),
        Format("ndjson", "NDJSON (one JSON object a line)", (".ndjson", ".jsonl")),
        Format("parquet", "Parquet", (".parquet", ".pq")),
        Format("xlsx", "Excel workbook (XLSX)", (".xlsx",)),
        Format("geojson", "GeoJSON (points, or polygons and lines fetched from ArcGIS)", (".geojson",)),
    )
}
#: file extension (lower case, with the dot) -> format name
EXTENSIONS: dict[str, str] = {ext: f.name for f in FORMATS.values() for ext in f.extensions}
_FORMAT_ALIASES = {"jsonl": "ndjson", "pq": "parquet", "excel": "xlsx"}

QUOTE_STYLES = ("necessary", "always", "non_numeric", "never")
COMPRESSIONS = ("zstd", "snappy", "gzip", "lz4", "brotli", "none")

XLSX_MAX_ROWS = 1_048_576  # rows in a worksheet, the header row included
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_TEXT = 32_767  # characters in a cell; longer text is cut (as xlsxwriter and Excel do)
_XLSX_DEFLATE_LEVEL = 1

#: Parquet row groups collect pages until this many rows (network pages are small; tiny row groups read slowly)
PARQUET_ROW_GROUP = 100_000
PARQUET_ROW_GROUP_BYTES = 64 * 1024 * 1024

# -- errors, options, results -----------------------------------------------------------------------------------


class ExportError(PdxError):
    """The export failed; the message says why in one line. Nothing is left at the target path."""


class ExportUsageError(ExportError, UsageError):
    """The export cannot work as asked: unknown extension, format, option or column; GeoJSON without geometry."""


class TargetExists(ExportError):
    """The target file exists and ``overwrite`` was not given."""


class ExportCancelled(ExportError):
    """The ``cancel`` callback said stop. (An asyncio cancel raises ``CancelledError`` as usual.)"""


@dataclass(frozen=True)
class ExportOptions:
    """What to write and how. Options that do not apply to the format are ignored.

    ``format``: a name from :data:`FORMATS` (None: from the file extension). ``columns``: which columns, in this
    order (empty: all). ``overwrite``: replace an existing file. CSV/TSV: ``delimiter`` (default ``,``/tab),
    ``header``, ``quote_style`` (polars: necessary, always, non_numeric, never), ``null`` (text for missing
    values). XLSX: ``header``. Parquet: ``compression`` (zstd, snappy, gzip, lz4, brotli, none). JSON:
    ``pretty`` (indented; default one object a line). ``provenance``: write the record of where the rows came
    from (``pdxtui.provenance``) beside the file (``FILE.provenance.json``, placed together with it) and inside it
    where the format can hold it (Parquet key-value metadata, a GeoJSON member, an XLSX "About" sheet); False:
    neither."""

    format: str | None = None
    columns: tuple[str, ...] = ()
    overwrite: bool = False
    delimiter: str | None = None
    header: bool = True
    quote_style: str = "necessary"
    null: str = ""
    compression: str = "zstd"
    pretty: bool = False
    provenance: bool = True


@dataclass(frozen=True)
class ExportResult:
    path: str  # absolute path of the written file
    rows: int
    bytes: int
    format: str
    elapsed: float  # seconds
    provenance: str | None = None  # absolute path of the sidecar (None: none written)

    def summary(self, shown_path: str | None = None) -> str:
        """``wrote 1,234 rows to out.csv (88.1 KiB); provenance in out.csv.provenance.json``."""
        from pdxtui.textout import human_bytes

        noun = "row" if self.rows == 1 else "rows"
        shown = shown_path or self.path
        text = f"wrote {self.rows:,} {noun} to {shown} ({human_bytes(self.bytes)})"
        if self.provenance:
            from pdxtui.provenance import sidecar_path

            text += f"; provenance in {sidecar_path(shown)}"
        return text


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]


# -- questions the dialog asks before exporting -------------------------------------------------------------------


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format name for ``path``: ``fmt`` if given (checked), else from the extension (any case)."""
    if fmt:
        name = _FORMAT_ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
        if name not in FORMATS:
            raise ExportUsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return name
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    what = f"unknown file extension {ext!r}" if ext else "the file name has no extension"
    raise ExportUsageError(f"{what}: use one of {' '.join(EXTENSIONS)} (or give the format)")


def resolve_columns(wanted: Sequence[str], available: Sequence[str], fields: Sequence[Field] = ()) -> list[str]:
    """The column names ``wanted`` as they are spelt in ``available``, in the wanted order.

    A name matches exactly, else ignoring case, else a field's alias (ignoring case). An unknown or repeated name
    raises :class:`ExportUsageError` naming it (with the closest known name)."""
    exact = set(available)
    folded: dict[str, str] = {}
    for name in available:
        folded.setdefault(name.casefold(), name)
    aliases = {f.alias.casefold(): f.name for f in fields if f.alias and f.name in exact}
    out: list[str] = []
    for name in wanted:
        found = name if name in exact else folded.get(name.casefold()) or aliases.get(name.casefold())
        if found is None:
            raise ExportUsageError(f"unknown column {name!r}" + _suggestion(name, available, fields))
        if found in out:
            raise ExportUsageError(f"column {found!r} is asked for twice")
        out.append(found)
    return out


def _suggestion(name: str, available: Sequence[str], fields: Sequence[Field]) -> str:
    names = {n.casefold(): n for n in available}
    names.update({f.alias.casefold(): f.name for f in fields if f.alias and f.alias.casefold() not in names})
    close = difflib.get_close_matches(name.casefold(), list(names), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {names[close[0]]!r}?"
    shown = ", ".join(list(available)[:12]) + (", ..." if len(available) > 12 else "")
    return f"; the columns are {shown}"


def geometry_columns(dataset: Dataset | None, columns: Sequence[str]) -> tuple[str, str] | None:
    """``(latitude column, longitude column)`` among ``columns`` when the rows are points, else None.

    The columns the portal made from point geometry come first (``Field.derived``, with aliases Latitude/Longitude:
    ArcGIS point layers, a Socrata point column), then columns named as coordinates (see
    ``pdxtui.geo.coordinate_columns``: Latitude/Longitude, lat/lng, OpenDataLat/OpenDataLon, ...). A dataset whose
    geometry is not a point has none."""
    present = list(columns)
    geometry = (dataset.geometry_type if dataset else "").lower()
    if (geometry and "point" not in geometry) or "multipoint" in geometry:
        return None
    if dataset is not None:
        marked = {f.alias.casefold(): f.name for f in dataset.fields if f.derived and f.name in present}
        if "latitude" in marked and "longitude" in marked:
            return marked["latitude"], marked["longitude"]
    from pdxtui.geo import coordinate_columns

    return coordinate_columns(present)


_SHAPE_FIELD_TYPES = ("esriGeometryPolygon", "esriGeometryPolyline")  # the ArcGIS portal's GeoJSON outline column


def shape_column(dataset: Dataset | None, columns: Sequence[str]) -> str | None:
    """The column of GeoJSON outlines (polygons, lines) among ``columns``, as the ArcGIS portal fetches it."""
    if dataset is None:
        return None
    return next((f.name for f in dataset.fields if f.type in _SHAPE_FIELD_TYPES and f.name in columns), None)


def format_problem(fmt: str, dataset: Dataset | None, columns: Sequence[str], rows: int | None = None) -> str | None:
    """Why ``fmt`` cannot hold these rows (None: it can). ``columns``: the columns that can be exported (for
    GeoJSON all the dataset's, not only the chosen ones); ``rows``: how many rows, if known."""
    fmt = format_for("", fmt)
    if fmt == "geojson" and geometry_columns(dataset, columns) is None and shape_column(dataset, columns) is None:
        geometry = (dataset.geometry_type if dataset else "") or ""
        kind = geometry.lower().removeprefix("esrigeometry")
        if (kind and "point" not in kind) or "multipoint" in kind:
            return f"GeoJSON export needs point geometry; this dataset's geometry is {kind} (not supported yet)"
        return "GeoJSON export needs point geometry: latitude and longitude columns, which these rows do not have"
    if fmt == "xlsx":
        if len(columns) > XLSX_MAX_COLUMNS:
            return f"an XLSX sheet holds at most {XLSX_MAX_COLUMNS:,} columns, not {len(columns):,}"
        if rows is not None and rows + 1 > XLSX_MAX_ROWS:
            return (
                f"an XLSX sheet holds at most {XLSX_MAX_ROWS - 1:,} rows under its header, not {rows:,}; "
                "export CSV or Parquet instead, or narrow the filter"
            )
    return None


def available_formats(
    dataset: Dataset | None, columns: Sequence[str], rows: int | None = None
) -> dict[str, str | None]:
    """Every format name -> None if it can be used, else the reason (for greying out choices in a dialog)."""
    return {name: format_problem(name, dataset, columns, rows) for name in FORMATS}


def suggested_filename(dataset: Dataset | None, fmt: str = "csv") -> str:
    """A file name for a dataset's export: its title in lower case with dashes, and the format's extension."""
    title = (dataset.title or dataset.id) if dataset else ""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-") or "export"
    return slug + FORMATS[format_for("", fmt)].extensions[0]
