"""Units in the admin's browser: the tree, creating, renaming, moving without loops,
closing and reopening; every change audited; a unit-limited admin stays in their subtree."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.core.audit import AuditEntry
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai, UnitKerja
from tests.conftest import NIPS

LIMITED_NIP = "198501012010011001"


def make_unit(kode, parent=None, jenis="bidang", **fields):
    unit = UnitKerja(kode=kode, nama=fields.pop("nama", f"Unit {kode}"), jenis=jenis, parent=parent, **fields)
    db.session.add(unit)
    db.session.commit()
    return unit


@pytest.fixture
def tree(unit):
    """DINKES › YANKES › PKM-A, and BKD beside DINKES; the fixture's UPT-X is a top unit too."""
    dinkes = make_unit("DINKES", jenis="perangkat_daerah", nama="Dinas Kesehatan")
    yankes = make_unit("YANKES", dinkes, nama="Bidang Yankes")
    pkm = make_unit("PKM-A", yankes, jenis="puskesmas", nama="Puskesmas Alak", zona="Asia/Makassar")
    bkd = make_unit("BKD", jenis="perangkat_daerah", nama="Badan Kepegawaian")
    return {"DINKES": dinkes, "YANKES": yankes, "PKM-A": pkm, "BKD": bkd, "UPT-X": unit}


@pytest.fixture
def admin(login_as, auth, tree):
    user = login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    return user


@pytest.fixture
def limited(make_user, auth, tree, users):
    """An admin of DINKES and the units below it."""
    user = make_user(LIMITED_NIP, "Admin Dinkes", is_admin=True)
    user.admin_unit_id = tree["DINKES"].id
    db.session.commit()
    assert auth.login(LIMITED_NIP).status_code == 302
    auth.post("/bahasa", {"lang": "en"})
    return user


def page(response) -> str:
    return response.get_data(as_text=True)


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def place(nip, unit, nama="Pegawai Unit", aktif=True):
    db.session.add(Pegawai(nip=nip, nama=nama, status_asn="PNS", unit_id=unit.id, aktif=aktif))
    db.session.commit()


def after_redirect(client, response) -> str:
    assert response.status_code == 302, page(response)[:500]
    return page(client.get(response.headers["Location"]))


# --- the tree ---------------------------------------------------------------------------------


def test_tree_nests_units_with_kode_kind_zone_and_active_count(client, admin, tree):
    place("198601012010011002", tree["PKM-A"])
    place("198601012010011003", tree["PKM-A"], aktif=False)
    html = page(client.get("/admin/unit"))
    # PKM-A sits inside YANKES's list, which sits inside DINKES's.
    dinkes, yankes, pkm = (
        html.index("Dinas Kesehatan"),
        html.index("Bidang Yankes"),
        html.index("Puskesmas Alak"),
    )
    assert dinkes < yankes < pkm
    assert html.count("<ul>", dinkes, pkm) == 2
    assert "PKM-A · Health centre · WITA · " in html
    assert "BKD · Regional government agency (OPD) · as the agency" in html
    assert "1 active employee<" in html  # the deactivated one is not counted
    assert "(1 with its sub-units)" in html


def test_closed_units_are_hidden_unless_asked_for(client, admin, tree):
    make_unit("LAMA", tree["BKD"], nama="Bidang Lama", closed_at=utcnow())
    assert "Bidang Lama" not in page(client.get("/admin/unit"))
    html = page(client.get("/admin/unit?tutup=1"))
    assert 'Bidang Lama</a> <span class="tag bad">closed</span>' in html


def test_tree_is_two_queries_however_many_units(client, admin, tree):
    from tests.conftest import count_queries

    with count_queries() as few:
        client.get("/admin/unit")
    for n in range(10):
        make_unit(f"X{n}", tree["YANKES"])
    with count_queries() as many:
        client.get("/admin/unit")
    assert len(many) == len(few)


# --- create, edit -----------------------------------------------------------------------------


def test_admin_creates_a_unit_under_a_parent_and_it_is_audited(client, auth, admin, tree):
    response = auth.post(
        "/admin/unit/baru",
        {
            "kode": "PKM-B",
            "nama": "Puskesmas Bakunase",
            "jenis": "puskesmas",
            "parent_id": tree["YANKES"].id,
            "zona": "Asia/Makassar",
        },
    )
    created = db.session.scalar(select(UnitKerja).where(UnitKerja.kode == "PKM-B"))
    assert response.headers["Location"] == f"/admin/unit/{created.id}"
    assert (created.parent_id, created.zona, created.jenis) == (
        tree["YANKES"].id,
        "Asia/Makassar",
        "puskesmas",
    )
    [entry] = entries("unit.create")
    assert (entry.target_type, entry.target_id, entry.before) == ("unit", "PKM-B", None)
    assert entry.after["parent"] == "YANKES" and entry.after["nama"] == "Puskesmas Bakunase"
    assert entry.actor_nip == NIPS["admin"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kode": "dinkes"}, "The code dinkes is already used."),  # whatever the case
        ({"kode": "KODE BARU"}, "no spaces"),
        ({"nama": "  "}, "Give the unit"),
        ({"jenis": "kantor"}, "Choose the kind of unit."),
        ({"zona": "Europe/Paris"}, "Choose WIB, WITA, WIT or the agency&#39;s time zone."),
        ({"parent_id": "999999"}, "Choose a parent unit you run."),
    ],
)
def test_a_bad_new_unit_is_refused_with_a_message_and_nothing_saved(client, auth, admin, tree, form, message):
    data = {"kode": "BARU", "nama": "Unit Baru", "jenis": "bidang", "parent_id": "", "zona": "", **form}
    response = auth.post("/admin/unit/baru", data)
    assert response.status_code == 400
    assert message in page(response)
    assert db.session.scalar(select(db.func.count()).select_from(UnitKerja)) == 5
    assert entries("unit.create") == []


