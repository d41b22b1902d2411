"""Times show their zone: each unit keeps WIB, WITA or WIT, a deadline reads in the
viewer's zone with its name, and periods are half-open days of the agency's calendar."""

import re
from datetime import date, datetime, timedelta

import pytest

from lms.core.time import Period
from lms.extensions import db
from lms.quizzes.models import Attempt


def deadline_shown(client, auth, slug="kursus-waktu") -> tuple[str, Attempt]:
    auth.post(f"/kursus/{slug}/daftar")
    attempt_id = auth.post(f"/kursus/{slug}/kuis/mulai").headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/percobaan/{attempt_id}").get_data(as_text=True)
    found = re.search(r"Kirim sebelum pukul (\d{1,2})[.:](\d{2}) (WIB|WITA|WIT)", page)
    assert found, "no deadline with a zone on the page"
    return found, db.session.get(Attempt, attempt_id)


@pytest.mark.parametrize(
    ("zone", "label", "offset"), [(None, "WIB", 7), ("Asia/Makassar", "WITA", 8), ("Asia/Jayapura", "WIT", 9)]
)
def test_a_deadline_reads_in_the_viewers_unit_zone(
    client, auth, login_as, unit, make_course, zone, label, offset
):
    unit.zona = zone
    db.session.commit()
    make_course("kursus-waktu", time_limit=20)
    login_as("learner")
    found, attempt = deadline_shown(client, auth)
    local = attempt.deadline_at + timedelta(hours=offset)
    assert found.group(3) == label
    assert (int(found.group(1)), int(found.group(2))) == (local.hour, local.minute)


def test_the_demo_organisation_keeps_wita(ctx):
    from lms.demo import UNITS, ZONE, seed_demo
    from lms.org.models import UnitKerja

    seed_demo()
    db.session.commit()
    assert ZONE == "Asia/Makassar"
    assert {u.zona for u in db.session.scalars(db.select(UnitKerja))} == {ZONE}
    assert len(UNITS) == db.session.scalar(db.select(db.func.count(UnitKerja.id)))


def test_a_period_of_days_holds_its_last_day_and_not_the_next():
    june = Period.days(date(2026, 6, 1), date(2026, 6, 30))
    assert (june.start, june.end, june.last) == (date(2026, 6, 1), date(2026, 7, 1), date(2026, 6, 30))


def test_a_year_runs_from_new_years_midnight_in_the_agencys_zone(app):
    with app.app_context():
        start, end = Period.year(2026).utc_bounds()
    assert (start, end) == (datetime(2025, 12, 31, 17), datetime(2026, 12, 31, 17))  # WIB is UTC+7


def test_consecutive_periods_share_no_moment(app):
    with app.app_context():
        first = Period.days(date(2026, 1, 1), date(2026, 1, 31)).utc_bounds()
        second = Period.days(date(2026, 2, 1), date(2026, 2, 28)).utc_bounds()
    assert first[1] == second[0]
