"""In a real browser on a phone-sized screen: a learner signs in, reads every module,
takes the quiz (answers saved as they are chosen), and finds the course complete at home."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.browser.conftest import sign_in, start_quiz
from tests.conftest import NIPS, PASSWORD

pytestmark = pytest.mark.browser
SLUG = "keamanan-informasi-kantor"


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def answer_correctly(page, question):
    name = f"q-{question['id']}"
    if question["type"] == "single":
        right = next(o["id"] for o in question["options"] if o["correct"])
        page.check(f"input[name='{name}'][value='{right}']")
    elif question["type"] == "multiple":
        for option in question["options"]:
            if option["correct"]:
                page.check(f"input[name='{name}'][value='{option['id']}']")
    elif question["type"] == "truefalse":
        page.check(f"input[name='{name}'][value='{'true' if question['answer'] else 'false'}']")
    else:
        page.fill(f"input[name='{name}']", question["answers"][0])


def test_learner_completes_a_course_on_a_phone(live_server, phone, users, shipped_courses):
    page = phone
    page.goto(f"{live_server}/")
    assert "/masuk" in page.url
    page.fill("#nip", NIPS["learner"])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text() == "Kursus Saya"
    no_horizontal_scroll(page)

    page.click("text=Katalog")
    page.click("text=Keamanan Informasi di Kantor")
    page.click("button:has-text('Ikuti dan mulai')")
    page.click(".steps li:first-child a")

    modules = 0
    while "/modul/" in page.url:
        modules += 1
        assert page.locator("article h1").count() == 1
        no_horizontal_scroll(page)
        page.click(".pager button.primary")
        page.wait_for_load_state()
    assert modules == 4
    assert page.url.endswith(f"/kursus/{SLUG}/kuis")

    page.click("form[action$='/kuis/mulai'] button")
    page.wait_for_url("**/percobaan/**")
    attempt_id = page.url.rsplit("/", 1)[-1]
    attempt = db.session.get(Attempt, attempt_id)
    questions = {q["id"]: q for q in attempt.version.questions}

    # Answer the first question, wait for the autosave, reload: the answer is still there.
    first = questions[attempt.layout[0]["id"]]
    answer_correctly(page, first)
    # Polled from Python: a predicate evaluated in the page would be blocked by the CSP.
    expect(page.locator("#save-state")).to_contain_text("tersimpan")
    page.reload()
    if first["type"] in ("single", "truefalse"):
        assert page.locator(f"input[name='q-{first['id']}']:checked").count() == 1

    for item in attempt.layout:
        answer_correctly(page, questions[item["id"]])
    no_horizontal_scroll(page)
    page.click("button[value=submit]")
    page.wait_for_url("**/hasil")
    assert "100" in page.locator(".score .big").inner_text()
    assert "Lulus" in page.locator(".score").inner_text()

    page.click(".flash-success a[href='/']")
    page.wait_for_url(f"{live_server}/")
    completed = page.locator("section[aria-labelledby=done-h]")
    assert "Keamanan Informasi di Kantor" in completed.inner_text()
    assert "4 dari 20 JP" in page.locator(".jp").inner_text()


def test_quiz_still_submits_without_javascript(live_server, chromium, users, shipped_courses):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, NIPS["learner"])
    start_quiz(page, live_server, SLUG)
    page.click("button[value=submit]")
    page.wait_for_url("**/hasil")
    assert "Tidak lulus" in page.locator(".score").inner_text()
    context.close()
    assert db.session.scalar(select(Attempt.status)) == "submitted"


def test_a_timed_quiz_counts_down_and_sends_the_answers_when_time_is_up(
    live_server, phone, users, make_course
):
    from datetime import timedelta

    from lms.core.time import utcnow

    make_course("kursus-waktu", time_limit=10)
    page = phone
    sign_in(page, live_server, NIPS["learner"])
    attempt_id = start_quiz(page, live_server, "kursus-waktu")
    assert "Sisa waktu: 9:5" in page.locator("#timer").inner_text()

    # Three seconds left: the page sends what was chosen without a click.
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at = utcnow() + timedelta(seconds=3)
    db.session.commit()
    page.reload()
    page.check("input[name='q-q3'][value='true']")
    page.wait_for_url("**/hasil", timeout=20_000)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and not attempt.late
    assert attempt.answers["q3"] == "true"
