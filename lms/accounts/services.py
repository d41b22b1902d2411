"""Logins and passwords."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import LoginFailure, User
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from lms.org.nip import normalise

log = logging.getLogger(__name__)
MIN_PASSWORD_LENGTH = 8
# Compared against when the NIP is unknown, so a wrong NIP costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1


def load_user(user_id: str) -> User | None:
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version:
        return None
    return user


class LoginThrottled(DomainError):
    def __init__(self):
        super().__init__(
            _(
                "Too many failed logins. Wait %(m)d minutes and try again.",
                m=current_app.config["LOGIN_WINDOW_MINUTES"],
            ),
            status=429,
        )


def _recent_failures(column, value) -> int:
    """Failures for this NIP or address inside the window; older ones are deleted on the way,
    so the table holds no more than the window's worth."""
    since = utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    db.session.execute(delete(LoginFailure).where(column == value, LoginFailure.at < since))
    return db.session.scalar(select(func.count(LoginFailure.id)).where(column == value))


def authenticate(raw_nip: str, password: str, ip: str) -> User:
    """Return the user for a correct NIP and password; one message for every failure,
    so the form never tells whether a NIP exists."""
    nip = normalise(raw_nip)[:40]
    cfg = current_app.config
    if (
        _recent_failures(LoginFailure.nip, nip) >= cfg["LOGIN_MAX_FAILURES"]
        or _recent_failures(LoginFailure.ip, ip) >= cfg["LOGIN_MAX_FAILURES_PER_IP"]
    ):
        log.warning("login throttled for nip=%s ip=%s", nip, ip)
        raise LoginThrottled()
    user = db.session.scalar(select(User).join(User.pegawai).where(Pegawai.nip == nip))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not (ok and user is not None and user.is_active):
        db.session.add(LoginFailure(nip=nip, ip=ip))
        log.info("login failed for nip=%s ip=%s", nip, ip)
        raise DomainError(_("The NIP or password is wrong."), field="password", status=401)
    # A successful login clears this NIP's failures, so a typo earlier is forgotten.
    db.session.execute(delete(LoginFailure).where(LoginFailure.nip == nip))
    user.last_login_at = utcnow()
    return user


def create_user(pegawai: Pegawai, password: str, *, is_admin=False, is_pengajar=False) -> User:
    user = User(pegawai=pegawai, is_admin=is_admin, is_pengajar=is_pengajar, password_hash="")
    set_password(user, password)
    db.session.add(user)
    return user
