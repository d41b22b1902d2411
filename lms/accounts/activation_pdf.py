"""The activation sheet as a PDF: A4, ten slips a page in a grid with dashed cut lines.

Core fonts only (Helvetica, Courier): nothing embedded, so a sheet of a hundred people
stays a few tens of kilobytes. Core fonts speak latin-1; anything else is folded to its
nearest latin-1 form or replaced, never an error.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from fpdf import FPDF

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 10.0
COLUMNS, ROWS = 2, 5
SLIP_W = (PAGE_W - 2 * MARGIN) / COLUMNS
SLIP_H = (PAGE_H - 2 * MARGIN) / ROWS
PAD = 4.0
_FOLD = str.maketrans(
    {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "→": "->", "·": "-"}
)


def latin1(text: str) -> str:
    """``text`` as the core fonts can draw it: accents kept where latin-1 has them, other
    marks dropped, what is left unknown shown as "?"."""
    text = (text or "").translate(_FOLD)
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


@dataclass(frozen=True)
class Slip:
    nama: str
    nip: str
    unit: str
    code: str  # as shown: K7QM-3XWD-RT
    valid_until: str


@dataclass(frozen=True)
class Wording:
    """The translated words of a slip, from the caller (this module speaks no language)."""

    title: str
    nip: str
    unit: str
    code: str
    open_at: str  # "Open %s" with the address filled in
    valid_until: str  # "Valid until" label
    steps: tuple[str, str, str]


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut to ``width`` at the current font, with "..." if it was cut."""
    text = latin1(text)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text + "..."


def _cut_lines(pdf: FPDF) -> None:
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=2)
    for col in range(COLUMNS + 1):
        x = MARGIN + col * SLIP_W
        pdf.line(x, MARGIN, x, PAGE_H - MARGIN)
    for row in range(ROWS + 1):
        y = MARGIN + row * SLIP_H
        pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
    pdf.set_dash_pattern()


def _slip(pdf: FPDF, slip: Slip, words: Wording, x: float, y: float) -> None:
    inner = SLIP_W - 2 * PAD
    x += PAD
    pdf.set_xy(x, y + PAD)
    pdf.set_font("Helvetica", "", 7)
    pdf.set_text_color(90)
    pdf.cell(inner, 3.5, _fit(pdf, words.title, inner), new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(inner, 5.5, _fit(pdf, slip.nama, inner), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    pdf.cell(inner, 4, _fit(pdf, f"{words.nip}: {slip.nip}", inner), new_x="LEFT", new_y="NEXT")
    pdf.cell(inner, 4, _fit(pdf, f"{words.unit}: {slip.unit}", inner), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "", 7.5)
    pdf.cell(inner, 4.5, _fit(pdf, words.code, inner), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Courier", "B", 17)
    pdf.cell(inner, 7, latin1(slip.code), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "", 7.5)
    pdf.cell(inner, 3.8, _fit(pdf, words.open_at, inner), new_x="LEFT", new_y="NEXT")
    pdf.cell(
        inner, 3.8, _fit(pdf, f"{words.valid_until}: {slip.valid_until}", inner), new_x="LEFT", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 6.5)
    for number, step in enumerate(words.steps, 1):
        pdf.cell(inner, 3.2, _fit(pdf, f"{number}. {step}", inner), new_x="LEFT", new_y="NEXT")


def sheet_pdf(slips: list[Slip], words: Wording) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN)
    pdf.set_title(latin1(words.title))
    per_page = COLUMNS * ROWS
    for start in range(0, len(slips), per_page):
        pdf.add_page()
        _cut_lines(pdf)
        for i, slip in enumerate(slips[start : start + per_page]):
            row, col = divmod(i, COLUMNS)
            _slip(pdf, slip, words, MARGIN + col * SLIP_W, MARGIN + row * SLIP_H)
    return bytes(pdf.output())
