"""Reminders: what needs a person's attention, in the app and (with SMTP) by email.

Reminders are made from domain events (a course assigned, a development record to
verify, a certificate issued; listened to below) and by the daily ``flask pengingat
kirim`` (a due date coming or gone). Each names its event in ``event_key``, unique per
person, and every insert ignores one already there, so an event noticed twice, or by
two requests at once, makes one reminder and one email. The text is made when shown,
in the reader's language, from ``kind`` and ``params``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update

from lms import signals
from lms.accounts.models import User
from lms.catalog.models import Kursus
from lms.core.db import chunked
from lms.core.errors import NotFoundError
from lms.core.ids import is_valid_id, new_id
from lms.core.mail import send_mail
from lms.core.time import utcnow
from lms.extensions import db
from lms.notifications.models import Pengingat
from lms.org.models import Pegawai
from lms.progress.models import CourseCompletion, Enrolment

DUE_SOON_DAYS = 7
CHUNK = 1000  # rows per INSERT, well under every database's limit on parameters


# --- making reminders ---------------------------------------------------------------------


def _path(endpoint: str, **values) -> str:
    """A path inside the app (without the prefix it may be mounted under: added when
    shown), buildable in a request, a signal handler or a command alike."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _insert_ignore(rows: list[dict]) -> int:
    """Add reminders, leaving out any whose (person, event) is already there — also one
    a parallel transaction has just added: the unique constraint decides, not a SELECT.
    Returns how many were new."""
    if not rows:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    made = 0
    for part in chunked(rows, CHUNK):
        values = [{"id": new_id(), "created_at": now, "params": {}, "link": "/", **row} for row in part]
        statement = (
            insert(Pengingat.__table__)
            .values(values)
            .on_conflict_do_nothing(index_elements=["pegawai_id", "event_key"])
            .returning(Pengingat.__table__.c.id)
        )
        made += len(db.session.execute(statement).all())
    return made


def notify_assigned(kursus: Kursus, pegawai_ids: Iterable[int], due_date: date | None, source: str) -> int:
    """A course given to people (by a supervisor, or a mandatory rule)."""
    key = f"assigned:{kursus.id}:{due_date.isoformat() if due_date else '-'}"
    params = {"kursus": kursus.title, "due": due_date.isoformat() if due_date else None, "source": source}
    link = _path("progress.course", slug=kursus.slug)
    return _insert_ignore(
        [
            {"pegawai_id": i, "kind": "assigned", "event_key": key, "params": params, "link": link}
            for i in sorted(set(pegawai_ids))
        ]
    )


def notify_to_verify(record) -> int:
    """A development record waits for the owner's direct atasan (admins see every
    pending record on their own page, so they get no reminder for each)."""
    owner = db.session.execute(
        select(Pegawai.nama, Pegawai.atasan_id).where(Pegawai.id == record.pegawai_id)
    ).one_or_none()
    if owner is None or owner.atasan_id is None:
        return 0
    return _insert_ignore(
        [
            {
                "pegawai_id": owner.atasan_id,
                "kind": "to_verify",
                "event_key": f"to_verify:{record.id}",
                "params": {"nama": owner.nama, "judul": record.judul},
                "link": _path("competencies.to_verify"),
            }
        ]
    )


def notify_certificate(sertifikat) -> int:
    if sertifikat.id is None:
        db.session.flush()  # its id is the event's name
    return _insert_ignore(
        [
            {
                "pegawai_id": sertifikat.pegawai_id,
                "kind": "certificate",
                "event_key": f"certificate:{sertifikat.id}",
                "params": {"kursus": sertifikat.kursus_title},
                "link": _path("certificates.pdf", code=sertifikat.code),
            }
        ]
    )


@signals.courses_assigned.connect
def _on_courses_assigned(sender, kursus, pegawai_ids, due_date=None, source="assigned", **extra):
    notify_assigned(kursus, pegawai_ids, due_date, source)


@signals.development_submitted.connect
def _on_development_submitted(sender, record, **extra):
    notify_to_verify(record)


@signals.certificate_issued.connect
def _on_certificate_issued(sender, sertifikat, **extra):
    notify_certificate(sertifikat)


