"""Writing rows to files: CSV, TSV, JSON, NDJSON, Parquet, XLSX and GeoJSON. No Textual here; the export dialog
and ``pdxtui export`` both call this module.

Entry points:

* :func:`export_frame` writes a frame that is already loaded (the grid's rows). It is synchronous: the UI runs it
  in a thread worker (``cancel=lambda: worker.is_cancelled``).
* :func:`export_query` streams every row of a dataset that matches a :class:`~pdxtui.model.Query` (the current
  filter, or ``None`` for the whole dataset) from :meth:`Service.stream` page by page into the file. When the
  portal cannot filter on the server (``service.can("filter")`` is false) the filter is applied to each page here.
* :func:`export_frames` is the streaming core: any async iterable of frames.
* :func:`export_scope` picks one of those for a scope name ("loaded", "filtered", "all"): the dialog's one call.

Guarantees:

* **Atomic.** Rows go to a temp file ``.{name}.pdxtui-tmp-{pid}-XXXXXXXX`` in the target's folder, which is
  flushed, fsynced and then renamed onto the target (``os.replace``; without ``overwrite``, ``os.link``, so a file
  that appeared meanwhile is never clobbered). A cancel, an error or an exception removes the temp file; an
  existing target is untouched until the final rename. A process killed with SIGKILL can leave the temp file
  behind, never a partial target; the next export to the same name removes temp files of processes that are gone.
* **Bounded memory.** Streams hold a page or two (Parquet: one row group of at most ``PARQUET_ROW_GROUP`` rows).
  XLSX streams too: the workbook skeleton (styles, header) comes from xlsxwriter, and the sheet's rows are built
  with polars and streamed into the zip entry, so it is fast (about 1 s per 100k rows x 10 columns, where
  ``DataFrame.write_excel`` takes about 16 s) and holds one page at a time.
* **Typed.** Dates are dates: CSV/TSV/JSON write ISO 8601 (``2024-05-01``, ``2024-05-01T13:45:00+00:00``,
  naive datetimes without an offset); XLSX writes real date cells with a ``yyyy-mm-dd`` (``yyyy-mm-dd hh:mm:ss``)
  format, datetimes as the wall-clock time of their zone (UTC for portal data); Parquet keeps the schema. Nested
  values (List/Struct) become JSON text in CSV/TSV/XLSX and stay nested in JSON/NDJSON/GeoJSON/Parquet. NaN is
  ``null`` in JSON and an empty cell in XLSX.
* **Clear errors.** Every failure is an :class:`ExportError` (a :class:`~pdxtui.errors.PdxError`) with a
  one-line message; requests that cannot work (unknown extension, format or column, GeoJSON without point
  geometry) are :class:`ExportUsageError`, which is also a :class:`~pdxtui.errors.UsageError` (CLI exit 2).

polars, pyarrow and xlsxwriter are imported inside the functions that need them.
"""

from __future__ import annotations

from pdxtui.export.api import (
    SCOPES,
    check_target,
    export_frame,
    export_frames,
    export_query,
    export_scope,
    in_the_way,
)
from pdxtui.export.formats import (
    COMPRESSIONS,
    EXTENSIONS,
    FORMATS,
    QUOTE_STYLES,
    XLSX_MAX_COLUMNS,
    XLSX_MAX_ROWS,
    XLSX_MAX_TEXT,
    ExportCancelled,
    ExportError,
    ExportOptions,
    ExportResult,
    ExportUsageError,
    Format,
    TargetExists,
    available_formats,
    format_for,
    format_problem,
    geometry_columns,
    resolve_columns,
    suggested_filename,
)
from pdxtui.export.target import write_text_atomic

__all__ = [
    "COMPRESSIONS",
    "EXTENSIONS",
    "FORMATS",
    "QUOTE_STYLES",
    "SCOPES",
    "XLSX_MAX_COLUMNS",
    "XLSX_MAX_ROWS",
    "XLSX_MAX_TEXT",
    "ExportCancelled",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "ExportUsageError",
    "Format",
    "TargetExists",
    "available_formats",
    "check_target",
    "export_frame",
    "export_frames",
    "export_query",
    "export_scope",
    "format_for",
    "format_problem",
    "geometry_columns",
    "in_the_way",
    "resolve_columns",
    "suggested_filename",
    "write_text_atomic",
]
