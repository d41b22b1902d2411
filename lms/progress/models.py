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
    once per learner and course (the unique constraint is what makes it once)."""

    __tablename__ = "course_completion"
    __table_args__ = (
        UniqueConstraint("pegawai_id", "kursus_id"),
        CheckConstraint("jp >= 0", name="jp_not_negative"),
        Index("ix_course_completion_completed_at", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"))
    kursus_version: Mapped[int]
    jp: Mapped[int]
    score: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    kursus: Mapped[Kursus] = relationship()
