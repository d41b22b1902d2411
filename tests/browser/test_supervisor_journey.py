"""In a real browser: a supervisor assigns a course to one of the team with a due date,
the learner finds it at home and completes it on a phone, and then both the
supervisor's team view and the learner's profile show the completion, the JP, the
competency evidence and the certificate."""

from datetime import timedelta

import pytest

from lms.catalog.models import Kursus
from lms.core.time import local_today
from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.browser.conftest import sign_in
from tests.browser.test_learner_journey import answer_correctly, no_horizontal_scroll
from tests.conftest import NIPS

pytestmark = pytest.mark.browser
SLUG = "keamanan-informasi-kantor"
TITLE = "Keamanan Informasi di Kantor"


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def team_row(page, name: str):
    return page.locator("table.team tbody tr", has_text=name)


def complete_course(page, base: str) -> None:
    page.goto(f"{base}/kursus/{SLUG}")
    page.click(".steps li:first-child a")
    while "/modul/" in page.url:
        page.click(".pager button.primary")
        page.wait_for_load_state()
    page.click("form[action$='/kuis/mulai'] button")
    page.wait_for_url("**/percobaan/**")
    attempt = db.session.get(Attempt, page.url.rsplit("/", 1)[-1])
    questions = {q["id"]: q for q in attempt.version.questions}
    for item in attempt.layout:
        answer_correctly(page, questions[item["id"]])
    page.click("button[value=submit]")
    page.wait_for_url("**/hasil")


def test_assigned_course_completed_shows_in_team_view_and_profile(
    live_server, desktop, phone, users, shipped_courses
):
    due = local_today() + timedelta(days=14)
    learner = users["learner"]
    kursus = db.session.scalar(db.select(Kursus).where(Kursus.slug == SLUG))

    # The supervisor assigns the course to the learner only.
    sign_in(desktop, live_server, NIPS["supervisor"])
    desktop.click("header nav a[href='/tim']")
    assert team_row(desktop, "Peserta Uji").count() == 1
    assert team_row(desktop, "Peserta Lain").count() == 1
    desktop.check(f"#p{learner.pegawai_id}")
    desktop.select_option("#a-kursus", str(kursus.id))
    desktop.fill("#a-due", due.isoformat())
    desktop.click("#assign fieldset button.primary")
    desktop.wait_for_load_state()
    assert desktop.locator(".flash-success").count() == 1
    row = team_row(desktop, "Peserta Uji")
    assert row.locator("td[data-label]").nth(0).inner_text().strip() == "1"  # assigned
    assert team_row(desktop, "Peserta Lain").locator("td[data-label]").nth(0).inner_text().strip() == "0"

    # The learner sees it at home with its due date, and completes it on a phone.
    sign_in(phone, live_server, NIPS["learner"])
    todo = phone.locator("section[aria-labelledby=active-h]")
    assert TITLE in todo.inner_text()
    assert "Ditugaskan" in todo.inner_text()
    complete_course(phone, live_server)
    phone.goto(f"{live_server}/profil")
    no_horizontal_scroll(phone)
    assert "4 dari 20 JP" in phone.locator(".jp").inner_text()
    certificates = phone.locator("section[aria-labelledby=cert-h]")
    assert TITLE in certificates.inner_text()
    assert phone.locator("section[aria-labelledby=comp-h] svg[role=img]").count() == 1
    assert "T.KEAMANAN-INFO" in phone.locator("section[aria-labelledby=ev-h]").inner_text()

    # The certificate's public verification page says it is valid.
    phone.click("section[aria-labelledby=cert-h] a[href^='/verifikasi/']")
    assert "Berlaku" in phone.locator(".verdict").inner_text()
    assert "Peserta Uji" in phone.locator("dl").inner_text()

    # Back on the team view the supervisor sees the completion and the JP.
    desktop.reload()
    row = team_row(desktop, "Peserta Uji")
    cells = [c.strip() for c in row.locator("td[data-label]").all_inner_texts()]
    assert cells[:5] == ["1", "1", "0", "0", "4"], cells  # assigned, completed, overdue, own choice, JP
    summary = desktop.locator("table", has_text=TITLE).last
    assert "100" in summary.inner_text()

    # And drills down to the learner's profile.
    row.locator("a").first.click()
    desktop.wait_for_url(f"**/profil/{NIPS['learner']}")
    assert TITLE in desktop.locator("section[aria-labelledby=cert-h]").inner_text()
    assert "4 dari 20 JP" in desktop.locator(".jp").inner_text()
