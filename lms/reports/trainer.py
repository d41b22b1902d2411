"""The trainer's views of his courses, as aggregate queries: the list of courses he
teaches, each course's results per learner, and item analysis of a quiz version.

Every function runs a fixed number of SQL statements whatever the number of learners,
attempts or courses: each per-learner or per-question figure is a grouped subquery
joined to the set it describes, never a loop over people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import escape
from sqlalchemy import (
    DateTime,
    Float,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    union_all,
)

from lms.catalog.models import Kursus, Modul
from lms.catalog.services import owned_course_ids
from lms.extensions import db
from lms.org.models import Pegawai, UnitKerja
from lms.progress.models import CourseCompletion, Enrolment, ModuleCompletion
from lms.quizzes.models import Attempt, AttemptChoice, AttemptItem, Kuis, KuisVersion

PAGE_SIZE = 50
SORTS = ("name", "score", "last")
BUCKETS = 10  # the score histogram: 0–10, 10–20, … 90–100 (100 in the last)
# Item analysis: below this many attempts the figures say little, and an option nobody
# picked is no sign of a bad distractor.
MIN_RELIABLE = 20
GROUP_PERCENT = 27  # Kelley's upper and lower groups
CHOICE_TYPES = ("single", "multiple", "truefalse")


def _materialized(query: Select, name: str):
    """A CTE the database computes once (PostgreSQL 12+ and SQLite 3.35+ honour the hint)."""
    return query.cte(name).prefix_with("MATERIALIZED")


def _flag(condition):
    """1 where ``condition`` holds, else 0: a boolean both databases can sum."""
    return case((condition, 1), else_=0)


# --- the courses a trainer teaches --------------------------------------------------------


@dataclass(frozen=True)
class CourseFigures:
    id: int
    slug: str
    title: str
    status: str
    has_quiz: bool
    enrolled: int
    completed: int
    average_best: float | None  # mean over learners of their best attempt percent
    recent_attempts: int  # submitted since ``since``

    @property
    def completion_rate(self) -> float | None:
        return 100 * self.completed / self.enrolled if self.enrolled else None


def trainer_courses(user, *, since: datetime) -> list[CourseFigures]:
    """The courses ``user`` owns (every course for an admin), any status, with their
    figures: one query whatever the number of courses."""
    owned = owned_course_ids(user)
    enrolled = (
        select(Enrolment.kursus_id.label("kid"), func.count().label("n"))
        .where(Enrolment.kursus_id.in_(owned))
        .group_by(Enrolment.kursus_id)
        .subquery("enrolled")
    )
    # People, not completions: a yearly course is completed again in each cycle.
    completed = (
        select(
            CourseCompletion.kursus_id.label("kid"),
            func.count(distinct(CourseCompletion.pegawai_id)).label("n"),
        )
        .where(CourseCompletion.kursus_id.in_(owned))
        .group_by(CourseCompletion.kursus_id)
        .subquery("completed")
    )
    submitted = Attempt.status == "submitted"
    per_learner = (
        select(
            Kuis.kursus_id.label("kid"),
            func.max(case((submitted, Attempt.percent))).label("best"),
            func.sum(_flag(and_(submitted, Attempt.submitted_at >= since))).label("recent"),
        )
        .join(Kuis, Kuis.id == Attempt.kuis_id)
        .where(Kuis.kursus_id.in_(owned))
        .group_by(Kuis.kursus_id, Attempt.pegawai_id)
        .subquery("per_learner")
    )
    attempts = (
        select(
            per_learner.c.kid,
            func.avg(per_learner.c.best).label("average"),
            func.sum(per_learner.c.recent).label("recent"),
        )
        .group_by(per_learner.c.kid)
        .subquery("attempts")
    )
    rows = db.session.execute(
        select(
            Kursus.id,
            Kursus.slug,
            Kursus.title,
            Kursus.status,
            Kuis.id.is_not(None).label("has_quiz"),
            func.coalesce(enrolled.c.n, 0),
            func.coalesce(completed.c.n, 0),
            attempts.c.average,
            func.coalesce(attempts.c.recent, 0),
        )
        .outerjoin(Kuis, Kuis.kursus_id == Kursus.id)
        .outerjoin(enrolled, enrolled.c.kid == Kursus.id)
        .outerjoin(completed, completed.c.kid == Kursus.id)
        .outerjoin(attempts, attempts.c.kid == Kursus.id)
        .where(Kursus.id.in_(owned))
        .order_by(func.lower(Kursus.title), Kursus.id)
    )
    return [
        CourseFigures(
            kid,
            slug,
            title,
            status,
            bool(has_quiz),
            enrolled_n,
            completed_n,
            float(average) if average is not None else None,
            int(recent),
        )
        for kid, slug, title, status, has_quiz, enrolled_n, completed_n, average, recent in rows
    ]


# --- a course's results ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilters:
    q: str = ""
    sort: str = "name"


@dataclass(frozen=True)
class LearnerRow:
    pegawai_id: int
    nama: str
    nip: str
    unit: str
    enrolled_at: datetime | None
    modules_done: int
    attempts: int  # started, open ones included: what counts against the limit
    best: float | None  # best percent of the submitted attempts
    last_attempt: datetime | None  # when the latest attempt was started
    passed: bool
    completed_at: datetime | None


@dataclass(frozen=True)
class ResultSummary:
    learners: int  # enrolled or with attempts
    enrolled: int
    completed: int
    passed: int
    scored: int  # learners with a submitted attempt
    average: float | None
    median: float | None
    histogram: list[int]  # learners per score band of 10 points; 100 in the last


@dataclass
class ResultsView:
    rows: list[LearnerRow]
    total: int  # rows matching the filters
    page: int
    pages: int
    modules_total: int
    summary: ResultSummary


def _learner_figures(kursus_id: int, kuis_id: int | None):
    """One row per learner of the course (enrolled, or with an attempt at its quiz) with
    every figure of the results page, as a CTE computed once per statement.

    One row per fact (an enrolment, a module done, an attempt, the completion), all
    grouped by learner at once: each table is read once, and the planner's estimate stays
    near the real row count. A chain of outer joins of grouped subqueries is estimated
    at a hundred times the rows and makes PostgreSQL spend 30 ms compiling it (JIT)."""
    nothing_at = cast(None, DateTime)
    no_score = cast(None, Float)
    facts = [
        select(
            Enrolment.pegawai_id.label("pid"),
            Enrolment.enrolled_at.label("enrolled_at"),
            literal(0).label("module"),
            literal(0).label("attempt"),
            no_score.label("percent"),
            nothing_at.label("started_at"),
            literal(0).label("passed"),
            nothing_at.label("completed_at"),
        ).where(Enrolment.kursus_id == kursus_id),
        select(
            ModuleCompletion.pegawai_id,
            nothing_at,
            literal(1),
            literal(0),
            no_score,
            nothing_at,
            literal(0),
            nothing_at,
        )
        .join(Modul, Modul.id == ModuleCompletion.modul_id)
        .where(Modul.kursus_id == kursus_id),
        select(
            CourseCompletion.pegawai_id,
            nothing_at,
            literal(0),
            literal(0),
            no_score,
            nothing_at,
            literal(0),
            CourseCompletion.completed_at,
        ).where(CourseCompletion.kursus_id == kursus_id),
    ]
    if kuis_id is not None:
        facts.append(
            select(
                Attempt.pegawai_id,
                nothing_at,
                literal(0),
                literal(1),
                case((Attempt.status == "submitted", Attempt.percent)),
                Attempt.started_at,
                _flag(Attempt.passed.is_(True)),
                nothing_at,
            ).where(Attempt.kuis_id == kuis_id)
        )
    fact = union_all(*facts).subquery("facts")
    return _materialized(
        select(
            fact.c.pid,
            func.max(fact.c.enrolled_at).label("enrolled_at"),
            func.sum(fact.c.module).label("modules_done"),
            func.sum(fact.c.attempt).label("attempts"),
            func.max(fact.c.percent).label("best"),
            func.max(fact.c.started_at).label("last_attempt"),
            func.max(fact.c.passed).label("passed"),
            func.max(fact.c.completed_at).label("completed_at"),
        )
        .group_by(fact.c.pid)
        # Modules done or a completion alone do not make a learner of the course.
        .having(or_(func.count(fact.c.enrolled_at) > 0, func.sum(fact.c.attempt) > 0)),
        "learners",
    )


def _order(figures, sort: str) -> list:
    """Name A–Z; or best score, highest first; or latest attempt, newest first. Learners
    without a score or an attempt come last; ties by name."""
    by_name = [func.lower(Pegawai.nama), Pegawai.id]
    if sort == "score":
        return [figures.c.best.is_(None), figures.c.best.desc(), *by_name]
    if sort == "last":
        return [figures.c.last_attempt.is_(None), figures.c.last_attempt.desc(), *by_name]
    return by_name


def _matching(query: Select, q: str) -> Select:
    if not q:
        return query
    return query.where(
        or_(
            func.lower(Pegawai.nama).contains(q.lower(), autoescape=True),
            Pegawai.nip.startswith("".join(q.split()), autoescape=True),
        )
    )


def course_results(
    kursus: Kursus, kuis_id: int | None, filters: ResultFilters, *, page: int = 1
) -> ResultsView:
    """A page of learners with their figures, and the course's summary: two queries
    whatever the number of learners (three when asked for a page past the end)."""
    figures = _learner_figures(kursus.id, kuis_id)
    query = _matching(
        select(
            figures.c.pid.label("pegawai_id"),
            Pegawai.nama,
            Pegawai.nip,
            UnitKerja.nama.label("unit"),
            figures.c.enrolled_at,
            figures.c.modules_done,
            figures.c.attempts,
            figures.c.best,
            figures.c.last_attempt,
            figures.c.passed,
            figures.c.completed_at,
        )
        .join(Pegawai, Pegawai.id == figures.c.pid)
        .join(UnitKerja, UnitKerja.id == Pegawai.unit_id),
        filters.q,
    )
    paged = query.add_columns(func.count().over().label("total")).order_by(*_order(figures, filters.sort))
    page = max(page, 1)
    result = db.session.execute(paged.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if not result and page > 1:
        counted = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = max(1, -(-counted // PAGE_SIZE))
        result = db.session.execute(paged.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    total = result[0].total if result else 0
    rows = [
        LearnerRow(
            row.pegawai_id,
            row.nama,
            row.nip,
            row.unit,
            row.enrolled_at,
            row.modules_done,
            row.attempts,
            row.best,
            row.last_attempt,
            bool(row.passed),
            row.completed_at,
        )
        for row in result
    ]
    return ResultsView(
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        modules_total=kursus.module_count or 0,
        summary=_summary(_learner_figures(kursus.id, kuis_id)),
    )


def _band(best, number: int):
    low = best >= number * 100 / BUCKETS
    return low if number == BUCKETS - 1 else and_(low, best < (number + 1) * 100 / BUCKETS)


def _summary(figures) -> ResultSummary:
    """Counts, mean, median and the histogram of best scores, in one statement: the
    median is the mean of the middle one or two of the ranked scores."""
    ranked = (
        select(
            figures.c.best,
            func.row_number().over(order_by=figures.c.best).label("rn"),
            func.count().over().label("n"),
        )
        .where(figures.c.best.is_not(None))
        .subquery("ranked")
    )
    middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    median = select(func.avg(ranked.c.best)).where(middle).scalar_subquery()
    best = figures.c.best
    row = db.session.execute(
        select(
            func.count(),
            func.count(figures.c.enrolled_at),
            func.count(figures.c.completed_at),
            func.coalesce(func.sum(figures.c.passed), 0),
            func.count(best),
            func.avg(best),
            median,
            *(func.coalesce(func.sum(_flag(_band(best, i))), 0) for i in range(BUCKETS)),
        )
    ).one()
    learners, enrolled, completed, passed, scored, average, median_value, *bands = row
    return ResultSummary(
        learners=learners,
        enrolled=enrolled,
        completed=completed,
        passed=int(passed),
        scored=scored,
        average=float(average) if average is not None else None,
        median=float(median_value) if median_value is not None else None,
        histogram=[int(b) for b in bands],
    )


@dataclass(frozen=True)
class AttemptRow:
    nama: str
    nip: str
    unit: str
    number: int
    version: int
    started_at: datetime
    submitted_at: datetime | None
    score: float | None
    max_score: float | None
    percent: float | None
    passed: bool | None
    late: bool


def attempt_rows(kuis_id: int | None) -> list[AttemptRow]:
    """Every attempt at the quiz, by learner name then attempt number: one query."""
    if kuis_id is None:
        return []
    result = db.session.execute(
        select(
            Pegawai.nama,
            Pegawai.nip,
            UnitKerja.nama,
            Attempt.number,
            KuisVersion.number,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.max_score,
            Attempt.percent,
            Attempt.passed,
            Attempt.late,
        )
        .join(Pegawai, Pegawai.id == Attempt.pegawai_id)
        .join(UnitKerja, UnitKerja.id == Pegawai.unit_id)
        .join(KuisVersion, KuisVersion.id == Attempt.kuis_version_id)
        .where(Attempt.kuis_id == kuis_id)
        .order_by(func.lower(Pegawai.nama), Pegawai.id, Attempt.number)
    )
    return [AttemptRow(*row) for row in result]


# --- item analysis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionFigures:
    version: KuisVersion
    attempts: int  # submitted
    learners: int  # with a submitted attempt


@dataclass(frozen=True)
class OptionFigure:
    id: str
    text: str  # for true/false "true" or "false": the page words it
    correct: bool
    chosen: int
    share: float | None  # of the attempts asked the question


@dataclass
class ItemFigure:
    position: int
    question: dict[str, Any]
    asked: int  # first attempts that drew the question
    answered: int
    correct: int  # answered fully right
    share_correct: float | None  # mean fraction of the points
    upper: float | None  # mean fraction in the upper group
    lower: float | None
    options: list[OptionFigure] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def discrimination(self) -> float | None:
        if self.upper is None or self.lower is None:
            return None
        return self.upper - self.lower

    @property
    def is_choice(self) -> bool:
        return self.question.get("type") in CHOICE_TYPES


@dataclass
class ItemAnalysis:
    version: KuisVersion
    learners: int  # first attempts counted
    group_size: int  # learners in each of the upper and lower groups
    items: list[ItemFigure]

    @property
    def reliable(self) -> bool:
        return self.learners >= MIN_RELIABLE


def versions_of(kuis_id: int) -> list[VersionFigures]:
    """The quiz's versions, newest first, with their submitted attempts: one query."""
    counts = (
        select(
            Attempt.kuis_version_id.label("vid"),
            func.count().label("attempts"),
            func.count(func.distinct(Attempt.pegawai_id)).label("learners"),
        )
        .where(Attempt.kuis_id == kuis_id, Attempt.status == "submitted")
        .group_by(Attempt.kuis_version_id)
        .subquery("counts")
    )
    rows = db.session.execute(
        select(KuisVersion, func.coalesce(counts.c.attempts, 0), func.coalesce(counts.c.learners, 0))
        .outerjoin(counts, counts.c.vid == KuisVersion.id)
        .where(KuisVersion.kuis_id == kuis_id)
        .order_by(KuisVersion.number.desc())
    ).all()
    return [VersionFigures(version, attempts, learners) for version, attempts, learners in rows]


