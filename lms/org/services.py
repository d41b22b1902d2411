"""Rules about the organisation: units, positions, employees and their atasan."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from lms.core.errors import DomainError
from lms.extensions import db
from lms.org.data import GOLONGAN, STATUS_ASN
from lms.org.models import Pegawai
from lms.org.nip import normalise, parse_nip


def find_by_nip(raw_nip: str) -> Pegawai | None:
    return db.session.scalar(select(Pegawai).where(Pegawai.nip == normalise(raw_nip)))


def is_supervisor(pegawai_id: int) -> bool:
    """Being a supervisor follows from atasan links, not from a role."""
    return bool(db.session.scalar(select(exists().where(Pegawai.atasan_id == pegawai_id))))


def validate_pegawai(nip: str, status_asn: str, golongan: str | None) -> str:
    """Check an employee's identity fields; returns the normalised NIP."""
    if status_asn not in STATUS_ASN:
        raise DomainError(_("Status must be PNS or PPPK."), field="status_asn")
    if golongan is not None and golongan not in GOLONGAN:
        raise DomainError(_("Unknown golongan/ruang %(g)s.", g=golongan), field="golongan")
    return parse_nip(nip, status_asn).value
