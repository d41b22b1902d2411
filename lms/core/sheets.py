"""Reading tables people upload: CSV from other systems and XLSX from spreadsheets.

What a file is is decided by its content, never by its name: a zip holding a workbook is
XLSX; a PDF, an old Excel 97-2003 binary, a picture or another zip is refused with a
message saying which formats are accepted; anything else must decode as text.

CSV text is UTF-8 (with or without a byte-order mark) or, when it is not valid UTF-8,
Windows-1252, which Excel on Indonesian and English Windows writes; the one used is
reported. The delimiter is sniffed among comma, semicolon (Excel with Indonesian regional
settings) and tab, and an Excel ``sep=;`` first line is honoured.

Rows keep the number a spreadsheet shows for them (the first row is 1, a ``sep=`` line
is not shown by Excel and is not counted), cells are trimmed of spaces and non-breaking
spaces, empty rows are skipped. For XLSX the indexes of cells that held numbers are kept,
so a caller can tell a NIP typed as text from one a spreadsheet turned into a number.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _

from lms.core.errors import DomainError

ACCEPTED = "CSV, XLSX"
DELIMITERS = (",", ";", "\t")
# Spaces a spreadsheet or a web page leaves around values: NBSP, narrow NBSP, zero-width.
_SPACES = "\u00a0\u202f\u2007\ufeff\u200b"
_TRIM = " \t\r\n" + _SPACES


@dataclass(frozen=True)
class Row:
    number: int
    cells: tuple[str, ...]
    # Indexes of the cells that were numbers in the workbook (always empty for CSV).
    numeric: frozenset[int] = frozenset()

    def get(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    header_row: int
    rows: list[Row] = field(default_factory=list)
    format: str = "csv"  # "csv" | "xlsx"
    encoding: str | None = None  # "utf-8", "utf-8-sig" or "cp1252" for CSV
    delimiter: str | None = None


def clean(value: str) -> str:
    """A cell's text without surrounding whitespace; non-breaking spaces inside become spaces."""
    text = value.strip(_TRIM)
    if any(ch in text for ch in _SPACES):
        text = "".join(" " if ch in _SPACES else ch for ch in text).strip()
    return text


def _refuse(message: str) -> DomainError:
    return DomainError(message, field="file")


def read_table(data: bytes, *, max_bytes: int, max_rows: int, is_header=None) -> Table:
    """The header and rows of an uploaded CSV or XLSX file, or a DomainError on ``file``
    saying what is wrong with the file as a whole. ``is_header(cells)`` tells the header
    row: rows above it (a title, the date, blank lines, as official sheets have) are
    skipped; without it, or when no row near the top is one, the first row is the header."""
    if len(data) > max_bytes:
        raise _refuse(
            _("The file is larger than %(mb)s MB; split it or remove columns that are not needed.",
              mb=f"{max_bytes / 1024 / 1024:g}")
        )  # fmt: skip
    if not data.strip():
        raise _refuse(_("The file is empty."))
    kind = _sniff(data)
    if kind == "xlsx":
        return _read_xlsx(data, max_rows, is_header)
    if kind != "text":
        raise _refuse(
            _("This file is %(kind)s, not a table this page reads: upload a CSV or an Excel workbook (.xlsx).",
              kind=kind)
        )  # fmt: skip
    return _read_csv(data, max_rows, is_header)