def default_version(versions: list[VersionFigures]) -> VersionFigures | None:
    """The latest version with submitted attempts, else the latest."""
    return next((v for v in versions if v.attempts), versions[0] if versions else None)


def group_size(learners: int) -> int:
    """27% of the learners, rounded half up: 3 of 10, 27 of 100."""
    return (GROUP_PERCENT * learners + 50) // 100


def _ranked_first_attempts(version_id: int):
    """Each learner's first submitted attempt on the version, ranked by its percent both
    ways, with whether it is in the upper or the lower group: a CTE computed once."""
    numbered = (
        select(
            Attempt.id,
            Attempt.percent,
            func.row_number()
            .over(partition_by=Attempt.pegawai_id, order_by=(Attempt.submitted_at, Attempt.number))
            .label("nth"),
        )
        .where(Attempt.kuis_version_id == version_id, Attempt.status == "submitted")
        .subquery("numbered")
    )
    percent = func.coalesce(numbered.c.percent, 0)
    ranked = (
        select(
            numbered.c.id,
            func.row_number().over(order_by=(percent.desc(), numbered.c.id)).label("from_top"),
            func.row_number().over(order_by=(percent, numbered.c.id.desc())).label("from_bottom"),
            func.count().over().label("n"),
        )
        .where(numbered.c.nth == 1)
        .subquery("ranked")
    )
    # rank <= round(0.27 n) without division, the same on both databases.
    limit = ranked.c.n * GROUP_PERCENT + 50
    return _materialized(
        select(
            ranked.c.id,
            _flag(ranked.c.from_top * 100 <= limit).label("upper"),
            _flag(ranked.c.from_bottom * 100 <= limit).label("lower"),
        ),
        "firsts",
    )


