"""An attempt taken on a device without a network, graded when it arrives
(``record_offline_attempt``):

- it is graded once, however often it arrives: a repeat is a duplicate with the first
  grade, and writes nothing more (no second attempt, no second set of graded items, no
  second ``quiz_submitted``), also when the two arrive at the same moment;
- it follows the rules an attempt started online follows when it arrives: one attempt per
  token ("used"), none after a pass ("passed"), none past the limit ("no_attempts"); an id
  already taken by another learner's attempt is "not_yours";
- it is graded on the version its token names, even when the quiz changed since;
- with a time limit (counted from the device's start), an answer chosen after the limit
  and the grace period is dropped and the attempt is marked late;
- the device's entries are ``{"q1": {"answer": ..., "at": ms}}`` (``"q.pair"`` for one pair
  of a matching question); unknown questions and junk are ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress import services as progress
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, AttemptItem, KuisVersion
from tests.competencies.test_races import heard  # noqa: F401 - a fixture used here
from tests.concurrency import together, widened
from tests.conftest import CORRECT_ANSWERS, WRONG_ANSWERS, write_course
from tests.quizzes.courses import every_type, import_quiz, quiz_of

GRACE = timedelta(seconds=30)  # TestingConfig's QUIZ_GRACE_SECONDS, checked below


# --- what a device sends -------------------------------------------------------------------


def ms(moment: datetime) -> int:
    """A moment as a device's clock gives it: milliseconds since the epoch."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def option_ids(version: KuisVersion, answers: dict) -> dict:
    """``answers`` written with letters for the options' places in the file (as
    tests/conftest.py CORRECT_ANSWERS) as the option ids of ``version``."""
    questions = {q["id"]: q for q in version.questions}

    def one(qid, value):
        places = dict(zip("abcdefgh", [o["id"] for o in questions[qid].get("options", [])], strict=False))
        return [places.get(v, v) for v in value] if isinstance(value, list) else places.get(value, value)

    return {qid: one(qid, value) for qid, value in answers.items()}


def entries_for(version: KuisVersion, answers: dict, at: datetime) -> dict:
    """What a device keeps of an attempt: each answer with the moment it was chosen."""
    return {qid: {"answer": value, "at": ms(at)} for qid, value in option_ids(version, answers).items()}


@pytest.fixture
def learner(users):
    return users["learner"]


@pytest.fixture
def enrolled(users, course):
    """The learner and the other learner, enrolled in the test course; its quiz version."""
    for who in ("learner", "other"):
        progress.enrol(users[who].pegawai_id, course)
    db.session.commit()
    return quizzes.quiz_for_course(course.id).current


def take(
    pegawai_id: int,
    version: KuisVersion,
    answers: dict = CORRECT_ANSWERS,
    *,
    attempt_id: str | None = None,
    token_id: str | None = None,
    started: datetime | None = None,
    minutes: int = 5,
    entries: dict | None = None,
) -> quizzes.OfflineOutcome:
    """An attempt taken offline under a token of its own (unless given), answered a
    minute after it began and submitted ``minutes`` after it began, arriving now."""
    started = started or utcnow().replace(microsecond=0) - timedelta(hours=1)
    outcome = quizzes.record_offline_attempt(
        pegawai_id,
        version,
        attempt_id=attempt_id or new_id(),
        token_id=token_id or new_id(),
        started_at=started,
        finished_at=started + timedelta(minutes=minutes),
        entries=entries_for(version, answers, started + timedelta(minutes=1)) if entries is None else entries,
    )
    db.session.commit()
    return outcome


