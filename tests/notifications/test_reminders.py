"""Reminders: each event makes one reminder for the person it concerns, shown at home and
on the reminders page, and mailed once by ``flask pengingat kirim`` when SMTP is set."""

from __future__ import annotations

import gzip
from datetime import date, timedelta

import flask_babel
import pytest
from sqlalchemy import func, select

from lms import signals
from lms.certificates.models import Sertifikat
from lms.core.time import local_today, utcnow
from lms.extensions import db
from lms.notifications import cli as reminder_cli
from lms.notifications import services
from lms.notifications.models import Pengingat
from lms.org.models import Pegawai
from lms.progress.models import Enrolment
from lms.progress.services import assign_many
from tests.concurrency import together
from tests.conftest import NIPS, enter_development


def reminders(pegawai_id: int, kind: str | None = None) -> list[Pengingat]:
    query = select(Pengingat).where(Pengingat.pegawai_id == pegawai_id).order_by(Pengingat.created_at)
    if kind:
        query = query.where(Pengingat.kind == kind)
    return list(db.session.scalars(query))


def english(auth):
    auth.post("/bahasa", {"lang": "en"})


@pytest.fixture
def frozen(monkeypatch):
    """The command's 'today', fixed."""

    def freeze(day: date):
        monkeypatch.setattr(reminder_cli, "local_today", lambda: day)

    return freeze


def give_emails(users, *who):
    for name in who:
        users[name].pegawai.email = f"{name}@dinkes.example.go.id"
    db.session.commit()


# --- events ------------------------------------------------------------------------------


def test_an_assignment_makes_one_reminder_per_person_and_again_only_when_the_date_moves(ctx, users, course):
    learner, other = users["learner"], users["other"]
    due = local_today() + timedelta(days=30)
    assign_many([learner.pegawai_id, other.pegawai_id], course, due_date=due, assigned_by_id=None)
    assign_many([learner.pegawai_id], course, due_date=due, assigned_by_id=None)
    db.session.commit()
    assert len(reminders(learner.pegawai_id, "assigned")) == 1
    assert len(reminders(other.pegawai_id, "assigned")) == 1
    (first,) = reminders(learner.pegawai_id)
    assert first.params["kursus"] == course.title and first.params["due"] == due.isoformat()
    assert first.link == f"/kursus/{course.slug}"

    assign_many([learner.pegawai_id], course, due_date=due + timedelta(days=7), assigned_by_id=None)
    db.session.commit()
    assert len(reminders(learner.pegawai_id, "assigned")) == 2
    assert len(reminders(other.pegawai_id, "assigned")) == 1


def test_the_supervisor_assigning_from_the_team_page_reminds_the_learner(client, auth, users, course):
    auth.login(NIPS["supervisor"])
    response = auth.post(
        "/tim/tugaskan", {"tugas_kursus": course.id, "pegawai": users["learner"].pegawai_id, "who": "some"}
    )
    assert response.status_code == 302
    assert [r.kind for r in reminders(users["learner"].pegawai_id)] == ["assigned"]


def test_a_mandatory_assignment_says_so(ctx, users, course):
    signals.courses_assigned.send(
        "tests", kursus=course, pegawai_ids=[users["learner"].pegawai_id], due_date=None, source="mandatory"
    )
    (reminder,) = reminders(users["learner"].pegawai_id)
    with flask_babel.force_locale("en"):
        assert (
            services.text_of(reminder.kind, reminder.params) == f"A mandatory course for you: {course.title}."
        )


def test_a_submitted_development_record_reminds_the_direct_atasan_once(ctx, users):
    learner, supervisor = users["learner"], users["supervisor"]
    record = enter_development(learner.pegawai_id)
    signals.development_submitted.send("tests", record=record)  # noticed a second time
    db.session.commit()
    (reminder,) = reminders(supervisor.pegawai_id)
    assert reminder.kind == "to_verify" and reminder.link == "/pengembangan/verifikasi"
    assert reminder.params == {"nama": "Peserta Uji", "judul": record.judul}
    assert reminders(learner.pegawai_id) == []


