"""Mandatory training rules: whom a rule reaches, the duty and enrolment it gives them,
and how both follow people who join, move, change position or leave.

"Today" is frozen (``lms.progress.rules.local_today``) at TODAY so due dates are exact.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import flask_babel
import pytest
from sqlalchemy import func, select

from lms import signals
from lms.core.audit import AuditEntry
from lms.core.errors import DomainError
from lms.extensions import db
from lms.org.models import Jabatan, Pegawai, UnitKerja
from lms.progress import rules
from lms.progress.models import AturanWajib, Enrolment, Kewajiban
from lms.progress.rules import RuleInput
from tests.conftest import count_queries

TODAY = date(2026, 6, 1)
DUE = date(2026, 9, 30)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(rules, "local_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def org(unit):
    """Dinas Kesehatan > Bidang P2P > Seksi Surveilans, and the conftest's UPT Uji apart;
    positions Apoteker (fungsional), Kepala Seksi (pengawas), Pengadministrasi (pelaksana)."""
    dinas = UnitKerja(kode="DINKES", nama="Dinas Kesehatan", jenis="perangkat_daerah")
    bidang = UnitKerja(kode="P2P", nama="Bidang P2P", jenis="bidang", parent=dinas)
    seksi = UnitKerja(kode="SURV", nama="Seksi Surveilans", jenis="subbidang", parent=bidang)
    kasi = Jabatan(kode="KASI", nama="Kepala Seksi", jenis="pengawas")
    staf = Jabatan(kode="STAF", nama="Pengadministrasi", jenis="pelaksana")
    db.session.add_all([dinas, bidang, seksi, kasi, staf])
    db.session.commit()
    apt = db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))
    return SimpleNamespace(dinas=dinas, bidang=bidang, seksi=seksi, upt=unit, apt=apt, kasi=kasi, staf=staf)


_serial = iter(range(1, 100000))


def add_person(unit, jabatan=None, *, status="PNS", aktif=True, nama=None) -> Pegawai:
    n = next(_serial)
    pegawai = Pegawai(
        nip=str(199001012015010000 + n),
        nama=nama or f"Pegawai {n:05d}",
        status_asn=status,
        golongan="III/a" if status == "PNS" else "IX",
        unit_id=unit.id,
        jabatan_id=jabatan.id if jabatan else None,
        aktif=aktif,
    )
    db.session.add(pegawai)
    db.session.commit()
    return pegawai


@pytest.fixture
def person(org):
    return add_person


def make_rule(kursus, **fields):
    fields = {"nama": "Wajib uji", "kursus_id": kursus.id, "due_date": DUE, **fields}
    rule, outcome = rules.create_rule(RuleInput(**fields), None)
    db.session.commit()
    return rule, outcome


def duty(rule, pegawai, cycle=1) -> Kewajiban | None:
    return db.session.scalar(
        select(Kewajiban).where(
            Kewajiban.aturan_id == rule.id, Kewajiban.pegawai_id == pegawai.id, Kewajiban.cycle == cycle
        )
    )


def enrolment(kursus, pegawai) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(Enrolment.kursus_id == kursus.id, Enrolment.pegawai_id == pegawai.id)
    )


def changed(*people) -> None:
    """As org does: the change is flushed, then announced; the request commits."""
    db.session.flush()
    signals.people_changed.send("tests", pegawai_ids=[p.id for p in people])
    db.session.commit()


def reached(criteria) -> set[int]:
    return set(db.session.scalars(rules.matching(criteria)))


def criteria(**fields):
    return RuleInput(nama="x", kursus_id=None, **fields)


# --- whom a rule reaches ----------------------------------------------------------------


def test_empty_criteria_reach_every_active_employee(org, person):
    a, b = person(org.seksi), person(org.upt, status="PPPK")
    person(org.seksi, aktif=False)
    assert reached(criteria()) == {a.id, b.id}


def test_a_unit_with_its_subunits_reaches_the_whole_subtree_and_without_only_itself(org, person):
    at_dinas, at_bidang, at_seksi = person(org.dinas), person(org.bidang), person(org.seksi)
    person(org.upt)
    assert reached(criteria(unit_id=org.bidang.id)) == {at_bidang.id, at_seksi.id}
    assert reached(criteria(unit_id=org.dinas.id)) == {at_dinas.id, at_bidang.id, at_seksi.id}
    assert reached(criteria(unit_id=org.bidang.id, with_subunits=False)) == {at_bidang.id}


def test_each_criterion_narrows_and_they_combine(org, person):
    apt_pns = person(org.seksi, org.apt)
    apt_pppk = person(org.seksi, org.apt, status="PPPK")
    kasi = person(org.seksi, org.kasi)
    staf_far = person(org.upt, org.staf, status="PPPK")
    nobody_position = person(org.upt)
    assert reached(criteria(jabatan_id=org.apt.id)) == {apt_pns.id, apt_pppk.id}
    assert reached(criteria(jenis_jabatan="pengawas")) == {kasi.id}
    assert reached(criteria(jenis_jabatan="fungsional")) == {apt_pns.id, apt_pppk.id}
    assert reached(criteria(status_asn="PPPK")) == {apt_pppk.id, staf_far.id}
    assert reached(criteria(status_asn="PNS")) == {apt_pns.id, kasi.id, nobody_position.id}
    assert reached(criteria(unit_id=org.dinas.id, jenis_jabatan="fungsional", status_asn="PPPK")) == {
        apt_pppk.id
    }
    assert reached(criteria(unit_id=org.upt.id, jabatan_id=org.apt.id)) == set()


def test_the_preview_counts_everyone_and_lists_the_first_fifty_by_name(org, person):
    for n in range(55):
        person(org.seksi, org.apt, nama=f"Nama {n:02d}")
    person(org.upt, nama="Aaa Di Luar")
    found = rules.reach(criteria(unit_id=org.dinas.id))
    assert found.total == 55
    assert len(found.people) == 50
    assert [p.nama for p in found.people[:2]] == ["Nama 00", "Nama 01"]
    assert (found.people[0].unit, found.people[0].jabatan) == ("Seksi Surveilans", "Apoteker")


def test_preview_checks_the_fields_and_writes_nothing(org, person, course):
    person(org.seksi)
    found = rules.preview(RuleInput(nama="Uji", kursus_id=course.id, due_date=DUE), None)
    assert found.total == 1
    assert db.session.scalar(select(func.count()).select_from(Kewajiban)) == 0
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


# --- saving a rule --------------------------------------------------------------------------


def test_a_rule_that_matches_nobody_is_refused_and_not_saved(org, person, course):
    person(org.upt)
    with flask_babel.force_locale("en"), pytest.raises(DomainError) as refused:
        make_rule(course, unit_id=org.seksi.id)
    assert "matches nobody" in refused.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AturanWajib)) == 0


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"due_date": TODAY - timedelta(days=1)}, "due_date"),
        ({"due_date": None}, "due_date"),
        ({"due_kind": "days", "due_days": 0}, "due_days"),
        ({"due_kind": "days", "due_days": 3651}, "due_days"),
        ({"due_kind": "days", "due_days": None}, "due_days"),
        ({"nama": "  "}, "nama"),
        ({"jenis_jabatan": "menteri"}, "jenis_jabatan"),
        ({"status_asn": "CPNS"}, "status_asn"),
    ],
)
def test_bad_fields_are_refused_on_their_field(org, person, course, fields, field):
    person(org.seksi)
    with pytest.raises(DomainError) as refused:
        make_rule(course, **fields)
    assert refused.value.field == field


def test_a_yearly_rule_may_name_a_day_already_past_this_year(org, person, course):
    someone = person(org.seksi)
    rule, _ = make_rule(course, yearly=True, due_date=date(2026, 3, 31))
    assert duty(rule, someone, 2026).due_date == date(2026, 3, 31)


def test_a_rule_needs_a_published_course(org, person, make_course):
    person(org.seksi)
    draft = make_course("draf", status="draft")
    with pytest.raises(DomainError) as refused:
        make_rule(draft)
    assert refused.value.field == "kursus"


def test_saving_enrols_everyone_reached_with_the_due_date_and_announces_it_once(org, person, course):
    a, b = person(org.seksi), person(org.bidang)
    outside = person(org.upt)
    heard = []

    def listen(sender, **kw):
        heard.append(kw)

    signals.courses_assigned.connect(listen)
    try:
        rule, outcome = make_rule(course, unit_id=org.dinas.id)
    finally:
        signals.courses_assigned.disconnect(listen)
    assert outcome.enrolled == 2
    assert [(h["pegawai_ids"], h["due_date"], h["source"]) for h in heard] == [
        (sorted([a.id, b.id]), DUE, "mandatory")
    ]
    for someone in (a, b):
        row = duty(rule, someone)
        assert (row.opened_on, row.due_date, row.met_at, row.closed_at) == (TODAY, DUE, None, None)
        e = enrolment(course, someone)
        assert (e.source, e.due_date, e.aturan_id, e.cycle) == ("mandatory", DUE, rule.id, 1)
    assert enrolment(course, outside) is None


def test_relative_due_dates_count_from_the_day_someone_starts_to_match(org, person, course, monkeypatch):
    first = person(org.seksi)
    rule, _ = make_rule(course, due_kind="days", due_days=30, due_date=None)
    assert duty(rule, first).due_date == TODAY + timedelta(days=30)
    later = TODAY + timedelta(days=10)
    monkeypatch.setattr(rules, "local_today", lambda: later)
    newcomer = person(org.seksi)
    changed(newcomer)
    assert (duty(rule, newcomer).opened_on, duty(rule, newcomer).due_date) == (
        later,
        later + timedelta(days=30),
    )
    assert enrolment(course, newcomer).due_date == later + timedelta(days=30)


def test_a_supervisors_assignment_keeps_its_source_and_the_earlier_due_date(org, person, course, make_course):
    sooner, later = person(org.seksi), person(org.seksi)
    db.session.add_all(
        [
            Enrolment(
                pegawai_id=sooner.id, kursus_id=course.id, source="assigned", due_date=DUE - timedelta(days=9)
            ),
            Enrolment(
                pegawai_id=later.id, kursus_id=course.id, source="assigned", due_date=DUE + timedelta(days=9)
            ),
        ]
    )
    db.session.commit()
    make_rule(course)
    assert (enrolment(course, sooner).source, enrolment(course, sooner).due_date) == (
        "assigned",
        DUE - timedelta(days=9),
    )
    assert (enrolment(course, later).source, enrolment(course, later).due_date) == ("assigned", DUE)


def test_a_course_the_learner_chose_becomes_mandatory(org, person, course):
    someone = person(org.seksi)
    db.session.add(Enrolment(pegawai_id=someone.id, kursus_id=course.id, source="self"))
    db.session.commit()
    _rule, _ = make_rule(course)
    assert (enrolment(course, someone).source, enrolment(course, someone).due_date) == ("mandatory", DUE)


def test_someone_who_already_completed_the_course_has_the_duty_met_at_once(
    org, person, course, complete_course
):
    done, todo = person(org.seksi), person(org.seksi)
    completion = complete_course(done, course)
    heard = []
    signals.courses_assigned.connect(listen := lambda sender, **kw: heard.append(kw["pegawai_ids"]))
    try:
        rule, outcome = make_rule(course)
    finally:
        signals.courses_assigned.disconnect(listen)
    assert (outcome.enrolled, outcome.already_done) == (1, 1)
    assert duty(rule, done).met_at == completion.completed_at
    assert heard == [[todo.id]]
    assert (enrolment(course, done).source, enrolment(course, done).due_date) == ("self", None)


def test_completing_the_course_meets_the_duty(org, person, course, complete_course):
    someone = person(org.seksi)
    rule, _ = make_rule(course)
    completion = complete_course(someone, course)
    assert duty(rule, someone).met_at == completion.completed_at


# --- following people -----------------------------------------------------------------------


def test_someone_who_joins_is_enrolled(org, person, course):
    person(org.seksi)
    rule, _ = make_rule(course, unit_id=org.dinas.id)
    newcomer = person(org.bidang)
    assert enrolment(course, newcomer) is None
    changed(newcomer)
    assert duty(rule, newcomer).opened_on == TODAY
    assert (enrolment(course, newcomer).source, enrolment(course, newcomer).due_date) == ("mandatory", DUE)


def test_moving_out_closes_the_duty_and_clears_the_rules_due_date_and_moving_back_reopens_it(
    org, person, course
):
    someone = person(org.seksi)
    rule, _ = make_rule(course, unit_id=org.dinas.id)
    someone.unit_id = org.upt.id
    changed(someone)
    row = duty(rule, someone)
    assert row.closed_at is not None and row.met_at is None
    e = enrolment(course, someone)
    assert e is not None and e.due_date is None  # they may still finish it
    someone.unit_id = org.seksi.id
    changed(someone)
    assert duty(rule, someone).closed_at is None
    assert enrolment(course, someone).due_date == DUE


def test_moving_in_enrols(org, person, course):
    person(org.seksi)
    rule, _ = make_rule(course, unit_id=org.dinas.id)
    mover = person(org.upt)
    changed(mover)
    assert duty(rule, mover) is None
    mover.unit_id = org.bidang.id
    changed(mover)
    assert duty(rule, mover).closed_at is None and enrolment(course, mover).due_date == DUE


def test_changing_jabatan_closes_or_opens_the_duty(org, person, course):
    apoteker, staf = person(org.seksi, org.apt), person(org.seksi, org.staf)
    rule, _ = make_rule(course, jabatan_id=org.apt.id)
    apoteker.jabatan_id, staf.jabatan_id = org.staf.id, org.apt.id
    changed(apoteker, staf)
    assert duty(rule, apoteker).closed_at is not None
    assert duty(rule, staf).closed_at is None and enrolment(course, staf).source == "mandatory"


def test_deactivated_people_have_their_duty_closed(org, person, course):
    someone = person(org.seksi)
    rule, _ = make_rule(course)
    someone.aktif = False
    changed(someone)
    assert duty(rule, someone).closed_at is not None


def test_a_due_date_from_a_supervisor_stays_when_someone_stops_matching(org, person, course):
    someone = person(org.seksi)
    db.session.add(Enrolment(pegawai_id=someone.id, kursus_id=course.id, source="assigned", due_date=DUE))
    db.session.commit()
    make_rule(course, unit_id=org.dinas.id)
    someone.unit_id = org.upt.id
    changed(someone)
    assert enrolment(course, someone).due_date == DUE


def test_changing_the_rule_moves_open_due_dates_and_closes_those_it_no_longer_reaches(org, person, course):
    inside, leaving = person(org.seksi), person(org.upt)
    rule, _ = make_rule(course)
    later = DUE + timedelta(days=20)
    outcome = rules.update_rule(
        rule, RuleInput(nama="Wajib uji", kursus_id=None, unit_id=org.dinas.id, due_date=later), None
    )
    db.session.commit()
    assert (outcome.closed, outcome.updated) == (1, 1)
    assert duty(rule, inside).due_date == later and enrolment(course, inside).due_date == later
    assert duty(rule, leaving).closed_at is not None and enrolment(course, leaving).due_date is None


def test_deactivating_a_rule_closes_its_open_duties_and_reactivating_opens_them(org, person, course):
    someone = person(org.seksi)
    rule, _ = make_rule(course)
    assert rules.deactivate(rule).closed == 1
    db.session.commit()
    assert duty(rule, someone).closed_at is not None and enrolment(course, someone).due_date is None
    rules.reactivate(rule)
    db.session.commit()
    assert duty(rule, someone).closed_at is None and enrolment(course, someone).due_date == DUE


def test_every_change_is_audited_with_before_and_after(org, person, course):
    person(org.seksi)
    rule, _ = make_rule(course)
    rules.update_rule(rule, RuleInput(nama="Wajib baru", kursus_id=None, due_date=DUE), None)
    rules.deactivate(rule)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.at, AuditEntry.action)).all()
    by_action = {e.action: e for e in entries}
    assert {"aturan.create", "aturan.update", "aturan.deactivate"} <= set(by_action)
    assert by_action["aturan.create"].after["kursus_id"] == course.id
    assert (by_action["aturan.update"].before, by_action["aturan.update"].after) == (
        {"nama": "Wajib uji"},
        {"nama": "Wajib baru"},
    )
    assert by_action["aturan.deactivate"].after == {"aktif": False}


def test_the_list_counts_reach_met_open_and_overdue(org, person, course, complete_course, monkeypatch):
    a, _b, c = person(org.seksi), person(org.seksi), person(org.seksi)
    _rule, _ = make_rule(course)
    complete_course(a, course)
    c.aktif = False
    changed(c)
    monkeypatch.setattr(rules, "local_today", lambda: DUE + timedelta(days=1))
    [row] = rules.rules_for(None, today=DUE + timedelta(days=1))
    assert (row.reach, row.met, row.open, row.overdue) == (2, 1, 1, 1)


# --- scale ----------------------------------------------------------------------------------


def test_a_bulk_change_of_two_thousand_people_runs_a_bounded_number_of_queries(
    org, person, course, make_course
):
    person(org.seksi, org.apt)
    make_rule(course, unit_id=org.dinas.id)
    other = make_course("kursus-kedua")
    make_rule(
        other, nama="Wajib apoteker", jabatan_id=org.apt.id, due_kind="days", due_days=14, due_date=None
    )
    rows = [
        {
            "nip": str(198001012010010000 + n),
            "nama": f"Impor {n}",
            "status_asn": "PNS",
            "unit_id": (org.seksi.id if n % 2 else org.upt.id),
            "jabatan_id": org.apt.id if n % 3 == 0 else None,
            "aktif": True,
        }
        for n in range(2000)
    ]
    db.session.execute(Pegawai.__table__.insert(), rows)
    db.session.commit()
    ids = list(db.session.scalars(select(Pegawai.id).where(Pegawai.nip.startswith("1980"))))
    with count_queries() as statements:
        signals.people_changed.send("tests", pegawai_ids=ids)
    db.session.commit()
    assert len(statements) <= 30, len(statements)  # 18 today: a few per rule, none per person
    in_dinas = sum(1 for n in range(2000) if n % 2)
    apoteker = sum(1 for n in range(2000) if n % 3 == 0)
    enrolled = db.session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.pegawai_id.in_(ids), Enrolment.kursus_id == course.id)
    )
    assert enrolled == in_dinas
    assert (
        db.session.scalar(select(func.count()).select_from(Kewajiban).where(Kewajiban.pegawai_id.in_(ids)))
        == in_dinas + apoteker
    )
