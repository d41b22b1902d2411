"""A certificate carries the agency as it was on the day of issue: name, city, logo and
signatory are copied onto it; older certificates name CERTIFICATE_ISSUER. Issuing is
announced by a signal; revoking and restoring are audited."""

from __future__ import annotations

import io

import pypdf
import pytest
from PIL import Image
from sqlalchemy import select

from lms import signals
from lms.certificates import services
from lms.certificates.models import Sertifikat
from lms.core.audit import AuditEntry
from lms.extensions import db
from lms.org import agency

NAMA = "Badan Kepegawaian Daerah Provinsi Nusa Tenggara Timur"
SIGNER = {
    "nama": NAMA,
    "kota": "Kupang",
    "penandatangan_nama": "Drs. Yohanes Bria, M.Si.",
    "penandatangan_nip": "197502102000031002",
    "penandatangan_jabatan": "Kepala Badan Kepegawaian Daerah",
}


def logo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 400), (20, 60, 140)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def english(auth):
    assert auth.post("/bahasa", {"lang": "en"}).status_code == 302


@pytest.fixture
def set_agency(ctx):
    def set_(**changes):
        agency.update_instansi(**{**SIGNER, **changes})
        db.session.commit()

    return set_


def certificate_of(completion) -> Sertifikat:
    return db.session.scalar(select(Sertifikat).where(Sertifikat.completion_id == completion.id))


def pdf_text(data: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_a_certificate_copies_the_agency_as_it_is_on_the_day(users, course, complete_course, set_agency):
    set_agency()
    agency.set_logo("logo.png", logo_png())
    db.session.commit()
    logo_key = agency.get_instansi().logo_key
    sertifikat = certificate_of(complete_course(users["learner"], course))
    assert sertifikat.instansi_nama == NAMA
    assert sertifikat.kota == "Kupang"
    assert sertifikat.logo_key == logo_key
    assert sertifikat.penandatangan_nama == SIGNER["penandatangan_nama"]
    assert sertifikat.penandatangan_nip == SIGNER["penandatangan_nip"]
    assert sertifikat.penandatangan_jabatan == SIGNER["penandatangan_jabatan"]


def test_changing_the_agency_later_leaves_issued_certificates_as_they_were(
    users, course, make_course, complete_course, set_agency
):
    set_agency()
    first = certificate_of(complete_course(users["learner"], course))
    set_agency(nama="Badan Kepegawaian dan Pengembangan SDM", penandatangan_nama="Dr. Maria Seran")
    second = certificate_of(complete_course(users["learner"], make_course("kursus-b")))
    db.session.refresh(first)
    assert first.instansi_nama == NAMA and first.penandatangan_nama == "Drs. Yohanes Bria, M.Si."
    assert second.instansi_nama == "Badan Kepegawaian dan Pengembangan SDM"
    assert second.penandatangan_nama == "Dr. Maria Seran"


def test_before_the_agency_is_set_the_fields_stay_empty(users, course, complete_course):
    sertifikat = certificate_of(complete_course(users["learner"], course))
    assert sertifikat.instansi_nama is None and sertifikat.logo_key is None
    assert sertifikat.penandatangan_nip is None


def test_the_pdf_carries_logo_agency_and_signatory(
    client, login_as, users, course, complete_course, set_agency
):
    set_agency()
    agency.set_logo("logo.png", logo_png())
    db.session.commit()
    sertifikat = certificate_of(complete_course(users["learner"], course))
    login_as("learner")
    response = client.get(f"/sertifikat/{sertifikat.code}.pdf")
    data = response.get_data()
    text = pdf_text(data)
    for expected in (NAMA, "Kupang, ", "Kepala Badan Kepegawaian Daerah", "Drs. Yohanes Bria, M.Si."):
        assert expected in text
    assert "NIP 197502102000031002" in text
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert len(page["/Resources"]["/XObject"]) == 1
    assert len(data) < 100_000
    # The same certificate gives the same bytes on every download.
    assert client.get(f"/sertifikat/{sertifikat.code}.pdf").get_data() == data


def test_an_older_certificate_names_the_configured_issuer(
    app, client, login_as, users, course, complete_course
):
    sertifikat = certificate_of(complete_course(users["learner"], course))
    login_as("learner")
    text = pdf_text(client.get(f"/sertifikat/{sertifikat.code}.pdf").get_data())
    assert app.config["CERTIFICATE_ISSUER"] in text
    page = client.get(f"/verifikasi/{sertifikat.code}").get_data(as_text=True)
    assert app.config["CERTIFICATE_ISSUER"] in page


def test_a_logo_gone_from_storage_leaves_the_certificate_without_it(
    client, login_as, users, course, complete_course, set_agency
):
    set_agency()
    completion = complete_course(users["learner"], course)
    sertifikat = certificate_of(completion)
    sertifikat.logo_key = "instansi/logo-0000000000000000.png"
    db.session.commit()
    login_as("learner")
    response = client.get(f"/sertifikat/{sertifikat.code}.pdf")
    assert response.status_code == 200
    assert NAMA in pdf_text(response.get_data())


def test_the_verification_page_names_the_agency_and_signatory(
    client, english, users, course, complete_course, set_agency
):
    set_agency()
    sertifikat = certificate_of(complete_course(users["learner"], course))
    set_agency(nama="Nama Baru")
    page = client.get(f"/verifikasi/{sertifikat.code}").get_data(as_text=True)
    assert NAMA in page and "Nama Baru" not in page
    assert "Drs. Yohanes Bria, M.Si." in page and "Kepala Badan Kepegawaian Daerah" in page
    assert SIGNER["penandatangan_nip"] not in page  # the page shows no NIP at all


def test_issuing_sends_certificate_issued_once(users, course, complete_course):
    received = []

    def listener(sender, sertifikat, **extra):
        received.append((sender, sertifikat.id, sertifikat.code))

    signals.certificate_issued.connect(listener)
    try:
        completion = complete_course(users["learner"], course)
        services.issue(completion)
    finally:
        signals.certificate_issued.disconnect(listener)
    sertifikat = certificate_of(completion)
    assert received == [("certificates", sertifikat.id, sertifikat.code)]


def test_revoking_and_restoring_are_audited_with_before_and_after(
    client, auth, login_as, users, course, complete_course
):
    sertifikat = certificate_of(complete_course(users["learner"], course))
    admin = login_as("admin")
    auth.post(f"/admin/sertifikat/{sertifikat.code}/cabut", {"reason": "Nilai tidak sah"})
    auth.post(f"/admin/sertifikat/{sertifikat.code}/pulihkan")
    revoke, restore = db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "sertifikat").order_by(AuditEntry.at)
    ).all()
    assert revoke.action == "sertifikat.revoke" and restore.action == "sertifikat.restore"
    assert revoke.target_id == sertifikat.id and revoke.actor_id == admin.pegawai_id
    assert revoke.before["revoke_reason"] is None and revoke.after["revoke_reason"] == "Nilai tidak sah"
    assert revoke.after["revoked_by_id"] == admin.pegawai_id
    assert restore.before["revoke_reason"] == "Nilai tidak sah" and restore.after["revoked_at"] is None


def test_a_refused_revocation_is_not_audited(client, auth, login_as, users, course, complete_course):
    sertifikat = certificate_of(complete_course(users["learner"], course))
    login_as("admin")
    auth.post(f"/admin/sertifikat/{sertifikat.code}/cabut", {"reason": ""})
    auth.post(f"/admin/sertifikat/{sertifikat.code}/pulihkan")
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "sertifikat")).all() == []
