"""Mandatory training rules (AturanWajib) and the duties they put on people (Kewajiban).

A rule names who (unit with or without its sub-units, jabatan, kind of jabatan, PNS or
PPPK; empty criteria: everyone active), one published course, and when it is due (a
fixed date, or N days after someone starts to match), once or every calendar year.

Applying a rule is set-based: one query finds who matches, a handful more find their
duties, enrolments and completions, and the writes are bulk statements. It runs when
the rule is saved, when people change (``signals.people_changed``, restricted to those
people) and every day (``flask aturan terapkan``), and running it again changes nothing.

Cycles: a duty's cycle is 1 for a rule that is not yearly, else the calendar year in the
agency's zone. An enrolment's (and a completion's) cycle counts the learner's passes at
the course: a yearly duty for someone who completed the course in an earlier year renews
the course for them (``progress.services.renew_many``): a new pass, done again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import aliased

from lms import signals
from lms.catalog.models import Kursus
from lms.core import audit
from lms.core.db import chunked
from lms.core.errors import DomainError, NotFoundError
from lms.core.time import Period, local_today, utc_to_local_date, utcnow
from lms.extensions import db
from lms.org.data import JENIS_JABATAN, STATUS_ASN
from lms.org.models import Jabatan, Pegawai, UnitKerja
from lms.org.services import manages_unit, unit_in_scope, unit_subtree_cte
from lms.progress.models import DUE_KINDS, AturanWajib, CourseCompletion, Enrolment, Kewajiban
from lms.progress.services import forget, renew_many

PREVIEW_SIZE = 50
MAX_DUE_DAYS = 3650
AUDIT_FIELDS = (
    "nama",
    "kursus_id",
    "unit_id",
    "with_subunits",
    "jabatan_id",
    "jenis_jabatan",
    "status_asn",
    "due_kind",
    "due_date",
    "due_days",
    "yearly",
    "aktif",
)


@dataclass(frozen=True)
class RuleInput:
    """What an admin gives for a rule, as plain values."""

    nama: str
    kursus_id: int | None
    unit_id: int | None = None
    with_subunits: bool = True
    jabatan_id: int | None = None
    jenis_jabatan: str | None = None
    status_asn: str | None = None
    due_kind: str = "fixed"
    due_date: date | None = None
    due_days: int | None = None
    yearly: bool = False


# --- who a rule reaches -------------------------------------------------------------------


def matching(criteria) -> Select:
    """SELECT of the ids of active employees the criteria (a rule or a RuleInput) match."""
    query = select(Pegawai.id).where(Pegawai.aktif.is_(True))
    if criteria.unit_id:
        if criteria.with_subunits:
            tree = unit_subtree_cte(criteria.unit_id)
            query = query.where(Pegawai.unit_id.in_(select(tree.c.id)))
        else:
            query = query.where(Pegawai.unit_id == criteria.unit_id)
    if criteria.jabatan_id:
        query = query.where(Pegawai.jabatan_id == criteria.jabatan_id)
    if criteria.jenis_jabatan:
        query = query.join(Jabatan, Jabatan.id == Pegawai.jabatan_id).where(
            Jabatan.jenis == criteria.jenis_jabatan
        )
    if criteria.status_asn:
        query = query.where(Pegawai.status_asn == criteria.status_asn)
    return query


@dataclass(frozen=True)
class Reached:
    id: int
    nip: str
    nama: str
    unit: str
    jabatan: str | None


@dataclass(frozen=True)
class Reach:
    total: int
    people: list[Reached]  # the first PREVIEW_SIZE, by name


def reach(criteria) -> Reach:
    """Whom the criteria reach: how many, and the first 50 by name; two queries."""
    ids = matching(criteria)
    total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    rows = db.session.execute(
        select(Pegawai.id, Pegawai.nip, Pegawai.nama, UnitKerja.nama, Jabatan.nama)
        .join(UnitKerja, UnitKerja.id == Pegawai.unit_id)
        .outerjoin(Jabatan, Jabatan.id == Pegawai.jabatan_id)
        .where(Pegawai.id.in_(ids))
        .order_by(Pegawai.nama, Pegawai.id)
        .limit(PREVIEW_SIZE)
    ).all()
    return Reach(total, [Reached(*row) for row in rows])


# --- due dates ------------------------------------------------------------------------------


def cycle_of(rule, today: date) -> int:
    return today.year if rule.yearly else 1


def on_year(day: date, year: int) -> date:
    """The same day and month in ``year``; 29 February is the 28th in other years."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def due_for(rule, cycle: int, opened_on: date) -> date:
    if rule.due_kind == "days":
        return opened_on + timedelta(days=rule.due_days)
    return on_year(rule.due_date, cycle) if rule.yearly else rule.due_date


