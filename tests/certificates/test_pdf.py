"""The certificate PDF: well-formed, readable, within the page, small, deterministic.

The file is checked from outside with pypdf (structure, text, drawing operators, the
embedded logo), and the xref table byte by byte, because a wrong offset is what lenient
readers hide.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import warnings
import zlib
from datetime import datetime

import pypdf
import pytest
import segno
from PIL import Image, ImageDraw
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


def _multiply(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    """a × b for PDF matrices [a b c d e f]: a applied first, then b."""
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )


def _filled_rectangles(data: bytes) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """(rectangle as drawn, the transformation in force) for every rectangle that is
    filled (not stroked), following q/Q and cm."""
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    ctm, stack = identity, []
    path: list[tuple[float, ...]] = []
    filled = []
    for operands, operator in _operations(data):
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = _multiply(tuple(float(v) for v in operands), ctm)
        elif operator == b"re":
            path.append((tuple(float(v) for v in operands), ctm))
        elif operator in (b"f", b"f*", b"S", b"n", b"B"):
            if operator in (b"f", b"f*"):
                filled.extend(path)
            path = []
    return filled


def _qr_cells(data: bytes) -> tuple[set[tuple[int, int]], float, int]:
    """Dark cells (column, row counted down from the top) of the filled rectangles drawn
    in module units, the side of one module in points, and how many rectangles drew them."""
    rectangles = [(r, m) for r, m in _filled_rectangles(data) if abs(m[0]) > 1.5]
    assert rectangles, "no QR code drawn"
    module = rectangles[0][1][0]
    cells: set[tuple[int, int]] = set()
    for (x, y, w, h), matrix in rectangles:
        assert matrix == rectangles[0][1]  # one transformation for the whole code
        assert h == 1 and w >= 1 and x == int(x) and y == int(y)
        cells.update((int(x) + i, int(y)) for i in range(int(w)))
    # Rows go down the page: the path is drawn in fpdf2's top-down coordinates.
    assert rectangles[0][1][3] < 0
    return cells, module, len(rectangles)


def _logo(size=(800, 500), mode="RGBA", fmt="PNG") -> bytes:
    picture = Image.new(mode, size, (255, 255, 255, 0) if mode == "RGBA" else (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((10, 10, size[0] - 10, size[1] - 10), fill=(20, 60, 140), outline=(200, 160, 40), width=12)
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


SIGNED = dataclasses.replace(
    FIELDS,
    place_date="Kupang, 12 Januari 2026",
    signer_position="Kepala Badan Kepegawaian Daerah Provinsi Nusa Tenggara Timur",
    signer_name="Drs. Yohanes Bria, M.Si.",
    signer_nip_line="NIP 197502102000031002",
    issued_at=datetime(2026, 1, 12, 2, 30),
)


def test_starts_with_header_and_ends_with_eof():
    data = certificate_pdf(FIELDS)
    assert re.match(rb"%PDF-1\.[3-7]\n", data)
    assert data.rstrip().endswith(b"%%EOF")


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
    match = re.search(rb"<<\n/Filter /FlateDecode\n/Length (\d+)\n>>\nstream\n", data)
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
    text_fields = [f.name for f in dataclasses.fields(FIELDS) if f.type == "str"]
    empty = dataclasses.replace(FIELDS, **dict.fromkeys(text_fields, ""))
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
    cells, module, rectangles = _qr_cells(data)
    matrix = segno.make(FIELDS.verify_url, error="m").matrix
    expected = {
        (c + QR_BORDER, r + QR_BORDER) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark
    }
    assert cells == expected
    assert 90 <= module * (len(matrix) + 2 * QR_BORDER) <= 110
    # Horizontal runs are merged, so there are far fewer rectangles than dark modules.
    assert rectangles < len(cells) / 2


def test_typical_certificate_is_small():
    assert len(certificate_pdf(FIELDS)) < 8_000
    assert len(certificate_pdf(SIGNED)) < 8_000


# --- the agency: logo and signatory ----------------------------------------------------------


def _images(data: bytes) -> list:
    page = _reader(data).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    return [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]


def test_the_signatory_block_names_city_date_position_name_and_nip():
    data = certificate_pdf(SIGNED)
    text = _text(data)
    for expected in (
        SIGNED.place_date,
        SIGNED.signer_position,
        SIGNED.signer_name,
        SIGNED.signer_nip_line,
        SIGNED.issuer,
    ):
        assert expected in text
    drawn = _drawn_strings(data)
    assert next((b, s) for b, s, _x, t in drawn if t == SIGNED.signer_name) == (True, 11.0)
    _assert_within_margins(drawn)


def test_the_city_and_date_replace_the_issued_line_when_given():
    assert SIGNED.issued_line not in _text(certificate_pdf(SIGNED))
    unsigned = dataclasses.replace(FIELDS, place_date="")
    assert FIELDS.issued_line in _text(certificate_pdf(unsigned))


def test_without_a_signatory_there_is_no_signature_block():
    data = certificate_pdf(FIELDS)
    strings = [t for _b, _s, _x, t in _drawn_strings(data)]
    assert "NIP 197502102000031002" not in strings
    assert FIELDS.issued_line in strings


def test_the_logo_is_embedded_once_small_and_at_the_top():
    logo = _logo()
    data = certificate_pdf(dataclasses.replace(SIGNED, logo=logo))
    images = _images(data)
    assert len(images) == 1
    assert (images[0]["/Width"], images[0]["/Height"]) == (800, 500)
    # Drawn within its box at the top, centred; y is the distance from the top in fpdf2.
    placed = [m for operands, op in _operations(data) if op == b"cm" for m in [tuple(map(float, operands))]]
    width, height = next((a, d) for a, _b, _c, d, _e, _f in placed if 50 < d <= 56.01 and a > 50)
    assert width <= 300.01 and height <= 56.01
    assert len(data) < 100_000
    assert SIGNED.signer_name in _text(data)


def test_a_jpeg_logo_is_embedded_as_jpeg():
    data = certificate_pdf(dataclasses.replace(FIELDS, logo=_logo(mode="RGB", fmt="JPEG")))
    (image,) = _images(data)
    assert image["/Filter"] == "/DCTDecode"


def test_a_damaged_logo_is_left_out_and_the_certificate_still_made():
    data = certificate_pdf(dataclasses.replace(FIELDS, logo=b"\x89PNG\r\n\x1a\nnot really"))
    assert _images(data) == []
    assert FIELDS.name in _text(data)


def test_the_creation_date_is_the_issue_date_so_the_bytes_repeat():
    data = certificate_pdf(SIGNED)
    assert _reader(data).metadata["/CreationDate"].startswith("D:20260112023000")
    assert data == certificate_pdf(dataclasses.replace(SIGNED))
    with_logo = dataclasses.replace(SIGNED, logo=_logo())
    assert certificate_pdf(with_logo) == certificate_pdf(dataclasses.replace(with_logo))
    later = dataclasses.replace(SIGNED, issued_at=datetime(2026, 1, 13))
    assert certificate_pdf(later) != data


def test_long_signatory_fields_shrink_or_are_cut_within_the_column():
    long = "Kepala Badan Pengembangan Sumber Daya Manusia dan Kepegawaian " * 8
    data = certificate_pdf(
        dataclasses.replace(SIGNED, signer_position=long, signer_name=long, place_date=long)
    )
    drawn = _drawn_strings(data)
    _assert_within_margins(drawn)
    for bold, size, x, text in drawn:
        if text.startswith("Kepala Badan"):
            assert x >= MARGIN + 10 - 0.01
            assert x + text_width(text, size, bold=bold) <= MARGIN + 10 + 360 + 0.01
