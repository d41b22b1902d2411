"""Reading uploaded tables (lms.core.sheets): what a file is, is told by its content; CSV
is UTF-8 (with or without BOM) or Windows-1252, split at , ; or tab, with Excel's sep=
line honoured; rows keep the number the spreadsheet shows; cells are trimmed; XLSX
cells that held numbers are marked. Anything else is refused with a clear message."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask_babel import force_locale

from lms.core.errors import DomainError
from lms.core.sheets import read_table
from tests.org.fixtures import xlsx_bytes

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


def read(data: bytes, max_bytes: int = MB, max_rows: int = 1000):
    return read_table(data, max_bytes=max_bytes, max_rows=max_rows)


def refused(data: bytes, **limits) -> str:
    with pytest.raises(DomainError) as caught:
        read(data, **limits)
    assert caught.value.field == "file"
    return caught.value.message


def test_utf8_csv_with_a_byte_order_mark_reads_the_first_header_without_it():
    table = read("\ufeffNIP,NAMA\n1,José\n".encode())
    assert table.header == ("NIP", "NAMA")
    assert table.encoding == "utf-8-sig"
    assert table.rows[0].cells == ("1", "José")


def test_utf8_without_mark_is_utf8():
    table = read("NIP,NAMA\n1,Ñoño\n".encode())
    assert table.encoding == "utf-8"
    assert table.rows[0].cells[1] == "Ñoño"


def test_windows_1252_is_the_fallback_and_is_reported():
    table = read("NIP;NAMA\n1;José Núñez – Kupang\n".encode("cp1252"))
    assert table.encoding == "cp1252"
    assert table.rows[0].cells == ("1", "José Núñez – Kupang")


@pytest.mark.parametrize(
    "data", [b"NIP,NAMA\n1,\x81\x8d\x90\n", b"NIP,NAMA\x00\n1,2\n", b"\xff\xfeN\x00\x00\x00P\x00"]
)
def test_bytes_that_are_neither_encoding_or_hold_nul_are_not_a_text_csv(data):
    """UTF-16 is read (Excel's "Unicode text"), unless it holds NUL characters too."""
    assert "not a text CSV" in refused(data)


@pytest.mark.parametrize(("text", "delimiter"), [("A;B;C\n1;2;3\n", ";"), ("A\tB\tC\n1\t2\t3\n", "\t"),
                                                  ('A,B,C\n"1;x",2,3\n', ",")])  # fmt: skip
def test_the_delimiter_is_sniffed_among_comma_semicolon_and_tab(text, delimiter):
    table = read(text.encode())
    assert table.delimiter == delimiter
    assert table.header == ("A", "B", "C")
    assert len(table.rows[0].cells) == 3


def test_a_quoted_delimiter_in_the_header_does_not_win():
    table = read(b'"A;1","B;2",C\n1,2,3\n')
    assert table.delimiter == ","
    assert table.header == ("A;1", "B;2", "C")


def test_excel_sep_line_is_honoured_and_not_counted_as_a_row():
    table = read(b"sep=;\r\nA,x;B\r\n1,5;2\r\n")
    assert table.delimiter == ";"
    assert table.header == ("A,x", "B")
    assert table.header_row == 1
    assert table.rows[0].number == 2 and table.rows[0].cells == ("1,5", "2")


def test_rows_keep_the_spreadsheet_numbers_and_empty_rows_are_skipped():
    table = read(b"A,B\n1,2\n,\n\n3,4\n,,\n\n")
    assert [(r.number, r.cells) for r in table.rows] == [(2, ("1", "2")), (5, ("3", "4"))]


def test_a_quoted_line_break_stays_in_one_row():
    table = read(b'A,B\n"two\nlines",x\n3,4\n')
    assert [r.number for r in table.rows] == [2, 3]
    assert table.rows[0].cells[0] == "two\nlines"


def test_cells_are_trimmed_of_spaces_and_non_breaking_spaces():
    table = read("  NIP \u00a0, Nama\n\u00a0 199 \t,  Ani\u00a0Rahma \n".encode())
    assert table.header == ("NIP", "Nama")
    assert table.rows[0].cells == ("199", "Ani Rahma")


def test_xlsx_is_read_from_its_first_sheet_with_numeric_cells_marked():
    data = xlsx_bytes(
        [["NIP", "NAMA", "N"], [1.99203152019032e17, "Ani", 7], ["199203152019032001", "Budi", 2.5]]
    )
    table = read(data)
    assert table.format == "xlsx" and table.encoding is None
    assert table.header == ("NIP", "NAMA", "N")
    first, second = table.rows
    assert first.numeric == {0, 2} and first.cells[2] == "7"
    assert "e+17" in first.cells[0]
    assert second.numeric == {2} and second.cells == ("199203152019032001", "Budi", "2.5")


def test_xlsx_trailing_empty_rows_and_cells_are_dropped():
    data = xlsx_bytes([["A", "B"], ["1", None], [None, None], ["2", "3"], [None, None], [None]])
    table = read(data)
    assert [(r.number, r.cells) for r in table.rows] == [(2, ("1",)), (4, ("2", "3"))]


def _zip(names) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.4\n1 0 obj\n", "a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "(.xls)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "a picture"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "a picture"),
        (_zip(["readme.txt"]), "a zip archive"),
        (_zip(["word/document.xml"]), "a Word document"),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_says_which_formats_are_accepted(data, what):
    message = refused(data)
    assert what in message
    assert "CSV" in message and ".xlsx" in message


def test_a_damaged_workbook_is_refused_clearly():
    assert "damaged" in refused(_zip(["xl/workbook.xml", "[Content_Types].xml"]))


def test_size_and_row_limits():
    assert "larger than" in refused(b"A\n" + b"1\n" * 600, max_bytes=1000)
    assert "more than 3 rows" in refused(b"A\n1\n2\n3\n4\n", max_rows=3)
    assert len(read(b"A\n1\n2\n3\n", max_rows=3).rows) == 3


@pytest.mark.parametrize("data", [b"", b"  \r\n\r\n", b",,\n,,\n"])
def test_an_empty_file_is_refused(data):
    assert "empty" in refused(data)