# --- checking and saving a rule -------------------------------------------------------------


def _check(data: RuleInput, viewer, *, today: date, old: AturanWajib | None = None) -> Kursus:
    """Every rule about a rule's fields; raises DomainError naming the field."""
    if not data.nama.strip():
        raise DomainError(_("Give the rule a name."), field="nama")
    if len(data.nama.strip()) > 200:
        raise DomainError(_("The name is at most 200 characters."), field="nama")
    kursus = db.session.get(Kursus, data.kursus_id) if data.kursus_id else None
    if kursus is None or not kursus.is_published:
        raise DomainError(_("Choose a published course."), field="kursus")
    unit = db.session.get(UnitKerja, data.unit_id) if data.unit_id else None
    if data.unit_id and (
        unit is None or (unit.closed_at is not None and (old is None or old.unit_id != unit.id))
    ):
        raise DomainError(_("Choose an open unit."), field="unit")
    if viewer is not None and not manages_unit(viewer, data.unit_id):
        raise DomainError(_("You can only make rules for the units you manage."), field="unit")
    if data.jabatan_id and db.session.get(Jabatan, data.jabatan_id) is None:
        raise DomainError(_("Choose a position from the list."), field="jabatan")
    if data.jenis_jabatan and data.jenis_jabatan not in JENIS_JABATAN:
        raise DomainError(_("Choose a kind of position from the list."), field="jenis_jabatan")
    if data.status_asn and data.status_asn not in STATUS_ASN:
        raise DomainError(_("Status must be PNS or PPPK."), field="status_asn")
    if data.due_kind not in DUE_KINDS:
        raise DomainError(_("Choose how the due date is set."), field="due_kind")
    if data.due_kind == "fixed":
        if data.due_date is None:
            raise DomainError(_("Give the due date."), field="due_date")
        changed = old is None or old.due_date != data.due_date or old.due_kind != "fixed"
        if not data.yearly and changed and data.due_date < today:
            raise DomainError(_("The due date is in the past."), field="due_date")
    else:
        if data.due_days is None:
            raise DomainError(_("Give the number of days."), field="due_days")
        if not 0 < data.due_days <= MAX_DUE_DAYS:
            raise DomainError(
                _("The number of days must be between 1 and %(max)d.", max=MAX_DUE_DAYS), field="due_days"
            )
    return kursus


def _refuse_nobody(data) -> None:
    if not db.session.scalar(select(matching(data).exists())):
        raise DomainError(_("This rule matches nobody, so it was not saved. Widen who it is for."))


def preview(data: RuleInput, viewer, *, old: AturanWajib | None = None, today: date | None = None) -> Reach:
    """Check the fields as saving would, and tell whom the rule would reach. Writes nothing."""
    _check(data, viewer, today=today or local_today(), old=old)
    return reach(data)


def _fields(data: RuleInput) -> dict:
    fixed = data.due_kind == "fixed"
    return {
        "nama": data.nama.strip(),
        "unit_id": data.unit_id,
        "with_subunits": bool(data.with_subunits) if data.unit_id else True,
        "jabatan_id": data.jabatan_id,
        "jenis_jabatan": data.jenis_jabatan or None,
        "status_asn": data.status_asn or None,
        "due_kind": data.due_kind,
        "due_date": data.due_date if fixed else None,
        "due_days": None if fixed else data.due_days,
    }


def create_rule(data: RuleInput, viewer, *, today: date | None = None) -> tuple[AturanWajib, ApplyOutcome]:
    """Save a new rule and apply it at once. A rule that matches nobody is refused."""
    today = today or local_today()
    _check(data, viewer, today=today)
    _refuse_nobody(data)
    rule = AturanWajib(
        kursus_id=data.kursus_id,
        yearly=bool(data.yearly),
        aktif=True,
        created_by_id=getattr(viewer, "pegawai_id", None),
        **_fields(data),
    )
    db.session.add(rule)
    db.session.flush()
    audit.record("aturan.create", "aturan", rule.id, rule.nama, after=audit.snapshot(rule, AUDIT_FIELDS))
    return rule, apply_rule(rule, today=today)