def test_rename_and_change_of_zone_are_audited_with_before_and_after(client, auth, admin, tree):
    unit = tree["PKM-A"]
    response = auth.post(
        f"/admin/unit/{unit.id}", {"nama": "Puskesmas Alak Baru", "jenis": "puskesmas", "zona": ""}
    )
    assert response.status_code == 302
    db.session.refresh(unit)
    assert (unit.nama, unit.zona, unit.kode) == ("Puskesmas Alak Baru", None, "PKM-A")
    [entry] = entries("unit.update")
    assert entry.before == {"nama": "Puskesmas Alak", "zona": "Asia/Makassar"}
    assert entry.after == {"nama": "Puskesmas Alak Baru", "zona": None}


def test_saving_without_changes_writes_no_audit_entry(client, auth, admin, tree):
    unit = tree["BKD"]
    auth.post(f"/admin/unit/{unit.id}", {"nama": unit.nama, "jenis": unit.jenis, "zona": ""})
    assert entries("unit.update") == []


# --- move -------------------------------------------------------------------------------------


def test_a_unit_moves_under_another_parent_with_its_subtree(client, auth, admin, tree):
    from lms import signals

    place("198601012010011002", tree["PKM-A"])
    seen = []

    def listen(sender, pegawai_ids, **kw):
        seen.append(sorted(pegawai_ids))

    signals.people_changed.connect(listen)
    try:
        response = auth.post(f"/admin/unit/{tree['YANKES'].id}/pindah", {"parent_id": tree["BKD"].id})
    finally:
        signals.people_changed.disconnect(listen)
    assert response.status_code == 302
    assert db.session.get(UnitKerja, tree["YANKES"].id).parent_id == tree["BKD"].id
    assert db.session.get(UnitKerja, tree["PKM-A"].id).parent_id == tree["YANKES"].id
    [entry] = entries("unit.move")
    assert (entry.before, entry.after) == ({"parent": "DINKES"}, {"parent": "BKD"})
    assert seen == [
        [db.session.scalar(select(Pegawai.id).where(Pegawai.nip == "198601012010011002"))]
    ]  # rules by unit may now apply differently


@pytest.mark.parametrize(
    ("moved", "under", "message"),
    [
        ("DINKES", "DINKES", "A unit cannot be placed under itself."),
        (
            "DINKES",
            "PKM-A",
            "Puskesmas Alak is below Dinas Kesehatan: a unit cannot move under its own sub-unit.",
        ),
    ],
)
def test_a_move_that_would_make_a_loop_is_refused(client, auth, admin, tree, moved, under, message):
    response = auth.post(f"/admin/unit/{tree[moved].id}/pindah", {"parent_id": tree[under].id})
    assert response.status_code == 400
    assert message in page(response)
    assert db.session.get(UnitKerja, tree[moved].id).parent_id is None
    assert entries("unit.move") == []


def test_a_whole_agency_admin_may_move_a_unit_to_the_top(client, auth, admin, tree):
    auth.post(f"/admin/unit/{tree['YANKES'].id}/pindah", {"parent_id": ""})
    assert db.session.get(UnitKerja, tree["YANKES"].id).parent_id is None


# --- close, reopen ----------------------------------------------------------------------------


def test_closing_is_refused_while_active_employees_work_there(client, auth, admin, tree):
    place("198601012010011002", tree["BKD"])
    place("198601012010011003", tree["BKD"])
    html = after_redirect(client, auth.post(f"/admin/unit/{tree['BKD'].id}/tutup"))
    assert "2 active employees still work in Badan Kepegawaian: move or deactivate them first." in html
    assert db.session.get(UnitKerja, tree["BKD"].id).closed_at is None
    assert entries("unit.close") == []


def test_closing_is_refused_while_a_sub_unit_is_open(client, auth, admin, tree):
    html = after_redirect(client, auth.post(f"/admin/unit/{tree['YANKES'].id}/tutup"))
    assert "Bidang Yankes still has 1 open sub-unit: close or move it first." in html
    assert db.session.get(UnitKerja, tree["YANKES"].id).closed_at is None


