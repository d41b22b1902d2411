"""The next step is always one tap away: start or continue a course, go on with a running
quiz, and (for supervisors) what waits for them; the catalogue can be searched."""

import re
from datetime import timedelta

import pytest

from lms.extensions import db


def links(page: str, text: str) -> list[str]:
    return re.findall(rf'<a class="btn primary" href="([^"]+)">{re.escape(text)}', page)


@pytest.fixture
def enrolled(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    return course


def test_after_enrolling_the_course_page_offers_to_start_the_first_module(client, auth, enrolled):
    page = client.get("/kursus/kursus-uji").get_data(as_text=True)
    assert links(page, "Mulai: Pembuka") == ["/kursus/kursus-uji/modul/pembuka"]


def test_the_course_page_continues_with_the_next_unread_module_then_the_quiz(client, auth, enrolled):
    auth.post("/kursus/kursus-uji/modul/pembuka/selesai")
    page = client.get("/kursus/kursus-uji").get_data(as_text=True)
    assert links(page, "Lanjutkan: Penutup") == ["/kursus/kursus-uji/modul/penutup"]
    auth.post("/kursus/kursus-uji/modul/penutup/selesai")
    page = client.get("/kursus/kursus-uji").get_data(as_text=True)
    assert links(page, "Lanjut ke kuis") == ["/kursus/kursus-uji/kuis"]


def test_home_offers_start_then_continue_for_each_course(client, auth, enrolled):
    page = client.get("/").get_data(as_text=True)
    assert links(page, "Mulai") == ["/kursus/kursus-uji/modul/pembuka"]
    auth.post("/kursus/kursus-uji/modul/pembuka/selesai")
    page = client.get("/").get_data(as_text=True)
    assert links(page, "Lanjutkan") == ["/kursus/kursus-uji/modul/penutup"]


def test_home_shows_a_running_quiz_with_its_deadline_and_zone(client, auth, login_as, make_course):
    make_course("kursus-waktu", time_limit=15)
    login_as("learner")
    auth.post("/kursus/kursus-waktu/daftar")
    attempt = auth.post("/kursus/kursus-waktu/kuis/mulai").headers["Location"]
    page = client.get("/").get_data(as_text=True)
    assert "Kuis sedang berjalan: Kursus Uji kursus-waktu" in page
    assert re.search(r"Kirim sebelum pukul \d{1,2}[.:]\d{2} WIB", page)
    assert links(page, "Lanjutkan percobaan Anda") == [attempt]


def test_a_supervisor_sees_at_home_what_waits_for_them(client, auth, login_as, users, course):
    from lms.core.time import local_today
    from lms.progress.models import Enrolment
    from lms.progress.services import assign_many

    assign_many([users["learner"].pegawai_id], course, due_date=local_today(), assigned_by_id=None)
    db.session.commit()
    enrolment = db.session.scalar(db.select(Enrolment))
    enrolment.due_date = local_today() - timedelta(days=3)
    db.session.commit()
    login_as("other")
    auth.post(
        "/pengembangan",
        {
            "jenis": "seminar",
            "judul": "Seminar SPBE",
            "penyelenggara": "BKD",
            "tanggal_mulai": "2026-01-05",
            "tanggal_selesai": "2026-01-05",
            "jp": "2",
            "nomor_sertifikat": "N-1",
        },
    )
    auth.logout()
    login_as("supervisor")
    page = client.get("/").get_data(as_text=True)
    assert "1 catatan pengembangan menunggu verifikasi Anda" in page
    assert "1 orang punya kursus yang lewat tenggat" in page
    assert 'href="/tim?status=overdue"' in page


def test_a_learner_sees_no_team_box(client, login_as, users):
    login_as("learner")
    assert "Tim Anda" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "found"),
    [("", 2), ("etika", 1), ("ETIKA", 1), ("integritas kode", 1), ("tidak-ada", 0), ("%", 0), ("_", 0)],
)
def test_the_catalogue_can_be_searched_by_title_and_summary(client, login_as, make_course, query, found):
    from lms.catalog.models import Kursus

    make_course("kursus-etika")
    make_course("kursus-lain")
    first = db.session.scalar(db.select(Kursus).where(Kursus.slug == "kursus-etika"))
    first.title, first.summary = "Etika ASN", "Integritas dan kode etik."
    db.session.commit()
    login_as("learner")
    page = client.get("/katalog", query_string={"q": query}).get_data(as_text=True)
    assert page.count('class="card course"') == found


def test_trainers_find_drafts_in_the_catalogue_marked_as_drafts(client, login_as, make_course):
    make_course("kursus-draf", status="draft")
    login_as("trainer")
    page = client.get("/katalog").get_data(as_text=True)
    assert "kursus-draf" in page and "Draf" in page


def test_learners_do_not_see_drafts(client, login_as, make_course):
    make_course("kursus-draf", status="draft")
    login_as("learner")
    assert "kursus-draf" not in client.get("/katalog").get_data(as_text=True)


def test_every_admin_page_is_one_tap_from_the_menu(client, login_as, users):
    login_as("admin")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin"' in home
    admin = client.get("/admin").get_data(as_text=True)
    for path in (
        "/monev",
        "/tim",
        "/pengembangan/verifikasi",
        "/admin/standar",
        "/admin/sertifikat",
        "/kompetensi",
    ):
        assert f'href="{path}"' in admin, path
