"""Quiz rules: starting, saving and submitting attempts. Grading itself is in grading.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms import signals
from lms.catalog.models import Kursus
from lms.core.errors import DomainError, NotFoundError
from lms.core.ids import is_valid_id, new_id
from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.models import Attempt, Kuis, KuisVersion


def quiz_for_course(kursus_id: int) -> Kuis | None:
    return db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus_id))


def attempts_of(pegawai_id: int, kuis_id: int) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.pegawai_id == pegawai_id, Attempt.kuis_id == kuis_id)
            .order_by(Attempt.number)
        )
    )


def get_own_attempt(attempt_id: str, pegawai_id: int) -> Attempt:
    """An attempt of this learner; anyone else's is 'not found', not 'forbidden',
    so ids cannot be probed."""
    attempt = db.session.get(Attempt, attempt_id) if is_valid_id(attempt_id) else None
    if attempt is None or attempt.pegawai_id != pegawai_id:
        raise NotFoundError()
    return attempt


@dataclass(frozen=True)
class QuizStatus:
    version: KuisVersion
    attempts: list[Attempt]
    open_attempt: Attempt | None  # open and still within its time
    expired_attempt: Attempt | None  # open, but its time ran out: graded where next touched
    best: Attempt | None
    used: int
    left: int | None  # None: unlimited

    @property
    def passed(self) -> bool:
        return self.best is not None and bool(self.best.passed)

    @property
    def can_start(self) -> bool:
        """Another attempt may be started: none running, not passed yet, attempts left."""
        return self.open_attempt is None and not self.passed and (self.left is None or self.left > 0)

    @property
    def finished(self) -> bool:
        """Nothing more can happen: no attempt open or waiting to be graded, none to start."""
        return self.open_attempt is None and self.expired_attempt is None and not self.can_start


def status_of(pegawai_id: int, kuis: Kuis) -> QuizStatus:
    """Where a learner stands with a quiz. Reading only: an attempt whose time ran out is
    reported as expired and graded by the next write that touches it (:func:`close_expired`)."""
    attempts = attempts_of(pegawai_id, kuis.id)
    version = kuis.current
    now = utcnow()
    submitted = [a for a in attempts if not a.is_open]
    open_attempt = next((a for a in attempts if a.is_open and not _expired(a, now)), None)
    expired = next((a for a in attempts if a.is_open and _expired(a, now)), None)
    used = len(attempts)
    left = None if version.max_attempts == 0 else max(0, version.max_attempts - used)
    best = max(submitted, key=lambda a: (a.percent or 0, a.submitted_at), default=None)
    return QuizStatus(version, attempts, open_attempt, expired, best, used, left)


def close_expired(pegawai_id: int, kuis: Kuis) -> int:
    """Grade, on the answers saved in time, every open attempt whose time ran out.
    Called by the write paths (start, submit, completing a course), never by a page view."""
    expired = [attempt for attempt in attempts_of(pegawai_id, kuis.id) if is_expired(attempt)]
    for attempt in expired:
        submit_attempt(attempt, None)
    return len(expired)


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_GRACE_SECONDS"])


def seconds_left(attempt: Attempt) -> int | None:
    """Time left before the limit (the grace period is for the network, not the learner)."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - utcnow()).total_seconds()))


def _expired(attempt: Attempt, now: datetime | None = None) -> bool:
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + _grace()


def is_expired(attempt: Attempt) -> bool:
    return attempt.is_open and _expired(attempt)


def start_attempt(pegawai_id: int, kuis: Kuis, attempt_id: str | None = None) -> Attempt:
    """Open a new attempt, or return the one already open (a double click starts one)."""
    close_expired(pegawai_id, kuis)
    state = status_of(pegawai_id, kuis)
    if state.open_attempt is not None:
        return state.open_attempt
    if state.passed:
        raise DomainError(_("You have passed this quiz; it needs no more attempts."), status=409)
    if state.left == 0:
        raise DomainError(_("You have used all %(n)d attempts at this quiz.", n=state.used), status=409)
    if attempt_id is not None and not is_valid_id(attempt_id):
        raise DomainError(_("Invalid attempt id."))
    version = state.version
    now = utcnow()
    attempt_id = attempt_id or new_id()
    attempt = Attempt(
        id=attempt_id,
        pegawai_id=pegawai_id,
        kuis_id=kuis.id,
        kuis_version_id=version.id,
        number=state.used + 1,
        status="open",
        started_at=now,
        deadline_at=now + timedelta(minutes=version.time_limit_minutes)
        if version.time_limit_minutes
        else None,
        layout=grading.make_layout(
            version.questions,
            seed=attempt_id,
            shuffle_questions=version.shuffle_questions,
            shuffle_options=version.shuffle_options,
        ),
        answers={},
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another request started the same attempt number a moment ago: use that one.
        existing = status_of(pegawai_id, kuis).open_attempt
        if existing is None:
            raise DomainError(_("This attempt could not be started. Please try again."), status=409) from None
        return existing
    return attempt


def _questions_by_id(attempt: Attempt) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in attempt.version.questions}


