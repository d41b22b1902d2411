"""From a completed course to a profile: evidence, current levels, gaps and suggestions.

Completing a course records one piece of evidence (Bukti) per competency the course
builds, at the level it builds, with the score and the completion time; once, however
often the completion is announced. The profile compares current levels with the
position's standard: gap = required − current, only where positive. Courses that
close a gap are suggested: published, building a gap competency above the current
level, and not already completed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms import signals
from lms.competencies import services
from lms.competencies.models import Bukti, RiwayatLevel
from lms.core.time import local_today
from lms.extensions import db
from tests.competencies.conftest import ui_text

COMPLETED_AT = datetime(2025, 5, 6, 7, 8, 9)


@pytest.fixture
def learner(users):
    return users["learner"]


@pytest.fixture
def pharmacist(learner, jabatan):
    """The learner as a pharmacist, whose position requires M.01 at 3 and M.02 at 2."""
    learner.pegawai.jabatan_id = jabatan.id
    services.set_standards(jabatan, {"M.01": 3, "M.02": 2})
    db.session.commit()
    return learner


def evidence_of(pegawai_id: int) -> list[tuple[str, int, str]]:
    return sorted(
        (b.code, b.level, b.jenis)
        for b in db.session.scalars(select(Bukti).where(Bukti.pegawai_id == pegawai_id))
    )


def row_for(rows, code: str):
    return next(row for row in rows if row.kompetensi.code == code)


# --- evidence from a completed course ---------------------------------------------------


def test_a_completed_course_is_evidence_for_each_competency_it_builds(
    learner, course_building, complete_course
):
    kursus = course_building("k-dua", {"M.01": 2, "T.DATA-KES": 3})
    completion = complete_course(learner, kursus, score=87.5, when=COMPLETED_AT)

    rows = db.session.scalars(select(Bukti).where(Bukti.pegawai_id == learner.pegawai_id)).all()
    assert sorted((b.code, b.level) for b in rows) == [("M.01", 2), ("T.DATA-KES", 3)]
    for bukti in rows:
        assert bukti.jenis == "kursus"
        assert (bukti.kursus_id, bukti.completion_id) == (kursus.id, completion.id)
        assert bukti.score == 87.5
        assert bukti.achieved_at == COMPLETED_AT


def test_the_current_level_rises_with_the_completed_course(learner, course_building, complete_course):
    complete_course(learner, course_building("k-dua", {"M.01": 2, "T.DATA-KES": 3}))
    assert services.levels_of(learner.pegawai_id) == {"M.01": 2, "T.DATA-KES": 3}


def test_a_completion_announced_twice_is_evidence_once(learner, course, complete_course):
    completion = complete_course(learner, course)
    signals.course_completed.send("tests", completion=completion)
    db.session.commit()

    assert evidence_of(learner.pegawai_id) == [("M.01", 2, "kursus")]
    assert db.session.scalar(select(func.count()).select_from(RiwayatLevel)) == 1


def test_a_lower_course_after_a_higher_one_leaves_the_level(learner, course_building, complete_course):
    complete_course(learner, course_building("k-tinggi", {"M.01": 4}), when=COMPLETED_AT)
    complete_course(learner, course_building("k-rendah", {"M.01": 2}), when=COMPLETED_AT + timedelta(days=1))
    assert services.levels_of(learner.pegawai_id) == {"M.01": 4}


def test_each_person_gets_only_their_own_evidence(users, course, complete_course):
    complete_course(users["learner"], course)
    assert evidence_of(users["other"].pegawai_id) == []
    assert services.levels_of(users["other"].pegawai_id) == {}


# --- profile and gaps ------------------------------------------------------------------


def test_the_profile_lists_what_the_position_requires_against_the_current_level(
    pharmacist, course, complete_course
):
    complete_course(pharmacist, course)  # M.01 to level 2
    rows = services.profile_rows(pharmacist.pegawai)
    assert [(r.kompetensi.code, r.current, r.required, r.gap) for r in rows] == [
        ("M.01", 2, 3, 1),
        ("M.02", 0, 2, 2),
    ]


def test_competencies_shown_but_not_required_are_listed_without_a_gap(
    pharmacist, course_building, complete_course
):
    complete_course(pharmacist, course_building("k-data", {"T.DATA-KES": 2}))
    row = row_for(services.profile_rows(pharmacist.pegawai), "T.DATA-KES")
    assert (row.current, row.required, row.gap) == (2, None, 0)


def test_a_level_above_the_standard_is_no_gap(pharmacist, course_building, complete_course):
    complete_course(pharmacist, course_building("k-tinggi", {"M.01": 5}))
    rows = services.profile_rows(pharmacist.pegawai)
    assert row_for(rows, "M.01").gap == 0
    assert [(g.kompetensi.code, g.gap) for g in services.gaps(rows)] == [("M.02", 2)]


def test_gaps_are_only_the_positive_ones_largest_first(pharmacist, jabatan, course, complete_course):
    services.set_standards(jabatan, {"M.03": 1, "SK.01": 4})
    db.session.commit()
    complete_course(pharmacist, course)  # M.01 at 2
    gaps = services.gaps(services.profile_rows(pharmacist.pegawai))
    assert [(g.kompetensi.code, g.required - g.current) for g in gaps] == [
        ("SK.01", 4),
        ("M.02", 2),
        ("M.01", 1),
        ("M.03", 1),
    ]


def test_without_position_or_evidence_the_profile_is_empty(learner):
    assert services.profile_rows(learner.pegawai) == []


# --- courses that close a gap -------------------------------------------------------------


def suggested(pegawai) -> dict[str, list[tuple[str, int]]]:
    gaps = services.gaps(services.profile_rows(pegawai))
    return {s.kursus.slug: s.closes for s in services.courses_closing(pegawai.id, gaps)}


def test_published_courses_building_a_gap_competency_are_suggested(pharmacist, course_building):
    course_building("k-kerjasama", {"M.02": 3, "M.03": 2})
    course_building("k-integritas", {"M.01": 3})
    assert suggested(pharmacist.pegawai) == {
        "k-integritas": [("M.01", 3)],
        "k-kerjasama": [("M.02", 3)],
    }


def test_courses_not_above_the_current_level_are_not_suggested(pharmacist, course_building, complete_course):
    complete_course(pharmacist, course_building("k-dasar", {"M.01": 2}))  # M.01 now 2, required 3
    course_building("k-ulang", {"M.01": 2})
    course_building("k-lain", {"M.04": 5})  # not required by the position
    assert "k-ulang" not in suggested(pharmacist.pegawai)
    assert "k-lain" not in suggested(pharmacist.pegawai)


def test_drafts_are_not_suggested(pharmacist, course_building):
    course_building("k-draf", {"M.02": 3}, status="draft")
    assert suggested(pharmacist.pegawai) == {}


def test_completed_courses_are_not_suggested_again(
    users, jabatan, pharmacist, course_building, complete_course
):
    """Both pharmacists were assessed at M.02 level 1; the course builds M.02 to 3. It is
    suggested to the one who has not done it, not to the one who completed it before."""
    colleague = users["other"]
    colleague.pegawai.jabatan_id = jabatan.id
    kursus = course_building("k-kerjasama", {"M.02": 3})
    complete_course(pharmacist, kursus, when=datetime(2024, 1, 5, 3, 0))
    for person in (pharmacist, colleague):
        services.record_assessment(
            person.pegawai_id, "M.02", 1, local_today() - timedelta(days=1), users["admin"].pegawai_id
        )
    db.session.commit()

    assert services.levels_of(pharmacist.pegawai_id)["M.02"] == 1
    assert "k-kerjasama" not in suggested(pharmacist.pegawai)
    assert suggested(colleague.pegawai)["k-kerjasama"] == [("M.02", 3)]


def test_no_gaps_no_suggestions(learner, course_building):
    course_building("k-kerjasama", {"M.02": 3})
    assert services.courses_closing(learner.pegawai_id, []) == []


# --- the profile page ------------------------------------------------------------------------


def test_the_profile_page_shows_the_gap_and_a_course_that_closes_it(
    client, login_as, pharmacist, course, course_building, complete_course
):
    complete_course(pharmacist, course)  # M.01 at 2 of 3
    closing = course_building("k-integritas", {"M.01": 3})
    login_as("learner")
    page = client.get("/profil").get_data(as_text=True)
    assert ui_text("level %(cur)d, the position requires %(req)d", cur=2, req=3) in page
    assert ui_text("level %(cur)d, the position requires %(req)d", cur=0, req=2) in page
    assert closing.title in page and 'href="/kursus/k-integritas"' in page
    assert ui_text("%(code)s to level %(level)d", code="M.01", level=3) in page
