"""The quiz's rules as a learner meets them: attempts, time, keys, feedback, bad input."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.conftest import CORRECT_ANSWERS, WRONG_ANSWERS


def as_form(answers):
    return {f"q-{qid}": value for qid, value in answers.items()}


@pytest.fixture
def enrolled(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    return course


def start(auth, slug="kursus-uji"):
    response = auth.post(f"/kursus/{slug}/kuis/mulai")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "/percobaan/" in location, location
    return location.rsplit("/", 1)[-1]


def submit(auth, attempt_id, answers):
    return auth.post(f"/percobaan/{attempt_id}", {**as_form(answers), "action": "submit"})


def test_answer_keys_never_reach_the_browser_before_submission(client, auth, enrolled):
    attempt_id = start(auth)
    page = client.get(f"/percobaan/{attempt_id}").get_data(as_text=True)
    assert "Ibu kota Provinsi NTT?" in page
    for secret in ("correct", "J.P.", "Kupang adalah ibu kota", "Ende ada di Flores", "Benar."):
        assert secret not in page


def test_the_quiz_page_works_without_javascript(client, auth, enrolled):
    attempt_id = start(auth)
    page = client.get(f"/percobaan/{attempt_id}").get_data(as_text=True)
    assert f'action="/percobaan/{attempt_id}"' in page and 'method="post"' in page
    assert 'name="q-q2" value="a"' in page and 'type="checkbox"' in page


def test_starting_twice_continues_the_open_attempt(client, auth, enrolled):
    assert start(auth) == start(auth)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_attempt_limit_refuses_another_start_and_creates_nothing(client, auth, enrolled):
    for _ in range(2):
        submit(auth, start(auth), WRONG_ANSWERS)
    response = auth.post("/kursus/kursus-uji/kuis/mulai")
    assert response.headers["Location"].endswith("/kursus/kursus-uji/kuis")
    page = client.get("/kursus/kursus-uji/kuis").get_data(as_text=True)
    assert "Anda sudah menggunakan seluruh 2 percobaan" in page
    assert db.session.scalar(select(func.count(Attempt.id))) == 2


def test_save_without_javascript_keeps_answers_for_later(client, auth, enrolled):
    attempt_id = start(auth)
    response = auth.post(f"/percobaan/{attempt_id}", {"q-q1": "a", "q-q4": " JP ", "action": "save"})
    assert response.headers["Location"].endswith(f"/percobaan/{attempt_id}")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_open and attempt.answers == {"q1": "a", "q4": "JP"}


@pytest.mark.parametrize(
    "payload",
    [
        {"question": "q1", "answer": "z"},
        {"question": "q2", "answer": ["a", "zzz"]},
        {"question": "q3", "answer": "maybe"},
    ],
)
def test_impossible_answers_are_not_stored(client, auth, enrolled, payload):
    attempt_id = start(auth)
    assert auth.post_json(f"/percobaan/{attempt_id}/jawaban", payload).status_code == 200
    stored = db.session.get(Attempt, attempt_id).answers
    assert stored.get(payload["question"]) in (None, ["a"])


@pytest.mark.parametrize("payload", [{"answer": "a"}, {"question": 5}, {"question": "nope", "answer": "a"}])
def test_malformed_autosave_is_refused(client, auth, enrolled, payload):
    attempt_id = start(auth)
    response = auth.post_json(f"/percobaan/{attempt_id}/jawaban", payload)
    assert response.status_code == 400
    assert "error" in response.json


def test_autosave_after_submission_is_refused(client, auth, enrolled):
    attempt_id = start(auth)
    submit(auth, attempt_id, WRONG_ANSWERS)
    response = auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q1", "answer": "a"})
    assert response.status_code == 409
    assert db.session.get(Attempt, attempt_id).answers["q1"] == "b"


@pytest.fixture
def timed(client, auth, login_as, make_course):
    make_course("kursus-waktu", time_limit=10)
    login_as("learner")
    auth.post("/kursus/kursus-waktu/daftar")


def expire(attempt_id, app):
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at = attempt.started_at - timedelta(seconds=app.config["QUIZ_GRACE_SECONDS"] + 1)
    db.session.commit()


def test_a_timed_attempt_has_a_deadline(client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=10)


def test_submission_after_the_time_limit_grades_only_what_was_saved_in_time(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q1", "answer": "a"})
    expire(attempt_id, app)
    response = submit(auth, attempt_id, CORRECT_ANSWERS)
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.late is True and not attempt.is_open
    assert attempt.answers == {"q1": "a"}  # the late answers were not taken
    assert attempt.score == 1.0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "batas waktu" in page.lower() or "time limit" in page.lower()


def test_autosave_after_the_time_limit_is_refused(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    expire(attempt_id, app)
    response = auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q1", "answer": "a"})
    assert response.status_code == 409


def test_an_expired_attempt_is_closed_when_the_quiz_page_is_opened(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    expire(attempt_id, app)
    client.get("/kursus/kursus-waktu/kuis")
    attempt = db.session.get(Attempt, attempt_id)
    assert not attempt.is_open and attempt.late


@pytest.mark.parametrize(
    ("feedback", "answers", "shows_verdicts", "reveals_keys"),
    [
        ("after_submit", WRONG_ANSWERS, True, False),  # attempts remain: no keys yet
        ("after_submit", CORRECT_ANSWERS, True, True),
        ("after_pass", WRONG_ANSWERS, False, False),
        ("after_pass", CORRECT_ANSWERS, True, True),
        ("never", CORRECT_ANSWERS, False, False),
    ],
)
def test_feedback_follows_the_quiz_setting(
    client, auth, login_as, make_course, feedback, answers, shows_verdicts, reveals_keys
):
    make_course("kursus-umpan", feedback=feedback)
    login_as("learner")
    auth.post("/kursus/kursus-umpan/daftar")
    attempt_id = start(auth, "kursus-umpan")
    submit(auth, attempt_id, answers)
    page = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
    assert ("Kupang adalah ibu kota" in page) is reveals_keys
    assert ('class="verdict"' in page) is shows_verdicts


def test_keys_are_revealed_after_the_last_attempt(client, auth, enrolled):
    submit(auth, start(auth), WRONG_ANSWERS)
    last = start(auth)
    submit(auth, last, WRONG_ANSWERS)
    page = client.get(f"/percobaan/{last}/hasil").get_data(as_text=True)
    assert "Kupang adalah ibu kota" in page


def test_result_shows_score_pass_mark_and_attempts_left(client, auth, enrolled):
    attempt_id = start(auth)
    submit(auth, attempt_id, {**WRONG_ANSWERS, "q1": "a", "q3": "true", "q4": "JP"})
    page = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
    assert "75" in page  # 3 of 4 points, exactly the pass mark
    assert "Lulus" in page
    assert "Sisa 1 percobaan" in page


def test_opening_an_attempt_whose_time_ran_out_shows_its_result(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q3", "answer": "true"})
    expire(attempt_id, app)
    response = client.get(f"/percobaan/{attempt_id}")
    assert response.headers["Location"].endswith(f"/percobaan/{attempt_id}/hasil")
    attempt = db.session.get(Attempt, attempt_id)
    assert not attempt.is_open and attempt.late and attempt.score == 1.0


def test_the_course_page_closes_an_attempt_whose_time_ran_out(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    expire(attempt_id, app)
    assert client.get("/kursus/kursus-waktu").status_code == 200
    assert not db.session.get(Attempt, attempt_id).is_open


def test_the_submitted_form_is_the_final_word_on_every_question(client, auth, enrolled):
    attempt_id = start(auth)
    auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q2", "answer": ["a", "b"]})
    # Without JavaScript the learner unticks both boxes, answers q1 and submits.
    submit(auth, attempt_id, {"q1": "a"})
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.answers == {"q1": "a"}
