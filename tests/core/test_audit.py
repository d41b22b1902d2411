"""The audit log: every change an admin, supervisor or trainer makes is written, with who,
what, and the values before and after, in the same transaction as the change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from config import TestingConfig
from lms import create_app, signals
from lms.catalog.models import Kursus, KursusPemilik
from lms.competencies import services as competencies
from lms.core import audit
from lms.core.audit import AuditEntry
from lms.core.time import local_today
from lms.extensions import db
from lms.org.models import Jabatan
from lms.progress import development
from lms.progress.models import Enrolment, Pengembangan
from lms.progress.services import assign, assign_many
from tests.conftest import NIPS, count_queries, enter_development, write_course


def entries(action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.target_id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


@pytest.fixture
def jabatan(unit):
    return db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))


# --- the API -------------------------------------------------------------------------------


def test_an_entry_keeps_only_the_keys_that_changed(ctx):
    audit.record(
        "unit.update",
        "unit",
        7,
        "UPT Uji",
        before={"nama": "A", "kode": "X"},
        after={"nama": "B", "kode": "X"},
    )
    db.session.commit()
    (entry,) = entries()
    assert (entry.before, entry.after) == ({"nama": "A"}, {"nama": "B"})
    assert (entry.target_type, entry.target_id, entry.target_label) == ("unit", "7", "UPT Uji")


def test_an_update_that_changed_nothing_records_nothing(ctx):
    assert audit.record("unit.update", "unit", 7, before={"nama": "A"}, after={"nama": "A"}) is None
    db.session.commit()
    assert entries() == []


def test_a_command_acts_as_nobody(runner, ctx, course_root):
    folder = write_course(course_root, "kursus-cli")
    result = runner.invoke(args=["kursus", "import", str(folder)])
    assert result.exit_code == 0, result.output
    (entry,) = entries("kursus.publish")
    assert (entry.actor_id, entry.actor_nip, entry.actor_nama) == (None, None, None)
    assert entry.after["version"] == 1 and entry.target_label == "Kursus Uji kursus-cli"


def test_record_many_writes_every_entry_in_one_statement_as_the_set_actor(ctx, users):
    admin = users["admin"]
    audit.set_actor(admin.pegawai_id, admin.pegawai.nip, admin.nama)
    with count_queries() as statements:
        audit.record_many(
            [
                {"action": "pegawai.import", "target_type": "pegawai", "target_id": i, "after": {"n": i}}
                for i in range(3)
            ]
        )
    assert len(statements) == 1
    db.session.commit()
    assert [(e.actor_nip, e.after) for e in entries()] == [(NIPS["admin"], {"n": n}) for n in range(3)]


# --- wired into the services -------------------------------------------------------------------


def test_assigning_from_the_team_page_logs_each_person_once_and_each_moved_date(client, auth, users, course):
    learner, other = users["learner"], users["other"]
    due = local_today() + timedelta(days=14)
    auth.login(NIPS["supervisor"])

    def assign_both(day):
        form = {
            "tugas_kursus": course.id,
            "pegawai": [learner.pegawai_id, other.pegawai_id],
            "due_date": day.isoformat(),
        }
        assert auth.post("/tim/tugaskan", form).status_code == 302

    assign_both(due)
    made = entries("kursus.assign")
    assert sorted(e.target_id for e in made) == sorted([str(learner.pegawai_id), str(other.pegawai_id)])
    assert all(e.actor_nip == NIPS["supervisor"] and e.actor_nama == "Atasan Uji" for e in made)
    assert all(
        e.before is None and e.after == {"source": "assigned", "due_date": due.isoformat()} for e in made
    )
    assert {e.target_label for e in made} == {
        f"Peserta Uji · {course.title}",
        f"Peserta Lain · {course.title}",
    }

    assign_both(due)  # the same again: nothing changed, nothing written
    assert len(entries("kursus.assign")) == 2

    assign_both(due + timedelta(days=7))
    moved = entries("kursus.assign")[2:]
    assert len(moved) == 2
    assert all(e.before == {"due_date": due.isoformat()} for e in moved)
    assert all(e.after == {"due_date": (due + timedelta(days=7)).isoformat()} for e in moved)


def test_assigning_one_person_is_logged_and_announced(ctx, users, course):
    learner = users["learner"]
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs["pegawai_ids"])

    with signals.courses_assigned.connected_to(listener):
        assign(learner.pegawai_id, course, due_date=None, assigned_by_id=None)
        assign(learner.pegawai_id, course, due_date=None, assigned_by_id=None)
    db.session.commit()
    (entry,) = entries("kursus.assign")
    assert entry.target_id == str(learner.pegawai_id) and entry.after == {
        "source": "assigned",
        "due_date": None,
    }
    assert heard == [[learner.pegawai_id]]


def test_assign_many_announces_only_the_people_created_or_moved(ctx, users, course, complete_course):
    learner, other, supervisor = users["learner"], users["other"], users["supervisor"]
    due = local_today() + timedelta(days=5)
    assign_many([learner.pegawai_id], course, due_date=due, assigned_by_id=None)
    complete_course(supervisor, course)
    heard = []

    def listener(sender, **kwargs):
        heard.append((sorted(kwargs["pegawai_ids"]), kwargs["due_date"], kwargs["source"]))

    with signals.courses_assigned.connected_to(listener):
        ids = [learner.pegawai_id, other.pegawai_id, supervisor.pegawai_id]
        assign_many(ids, course, due_date=due, assigned_by_id=None)
    assert heard == [([other.pegawai_id], due, "assigned")]


def test_submitting_a_development_record_is_announced(ctx, users):
    heard = []

    def listener(sender, record, **kwargs):
        heard.append(record.judul)

    with signals.development_submitted.connected_to(listener):
        enter_development(users["learner"].pegawai_id)
    assert heard == ["Pelatihan Pengelolaan Obat"]


@pytest.mark.parametrize(
    ("action", "note", "status"),
    [("verify", "", "verified"), ("reject", "Sertifikat tidak terbaca", "rejected")],
)
def test_a_decision_on_a_development_record_is_logged(client, auth, users, action, note, status):
    record = enter_development(users["learner"].pegawai_id)
    auth.login(NIPS["supervisor"])
    assert (
        auth.post(f"/pengembangan/{record.id}/verifikasi", {"action": action, "catatan": note}).status_code
        == 302
    )
    (entry,) = entries(f"pengembangan.{action}")
    assert entry.actor_nip == NIPS["supervisor"] and entry.target_id == record.id
    assert entry.before == {"status": "pending", **({"catatan_verifikasi": None} if note else {})}
    assert entry.after == {"status": status, **({"catatan_verifikasi": note} if note else {})}


def test_a_position_standard_is_logged_with_the_levels_before_and_after(client, auth, users, jabatan):
    competencies.set_standards(jabatan, {"M.01": 2, "M.02": 2})
    db.session.commit()
    auth.login(NIPS["admin"])
    response = auth.post(
        f"/admin/standar/{jabatan.id}", {"level-M.01": "3", "level-M.02": "2", "level-M.03": "1"}
    )
    assert response.status_code == 302
    first, entry = entries("jabatan.standards")
    assert first.actor_id is None  # set outside a request
    assert entry.actor_nip == NIPS["admin"] and entry.actor_nama == "Admin Uji"
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "jabatan",
        str(jabatan.id),
        "Apoteker",
    )
    assert entry.before == {"M.01": 2, "M.03": None} and entry.after == {"M.01": 3, "M.03": 1}


def test_saving_the_same_standard_again_logs_nothing(ctx, users, jabatan):
    competencies.set_standards(jabatan, {"M.01": 2})
    competencies.set_standards(jabatan, {"M.01": 2})
    assert len(entries("jabatan.standards")) == 1


def test_an_assessment_recorded_and_deleted_is_logged(client, auth, users):
    learner = users["learner"]
    auth.login(NIPS["admin"])
    held = local_today().isoformat()
    form = {"code": "M.01", "level": "3", "held_on": held, "catatan": "Uji kompetensi"}
    assert auth.post(f"/admin/asesmen/{NIPS['learner']}", form).status_code == 302
    (made,) = entries("kompetensi.assessment.create")
    assert made.actor_nip == NIPS["admin"] and made.target_id == str(learner.pegawai_id)
    assert made.target_label == f"Peserta Uji ({NIPS['learner']})"
    assert made.before is None and {k: made.after[k] for k in ("code", "level", "held_on")} == {
        "code": "M.01",
        "level": 3,
        "held_on": held,
    }
    bukti_id = made.after["bukti"]
    assert auth.post(f"/admin/asesmen/{NIPS['learner']}/{bukti_id}/hapus").status_code == 302
    (gone,) = entries("kompetensi.assessment.delete")
    assert gone.before["code"] == "M.01" and gone.before["level"] == 3 and gone.after is None


def test_publishing_a_course_logs_the_version_before_and_after(client, auth, users, course):
    db.session.add(KursusPemilik(kursus_id=course.id, pegawai_id=users["trainer"].pegawai_id))
    course.draf.title = "Judul Baru"
    db.session.commit()
    auth.login(NIPS["trainer"])
    assert auth.post(f"/ampu/{course.slug}/terbitkan").status_code == 302
    entry = entries("kursus.publish")[-1]
    assert entry.actor_nip == NIPS["trainer"] and entry.target_id == str(course.id)
    assert entry.before == {"version": 1} and entry.after == {"version": 2}
    assert entry.target_label == "Judul Baru"


def test_withdrawing_a_course_logs_the_status(ctx, users, course):
    from lms.catalog.publishing import publish

    publish(course, status="draft")
    entry = entries("kursus.publish")[-1]
    assert (entry.before, entry.after) == ({"status": "published"}, {"status": "draft"})


def test_course_owners_added_and_removed_are_logged(client, auth, users, course):
    trainer, admin = users["trainer"], users["admin"]
    db.session.add(KursusPemilik(kursus_id=course.id, pegawai_id=trainer.pegawai_id))
    db.session.commit()
    auth.login(NIPS["trainer"])
    assert auth.post(f"/ampu/{course.slug}/pemilik", {"nip": NIPS["admin"]}).status_code == 302
    (added,) = entries("kursus.owner.add")
    assert added.actor_nip == NIPS["trainer"] and added.target_id == str(course.id)
    assert added.after == {"pegawai_id": admin.pegawai_id, "nip": NIPS["admin"], "nama": "Admin Uji"}
    assert auth.post(f"/ampu/{course.slug}/pemilik/{admin.pegawai_id}/hapus").status_code == 302
    (removed,) = entries("kursus.owner.remove")
    assert removed.before == {"pegawai_id": admin.pegawai_id, "nip": NIPS["admin"], "nama": "Admin Uji"}


# --- a change and its entry commit together --------------------------------------------------


def _standards(ids):
    competencies.set_standards(db.session.get(Jabatan, ids["jabatan"]), {"M.01": 4})


def _assign(ids):
    assign_many([ids["learner"]], db.session.get(Kursus, ids["kursus"]), due_date=None, assigned_by_id=None)


def _decide(ids):
    development.decide(db.session.get(Pengembangan, ids["record"]), verifier_id=ids["admin"], approve=True)


def _publish(ids):
    from lms.catalog.publishing import publish

    publish(db.session.get(Kursus, ids["kursus"]), status="draft")


@pytest.fixture
def failing_app(app, database_url, tmp_path):
    """The app with a route that makes a change through a service and then fails."""
    edge = create_app(
        TestingConfig,
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=database_url,
        STORAGE_LOCAL_ROOT=str(tmp_path),
    )
    edge.config.update(WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False)
    edge.jobs = {}

    @edge.post("/_change-then-fail/<name>")
    def change_then_fail(name):
        edge.jobs[name](edge.ids)
        db.session.flush()
        raise RuntimeError("after the change")

    yield edge
    with edge.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("job", [_standards, _assign, _decide, _publish], ids=lambda j: j.__name__)
def test_a_failed_request_rolls_back_the_change_and_its_entry_together(
    failing_app, ctx, users, course, jabatan, job
):
    record = enter_development(users["learner"].pegawai_id)
    failing_app.ids = {
        "jabatan": jabatan.id,
        "kursus": course.id,
        "learner": users["learner"].pegawai_id,
        "record": record.id,
        "admin": users["admin"].pegawai_id,
    }
    failing_app.jobs[job.__name__] = job
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert failing_app.test_client().post(f"/_change-then-fail/{job.__name__}").status_code == 500
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert competencies.standards_for(jabatan.id) == {}
    assert db.session.get(Pengembangan, record.id).status == "pending"
    assert db.session.get(Kursus, course.id).status == "published"
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0
