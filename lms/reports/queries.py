"""The supervisor's and the admin's views, as aggregate queries.

Each function runs a fixed number of SQL statements whatever the size of the team:
the team is a recursive CTE, and every per-person figure is a grouped subquery joined
to it. Nothing here loads people one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from lms.catalog.models import Kursus
from lms.competencies.models import Kompetensi, LevelPegawai, RiwayatLevel, StandarKompetensi
from lms.core.time import Period
from lms.extensions import db
from lms.org.models import Jabatan, Pegawai, UnitKerja
from lms.org.services import team_cte, unit_subtree_cte
from lms.progress.models import CourseCompletion, Enrolment
from lms.progress.services import jp_by_person, jp_rows

PAGE_SIZE = 50
# Status filters: about the chosen course when there is one, else about all assignments.
STATUSES = ("overdue", "pending", "completed", "not_enrolled", "below_jp")


@dataclass(frozen=True)
class TeamFilters:
    unit_id: int | None = None
    jabatan_id: int | None = None
    status: str | None = None
    kursus_id: int | None = None
    q: str = ""


@dataclass(frozen=True)
class Scope:
    """Whose people the viewer may see: a supervisor's team, or (admin) everyone."""

    atasan_id: int | None  # None: the whole organisation (admins only)
    # An admin limited to a unit: only that unit and the units below it.
    unit_id: int | None = None

    def ids(self) -> Select:
        people = select(Pegawai.id).where(Pegawai.aktif.is_(True))
        if self.atasan_id is not None:
            team = team_cte(self.atasan_id)
            people = people.where(Pegawai.id.in_(select(team.c.id)))
        if self.unit_id is not None:
            units = unit_subtree_cte(self.unit_id)
            people = people.where(Pegawai.unit_id.in_(select(units.c.id)))
        return people


@dataclass(frozen=True)
class Gap:
    code: str
    nama: str
    required: int
    current: int

    @property
    def size(self) -> int:
        return self.required - self.current


@dataclass
class PersonRow:
    id: int
    nip: str
    nama: str
    golongan: str | None
    status_asn: str
    unit: str
    jabatan: str | None
    assigned: int
    completed: int  # of the assigned courses
    self_completed: int  # courses the person chose and completed
    pending: int
    overdue: int
    jp: int
    gaps: list[Gap] = field(default_factory=list)


@dataclass(frozen=True)
class CourseRow:
    kursus_id: int
    title: str
    enrolled: int
    assigned: int
    completed: int
    overdue: int
    average_score: float | None

    @property
    def completion_rate(self) -> float:
        return 100 * self.completed / self.enrolled if self.enrolled else 0.0


@dataclass
class TeamView:
    rows: list[PersonRow]
    total: int
    page: int
    pages: int
    courses: list[CourseRow]
    jp_met: int


