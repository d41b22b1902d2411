"""`flask demo` builds the demo organisation once, with valid data, and the demo logins work."""

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.demo import ADMIN, DEMO_PASSWORD, LEARNER, PEOPLE, SUPERVISOR, TRAINER
from lms.extensions import db
from lms.org.models import Pegawai, UnitKerja
from lms.org.services import is_supervisor, validate_pegawai
from tests.conftest import KURSUS_ROOT


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_is_created_once(app, ctx, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "30 pegawai, 30 accounts" in first.output
    second = runner.invoke(args=["demo"])
    assert (
        "0 units, 0 jabatan, 0 pegawai, 0 accounts, 0 assignments, 0 course owners, 0 agency settings,"
        " 0 standards, 0 completions, 0 development records, 0 mandatory rules created" in second.output
    )
    assert count(Pegawai) == 30 and count(User) == 30


def test_demo_people_have_valid_identities(app, ctx):
    for nip, _nama, status, golongan, *_ in PEOPLE:
        assert validate_pegawai(nip, status, golongan) == nip


def test_demo_organisation_has_remote_offices_and_a_chain_of_atasan(app, ctx, runner):
    runner.invoke(args=["demo"])
    assert db.session.scalar(select(func.count()).where(UnitKerja.jenis == "upt")) >= 2
    learner = db.session.scalar(select(Pegawai).where(Pegawai.nip == LEARNER))
    assert learner.atasan.nip == SUPERVISOR
    assert is_supervisor(learner.atasan_id)
    assert not is_supervisor(learner.id)
    roles = {u.pegawai.nip: (u.is_admin, u.is_pengajar) for u in db.session.scalars(select(User))}
    assert (
        roles[ADMIN] == (True, False) and roles[TRAINER] == (False, True) and roles[LEARNER] == (False, False)
    )


def test_demo_logins_work_and_the_learner_sees_assigned_courses(app, client, auth, runner):
    assert runner.invoke(args=["kursus", "import", KURSUS_ROOT]).exit_code == 0
    runner.invoke(args=["demo"])
    for nip in (LEARNER, SUPERVISOR, TRAINER, ADMIN):
        assert auth.login(nip, DEMO_PASSWORD).status_code == 302, nip
        auth.logout()
    auth.login(LEARNER, DEMO_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert "Nilai Dasar ASN BerAKHLAK" in home and "Ditugaskan" in home and "Tenggat" in home
