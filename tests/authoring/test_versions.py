"""Versions: editing a published course makes a new version on publish. An attempt made on
version 1 still shows the questions as they were answered, keeps its score and is counted
after version 2 is published, whether version 2 came from the editor or from importing
changed files."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.catalog.importer import import_courses
from lms.catalog.models import Kursus, KursusVersi
from lms.catalog.publishing import publish
from lms.extensions import db
from lms.quizzes import bank
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, AttemptItem, Kuis
from lms.reports import trainer
from tests.conftest import WRONG_ANSWERS, real_answers

OLD_TEXT = "Ibu kota Provinsi NTT?"
NEW_TEXT = "Kota tempat kantor Gubernur NTT?"


@pytest.fixture
def answered(course, users):
    """The learner's submitted attempt on quiz version 1 (half right)."""
    learner = users["learner"]
    kuis = quizzes.quiz_for_course(course.id)
    attempt = quizzes.start_attempt(learner.pegawai_id, kuis)
    answers = real_answers(attempt.id, {**WRONG_ANSWERS, "q1": "a", "q3": "true"})
    quizzes.submit_attempt(attempt, answers)
    db.session.commit()
    return attempt


def _republish_with_a_new_question_text(kursus):
    soal = next(s for s in bank.questions_of(kursus.id) if s.key == "q1")
    raw = {**bank.as_question(soal), "text": NEW_TEXT}
    bank.update_question(soal.id, kursus.id, raw, soal.revision, None)
    result = publish(kursus)
    db.session.commit()
    return result


def _reimport_with_a_new_question_text(kursus, course_root):
    path = course_root / kursus.slug / "kuis.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_TEXT, NEW_TEXT), encoding="utf-8")
    assert import_courses([course_root / kursus.slug]) == [(kursus.slug, "updated")]
    db.session.commit()


@pytest.mark.parametrize("how", ["editor", "import"])
def test_an_attempt_on_version_1_is_shown_and_counted_after_version_2(
    client, login_as, course, course_root, answered, users, how
):
    score = answered.percent
    if how == "editor":
        _republish_with_a_new_question_text(course)
    else:
        _reimport_with_a_new_question_text(course, course_root)
    db.session.expire_all()
    kuis = db.session.scalar(select(Kuis).where(Kuis.kursus_id == course.id))
    assert [v.number for v in kuis.versions] == [1, 2]
    assert NEW_TEXT in kuis.current.questions[0]["text"]
    assert db.session.get(Kursus, course.id).version == 2

    old = db.session.get(Attempt, answered.id)
    assert old.version.number == 1 and old.percent == score
    assert db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == old.id)).all()

    login_as("learner")
    page = client.get(f"/percobaan/{old.id}/hasil").get_data(as_text=True)
    assert OLD_TEXT in page and NEW_TEXT not in page

    results = trainer.course_results(course, kuis.id, trainer.ResultFilters())
    row = next(r for r in results.rows if r.nip == users["learner"].pegawai.nip)
    assert row.attempts == 1 and row.best == score
    assert [(a.version, a.percent) for a in trainer.attempt_rows(kuis.id)] == [(1, score)]

    history = db.session.scalars(select(KursusVersi).where(KursusVersi.kursus_id == course.id)).all()
    assert history[-1].changes[-1]["what"] == "quiz" and history[-1].changes[-1]["changed"] == 1


def test_publishing_an_unchanged_working_copy_makes_no_version(course):
    assert publish(course) is None
    assert db.session.get(Kursus, course.id).version == 1
