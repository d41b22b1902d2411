"""Certificates: issued once per completed course, checked by anyone with the code,
downloaded by the people who may see the learner, revoked and restored by admins."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pypdf
import pytest
from sqlalchemy import func, select

from lms import signals
from lms.certificates import services
from lms.certificates.models import Sertifikat
from lms.extensions import db
from tests.conftest import NIPS

CROCKFORD = re.compile(r"^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{12}$")
# A code with a 0 and a 1 in it, so that typing O for 0 and l for 1 can be tried.
KNOWN_CODE = "7KQ40M2X1PTA"
KNOWN_DISPLAY = "7KQ4-0M2X-1PTA"
COMPLETED = datetime(2025, 3, 14, 3, 0)  # UTC; 14 March 2025 in Jakarta as well
SCORE = 87.5


@pytest.fixture
def english(auth):
    """Assert the source wording, which a translation edit does not change."""
    assert auth.post("/bahasa", {"lang": "en"}).status_code == 302


@pytest.fixture
def completion(users, course, complete_course, monkeypatch):
    monkeypatch.setattr(services, "new_code", lambda: KNOWN_CODE)
    return complete_course(users["learner"], course, score=SCORE, when=COMPLETED)


@pytest.fixture
def certificate(completion):
    return db.session.scalar(select(Sertifikat).where(Sertifikat.completion_id == completion.id))


def certificates_of(pegawai_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Sertifikat.pegawai_id == pegawai_id))


def flash_texts(response) -> list[str]:
    return re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)


# --- issuing ------------------------------------------------------------------------------


def test_completing_a_course_issues_one_certificate_with_the_facts_of_that_day(users, course, certificate):
    assert certificates_of(users["learner"].pegawai_id) == 1
    assert certificate.nama == "Peserta Uji"
    assert certificate.nip == NIPS["learner"]
    assert certificate.kursus_title == course.title
    assert certificate.jp == course.jp == 3
    assert certificate.score == SCORE
    assert certificate.completed_at == COMPLETED
    assert certificate.valid


def test_issuing_again_returns_the_first_certificate(users, completion, certificate):
    again = services.issue(completion)
    signals.course_completed.send("tests", completion=completion)
    db.session.commit()
    assert again.id == certificate.id and again.code == certificate.code
    assert certificates_of(users["learner"].pegawai_id) == 1


def test_the_code_is_twelve_characters_of_crockford_base32(users, course, complete_course):
    completion = complete_course(users["learner"], course)
    code = db.session.scalar(select(Sertifikat.code).where(Sertifikat.completion_id == completion.id))
    assert CROCKFORD.match(code), code
    drawn = {services.new_code() for _ in range(2000)}
    assert all(CROCKFORD.match(c) for c in drawn)
    assert len(drawn) == 2000


def test_every_certificate_has_its_own_code(users, make_course, complete_course):
    for slug in ("kursus-a", "kursus-b"):
        kursus = make_course(slug)
        for who in ("learner", "other", "supervisor"):
            complete_course(users[who], kursus)
    codes = db.session.scalars(select(Sertifikat.code)).all()
    assert len(codes) == 6
    assert len(set(codes)) == 6


def test_a_code_already_taken_is_drawn_again(
    users, completion, certificate, make_course, complete_course, monkeypatch
):
    draws = iter([KNOWN_CODE, "ABCDEFGHJKMN"])
    monkeypatch.setattr(services, "new_code", lambda: next(draws))
    second = complete_course(users["other"], make_course("kursus-b"))
    code = db.session.scalar(select(Sertifikat.code).where(Sertifikat.completion_id == second.id))
    assert code == "ABCDEFGHJKMN"
    assert certificate.code == KNOWN_CODE


# --- the public verification page ---------------------------------------------------------------


def test_anyone_can_check_a_certificate_without_signing_in(client, english, certificate, course):
    response = client.get(f"/verifikasi/{KNOWN_CODE}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Peserta Uji" in page
    assert course.title in page
    assert "March 14, 2025" in page
    assert re.search(r"<dt>JP</dt>\s*<dd>3</dd>", page)
    assert KNOWN_DISPLAY in page
    assert "Valid" in page and "has not been revoked" in page
    assert "Not valid" not in page
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_the_public_page_shows_neither_nip_nor_score(client, english, certificate):
    page = client.get(f"/verifikasi/{KNOWN_CODE}").get_data(as_text=True)
    assert NIPS["learner"] not in page
    assert "87.5" not in page and "87,5" not in page


@pytest.fixture
def admin(client, login_as):
    return login_as("admin")


def revoke(auth, code, reason, **kwargs):
    return auth.post(f"/admin/sertifikat/{code}/cabut", {"reason": reason}, **kwargs)


def test_a_revoked_certificate_is_shown_as_not_valid(client, auth, english, admin, certificate):
    response = revoke(auth, KNOWN_CODE, "Nilai kuis tidak sah")
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert certificate.revoked_at is not None
    assert certificate.revoke_reason == "Nilai kuis tidak sah"
    assert certificate.revoked_by_id == admin.pegawai_id
    auth.logout()
    page = client.get(f"/verifikasi/{KNOWN_CODE}").get_data(as_text=True)
    assert "Not valid" in page and "was revoked on" in page
    assert "has not been revoked" not in page


def test_the_admin_is_told_the_certificate_is_revoked(client, auth, english, admin, certificate):
    response = revoke(auth, KNOWN_CODE, "Salah orang", follow_redirects=True)
    assert any(f"Certificate {KNOWN_DISPLAY} is revoked." in text for text in flash_texts(response))


@pytest.mark.parametrize("reason", ["", "   "])
def test_revoking_without_a_reason_changes_nothing(client, auth, english, admin, certificate, reason):
    response = revoke(auth, KNOWN_CODE, reason, follow_redirects=True)
    assert any("Give the reason for revoking" in text for text in flash_texts(response))
    db.session.refresh(certificate)
    assert certificate.revoked_at is None and certificate.revoke_reason is None
    assert "has not been revoked" in client.get(f"/verifikasi/{KNOWN_CODE}").get_data(as_text=True)


def test_revoking_twice_keeps_the_first_reason(client, auth, english, admin, certificate):
    revoke(auth, KNOWN_CODE, "Alasan pertama")
    response = revoke(auth, KNOWN_CODE, "Alasan kedua", follow_redirects=True)
    assert any("already revoked" in text for text in flash_texts(response))
    db.session.refresh(certificate)
    assert certificate.revoke_reason == "Alasan pertama"


def test_restoring_makes_a_certificate_valid_again(client, auth, english, admin, certificate):
    revoke(auth, KNOWN_CODE, "Keliru")
    response = auth.post(f"/admin/sertifikat/{KNOWN_CODE}/pulihkan", follow_redirects=True)
    assert any(f"Certificate {KNOWN_DISPLAY} is valid again." in text for text in flash_texts(response))
    db.session.refresh(certificate)
    assert certificate.revoked_at is None and certificate.revoke_reason is None
    auth.logout()
    page = client.get(f"/verifikasi/{KNOWN_CODE}").get_data(as_text=True)
    assert "has not been revoked" in page and "Not valid" not in page


def test_revoking_an_unknown_code_is_not_found(client, auth, admin, certificate):
    assert revoke(auth, "ZZZZZZZZZZZZ", "Tidak ada").status_code == 404


@pytest.mark.parametrize("who", ["learner", "other", "supervisor", "trainer"])
def test_only_admins_list_revoke_and_restore(client, auth, login_as, certificate, who):
    login_as(who)
    assert client.get("/admin/sertifikat").status_code == 403
    assert revoke(auth, KNOWN_CODE, "Bukan admin").status_code == 403
    db.session.refresh(certificate)
    assert certificate.revoked_at is None
    certificate.revoked_at, certificate.revoke_reason = COMPLETED, "Dicabut admin"
    db.session.commit()
    assert auth.post(f"/admin/sertifikat/{KNOWN_CODE}/pulihkan").status_code == 403
    db.session.refresh(certificate)
    assert certificate.revoked_at is not None


def test_signed_out_visitors_are_sent_to_sign_in_from_the_admin_pages(client, certificate):
    assert client.get("/admin/sertifikat").headers["Location"].startswith("/masuk")


@pytest.mark.parametrize(
    "query", [KNOWN_DISPLAY, KNOWN_CODE.lower(), NIPS["learner"], "peserta uji", "PESERTA"]
)
def test_admins_find_a_certificate_by_code_nip_or_name(client, admin, certificate, query):
    page = client.get("/admin/sertifikat", query_string={"q": query}).get_data(as_text=True)
    assert KNOWN_DISPLAY in page


def test_the_admin_search_leaves_out_what_does_not_match(client, admin, certificate):
    page = client.get("/admin/sertifikat", query_string={"q": "Orang Lain"}).get_data(as_text=True)
    assert KNOWN_DISPLAY not in page


# --- typing a code ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        KNOWN_DISPLAY,  # as printed
        KNOWN_DISPLAY.lower(),
        " 7KQ4 0M2X 1PTA ",  # spaces
        "7kq4-OM2X-lPTA",  # O for 0, l for 1
        "7KQ4-oM2x-IPTA",  # o for 0, I for 1
        "7kq40m2x1pta",
    ],
)
def test_a_code_typed_loosely_finds_the_certificate(client, certificate, typed):
    response = client.get("/verifikasi", query_string={"kode": typed})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verifikasi/{KNOWN_CODE}"
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_verification_address_itself_accepts_the_printed_form(client, certificate):
    response = client.get(f"/verifikasi/{KNOWN_DISPLAY.lower()}")
    assert response.status_code == 200
    assert "Peserta Uji" in response.get_data(as_text=True)


def test_an_unknown_code_is_not_found_with_a_clear_message(client, english, certificate):
    response = client.get("/verifikasi/ZZZZ-ZZZZ-ZZZZ")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "No certificate has this code" in page
    assert "Peserta Uji" not in page


def test_the_empty_form_is_just_the_form(client, english):
    response = client.get("/verifikasi")
    assert response.status_code == 200
    assert 'id="kode"' in response.get_data(as_text=True)
    assert 'id="kode-error"' not in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["7KQ4-M2XD", "7KQ4-M2XD-9PTA-XXXX", "UUUU-UUUU-UUUU", "7KQ4*M2XD*9PTA"])
def test_a_malformed_code_is_refused_next_to_the_field(client, english, certificate, typed):
    response = client.get("/verifikasi", query_string={"kode": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="kode-error">(.*?)</p>', page)
    assert error and "A verification code has 12 letters and digits" in error.group(1)
    assert 'aria-invalid="true"' in page and 'aria-describedby="kode-error"' in page
    assert f'value="{typed}"' in page  # what was typed stays in the field to correct


def test_what_was_typed_is_shown_back_as_text(client, english):
    typed = '"><script>alert(1)</script>'
    page = client.get("/verifikasi", query_string={"kode": typed}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# --- the PDF -----------------------------------------------------------------------------------


def pdf_text(response) -> str:
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("who", ["learner", "supervisor", "admin"])
def test_the_owner_their_supervisor_and_admins_download_the_pdf(client, login_as, certificate, who):
    login_as(who)
    response = client.get(f"/sertifikat/{KNOWN_CODE}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF-")
    text = pdf_text(response)
    assert "Peserta Uji" in text
    assert KNOWN_DISPLAY in text
    assert f"/verifikasi/{KNOWN_CODE}" in text


def test_the_pdf_is_found_by_its_printed_code_too(client, login_as, certificate):
    login_as("learner")
    response = client.get(f"/sertifikat/{KNOWN_DISPLAY}.pdf")
    assert response.status_code == 200
    assert KNOWN_DISPLAY in pdf_text(response)


@pytest.mark.parametrize("who", ["other", "trainer"])
def test_anyone_else_signed_in_is_told_there_is_no_such_certificate(client, login_as, certificate, who):
    login_as(who)
    response = client.get(f"/sertifikat/{KNOWN_CODE}.pdf")
    assert response.status_code == 404
    assert response.mimetype != "application/pdf"
    # The same answer as for a code that does not exist.
    assert client.get("/sertifikat/ZZZZZZZZZZZZ.pdf").status_code == 404


def test_the_pdf_asks_signed_out_visitors_to_sign_in(client, certificate):
    response = client.get(f"/sertifikat/{KNOWN_CODE}.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")
