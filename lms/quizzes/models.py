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
QUESTION_TYPES = ("single", "multiple", "truefalse", "short", "numeric", "matching")


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
    # With draw rules this is the pool each attempt draws from.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # [{"tags": ["phishing"], "count": 5}]: each attempt asks `count` questions drawn from
    # those with any of the tags; none means every question, every time.
    draw: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kuis: Mapped[Kuis] = relationship(back_populates="versions")


class Attempt(db.Model):
    """One try at a quiz. Its id is a UUID so a device could make it offline."""

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("pegawai_id", "kuis_id", "number"),
        CheckConstraint("status IN ('open', 'submitted')", name="status"),
        Index("ix_attempt_pegawai_kuis", "pegawai_id", "kuis_id"),
        # Item analysis and a trainer's results read one quiz's attempts across learners.
        Index("ix_attempt_version", "kuis_version_id"),
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
    # Taken offline: the id of the signed token it was taken under (one attempt per token)
    # and when the server received it (started_at and submitted_at are the device's).
    offline_token: Mapped[str | None] = mapped_column(String(36), unique=True)
    received_at: Mapped[datetime | None]

    kuis: Mapped[Kuis] = relationship()
    version: Mapped[KuisVersion] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class KuisSetelan(db.Model):
    """The working copy of a course's quiz settings. Publishing the course turns it and the
    bank into a new immutable KuisVersion when anything changed."""

    __tablename__ = "kuis_setelan"
    __table_args__ = (
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark_range"),
        CheckConstraint("max_attempts >= 0", name="max_attempts_not_negative"),
        CheckConstraint("time_limit_minutes >= 0", name="time_limit_not_negative"),
        CheckConstraint("feedback IN ('score', 'correctness', 'keys')", name="feedback"),
    )

    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    pass_mark: Mapped[int] = mapped_column(default=70)
    max_attempts: Mapped[int] = mapped_column(default=0)
    time_limit_minutes: Mapped[int] = mapped_column(default=0)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    feedback: Mapped[str] = mapped_column(String(20), default="keys")
    draw: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Soal(db.Model):
    """A question in a course's bank. ``spec`` is the question as kuis.toml writes it
    (validated by lms.quizzes.questions); quizzes copy it when a version is published."""

    __tablename__ = "soal"
    __table_args__ = (
        UniqueConstraint("kursus_id", "key"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    type: Mapped[str] = mapped_column(String(12))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))


class AttemptItem(db.Model):
    """How one question of a submitted attempt was graded: what item analysis counts."""

    __tablename__ = "attempt_item"
    __table_args__ = (Index("ix_attempt_item_version_question", "kuis_version_id", "question_id"),)

    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kuis_version_id: Mapped[int] = mapped_column(ForeignKey("kuis_version.id", ondelete="CASCADE"))
    answered: Mapped[bool]
    fraction: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)


class AttemptChoice(db.Model):
    """An option a learner chose in a submitted attempt (choice and true/false questions)."""

    __tablename__ = "attempt_choice"
    __table_args__ = (Index("ix_attempt_choice_version_question", "kuis_version_id", "question_id"),)

    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    option_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kuis_version_id: Mapped[int] = mapped_column(ForeignKey("kuis_version.id", ondelete="CASCADE"))
