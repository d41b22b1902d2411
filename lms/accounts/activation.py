"""One-time codes: activating an imported employee's account, and resetting a password,
without a mail server.

An admin issues codes for a unit or a list of people and hands them out on paper (or,
for one person with SMTP set up, by email). The employee enters NIP, code and a new
password on the activation page. A code is 10 characters from an alphabet without the
look-alikes 0/O, 1/I/L; only an HMAC of (person, code) is stored, so the database never
holds a usable code. It expires (ACTIVATION_CODE_DAYS, RESET_CODE_HOURS), works once (a
conditional UPDATE: two tries at one moment cannot both use it), and a new code for a
person replaces their unused ones.

Either kind of code sets the password: an activation code (long-lived, for accounts
never activated, handed out in bulk) and a reset code (short-lived, for one person who
lost the password) differ in how long they last and how they are worded, not in what
they open. Wrong NIP, wrong, expired or used code and an inactive employee all get one
message, after the same queries, and count towards a limit of tries kept apart from
sign-in's (same LoginThrottle rows, keys of their own).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from sqlalchemy import delete, insert, or_, select, update

from lms.accounts.models import KodeAktivasi, User
from lms.accounts.services import (
    MIN_PASSWORD_LENGTH,
    LoginThrottled,
    _keys,
    _release,
    _reserve,
    set_password,
)
from lms.core import audit
from lms.core.db import after_commit
from lms.core.errors import DomainError
from lms.core.i18n import format_moment
from lms.core.mail import mail_configured, send_mail, send_mails
from lms.core.text import grouped
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai, UnitKerja
from lms.org.nip import normalise
from lms.org.services import manages_unit, unit_in_scope, unit_subtree_cte, whole_agency

log = logging.getLogger(__name__)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 10
# The most people one issue may cover: a sheet (and its PDF) stays printable.
MAX_PER_ISSUE = 1000
ACTIVATION_PATH = "/aktivasi"
# Passwords people pick first; refused whatever the length (compared in lower case).
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "00000000",
        "qwerty123",
        "qwertyuiop",
        "abcd1234",
        "iloveyou",
        "bismillah",
        "indonesia",
        "admin123",
        "rahasia",
        "sayangku",
    }
)
_NIP_LIST_SPLIT = re.compile(r"[\n\r,;]+")


# --- codes ------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    return grouped(code)


def normalise_code(raw: str) -> str:
    """What a person typed, without dashes and spaces, in capitals."""
    return "".join(ch for ch in (raw or "") if ch not in " -\t.").upper()[:40]


def code_hash(pegawai_id: int, code: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"{pegawai_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _lifetime(purpose: str) -> timedelta:
    cfg = current_app.config
    if purpose == "reset":
        return timedelta(hours=cfg["RESET_CODE_HOURS"])
    return timedelta(days=cfg["ACTIVATION_CODE_DAYS"])


def activation_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + ACTIVATION_PATH


@dataclass(frozen=True)
class Person:
    """Who a code is for, as a sheet prints it."""

    pegawai_id: int
    nip: str
    nama: str
    unit: str
    email: str | None
    activated: bool


@dataclass(frozen=True)
class IssuedCode:
    person: Person
    code: str  # in clear: only in this object, never stored
    purpose: str
    expires_at: datetime

    @property
    def shown(self) -> str:
        return display_code(self.code)


def issue(people: list[Person], purpose: str, issuer_id: int | None) -> list[IssuedCode]:
    """New codes for ``people``, replacing their unused ones; one audit entry each (without
    the code). Two bulk statements and one insert for the audit, whatever the count."""
    if not people:
        return []
    now = utcnow()
    expires = now + _lifetime(purpose)
    issued = [IssuedCode(p, new_code(), purpose, expires) for p in people]
    ids = [p.pegawai_id for p in people]
    db.session.execute(
        delete(KodeAktivasi).where(KodeAktivasi.pegawai_id.in_(ids), KodeAktivasi.used_at.is_(None))
    )
    db.session.execute(
        insert(KodeAktivasi),
        [
            {
                "pegawai_id": c.person.pegawai_id,
                "purpose": purpose,
                "code_hash": code_hash(c.person.pegawai_id, c.code),
                "created_at": now,
                "expires_at": expires,
                "created_by_id": issuer_id,
            }
            for c in issued
        ],
    )
    audit.record_many(
        [
            {
                "action": "akun.codes_issued",
                "target_type": "pegawai",
                "target_id": c.person.pegawai_id,
                "label": f"{c.person.nama} ({c.person.nip})",
                "after": {"purpose": purpose, "expires_at": expires},
            }
            for c in issued
        ]
    )
    return issued


def verify_issued(pairs: list[tuple[str, str]], issuer) -> list[IssuedCode]:
    """The codes of a sheet sent back for download, (NIP, code) pairs: only those whose hash
    is stored and still valid, for people the issuer runs. One query."""
    wanted = {normalise(nip)[:18]: normalise_code(code) for nip, code in pairs[:MAX_PER_ISSUE]}
    if not wanted:
        return []
    rows = db.session.execute(
        _people_query(issuer)
        .add_columns(KodeAktivasi.code_hash, KodeAktivasi.purpose, KodeAktivasi.expires_at)
        .join(KodeAktivasi, KodeAktivasi.pegawai_id == Pegawai.id)
        .where(
            Pegawai.nip.in_(list(wanted)),
            KodeAktivasi.used_at.is_(None),
            KodeAktivasi.expires_at > utcnow(),
        )
    ).all()
    found = []
    for row in rows:
        code = wanted[row.nip]
        if hmac.compare_digest(row.code_hash, code_hash(row.id, code)):
            found.append(IssuedCode(_person(row), code, row.purpose, row.expires_at))
    return found


# --- choosing whom to issue codes for ----------------------------------------------------


@dataclass(frozen=True)
class IssueRequest:
    unit_id: int | None = None
    with_subunits: bool = True
    nips_text: str = ""
    only_without_account: bool = True


@dataclass(frozen=True)
class Selection:
    people: list[Person]
    skipped_activated: int = 0  # left out: they already have an activated account
    skipped_admins: int = 0  # left out: admin accounts, for an agency-wide admin only


def _people_query(issuer, *, scoped: bool = True):
    """Active employees the issuer runs (``scoped``; else the caller has limited the
    units itself), with their unit name and account state."""
    query = (
        select(
            Pegawai.id,
            Pegawai.nip,
            Pegawai.nama,
            Pegawai.email,
            UnitKerja.nama.label("unit"),
            User.password_hash.isnot(None).label("activated"),
            User.is_admin.label("is_admin"),
        )
        .join(UnitKerja, UnitKerja.id == Pegawai.unit_id)
        .outerjoin(User, User.pegawai_id == Pegawai.id)
        .where(Pegawai.aktif.is_(True), or_(User.id.is_(None), User.active.is_(True)))
    )
    return query.where(unit_in_scope(issuer, Pegawai.unit_id)) if scoped else query


def _person(row) -> Person:
    return Person(row.id, row.nip, row.nama, row.unit, row.email, bool(row.activated))


def parse_nip_list(text: str) -> tuple[list[str], list[str]]:
    """NIPs pasted one a line or separated by commas or spaces; a NIP may itself be written
    with spaces ("19920315 201903 2 001"). Returns (NIPs in order, pieces that are not NIPs)."""
    nips: list[str] = []
    bad: list[str] = []
    for piece in _NIP_LIST_SPLIT.split(text or ""):
        digits = normalise(piece)
        if not digits:
            continue
        if digits.isascii() and digits.isdigit() and len(digits) % 18 == 0:
            nips += [digits[i : i + 18] for i in range(0, len(digits), 18)]
        else:
            for word in piece.split():
                word_digits = normalise(word)
                if word_digits.isascii() and word_digits.isdigit() and len(word_digits) == 18:
                    nips.append(word_digits)
                elif word_digits:
                    bad.append(word[:40])
    return list(dict.fromkeys(nips)), bad


def select_people(issuer, req: IssueRequest) -> Selection:
    """Whom an issue covers: a unit (and its sub-units) or a list of NIPs, in the issuer's
    scope. A list naming anyone unknown, inactive or outside the issuer's units issues
    nothing and says who. Admin accounts are left to agency-wide admins: a code opens the
    account, and a unit admin must not open one that reaches further than their own."""
    listed = bool((req.nips_text or "").strip())
    if listed and req.unit_id:
        raise DomainError(_("Choose a unit or paste NIPs, not both."), field="nips")
    order = (UnitKerja.nama, Pegawai.nama, Pegawai.nip)
    if listed:
        query = _people_query(issuer).order_by(*order)
        nips, bad = parse_nip_list(req.nips_text)
        rows = db.session.execute(query.where(Pegawai.nip.in_(nips))).all() if nips else []
        unknown = bad + [nip for nip in nips if nip not in {r.nip for r in rows}]
        if unknown:
            raise DomainError(
                _(
                    "Nothing was issued. Unknown, inactive or not in your units: %(list)s",
                    list=", ".join(unknown[:50]) + (" …" if len(unknown) > 50 else ""),
                ),
                field="nips",
            )
    elif req.unit_id and manages_unit(issuer, req.unit_id):
        # Everything below a unit the issuer runs is theirs too.
        query = _people_query(issuer, scoped=False).order_by(*order)
        if req.with_subunits:
            tree = unit_subtree_cte(req.unit_id)
            query = query.where(Pegawai.unit_id.in_(select(tree.c.id)))
        else:
            query = query.where(Pegawai.unit_id == req.unit_id)
        rows = db.session.execute(query).all()
    else:
        raise DomainError(_("Choose one of your units, or paste a list of NIPs."), field="unit")
    chosen = [r for r in rows if not (req.only_without_account and r.activated)]
    allowed = [r for r in chosen if not (r.is_admin and not whole_agency(issuer))]
    selection = Selection([_person(r) for r in allowed], len(rows) - len(chosen), len(chosen) - len(allowed))
    if not selection.people:
        field = "nips" if listed else "unit"
        if selection.skipped_activated:
            raise DomainError(
                _("Nobody to issue codes for: everyone chosen already has an account."), field=field
            )
        if selection.skipped_admins:
            raise DomainError(
                _("Only an agency-wide admin can make a code for an admin account."), field=field
            )
        raise DomainError(
            _("Nobody to issue codes for: there are no active employees in this unit."), field=field
        )
    if len(selection.people) > MAX_PER_ISSUE:
        raise DomainError(
            _("At most %(n)d people at a time: choose a smaller unit.", n=MAX_PER_ISSUE), field="unit"
        )
    return selection


def issue_for(issuer, req: IssueRequest) -> tuple[Selection, list[IssuedCode]]:
    """Activation codes for an admin's choice of people (see ``select_people``)."""
    selection = select_people(issuer, req)
    return selection, issue(selection.people, "activate", issuer.pegawai_id)


