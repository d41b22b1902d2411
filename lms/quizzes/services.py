"""Quiz rules: starting, saving and submitting attempts. Grading itself is in grading.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lms import signals
from lms.catalog.models import Kursus
from lms.core.errors import DomainError, NotFoundError
from lms.core.ids import is_valid_id, new_id
from lms.core.time import from_epoch_ms, utcnow
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes import questions as questions_module
from lms.quizzes.importer import SETTINGS, with_option_ids
from lms.quizzes.models import Attempt, AttemptChoice, AttemptItem, Kuis, KuisVersion


def quiz_for_course(kursus_id: int) -> Kuis | None:
    return db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus_id))


class InvalidDraw(DomainError):
    """Draw rules the questions cannot satisfy; ``errors`` lists each problem."""

    def __init__(self, errors: list[questions_module.FieldError]):
        super().__init__(errors[0].message, field="draw")
        self.errors = errors


def content_hash(
    settings: dict[str, Any], questions: list[dict[str, Any]], draw: list[dict[str, Any]]
) -> str:
    content = {"settings": settings, "questions": questions, "draw": draw}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def publish_quiz(
    kursus: Kursus, settings: dict[str, Any], questions: list[dict[str, Any]]
) -> KuisVersion | None:
    """Make ``questions`` (canonical, each with its "id") under ``settings`` (the quiz's
    settings and its "draw" rules) the quiz learners take next: a new version when
    anything changed, else None. Attempts already made keep the version they were made on."""
    draw = questions_module.clean_draw(settings.get("draw"))
    if not questions:
        raise DomainError(_("The quiz has no questions."), field="questions")
    problems = questions_module.check_draw(questions, settings.get("draw") or [])
    if problems:
        raise InvalidDraw(problems)
    chosen = {key: settings[key] for key in SETTINGS}
    digest = content_hash(chosen, questions, draw)
    kuis = quiz_for_course(kursus.id)
    if kuis is None:
        kuis = Kuis(kursus=kursus)
        db.session.add(kuis)
    elif kuis.versions and kuis.current.content_hash == digest:
        return None
    version = KuisVersion(
        number=len(kuis.versions) + 1,
        content_hash=digest,
        questions=with_option_ids(questions),
        draw=draw,
        **chosen,
    )
    kuis.versions.append(version)
    db.session.flush()
    return version


# A course done again (a yearly mandatory course, each year) counts only the attempts of
# the learner's current pass. Progress, to the right, knows when that pass began: it
# registers a function (pegawai id, kursus id; values or SQL columns) giving that moment
# as a scalar SELECT (NULL: every attempt counts), so the filter costs no extra query.
_pass_start: Callable[[Any, Any], Any] | None = None


def register_pass_start(fn: Callable[[Any, Any], Any]) -> None:
    global _pass_start
    _pass_start = fn


def counted_since(since: datetime | None = None):
    """The SQL condition for the attempts that count: started at or after ``since``, or
    (without it) within the learner's current pass at the course."""
    if since is not None:
        return Attempt.started_at >= since
    if _pass_start is None:
        return Attempt.pegawai_id.is_not(None)
    kuis = aliased(Kuis)  # never correlated with a quiz of the outer query
    kursus_id = select(kuis.kursus_id).where(kuis.id == Attempt.kuis_id).correlate(Attempt).scalar_subquery()
    start = _pass_start(Attempt.pegawai_id, kursus_id)
    return or_(start.is_(None), Attempt.started_at >= start)


