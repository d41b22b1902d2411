from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai


class User(UserMixin, db.Model):
    """A login, always tied to one Pegawai. Roles are flags; supervision comes from atasan."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_pengajar: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Changing it logs out every session of this user (password change, deactivation).
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pegawai: Mapped[Pegawai] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active and self.pegawai.aktif

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def nama(self) -> str:
        return self.pegawai.nama


class LoginFailure(db.Model):
    """A failed login, kept for the rate-limit window. In the database rather than in
    memory, so the limit holds across processes and hosts."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_nip_at", "nip", "at"),
        Index("ix_login_failure_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
