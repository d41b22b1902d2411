"""A downloaded course on a phone without a network, in a real browser (the service
worker sw.js, offline.js, luring.js, quiz.js), the browser closed and opened again in
between as phones do:

- the course, its modules and their pictures open offline; a page not downloaded shows
  the "no connection" page with the downloaded courses, not the browser's error page;
- a module marked as done offline is queued (the header's badge counts it), the next
  module opens, and the completion is recorded once the network is back;
- a quiz taken offline keeps every answer on the device across a restart, is submitted
  offline, and graded once when it reaches the server;
- an app update in the middle of an offline attempt leaves the attempt as it was.

The course is the test course (tests/conftest.py: two modules, the first with a picture;
the quiz q1 single, q2 multiple, q3 true-false, q4 short answer).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select

from lms.extensions import db
from lms.progress.models import ModuleCompletion
from tests.browser.axe import assert_accessible
from tests.browser.conftest import OFFLINE_SLUG as SLUG
from tests.browser.conftest import (
    RIGHT,
    answer_offline,
    attempts_of,
    begin_offline_quiz,
    go_offline,
    go_online,
    is_chosen,
    mark_done,
    offline_attempt,
    on_device,
    same_answers,
    sign_in,
    submit_offline,
    wait_until,
    watch_sends,
)
from tests.conftest import CORRECT_ANSWERS, NIPS, real_answers

pytestmark = pytest.mark.browser


def shown_size(question: str) -> tuple[str, float]:
    found = re.search(r"(\d+(?:\.\d)?) (KB|MB)", question)
    assert found, f"the question states no size: {question!r}"
    return found.group(0), float(found.group(1)) * (1024 if found.group(2) == "KB" else 1024 * 1024)


def test_a_downloaded_course_opens_offline_after_the_browser_is_restarted(live_server, device, downloaded):
    kursus, asked = downloaded
    page = device.page
    package = page.request.get(f"{live_server}/kursus/{SLUG}/luring.json").json()
    text, size = shown_size(asked)
    assert asked == page.locator("#offline-course").get_attribute("data-ask").replace("{size}", text)
    assert abs(size - package["bytes"]) <= 1024, (asked, package["bytes"])
    assert [c["slug"] for c in on_device(page, "courses")] == [SLUG]

    page = device.restart(offline=True)

    page.goto(f"{live_server}/")
    assert page.locator(f"main a[href='/kursus/{SLUG}']").count() >= 1  # the learner's courses
    assert page.locator("#offline-courses").count() == 0
    page.goto(f"{live_server}/kursus/{SLUG}")
    assert page.locator("h1").inner_text() == kursus.title
    for modul in kursus.moduls:
        page.goto(f"{live_server}/kursus/{SLUG}/modul/{modul.slug}")
        assert page.locator("h1").inner_text() == modul.title

    page.goto(f"{live_server}/kursus/{SLUG}/modul/{kursus.moduls[0].slug}")
    pictures = page.locator("article img")
    assert pictures.count() >= 1
    widths = [
        pictures.nth(i).evaluate("img => img.complete && img.naturalWidth") for i in range(pictures.count())
    ]
    assert all(w and w > 0 for w in widths), widths

    # The catalogue was not downloaded: the "no connection" page, which lists the course.
    page.goto(f"{live_server}/katalog")
    assert page.url == f"{live_server}/katalog"
    listed = page.locator(f"#offline-courses a[href='/kursus/{SLUG}']")
    wait_until(lambda: listed.count() == 1, "the no-connection page lists the downloaded course")
    assert listed.inner_text() == kursus.title


def completed_modules(pegawai_id: int) -> list[str]:
    db.session.expire_all()
    rows = db.session.scalars(select(ModuleCompletion).where(ModuleCompletion.pegawai_id == pegawai_id))
    return sorted(row.modul.slug for row in rows)


def badge(page) -> str | None:
    """What the header's badge counts; None while it is hidden."""
    shown = page.locator("#sync-badge")
    return None if shown.is_hidden() else shown.inner_text()


