"""Certificates: issued when a course is completed, verifiable by anyone with the code,
revocable by admins."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms import signals
from lms.catalog.models import Kursus
from lms.core import audit
from lms.core.errors import DomainError, NotFoundError
from lms.core.text import grouped
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.agency import get_instansi
from lms.org.models import Pegawai
from lms.org.services import visible_to
from lms.progress.models import CourseCompletion

from .models import Sertifikat

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 random bits: not guessable, short enough to type
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """What a person typed (any case, hyphens, spaces, O for 0) → the stored form, or None."""
    code = "".join(raw.split()).replace("-", "").upper().translate(_TYPOS)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display_code(code: str) -> str:
    return grouped(code)


# What a revocation changes, as the audit log keeps it.
REVOCATION_FIELDS = ("revoked_at", "revoked_by_id", "revoke_reason")


def agency_fields() -> dict:
    """The agency as a certificate issued now carries it; empty values are stored as
    None, so a certificate issued before the agency was set falls back to
    CERTIFICATE_ISSUER and carries no signatory."""
    instansi = get_instansi()
    values = {
        "instansi_nama": instansi.nama,
        "kota": instansi.kota,
        "logo_key": instansi.logo_key,
        "penandatangan_nama": instansi.penandatangan_nama,
        "penandatangan_nip": instansi.penandatangan_nip,
        "penandatangan_jabatan": instansi.penandatangan_jabatan,
    }
    return {key: (value or None) for key, value in values.items()}


def issue(completion: CourseCompletion) -> Sertifikat:
    """One certificate per completion; issuing again returns the first. A new certificate
    copies the agency's name, logo and signatory as they are today, and is announced
    (``certificate_issued``) once it is in the session."""
    existing = db.session.scalar(select(Sertifikat).where(Sertifikat.completion_id == completion.id))
    if existing:
        return existing
    pegawai = db.session.get(Pegawai, completion.pegawai_id)
    kursus = db.session.get(Kursus, completion.kursus_id)
    agency = agency_fields()
    for _attempt in range(5):
        sertifikat = Sertifikat(
            code=new_code(),
            completion_id=completion.id,
            pegawai_id=pegawai.id,
            kursus_id=kursus.id,
            nama=pegawai.nama,
            nip=pegawai.nip,
            kursus_title=kursus.title,
            jp=completion.jp,
            score=completion.score,
            completed_at=completion.completed_at,
            issued_at=utcnow(),
            **agency,
        )
        try:
            with db.session.begin_nested():
                db.session.add(sertifikat)
        except IntegrityError:
            # A code collision (one in 2^60) or a concurrent issue: look again, then retry.
            existing = db.session.scalar(select(Sertifikat).where(Sertifikat.completion_id == completion.id))
            if existing:
                return existing
            continue
        signals.certificate_issued.send("certificates", sertifikat=sertifikat)
        return sertifikat
    raise RuntimeError("could not draw a unique certificate code")


@signals.course_completed.connect
def _on_course_completed(sender, completion: CourseCompletion, **extra):
    issue(completion)


def by_code(raw: str, *conditions) -> Sertifikat:
    """The certificate with this code (as typed) that also meets ``conditions``, in one query."""
    code = normalise_code(raw or "")
    query = select(Sertifikat).where(Sertifikat.code == code, *conditions)
    sertifikat = db.session.scalar(query) if code else None
    if sertifikat is None:
        raise NotFoundError(
            _("No certificate has this code. Check the code on the certificate and try again.")
        )
    return sertifikat


def visible_by_code(raw: str, viewer) -> Sertifikat:
    """A certificate the viewer may download; one query, so an unknown code and someone
    else's certificate are told apart neither by the answer nor by its time."""
    return by_code(raw, visible_to(viewer, Sertifikat.pegawai_id))


def of_pegawai(pegawai_id: int) -> list[Sertifikat]:
    return list(
        db.session.scalars(
            select(Sertifikat)
            .where(Sertifikat.pegawai_id == pegawai_id)
            .order_by(Sertifikat.completed_at.desc())
        )
    )


def revoke(sertifikat: Sertifikat, *, by_pegawai_id: int, reason: str) -> None:
    if not reason.strip():
        raise DomainError(_("Give the reason for revoking; it is kept with the certificate."), field="reason")
    if sertifikat.revoked_at is not None:
        raise DomainError(_("This certificate is already revoked."), status=409)
    before = audit.snapshot(sertifikat, REVOCATION_FIELDS)
    sertifikat.revoked_at = utcnow()
    sertifikat.revoked_by_id = by_pegawai_id
    sertifikat.revoke_reason = reason.strip()[:500]
    _audit("sertifikat.revoke", sertifikat, before)
    db.session.flush()


def _audit(action: str, sertifikat: Sertifikat, before: dict) -> None:
    label = f"{display_code(sertifikat.code)} · {sertifikat.nama} · {sertifikat.kursus_title}"
    after = audit.snapshot(sertifikat, REVOCATION_FIELDS)
    audit.record(action, "sertifikat", sertifikat.id, label, before=before, after=after)


def restore(sertifikat: Sertifikat) -> None:
    """Undo a revocation made in error."""
    if sertifikat.revoked_at is None:
        raise DomainError(_("This certificate is valid; there is nothing to restore."), status=409)
    before = audit.snapshot(sertifikat, REVOCATION_FIELDS)
    sertifikat.revoked_at = None
    sertifikat.revoked_by_id = None
    sertifikat.revoke_reason = None
    _audit("sertifikat.restore", sertifikat, before)
    db.session.flush()


def search(query: str, viewer, limit: int = 50) -> list[Sertifikat]:
    """Admin lookup by code, NIP or name, among the people the admin runs."""
    query = query.strip()
    stmt = (
        select(Sertifikat)
        .where(visible_to(viewer, Sertifikat.pegawai_id))
        .order_by(Sertifikat.issued_at.desc())
        .limit(limit)
    )
    if query:
        code = normalise_code(query)
        like = f"%{query.lower()}%"
        conditions = [Sertifikat.nip == query, db.func.lower(Sertifikat.nama).like(like)]
        if code:
            conditions.append(Sertifikat.code == code)
        stmt = stmt.where(db.or_(*conditions))
    return list(db.session.scalars(stmt))
