from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.catalog.models import Kursus, Modul
from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db

ENROLMENT_SOURCES = ("self", "assigned", "mandatory")


class Enrolment(db.Model):
    """A learner on a course: self-enrolled, or assigned by a supervisor with a due date."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("pegawai_id", "kursus_id"),
        CheckConstraint("source IN ('self', 'assigned', 'mandatory')", name="source"),
        Index("ix_enrolment_kursus", "kursus_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(10), default="self")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The pass the learner is on: a yearly mandatory course starts a new cycle each year,
    # and the course is done again (modules, quiz) for the new cycle's completion.
    cycle: Mapped[int] = mapped_column(default=1)
    cycle_started_at: Mapped[datetime | None]
    # The mandatory rule that enrolled the learner, when one did.
    aturan_id: Mapped[int | None] = mapped_column(ForeignKey("aturan_wajib.id", ondelete="SET NULL"))

    kursus: Mapped[Kursus] = relationship()


class ModuleCompletion(db.Model):
    __tablename__ = "module_completion"
    __table_args__ = (UniqueConstraint("pegawai_id", "modul_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    modul_id: Mapped[int] = mapped_column(ForeignKey("modul.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    modul: Mapped[Modul] = relationship()


class CourseCompletion(db.Model):
    """A course finished: every module done and the quiz passed. Credits the course's JP,
    once per learner, course and cycle (the unique constraint is what makes it once); a
    yearly mandatory course is completed again in each new cycle."""

    __tablename__ = "course_completion"
    __table_args__ = (
        UniqueConstraint("pegawai_id", "kursus_id", "cycle"),
        CheckConstraint("jp >= 0", name="jp_not_negative"),
        Index("ix_course_completion_completed_at", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"))
    kursus_version: Mapped[int]
    cycle: Mapped[int] = mapped_column(default=1)
    jp: Mapped[int]
    score: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    kursus: Mapped[Kursus] = relationship()


# Development done outside the LMS (LAN rule 10/2018): klasikal and nonklasikal forms.
JENIS_PENGEMBANGAN = (
    "pelatihan",
    "seminar",
    "workshop",
    "kursus",
    "coaching",
    "mentoring",
    "magang",
    "belajar_mandiri",
    "lainnya",
)
STATUS_PENGEMBANGAN = ("pending", "verified", "rejected")


class Pengembangan(db.Model):
    """A development activity done elsewhere, entered by the employee with evidence.
    It counts toward JP only once verified by the employee's supervisor or an admin."""

    __tablename__ = "pengembangan"
    __table_args__ = (
        CheckConstraint(
            "jenis IN (" + ", ".join(f"'{j}'" for j in JENIS_PENGEMBANGAN) + ")",
            name="jenis",
        ),
        CheckConstraint("status IN ('pending', 'verified', 'rejected')", name="status"),
        CheckConstraint("jp > 0 AND jp <= 200", name="jp_range"),
        CheckConstraint("tanggal_selesai >= tanggal_mulai", name="dates_in_order"),
        CheckConstraint("kompetensi_level IS NULL OR kompetensi_level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_pengembangan_pegawai_selesai", "pegawai_id", "tanggal_selesai"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    jenis: Mapped[str] = mapped_column(String(20))
    judul: Mapped[str] = mapped_column(String(200))
    penyelenggara: Mapped[str] = mapped_column(String(200))
    tanggal_mulai: Mapped[date]
    tanggal_selesai: Mapped[date]
    jp: Mapped[int]
    nomor_sertifikat: Mapped[str | None] = mapped_column(String(100))
    # The competency the activity built, if the employee names one; becomes evidence once verified.
    kompetensi_code: Mapped[str | None] = mapped_column(String(40))
    kompetensi_level: Mapped[int | None]
    file_key: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    catatan_verifikasi: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def klasikal(self) -> bool:
        return self.jenis in ("pelatihan", "seminar", "workshop")


DUE_KINDS = ("fixed", "days")


class AturanWajib(db.Model):
    """A mandatory training rule: whoever matches (unit with or without its sub-units,
    jabatan, kind of jabatan, PNS/PPPK; empty criteria match everyone) must complete the
    course by a fixed date or within N days of starting to match, and again every year
    when ``yearly``."""

    __tablename__ = "aturan_wajib"
    __table_args__ = (
        CheckConstraint("due_kind IN ('fixed', 'days')", name="due_kind"),
        CheckConstraint(
            "(due_kind = 'fixed' AND due_date IS NOT NULL) OR (due_kind = 'days' AND due_days > 0)",
            name="due_given",
        ),
        CheckConstraint("status_asn IS NULL OR status_asn IN ('PNS', 'PPPK')", name="status_asn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nama: Mapped[str] = mapped_column(String(200))
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit_kerja.id", ondelete="RESTRICT"))
    with_subunits: Mapped[bool] = mapped_column(default=True)
    jabatan_id: Mapped[int | None] = mapped_column(ForeignKey("jabatan.id", ondelete="RESTRICT"))
    jenis_jabatan: Mapped[str | None] = mapped_column(String(20))
    status_asn: Mapped[str | None] = mapped_column(String(4))
    due_kind: Mapped[str] = mapped_column(String(10), default="fixed")
    due_date: Mapped[date | None]
    due_days: Mapped[int | None]
    yearly: Mapped[bool] = mapped_column(default=False)
    aktif: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    kursus: Mapped[Kursus] = relationship()


class Kewajiban(db.Model):
    """One person's duty under a rule for one cycle (the year, for a yearly rule; 1
    otherwise): when it opened, when it is due, when it was met. A person who stops
    matching keeps the row, closed, as history."""

    __tablename__ = "kewajiban"
    __table_args__ = (
        UniqueConstraint("aturan_id", "pegawai_id", "cycle"),
        Index("ix_kewajiban_pegawai", "pegawai_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    aturan_id: Mapped[int] = mapped_column(ForeignKey("aturan_wajib.id", ondelete="CASCADE"))
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(default=1)
    opened_on: Mapped[date]
    due_date: Mapped[date]
    met_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
