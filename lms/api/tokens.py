"""Signed offline tokens: what a device may do with a course while it has no network.

A token is issued when a learner downloads a course. It names who (the employee), the
course, and, when the quiz may still be attempted, which quiz version and the seed of
the questions and their order (the layout is made again from it), the time limit and
how many attempts were left. It is signed with the server's SECRET_KEY: a device can read
it but not change it, and another server cannot make one. One quiz attempt may be taken
under a token; module completions may be sent under it as often as needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from lms.core.ids import is_valid_id, new_id
from lms.core.time import utcnow

SALT = "lms-offline-token/1"
MAX_LENGTH = 2000


class TokenError(Exception):
    """The token is not one this server signed (tampered, truncated, another server's)."""


@dataclass(frozen=True)
class OfflineToken:
    id: str
    pegawai_id: int
    kursus_id: int
    kuis_id: int | None
    version_id: int | None  # None: no quiz attempt may be taken under this token
    questions: tuple[str, ...]  # the ids of the questions asked, in their order
    time_limit: int  # minutes, 0 for none
    attempts_left: int | None  # when issued; None: unlimited
    issued_at: datetime
    expires_at: datetime

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) > self.expires_at

    def within(self, moment: datetime, now: datetime | None = None) -> datetime:
        """A device's clock reading, kept between the token's issue and now: a device
        cannot date its work before it had the token, nor in the future."""
        return min(max(moment, self.issued_at), now or utcnow())


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def _epoch(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def issue(
    pegawai_id: int,
    kursus_id: int,
    *,
    kuis_id: int | None = None,
    version_id: int | None = None,
    questions: list[str] | None = None,
    time_limit: int = 0,
    attempts_left: int | None = None,
    token_id: str | None = None,
) -> tuple[OfflineToken, str]:
    """A new token and its signed form."""
    now = utcnow().replace(microsecond=0)
    token = OfflineToken(
        id=token_id or new_id(),
        pegawai_id=pegawai_id,
        kursus_id=kursus_id,
        kuis_id=kuis_id,
        version_id=version_id,
        questions=tuple(questions or ()),
        time_limit=time_limit,
        attempts_left=attempts_left,
        issued_at=now,
        expires_at=now + timedelta(days=current_app.config["OFFLINE_TOKEN_DAYS"]),
    )
    payload = {
        "j": token.id,
        "u": pegawai_id,
        "c": kursus_id,
        "k": kuis_id,
        "v": version_id,
        "q": list(token.questions),
        "t": time_limit,
        "a": attempts_left,
        "i": _epoch(token.issued_at),
        "e": _epoch(token.expires_at),
    }
    return token, _serializer().dumps(payload)


def read(raw) -> OfflineToken:
    """The token a device sent back, if this server signed it exactly as it is."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_LENGTH:
        raise TokenError()
    try:
        data = _serializer().loads(raw)
        token = OfflineToken(
            id=data["j"],
            pegawai_id=int(data["u"]),
            kursus_id=int(data["c"]),
            kuis_id=data["k"],
            version_id=data["v"],
            questions=tuple(data["q"]),
            time_limit=int(data["t"]),
            attempts_left=data["a"],
            issued_at=_moment(int(data["i"])),
            expires_at=_moment(int(data["e"])),
        )
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise TokenError() from None
    if not is_valid_id(token.id):
        raise TokenError()
    return token
