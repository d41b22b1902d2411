"""Development done outside the LMS: entered by the employee with an evidence file,
verified by their supervisor (anyone up the atasan chain) or an admin. Verified records
count toward the JP ledger like completed courses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from lms import signals
from lms.core import audit
from lms.core.db import after_commit, on_rollback
from lms.core.errors import DomainError, NotFoundError
from lms.core.ids import is_valid_id, new_id
from lms.core.time import local_today, utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from lms.org.services import visible_to, whole_agency
from lms.progress.models import JENIS_PENGEMBANGAN, Pengembangan
from lms.storage import PRIVATE, storage

# What an evidence file may be, told by its first bytes rather than by its name.
FILE_KINDS = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class DevelopmentInput:
    jenis: str
    judul: str
    penyelenggara: str
    tanggal_mulai: date
    tanggal_selesai: date
    jp: int
    nomor_sertifikat: str = ""
    kompetensi_code: str = ""
    kompetensi_level: int | None = None


def _base_name(name: str) -> str:
    """The file's own name, whatever path a browser sent with it."""
    return name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]


def check_file(upload: EvidenceFile) -> tuple[str, str]:
    """Returns (extension, content type), or raises naming the ``bukti`` field."""
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    name = _base_name(upload.name)
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in FILE_KINDS:
        raise DomainError(_("The evidence must be a PDF, JPEG or PNG file."), field="bukti")
    if not upload.data:
        raise DomainError(_("The evidence file is empty."), field="bukti")
    if len(upload.data) > limit:
        raise DomainError(
            _("The evidence file is larger than %(mb)s MB.", mb=f"{limit / 1024 / 1024:g}"), field="bukti"
        )
    content_type, signatures = FILE_KINDS[extension]
    if not any(upload.data.startswith(sig) for sig in signatures):
        raise DomainError(
            _("The file is named %(ext)s but its content is not that kind of file.", ext=extension),
            field="bukti",
        )
    return extension, content_type


def _validate(data: DevelopmentInput, known_codes: set[str]) -> None:
    if data.jenis not in JENIS_PENGEMBANGAN:
        raise DomainError(_("Choose the kind of activity."), field="jenis")
    if not data.judul.strip():
        raise DomainError(_("Give the subject of the activity."), field="judul")
    if not data.penyelenggara.strip():
        raise DomainError(_("Give the organiser."), field="penyelenggara")
    if data.tanggal_selesai < data.tanggal_mulai:
        raise DomainError(_("The end date is before the start date."), field="tanggal_selesai")
    if data.tanggal_selesai > local_today():
        raise DomainError(_("Record an activity once it has ended."), field="tanggal_selesai")
    if not 1 <= data.jp <= 200:
        raise DomainError(_("JP must be between 1 and 200."), field="jp")
    if data.kompetensi_code:
        if data.kompetensi_code not in known_codes:
            raise DomainError(_("Choose a competency from the dictionary."), field="kompetensi_code")
        if data.kompetensi_level not in (1, 2, 3, 4, 5):
            raise DomainError(_("Give the level the activity built (1 to 5)."), field="kompetensi_level")


def create(
    pegawai_id: int, data: DevelopmentInput, upload: EvidenceFile | None, known_codes: set[str]
) -> Pengembangan:
    """Check everything, write the record, then the file. If the request fails after that,
    the transaction's rollback takes the file away again: nothing is kept on error."""
    _validate(data, known_codes)
    if upload is None and not data.nomor_sertifikat.strip():
        raise DomainError(_("Attach the certificate or give its number."), field="bukti")
    kind = check_file(upload) if upload is not None else None
    record = Pengembangan(
        id=new_id(),
        pegawai_id=pegawai_id,
        jenis=data.jenis,
        judul=data.judul.strip()[:200],
        penyelenggara=data.penyelenggara.strip()[:200],
        tanggal_mulai=data.tanggal_mulai,
        tanggal_selesai=data.tanggal_selesai,
        jp=data.jp,
        nomor_sertifikat=data.nomor_sertifikat.strip()[:100] or None,
        kompetensi_code=data.kompetensi_code or None,
        kompetensi_level=data.kompetensi_level if data.kompetensi_code else None,
    )
    if upload is not None:
        extension, content_type = kind
        record.file_key = f"bukti/{pegawai_id}/{record.id}{extension}"
        record.file_name = _base_name(upload.name)[:200]
        record.file_type = content_type
        record.file_size = len(upload.data)
    db.session.add(record)
    db.session.flush()
    if upload is not None:
        key = record.file_key
        on_rollback(lambda: storage().delete(key))
        storage().save(key, upload.data, PRIVATE, content_type)
    signals.development_submitted.send("progress", record=record)
    return record


