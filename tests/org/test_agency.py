"""The agency's settings: name, city, signatory and logo, kept by admins of the whole
agency, checked field by field, audited; the logo checked by its content and stored small."""

from __future__ import annotations

import html
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.core.audit import AuditEntry
from lms.extensions import db
from lms.org import agency
from lms.org.models import Instansi
from lms.storage import storage

NAMA = "Badan Kepegawaian Daerah Provinsi Nusa Tenggara Timur"
SIGNER_NIP = "197502102000031002"
VALID = {
    "nama": NAMA,
    "kota": "Kupang",
    "penandatangan_nama": "Drs. Yohanes Bria, M.Si.",
    "penandatangan_nip": "19750210 200003 1 002",
    "penandatangan_jabatan": "Kepala Badan Kepegawaian Daerah",
}


def picture(size=(1200, 800), fmt="PNG", mode="RGBA") -> bytes:
    image = Image.new(mode, size, (20, 60, 140, 255) if mode == "RGBA" else (20, 60, 140))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at))
    )


def field_error(response, field: str) -> str | None:
    found = re.search(
        rf'<p class="error" id="{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S
    )
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def admin(client, auth, login_as):
    user = login_as("admin")
    assert auth.post("/bahasa", {"lang": "en"}).status_code == 302
    return user


def save(auth, **changes):
    return auth.post("/admin/instansi", {**VALID, **changes})


