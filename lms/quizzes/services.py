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
from lms.core.errors import DomainError, NotFound
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
        raise NotFound()
    return attempt


@dataclass(frozen=True)
class QuizStatus:
    version: KuisVersion
    attempts: list[Attempt]
    open_attempt: Attempt | None
    best: Attempt | None
    used: int
    left: int | None  # None: unlimited

    @property
    def passed(self) -> bool:
        return self.best is not None and bool(self.best.passed)

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and (self.left is None or self.left > 0)


def status_of(pegawai_id: int, kuis: Kuis) -> QuizStatus:
    """Where a learner stands with a quiz. Attempts whose time ran out are closed on the
    way (there is no background job to do it), so the caller commits."""
    attempts = attempts_of(pegawai_id, kuis.id)
    for attempt in attempts:
        close_if_expired(attempt)
    version = kuis.current
    submitted = [a for a in attempts if not a.is_open]
    open_attempt = next((a for a in attempts if a.is_open), None)
    used = len(attempts)
    left = None if version.max_attempts == 0 else max(0, version.max_attempts - used)
    best = max(submitted, key=lambda a: (a.percent or 0, a.submitted_at), default=None)
    return QuizStatus(version, attempts, open_attempt, best, used, left)


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_GRACE_SECONDS"])


def seconds_left(attempt: Attempt) -> int | None:
    """Time left before the limit (the grace period is for the network, not the learner)."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - utcnow()).total_seconds()))


def _expired(attempt: Attempt, now: datetime | None = None) -> bool:
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + _grace()


def start_attempt(pegawai_id: int, kuis: Kuis, attempt_id: str | None = None) -> Attempt:
    """Open a new attempt, or return the one already open (a double click starts one)."""
    state = status_of(pegawai_id, kuis)
    if state.open_attempt is not None:
        return state.open_attempt
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


def close_if_expired(attempt: Attempt) -> bool:
    """Grade an open attempt whose time ran out on the answers saved in time."""
    if attempt.is_open and _expired(attempt):
        submit_attempt(attempt, None)
        return True
    return False


def laid_out(attempt: Attempt) -> list[tuple[dict[str, Any], list[str]]]:
    """The attempt's questions in its order, each with its option ids in its order."""
    questions = _questions_by_id(attempt)
    return [(questions[item["id"]], item["options"]) for item in attempt.layout]


def review(attempt: Attempt) -> list[tuple[dict[str, Any], list[str], grading.QuestionResult]]:
    """Each question of a submitted attempt with how it was graded."""
    graded = grading.grade(attempt.version.questions, attempt.answers)
    return [(question, options, graded.results[question["id"]]) for question, options in laid_out(attempt)]


def feedback_visible(attempt: Attempt) -> bool:
    mode = attempt.version.feedback
    return mode == "after_submit" or (mode == "after_pass" and bool(attempt.passed))


def reveal_answers(attempt: Attempt, left: int | None) -> bool:
    """Correct answers are shown once they can no longer help a later attempt."""
    return feedback_visible(attempt) and (bool(attempt.passed) or left == 0)


def best_percent(pegawai_id: int, kuis_id: int) -> float | None:
    return db.session.scalar(
        select(func.max(Attempt.percent)).where(
            Attempt.pegawai_id == pegawai_id, Attempt.kuis_id == kuis_id, Attempt.status == "submitted"
        )
    )