@signals.development_settled.connect
def _on_development_settled(sender, record_id, **extra):
    """A record decided or withdrawn no longer waits for anyone: its reminder is read."""
    db.session.execute(
        update(Pengingat)
        .where(Pengingat.event_key == f"to_verify:{record_id}", Pengingat.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@signals.course_completed.connect
def _on_course_completed(sender, completion, **extra):
    """A completed course settles what was said about it: its assignment and due-date
    reminders count as read (and so are not emailed any more)."""
    enrolment_id = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.pegawai_id == completion.pegawai_id, Enrolment.kursus_id == completion.kursus_id
        )
    )
    keys = [Pengingat.event_key.startswith(f"assigned:{completion.kursus_id}:", autoescape=True)]
    if enrolment_id is not None:
        keys += [
            Pengingat.event_key.startswith(f"{kind}:{enrolment_id}:") for kind in ("due_soon", "overdue")
        ]
    db.session.execute(
        update(Pengingat)
        .where(Pengingat.pegawai_id == completion.pegawai_id, Pengingat.read_at.is_(None), or_(*keys))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# --- due dates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCourse:
    """An enrolment not completed whose due date is within DUE_SOON_DAYS or gone."""

    kind: str  # "due_soon" | "overdue"
    enrolment_id: int
    pegawai_id: int
    kursus_title: str
    slug: str
    due_date: date
    event_key: str


def _due_query(today: date):
    not_done = ~exists().where(
        CourseCompletion.pegawai_id == Enrolment.pegawai_id,
        CourseCompletion.kursus_id == Enrolment.kursus_id,
        CourseCompletion.cycle == Enrolment.cycle,
    )
    return (
        select(
            Enrolment.id,
            Enrolment.pegawai_id,
            Enrolment.cycle,
            Enrolment.due_date,
            Kursus.title,
            Kursus.slug,
        )
        .join(Kursus, Kursus.id == Enrolment.kursus_id)
        .where(
            Enrolment.due_date.is_not(None),
            Enrolment.due_date <= today + timedelta(days=DUE_SOON_DAYS),
            Kursus.status == "published",
            not_done,
        )
    )


def _due_course(row, today: date) -> DueCourse:
    kind = "overdue" if row.due_date < today else "due_soon"
    return DueCourse(
        kind=kind,
        enrolment_id=row.id,
        pegawai_id=row.pegawai_id,
        kursus_title=row.title,
        slug=row.slug,
        due_date=row.due_date,
        # The due date is part of the event: a moved date is news again.
        event_key=f"{kind}:{row.id}:{row.cycle}:{row.due_date.isoformat()}",
    )


def due_courses_of(pegawai_id: int, today: date) -> list[DueCourse]:
    """One person's courses due soon or overdue, worked out now (for the home page)."""
    rows = db.session.execute(
        _due_query(today).where(Enrolment.pegawai_id == pegawai_id).order_by(Enrolment.due_date, Kursus.title)
    )
    return [_due_course(row, today) for row in rows]


@dataclass(frozen=True)
class DueOutcome:
    due_soon: int
    overdue: int


def make_due_reminders(today: date) -> DueOutcome:
    """Reminders for every active person's courses due within DUE_SOON_DAYS or overdue:
    one SELECT and a bulk INSERT that skips those already made."""
    rows = db.session.execute(
        _due_query(today).join(Pegawai, Pegawai.id == Enrolment.pegawai_id).where(Pegawai.aktif.is_(True))
    )
    due = [_due_course(row, today) for row in rows]
    made = {"due_soon": 0, "overdue": 0}
    for kind in made:
        made[kind] = _insert_ignore(
            [
                {
                    "pegawai_id": d.pegawai_id,
                    "kind": kind,
                    "event_key": d.event_key,
                    "params": {"kursus": d.kursus_title, "due": d.due_date.isoformat()},
                    "link": _path("progress.course", slug=d.slug),
                }
                for d in due
                if d.kind == kind
            ]
        )
    return DueOutcome(**made)


# --- reading --------------------------------------------------------------------------------


def _due(params: dict) -> str:
    return format_date(date.fromisoformat(params["due"])) if params.get("due") else ""


def text_of(kind: str, params: dict) -> str:
    """The reminder as a sentence in the current language."""
    title = params.get("kursus") or ""
    if kind == "assigned":
        mandatory = params.get("source") == "mandatory"
        if params.get("due"):
            if mandatory:
                return _(
                    "A mandatory course for you: %(title)s, due %(date)s.", title=title, date=_due(params)
                )
            return _("A course assigned to you: %(title)s, due %(date)s.", title=title, date=_due(params))
        if mandatory:
            return _("A mandatory course for you: %(title)s.", title=title)
        return _("A course assigned to you: %(title)s.", title=title)
    if kind == "due_soon":
        return _("%(title)s is due %(date)s.", title=title, date=_due(params))
    if kind == "overdue":
        return _("%(title)s was due %(date)s and is not completed yet.", title=title, date=_due(params))
    if kind == "to_verify":
        return _(
            "%(name)s asks you to verify a development record: %(title)s.",
            name=params.get("nama", ""),
            title=params.get("judul", ""),
        )
    if kind == "certificate":
        return _("Your certificate for %(title)s is ready.", title=title)
    return ""


@dataclass(frozen=True)
class Reminder:
    id: str
    kind: str
    event_key: str
    text: str
    link: str
    created_at: datetime
    read: bool


def _shown(p: Pengingat) -> Reminder:
    text = text_of(p.kind, p.params or {})
    return Reminder(p.id, p.kind, p.event_key, text, p.link, p.created_at, p.read_at is not None)


def unread_of(pegawai_id: int, limit: int = 5) -> list[Reminder]:
    rows = db.session.scalars(
        select(Pengingat)
        .where(Pengingat.pegawai_id == pegawai_id, Pengingat.read_at.is_(None))
        .order_by(Pengingat.created_at.desc(), Pengingat.id)
        .limit(limit)
    )
    return [_shown(p) for p in rows]


@dataclass(frozen=True)
class ReminderPage:
    items: list[Reminder]
    unread: int
    page: int
    pages: int


PAGE_SIZE = 50


def reminders_of(pegawai_id: int, page: int = 1) -> ReminderPage:
    """Every reminder of the person, newest first, a page at a time (two queries)."""
    total, unread = db.session.execute(
        select(func.count(), func.count(Pengingat.id).filter(Pengingat.read_at.is_(None))).where(
            Pengingat.pegawai_id == pegawai_id
        )
    ).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        select(Pengingat)
        .where(Pengingat.pegawai_id == pegawai_id)
        .order_by(Pengingat.created_at.desc(), Pengingat.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return ReminderPage([_shown(p) for p in rows], unread, page, pages)


def mark_read(pegawai_id: int, reminder_id: str) -> Pengingat:
    """Mark one of the person's own reminders read; anyone else's is not found."""
    reminder = db.session.get(Pengingat, reminder_id) if is_valid_id(reminder_id) else None
    if reminder is None or reminder.pegawai_id != pegawai_id:
        raise NotFoundError()
    if reminder.read_at is None:
        reminder.read_at = utcnow()
        db.session.flush()
    return reminder


def mark_all_read(pegawai_id: int) -> int:
    return db.session.execute(
        update(Pengingat)
        .where(Pengingat.pegawai_id == pegawai_id, Pengingat.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# --- email ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    id: str
    to: str
    subject: str
    body: str


def to_email() -> list[Outgoing]:
    """Reminders not emailed yet (nor read in the app, nor settled) of active people with
    an email address and an active account, oldest first, with the mail text in
    Indonesian: the reader's own choice of language is not known outside a request."""
    rows = db.session.execute(
        select(Pengingat, Pegawai.nama, Pegawai.email)
        .join(Pegawai, Pegawai.id == Pengingat.pegawai_id)
        .join(User, User.pegawai_id == Pegawai.id)
        .where(
            Pengingat.emailed_at.is_(None),
            Pengingat.read_at.is_(None),
            Pegawai.email.is_not(None),
            Pegawai.email != "",
            Pegawai.aktif.is_(True),
            User.active.is_(True),
        )
        .order_by(Pengingat.created_at, Pengingat.id)
    ).all()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with force_locale("id"):
        return [_message(p, nama, email, base) for p, nama, email in rows]


def _message(p: Pengingat, nama: str, email: str, base: str) -> Outgoing:
    text = text_of(p.kind, p.params or {})
    body = "\n\n".join(
        [
            _("Hello %(name)s,", name=nama),
            text,
            _("Open it here: %(url)s", url=base + p.link),
            _("All your reminders: %(url)s", url=base + _path("notifications.index")),
        ]
    )
    return Outgoing(p.id, email.strip(), _("Reminder: %(text)s", text=text)[:200], body + "\n")


def claim(reminder_id: str, now: datetime) -> bool:
    """Mark a reminder emailed before sending it, if no one has: of two runs at once
    only one gets True (a conditional update), so a reminder is mailed once."""
    return bool(
        db.session.execute(
            update(Pengingat)
            .where(Pengingat.id == reminder_id, Pengingat.emailed_at.is_(None))
            .values(emailed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def release(reminder_id: str, now: datetime) -> None:
    """The mail could not be sent: the next run tries again."""
    db.session.execute(
        update(Pengingat)
        .where(and_(Pengingat.id == reminder_id, Pengingat.emailed_at == now))
        .values(emailed_at=None)
        .execution_options(synchronize_session=False)
    )


def send(message: Outgoing) -> bool:
    return send_mail(message.to, message.subject, message.body)
