"""The supervisor's team view: figures per person and per course, filters, paging,
assigning courses, exports; and the admin's monitoring by unit.

The supervisor fixture ("Atasan Uji") has two direct reports, "Peserta Uji" (learner)
and "Peserta Lain" (other); more people are added as rows where a test needs them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from config import TestingConfig
from lms.catalog.models import Kursus
from lms.competencies.services import set_standards
from lms.extensions import db
from lms.org.models import Pegawai
from lms.org.nip import normalise
from lms.progress.models import Enrolment
from lms.reports.queries import PAGE_SIZE
from tests.conftest import NIPS

from .conftest import (
    course_rows,
    csv_rows,
    days_from_today,
    flashes,
    local_today,
    monitoring_rows,
    sheet_rows,
    team_rows,
    workbook,
)

TODAY = local_today()
THIS_YEAR = TODAY.year
LAST_YEAR = datetime(THIS_YEAR - 1, 6, 1, 3, 0)
YESTERDAY = days_from_today(-1)
LEARNER, OTHER = "Peserta Uji", "Peserta Lain"


def title(slug: str) -> str:
    return f"Kursus Uji {slug}"


@pytest.fixture
def supervisor(client, english, login_as):
    return login_as("supervisor")


def person(pid: int) -> Pegawai:
    return db.session.get(Pegawai, pid)


def place(user_or_id, **fields) -> None:
    pegawai = user_or_id.pegawai if hasattr(user_or_id, "pegawai") else person(user_or_id)
    for name, value in fields.items():
        setattr(pegawai, name, value)
    db.session.commit()


def names(response) -> set[str]:
    return set(team_rows(response))


# --- figures per person --------------------------------------------------------------------


@pytest.fixture
def figures_scenario(users, courses, apt, enrol, complete_course, development):
    learner, other = users["learner"], users["other"]
    place(learner, jabatan_id=apt.id)
    set_standards(apt, {"M.01": 3, "M.02": 2, "T.KEFARMASIAN": 4, "SK.01": 1})
    db.session.commit()
    # learner: one assignment overdue, one due later; two completions (one last year);
    # development records verified this year, pending, and verified last year.
    enrol(learner, courses.a, due=YESTERDAY)
    enrol(learner, courses.b, due=days_from_today(30))
    complete_course(learner, courses.c, score=90)
    complete_course(learner, courses.d, score=75, when=LAST_YEAR)
    development(learner, 6)
    development(learner, 10, status="pending")
    development(learner, 8, day=date(THIS_YEAR - 1, 6, 1))
    # other: an assignment past its due date but completed, and enough JP for the year.
    enrol(other, courses.a, due=YESTERDAY)
    complete_course(other, courses.a, score=80)
    development(other, 17)


def test_each_person_shows_assigned_completed_overdue_and_jp_this_year(client, supervisor, figures_scenario):
    rows = team_rows(client.get("/tim"))
    assert set(rows) == {LEARNER, OTHER}
    learner, other = rows[LEARNER], rows[OTHER]
    # "Completed" stands against "Assigned": her two completions were courses she chose.
    assert (learner["assigned"], learner["completed"], learner["self_completed"], learner["overdue"]) == (
        2,
        0,
        2,
        1,
    )
    # 4 JP from this year's course + 6 verified; not the pending 10 nor last year's 7 and 8.
    assert learner["jp"] == 10
    # Completed, so not overdue although the due date has passed.
    assert (other["assigned"], other["completed"], other["overdue"]) == (1, 1, 0)
    assert other["jp"] == 3 + 17


def test_jp_this_year_follows_the_calendar_year_in_the_agency_s_zone(
    client, supervisor, users, courses, complete_course
):
    zone = ZoneInfo(TestingConfig.BABEL_DEFAULT_TIMEZONE)

    def utc(*local) -> datetime:
        return datetime(*local, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    # Half an hour into the year locally is still the previous year in UTC, and the reverse.
    complete_course(users["learner"], courses.a, when=utc(THIS_YEAR, 1, 1, 0, 30))
    complete_course(users["other"], courses.a, when=utc(THIS_YEAR - 1, 12, 31, 23, 30))
    rows = team_rows(client.get("/tim"))
    assert rows[LEARNER]["jp"] == 3
    assert rows[OTHER]["jp"] == 0


def test_the_page_counts_who_reached_the_yearly_jp(client, supervisor, figures_scenario):
    page = client.get("/tim").get_data(as_text=True)
    assert "2 people in this view" in page
    assert f"1 have reached 20 JP in {THIS_YEAR}" in page


def test_the_largest_three_gaps_are_shown_largest_first(client, supervisor, figures_scenario):
    rows = team_rows(client.get("/tim"))
    # M.01 is 2 from the completed courses; M.01 and SK.01 both miss by one: code order.
    assert rows[LEARNER]["gaps"] == [("T.KEFARMASIAN", 0, 4), ("M.02", 0, 2), ("M.01", 2, 3)]
    assert rows[LEARNER]["jabatan"] == "Apoteker"
    assert rows[OTHER]["gaps"] == []


def test_the_team_is_the_people_below_the_viewer_and_not_the_viewer(client, supervisor, figures_scenario):
    rows = team_rows(client.get("/tim"))
    assert "Atasan Uji" not in rows
    assert {"Pengajar Uji", "Admin Uji"}.isdisjoint(rows)


def test_inactive_employees_are_left_out(client, supervisor, users, add_people):
    add_people(["Sudah Pensiun"], atasan_id=users["supervisor"].pegawai_id, aktif=False)
    assert names(client.get("/tim")) == {LEARNER, OTHER}


def test_admins_see_the_whole_organisation(client, english, login_as, figures_scenario):
    login_as("admin")
    assert names(client.get("/tim")) == {
        LEARNER,
        OTHER,
        "Atasan Uji",
        "Pengajar Uji",
        "Admin Uji",
    }


# --- filters ---------------------------------------------------------------------------


@pytest.fixture
def filter_scenario(
    users, courses, apt, make_unit, make_jabatan, add_people, enrol, complete_course, development
):
    """Units Dinas > Puskesmas > Pustu; four people under the supervisor:

    - Peserta Uji (Puskesmas, Apoteker): kursus-a overdue, kursus-b due later
    - Peserta Lain (Pustu): kursus-a assigned and completed
    - Budi Santoso (Dinas, Perawat): kursus-a self-enrolled, kursus-b completed, 25 JP
    - Citra Dewi (UPT Uji): nothing at all
    """
    dinas = make_unit("DINAS", "Dinas Kesehatan", jenis="perangkat_daerah")
    puskesmas = make_unit("PKM", "Puskesmas Oesapa", parent=dinas, jenis="puskesmas")
    pustu = make_unit("PUSTU", "Pustu Lasiana", parent=puskesmas, jenis="upt")
    perawat = make_jabatan("PRW", "Perawat")
    learner, other = users["learner"], users["other"]
    place(learner, unit_id=puskesmas.id, jabatan_id=apt.id)
    place(other, unit_id=pustu.id)
    chief = users["supervisor"].pegawai_id
    (budi,) = add_people(["Budi Santoso"], atasan_id=chief, unit_id=dinas.id, jabatan_id=perawat.id)
    add_people(["Citra Dewi"], atasan_id=chief)
    enrol(learner, courses.a, due=YESTERDAY)
    enrol(learner, courses.b, due=days_from_today(10))
    enrol(other, courses.a, due=days_from_today(10))
    complete_course(other, courses.a)
    enrol(budi, courses.a, source="self")
    complete_course(person(budi), courses.b)
    development(budi, 20)
    return SimpleNamespace(dinas=dinas, puskesmas=puskesmas, pustu=pustu, apt=apt, perawat=perawat)


EVERYONE = {LEARNER, OTHER, "Budi Santoso", "Citra Dewi"}
FILTERS = [
    ({}, EVERYONE),
    ({"unit": "dinas"}, {LEARNER, OTHER, "Budi Santoso"}),  # sub-units included
    ({"unit": "puskesmas"}, {LEARNER, OTHER}),
    ({"unit": "pustu"}, {OTHER}),
    ({"jabatan": "apt"}, {LEARNER}),
    ({"jabatan": "perawat"}, {"Budi Santoso"}),
    ({"status": "overdue"}, {LEARNER}),
    ({"status": "pending"}, {LEARNER}),  # an assignment not yet done; Budi only chose his own
    ({"status": "completed"}, {OTHER}),  # every assignment done
    ({"status": "not_enrolled"}, {"Citra Dewi"}),
    ({"status": "below_jp"}, {LEARNER, OTHER, "Citra Dewi"}),
    ({"kursus": "a"}, EVERYONE),  # a course alone narrows the figures, not the people
    ({"kursus": "a", "status": "overdue"}, {LEARNER}),
    ({"kursus": "b", "status": "overdue"}, set()),
    ({"kursus": "a", "status": "pending"}, {LEARNER, "Budi Santoso"}),
    ({"kursus": "a", "status": "completed"}, {OTHER}),
    ({"kursus": "b", "status": "completed"}, {"Budi Santoso"}),
    ({"kursus": "b", "status": "not_enrolled"}, {OTHER, "Citra Dewi"}),
    ({"q": "peserta"}, {LEARNER, OTHER}),
    ({"q": "BUDI"}, {"Budi Santoso"}),
    ({"q": "santoso"}, {"Budi Santoso"}),
    ({"q": NIPS["learner"]}, {LEARNER}),
    ({"q": NIPS["learner"][:8]}, {LEARNER}),
    ({"q": "tidak ada"}, set()),
    ({"unit": "dinas", "status": "below_jp"}, {LEARNER, OTHER}),
    ({"status": "bogus"}, EVERYONE),  # an unknown status is no filter
]


def _query(args: dict, scenario, courses) -> dict:
    resolved = {}
    for key, value in args.items():
        if key in ("unit", "jabatan"):
            value = getattr(scenario, value).id
        elif key == "kursus":
            value = getattr(courses, value).id
        resolved[key] = value
    return resolved


@pytest.mark.parametrize(("args", "expected"), FILTERS, ids=[str(a) for a, _ in FILTERS])
def test_filters_narrow_the_people_shown(client, supervisor, courses, filter_scenario, args, expected):
    response = client.get("/tim", query_string=_query(args, filter_scenario, courses))
    assert names(response) == expected
    if not expected:
        assert "Nobody matches these filters." in response.get_data(as_text=True)


@pytest.mark.parametrize(("args", "expected"), FILTERS, ids=[str(a) for a, _ in FILTERS])
def test_the_csv_export_follows_the_same_filters(
    client, supervisor, courses, filter_scenario, args, expected
):
    rows = csv_rows(client.get("/tim/ekspor.csv", query_string=_query(args, filter_scenario, courses)))
    assert {row[1] for row in rows[1:]} == expected


def test_without_a_course_the_status_is_about_assignments_not_courses_chosen_freely(
    client, supervisor, users, courses, filter_scenario, enrol
):
    # Peserta Lain finished every assignment, then enrolled in a course of her own choice.
    enrol(users["other"], courses.c, source="self")
    assert names(client.get("/tim", query_string={"status": "completed"})) == {OTHER}
    assert OTHER not in names(client.get("/tim", query_string={"status": "pending"}))
    # About that course, she has not completed it.
    about_c = {"kursus": courses.c.id, "status": "pending"}
    assert names(client.get("/tim", query_string=about_c)) == {OTHER}


def test_a_course_filter_narrows_the_figures_to_that_course(client, supervisor, courses, filter_scenario):
    rows = team_rows(client.get("/tim", query_string={"kursus": courses.b.id}))
    assert (rows[LEARNER]["assigned"], rows[LEARNER]["completed"], rows[LEARNER]["overdue"]) == (1, 0, 0)
    assert (rows[OTHER]["assigned"], rows[OTHER]["completed"]) == (0, 0)
    assert (rows["Budi Santoso"]["assigned"], rows["Budi Santoso"]["self_completed"]) == (0, 1)
    # JP stays the year's total: it is about the person, not the course.
    assert rows["Budi Santoso"]["jp"] == 5 + 20


def test_a_unit_filter_from_another_team_shows_nobody_outside_the_team(
    client, supervisor, users, courses, filter_scenario, add_people
):
    add_people(["Orang Dinas Lain"], unit_id=filter_scenario.dinas.id)
    assert "Orang Dinas Lain" not in names(
        client.get("/tim", query_string={"unit": filter_scenario.dinas.id})
    )


def test_the_position_filter_offers_the_positions_the_team_holds(
    client, supervisor, filter_scenario, make_jabatan
):
    make_jabatan("CAMAT", "Camat")  # nobody in the team holds it
    page = client.get("/tim").get_data(as_text=True)
    offered = re.findall(r'<select id="f-jabatan".*?</select>', page, re.S)[0]
    assert "Apoteker" in offered and "Perawat" in offered and "Camat" not in offered


def test_gaps_carry_their_names_in_the_row_itself(client, supervisor, figures_scenario):
    page = client.get("/tim").get_data(as_text=True)
    assert re.search(r'<span class="tag gap">T.KEFARMASIAN [^<]+ <b>0→4</b>', page)


# --- paging --------------------------------------------------------------------------------


@pytest.fixture
def big_team(users, add_people):
    """55 more people under the supervisor: 57 in all, more than one page."""
    return add_people(55, atasan_id=users["supervisor"].pegawai_id)


def test_the_team_is_shown_fifty_people_a_page_in_name_order(client, supervisor, big_team):
    assert PAGE_SIZE == 50
    first = client.get("/tim")
    second = client.get("/tim", query_string={"halaman": 2})
    page = first.get_data(as_text=True)
    assert "57 people in this view" in page and "Page 1 of 2" in page
    first_rows = list(team_rows(first))
    second_rows = list(team_rows(second))
    assert len(first_rows) == 50 and len(second_rows) == 7
    assert first_rows + second_rows == sorted(first_rows + second_rows)
    assert set(first_rows) | set(second_rows) == {LEARNER, OTHER} | {person(i).nama for i in big_team}
    assert "Page 2 of 2" in second.get_data(as_text=True)


@pytest.mark.parametrize("asked", ["99", "0", "-1", "x"])
def test_a_page_number_out_of_range_shows_a_real_page(client, supervisor, big_team, asked):
    response = client.get("/tim", query_string={"halaman": asked})
    expected = 7 if asked == "99" else 50
    assert len(team_rows(response)) == expected


def test_paging_keeps_the_filters(client, supervisor, big_team):
    page = client.get("/tim", query_string={"q": "Anggota"}).get_data(as_text=True)
    assert "55 people in this view" in page
    pager = re.findall(r'<nav class="pager".*?</nav>', page, re.S)
    assert pager, "no pager on a view of more than one page"
    links = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', pager[0])]
    assert links and all("halaman=2" in link and "q=Anggota" in link for link in links)
    assert len(team_rows(client.get("/tim", query_string={"q": "Anggota", "halaman": 2}))) == 5


# --- the per-course summary ----------------------------------------------------------------


@pytest.fixture
def summary_scenario(users, courses, add_people, enrol, complete_course):
    chief = users["supervisor"].pegawai_id
    late, fair, good = add_people(["Ani Terlambat", "Beni Cukup", "Cici Baik"], atasan_id=chief)
    enrol(late, courses.a, due=YESTERDAY)
    enrol(late, courses.b, source="self")
    enrol(fair, courses.a, due=days_from_today(5))
    complete_course(person(fair), courses.a, score=70)
    enrol(good, courses.a, due=YESTERDAY)
    complete_course(person(good), courses.a, score=85)
    # Outside the team: must not move the figures.
    complete_course(users["trainer"], courses.a, score=10)


def test_the_per_course_summary_gives_completion_rate_average_score_and_overdue(
    client, supervisor, summary_scenario
):
    rows = course_rows(client.get("/tim"))
    # enrolled, completed, completion rate, average score, overdue
    assert rows[title("kursus-a")] == ["3", "2", "66.7%", "77.5", "1"]
    assert rows[title("kursus-b")] == ["1", "0", "0%", "–", "0"]
    assert set(rows) == {title("kursus-a"), title("kursus-b")}


def test_the_per_course_summary_follows_the_filters(client, supervisor, summary_scenario):
    rows = course_rows(client.get("/tim", query_string={"q": "Cici"}))
    assert rows == {title("kursus-a"): ["1", "1", "100%", "85", "0"]}


def test_the_per_course_summary_is_empty_when_nobody_is_enrolled(client, supervisor, users):
    page = client.get("/tim").get_data(as_text=True)
    assert "Nobody in this view is enrolled in a course yet." in page


# --- assigning ------------------------------------------------------------------------------


def enrolment(who, kursus) -> Enrolment | None:
    pid = who.pegawai_id if hasattr(who, "pegawai_id") else who
    return db.session.scalar(
        select(Enrolment).where(Enrolment.pegawai_id == pid, Enrolment.kursus_id == kursus.id)
    )


def enrolment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def assign(auth, kursus, due, pegawai=(), who="some", **fields):
    data = {
        "tugas_kursus": str(kursus.id) if isinstance(kursus, Kursus) else kursus,
        "due_date": due.isoformat() if isinstance(due, date) else due,
        "who": who,
        **fields,
    }
    if pegawai:
        data["pegawai"] = [str(p.pegawai_id if hasattr(p, "pegawai_id") else p) for p in pegawai]
    return auth.post("/tim/tugaskan", data, follow_redirects=True)


def test_assigning_one_person_gives_them_the_course_with_a_due_date(client, auth, supervisor, users, courses):
    due = days_from_today(14)
    response = assign(auth, courses.a, due, [users["learner"]])
    assert response.status_code == 200
    assert f"{title('kursus-a')} assigned: 1 new, 0 with a new due date." in flashes(response)
    given = enrolment(users["learner"], courses.a)
    assert (given.source, given.due_date, given.assigned_by_id) == ("assigned", due, supervisor.pegawai_id)
    assert enrolment(users["other"], courses.a) is None


def test_assigning_some_people_gives_each_of_them_the_course(
    client, auth, supervisor, users, courses, add_people
):
    add_people(["Tidak Dipilih"], atasan_id=supervisor.pegawai_id)
    due = days_from_today(7)
    response = assign(auth, courses.a, due, [users["learner"], users["other"]])
    assert f"{title('kursus-a')} assigned: 2 new, 0 with a new due date." in flashes(response)
    assert enrolment(users["learner"], courses.a).due_date == due
    assert enrolment(users["other"], courses.a).due_date == due
    assert enrolment_count() == 2


def test_assigning_everyone_in_the_view_follows_the_filters(
    client, auth, supervisor, users, courses, add_people
):
    (citra,) = add_people(["Citra Dewi"], atasan_id=supervisor.pegawai_id)
    due = days_from_today(21)
    response = assign(auth, courses.a, due, who="all", q="peserta")
    assert f"{title('kursus-a')} assigned: 2 new, 0 with a new due date." in flashes(response)
    assert enrolment(users["learner"], courses.a).due_date == due
    assert enrolment(users["other"], courses.a).due_date == due
    assert enrolment(citra, courses.a) is None


def test_assigning_everyone_without_filters_reaches_the_whole_team_and_no_one_else(
    client, auth, supervisor, users, courses, add_people
):
    (grandchild,) = add_people(["Cucu Tim"], atasan_id=users["learner"].pegawai_id)
    assign(auth, courses.a, days_from_today(3), who="all")
    assigned = set(db.session.scalars(select(Enrolment.pegawai_id)))
    assert assigned == {users["learner"].pegawai_id, users["other"].pegawai_id, grandchild}


def test_assigning_again_moves_the_due_date_without_a_second_enrolment(
    client, auth, supervisor, users, courses
):
    assign(auth, courses.a, days_from_today(7), [users["learner"]])
    later = days_from_today(30)
    response = assign(auth, courses.a, later, [users["learner"]])
    assert f"{title('kursus-a')} assigned: 0 new, 1 with a new due date." in flashes(response)
    assert enrolment_count() == 1
    assert enrolment(users["learner"], courses.a).due_date == later


def test_assigning_a_course_someone_enrolled_in_themselves_makes_it_an_assignment(
    client, auth, supervisor, users, courses, enrol
):
    enrol(users["learner"], courses.a, source="self")
    due = days_from_today(9)
    assign(auth, courses.a, due, [users["learner"]])
    given = enrolment(users["learner"], courses.a)
    assert (given.source, given.due_date) == ("assigned", due)
    assert enrolment_count() == 1


def test_a_course_may_be_assigned_without_a_due_date(client, auth, supervisor, users, courses):
    assign(auth, courses.a, "", [users["learner"]])
    given = enrolment(users["learner"], courses.a)
    assert (given.source, given.due_date) == ("assigned", None)


def test_the_learner_then_sees_the_course_and_its_due_date_at_home(client, auth, supervisor, users, courses):
    due = days_from_today(14)
    assign(auth, courses.a, due, [users["learner"]])
    auth.logout()
    auth.login(NIPS["learner"])
    page = client.get("/").get_data(as_text=True)
    assert title("kursus-a") in page
    assert f"Due {format_date(due, 'medium', locale='en')}" in page


def test_someone_who_already_completed_is_left_as_they_are(
    client, auth, supervisor, users, courses, complete_course
):
    complete_course(users["other"], courses.a)
    before = enrolment(users["other"], courses.a)
    before_state = (before.source, before.due_date, before.assigned_by_id)
    response = assign(auth, courses.a, days_from_today(14), [users["learner"], users["other"]])
    assert (
        f"{title('kursus-a')} assigned: 1 new, 0 with a new due date. "
        "1 already completed it and were left as they are."
    ) in flashes(response)
    after = enrolment(users["other"], courses.a)
    assert (after.source, after.due_date, after.assigned_by_id) == before_state == ("self", None, None)
    assert enrolment(users["learner"], courses.a).source == "assigned"


def test_when_everyone_chosen_already_completed_nothing_is_assigned(
    client, auth, supervisor, users, courses, complete_course
):
    complete_course(users["learner"], courses.a)
    complete_course(users["other"], courses.a)
    response = assign(auth, courses.a, days_from_today(14), [users["learner"], users["other"]])
    assert "Everyone chosen has already completed this course; nothing was assigned." in flashes(response)
    assert 'class="flash flash-warning"' in response.get_data(as_text=True)
    assert {(e.source, e.due_date) for e in db.session.scalars(select(Enrolment))} == {("self", None)}


@pytest.mark.parametrize("outsider", ["trainer", "admin", "supervisor", "missing"])
def test_someone_outside_the_team_is_refused_and_nobody_is_assigned(
    client, auth, supervisor, users, courses, outsider
):
    outside_id = 999_999 if outsider == "missing" else users[outsider].pegawai_id
    response = assign(auth, courses.a, days_from_today(14), [users["learner"], outside_id])
    assert response.status_code == 403
    assert "You can assign courses to your own team only." in response.get_data(as_text=True)
    assert enrolment_count() == 0


@pytest.fixture
def draft(make_course):
    return make_course("kursus-draf", status="draft")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due": YESTERDAY}, "The due date is in the past."),
        ({"due": "besok"}, "Give the due date as a date."),
        ({"due": "2026-02-30"}, "Give the due date as a date."),
        ({"kursus": ""}, "Choose the course to assign."),
        ({"kursus": "999999"}, "Choose the course to assign."),
        ({"kursus": "draft"}, "Only published courses can be assigned."),
        ({"pegawai": []}, "Choose at least one person."),
        ({"pegawai": ["abc"]}, "Choose people from the list."),
    ],
)
def test_a_form_that_cannot_be_carried_out_says_why_and_changes_nothing(
    client, auth, supervisor, users, courses, draft, enrol, change, message
):
    enrol(users["other"], courses.a, due=days_from_today(3))
    kursus = change.get("kursus", courses.a)
    if kursus == "draft":
        kursus = draft
    chosen = change.get("pegawai", [users["learner"], users["other"]])
    response = assign(auth, kursus, change.get("due", days_from_today(14)), chosen)
    assert response.status_code == 200
    assert message in flashes(response)
    assert enrolment(users["learner"], courses.a) is None
    assert enrolment(users["learner"], draft) is None
    assert enrolment(users["other"], courses.a).due_date == days_from_today(3)
    assert enrolment_count() == 1


def test_after_assigning_the_supervisor_returns_to_the_filtered_view(
    client, auth, supervisor, users, courses
):
    response = auth.post(
        "/tim/tugaskan",
        {
            "tugas_kursus": str(courses.a.id),
            "due_date": days_from_today(5).isoformat(),
            "who": "some",
            "pegawai": [str(users["learner"].pegawai_id)],
            "next": "/tim?q=peserta",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/tim?q=peserta"


def test_learners_cannot_assign(client, auth, english, login_as, users, courses):
    login_as("learner")
    response = assign(auth, courses.a, days_from_today(5), [users["other"]])
    assert response.status_code == 403
    assert enrolment_count() == 0


# --- exports --------------------------------------------------------------------------------

TEAM_HEADER = [
    "NIP",
    "Name",
    "Status",
    "Golongan",
    "Unit",
    "Position",
    "Assigned",
    "Completed (assigned)",
    "Completed (own choice)",
    "Not yet completed",
    "Overdue",
    "JP this year",
    "Largest gaps",
]


def test_the_csv_export_has_a_header_and_every_person_in_the_view_not_just_one_page(
    client, supervisor, big_team
):
    response = client.get("/tim/ekspor.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tim-')
    rows = csv_rows(response)
    assert rows[0] == TEAM_HEADER
    assert len(rows) == 1 + 57
    # NIPs come grouped ("19920315 201903 2 001"), so a spreadsheet keeps every digit.
    assert {normalise(r[0]) for r in rows[1:]} == {person(i).nip for i in big_team} | {
        NIPS["learner"],
        NIPS["other"],
    }
    assert all(len(r[0]) == 21 and r[0].count(" ") == 3 for r in rows[1:])
    assert len(csv_rows(client.get("/tim/ekspor.csv", query_string={"q": "Peserta"}))) == 1 + 2


def test_the_csv_export_carries_the_figures_of_the_view(client, supervisor, figures_scenario):
    rows = {r[1]: r for r in csv_rows(client.get("/tim/ekspor.csv"))[1:]}
    learner = rows[LEARNER]
    assert learner[:6] == ["19920315 201903 2 001", LEARNER, "PNS", "III/a", "UPT Uji", "Apoteker"]
    # assigned, completed of those, completed by own choice, not yet completed, overdue, JP this year
    assert learner[6:12] == ["2", "0", "2", "2", "1", "10"]
    assert learner[12].startswith("T.KEFARMASIAN ")
    assert "(0→4)" in learner[12] and "M.02" in learner[12] and "M.01" in learner[12]
    assert "SK.01" not in learner[12]
    assert rows[OTHER][5:13] == ["", "1", "1", "0", "0", "0", "20", ""]


def test_the_xlsx_export_has_the_team_and_the_courses_with_the_same_rows(
    client, supervisor, big_team, summary_scenario
):
    response = client.get("/tim/ekspor.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = workbook(response)
    assert book.sheetnames == ["Team", "Courses"]
    team = sheet_rows(book["Team"])
    as_text = [["" if v is None else str(v) for v in row] for row in team]
    in_csv = [[normalise(row[0]), *row[1:]] for row in csv_rows(client.get("/tim/ekspor.csv"))]
    assert as_text == in_csv
    assert len(team) == 1 + 57 + 3
    courses = sheet_rows(book["Courses"])
    assert courses[0] == [
        "Course",
        "Enrolled",
        "Assigned",
        "Completed",
        "Completion rate (%)",
        "Average score",
        "Overdue",
    ]
    assert courses[1:] == [
        [title("kursus-a"), 3, 3, 2, 66.7, 77.5, 1],
        [title("kursus-b"), 1, 0, 0, 0, None, 0],
    ]


HOSTILE = ['=HYPERLINK("http://contoh.test","klik")', "+6281234", "-Budi", "@SUM(A1)"]


def test_text_that_looks_like_a_formula_is_exported_as_text(client, supervisor, add_people):
    add_people(HOSTILE, atasan_id=supervisor.pegawai_id)
    exported = {r[1] for r in csv_rows(client.get("/tim/ekspor.csv"))[1:]}
    assert {"'" + name for name in HOSTILE} <= exported
    book = workbook(client.get("/tim/ekspor.xlsx"))
    cells = [row[1] for row in book["Team"].iter_rows(min_row=2)]
    hostile = [c for c in cells if c.value.lstrip("'") in HOSTILE]
    assert len(hostile) == len(HOSTILE)
    assert all(c.data_type == "s" and c.value.startswith("'") for c in hostile)


def test_an_unknown_export_format_is_not_found(client, supervisor):
    assert client.get("/tim/ekspor.pdf").status_code == 404


# --- monitoring and evaluation (admins) ------------------------------------------------------


@pytest.fixture
def admin(client, english, login_as):
    return login_as("admin")


@pytest.fixture
def monitoring_scenario(
    make_course, apt, make_unit, make_jabatan, add_people, enrol, complete_course, development
):
    """Dinas Kesehatan > Puskesmas A, Puskesmas B > Pustu B1; this year's figures:

    Puskesmas A: a1 enrolled and completed (score 80, 20 JP, closes M.01 for Apoteker),
      a2 enrolled only, a3 completed (score 60; M.01 2 < 3 for Perawat), a4 nothing,
      a5 enrolled last year and completed this year (score 90, 3 JP),
      and an inactive employee who does not count.
    Puskesmas B: b1 completed (score 100, 3 JP + 17 JP verified: 20, closes M.01);
      in Pustu B1, b2 who did everything last year and has an unverified record now.
    Dinas Kesehatan itself: d1, nothing.
    """
    k20 = make_course("kursus-20", jp=20)
    k3 = make_course("kursus-3", jp=3)
    perawat = make_jabatan("PRW", "Perawat")
    set_standards(apt, {"M.01": 2})
    set_standards(perawat, {"M.01": 3})
    db.session.commit()
    dinas = make_unit("DINAS", "Dinas Kesehatan", jenis="perangkat_daerah")
    a = make_unit("PKM-A", "Puskesmas A", parent=dinas, jenis="puskesmas")
    b = make_unit("PKM-B", "Puskesmas B", parent=dinas, jenis="puskesmas")
    b1 = make_unit("PUSTU-B1", "Pustu B1", parent=b, jenis="upt")
    a1, a2 = add_people(["A Satu", "A Dua"], unit_id=a.id, jabatan_id=apt.id)
    (a3,) = add_people(["A Tiga"], unit_id=a.id, jabatan_id=perawat.id)
    add_people(["A Empat"], unit_id=a.id)
    (a5,) = add_people(["A Lima"], unit_id=a.id)
    (gone,) = add_people(["A Nonaktif"], unit_id=a.id, jabatan_id=apt.id, aktif=False)
    (b_1,) = add_people(["B Satu"], unit_id=b.id, jabatan_id=apt.id)
    (b_2,) = add_people(["B Dua"], unit_id=b1.id)
    add_people(["D Satu"], unit_id=dinas.id)

    enrol(a1, k20, source="self")
    complete_course(person(a1), k20, score=80)
    enrol(a2, k20, source="self")
    enrol(a3, k3, source="self")
    complete_course(person(a3), k3, score=60)
    enrol(a5, k3, source="self", when=LAST_YEAR)
    complete_course(person(a5), k3, score=90)
    enrol(gone, k3, source="self")
    complete_course(person(gone), k3, score=10)
    enrol(b_1, k3, source="self")
    complete_course(person(b_1), k3, score=100)
    development(b_1, 17)
    enrol(b_2, k20, source="self", when=LAST_YEAR)
    complete_course(person(b_2), k20, score=50, when=LAST_YEAR + timedelta(days=2))
    development(b_2, 30, status="pending")
    return SimpleNamespace(dinas=dinas, a=a, b=b, b1=b1)


def monev(client, path="/monev", **args):
    return client.get(path, query_string=args)


def this_year() -> dict:
    return {"dari": date(THIS_YEAR, 1, 1).isoformat(), "sampai": TODAY.isoformat()}


def test_monitoring_gives_per_unit_figures_and_a_total(client, admin, monitoring_scenario):
    rows = monitoring_rows(monev(client, unit=monitoring_scenario.dinas.id, **this_year()))
    # unit, employees, participation, completion rate (completed/enrolled), average score,
    # ≥ 20 JP (share and count), gaps closed
    assert rows == [
        ["Dinas Kesehatan (placed directly)", "1", "0%", "0% 0/0", "–", "0% 0", "0"],
        ["Puskesmas A", "5", "80%", "66.7% 2/3", "76.7", "20% 1", "1"],
        ["Puskesmas B", "2", "50%", "100% 1/1", "100", "50% 1", "1"],
        ["All", "8", "62.5%", "75% 3/4", "82.5", "25% 2", "2"],
    ]


def test_monitoring_export_carries_the_same_figures(client, admin, monitoring_scenario):
    response = monev(client, "/monev/ekspor.xlsx", unit=monitoring_scenario.dinas.id, **this_year())
    assert response.status_code == 200
    book = workbook(response)
    assert book.sheetnames == ["Monitoring"]
    rows = sheet_rows(book["Monitoring"])
    assert rows[0][:8] == [
        "Unit",
        "Employees",
        "Participants",
        "Participation (%)",
        "Enrolments",
        "Completed",
        "Completion rate (%)",
        "Average score",
    ]
    assert rows[1:] == [
        ["Dinas Kesehatan", 1, 0, 0, 0, 0, 0, None, 0, 0, 0],
        ["Puskesmas A", 5, 4, 80, 3, 2, 66.7, 76.7, 1, 20, 1],
        ["Puskesmas B", 2, 1, 50, 1, 1, 100, 100, 1, 50, 1],
        ["All", 8, 5, 62.5, 4, 3, 75, 82.5, 2, 25, 2],
    ]
    exported = monev(client, "/monev/ekspor.csv", unit=monitoring_scenario.dinas.id, **this_year())
    assert csv_rows(exported)[2][:3] == ["Puskesmas A", "5", "4"]


def test_monitoring_of_another_period_counts_that_period_only(client, admin, monitoring_scenario):
    last_year = {"dari": f"{THIS_YEAR - 1}-01-01", "sampai": f"{THIS_YEAR - 1}-12-31"}
    rows = monitoring_rows(monev(client, unit=monitoring_scenario.dinas.id, **last_year))
    by_unit = {r[0]: r[1:] for r in rows}
    # A Lima enrolled last year and completed only this year: 0 of 1 by the period's end.
    assert by_unit["Puskesmas A"] == ["5", "20%", "0% 0/1", "–", "0% 0", "0"]
    assert by_unit["Puskesmas B"] == ["2", "50%", "100% 1/1", "50", "50% 1", "0"]


def test_monitoring_of_the_whole_organisation_rolls_units_up_to_the_top(client, admin, monitoring_scenario):
    by_unit = {r[0]: r[1:] for r in monitoring_rows(monev(client, **this_year()))}
    assert set(by_unit) == {"Dinas Kesehatan", "UPT Uji", "All"}
    assert by_unit["Dinas Kesehatan"][0] == "8"
    assert by_unit["UPT Uji"][0] == "5"  # the five signed-in users of the fixtures
    assert by_unit["All"][0] == "13"


def test_monitoring_a_unit_with_sub_units_drills_down(client, admin, monitoring_scenario):
    by_unit = {
        r[0]: r[1:] for r in monitoring_rows(monev(client, unit=monitoring_scenario.b.id, **this_year()))
    }
    assert by_unit["Puskesmas B (placed directly)"][0] == "1"
    assert by_unit["Pustu B1"][:2] == ["1", "0%"]
    assert by_unit["All"][0] == "2"


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"dari": "2025-06-01", "sampai": "2025-01-01"}, "The period ends before it starts."),
        ({"dari": "kemarin"}, "Give the period as two dates."),
        ({"sampai": "2025-13-01"}, "Give the period as two dates."),
    ],
)
def test_a_bad_period_is_explained_not_an_error(client, admin, monitoring_scenario, period, message):
    response = monev(client, **period)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert message in flashes(page)
    export = monev(client, "/monev/ekspor.xlsx", **period)
    assert export.status_code == 400
    assert message in export.get_data(as_text=True)


def test_a_gap_closes_in_the_period_of_the_evidence_that_closed_it(
    client, admin, users, apt, make_course, complete_course
):
    """A course finished last December and entered today closed its gap last year."""
    from lms.competencies.models import RiwayatLevel

    learner = users["learner"]
    place(learner, jabatan_id=apt.id)
    set_standards(apt, {"M.01": 2})
    db.session.commit()
    complete_course(learner, make_course("kursus-m01"), when=datetime(THIS_YEAR - 1, 12, 20, 3))
    change = db.session.scalar(select(RiwayatLevel))
    assert change.at.year == THIS_YEAR and change.achieved_at.year == THIS_YEAR - 1
    last_year = {"dari": f"{THIS_YEAR - 1}-01-01", "sampai": f"{THIS_YEAR - 1}-12-31"}
    assert monitoring_rows(monev(client, **last_year))[-1][-1] == "1"
    assert monitoring_rows(monev(client, **this_year()))[-1][-1] == "0"
