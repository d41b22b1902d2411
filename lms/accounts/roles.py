"""Who is an admin (of the whole agency or of one unit and below) and who is a trainer.

Roles are flags on the account. An employee without an account gets one, waiting for
activation (no password until they use a one-time code). The rules keep every admin
inside their own reach: a unit-limited admin hands out no more than they hold, and
nobody takes away their own admin role (the agency would be locked out one day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select

from lms import signals
from lms.accounts.models import User, UserSession
from lms.core import audit
from lms.core.db import chunked
from lms.core.errors import DomainError, ForbiddenError, NotFoundError
from lms.extensions import db
from lms.org.models import Pegawai, UnitKerja
from lms.org.services import manages_unit, whole_agency


def user_of(pegawai_id: int) -> User | None:
    return db.session.scalar(select(User).where(User.pegawai_id == pegawai_id))


def _state(user: User | None) -> dict:
    if user is None:
        return {"is_admin": False, "is_pengajar": False, "admin_unit": None}
    unit = db.session.get(UnitKerja, user.admin_unit_id) if user.admin_unit_id else None
    return {
        "is_admin": user.is_admin,
        "is_pengajar": user.is_pengajar,
        "admin_unit": unit.kode if unit else None,
    }


def _check_admin_change(by, target: User | None, is_admin: bool, admin_unit_id: int | None) -> None:
    """The admin part of the rules; only called when the admin role or its scope changes."""
    if target is not None and target.id == by.id:
        raise DomainError(
            _("You cannot remove or narrow your own admin role; ask another admin."), field="is_admin"
        )
    if target is not None and target.is_admin:
        # Changing someone's admin role needs a reach at least as wide as theirs.
        if target.admin_unit_id is None and not whole_agency(by):
            raise ForbiddenError(_("Only admins of the whole agency change the role of another such admin."))
        if target.admin_unit_id is not None and not manages_unit(by, target.admin_unit_id):
            raise ForbiddenError(_("This admin runs a unit outside yours."))
    if not is_admin:
        return
    if admin_unit_id is None:
        if not whole_agency(by):
            raise DomainError(
                _("Only admins of the whole agency make someone admin of the whole agency; choose a unit."),
                field="admin_unit_id",
            )
        return
    if db.session.get(UnitKerja, admin_unit_id) is None or not manages_unit(by, admin_unit_id):
        raise DomainError(_("Choose a unit you run."), field="admin_unit_id")


def set_roles(target, *, is_admin: bool, is_pengajar: bool, admin_unit_id: int | None, by) -> User | None:
    """Give ``target`` (a User or a Pegawai) these roles, as ``by`` (a signed-in admin).
    Returns the account (created, not yet activated, if there was none and a role is
    given), or None when the employee has no account and gets no role."""
    pegawai: Pegawai = target.pegawai if isinstance(target, User) else target
    user = target if isinstance(target, User) else user_of(pegawai.id)
    if not getattr(by, "is_admin", False) or not manages_unit(by, pegawai.unit_id):
        raise NotFoundError()
    admin_unit_id = admin_unit_id if is_admin else None
    before = _state(user)
    admin_changes = (
        bool(user and user.is_admin),
        user.admin_unit_id if user and user.is_admin else None,
    ) != (
        is_admin,
        admin_unit_id,
    )
    if admin_changes:
        _check_admin_change(by, user, is_admin, admin_unit_id)
    if user is None:
        if not (is_admin or is_pengajar):
            return None
        if not pegawai.aktif:
            raise DomainError(_("%(name)s is deactivated: reactivate them first.", name=pegawai.nama))
        user = User(pegawai=pegawai, password_hash=None)
        db.session.add(user)
    user.is_admin, user.is_pengajar, user.admin_unit_id = is_admin, is_pengajar, admin_unit_id
    db.session.flush()
    audit.record("akun.roles", "pegawai", pegawai.nip, pegawai.nama, before=before, after=_state(user))
    return user


def make_first_admin(pegawai: Pegawai) -> User:
    """Make ``pegawai`` an admin of the whole agency, from the command line (``flask akun
    admin``): how an empty database gets its first admin, so no admin's check applies.
    The account is created, waiting for activation, when there is none."""
    user = user_of(pegawai.id)
    before = _state(user)
    if user is None:
        user = User(pegawai=pegawai, password_hash=None)
        db.session.add(user)
    user.is_admin, user.admin_unit_id = True, None
    db.session.flush()
    audit.record("akun.roles", "pegawai", pegawai.nip, pegawai.nama, before=before, after=_state(user))
    return user


@dataclass(frozen=True)
class AccountState:
    user: User | None
    state: str  # "none" | "waiting" | "active" | "blocked"
    last_login_at: datetime | None


def account_state(pegawai: Pegawai) -> AccountState:
    user = user_of(pegawai.id)
    if user is None:
        return AccountState(None, "none", None)
    if not user.active:
        state = "blocked"
    elif user.password_hash is None:
        state = "waiting"
    else:
        state = "active"
    return AccountState(user, state, user.last_login_at)


@signals.people_changed.connect
def _end_sessions_of_deactivated(sender, pegawai_ids, **kwargs):
    """A deactivated employee cannot sign in, and is signed out where they still are."""
    ids = list(pegawai_ids)
    for part in chunked(ids):  # a bulk import may name thousands at once
        gone = select(Pegawai.id).where(Pegawai.id.in_(part), Pegawai.aktif.is_(False))
        users = select(User.id).where(User.pegawai_id.in_(gone))
        db.session.execute(delete(UserSession).where(UserSession.user_id.in_(users)))
