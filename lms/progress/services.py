"""Learning progress: enrolments, module and course completion, JP earned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lms import signals
from lms.catalog.models import Kursus, Modul
from lms.core import audit
from lms.core.db import chunked
from lms.core.errors import DomainError, NotFoundError
from lms.core.time import Period, local_today, utc_to_local_date, utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from lms.progress.models import CourseCompletion, Enrolment, ModuleCompletion, Pengembangan
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Kuis


def visible_course(slug: str, *, preview: bool = False) -> Kursus:
    """A course a learner may see: published, or any status for those who may preview."""
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == slug))
    if kursus is None or (kursus.status != "published" and not preview):
        raise NotFoundError(_("This course does not exist or is not published."))
    return kursus


def published_courses(search: str = "", *, drafts: bool = False) -> list[Kursus]:
    """The catalogue, optionally narrowed to courses whose title or summary holds ``search``;
    with ``drafts`` (trainers and admins), the courses not yet published too."""
    statuses = ("published", "draft") if drafts else ("published",)
    query = select(Kursus).where(Kursus.status.in_(statuses)).order_by(Kursus.status.desc(), Kursus.title)
    words = search.split()[:8]
    for word in words:
        query = query.where(
            or_(
                func.lower(Kursus.title).contains(word.lower(), autoescape=True),
                func.lower(Kursus.summary).contains(word.lower(), autoescape=True),
            )
        )
    return list(db.session.scalars(query))


def enrolment_for(pegawai_id: int, kursus_id: int) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(Enrolment.pegawai_id == pegawai_id, Enrolment.kursus_id == kursus_id)
    )


def enrol(pegawai_id: int, kursus: Kursus) -> Enrolment:
    """Self-enrolment; enrolling twice is harmless."""
    if not kursus.is_published:
        raise DomainError(_("Only published courses are open for enrolment."))
    existing = enrolment_for(pegawai_id, kursus.id)
    if existing:
        return existing
    enrolment = Enrolment(pegawai_id=pegawai_id, kursus_id=kursus.id, source="self")
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:
        return enrolment_for(pegawai_id, kursus.id)
    return enrolment


def assign(
    pegawai_id: int, kursus: Kursus, *, due_date: date | None, assigned_by_id: int | None
) -> Enrolment:
    """A course given to a learner with a due date; assigning again only updates the date."""
    enrolment = enrolment_for(pegawai_id, kursus.id)
    before = audit.snapshot(enrolment, ("source", "due_date")) if enrolment else None
    if enrolment is None:
        enrolment = Enrolment(pegawai_id=pegawai_id, kursus_id=kursus.id)
        db.session.add(enrolment)
    enrolment.source = "assigned"
    enrolment.due_date = due_date
    enrolment.assigned_by_id = assigned_by_id
    after = audit.snapshot(enrolment, ("source", "due_date"))
    if before != after:
        pegawai = db.session.get(Pegawai, pegawai_id)
        label = f"{pegawai.nama if pegawai else pegawai_id} · {kursus.title}"
        audit.record("kursus.assign", "pegawai", pegawai_id, label, before=before, after=after)
        db.session.flush()
        signals.courses_assigned.send(
            "progress", kursus=kursus, pegawai_ids=[pegawai_id], due_date=due_date, source="assigned"
        )
    return enrolment


@dataclass(frozen=True)
class AssignOutcome:
    created: int
    updated: int
    already_done: list[int]  # pegawai ids who completed the course: left untouched


def assign_many(
    pegawai_ids: list[int], kursus: Kursus, *, due_date: date | None, assigned_by_id: int | None
) -> AssignOutcome:
    """Assign a course to many people in a fixed number of queries. Assigning again only
    moves the due date; people who already completed it are left as they are."""
    if not kursus.is_published:
        raise DomainError(_("Only published courses can be assigned."), field="kursus")
    if due_date is not None and due_date < local_today():
        raise DomainError(_("The due date is in the past."), field="due_date")
    ids = sorted(set(pegawai_ids))
    if not ids:
        raise DomainError(_("Choose at least one person."), field="pegawai")
    # Done means done in the person's current cycle: a yearly course renewed for them
    # can be assigned again.
    done = set(
        db.session.scalars(
            select(CourseCompletion.pegawai_id)
            .outerjoin(
                Enrolment,
                and_(Enrolment.pegawai_id == CourseCompletion.pegawai_id, Enrolment.kursus_id == kursus.id),
            )
            .where(
                CourseCompletion.kursus_id == kursus.id,
                CourseCompletion.pegawai_id.in_(ids),
                CourseCompletion.cycle == func.coalesce(Enrolment.cycle, 1),
            )
        )
    )
    todo = [i for i in ids if i not in done]
    existing = {
        e.pegawai_id: e
        for e in db.session.scalars(
            select(Enrolment).where(Enrolment.kursus_id == kursus.id, Enrolment.pegawai_id.in_(todo))
        )
    }
    fields = ("source", "due_date")
    changes = {i: audit.snapshot(e, fields) for i, e in existing.items()}
    for enrolment in existing.values():
        enrolment.source = "assigned"
        enrolment.due_date = due_date
        enrolment.assigned_by_id = assigned_by_id
    new = [
        {
            "pegawai_id": i,
            "kursus_id": kursus.id,
            "source": "assigned",
            "due_date": due_date,
            "assigned_by_id": assigned_by_id,
            "enrolled_at": utcnow(),
        }
        for i in todo
        if i not in existing
    ]
    if new:
        db.session.execute(Enrolment.__table__.insert(), new)
    db.session.flush()
    after = audit.plain({"source": "assigned", "due_date": due_date})
    changes = {i: audit.changed(b, after) for i, b in changes.items() if b != after}
    changes.update({row["pegawai_id"]: (None, after) for row in new})
    if changes:
        people = select(Pegawai.id, Pegawai.nama).where(Pegawai.id.in_(list(changes)))
        names = dict(db.session.execute(people).all())
        audit.record_many(
            [
                {
                    "action": "kursus.assign",
                    "target_type": "pegawai",
                    "target_id": i,
                    "label": f"{names.get(i, i)} · {kursus.title}",
                    "before": b,
                    "after": a,
                }
                for i, (b, a) in sorted(changes.items())
            ]
        )
        signals.courses_assigned.send(
            "progress", kursus=kursus, pegawai_ids=sorted(changes), due_date=due_date, source="assigned"
        )
    return AssignOutcome(created=len(new), updated=len(existing), already_done=sorted(done))


def require_enrolment(pegawai_id: int, kursus: Kursus) -> Enrolment:
    enrolment = enrolment_for(pegawai_id, kursus.id)
    if enrolment is None:
        raise DomainError(_("Enrol in the course first."), status=403)
    return enrolment


def done_module_ids(pegawai_id: int, kursus_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(ModuleCompletion.modul_id)
            .join(Modul, Modul.id == ModuleCompletion.modul_id)
            .where(ModuleCompletion.pegawai_id == pegawai_id, Modul.kursus_id == kursus_id)
        )
    )


def complete_module(pegawai_id: int, modul: Modul) -> bool:
    """Mark a module read. Returns False when it already was."""
    require_enrolment(pegawai_id, modul.kursus)
    if modul.id in done_module_ids(pegawai_id, modul.kursus_id):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ModuleCompletion(pegawai_id=pegawai_id, modul_id=modul.id))
    except IntegrityError:
        return False
    signals.module_completed.send("progress", pegawai_id=pegawai_id, modul=modul)
    check_course_completion(pegawai_id, modul.kursus)
    return True


def current_cycle(pegawai_id, kursus_id):
    """The learner's current pass at a course, as a scalar SELECT (NULL: not enrolled).
    Values or SQL columns, so one query can ask it for many rows."""
    mine = aliased(Enrolment)  # never correlated with an enrolment of the outer query
    return (
        select(mine.cycle).where(mine.pegawai_id == pegawai_id, mine.kursus_id == kursus_id).scalar_subquery()
    )


def _pass_start(pegawai_id, kursus_id):
    mine = aliased(Enrolment)
    return (
        select(mine.cycle_started_at)
        .where(mine.pegawai_id == pegawai_id, mine.kursus_id == kursus_id)
        .scalar_subquery()
    )


# Quiz attempts from before a course was renewed no longer count (see renew).
quizzes.register_pass_start(_pass_start)


def completion_for(pegawai_id: int, kursus_id: int) -> CourseCompletion | None:
    """The completion of the learner's current pass (a renewed course starts a new one;
    the earlier passes' completions stay as history)."""
    return db.session.scalar(
        select(CourseCompletion).where(
            CourseCompletion.pegawai_id == pegawai_id,
            CourseCompletion.kursus_id == kursus_id,
            CourseCompletion.cycle == func.coalesce(current_cycle(pegawai_id, kursus_id), 1),
        )
    )