@pytest.mark.parametrize("how", ["verify", "reject", "withdraw"])
def test_a_record_decided_or_withdrawn_no_longer_waits_in_the_reminders(ctx, users, how):
    from lms.progress import development

    learner, supervisor = users["learner"], users["supervisor"]
    record = enter_development(learner.pegawai_id)
    (reminder,) = reminders(supervisor.pegawai_id)
    assert reminder.read_at is None
    if how == "withdraw":
        development.withdraw(record, learner.pegawai_id)
    else:
        development.decide(
            record, verifier_id=supervisor.pegawai_id, approve=how == "verify", note="Tidak jelas"
        )
    db.session.commit()
    db.session.refresh(reminder)
    assert reminder.read_at is not None


def test_a_record_of_someone_without_atasan_reminds_nobody(ctx, users):
    enter_development(users["supervisor"].pegawai_id)
    assert db.session.scalar(select(func.count()).select_from(Pengingat)) == 0


def test_an_issued_certificate_reminds_its_owner_once(ctx, users, make_course, complete_course):
    learner = users["learner"]
    complete_course(learner, make_course("kursus-selesai", quiz=False))
    sertifikat = db.session.scalar(select(Sertifikat).where(Sertifikat.pegawai_id == learner.pegawai_id))
    signals.certificate_issued.send("tests", sertifikat=sertifikat)
    signals.certificate_issued.send("tests", sertifikat=sertifikat)
    db.session.commit()
    (reminder,) = reminders(learner.pegawai_id, "certificate")
    assert reminder.link == f"/sertifikat/{sertifikat.code}.pdf"


def test_two_requests_noticing_the_same_event_at_once_make_one_reminder(app, ctx, users, course):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("true parallel writers need PostgreSQL")
    learner_id, kursus_id = users["learner"].pegawai_id, course.id

    def notice():
        from lms.catalog.models import Kursus

        made = services.notify_assigned(db.session.get(Kursus, kursus_id), [learner_id], None, "assigned")
        db.session.commit()
        return made

    assert sorted(together(app, *[notice] * 4)) == [0, 0, 0, 1]
    assert len(reminders(learner_id)) == 1


def test_completing_the_course_settles_its_reminders(ctx, users, course, complete_course):
    learner = users["learner"]
    assign_many([learner.pegawai_id], course, due_date=local_today(), assigned_by_id=None)
    db.session.commit()
    complete_course(learner, course)
    assert all(r.read_at is not None for r in reminders(learner.pegawai_id, "assigned"))


# --- the daily command -----------------------------------------------------------------------


def test_due_soon_and_overdue_come_from_the_command_once_per_due_date(
    runner, ctx, users, make_course, frozen
):
    learner = users["learner"]
    today = date(2030, 3, 10)
    frozen(today)
    soon, late, far = make_course("kursus-a"), make_course("kursus-b"), make_course("kursus-c")
    for kursus, due in (
        (soon, today + timedelta(days=7)),
        (late, today - timedelta(days=1)),
        (far, today + timedelta(days=8)),
    ):
        db.session.add(
            Enrolment(pegawai_id=learner.pegawai_id, kursus_id=kursus.id, source="assigned", due_date=due)
        )
    db.session.commit()

    first = runner.invoke(args=["pengingat", "kirim"])
    assert first.exit_code == 0, first.output
    assert "1 due soon, 1 overdue" in first.output
    assert {(r.kind, r.params["kursus"]) for r in reminders(learner.pegawai_id)} == {
        ("due_soon", soon.title),
        ("overdue", late.title),
    }
    again = runner.invoke(args=["pengingat", "kirim"])
    assert "0 due soon, 0 overdue" in again.output

    # A moved due date is a new event; the next day the far course comes within 7 days.
    db.session.execute(
        db.update(Enrolment).where(Enrolment.kursus_id == late.id).values(due_date=today - timedelta(days=2))
    )
    db.session.commit()
    frozen(today + timedelta(days=1))
    later = runner.invoke(args=["pengingat", "kirim"])
    assert "1 due soon, 1 overdue" in later.output
    assert len(reminders(learner.pegawai_id, "overdue")) == 2


def test_completed_courses_and_inactive_people_get_no_due_reminders(
    runner, ctx, users, course, complete_course
):
    learner, other = users["learner"], users["other"]
    for user in (learner, other):
        db.session.add(Enrolment(pegawai_id=user.pegawai_id, kursus_id=course.id, due_date=local_today()))
    db.session.commit()
    complete_course(learner, course)
    db.session.get(Pegawai, other.pegawai_id).aktif = False
    db.session.commit()
    result = runner.invoke(args=["pengingat", "kirim"])
    assert "0 due soon, 0 overdue" in result.output
    due_kinds = Pengingat.kind.in_(("due_soon", "overdue"))
    assert db.session.scalar(select(func.count()).where(due_kinds)) == 0


