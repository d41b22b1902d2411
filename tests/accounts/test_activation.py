"""Activating an account with NIP and a one-time code: the password rules stated on the
page, one message for every wrong, used or expired code, a limit of tries kept apart
from sign-in's, and exactly one winner when one code is used twice at the same moment."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select, update

from lms.accounts import activation
from lms.accounts.models import KodeAktivasi, LoginThrottle, User, UserSession
from lms.core.audit import AuditEntry
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from tests import concurrency
from tests.concurrency import together
from tests.conftest import NIPS, PASSWORD, Client, csrf_from

NEW_PASSWORD = "kopi pagi di Ende"
WRONG = "The NIP or code is wrong, used or expired."
NEW_NIP = "199506102020121002"  # an imported employee without an account


# --- helpers the other test files of this feature use too -----------------------------------


def add_pegawai(unit_id: int, nip: str = NEW_NIP, nama: str = "Pegawai Baru", **fields) -> Pegawai:
    pegawai = Pegawai(nip=nip, nama=nama, status_asn="PNS", golongan="III/a", unit_id=unit_id, **fields)
    db.session.add(pegawai)
    db.session.commit()
    return pegawai


def person(pegawai: Pegawai, activated: bool = False) -> activation.Person:
    return activation.Person(pegawai.id, pegawai.nip, pegawai.nama, "UPT Uji", pegawai.email, activated)


def issue_code(pegawai: Pegawai, purpose: str = "activate") -> str:
    [issued] = activation.issue([person(pegawai)], purpose, None)
    db.session.commit()
    return issued.shown


def english(client) -> None:
    with client.session_transaction() as session:
        page = "/" if "_user_id" in session else "/masuk"
    token = csrf_from(client.get(page).get_data(as_text=True))
    client.post("/bahasa", data={"csrf_token": token, "lang": "en"})


def activate(client, nip: str, code: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    token = csrf_from(client.get("/aktivasi").get_data(as_text=True))
    form = {"csrf_token": token, "nip": nip, "code": code, "password": password}
    form["confirm_password"] = password if confirm is None else confirm
    return client.post("/aktivasi", data=form)


def sign_in(client, nip: str, password: str):
    token = csrf_from(client.get("/masuk").get_data(as_text=True))
    return client.post("/masuk", data={"csrf_token": token, "nip": nip, "password": password})


def account_of(pegawai_id: int) -> User | None:
    return db.session.scalar(select(User).where(User.pegawai_id == pegawai_id))


def unused_codes(pegawai_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(KodeAktivasi)
        .where(KodeAktivasi.pegawai_id == pegawai_id, KodeAktivasi.used_at.is_(None))
    )


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def assert_no_code_in_audit(*codes: str) -> None:
    for entry in db.session.scalars(select(AuditEntry)):
        text = repr((entry.target_label, entry.before, entry.after))
        for code in codes:
            assert code not in text and code.replace("-", "") not in text


@pytest.fixture
def newcomer(unit):
    return add_pegawai(unit.id)


@pytest.fixture
def en(client):
    english(client)


# --- the happy path --------------------------------------------------------------------------


def test_a_new_employee_activates_is_signed_in_and_the_code_is_used_up(client, en, newcomer):
    code = issue_code(newcomer)

    response = activate(client, newcomer.nip, code)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Welcome, Pegawai Baru!" in home
    user = account_of(newcomer.id)
    assert user.password_hash and user.last_login_at and not user.is_admin
    assert unused_codes(newcomer.id) == 0
    [entry] = audit_entries("akun.activate")
    assert entry.target_id == str(newcomer.id) and entry.actor_id == newcomer.id
    assert_no_code_in_audit(code)

    client.post("/keluar", data={"csrf_token": csrf_from(home)})
    assert sign_in(client, newcomer.nip, NEW_PASSWORD).status_code == 302
    client.post("/keluar", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    again = activate(client, newcomer.nip, code, "another good one")
    assert again.status_code == 400 and WRONG in again.get_data(as_text=True)


def test_the_code_may_be_typed_without_dashes_in_small_letters_and_the_nip_with_spaces(client, newcomer):
    code = issue_code(newcomer)
    typed = code.replace("-", " ").lower()
    grouped_nip = f"{NEW_NIP[:8]} {NEW_NIP[8:14]} {NEW_NIP[14]} {NEW_NIP[15:]}"
    assert activate(client, grouped_nip, typed).status_code == 302


def test_an_account_never_activated_gets_its_password(client, newcomer):
    """An imported account row with no password yet: the row is kept, the password set."""
    db.session.add(User(pegawai_id=newcomer.id, password_hash=None, is_pengajar=True))
    db.session.commit()
    assert activate(client, newcomer.nip, issue_code(newcomer)).status_code == 302
    user = account_of(newcomer.id)
    assert user.password_hash and user.is_pengajar
    assert len(audit_entries("akun.activate")) == 1


def test_a_reset_code_sets_a_new_password_and_ends_every_other_session(app, client, en, users):
    learner = users["learner"]
    elsewhere = Client(app, app.response_class)
    assert sign_in(elsewhere, NIPS["learner"], PASSWORD).status_code == 302
    code = issue_code(learner.pegawai, "reset")

    assert activate(client, NIPS["learner"], code).status_code == 302

    assert elsewhere.get("/").status_code == 302  # signed out there
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1  # this one
    other = Client(app, app.response_class)
    assert sign_in(other, NIPS["learner"], PASSWORD).status_code == 401
    assert sign_in(other, NIPS["learner"], NEW_PASSWORD).status_code == 302
    [entry] = audit_entries("akun.reset_password")
    assert entry.after == {"purpose": "reset"}
    assert_no_code_in_audit(code)


def test_codes_are_stored_only_as_a_keyed_hash(newcomer):
    code = issue_code(newcomer).replace("-", "")
    row = db.session.execute(select(KodeAktivasi.__table__)).one()
    assert code not in repr(tuple(row))
    assert row.code_hash == activation.code_hash(newcomer.id, code)
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)


def test_a_code_has_ten_unambiguous_characters(app, ctx):
    codes = [activation.new_code() for _ in range(200)]
    assert all(
        len(c) == 10 and not set(c) & set("0O1IL") and set(c) <= set(activation.ALPHABET) for c in codes
    )
    assert len(set(codes)) == 200
    assert activation.display_code("K7QM3XWDRT") == "K7QM-3XWD-RT"
    assert activation.normalise_code(" k7qm-3xwd rt ") == "K7QM3XWDRT"


def test_a_new_code_replaces_the_unused_one(client, en, newcomer):
    first = issue_code(newcomer)
    second = issue_code(newcomer)
    assert unused_codes(newcomer.id) == 1
    assert activate(client, newcomer.nip, first).status_code == 400
    assert activate(client, newcomer.nip, second).status_code == 302


def test_signed_in_people_are_sent_home(client, auth, users):
    auth.login(NIPS["learner"])
    assert client.get("/aktivasi").status_code == 302


def test_the_page_states_the_rules_and_the_sign_in_page_links_to_it(client, en):
    page = client.get("/aktivasi")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    assert "at least 8 characters" in text and "not your NIP and not the code" in text
    assert "very common password" in text
    assert 'href="/aktivasi"' in client.get("/masuk").get_data(as_text=True)


# --- refusals: one message, nothing changed -------------------------------------------------


def _expire(pegawai_id: int) -> None:
    db.session.execute(
        update(KodeAktivasi)
        .where(KodeAktivasi.pegawai_id == pegawai_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def _use(pegawai_id: int) -> None:
    db.session.execute(
        update(KodeAktivasi).where(KodeAktivasi.pegawai_id == pegawai_id).values(used_at=utcnow())
    )
    db.session.commit()


def _deactivate(pegawai_id: int) -> None:
    db.session.execute(update(Pegawai).where(Pegawai.id == pegawai_id).values(aktif=False))
    db.session.commit()


@pytest.mark.parametrize(
    ("case", "nip", "change"),
    [
        ("wrong NIP", "199001012015011999", None),
        ("not a NIP", "abc", None),
        ("wrong code", NEW_NIP, "wrong"),
        ("expired", NEW_NIP, _expire),
        ("used", NEW_NIP, _use),
        ("inactive employee", NEW_NIP, _deactivate),
    ],
)
def test_every_refused_code_gets_the_same_message_and_changes_nothing(
    client, en, newcomer, case, nip, change
):
    code = issue_code(newcomer)
    if change == "wrong":
        code = "2345-6789-AB"
    elif change:
        change(newcomer.id)
    before = db.session.execute(select(KodeAktivasi.used_at, KodeAktivasi.expires_at)).all()

    response = activate(client, nip, code)

    assert response.status_code == 400, case
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="code-error">{WRONG}</p>' in page
    assert account_of(newcomer.id) is None
    assert db.session.execute(select(KodeAktivasi.used_at, KodeAktivasi.expires_at)).all() == before
    assert audit_entries("akun.activate") == []


def test_a_disabled_account_cannot_be_activated(client, en, newcomer):
    db.session.add(User(pegawai_id=newcomer.id, password_hash=None, active=False))
    db.session.commit()
    response = activate(client, newcomer.nip, issue_code(newcomer))
    assert response.status_code == 400 and WRONG in response.get_data(as_text=True)
    assert account_of(newcomer.id).password_hash is None and unused_codes(newcomer.id) == 1


def test_passwords_that_differ_are_refused(client, en, newcomer):
    response = activate(client, newcomer.nip, issue_code(newcomer), NEW_PASSWORD, "kopi pagi di Flores")
    assert response.status_code == 400
    assert '<p class="error" id="confirm_password-error">The two passwords differ.</p>' in response.get_data(
        as_text=True
    )
    assert account_of(newcomer.id) is None and unused_codes(newcomer.id) == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("pendek", "The password needs at least 8 characters."),
        (NEW_NIP, "Your NIP is not a safe password."),
        ("{code}", "The code is not a safe password: choose your own."),
        ("Bismillah", "This password is one of the first that others try. Choose another."),
        ("12345678", "This password is one of the first that others try. Choose another."),
    ],
)
def test_weak_passwords_are_refused_with_the_rule_they_break(client, en, newcomer, password, message):
    code = issue_code(newcomer)
    password = password.format(code=code.lower())
    response = activate(client, newcomer.nip, code, password)
    assert response.status_code == 400
    assert f'<p class="error" id="password-error">{message}</p>' in response.get_data(as_text=True)
    assert account_of(newcomer.id) is None and unused_codes(newcomer.id) == 1


# --- the limit of tries ----------------------------------------------------------------------


def test_too_many_wrong_codes_are_throttled_even_the_right_one_and_others_are_not_affected(
    app, client, en, newcomer, unit
):
    code = issue_code(newcomer)
    allowed = app.config["LOGIN_MAX_FAILURES"]
    client.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    for _ in range(allowed):
        assert activate(client, newcomer.nip, "2345-6789-AB").status_code == 400

    refused = activate(client, newcomer.nip, code)

    assert refused.status_code == 429 and refused.headers["Retry-After"].isdigit()
    assert "Too many wrong tries. Try again in" in refused.get_data(as_text=True)
    assert account_of(newcomer.id) is None and unused_codes(newcomer.id) == 1
    # Counted under keys of their own: sign-in's counts are untouched.
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert keys and all(key.startswith("act-") for key in keys)
    # Someone else, from another address, is not held up.
    neighbour = add_pegawai(unit.id, "199607152021011003", "Pegawai Lain")
    other = Client(app, app.response_class)
    other.environ_base["REMOTE_ADDR"] = "10.2.2.2"
    assert activate(other, neighbour.nip, issue_code(neighbour)).status_code == 302


def test_the_right_code_clears_the_count_of_the_nip(client, newcomer):
    activate(client, newcomer.nip, "2345-6789-AB")
    assert activate(client, newcomer.nip, issue_code(newcomer)).status_code == 302
    assert db.session.get(LoginThrottle, f"act-nip:{newcomer.nip}") is None


# --- two uses at one moment ------------------------------------------------------------------


class Browser:
    """A browser with the activation page loaded (its CSRF token)."""

    def __init__(self, app):
        self.client = Client(app, app.response_class)
        self.token = csrf_from(self.client.get("/aktivasi").get_data(as_text=True))

    def __call__(self, nip: str, code: str, password: str):
        form = {"nip": nip, "code": code, "password": password, "confirm_password": password}
        return self.client.post("/aktivasi", data={"csrf_token": self.token, **form})


def test_one_code_used_twice_at_the_same_moment_works_once(app, ctx, newcomer):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race test: runs on PostgreSQL (TEST_DATABASE_URL)")
    code = issue_code(newcomer)
    browsers = [Browser(app) for _ in range(4)]
    holding = concurrency.widened(lambda sql: sql.startswith("UPDATE KODE_AKTIVASI"), 0.2)

    with holding:
        answers = together(
            app, *(partial(b, newcomer.nip, code, f"{NEW_PASSWORD} {i}") for i, b in enumerate(browsers))
        )

    assert Counter(r.status_code for r in answers) == {302: 1, 400: 3}
    winner = next(i for i, r in enumerate(answers) if r.status_code == 302)
    assert (
        sign_in(Client(app, app.response_class), newcomer.nip, f"{NEW_PASSWORD} {winner}").status_code == 302
    )
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.pegawai_id == newcomer.id)) == 1
    )
    assert len(audit_entries("akun.activate")) == 1
