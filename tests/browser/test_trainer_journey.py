"""In a real browser: a trainer builds a course on a desktop (a module with a picture, two
questions in the bank, a quiz that draws one of them), publishes it, and a learner takes
it on a 360 px phone. Every page both of them see passes axe."""

from __future__ import annotations

import pytest
from PIL import Image
from sqlalchemy import select

from lms.catalog.models import Kursus
from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in
from tests.conftest import NIPS

pytestmark = pytest.mark.browser
TITLE = "Arsip Dinamis di Puskesmas"


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "Rak Arsip (1).JPG"
    Image.effect_noise((1800, 1200), 50).convert("RGB").save(path, "JPEG", quality=90)
    return path


def checked(page, label: str) -> None:
    assert_accessible(page, label)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{label} scrolls sideways"


def add_question(page, base: str, slug: str, text: str, right: str, wrong: list[str]) -> None:
    page.goto(f"{base}/ampu/{slug}/soal/baru?jenis=single")
    page.fill("#text", text)
    page.fill("#tags", "arsip")
    for n, option in enumerate([right, *wrong]):
        page.fill(f"#options-{n}-text", option)
    page.check("#options-0-correct")
    checked(page, "new question")
    page.locator("form.bank-form button").first.click()
    page.wait_for_load_state()
    assert page.locator(".error").count() == 0, page.locator(".error").all_inner_texts()
    page.wait_for_url(f"**/ampu/{slug}/soal*")


def test_a_trainer_builds_and_publishes_a_course_that_a_learner_takes_on_a_phone(
    live_server, desktop, phone, users, photo
):
    base = live_server
    sign_in(desktop, base, NIPS["trainer"])
    desktop.goto(f"{base}/ampu")
    checked(desktop, "courses I teach")
    desktop.click("a[href='/ampu/baru']")
    desktop.fill("#title", TITLE)
    desktop.locator("form button.primary").click()
    desktop.wait_for_url(f"{base}/ampu/arsip-dinamis-di-puskesmas")
    slug = "arsip-dinamis-di-puskesmas"
    checked(desktop, "new course")

    desktop.fill("#baru-title", "Menata Arsip Aktif")
    desktop.locator("form[action$='/modul'] button").click()
    desktop.wait_for_url(f"**/ampu/{slug}/modul/*")
    desktop.fill("#body_md", "## Rak arsip\n\nArsip aktif disimpan **dekat** unit pengolah.")
    preview = desktop.locator("#preview")
    preview.locator("strong").wait_for()  # the script rendered what was typed
    assert preview.locator("strong").inner_text() == "dekat"
    desktop.set_input_files("#file", str(photo))
    desktop.fill("#alt", "Rak arsip di ruang tata usaha")
    desktop.click("button[value=unggah]")
    desktop.wait_for_url(f"**/ampu/{slug}/modul/*")
    checked(desktop, "module editor")
    picture = desktop.locator("#preview img")
    assert picture.get_attribute("alt") == "Rak arsip di ruang tata usaha"
    assert int(picture.get_attribute("width")) <= 960

    add_question(
        desktop, base, slug, "Arsip aktif disimpan di …", "unit pengolah", ["gudang kecamatan", "rumah"]
    )
    add_question(desktop, base, slug, "Retensi arsip diatur dalam …", "JRA", ["SOP piket", "daftar hadir"])
    desktop.goto(f"{base}/ampu/{slug}/kuis")
    desktop.fill("#title", "Kuis Arsip")
    desktop.fill("#pass_mark", "100")
    desktop.fill("#draw-0-tags", "arsip")
    desktop.fill("#draw-0-count", "1")
    checked(desktop, "quiz settings")
    desktop.locator("form button.primary").first.click()
    desktop.wait_for_url(f"**/ampu/{slug}/kuis")

    desktop.goto(f"{base}/ampu/{slug}/pratinjau/kuis")
    checked(desktop, "quiz preview")
    desktop.goto(f"{base}/ampu/{slug}")
    desktop.locator("form[action$='/terbitkan'] button").click()
    desktop.wait_for_url(f"{base}/ampu/{slug}")
    db.session.expire_all()
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == slug))
    assert kursus.is_published

    sign_in(phone, base, NIPS["learner"])
    phone.goto(f"{base}/kursus/{slug}")
    checked(phone, "course page on a phone")
    phone.click("form[action$='/daftar'] button")
    phone.goto(f"{base}/kursus/{slug}/modul/menata-arsip-aktif")
    image = phone.locator("article img")
    assert image.get_attribute("width") and image.get_attribute("height")
    response = phone.request.get(base + image.get_attribute("src"))
    assert response.ok and "image/webp" in response.headers["content-type"]
    assert len(response.body()) < photo.stat().st_size
    checked(phone, "module with a picture on a phone")
    phone.locator("form[action$='/selesai'] button").click()
    phone.goto(f"{base}/kursus/{slug}/kuis")
    phone.click("form[action$='/kuis/mulai'] button")
    phone.wait_for_url("**/percobaan/**")
    attempt = db.session.get(Attempt, phone.url.rsplit("/", 1)[-1])
    assert len(attempt.layout) == 1  # one question drawn
    checked(phone, "quiz attempt on a phone")
    question = next(q for q in attempt.version.questions if q["id"] == attempt.layout[0]["id"])
    right = next(o for o in question["options"] if o["correct"])
    phone.check(f"input[value='{right['id']}']")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.locator("button[name=action][value=submit]").click()
    phone.wait_for_url("**/hasil")
    checked(phone, "result on a phone")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).passed
