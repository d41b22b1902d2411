"""The JP ledger: development hours per calendar year, toward the 20 JP duty.

A completed course counts its JP once (the database holds one completion per learner
and course), in the year it was completed in the agency's time zone (Asia/Jakarta,
UTC+7), not in UTC. A development record done elsewhere counts once verified, in the
year of its end date; pending and rejected records do not count. ``ledger`` lists both
kinds, newest first, and the home and profile pages show the year's total.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from lms.core.time import local_today, utcnow
from lms.extensions import db
from lms.progress.models import CourseCompletion, Pengembangan
from lms.progress.services import jp_in_year, ledger

# 2025-12-31 17:30 UTC is 2026-01-01 00:30 in Jakarta; 16:59 UTC is still 23:59 on New Year's Eve.
NEW_YEAR_LOCAL = datetime(2025, 12, 31, 17, 30)
NEW_YEARS_EVE_LOCAL = datetime(2025, 12, 31, 16, 59)


@pytest.fixture
def learner(users):
    return users["learner"]


@pytest.fixture
def add_development(learner):
    """A development record of the learner's, with the given status and end date."""

    def add(jp: int, ended: date, status: str = "verified", judul: str = "Pelatihan Luar") -> Pengembangan:
        record = Pengembangan(
            pegawai_id=learner.pegawai_id,
            jenis="pelatihan",
            judul=judul,
            penyelenggara="Bapelkes Kupang",
            tanggal_mulai=ended - timedelta(days=2),
            tanggal_selesai=ended,
            jp=jp,
            nomor_sertifikat="123/2025",
            status=status,
        )
        db.session.add(record)
        db.session.commit()
        return record

    return add


# --- courses ----------------------------------------------------------------------------


def test_a_completed_course_counts_its_jp(learner, make_course, complete_course):
    complete_course(learner, make_course("k-satu", jp=6), when=datetime(2025, 6, 1, 3, 0))
    complete_course(learner, make_course("k-dua", jp=4), when=datetime(2025, 7, 1, 3, 0))
    assert jp_in_year(learner.pegawai_id, 2025) == 10


def test_a_course_completes_once_per_learner(learner, course, complete_course):
    complete_course(learner, course)
    db.session.add(
        CourseCompletion(
            pegawai_id=learner.pegawai_id,
            kursus_id=course.id,
            kursus_version=course.version,
            jp=course.jp,
            completed_at=utcnow(),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert jp_in_year(learner.pegawai_id, local_today().year) == course.jp


def test_the_jp_kept_is_the_jp_at_completion(learner, make_course, complete_course):
    """A course whose JP changes later does not change what was credited."""
    kursus = make_course("k-satu", jp=6)
    complete_course(learner, kursus, when=datetime(2025, 6, 1, 3, 0))
    kursus.jp = 12
    db.session.commit()
    assert jp_in_year(learner.pegawai_id, 2025) == 6


def test_a_completion_after_midnight_in_jakarta_counts_in_the_new_year(learner, course, complete_course):
    complete_course(learner, course, when=NEW_YEAR_LOCAL)
    assert jp_in_year(learner.pegawai_id, 2026) == course.jp
    assert jp_in_year(learner.pegawai_id, 2025) == 0


def test_a_completion_before_midnight_in_jakarta_counts_in_the_old_year(learner, course, complete_course):
    complete_course(learner, course, when=NEW_YEARS_EVE_LOCAL)
    assert jp_in_year(learner.pegawai_id, 2025) == course.jp
    assert jp_in_year(learner.pegawai_id, 2026) == 0


def test_other_peoples_hours_do_not_count(users, course, complete_course):
    complete_course(users["other"], course, when=datetime(2025, 6, 1, 3, 0))
    assert jp_in_year(users["learner"].pegawai_id, 2025) == 0


# --- development done elsewhere ----------------------------------------------------------


def test_only_verified_development_records_count(learner, add_development):
    add_development(8, date(2025, 3, 1), status="verified")
    add_development(16, date(2025, 4, 1), status="pending")
    add_development(32, date(2025, 5, 1), status="rejected")
    assert jp_in_year(learner.pegawai_id, 2025) == 8


def test_a_development_record_counts_in_the_year_it_ended(learner, add_development):
    record = add_development(8, date(2026, 1, 2))
    assert record.tanggal_mulai.year == 2025
    assert jp_in_year(learner.pegawai_id, 2026) == 8
    assert jp_in_year(learner.pegawai_id, 2025) == 0


@pytest.mark.parametrize(("ended", "year"), [(date(2025, 1, 1), 2025), (date(2025, 12, 31), 2025)])
def test_the_first_and_last_day_of_the_year_belong_to_it(learner, add_development, ended, year):
    add_development(8, ended)
    assert jp_in_year(learner.pegawai_id, year) == 8


def test_courses_and_development_add_up(learner, course, complete_course, add_development):
    complete_course(learner, course, when=datetime(2025, 6, 1, 3, 0))
    add_development(8, date(2025, 3, 1))
    assert jp_in_year(learner.pegawai_id, 2025) == course.jp + 8


# --- the ledger -----------------------------------------------------------------------------


def test_the_ledger_lists_both_kinds_newest_first(learner, make_course, complete_course, add_development):
    complete_course(learner, make_course("k-lama", jp=2), when=datetime(2025, 2, 1, 3, 0), score=80.0)
    complete_course(learner, make_course("k-baru", jp=3), when=NEW_YEAR_LOCAL)
    add_development(8, date(2025, 6, 30), judul="Seminar Farmasi")
    add_development(5, date(2025, 9, 1), status="pending", judul="Coaching")

    entries = ledger(learner.pegawai_id)
    assert [(e.day, e.title, e.jp, e.status, e.counted) for e in entries] == [
        (date(2026, 1, 1), "Kursus Uji k-baru", 3, "completed", True),
        (date(2025, 9, 1), "Coaching", 5, "pending", False),
        (date(2025, 6, 30), "Seminar Farmasi", 8, "verified", True),
        (date(2025, 2, 1), "Kursus Uji k-lama", 2, "completed", True),
    ]
    assert entries[-1].score == 80.0 and entries[-1].slug == "k-lama" and entries[-1].kind == "kursus"
    assert entries[2].kind == "pelatihan" and entries[2].record_id is not None


def test_an_empty_ledger(learner):
    assert ledger(learner.pegawai_id) == []


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def hours_this_year(learner, make_course, complete_course, add_development):
    """3 JP from a course completed now and 5 JP verified, plus 16 JP still pending."""
    complete_course(learner, make_course("k-satu", jp=3))
    add_development(5, local_today())
    add_development(16, local_today(), status="pending")
    return 8


@pytest.mark.parametrize("path", ["/", "/profil"])
def test_the_home_and_profile_pages_show_the_years_jp(app, client, login_as, hours_this_year, path):
    target = app.config["JP_TARGET_PER_YEAR"]
    login_as("learner")
    page = client.get(path).get_data(as_text=True)
    assert gettext("%(jp)d of %(target)d JP", jp=hours_this_year, target=target) in page
    assert gettext("%(left)d JP to go to meet the yearly duty.", left=target - hours_this_year) in page