def test_each_reminder_is_emailed_once_over_two_runs(runner, ctx, users, course, smtp_server):
    give_emails(users, "learner", "supervisor")
    due_date = local_today() + timedelta(days=20)
    assign_many([users["learner"].pegawai_id], course, due_date=due_date, assigned_by_id=None)
    enter_development(users["learner"].pegawai_id)
    db.session.commit()

    first = runner.invoke(args=["pengingat", "kirim"])
    assert "Emails sent: 2" in first.output, first.output
    second = runner.invoke(args=["pengingat", "kirim"])
    assert "Emails sent: 0" in second.output
    (to_learner,) = smtp_server.to("learner@dinkes.example.go.id")
    subject = " ".join(to_learner["Subject"].split())
    with flask_babel.force_locale("id"):  # the person's language is not known: Indonesian
        due = flask_babel.format_date(due_date)
    assert course.title in subject and due in subject
    body = to_learner.get_payload(decode=True).decode()
    assert "Peserta Uji" in body and f"/kursus/{course.slug}" in body
    assert len(smtp_server.to("supervisor@dinkes.example.go.id")) == 1
    assert all(r.emailed_at is not None for r in db.session.scalars(select(Pengingat)))


def test_people_without_email_or_active_account_and_read_reminders_get_no_mail(
    runner, ctx, users, course, smtp_server
):
    give_emails(users, "other", "supervisor")
    users["other"].active = False
    ids = [users[n].pegawai_id for n in ("learner", "other", "supervisor")]
    assign_many(ids, course, due_date=None, assigned_by_id=None)
    db.session.commit()
    services.mark_all_read(users["supervisor"].pegawai_id)
    db.session.commit()
    result = runner.invoke(args=["pengingat", "kirim"])
    assert "Emails sent: 0" in result.output
    assert smtp_server.messages == []


def test_two_runs_at_once_send_each_reminder_once(app, runner, ctx, users, course, smtp_server):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("true parallel runs need PostgreSQL")
    give_emails(users, "learner", "other", "supervisor")
    ids = [users[n].pegawai_id for n in ("learner", "other", "supervisor")]
    assign_many(ids, course, due_date=None, assigned_by_id=None)

    def run():
        # (CliRunner captures output process-wide: only the exit codes are told apart.)
        result = app.test_cli_runner().invoke(args=["pengingat", "kirim"])
        return result.exit_code, result.exception

    assert together(app, run, run) == [(0, None), (0, None)]
    assert len(smtp_server.messages) == 3
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        f"{n}@dinkes.example.go.id" for n in ("learner", "other", "supervisor")
    )


def test_without_smtp_nothing_is_sent_and_reminders_stay_in_the_app(runner, ctx, users, course):
    give_emails(users, "learner")
    assign_many([users["learner"].pegawai_id], course, due_date=None, assigned_by_id=None)
    db.session.commit()
    result = runner.invoke(args=["pengingat", "kirim"])
    assert result.exit_code == 0
    assert "SMTP is not configured" in result.output
    (reminder,) = reminders(users["learner"].pegawai_id)
    assert reminder.emailed_at is None


def test_a_dry_run_shows_what_would_be_sent_and_changes_nothing(runner, ctx, users, course, smtp_server):
    give_emails(users, "learner")
    db.session.add(
        Enrolment(pegawai_id=users["learner"].pegawai_id, kursus_id=course.id, due_date=local_today())
    )
    db.session.commit()
    result = runner.invoke(args=["pengingat", "kirim", "--dry-run"])
    assert "would send to learner@dinkes.example.go.id" in result.output, result.output
    assert "Emails that would be sent: 1" in result.output
    assert db.session.scalar(select(func.count()).select_from(Pengingat)) == 0
    assert smtp_server.messages == []


def test_the_command_applies_the_mandatory_rules_first(runner, ctx, users):
    result = runner.invoke(args=["pengingat", "kirim"])
    assert result.exit_code == 0 and "Mandatory rules applied" in result.output


# --- pages -------------------------------------------------------------------------------------