def get(record_id: str) -> Pengembangan:
    record = db.session.get(Pengembangan, record_id) if is_valid_id(record_id) else None
    if record is None:
        raise NotFoundError()
    return record


def may_verify(viewer, record: Pengembangan) -> bool:
    """The employee's supervisors up the chain, or an admin; never the employee."""
    if record.pegawai_id == viewer.pegawai_id:
        return False
    if whole_agency(viewer):
        return True
    return bool(
        db.session.scalar(
            select(func.count()).where(Pegawai.id == record.pegawai_id, visible_to(viewer, Pegawai.id))
        )
    )


def decide(record: Pengembangan, *, verifier_id: int, approve: bool, note: str = "") -> None:
    """Verify or reject a pending record, once: of two people deciding at the same moment,
    only the first finds it pending (a conditional update), so there is one decision and
    evidence only when that decision is a verification."""
    if not approve and not note.strip():
        raise DomainError(
            _("Say why the record is rejected, so the employee can correct it."), field="catatan"
        )
    decided = db.session.execute(
        update(Pengembangan)
        .where(Pengembangan.id == record.id, Pengembangan.status == "pending")
        .values(
            status="verified" if approve else "rejected",
            verified_by_id=verifier_id,
            verified_at=utcnow(),
            catatan_verifikasi=note.strip()[:500] or None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not decided:
        raise DomainError(_("This record has already been decided or was withdrawn."), status=409)
    db.session.refresh(record)
    audit.record(
        "pengembangan.verify" if approve else "pengembangan.reject",
        "pengembangan",
        record.id,
        record.judul,
        before={"status": "pending"},
        after=audit.snapshot(record, ("status", "catatan_verifikasi")),
    )
    if approve:
        signals.development_verified.send("progress", record=record, verified_by_id=verifier_id)
    signals.development_settled.send("progress", record_id=record.id)


def withdraw(record: Pengembangan, pegawai_id: int) -> None:
    """The employee may delete a record not yet verified (a mistake, a wrong file). The
    delete is conditional, so a verification at the same moment wins or loses whole; the
    file goes once the deletion is committed."""
    if record.pegawai_id != pegawai_id:
        raise NotFoundError()
    key = record.file_key
    deleted = db.session.execute(
        delete(Pengembangan)
        .where(Pengembangan.id == record.id, Pengembangan.status != "verified")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not deleted:
        raise DomainError(_("A verified record cannot be deleted."), status=409)
    db.session.expunge(record)
    signals.development_settled.send("progress", record_id=record.id)
    if key:
        after_commit(lambda: storage().delete(key))


def records_of(pegawai_id: int) -> list[Pengembangan]:
    return list(
        db.session.scalars(
            select(Pengembangan)
            .where(Pengembangan.pegawai_id == pegawai_id)
            .order_by(Pengembangan.tanggal_selesai.desc(), Pengembangan.created_at.desc())
        )
    )


def _pending(viewer):
    query = select(Pengembangan, Pegawai).join(Pegawai, Pegawai.id == Pengembangan.pegawai_id)
    query = query.where(Pengembangan.status == "pending", Pengembangan.pegawai_id != viewer.pegawai_id)
    # A supervisor's team; an admin's units (everyone, for an admin of the whole agency).
    return query.where(visible_to(viewer, Pengembangan.pegawai_id))


def pending_for(viewer) -> list[tuple[Pengembangan, Pegawai]]:
    """Records waiting for this viewer (oldest first): their team's, or everyone's for an admin."""
    return list(db.session.execute(_pending(viewer).order_by(Pengembangan.created_at).limit(200)).tuples())


def pending_count(viewer) -> int:
    return db.session.scalar(_pending(viewer).with_only_columns(func.count()).order_by(None))
