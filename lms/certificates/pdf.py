"""Certificate PDF: one A4-landscape page drawn with fpdf2.

A certificate is a fixed layout of a dozen lines of text, the agency's logo and a QR
code. It uses only the standard 14 fonts Helvetica and Helvetica-Bold, which every
viewer has, so nothing is embedded; the QR code is drawn as vector rectangles (each
row's dark modules merged into runs, one filled path); the logo is the small PNG or JPEG
stored at upload (lms.org.agency). A certificate is a few kilobytes without a logo and
a few tens with one: it downloads quickly on the slow connections this LMS is built for.

Because the fonts are not embedded, the text has to be in WinAnsiEncoding (cp1252), and
centring and wrapping need the fonts' real advance widths: the Adobe AFM tables below.
The layout is computed here and every line is placed at its measured position, so
fpdf2 only draws.

The output is deterministic: the creation date is the certificate's issue date and the
file identifier is derived from the content, so the same certificate always gives the
same bytes and can be cached or compared.
"""

from __future__ import annotations

import io
import logging
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import segno
from fpdf import FPDF
from fpdf.drawing import Transform

log = logging.getLogger(__name__)

PAGE_WIDTH = 842  # A4 landscape, in points
PAGE_HEIGHT = 595
MARGIN = 60  # no text comes closer to the left or right page edge than this
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

REGULAR = "F1"  # resource names of the two fonts in the page's /Font dictionary
BOLD = "F2"
_STYLES = {REGULAR: "", BOLD: "B"}  # fpdf2 numbers fonts in the order they are first set

QR_SIZE = 100.0  # side of the QR code including its quiet zone, in points
QR_BORDER = 4  # the quiet zone the QR specification asks for, in modules

LOGO_BOX = (300.0, 56.0)  # the logo fits in this width and height, centred at the top
LOGO_TOP = 560.0  # its top edge, in PDF coordinates (y up)
SIGNATURE_CENTRE = MARGIN + 190  # the signatory block is centred on this x
SIGNATURE_WIDTH = 360.0

UNKNOWN_WIDTH = 556  # what a code point without a glyph counts as
ELLIPSIS = b"\x85"  # "…" in cp1252
# When a certificate gives no issue date, the file still has one fixed creation date.
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)

# fmt: off
_HELVETICA: tuple[int, ...] = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 556,  # 0x70
    556, 556, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 556, 611, 556,  # 0x80
    556, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 556, 500, 667,  # 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,  # 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,  # 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,  # 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,  # 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,  # 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,  # 0xF0
)
_HELVETICA_BOLD: tuple[int, ...] = (
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,  # 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,  # 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,  # 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,  # 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,  # 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 556,  # 0x70
    556, 556, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 556, 611, 556,  # 0x80
    556, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 556, 500, 667,  # 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,  # 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,  # 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,  # 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,  # 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,  # 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,  # 0xF0
)
# fmt: on
_WIDTHS = {REGULAR: _HELVETICA, BOLD: _HELVETICA_BOLD}

# Colours (0–255 RGB): ink for the body, a dark blue for the frame and the key lines,
# a muted gold for the ornaments.
Colour = tuple[int, int, int]
_INK: Colour = (33, 33, 33)
_BLUE: Colour = (23, 51, 102)
_GOLD: Colour = (184, 143, 56)
_GREY: Colour = (89, 89, 89)


@dataclass(frozen=True)
class CertificateFields:
    """Every piece of text on the certificate, already translated and formatted, and the
    logo. The agency's fields are optional: a certificate issued before the agency was
    set up has only ``issuer`` and ``issued_line``."""

    heading: str
    subheading: str
    awarded_to: str
    name: str
    nip_line: str
    for_completing: str
    course_title: str
    details: str
    issuer: str  # the agency's name, printed at the top under the logo
    issued_line: str
    code_label: str
    code: str
    verify_url: str
    verify_hint: str
    # The signatory block: "Kupang, 12 Januari 2026" (else ``issued_line`` is shown),
    # the signer's position, name and "NIP …" line.
    place_date: str = ""
    signer_position: str = ""
    signer_name: str = ""
    signer_nip_line: str = ""
    logo: bytes | None = None  # PNG or JPEG
    issued_at: datetime | None = None  # the file's creation date (naive means UTC)


@dataclass(frozen=True)
class _Text:
    font: str
    size: float
    x: float
    y: float  # baseline, PDF coordinates (y up)
    data: bytes  # cp1252
    colour: Colour = _INK


# --- text encoding and measuring -------------------------------------------------------


