"""An admin limited to a unit sees, in the views admins share, only the people of that
unit and the units below it: the organisation (team) view, monitoring, the records to
verify, profiles and certificates. Outside, pages answer as for an unknown record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.certificates.models import Sertifikat
from lms.extensions import db
from lms.org.models import UnitKerja
from tests.conftest import NIPS, enter_development

# Two learners in two sibling units; the limited admin runs the first.
INSIDE, OUTSIDE = "Peserta Di Dalam", "Peserta Di Luar"


@pytest.fixture
def two_units(ctx, unit, users, make_user, make_course, complete_course):
    mine = UnitKerja(kode="UPT-A", nama="UPT Alor", jenis="upt", parent_id=unit.id)
    below = UnitKerja(kode="UPT-A-1", nama="Gudang Alor", jenis="subbidang", parent=mine)
    other = UnitKerja(kode="UPT-B", nama="UPT Ende", jenis="upt", parent_id=unit.id)
    db.session.add_all([mine, below, other])
    db.session.flush()
    inside = make_user("199301012019031001", INSIDE, atasan=users["supervisor"])
    outside = make_user("199302022019031002", OUTSIDE, atasan=users["supervisor"])
    inside.pegawai.unit_id, outside.pegawai.unit_id = below.id, other.id
    limited = make_user("198001012005011001", "Admin UPT Alor", is_admin=True)
    limited.pegawai.unit_id, limited.admin_unit_id = mine.id, mine.id
    db.session.commit()
    course = make_course("kursus-lingkup", quiz=False)
    for person in (inside, outside):
        complete_course(person, course)
        enter_development(person.pegawai_id)
    db.session.commit()
    return {"mine": mine, "other": other, "inside": inside, "outside": outside, "limited": limited}


@pytest.fixture
def as_limited(auth, two_units):
    assert auth.login("198001012005011001").status_code == 302
    return two_units


def certificate_of(user) -> str:
    return db.session.scalar(select(Sertifikat.code).where(Sertifikat.pegawai_id == user.pegawai_id))


def test_the_organisation_view_lists_only_the_admins_units(client, as_limited):
    page = client.get("/tim").get_data(as_text=True)
    assert INSIDE in page and OUTSIDE not in page and "Peserta Uji" not in page


def test_monitoring_starts_at_the_admins_unit_and_refuses_others(client, as_limited):
    page = client.get("/monev").get_data(as_text=True)
    assert "Gudang Alor" in page and "UPT Ende" not in page
    assert client.get(f"/monev?unit={as_limited['other'].id}").status_code == 404


def test_records_to_verify_and_profiles_stop_at_the_admins_units(client, as_limited):
    page = client.get("/pengembangan/verifikasi").get_data(as_text=True)
    assert INSIDE in page and OUTSIDE not in page
    assert client.get(f"/profil/{as_limited['inside'].pegawai.nip}").status_code == 200
    assert client.get(f"/profil/{as_limited['outside'].pegawai.nip}").status_code == 404


def test_certificates_outside_the_admins_units_are_not_found(client, auth, as_limited):
    page = client.get("/admin/sertifikat?q=Peserta").get_data(as_text=True)
    assert INSIDE in page and OUTSIDE not in page
    outside = certificate_of(as_limited["outside"])
    assert client.get(f"/sertifikat/{outside}.pdf").status_code == 404
    response = auth.post(f"/admin/sertifikat/{outside}/cabut", {"alasan": "Salah orang"})
    assert response.status_code == 404
    assert db.session.scalar(select(Sertifikat.revoked_at).where(Sertifikat.code == outside)) is None


def test_an_admin_of_the_whole_agency_still_sees_everyone(client, auth, two_units):
    auth.login(NIPS["admin"])
    page = client.get("/tim").get_data(as_text=True)
    assert INSIDE in page and OUTSIDE in page