def item_analysis(figures: VersionFigures) -> ItemAnalysis:
    """Per question of the version: two queries (items, chosen options) whatever the
    number of attempts. Each learner counts once, with their first submitted attempt."""
    version = figures.version
    firsts = _ranked_first_attempts(version.id)
    fraction = AttemptItem.fraction
    items = {
        row.question_id: row
        for row in db.session.execute(
            select(
                AttemptItem.question_id,
                func.count().label("asked"),
                func.sum(_flag(AttemptItem.answered.is_(True))).label("answered"),
                func.sum(_flag(fraction >= 1)).label("correct"),
                func.avg(fraction).label("share"),
                func.avg(case((firsts.c.upper == 1, fraction))).label("upper"),
                func.avg(case((firsts.c.lower == 1, fraction))).label("lower"),
            )
            .join(firsts, firsts.c.id == AttemptItem.attempt_id)
            .where(AttemptItem.kuis_version_id == version.id)
            .group_by(AttemptItem.question_id)
        )
    }
    chosen: dict[tuple[str, str], int] = {
        (qid, oid): n
        for qid, oid, n in db.session.execute(
            select(AttemptChoice.question_id, AttemptChoice.option_id, func.count())
            .join(firsts, firsts.c.id == AttemptChoice.attempt_id)
            .where(AttemptChoice.kuis_version_id == version.id)
            .group_by(AttemptChoice.question_id, AttemptChoice.option_id)
        )
    }
    learners = figures.learners
    return ItemAnalysis(
        version=version,
        learners=learners,
        group_size=group_size(learners),
        items=[
            _item(position, question, items.get(question["id"]), chosen)
            for position, question in enumerate(version.questions, start=1)
        ],
    )