def update_rule(rule: AturanWajib, data: RuleInput, viewer, *, today: date | None = None) -> ApplyOutcome:
    """Change a rule's name, criteria or due date and apply it again: people who no longer
    match have their open duties closed, newcomers get theirs, open duties get the new
    due date. Its course and whether it repeats yearly stay as they are (make a new rule
    for another course)."""
    today = today or local_today()
    data = replace(data, kursus_id=rule.kursus_id, yearly=rule.yearly)
    _check(data, viewer, today=today, old=rule)
    if rule.aktif:
        _refuse_nobody(data)
    before = audit.snapshot(rule, AUDIT_FIELDS)
    for name, value in _fields(data).items():
        setattr(rule, name, value)
    after = audit.snapshot(rule, AUDIT_FIELDS)
    if before == after:
        return ApplyOutcome()
    rule.updated_at = utcnow()
    db.session.flush()
    audit.record("aturan.update", "aturan", rule.id, rule.nama, before=before, after=after)
    return apply_rule(rule, today=today) if rule.aktif else ApplyOutcome()


def deactivate(rule: AturanWajib) -> ApplyOutcome:
    """Stop a rule: open duties are closed (kept as history); enrolments stay, without the
    due date that came only from it."""
    if not rule.aktif:
        return ApplyOutcome()
    rule.aktif = False
    rule.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "aturan.deactivate", "aturan", rule.id, rule.nama, before={"aktif": True}, after={"aktif": False}
    )
    return apply_rule(rule)


def reactivate(rule: AturanWajib, *, today: date | None = None) -> ApplyOutcome:
    if rule.aktif:
        return ApplyOutcome()
    _refuse_nobody(rule)
    rule.aktif = True
    rule.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "aturan.reactivate", "aturan", rule.id, rule.nama, before={"aktif": False}, after={"aktif": True}
    )
    return apply_rule(rule, today=today)


# --- applying a rule ------------------------------------------------------------------------


@dataclass
class ApplyOutcome:
    enrolled: int = 0  # people newly under the duty, enrolled or assigned the course
    already_done: int = 0  # newly under the duty but done already: met at once
    renewed: int = 0  # of those enrolled, the ones whose course starts a new pass
    closed: int = 0  # duties closed because their people no longer match
    updated: int = 0  # open duties whose due date moved (the rule changed)

    def add(self, other: ApplyOutcome) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def changed(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


@dataclass
class _Plan:
    """What one application will write, worked out in Python from a few reads."""

    new_duties: list[dict] = field(default_factory=list)
    reopened: list[dict] = field(default_factory=list)
    redated: list[dict] = field(default_factory=list)
    due: dict[int, date] = field(default_factory=dict)  # people whose enrolment takes a due date
    assigned: dict[int, date] = field(default_factory=dict)  # people newly assigned
    done_at: dict[int, datetime] = field(default_factory=dict)


def apply_rule(
    rule: AturanWajib, *, today: date | None = None, only: list[int] | None = None
) -> ApplyOutcome:
    """Bring the rule's duties and enrolments in line with who matches today; ``only``
    restricts the work to those people (employees who just changed). A fixed number of
    statements whatever the number of people; idempotent."""
    today = today or local_today()
    if only is not None and not only:
        return ApplyOutcome()
    now = utcnow()
    cycle = cycle_of(rule, today)
    matched = set(db.session.scalars(_restricted(matching(rule), Pegawai.id, only))) if rule.aktif else set()
    duties = db.session.execute(
        _restricted(
            select(
                Kewajiban.id,
                Kewajiban.pegawai_id,
                Kewajiban.cycle,
                Kewajiban.opened_on,
                Kewajiban.due_date,
                Kewajiban.met_at,
                Kewajiban.closed_at,
            ).where(
                Kewajiban.aturan_id == rule.id,
                or_(
                    Kewajiban.cycle.in_((cycle, cycle - 1)),
                    and_(Kewajiban.met_at.is_(None), Kewajiban.closed_at.is_(None)),
                ),
            ),
            Kewajiban.pegawai_id,
            only,
        )
    ).all()
    outcome = ApplyOutcome()
    leaving = [d for d in duties if d.met_at is None and d.closed_at is None and d.pegawai_id not in matched]
    if leaving:
        outcome.closed = _close(rule, leaving, now)
    if matched:
        _bring_in(rule, matched, duties, cycle, today, now, only, outcome)
    return outcome


def _restricted(query, column, only):
    return query if only is None else query.where(column.in_(only))


def _bring_in(rule, matched, duties, cycle, today, now, only, outcome) -> None:
    current = {d.pegawai_id: d for d in duties if d.cycle == cycle}
    # Matched through the year before without a break: this year's duty opens on 1 January.
    continuing = {d.pegawai_id for d in duties if d.cycle == cycle - 1 and d.closed_at is None}
    people = only if only is not None else matching(rule)
    completions = defaultdict(list)
    for pid, done_cycle, completed_at in db.session.execute(
        select(CourseCompletion.pegawai_id, CourseCompletion.cycle, CourseCompletion.completed_at).where(
            CourseCompletion.kursus_id == rule.kursus_id, CourseCompletion.pegawai_id.in_(people)
        )
    ):
        completions[pid].append((done_cycle, completed_at))
    enrolments = {
        row.pegawai_id: row
        for row in db.session.execute(
            select(
                Enrolment.id,
                Enrolment.pegawai_id,
                Enrolment.source,
                Enrolment.due_date,
                Enrolment.aturan_id,
                Enrolment.cycle,
            ).where(Enrolment.kursus_id == rule.kursus_id, Enrolment.pegawai_id.in_(people))
        )
    }
    plan = _plan(rule, matched, current, continuing, completions, cycle, today)
    if plan.new_duties:
        db.session.execute(Kewajiban.__table__.insert(), plan.new_duties)
    table = Kewajiban.__table__
    for rows in (plan.reopened, plan.redated):
        if rows:
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("kid"))
                .values(**{k: bindparam(k) for k in rows[0] if k != "kid"}),
                rows,
            )
    renewed = _enrol(rule, plan, enrolments, completions, now)
    forget(Kewajiban, matched)
    outcome.enrolled = len(plan.assigned)
    outcome.already_done = len(plan.done_at)
    outcome.renewed = renewed
    outcome.updated = len(plan.redated)
    _announce(rule, plan.assigned)


