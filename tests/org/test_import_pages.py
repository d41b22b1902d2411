"""The admin's import page: choose the kind, download templates, upload a file, see what
it would do (nothing written), confirm without uploading again. The file waits in
private storage under a random token only its uploader can use; confirming checks it
again against the database as it is then. Problems with the file itself are shown next
to the file field with status 400."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.audit import AuditEntry
from lms.core.time import utcnow
from lms.extensions import db
from lms.org import importer
from lms.org.models import Pegawai, UnitKerja
from lms.storage import storage
from tests.conftest import NIPS
from tests.org.fixtures import UNIT_HEADER, counts, csv_bytes, nip, pegawai_rows, person, seed_org

TOKEN = re.compile(r'action="/admin/impor/([A-Za-z0-9_-]{20,})"')
# New people: the ``users`` fixture's NIPs are taken.
STAF, STAF2 = nip(1), nip(2)
UNITS = csv_bytes(
    [UNIT_HEADER, ["DINKES", "Dinas Kesehatan", "OPD", "", "WITA"], ["BID", "Bidang", "bidang", "DINKES", ""]]
)


@pytest.fixture
def admin(login_as, auth):
    user = login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    return user


def upload(auth, data: bytes, kind: str = "unit", name: str = "data.csv", **fields):
    form = {"kind": kind, "file": (io.BytesIO(data), name), **fields}
    return auth.post("/admin/impor", form, content_type="multipart/form-data")


def token_in(response) -> str:
    found = TOKEN.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:3000]
    return found.group(1)


def kept_key(user, token: str) -> str:
    """Where the admin's previewed file waits (one per admin; ``token`` is in its record)."""
    return f"impor-org/{user.pegawai_id}/pending"


def test_the_page_offers_the_three_kinds_and_their_templates(client, admin):
    response = client.get("/admin/impor")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for kind in importer.KINDS:
        assert f'value="{kind}"' in html
        assert f"/admin/impor/templat/{kind}.xlsx" in html and f"/admin/impor/templat/{kind}.csv" in html
    assert "Deactivate employees missing from the file" in html


@pytest.mark.parametrize("kind", importer.KINDS)
def test_the_xlsx_template_has_the_header_an_example_and_nips_as_text(client, admin, kind):
    response = client.get(f"/admin/impor/templat/{kind}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header, *examples = list(sheet.iter_rows())
    assert [c.value for c in header] == [name for name, _required in importer.COLUMNS[kind]]
    assert [row[0].value for row in examples] == [row[0] for row in importer.EXAMPLES[kind]]
    for row in examples:
        for cell, name in zip(row, importer.COLUMNS[kind], strict=True):
            if name[0] in ("NIP", "NIP_ATASAN") and cell.value:
                assert cell.data_type == "s" and cell.number_format == "@"
    assert client.get(f"/admin/impor/templat/{kind}.pdf").status_code == 404


def test_the_csv_template_reads_back_as_a_valid_file_header(client, admin):
    response = client.get("/admin/impor/templat/pegawai.csv")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].replace('"', "").replace(";", ",") == ",".join(
        n for n, _r in importer.COLUMNS["pegawai"]
    )
    assert client.get("/admin/impor/templat/lain.csv").status_code == 404


def test_upload_preview_then_confirm_imports_without_a_second_upload(client, auth, admin):
    before = counts()
    preview = upload(auth, UNITS)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "To create" in html and "DINKES" in html and "Dinas Kesehatan" in html
    assert counts() == before  # the preview writes nothing
    token = token_in(preview)
    assert storage().exists(kept_key(admin, token))

    done = auth.post(f"/admin/impor/{token}")
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/impor?jenis=unit")
    assert counts()["unit"] == before["unit"] + 2
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unit.create")).all()
    assert sorted(e.target_id for e in entries) == ["BID", "DINKES"]
    assert {(e.actor_id, e.actor_nip) for e in entries} == {(admin.pegawai_id, NIPS["admin"])}
    assert not storage().exists(kept_key(admin, token))
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 created, 0 updated, 0 deactivated, 0 unchanged" in page
    assert auth.post(f"/admin/impor/{token}").status_code == 404  # used once


def test_a_file_already_imported_has_nothing_to_confirm(client, auth, admin):
    importer.import_file("unit", UNITS)
    db.session.commit()
    response = upload(auth, UNITS)
    assert response.status_code == 200
    assert "nothing to import" in response.get_data(as_text=True)
    assert not TOKEN.search(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-1.4\n%%EOF\n", "This file is a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "(.xls)"),
        (b"KODE_UNIT,NAMA_UNIT\n\x81\x8d,x\n", "not a text CSV"),
        (b"KODE_UNIT,NAMA\nA,B\n", "Missing column(s): NAMA_UNIT, JENIS_UNIT."),
    ],
)
def test_a_bad_file_is_a_400_with_the_message_next_to_the_file_field(client, auth, admin, data, words):
    before = counts()
    response = upload(auth, data, name="units.xlsx")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html and words in html
    assert counts() == before


def test_a_file_over_the_limit_is_refused(client, auth, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100)
    response = upload(auth, UNITS + b"X,Y,upt,,\n" * 20)
    assert response.status_code == 400 and "larger than" in response.get_data(as_text=True)