def attempts_of(pegawai_id: int, kuis_id: int, since: datetime | None = None) -> list[Attempt]:
    """The learner's attempts that count (see :func:`counted_since`), in order."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.pegawai_id == pegawai_id, Attempt.kuis_id == kuis_id, counted_since(since))
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
    def question_count(self) -> int:
        """How many questions an attempt asks (with draw rules, fewer than the pool)."""
        return questions_module.questions_per_attempt(self.version.questions, self.version.draw)

    @property
    def can_start(self) -> bool:
        """Another attempt may be started: none running, not passed yet, attempts left."""
        return self.open_attempt is None and not self.passed and (self.left is None or self.left > 0)

    @property
    def finished(self) -> bool:
        """Nothing more can happen: no attempt open or waiting to be graded, none to start."""
        return self.open_attempt is None and self.expired_attempt is None and not self.can_start


def status_of(pegawai_id: int, kuis: Kuis, since: datetime | None = None) -> QuizStatus:
    """Where a learner stands with a quiz, counting the attempts of the current pass (or
    from ``since``). Reading only: an attempt whose time ran out is reported as expired
    and graded by the next write that touches it (:func:`close_expired`)."""
    attempts = attempts_of(pegawai_id, kuis.id, since)
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


def _next_number(pegawai_id: int, kuis_id: int) -> int:
    """Numbers run on across passes (the limit counts only the current pass's attempts)."""
    return 1 + db.session.scalar(
        select(func.coalesce(func.max(Attempt.number), 0)).where(
            Attempt.pegawai_id == pegawai_id, Attempt.kuis_id == kuis_id
        )
    )


def start_attempt(
    pegawai_id: int, kuis: Kuis, attempt_id: str | None = None, since: datetime | None = None
) -> Attempt:
    """Open a new attempt, or return the one already open (a double click starts one).
    The attempt limit counts the attempts of the current pass (or from ``since``)."""
    close_expired(pegawai_id, kuis)
    state = status_of(pegawai_id, kuis, since)
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
        number=_next_number(pegawai_id, kuis.id),
        status="open",
        started_at=now,
        deadline_at=now + timedelta(minutes=version.time_limit_minutes)
        if version.time_limit_minutes
        else None,
        layout=layout_for(version, attempt_id),
        answers={},
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another request started the same attempt number a moment ago: use that one.
        existing = status_of(pegawai_id, kuis, since).open_attempt
        if existing is None:
            raise DomainError(_("This attempt could not be started. Please try again."), status=409) from None
        return existing
    return attempt


def asked(attempt: Attempt) -> list[dict[str, Any]]:
    """The questions this attempt asks, as its version stores them: with draw rules only
    the drawn ones. Everything that shows or grades an attempt goes through here."""
    ids = {item["id"] for item in attempt.layout}
    return [q for q in attempt.version.questions if q["id"] in ids]


def _questions_by_id(attempt: Attempt) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in asked(attempt)}


def _unknown(question_id: str) -> DomainError:
    return DomainError(_("Unknown question."), field=question_id)


def save_answer(attempt: Attempt, question_id: str, raw: Any) -> None:
    """Keep one answer of an open attempt (autosave). An empty answer clears it.
    ``<question id>.<pair id>`` keeps the choice for one pair of a matching question."""
    if not attempt.is_open:
        raise DomainError(_("This attempt has already been submitted."), status=409)
    if _expired(attempt):
        raise DomainError(_("The time for this attempt is over."), status=409)
    qid, dot, pair_id = question_id.partition(".")
    question = _questions_by_id(attempt).get(qid)
    if question is None:
        raise _unknown(question_id)
    answers = dict(attempt.answers or {})
    if not _put_answer(answers, question, pair_id if dot else None, raw):
        raise _unknown(question_id)
    attempt.answers = answers  # a new dict, so the JSON column is written


def _put_answer(answers: dict[str, Any], question: dict[str, Any], pair_id: str | None, raw: Any) -> bool:
    """Put one answer into ``answers`` as an attempt stores it: one pair of a matching
    question joins its other pairs; an empty answer clears it. False for an unknown pair."""
    qid = question["id"]
    if pair_id is not None:
        if question["type"] != "matching" or pair_id not in {p["id"] for p in question["pairs"]}:
            return False
        raw = {**(answers.get(qid) or {}), pair_id: raw}
    value = grading.clean_answer(question, raw)
    if value is None:
        answers.pop(qid, None)
    else:
        answers[qid] = value
    return True


def save_answers(attempt: Attempt, answers: dict[str, Any]) -> None:
    """Keep the whole form's answers of an open attempt; a question missing is cleared."""
    for question in asked(attempt):
        save_answer(attempt, question["id"], answers.get(question["id"]))


