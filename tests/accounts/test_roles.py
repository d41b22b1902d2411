"""Roles set by admins on the employee's page: trainer and admin (of the whole agency or
of one unit and below). A limited admin hands out no more than they hold, nobody removes
their own admin role, an employee without an account gets one waiting for activation;
every change is audited."""

from __future__ import annotations

import flask_babel
import pytest
from sqlalchemy import select

from lms.accounts import roles
from lms.accounts.models import User
from lms.core.audit import AuditEntry
from lms.core.errors import DomainError, NotFoundError
from lms.extensions import db
from lms.org.models import Pegawai, UnitKerja
from tests.conftest import NIPS

LIMITED_NIP = "198501012010011001"
NO_ACCOUNT_NIP = "198601012010011002"


@pytest.fixture
def admin(login_as, auth):
    user = login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    return user


@pytest.fixture
def bidang(unit):
    """A unit below the fixture's UPT-X, with an employee who has no account yet."""
    sub = UnitKerja(kode="BID", nama="Bidang Uji", jenis="bidang", parent_id=unit.id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(Pegawai(nip=NO_ACCOUNT_NIP, nama="Belum Punya Akun", unit_id=sub.id))
    db.session.commit()
    return sub


@pytest.fixture
def limited(make_user, auth, bidang, users):
    """An admin of Bidang Uji (and below), working in it."""
    user = make_user(LIMITED_NIP, "Admin Bidang", is_admin=True)
    user.admin_unit_id = bidang.id
    user.pegawai.unit_id = bidang.id
    db.session.commit()
    assert auth.login(LIMITED_NIP).status_code == 302
    auth.post("/bahasa", {"lang": "en"})
    return user


def user_by_nip(nip: str) -> User | None:
    return db.session.scalar(select(User).join(User.pegawai).where(Pegawai.nip == nip))


def flashed(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "akun.roles")))


def test_admin_grants_and_revokes_the_trainer_role(client, auth, admin, users):
    html = flashed(
        client, auth.post(f"/admin/pegawai/{NIPS['learner']}/peran", {"pengajar": "1", "admin": ""})
    )
    assert "The roles of Peserta Uji are saved." in html
    assert user_by_nip(NIPS["learner"]).is_pengajar is True
    auth.post(f"/admin/pegawai/{NIPS['learner']}/peran", {"admin": ""})
    assert user_by_nip(NIPS["learner"]).is_pengajar is False
    granted, revoked = sorted(entries(), key=lambda e: e.at)
    assert (granted.target_type, granted.target_id, granted.target_label) == (
        "pegawai",
        NIPS["learner"],
        "Peserta Uji",
    )
    assert (granted.before, granted.after) == ({"is_pengajar": False}, {"is_pengajar": True})
    assert (revoked.before, revoked.after) == ({"is_pengajar": True}, {"is_pengajar": False})


def test_admin_grants_admin_of_the_whole_agency_or_of_a_unit_and_revokes_it(
    client, auth, admin, users, bidang
):
    auth.post(f"/admin/pegawai/{NIPS['learner']}/peran", {"admin": "semua"})
    learner = user_by_nip(NIPS["learner"])
    assert (learner.is_admin, learner.admin_unit_id) == (True, None)
    auth.post(f"/admin/pegawai/{NIPS['learner']}/peran", {"admin": str(bidang.id)})
    db.session.refresh(learner)
    assert (learner.is_admin, learner.admin_unit_id) == (True, bidang.id)
    auth.post(f"/admin/pegawai/{NIPS['learner']}/peran", {"admin": ""})
    db.session.refresh(learner)
    assert (learner.is_admin, learner.admin_unit_id) == (False, None)
    changes = [(e.before, e.after) for e in sorted(entries(), key=lambda e: e.at)]
    assert changes == [
        ({"is_admin": False}, {"is_admin": True}),
        ({"admin_unit": None}, {"admin_unit": "BID"}),
        ({"is_admin": True, "admin_unit": "BID"}, {"is_admin": False, "admin_unit": None}),
    ]


def test_nobody_removes_their_own_admin_role(client, auth, admin, users, bidang):
    for choice in ("", str(bidang.id)):  # neither removed nor narrowed
        html = flashed(client, auth.post(f"/admin/pegawai/{NIPS['admin']}/peran", {"admin": choice}))
        assert "You cannot remove or narrow your own admin role; ask another admin." in html
    me = user_by_nip(NIPS["admin"])
    assert (me.is_admin, me.admin_unit_id) == (True, None)
    assert entries() == []
    # their own trainer role is theirs to change
    auth.post(f"/admin/pegawai/{NIPS['admin']}/peran", {"admin": "semua", "pengajar": "1"})
    assert user_by_nip(NIPS["admin"]).is_pengajar is True


