"""Development done outside the LMS: recorded by the employee, verified up the chain.

The employee enters the activity on ``/pengembangan`` with evidence: a PDF, JPEG or PNG
(told by its content, not its name, and no larger than EVIDENCE_MAX_BYTES) or a
certificate number. A refused record leaves nothing behind, neither row nor file, and
the message stands next to the field to correct. Anyone up the employee's atasan chain
or an admin verifies or rejects (with a note), once; never the employee. A verified
record naming a competency becomes evidence of it. The evidence file is downloaded as
an attachment by its owner and verifiers only; the owner may delete a record until it
is verified.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.competencies import services
from lms.competencies.models import Bukti
from lms.core.time import local_today, local_zone
from lms.extensions import db
from lms.progress.models import Pengembangan
from lms.storage import storage
from tests.competencies.conftest import error_next_to, ui_text
from tests.conftest import PDF, enter_development

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
KEPALA_NIP, KABID_NIP, STAF_NIP = "199001012015031001", "198502022010012002", "199303032018031003"


def days_ago(days: int) -> str:
    return (local_today() - timedelta(days=days)).isoformat()


def development_form(
    bukti: tuple[bytes, str] | None = (PDF, "sertifikat.pdf"), started: int = 10, ended: int = 8, **changes
) -> dict:
    """A valid form for a three-day training that ended last week. ``bukti`` is the file's
    content and name, or None for no file; ``started`` and ``ended`` are days ago."""
    form = {
        "jenis": "pelatihan",
        "judul": "Pelatihan Pengelolaan Obat",
        "penyelenggara": "Bapelkes Kupang",
        "tanggal_mulai": days_ago(started),
        "tanggal_selesai": days_ago(ended),
        "jp": "24",
        "nomor_sertifikat": "",
        "kompetensi_code": "",
        "kompetensi_level": "",
    }
    if bukti is not None:
        form["bukti"] = (io.BytesIO(bukti[0]), bukti[1])
    return {**form, **changes}


@pytest.fixture
def submit(auth):
    def post(**form_args):
        return auth.post(
            "/pengembangan", data=development_form(**form_args), content_type="multipart/form-data"
        )

    return post


@pytest.fixture
def stored_files(app):
    """Every file in the local storage folder (shared by the session, so compare before
    and after)."""
    root = Path(app.config["STORAGE_LOCAL_ROOT"])

    def files() -> set[Path]:
        return {path for path in root.rglob("*") if path.is_file()}

    return files


def record_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Pengembangan))


# --- entering a record -----------------------------------------------------------------


def test_a_record_with_a_pdf_is_stored_waiting_for_verification(client, login_as, submit):
    learner = login_as("learner")
    response = submit()
    assert response.status_code == 302
    assert response.headers["Location"] == "/pengembangan"

    record = db.session.scalar(select(Pengembangan))
    assert record.pegawai_id == learner.pegawai_id
    assert (record.status, record.jenis, record.jp) == ("pending", "pelatihan", 24)
    assert (record.judul, record.penyelenggara) == ("Pelatihan Pengelolaan Obat", "Bapelkes Kupang")
    assert (record.file_name, record.file_type, record.file_size) == (
        "sertifikat.pdf",
        "application/pdf",
        len(PDF),
    )
    assert storage().read(record.file_key) == PDF


def test_a_png_is_accepted_as_evidence(client, login_as, submit):
    login_as("learner")
    assert submit(bukti=(PNG, "foto.PNG")).status_code == 302
    record = db.session.scalar(select(Pengembangan))
    assert record.file_type == "image/png"
    assert storage().read(record.file_key) == PNG


def test_a_certificate_number_is_evidence_enough(client, login_as, submit):
    login_as("learner")
    assert submit(bukti=None, nomor_sertifikat="123/BPK/2025").status_code == 302
    record = db.session.scalar(select(Pengembangan))
    assert (record.nomor_sertifikat, record.file_key) == ("123/BPK/2025", None)


def test_the_form_page_lists_the_employees_records(client, login_as, submit):
    login_as("learner")
    submit()
    page = client.get("/pengembangan").get_data(as_text=True)
    assert "Pelatihan Pengelolaan Obat" in page
    assert ui_text("Waiting for verification") in page


def test_a_file_of_exactly_the_limit_is_accepted(app, monkeypatch, client, login_as, submit):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1024)
    login_as("learner")
    assert submit(bukti=(PDF.ljust(1024, b" "), "sertifikat.pdf")).status_code == 302


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    app, monkeypatch, client, login_as, submit, stored_files
):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1024 * 1024)
    login_as("learner")
    before = stored_files()
    response = submit(bukti=(PDF.ljust(1024 * 1024 + 1, b" "), "sertifikat.pdf"))
    assert response.status_code == 400
    assert error_next_to(response, "bukti-error") == ui_text(
        "The evidence file is larger than %(mb)s MB.", mb="1"
    )
    assert record_count() == 0
    assert stored_files() == before


NOT_THAT_KIND = "The file is named %(ext)s but its content is not that kind of file."
NOT_ALLOWED = "The evidence must be a PDF, JPEG or PNG file."


@pytest.mark.parametrize(
    ("bukti", "message", "values"),
    [
        pytest.param((PNG, "sertifikat.pdf"), NOT_THAT_KIND, {"ext": ".pdf"}, id="png-named-pdf"),
        pytest.param(
            (b"Sertifikat, bukan PDF", "sertifikat.pdf"), NOT_THAT_KIND, {"ext": ".pdf"}, id="text-named-pdf"
        ),
        pytest.param((PDF, "sertifikat.jpg"), NOT_THAT_KIND, {"ext": ".jpg"}, id="pdf-named-jpg"),
        pytest.param((b"MZ\x90\x00", "sertifikat.exe"), NOT_ALLOWED, {}, id="exe"),
        pytest.param((PDF, "sertifikat.pdf.exe"), NOT_ALLOWED, {}, id="double-extension"),
        pytest.param((PDF, "sertifikat"), NOT_ALLOWED, {}, id="no-extension"),
        pytest.param((b"", "sertifikat.pdf"), "The evidence file is empty.", {}, id="empty"),
    ],
)
def test_a_file_that_is_not_a_pdf_jpeg_or_png_is_refused(
    client, login_as, submit, stored_files, bukti, message, values
):
    login_as("learner")
    before = stored_files()
    response = submit(bukti=bukti)
    assert response.status_code == 400
    assert error_next_to(response, "bukti-error") == ui_text(message, **values)
    assert record_count() == 0
    assert stored_files() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param(
            {"started": 3, "ended": 5},
            "tanggal_selesai",
            "The end date is before the start date.",
            id="end-before-start",
        ),
        pytest.param(
            {"started": 1, "ended": -1},
            "tanggal_selesai",
            "Record an activity once it has ended.",
            id="end-in-the-future",
        ),
        pytest.param({"jp": "0"}, "jp", "JP must be between 1 and 200.", id="jp-0"),
        pytest.param({"jp": "500"}, "jp", "JP must be between 1 and 200.", id="jp-500"),
        pytest.param({"judul": "  "}, "judul", "Give the subject of the activity.", id="no-subject"),
        pytest.param(
            {"kompetensi_code": "M.99", "kompetensi_level": "2"},
            "kompetensi_code",
            "Choose a competency from the dictionary.",
            id="unknown-competency",
        ),
        pytest.param(
            {"kompetensi_code": "M.02", "kompetensi_level": ""},
            "kompetensi_level",
            "Give the level the activity built (1 to 5).",
            id="competency-without-level",
        ),
    ],
)
def test_a_wrong_field_is_refused_next_to_it_and_nothing_is_kept(
    client, login_as, submit, stored_files, changes, field, message
):
    login_as("learner")
    before = stored_files()
    response = submit(**changes)
    assert response.status_code == 400
    assert ui_text(message) in error_next_to(response, f"{field}-error")
    assert record_count() == 0
    assert stored_files() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"jp": "dua"}, "jp", id="jp-not-a-number"),
        pytest.param({"jp": ""}, "jp", id="jp-missing"),
        pytest.param({"jenis": "liburan"}, "jenis", id="kind-not-offered"),
        pytest.param({"tanggal_selesai": "kemarin"}, "tanggal_selesai", id="date-unreadable"),
    ],
)
def test_an_unreadable_value_is_refused_next_to_its_field(
    client, login_as, submit, stored_files, changes, field
):
    """What only a tampered or very old browser sends: the form's own checks refuse it."""
    login_as("learner")
    before = stored_files()
    response = submit(**changes)
    assert response.status_code == 400
    assert error_next_to(response, f"{field}-error")
    assert record_count() == 0
    assert stored_files() == before


