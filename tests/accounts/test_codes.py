"""Issuing activation codes: for a unit with its sub-units or a pasted list of NIPs, in the
admin's scope, as a printable sheet, an XLSX and a PDF made from the same POST (codes are
only ever stored hashed), one audit entry per person and never the code."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from lms.accounts import activation
from lms.accounts.models import KodeAktivasi, User
from lms.extensions import db
from lms.org.models import UnitKerja
from tests.accounts.test_activation import (
    account_of,
    activate,
    add_pegawai,
    assert_no_code_in_audit,
    audit_entries,
    english,
)
from tests.conftest import NIPS, PASSWORD, csrf_from

CODE_RE = re.compile(r'<span class="act-code">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2})</span>')
SLIP_CODE_RE = re.compile(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}\b")


@pytest.fixture
def org(unit, users):
    """UPT Uji (the users fixture's unit) → Seksi A → Subseksi A1, and a unit apart. Each
    holds new employees; one in A1 has already activated, one in UPT Uji is inactive."""
    seksi = UnitKerja(kode="SEKSI-A", nama="Seksi A", jenis="bidang", parent_id=unit.id)
    db.session.add(seksi)
    db.session.flush()
    sub = UnitKerja(kode="SUB-A1", nama="Subseksi A1", jenis="subbidang", parent_id=seksi.id)
    apart = UnitKerja(kode="UPT-Y", nama="UPT Lain", jenis="upt")
    db.session.add_all([sub, apart])
    db.session.commit()
    people = {
        "root": add_pegawai(unit.id, "199501012020121001", "Ani Root"),
        "seksi": add_pegawai(seksi.id, "199502022020122002", "Budi Seksi"),
        "sub": add_pegawai(sub.id, "199503032020121003", "Citra Sub"),
        "sub_done": add_pegawai(sub.id, "199504042020122004", "Dedi Sudah"),
        "apart": add_pegawai(apart.id, "199505052020121005", "Eka Lain"),
        "gone": add_pegawai(unit.id, "199506062020122006", "Fajar Pergi", aktif=False),
    }
    from lms.accounts.services import create_user

    create_user(people["sub_done"], PASSWORD)
    db.session.add(User(pegawai_id=people["seksi"].id, password_hash=None))  # imported, not activated
    db.session.commit()
    return {"upt": unit, "unit_seksi": seksi, "unit_sub": sub, "unit_apart": apart, **people}


@pytest.fixture
def admin(client, login_as):
    user = login_as("admin")
    english(client)
    return user


def issue(auth, **form):
    data = {"unit": "", "nips": "", "with_subunits": "y", "only_without_account": "y", "format": "page"}
    data.update({k: v for k, v in form.items() if v is not None})
    for key in [k for k, v in form.items() if v is None]:
        data.pop(key)
    return auth.post("/admin/aktivasi", data)


def codes_on(response) -> dict[str, str]:
    """NIP → code, read from the sheet's download form (the slips show the same)."""
    page = response.get_data(as_text=True)
    pairs = re.findall(r'name="kode" value="(\d{18}):([A-Z0-9]{10})"', page)
    assert len(pairs) == len(CODE_RE.findall(page))
    return dict(pairs)


def stored_codes() -> int:
    return db.session.scalar(select(func.count()).select_from(KodeAktivasi))


def test_the_issuing_page_is_for_admins(client, auth, login_as, org):
    assert client.get("/admin/aktivasi").status_code == 302  # anonymous: sign in first
    login_as("learner")
    assert client.get("/admin/aktivasi").status_code == 403
    assert auth.post("/admin/aktivasi", {"unit": str(org["upt"].id)}).status_code == 403
    assert stored_codes() == 0


def test_a_unit_with_its_sub_units_gives_a_sheet_for_everyone_without_an_activated_account(
    client, auth, admin, org
):
    response = issue(auth, unit=str(org["upt"].id))

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    codes = codes_on(response)
    assert set(codes) == {org[k].nip for k in ("root", "seksi", "sub")}
    page = response.get_data(as_text=True)
    assert "Ani Root" in page and "Subseksi A1" in page and "http://" in page and "/aktivasi" in page
    assert "6 people left out: they already have an activated account." in page  # 5 users + Dedi
    assert stored_codes() == 3
    # Each works, for its own person only.
    english(client)
    auth.logout()
    assert activate(client, org["root"].nip, codes[org["sub"].nip]).status_code == 400
    assert activate(client, org["root"].nip, codes[org["root"].nip]).status_code == 302


def test_without_sub_units_only_the_unit_itself(auth, admin, org):
    response = issue(auth, unit=str(org["upt"].id), with_subunits=None)
    assert set(codes_on(response)) == {org["root"].nip}


def test_the_option_off_includes_activated_accounts(auth, admin, org):
    response = issue(auth, unit=str(org["unit_sub"].id), only_without_account=None)
    assert set(codes_on(response)) == {org["sub"].nip, org["sub_done"].nip}


def test_nobody_left_is_a_clear_message(auth, admin, org):
    db.session.delete(org["sub"])
    db.session.commit()
    response = issue(auth, unit=str(org["unit_sub"].id))
    assert response.status_code == 400
    assert "everyone chosen already has an account" in response.get_data(as_text=True)
    assert stored_codes() == 0


def test_a_list_of_nips_in_any_layout(auth, admin, org):
    grouped = "19950303 202012 1 003"
    response = issue(auth, nips=f"{org['root'].nip}, {org['seksi'].nip}\n{grouped}\n")
    assert response.status_code == 200
    assert set(codes_on(response)) == {org[k].nip for k in ("root", "seksi", "sub")}


def test_a_list_with_unknown_or_inactive_nips_issues_nothing_and_names_them(auth, admin, org):
    unknown = "199001012015011999"
    response = issue(auth, nips=f"{org['root'].nip}\n{unknown}\n{org['gone'].nip}\nxyz")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was issued" in page and unknown in page and org["gone"].nip in page and "xyz" in page
    assert org["root"].nip not in page.split("Nothing was issued")[1].split("</p>")[0]
    assert stored_codes() == 0


def test_a_unit_and_a_list_together_are_refused(auth, admin, org):
    response = issue(auth, unit=str(org["upt"].id), nips=org["root"].nip)
    assert response.status_code == 400 and "not both" in response.get_data(as_text=True)


def test_a_limited_admin_issues_only_within_their_units(client, auth, make_user, org):
    limited = make_user("198001012005011001", "Admin Seksi", is_admin=True)
    limited.admin_unit_id = org["unit_seksi"].id
    db.session.commit()
    auth.login("198001012005011001")
    english(client)

    form = client.get("/admin/aktivasi").get_data(as_text=True)
    assert "Seksi A" in form and "Subseksi A1" in form and "UPT Lain" not in form and "UPT Uji" not in form

    outside = issue(auth, unit=str(org["upt"].id))
    assert outside.status_code == 400 and "Choose one of your units" in outside.get_data(as_text=True)
    listed = issue(auth, nips=f"{org['seksi'].nip} {org['apart'].nip}")
    assert listed.status_code == 400 and org["apart"].nip in listed.get_data(as_text=True)
    assert stored_codes() == 0

    inside = issue(auth, unit=str(org["unit_seksi"].id))
    assert set(codes_on(inside)) == {org["seksi"].nip, org["sub"].nip}


def test_a_limited_admin_makes_no_codes_for_admin_accounts(client, auth, make_user, users, org):
    boss = make_user("198001012005011001", "Admin Seksi", is_admin=True)
    boss.admin_unit_id = org["upt"].id
    db.session.commit()
    auth.login("198001012005011001")
    english(client)
    response = issue(auth, unit=str(org["upt"].id), only_without_account=None)
    codes = codes_on(response)
    assert NIPS["admin"] not in codes and "198001012005011001" not in codes
    assert NIPS["learner"] in codes
    assert "2 admin accounts left out" in response.get_data(as_text=True)


def test_codes_issued_are_audited_once_per_person_without_the_code(auth, admin, org):
    codes = codes_on(issue(auth, unit=str(org["upt"].id)))
    entries = audit_entries("akun.codes_issued")
    assert sorted(e.target_id for e in entries) == sorted(str(org[k].id) for k in ("root", "seksi", "sub"))
    assert all(e.actor_id == admin.pegawai_id and e.after["purpose"] == "activate" for e in entries)
    assert_no_code_in_audit(*codes.values())


def test_codes_are_stored_hashed(auth, admin, org):
    codes = codes_on(issue(auth, unit=str(org["upt"].id)))
    rows = db.session.execute(select(KodeAktivasi.__table__)).all()
    dump = repr([tuple(r) for r in rows])
    assert all(code not in dump for code in codes.values())
    by_person = {r.pegawai_id: r.code_hash for r in rows}
    for key in ("root", "seksi", "sub"):
        assert by_person[org[key].id] == activation.code_hash(org[key].id, codes[org[key].nip])


def test_the_xlsx_holds_the_nips_as_text_and_the_codes(auth, admin, org):
    response = issue(auth, unit=str(org["upt"].id), format="xlsx")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("Name", "NIP", "Unit", "Code")
    nip_cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "s" and c.number_format == "@" for c in nip_cells)
    by_nip = {r[1]: r[3] for r in rows}
    assert set(by_nip) == {org[k].nip for k in ("root", "seksi", "sub")}
    for key in ("root", "seksi", "sub"):
        code = activation.normalise_code(by_nip[org[key].nip])
        stored = db.session.scalar(
            select(KodeAktivasi.code_hash).where(KodeAktivasi.pegawai_id == org[key].id)
        )
        assert stored == activation.code_hash(org[key].id, code)


