"""The quiz's rules as a learner meets them: attempts, time, keys, feedback, bad input."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.conftest import CORRECT_ANSWERS, WRONG_ANSWERS, answer_form, real_answers


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


def submit(auth, attempt_id, answers, *, confirmed=True):
    extra = {"action": "submit", **({"confirmed": "1"} if confirmed else {})}
    return auth.post(f"/percobaan/{attempt_id}", answer_form(attempt_id, answers, **extra))


def autosave(auth, attempt_id, question, answer):
    answer = real_answers(attempt_id, {question: answer})[question]
    return auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": question, "answer": answer})


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
    first = real_answers(attempt_id, {"q2": "a"})["q2"]
    assert f'name="q-q2" value="{first}"' in page and 'type="checkbox"' in page


# --- guessing by position ----------------------------------------------------------------


def test_option_ids_carry_no_order(client, auth, enrolled):
    """The value a browser sends for an option says nothing about where it was written."""
    attempt = db.session.get(Attempt, start(auth))
    for question in attempt.version.questions:
        ids = [o["id"] for o in question.get("options", [])]
        assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids), ids
        assert len(set(ids)) == len(ids)


def test_each_quiz_version_draws_its_own_option_ids(client, auth, make_course, course_root):
    from lms.catalog.importer import import_courses
    from lms.quizzes.models import Kuis

    make_course("kursus-versi")
    quiz = course_root / "kursus-versi" / "kuis.toml"
    quiz.write_text(quiz.read_text().replace("pass_mark = 75", "pass_mark = 80"))
    import_courses([course_root / "kursus-versi"])
    db.session.commit()
    first, second = db.session.scalar(select(Kuis)).versions
    ids = lambda v: {o["id"] for q in v.questions for o in q.get("options", [])}  # noqa: E731
    assert not ids(first) & ids(second)


def test_letters_for_positions_are_not_answers(client, auth, enrolled):
    attempt_id = start(auth)
    auth.post(
        f"/percobaan/{attempt_id}", {"q-q1": "a", "q-q2": ["a", "b"], "action": "submit", "confirmed": "1"}
    )
    attempt = db.session.get(Attempt, attempt_id)
    assert "q1" not in attempt.answers and "q2" not in attempt.answers


# --- attempts ----------------------------------------------------------------------------


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


def test_a_passed_quiz_takes_no_more_attempts(client, auth, enrolled):
    submit(auth, start(auth), CORRECT_ANSWERS)
    response = auth.post("/kursus/kursus-uji/kuis/mulai")
    assert response.headers["Location"].endswith("/kursus/kursus-uji/kuis")
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    page = client.get("/kursus/kursus-uji/kuis").get_data(as_text=True)
    assert "Mulai percobaan" not in page


def test_save_without_javascript_keeps_answers_for_later(client, auth, enrolled):
    attempt_id = start(auth)
    response = auth.post(
        f"/percobaan/{attempt_id}", answer_form(attempt_id, {"q1": "a", "q4": " JP "}, action="save")
    )
    assert response.headers["Location"].endswith(f"/percobaan/{attempt_id}")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_open and attempt.answers == real_answers(attempt_id, {"q1": "a", "q4": "JP"})


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
    assert autosave(auth, attempt_id, payload["question"], payload["answer"]).status_code == 200
    stored = db.session.get(Attempt, attempt_id).answers
    assert stored.get(payload["question"]) in (None, real_answers(attempt_id, {"q2": ["a"]})["q2"])


@pytest.mark.parametrize("payload", [{"answer": "a"}, {"question": 5}, {"question": "nope", "answer": "a"}])
def test_malformed_autosave_is_refused(client, auth, enrolled, payload):
    attempt_id = start(auth)
    response = auth.post_json(f"/percobaan/{attempt_id}/jawaban", payload)
    assert response.status_code == 400
    assert "error" in response.json


def test_autosave_answers_which_question_it_saved(client, auth, enrolled):
    attempt_id = start(auth)
    response = autosave(auth, attempt_id, "q1", "a")
    assert response.json == {"saved": True, "question": "q1", "answered": 1}


def test_autosave_after_submission_is_refused(client, auth, enrolled):
    attempt_id = start(auth)
    submit(auth, attempt_id, WRONG_ANSWERS)
    response = autosave(auth, attempt_id, "q1", "a")
    assert response.status_code == 409
    assert db.session.get(Attempt, attempt_id).answers["q1"] == real_answers(attempt_id, {"q1": "b"})["q1"]


def test_the_submitted_form_is_the_final_word_on_every_question(client, auth, enrolled):
    attempt_id = start(auth)
    autosave(auth, attempt_id, "q2", ["a", "b"])
    # Without JavaScript the learner unticks both boxes, answers q1 and submits anyway.
    submit(auth, attempt_id, {"q1": "a"})
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.answers == real_answers(attempt_id, {"q1": "a"})


# --- asking before an incomplete submission ----------------------------------------------


def test_submitting_with_questions_unanswered_asks_first_and_keeps_the_answers(client, auth, enrolled):
    attempt_id = start(auth)
    response = submit(auth, attempt_id, {"q1": "a", "q3": "true"}, confirmed=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 dari 4 pertanyaan dijawab. Tetap kirim?" in page
    assert 'name="confirmed" value="1"' in page  # the no-JavaScript "submit anyway"
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.is_open and attempt.answers == real_answers(attempt_id, {"q1": "a", "q3": "true"})
    assert page.count("Belum dijawab.") == 2


def test_submit_anyway_grades_what_was_answered(client, auth, enrolled):
    attempt_id = start(auth)
    submit(auth, attempt_id, {"q1": "a"}, confirmed=False)
    response = submit(auth, attempt_id, {"q1": "a"}, confirmed=True)
    assert response.headers["Location"].endswith(f"/percobaan/{attempt_id}/hasil")
    assert db.session.get(Attempt, attempt_id).score == 1.0


def test_a_complete_submission_is_not_asked_about(client, auth, enrolled):
    attempt_id = start(auth)
    response = submit(auth, attempt_id, CORRECT_ANSWERS, confirmed=False)
    assert response.status_code == 302


def test_the_script_asks_too_with_the_counts_filled_in(client, auth, enrolled):
    page = client.get(f"/percobaan/{start(auth)}").get_data(as_text=True)
    assert 'data-confirm="{answered} dari {total} pertanyaan dijawab. Tetap kirim?"' in page


# --- time --------------------------------------------------------------------------------


@pytest.fixture
def timed(client, auth, login_as, make_course):
    make_course("kursus-waktu", time_limit=10)
    login_as("learner")
    auth.post("/kursus/kursus-waktu/daftar")


def expire(attempt_id, app):
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at = attempt.started_at - timedelta(seconds=app.config["QUIZ_GRACE_SECONDS"] + 1)
    db.session.commit()


def test_a_timed_attempt_has_a_deadline_shown_with_its_zone(client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=10)
    page = client.get(f"/percobaan/{attempt_id}").get_data(as_text=True)
    assert re.search(r"Kirim sebelum pukul \d{1,2}[.:]\d{2} WIB", page)


def test_submission_after_the_time_limit_grades_only_what_was_saved_in_time(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    autosave(auth, attempt_id, "q1", "a")
    expire(attempt_id, app)
    response = submit(auth, attempt_id, CORRECT_ANSWERS, confirmed=False)
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.late is True and not attempt.is_open
    assert attempt.answers == real_answers(attempt_id, {"q1": "a"})  # the late answers were not taken
    assert attempt.score == 1.0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "batas waktu" in page.lower()


def test_autosave_after_the_time_limit_is_refused(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    expire(attempt_id, app)
    assert autosave(auth, attempt_id, "q1", "a").status_code == 409


def test_looking_at_pages_never_closes_an_expired_attempt(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    expire(attempt_id, app)
    for path in ("/", "/kursus/kursus-waktu", "/kursus/kursus-waktu/kuis", f"/percobaan/{attempt_id}"):
        assert client.get(path).status_code == 200
    assert db.session.get(Attempt, attempt_id).is_open


def test_an_expired_attempt_offers_its_result_in_one_tap(app, client, auth, timed):
    attempt_id = start(auth, "kursus-waktu")
    autosave(auth, attempt_id, "q3", "true")
    expire(attempt_id, app)
    page = client.get(f"/percobaan/{attempt_id}").get_data(as_text=True)
    assert "Waktu untuk percobaan ini sudah habis" in page and 'name="q-q1"' not in page
    response = auth.post(f"/percobaan/{attempt_id}", {"action": "submit", "confirmed": "1"})
    assert response.headers["Location"].endswith(f"/percobaan/{attempt_id}/hasil")
    attempt = db.session.get(Attempt, attempt_id)
    assert not attempt.is_open and attempt.late and attempt.score == 1.0


def test_starting_again_grades_the_expired_attempt_first(app, client, auth, timed):
    first = start(auth, "kursus-waktu")
    expire(first, app)
    second = start(auth, "kursus-waktu")
    assert second != first
    attempt = db.session.get(Attempt, first)
    assert not attempt.is_open and attempt.late


# --- feedback and keys -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feedback", "answers", "shows_verdicts", "reveals_keys"),
    [
        ("score", CORRECT_ANSWERS, False, False),
        ("score", WRONG_ANSWERS, False, False),
        ("correctness", WRONG_ANSWERS, True, False),
        ("correctness", CORRECT_ANSWERS, True, False),  # never the keys, even after a pass
        ("keys", WRONG_ANSWERS, True, False),  # an attempt is left: no keys yet
        ("keys", CORRECT_ANSWERS, True, True),  # passed: nothing left to help with
    ],
)
def test_each_feedback_mode_shows_what_it_says(
    client, auth, login_as, make_course, feedback, answers, shows_verdicts, reveals_keys
):
    make_course("kursus-umpan", feedback=feedback)
    login_as("learner")
    auth.post("/kursus/kursus-umpan/daftar")
    attempt_id = start(auth, "kursus-umpan")
    submit(auth, attempt_id, answers)
    page = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
    assert "%" in page and ("Lulus" in page or "Tidak lulus" in page)
    assert ("Kupang adalah ibu kota" in page) is reveals_keys
    assert ("kunci jawaban" in page) is reveals_keys
    assert ('class="verdict"' in page) is shows_verdicts


def test_keys_stay_hidden_while_the_last_attempt_is_open(client, auth, enrolled):
    first = start(auth)
    submit(auth, first, WRONG_ANSWERS)
    last = start(auth)  # no attempt left to start now, but this one is open
    page = client.get(f"/percobaan/{first}/hasil").get_data(as_text=True)
    assert "Kupang adalah ibu kota" not in page and "kunci jawaban" not in page
    submit(auth, last, WRONG_ANSWERS)
    for attempt_id in (first, last):
        page = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
        assert "Kupang adalah ibu kota" in page


def test_verdicts_never_use_the_true_false_words(client, auth, enrolled):
    attempt_id = start(auth)
    submit(auth, attempt_id, WRONG_ANSWERS)
    page = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
    verdicts = re.findall(r'<p class="verdict">(.*?)</p>', page)
    assert verdicts and all("Benar" not in v and "Salah" not in v for v in verdicts)
    assert "Jawaban keliru" in " ".join(verdicts)


def test_result_shows_score_pass_mark_and_what_comes_next(client, auth, enrolled):
    attempt_id = start(auth)
    submit(auth, attempt_id, {**WRONG_ANSWERS, "q1": "a", "q3": "true", "q4": "JP"})
    page = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
    assert "75" in page  # 3 of 4 points, exactly the pass mark
    assert "Lulus" in page and "Anda telah lulus kuis ini." in page


def test_a_failed_result_says_how_many_attempts_are_left(client, auth, enrolled):
    attempt_id = start(auth)
    submit(auth, attempt_id, WRONG_ANSWERS)
    page = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
    assert "Sisa 1 percobaan" in page and "Coba lagi" in page