def test_no_file_and_no_certificate_number_is_refused(client, login_as, submit):
    login_as("learner")
    response = submit(bukti=None, nomor_sertifikat="  ")
    assert response.status_code == 400
    assert error_next_to(response, "bukti-error") == ui_text("Attach the certificate or give its number.")
    assert record_count() == 0


# --- verifying ---------------------------------------------------------------------------


@pytest.fixture
def pending_record(ctx):
    """A record entered by ``owner`` (through the service, as the form does)."""

    def make(owner, **options) -> Pengembangan:
        return enter_development(owner.pegawai_id, **options)

    return make


@pytest.fixture
def chain(make_user):
    """kepala ← kabid ← staf: the head of office is two levels above the staff member."""
    kepala = make_user(KEPALA_NIP, "Kepala Dinas")
    kabid = make_user(KABID_NIP, "Kepala Bidang", atasan=kepala)
    staf = make_user(STAF_NIP, "Staf Pelaksana", atasan=kabid)
    return {"kepala": kepala, "kabid": kabid, "staf": staf}


def decide(auth, record, action: str = "verify", note: str = ""):
    return auth.post(f"/pengembangan/{record.id}/verifikasi", {"action": action, "catatan": note})


def test_the_direct_supervisor_verifies(client, auth, login_as, users, pending_record):
    record = pending_record(users["learner"])
    supervisor = login_as("supervisor")
    response = decide(auth, record)
    assert response.status_code == 302
    db.session.refresh(record)
    assert (record.status, record.verified_by_id) == ("verified", supervisor.pegawai_id)
    assert record.verified_at is not None


