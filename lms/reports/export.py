"""Tables to CSV and XLSX. The same headers and rows feed both, so the two agree.

Both must open right with a double click, without touching an import dialog:

- The CSV is UTF-8 with a byte-order mark: without it Excel reads the file in the
  Windows code page and breaks accents and arrows. No "sep=" line: Excel then ignores
  the mark, and LibreOffice shows the line as a row.
- Excel splits a CSV at the list separator of the Windows region and reads numbers with
  its decimal mark: Indonesian settings use ";" and "1,5", English ones "," and "1.5".
  So the CSV follows the user's language. In Excel set up the other way the file opens
  all in column A, in LibreOffice its decimals stay text: wrong at a glance, not
  silently. Numbers carry no thousands separators.
- LibreOffice splits at ",", ";" and tab together by default, so every field is quoted;
  a quoted number is still a number in both programs.
- An 18-digit NIP becomes 1.99203E+17 (and loses digits) as a number, quoted or not, so
  the CSV writes it grouped as on official papers: "19920315 201903 2 001". The XLSX
  keeps the 18 digits in a text cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font


class NipCell(str):
    """Marks a NIP in a row, so it is written as text and never as a number."""


Cell = str | int | float | None


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


@dataclass(frozen=True)
class _CsvStyle:
    delimiter: str
    decimal: str


# By the interface language; other languages get the English form.
_CSV_STYLES = {"id": _CsvStyle(";", ","), "en": _CsvStyle(",", ".")}


def _safe(value: Cell) -> Cell:
    """Text starting like a formula is prefixed, so a spreadsheet shows it instead of
    running it (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _grouped_nip(nip: str) -> str:
    """19920315 201903 2 001: birth date, CPNS start, sex, serial."""
    if len(nip) == 18 and nip.isascii() and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return nip


def _csv_field(value: Cell, style: _CsvStyle) -> str:
    if value is None:
        return ""
    if isinstance(value, NipCell):
        return str(_safe(_grouped_nip(value)))
    if isinstance(value, int | float):
        return str(value).replace(".", style.decimal)
    return str(_safe(value))


def to_csv(sheet: Sheet, *, locale: str = "en") -> bytes:
    """The sheet as CSV for spreadsheets set up for `locale` ("id" or "en", the
    interface language; "id_ID" and the like work too)."""
    style = _CSV_STYLES.get(str(locale).replace("-", "_").split("_")[0], _CSV_STYLES["en"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, quoting=csv.QUOTE_ALL)
    writer.writerow(sheet.headers)
    for row in sheet.rows:
        writer.writerow([_csv_field(v, style) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.title[:31])
        header = []
        for text in sheet.headers:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_xlsx_cell(ws, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(ws, value: Cell):
    if isinstance(value, NipCell):
        # A text cell with the Text format ("@"), so editing it keeps it text.
        cell = WriteOnlyCell(ws, value=_safe(str(value)))
        cell.number_format = "@"
        return cell
    return _safe(value)