# --- one person's reset -----------------------------------------------------------------


def person_for(issuer, raw_nip: str) -> Person | None:
    """An employee the issuer runs (None: unknown, or not theirs, alike)."""
    row = db.session.execute(_people_query(issuer).where(Pegawai.nip == normalise(raw_nip)[:40])).first()
    if row is None:
        return None
    if row.is_admin and not whole_agency(issuer):
        raise DomainError(_("Only an agency-wide admin can make a code for an admin account."))
    return _person(row)


def account_state(pegawai_id: int) -> tuple[User | None, KodeAktivasi | None]:
    """The employee's account (None: never made) and their code still waiting, if any."""
    user = db.session.scalar(select(User).where(User.pegawai_id == pegawai_id))
    pending = db.session.scalar(
        select(KodeAktivasi)
        .where(
            KodeAktivasi.pegawai_id == pegawai_id,
            KodeAktivasi.used_at.is_(None),
            KodeAktivasi.expires_at > utcnow(),
        )
        .order_by(KodeAktivasi.created_at.desc())
        .limit(1)
    )
    return user, pending


def mask_email(address: str) -> str:
    """e***@domain: enough for the admin to recognise the address, not to copy it."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class ResetOutcome:
    issued: IssuedCode
    sent_to: str | None  # the masked address the code went to; None: show it once


def make_reset_code(issuer, person: Person) -> ResetOutcome:
    """A code for one person: a reset code if the account was activated, else an activation
    code. With SMTP and an address on file it goes by email and is not shown; otherwise
    (or when the mail could not be sent) the admin sees it once."""
    purpose = "reset" if person.activated else "activate"
    [issued] = issue([person], purpose, issuer.pegawai_id)
    if mail_configured() and person.email:
        db.session.flush()  # a refused insert must not leave a mailed code behind
        subject, body = _code_mail(issued)
        if send_mail(person.email, subject, body):
            return ResetOutcome(issued, mask_email(person.email))
        log.warning("reset code for pegawai %s not mailed; shown to the admin", person.pegawai_id)
    return ResetOutcome(issued, None)


def mail_codes(issued: list[IssuedCode]) -> tuple[list[IssuedCode], list[IssuedCode]]:
    """Email each code to its person's address (one SMTP connection for the lot); returns
    (mailed, left): the codes that could not be mailed, or had no address, go on the sheet."""
    if not mail_configured():
        return [], list(issued)
    with_address = [c for c in issued if c.person.email]
    sent = send_mails([(c.person.email, *_code_mail(c)) for c in with_address])
    mailed = {id(c) for c, ok in zip(with_address, sent, strict=True) if ok}
    return [c for c in issued if id(c) in mailed], [c for c in issued if id(c) not in mailed]


def _code_mail(issued: IssuedCode) -> tuple[str, str]:
    # The employee's language is not known: the agency's default.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Your code to set a password")
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=issued.person.nama),
                _("An admin made a one-time code for your account (NIP %(nip)s):", nip=issued.person.nip),
                f"    {issued.shown}",
                _("Open %(url)s, enter your NIP, this code and a new password.", url=activation_url()),
                _("The code works once, until %(when)s.", when=format_moment(issued.expires_at)),
                _(
                    "If you did not ask for it, tell your admin; your current password keeps working until the code is used."
                ),
            ]
        )
    return subject, body


# --- redeeming a code -------------------------------------------------------------------


class ActivationThrottled(LoginThrottled):
    def __init__(self, wait: timedelta):
        super().__init__(wait)
        self.message = _(
            "Too many wrong tries. Try again in %(wait)s.",
            wait=format_timedelta(timedelta(seconds=self.retry_after), threshold=2),
        )
        self.field = "code"
        self.args = (self.message,)


def _activation_keys(nip: str, ip: str):
    """Sign-in's keys (NIP from an address, NIP, address) under a prefix of their own, so a
    wrong code and a wrong password are counted apart."""
    return [replace(key, name=f"act-{key.name}"[:160]) for key in _keys(nip, ip)]


def wrong_code_error() -> DomainError:
    return DomainError(_("The NIP or code is wrong, used or expired."), field="code")


def check_new_password(password: str, confirm: str, nip: str, code: str) -> None:
    """The rules the activation page states, checked before the code is even looked at."""
    if password != confirm:
        raise DomainError(_("The two passwords differ."), field="confirm_password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    if normalise(password) == normalise(nip):
        raise DomainError(_("Your NIP is not a safe password."), field="password")
    if code and normalise_code(password) == normalise_code(code):
        raise DomainError(_("The code is not a safe password: choose your own."), field="password")
    if password.lower() in COMMON_PASSWORDS:
        raise DomainError(
            _("This password is one of the first that others try. Choose another."), field="password"
        )


def redeem(raw_nip: str, raw_code: str, password: str, confirm: str, ip: str) -> User:
    """Set the password of the employee ``raw_nip`` with a valid code, creating the account
    if there is none; returns the user, ready for ``start_session``. The code is used up."""
    nip, code = normalise(raw_nip)[:40], normalise_code(raw_code)
    check_new_password(password, confirm, nip, code)
    keys = _activation_keys(nip, ip)
    now = utcnow()
    wait = _reserve(keys, now)
    if wait is not None:
        log.warning("activation refused for nip=%s ip=%s until %s", nip, ip, wait)
        raise ActivationThrottled(wait - utcnow())
    # The same two statements whether or not the NIP exists or may activate.
    row = db.session.execute(
        select(Pegawai, User)
        .outerjoin(User, User.pegawai_id == Pegawai.id)
        .where(Pegawai.nip == nip, Pegawai.aktif.is_(True), or_(User.id.is_(None), User.active.is_(True)))
    ).first()
    pegawai_id = row.Pegawai.id if row else 0
    used = db.session.execute(
        update(KodeAktivasi)
        .where(
            KodeAktivasi.pegawai_id == pegawai_id,
            KodeAktivasi.code_hash == code_hash(pegawai_id, code),
            KodeAktivasi.used_at.is_(None),
            KodeAktivasi.expires_at > now,
        )
        .values(used_at=now)
        .returning(KodeAktivasi.purpose)
    ).first()
    if row is None or used is None:
        log.info("activation failed for nip=%s ip=%s", nip, ip)
        raise wrong_code_error()
    # The NIP's count goes once the password is really set (and, on SQLite, once this
    # transaction no longer holds the database).
    after_commit(lambda: _release(keys))
    return _set_password(row.Pegawai, row.User, password, used.purpose)


def _set_password(pegawai: Pegawai, user: User | None, password: str, purpose: str) -> User:
    first = user is None or user.password_hash is None
    if user is None:
        user = User(pegawai=pegawai)
        db.session.add(user)
    set_password(user, password)  # ends every session of the account
    user.last_login_at = utcnow()
    db.session.flush()
    audit.set_actor(pegawai.id, pegawai.nip, pegawai.nama)
    audit.record(
        "akun.activate" if first else "akun.reset_password",
        "pegawai",
        pegawai.id,
        f"{pegawai.nama} ({pegawai.nip})",
        after={"purpose": purpose},
    )
    return user