def test_an_empty_unit_closes_keeps_its_rows_and_reopens(client, auth, admin, tree):
    unit = tree["PKM-A"]
    place("198601012010011002", unit, aktif=False)  # history stays in a closed unit
    assert auth.post(f"/admin/unit/{unit.id}/tutup").status_code == 302
    db.session.refresh(unit)
    assert unit.closed_at is not None
    assert db.session.scalar(select(Pegawai.unit_id).where(Pegawai.nip == "198601012010011002")) == unit.id
    [entry] = entries("unit.close")
    assert entry.before == {"closed_at": None} and entry.after["closed_at"]
    # its parent may close now that nothing open is below it
    assert auth.post(f"/admin/unit/{tree['YANKES'].id}/tutup").status_code == 302
    html = after_redirect(client, auth.post(f"/admin/unit/{unit.id}/buka"))
    assert "Bidang Yankes, above it, is closed: reopen that first." in html
    auth.post(f"/admin/unit/{tree['YANKES'].id}/buka")
    assert auth.post(f"/admin/unit/{unit.id}/buka").status_code == 302
    db.session.refresh(unit)
    assert unit.closed_at is None
    assert len(entries("unit.reopen")) == 2


def test_a_closed_unit_takes_no_new_employee_and_no_new_sub_unit(client, auth, admin, tree):
    unit = tree["PKM-A"]
    auth.post(f"/admin/unit/{unit.id}/tutup")
    response = auth.post(
        "/admin/pegawai/baru",
        {
            "nip": "198601012010011002",
            "nama": "Baru",
            "status_asn": "PNS",
            "golongan": "III/a",
            "unit_id": unit.id,
        },
    )
    assert response.status_code == 400
    assert "Puskesmas Alak is closed: nobody new can be placed in it." in page(response)
    assert db.session.scalar(select(Pegawai).where(Pegawai.nip == "198601012010011002")) is None
    response = auth.post(
        "/admin/unit/baru", {"kode": "SUB", "nama": "Sub", "jenis": "bidang", "parent_id": unit.id}
    )
    assert "Puskesmas Alak is closed: it cannot take new sub-units." in page(response)
    # and it is not offered as a place for new employees
    assert "Puskesmas Alak (PKM-A)" not in page(client.get("/admin/pegawai/baru"))


# --- a unit-limited admin -------------------------------------------------------------------


def test_a_limited_admin_sees_only_their_subtree(client, limited, tree):
    html = page(client.get("/admin/unit"))
    assert "Dinas Kesehatan" in html and "Puskesmas Alak" in html
    assert "Badan Kepegawaian" not in html and "UPT Uji" not in html
    assert client.get(f"/admin/unit/{tree['PKM-A'].id}").status_code == 200
    for outside in ("BKD", "UPT-X"):
        assert client.get(f"/admin/unit/{tree[outside].id}").status_code == 404


def test_a_limited_admin_gets_404_when_changing_a_unit_outside(client, auth, limited, tree):
    bkd = tree["BKD"]
    assert auth.post(f"/admin/unit/{bkd.id}", {"nama": "X", "jenis": "bidang", "zona": ""}).status_code == 404
    assert auth.post(f"/admin/unit/{bkd.id}/pindah", {"parent_id": tree["YANKES"].id}).status_code == 404
    assert auth.post(f"/admin/unit/{bkd.id}/tutup").status_code == 404
    assert db.session.get(UnitKerja, bkd.id).nama == "Badan Kepegawaian"


def test_a_limited_admin_cannot_move_a_unit_out_of_their_scope(client, auth, limited, tree):
    for target in (tree["BKD"].id, ""):
        response = auth.post(f"/admin/unit/{tree['PKM-A'].id}/pindah", {"parent_id": target})
        assert response.status_code == 400
    assert db.session.get(UnitKerja, tree["PKM-A"].id).parent_id == tree["YANKES"].id
    # inside it is fine
    auth.post(f"/admin/unit/{tree['PKM-A'].id}/pindah", {"parent_id": tree["DINKES"].id})
    assert db.session.get(UnitKerja, tree["PKM-A"].id).parent_id == tree["DINKES"].id


def test_a_limited_admin_cannot_create_a_top_level_unit(client, auth, limited, tree):
    response = auth.post(
        "/admin/unit/baru", {"kode": "TOP", "nama": "Top", "jenis": "bidang", "parent_id": ""}
    )
    assert response.status_code == 400
    assert "You run Dinas Kesehatan and the units below it: choose a parent unit inside it." in page(response)
    assert "(top level)" not in page(client.get("/admin/unit/baru"))
    auth.post(
        "/admin/unit/baru", {"kode": "SUB", "nama": "Sub", "jenis": "bidang", "parent_id": tree["YANKES"].id}
    )
    assert db.session.scalar(select(UnitKerja.parent_id).where(UnitKerja.kode == "SUB")) == tree["YANKES"].id


def test_unit_pages_are_for_admins_only(client, login_as, tree):
    login_as("learner")
    assert client.get("/admin/unit").status_code == 403
    assert client.get(f"/admin/unit/{tree['BKD'].id}").status_code == 403
