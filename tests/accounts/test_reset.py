"""A reset code for one employee, from the panel on the employee's admin page: emailed
when SMTP is set up and the employee has an address (never shown then), else shown to
the admin once. It works on the activation page like an activation code, and the
employee's sessions end when the new password is set."""

from __future__ import annotations

import re

import pytest
from flask import render_template
from sqlalchemy import func, select

from lms.accounts.models import KodeAktivasi
from lms.extensions import db
from lms.org.routes import employee_panels
from tests.accounts.test_activation import (
    NEW_PASSWORD,
    activate,
    add_pegawai,
    assert_no_code_in_audit,
    audit_entries,
    english,
    sign_in,
)
from tests.conftest import NIPS, PASSWORD, Client

SHOWN_RE = re.compile(r'<span class="act-code">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2})</span>')
MAILED_RE = re.compile(r"\b([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2})\b")
EMAIL = "peserta.uji@dinkes.example.go.id"


def reset_path(nip: str) -> str:
    return f"/admin/pegawai/{nip}/kode-reset"


def codes_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(KodeAktivasi))


@pytest.fixture
def admin(client, login_as):
    user = login_as("admin")
    english(client)
    return user


@pytest.fixture
def with_email(users):
    users["learner"].pegawai.email = EMAIL
    db.session.commit()
    return users["learner"]


def test_with_smtp_the_code_is_emailed_and_not_shown(app, client, auth, admin, with_email, smtp_server):
    response = auth.post(reset_path(NIPS["learner"]), {"next": "/admin"})

    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    page = client.get("/admin").get_data(as_text=True)
    assert "The code was sent to p***@dinkes.example.go.id." in page
    assert not SHOWN_RE.search(page)
    [message] = smtp_server.to(EMAIL)
    body = message.get_payload(decode=True).decode()
    code = MAILED_RE.search(body).group(1)
    assert "http://" in body and "/aktivasi" in body and "NIP 199203152019032001" in body
    assert message["Subject"]
    [entry] = audit_entries("akun.codes_issued")
    assert entry.after["purpose"] == "reset"

    employee = Client(app, app.response_class)
    assert activate(employee, NIPS["learner"], code).status_code == 302
    assert sign_in(Client(app, app.response_class), NIPS["learner"], PASSWORD).status_code == 401
    assert sign_in(Client(app, app.response_class), NIPS["learner"], NEW_PASSWORD).status_code == 302
    assert len(audit_entries("akun.reset_password")) == 1
    assert_no_code_in_audit(code)


def test_the_employee_stays_signed_in_until_the_new_password_is_set(
    app, auth, admin, with_email, smtp_server
):
    elsewhere = Client(app, app.response_class)
    assert sign_in(elsewhere, NIPS["learner"], PASSWORD).status_code == 302
    auth.post(reset_path(NIPS["learner"]), {"next": "/admin"})
    assert elsewhere.get("/").status_code == 200  # a code alone ends nothing
    code = MAILED_RE.search(smtp_server.to(EMAIL)[0].get_payload(decode=True).decode()).group(1)
    assert activate(Client(app, app.response_class), NIPS["learner"], code).status_code == 302
    assert elsewhere.get("/").status_code == 302


def test_without_smtp_the_code_is_shown_once(app, client, auth, admin, with_email):
    response = auth.post(reset_path(NIPS["learner"]), {"next": "/admin"})

    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    code = SHOWN_RE.search(page).group(1)
    assert "Peserta Uji" in page and "it is shown only now" in page
    assert code not in client.get("/admin").get_data(as_text=True)
    assert activate(Client(app, app.response_class), NIPS["learner"], code).status_code == 302
    assert_no_code_in_audit(code)


def test_with_smtp_but_no_address_on_file_the_code_is_shown(auth, admin, users, smtp_server):
    response = auth.post(reset_path(NIPS["learner"]))
    assert response.status_code == 200 and SHOWN_RE.search(response.get_data(as_text=True))
    assert smtp_server.messages == []


