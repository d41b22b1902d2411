"""Exports open right in the spreadsheets people use, with a double click and default
settings: Excel and LibreOffice Calc, under Indonesian (id-ID: "1,5", ";") and English
("1.5", ",") regional settings.

The CSV is read back here the way those programs read it: UTF-8 by its byte-order mark,
split at the list separator of the settings the file is for (Excel), and also at ",",
";" and tab together (LibreOffice's default).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from babel.numbers import NumberFormatError, parse_decimal
from openpyxl import load_workbook

from lms.org.nip import normalise
from lms.reports.export import NipCell, Sheet, to_csv, to_xlsx

BOM = b"\xef\xbb\xbf"
NIP = "199203152019032001"
GAPS = "T.KEFARMASIAN Pelayanan Kefarmasian (0→4); M.02 Kerja sama (1→2)"
NAME = "Ni Putu Ayu Déwi, S.Farm"

TEAM = Sheet(
    "Tim",
    [
        "NIP",
        "Nama",
        "Golongan",
        "Selesai",
        "JP tahun ini",
        "Tingkat penyelesaian (%)",
        "Nilai",
        "Kesenjangan",
    ],
    [
        [NipCell(NIP), NAME, "III/a", 2, 10, 66.7, None, GAPS],
        [NipCell("198005122005011003"), "Atasan Uji", "IV/a", 0, 0, 1234.5, 0.5, ""],
    ],
)

# Separator and decimal mark of each setting the CSV is written for.
SETTINGS = {"id": (";", ","), "en": (",", ".")}


def lines(body: bytes) -> list[str]:
    return body[len(BOM) :].decode("utf-8").splitlines()


def excel_rows(body: bytes, locale: str) -> list[list[str]]:
    """The cells Excel sees: UTF-8 after the BOM, split at the list separator."""
    assert body.startswith(BOM), "the byte-order mark tells Excel the file is UTF-8"
    text = body[len(BOM) :].decode("utf-8")
    return list(csv.reader(io.StringIO(text), delimiter=SETTINGS[locale][0]))


# --- encoding and layout -------------------------------------------------------------


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_csv_is_utf8_with_a_byte_order_mark_and_no_sep_line(locale):
    body = to_csv(TEAM, locale=locale)
    assert body.startswith(BOM)
    assert not body[len(BOM) :].startswith(b"sep="), "a sep= line makes Excel ignore the BOM"
    rows = excel_rows(body, locale)
    assert rows[0] == list(TEAM.headers)
    assert rows[1][1] == NAME
    assert rows[1][7] == GAPS, "accents and the → arrow come through intact"


def test_indonesian_settings_get_semicolons_and_english_ones_commas():
    assert lines(to_csv(TEAM, locale="id"))[0].startswith('"NIP";"Nama";')
    assert lines(to_csv(TEAM, locale="en"))[0].startswith('"NIP","Nama",')


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_row_has_one_cell_per_column_at_the_list_separator(locale):
    rows = excel_rows(to_csv(TEAM, locale=locale), locale)
    assert [len(r) for r in rows] == [len(TEAM.headers)] * 3


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_field_is_quoted_so_libreoffice_splitting_at_comma_semicolon_and_tab_agrees(locale):
    # LibreOffice splits at , ; and tab at once unless the user changes it; only quotes
    # keep "Déwi, S.Farm", "(0→4); M.02" and a decimal comma in one cell.
    separator = re.escape(SETTINGS[locale][0])
    quoted_fields = re.compile(rf'"(?:[^"]|"")*"(?:{separator}"(?:[^"]|"")*")*')
    for line in lines(to_csv(TEAM, locale=locale)):
        assert quoted_fields.fullmatch(line), line


def test_without_a_locale_the_csv_is_the_english_comma_form():
    assert to_csv(TEAM) == to_csv(TEAM, locale="en")


def test_regional_locale_names_count_by_their_language_and_others_get_english():
    assert to_csv(TEAM, locale="id_ID") == to_csv(TEAM, locale="id-ID") == to_csv(TEAM, locale="id")
    assert to_csv(TEAM, locale="fr") == to_csv(TEAM, locale="en")


# --- NIPs ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_nip_is_written_grouped_so_no_spreadsheet_makes_it_a_number(locale):
    nip = excel_rows(to_csv(TEAM, locale=locale), locale)[1][0]
    assert nip == "19920315 201903 2 001"
    assert nip.replace(" ", "") == NIP, "every one of the 18 digits is there"
    with pytest.raises(NumberFormatError):
        parse_decimal(nip, locale="id_ID", strict=True)
    with pytest.raises(ValueError):
        float(nip)


def test_the_grouped_nip_is_accepted_back_by_the_lms():
    grouped = excel_rows(to_csv(TEAM, locale="id"), "id")[1][0]
    assert normalise(grouped) == NIP


def test_a_plain_string_stays_as_it_is():
    sheet = Sheet("T", ["Kode"], [["199203152019032001"]])
    assert excel_rows(to_csv(sheet, locale="id"), "id")[1] == ["199203152019032001"]


def test_a_nip_that_is_not_18_digits_is_written_as_given():
    sheet = Sheet("T", ["NIP"], [[NipCell("12345")]])
    assert excel_rows(to_csv(sheet, locale="id"), "id")[1] == ["12345"]


# --- numbers -------------------------------------------------------------------------


def test_indonesian_settings_read_decimal_commas():
    rows = excel_rows(to_csv(TEAM, locale="id"), "id")
    assert rows[1][3:7] == ["2", "10", "66,7", ""]
    assert rows[2][5:7] == ["1234,5", "0,5"]
    assert [parse_decimal(v, locale="id_ID", strict=True) for v in rows[2][3:7]] == [
        Decimal("0"),
        Decimal("0"),
        Decimal("1234.5"),
        Decimal("0.5"),
    ]


def test_english_settings_read_decimal_points():
    rows = excel_rows(to_csv(TEAM, locale="en"), "en")
    assert rows[1][3:7] == ["2", "10", "66.7", ""]
    assert [parse_decimal(v, locale="en_US", strict=True) for v in rows[2][5:7]] == [
        Decimal("1234.5"),
        Decimal("0.5"),
    ]


@pytest.mark.parametrize("locale", ["id", "en"])
def test_numbers_have_no_thousands_separators(locale):
    thousands = {"id": ".", "en": ","}[locale]
    rows = excel_rows(to_csv(TEAM, locale=locale), locale)
    assert rows[2][5].startswith("1234") and thousands not in rows[2][5]


def test_a_negative_number_is_a_number_not_guarded_text():
    sheet = Sheet("T", ["Selisih"], [[-2.5], [-3]])
    assert excel_rows(to_csv(sheet, locale="id"), "id")[1:] == [["-2,5"], ["-3"]]


# --- formula injection ---------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://contoh.test","klik")', "+6281234", "-Budi", "@SUM(A1)"]


@pytest.mark.parametrize("locale", ["id", "en"])
def test_text_that_looks_like_a_formula_is_prefixed_in_the_csv(locale):
    sheet = Sheet("T", ["Nama"], [[name] for name in HOSTILE])
    cells = [r[0] for r in excel_rows(to_csv(sheet, locale=locale), locale)[1:]]
    assert cells == ["'" + name for name in HOSTILE]


def test_text_that_looks_like_a_formula_is_prefixed_text_in_the_xlsx():
    book = load_workbook(io.BytesIO(to_xlsx([Sheet("T", ["Nama"], [[name] for name in HOSTILE])])))
    cells = [row[0] for row in book["T"].iter_rows(min_row=2)]
    assert [(c.data_type, c.value) for c in cells] == [("s", "'" + name) for name in HOSTILE]


# --- XLSX ----------------------------------------------------------------------------


def xlsx_cells(sheets):
    book = load_workbook(io.BytesIO(to_xlsx(sheets)))
    return {ws.title: list(ws.iter_rows()) for ws in book.worksheets}


def test_the_xlsx_keeps_the_nip_as_18_digit_text_in_a_text_formatted_cell():
    rows = xlsx_cells([TEAM])["Tim"]
    nips = [row[0] for row in rows[1:]]
    assert [(c.data_type, c.value, c.number_format) for c in nips] == [
        ("s", NIP, "@"),
        ("s", "198005122005011003", "@"),
    ]


def test_the_xlsx_keeps_numbers_as_numbers_and_text_intact():
    row = xlsx_cells([TEAM])["Tim"][1]
    assert [c.value for c in row] == [NIP, NAME, "III/a", 2, 10, 66.7, None, GAPS]
    assert [c.data_type for c in row[3:6]] == ["n", "n", "n"]


def test_the_xlsx_has_one_sheet_per_table_with_bold_headers():
    sheets = xlsx_cells([TEAM, Sheet("Kursus", ["Kursus"], [["A"]])])
    assert list(sheets) == ["Tim", "Kursus"]
    assert all(c.font.b for c in sheets["Tim"][0])


# --- LibreOffice, for real -----------------------------------------------------------

# The Text Import dialog's defaults (Calc.xcs, Dialogs/CSVImport), which a double click
# shows pre-filled: separators , ; tab; quote "; UTF-8, which the dialog picks from the
# BOM; language from the locale; quoted fields not as text; no special numbers; no
# formulas evaluated.
LIBREOFFICE_DEFAULTS = "44/59/9,34,UTF8,1,,0,false,false,true,false,false,0,false"


@pytest.mark.parametrize(("locale", "lang"), [("id", "id_ID.UTF-8"), ("en", "en_US.UTF-8")])
def test_libreoffice_opens_the_csv_with_the_nip_as_text_and_numbers_as_numbers(tmp_path, locale, lang):
    """The real program, as a user's double-click opens it (`make test` installs LibreOffice Calc)."""
    assert shutil.which("soffice"), (
        "LibreOffice is missing: `make test` installs Debian's libreoffice-calc-nogui"
    )
    source = tmp_path / "tim.csv"
    source.write_bytes(to_csv(TEAM, locale=locale))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            f"--infilter=Text - txt - csv (StarCalc):{LIBREOFFICE_DEFAULTS}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        env={**os.environ, "LC_ALL": lang},
        check=True,
        capture_output=True,
        timeout=60,
    )
    sheet = load_workbook(tmp_path / "tim.xlsx").active
    rows = [[(c.data_type, c.value) for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0] == [
        ("s", "19920315 201903 2 001"),
        ("s", NAME),
        ("s", "III/a"),
        ("n", 2),
        ("n", 10),
        ("n", 66.7),
        ("n", None),
        ("s", GAPS),
    ]
    assert rows[1][5:7] == [("n", 1234.5), ("n", 0.5)]
