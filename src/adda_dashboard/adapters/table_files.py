"""One table in a CSV or XLSX file, every cell as text.

The import and export rules only ever see a header and rows of strings; the quirks of each file
format stay here:

* CSV is UTF-8 with a byte-order mark on write (so Excel shows Hindi and emoji correctly; Google
  Sheets ignores it) and with or without one on read. Rows end in CRLF (RFC 4180); line breaks
  inside a cell are kept as they are, inside quotes. A cell that a spreadsheet would run as a
  formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
  leading ``'``, and so is a cell that already starts with ``'``; on read one leading ``'`` is
  removed from every data cell, which undoes this and matches the original's reading of the sheet.
* XLSX cells are written as typed strings, so nothing is a formula and "Sr no." stays ``"12"``.
  The file is byte-for-byte reproducible: the document's created and modified times and the
  date of every zip member are fixed (1980-01-01, the zip format's earliest date). XML reads a
  carriage return back as a line feed, so line breaks are written as ``\\n`` in the first place.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.writer.excel import ExcelWriter

from adda_dashboard.errors import Invalid

FORMATS = ("csv", "xlsx")
CSV_ENCODING = "utf-8-sig"
CSV_ESCAPE = "'"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", CSV_ESCAPE)
SHEET_TITLE = "Entries"
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date
FIXED_TIMESTAMP = datetime(*ZIP_DATE_TIME)  # stands in for "created" and "modified"
ZIP_UNIX = 3


def format_of(path: Path) -> str:
    """``"csv"`` or ``"xlsx"``, from the file name's extension."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise Invalid(
            f"'{path.name}' is neither a .csv nor a .xlsx file; use one of those extensions",
            field="file",
        )
    return suffix


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write the table whole; it is built in memory first, so a failed build leaves no file."""
    data = csv_bytes(header, rows) if format_of(path) == "csv" else xlsx_bytes(header, rows)
    path.write_bytes(data)


def read_table(path: Path) -> list[list[str]]:
    """Every row of the file (of the first sheet of a workbook), cells as text, row 1 first."""
    if format_of(path) == "csv":
        return read_csv(path)
    return read_xlsx(path)


# CSV -------------------------------------------------------------------------------------------


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_csv_cell(value) for value in row])
    return buffer.getvalue().encode(CSV_ENCODING)


def escape_csv_cell(value: str) -> str:
    return CSV_ESCAPE + value if value.startswith(FORMULA_STARTS) else value


def read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode(CSV_ENCODING)
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"'{path.name}' is not UTF-8 text (byte {exc.start}); save it as \"CSV UTF-8\"",
            field="file",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if rows:
                row = [value.removeprefix(CSV_ESCAPE) for value in row]
            rows.append(row)
    except csv.Error as exc:
        raise Invalid(
            f"'{path.name}' is not valid CSV near line {reader.line_num}: {exc}", field="file"
        ) from None
    return rows


# XLSX ------------------------------------------------------------------------------------------


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.append([text_cell(sheet, value) for value in header])
    for row in rows:
        sheet.append([text_cell(sheet, value) for value in row])
    workbook.properties.creator = "Adda Dashboard"
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which stamps the current time as "modified".
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return with_fixed_zip_dates(buffer.getvalue())


def text_cell(sheet: Any, value: str) -> Cell:
    """A string cell, even for text starting with ``=``, which openpyxl would make a formula."""
    cell = WriteOnlyCell(sheet, value=value.replace("\r\n", "\n").replace("\r", "\n"))
    cell.data_type = "s"
    return cell


def with_fixed_zip_dates(data: bytes) -> bytes:
    """The archive with every member dated ``ZIP_DATE_TIME``: equal content gives equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = ZIP_UNIX
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(member))
    return out.getvalue()


def read_xlsx(path: Path) -> list[list[str]]:
    with _open_workbook(path) as workbook:
        return _sheet_rows(workbook.worksheets[0]) if workbook.worksheets else []


def read_workbook(path: Path) -> list[tuple[str, list[list[str]]]]:
    """Every worksheet of an XLSX workbook in order, as (title, rows of cell text)."""
    if format_of(path) != "xlsx":
        raise Invalid(f"'{path.name}' is not a .xlsx workbook", field="file")
    with _open_workbook(path) as workbook:
        return [(sheet.title, _sheet_rows(sheet)) for sheet in workbook.worksheets]


@contextmanager
def _open_workbook(path: Path) -> Iterator[Any]:
    # openpyxl warns about sheet features it drops (data validation, conditional formats);
    # only the values matter here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception:  # a damaged workbook fails in many ways inside openpyxl
            raise Invalid(f"'{path.name}' is not a readable XLSX workbook", field="file") from None
        try:
            yield workbook
        finally:
            workbook.close()


def _sheet_rows(sheet: Any) -> list[list[str]]:
    # Some writers declare a wrong size; read the rows that are really there.
    sheet.reset_dimensions()
    return [
        [cell_text(value) for value in row] for row in sheet.iter_rows(min_row=1, values_only=True)
    ]


def cell_text(value: object) -> str:
    """A cell's value as the text a sheet shows for it (numbers without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
