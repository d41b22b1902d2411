"""In a real browser on a phone-sized screen: a learner signs in, reads every module,
takes the quiz (answers saved as they are chosen), and finds the course complete at home."""

import re
from html import unescape

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.browser.conftest import saved_answers, sign_in, start_quiz, wait_until
from tests.conftest import NIPS, PASSWORD

pytestmark = pytest.mark.browser
SLUG = "keamanan-informasi-kantor"


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def plain(html: str) -> str:
    """The text a person reads for a bit of rendered HTML."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def choose(page, question_id: str, text: str) -> None:
    """Tick the choice that reads ``text`` among those shown for the question: by what the
    learner sees, never by an option id (they are random per quiz version)."""
    labels = page.locator(f"fieldset#q-{question_id} label.choice")
    shown = [" ".join(t.split()) for t in labels.all_inner_texts()]
    assert text in shown, f"{text!r} is not among the choices shown: {shown}"
    labels.nth(shown.index(text)).locator("input").check()


def answer_correctly(page, question):
    if question["type"] in ("single", "multiple"):
        for option in question["options"]:
            if option["correct"]:
                choose(page, question["id"], plain(option["html"]))
    elif question["type"] == "truefalse":
        choose(page, question["id"], "Benar" if question["answer"] else "Salah")
    else:
        first = question["answers"][0]
        page.fill(
            f"fieldset#q-{question['id']} input[type=text]",
            first["text"] if isinstance(first, dict) else first,
        )


def record_dialogs(page) -> list[str]:
    """The messages of the dialogs the page opens; each is accepted."""
    messages: list[str] = []

    def handle(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", handle)
    return messages


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
    wait_until(lambda: first["id"] in saved_answers(attempt_id), "the autosave reached the server")
    expect(page.locator("#save-state")).to_have_text("Semua jawaban tersimpan.")
    page.reload()
    if first["type"] in ("single", "multiple", "truefalse"):
        assert page.locator(f"input[name='q-{first['id']}']:checked").count() >= 1

    for item in attempt.layout:
        answer_correctly(page, questions[item["id"]])
    no_horizontal_scroll(page)
    dialogs = record_dialogs(page)
    page.click("button[value=submit]")
    page.wait_for_url("**/hasil")
    assert dialogs == []  # every question answered: nothing to ask
    assert "100" in page.locator(".score .big").inner_text()
    assert "Lulus" in page.locator(".score").inner_text()
    result = page.url

    # A passed quiz takes no more attempts.
    page.goto(f"{live_server}/kursus/{SLUG}/kuis")
    assert page.locator("form[action$='/kuis/mulai']").count() == 0
    assert page.locator(".flash-success").count() == 1

    page.goto(result)
    page.click(".flash-success a[href='/']")
    page.wait_for_url(f"{live_server}/")
    completed = page.locator("section[aria-labelledby=done-h]")
    assert "Keamanan Informasi di Kantor" in completed.inner_text()
    assert "4 dari 20 JP" in page.locator(".jp").inner_text()


def test_quiz_still_submits_without_javascript(live_server, chromium, users, shipped_courses):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, NIPS["learner"])
    attempt_id = start_quiz(page, live_server, SLUG)
    total = len(db.session.get(Attempt, attempt_id).layout)

    # Nothing answered: the server asks first, on the page itself, and nothing is graded yet.
    page.click("button[value=submit]")
    page.wait_for_load_state()
    confirm = page.locator("section.confirm[role=alert]")
    assert f"0 dari {total} pertanyaan dijawab" in confirm.inner_text()
    assert page.locator("fieldset.question.unanswered").count() == total
    db.session.expire_all()
    assert db.session.scalar(select(Attempt.status)) == "open"

    page.click("section.confirm button[name=confirmed]:has-text('Tetap kirim')")
    page.wait_for_url("**/hasil")
    assert "Tidak lulus" in page.locator(".score").inner_text()
    context.close()
    db.session.expire_all()
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


def test_with_data_saver_a_module_s_pictures_load_when_tapped(live_server, phone, users, make_course):
    """The learner turns on Hemat data on the Akun page: the module's picture is a link
    until tapped, then the picture itself (its light variant, as the page had it)."""
    from tests.browser.conftest import enrol

    make_course("kursus-uji")
    sign_in(phone, live_server, NIPS["learner"])
    enrol(phone, live_server, "kursus-uji")
    phone.goto(f"{live_server}/akun")
    phone.check("#save_data")
    with phone.expect_navigation():
        phone.click("form[action$='/akun/hemat-data'] button")
    phone.goto(f"{live_server}/kursus/kursus-uji/modul/pembuka")
    article = phone.locator("article")
    assert article.locator("img").count() == 0
    link = article.locator("a.tap-img")
    expect(link).to_contain_text("Diagram")
    link.click()
    picture = article.locator("img[alt='Diagram']")
    expect(picture).to_have_count(1)
    wait_until(lambda: picture.evaluate("img => img.complete && img.naturalWidth > 0"), "the picture loads")
    assert picture.get_attribute("width") == "320"