def _people_query(scope: Scope, filters: TeamFilters, today: date, year: int, jp_target: int):
    """One SELECT of people with their figures; filters on figures are WHERE clauses."""
    ids = scope.ids()
    if filters.unit_id:
        tree = unit_subtree_cte(filters.unit_id)
        ids = ids.where(Pegawai.unit_id.in_(select(tree.c.id)))
    if filters.jabatan_id:
        ids = ids.where(Pegawai.jabatan_id == filters.jabatan_id)
    if filters.q:
        nip = "".join(filters.q.split())
        ids = ids.where(
            or_(
                func.lower(Pegawai.nama).contains(filters.q.lower(), autoescape=True),
                Pegawai.nip.startswith(nip, autoescape=True),
            )
        )
    # Worked out once per statement and joined everywhere below: planned as a set of
    # a few thousand rows, not as a filter over every employee and every enrolment.
    scoped = _materialized(ids, "scoped")

    done = aliased(CourseCompletion)
    enrol_filter = []
    if filters.kursus_id:
        enrol_filter.append(Enrolment.kursus_id == filters.kursus_id)
    open_ = done.id.is_(None)
    is_assigned = Enrolment.source == "assigned"
    enrolments = (
        select(
            Enrolment.pegawai_id.label("pid"),
            func.count().label("enrolled"),
            func.sum(case((is_assigned, 1), else_=0)).label("assigned"),
            func.sum(case((open_, 1), else_=0)).label("pending"),
            func.sum(case((and_(open_, is_assigned), 1), else_=0)).label("assigned_open"),
            func.sum(case((and_(~open_, is_assigned), 1), else_=0)).label("assigned_done"),
            func.sum(case((and_(~open_, ~is_assigned), 1), else_=0)).label("self_done"),
            func.sum(case((and_(open_, Enrolment.due_date < today), 1), else_=0)).label("overdue"),
        )
        .join(scoped, scoped.c.id == Enrolment.pegawai_id)
        .outerjoin(done, _same_pass(done))
        .where(*enrol_filter)
        .group_by(Enrolment.pegawai_id)
        .subquery("enr")
    )
    earned = jp_by_person(Period.year(year), select(scoped.c.id))
    enrolled = func.coalesce(enrolments.c.enrolled, 0)
    assigned = func.coalesce(enrolments.c.assigned, 0)
    pending = func.coalesce(enrolments.c.pending, 0)
    assigned_open = func.coalesce(enrolments.c.assigned_open, 0)
    # "Completed" stands against "Assigned": only assigned courses; own choices apart.
    completed = func.coalesce(enrolments.c.assigned_done, 0)
    self_completed = func.coalesce(enrolments.c.self_done, 0)
    overdue = func.coalesce(enrolments.c.overdue, 0)
    jp = func.coalesce(earned.c.jp, 0)
    query = (
        select(
            Pegawai.id,
            Pegawai.nip,
            Pegawai.nama,
            Pegawai.golongan,
            Pegawai.status_asn,
            UnitKerja.nama.label("unit"),
            Jabatan.nama.label("jabatan"),
            assigned.label("assigned"),
            completed.label("completed"),
            self_completed.label("self_completed"),
            pending.label("pending"),
            overdue.label("overdue"),
            jp.label("jp"),
        )
        .join(scoped, scoped.c.id == Pegawai.id)
        .join(UnitKerja, UnitKerja.id == Pegawai.unit_id)
        .outerjoin(Jabatan, Jabatan.id == Pegawai.jabatan_id)
        .outerjoin(enrolments, enrolments.c.pid == Pegawai.id)
        .outerjoin(earned, earned.c.pegawai_id == Pegawai.id)
    )
    status = filters.status
    if status == "overdue":
        query = query.where(overdue > 0)
    elif status == "pending":
        query = query.where(pending > 0 if filters.kursus_id else assigned_open > 0)
    elif status == "completed":
        # Without a course: every assignment done; a course chosen freely does not count.
        query = query.where(
            completed + self_completed > 0 if filters.kursus_id else and_(assigned > 0, assigned_open == 0)
        )
    elif status == "not_enrolled":
        query = query.where(enrolled == 0)
    elif status == "below_jp":
        query = query.where(jp < jp_target)
    # Without a status filter the view is just the scoped people: later statements can
    # start from them instead of recomputing every figure.
    people = select(scoped.c.id) if not status else query.with_only_columns(Pegawai.id).order_by(None)
    return query, jp, people


def _same_pass(done):
    """An enrolment's completion: of the same course and the learner's current pass (a
    renewed yearly course counts its current pass; earlier ones are history)."""
    return and_(
        done.pegawai_id == Enrolment.pegawai_id,
        done.kursus_id == Enrolment.kursus_id,
        done.cycle == Enrolment.cycle,
    )


def _materialized(query: Select, name: str):
    """A CTE the database computes once (PostgreSQL 12+ and SQLite 3.35+ honour the hint)."""
    return query.cte(name).prefix_with("MATERIALIZED")


