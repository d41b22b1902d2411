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
import math
import numbers
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal


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


# --- XLSX ----------------------------------------------------------------------------
#
# The SpreadsheetML parts are written directly: openpyxl spends ~8 µs a cell, and a
# quiz's results (thousands of attempts) must download at once. What it wrote is kept:
# text as inline strings, numbers as numbers, dates and times as Excel serials with a
# date format, NIPs as text in a Text-formatted ("@") cell, a bold header row.

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Characters XML 1.0 cannot hold: C0 controls but tab, LF and CR; lone UTF-16
# surrogates (Python strings can carry them, UTF-8 cannot); U+FFFE and U+FFFF. Controls
# and non-characters are dropped, a surrogate becomes U+FFFD, the mark of a lost character.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# What text needs beyond its plain self in the XML.
_NEEDS_CARE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Excel's limit for a cell's text.
_MAX_TEXT = 32767
# Sheet names: at most 31 characters and none of these (Excel's rules).
_MAX_TITLE = 31
_BAD_TITLE = re.compile(r"[\\*?:/\[\]]")

# Cell formats, the indexes of <cellXfs> in _STYLES: plain and bold (the header), each
# with the number format a value's type asks for.
_GENERAL, _TEXT, _DATETIME, _DATE, _TIME, _DURATION = range(6)
_BOLD = 6
_NUMBER_FORMATS = (
    (0, None),  # General
    (49, None),  # "@", Text: typing into the cell keeps it text
    (164, "yyyy-mm-dd h:mm:ss"),
    (165, "yyyy-mm-dd"),
    (21, None),  # h:mm:ss
    (166, "[hh]:mm:ss"),
)
_EXCEL_EPOCH = datetime(1899, 12, 30)
# Above any finite float: NaN and infinity compare outside.
_FINITE = math.inf


def _drop_not_xml(match: re.Match) -> str:
    char = match.group()
    return "\ufffd" if "\ud800" <= char <= "\udfff" else ""


def _clean(text: str) -> str:
    """`text` without what XML cannot carry."""
    return _NOT_XML.sub(_drop_not_xml, text) if _NOT_XML.search(text) else text