def check_course_completion(pegawai_id: int, kursus: Kursus) -> CourseCompletion | None:
    """Record the completion when every module is done and the quiz (if any) is passed."""
    existing = completion_for(pegawai_id, kursus.id)
    if existing:
        return existing
    if len(done_module_ids(pegawai_id, kursus.id)) < len(kursus.moduls):
        return None
    kuis = quizzes.quiz_for_course(kursus.id)
    score = None
    if kuis is not None:
        # An attempt whose time ran out is graded now; if it passed, grading it has just
        # recorded the completion (through quiz_submitted).
        if quizzes.close_expired(pegawai_id, kuis) and (existing := completion_for(pegawai_id, kursus.id)):
            return existing
        state = quizzes.status_of(pegawai_id, kuis)
        if not state.passed:
            return None
        score = state.best.percent
    enrolment = enrolment_for(pegawai_id, kursus.id)
    completion = CourseCompletion(
        pegawai_id=pegawai_id,
        kursus_id=kursus.id,
        cycle=enrolment.cycle if enrolment else 1,
        kursus_version=kursus.version,
        jp=kursus.jp,
        score=score,
        completed_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        return completion_for(pegawai_id, kursus.id)
    signals.course_completed.send("progress", completion=completion)
    return completion


@signals.quiz_submitted.connect
def _on_quiz_submitted(sender, attempt: Attempt, kursus_id: int, **extra):
    if attempt.passed:
        kursus = db.session.get(Kursus, kursus_id)
        check_course_completion(attempt.pegawai_id, kursus)


# --- passes: a course done again ---------------------------------------------------------


def forget(model, pegawai_ids) -> None:
    """Expire the loaded rows of ``model`` for these people after a bulk statement wrote
    to them behind the session's back, so nobody reads a stale value."""
    wanted = set(pegawai_ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and obj.pegawai_id in wanted:
            db.session.expire(obj)


def renew(
    pegawai_id: int, kursus: Kursus, cycle: int, started_at: datetime, due_date: date | None = None
) -> None:
    """Start a new pass at a course the learner completed (a yearly mandatory course):
    the enrolment moves to ``cycle`` from ``started_at`` with the new due date; the modules
    read are to be read again, and only quiz attempts started from ``started_at`` count.
    The earlier pass's completion stays, with its JP and certificate; the next one is
    recorded with the new cycle."""
    renew_many(kursus, {pegawai_id: (cycle, due_date)}, started_at)


def renew_many(kursus: Kursus, passes: dict[int, tuple[int, date | None]], started_at: datetime) -> int:
    """``renew`` for many learners (pegawai id: (cycle, due date)) in a fixed number of
    statements per 5,000 people. Only existing enrolments are renewed."""
    if not passes:
        return 0
    db.session.flush()
    table = Enrolment.__table__
    db.session.execute(
        update(table)
        .where(table.c.pegawai_id == bindparam("pid"), table.c.kursus_id == kursus.id)
        .values(cycle=bindparam("new_cycle"), cycle_started_at=started_at, due_date=bindparam("due")),
        [{"pid": pid, "new_cycle": cycle, "due": due} for pid, (cycle, due) in sorted(passes.items())],
    )
    modules = select(Modul.id).where(Modul.kursus_id == kursus.id)
    ids = sorted(passes)
    for part in chunked(ids):
        db.session.execute(
            delete(ModuleCompletion)
            .where(ModuleCompletion.pegawai_id.in_(part), ModuleCompletion.modul_id.in_(modules))
            .execution_options(synchronize_session="fetch")
        )
    forget(Enrolment, ids)
    return len(ids)


def jp_rows(period: Period, people=None):
    """The JP rule, the one place it is written: a row (pegawai_id, jp) for every course
    completed in the period (by completion time in the agency's zone) and every verified
    development record that ended in it. Each counts once by construction: one completion
    per course, one row per record. ``people`` (ids, or a SELECT of ids) narrows it.
    Home, profile, team view and monitoring all sum these rows."""
    lo, hi = period.utc_bounds()
    courses = select(CourseCompletion.pegawai_id.label("pegawai_id"), CourseCompletion.jp.label("jp")).where(
        CourseCompletion.completed_at >= lo, CourseCompletion.completed_at < hi
    )
    other = select(Pengembangan.pegawai_id, Pengembangan.jp).where(
        Pengembangan.status == "verified",
        Pengembangan.tanggal_selesai >= period.start,
        Pengembangan.tanggal_selesai < period.end,
    )
    if people is not None:
        courses = courses.where(CourseCompletion.pegawai_id.in_(people))
        other = other.where(Pengembangan.pegawai_id.in_(people))
    return courses.union_all(other).subquery("jp_rows")


def jp_by_person(period: Period, people=None):
    """JP per person in the period: a subquery (pegawai_id, jp) to join in reports."""
    rows = jp_rows(period, people)
    return (
        select(rows.c.pegawai_id, func.sum(rows.c.jp).label("jp")).group_by(rows.c.pegawai_id).subquery("jp")
    )


def jp_in_year(pegawai_id: int, year: int) -> int:
    rows = jp_rows(Period.year(year), [pegawai_id])
    return int(db.session.scalar(select(func.coalesce(func.sum(rows.c.jp), 0))))


@dataclass(frozen=True)
class LedgerEntry:
    day: date
    title: str
    kind: str  # "kursus" or a development jenis
    jp: int
    counted: bool  # False for development records not (yet) verified
    status: str  # "completed" | "pending" | "verified" | "rejected"
    score: float | None = None
    slug: str | None = None
    record_id: str | None = None


def ledger(pegawai_id: int) -> list[LedgerEntry]:
    """The whole development history, newest first, in two queries."""
    entries = [
        LedgerEntry(
            day=utc_to_local_date(completed_at),
            title=title,
            kind="kursus",
            jp=jp,
            counted=True,
            status="completed",
            score=score,
            slug=slug,
        )
        for completed_at, title, slug, jp, score in db.session.execute(
            select(
                CourseCompletion.completed_at,
                Kursus.title,
                Kursus.slug,
                CourseCompletion.jp,
                CourseCompletion.score,
            )
            .join(Kursus, Kursus.id == CourseCompletion.kursus_id)
            .where(CourseCompletion.pegawai_id == pegawai_id)
        )
    ]
    entries += [
        LedgerEntry(
            day=r.tanggal_selesai,
            title=r.judul,
            kind=r.jenis,
            jp=r.jp,
            counted=r.status == "verified",
            status=r.status,
            record_id=r.id,
        )
        for r in db.session.scalars(select(Pengembangan).where(Pengembangan.pegawai_id == pegawai_id))
    ]
    return sorted(entries, key=lambda e: (e.day, e.title), reverse=True)


@dataclass(frozen=True)
class CourseProgress:
    kursus: Kursus
    enrolment: Enrolment | None
    modules_done: int
    modules_total: int
    quiz_passed: bool | None  # None: the course has no quiz
    completion: CourseCompletion | None
    next_module: str | None = None  # slug of the first module not yet read

    @property
    def steps_total(self) -> int:
        return self.modules_total + (0 if self.quiz_passed is None else 1)

    @property
    def steps_done(self) -> int:
        return self.modules_done + (1 if self.quiz_passed else 0)

    @property
    def percent(self) -> int:
        if self.completion:
            return 100
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def overdue(self) -> bool:
        due = self.enrolment.due_date if self.enrolment else None
        return bool(due and not self.completion and due < local_today())


def my_courses(pegawai_id: int) -> list[CourseProgress]:
    """Every course the learner is enrolled in or completed, in four queries whatever the count."""
    enrolments = {
        e.kursus_id: e
        for e in db.session.scalars(select(Enrolment).where(Enrolment.pegawai_id == pegawai_id))
    }
    # The completion of each course's current pass; a course not enrolled in, its last.
    completions = {}
    for c in db.session.scalars(
        select(CourseCompletion)
        .where(CourseCompletion.pegawai_id == pegawai_id)
        .order_by(CourseCompletion.cycle)
    ):
        enrolment = enrolments.get(c.kursus_id)
        if enrolment is None or c.cycle == enrolment.cycle:
            completions[c.kursus_id] = c
        else:
            completions.setdefault(c.kursus_id, None)
    ids = set(enrolments) | set(completions)
    if not ids:
        return []
    read = exists().where(ModuleCompletion.modul_id == Modul.id, ModuleCompletion.pegawai_id == pegawai_id)
    rows = db.session.execute(
        select(
            Kursus,
            select(func.count(Modul.id)).where(Modul.kursus_id == Kursus.id).scalar_subquery(),
            select(func.count(ModuleCompletion.id))
            .join(Modul, Modul.id == ModuleCompletion.modul_id)
            .where(Modul.kursus_id == Kursus.id, ModuleCompletion.pegawai_id == pegawai_id)
            .scalar_subquery(),
            select(Modul.slug)
            .where(Modul.kursus_id == Kursus.id, ~read)
            .order_by(Modul.position)
            .limit(1)
            .scalar_subquery(),
        ).where(Kursus.id.in_(ids))
    ).all()
    quiz_rows = db.session.execute(
        select(Kuis.kursus_id, func.max(Attempt.passed.cast(db.Integer)))
        .outerjoin(
            Attempt,
            (Attempt.kuis_id == Kuis.id) & (Attempt.pegawai_id == pegawai_id) & quizzes.counted_since(),
        )
        .where(Kuis.kursus_id.in_(ids))
        .group_by(Kuis.kursus_id)
    ).all()
    passed = {kursus_id: bool(value) for kursus_id, value in quiz_rows}
    result = [
        CourseProgress(
            kursus=kursus,
            enrolment=enrolments.get(kursus.id),
            modules_done=done,
            modules_total=total,
            quiz_passed=passed.get(kursus.id) if kursus.id in passed else None,
            completion=completions.get(kursus.id),
            next_module=next_slug,
        )
        for kursus, total, done, next_slug in rows
    ]
    far = date.max
    return sorted(
        result,
        key=lambda p: (p.enrolment.due_date if p.enrolment and p.enrolment.due_date else far, p.kursus.title),
    )


def jp_target() -> int:
    return current_app.config["JP_TARGET_PER_YEAR"]
