from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai


class User(UserMixin, db.Model):
    """A login, always tied to one Pegawai. Roles are flags; supervision comes from atasan."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"), unique=True)
    # None until the employee activates the account with a one-time code.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # An admin limited to this unit and the units below it; None: the whole agency.
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit_kerja.id", ondelete="SET NULL"))
    is_pengajar: Mapped[bool] = mapped_column(default=False)
    # Data saver: pictures in modules load only when tapped.
    save_data: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pegawai: Mapped[Pegawai] = relationship(lazy="joined")

    # The token of the session this request runs in (set when it is loaded or started):
    # it is what Flask-Login keeps in the cookie, so ending the session ends the cookie.
    session_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active and self.pegawai.aktif

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("a user signs in through lms.accounts.services.start_session")
        return self.session_token

    @property
    def nama(self) -> str:
        return self.pegawai.nama

    @property
    def timezone(self) -> str | None:
        """The zone times are shown in: the one of the employee's unit, if it has one."""
        return self.pegawai.unit.zona if self.pegawai.unit else None


class UserSession(db.Model):
    """A signed-in device. The cookie holds a random token; the database only its hash, so
    signing out (or out everywhere, or a password change) ends the session for good, and
    a cookie copied before that opens nothing afterwards."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_expires", "user_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


class LoginThrottle(db.Model):
    """Failed sign-ins counted per key (a NIP from an address, a NIP, an address), with
    the moment the next try is allowed. One row per key, updated under a row lock, so the
    count holds when many requests arrive at once."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]


CODE_PURPOSES = ("activate", "reset")


class KodeAktivasi(db.Model):
    """A one-time code handed to an employee (on paper, or by email when SMTP is set) to
    activate an account or choose a new password. Only its hash is stored; it expires,
    works once, and a new code for the same person replaces the old one."""

    __tablename__ = "kode_aktivasi"
    __table_args__ = (
        CheckConstraint("purpose IN ('activate', 'reset')", name="purpose"),
        Index("ix_kode_aktivasi_pegawai", "pegawai_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pegawai_id: Mapped[int] = mapped_column(ForeignKey("pegawai.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10), default="activate")
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