def _gaps(people: Select, per_person: int = 3) -> dict[int, list[Gap]]:
    """The largest gaps per person (required level above current), in one query."""
    chosen = _materialized(people, "gap_people")
    current = func.coalesce(LevelPegawai.level, 0)
    size = StandarKompetensi.level - current
    ranked = (
        select(
            Pegawai.id.label("pid"),
            StandarKompetensi.code,
            Kompetensi.nama,
            StandarKompetensi.level.label("required"),
            current.label("current"),
            func.row_number()
            .over(partition_by=Pegawai.id, order_by=(size.desc(), StandarKompetensi.code))
            .label("rank"),
        )
        .join(chosen, chosen.c.id == Pegawai.id)
        .join(StandarKompetensi, StandarKompetensi.jabatan_id == Pegawai.jabatan_id)
        .join(Kompetensi, Kompetensi.code == StandarKompetensi.code)
        .outerjoin(
            LevelPegawai,
            and_(LevelPegawai.pegawai_id == Pegawai.id, LevelPegawai.code == StandarKompetensi.code),
        )
        .where(size > 0)
        .subquery()
    )
    found: dict[int, list[Gap]] = {}
    for pid, code, nama, required, level, _rank in db.session.execute(
        select(ranked).where(ranked.c.rank <= per_person).order_by(ranked.c.pid, ranked.c.rank)
    ):
        found.setdefault(pid, []).append(Gap(code, nama, required, level))
    return found


def _rows(result) -> list[PersonRow]:
    return [PersonRow(**row._asdict()) for row in result]


