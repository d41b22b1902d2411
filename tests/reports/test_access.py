"""Who may open which report: every page against every kind of user.

The supervisor of learner and other sees their profiles and the team; the trainer and
the admin have no atasan and supervise nobody; only admins see monitoring and the
admin pages. Nobody learns whether a NIP outside their reach exists.
"""

from __future__ import annotations

import re

import pytest

from lms.extensions import db
from lms.org.models import Pegawai
from tests.conftest import NIPS

ANON = "anonymous"
PEOPLE = ("learner", "other", "supervisor", "trainer", "admin")

# path → status for each viewer; every viewer sees their own /profil.
MATRIX = {
    "/profil": dict.fromkeys(PEOPLE, 200),
    f"/profil/{NIPS['learner']}": {
        "learner": 200,
        "other": 403,
        "supervisor": 200,
        "trainer": 403,
        "admin": 200,
    },
    f"/profil/{NIPS['supervisor']}": {
        "learner": 403,
        "other": 403,
        "supervisor": 200,
        "trainer": 403,
        "admin": 200,
    },
    **{
        path: {"learner": 403, "other": 403, "supervisor": 200, "trainer": 403, "admin": 200}
        for path in ("/tim", "/tim/ekspor.csv", "/tim/ekspor.xlsx")
    },
    **{
        path: {"learner": 403, "other": 403, "supervisor": 403, "trainer": 403, "admin": 200}
        for path in ("/monev", "/monev/ekspor.csv", "/admin/standar", "/admin/sertifikat")
    },
    "/pengembangan/verifikasi": {
        "learner": 403,
        "other": 403,
        "supervisor": 200,
        "trainer": 403,
        "admin": 200,
    },
}
CASES = [(who, path, status) for path, statuses in MATRIX.items() for who, status in statuses.items()]


@pytest.mark.parametrize(("who", "path", "status"), CASES)
def test_each_page_answers_each_kind_of_user_as_the_rules_say(client, login_as, who, path, status):
    login_as(who)
    assert client.get(path).status_code == status


@pytest.mark.parametrize("path", list(MATRIX))
def test_anonymous_users_are_sent_to_sign_in(client, users, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")


@pytest.fixture
def grandchild(users, add_people):
    """Someone whose atasan is the learner, whose atasan is the supervisor."""
    (pid,) = add_people(["Cucu Tim"], atasan_id=users["learner"].pegawai_id)
    return db.session.get(Pegawai, pid)


@pytest.mark.parametrize(
    ("who", "status"),
    [("learner", 200), ("supervisor", 200), ("admin", 200), ("other", 403), ("trainer", 403)],
)
def test_supervisors_up_the_chain_see_an_indirect_report(client, login_as, grandchild, who, status):
    login_as(who)
    response = client.get(f"/profil/{grandchild.nip}")
    assert response.status_code == status
    assert ("Cucu Tim" in response.get_data(as_text=True)) == (status == 200)


def test_the_team_page_of_a_supervisor_includes_indirect_reports(client, login_as, grandchild):
    login_as("supervisor")
    page = client.get("/tim").get_data(as_text=True)
    assert all(name in page for name in ("Peserta Uji", "Peserta Lain", "Cucu Tim"))
    assert "Pengajar Uji" not in page and "Admin Uji" not in page


def test_someone_who_supervises_only_one_person_sees_only_that_person(client, login_as, grandchild):
    login_as("learner")
    page = client.get("/tim").get_data(as_text=True)
    assert "Cucu Tim" in page
    assert "Peserta Lain" not in page


def test_a_profile_shows_the_person_asked_for(client, login_as):
    login_as("supervisor")
    page = client.get(f"/profil/{NIPS['learner']}").get_data(as_text=True)
    assert "<h1>Peserta Uji</h1>" in page


def _without_echoes(response, nip: str) -> str:
    """The body, minus what differs between any two requests (the CSRF token is signed
    with a timestamp) and the NIP the viewer typed themselves (echoed in the language
    form's return address)."""
    body = response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', body)
    return body.replace(nip, "NIP")


def test_outside_the_team_existing_or_not_looks_the_same(client, login_as, users):
    login_as("supervisor")
    unknown = "199001012015031999"
    assert db.session.query(Pegawai).filter_by(nip=unknown).count() == 0
    existing = client.get(f"/profil/{NIPS['trainer']}")
    missing = client.get(f"/profil/{unknown}")
    assert existing.status_code == missing.status_code == 403
    assert _without_echoes(existing, NIPS["trainer"]) == _without_echoes(missing, unknown)
    assert "Pengajar Uji" not in existing.get_data(as_text=True)


def test_a_learner_asking_for_a_colleague_learns_nothing_either(client, login_as, users):
    login_as("learner")
    existing = client.get(f"/profil/{NIPS['other']}")
    missing = client.get("/profil/199001012015031998")
    assert existing.status_code == missing.status_code == 403
    assert _without_echoes(existing, NIPS["other"]) == _without_echoes(missing, "199001012015031998")


def test_an_admin_may_narrow_the_team_view_to_their_own_team_only_if_they_have_one(client, login_as):
    login_as("admin")
    assert client.get("/tim").status_code == 200
    assert client.get("/tim?lingkup=tim").status_code == 403


def same_but_path(response) -> str:
    """The page, without the one place that repeats its own address (the language form)."""
    return re.sub(r'name="next" value="[^"]*"', "", response.get_data(as_text=True))


def test_a_profile_outside_the_team_and_an_unknown_nip_cost_the_same(client, login_as, users):
    """The same answer and the same queries, so neither the page nor its timing tells
    whether a NIP exists."""
    from tests.conftest import count_queries

    login_as("trainer")
    answers = []
    for nip in (NIPS["learner"], "199001012015011999"):
        with count_queries() as statements:
            response = client.get(f"/profil/{nip}")
        answers.append((response.status_code, same_but_path(response), len(statements)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403


def test_someone_elses_certificate_and_an_unknown_code_cost_the_same(
    client, login_as, users, course, complete_course
):
    from lms.certificates.models import Sertifikat
    from tests.conftest import count_queries

    complete_course(users["learner"], course)
    code = db.session.scalar(db.select(Sertifikat.code))
    unknown = "0000" + code[4:] if not code.startswith("0000") else "1111" + code[4:]
    login_as("other")
    answers = []
    for candidate in (code, unknown):
        with count_queries() as statements:
            response = client.get(f"/sertifikat/{candidate}.pdf")
        answers.append((response.status_code, same_but_path(response), len(statements)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
