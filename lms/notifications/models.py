from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db

REMINDER_KINDS = ("assigned", "due_soon", "overdue", "to_verify", "certificate")


class Pengingat(db.Model):
    """Something that needs a person's attention. ``event_key`` names the event (the
    enrolment and due date, the record, the certificate), and is unique per person, so
    one event makes one reminder and one email however often it is noticed. The text is
    made when shown, in the reader's language, from ``kind`` and ``params``."""

    __tablename__ = "pengingat"
    __table_args__ = (
        UniqueConstraint("pegawai_id", "event_key"),
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in REMINDER_KINDS) + ")",
            name="kind",
        ),
        Index("ix_pengingat_unread", "pegawai_id", "read_at"),
        Index("ix_pengingat_unsent", "emailed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    event_key: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # A path inside the LMS the reminder leads to.
    link: Mapped[str] = mapped_column(String(300), default="/")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