def _plan(rule, matched, current, continuing, completions, cycle, today) -> _Plan:
    plan = _Plan()
    year = Period.year(cycle).utc_bounds() if rule.yearly else None
    for pid in sorted(matched):
        duty = current.get(pid)
        if duty is not None and duty.closed_at is None:
            if duty.met_at is None:
                due = due_for(rule, cycle, duty.opened_on)
                if due != duty.due_date:
                    plan.redated.append({"kid": duty.id, "due_date": due})
                    plan.due[pid] = due
            continue
        opened_on = date(cycle, 1, 1) if rule.yearly and pid in continuing and duty is None else today
        due = due_for(rule, cycle, opened_on)
        done = [at for c, at in completions.get(pid, []) if year is None or year[0] <= at < year[1]]
        met_at = max(done) if done else None
        if duty is None:
            plan.new_duties.append(
                {
                    "aturan_id": rule.id,
                    "pegawai_id": pid,
                    "cycle": cycle,
                    "opened_on": opened_on,
                    "due_date": due,
                    "met_at": met_at,
                }
            )
        else:
            plan.reopened.append(
                {"kid": duty.id, "closed_at": None, "opened_on": opened_on, "due_date": due, "met_at": met_at}
            )
        if met_at is not None:
            plan.done_at[pid] = met_at
        else:
            plan.due[pid] = due
            plan.assigned[pid] = due
    return plan


def _enrol(rule, plan: _Plan, enrolments, completions, now) -> int:
    """Enrol the people who must take the course, give enrolments their due dates, and
    renew the course for those who completed it in an earlier year. Returns how many
    were renewed."""
    new, dated, renew = [], [], {}
    for pid, due in plan.due.items():
        enrolment = enrolments.get(pid)
        passes = completions.get(pid, [])
        if enrolment is None:
            last = max((c for c, _at in passes), default=0)
            new.append(
                {
                    "pegawai_id": pid,
                    "kursus_id": rule.kursus_id,
                    "source": "mandatory",
                    "aturan_id": rule.id,
                    "due_date": due,
                    "enrolled_at": now,
                    "cycle": last + 1,
                    "cycle_started_at": now if last else None,
                }
            )
        elif rule.yearly and pid in plan.assigned and any(c == enrolment.cycle for c, _at in passes):
            renew[pid] = (enrolment.cycle + 1, due)
        else:
            dated.append(_dated(rule, enrolment, due))
    if new:
        db.session.execute(Enrolment.__table__.insert(), new)
    if dated:
        table = Enrolment.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("eid"))
            .values(source=bindparam("new_source"), due_date=bindparam("due"), aturan_id=bindparam("rule")),
            dated,
        )
    forget(Enrolment, [row["pid"] for row in dated])
    kursus = db.session.get(Kursus, rule.kursus_id)
    renew_many(kursus, renew, now)
    if renew:
        db.session.execute(
            update(Enrolment)
            .where(Enrolment.kursus_id == rule.kursus_id, Enrolment.pegawai_id.in_(sorted(renew)))
            .values(
                aturan_id=func.coalesce(Enrolment.aturan_id, rule.id),
                source=case((Enrolment.source == "self", "mandatory"), else_=Enrolment.source),
            )
            .execution_options(synchronize_session=False)
        )
    return len(renew)


