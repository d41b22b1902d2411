"""Who may see what: every learner route against every kind of user."""

import pytest

from lms.extensions import db
from tests.conftest import NIPS, WRONG_ANSWERS, answer_form

ANON = None


@pytest.fixture
def draft(make_course):
    return make_course("kursus-draf", status="draft")


@pytest.fixture
def learner_attempt(client, auth, login_as, course):
    """An attempt by the learner, submitted; then nobody is signed in."""
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    attempt_id = auth.post("/kursus/kursus-uji/kuis/mulai").headers["Location"].rsplit("/", 1)[-1]
    auth.post(f"/percobaan/{attempt_id}", answer_form(attempt_id, WRONG_ANSWERS, action="submit"))
    auth.logout()
    return attempt_id


PUBLIC = ["/healthz", "/masuk"]
SIGNED_IN = ["/", "/katalog", "/kursus/kursus-uji", "/kursus/kursus-uji/kuis"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_open_to_anyone(client, course, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", [*SIGNED_IN, "/kursus/kursus-uji/modul/pembuka"])
def test_learner_pages_send_anonymous_users_to_login(client, course, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")


@pytest.mark.parametrize(
    ("who", "status"),
    [("learner", 404), ("other", 404), ("supervisor", 404), ("trainer", 200), ("admin", 200)],
)
def test_draft_courses_are_hidden_from_learners(client, login_as, draft, who, status):
    login_as(who)
    assert client.get("/kursus/kursus-draf").status_code == status


def test_draft_courses_are_not_in_the_catalogue(client, login_as, draft, course):
    login_as("learner")
    page = client.get("/katalog").get_data(as_text=True)
    assert course.title in page and "kursus-draf" not in page


def test_nobody_can_enrol_in_a_draft(client, auth, login_as, draft):
    login_as("trainer")
    response = auth.post("/kursus/kursus-draf/daftar")
    assert response.status_code == 400


@pytest.mark.parametrize("suffix", ["", "/hasil"])
@pytest.mark.parametrize(
    ("who", "status"), [("learner", 302), ("other", 404), ("supervisor", 404), ("admin", 404)]
)
def test_an_attempt_is_seen_only_by_its_learner(client, login_as, learner_attempt, suffix, who, status):
    login_as(who)
    response = client.get(f"/percobaan/{learner_attempt}{suffix}")
    expected = 200 if (who == "learner" and suffix == "/hasil") else status
    assert response.status_code == expected


def test_nobody_else_can_answer_or_submit_an_attempt(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    attempt_id = auth.post("/kursus/kursus-uji/kuis/mulai").headers["Location"].rsplit("/", 1)[-1]
    auth.logout()
    login_as("other")
    assert (
        auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q1", "answer": "a"}).status_code
        == 404
    )
    assert auth.post(f"/percobaan/{attempt_id}", {"q-q1": "a", "action": "submit"}).status_code == 404
    from lms.quizzes.models import Attempt

    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_open and attempt.answers == {}


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "../../etc"])
def test_unknown_attempt_ids_are_not_found(client, login_as, course, bad_id):
    login_as("learner")
    assert client.get(f"/percobaan/{bad_id}").status_code == 404


def test_quiz_needs_enrolment(client, auth, login_as, course):
    login_as("other")
    assert client.get("/kursus/kursus-uji/kuis").status_code == 302
    assert auth.post("/kursus/kursus-uji/kuis/mulai").status_code == 302
    assert auth.post("/kursus/kursus-uji/modul/pembuka/selesai").status_code == 302
    from sqlalchemy import func, select

    from lms.progress.models import ModuleCompletion
    from lms.quizzes.models import Attempt

    assert db.session.scalar(select(func.count(Attempt.id))) == 0
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 0


def test_course_media_needs_login(client, login_as, course):
    key = course.media["gambar.svg"]
    assert client.get(f"/media/{key}").status_code == 302
    login_as("learner")
    response = client.get(f"/media/{key}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.parametrize("key", ["kursus/../../config.py", "other/file.svg", "kursus/kursus-uji/missing.svg"])
def test_media_outside_the_course_store_is_not_found(client, login_as, course, key):
    login_as("learner")
    assert client.get(f"/media/{key}").status_code == 404


def test_home_shows_only_my_own_courses(client, auth, login_as, course, make_course):
    make_course("kursus-lain")
    login_as("other")
    auth.post("/kursus/kursus-lain/daftar")
    auth.logout()
    login_as("learner")
    page = client.get("/").get_data(as_text=True)
    assert "kursus-lain" not in page
    assert NIPS["learner"] in page