def encode_text(text: str) -> bytes:
    """``text`` as cp1252 bytes that are safe to draw with the WinAnsi standard fonts.

    Accents that cp1252 lacks are dropped rather than losing the letter ("ā" → "a"), and
    what is left without a glyph becomes "?" so the reader still sees that something was
    there. Line breaks and other controls would otherwise reach the content stream, where
    a viewer draws them as boxes (or, for CR, a parser rewrites them).
    """
    out = bytearray()
    for ch in text:
        if ch.isspace() and ch != "\xa0":
            out += b" "
            continue
        if unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        try:
            out += ch.encode("cp1252")
            continue
        except UnicodeEncodeError:
            pass
        base = [c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)]
        if not base:
            out += b"?"
        for c in base:
            try:
                out += c.encode("cp1252")
            except UnicodeEncodeError:
                out += b"?"
    # Runs of spaces would make centred text look off-centre and wrapping produce blank lines.
    return b" ".join(part for part in bytes(out).split(b" ") if part)


def _bytes_width(data: bytes, font: str, size: float) -> float:
    widths = _WIDTHS[font]
    units = sum(widths[b - 32] if b >= 32 else UNKNOWN_WIDTH for b in data)
    return units * size / 1000


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in points of ``text`` as this module draws it."""
    return _bytes_width(encode_text(text), BOLD if bold else REGULAR, size)


# --- fitting text into the space it has --------------------------------------------------


def _fitting_prefix(data: bytes, font: str, size: float, max_width: float) -> int:
    """How many leading bytes of ``data`` fit in ``max_width``: one pass, so that a
    pathologically long field costs linear time, not quadratic."""
    widths = _WIDTHS[font]
    limit = max_width * 1000 / size
    units = 0
    for i, b in enumerate(data):
        units += widths[b - 32] if b >= 32 else UNKNOWN_WIDTH
        if units > limit:
            return i
    return len(data)


def _truncate(data: bytes, font: str, size: float, max_width: float) -> bytes:
    """The longest prefix of ``data`` that fits with an ellipsis after it."""
    if _bytes_width(data, font, size) <= max_width:
        return data
    room = max_width - _bytes_width(ELLIPSIS, font, size)
    if room < 0:
        return b""
    return data[: _fitting_prefix(data, font, size, room)].rstrip(b" ") + ELLIPSIS


def _fitting_size(data: bytes, font: str, size: float, min_size: float, max_width: float) -> float:
    width = _bytes_width(data, font, size)
    if width <= max_width:
        return size
    # Rounded down to a tenth so the size stays short in the stream and still fits.
    return max(min_size, math.floor(size * max_width / width * 10) / 10)


def _fit_line(data: bytes, font: str, size: float, min_size: float, max_width: float) -> tuple[bytes, float]:
    """Shrink first so the whole text survives; cut it only below the smallest size."""
    size = _fitting_size(data, font, size, min_size, max_width)
    return _truncate(data, font, size, max_width), size


def _wrap(data: bytes, font: str, size: float, max_width: float, max_lines: int) -> list[bytes]:
    """Greedy word wrap by measured width; a word wider than a line is split by character.

    Stops once there is one line more than ``max_lines``: the caller then knows the text
    is too long, and the lines after that one would never be drawn.
    """
    lines: list[bytes] = []
    line = b""
    for word in data.split(b" "):
        if len(lines) > max_lines:
            return lines
        candidate = line + b" " + word if line else word
        if _bytes_width(candidate, font, size) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = b""
        while (cut := _fitting_prefix(word, font, size, max_width)) < len(word):
            cut = max(1, cut)  # a glyph wider than the line still has to go somewhere
            lines.append(word[:cut])
            word = word[cut:]
            if len(lines) > max_lines:
                return lines
        line = word
    if line:
        lines.append(line)
    return lines


def _fit_block(
    data: bytes, font: str, size: float, min_size: float, max_width: float, max_lines: int
) -> tuple[list[bytes], float]:
    """Wrap into at most ``max_lines``, shrinking in half points; cut only at the smallest size."""
    while True:
        lines = _wrap(data, font, size, max_width, max_lines)
        if len(lines) <= max_lines:
            return lines, size
        if size <= min_size:
            break
        size = max(min_size, size - 0.5)
    last = _truncate(b" ".join(lines[max_lines - 1 :]), font, size, max_width)
    return [*lines[: max_lines - 1], last], size


# --- layout ------------------------------------------------------------------------------


def _centred(data: bytes, font: str, size: float, y: float, colour: Colour = _INK) -> _Text:
    return _Text(font, size, (PAGE_WIDTH - _bytes_width(data, font, size)) / 2, y, data, colour)


def _centred_on(data: bytes, font: str, size: float, cx: float, y: float, colour: Colour = _INK) -> _Text:
    return _Text(font, size, cx - _bytes_width(data, font, size) / 2, y, data, colour)


def _right(data: bytes, font: str, size: float, right: float, y: float, colour: Colour = _INK) -> _Text:
    return _Text(font, size, right - _bytes_width(data, font, size), y, data, colour)


@dataclass(frozen=True)
class _QrBox:
    x: float
    y: float  # bottom edge, PDF coordinates
    module: float
    rows: list[list[int]]  # including the quiet zone; 1 is dark

    @property
    def side(self) -> float:
        return self.module * len(self.rows)


def _qr(url: str) -> _QrBox:
    matrix = segno.make(url, error="m", micro=False).matrix
    width = len(matrix[0]) + 2 * QR_BORDER
    quiet = [[0] * width for _ in range(QR_BORDER)]
    rows = [
        *quiet,
        *([0] * QR_BORDER + [1 if cell else 0 for cell in row] + [0] * QR_BORDER for row in matrix),
        *quiet,
    ]
    # Rounded so the transformation matrix stays short; the side stays within 0.1 pt of QR_SIZE.
    module = round(QR_SIZE / len(rows), 3)
    right = PAGE_WIDTH - MARGIN - 10
    return _QrBox(x=right - module * len(rows), y=86, module=module, rows=rows)


def _runs(row: list[int]) -> Iterable[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    c, n = 0, len(row)
    while c < n:
        if not row[c]:
            c += 1
            continue
        start = c
        while c < n and row[c]:
            c += 1
        yield start, c - start


class _Layout:
    """Collects the lines of text at their measured places."""

    def __init__(self) -> None:
        self.texts: list[_Text] = []

    def centred_line(
        self, value: str, font: str, size: float, min_size: float, y: float, colour: Colour = _INK
    ) -> None:
        data, size = _fit_line(encode_text(value), font, size, min_size, CONTENT_WIDTH)
        self.texts.append(_centred(data, font, size, y, colour))

    def line_on(
        self, value: str, font: str, size: float, min_size: float, cx: float, width: float, y: float,
        colour: Colour = _INK,
    ) -> _Text:  # fmt: skip
        data, size = _fit_line(encode_text(value), font, size, min_size, width)
        text = _centred_on(data, font, size, cx, y, colour)
        self.texts.append(text)
        return text

    def block(
        self, value: str, font: str, size: float, min_size: float, y: float, width: float, max_lines: int,
        cx: float = PAGE_WIDTH / 2, colour: Colour = _INK,
    ) -> float:  # fmt: skip
        """Wrapped lines centred on ``cx`` from ``y`` down; returns the baseline after them."""
        lines, size = _fit_block(encode_text(value), font, size, min_size, width, max_lines)
        for line in lines:
            self.texts.append(_centred_on(line, font, size, cx, y, colour))
            y -= size * 1.25
        return y


def _layout(fields: CertificateFields, qr: _QrBox, *, has_logo: bool) -> tuple[list[_Text], _Text | None]:
    """The text, and the signer's name line (underlined, where one signs above it)."""
    page = _Layout()
    # The agency under its logo; without a logo it moves up into the logo's place.
    page.centred_line(fields.issuer, BOLD, 13, 8, 486 if has_logo else 508, _BLUE)
    page.centred_line(fields.heading, BOLD, 40, 20, 440, _BLUE)
    page.centred_line(fields.subheading, REGULAR, 15, 9, 404, _GREY)
    page.centred_line(fields.awarded_to, REGULAR, 12, 8, 376)
    page.centred_line(fields.name, BOLD, 30, 14, 344, _BLUE)
    page.centred_line(fields.nip_line, REGULAR, 12, 8, 322)
    page.centred_line(fields.for_completing, REGULAR, 12, 8, 298)
    y = page.block(fields.course_title, BOLD, 18, 10, 272, 680, 3)
    # The details follow the title, but never come down into the signatory block.
    page.centred_line(fields.details, REGULAR, 11, 7, max(y - 6, 194), _GREY)

    # Bottom left: the signatory block, centred on its column as on an official letter.
    cx, width = SIGNATURE_CENTRE, SIGNATURE_WIDTH
    first = fields.place_date or fields.issued_line
    signer = None
    if fields.signer_name or fields.signer_position or fields.signer_nip_line:
        page.line_on(first, REGULAR, 10, 7, cx, width, 172)
        page.block(fields.signer_position, REGULAR, 10, 7, 159, width, 2, cx=cx)
        signer = page.line_on(fields.signer_name, BOLD, 11, 7, cx, width, 86)
        page.line_on(fields.signer_nip_line, REGULAR, 10, 7, cx, width, 73)
    else:
        page.line_on(first, REGULAR, 10, 7, cx, width, 78, _GREY)

    # Bottom right: the code under the QR, then how to check it; the lines end where the
    # dark modules do, so the quiet zone does not push them out of line.
    qx = qr.x + qr.side / 2
    edge = qr.x + qr.side - qr.module * QR_BORDER
    room = 2 * (PAGE_WIDTH - MARGIN - qx)
    page.line_on(fields.code_label, REGULAR, 7.5, 5, qx, room, 77, _GREY)
    page.line_on(fields.code, BOLD, 11, 6, qx, room, 64, _BLUE)
    data, size = _fit_line(encode_text(fields.verify_hint), REGULAR, 6.5, 5, 330)
    page.texts.append(_right(data, REGULAR, size, edge, 52, _GREY))
    data, size = _fit_line(encode_text(fields.verify_url), REGULAR, 6.5, 5, 330)
    page.texts.append(_right(data, REGULAR, size, edge, 43))
    return page.texts, (signer if signer and signer.data else None)