def test_a_mail_server_that_fails_falls_back_to_showing_the_code(app, auth, admin, with_email, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # nothing listens there
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    response = auth.post(reset_path(NIPS["learner"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and SHOWN_RE.search(page)
    assert "The email could not be sent" in page


def test_a_new_code_replaces_the_waiting_one(app, auth, admin, users):
    first = SHOWN_RE.search(auth.post(reset_path(NIPS["learner"])).get_data(as_text=True)).group(1)
    second = SHOWN_RE.search(auth.post(reset_path(NIPS["learner"])).get_data(as_text=True)).group(1)
    assert codes_stored() == 1
    employee = Client(app, app.response_class)
    assert activate(employee, NIPS["learner"], first).status_code == 400
    assert activate(employee, NIPS["learner"], second).status_code == 302


def test_an_employee_never_activated_gets_an_activation_code(auth, admin, unit):
    newcomer = add_pegawai(unit.id)
    assert auth.post(reset_path(newcomer.nip)).status_code == 200
    [entry] = audit_entries("akun.codes_issued")
    assert entry.after["purpose"] == "activate"


def test_only_admins_of_the_employee_s_unit_make_codes(client, auth, login_as, make_user, users):
    anonymous = auth.post(reset_path(NIPS["learner"]))
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/masuk")
    login_as("supervisor")
    assert auth.post(reset_path(NIPS["learner"])).status_code == 403
    auth.logout()
    login_as("admin")
    assert auth.post(reset_path("199001012015011999")).status_code == 404
    assert codes_stored() == 0


def test_a_limited_admin_reaches_only_their_units_and_no_admin_account(client, auth, make_user, users, unit):
    from lms.org.models import UnitKerja

    apart = UnitKerja(kode="UPT-Y", nama="UPT Lain", jenis="upt")
    db.session.add(apart)
    db.session.commit()
    outsider = add_pegawai(apart.id)
    limited = make_user("198001012005011001", "Admin UPT", is_admin=True)
    limited.admin_unit_id = unit.id
    db.session.commit()
    auth.login("198001012005011001")
    english(client)

    assert auth.post(reset_path(outsider.nip)).status_code == 404
    refused = auth.post(reset_path(NIPS["admin"]), {"next": "/admin"})
    assert refused.status_code == 302
    assert "Only an agency-wide admin can make a code" in client.get("/admin").get_data(as_text=True)
    assert codes_stored() == 0
    assert auth.post(reset_path(NIPS["learner"])).status_code == 200


def test_the_panel_shows_to_admins_of_the_unit_only(app, users, unit, make_user, smtp_server):
    from lms.org.models import UnitKerja

    learner = users["learner"].pegawai
    learner.email = EMAIL
    apart = UnitKerja(kode="UPT-Y", nama="UPT Lain", jenis="upt")
    db.session.add(apart)
    db.session.flush()
    elsewhere = make_user("198001012005011001", "Admin Lain", is_admin=True)
    elsewhere.admin_unit_id = apart.id
    db.session.commit()

    assert not [p for p in employee_panels(learner, elsewhere) if p[0] == "accounts/_reset_panel.html"]
    [(template, context)] = [
        p for p in employee_panels(learner, users["admin"]) if p[0] == "accounts/_reset_panel.html"
    ]
    with app.test_request_context("/admin/pegawai"):
        html = render_template(template, **context)
    assert f'action="{reset_path(learner.nip)}"' in html
    assert "p***@dinkes.example.go.id" in html and "csrf_token" in html


def test_the_panel_on_the_employee_page_makes_a_code_and_then_shows_it_waiting(
    client, auth, admin, with_email, smtp_server
):
    page = f"/admin/pegawai/{NIPS['learner']}"
    html = client.get(page).get_data(as_text=True)
    assert "Make a reset code" in html and "The account is activated." in html
    assert "The code will be emailed to p***@dinkes.example.go.id" in html

    response = auth.post(reset_path(NIPS["learner"]))  # no next: back to the employee's page
    assert response.status_code == 302 and response.headers["Location"] == page
    assert "is waiting, valid until" in client.get(page).get_data(as_text=True)