def test_a_supervisor_two_levels_up_verifies(client, auth, sign_in, chain, pending_record):
    record = pending_record(chain["staf"])
    sign_in(chain["kepala"])
    assert decide(auth, record).status_code == 302
    db.session.refresh(record)
    assert (record.status, record.verified_by_id) == ("verified", chain["kepala"].pegawai_id)


def test_an_admin_verifies_anyones_record(client, auth, login_as, chain, pending_record):
    record = pending_record(chain["staf"])
    login_as("admin")
    assert decide(auth, record).status_code == 302
    db.session.refresh(record)
    assert record.status == "verified"


@pytest.mark.parametrize(("who", "status"), [("learner", 403), ("other", 404), ("trainer", 404)])
def test_the_employee_and_unrelated_people_may_not_verify(
    client, auth, login_as, users, pending_record, who, status
):
    """The learner owns the record (403: it is theirs, but not theirs to decide); "other" is a
    colleague under the same supervisor, for whom the record might as well not exist (404)."""
    record = pending_record(users["learner"])
    login_as(who)
    assert decide(auth, record).status_code == status
    assert decide(auth, record, "reject", "Bukan atasan").status_code == status
    db.session.refresh(record)
    assert (record.status, record.verified_by_id) == ("pending", None)


def test_a_subordinate_may_not_verify_their_supervisors_record(client, auth, sign_in, chain, pending_record):
    record = pending_record(chain["kabid"])
    sign_in(chain["staf"])
    assert decide(auth, record).status_code == 404


def test_an_admin_may_not_verify_their_own_record(client, auth, login_as, users, pending_record):
    record = pending_record(users["admin"])
    login_as("admin")
    assert decide(auth, record).status_code == 403
    db.session.refresh(record)
    assert record.status == "pending"


def test_rejecting_needs_a_note(client, auth, login_as, users, pending_record):
    record = pending_record(users["learner"])
    login_as("supervisor")
    response = decide(auth, record, "reject", "   ")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ui_text("Say why the record is rejected, so the employee can correct it.") in page
    db.session.refresh(record)
    assert record.status == "pending"


def test_a_rejection_keeps_the_note_for_the_employee(client, auth, login_as, users, pending_record):
    record = pending_record(users["learner"])
    login_as("supervisor")
    decide(auth, record, "reject", "Sertifikat tidak terbaca, unggah ulang.")
    db.session.refresh(record)
    assert (record.status, record.catatan_verifikasi) == (
        "rejected",
        "Sertifikat tidak terbaca, unggah ulang.",
    )


def test_a_record_is_decided_once(client, auth, login_as, users, pending_record):
    record = pending_record(users["learner"], kompetensi=("M.02", 3))
    supervisor = login_as("supervisor")
    decide(auth, record)
    response = decide(auth, record, "reject", "Berubah pikiran")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ui_text("This record has already been decided or was withdrawn.") in page
    db.session.refresh(record)
    assert (record.status, record.verified_by_id, record.catatan_verifikasi) == (
        "verified",
        supervisor.pegawai_id,
        None,
    )
    assert db.session.scalar(select(func.count()).select_from(Bukti)) == 1