def _options(question: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(id, text, correct) of each option a learner can choose; the text as the learner saw
    it (the option's sanitised HTML)."""
    if question.get("type") == "truefalse":
        answer = bool(question.get("answer"))
        return [("true", "true", answer), ("false", "false", not answer)]
    return [
        (o["id"], o.get("html") or str(escape(o.get("text", ""))), bool(o.get("correct")))
        for o in question.get("options", ())
    ]


def _item(position: int, question: dict[str, Any], row, chosen: dict[tuple[str, str], int]) -> ItemFigure:
    asked = row.asked if row is not None else 0
    item = ItemFigure(
        position=position,
        question=question,
        asked=asked,
        answered=int(row.answered or 0) if row is not None else 0,
        correct=int(row.correct or 0) if row is not None else 0,
        share_correct=float(row.share) if row is not None and row.share is not None else None,
        upper=float(row.upper) if row is not None and row.upper is not None else None,
        lower=float(row.lower) if row is not None and row.lower is not None else None,
    )
    if item.is_choice:
        for oid, text, correct in _options(question):
            n = chosen.get((question["id"], oid), 0)
            item.options.append(OptionFigure(oid, text, correct, n, n / asked if asked else None))
    item.flags = _flags(item)
    return item


def _flags(item: ItemFigure) -> list[str]:
    """What a trainer should look at, by name (the page words them)."""
    if not item.asked:
        return []
    flags = []
    if item.correct == 0:
        flags.append("none_correct")
    if item.correct == item.asked:
        flags.append("all_correct")
    if item.discrimination is not None and item.discrimination < 0:
        flags.append("negative_discrimination")
    if item.asked >= MIN_RELIABLE and any(o.chosen == 0 for o in item.options):
        flags.append("unused_option")
    return flags
