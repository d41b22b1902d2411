"""A learner enrols, reads every module, passes the quiz and finds the course complete."""

from sqlalchemy import func, select

from lms.extensions import db
from lms.progress.models import CourseCompletion, ModuleCompletion
from lms.quizzes.models import Attempt
from tests.conftest import CORRECT_ANSWERS, WRONG_ANSWERS, answer_form, real_answers


def submit(auth, attempt_id, answers):
    return auth.post(f"/percobaan/{attempt_id}", answer_form(attempt_id, answers, action="submit"))


def start(auth, slug="kursus-uji"):
    response = auth.post(f"/kursus/{slug}/kuis/mulai")
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_home_shows_nothing_before_enrolment(client, login_as, course):
    login_as("learner")
    page = client.get("/").get_data(as_text=True)
    assert course.title not in page
    assert "0 of 20 JP" in page or "0 dari 20 JP" in page


def test_module_pages_need_enrolment(client, login_as, course):
    login_as("learner")
    response = client.get("/kursus/kursus-uji/modul/pembuka")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/kursus/kursus-uji")


def test_full_course_completion_credits_jp_once(client, auth, login_as, course):
    user = login_as("learner")
    assert auth.post("/kursus/kursus-uji/daftar").status_code == 302

    page = client.get("/kursus/kursus-uji/modul/pembuka")
    assert page.status_code == 200
    assert "Teks pembuka" in page.get_data(as_text=True)
    response = auth.post("/kursus/kursus-uji/modul/pembuka/selesai")
    assert response.headers["Location"].endswith("/kursus/kursus-uji/modul/penutup")
    response = auth.post("/kursus/kursus-uji/modul/penutup/selesai")
    assert response.headers["Location"].endswith("/kursus/kursus-uji/kuis")
    # Marking a module twice records it once.
    auth.post("/kursus/kursus-uji/modul/penutup/selesai")
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 2

    attempt_id = start(auth)
    response = submit(auth, attempt_id, CORRECT_ANSWERS)
    assert response.headers["Location"].endswith(f"/percobaan/{attempt_id}/hasil")
    result = client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)
    assert "100" in result

    completion = db.session.scalar(select(CourseCompletion))
    assert completion.pegawai_id == user.pegawai_id
    assert completion.jp == 3
    assert completion.score == 100.0
    home = client.get("/").get_data(as_text=True)
    assert "3 of 20 JP" in home or "3 dari 20 JP" in home

    # The quiz is passed: another attempt is neither offered nor credited again.
    assert auth.post("/kursus/kursus-uji/kuis/mulai").headers["Location"].endswith("/kursus/kursus-uji/kuis")
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 1


def test_quiz_passed_before_modules_completes_on_last_module(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    attempt_id = start(auth)
    submit(auth, attempt_id, CORRECT_ANSWERS)
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 0
    auth.post("/kursus/kursus-uji/modul/pembuka/selesai")
    auth.post("/kursus/kursus-uji/modul/penutup/selesai")
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 1


def test_failed_quiz_does_not_complete(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    auth.post("/kursus/kursus-uji/modul/pembuka/selesai")
    auth.post("/kursus/kursus-uji/modul/penutup/selesai")
    attempt_id = start(auth)
    submit(auth, attempt_id, WRONG_ANSWERS)
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.passed is False and attempt.score == 0
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 0


def test_autosave_keeps_answers_across_logout(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    attempt_id = start(auth)
    ids = real_answers(attempt_id, {"q1": "a", "q2": ["b", "a"]})
    response = auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q1", "answer": ids["q1"]})
    assert response.status_code == 200 and response.json["saved"] is True
    auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "q2", "answer": ids["q2"]})
    auth.logout()
    login_as("learner")
    page = " ".join(client.get(f"/percobaan/{attempt_id}").get_data(as_text=True).split())
    assert f'value="{ids["q1"]}" checked' in page
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).answers == {"q1": ids["q1"], "q2": sorted(ids["q2"])}


def test_submitting_twice_counts_once(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    attempt_id = start(auth)
    submit(auth, attempt_id, WRONG_ANSWERS)
    second = submit(auth, attempt_id, CORRECT_ANSWERS)
    assert second.status_code == 302
    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.score == 0  # the second submission changed nothing
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_course_page_converts_jp_to_study_time_with_the_agency_setting(
    app, client, login_as, course, monkeypatch
):
    login_as("learner")
    assert "135 menit belajar" in client.get("/kursus/kursus-uji").get_data(as_text=True)  # 3 JP x 45
    monkeypatch.setitem(app.config, "JP_MINUTES", 50)
    assert "150 menit belajar" in client.get("/kursus/kursus-uji").get_data(as_text=True)