def upload(auth, data: bytes, name="logo.png"):
    return auth.post(
        "/admin/instansi/logo", {"logo": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


# --- reading ---------------------------------------------------------------------------------


def test_before_anything_is_set_the_agency_is_empty_never_none(ctx):
    instansi = agency.get_instansi()
    assert instansi is not None
    assert (instansi.nama, instansi.kota, instansi.logo_key, instansi.penandatangan_nip) == ("", "", None, "")


def test_the_settings_page_shows_the_form_and_writes_nothing(client, admin):
    response = client.get("/admin/instansi")
    assert response.status_code == 200
    assert 'name="penandatangan_nip"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Instansi)) == 0


# --- saving ----------------------------------------------------------------------------------


def test_an_admin_saves_name_city_and_signatory_and_it_is_audited(client, auth, admin):
    response = save(auth)
    assert response.status_code == 302
    instansi = db.session.get(Instansi, 1)
    assert instansi.nama == NAMA and instansi.kota == "Kupang"
    assert instansi.penandatangan_nip == SIGNER_NIP  # the spaces people paste are dropped
    assert instansi.penandatangan_jabatan == "Kepala Badan Kepegawaian Daerah"
    (entry,) = entries("instansi.update")
    assert entry.actor_id == admin.pegawai_id
    assert entry.after["penandatangan_nip"] == SIGNER_NIP
    assert entry.before["nama"] == ""
    page = client.get("/admin/instansi").get_data(as_text=True)
    assert f'value="{NAMA}"' in page


def test_saving_the_same_values_again_records_nothing_new(client, auth, admin):
    save(auth)
    save(auth)
    assert len(entries("instansi.update")) == 1
    save(auth, kota="Atambua")
    _first, second = entries("instansi.update")
    assert second.before == {"kota": "Kupang"} and second.after == {"kota": "Atambua"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"penandatangan_nip": "1975021020000310"}, "penandatangan_nip", "A NIP has 18 digits"),
        ({"penandatangan_nip": "197513102000031002"}, "penandatangan_nip", "valid birth date"),
        ({"penandatangan_nip": "197502102000033002"}, "penandatangan_nip", "Digit 15"),
        ({"penandatangan_nip": ""}, "penandatangan_nip", "Enter the NIP of the official"),
        ({"penandatangan_nama": ""}, "penandatangan_nama", "Enter the name of the official"),
        ({"penandatangan_jabatan": " "}, "penandatangan_jabatan", "Enter the position"),
        ({"nama": "  "}, "nama", "Enter the agency's name"),
        ({"nama": "B" * 201}, "nama", "at most 200 characters"),
        ({"kota": "K" * 101}, "kota", "at most 100 characters"),
        ({"penandatangan_jabatan": "J" * 201}, "penandatangan_jabatan", "at most 200 characters"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_changes(
    client, auth, admin, changes, field, message
):
    response = save(auth, **changes)
    assert response.status_code == 400
    error = field_error(response, field)
    assert error and message in error, response.get_data(as_text=True)[:2000]
    assert db.session.get(Instansi, 1) is None
    assert entries("instansi.update") == []


def test_no_signatory_at_all_is_allowed(client, auth, admin):
    response = save(auth, penandatangan_nama="", penandatangan_nip="", penandatangan_jabatan="")
    assert response.status_code == 302
    assert db.session.get(Instansi, 1).penandatangan_nama == ""


def test_the_service_raises_on_the_field_it_names(ctx):
    with pytest.raises(Exception) as caught:
        agency.update_instansi(**{**VALID, "penandatangan_nip": "abc"})
    assert caught.value.field == "penandatangan_nip"


# --- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "supervisor", "trainer"])
def test_only_admins_reach_the_settings(client, auth, login_as, who):
    login_as(who)
    assert client.get("/admin/instansi").status_code == 403
    assert save(auth).status_code == 403
    assert upload(auth, picture()).status_code == 403
    assert db.session.get(Instansi, 1) is None


def test_an_admin_limited_to_a_unit_may_not_change_the_agency(client, auth, users, unit, login_as):
    users["admin"].admin_unit_id = unit.id
    db.session.commit()
    login_as("admin")
    assert client.get("/admin/instansi").status_code == 403
    assert save(auth).status_code == 403
    assert upload(auth, picture()).status_code == 403
    assert auth.post("/admin/instansi/logo/hapus").status_code == 403
    assert client.get("/admin/instansi/logo").status_code == 403
    assert db.session.get(Instansi, 1) is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/instansi").headers["Location"].startswith("/masuk")


# --- the logo ----------------------------------------------------------------------------------


def test_a_png_logo_is_stored_small_under_a_hashed_public_key(client, auth, admin):
    response = upload(auth, picture((1200, 800)))
    assert response.status_code == 302
    key = db.session.get(Instansi, 1).logo_key
    assert re.fullmatch(r"instansi/logo-[0-9a-f]{16}\.png", key)
    stored = storage().read(key)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert max(image.size) == 600 and image.size == (600, 400)
    (entry,) = entries("instansi.logo")
    assert entry.before == {"logo_key": None} and entry.after == {"logo_key": key}
    shown = client.get(f"/admin/instansi/logo?v={key}")
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert 'src="/admin/instansi/logo?v=' in client.get("/admin/instansi").get_data(as_text=True)


def test_a_jpeg_logo_stays_jpeg_and_a_small_one_keeps_its_size(client, auth, admin):
    upload(auth, picture((300, 200), "JPEG", "RGB"), "logo.jpg")
    key = db.session.get(Instansi, 1).logo_key
    assert key.endswith(".jpg")
    with Image.open(io.BytesIO(storage().read(key))) as image:
        assert (image.format, image.size) == ("JPEG", (300, 200))


def test_a_detailed_png_logo_is_reduced_to_a_palette_when_large(ctx):
    noisy = Image.effect_noise((600, 600), 120).convert("RGB")
    small = agency.shrink_logo(noisy, "image/png")
    full = io.BytesIO()
    noisy.save(full, "PNG", optimize=True)
    assert len(full.getvalue()) > agency.LOGO_PNG_BUDGET
    assert len(small) < len(full.getvalue()) / 2
    with Image.open(io.BytesIO(small)) as image:
        assert image.mode == "P"


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png"])
def test_a_photograph_for_a_logo_is_made_smaller_until_it_is_light(ctx, content_type):
    photo = Image.effect_noise((1600, 1200), 60).convert("RGB")
    small = agency.shrink_logo(photo, content_type)
    assert len(small) <= agency.LOGO_MAX_STORED
    with Image.open(io.BytesIO(small)) as image:
        assert max(image.size) < agency.LOGO_MAX_SIDE


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (picture(fmt="GIF", mode="RGB"), "logo.gif", "PNG or JPEG"),
        (b"<html>not a picture</html>", "logo.png", "not accepted"),
        (b"\x89PNG\r\n\x1a\nbroken", "logo.png", "cannot be read"),
    ],
)
def test_what_is_not_a_png_or_jpeg_is_refused_by_its_content(client, auth, admin, data, name, message):
    response = upload(auth, data, name)
    assert response.status_code == 400
    error = field_error(response, "logo")
    assert error and message in error
    assert db.session.get(Instansi, 1) is None


def test_uploading_without_a_file_is_a_message(client, auth, admin):
    response = auth.post("/admin/instansi/logo", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the picture of the logo" in (field_error(response, "logo") or "")


def test_removing_the_logo_keeps_the_file_for_certificates_already_issued(client, auth, admin):
    upload(auth, picture())
    key = db.session.get(Instansi, 1).logo_key
    assert auth.post("/admin/instansi/logo/hapus").status_code == 302
    assert db.session.get(Instansi, 1).logo_key is None
    assert storage().exists(key)
    assert entries("instansi.logo")[-1].after == {"logo_key": None}
    assert client.get("/admin/instansi/logo").status_code == 404