def save_answer(attempt: Attempt, question_id: str, raw: Any) -> None:
    """Keep one answer of an open attempt (autosave). An empty answer clears it."""
    if not attempt.is_open:
        raise DomainError(_("This attempt has already been submitted."), status=409)
    if _expired(attempt):
        raise DomainError(_("The time for this attempt is over."), status=409)
    question = _questions_by_id(attempt).get(question_id)
    if question is None:
        raise DomainError(_("Unknown question."), field=question_id)
    answers = dict(attempt.answers or {})
    value = grading.clean_answer(question, raw)
    if value is None:
        answers.pop(question_id, None)
    else:
        answers[question_id] = value
    attempt.answers = answers  # a new dict, so the JSON column is written


def save_answers(attempt: Attempt, answers: dict[str, Any]) -> None:
    """Keep the whole form's answers of an open attempt; a question missing is cleared."""
    for question in attempt.version.questions:
        save_answer(attempt, question["id"], answers.get(question["id"]))


def answers_from_form(attempt: Attempt, form: dict[str, list[str]]) -> dict[str, Any]:
    """Form fields ``q-<id>`` to answers; a multiple-choice field may repeat."""
    answers = {}
    for qid, question in _questions_by_id(attempt).items():
        values = form.get(f"q-{qid}", [])
        raw = values if question["type"] == "multiple" else (values[0] if values else None)
        value = grading.clean_answer(question, raw)
        if value is not None:
            answers[qid] = value
    return answers


@dataclass(frozen=True)
class Submission:
    attempt: Attempt
    already_submitted: bool = False
    late: bool = False


def submit_attempt(attempt: Attempt, answers: dict[str, Any] | None) -> Submission:
    """Grade and close an attempt, once.

    ``answers`` is the whole submitted form (it was shown with the saved answers filled
    in, so a question missing from it was cleared); None grades the saved answers.
    Answers sent after the time limit are not taken: what was saved in time is graded."""
    if not attempt.is_open:
        return Submission(attempt, already_submitted=True)
    now = utcnow()
    late = _expired(attempt, now)
    final = dict(answers) if answers is not None and not late else dict(attempt.answers or {})
    version = attempt.version
    result = grading.grade(version.questions, final)
    values = dict(
        status="submitted",
        submitted_at=now,
        answers=final,
        score=float(result.score),
        max_score=float(result.max_score),
        percent=result.percent,
        passed=result.passed(version.pass_mark),
        late=late,
    )
    # Only one of two racing submissions finds the attempt still open.
    changed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "open")
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if not changed:
        return Submission(attempt, already_submitted=True)
    signals.quiz_submitted.send("quizzes", attempt=attempt, kursus_id=attempt.kuis.kursus_id)
    return Submission(attempt, late=late)


def laid_out(attempt: Attempt) -> list[tuple[dict[str, Any], list[str]]]:
    """The attempt's questions in its order, each with its option ids in its order."""
    questions = _questions_by_id(attempt)
    return [(questions[item["id"]], item["options"]) for item in attempt.layout]


def review(attempt: Attempt) -> list[tuple[dict[str, Any], list[str], grading.QuestionResult]]:
    """Each question of a submitted attempt with how it was graded."""
    graded = grading.grade(attempt.version.questions, attempt.answers)
    return [(question, options, graded.results[question["id"]]) for question, options in laid_out(attempt)]


def unanswered(attempt: Attempt, answers: dict[str, Any]) -> int:
    """How many of the attempt's questions have no answer in ``answers``."""
    return sum(1 for item in attempt.layout if item["id"] not in answers)


@dataclass(frozen=True)
class Feedback:
    """What a result page may show, by the quiz's feedback mode:

    - ``score``: the score and pass or fail only;
    - ``correctness``: also which questions were right or wrong, the learner's own answers
      and the note written for an option they chose, after every attempt. Never the
      correct answers. (Knowing that a true/false answer, or one of two options, was
      wrong tells the right one: choose ``score`` where that matters.)
    - ``keys``: like ``correctness``, and the correct answers with each question's
      explanation once they can no longer help: when no attempt is open and none can be
      started (after a pass, or when every attempt is used).
    """

    correctness: bool
    keys: bool


def feedback_for(attempt: Attempt, state: QuizStatus) -> Feedback:
    mode = attempt.version.feedback
    return Feedback(correctness=mode in ("correctness", "keys"), keys=mode == "keys" and state.finished)


def best_percent(pegawai_id: int, kuis_id: int) -> float | None:
    return db.session.scalar(
        select(func.max(Attempt.percent)).where(
            Attempt.pegawai_id == pegawai_id, Attempt.kuis_id == kuis_id, Attempt.status == "submitted"
        )
    )


@dataclass(frozen=True)
class RunningAttempt:
    attempt: Attempt
    kursus_title: str
    kursus_slug: str


def open_attempts_of(pegawai_id: int) -> list[RunningAttempt]:
    """The learner's attempts still open (timed ones first, soonest deadline first), in one query."""
    rows = db.session.execute(
        select(Attempt, Kursus.title, Kursus.slug)
        .join(Kuis, Kuis.id == Attempt.kuis_id)
        .join(Kursus, Kursus.id == Kuis.kursus_id)
        .where(Attempt.pegawai_id == pegawai_id, Attempt.status == "open")
        .order_by(Attempt.deadline_at.is_(None), Attempt.deadline_at, Attempt.started_at)
    ).all()
    return [RunningAttempt(attempt, title, slug) for attempt, title, slug in rows]
