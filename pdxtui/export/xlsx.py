"""XLSX, streamed: xlsxwriter makes the workbook skeleton, and the sheet's rows are SpreadsheetML built with
polars and streamed into the zip entry. This leans on xlsxwriter's internals (the part names, the sheet XML, the
style indices), hence the pinned major version in pyproject.toml."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

from pdxtui.model import Dataset

if TYPE_CHECKING:
    import polars as pl


from pdxtui.export import formats as limits
from pdxtui.export.formats import _XLSX_DEFLATE_LEVEL, XLSX_MAX_TEXT, ExportError
from pdxtui.export.writers import _ISO_NAIVE, _ISO_TIME, _text_ready, _Writer
from pdxtui.frames import whole_floats


class _XlsxWriter(_Writer):
    """An XLSX workbook with one sheet. xlsxwriter makes the package (styles, header row, frozen panes, column
    widths); the data rows are SpreadsheetML built with polars, in the form xlsxwriter's constant_memory mode
    writes (inline strings, numbers, booleans, dates as serial numbers with a date style), streamed into the
    sheet's zip entry page by page."""

    chunk_rows = 25_000

    def begin(self, frame: pl.DataFrame) -> None:
        import io
        import zipfile

        import xlsxwriter

        skeleton = io.BytesIO()
        book = xlsxwriter.Workbook(
            skeleton,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        name = _sheet_name(self.job.dataset)
        sheet = book.add_worksheet(name)
        if self.options.provenance:  # filled in at the end, when the rows are counted
            about = book.add_worksheet(ABOUT_SHEET if name.casefold() != ABOUT_SHEET.casefold() else "About pdxtui")
            about.set_column(0, 0, 24)
            about.set_column(1, 1, 100)
        formats = {
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "time": book.add_format({"num_format": "hh:mm:ss"}),
        }
        widths = {"date": 11, "datetime": 19, "time": 9}
        kinds = [_xlsx_kind(dtype) for dtype in frame.schema.values()]
        for index, kind in enumerate(kinds):
            if kind in formats:
                sheet.set_column(index, index, widths[kind], formats[kind])
        if self.options.header:
            bold = book.add_format({"bold": True})
            for index, name in enumerate(frame.columns):
                sheet.write_string(0, index, name[:XLSX_MAX_TEXT], bold)
            sheet.freeze_panes(1, 0)
        book.close()
        self.styles = {kind: fmt.xf_index for kind, fmt in formats.items() if fmt.xf_index is not None}

        with zipfile.ZipFile(skeleton) as package:
            entries = [(info, package.read(info)) for info in package.infolist()]
        names = [info.filename for info, _ in entries]
        at = names.index("xl/worksheets/sheet1.xml")
        xml = entries[at][1].decode("utf-8")
        xml = re.sub(r"<dimension ref=\"[^\"]*\"/>", "", xml, count=1)  # unknown until the end; it is optional
        if "<sheetData/>" in xml:
            head, tail = xml.split("<sheetData/>", 1)
            head, tail = head + "<sheetData>", "</sheetData>" + tail
        else:
            cut = xml.index("</sheetData>")
            head, tail = xml[:cut], xml[cut:]
        self.package = zipfile.ZipFile(
            self.file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_XLSX_DEFLATE_LEVEL
        )
        for info, data in entries[:at]:
            self.package.writestr(_zip_info(info), data)
        self.sheet = self.package.open(_zip_info(entries[at][0]), "w")
        self.sheet.write(head.encode("utf-8"))
        self.tail = tail.encode("utf-8")
        self.rest = entries[at + 1 :]
        self.next_row = 2 if self.options.header else 1

    def write(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        last = self.next_row + frame.height - 1
        if last > limits.XLSX_MAX_ROWS:
            raise ExportError(
                f"an XLSX sheet holds at most {limits.XLSX_MAX_ROWS - 1:,} rows under its header; "
                "export CSV or Parquet instead, or narrow the filter"
            )
        self.sheet.write(_xlsx_rows(whole_floats(frame), self.next_row, self.styles).encode("utf-8"))
        self.next_row = last + 1

    def finish(self) -> None:
        self.sheet.write(self.tail)
        self.sheet.close()
        record = self.job.record
        for info, data in self.rest:
            if record is not None and info.filename == "xl/worksheets/sheet2.xml":
                data = _about_sheet(data.decode("utf-8"), record).encode("utf-8")
            self.package.writestr(_zip_info(info), data)
        self.package.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.sheet.close()
        with contextlib.suppress(Exception):
            self.package.close()


ABOUT_SHEET = "About"


def _about_sheet(xml: str, record: dict[str, Any]) -> str:
    """The "About" sheet's XML with the provenance record in two columns: what, and its value (lists and
    objects as JSON text), under a header row."""
    import json

    import polars as pl

    pairs = [("pdxtui provenance", "where these rows came from (the same record as FILE.provenance.json)")]
    pairs += [
        (key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in _flat(record)
    ]
    frame = pl.DataFrame(
        {"what": [k for k, _ in pairs], "value": [v for _, v in pairs]},
        schema=pl.Schema({"what": pl.String, "value": pl.String}),
    )
    rows = _xlsx_rows(frame, 1, {})
    xml = re.sub(r"<dimension ref=\"[^\"]*\"/>", "", xml, count=1)  # xlsxwriter's says A1 (it is optional)
    if "<sheetData/>" in xml:
        return xml.replace("<sheetData/>", f"<sheetData>{rows}</sheetData>", 1)
    return xml.replace("</sheetData>", f"{rows}</sheetData>", 1)


def _flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``{"query": {"url": u}}`` -> ``[("query.url", u)]``; lists stay whole; None and empty lists are left out."""
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += _flat(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    if value is None or value == []:
        return []
    return [(prefix, value)]


def _zip_info(info: Any) -> Any:
    import zipfile

    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    fresh.external_attr = info.external_attr
    # fast deflate: level 1 is about 3x faster than the default 6, for files about 25% bigger
    for name in ("compress_level", "_compresslevel"):  # public from Python 3.13
        with contextlib.suppress(AttributeError):
            setattr(fresh, name, _XLSX_DEFLATE_LEVEL)
    return fresh


def _sheet_name(dataset: Dataset | None) -> str:
    title = dataset.title if dataset else ""
    name = re.sub(r"[\[\]:*?/\\\x00-\x1f]", " ", title).strip().strip("'")[:31].strip()
    return name if name and name.lower() != "history" else "data"


def _xlsx_kind(dtype: Any) -> str:
    import polars as pl

    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Time:
        return "time"
    if dtype.is_integer() or dtype.is_float() or isinstance(dtype, pl.Decimal):
        return "number"
    return "text"


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_XLSX_CONTROL = "[\x00-\x08\x0b-\x1f\ufffe\uffff]"  # written as _xHHHH_, as Excel (and xlsxwriter) do
_XLSX_ESCAPE_LIKE = r"_x[0-9A-Fa-f]{4}_"  # literal text of that shape gets its underscore escaped
_EXCEL_EPOCH_DAYS = 25_569  # days from 1899-12-30 (Excel's day 0) to 1970-01-01
_EXCEL_FIRST_DAY = -25_508  # 1900-03-01: serial numbers before it are muddled by Excel's 1900 leap year
_EXCEL_LAST_DAY = 2_932_896  # 9999-12-31


def _xlsx_rows(frame: pl.DataFrame, first_row: int, styles: dict[str, int]) -> str:
    """``<row>`` elements for the frame's rows, numbered from ``first_row``. Nulls are left out (empty cells)."""
    import polars as pl

    text_columns = [n for n, d in frame.schema.items() if _xlsx_kind(d) == "text"]
    flags: dict[str, tuple[bool, ...]] = {}
    if text_columns:
        prepared = _text_ready(frame.select(text_columns), nested=True, datetimes="all")
        prepared = prepared.select(pl.all().cast(pl.String).str.slice(0, XLSX_MAX_TEXT))
        checks = [_XLSX_CONTROL, _XLSX_ESCAPE_LIKE, "[&<>]", r"^\s|\s$"]
        found = (
            prepared.select(
                [
                    pl.col(n).str.contains(pattern).any().alias(f"{i}:{k}")
                    for i, n in enumerate(text_columns)
                    for k, pattern in enumerate(checks)
                ]
            ).row(0)
            if prepared.height
            else [False] * (len(text_columns) * len(checks))
        )
        flags = {
            n: tuple(bool(v) for v in found[i * len(checks) : (i + 1) * len(checks)])
            for i, n in enumerate(text_columns)
        }
        frame = frame.with_columns(prepared)
    frame = frame.with_columns((pl.int_range(0, pl.len(), dtype=pl.Int64) + first_row).cast(pl.String).alias(_ROW))
    number = pl.col(_ROW)

    cells = []
    for index, (name, dtype) in enumerate(frame.schema.items()):
        if name == _ROW:
            continue
        ref = [pl.lit(f'<c r="{_column_letters(index)}'), number]
        col = pl.col(name)
        kind = "text" if name in flags else _xlsx_kind(dtype)
        if kind == "number":
            value = pl.when(col.is_finite()).then(col.cast(pl.String)) if dtype.is_float() else col.cast(pl.String)
            cell = pl.concat_str([*ref, pl.lit('"><v>'), value, pl.lit("</v></c>")])
        elif kind == "boolean":
            cell = pl.concat_str([*ref, pl.lit('" t="b"><v>'), col.cast(pl.Int8).cast(pl.String), pl.lit("</v></c>")])
        elif kind in ("date", "datetime", "time"):
            if kind == "date":
                days = col.cast(pl.Int32).cast(pl.Int64)
                serial = (days + _EXCEL_EPOCH_DAYS).cast(pl.String)
                iso = col.cast(pl.String)
            elif kind == "datetime":
                zoned = isinstance(dtype, pl.Datetime) and dtype.time_zone  # always a Datetime here
                wall = col.dt.replace_time_zone(None) if zoned else col
                millis = wall.dt.epoch("ms")
                days = millis.floordiv(86_400_000)
                serial = (millis.cast(pl.Float64) / 86_400_000 + _EXCEL_EPOCH_DAYS).cast(pl.String)
                iso = wall.dt.to_string(_ISO_NAIVE)
            else:
                days = pl.lit(0)
                serial = (col.cast(pl.Int64).cast(pl.Float64) / 86_400_000_000_000).cast(pl.String)
                iso = col.dt.to_string(_ISO_TIME)
            in_range = (days >= _EXCEL_FIRST_DAY) & (days <= _EXCEL_LAST_DAY)
            as_number = pl.concat_str([*ref, pl.lit(f'" s="{styles.get(kind, 0)}"><v>'), serial, pl.lit("</v></c>")])
            cell = pl.when(in_range).then(as_number).otherwise(_xlsx_text_cell(ref, iso))
        else:
            control, escape_like, markup, spaces = flags[name]
            text = col
            if escape_like:
                text = text.str.replace_all(f"({_XLSX_ESCAPE_LIKE})", "_x005F$1")
            if control:
                for code in [*range(0x00, 0x09), *range(0x0B, 0x20), 0xFFFE, 0xFFFF]:
                    text = text.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
            cell = _xlsx_text_cell(ref, text, markup=markup, spaces=spaces)
        cells.append(cell.fill_null(""))
    row = pl.concat_str([pl.lit('<row r="'), number, pl.lit('">'), *cells, pl.lit("</row>")])
    return frame.select(row.str.join("")).item() or ""


def _xlsx_text_cell(ref: list[Any], text: Any, *, markup: bool = True, spaces: bool = True) -> Any:
    """An inline-string cell. ``markup``: the text may hold & < >; ``spaces``: it may start or end with white
    space (then Excel needs xml:space="preserve")."""
    import polars as pl

    escaped = text
    if markup:
        escaped = (
            text.str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True)
        )
    plain = pl.lit('" t="inlineStr"><is><t>')
    opening = (
        pl.when(text.str.contains(r"^\s|\s$"))
        .then(pl.lit('" t="inlineStr"><is><t xml:space="preserve">'))
        .otherwise(plain)
        if spaces
        else plain
    )
    return pl.concat_str([*ref, opening, escaped, pl.lit("</t></is></c>")])


_ROW = "\x00pdxtui-row"
