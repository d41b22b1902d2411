"""NIP: the 18-digit civil-servant number.

PNS: birth date YYYYMMDD + CPNS start YYYYMM + sex digit (1 male, 2 female) + 3-digit serial.
PPPK numbers have the same length and start with the birth date; their later parts follow
other rules, so only length, digits and the birth date are checked for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from lms.core.errors import DomainError


@dataclass(frozen=True)
class Nip:
    value: str
    birth_date: date
    start_year: int
    start_month: int
    sex: str  # "L" or "P"
    serial: str


def normalise(raw: str) -> str:
    """People paste NIPs with spaces or dots ("19920315 201903 2 001")."""
    return "".join(ch for ch in (raw or "") if ch not in " .-\t")


def parse_nip(raw: str, status_asn: str = "PNS") -> Nip:
    value = normalise(raw)
    if not value:
        raise DomainError(_("Enter the NIP."), field="nip")
    if not value.isascii() or not value.isdigit():
        raise DomainError(_("A NIP contains digits only."), field="nip")
    if len(value) != 18:
        raise DomainError(_("A NIP has 18 digits; this one has %(n)d.", n=len(value)), field="nip")
    try:
        birth = date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise DomainError(
            _("Digits 1–8 of the NIP must be a valid birth date (YYYYMMDD)."), field="nip"
        ) from None
    if birth > date.today():
        raise DomainError(_("The birth date in the NIP (digits 1–8) is in the future."), field="nip")
    if birth.year < 1940:
        raise DomainError(_("The birth date in the NIP (digits 1–8) is before 1940."), field="nip")
    start_year, start_month = int(value[8:12]), int(value[12:14])
    sex = value[14]
    if status_asn == "PNS":
        if not 1 <= start_month <= 12:
            raise DomainError(
                _("Digits 9–14 of the NIP must be the CPNS start as YYYYMM; the month is invalid."),
                field="nip",
            )
        if start_year < birth.year + 15 or start_year > date.today().year + 1:
            raise DomainError(
                _("The CPNS start year in the NIP (digits 9–12) does not fit the birth date."),
                field="nip",
            )
        if sex not in "12":
            raise DomainError(_("Digit 15 of the NIP must be 1 (male) or 2 (female)."), field="nip")
    return Nip(
        value=value,
        birth_date=birth,
        start_year=start_year,
        start_month=start_month,
        sex={"1": "L", "2": "P"}.get(sex, ""),
        serial=value[15:],
    )


def is_valid_nip(raw: str, status_asn: str = "PNS") -> bool:
    try:
        parse_nip(raw, status_asn)
    except DomainError:
        return False
    return True
