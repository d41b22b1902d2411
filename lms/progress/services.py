"""Learning progress: enrolments, module and course completion, JP earned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms import signals
from lms.catalog.models import Kursus, Modul
from lms.core.errors import DomainError, NotFound
from lms.core.time import local_today, utcnow, year_bounds_utc
from lms.extensions import db
from lms.progress.models import CourseCompletion, Enrolment, ModuleCompletion
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Kuis


def visible_course(slug: str, *, preview: bool = False) -> Kursus:
    """A course a learner may see: published, or any status for those who may preview."""
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == slug))
    if kursus is None or (kursus.status != "published" and not preview):
        raise NotFound(_("This course does not exist or is not published."))
    return kursus


def published_courses() -> list[Kursus]:
    return list(db.session.scalars(select(Kursus).where(Kursus.status == "published").order_by(Kursus.title)))


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
    if enrolment is None:
        enrolment = Enrolment(pegawai_id=pegawai_id, kursus_id=kursus.id)
        db.session.add(enrolment)
    enrolment.source = "assigned"
    enrolment.due_date = due_date
    enrolment.assigned_by_id = assigned_by_id
    return enrolment


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


def completion_for(pegawai_id: int, kursus_id: int) -> CourseCompletion | None:
    return db.session.scalar(
        select(CourseCompletion).where(
            CourseCompletion.pegawai_id == pegawai_id, CourseCompletion.kursus_id == kursus_id
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
        state = quizzes.status_of(pegawai_id, kuis)
        if not state.passed:
            return None
        score = state.best.percent
    completion = CourseCompletion(
        pegawai_id=pegawai_id,
        kursus_id=kursus.id,
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


def jp_in_year(pegawai_id: int, year: int) -> int:
    start, end = year_bounds_utc(year)
    return db.session.scalar(
        select(func.coalesce(func.sum(CourseCompletion.jp), 0)).where(
            CourseCompletion.pegawai_id == pegawai_id,
            CourseCompletion.completed_at >= start,
            CourseCompletion.completed_at < end,
        )
    )


@dataclass(frozen=True)
class CourseProgress:
    kursus: Kursus
    enrolment: Enrolment | None
    modules_done: int
    modules_total: int
    quiz_passed: bool | None  # None: the course has no quiz
    completion: CourseCompletion | None

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
    completions = {
        c.kursus_id: c
        for c in db.session.scalars(select(CourseCompletion).where(CourseCompletion.pegawai_id == pegawai_id))
    }
    ids = set(enrolments) | set(completions)
    if not ids:
        return []
    rows = db.session.execute(
        select(
            Kursus,
            select(func.count(Modul.id)).where(Modul.kursus_id == Kursus.id).scalar_subquery(),
            select(func.count(ModuleCompletion.id))
            .join(Modul, Modul.id == ModuleCompletion.modul_id)
            .where(Modul.kursus_id == Kursus.id, ModuleCompletion.pegawai_id == pegawai_id)
            .scalar_subquery(),
        ).where(Kursus.id.in_(ids))
    ).all()
    quiz_rows = db.session.execute(
        select(Kuis.kursus_id, func.max(Attempt.passed.cast(db.Integer)))
        .outerjoin(Attempt, (Attempt.kuis_id == Kuis.id) & (Attempt.pegawai_id == pegawai_id))
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
        )
        for kursus, total, done in rows
    ]
    far = date.max
    return sorted(
        result,
        key=lambda p: (p.enrolment.due_date if p.enrolment and p.enrolment.due_date else far, p.kursus.title),
    )


def jp_target() -> int:
    return current_app.config["JP_TARGET_PER_YEAR"]
