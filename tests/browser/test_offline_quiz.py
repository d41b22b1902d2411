"""The quiz on a connection that comes and goes, in a real browser (quiz.js):

- answers chosen offline are kept on the device (localStorage "lms-quiz-<attempt id>"),
  the status line says how many are waiting, and they are sent once the connection is
  back, until the server has them; "all saved" only when nothing is waiting;
- answers still waiting when the page is left come back into the form when it is opened
  again, and are sent then;
- submitting with questions unanswered asks first (window.confirm with the counts); the
  timed auto-submit does not.

The quiz is the test course's (tests/conftest.py QUIZ_TOML): q1 single (Kupang / Ende),
q2 multiple (Akuntabel, Adaptif / Birokratis), q3 true-false, q4 short answer.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.browser.conftest import saved_answers, set_offline, sign_in, start_quiz, wait_until
from tests.browser.test_learner_journey import choose
from tests.conftest import NIPS

pytestmark = pytest.mark.browser

SLUG = "kursus-uji"
ALL_SAVED = "Semua jawaban tersimpan."


def option_id(attempt_id: str, question_id: str, text: str) -> str:
    attempt = db.session.get(Attempt, attempt_id)
    question = next(q for q in attempt.version.questions if q["id"] == question_id)
    return next(o["id"] for o in question["options"] if o["text"] == text)


def kept_on_device(page, attempt_id: str) -> dict | None:
    """What quiz.js keeps in localStorage for the attempt: {question: {answer, at}}."""
    raw = page.evaluate("key => window.localStorage.getItem(key)", f"lms-quiz-{attempt_id}")
    return None if raw is None else json.loads(raw)


def status(page):
    return page.locator("#save-state")


def waiting(n: int) -> str:
    return f"{n} jawaban menunggu dikirim"


@pytest.fixture
def quiz_page(live_server, phone, users, make_course):
    """The learner on a phone, on a fresh attempt at the test course's quiz; the script
    has run once the status line says everything is saved."""
    make_course(SLUG)
    sign_in(phone, live_server, NIPS["learner"])
    attempt_id = start_quiz(phone, live_server, SLUG)
    expect(status(phone)).to_have_text(ALL_SAVED)
    return phone, attempt_id


def test_answers_chosen_offline_wait_on_the_device_and_are_sent_when_back_online(quiz_page):
    page, attempt_id = quiz_page
    set_offline(page.context, True)
    choose(page, "q1", "Kupang")
    choose(page, "q2", "Akuntabel")
    choose(page, "q2", "Adaptif")
    choose(page, "q3", "Benar")

    expect(status(page)).to_contain_text(waiting(3))
    assert ALL_SAVED not in status(page).inner_text()
    kept = kept_on_device(page, attempt_id)
    expected = {
        "q1": option_id(attempt_id, "q1", "Kupang"),
        "q2": sorted([option_id(attempt_id, "q2", "Akuntabel"), option_id(attempt_id, "q2", "Adaptif")]),
        "q3": "true",
    }
    assert kept is not None and set(kept) == {"q1", "q2", "q3"}, kept
    assert {q: sorted(e["answer"]) if q == "q2" else e["answer"] for q, e in kept.items()} == expected
    assert saved_answers(attempt_id) == {}  # nothing reached the server

    # Still waiting after a retry or two: retries while offline change nothing.
    page.wait_for_timeout(2500)
    expect(status(page)).to_contain_text(waiting(3))
    assert len(kept_on_device(page, attempt_id)) == 3

    # Back online: the "online" event sends them at once (no waiting for the next retry).
    set_offline(page.context, False)
    expect(status(page)).to_have_text(ALL_SAVED, timeout=5_000)
    server = wait_until(lambda: len(saved_answers(attempt_id)) == 3 and saved_answers(attempt_id), "saved")
    assert {q: sorted(a) if q == "q2" else a for q, a in server.items()} == expected
    assert kept_on_device(page, attempt_id) is None  # nothing left waiting


def test_answers_left_waiting_come_back_after_a_reload_and_are_sent(quiz_page, live_server):
    page, attempt_id = quiz_page
    kupang, ende = option_id(attempt_id, "q1", "Kupang"), option_id(attempt_id, "q1", "Ende")
    choose(page, "q1", "Kupang")
    wait_until(lambda: saved_answers(attempt_id) == {"q1": kupang}, "q1 reached the server")
    expect(status(page)).to_have_text(ALL_SAVED)

    # Offline: q1 changed, q3 and q4 answered; nothing of it reaches the server.
    set_offline(page.context, True)
    choose(page, "q1", "Ende")
    choose(page, "q3", "Salah")
    page.fill("fieldset#q-q4 input[type=text]", "JP")  # sent 0.8 s after the typing stops
    expect(status(page)).to_contain_text(waiting(3))
    page.goto("about:blank")  # the page is left with the answers still waiting
    set_offline(page.context, False)
    assert saved_answers(attempt_id) == {"q1": kupang}

    # Opened again online: the server's copy says Kupang, the device's newer one Ende.
    page.goto(f"{live_server}/percobaan/{attempt_id}")
    assert page.locator(f"input[name=q-q1][value='{ende}']").is_checked()
    assert page.locator("input[name=q-q3][value=false]").is_checked()
    assert page.locator("fieldset#q-q4 input[type=text]").input_value() == "JP"
    expect(status(page)).to_have_text(ALL_SAVED)
    server = wait_until(lambda: len(saved_answers(attempt_id)) == 3 and saved_answers(attempt_id), "saved")
    assert server == {"q1": ende, "q3": "false", "q4": "JP"}
    assert kept_on_device(page, attempt_id) is None

    # And a reload now shows the server's copy, the same answers.
    page.reload()
    assert page.locator(f"input[name=q-q1][value='{ende}']").is_checked()
    assert page.locator("fieldset#q-q4 input[type=text]").input_value() == "JP"


def test_answers_wait_while_the_server_cannot_save_them(quiz_page):
    """Online but the database is away (503): the answer waits and is sent on a retry."""
    page, attempt_id = quiz_page
    page.route("**/jawaban", lambda route: route.fulfill(status=503, body="{}"))
    choose(page, "q3", "Benar")
    expect(status(page)).to_contain_text("1 jawaban menunggu dikirim")
    assert set(kept_on_device(page, attempt_id)) == {"q3"}
    page.unroute("**/jawaban")
    expect(status(page)).to_have_text(ALL_SAVED, timeout=12_000)  # retries after 2, 4, 8 s
    assert saved_answers(attempt_id) == {"q3": "true"}
    assert kept_on_device(page, attempt_id) is None


def test_submitting_with_questions_unanswered_asks_first(quiz_page):
    page, attempt_id = quiz_page
    choose(page, "q1", "Kupang")
    wait_until(lambda: "q1" in saved_answers(attempt_id), "q1 reached the server")

    dialogs: list[tuple[str, str]] = []
    answers = iter(["dismiss", "accept"])

    def handle(dialog):
        answer = next(answers)
        dialogs.append((dialog.type, dialog.message))
        dialog.dismiss() if answer == "dismiss" else dialog.accept()

    page.on("dialog", handle)

    # Saving for later never asks.
    page.click("button[value=save]")
    page.wait_for_url(f"**/percobaan/{attempt_id}")
    expect(page.locator(".flash-success")).to_be_visible()
    assert dialogs == []

    # Submitting asks, with the counts; "Cancel" keeps the page as it was.
    page.click("button[value=submit]")
    assert dialogs == [("confirm", "1 dari 4 pertanyaan dijawab. Tetap kirim?")]
    page.wait_for_timeout(500)
    assert page.url.endswith(f"/percobaan/{attempt_id}")
    assert page.locator("section.confirm").count() == 0  # not the server's question either
    assert page.locator(f"input[name=q-q1][value='{option_id(attempt_id, 'q1', 'Kupang')}']").is_checked()
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).status == "open"

    # "OK" submits: straight to the result, the server does not ask again.
    page.click("button[value=submit]")
    page.wait_for_url("**/hasil")
    assert len(dialogs) == 2 and dialogs[1] == dialogs[0]
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and set(attempt.answers) == {"q1"}


def test_the_timed_auto_submit_does_not_ask(live_server, phone, users, make_course):
    """Time up with three questions open and the last answer not yet autosaved (the
    autosave is failing): the form sends itself without a question, with that answer."""
    make_course("kursus-waktu", time_limit=10)
    page = phone
    sign_in(page, live_server, NIPS["learner"])
    attempt_id = start_quiz(page, live_server, "kursus-waktu")
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at = utcnow() + timedelta(seconds=4)
    db.session.commit()

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.route("**/jawaban", lambda route: route.abort())
    page.reload()
    choose(page, "q3", "Benar")
    expect(status(page)).to_contain_text("1 jawaban menunggu dikirim")
    page.wait_for_url("**/hasil", timeout=20_000)
    assert dialogs == []
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and not attempt.late
    assert attempt.answers == {"q3": "true"}
