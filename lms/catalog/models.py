from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, backref, column_property, mapped_column, relationship

from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai

STATUSES = ("draft", "published", "archived")


class Kursus(db.Model):
    __tablename__ = "kursus"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        CheckConstraint("jp >= 0", name="jp_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400), default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(200), default="")
    jp: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # Bumped whenever the content changes; completions remember the version they earned.
    version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Media file name in the course folder -> storage key (fingerprinted, cached forever).
    media: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Per media name: {"width", "height", "light": storage key of the light variant or None},
    # so pages set sizes (they do not jump as they load) and send the light variant.
    media_info: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    # The media file shown on the course's card and page ("" for none).
    cover: Mapped[str] = mapped_column(String(120), default="")
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    moduls: Mapped[list[Modul]] = relationship(
        back_populates="kursus", order_by="Modul.position", cascade="all, delete-orphan"
    )
    competencies: Mapped[list[KursusKompetensi]] = relationship(
        back_populates="kursus", cascade="all, delete-orphan", order_by="KursusKompetensi.code"
    )

    owners: Mapped[list[KursusPemilik]] = relationship(
        back_populates="kursus", cascade="all, delete-orphan", order_by="KursusPemilik.added_at"
    )
    history: Mapped[list[KursusVersi]] = relationship(
        back_populates="kursus", cascade="all, delete-orphan", order_by="KursusVersi.number"
    )

    @property
    def is_published(self) -> bool:
        return self.status == "published"


class KursusKompetensi(db.Model):
    """A competency the course builds, and the level it builds it to."""

    __tablename__ = "kursus_kompetensi"
    __table_args__ = (
        UniqueConstraint("kursus_id", "code"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    level: Mapped[int]

    kursus: Mapped[Kursus] = relationship(back_populates="competencies")


class Modul(db.Model):
    __tablename__ = "modul"
    __table_args__ = (
        UniqueConstraint("kursus_id", "slug"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    # Loaded only when a page shows the text: lists of modules need titles, not bodies.
    body_md: Mapped[str] = mapped_column(Text, deferred=True)
    body_html: Mapped[str] = mapped_column(Text, deferred=True)
    toc_html: Mapped[str] = mapped_column(Text, default="", deferred=True)
    minutes: Mapped[int] = mapped_column(default=0)

    kursus: Mapped[Kursus] = relationship(back_populates="moduls")


# How many modules a course has, counted in the query that loads the course.
Kursus.module_count = column_property(
    select(func.count(Modul.id)).where(Modul.kursus_id == Kursus.id).correlate_except(Modul).scalar_subquery()
)


class KursusPemilik(db.Model):
    """A trainer who owns (co-authors) a course. Owners may be of different agencies."""

    __tablename__ = "kursus_pemilik"

    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), primary_key=True)
    pegawai_id: Mapped[int] = mapped_column(
        ForeignKey("pegawai.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    kursus: Mapped[Kursus] = relationship(back_populates="owners")
    pegawai: Mapped[Pegawai] = relationship(lazy="joined")


class KursusVersi(db.Model):
    """One published version of a course: when, by whom, and what changed from the last."""

    __tablename__ = "kursus_versi"
    __table_args__ = (UniqueConstraint("kursus_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"))
    number: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
    # [{"what": "module_added" | "module_changed" | …, "title": str}], shown on the course page.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64), default="")

    kursus: Mapped[Kursus] = relationship(back_populates="history")


class KursusDraf(db.Model):
    """The working copy of a course's details that trainers edit; learners see it only once
    it is published. ``revision`` goes up on every save, so two editors cannot overwrite
    each other unseen."""

    __tablename__ = "kursus_draf"

    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(200), default="")
    jp: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)
    competencies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    cover: Mapped[str] = mapped_column(String(120), default="")
    media: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    media_info: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))

    kursus: Mapped[Kursus] = relationship(
        backref=backref("draf", uselist=False, cascade="all, delete-orphan")
    )


class ModulDraf(db.Model):
    """The working copy of one module. Its slug stays when the title changes, so learners'
    progress on the module survives a rename."""

    __tablename__ = "modul_draf"
    __table_args__ = (UniqueConstraint("kursus_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kursus_id: Mapped[int] = mapped_column(ForeignKey("kursus.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