def test_a_limited_admin_cannot_grant_admin_of_the_whole_agency(client, auth, limited, bidang):
    html = flashed(client, auth.post(f"/admin/pegawai/{NO_ACCOUNT_NIP}/peran", {"admin": "semua"}))
    assert "Only admins of the whole agency make someone admin of the whole agency; choose a unit." in html
    assert user_by_nip(NO_ACCOUNT_NIP) is None
    page = client.get(f"/admin/pegawai/{NO_ACCOUNT_NIP}").get_data(as_text=True)
    assert 'value="semua"' not in page


def test_a_limited_admin_grants_admin_of_a_unit_inside_their_scope_only(client, auth, limited, bidang, unit):
    html = flashed(client, auth.post(f"/admin/pegawai/{NO_ACCOUNT_NIP}/peran", {"admin": str(unit.id)}))
    assert "Choose a unit you run." in html
    assert user_by_nip(NO_ACCOUNT_NIP) is None
    auth.post(f"/admin/pegawai/{NO_ACCOUNT_NIP}/peran", {"admin": str(bidang.id), "pengajar": "1"})
    user = user_by_nip(NO_ACCOUNT_NIP)
    assert (user.is_admin, user.admin_unit_id, user.is_pengajar) == (True, bidang.id, True)


def test_a_limited_admin_gets_404_for_employees_outside_their_scope(client, auth, limited, users):
    response = auth.post(f"/admin/pegawai/{NIPS['learner']}/peran", {"pengajar": "1"})
    assert response.status_code == 404
    assert user_by_nip(NIPS["learner"]).is_pengajar is False


def test_a_limited_admin_cannot_demote_a_whole_agency_admin_in_their_unit(ctx, users, bidang, make_user):
    boss = users["admin"]
    boss.pegawai.unit_id = bidang.id
    limited = make_user(LIMITED_NIP, "Admin Bidang", is_admin=True)
    limited.admin_unit_id = bidang.id
    db.session.commit()
    with flask_babel.force_locale("en"), pytest.raises(DomainError) as refused:
        roles.set_roles(boss, is_admin=False, is_pengajar=False, admin_unit_id=None, by=limited)
    assert "Only admins of the whole agency change the role of another such admin." in refused.value.message
    assert boss.is_admin is True


def test_an_employee_without_an_account_gets_one_waiting_for_activation(client, auth, admin, bidang):
    html = client.get(f"/admin/pegawai/{NO_ACCOUNT_NIP}").get_data(as_text=True)
    assert "No account yet." in html
    auth.post(f"/admin/pegawai/{NO_ACCOUNT_NIP}/peran", {"pengajar": "1", "admin": ""})
    user = user_by_nip(NO_ACCOUNT_NIP)
    assert user is not None and user.password_hash is None and user.is_pengajar is True
    assert "Waiting for activation" in client.get(f"/admin/pegawai/{NO_ACCOUNT_NIP}").get_data(as_text=True)
    [entry] = entries()
    assert entry.before == {"is_pengajar": False} and entry.after == {"is_pengajar": True}
    auth.logout()
    assert auth.login(NO_ACCOUNT_NIP, "").status_code != 302  # nothing to sign in with yet


def test_no_role_for_an_employee_without_account_creates_nothing(ctx, users, bidang):
    pegawai = db.session.scalar(select(Pegawai).where(Pegawai.nip == NO_ACCOUNT_NIP))
    assert (
        roles.set_roles(pegawai, is_admin=False, is_pengajar=False, admin_unit_id=None, by=users["admin"])
        is None
    )
    assert user_by_nip(NO_ACCOUNT_NIP) is None and entries() == []


def test_set_roles_refuses_one_who_is_not_admin(ctx, users):
    with pytest.raises(NotFoundError):
        roles.set_roles(
            users["other"], is_admin=True, is_pengajar=False, admin_unit_id=None, by=users["learner"]
        )


def test_the_roles_route_is_for_admins_only(client, auth, login_as):
    login_as("trainer")
    assert auth.post(f"/admin/pegawai/{NIPS['learner']}/peran", {"admin": "semua"}).status_code == 403
    assert user_by_nip(NIPS["learner"]).is_admin is False


def test_the_panel_shows_the_account_state_and_last_sign_in(client, auth, admin, users):
    html = client.get(f"/admin/pegawai/{NIPS['admin']}").get_data(as_text=True)
    assert "Account and roles" in html and "Last signed in" in html
    assert '<option value="semua" selected>' in html
