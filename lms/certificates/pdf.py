"""Certificate PDF: one A4-landscape page written byte by byte.

A certificate is a fixed layout of a dozen lines of text and a QR code, so a PDF library
would add a dependency (and megabytes) for what is a few hundred bytes of content stream.
The file uses only the standard 14 fonts Helvetica and Helvetica-Bold, which every viewer
has, so nothing is embedded and a typical certificate is a few kilobytes: it downloads
quickly on the slow connections this LMS is built for.

Because the fonts are not embedded, the text has to be in WinAnsiEncoding (cp1252), and
centring and wrapping need the fonts' real advance widths: the Adobe AFM tables below.

The output is deterministic (no dates, no random ids), so the same certificate always
gives the same bytes and can be cached or compared.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import segno

PAGE_WIDTH = 842  # A4 landscape, in points
PAGE_HEIGHT = 595
MARGIN = 60  # no text comes closer to the left or right page edge than this
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

REGULAR = "F1"  # resource names of the two fonts in the page's /Font dictionary
BOLD = "F2"
_BASE_FONTS = {REGULAR: "Helvetica", BOLD: "Helvetica-Bold"}

QR_SIZE = 100.0  # side of the QR code including its quiet zone, in points
QR_BORDER = 4  # the quiet zone the QR specification asks for, in modules

UNKNOWN_WIDTH = 556  # what a code point without a glyph counts as
ELLIPSIS = b"\x85"  # "…" in cp1252

# Advance widths (1/1000 em) from Adobe's Core14 AFM files, indexed by WinAnsi code - 32.
# Codes WinAnsi leaves undefined (0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D) hold UNKNOWN_WIDTH;
# 0xA0 (no-break space) and 0xAD (soft hyphen) use the space and hyphen glyphs.
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

# Colours as PDF operands: ink for the body, a dark blue for the frame and the key lines,
# a muted gold for the ornaments.
_INK = "0.13 0.13 0.13"
_BLUE = "0.09 0.2 0.4"
_GOLD = "0.72 0.56 0.22"
_GREY = "0.35 0.35 0.35"


@dataclass(frozen=True)
class CertificateFields:
    """Every piece of text on the certificate, already translated and formatted."""

    heading: str
    subheading: str
    awarded_to: str
    name: str
    nip_line: str
    for_completing: str
    course_title: str
    details: str
    issuer: str
    issued_line: str
    code_label: str
    code: str
    verify_url: str
    verify_hint: str


@dataclass(frozen=True)
class _Text:
    font: str
    size: float
    x: float
    y: float
    data: bytes  # cp1252
    colour: str = _INK


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


def _escape(data: bytes) -> bytes:
    # Only these three are special inside a literal string; every other byte, high bytes
    # included, is taken as it is.
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


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


def _centred(data: bytes, font: str, size: float, y: float, colour: str = _INK) -> _Text:
    return _Text(font, size, (PAGE_WIDTH - _bytes_width(data, font, size)) / 2, y, data, colour)


def _centred_on(data: bytes, font: str, size: float, cx: float, y: float, colour: str = _INK) -> _Text:
    return _Text(font, size, cx - _bytes_width(data, font, size) / 2, y, data, colour)


def _right(data: bytes, font: str, size: float, right: float, y: float, colour: str = _INK) -> _Text:
    return _Text(font, size, right - _bytes_width(data, font, size), y, data, colour)


@dataclass(frozen=True)
class _QrBox:
    x: float
    y: float
    module: float
    rows: list[list[int]]  # including the quiet zone; 1 is dark


def _qr(url: str) -> _QrBox:
    qr = segno.make(url, error="m", micro=False)
    rows = [[1 if cell else 0 for cell in row] for row in qr.matrix_iter(scale=1, border=QR_BORDER)]
    # Rounded so the transformation matrix stays short; the side stays within 0.1 pt of QR_SIZE.
    module = round(QR_SIZE / len(rows), 3)
    right = PAGE_WIDTH - MARGIN - 10
    return _QrBox(x=right - module * len(rows), y=86, module=module, rows=rows)


def _layout(fields: CertificateFields, qr: _QrBox) -> list[_Text]:
    texts: list[_Text] = []

    def centred_line(
        value: str, font: str, size: float, min_size: float, y: float, colour: str = _INK
    ) -> None:
        data, size = _fit_line(encode_text(value), font, size, min_size, CONTENT_WIDTH)
        texts.append(_centred(data, font, size, y, colour))

    centred_line(fields.heading, BOLD, 40, 20, 470, _BLUE)
    centred_line(fields.subheading, REGULAR, 15, 9, 431, _GREY)
    centred_line(fields.awarded_to, REGULAR, 12, 8, 394)
    centred_line(fields.name, BOLD, 30, 14, 358, _BLUE)
    centred_line(fields.nip_line, REGULAR, 12, 8, 334)
    centred_line(fields.for_completing, REGULAR, 12, 8, 302)

    title_lines, title_size = _fit_block(encode_text(fields.course_title), BOLD, 20, 11, 680, 3)
    leading = title_size * 1.25
    y = 274.0
    for line in title_lines:
        texts.append(_centred(line, BOLD, title_size, y))
        y -= leading
    # The details follow the title, but never come down into the footer.
    centred_line(fields.details, REGULAR, 11, 7, max(y - 8, 200), _GREY)

    # Footer, left: who issued it and when.
    left = MARGIN + 10
    issuer_lines, issuer_size = _fit_block(encode_text(fields.issuer), BOLD, 11, 8, 360, 2)
    y = 78 + (len(issuer_lines) - 1) * issuer_size * 1.25
    for line in issuer_lines:
        texts.append(_Text(BOLD, issuer_size, left, y, line))
        y -= issuer_size * 1.25
    data, size = _fit_line(encode_text(fields.issued_line), REGULAR, 10, 7, 360)
    texts.append(_Text(REGULAR, size, left, 62, data, _GREY))

    # Footer, right: the code under the QR, then how to check it; the lines end where the
    # dark modules do, so the quiet zone does not push them out of line.
    side = qr.module * len(qr.rows)
    cx = qr.x + side / 2
    edge = qr.x + side - qr.module * QR_BORDER
    data, size = _fit_line(encode_text(fields.code_label), REGULAR, 7.5, 5, 2 * (PAGE_WIDTH - MARGIN - cx))
    texts.append(_centred_on(data, REGULAR, size, cx, 77, _GREY))
    data, size = _fit_line(encode_text(fields.code), BOLD, 11, 6, 2 * (PAGE_WIDTH - MARGIN - cx))
    texts.append(_centred_on(data, BOLD, size, cx, 64, _BLUE))
    data, size = _fit_line(encode_text(fields.verify_hint), REGULAR, 6.5, 5, 330)
    texts.append(_right(data, REGULAR, size, edge, 52, _GREY))
    data, size = _fit_line(encode_text(fields.verify_url), REGULAR, 6.5, 5, 330)
    texts.append(_right(data, REGULAR, size, edge, 43))
    return texts


# --- drawing -----------------------------------------------------------------------------


def _num(value: float, places: int = 2) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _frame() -> list[str]:
    outer, inner = 18, 25
    ops = [
        f"{_BLUE} RG 2.5 w {outer} {outer} {PAGE_WIDTH - 2 * outer} {PAGE_HEIGHT - 2 * outer} re S",
        f"0.8 w {inner} {inner} {PAGE_WIDTH - 2 * inner} {PAGE_HEIGHT - 2 * inner} re S",
        # A short gold rule under the heading and one over the issuer, as on a paper form.
        f"{_GOLD} RG 1.2 w {_num(PAGE_WIDTH / 2 - 70)} 454 m {_num(PAGE_WIDTH / 2 + 70)} 454 l S",
        f"0.6 w {MARGIN + 10} 110 m {MARGIN + 190} 110 l S",
    ]
    return ops


def _qr_ops(qr: _QrBox) -> list[str]:
    """One path of rectangles in module units, scaled by ``cm``, filled once.

    Merging each row's dark runs keeps the stream small, and a single fill leaves no
    hairline seams between neighbouring modules.
    """
    n = len(qr.rows)
    ops = [f"q 0 g {_num(qr.module, 3)} 0 0 {_num(qr.module, 3)} {_num(qr.x)} {_num(qr.y)} cm"]
    for r, row in enumerate(qr.rows):
        y = n - 1 - r  # PDF's y axis points up, the matrix's rows go down
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            ops.append(f"{start} {y} {c - start} 1 re")
    ops.append("f Q")
    return ops


def _text_ops(texts: Iterable[_Text]) -> list[bytes]:
    ops: list[bytes] = []
    colour = ""
    for t in texts:
        if not t.data:
            continue
        if t.colour != colour:
            ops.append(f"{t.colour} rg".encode("ascii"))
            colour = t.colour
        head = f"BT /{t.font} {_num(t.size)} Tf {_num(t.x)} {_num(t.y)} Td (".encode("ascii")
        ops.append(head + _escape(t.data) + b") Tj ET")
    return ops


def _text_string(value: str, limit: int = 200) -> bytes:
    """A PDF text string (for /Info) in UTF-16BE, so any name keeps its real letters there.

    Cut at ``limit`` characters: the metadata is not compressed, so a pathological name
    would otherwise grow the file by four bytes per character.
    """
    clean = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf"))[:limit]
    return b"<FEFF" + clean.encode("utf-16-be", errors="replace").hex().upper().encode("ascii") + b">"


def _assemble(objects: list[bytes], info: int) -> bytes:
    # The second line's high bytes tell transfer tools that the file is binary.
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    # Derived from the content rather than from time, so the same input gives the same file.
    file_id = hashlib.sha256(bytes(out)).hexdigest()[:32].upper().encode("ascii")
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        info,
        file_id,
        file_id,
    )
    out += b"startxref\n%d\n" % xref_at
    out += b"%%EOF"
    return bytes(out)


def certificate_pdf(fields: CertificateFields) -> bytes:
    """The certificate as a one-page PDF 1.4 document."""
    qr = _qr(fields.verify_url)
    lines: list[bytes] = [op.encode("ascii") for op in _frame()]
    lines += [op.encode("ascii") for op in _qr_ops(qr)]
    lines += _text_ops(_layout(fields, qr))
    content = zlib.compress(b"\n".join(lines), 9)

    fonts = b" ".join(b"/%s %d 0 R" % (name.encode("ascii"), 4 + i) for i, name in enumerate(_BASE_FONTS))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << %s >> "
        b"/ProcSet [/PDF /Text] >> /Contents 6 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT, fonts),
        *(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
            % base.encode("ascii")
            for base in _BASE_FONTS.values()
        ),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title %s /Producer (ASN LMS) >>" % _text_string(f"{fields.heading} – {fields.name}"),
    ]
    return _assemble(objects, info=7)
