"""NIP parsing: the 18-digit civil-servant number.

A PNS NIP is ``YYYYMMDD`` (birth date) + ``YYYYMM`` (CPNS start) + sex digit (1 male,
2 female) + a 3-digit serial. People paste it with spaces, dots or hyphens, so those are
ignored. A PPPK number has the same length and starts with the birth date, but its later
digits follow other rules: only length, digits and birth date are checked for it.

Every rejection is a ``DomainError`` on the ``nip`` field whose message names the part of
the number that is wrong; the messages are checked in English.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from lms.core.errors import DomainError
from lms.org.nip import Nip, is_valid_nip, normalise, parse_nip

LENGTH = "A NIP has 18 digits; this one has {n}."
DIGITS_ONLY = "A NIP contains digits only."
EMPTY = "Enter the NIP."
BIRTH_DATE = "Digits 1–8 of the NIP must be a valid birth date (YYYYMMDD)."
BIRTH_TOO_EARLY = "The birth date in the NIP (digits 1–8) is before 1940."
CPNS_MONTH = "Digits 9–14 of the NIP must be the CPNS start as YYYYMM; the month is invalid."
START_YEAR = "The CPNS start year in the NIP (digits 9–12) does not fit the birth date."
SEX_DIGIT = "Digit 15 of the NIP must be 1 (male) or 2 (female)."

VALID_PNS = "199203152019032001"  # born 15 March 1992, CPNS March 2019, female, serial 001
VALID_PPPK = "199203152021212001"  # born 15 March 1992, appointed 2021, "21" marks PPPK


@st.composite
def pns_parts(draw):
    birth = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2005, 12, 31)))
    start_year = draw(st.integers(min_value=birth.year + 18, max_value=2025))
    start_month = draw(st.integers(min_value=1, max_value=12))
    sex_digit = draw(st.sampled_from("12"))
    serial = f"{draw(st.integers(min_value=0, max_value=999)):03d}"
    nip = f"{birth:%Y%m%d}{start_year:04d}{start_month:02d}{sex_digit}{serial}"
    return nip, birth, start_year, start_month, sex_digit, serial


@pytest.fixture
def english(ctx):
    """An app context with messages in English (gettext needs one; the default is Indonesian)."""
    with force_locale("en"):
        yield


def rejection(raw: str, status_asn: str = "PNS") -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse_nip(raw, status_asn)
    return caught.value


# --- valid numbers --------------------------------------------------------------------


@given(pns_parts())
def test_every_well_formed_pns_nip_parses_into_its_parts(parts):
    nip, birth, start_year, start_month, sex_digit, serial = parts

    parsed = parse_nip(nip)

    assert parsed == Nip(
        value=nip,
        birth_date=birth,
        start_year=start_year,
        start_month=start_month,
        sex={"1": "L", "2": "P"}[sex_digit],
        serial=serial,
    )
    assert is_valid_nip(nip)


@given(pns_parts(), st.lists(st.sampled_from([" ", ".", "-", "\t"]), min_size=18, max_size=18))
def test_separators_between_digits_are_ignored(parts, separators):
    nip = parts[0]
    pasted = "".join(digit + sep for digit, sep in zip(nip, separators, strict=True))

    assert normalise(pasted) == nip
    assert parse_nip(pasted).value == nip


@pytest.mark.parametrize(
    "pasted",
    ["19920315 201903 2 001", "19920315.201903.2.001", " 199203152019032001 ", "19920315-201903-2-001"],
)
def test_the_usual_pasted_forms_are_accepted(pasted):
    assert parse_nip(pasted).value == VALID_PNS


def test_normalise_treats_none_as_empty():
    assert normalise(None) == ""


@pytest.mark.parametrize(("digit", "sex"), [("1", "L"), ("2", "P")])
def test_digit_15_gives_the_sex(digit, sex):
    assert parse_nip(f"19920315201903{digit}001").sex == sex


# --- invalid numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("", EMPTY, id="empty"),
        pytest.param(" . - ", EMPTY, id="only-separators"),
        pytest.param("19920315201903200", LENGTH.format(n=17), id="17-digits"),
        pytest.param("1992031520190320011", LENGTH.format(n=19), id="19-digits"),
        pytest.param("1992", LENGTH.format(n=4), id="4-digits"),
        pytest.param("19920315201903200X", DIGITS_ONLY, id="letter"),
        pytest.param("19920315/201903/2/001", DIGITS_ONLY, id="slashes"),
        pytest.param("١٩٩٢٠٣١٥٢٠١٩٠٣٢٠٠١", DIGITS_ONLY, id="arabic-indic-digits"),
        pytest.param("199202302019032001", BIRTH_DATE, id="30-february"),
        pytest.param("199213152019032001", BIRTH_DATE, id="birth-month-13"),
        pytest.param("199203002019032001", BIRTH_DATE, id="birth-day-00"),
        pytest.param("193912312019032001", BIRTH_TOO_EARLY, id="born-1939"),
        pytest.param("199203152019002001", CPNS_MONTH, id="cpns-month-00"),
        pytest.param("199203152019132001", CPNS_MONTH, id="cpns-month-13"),
        pytest.param("199203152021212001", CPNS_MONTH, id="pppk-number-as-pns"),
        pytest.param("199203152006032001", START_YEAR, id="cpns-at-age-14"),
        pytest.param("199203151990032001", START_YEAR, id="cpns-before-birth"),
        pytest.param("199203152099032001", START_YEAR, id="cpns-in-the-future"),
        pytest.param("199203152019030001", SEX_DIGIT, id="sex-digit-0"),
        pytest.param("199203152019033001", SEX_DIGIT, id="sex-digit-3"),
        pytest.param("199203152019039001", SEX_DIGIT, id="sex-digit-9"),
    ],
)
def test_a_bad_pns_nip_is_rejected_with_a_message_naming_the_wrong_part(english, raw, message):
    error = rejection(raw)

    assert error.field == "nip"
    assert error.message == message
    assert str(error) == message
    assert not is_valid_nip(raw)


def test_the_length_message_in_the_default_language_still_gives_the_count(app):
    with app.test_request_context("/"), pytest.raises(DomainError) as caught:
        parse_nip("1992031520190320")
    assert "18" in caught.value.message
    assert "16" in caught.value.message


def test_a_pns_start_exactly_15_years_after_birth_is_the_earliest_accepted(english):
    assert parse_nip("199203152007032001").start_year == 2007
    assert rejection("199203152006032001").message == START_YEAR


# --- PPPK -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(VALID_PPPK, id="21-in-digits-13-14"),
        pytest.param("199203152021219001", id="9-as-digit-15"),
        pytest.param("199203152021210001", id="0-as-digit-15"),
        pytest.param("199203150000000000", id="zeros-after-birth-date"),
        pytest.param("199203159999999999", id="nines-after-birth-date"),
    ],
)
def test_pppk_numbers_only_need_a_valid_birth_date_after_it(raw):
    parsed = parse_nip(raw, "PPPK")

    assert parsed.birth_date == date(1992, 3, 15)
    assert parsed.serial == raw[15:]
    assert is_valid_nip(raw, "PPPK")


def test_a_pppk_number_keeps_its_raw_parts_and_sex_when_the_digit_says_so():
    parsed = parse_nip(VALID_PPPK, "PPPK")

    assert (parsed.start_year, parsed.start_month, parsed.sex) == (2021, 21, "P")
    assert parse_nip("199203152021219001", "PPPK").sex == ""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("1992031520212120", LENGTH.format(n=16), id="length"),
        pytest.param("1992031520212120O1", DIGITS_ONLY, id="letter-o"),
        pytest.param("199202302021212001", BIRTH_DATE, id="30-february"),
        pytest.param("193901012021212001", BIRTH_TOO_EARLY, id="born-1939"),
    ],
)
def test_a_pppk_number_is_still_checked_for_length_digits_and_birth_date(english, raw, message):
    error = rejection(raw, "PPPK")

    assert error.field == "nip"
    assert error.message == message
    assert not is_valid_nip(raw, "PPPK")


def test_a_pppk_number_with_a_birth_date_in_the_future_is_rejected(english):
    error = rejection("209001012021212001", "PPPK")

    assert error.field == "nip"