def test_modules_marked_done_offline_wait_on_the_device_and_are_recorded_back_online(
    live_server, device, downloaded, users
):
    kursus, _ = downloaded
    page, learner = device.page, users["learner"]
    first, second = kursus.moduls
    go_offline(device.context)

    page.goto(f"{live_server}/kursus/{SLUG}/modul/{first.slug}")
    mark_done(page)
    assert page.url == f"{live_server}/kursus/{SLUG}/modul/{second.slug}"  # on to the next one
    assert page.locator("h1").inner_text() == second.title
    wait_until(lambda: badge(page) == "1", "the badge counts one")
    mark_done(page)
    assert page.url == f"{live_server}/kursus/{SLUG}/kuis"  # the last module leads to the quiz
    wait_until(lambda: badge(page) == "2", "the badge counts two")
    waiting = on_device(page, "outbox")
    assert sorted((x["kind"], x["module"], x["state"]) for x in waiting) == [
        ("module", first.slug, "waiting"),
        ("module", second.slug, "waiting"),
    ]
    assert completed_modules(learner.pegawai_id) == []

    go_online(device.context)
    both = sorted([first.slug, second.slug])
    wait_until(lambda: completed_modules(learner.pegawai_id) == both, "recorded", page=page)
    wait_until(lambda: badge(page) is None, "the badge is cleared")
    assert {x["state"] for x in on_device(page, "outbox")} == {"done"}


def test_a_quiz_taken_offline_survives_a_restart_and_is_graded_once_back_online(
    live_server, device, downloaded, users
):
    learner = users["learner"]
    page = device.restart(offline=True)
    begin_offline_quiz(page, live_server)
    first_half = {q: RIGHT[q] for q in ("q1", "q2")}
    answer_offline(page, first_half)

    # Closed with the attempt open; opened again, still offline: the answers are there.
    page = device.restart(offline=True)
    page.goto(f"{live_server}/kursus/{SLUG}/kuis")
    page.locator("form#quiz").wait_for(state="visible")
    assert page.locator("#oq-begin").is_hidden()
    assert all(is_chosen(page, q, v) for q, v in first_half.items())
    answer_offline(page, {q: RIGHT[q] for q in ("q3", "q4")})
    sent = submit_offline(page)
    assert sent["state"] == "waiting"
    assert page.locator("#oq-state").is_visible()

    # Online, but the restart ended the session: sent, and kept, not graded.
    tries = watch_sends(device.context)
    go_online(device.context)
    wait_until(lambda: tries, "the device tried to send it", page=page)
    assert attempts_of(learner.pegawai_id) == []
    assert offline_attempt(page)["state"] == "waiting"

    sign_in(page, live_server, NIPS["learner"])
    wait_until(lambda: attempts_of(learner.pegawai_id), "the attempt is graded", page=page)
    [attempt] = attempts_of(learner.pegawai_id)
    assert attempt.id == sent["id"] and attempt.offline_token == sent["token_id"]
    assert attempt.status == "submitted" and attempt.percent == 100
    assert same_answers(attempt.answers, real_answers(attempt.id, {**CORRECT_ANSWERS, "q4": "JP"}))

    page.goto(f"{live_server}/luring")
    done = page.locator("#sync-done li")
    wait_until(lambda: done.locator("a.sync-link").count() == 1, "the sync page lists it as sent")
    with page.expect_navigation():
        done.locator("a.sync-link").click()
    assert page.url == f"{live_server}/percobaan/{attempt.id}/hasil"
    assert len(attempts_of(learner.pegawai_id)) == 1  # the visits since sent nothing again


def new_worker_active(page) -> bool:
    return page.evaluate(
        "() => navigator.serviceWorker.getRegistration().then(r => Boolean(window.lmsNewWorker"
        " && r.active && r.active.state === 'activated' && navigator.serviceWorker.controller === r.active))"
    )


def release_app_update(page, base: str, monkeypatch, *, new_files: bool) -> None:
    """A new version of the app on the server (a new revision in /sw.js, and with
    ``new_files`` new versions of the app's files), which the phone picks up as phones
    do, by checking its service worker; done when the new worker is in charge."""
    from lms.api import routes

    monkeypatch.setattr(routes, "app_revision", lambda: "the-next-version")
    if new_files:
        old = routes.static_url
        monkeypatch.setattr(routes, "static_url", lambda name: old(name).replace("?v=", "?v=next"))
    assert '"the-next-version"' in page.request.get(f"{base}/sw.js").text()
    page.evaluate(
        "() => { navigator.serviceWorker.addEventListener('controllerchange', () => { window.lmsNewWorker = true; });"
        " return navigator.serviceWorker.getRegistration().then(r => r.update()); }"
    )
    wait_until(lambda: new_worker_active(page), "the new service worker is in charge")


