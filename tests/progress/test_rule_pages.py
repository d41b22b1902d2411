"""The admin's pages for mandatory training rules: only admins; a preview of whom a
rule reaches before saving; saving applies it; a rule reaching nobody is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.core.audit import AuditEntry
from lms.core.time import local_today
from lms.extensions import db
from lms.org.models import Jabatan
from lms.progress.models import AturanWajib, Enrolment, Kewajiban
from tests.conftest import count_queries

BASE = "/admin/aturan-wajib"


@pytest.fixture
def admin(login_as, auth):
    user = login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    return user


def form(course, **changes) -> dict:
    due = local_today() + timedelta(days=30)
    return {
        "nama": "Wajib farmasi",
        "kursus": str(course.id),
        "unit": "",
        "with_subunits": "y",
        "jabatan": "",
        "jenis_jabatan": "",
        "status_asn": "",
        "due_kind": "fixed",
        "due_date": due.isoformat(),
        "due_days": "",
        **changes,
    }


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def rule_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AturanWajib))


@pytest.mark.parametrize("path", [BASE + "/", BASE + "/baru"])
def test_the_pages_are_for_admins_only(client, auth, login_as, path):
    assert client.get(path).headers["Location"].startswith("/masuk")
    login_as("learner")
    assert client.get(path).status_code == 403
    assert auth.post(f"{BASE}/baru", {}).status_code == 403


def test_an_unknown_rule_is_not_found(client, auth, admin):
    assert client.get(f"{BASE}/999").status_code == 404
    assert auth.post(f"{BASE}/999/nonaktifkan").status_code == 404


def test_the_preview_shows_whom_the_rule_reaches_and_saves_nothing(client, auth, admin, users, course):
    response = auth.post(f"{BASE}/baru", {**form(course), "preview": "Check whom it reaches"})
    assert response.status_code == 200
    page = text(response)
    assert "This rule reaches 5 people" in page
    assert "Peserta Uji" in page and "UPT Uji" in page
    assert rule_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


def test_saving_applies_the_rule_at_once_and_says_how_many(client, auth, admin, users, course):
    apoteker = db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))
    users["learner"].pegawai.jabatan_id = apoteker.id
    db.session.commit()
    response = auth.post(f"{BASE}/baru", {**form(course, jabatan=str(apoteker.id)), "save": "Save and apply"})
    assert response.status_code == 302 and response.headers["Location"].endswith(BASE + "/")
    listing = text(client.get(BASE + "/"))
    assert "1 person must now take the course." in listing
    assert "Wajib farmasi" in listing and "Apoteker" in listing
    enrolment = db.session.scalar(select(Enrolment))
    assert (enrolment.pegawai_id, enrolment.source) == (users["learner"].pegawai_id, "mandatory")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "aturan.create"))
    assert entry.actor_id == users["admin"].pegawai_id


def test_a_rule_that_reaches_nobody_is_refused_with_a_message(client, auth, admin, users, course):
    apoteker = db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))
    response = auth.post(f"{BASE}/baru", {**form(course, jabatan=str(apoteker.id)), "save": "Save and apply"})
    assert response.status_code == 400
    assert "This rule matches nobody, so it was not saved." in text(response)
    assert rule_count() == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"due_date": "2020-01-01"}, "The due date is in the past."),
        ({"due_date": ""}, "Give the due date."),
        ({"due_kind": "days", "due_days": "0"}, "The number of days must be between 1 and 3650."),
        ({"due_kind": "days", "due_days": "9999"}, "The number of days must be between 1 and 3650."),
        ({"kursus": ""}, "Choose a published course."),
        ({"jabatan": "abc"}, "Choose a position from the list."),
        ({"due_date": "kemarin"}, "Give a valid date."),
    ],
)
def test_bad_fields_are_told_next_to_the_field(client, auth, admin, users, course, changes, message):
    response = auth.post(f"{BASE}/baru", {**form(course, **changes), "save": "Save and apply"})
    assert response.status_code == 400
    assert message in text(response)
    assert rule_count() == 0


def test_editing_narrows_the_rule_and_closes_the_duties_it_no_longer_needs(
    client, auth, admin, users, course
):
    auth.post(f"{BASE}/baru", {**form(course), "save": "Save and apply"})
    rule = db.session.scalar(select(AturanWajib))
    page = client.get(f"{BASE}/{rule.id}")
    assert page.status_code == 200 and "Wajib farmasi" in text(page)
    users["learner"].pegawai.jabatan_id = db.session.scalar(select(Jabatan.id).where(Jabatan.kode == "APT"))
    db.session.commit()
    preview = auth.post(
        f"{BASE}/{rule.id}",
        {**form(course, jabatan=str(users["learner"].pegawai.jabatan_id)), "preview": "1"},
    )
    assert "This rule reaches 1 person" in text(preview)
    saved = auth.post(
        f"{BASE}/{rule.id}", {**form(course, jabatan=str(users["learner"].pegawai.jabatan_id)), "save": "1"}
    )
    assert saved.status_code == 302
    open_duties = db.session.scalar(
        select(func.count()).select_from(Kewajiban).where(Kewajiban.closed_at.is_(None))
    )
    assert open_duties == 1
    assert "4 duties closed for people it no longer reaches." in text(client.get(BASE + "/"))
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "aturan.update")
        )
        == 1
    )


def test_stopping_and_starting_a_rule_again(client, auth, admin, users, course):
    auth.post(f"{BASE}/baru", {**form(course), "save": "Save and apply"})
    rule = db.session.scalar(select(AturanWajib))
    assert auth.post(f"{BASE}/{rule.id}/nonaktifkan").status_code == 302
    assert "The rule is stopped; 5 open duties were closed." in text(client.get(BASE + "/"))
    assert db.session.get(AturanWajib, rule.id).aktif is False
    assert auth.post(f"{BASE}/{rule.id}/aktifkan").status_code == 302
    assert db.session.get(AturanWajib, rule.id).aktif is True
    assert (
        db.session.scalar(select(func.count()).select_from(Kewajiban).where(Kewajiban.closed_at.is_(None)))
        == 5
    )
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"aturan.create", "aturan.deactivate", "aturan.reactivate"} <= actions


def test_the_list_costs_the_same_queries_for_one_rule_or_many(
    client, auth, admin, users, course, make_course
):
    auth.post(f"{BASE}/baru", {**form(course), "save": "1"})
    client.get(BASE + "/")  # the flash is read
    with count_queries() as one:
        assert client.get(BASE + "/").status_code == 200
    for slug in ("kursus-b", "kursus-c"):
        other = make_course(slug)
        auth.post(f"{BASE}/baru", {**form(other, nama=f"Wajib {slug}"), "save": "1"})
    client.get(BASE + "/")
    with count_queries() as many:
        page = client.get(BASE + "/")
    assert len(many) == len(one)
    assert text(page).count("Stop") >= 3
