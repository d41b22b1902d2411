"""Course pictures: served through one route whatever the storage, cached for ever when the
course is published, and seen only by those who may preview it while it is a draft."""

import pytest

from tests.conftest import NIPS


def media_url(kursus) -> str:
    return f"/media/{kursus.media['gambar.svg']}"


def test_a_published_courses_picture_is_cached_for_a_year(client, login_as, course):
    login_as("learner")
    response = client.get(media_url(course))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(
    ("who", "status"), [("learner", 404), ("supervisor", 404), ("trainer", 200), ("admin", 200)]
)
def test_a_drafts_picture_is_for_those_who_may_preview_it(client, login_as, make_course, who, status):
    draft = make_course("kursus-draf", status="draft")
    login_as(who)
    response = client.get(media_url(draft))
    assert response.status_code == status
    if status == 200:
        assert response.headers["Cache-Control"] == "private, max-age=3600"


def test_pictures_need_a_signed_in_user(client, course):
    assert client.get(media_url(course)).status_code == 302


@pytest.mark.parametrize(
    "key",
    ["kursus/kursus-uji/0000000000-gambar.svg", "kursus/nope/x.svg", "bukti/1/x.pdf", "kursus/kursus-uji"],
)
def test_only_the_pictures_a_course_names_are_served(client, login_as, course, key):
    login_as("learner")
    assert client.get(f"/media/{key}").status_code == 404


def test_the_module_page_points_at_the_media_route(client, auth, login_as, course):
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    page = client.get("/kursus/kursus-uji/modul/pembuka").get_data(as_text=True)
    assert f'src="{media_url(course)}"' in page
    assert NIPS["learner"] in page  # signed in, the page itself is personal