def test_the_pdf_has_one_slip_per_person(auth, admin, org, unit):
    for i in range(9):  # twelve in all: two pages of ten slips
        add_pegawai(unit.id, f"1996010120210110{i:02d}", f"Pegawai Ke-{i} Ñoño Nguyễn Łukasz")
    response = issue(auth, unit=str(org["upt"].id), format="pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.mimetype == "application/pdf" and "no-store" in response.headers["Cache-Control"]
    assert len(response.data) < 40_000
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(SLIP_CODE_RE.findall(text)) == 12 == stored_codes()
    for nip in [org[k].nip for k in ("root", "seksi", "sub")]:
        assert text.count(nip) == 1
    assert "Ñoño Nguyen ?ukasz" in text  # latin-1 kept, accents folded, the rest "?"


def test_the_sheet_downloads_its_own_codes_again_and_nothing_else(auth, admin, org):
    codes = codes_on(issue(auth, unit=str(org["upt"].id)))
    kept = [f"{nip}:{code}" for nip, code in codes.items()]
    forged = f"{org['sub_done'].nip}:ABCDEFGHJK"

    response = auth.post("/admin/aktivasi/unduh", {"kode": [*kept, forged], "format": "xlsx"})

    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(min_row=2, values_only=True))
    assert {r[1]: activation.normalise_code(r[3]) for r in rows} == codes
    pdf = auth.post("/admin/aktivasi/unduh", {"kode": kept, "format": "pdf"})
    assert pdf.data.startswith(b"%PDF")
    assert auth.post("/admin/aktivasi/unduh", {"kode": [forged], "format": "pdf"}).status_code == 400
    assert stored_codes() == 3  # downloading makes no codes