def _dated(rule, enrolment, due: date) -> dict:
    """An existing enrolment under the duty: a supervisor's assignment keeps its source and
    the earlier due date; one the learner chose becomes mandatory; a mandatory one from this
    rule takes the rule's date, one from another rule the earlier date."""
    if enrolment.source == "assigned" or (enrolment.source == "mandatory" and enrolment.aturan_id != rule.id):
        earlier = min(enrolment.due_date, due) if enrolment.due_date else due
        return {
            "eid": enrolment.id,
            "pid": enrolment.pegawai_id,
            "new_source": enrolment.source,
            "due": earlier,
            "rule": enrolment.aturan_id or rule.id,
        }
    return {
        "eid": enrolment.id,
        "pid": enrolment.pegawai_id,
        "new_source": "mandatory",
        "due": due,
        "rule": rule.id,
    }


def _announce(rule, assigned: dict[int, date]) -> None:
    """One courses_assigned per due date (the same for everyone, save a yearly rule's
    newcomers and those who matched since 1 January)."""
    if not assigned:
        return
    kursus = db.session.get(Kursus, rule.kursus_id)
    by_due = defaultdict(list)
    for pid, due in assigned.items():
        by_due[due].append(pid)
    db.session.flush()
    for due, ids in sorted(by_due.items()):
        signals.courses_assigned.send(
            "progress", kursus=kursus, pegawai_ids=sorted(ids), due_date=due, source="mandatory"
        )


def _close(rule, leaving, now) -> int:
    """Close the open duties of people who no longer match; their enrolments stay, and
    lose a due date that came only from a rule."""
    ids = sorted({d.id for d in leaving})
    people = sorted({d.pegawai_id for d in leaving})
    for part in chunked(ids):
        db.session.execute(
            update(Kewajiban)
            .where(Kewajiban.id.in_(part))
            .values(closed_at=now)
            .execution_options(synchronize_session=False)
        )
    forget(Kewajiban, people)
    _redate_mandatory(rule.kursus_id, people)
    return len(ids)


def _redate_mandatory(kursus_id: int, people: list[int]) -> None:
    """A mandatory enrolment's due date: the earliest of the person's open duties on the
    course; none left, no due date. Assignments by a supervisor keep theirs."""
    duty = aliased(Kewajiban)
    rule = aliased(AturanWajib)
    earliest = (
        select(func.min(duty.due_date))
        .join(rule, rule.id == duty.aturan_id)
        .where(
            duty.pegawai_id == Enrolment.pegawai_id,
            rule.kursus_id == kursus_id,
            rule.aktif.is_(True),
            duty.met_at.is_(None),
            duty.closed_at.is_(None),
        )
        .scalar_subquery()
    )
    for part in chunked(people):
        db.session.execute(
            update(Enrolment)
            .where(
                Enrolment.kursus_id == kursus_id,
                Enrolment.source == "mandatory",
                Enrolment.pegawai_id.in_(part),
            )
            .values(due_date=earliest)
            .execution_options(synchronize_session=False)
        )
    forget(Enrolment, people)


def apply_all(*, today: date | None = None) -> dict[int, ApplyOutcome]:
    """Apply every active rule (``flask aturan terapkan``, daily): open new yearly cycles,
    enrol newcomers, close the duties of people who no longer match."""
    today = today or local_today()
    rules = db.session.scalars(
        select(AturanWajib).where(AturanWajib.aktif.is_(True)).order_by(AturanWajib.id)
    )
    return {rule.id: apply_rule(rule, today=today) for rule in list(rules)}


# --- listeners ------------------------------------------------------------------------------


@signals.people_changed.connect
def _on_people_changed(sender, pegawai_ids: list[int], **extra) -> None:
    """Employees created, moved, given another jabatan or status, (de)activated: every
    active rule is applied to just them, a few statements per rule per 5,000 people."""
    ids = sorted(set(pegawai_ids or ()))
    if not ids:
        return
    rules = list(
        db.session.scalars(select(AturanWajib).where(AturanWajib.aktif.is_(True)).order_by(AturanWajib.id))
    )
    today = local_today()
    for part in chunked(ids):
        for rule in rules:
            apply_rule(rule, today=today, only=part)


