from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db

JENIS_KOMPETENSI = ("manajerial", "sosial_kultural", "teknis")
JENIS_BUKTI = ("kursus", "pengembangan", "asesmen")
LEVELS = (1, 2, 3, 4, 5)


class Kompetensi(db.Model):
    """An entry of the competency dictionary (PermenPANRB 38/2017, or the agency's own
    technical competencies). ``levels`` holds the five level descriptions as data."""

    __tablename__ = "kompetensi"
    __table_args__ = (CheckConstraint("jenis IN ('manajerial', 'sosial_kultural', 'teknis')", name="jenis"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    nama: Mapped[str] = mapped_column(String(200))
    jenis: Mapped[str] = mapped_column(String(20))
    definisi: Mapped[str] = mapped_column(Text, default="")
    # [{"level": 1, "deskripsi": "...", "indikator": ["...", ...]}, ...] for levels 1..5
    levels: Mapped[list[dict]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def level(self, number: int) -> dict | None:
        return next((item for item in self.levels if item.get("level") == number), None)


class StandarKompetensi(db.Model):
    """The level a position (jabatan) requires of a competency."""

    __tablename__ = "standar_kompetensi"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    jabatan_id: Mapped[int] = mapped_column(ForeignKey("jabatan.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(
        ForeignKey("kompetensi.code", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    level: Mapped[int]

    kompetensi: Mapped[Kompetensi] = relationship()


class Bukti(db.Model):
    """Evidence of a competency level: a completed course, a verified development
    activity, or a formal assessment recorded by an admin."""

    __tablename__ = "bukti_kompetensi"
    __table_args__ = (
        CheckConstraint("jenis IN ('kursus', 'pengembangan', 'asesmen')", name="jenis"),
        CheckConstraint("level BETWEEN 0 AND 5", name="level_range"),
        UniqueConstraint("completion_id", "code"),
        UniqueConstraint("pengembangan_id", "code"),
        Index("ix_bukti_kompetensi_pegawai_code", "pegawai_id", "code"),
        Index("ix_bukti_kompetensi_achieved_at", "achieved_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(ForeignKey("kompetensi.code", ondelete="CASCADE", onupdate="CASCADE"))
    level: Mapped[int]
    jenis: Mapped[str] = mapped_column(String(12))
    kursus_id: Mapped[int | None] = mapped_column(ForeignKey("kursus.id", ondelete="SET NULL"))
    completion_id: Mapped[str | None] = mapped_column(
        ForeignKey("course_completion.id", ondelete="CASCADE"), index=True
    )
    pengembangan_id: Mapped[str | None] = mapped_column(
        ForeignKey("pengembangan.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float | None] = mapped_column(Float)
    # When the level was shown (the course completed, the activity ended, the assessment held).
    achieved_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
    catatan: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kompetensi: Mapped[Kompetensi] = relationship()


class LevelPegawai(db.Model):
    """An employee's current level of a competency, as the one rule in
    ``competencies.services.current_level`` decides it; kept so reports can aggregate."""

    __tablename__ = "level_pegawai"
    __table_args__ = (CheckConstraint("level BETWEEN 0 AND 5", name="level_range"),)

    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(
        ForeignKey("kompetensi.code", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    level: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiwayatLevel(db.Model):
    """Every change of a current level, so 'gaps closed in a period' is a query. ``at`` is
    when the change was recorded; ``achieved_at`` when the evidence behind it was shown
    (a course finished in March and entered in April closed its gap in March)."""

    __tablename__ = "riwayat_level"
    __table_args__ = (
        Index("ix_riwayat_level_pegawai_code", "pegawai_id", "code"),
        Index("ix_riwayat_level_achieved_at", "achieved_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(ForeignKey("kompetensi.code", ondelete="CASCADE", onupdate="CASCADE"))
    old_level: Mapped[int]
    new_level: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    achieved_at: Mapped[datetime] = mapped_column(default=utcnow)
