"""The reports cost a fixed number of SQL queries, however large the team or the
organisation: a supervisor of 120 people spread over four levels of atasan costs what
a supervisor of three costs, and so do ten units against two."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.competencies.models import LevelPegawai, RiwayatLevel
from lms.competencies.services import set_standards
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import CourseCompletion, Enrolment, Pengembangan

from .conftest import count_queries, csv_rows, days_from_today, local_today

TEAM_BUDGET = 15
MONEV_BUDGET = 15
ASSIGN_BUDGET = 15


def bulk(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(model.__table__.insert(), rows)


def give_figures(ids: list[int], courses) -> None:
    """Enrolments (some overdue), completions with scores, stored levels, verified
    development records and level history for these people, in a few bulk inserts."""
    now = utcnow()
    bulk(
        Enrolment,
        [
            {
                "pegawai_id": pid,
                "kursus_id": courses.a.id,
                "source": "assigned",
                "due_date": days_from_today(-3 if i % 2 == 0 else 20),
                "enrolled_at": now,
            }
            for i, pid in enumerate(ids)
        ]
        + [
            {
                "pegawai_id": pid,
                "kursus_id": courses.b.id,
                "source": "self",
                "due_date": None,
                "enrolled_at": now,
            }
            for pid in ids
        ],
    )
    bulk(
        CourseCompletion,
        [
            {
                "pegawai_id": pid,
                "kursus_id": courses.b.id,
                "kursus_version": 1,
                "jp": 5,
                "score": 60 + i % 40,
                "completed_at": now,
            }
            for i, pid in enumerate(ids)
            if i % 3 == 0
        ],
    )
    bulk(LevelPegawai, [{"pegawai_id": pid, "code": "M.01", "level": 1 + i % 3} for i, pid in enumerate(ids)])
    bulk(
        RiwayatLevel,
        [
            {"pegawai_id": pid, "code": "M.01", "old_level": 0, "new_level": 1 + i % 3}
            for i, pid in enumerate(ids)
        ],
    )
    bulk(
        Pengembangan,
        [
            {
                "pegawai_id": pid,
                "jenis": "seminar",
                "judul": "Seminar",
                "penyelenggara": "BPSDM",
                "tanggal_mulai": local_today(),
                "tanggal_selesai": local_today(),
                "jp": 16,
                "status": "verified" if i % 4 else "pending",
            }
            for i, pid in enumerate(ids)
            if i % 2 == 0
        ],
    )
    db.session.commit()


@pytest.fixture
def grow_team(users, apt, courses, add_people):
    """Add ``n`` people under the supervisor as a chain of atasan ``depth`` levels deep:
    the first level reports to the supervisor, each further level to the one above."""
    set_standards(apt, {"M.01": 3, "M.02": 2, "T.KEFARMASIAN": 4})
    db.session.commit()

    def grow(n: int, depth: int = 4) -> list[int]:
        sizes = [n // depth + (1 if level < n % depth else 0) for level in range(depth)]
        above = [users["supervisor"].pegawai_id]
        added: list[int] = []
        for size in sizes:
            if not size:
                break
            level: list[int] = []
            for i in range(size):
                level += add_people(1, atasan_id=above[i % len(above)], jabatan_id=apt.id)
            above = level
            added += level
        give_figures(added, courses)
        return added

    return grow


def team_size(supervisor_id: int) -> int:
    from lms.org.services import team_cte

    team = team_cte(supervisor_id)
    return db.session.scalar(select(func.count()).select_from(team))


def queries_for(client, path: str) -> int:
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


TEAM_PATHS = ["/tim", "/tim?status=overdue&kursus={a}", "/tim/ekspor.csv", "/tim/ekspor.xlsx"]


@pytest.mark.parametrize("path", TEAM_PATHS)
def test_team_pages_cost_the_same_for_three_people_or_a_hundred_and_twenty(
    client, login_as, courses, grow_team, path
):
    path = path.format(a=courses.a.id)
    supervisor = login_as("supervisor")
    give_figures([supervisor.pegawai_id], courses)  # the viewer's own rows must not leak in
    grow_team(1)  # with learner and other: three people
    assert team_size(supervisor.pegawai_id) == 3
    small = queries_for(client, path)
    grow_team(117)
    assert team_size(supervisor.pegawai_id) == 120
    large = queries_for(client, path)
    assert large == small, (small, large)
    assert small <= TEAM_BUDGET, small


def test_the_large_team_is_really_four_levels_deep_and_exported_whole(client, login_as, courses, grow_team):
    supervisor = login_as("supervisor")
    added = grow_team(118)
    from lms.org.models import Pegawai

    deepest = db.session.get(Pegawai, added[-1])
    chain = 0
    while deepest.atasan_id is not None:
        deepest = db.session.get(Pegawai, deepest.atasan_id)
        chain += 1
    assert chain == 4 and deepest.id == supervisor.pegawai_id
    assert len(csv_rows(client.get("/tim/ekspor.csv"))) == 1 + 120


def test_assigning_everyone_costs_the_same_for_three_people_or_a_hundred_and_twenty(
    client, auth, login_as, courses, grow_team
):
    supervisor = login_as("supervisor")
    grow_team(1)

    def post_assign(kursus) -> int:
        data = {
            "csrf_token": auth.token("/"),
            "tugas_kursus": str(kursus.id),
            "due_date": days_from_today(30).isoformat(),
            "who": "all",
        }
        with count_queries() as statements:
            response = client.post("/tim/tugaskan", data=data)
        assert response.status_code == 302
        return len(statements)

    def enrolled(kursus) -> int:
        return db.session.scalar(select(func.count()).where(Enrolment.kursus_id == kursus.id))

    small_new = post_assign(courses.c)
    small_again = post_assign(courses.c)
    assert enrolled(courses.c) == 3
    grow_team(117)
    large_new = post_assign(courses.d)
    large_again = post_assign(courses.d)
    assert enrolled(courses.d) == 120
    assert team_size(supervisor.pegawai_id) == 120
    assert (large_new, large_again) == (small_new, small_again)
    assert max(small_new, small_again) <= ASSIGN_BUDGET


# --- monitoring --------------------------------------------------------------------------------


@pytest.fixture
def grow_units(apt, courses, make_unit, add_people):
    """Units under Dinas Kesehatan, each with a sub-unit and people with figures."""
    set_standards(apt, {"M.01": 2})
    db.session.commit()
    dinas = make_unit("DINAS", "Dinas Kesehatan", jenis="perangkat_daerah")
    made = {"count": 0}

    def grow(n: int):
        for _ in range(n):
            made["count"] += 1
            k = made["count"]
            unit = make_unit(f"PKM-{k}", f"Puskesmas {k:02d}", parent=dinas, jenis="puskesmas")
            sub = make_unit(f"PUSTU-{k}", f"Pustu {k:02d}", parent=unit, jenis="upt")
            ids = add_people(3, unit_id=unit.id, jabatan_id=apt.id)
            ids += add_people(2, unit_id=sub.id, jabatan_id=apt.id)
            give_figures(ids, courses)
        return dinas

    return grow


MONEV_PATHS = [
    "/monev?unit={dinas}",
    "/monev",
    "/monev/ekspor.xlsx?unit={dinas}",
    "/monev/ekspor.csv?dari={start}&sampai={end}",
]


@pytest.mark.parametrize("path", MONEV_PATHS)
def test_monitoring_costs_the_same_for_two_units_or_ten(client, login_as, grow_units, path):
    login_as("admin")
    dinas = grow_units(2)
    start = (local_today() - timedelta(days=400)).isoformat()
    path = path.format(dinas=dinas.id, start=start, end=local_today().isoformat())
    small = queries_for(client, path)
    grow_units(8)
    large = queries_for(client, path)
    assert large == small, (small, large)
    assert small <= MONEV_BUDGET, small
    if "unit=" in path and "ekspor" not in path:
        assert client.get(path).get_data(as_text=True).count("Puskesmas 10") >= 1
