"""Sign-in, sessions and passwords.

Sessions live on the server (``UserSession``): signing out ends one, "sign out
everywhere" and a password change end the others, and a cookie saved before that opens
nothing afterwards. Failed sign-ins slow further tries down (a delay that doubles, never a
lock someone else could impose for good), counted atomically per NIP and address.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import format_timedelta
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import LoginThrottle, User, UserSession
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from lms.org.nip import normalise

log = logging.getLogger(__name__)
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    # Checked when the NIP has no account, with the same method as real hashes, so a wrong
    # NIP costs as much time as a wrong password.
    return generate_password_hash(secrets.token_hex(16), method=method)


def _check(user: User | None, password: str) -> bool:
    # An account not yet activated has no password: it is checked like an unknown NIP.
    stored = (user and user.password_hash) or _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    return check_password_hash(stored, password) and user is not None and user.password_hash is not None


def set_password(user: User, password: str, *, keep_session: str | None = None) -> None:
    """A new password; every session but ``keep_session`` (the one changing it) ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    if user.pegawai and normalise(password) == user.pegawai.nip:
        raise DomainError(_("Your NIP is not a safe password."), field="password")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    if user.id is not None:
        end_sessions(user, keep=keep_session)


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    if not (user.password_hash and check_password_hash(user.password_hash, current)):
        raise DomainError(_("The current password is wrong."), field="current_password")
    if new != confirm:
        raise DomainError(_("The two new passwords differ."), field="confirm_password")
    if new == current:
        raise DomainError(_("Choose a password different from the current one."), field="password")
    set_password(user, new, keep_session=user.session_token)


def create_user(pegawai: Pegawai, password: str, *, is_admin=False, is_pengajar=False) -> User:
    user = User(pegawai=pegawai, is_admin=is_admin, is_pengajar=is_pengajar, password_hash="")
    set_password(user, password)
    db.session.add(user)
    return user


# --- sessions -------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, *, remember: bool, user_agent: str = "", ip: str = "") -> str:
    """A new signed-in session; its token goes into the cookie (through ``user.get_id``)."""
    cfg = current_app.config
    now = utcnow()
    lifetime = cfg["REMEMBER_COOKIE_DURATION"] if remember else cfg["PERMANENT_SESSION_LIFETIME"]
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at < now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(token),
            remember=remember,
            created_at=now,
            expires_at=now + lifetime,
            user_agent=user_agent[:200],
            ip=ip[:64],
        )
    )
    user.session_token = token
    return token


def load_user(token: str) -> User | None:
    """The user of a live session, or None (ended, expired, or never existed)."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(User, UserSession.expires_at)
        .join(UserSession, UserSession.user_id == User.id)
        .options(joinedload(User.pegawai).joinedload(Pegawai.unit))
        .where(UserSession.token_hash == _digest(token))
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    user = row.User
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """Sign a user out everywhere (but the session ``keep``); returns how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.token_hash != _digest(keep))
    return db.session.execute(query).rowcount


def sessions_of(user: User) -> list[tuple[UserSession, bool]]:
    """The user's live sessions, newest first, each with whether it is this one."""
    mine = _digest(user.session_token) if user.session_token else None
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
        .order_by(UserSession.created_at.desc())
    )
    return [(row, row.token_hash == mine) for row in rows]


# --- the sign-in limit -------------------------------------------------------------------


class LoginThrottled(DomainError):
    def __init__(self, wait: timedelta):
        self.retry_after = max(1, int(wait.total_seconds() + 0.999))
        super().__init__(
            _(
                "Too many failed sign-ins. Try again in %(wait)s.",
                wait=format_timedelta(timedelta(seconds=self.retry_after), threshold=2),
            ),
            field="password",
            status=429,
        )


@dataclass(frozen=True)
class _Key:
    name: str
    free: int  # failures allowed before each further try must wait


def _keys(nip: str, ip: str) -> list[_Key]:
    cfg = current_app.config
    return [
        _Key(f"nip-ip:{nip}|{ip}"[:160], cfg["LOGIN_MAX_FAILURES"]),
        _Key(f"nip:{nip}", cfg["LOGIN_MAX_FAILURES_PER_NIP"]),
        _Key(f"ip:{ip}"[:160], cfg["LOGIN_MAX_FAILURES_PER_IP"]),
    ]


def _delay(over: int) -> timedelta:
    """The wait after the ``over``-th failure past the free ones: doubling, capped."""
    cfg = current_app.config
    seconds = cfg["LOGIN_DELAY_SECONDS"] * 2 ** min(over - 1, 30)
    return timedelta(seconds=min(seconds, cfg["LOGIN_MAX_DELAY_MINUTES"] * 60))


def _insert_ignore(conn, key: str, now: datetime) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = LoginThrottle.__table__
    conn.execute(insert(table).values(key=key, failures=0, last_failure_at=now).on_conflict_do_nothing())


def _reserve(keys: list[_Key], now: datetime) -> datetime | None:
    """Count this try as a failure on every key before the password is checked — in its own
    transaction, under row locks, so parallel tries each see the others' counts. Returns
    the time to wait until if a key is still waiting (and then counts nothing)."""
    table = LoginThrottle.__table__
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    with db.engine.begin() as conn:
        for key in keys:
            _insert_ignore(conn, key.name, now)
        rows = {
            row.key: row
            for row in conn.execute(
                select(table).where(table.c.key.in_([k.name for k in keys])).with_for_update()
            )
        }
        waits = [r.blocked_until for r in rows.values() if r.blocked_until and r.blocked_until > now]
        if waits:
            return max(waits)
        for key in keys:
            row = rows[key.name]
            failures = (0 if row.last_failure_at < now - window else row.failures) + 1
            blocked = now + _delay(failures - key.free + 1) if failures >= key.free else None
            conn.execute(
                update(table)
                .where(table.c.key == key.name)
                .values(failures=failures, last_failure_at=now, blocked_until=blocked)
            )
    return None


def _release(keys: list[_Key]) -> None:
    """A correct password: the NIP's counts go; the address keeps everyone else's failures."""
    table = LoginThrottle.__table__
    nip_keys, address = [k.name for k in keys[:2]], keys[2]
    with db.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.key.in_(nip_keys)))
        conn.execute(
            update(table)
            .where(table.c.key == address.name, table.c.failures > 0)
            .values(failures=table.c.failures - 1)
        )
        conn.execute(
            update(table)
            .where(table.c.key == address.name, table.c.failures < address.free)
            .values(blocked_until=None)
        )


def authenticate(raw_nip: str, password: str, ip: str) -> User:
    """Return the user for a correct NIP and password; one message for every failure,
    and the same work whether or not the NIP exists, so nothing tells them apart."""
    nip = normalise(raw_nip)[:40]
    keys = _keys(nip, ip)
    wait = _reserve(keys, utcnow())
    if wait is not None:
        log.warning("sign-in refused for nip=%s ip=%s until %s", nip, ip, wait)
        raise LoginThrottled(wait - utcnow())
    user = db.session.scalar(select(User).join(User.pegawai).where(Pegawai.nip == nip))
    if not (_check(user, password) and user.is_active):
        log.info("sign-in failed for nip=%s ip=%s", nip, ip)
        raise DomainError(_("The NIP or password is wrong."), field="password", status=401)
    _release(keys)
    user.last_login_at = utcnow()
    return user


_BROWSERS = (
    ("SamsungBrowser", "Samsung Internet"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """ "Chrome · Android" from a browser's User-Agent: enough to recognise one's phone."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


def set_save_data(user: User, on: bool) -> None:
    user.save_data = on