def answer_in_form(question: dict[str, Any], form: dict[str, list[str]]) -> Any:
    name = f"q-{question['id']}"
    if question["type"] == "multiple":
        return form.get(name, [])
    if question["type"] == "matching":
        chosen = {p["id"]: (form.get(f"{name}.{p['id']}") or [None])[0] for p in question["pairs"]}
        return {pair: choice for pair, choice in chosen.items() if choice}
    values = form.get(name, [])
    return values[0] if values else None


def answers_from_form(attempt: Attempt, form: dict[str, list[str]]) -> dict[str, Any]:
    """Form fields to answers: ``q-<id>`` (a multiple-choice field may repeat; a number is
    typed text), and ``q-<id>.<pair id>`` for each pair of a matching question."""
    answers = {}
    for qid, question in _questions_by_id(attempt).items():
        value = grading.clean_answer(question, answer_in_form(question, form))
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
    result = grading.grade(asked(attempt), final)
    values = _graded(attempt.version, result, final, submitted_at=now, late=late)
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
    _record_items(attempt, result)
    signals.quiz_submitted.send("quizzes", attempt=attempt, kursus_id=attempt.kuis.kursus_id)
    return Submission(attempt, late=late)


def _graded(
    version: KuisVersion, result: grading.GradeResult, answers: dict, *, submitted_at: datetime, late: bool
) -> dict[str, Any]:
    """The columns a graded attempt gets."""
    return dict(
        status="submitted",
        submitted_at=submitted_at,
        answers=answers,
        score=float(result.score),
        max_score=float(result.max_score),
        percent=result.percent,
        passed=result.passed(version.pass_mark),
        late=late,
    )


# --- attempts taken offline ------------------------------------------------------------

#: Why an attempt taken offline was not graded (lms.api.sync words each for the learner).
OFFLINE_REFUSALS = ("used", "passed", "no_attempts", "not_yours")


@dataclass(frozen=True)
class OfflineOutcome:
    attempt: Attempt | None
    duplicate: bool = False  # it had arrived before: the first arrival's grade stands
    refused: str | None = None  # one of OFFLINE_REFUSALS


def layout_for(version: KuisVersion, seed: str) -> list[dict[str, Any]]:
    """The questions an attempt asks and their order, made from its seed: its id online,
    its token's id offline (so made again when it arrives, and the token need not carry
    them)."""
    return grading.make_layout(
        version.questions,
        seed=seed,
        shuffle_questions=version.shuffle_questions,
        shuffle_options=version.shuffle_options,
        draw=version.draw,
    )


def answers_in_time(
    questions: list[dict[str, Any]], entries: dict[str, Any], deadline: datetime | None
) -> tuple[dict[str, Any], bool]:
    """The answers a device kept as the learner chose them, ``{"q1": {"answer": ..., "at":
    ms}}`` (``"q1.p2"`` for one pair of a matching question), as an attempt stores them.
    With a deadline, an answer chosen after it (plus the grace period) is dropped, as the
    server drops answers sent late online; the flag says whether any was."""
    by_id = {q["id"]: q for q in questions}
    answers: dict[str, Any] = {}
    late = False
    limit = deadline + _grace() if deadline else None
    # An entry without a time sorts first (with a time limit it is dropped anyway).
    for key, entry in sorted(entries.items(), key=lambda kv: _entry_time(kv[1]) or datetime.min):
        qid, dot, pair_id = key.partition(".")
        question = by_id.get(qid)
        if question is None or not isinstance(entry, dict):
            continue
        at = _entry_time(entry)
        if limit is not None and (at is None or at > limit):
            late = True
            continue
        _put_answer(answers, question, pair_id if dot else None, entry.get("answer"))
    return answers, late


def _entry_time(entry: Any) -> datetime | None:
    return from_epoch_ms(entry.get("at")) if isinstance(entry, dict) else None


def _arrived(attempt_id: str, pegawai_id: int) -> OfflineOutcome | None:
    """The answer for an attempt that is already recorded, if it is (looked up in the
    database each time: a row another request has just committed is found)."""
    existing = db.session.get(Attempt, attempt_id)
    if existing is None:
        return None
    if existing.pegawai_id != pegawai_id:
        return OfflineOutcome(None, refused="not_yours")
    return OfflineOutcome(existing, duplicate=True)