def test_a_verified_record_naming_a_competency_becomes_evidence(
    client, auth, login_as, users, pending_record
):
    learner = users["learner"]
    record = pending_record(learner, kompetensi=("M.02", 3))
    supervisor = login_as("supervisor")
    decide(auth, record)

    bukti = db.session.scalar(select(Bukti).where(Bukti.pegawai_id == learner.pegawai_id))
    assert (bukti.code, bukti.level, bukti.jenis) == ("M.02", 3, "pengembangan")
    assert (bukti.pengembangan_id, bukti.recorded_by_id) == (record.id, supervisor.pegawai_id)
    end_of_day = datetime.combine(record.tanggal_selesai, time(23, 59, 59), tzinfo=local_zone())
    assert bukti.achieved_at == end_of_day.astimezone(UTC).replace(tzinfo=None)
    assert services.levels_of(learner.pegawai_id) == {"M.02": 3}


def test_a_pending_or_rejected_record_is_no_evidence(client, auth, login_as, users, pending_record):
    learner = users["learner"]
    pending_record(learner, kompetensi=("M.02", 3))
    rejected = pending_record(learner, kompetensi=("M.03", 2))
    login_as("supervisor")
    decide(auth, rejected, "reject", "Tidak relevan")
    assert db.session.scalar(select(func.count()).select_from(Bukti)) == 0
    assert services.levels_of(learner.pegawai_id) == {}


def test_the_supervisor_sees_the_record_waiting(client, login_as, users, pending_record):
    pending_record(users["learner"])
    login_as("supervisor")
    page = client.get("/pengembangan/verifikasi").get_data(as_text=True)
    assert "Pelatihan Pengelolaan Obat" in page and users["learner"].pegawai.nama in page


# --- the evidence file -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "supervisor", "admin"])
def test_owner_and_verifiers_download_the_evidence_as_an_attachment(
    client, login_as, users, pending_record, who
):
    record = pending_record(users["learner"])
    login_as(who)
    response = client.get(f"/pengembangan/{record.id}/bukti")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Disposition"].endswith(".pdf")


@pytest.mark.parametrize("who", ["other", "trainer"])
def test_others_cannot_tell_the_evidence_exists(client, login_as, users, pending_record, who):
    record = pending_record(users["learner"])
    login_as(who)
    assert client.get(f"/pengembangan/{record.id}/bukti").status_code == 404


def test_an_unknown_record_is_not_found(client, login_as):
    login_as("learner")
    assert client.get("/pengembangan/not-an-id/bukti").status_code == 404


# --- deleting ----------------------------------------------------------------------------------


def test_the_owner_deletes_a_pending_record_and_its_file(client, auth, login_as, users, pending_record):
    record = pending_record(users["learner"])
    record_id, file_key = record.id, record.file_key
    login_as("learner")
    assert auth.post(f"/pengembangan/{record_id}/hapus").status_code == 302
    assert db.session.get(Pengembangan, record_id) is None
    assert not storage().exists(file_key)


def test_a_verified_record_cannot_be_deleted(client, auth, login_as, users, pending_record):
    record = pending_record(users["learner"])
    login_as("supervisor")
    decide(auth, record)
    auth.logout()
    login_as("learner")
    response = auth.post(f"/pengembangan/{record.id}/hapus")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ui_text("A verified record cannot be deleted.") in page
    assert db.session.get(Pengembangan, record.id) is not None
    assert storage().exists(record.file_key)


def test_a_supervisor_cannot_delete_the_employees_record(client, auth, login_as, users, pending_record):
    record = pending_record(users["learner"])
    login_as("supervisor")
    auth.post(f"/pengembangan/{record.id}/hapus")
    assert db.session.get(Pengembangan, record.id) is not None
    assert storage().exists(record.file_key)


def test_a_request_that_fails_after_the_file_was_saved_leaves_no_file_and_no_record(
    client, login_as, submit, stored_files, monkeypatch
):
    """The record is written before the file; if the request then fails, the rollback takes
    the file away again."""
    import lms.competencies.routes as routes

    login_as("learner")
    before = stored_files()

    def broken(*args, **kwargs):
        raise RuntimeError("the request fails after the upload")

    monkeypatch.setattr(routes, "flash", broken)
    assert submit().status_code == 500
    assert record_count() == 0
    assert stored_files() == before


def test_a_withdrawn_records_file_goes_once_the_deletion_is_committed(
    client, auth, login_as, submit, stored_files
):
    login_as("learner")
    before = stored_files()
    submit()
    record = db.session.scalar(select(Pengembangan))
    assert len(stored_files() - before) == 1
    auth.post(f"/pengembangan/{record.id}/hapus")
    assert record_count() == 0 and stored_files() == before


def test_the_upload_field_tells_the_browser_its_limit(app, client, login_as):
    login_as("learner")
    page = client.get("/pengembangan").get_data(as_text=True)
    assert f'data-max-bytes="{app.config["EVIDENCE_MAX_BYTES"]}"' in page
    assert "upload.js" in page