@signals.course_completed.connect
def _on_course_completed(sender, completion: CourseCompletion, **extra) -> None:
    """A completion meets the person's open duties on that course: every duty of a rule
    that is not yearly, and this year's duty of a yearly one (the year of the completion)."""
    year = utc_to_local_date(completion.completed_at).year
    rules = select(AturanWajib.id).where(AturanWajib.kursus_id == completion.kursus_id)
    yearly = rules.where(AturanWajib.yearly.is_(True))
    db.session.execute(
        update(Kewajiban)
        .where(
            Kewajiban.pegawai_id == completion.pegawai_id,
            Kewajiban.aturan_id.in_(rules),
            Kewajiban.met_at.is_(None),
            Kewajiban.closed_at.is_(None),
            or_(Kewajiban.aturan_id.not_in(yearly), Kewajiban.cycle == year),
        )
        .values(met_at=completion.completed_at)
        .execution_options(synchronize_session=False)
    )
    forget(Kewajiban, [completion.pegawai_id])


# --- reading rules for the admin pages ------------------------------------------------------


def get_rule(rule_id: int, viewer) -> AturanWajib:
    """A rule the admin may manage; any other answers 'not found'."""
    rule = db.session.get(AturanWajib, rule_id)
    if rule is None or not _in_scope(rule, viewer):
        raise NotFoundError()
    return rule


def _in_scope(rule, viewer) -> bool:
    if getattr(viewer, "admin_unit_id", None) is None:
        return True
    return rule.unit_id is not None and manages_unit(viewer, rule.unit_id)


@dataclass(frozen=True)
class RuleRow:
    rule: AturanWajib
    kursus: str
    unit: str | None
    jabatan: str | None
    reach: int
    met: int
    open: int
    overdue: int


def rules_for(viewer, *, today: date | None = None) -> list[RuleRow]:
    """Every rule the admin may manage with its current cycle's figures: two queries."""
    today = today or local_today()
    query = (
        select(AturanWajib, Kursus.title, UnitKerja.nama, Jabatan.nama)
        .join(Kursus, Kursus.id == AturanWajib.kursus_id)
        .outerjoin(UnitKerja, UnitKerja.id == AturanWajib.unit_id)
        .outerjoin(Jabatan, Jabatan.id == AturanWajib.jabatan_id)
        .order_by(AturanWajib.aktif.desc(), AturanWajib.nama, AturanWajib.id)
    )
    if getattr(viewer, "admin_unit_id", None) is not None:
        query = query.where(AturanWajib.unit_id.is_not(None), unit_in_scope(viewer, AturanWajib.unit_id))
    rows = db.session.execute(query).all()
    figures = _figures([rule.id for rule, *_ in rows], today) if rows else {}
    return [
        RuleRow(rule, title, unit, jabatan, *figures.get(rule.id, (0, 0, 0, 0)))
        for rule, title, unit, jabatan in rows
    ]


def _figures(rule_ids: list[int], today: date) -> dict[int, tuple[int, int, int, int]]:
    """Per rule, of its current cycle's duties not closed: (reached, met, open, overdue)."""
    current = case((AturanWajib.yearly.is_(True), today.year), else_=1)
    unmet = Kewajiban.met_at.is_(None)
    result = db.session.execute(
        select(
            Kewajiban.aturan_id,
            func.count(),
            func.count(Kewajiban.met_at),
            func.sum(case((unmet, 1), else_=0)),
            func.sum(case((and_(unmet, Kewajiban.due_date < today), 1), else_=0)),
        )
        .join(AturanWajib, AturanWajib.id == Kewajiban.aturan_id)
        .where(Kewajiban.aturan_id.in_(rule_ids), Kewajiban.closed_at.is_(None), Kewajiban.cycle == current)
        .group_by(Kewajiban.aturan_id)
    )
    return {rid: (n, met, open_ or 0, overdue or 0) for rid, n, met, open_, overdue in result}


def duties_of(pegawai_id: int) -> list[Kewajiban]:
    return list(
        db.session.scalars(
            select(Kewajiban)
            .where(Kewajiban.pegawai_id == pegawai_id)
            .order_by(Kewajiban.aturan_id, Kewajiban.cycle)
        )
    )