def _xml_text(text: str) -> str:
    """Cleaned text escaped for XML content. A CR is written as a reference, as XML
    readers turn a literal one into LF."""
    if _NEEDS_CARE.search(text) is None:
        return text
    text = _clean(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _xml_attr(text: str) -> str:
    """Cleaned text escaped for an XML attribute, where readers turn tab and LF into spaces."""
    return _xml_text(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _inline_string(text: str, *, guard: bool = True) -> str:
    """The rest of a text cell after its reference and style: the cleaned text, guarded
    against formulas (headers, ours, are not, as in the CSV), cut to Excel's limit. Empty
    text is an empty cell. It is an inline string, never a formula, either way."""
    text = _clean(text)
    text = (_safe(text) if guard else text)[:_MAX_TEXT]
    if not text:
        return "/>"
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>'


def _number(value: numbers.Real | Decimal) -> str | None:
    """As openpyxl wrote numbers: 16 significant digits; NaN and infinity, which Excel
    cannot hold, leave the cell empty."""
    value = float(value)
    return f"{value:.16g}" if math.isfinite(value) else None


def _serial(value: date | time | timedelta) -> float:
    """Days since Excel's epoch (1900 date system), as openpyxl computed them."""
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    if getattr(value, "tzinfo", None) is not None:
        raise TypeError("Excel has no time zones: give times as naive local times.")
    if isinstance(value, time):
        return _day_fraction(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    days = (value - _EXCEL_EPOCH).days
    if 0 < days <= 60:  # Excel's 29 February 1900, which never was
        days -= 1
    return days + _day_fraction(value)


def _day_fraction(value: datetime | time) -> float:
    return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 10**6) / 86400


def _cell_tail(value: Cell | date | time | timedelta, strings: dict[str, str]) -> tuple[int, str] | None:
    """The cell's format and its XML after `<c r="A1"` and the style; None for no cell.
    Text is looked up in `strings`, as exports repeat units, words and names a lot."""
    if isinstance(value, str):
        tail = strings.get(value)
        if tail is None:
            tail = strings[value] = _inline_string(value)
        return (_TEXT if isinstance(value, NipCell) else _GENERAL), tail
    if value is None:
        return None
    if isinstance(value, bool):
        return _GENERAL, f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real | Decimal):
        number = _number(value)
        return None if number is None else (_GENERAL, f"><v>{number}</v></c>")
    if isinstance(value, datetime):
        fmt = _DATETIME
    elif isinstance(value, date):
        fmt = _DATE
    elif isinstance(value, time):
        fmt = _TIME
    elif isinstance(value, timedelta):
        fmt = _DURATION
    else:
        raise ValueError(f"Cannot convert {value!r} to Excel")
    return fmt, f"><v>{_serial(value):.16g}</v></c>"


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _worksheet(sheet: Sheet, *, selected: bool) -> str:
    width = max([len(sheet.headers), *map(len, sheet.rows)])
    letters = _column_letters(width)
    strings: dict[str, str] = {}
    parts = ['<row r="1">']
    for letter, value in zip(letters, sheet.headers, strict=False):
        if isinstance(value, str):
            fmt, tail = _GENERAL, _inline_string(value, guard=False)
        else:
            fmt, tail = _cell_tail(value, strings) or (_GENERAL, "/>")
        parts.append(f'<c r="{letter}1" s="{_BOLD + fmt}"{tail}')
    parts.append("</row>")
    append = parts.append
    # The common types are written here; the others, and NaN, go by _cell_tail.
    for number, cells in enumerate(sheet.rows, start=2):
        append(f'<row r="{number}">')
        for letter, value in zip(letters, cells, strict=False):
            kind = type(value)
            if kind is str:
                tail = strings.get(value)
                if tail is None:
                    tail = strings[value] = _inline_string(value)
                append(f'<c r="{letter}{number}"{tail}')
            elif value is None:
                continue
            elif (kind is int or kind is float) and -_FINITE < value < _FINITE:
                append(f'<c r="{letter}{number}"><v>{value:.16g}</v></c>')
            elif kind is datetime:
                append(f'<c r="{letter}{number}" s="{_DATETIME}"><v>{_serial(value):.16g}</v></c>')
            elif kind is NipCell:
                tail = strings.get(value)
                if tail is None:
                    tail = strings[value] = _inline_string(value)
                append(f'<c r="{letter}{number}" s="{_TEXT}"{tail}')
            else:
                cell = _cell_tail(value, strings)
                if cell is not None:
                    fmt, tail = cell
                    style = f' s="{fmt}"' if fmt else ""
                    append(f'<c r="{letter}{number}"{style}{tail}')
        append("</row>")
    rows = len(sheet.rows) + 1
    dimension = f"A1:{letters[-1]}{rows}" if width else "A1"
    view = ' tabSelected="1"' if selected else ""
    return (
        f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView{view} workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<sheetData>{''.join(parts)}</sheetData>"
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        "</worksheet>"
    )


def _titles(sheets: Sequence[Sheet]) -> list[str]:
    """Sheet names as openpyxl gave them: cut to 31 characters, "Sheet" for none, an
    error for a character Excel forbids, and a number after a repeated name (compared
    without case), the name shortened so the number fits the 31."""
    titles: list[str] = []
    for sheet in sheets:
        title = _clean(str(sheet.title))[:_MAX_TITLE] or "Sheet"
        bad = _BAD_TITLE.search(title)
        if bad:
            raise ValueError(f"Invalid character {bad.group()} found in sheet title")
        taken = {t.lower() for t in titles}
        if title.lower() in taken:
            numbered = re.compile(re.escape(title) + r"(\d*)", re.IGNORECASE)
            counts = [int(m[1]) for t in titles if (m := numbered.fullmatch(t)) and m[1]]
            count = max(counts, default=0) + 1
            while True:
                suffix = str(count)
                candidate = title[: _MAX_TITLE - len(suffix)] + suffix
                if candidate.lower() not in taken:
                    break
                count += 1
            title = candidate
        titles.append(title)
    return titles


def _styles() -> str:
    custom = "".join(
        f'<numFmt numFmtId="{fmt_id}" formatCode="{code}"/>' for fmt_id, code in _NUMBER_FORMATS if code
    )
    xfs = "".join(
        f'<xf numFmtId="{fmt_id}" fontId="{font}" fillId="0" borderId="0" xfId="0"'
        + (' applyNumberFormat="1"' if fmt_id else "")
        + (' applyFont="1"' if font else "")
        + "/>"
        for font in (0, 1)
        for fmt_id, _code in _NUMBER_FORMATS
    )
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
    return (
        f'{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">'
        f'<numFmts count="{custom.count("<numFmt ")}">{custom}</numFmts>'
        f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{2 * len(_NUMBER_FORMATS)}">{xfs}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


_STYLES = _styles()
# A fixed time for the zip entries, so the same tables give the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an Excel workbook, one worksheet a table with its headers in bold.
    No tables give one empty sheet named "Sheet", as openpyxl did."""
    sheets = list(sheets) or [Sheet("", [], [])]
    titles = _titles(sheets)
    count = len(sheets)
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    parts = {
        "[Content_Types].xml": (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheet_types}</Types>"
        ),
        "_rels/.rels": (
            f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name="{_xml_attr(title)}" sheetId="{n}" r:id="rId{n}"/>'
                for n, title in enumerate(titles, start=1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                for n in range(1, count + 1)
            )
            + f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _STYLES,
    }
    for n, sheet in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{n}.xml"] = _worksheet(sheet, selected=n == 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for name, xml in parts.items():
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            book.writestr(info, xml.encode("utf-8"), compresslevel=6)
    return buffer.getvalue()


def check_format(fmt: str) -> None:
    """A download URL's ``.csv``/``.xlsx`` ending; anything else is not a page."""
    if fmt not in ("csv", "xlsx"):
        from flask_babel import gettext as _

        from lms.core.errors import DomainError

        raise DomainError(_("Export as CSV or XLSX."), status=404)


def download(sheets: list[Sheet], stem: str, fmt: str):
    """A file download: CSV holds the first sheet (in the user's language's style), XLSX all."""
    from flask import Response
    from flask_babel import get_locale

    if fmt == "csv":
        body, mimetype = to_csv(sheets[0], locale=str(get_locale())), "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx(sheets), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{fmt}"',
            "Cache-Control": "private, no-store",
        },
    )