def team_view(
    scope: Scope, filters: TeamFilters, *, today: date, year: int, jp_target: int, page: int = 1
) -> TeamView:
    """A page of people with their figures, the total, and the per-course summary:
    three queries whatever the team size (five when asked for a page past the end)."""
    query, jp, people = _people_query(scope, filters, today, year, jp_target)
    # The total and the JP count ride along on the page's rows (window functions), so the
    # aggregates are computed once; only a page past the end needs a second look.
    paged = query.add_columns(
        func.count().over().label("total"), func.sum(case((jp >= jp_target, 1), else_=0)).over().label("met")
    ).order_by(Pegawai.nama, Pegawai.id)
    page = max(page, 1)
    result = db.session.execute(paged.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if not result and page > 1:
        counted = db.session.scalar(query.with_only_columns(func.count()).order_by(None)) or 0
        page = max(1, -(-counted // PAGE_SIZE))
        result = db.session.execute(paged.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    total, met = (result[0].total, result[0].met) if result else (0, 0)
    pages = max(1, -(-total // PAGE_SIZE))
    rows = [
        PersonRow(**{k: v for k, v in row._asdict().items() if k not in ("total", "met")}) for row in result
    ]
    gaps = _gaps(select(Pegawai.id).where(Pegawai.id.in_([r.id for r in rows]))) if rows else {}
    for row in rows:
        row.gaps = gaps.get(row.id, [])
    return TeamView(
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        courses=course_summary(people, today=today),
        jp_met=met or 0,
    )


def team_export(scope: Scope, filters: TeamFilters, *, today: date, year: int, jp_target: int):
    """Every row of the current view (no paging), with gaps, and the course summary:
    three queries whatever the team size."""
    query, _jp, people = _people_query(scope, filters, today, year, jp_target)
    rows = _rows(db.session.execute(query.order_by(Pegawai.nama, Pegawai.id)))
    gaps = _gaps(people)
    for row in rows:
        row.gaps = gaps.get(row.id, [])
    return rows, course_summary(people, today=today)


def course_summary(people: Select, *, today: date) -> list[CourseRow]:
    chosen = _materialized(people, "summary_people")
    done = aliased(CourseCompletion)
    result = db.session.execute(
        select(
            Kursus.id,
            Kursus.title,
            func.count(Enrolment.id),
            func.sum(case((Enrolment.source == "assigned", 1), else_=0)),
            func.count(done.id),
            func.sum(case((and_(done.id.is_(None), Enrolment.due_date < today), 1), else_=0)),
            func.avg(done.score),
        )
        .join(chosen, chosen.c.id == Enrolment.pegawai_id)
        .join(Kursus, Kursus.id == Enrolment.kursus_id)
        .outerjoin(done, _same_pass(done))
        .group_by(Kursus.id, Kursus.title)
        .order_by(Kursus.title)
    )
    return [
        CourseRow(
            kid,
            title,
            enrolled,
            assigned or 0,
            completed,
            overdue or 0,
            float(avg) if avg is not None else None,
        )
        for kid, title, enrolled, assigned, completed, overdue, avg in result
    ]


def ids_outside(scope: Scope, pegawai_ids: list[int]) -> list[int]:
    """Which of these ids the viewer may not act on; one query."""
    if not pegawai_ids:
        return []
    allowed = set(db.session.scalars(scope.ids().where(Pegawai.id.in_(pegawai_ids))))
    return [i for i in pegawai_ids if i not in allowed]


def all_ids(scope: Scope, filters: TeamFilters, *, today: date, year: int, jp_target: int) -> list[int]:
    query, _jp, _people = _people_query(scope, filters, today, year, jp_target)
    return list(db.session.scalars(query.with_only_columns(Pegawai.id).order_by(None)))


# --- monitoring and evaluation -----------------------------------------------------------


@dataclass
class UnitFigures:
    unit_id: int | None
    nama: str
    employees: int = 0
    participants: int = 0
    enrolments: int = 0
    completed: int = 0
    score_sum: float = 0.0
    scored: int = 0
    jp_met: int = 0
    gaps_closed: int = 0

    @property
    def participation(self) -> float:
        return 100 * self.participants / self.employees if self.employees else 0.0

    @property
    def completion_rate(self) -> float:
        return 100 * self.completed / self.enrolments if self.enrolments else 0.0

    @property
    def average_score(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    @property
    def jp_met_share(self) -> float:
        return 100 * self.jp_met / self.employees if self.employees else 0.0

    def add(self, other: UnitFigures) -> None:
        for name in (
            "employees",
            "participants",
            "enrolments",
            "completed",
            "score_sum",
            "scored",
            "jp_met",
            "gaps_closed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def monitoring(parent_unit_id: int | None, period: Period, jp_target: int) -> list[UnitFigures]:
    """One row per unit directly under ``parent_unit_id`` (each with its whole subtree),
    a row for people placed directly in the parent, in seven queries.

    Definitions, shown on the page too: participation = employees who enrolled in or
    completed a course in the period; completion rate = of enrolments made in the
    period, the share completed by the period's end; average score = of completions in
    the period; JP met = employees whose JP earned in the period reaches the target;
    gaps closed = level changes that reached the level the employee's position requires
    from below it, counted in the period of the evidence that closed the gap.
    """
    lo, hi = period.utc_bounds()
    # Map every unit to the row it is counted in.
    if parent_unit_id is None:
        roots = select(UnitKerja.id.label("uid"), UnitKerja.id.label("root")).where(
            UnitKerja.parent_id.is_(None)
        )
    else:
        roots = select(UnitKerja.id.label("uid"), UnitKerja.id.label("root")).where(
            UnitKerja.parent_id == parent_unit_id
        )
    tree = roots.cte("rows_of", recursive=True)
    tree = tree.union(select(UnitKerja.id, tree.c.root).join(tree, UnitKerja.parent_id == tree.c.uid))
    if parent_unit_id is not None:
        own = select(literal(parent_unit_id).label("uid"), literal(parent_unit_id).label("root"))
        mapping = select(tree.c.uid, tree.c.root).union_all(own).subquery("mapping")
    else:
        mapping = select(tree.c.uid, tree.c.root).subquery("mapping")
    people = (
        select(Pegawai.id.label("pid"), mapping.c.root.label("root"), Pegawai.jabatan_id.label("jabatan_id"))
        .join(mapping, mapping.c.uid == Pegawai.unit_id)
        .where(Pegawai.aktif.is_(True))
        .subquery("people")
    )
    figures: dict[int, UnitFigures] = {}
    names = dict(
        db.session.execute(
            select(UnitKerja.id, UnitKerja.nama).where(UnitKerja.id.in_(select(mapping.c.root)))
        ).all()
    )
    for root, nama in names.items():
        figures[root] = UnitFigures(root, nama)

    def grouped(query, attribute: str) -> None:
        for root, value in db.session.execute(query):
            if root in figures:
                setattr(figures[root], attribute, value or 0)

    grouped(select(people.c.root, func.count()).group_by(people.c.root), "employees")
    enrolled_in = and_(Enrolment.enrolled_at >= lo, Enrolment.enrolled_at < hi)
    completed_in = and_(CourseCompletion.completed_at >= lo, CourseCompletion.completed_at < hi)
    active = (
        select(Enrolment.pegawai_id.label("pid"))
        .where(enrolled_in)
        .union(select(CourseCompletion.pegawai_id).where(completed_in))
        .subquery("active")
    )
    grouped(
        select(people.c.root, func.count())
        .join(active, active.c.pid == people.c.pid)
        .group_by(people.c.root),
        "participants",
    )
    done = aliased(CourseCompletion)
    for root, count, completed in db.session.execute(
        select(people.c.root, func.count(Enrolment.id), func.count(done.id))
        .join(Enrolment, Enrolment.pegawai_id == people.c.pid)
        .outerjoin(
            done,
            and_(_same_pass(done), done.completed_at < hi),
        )
        .where(enrolled_in)
        .group_by(people.c.root)
    ):
        if root in figures:
            figures[root].enrolments, figures[root].completed = count, completed
    for root, total, count in db.session.execute(
        select(people.c.root, func.sum(CourseCompletion.score), func.count(CourseCompletion.score))
        .join(CourseCompletion, CourseCompletion.pegawai_id == people.c.pid)
        .where(completed_in)
        .group_by(people.c.root)
    ):
        if root in figures:
            figures[root].score_sum, figures[root].scored = float(total or 0), count
    earned = jp_rows(period, select(people.c.pid))
    per_person = (
        select(earned.c.pegawai_id.label("pid"))
        .group_by(earned.c.pegawai_id)
        .having(func.sum(earned.c.jp) >= jp_target)
    ).subquery("met")
    grouped(
        select(people.c.root, func.count())
        .join(per_person, per_person.c.pid == people.c.pid)
        .group_by(people.c.root),
        "jp_met",
    )
    grouped(
        select(people.c.root, func.count())
        .join(RiwayatLevel, RiwayatLevel.pegawai_id == people.c.pid)
        .join(
            StandarKompetensi,
            and_(
                StandarKompetensi.jabatan_id == people.c.jabatan_id,
                StandarKompetensi.code == RiwayatLevel.code,
            ),
        )
        .where(
            RiwayatLevel.achieved_at >= lo,
            RiwayatLevel.achieved_at < hi,
            RiwayatLevel.old_level < StandarKompetensi.level,
            RiwayatLevel.new_level >= StandarKompetensi.level,
        )
        .group_by(people.c.root),
        "gaps_closed",
    )
    return sorted(figures.values(), key=lambda f: (f.unit_id != parent_unit_id, f.nama))


def total(rows: list[UnitFigures], label: str) -> UnitFigures:
    result = UnitFigures(None, label)
    for row in rows:
        result.add(row)
    return result


def overdue_people(scope: Scope, *, today: date) -> int:
    """How many people in the scope have an assigned course past its due date, not completed."""
    done = aliased(CourseCompletion)
    return db.session.scalar(
        select(func.count(func.distinct(Enrolment.pegawai_id)))
        .outerjoin(done, _same_pass(done))
        .where(
            Enrolment.pegawai_id.in_(scope.ids()),
            Enrolment.due_date < today,
            done.id.is_(None),
        )
    )