def graded_item(attempt: Attempt, question_id: str) -> AttemptItem:
    return db.session.scalar(
        select(AttemptItem).where(
            AttemptItem.attempt_id == attempt.id, AttemptItem.question_id == question_id
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_grace_period_assumed_here_is_the_configured_one(app):
    assert timedelta(seconds=app.config["QUIZ_GRACE_SECONDS"]) == GRACE


# --- graded once ---------------------------------------------------------------------------


def test_an_offline_attempt_is_graded_on_the_device_answers_and_times(learner, enrolled):
    started = datetime(2026, 3, 2, 1, 0)
    token_id = new_id()

    outcome = take(learner.pegawai_id, enrolled, token_id=token_id, started=started, minutes=7)

    attempt = outcome.attempt
    assert not outcome.duplicate and outcome.refused is None
    assert (attempt.status, attempt.percent, attempt.passed, attempt.late) == ("submitted", 100, True, False)
    assert (attempt.started_at, attempt.submitted_at) == (started, started + timedelta(minutes=7))
    assert attempt.offline_token == token_id and attempt.received_at is not None
    assert attempt.layout == quizzes.layout_for(enrolled, token_id)
    assert attempt.number == 1 and attempt.kuis_version_id == enrolled.id


def test_wrong_answers_are_graded_as_wrong(learner, enrolled):
    attempt = take(learner.pegawai_id, enrolled, WRONG_ANSWERS).attempt
    assert (attempt.percent, attempt.passed) == (0, False)


def test_an_attempt_arriving_again_is_a_duplicate_with_its_first_grade(learner, enrolled, heard):  # noqa: F811
    attempt_id, token_id = new_id(), new_id()
    first = take(learner.pegawai_id, enrolled, WRONG_ANSWERS, attempt_id=attempt_id, token_id=token_id)

    again = take(learner.pegawai_id, enrolled, CORRECT_ANSWERS, attempt_id=attempt_id, token_id=token_id)

    assert not first.duplicate and again.duplicate and again.refused is None
    assert again.attempt.id == attempt_id and again.attempt.percent == first.attempt.percent == 0
    assert count(Attempt) == 1
    assert count(AttemptItem) == len(enrolled.questions)
    assert heard["quiz_submitted"] == [attempt_id]


def test_the_same_attempt_arriving_twice_at_once_is_graded_once(app, learner, make_course, heard):  # noqa: F811
    """Two tabs, or a resend while the first is still on its way: one attempt, graded
    once, whichever arrives first; the other is told it is a duplicate."""
    kursus = make_course(max_attempts=0)
    progress.enrol(learner.pegawai_id, kursus)
    pegawai_id, version_id = learner.pegawai_id, quiz_of(kursus).current.id
    with widened(lambda sql: sql.startswith("INSERT INTO ATTEMPT"), 0.05):
        for _ in range(5):
            attempt_id, token_id = new_id(), new_id()

            def arrive(attempt_id=attempt_id, token_id=token_id):
                version = db.session.get(KuisVersion, version_id)
                outcome = take(pegawai_id, version, WRONG_ANSWERS, attempt_id=attempt_id, token_id=token_id)
                return outcome.duplicate, outcome.refused, outcome.attempt and outcome.attempt.id

            outcomes = together(app, arrive, arrive)

            assert sorted(outcomes) == [(False, None, attempt_id), (True, None, attempt_id)]
            assert heard["quiz_submitted"].count(attempt_id) == 1
            assert db.session.scalar(select(func.count()).where(AttemptItem.attempt_id == attempt_id)) == 4
    assert count(Attempt) == 5


# --- the rules of an attempt ---------------------------------------------------------------


def test_one_attempt_per_token(learner, enrolled):
    token_id = new_id()
    take(learner.pegawai_id, enrolled, WRONG_ANSWERS, token_id=token_id)

    second = take(learner.pegawai_id, enrolled, CORRECT_ANSWERS, token_id=token_id)

    assert (second.attempt, second.refused) == (None, "used")
    assert count(Attempt) == 1


def test_no_attempt_is_taken_after_a_pass(learner, enrolled):
    take(learner.pegawai_id, enrolled, CORRECT_ANSWERS)

    after = take(learner.pegawai_id, enrolled, WRONG_ANSWERS)

    assert (after.attempt, after.refused) == (None, "passed")
    assert count(Attempt) == 1


def test_no_attempt_is_taken_past_the_limit_online_attempts_included(learner, make_course):
    kursus = make_course(max_attempts=1)
    progress.enrol(learner.pegawai_id, kursus)
    kuis = quiz_of(kursus)
    online = quizzes.start_attempt(learner.pegawai_id, kuis)
    quizzes.submit_attempt(online, {})
    db.session.commit()

    late = take(learner.pegawai_id, kuis.current, CORRECT_ANSWERS)

    assert (late.attempt, late.refused) == (None, "no_attempts")
    assert count(Attempt) == 1


def test_offline_attempts_count_towards_the_limit(learner, make_course):
    kursus = make_course(max_attempts=2)
    progress.enrol(learner.pegawai_id, kursus)
    version = quiz_of(kursus).current

    numbers = [take(learner.pegawai_id, version, WRONG_ANSWERS).attempt.number for _ in range(2)]

    assert numbers == [1, 2]
    assert take(learner.pegawai_id, version, CORRECT_ANSWERS).refused == "no_attempts"


def test_an_attempt_id_of_another_learner_is_not_theirs(users, learner, enrolled):
    attempt_id = new_id()
    take(learner.pegawai_id, enrolled, WRONG_ANSWERS, attempt_id=attempt_id)

    theirs = take(users["other"].pegawai_id, enrolled, CORRECT_ANSWERS, attempt_id=attempt_id)

    assert (theirs.attempt, theirs.refused) == (None, "not_yours")
    assert db.session.get(Attempt, attempt_id).pegawai_id == learner.pegawai_id
    assert count(Attempt) == 1


def test_the_version_of_the_download_grades_even_after_the_quiz_changed(learner, enrolled, course_root):
    downloaded = enrolled
    folder = write_course(course_root)
    quiz = folder / "kuis.toml"
    quiz.write_text(quiz.read_text().replace("pass_mark = 75", "pass_mark = 80"), encoding="utf-8")
    from lms.catalog.importer import import_courses

    import_courses([folder])
    db.session.commit()
    current = quiz_of(downloaded.kuis.kursus).current
    assert current.id != downloaded.id  # option ids are new in every version

    attempt = take(learner.pegawai_id, downloaded, CORRECT_ANSWERS).attempt

    assert attempt.kuis_version_id == downloaded.id
    assert (attempt.percent, attempt.passed) == (100, True)
    assert quizzes.status_of(learner.pegawai_id, current.kuis).passed


# --- the time limit ------------------------------------------------------------------------


@pytest.fixture
def timed(learner, make_course):
    """The test course with a 10-minute quiz; the learner enrolled; its version."""
    kursus = make_course(time_limit=10)
    progress.enrol(learner.pegawai_id, kursus)
    db.session.commit()
    return quiz_of(kursus).current


def test_answers_chosen_after_the_time_limit_are_dropped_and_the_attempt_is_late(learner, timed):
    started = utcnow().replace(microsecond=0) - timedelta(hours=1)
    limit = started + timedelta(minutes=10)
    entries = {
        **entries_for(timed, {"q1": "a"}, started + timedelta(minutes=2)),
        **entries_for(timed, {"q3": "true"}, limit + GRACE),  # the last moment that counts
        **entries_for(timed, {"q2": ["a", "b"]}, limit + GRACE + timedelta(seconds=1)),
        "q4": {"answer": "JP"},  # no time: not known to be in time
    }

    attempt = take(learner.pegawai_id, timed, started=started, minutes=30, entries=entries).attempt

    assert set(attempt.answers) == {"q1", "q3"}
    assert attempt.late and attempt.deadline_at == limit
    assert attempt.percent == 50


def test_a_late_submission_with_every_answer_in_time_keeps_them_and_is_late(learner, timed):
    attempt = take(learner.pegawai_id, timed, CORRECT_ANSWERS, minutes=30).attempt
    assert attempt.late and attempt.percent == 100


def test_an_attempt_within_its_time_is_not_late(learner, timed):
    attempt = take(learner.pegawai_id, timed, CORRECT_ANSWERS, minutes=10).attempt
    assert not attempt.late and attempt.percent == 100


def test_without_a_time_limit_an_answer_needs_no_time(learner, enrolled):
    entries = {qid: {"answer": value} for qid, value in option_ids(enrolled, CORRECT_ANSWERS).items()}
    attempt = take(learner.pegawai_id, enrolled, entries=entries).attempt
    assert attempt.percent == 100 and not attempt.late and attempt.deadline_at is None


@pytest.fixture
def matching(learner, course_root):
    """A quiz of every type, the learner enrolled: its version and its matching question."""
    kursus = import_quiz(course_root, every_type())
    progress.enrol(learner.pegawai_id, kursus)
    db.session.commit()
    version = quiz_of(kursus).current
    return version, next(q for q in version.questions if q["id"] == "pasang")


def test_matching_pairs_are_sent_one_by_one_and_graded_together(learner, matching):
    version, question = matching
    at = ms(utcnow() - timedelta(minutes=30))
    entries = {f"pasang.{p['id']}": {"answer": p["choice"], "at": at} for p in question["pairs"]}

    attempt = take(learner.pegawai_id, version, entries=entries).attempt

    assert attempt.answers == {"pasang": {p["id"]: p["choice"] for p in question["pairs"]}}
    assert graded_item(attempt, "pasang").fraction == 1


def test_entries_count_in_the_order_they_were_chosen(learner, matching):
    """A whole matching answer, then one pair changed later: the change counts, whatever
    order the entries are listed in."""
    version, question = matching
    (first, second), wrong = question["pairs"], question["choices"][-1]["id"]
    at = utcnow() - timedelta(minutes=30)
    entries = {
        f"pasang.{second['id']}": {"answer": second["choice"], "at": ms(at + timedelta(minutes=1))},
        "pasang": {"answer": {first["id"]: first["choice"], second["id"]: wrong}, "at": ms(at)},
        f"pasang.{'f' * 8}": {"answer": wrong, "at": ms(at)},  # no such pair
    }

    attempt = take(learner.pegawai_id, version, entries=entries).attempt

    assert attempt.answers == {"pasang": {first["id"]: first["choice"], second["id"]: second["choice"]}}
    assert graded_item(attempt, "pasang").fraction == 1


# --- junk ----------------------------------------------------------------------------------


def test_unknown_questions_and_junk_entries_are_ignored(learner, enrolled):
    at = ms(utcnow() - timedelta(minutes=30))
    real = option_ids(enrolled, CORRECT_ANSWERS)
    entries = {
        "q1": {"answer": real["q1"], "at": at},
        "q2": "not an entry",
        "q3": {"answer": "maybe", "at": at},  # not a possible answer
        "q4": {"answer": ["JP"], "at": at},  # a list for a typed answer
        "q9": {"answer": "x", "at": at},  # no such question
        "q1.p1": {"answer": real["q1"], "at": at},  # a pair of a question that has none
        "": {"answer": "x", "at": at},
        "q3.": None,
    }

    attempt = take(learner.pegawai_id, enrolled, entries=entries).attempt

    assert attempt.answers == {"q1": real["q1"]}
    assert attempt.percent == 25
    answered = db.session.scalars(
        select(AttemptItem.question_id).where(AttemptItem.attempt_id == attempt.id, AttemptItem.answered)
    ).all()
    assert answered == ["q1"]