def test_no_file_is_a_400(client, auth, admin):
    response = auth.post("/admin/impor", {"kind": "unit"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a file." in response.get_data(as_text=True)


def test_rows_with_problems_are_listed_by_row_and_column_and_cannot_be_confirmed(client, auth, admin):
    seed_org()
    before = counts()
    data = csv_bytes(pegawai_rows(person(STAF2, unit="NOPE"), person("1.99112E+17")))
    response = upload(auth, data, kind="pegawai")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "2 problems: nothing was imported" in html
    assert "<td>2</td><td><code>KODE_UNIT</code></td>" in html
    assert "<td>3</td><td><code>NIP</code></td>" in html and "turned this NIP into a number" in html
    assert not TOKEN.search(html)
    assert counts() == before


def test_confirm_checks_again_against_the_database_as_it_is_then(client, auth, admin):
    org = seed_org()
    before = counts()
    preview = upload(auth, csv_bytes(pegawai_rows(person(STAF), person(STAF2))), kind="pegawai")
    token = token_in(preview)
    org["upt"].closed_at = utcnow()
    db.session.commit()
    response = auth.post(f"/admin/impor/{token}")
    assert response.status_code == 400
    assert "closed" in response.get_data(as_text=True)
    assert counts() == before


def test_deactivating_is_shown_and_done_only_when_ticked(client, auth, admin):
    seed_org()
    importer.import_file("pegawai", csv_bytes(pegawai_rows(person(STAF), person(STAF2))))
    db.session.commit()
    smaller = csv_bytes(pegawai_rows(person(STAF)))
    plain = upload(auth, smaller, kind="pegawai")
    assert plain.status_code == 200 and "To deactivate" not in plain.get_data(as_text=True)
    preview = upload(auth, smaller, kind="pegawai", deactivate_missing="y")
    assert "To deactivate" in preview.get_data(as_text=True) and STAF2 in preview.get_data(as_text=True)
    assert auth.post(f"/admin/impor/{token_in(preview)}").status_code == 302
    assert db.session.scalar(select(Pegawai.aktif).where(Pegawai.nip == STAF2)) is False
    # Everyone else missing goes too, but never the admin running the import.
    assert db.session.scalar(select(Pegawai.aktif).where(Pegawai.nip == NIPS["learner"])) is False
    assert db.session.scalar(select(Pegawai.aktif).where(Pegawai.id == admin.pegawai_id)) is True


def test_an_upload_is_for_the_admin_who_made_it(client, auth, admin, make_user):
    before = counts()
    preview = upload(auth, UNITS)
    token = token_in(preview)
    auth.logout()
    make_user("198607142010011004", "Admin Dua", is_admin=True)
    assert auth.login("198607142010011004").status_code == 302
    assert auth.post(f"/admin/impor/{token}").status_code == 404
    assert auth.post("/admin/impor/not-a-token").status_code == 404
    assert counts()["unit"] == before["unit"]


def test_a_unit_limited_admin_sees_rows_outside_their_units_as_problems(client, auth, login_as, users):
    org = seed_org()
    users["admin"].admin_unit_id = org["dinkes"].id
    db.session.commit()
    login_as("admin")
    auth.post("/bahasa", {"lang": "en"})
    response = upload(
        auth, csv_bytes(pegawai_rows(person(STAF, unit="DISDIK"), person(STAF2))), kind="pegawai"
    )
    assert response.status_code == 400
    assert "not one of the units you manage" in response.get_data(as_text=True)
    refused = upload(
        auth,
        csv_bytes([["KODE_JABATAN", "NAMA_JABATAN", "JENIS_JABATAN"], ["A", "A", "pelaksana"]]),
        kind="jabatan",
    )
    assert refused.status_code == 400 and "whole agency" in refused.get_data(as_text=True)


def test_people_who_are_not_admins_are_refused(client, login_as):
    login_as("learner")
    assert client.get("/admin/impor").status_code == 403
    assert client.get("/admin/impor/templat/unit.csv").status_code == 403


def test_imported_employees_get_no_account(client, auth, admin):
    seed_org()
    preview = upload(auth, csv_bytes(pegawai_rows(person(STAF))), kind="pegawai")
    assert auth.post(f"/admin/impor/{token_in(preview)}").status_code == 302
    staf = db.session.scalar(select(Pegawai).where(Pegawai.nip == STAF))
    assert staf is not None
    assert db.session.scalar(select(User).where(User.pegawai_id == staf.id)) is None
    assert db.session.scalar(select(UnitKerja.closed_at).where(UnitKerja.kode == "UPT-A")) is None


def test_a_new_preview_replaces_the_one_before_so_files_do_not_pile_up(client, auth, admin):
    before = counts()
    first = token_in(upload(auth, UNITS))
    second = token_in(upload(auth, UNITS, name="again.csv"))
    assert first != second
    assert auth.post(f"/admin/impor/{first}").status_code == 404  # replaced: nothing imported
    assert counts() == before
    assert auth.post(f"/admin/impor/{second}").status_code == 302
    assert db.session.scalar(select(UnitKerja.id).where(UnitKerja.kode == "DINKES")) is not None
    assert not storage().exists(kept_key(admin, second))
