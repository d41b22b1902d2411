from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.catalog.models import Kursus
from lms.core.time import utcnow
from lms.extensions import db

# What a result page shows (lms.quizzes.services.Feedback says it precisely): the score only;
# also which questions were right; also the keys, once they can no longer help.
FEEDBACK_MODES = ("score", "correctness", "keys")
# Earlier names, still accepted in kuis.toml: what each showed maps to the closest mode.
LEGACY_FEEDBACK = {"never": "score", "after_submit": "keys", "after_pass": "keys"}
QUESTION_TYPES = ("single", "multiple", "truefalse", "short")


class Kuis(db.Model):
    """A course's quiz. What is asked lives in immutable versions, so editing a quiz never
    changes how a past attempt was graded."""

    __tablename__ = "kuis"

    id: Mapped[int] = mapped_column(primary_key=True)
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kursus: Mapped[Kursus] = relationship()
    versions: Mapped[list[KuisVersion]] = relationship(
        back_populates="kuis", order_by="KuisVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> KuisVersion:
        return self.versions[-1]


class KuisVersion(db.Model):
    __tablename__ = "kuis_version"
    __table_args__ = (
        UniqueConstraint("kuis_id", "number"),
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark_range"),
        CheckConstraint("max_attempts >= 0", name="max_attempts_not_negative"),
        CheckConstraint("time_limit_minutes >= 0", name="time_limit_not_negative"),
        CheckConstraint("feedback IN ('score', 'correctness', 'keys')", name="feedback"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kuis_id: Mapped[int] = mapped_column(ForeignKey("kuis.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    pass_mark: Mapped[int]
    max_attempts: Mapped[int] = mapped_column(default=0)  # 0: unlimited
    time_limit_minutes: Mapped[int] = mapped_column(default=0)  # 0: none
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[str] = mapped_column(String(20), default="keys")
    # The questions, answer keys included: never sent to a browser before submission.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kuis: Mapped[Kuis] = relationship(back_populates="versions")

    @property
    def total_points(self) -> float:
        return float(sum(q["points"] for q in self.questions))


class Attempt(db.Model):
    """One try at a quiz. Its id is a UUID so a device could make it offline."""

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("pegawai_id", "kuis_id", "number"),
        CheckConstraint("status IN ('open', 'submitted')", name="status"),
        Index("ix_attempt_pegawai_kuis", "pegawai_id", "kuis_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    kuis_id: Mapped[int] = mapped_column(ForeignKey("kuis.id", ondelete="CASCADE"))
    kuis_version_id: Mapped[int] = mapped_column(ForeignKey("kuis_version.id", ondelete="RESTRICT"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="open")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # Question order and option order for this attempt: [{"id": "q01", "options": ["b", "a"]}].
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Saved answers by question id, updated as the learner answers.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    late: Mapped[bool] = mapped_column(default=False)

    kuis: Mapped[Kuis] = relationship()
    version: Mapped[KuisVersion] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == "open"