@pytest.mark.parametrize("new_files", [False, True], ids=["same-files", "new-app-files"])
def test_an_app_update_in_the_middle_of_an_offline_attempt_keeps_its_answers(
    live_server, device, downloaded, users, monkeypatch, new_files
):
    learner, page = users["learner"], device.page
    go_offline(device.context)
    begin_offline_quiz(page, live_server)
    first_half = {q: RIGHT[q] for q in ("q1", "q2")}
    answer_offline(page, first_half)

    go_online(device.context)
    release_app_update(page, live_server, monkeypatch, new_files=new_files)
    go_offline(device.context)
    page.reload()
    page.locator("form#quiz").wait_for(state="visible")
    assert all(is_chosen(page, q, v) for q, v in first_half.items())
    answer_offline(page, {q: RIGHT[q] for q in ("q3", "q4")})
    sent = submit_offline(page)
    assert attempts_of(learner.pegawai_id) == []

    go_online(device.context)
    wait_until(lambda: attempts_of(learner.pegawai_id), "the attempt is graded", page=page)
    [attempt] = attempts_of(learner.pegawai_id)
    assert attempt.id == sent["id"] and attempt.percent == 100
    assert same_answers(attempt.answers, real_answers(attempt.id, {**CORRECT_ANSWERS, "q4": "JP"}))


def test_the_offline_pages_pass_axe(live_server, device, downloaded):
    """In the states only a downloaded course shows: the course page's box with what the
    phone keeps, the offline quiz under way, the sync page with its lists, and the "no
    connection" page."""
    kursus, page = downloaded.kursus, device.page
    page.goto(f"{live_server}/kursus/{SLUG}")
    page.locator("#offline-course [data-act=remove]").wait_for(state="visible")
    assert_accessible(page, "course page with its offline box")

    go_offline(device.context)
    page.goto(f"{live_server}/kursus/{SLUG}/modul/{kursus.moduls[0].slug}")
    mark_done(page)
    begin_offline_quiz(page, live_server)
    answer_offline(page, {"q1": RIGHT["q1"]})
    assert_accessible(page, "offline quiz page")

    page.goto(f"{live_server}/luring")
    wait_until(lambda: page.locator("#sync-waiting li:not(.empty)").count() == 2, "the sync page lists both")
    wait_until(lambda: page.locator("#sync-courses li.offline").count() == 1, "and the downloaded course")
    assert_accessible(page, "sync page")

    page.goto(f"{live_server}/katalog")
    page.locator("#offline-courses a").wait_for()
    assert_accessible(page, "no-connection page")


def test_an_update_fetches_only_what_changed_and_a_removed_course_is_gone(live_server, device, downloaded):
    page = device.page
    closing = downloaded.kursus.moduls[1]
    closing.body_html = closing.body_html.replace("Rangkuman", "Rangkuman yang diperbarui")
    db.session.commit()
    box = page.locator("#offline-course")
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url.removeprefix(live_server)))
    page.goto(f"{live_server}/kursus/{SLUG}")
    box.locator("[data-act=update]").click()
    done = box.get_attribute("data-done")
    wait_until(lambda: box.locator("[role=status]").inner_text() == done, "the update is done", page=page)
    pages = [url for url in fetched if url.startswith(f"/kursus/{SLUG}/") and not url.endswith("luring.json")]
    assert pages == [f"/kursus/{SLUG}/modul/{closing.slug}"]  # only the module that changed

    go_offline(device.context)
    page.goto(f"{live_server}/kursus/{SLUG}/modul/{closing.slug}")
    assert "Rangkuman yang diperbarui" in page.inner_text("article")

    # An attempt started offline keeps its course on the device until it is submitted.
    begin_offline_quiz(page, live_server)
    answer_offline(page, RIGHT)
    go_online(device.context)
    page.goto(f"{live_server}/kursus/{SLUG}")
    box.locator("[data-act=remove]").click()
    in_use = box.get_attribute("data-in-use")
    wait_until(lambda: box.locator("[role=status]").inner_text() == in_use, "removing is refused", page=page)
    assert [c["slug"] for c in on_device(page, "courses")] == [SLUG]

    go_offline(device.context)
    page.goto(f"{live_server}/kursus/{SLUG}/kuis")
    submit_offline(page)
    go_online(device.context)
    page.goto(f"{live_server}/kursus/{SLUG}")
    box.locator("[data-act=remove]").click()
    wait_until(lambda: on_device(page, "courses") == [], "the course is removed", page=page)
    assert box.locator("[data-act=download]").is_visible()

    # The last course gone, the device keeps no page at all: the browser's own error.
    go_offline(device.context)
    with pytest.raises(PlaywrightError, match="ERR_"):
        page.goto(f"{live_server}/kursus/{SLUG}")
