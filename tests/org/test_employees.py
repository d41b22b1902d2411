"""Employees in the admin's browser: search and filters in a fixed number of queries, one
employee's page with every kind of bad input refused, deactivating and reactivating, and
``people_changed`` for what rules follow; all audited, all inside the admin's scope."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms import signals
from lms.accounts.models import UserSession
from lms.core.audit import AuditEntry
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Jabatan, Pegawai, UnitKerja
from lms.progress.models import CourseCompletion
from tests.conftest import NIPS, count_queries

LIMITED_NIP = "198501012010011001"
NEW_NIP = "198601012010011002"


@pytest.fixture
def admin(login_as, auth):
    user = login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    return user


@pytest.fixture
def changed():
    """The pegawai_ids of every people_changed sent during the test."""
    seen: list[list[int]] = []

    def listen(sender, pegawai_ids, **kwargs):
        seen.append(sorted(pegawai_ids))

    signals.people_changed.connect(listen)
    yield seen
    signals.people_changed.disconnect(listen)


@pytest.fixture
def dinkes(unit):
    """DINKES › PKM-A (under it), and BKD apart."""
    top = UnitKerja(kode="DINKES", nama="Dinas Kesehatan", jenis="perangkat_daerah")
    pkm = UnitKerja(kode="PKM-A", nama="Puskesmas Alak", jenis="puskesmas", parent=top)
    bkd = UnitKerja(kode="BKD", nama="Badan Kepegawaian", jenis="perangkat_daerah")
    db.session.add_all([top, pkm, bkd])
    db.session.commit()
    return {"DINKES": top, "PKM-A": pkm, "BKD": bkd}


def page(response) -> str:
    return response.get_data(as_text=True)


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def listed_nips(html: str) -> list[str]:
    return re.findall(r'href="/admin/pegawai/(\d{18})"', html)


def add_people(n: int, unit_id: int, start: int = 0, prefix: str = "Staf") -> None:
    db.session.add_all(
        Pegawai(nip=f"199001012015011{start + i:03d}", nama=f"{prefix} {start + i:03d}", unit_id=unit_id)
        for i in range(n)
    )
    db.session.commit()


def form_of(pegawai: Pegawai, **changes) -> dict:
    return {
        "nama": pegawai.nama,
        "status_asn": pegawai.status_asn,
        "golongan": pegawai.golongan or "",
        "email": pegawai.email or "",
        "unit_id": pegawai.unit_id,
        "jabatan_id": pegawai.jabatan_id or "",
        "atasan_nip": pegawai.atasan.nip if pegawai.atasan else "",
        **changes,
    }


# --- the list -------------------------------------------------------------------------------


def test_search_by_a_fragment_of_the_nip_puts_those_starting_with_it_first(client, admin, users, unit):
    # "2019 03" (typed with a space) is inside the learner's NIP, 199203152019032001
    assert listed_nips(page(client.get("/admin/pegawai?q=2019 03"))) == [NIPS["learner"]]
    # "2001" starts Zulkifli's NIP and ends two others': Zulkifli first, though the list
    # is otherwise by name
    db.session.add(Pegawai(nip="200101012020121001", nama="Zulkifli", unit_id=unit.id))
    db.session.commit()
    assert listed_nips(page(client.get("/admin/pegawai?q=2001"))) == [
        "200101012020121001",
        NIPS["other"],
        NIPS["learner"],
    ]


def test_search_by_name_ignores_case(client, admin, users):
    html = page(client.get("/admin/pegawai?q=pESERTA"))
    assert sorted(listed_nips(html)) == sorted([NIPS["learner"], NIPS["other"]])
    assert listed_nips(page(client.get("/admin/pegawai?q=50%25"))) == []  # % is no wildcard


def test_list_pages_fifty_at_a_time_in_a_stable_order(client, admin, unit):
    add_people(120, unit.id)
    first = listed_nips(page(client.get("/admin/pegawai?q=Staf")))
    second = listed_nips(page(client.get("/admin/pegawai?q=Staf&halaman=2")))
    third_html = page(client.get("/admin/pegawai?q=Staf&halaman=3"))
    assert len(first) == 50 and len(second) == 50 and len(listed_nips(third_html)) == 20
    assert first[0] == "199001012015011000" and second[0] == "199001012015011050"
    assert "120 employees found" in third_html and "Page 3 of 3" in third_html
    # a page past the end shows the last one
    assert listed_nips(page(client.get("/admin/pegawai?q=Staf&halaman=99"))) == listed_nips(third_html)


def test_filter_by_unit_includes_its_sub_units_and_by_status(client, admin, dinkes, users):
    add_people(2, dinkes["DINKES"].id)
    add_people(3, dinkes["PKM-A"].id, start=10)
    add_people(1, dinkes["BKD"].id, start=20)
    db.session.execute(
        Pegawai.__table__.update().where(Pegawai.nip == "199001012015011010").values(aktif=False)
    )
    db.session.commit()
    assert len(listed_nips(page(client.get(f"/admin/pegawai?unit={dinkes['DINKES'].id}")))) == 4
    assert len(listed_nips(page(client.get(f"/admin/pegawai?unit={dinkes['PKM-A'].id}")))) == 2
    everyone = page(client.get(f"/admin/pegawai?unit={dinkes['DINKES'].id}&status=semua"))
    assert len(listed_nips(everyone)) == 5
    gone = page(client.get(f"/admin/pegawai?unit={dinkes['DINKES'].id}&status=nonaktif"))
    assert listed_nips(gone) == ["199001012015011010"]


def test_the_list_is_the_same_number_of_queries_when_employees_double(client, admin, dinkes):
    add_people(20, dinkes["PKM-A"].id)
    with count_queries() as few:
        assert client.get(f"/admin/pegawai?unit={dinkes['DINKES'].id}&q=Staf").status_code == 200
    add_people(20, dinkes["PKM-A"].id, start=20)
    with count_queries() as many:
        html = page(client.get(f"/admin/pegawai?unit={dinkes['DINKES'].id}&q=Staf"))
    assert len(listed_nips(html)) == 40
    assert len(many) == len(few)


# --- one employee: editing ----------------------------------------------------------------


def test_an_edit_is_saved_and_audited_with_before_and_after(client, auth, admin, users, dinkes, changed):
    learner = users["learner"].pegawai
    jabatan = db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))
    response = auth.post(
        f"/admin/pegawai/{learner.nip}",
        form_of(learner, nama="Peserta Baru", golongan="III/b", email="peserta@dinkes.go.id",
                unit_id=dinkes["PKM-A"].id, jabatan_id=jabatan.id, atasan_nip=NIPS["admin"]),
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(learner)
    assert (learner.nama, learner.golongan, learner.unit_id) == ("Peserta Baru", "III/b", dinkes["PKM-A"].id)
    assert (learner.jabatan_id, learner.atasan_id) == (jabatan.id, users["admin"].pegawai_id)
    [entry] = entries("pegawai.update")
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "pegawai",
        learner.nip,
        "Peserta Baru",
    )
    assert entry.before == {
        "nama": "Peserta Uji", "golongan": "III/a", "email": None, "unit": "UPT-X",
        "jabatan": None, "atasan": NIPS["supervisor"],
    }  # fmt: skip
    assert entry.after == {
        "nama": "Peserta Baru", "golongan": "III/b", "email": "peserta@dinkes.go.id", "unit": "PKM-A",
        "jabatan": "APT", "atasan": NIPS["admin"],
    }  # fmt: skip
    assert changed == [[learner.id]]


def test_a_change_of_name_only_does_not_announce_people_changed(client, auth, admin, users, changed):
    learner = users["learner"].pegawai
    auth.post(f"/admin/pegawai/{learner.nip}", form_of(learner, nama="Nama Lain"))
    assert changed == []
    assert len(entries("pegawai.update")) == 1


def test_a_change_of_status_announces_people_changed(client, auth, admin, users, changed):
    learner = users["learner"].pegawai
    response = auth.post(f"/admin/pegawai/{learner.nip}", form_of(learner, status_asn="PPPK", golongan="IX"))
    assert response.status_code == 302
    assert changed == [[learner.id]]
    assert entries("pegawai.update")[0].after == {"status_asn": "PPPK", "golongan": "IX"}


BAD_EDITS = [
    ({"golongan": "XVII"}, "golongan", "Unknown golongan/ruang XVII: a PNS has I/a to IV/e."),
    (
        {"status_asn": "PPPK", "golongan": "III/a"},
        "golongan",
        "Unknown golongan III/a: a PPPK has I to XVII.",
    ),
    ({"atasan_nip": NIPS["learner"]}, "atasan_nip", "An employee cannot be their own atasan."),
    ({"atasan_nip": "199001012015031999"}, "atasan_nip", "No employee has the NIP 199001012015031999."),
    ({"email": "peserta@"}, "email", "Give an email address such as nama@instansi.go.id."),
    ({"email": "a b@c.id"}, "email", "Give an email address such as nama@instansi.go.id."),
    ({"nama": ""}, "nama", "Give the employee"),
    ({"unit_id": "999999"}, "unit_id", "Choose a unit you run."),
    ({"jabatan_id": "999999"}, "jabatan_id", "Choose a position from the list."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_EDITS)
def test_a_bad_edit_says_why_next_to_the_field_and_changes_nothing(
    client, auth, admin, users, changed, changes, field, message
):
    learner = users["learner"].pegawai
    response = auth.post(f"/admin/pegawai/{learner.nip}", form_of(learner, **{"nama": "Dicoba", **changes}))
    assert response.status_code == 400
    html = page(response)
    assert f'id="{field}-error">{message}' in html
    db.session.refresh(learner)
    assert (learner.nama, learner.golongan, learner.email) == ("Peserta Uji", "III/a", None)
    assert learner.atasan_id == users["supervisor"].pegawai_id
    assert entries("pegawai.update") == [] and changed == []


def test_an_atasan_that_would_close_a_circle_is_refused(client, auth, admin, users):
    """learner → supervisor; making the learner the supervisor's atasan closes the loop,
    and so does any longer way round."""
    supervisor = users["supervisor"].pegawai
    response = auth.post(f"/admin/pegawai/{supervisor.nip}", form_of(supervisor, atasan_nip=NIPS["learner"]))
    assert response.status_code == 400
    assert "Peserta Uji already reports to this employee, directly or through others" in page(response)
    # a chain of three: admin → learner → supervisor, then supervisor's atasan := admin? no:
    users["admin"].pegawai.atasan_id = users["learner"].pegawai_id
    db.session.commit()
    response = auth.post(f"/admin/pegawai/{supervisor.nip}", form_of(supervisor, atasan_nip=NIPS["admin"]))
    assert response.status_code == 400
    assert "Admin Uji already reports to this employee" in page(response)
    db.session.refresh(supervisor)
    assert supervisor.atasan_id is None


def test_a_deactivated_employee_cannot_be_an_atasan(client, auth, admin, users):
    users["other"].pegawai.aktif = False
    db.session.commit()
    learner = users["learner"].pegawai
    response = auth.post(f"/admin/pegawai/{learner.nip}", form_of(learner, atasan_nip=NIPS["other"]))
    assert response.status_code == 400
    assert "Peserta Lain is deactivated and cannot be an atasan." in page(response)


def test_the_page_shows_the_form_filled_in_and_the_panels(client, admin, users):
    html = page(client.get(f"/admin/pegawai/{NIPS['learner']}"))
    assert 'value="Peserta Uji"' in html and f'value="{NIPS["supervisor"]}"' in html
    assert "Account and roles" in html  # the accounts panel


def test_an_unknown_nip_is_404(client, admin, users):
    assert client.get("/admin/pegawai/199001012015031999").status_code == 404


# --- one employee: creating ----------------------------------------------------------------


def new_form(**changes) -> dict:
    return {"nip": NEW_NIP, "nama": "Pegawai Baru", "status_asn": "PNS", "golongan": "II/c", "email": "",
            "unit_id": "", "jabatan_id": "", "atasan_nip": "", **changes}  # fmt: skip


def test_an_employee_is_created_audited_and_announced(client, auth, admin, unit, changed):
    response = auth.post("/admin/pegawai/baru", new_form(nip="19860101 201001 1 002", unit_id=unit.id))
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/pegawai/{NEW_NIP}"
    created = db.session.scalar(select(Pegawai).where(Pegawai.nip == NEW_NIP))
    assert (created.nama, created.golongan, created.aktif) == ("Pegawai Baru", "II/c", True)
    [entry] = entries("pegawai.create")
    assert (entry.target_id, entry.before, entry.after["unit"]) == (NEW_NIP, None, "UPT-X")
    assert changed == [[created.id]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nip": "19860101201001100"}, "A NIP has 18 digits; this one has 17."),
        ({"nip": "198613012010011002"}, "Digits 1–8 of the NIP must be a valid birth date"),
        ({"nip": "198601012010013002"}, "Digit 15 of the NIP must be 1 (male) or 2 (female)."),
        ({"nip": NIPS["learner"]}, f"An employee with the NIP {NIPS['learner']} already exists."),
        ({"golongan": "V"}, "Unknown golongan/ruang V"),
        ({"unit_id": ""}, "Choose the unit."),
    ],
)
def test_a_bad_new_employee_is_refused(client, auth, admin, unit, users, changes, message):
    before = db.session.scalar(select(func.count()).select_from(Pegawai))
    response = auth.post("/admin/pegawai/baru", new_form(**{"unit_id": unit.id, **changes}))
    assert response.status_code == 400
    assert message in page(response)
    assert db.session.scalar(select(func.count()).select_from(Pegawai)) == before


# --- deactivating ----------------------------------------------------------------------------


def test_a_deactivated_employee_cannot_sign_in_and_keeps_their_completions(
    client, auth, app, users, course, complete_course, changed
):
    learner = users["learner"]
    complete_course(learner, course)
    elsewhere = app.test_client()  # the learner, signed in on their phone
    assert type(auth)(elsewhere).login(NIPS["learner"]).status_code == 302
    assert elsewhere.get("/").status_code == 200
    assert auth.login(NIPS["admin"]).status_code == 302
    response = auth.post(f"/admin/pegawai/{NIPS['learner']}/nonaktifkan")
    assert response.status_code == 302
    pegawai = db.session.get(Pegawai, learner.pegawai_id)
    assert pegawai.aktif is False and pegawai.nonaktif_at is not None
    # signed out where they were, and cannot sign in again
    assert elsewhere.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).where(UserSession.user_id == learner.id)) == 0
    auth.logout()
    assert auth.login(NIPS["learner"]).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1
    [entry] = entries("pegawai.deactivate")
    assert entry.before == {"aktif": True, "nonaktif_at": None} and entry.after["aktif"] is False
    assert changed == [[learner.pegawai_id]]


def test_deactivating_warns_about_people_who_still_report_to_them(client, auth, admin, users):
    response = auth.post(f"/admin/pegawai/{NIPS['supervisor']}/nonaktifkan")
    html = page(client.get(response.headers["Location"]))
    assert "2 active employees still have them as atasan" in html


def test_a_deactivated_employee_is_reactivated(client, auth, admin, users, changed):
    auth.post(f"/admin/pegawai/{NIPS['learner']}/nonaktifkan")
    assert auth.post(f"/admin/pegawai/{NIPS['learner']}/aktifkan").status_code == 302
    pegawai = db.session.get(Pegawai, users["learner"].pegawai_id)
    assert pegawai.aktif is True and pegawai.nonaktif_at is None
    [entry] = entries("pegawai.reactivate")
    assert entry.before["aktif"] is False and entry.after == {"aktif": True, "nonaktif_at": None}
    assert changed == [[pegawai.id], [pegawai.id]]
    auth.logout()
    assert auth.login(NIPS["learner"]).status_code == 302


def test_an_admin_cannot_deactivate_themselves(client, auth, admin, users):
    html = page(client.get(auth.post(f"/admin/pegawai/{NIPS['admin']}/nonaktifkan").headers["Location"]))
    assert "You cannot deactivate yourself; ask another admin." in html
    assert db.session.get(Pegawai, users["admin"].pegawai_id).aktif is True


def test_reactivating_into_a_closed_unit_is_refused(client, auth, admin, users, dinkes):
    person = Pegawai(nip=NEW_NIP, nama="Lama", unit_id=dinkes["PKM-A"].id, aktif=False)
    db.session.add(person)
    dinkes["PKM-A"].closed_at = utcnow()
    db.session.commit()
    html = page(client.get(auth.post(f"/admin/pegawai/{NEW_NIP}/aktifkan").headers["Location"]))
    assert "Puskesmas Alak is closed: move Lama to an open unit first." in html
    assert db.session.get(Pegawai, person.id).aktif is False


# --- a unit-limited admin ---------------------------------------------------------------------


@pytest.fixture
def limited(make_user, auth, dinkes, users):
    user = make_user(LIMITED_NIP, "Admin Dinkes", is_admin=True)
    user.admin_unit_id = dinkes["DINKES"].id
    db.session.commit()
    add_people(1, dinkes["PKM-A"].id, prefix="Perawat")
    auth.login(LIMITED_NIP)
    auth.post("/bahasa", {"lang": "en"})
    return user


def test_a_limited_admin_sees_and_edits_only_the_employees_they_run(client, auth, limited, users):
    assert listed_nips(page(client.get("/admin/pegawai"))) == ["199001012015011000"]
    assert client.get("/admin/pegawai/199001012015011000").status_code == 200
    outside = NIPS["learner"]
    assert client.get(f"/admin/pegawai/{outside}").status_code == 404
    assert auth.post(f"/admin/pegawai/{outside}", form_of(users["learner"].pegawai)).status_code == 404
    assert auth.post(f"/admin/pegawai/{outside}/nonaktifkan").status_code == 404
    assert db.session.get(Pegawai, users["learner"].pegawai_id).aktif is True


def test_a_limited_admin_cannot_move_an_employee_out_of_their_scope(client, auth, limited, dinkes):
    person = db.session.scalar(select(Pegawai).where(Pegawai.nip == "199001012015011000"))
    response = auth.post(f"/admin/pegawai/{person.nip}", form_of(person, unit_id=dinkes["BKD"].id))
    assert response.status_code == 400
    assert "Choose a unit you run." in page(response)
    assert db.session.get(Pegawai, person.id).unit_id == dinkes["PKM-A"].id
    assert "Badan Kepegawaian" not in page(client.get(f"/admin/pegawai/{person.nip}"))
    response = auth.post("/admin/pegawai/baru", new_form(unit_id=dinkes["BKD"].id))
    assert response.status_code == 400


def test_employee_pages_are_for_admins_only(client, login_as):
    login_as("supervisor")
    assert client.get("/admin/pegawai").status_code == 403
    assert client.get(f"/admin/pegawai/{NIPS['learner']}").status_code == 403
