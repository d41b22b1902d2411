"""The trainer's editor: a trainer writes a course in the browser, previews it as a learner
would, and publishes it; learners see only what was published, keep their progress when
a new version comes, and two trainers saving the same module never overwrite each other
unseen."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.catalog.models import Kursus, KursusPemilik, KursusVersi, Modul, ModulDraf
from lms.extensions import db
from lms.progress.models import Enrolment, ModuleCompletion
from tests.conftest import NIPS, csrf_from


@pytest.fixture
def owned(course, users):
    """The shipped-style test course, owned by the trainer."""
    db.session.add(KursusPemilik(kursus_id=course.id, pegawai_id=users["trainer"].pegawai_id))
    db.session.commit()
    return course


def _module_form(client, path: str) -> dict:
    html = client.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', html) or re.search(
        r'id="revision" name="revision" type="hidden" value="(\d+)"', html
    )
    assert revision, html[:2000]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _draft(kursus, slug="pembuka") -> ModulDraf:
    return db.session.scalar(
        select(ModulDraf).where(ModulDraf.kursus_id == kursus.id, ModulDraf.slug == slug)
    )


def test_a_trainer_creates_a_draft_course_that_he_owns_and_learners_do_not_see(client, auth, login_as, users):
    login_as("trainer")
    response = auth.post("/ampu/baru", {"title": "Tata Naskah Dinas Elektronik"})
    assert response.status_code == 302
    kursus = db.session.scalar(select(Kursus))
    assert kursus.slug == "tata-naskah-dinas-elektronik"
    assert kursus.status == "draft"
    assert [o.pegawai_id for o in kursus.owners] == [users["trainer"].pegawai_id]
    auth.logout()
    login_as("learner")
    assert client.get(f"/kursus/{kursus.slug}").status_code == 404


def test_a_course_without_a_title_is_refused_next_to_the_field(client, auth, login_as):
    login_as("trainer")
    response = auth.post("/ampu/baru", {"title": "   "})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Kursus.id))) == 0


def test_written_text_is_previewed_sanitised_and_saved_only_on_save(client, auth, login_as, owned):
    login_as("trainer")
    modul = _draft(owned)
    path = f"/ampu/{owned.slug}/modul/{modul.id}"
    data = {
        **_module_form(client, path),
        "title": "Pembuka",
        "body_md": "## Baru\n\n<script>alert(1)</script>**tebal**",
    }
    preview = client.post(f"/ampu/{owned.slug}/pratinjau-teks", data=data)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "<strong>tebal</strong>" in html and "<script" not in html
    db.session.expire_all()
    assert "Baru" not in _draft(owned).body_md
    assert client.post(path, data={**data, "aksi": "pratinjau"}).status_code == 200
    assert client.post(path, data={**data, "aksi": "simpan"}).status_code == 302
    db.session.expire_all()
    assert "## Baru" in _draft(owned).body_md


def test_learners_see_the_published_text_until_the_next_publish(client, auth, login_as, owned, users):
    login_as("trainer")
    modul = _draft(owned)
    path = f"/ampu/{owned.slug}/modul/{modul.id}"
    client.post(path, data={**_module_form(client, path), "title": "Pembuka", "body_md": "Teks versi dua."})
    live = db.session.scalar(select(Modul).where(Modul.kursus_id == owned.id, Modul.slug == "pembuka"))
    assert "versi dua" not in live.body_md
    assert auth.post(f"/ampu/{owned.slug}/terbitkan").status_code == 302
    db.session.expire_all()
    kursus = db.session.get(Kursus, owned.id)
    assert kursus.version == 2
    assert db.session.get(Modul, live.id).body_md == "Teks versi dua."
    history = db.session.scalars(select(KursusVersi).where(KursusVersi.kursus_id == owned.id)).all()
    assert history[-1].changes == [{"what": "module_changed", "title": "Pembuka"}]


def test_a_learner_keeps_his_progress_and_sees_what_changed(client, auth, login_as, owned, users):
    learner = users["learner"]
    live = db.session.scalar(select(Modul).where(Modul.kursus_id == owned.id, Modul.slug == "pembuka"))
    db.session.add_all(
        [
            Enrolment(pegawai_id=learner.pegawai_id, kursus_id=owned.id),
            ModuleCompletion(pegawai_id=learner.pegawai_id, modul_id=live.id),
        ]
    )
    db.session.commit()
    login_as("trainer")
    auth.post(f"/ampu/{owned.slug}/modul", {"baru-title": "Studi Kasus Puskesmas"})
    added = _draft(owned, "studi-kasus-puskesmas")
    path = f"/ampu/{owned.slug}/modul/{added.id}"
    client.post(path, data={**_module_form(client, path), "title": added.title, "body_md": "Kasus di Sumba."})
    assert auth.post(f"/ampu/{owned.slug}/terbitkan").status_code == 302
    auth.logout()
    login_as("learner")
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 1
    page = client.get(f"/kursus/{owned.slug}").get_data(as_text=True)
    assert "Studi Kasus Puskesmas" in page
    assert "versi 2" in page.lower()


def test_the_second_of_two_trainers_saving_one_module_is_told_and_keeps_his_text(
    app, client, auth, login_as, owned, make_user
):
    make_user("198901012015011001", "Pengajar Kedua", is_pengajar=True)
    db.session.add(KursusPemilik(kursus_id=owned.id, pegawai_id=_pegawai_id("198901012015011001")))
    db.session.commit()
    modul = _draft(owned)
    path = f"/ampu/{owned.slug}/modul/{modul.id}"
    login_as("trainer")
    first = _module_form(client, path)
    other = app.test_client()
    _sign_in(other, "198901012015011001")
    second = _module_form(other, path)
    assert (
        client.post(path, data={**first, "title": "Pembuka", "body_md": "Teks pengajar pertama."}).status_code
        == 302
    )
    response = other.post(path, data={**second, "title": "Pembuka", "body_md": "Teks pengajar kedua."})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Teks pengajar kedua." in html
    assert 'role="alert"' in html
    db.session.expire_all()
    assert _draft(owned).body_md == "Teks pengajar pertama."


def _pegawai_id(nip: str) -> int:
    from lms.org.models import Pegawai

    return db.session.scalar(select(Pegawai.id).where(Pegawai.nip == nip))


def _sign_in(client, nip: str) -> None:
    from tests.conftest import PASSWORD

    token = csrf_from(client.get("/masuk").get_data(as_text=True))
    assert (
        client.post("/masuk", data={"csrf_token": token, "nip": nip, "password": PASSWORD}).status_code == 302
    )


def test_a_picture_not_among_the_course_files_is_refused_next_to_the_text(client, auth, login_as, owned):
    login_as("trainer")
    modul = _draft(owned)
    path = f"/ampu/{owned.slug}/modul/{modul.id}"
    response = client.post(
        path,
        data={
            **_module_form(client, path),
            "title": "Pembuka",
            "body_md": "![x](media/tidak-ada.png){width=2 height=2}",
        },
    )
    assert response.status_code == 400
    assert "tidak-ada.png" in response.get_data(as_text=True)
    db.session.expire_all()
    assert "tidak-ada" not in _draft(owned).body_md


def _photo(width=2400, height=1600) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((width, height), 60).convert("RGB").save(out, "JPEG", quality=92)
    return out.getvalue()


def test_an_uploaded_picture_is_inserted_with_its_size_and_reaches_learners_once_published(
    client, auth, login_as, owned
):
    login_as("trainer")
    modul = _draft(owned)
    path = f"/ampu/{owned.slug}/modul/{modul.id}"
    data = {
        **_module_form(client, path),
        "title": "Pembuka",
        "body_md": "Teks.",
        "alt": "Ruang arsip",
        "aksi": "unggah",
    }
    data["file"] = (io.BytesIO(_photo()), "Foto Arsip (1).JPG")
    assert client.post(path, data=data, content_type="multipart/form-data").status_code == 302
    db.session.expire_all()
    body = _draft(owned).body_md
    assert "![Ruang arsip](media/foto-arsip-1.jpg){width=" in body
    draf = db.session.get(Kursus, owned.id).draf
    info = draf.media_info["foto-arsip-1.jpg"]
    assert max(info["width"], info["height"]) <= 960 and info["light"]
    preview = client.get(f"/ampu/{owned.slug}/pratinjau/modul/pembuka").get_data(as_text=True)
    light_url = f"/media/{info['light']}"
    assert light_url in preview
    assert client.get(light_url).status_code == 200
    auth.logout()
    login_as("learner")
    assert client.get(light_url).status_code == 404  # not published yet
    auth.logout()
    login_as("trainer")
    auth.post(f"/ampu/{owned.slug}/terbitkan")
    auth.logout()
    login_as("learner")
    response = client.get(light_url)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_saved(client, auth, login_as, owned):
    login_as("trainer")
    modul = _draft(owned)
    path = f"/ampu/{owned.slug}/modul/{modul.id}"
    data = {**_module_form(client, path), "title": "Pembuka", "body_md": "Teks baru.", "aksi": "unggah"}
    data["file"] = (io.BytesIO(b"<html><script>alert(1)</script></html>"), "foto.png")
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    db.session.expire_all()
    assert _draft(owned).body_md != "Teks baru."
    assert set(db.session.get(Kursus, owned.id).draf.media) == {"gambar.svg"}


def test_previewing_records_nothing(client, auth, login_as, owned):
    login_as("trainer")
    for path in (f"/ampu/{owned.slug}/pratinjau", f"/ampu/{owned.slug}/pratinjau/modul/pembuka"):
        assert client.get(path).status_code == 200
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 0


def test_modules_are_added_reordered_and_removed_in_the_working_copy(client, auth, login_as, owned):
    login_as("trainer")
    auth.post(f"/ampu/{owned.slug}/modul", {"baru-title": "Lampiran"})
    lampiran = _draft(owned, "lampiran")
    auth.post(f"/ampu/{owned.slug}/modul/{lampiran.id}/pindah", {"arah": "naik"})
    db.session.expire_all()
    order = [
        m.slug
        for m in db.session.scalars(
            select(ModulDraf).where(ModulDraf.kursus_id == owned.id).order_by(ModulDraf.position)
        )
    ]
    assert order == ["pembuka", "lampiran", "penutup"]
    auth.post(f"/ampu/{owned.slug}/modul/{_draft(owned, 'penutup').id}/hapus")
    db.session.expire_all()
    assert [m.slug for m in db.session.scalars(select(ModulDraf).where(ModulDraf.kursus_id == owned.id))] == [
        "pembuka",
        "lampiran",
    ]
    # An empty module cannot be published.
    response = auth.post(f"/ampu/{owned.slug}/terbitkan")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Kursus, owned.id).version == 1


def test_owners_share_a_course_with_trainers_only_and_keep_at_least_one(client, auth, login_as, owned, users):
    login_as("trainer")
    assert auth.post(f"/ampu/{owned.slug}/pemilik", {"nip": NIPS["learner"]}).status_code == 400
    assert auth.post(f"/ampu/{owned.slug}/pemilik", {"nip": NIPS["admin"]}).status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Kursus, owned.id).owners) == 2
    auth.post(f"/ampu/{owned.slug}/pemilik/{users['admin'].pegawai_id}/hapus")
    auth.post(f"/ampu/{owned.slug}/pemilik/{users['trainer'].pegawai_id}/hapus")
    db.session.expire_all()
    assert [o.pegawai_id for o in db.session.get(Kursus, owned.id).owners] == [users["trainer"].pegawai_id]


def test_a_trainer_edits_only_the_courses_he_owns(client, auth, login_as, course):
    login_as("trainer")
    assert client.get(f"/ampu/{course.slug}").status_code == 403
    assert client.get(f"/ampu/{course.slug}/pratinjau").status_code == 403
    auth.logout()
    login_as("admin")
    assert client.get(f"/ampu/{course.slug}").status_code == 200


def test_reimporting_an_unchanged_folder_makes_no_new_version(ctx, course, course_root):
    from lms.catalog.importer import import_courses

    assert import_courses([course_root / course.slug]) == [(course.slug, "unchanged")]
    assert db.session.get(Kursus, course.id).version == 1