# --- drawing -----------------------------------------------------------------------------


def _top(y: float) -> float:
    """fpdf2 measures from the top of the page."""
    return PAGE_HEIGHT - y


def _frame(pdf: FPDF) -> None:
    outer, inner = 18, 25
    pdf.set_draw_color(*_BLUE)
    pdf.set_line_width(2.5)
    pdf.rect(outer, outer, PAGE_WIDTH - 2 * outer, PAGE_HEIGHT - 2 * outer)
    pdf.set_line_width(0.8)
    pdf.rect(inner, inner, PAGE_WIDTH - 2 * inner, PAGE_HEIGHT - 2 * inner)
    # A short gold rule under the heading, as on a paper form.
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(1.2)
    pdf.line(PAGE_WIDTH / 2 - 70, _top(426), PAGE_WIDTH / 2 + 70, _top(426))


def _draw_qr(pdf: FPDF, qr: _QrBox) -> None:
    """One path of rectangles in module units, scaled by one transformation, filled once.

    Merging each row's dark runs keeps the stream small, and a single fill leaves no
    hairline seams between neighbouring modules.
    """
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        path.transform = Transform.scaling(qr.module).translate(qr.x, _top(qr.y + qr.side))
        for r, row in enumerate(qr.rows):
            for start, length in _runs(row):
                path.rectangle(start, r, length, 1)