def test_home_shows_unread_reminders_and_courses_due_soon(client, auth, users, course, make_course):
    learner = users["learner"]
    assign_many([learner.pegawai_id], course, due_date=local_today() + timedelta(days=3), assigned_by_id=None)
    later = make_course("kursus-nanti")
    assign_many([learner.pegawai_id], later, due_date=local_today() + timedelta(days=60), assigned_by_id=None)
    db.session.commit()
    auth.login(NIPS["learner"])
    english(auth)
    page = client.get("/").get_data(as_text=True)
    assert "Reminders" in page and 'href="/pengingat"' in page
    assert f"{course.title} is due" in page  # worked out now: the command has not run
    assert f"A course assigned to you: {later.title}" in page


def test_the_home_panel_shows_at_most_five_and_stays_small(client, auth, users, make_course):
    learner = users["learner"]
    for n in range(8):
        kursus = make_course(f"kursus-{n}")
        assign_many([learner.pegawai_id], kursus, due_date=None, assigned_by_id=None)
    db.session.commit()
    auth.login(NIPS["learner"])
    english(auth)
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    page = gzip.decompress(response.data).decode()
    assert page.count("A course assigned to you") == 5
    assert len(response.data) < 10_000
    start = page.index('aria-labelledby="panel-reminders-h"')
    panel = page[start : page.index("</section>", start)]
    assert len(panel.encode()) < 2_500


def test_home_without_reminders_shows_no_panel(client, auth, users):
    auth.login(NIPS["learner"])
    assert "panel-reminders-h" not in client.get("/").get_data(as_text=True)


def test_the_reminders_page_lists_them_and_marks_them_read(client, auth, users, course):
    learner = users["learner"]
    assign_many([learner.pegawai_id], course, due_date=None, assigned_by_id=None)
    db.session.commit()
    auth.login(NIPS["learner"])
    english(auth)
    page = client.get("/pengingat").get_data(as_text=True)
    assert f"A course assigned to you: {course.title}." in page and "1 unread reminder" in page
    (reminder,) = reminders(learner.pegawai_id)
    assert auth.post(f"/pengingat/{reminder.id}/dibaca").status_code == 302
    assert reminders(learner.pegawai_id)[0].read_at is not None
    assert "Mark as read" not in client.get("/pengingat").get_data(as_text=True)
    assert "panel-reminders-h" not in client.get("/").get_data(as_text=True)


def test_mark_all_read(client, auth, users, make_course):
    learner = users["learner"]
    for slug in ("kursus-1", "kursus-2"):
        assign_many([learner.pegawai_id], make_course(slug), due_date=None, assigned_by_id=None)
    db.session.commit()
    auth.login(NIPS["learner"])
    assert auth.post("/pengingat/semua-dibaca").status_code == 302
    assert all(r.read_at is not None for r in reminders(learner.pegawai_id))


def test_nobody_marks_another_persons_reminder(client, auth, users, course):
    assign_many([users["other"].pegawai_id], course, due_date=None, assigned_by_id=None)
    db.session.commit()
    (theirs,) = reminders(users["other"].pegawai_id)
    auth.login(NIPS["learner"])
    assert auth.post(f"/pengingat/{theirs.id}/dibaca").status_code == 404
    assert auth.post("/pengingat/not-an-id/dibaca").status_code == 404
    assert auth.post("/pengingat/semua-dibaca").status_code == 302
    assert reminders(users["other"].pegawai_id)[0].read_at is None
    assert course.title not in client.get("/pengingat").get_data(as_text=True)


def test_the_reminders_page_is_for_signed_in_people(client):
    assert client.get("/pengingat").status_code == 302


def test_a_list_of_many_reminders_pages(client, auth, users, ctx):
    learner = users["learner"]
    now = utcnow()
    db.session.add_all(
        Pengingat(
            pegawai_id=learner.pegawai_id,
            kind="certificate",
            event_key=f"certificate:{n}",
            params={"kursus": f"Kursus {n:02d}"},
            link="/profil",
            created_at=now - timedelta(minutes=n),
        )
        for n in range(55)
    )
    db.session.commit()
    auth.login(NIPS["learner"])
    english(auth)
    first = client.get("/pengingat").get_data(as_text=True)
    assert "Kursus 00" in first and "Kursus 49" in first and "Kursus 50" not in first
    assert "Page 1 of 2" in first
    second = client.get("/pengingat?halaman=2").get_data(as_text=True)
    assert "Kursus 54" in second and "Kursus 00" not in second
