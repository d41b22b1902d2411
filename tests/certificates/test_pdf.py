"""The hand-written certificate PDF: well-formed, readable, within the page, deterministic.

The file is checked from outside with pypdf (structure, text, drawing operators), and the
xref table is checked byte by byte, because a wrong offset is what a hand-written PDF gets
wrong first and lenient readers hide it.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import warnings
import zlib

import pypdf
import pytest
import segno
from pypdf.generic import ContentStream

from lms.certificates.pdf import (
    BOLD,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    QR_BORDER,
    REGULAR,
    UNKNOWN_WIDTH,
    CertificateFields,
    _bytes_width,
    certificate_pdf,
    encode_text,
    text_width,
)

FIELDS = CertificateFields(
    heading="SERTIFIKAT",
    subheading="Penyelesaian Kursus E-Learning",
    awarded_to="diberikan kepada",
    name="Ni Luh Putu Ayu Wulandari, S.Kep.",
    nip_line="NIP 199203152019032001",
    for_completing="atas keberhasilan menyelesaikan kursus",
    course_title="Manajemen Risiko dan Pengendalian Intern Pemerintah bagi Aparatur Sipil Negara",
    details="3 JP · selesai 12 Januari 2026 · nilai 90",
    issuer="Badan Kepegawaian Daerah Provinsi Nusa Tenggara Timur",
    issued_line="Diterbitkan 12 Januari 2026",
    code_label="Kode verifikasi",
    code="7KQ4-M2XD-9PTA",
    verify_url="https://lms.example.go.id/verifikasi/7KQ4M2XD9PTA",
    verify_hint="Pindai kode QR atau buka alamat di bawah untuk memeriksa keaslian.",
)
LONG_TITLE = ("Pengembangan Kompetensi Manajerial dan Sosial Kultural " * 6)[:300]
HOSTILE_NAMES = [
    "Budi (Santoso)",
    "a) Tj ET BT (b",
    "Back\\slash \\",
    "Unbalanced ((( name",
    "trailing \\",
    ")",
]


def _reader(data: bytes, *, strict: bool = False) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data), strict=strict)


def _text(data: bytes) -> str:
    return _reader(data).pages[0].extract_text()


def _operations(data: bytes) -> list[tuple[list, bytes]]:
    reader = _reader(data)
    return ContentStream(reader.pages[0].get_contents(), reader).operations


def _drawn_strings(data: bytes) -> list[tuple[bool, float, float, str]]:
    """(bold, size, x, text) for every Tj, read back from the content stream."""
    fonts = {"/F1": False, "/F2": True}
    bold, size, x = False, 0.0, 0.0
    drawn = []
    for operands, operator in _operations(data):
        if operator == b"Tf":
            bold, size = fonts[operands[0]], float(operands[1])
        elif operator == b"Td":
            x = float(operands[0])
        elif operator == b"Tj":
            string = operands[0]
            raw = string if isinstance(string, bytes) else string.original_bytes
            drawn.append((bold, size, x, raw.decode("cp1252")))
    return drawn


def _qr_cells(data: bytes) -> tuple[set[tuple[int, int]], float]:
    """Dark cells (column, row counted up from the bottom) of the rectangles filled inside a
    scaled coordinate system, and the side of one module in points."""
    path: list[tuple[float, ...]] = []
    scale = module = 0.0
    cells: set[tuple[int, int]] = set()
    for operands, operator in _operations(data):
        if operator == b"cm":
            scale = module = float(operands[0])
        elif operator == b"Q":
            scale = 0.0
        elif operator == b"re":
            path.append(tuple(float(v) for v in operands))
        elif operator in (b"f", b"S"):
            if operator == b"f" and scale:
                for x, y, w, h in path:
                    assert h == 1 and w >= 1 and x == int(x) and y == int(y)
                    cells.update((int(x) + i, int(y)) for i in range(int(w)))
            path = []
    return cells, module


def test_starts_with_header_and_ends_with_eof():
    data = certificate_pdf(FIELDS)
    assert data.startswith(b"%PDF-1.4\n")
    assert data.endswith(b"%%EOF")


def test_one_landscape_a4_page():
    reader = _reader(certificate_pdf(FIELDS))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (842, 595)
    assert (PAGE_WIDTH, PAGE_HEIGHT) == (842, 595)


def test_text_can_be_extracted():
    text = _text(certificate_pdf(FIELDS))
    for expected in (
        FIELDS.heading,
        FIELDS.name,
        FIELDS.nip_line,
        FIELDS.code,
        FIELDS.verify_url,
        FIELDS.details,
        FIELDS.issuer,
        FIELDS.issued_line,
    ):
        assert expected in text
    for word in FIELDS.course_title.split():
        assert word in text


def test_info_has_title_and_producer():
    metadata = _reader(certificate_pdf(FIELDS)).metadata
    assert metadata.producer == "ASN LMS"
    assert FIELDS.name in metadata.title
    # The title is UTF-16, so letters the page cannot show survive in the metadata.
    other = certificate_pdf(dataclasses.replace(FIELDS, name="王小明"))
    assert "王小明" in _reader(other).metadata.title


def test_fonts_are_unembedded_winansi_helvetica():
    page = _reader(certificate_pdf(FIELDS)).pages[0]
    fonts = {name: font.get_object() for name, font in page["/Resources"]["/Font"].items()}
    assert {font["/BaseFont"] for font in fonts.values()} == {"/Helvetica", "/Helvetica-Bold"}
    for font in fonts.values():
        assert font["/Subtype"] == "/Type1"
        assert font["/Encoding"] == "/WinAnsiEncoding"
        assert "/FontDescriptor" not in font


def test_xref_offsets_point_at_their_objects():
    data = certificate_pdf(FIELDS)
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF$", data).group(1))
    assert data[startxref:].startswith(b"xref\n")
    header = re.match(rb"xref\n0 (\d+)\n", data[startxref:])
    count = int(header.group(1))
    entries = data[startxref + header.end() :].split(b"trailer")[0]
    assert len(entries) == 20 * count  # every entry is exactly 20 bytes
    rows = [entries[i : i + 20] for i in range(0, len(entries), 20)]
    assert rows[0] == b"0000000000 65535 f \n"
    for number, row in enumerate(rows[1:], start=1):
        offset, generation, kind = row.split()
        assert (generation, kind) == (b"00000", b"n")
        assert data[int(offset) :].startswith(b"%d 0 obj\n" % number)
    assert re.search(rb"/Size %d\b" % count, data)


def test_stream_length_is_exact_and_content_is_compressed():
    data = certificate_pdf(FIELDS)
    match = re.search(rb"<< /Length (\d+) /Filter /FlateDecode >>\nstream\n", data)
    length = int(match.group(1))
    body = data[match.end() : match.end() + length]
    assert data[match.end() + length :].startswith(b"\nendstream")
    assert b" Tj" in zlib.decompress(body)


def test_strict_reader_reads_it_without_warnings(caplog):
    data = certificate_pdf(FIELDS)
    with caplog.at_level(logging.DEBUG, logger="pypdf"), warnings.catch_warnings():
        warnings.simplefilter("error")
        reader = _reader(data, strict=True)
        text = reader.pages[0].extract_text()
        assert reader.metadata.producer == "ASN LMS"
        assert reader.trailer["/Root"]["/Type"] == "/Catalog"
    assert FIELDS.name in text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_do_not_break_the_file(name, caplog):
    data = certificate_pdf(dataclasses.replace(FIELDS, name=name))
    with caplog.at_level(logging.WARNING, logger="pypdf"):
        reader = _reader(data, strict=True)
        text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1
    assert name in text
    assert FIELDS.code in text  # text after the name is still read as text
    assert name in [drawn[3] for drawn in _drawn_strings(data)]
    assert caplog.records == []


def test_letters_outside_cp1252_lose_their_accent_or_become_question_marks():
    assert encode_text("Ṡiti Nurhaliza") == b"Siti Nurhaliza"
    assert encode_text("Pārvatī") == b"Parvati"
    assert encode_text("王小明 Wang") == b"??? Wang"
    assert encode_text("José · Müller – 50 €") == "José · Müller – 50 €".encode("cp1252")
    assert encode_text("line\nbreak\r\tand  spaces\x00") == b"line break and spaces"
    data = certificate_pdf(dataclasses.replace(FIELDS, name="Ṡiti 王 (Wāng)"))
    assert "Siti ? (Wang)" in _text(data)


def test_long_course_title_stays_on_the_page_in_three_lines():
    assert len(LONG_TITLE) == 300
    data = certificate_pdf(dataclasses.replace(FIELDS, course_title=LONG_TITLE))
    assert len(_reader(data).pages) == 1
    drawn = _drawn_strings(data)
    title_lines = [text for bold, _size, _x, text in drawn if bold and text.rstrip("…") in LONG_TITLE]
    assert 1 <= len(title_lines) <= 3
    assert " ".join(title_lines).startswith(LONG_TITLE[:120])
    _assert_within_margins(drawn)


def test_long_name_shrinks_and_stays_on_the_page():
    short = _drawn_strings(certificate_pdf(FIELDS))
    name = "Prof. Dr. Ir. Ni Luh Putu Ayu Wulandari Kusumaningrum Dewi Sartika, S.Kep., M.Kes., Ph.D."
    drawn = _drawn_strings(certificate_pdf(dataclasses.replace(FIELDS, name=name)))
    name_size = next(size for _bold, size, _x, text in drawn if text == name)
    assert name_size < next(size for _bold, size, _x, text in short if text == FIELDS.name)
    _assert_within_margins(drawn)


@pytest.mark.parametrize("long", ["x" * 500, "kata " * 10_000, "Ab" * 50_000])
def test_absurdly_long_fields_are_cut_rather_than_overflow(long):
    fields = dataclasses.replace(
        FIELDS, name=long, course_title=long, details=long, issuer=long, verify_hint=long
    )
    data = certificate_pdf(fields)
    drawn = _drawn_strings(data)
    assert any(text.endswith("…") for _bold, _size, _x, text in drawn)
    _assert_within_margins(drawn)
    assert len(data) < 20_000  # the uncompressed /Info title is capped too


def test_empty_fields_still_give_a_valid_page():
    empty = dataclasses.replace(FIELDS, **{f.name: "" for f in dataclasses.fields(FIELDS)})
    data = certificate_pdf(dataclasses.replace(empty, verify_url=FIELDS.verify_url))
    reader = _reader(data, strict=True)
    assert len(reader.pages) == 1
    assert [text for _bold, _size, _x, text in _drawn_strings(data)] == [FIELDS.verify_url]


def _assert_within_margins(drawn: list[tuple[bool, float, float, str]]) -> None:
    for bold, size, x, text in drawn:
        width = text_width(text, size, bold=bold)
        assert x >= MARGIN - 0.01, text
        assert x + width <= PAGE_WIDTH - MARGIN + 0.01, text


def test_widths_are_the_adobe_metrics():
    assert text_width("W", 1000) == 944
    assert text_width("i", 1000) == 222
    assert text_width("i", 1000, bold=True) == 278
    assert text_width("@", 1000) == 1015
    assert text_width("é", 1000, bold=True) == 556
    assert text_width("Hi there", 10) == pytest.approx((722 + 222 + 278 + 278 + 556 + 556 + 333 + 556) / 100)


@pytest.mark.parametrize(("bold", "font"), [(False, "Helvetica"), (True, "Helvetica-Bold")])
def test_width_tables_match_the_afm_files_shipped_with_pypdf(bold, font):
    metrics = pytest.importorskip("pypdf._codecs.core_font_metrics").CORE_FONT_METRICS[font]
    checked = 0
    for code in range(32, 256):
        try:
            char = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            assert _bytes_width(bytes([code]), BOLD if bold else REGULAR, 1000) == UNKNOWN_WIDTH
            continue
        if encode_text(char) != bytes([code]):
            continue  # a control or soft hyphen, which is never drawn
        glyph = " " if char == "\xa0" else char
        assert text_width(char, 1000, bold=bold) == metrics.character_widths[glyph], hex(code)
        checked += 1
    assert checked > 200


def test_same_input_gives_the_same_bytes():
    assert certificate_pdf(FIELDS) == certificate_pdf(dataclasses.replace(FIELDS))
    assert certificate_pdf(FIELDS) != certificate_pdf(dataclasses.replace(FIELDS, code="AAAA-BBBB-CCCC"))


def test_qr_code_matches_segno():
    data = certificate_pdf(FIELDS)
    cells, module = _qr_cells(data)
    qr = segno.make(FIELDS.verify_url, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=QR_BORDER))
    n = len(rows)
    expected = {(c, n - 1 - r) for r, row in enumerate(rows) for c, dark in enumerate(row) if dark}
    assert len(cells) == sum(1 for row in qr.matrix for dark in row if dark)
    assert cells == expected
    assert 90 <= module * n <= 110
    # Horizontal runs are merged, so there are fewer rectangles than dark modules.
    rectangles = sum(1 for _operands, operator in _operations(data) if operator == b"re")
    assert rectangles - 2 < len(cells) / 2  # the 2 are the frame


def test_typical_certificate_is_small():
    assert len(certificate_pdf(FIELDS)) < 20_000