def _offline_refusal(pegawai_id: int, kuis: Kuis, token_id: str) -> str | None:
    """Why a new attempt taken offline may not count now, if it may not."""
    if db.session.scalar(select(Attempt.id).where(Attempt.offline_token == token_id)):
        return "used"
    close_expired(pegawai_id, kuis)
    state = status_of(pegawai_id, kuis)
    if state.passed:
        return "passed"
    if state.left == 0:
        return "no_attempts"
    return None


def record_offline_attempt(
    pegawai_id: int,
    version: KuisVersion,
    *,
    attempt_id: str,
    token_id: str,
    started_at: datetime,
    finished_at: datetime,
    entries: dict[str, Any],
) -> OfflineOutcome:
    """Grade an attempt a device took offline, exactly once however often it arrives.

    The attempt counts as the learner's next one, on ``version`` (the one its token
    names, even if the quiz changed since), under the rules an attempt started online
    follows when it arrives: not after a pass, not past the attempt limit, and one
    attempt per token. The time limit runs from the device's start; answers chosen after
    it are not taken. ``started_at``/``finished_at`` are the device's clock, already kept
    within the token's lifetime by the caller."""
    arrived = _arrived(attempt_id, pegawai_id)
    if arrived is not None:
        return arrived
    refusal = _offline_refusal(pegawai_id, version.kuis, token_id)
    if refusal is not None:
        # The same attempt, sent twice at once, may have been recorded by the other
        # request meanwhile (its pass, its attempt, its token): that one stands.
        return _arrived(attempt_id, pegawai_id) or OfflineOutcome(None, refused=refusal)
    attempt, result = _offline_attempt(
        pegawai_id, version, attempt_id, token_id, started_at, finished_at, entries
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # The same attempt arrived twice at once (two tabs, a retry): the first one stands.
        db.session.expire_all()
        again = db.session.get(Attempt, attempt_id)
        if again is not None and again.pegawai_id == pegawai_id:
            return OfflineOutcome(again, duplicate=True)
        if db.session.scalar(select(Attempt.id).where(Attempt.offline_token == token_id)):
            return OfflineOutcome(None, refused="used")
        # Another attempt took the same number a moment ago: nothing was kept; send again.
        raise DomainError(
            _("The attempt could not be recorded just now; it is sent again."), status=503
        ) from None
    _record_items(attempt, result)
    signals.quiz_submitted.send("quizzes", attempt=attempt, kursus_id=version.kuis.kursus_id)
    return OfflineOutcome(attempt)


def _offline_attempt(
    pegawai_id: int,
    version: KuisVersion,
    attempt_id: str,
    token_id: str,
    started_at: datetime,
    finished_at: datetime,
    entries: dict[str, Any],
) -> tuple[Attempt, grading.GradeResult]:
    """The attempt a device took offline, graded, as it is to be stored."""
    layout = layout_for(version, token_id)
    ids = {item["id"] for item in layout}
    questions = [q for q in version.questions if q["id"] in ids]
    limit = version.time_limit_minutes
    deadline = started_at + timedelta(minutes=limit) if limit else None
    answers, late = answers_in_time(questions, entries, deadline)
    late = late or (deadline is not None and finished_at > deadline + _grace())
    result = grading.grade(questions, answers)
    attempt = Attempt(
        id=attempt_id,
        pegawai_id=pegawai_id,
        kuis_id=version.kuis_id,
        kuis_version_id=version.id,
        number=_next_number(pegawai_id, version.kuis_id),
        started_at=started_at,
        deadline_at=deadline,
        layout=layout,
        offline_token=token_id,
        received_at=utcnow(),
        **_graded(version, result, answers, submitted_at=max(started_at, finished_at), late=late),
    )
    return attempt, result


def _record_items(attempt: Attempt, result: grading.GradeResult) -> None:
    """How each asked question was graded and what was chosen, for item analysis.
    Written only by the submission that closed the attempt, so once."""
    version_id = attempt.kuis_version_id
    for question in asked(attempt):
        qid = question["id"]
        graded = result.results[qid]
        db.session.add(
            AttemptItem(
                attempt_id=attempt.id,
                question_id=qid,
                kuis_version_id=version_id,
                answered=graded.answered,
                fraction=float(graded.fraction),
                points=float(graded.points),
                max_points=float(graded.max_points),
            )
        )
        for option_id in _chosen(question, attempt.answers.get(qid)):
            db.session.add(
                AttemptChoice(
                    attempt_id=attempt.id, question_id=qid, option_id=option_id, kuis_version_id=version_id
                )
            )
    db.session.flush()


def _chosen(question: dict[str, Any], answer: Any) -> list[str]:
    """What an answer chose, as item analysis counts it: option ids; "true" or "false";
    "<pair id>:<choice id>" for each pair of a matching question."""
    answer = grading.clean_answer(question, answer)
    if answer is None or question["type"] in ("short", "numeric"):
        return []
    if question["type"] == "matching":
        return [f"{pair}:{choice}" for pair, choice in answer.items()]
    return answer if isinstance(answer, list) else [answer]


def laid_out(attempt: Attempt) -> list[tuple[dict[str, Any], list[str]]]:
    """The attempt's questions in its order, each with its option ids in its order
    (for a matching question, its choices)."""
    questions = _questions_by_id(attempt)
    return [(questions[item["id"]], item["options"]) for item in attempt.layout]


@dataclass(frozen=True)
class PairReview:
    """One pair of a matching question on a result page."""

    html: str
    chosen: str | None  # the text of the choice made, if any
    correct: bool
    key: str  # the text of the right choice


@dataclass(frozen=True)
class ReviewItem:
    question: dict[str, Any]
    options: list[str]
    result: grading.QuestionResult
    given: Any  # the answer as stored, or None
    note: str  # the feedback written for that answer (true/false, short, numeric)
    pairs: list[PairReview]

    @property
    def partly(self) -> bool:
        return 0 < self.result.fraction < 1


def _pairs(question: dict[str, Any], given: Any) -> list[PairReview]:
    if question["type"] != "matching":
        return []
    texts = {c["id"]: c["text"] for c in question["choices"]}
    chosen = given if isinstance(given, dict) else {}
    return [
        PairReview(
            p["html"], texts.get(chosen.get(p["id"])), chosen.get(p["id"]) == p["choice"], texts[p["choice"]]
        )
        for p in question["pairs"]
    ]


def review(attempt: Attempt) -> list[ReviewItem]:
    """Each question of a submitted attempt with how it was graded."""
    answers = attempt.answers or {}
    graded = grading.grade(asked(attempt), answers)
    return [
        ReviewItem(
            question,
            options,
            graded.results[question["id"]],
            grading.clean_answer(question, answers.get(question["id"])),
            grading.answer_note(question, answers.get(question["id"])),
            _pairs(question, answers.get(question["id"])),
        )
        for question, options in laid_out(attempt)
    ]


def unanswered(attempt: Attempt, answers: dict[str, Any]) -> int:
    """How many of the attempt's questions have no answer in ``answers``."""
    return sum(1 for item in attempt.layout if item["id"] not in answers)


@dataclass(frozen=True)
class Feedback:
    """What a result page may show, by the quiz's feedback mode:

    - ``score``: the score and pass or fail only;
    - ``correctness``: also which questions were right, partly right or wrong (with the
      points a partly right answer earned), the learner's own answers, which pairs of a
      matching question they matched right, and the note written for the answer they
      gave (an option they chose, their true/false answer, the accepted short or numeric
      answer theirs matched), after every attempt. Never the correct answers. (Knowing that a true/false answer, or one of two options, was
      wrong tells the right one: choose ``score`` where that matters.)
    - ``keys``: like ``correctness``, and the correct answers (every accepted short or
      numeric answer, the right match of each pair) with each question's explanation once they can no longer help: when no attempt is open and none can be
      started (after a pass, or when every attempt is used).
    """

    correctness: bool
    keys: bool


def feedback_for(attempt: Attempt, state: QuizStatus) -> Feedback:
    mode = attempt.version.feedback
    return Feedback(correctness=mode in ("correctness", "keys"), keys=mode == "keys" and state.finished)


def best_percent(pegawai_id: int, kuis_id: int, since: datetime | None = None) -> float | None:
    return db.session.scalar(
        select(func.max(Attempt.percent)).where(
            Attempt.pegawai_id == pegawai_id,
            Attempt.kuis_id == kuis_id,
            Attempt.status == "submitted",
            counted_since(since),
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
