"""A yearly mandatory course across a year boundary.

The clock is frozen (``lms.core.time``'s ``datetime``, which ``utcnow`` and
``local_today`` both read), so completions, attempts and duties all happen on the days
the story says: the course is completed in 2026; ``flask aturan terapkan`` runs on
2 January 2027, opens the 2027 duty and renews the course; the learner does it again
and a second completion (cycle 2) is recorded in 2027. Each year's JP counts in its year.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

import lms.core.time
from lms import signals
from lms.certificates.models import Sertifikat
from lms.extensions import db
from lms.org.models import Jabatan
from lms.progress import rules
from lms.progress import services as progress
from lms.progress.models import CourseCompletion, Enrolment, Kewajiban, ModuleCompletion
from lms.progress.rules import RuleInput, on_year
from lms.quizzes import services as quizzes
from tests.conftest import CORRECT_ANSWERS, NIPS, WRONG_ANSWERS, real_answers


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 2, 3, 0)  # naive UTC, as the database keeps it

    def set(self, *args):
        self.now = datetime(*args)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now.replace(tzinfo=UTC).astimezone(tz) if tz else clock.now

    monkeypatch.setattr(lms.core.time, "datetime", Frozen)
    return clock


@pytest.fixture
def learner(users):
    return users["learner"]


@pytest.fixture
def yearly_rule(clock, learner, course):
    """Every year by 30 June, for the apoteker: the learner is the only one."""
    apoteker = db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))
    learner.pegawai.jabatan_id = apoteker.id
    db.session.commit()
    rule, _ = rules.create_rule(
        RuleInput(
            nama="Pelayanan farmasi tahunan",
            kursus_id=course.id,
            jabatan_id=apoteker.id,
            due_date=date(2026, 6, 30),
            yearly=True,
        ),
        None,
    )
    db.session.commit()
    return rule


def do_the_course(pegawai_id, kursus, *, fail_first=False):
    """Read every module and pass the quiz, through the services the pages call."""
    for modul in kursus.moduls:
        progress.complete_module(pegawai_id, modul)
    kuis = quizzes.quiz_for_course(kursus.id)
    if fail_first:
        attempt = quizzes.start_attempt(pegawai_id, kuis)
        quizzes.submit_attempt(attempt, real_answers(attempt.id, WRONG_ANSWERS))
    attempt = quizzes.start_attempt(pegawai_id, kuis)
    quizzes.submit_attempt(attempt, real_answers(attempt.id, CORRECT_ANSWERS))
    db.session.commit()
    return attempt


def duty(rule, pegawai_id, cycle):
    return db.session.scalar(
        select(Kewajiban).where(
            Kewajiban.aturan_id == rule.id, Kewajiban.pegawai_id == pegawai_id, Kewajiban.cycle == cycle
        )
    )


def test_the_duty_of_a_yearly_rule_is_for_the_calendar_year(yearly_rule, learner, course):
    row = duty(yearly_rule, learner.pegawai_id, 2026)
    assert (row.opened_on, row.due_date) == (date(2026, 3, 2), date(2026, 6, 30))
    enrolment = progress.enrolment_for(learner.pegawai_id, course.id)
    assert (enrolment.source, enrolment.cycle, enrolment.due_date) == ("mandatory", 1, date(2026, 6, 30))


def test_29_february_falls_on_the_28th_in_other_years():
    assert on_year(date(2028, 2, 29), 2027) == date(2027, 2, 28)
    assert on_year(date(2028, 2, 29), 2032) == date(2032, 2, 29)


def test_a_new_year_renews_the_course_and_the_second_pass_is_a_second_completion(
    clock, yearly_rule, learner, course, runner
):
    me = learner.pegawai_id
    do_the_course(me, course, fail_first=True)
    first = progress.completion_for(me, course.id)
    assert (first.cycle, first.completed_at) == (1, clock.now)
    assert duty(yearly_rule, me, 2026).met_at == first.completed_at

    clock.set(2027, 1, 2, 1, 0)  # 08:00 on 2 January in Jakarta
    result = runner.invoke(args=["aturan", "terapkan"])
    assert result.exit_code == 0, result.output
    assert "1 enrolled (1 renewed" in result.output
    db.session.expire_all()

    new_duty = duty(yearly_rule, me, 2027)
    assert (new_duty.opened_on, new_duty.due_date, new_duty.met_at) == (
        date(2027, 1, 1),
        date(2027, 6, 30),
        None,
    )
    enrolment = progress.enrolment_for(me, course.id)
    assert (enrolment.cycle, enrolment.cycle_started_at, enrolment.due_date) == (
        2,
        clock.now,
        date(2027, 6, 30),
    )
    # To do again: no module read, no completion, the quiz's attempts counted afresh.
    assert progress.done_module_ids(me, course.id) == set()
    assert progress.completion_for(me, course.id) is None
    state = quizzes.status_of(me, quizzes.quiz_for_course(course.id))
    assert (state.used, state.left, state.passed, state.best) == (0, 2, False, None)
    assert quizzes.best_percent(me, state.version.kuis_id) is None
    [mine] = progress.my_courses(me)
    assert (mine.completion, mine.modules_done, mine.quiz_passed) == (None, 0, False)
    assert mine.enrolment.due_date == date(2027, 6, 30)
    # The first pass stays as history.
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1

    clock.set(2027, 2, 10, 2, 0)
    attempt = do_the_course(me, course, fail_first=True)
    assert attempt.number == 4  # numbers run on; the limit of 2 counts this pass only
    second = progress.completion_for(me, course.id)
    assert (second.cycle, second.completed_at) == (2, clock.now)
    assert duty(yearly_rule, me, 2027).met_at == second.completed_at
    assert progress.jp_in_year(me, 2026) == course.jp
    assert progress.jp_in_year(me, 2027) == course.jp
    assert (
        db.session.scalar(select(func.count()).select_from(Sertifikat).where(Sertifikat.pegawai_id == me))
        == 2
    )


def test_applying_every_rule_twice_changes_nothing_the_second_time(
    clock, yearly_rule, learner, course, runner
):
    do_the_course(learner.pegawai_id, course)
    clock.set(2027, 1, 1, 0, 30)

    def snapshot():
        db.session.expire_all()
        return [
            db.session.execute(select(*table.c).order_by(*table.primary_key.columns)).all()
            for table in (Kewajiban.__table__, Enrolment.__table__, ModuleCompletion.__table__)
        ]

    first = runner.invoke(args=["aturan", "terapkan"])
    assert first.exit_code == 0 and "1 enrolled" in first.output
    after_first = snapshot()
    second = runner.invoke(args=["aturan", "terapkan"])
    assert second.exit_code == 0
    assert (
        "0 enrolled (0 renewed for a new year), 0 already done, 0 closed, 0 due dates moved" in second.output
    )
    assert snapshot() == after_first


def test_someone_who_did_not_finish_last_year_is_not_renewed_but_gets_this_years_date(
    clock, yearly_rule, learner, course
):
    me = learner.pegawai_id
    progress.complete_module(me, course.moduls[0])
    db.session.commit()
    clock.set(2027, 1, 5, 3, 0)
    outcome = rules.apply_rule(yearly_rule)
    db.session.commit()
    assert (outcome.enrolled, outcome.renewed) == (1, 0)
    enrolment = progress.enrolment_for(me, course.id)
    assert (enrolment.cycle, enrolment.due_date) == (1, date(2027, 6, 30))
    assert len(progress.done_module_ids(me, course.id)) == 1
    assert duty(yearly_rule, me, 2026).met_at is None  # last year's duty stays unmet


def test_someone_who_joins_mid_year_opens_on_the_day_they_join(
    clock, yearly_rule, learner, course, make_user, unit
):
    clock.set(2027, 1, 1, 0, 30)
    rules.apply_all()
    db.session.commit()
    clock.set(2027, 4, 3, 3, 0)
    newcomer = make_user("199501012020121001", "Pendatang")
    newcomer.pegawai.jabatan_id = yearly_rule.jabatan_id
    db.session.flush()
    signals.people_changed.send("tests", pegawai_ids=[newcomer.pegawai_id])
    db.session.commit()
    row = duty(yearly_rule, newcomer.pegawai_id, 2027)
    assert (row.opened_on, row.due_date) == (date(2027, 4, 3), date(2027, 6, 30))
    assert duty(yearly_rule, learner.pegawai_id, 2027).opened_on == date(2027, 1, 1)


def test_the_team_report_counts_the_current_pass(clock, yearly_rule, learner, course):
    from lms.reports.queries import Scope, course_summary

    do_the_course(learner.pegawai_id, course)
    people = Scope(None).ids()  # everyone
    [row] = course_summary(people, today=date(2026, 3, 2))
    assert row.completed == 1
    clock.set(2027, 1, 2, 1, 0)
    rules.apply_all()
    db.session.commit()
    [row] = course_summary(people, today=date(2027, 1, 2))
    assert (row.enrolled, row.completed) == (1, 0)


def test_the_learners_pages_show_the_course_to_do_again(clock, yearly_rule, learner, course, client, auth):
    do_the_course(learner.pegawai_id, course)
    clock.set(2027, 1, 2, 1, 0)
    rules.apply_all()
    db.session.commit()
    auth.login(NIPS["learner"])
    auth.post("/bahasa", {"lang": "en"})
    home = words(client.get("/"))
    to_do, done = home.split(" Completed ", 1)
    assert "Due Jun 30, 2027" in to_do and "0 of 3 steps done" in to_do
    assert "No completed courses yet." in done
    page = words(client.get(f"/kursus/{course.slug}"))
    assert "Due Jun 30, 2027" in page and "Start: Pembuka" in page
    assert "Attempts: 0 of 2 used" in words(client.get(f"/kursus/{course.slug}/kuis"))
    started = auth.post(f"/kursus/{course.slug}/kuis/mulai")
    assert started.status_code == 302 and "/percobaan/" in started.headers["Location"]


def words(response) -> str:
    """The text of a page's main part, tags dropped and spaces squeezed."""
    main = response.get_data(as_text=True).split("<main", 1)[-1].split("</main>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def test_a_supervisor_can_assign_a_renewed_course_but_not_one_done_this_cycle(
    clock, yearly_rule, learner, users, course
):
    do_the_course(learner.pegawai_id, course)
    boss = users["supervisor"].pegawai_id
    first = progress.assign_many([learner.pegawai_id], course, due_date=None, assigned_by_id=boss)
    assert first.already_done == [learner.pegawai_id]
    clock.set(2027, 1, 2, 1, 0)
    rules.apply_all()
    again = progress.assign_many([learner.pegawai_id], course, due_date=date(2027, 3, 1), assigned_by_id=boss)
    assert again.already_done == [] and again.updated == 1


def test_the_trainers_workspace_counts_people_not_completions(clock, yearly_rule, learner, users, course):
    from lms.reports.trainer import trainer_courses

    do_the_course(learner.pegawai_id, course)
    clock.set(2027, 1, 2, 1, 0)
    rules.apply_all()
    do_the_course(learner.pegawai_id, course)
    [figures] = [f for f in trainer_courses(users["admin"], since=datetime(2026, 1, 1)) if f.id == course.id]
    assert (figures.enrolled, figures.completed) == (1, 1)