def _draw_logo(pdf: FPDF, logo: bytes) -> bool:
    box_w, box_h = LOGO_BOX
    try:
        pdf.image(
            io.BytesIO(logo),
            x=(PAGE_WIDTH - box_w) / 2,
            y=_top(LOGO_TOP),
            w=box_w,
            h=box_h,
            keep_aspect_ratio=True,
        )
    except Exception:  # a damaged stored logo must not stop the certificate
        log.warning("certificate logo could not be drawn; left out", exc_info=True)
        return False
    return True


def _draw_texts(pdf: FPDF, texts: Iterable[_Text]) -> None:
    for t in texts:
        if not t.data:
            continue
        pdf.set_font("Helvetica", _STYLES[t.font], t.size)
        pdf.set_text_color(*t.colour)
        pdf.text(t.x, _top(t.y), t.data.decode("cp1252"))


def _underline(pdf: FPDF, text: _Text) -> None:
    width = _bytes_width(text.data, text.font, text.size)
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(0.6)
    pdf.line(text.x, _top(text.y - 2.5), text.x + width, _top(text.y - 2.5))


def _title(fields: CertificateFields, limit: int = 200) -> str:
    """The document title (viewers show it in their title bar). Metadata is not
    compressed, so a pathological name is cut rather than grow the file."""
    value = f"{fields.heading} – {fields.name}"
    return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))[:limit]


def _creation_date(fields: CertificateFields) -> datetime:
    moment = fields.issued_at
    if moment is None:
        return FIXED_DATE
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _new_document(fields: CertificateFields) -> FPDF:
    pdf = FPDF(orientation="L", unit="pt", format=(PAGE_HEIGHT, PAGE_WIDTH))
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_compression(True)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creation_date(_creation_date(fields))
    pdf.set_producer("ASN LMS")
    pdf.set_creator("ASN LMS")
    pdf.set_title(_title(fields))
    # Registered in this order, the fonts are /F1 (regular) and /F2 (bold).
    pdf.set_font("Helvetica", "", 12)
    pdf.set_font("Helvetica", "B", 12)
    return pdf


def certificate_pdf(fields: CertificateFields) -> bytes:
    """The certificate as a one-page PDF document."""
    pdf = _new_document(fields)
    pdf.add_page()
    _frame(pdf)
    has_logo = bool(fields.logo) and _draw_logo(pdf, fields.logo)
    qr = _qr(fields.verify_url)
    _draw_qr(pdf, qr)
    texts, signer = _layout(fields, qr, has_logo=has_logo)
    _draw_texts(pdf, texts)
    if signer is not None:
        _underline(pdf, signer)
    return bytes(pdf.output())