def _sniff(data: bytes) -> str:
    """ "xlsx", "text" or a description of what the file is."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return _("a damaged zip archive")
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names:
            return _("an OpenDocument file (save it as .xlsx or CSV)")
        if "word/document.xml" in names:
            return _("a Word document")
        return _("a zip archive")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _("an old Excel 97-2003 workbook (.xls): save it as .xlsx or CSV")
    if head.startswith(b"%PDF"):
        return _("a PDF")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")) or (
        head.startswith(b"RIFF") and data[8:12] == b"WEBP"
    ):
        return _("a picture")
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return _("a compressed archive")
    return "text"


# --- CSV ------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    not_text = _("This is not a text CSV file: save it from the spreadsheet as CSV (UTF-8) or as .xlsx.")
    # Excel's "Unicode text" is UTF-16 with a byte-order mark (and tabs between cells).
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _refuse(not_text) from None
        if "\x00" not in text:
            return text, "utf-16"
    if b"\x00" in data:
        raise _refuse(not_text)
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise _refuse(not_text) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise _refuse(not_text) from None
    # Control characters other than tab and line ends do not occur in a table's text.
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        raise _refuse(not_text)
    return text, "cp1252"


def _sep_line(text: str) -> tuple[str | None, str]:
    """Excel's ``sep=;`` first line: the delimiter it names, and the text after it."""
    first, _newline, rest = text.partition("\n")
    line = first.strip().strip('"')
    if line.lower().startswith("sep=") and len(line) == 5:
        return line[4], rest
    return None, text


def _guess_delimiter(text: str) -> str:
    """The candidate found most often outside quotes on the first non-empty line."""
    for line in text.splitlines():
        if not line.strip(_TRIM):
            continue
        counts = dict.fromkeys(DELIMITERS, 0)
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in counts:
                counts[ch] += 1
        best = max(DELIMITERS, key=lambda d: counts[d])
        return best if counts[best] else ","
    return ","


def _read_csv(data: bytes, max_rows: int, is_header=None) -> Table:
    text, encoding = _decode(data)
    delimiter, text = _sep_line(text)
    delimiter = delimiter or _guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = ((number, [clean(c) for c in cells]) for number, cells in enumerate(reader, start=1))
        header, rows = _collect(records, max_rows, is_header)
    except csv.Error as exc:
        raise _refuse(_("The CSV file could not be read: %(error)s.", error=str(exc))) from None
    return Table(header[1], header[0], rows, "csv", encoding, delimiter)


# --- XLSX -----------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return clean(str(value))


def _read_xlsx(data: bytes, max_rows: int, is_header=None) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged workbook
        raise _refuse(
            _("The Excel workbook is damaged and cannot be read; save it again as .xlsx.")
        ) from None
    try:
        if not book.worksheets:
            raise _refuse(_("The workbook has no worksheet."))
        sheet = book.worksheets[0]

        def records():
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                numeric = frozenset(
                    i for i, v in enumerate(values) if isinstance(v, int | float) and not isinstance(v, bool)
                )
                yield number, cells, numeric

        header, rows = _collect(records(), max_rows, is_header)
    finally:
        book.close()
    return Table(header[1], header[0], rows, "xlsx")


# --- both -----------------------------------------------------------------------------


HEADER_SEARCH_ROWS = 10  # non-empty rows above the header a sheet may have (a title, a date)


def _collect(records, max_rows: int, is_header=None) -> tuple[tuple[int, tuple[str, ...]], list[Row]]:
    """The header (see ``read_table``); the non-empty records after it are rows, cut to
    the header's width where the extra cells are empty."""
    header: tuple[int, tuple[str, ...]] | None = None
    above: list = []  # non-empty records before a header is recognised
    rows: list[Row] = []
    for number, cells, *rest in records:
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if header is None:
            if is_header is None or is_header(tuple(cells)):
                header = (number, tuple(cells))
                continue
            above.append((number, cells, *rest))
            if len(above) < HEADER_SEARCH_ROWS:
                continue
            # No row near the top looks like the header: the first one is, and the
            # importer says which columns it expected.
            header = (above[0][0], tuple(above[0][1]))
            for n, c, *r in above[1:]:
                rows.append(Row(n, tuple(c), r[0] if r else frozenset()))
            continue
        if len(rows) >= max_rows:
            raise _refuse(
                _("The file has more than %(max)d rows; split it into smaller files.", max=max_rows)
            )
        rows.append(Row(number, tuple(cells), rest[0] if rest else frozenset()))
    if header is None and above:
        header = (above[0][0], tuple(above[0][1]))
        rows = [Row(n, tuple(c), r[0] if r else frozenset()) for n, c, *r in above[1:]]
    if header is None:
        raise _refuse(_("The file is empty."))
    return header, rows
