"""An employee's current level of a competency: one rule, ``current_level``.

Without a formal assessment the highest evidenced level counts. The latest assessment
sets the level as of its date, up or down; only evidence achieved after it can raise
the level again. ``recompute`` applies the rule to the stored evidence and keeps the
result, with a history line only when the level moves. Admins record assessments, and
a bad one is refused next to the field that is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.competencies import services
from lms.competencies.models import Bukti, LevelPegawai, RiwayatLevel
from lms.competencies.services import Evidence, current_level
from lms.core.errors import DomainError
from lms.core.time import local_today, local_zone
from lms.extensions import db
from tests.competencies.conftest import error_next_to, ui_text
from tests.conftest import NIPS

JAN = datetime(2025, 1, 10, 3, 0)
FEB = datetime(2025, 2, 10, 3, 0)
MAR = datetime(2025, 3, 10, 3, 0)
APR = datetime(2025, 4, 10, 3, 0)


def course(level: int, when: datetime) -> Evidence:
    return Evidence("kursus", level, when)


def development(level: int, when: datetime) -> Evidence:
    return Evidence("pengembangan", level, when)


def assessment(level: int, when: datetime) -> Evidence:
    return Evidence("asesmen", level, when)


# --- the rule, as examples ----------------------------------------------------------------


def test_no_evidence_is_level_zero():
    assert current_level([]) == 0


def test_without_assessment_the_highest_course_or_development_level_counts():
    assert current_level([course(2, JAN), development(4, FEB), course(3, MAR)]) == 4


def test_the_highest_level_counts_even_when_it_is_the_oldest():
    assert current_level([development(5, JAN), course(1, APR)]) == 5


def test_a_later_assessment_lowers_a_higher_earlier_level():
    assert current_level([course(4, JAN), development(3, FEB), assessment(2, MAR)]) == 2


def test_a_later_assessment_raises_a_lower_earlier_level():
    assert current_level([course(2, JAN), assessment(4, FEB)]) == 4


def test_evidence_after_the_latest_assessment_raises_the_level_above_it():
    assert current_level([assessment(2, FEB), course(3, MAR)]) == 3


def test_evidence_after_the_latest_assessment_never_lowers_it():
    assert current_level([assessment(3, FEB), course(1, MAR)]) == 3


def test_evidence_on_the_same_moment_as_the_assessment_does_not_override_it():
    assert current_level([course(5, FEB), assessment(2, FEB)]) == 2


def test_the_latest_of_two_assessments_counts_up_or_down():
    assert current_level([assessment(4, JAN), assessment(2, MAR)]) == 2
    assert current_level([assessment(2, JAN), assessment(4, MAR)]) == 4


def test_evidence_between_two_assessments_is_overridden_by_the_later_one():
    assert current_level([assessment(1, JAN), course(4, FEB), assessment(2, MAR), course(3, APR)]) == 3


def test_the_order_of_the_evidence_does_not_matter():
    items = [course(4, JAN), assessment(2, MAR), assessment(3, FEB), development(3, APR)]
    assert current_level(items) == current_level(reversed(items)) == 3


def test_two_assessments_on_the_same_moment_give_the_same_level_in_any_order():
    """Two assessments held the same day are stored with the same time (the end of that
    day); the database may return them in either order, the level must not depend on it."""
    same_day = [assessment(2, MAR), assessment(4, MAR)]
    assert current_level(same_day) == current_level(list(reversed(same_day)))


# --- the rule, as properties -----------------------------------------------------------

# Few distinct days, so ties between evidence and assessments are common.
moments = st.integers(min_value=0, max_value=5).map(lambda day: JAN + timedelta(days=day))
levels = st.integers(min_value=1, max_value=5)
non_assessment = st.builds(Evidence, st.sampled_from(["kursus", "pengembangan"]), levels, moments)
assessments = st.builds(Evidence, st.just("asesmen"), levels, moments)
any_evidence = st.lists(st.one_of(non_assessment, assessments), max_size=8)


def latest_assessment_level(items: list[Evidence]) -> int:
    """The level the latest assessment found (the lowest, if several share that moment)."""
    latest = max(e.achieved_at for e in items if e.jenis == "asesmen")
    return min(e.level for e in items if e.jenis == "asesmen" and e.achieved_at == latest)


@given(st.lists(non_assessment, max_size=8))
def test_property_without_assessment_the_level_is_the_highest_evidenced(items):
    assert current_level(items) == max((e.level for e in items), default=0)


@given(any_evidence, st.data())
def test_property_the_order_of_the_evidence_never_matters(items, data):
    assert current_level(data.draw(st.permutations(items))) == current_level(items)


@given(st.lists(non_assessment, max_size=6), st.lists(assessments, min_size=1, max_size=4))
def test_property_the_level_is_at_least_the_latest_assessment(others, found):
    items = others + found
    assert current_level(items) >= latest_assessment_level(items)


@given(any_evidence)
def test_property_the_level_is_one_of_the_evidenced_levels(items):
    assert current_level(items) in {e.level for e in items} | {0}


@given(any_evidence, non_assessment)
def test_property_more_course_or_development_evidence_never_lowers_the_level(items, extra):
    assert current_level([*items, extra]) >= current_level(items)


@given(st.lists(non_assessment, max_size=6), st.lists(assessments, min_size=1, max_size=4))
def test_property_evidence_before_the_latest_assessment_does_not_count(others, found):
    latest = max(e.achieved_at for e in found)
    after = [e for e in others if e.achieved_at > latest]
    assert current_level(others + found) == current_level(after + found)


# --- stored levels -------------------------------------------------------------------------


@pytest.fixture
def learner(users):
    return users["learner"]


@pytest.fixture
def add_evidence(ctx):
    def add(pegawai_id: int, level: int, when: datetime, jenis: str = "kursus", code: str = "M.01") -> Bukti:
        bukti = Bukti(pegawai_id=pegawai_id, code=code, level=level, jenis=jenis, achieved_at=when)
        db.session.add(bukti)
        db.session.flush()
        return bukti

    return add


def history(pegawai_id: int, code: str = "M.01") -> list[tuple[int, int]]:
    return [
        (row.old_level, row.new_level)
        for row in db.session.scalars(
            select(RiwayatLevel)
            .where(RiwayatLevel.pegawai_id == pegawai_id, RiwayatLevel.code == code)
            .order_by(RiwayatLevel.at, RiwayatLevel.new_level)
        )
    ]


def stored_level(pegawai_id: int, code: str = "M.01") -> int | None:
    row = db.session.get(LevelPegawai, (pegawai_id, code))
    return row.level if row else None


def test_recompute_without_evidence_stores_nothing(learner):
    assert services.recompute(learner.pegawai_id, "M.01") == 0
    assert stored_level(learner.pegawai_id) is None
    assert history(learner.pegawai_id) == []


def test_recompute_stores_the_level_and_a_history_line(learner, add_evidence):
    add_evidence(learner.pegawai_id, 2, JAN)
    assert services.recompute(learner.pegawai_id, "M.01") == 2
    assert stored_level(learner.pegawai_id) == 2
    assert history(learner.pegawai_id) == [(0, 2)]


def test_recompute_writes_history_only_when_the_level_changes(learner, add_evidence):
    add_evidence(learner.pegawai_id, 2, JAN)
    services.recompute(learner.pegawai_id, "M.01")
    services.recompute(learner.pegawai_id, "M.01")
    add_evidence(learner.pegawai_id, 1, FEB)  # lower: the level stays 2
    services.recompute(learner.pegawai_id, "M.01")
    assert history(learner.pegawai_id) == [(0, 2)]

    add_evidence(learner.pegawai_id, 1, MAR, jenis="asesmen")  # a later assessment lowers it
    assert services.recompute(learner.pegawai_id, "M.01") == 1
    add_evidence(learner.pegawai_id, 3, APR)  # evidence after it raises it again
    assert services.recompute(learner.pegawai_id, "M.01") == 3
    assert stored_level(learner.pegawai_id) == 3
    assert history(learner.pegawai_id) == [(0, 2), (2, 1), (1, 3)]


def test_recompute_keeps_levels_per_competency_and_per_person(users, add_evidence):
    learner, other = users["learner"], users["other"]
    add_evidence(learner.pegawai_id, 3, JAN, code="M.02")
    add_evidence(other.pegawai_id, 1, JAN, code="M.02")
    services.recompute(learner.pegawai_id, "M.02")
    services.recompute(other.pegawai_id, "M.02")
    assert services.levels_of(learner.pegawai_id) == {"M.02": 3}
    assert services.levels_of(other.pegawai_id) == {"M.02": 1}


# --- recording an assessment ----------------------------------------------------------------


def evidence_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Bukti))


def test_an_assessment_is_stored_at_the_end_of_its_day_and_sets_the_level(users, add_evidence):
    learner, admin = users["learner"], users["admin"]
    held_on = local_today() - timedelta(days=3)
    add_evidence(learner.pegawai_id, 4, JAN)
    services.recompute(learner.pegawai_id, "M.01")

    bukti = services.record_assessment(
        learner.pegawai_id, "M.01", 2, held_on, admin.pegawai_id, " Uji kompetensi "
    )
    db.session.commit()

    end_of_day = datetime.combine(held_on, time(23, 59, 59), tzinfo=local_zone())
    assert bukti.jenis == "asesmen" and bukti.level == 2
    assert bukti.achieved_at == end_of_day.astimezone(UTC).replace(tzinfo=None)
    assert bukti.recorded_by_id == admin.pegawai_id and bukti.catatan == "Uji kompetensi"
    assert stored_level(learner.pegawai_id) == 2


@pytest.mark.parametrize(
    ("code", "level", "days_ago", "field"),
    [
        pytest.param("M.99", 3, 1, "code", id="unknown-code"),
        pytest.param("M.01", 3, -1, "held_on", id="future-date"),
        pytest.param("M.01", 0, 1, "level", id="level-0"),
        pytest.param("M.01", 6, 1, "level", id="level-6"),
    ],
)
def test_a_bad_assessment_is_refused_naming_the_field(users, code, level, days_ago, field):
    learner, admin = users["learner"], users["admin"]
    with pytest.raises(DomainError) as refused:
        services.record_assessment(
            learner.pegawai_id, code, level, local_today() - timedelta(days=days_ago), admin.pegawai_id
        )
    assert refused.value.field == field
    assert evidence_count() == 0


# --- the admin page -------------------------------------------------------------------------

ASSESSMENT_PAGE = f"/admin/asesmen/{NIPS['learner']}"


def assessment_form(days_ago: int = 2, **changes) -> dict:
    form = {
        "code": "M.02",
        "level": "3",
        "held_on": (local_today() - timedelta(days=days_ago)).isoformat(),
        "catatan": "Assessment center BKD",
    }
    return {**form, **changes}


def test_admin_sees_the_assessment_form_dated_today(client, login_as):
    login_as("admin")
    response = client.get(ASSESSMENT_PAGE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="held_on"' in page and local_today().isoformat() in page
    assert 'value="M.01"' in page and 'value="SK.01"' in page


def test_admin_records_an_assessment(client, auth, login_as, users):
    admin = login_as("admin")
    response = auth.post(ASSESSMENT_PAGE, assessment_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/profil/{NIPS['learner']}"
    bukti = db.session.scalar(select(Bukti))
    assert (bukti.pegawai_id, bukti.code, bukti.level, bukti.jenis) == (
        users["learner"].pegawai_id,
        "M.02",
        3,
        "asesmen",
    )
    assert bukti.recorded_by_id == admin.pegawai_id
    assert stored_level(users["learner"].pegawai_id, "M.02") == 3


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"code": "M.99"}, "code", "Choose a competency from the dictionary.", id="unknown-code"),
        pytest.param({"level": "7"}, "level", "The level must be between 1 and 5.", id="level-7"),
        pytest.param({"level": "x"}, "level", "The level must be between 1 and 5.", id="level-not-a-number"),
        pytest.param(
            {"days_ago": -1},
            "held_on",
            "The assessment date cannot be in the future.",
            id="future-date",
        ),
    ],
)
def test_a_bad_assessment_shows_the_message_next_to_the_field(
    client, auth, login_as, changes, field, message
):
    login_as("admin")
    response = auth.post(ASSESSMENT_PAGE, assessment_form(**changes))
    assert response.status_code == 400
    assert error_next_to(response, f"{field}-error") == ui_text(message)
    assert evidence_count() == 0


def test_an_unreadable_assessment_date_is_refused_next_to_the_field(client, auth, login_as):
    login_as("admin")
    response = auth.post(ASSESSMENT_PAGE, assessment_form(held_on="31/02/2025"))
    assert response.status_code == 400
    assert error_next_to(response, "held_on-error")
    assert evidence_count() == 0


def test_an_assessment_for_an_unknown_nip_is_not_found(client, login_as):
    login_as("admin")
    assert client.get("/admin/asesmen/199001012015031001").status_code == 404


@pytest.mark.parametrize("who", ["learner", "supervisor", "trainer"])
def test_only_admins_record_assessments(client, auth, login_as, who):
    login_as(who)
    assert client.get(ASSESSMENT_PAGE).status_code == 403
    assert auth.post(ASSESSMENT_PAGE, assessment_form()).status_code == 403
    assert evidence_count() == 0


def test_an_admin_cannot_record_an_assessment_of_himself(client, auth, login_as, users):
    admin = login_as("admin")
    page = client.get(f"/admin/asesmen/{NIPS['admin']}").get_data(as_text=True)
    assert ui_text("You cannot record an assessment of yourself; another admin must record it.") in page
    assert 'name="held_on"' not in page
    response = auth.post(f"/admin/asesmen/{NIPS['admin']}", assessment_form())
    assert response.status_code == 400
    assert evidence_count() == 0
    with pytest.raises(DomainError):
        services.record_assessment(admin.pegawai_id, "M.01", 3, local_today(), admin.pegawai_id)


def test_an_assessment_recorded_in_error_is_deleted_and_the_level_worked_out_again(
    client, auth, login_as, users, complete_course, course
):
    """The course showed level 2; an assessment capped it at 1; deleting the assessment
    puts the level back to what the course shows."""
    learner = users["learner"]
    complete_course(learner, course, when=datetime(2026, 1, 10, 3))
    assert stored_level(learner.pegawai_id) == 2
    login_as("admin")
    auth.post(ASSESSMENT_PAGE, assessment_form(code="M.01", level="1"))
    assert stored_level(learner.pegawai_id) == 1
    bukti = db.session.scalar(select(Bukti).where(Bukti.jenis == "asesmen"))
    page = client.get(ASSESSMENT_PAGE).get_data(as_text=True)
    assert f"/admin/asesmen/{NIPS['learner']}/{bukti.id}/hapus" in page
    response = auth.post(f"/admin/asesmen/{NIPS['learner']}/{bukti.id}/hapus")
    assert response.headers["Location"] == ASSESSMENT_PAGE
    assert stored_level(learner.pegawai_id) == 2
    assert db.session.scalar(select(func.count()).select_from(Bukti).where(Bukti.jenis == "asesmen")) == 0


def test_deleting_the_only_evidence_takes_the_level_back_to_nothing(users):
    learner, admin = users["learner"], users["admin"]
    bukti = services.record_assessment(learner.pegawai_id, "M.03", 3, local_today(), admin.pegawai_id)
    db.session.commit()
    assert services.delete_evidence(bukti) == 0
    db.session.commit()
    assert stored_level(learner.pegawai_id, "M.03") == 0


@pytest.mark.parametrize("bukti_id", ["not-an-id", "00000000-0000-4000-8000-000000000000"])
def test_deleting_an_assessment_that_is_not_there_is_a_404(client, auth, login_as, users, bukti_id):
    login_as("admin")
    assert auth.post(f"/admin/asesmen/{NIPS['learner']}/{bukti_id}/hapus").status_code == 404
