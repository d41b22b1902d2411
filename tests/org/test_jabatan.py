"""The catalogue of positions (jabatan): listed with their kind and how many hold them,
created and edited by whole-agency admins only, codes unique, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.core.audit import AuditEntry
from lms.extensions import db
from lms.org.models import Jabatan, Pegawai, UnitKerja

LIMITED_NIP = "198501012010011001"


@pytest.fixture
def admin(login_as, auth):
    user = login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    return user


def apoteker() -> Jabatan:
    return db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))


def page(response) -> str:
    return response.get_data(as_text=True)


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_list_shows_kind_category_count_and_links_to_the_standard(client, admin, users):
    jabatan = apoteker()
    users["learner"].pegawai.jabatan_id = jabatan.id
    users["other"].pegawai.jabatan_id = jabatan.id
    users["other"].pegawai.aktif = False  # only active holders are counted
    db.session.commit()
    html = page(client.get("/admin/jabatan"))
    assert "Apoteker" in html and "APT" in html
    assert 'Fungsional <span class="meta">(nonmanajerial)</span>' in html
    assert '<td data-label="Active employees">1</td>' in html
    assert f'href="/admin/standar/{jabatan.id}"' in html


def test_admin_creates_a_position_and_it_is_audited(client, auth, admin):
    response = auth.post(
        "/admin/jabatan/baru", {"kode": "KABID", "nama": "Kepala Bidang", "jenis": "administrator"}
    )
    assert response.status_code == 302
    created = db.session.scalar(select(Jabatan).where(Jabatan.kode == "KABID"))
    assert (created.nama, created.jenis, created.kategori) == ("Kepala Bidang", "administrator", "manajerial")
    [entry] = entries("jabatan.create")
    assert (entry.target_type, entry.target_id, entry.before) == ("jabatan", "KABID", None)
    assert entry.after == {"kode": "KABID", "nama": "Kepala Bidang", "jenis": "administrator"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kode": "apt"}, "The code apt is already used."),
        ({"kode": "A B"}, "no spaces"),
        ({"jenis": "direktur"}, "Choose the kind of position."),
        ({"nama": ""}, "Give the position"),
    ],
)
def test_a_bad_position_is_refused_with_a_message(client, auth, admin, form, message):
    response = auth.post(
        "/admin/jabatan/baru", {"kode": "BARU", "nama": "Baru", "jenis": "pelaksana", **form}
    )
    assert response.status_code == 400
    assert message in page(response)
    assert db.session.scalar(select(db.func.count()).select_from(Jabatan)) == 1
    assert entries("jabatan.create") == []


def test_admin_edits_a_position_and_the_change_is_audited(client, auth, admin):
    jabatan = apoteker()
    assert 'value="Apoteker"' in page(client.get(f"/admin/jabatan/{jabatan.id}"))
    response = auth.post(
        f"/admin/jabatan/{jabatan.id}", {"kode": "APT-1", "nama": "Apoteker Ahli", "jenis": "fungsional"}
    )
    assert response.status_code == 302
    db.session.refresh(jabatan)
    assert (jabatan.kode, jabatan.nama) == ("APT-1", "Apoteker Ahli")
    [entry] = entries("jabatan.update")
    assert entry.before == {"kode": "APT", "nama": "Apoteker"}
    assert entry.after == {"kode": "APT-1", "nama": "Apoteker Ahli"}


def test_editing_to_another_positions_code_is_refused(client, auth, admin):
    db.session.add(Jabatan(kode="PERAWAT", nama="Perawat", jenis="fungsional"))
    db.session.commit()
    jabatan = apoteker()
    response = auth.post(
        f"/admin/jabatan/{jabatan.id}", {"kode": "PERAWAT", "nama": "Apoteker", "jenis": "fungsional"}
    )
    assert response.status_code == 400
    assert "The code PERAWAT is already used." in page(response)
    db.session.refresh(jabatan)
    assert jabatan.kode == "APT"
    # keeping its own code is no clash
    assert (
        auth.post(
            f"/admin/jabatan/{jabatan.id}", {"kode": "APT", "nama": "Apoteker", "jenis": "fungsional"}
        ).status_code
        == 302
    )


def test_an_unknown_position_is_404(client, admin):
    assert client.get("/admin/jabatan/999999").status_code == 404


def test_a_limited_admin_views_the_catalogue_but_does_not_change_it(client, auth, make_user, users):
    bidang = UnitKerja(kode="BID", nama="Bidang", jenis="bidang", parent_id=users["admin"].pegawai.unit_id)
    db.session.add(bidang)
    db.session.commit()
    limited = make_user(LIMITED_NIP, "Admin Bidang", is_admin=True)
    limited.admin_unit_id = bidang.id
    db.session.commit()
    auth.login(LIMITED_NIP)
    html = page(client.get("/admin/jabatan"))
    assert "Apoteker" in html and "/admin/jabatan/baru" not in html
    jabatan = apoteker()
    assert client.get("/admin/jabatan/baru").status_code == 403
    assert client.get(f"/admin/jabatan/{jabatan.id}").status_code == 403
    response = auth.post(f"/admin/jabatan/{jabatan.id}", {"kode": "X", "nama": "X", "jenis": "pelaksana"})
    assert response.status_code == 403
    assert apoteker() is not None


def test_a_limited_admin_counts_only_the_holders_they_run(client, auth, make_user, users):
    bidang = UnitKerja(kode="BID", nama="Bidang", jenis="bidang")
    db.session.add(bidang)
    db.session.commit()
    limited = make_user(LIMITED_NIP, "Admin Bidang", is_admin=True)
    limited.admin_unit_id = bidang.id
    users["learner"].pegawai.jabatan_id = apoteker().id  # in UPT-X, outside the scope
    db.session.add(
        Pegawai(nip="198601012010011002", nama="Di Bidang", unit_id=bidang.id, jabatan_id=apoteker().id)
    )
    db.session.commit()
    auth.login(LIMITED_NIP)
    auth.post("/bahasa", {"lang": "en"})
    assert '<td data-label="Active employees">1</td>' in page(client.get("/admin/jabatan"))


def test_positions_are_for_admins_only(client, login_as):
    login_as("trainer")
    assert client.get("/admin/jabatan").status_code == 403
