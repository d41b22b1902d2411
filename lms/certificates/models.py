from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db


class Sertifikat(db.Model):
    """A certificate for a completed course. The names and figures are copied at issue,
    so the certificate says what was true that day even if the course is renamed."""

    __tablename__ = "sertifikat"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    completion_id: Mapped[str] = mapped_column(
        ForeignKey("course_completion.id", ondelete="CASCADE"), unique=True
    )
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"), index=True)
    kursus_id: Mapped[int | None] = mapped_column(ForeignKey("kursus.id", ondelete="SET NULL"))
    nama: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str] = mapped_column(String(18))
    kursus_title: Mapped[str] = mapped_column(String(200))
    jp: Mapped[int]
    score: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[datetime]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The agency as it was on the day of issue (see lms.org.models.Instansi); empty on
    # certificates issued before the agency was set: they show CERTIFICATE_ISSUER.
    instansi_nama: Mapped[str | None] = mapped_column(String(200))
    kota: Mapped[str | None] = mapped_column(String(100))
    logo_key: Mapped[str | None] = mapped_column(String(200))
    penandatangan_nama: Mapped[str | None] = mapped_column(String(200))
    penandatangan_nip: Mapped[str | None] = mapped_column(String(18))
    penandatangan_jabatan: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def valid(self) -> bool:
        return self.revoked_at is None
