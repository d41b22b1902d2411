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
import math
import os
import re
import shutil
import subprocess
import warnings
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from babel.numbers import NumberFormatError, parse_decimal
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from lms.core.export import NipCell, Sheet, to_csv, to_xlsx
from lms.org.nip import normalise

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


def xlsx_values(rows, headers=("Nilai",)):
    """(data type, value) of every cell under the header, row by row."""
    sheet = load_workbook(io.BytesIO(to_xlsx([Sheet("T", list(headers), rows)])))["T"]
    return [[(c.data_type, c.value) for c in row] for row in sheet.iter_rows(min_row=2)]


def test_the_xlsx_is_a_valid_package_that_openpyxl_loads_without_warnings():
    body = to_xlsx([TEAM, Sheet("Kursus", ["Kursus"], [["A"]])])
    with zipfile.ZipFile(io.BytesIO(body)) as package:
        names = package.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
        } <= set(names)
        # Our own output, not untrusted input.
        parts = {name: ElementTree.fromstring(package.read(name)) for name in names}  # noqa: S314
    declared = {o.get("PartName") for o in parts["[Content_Types].xml"] if o.tag.endswith("}Override")}
    assert {f"/{n}" for n in names if not n.endswith(".rels")} - {"/[Content_Types].xml"} == declared
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = load_workbook(io.BytesIO(body), read_only=False)
    assert book.sheetnames == ["Tim", "Kursus"]
    assert book["Tim"].max_row == 3 and book["Tim"].max_column == len(TEAM.headers)


def test_the_same_tables_give_the_same_bytes():
    assert to_xlsx([TEAM]) == to_xlsx([TEAM])


def test_the_xlsx_header_row_alone_is_bold_and_headers_are_not_prefixed():
    rows = xlsx_cells([Sheet("T", ["-Nilai", "Nama"], [["a", 1]])])["T"]
    assert [(c.value, c.font.b) for c in rows[0]] == [("-Nilai", True), ("Nama", True)]
    assert [c.font.b for c in rows[1]] == [False, False]


def test_times_are_real_excel_dates_with_a_date_format():
    started = datetime(2024, 5, 6, 7, 8, 9)
    values = [[started], [date(2024, 1, 2)], [time(13, 5, 7)], [timedelta(hours=30, minutes=1)]]
    sheet = load_workbook(io.BytesIO(to_xlsx([Sheet("T", ["Mulai"], values)])))["T"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [(c.data_type, c.value, c.number_format) for c in cells] == [
        ("d", started, "yyyy-mm-dd h:mm:ss"),
        ("d", datetime(2024, 1, 2), "yyyy-mm-dd"),
        ("d", time(13, 5, 7), "h:mm:ss"),
        ("d", timedelta(hours=30, minutes=1), "[hh]:mm:ss"),
    ]


def test_a_time_with_a_zone_is_refused_as_excel_has_no_zones():
    with pytest.raises(TypeError):
        to_xlsx([Sheet("T", ["Mulai"], [[datetime(2024, 5, 6, tzinfo=UTC)]])])


def test_numbers_none_and_what_excel_cannot_hold():
    assert xlsx_values([[-2.5, 0, 10**15, True, None, math.nan, math.inf, Decimal("1.25")]]) == [
        [
            ("n", -2.5),
            ("n", 0),
            ("n", 10**15),
            ("b", True),
            ("n", None),
            ("n", None),
            ("n", None),
            ("n", 1.25),
        ]
    ]


def test_a_value_of_an_unknown_type_is_refused():
    with pytest.raises(ValueError):
        to_xlsx([Sheet("T", ["X"], [[object()]])])


def test_an_empty_nip_is_an_empty_text_formatted_cell():
    cell = xlsx_cells([Sheet("T", ["NIP"], [[NipCell("")]])])["T"][1][0]
    assert (cell.value, cell.number_format) == (None, "@")


def test_xml_illegal_characters_are_dropped_and_surrogates_replaced():
    rows = [
        ["Ni\x0bPutu\x00"],
        ["x\ud800y"],
        ["\x1f"],
        ["\x01=1+1"],
        ["a\r\nb\tc"],
        ["  Déwi  "],
        ["a & <b>"],
    ]
    assert [v for [(_t, v)] in xlsx_values(rows)] == [
        "NiPutu",
        "x\ufffdy",
        None,
        "'=1+1",
        "a\r\nb\tc",
        "  Déwi  ",
        "a & <b>",
    ]


def test_text_is_cut_at_excels_limit():
    [[(_t, value)]] = xlsx_values([["x" * 40_000]])
    assert value == "x" * 32767


def test_sheet_names_are_cut_numbered_when_repeated_and_checked():
    long = "Hasil kuis Pelayanan Kefarmasian Dasar"
    titles = [long, long, "tim", "Tim", "", 'A\x07&<"B']
    book = load_workbook(io.BytesIO(to_xlsx([Sheet(title, [], []) for title in titles])))
    assert book.sheetnames == [long[:31], long[:30] + "1", "tim", "Tim1", "Sheet", 'A&<"B']
    assert all(len(name) <= 31 for name in book.sheetnames)
    with pytest.raises(ValueError, match="Invalid character"):
        to_xlsx([Sheet("Hasil 1/2", [], [])])


def test_no_tables_give_one_empty_sheet():
    assert load_workbook(io.BytesIO(to_xlsx([]))).sheetnames == ["Sheet"]


def expected_text(text: str) -> str | None:
    """What a spreadsheet should show for `text`: XML-illegal characters dropped, lone
    surrogates as U+FFFD, a formula-like start prefixed; nothing for no text."""

    def legal(c):  # XML 1.0's Char production
        return c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"

    kept = "".join(
        "\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text if legal(c) or "\ud800" <= c <= "\udfff"
    )
    if kept[:1] in ("=", "+", "-", "@", "\t", "\r"):
        kept = "'" + kept
    return kept or None


CONTROLS = st.sampled_from(
    [chr(c) for c in range(32)] + ["\ud800", "\udfff", "\ufffe", "\uffff", "=", "&", "<", " "]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(st.one_of(st.characters(exclude_categories=()), CONTROLS), max_size=40),
        min_size=1,
        max_size=10,
    )
)
def test_any_text_round_trips_through_the_xlsx_as_the_cleaned_text(texts):
    sheet = Sheet("T", ["Teks", "NIP"], [[text, NipCell(text)] for text in texts])
    rows = load_workbook(io.BytesIO(to_xlsx([sheet])))["T"].iter_rows(min_row=2)
    assert [[c.value for c in row] for row in rows] == [[expected_text(t)] * 2 for t in texts]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**15), 10**15), min_size=1)
)
def test_numbers_round_trip_to_sixteen_digits(values):
    rows = xlsx_values([[v] for v in values])
    assert rows == [[("n", float(f"{v:.16g}"))] for v in values]


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