def test_a_used_code_is_not_downloaded_again(client, auth, admin, org):
    codes = codes_on(issue(auth, unit=str(org["unit_sub"].id)))
    [(nip, code)] = codes.items()
    auth.logout()
    assert activate(client, nip, code).status_code == 302
    assert account_of(org["sub"].id).password_hash
    auth.logout()
    auth.login(NIPS["admin"])
    assert auth.post("/admin/aktivasi/unduh", {"kode": [f"{nip}:{code}"]}).status_code == 400


def test_with_smtp_the_codes_go_by_email_and_only_those_without_an_address_are_on_the_sheet(
    app, client, login_as, unit, smtp_server
):
    from tests.accounts.test_activation import activate, add_pegawai

    mailed = add_pegawai(unit.id, "199506102020121002", "Pegawai Bersurel", email="surel@bkd.example.go.id")
    add_pegawai(unit.id, "199607112021122003", "Pegawai Tanpa Surel")
    login_as("admin")
    token = csrf_from(client.get("/admin/aktivasi").get_data(as_text=True))
    page = client.post(
        "/admin/aktivasi",
        data={
            "csrf_token": token,
            "nips": "199506102020121002\n199607112021122003",
            "only_without_account": "y",
            "by_email": "y",
            "format": "page",
        },
    ).get_data(as_text=True)
    assert "Pegawai Tanpa Surel" in page and "Pegawai Bersurel" not in page
    [message] = smtp_server.to("surel@bkd.example.go.id")
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", message.get_payload(decode=True).decode()).group(
        0
    )
    client.post("/keluar", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    assert activate(client, mailed.nip, code).status_code == 302
