"""Sending what a phone did offline, in a real browser (the service worker's flush,
POST /luring/sinkron, the sync page): every result is recorded exactly once, however it
travels.

- a reply lost on the way back (the server graded the attempt, the phone did not hear):
  sent again, still graded once, and the phone shows it done;
- two tabs sending the same attempt at the same moment: one attempt (and, expected to
  fail until the service is fixed, the later one is told it had arrived, not refused);
- more results than one send takes (50) go in turns, all of them; a send the server
  cannot take (503) is tried again without the learner doing anything;
- a sync file saved on the phone and uploaded by the learner's supervisor: recorded once,
  however often it is uploaded, and the phone later hears they had arrived;
- a result the server refuses (the course was archived meanwhile) is listed with why,
  and its answers stay on the phone until the learner says they have read it.

The course is the test course (tests/conftest.py), downloaded on the phone.
"""

from __future__ import annotations

import itertools
import json
import threading
import time

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.progress.models import ModuleCompletion
from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    RIGHT,
    answer_offline,
    attempts_of,
    begin_offline_quiz,
    go_offline,
    go_online,
    mark_done,
    offline_attempt,
    on_device,
    sign_in,
    submit_offline,
    wait_until,
)
from tests.conftest import NIPS

pytestmark = pytest.mark.browser


@pytest.fixture
def submitted_offline(live_server, device, downloaded):
    """The learner took the quiz offline, every answer right, and submitted it: it waits
    on the phone, which is still offline. Returns the outbox item."""
    go_offline(device.context)
    begin_offline_quiz(device.page, live_server)
    answer_offline(device.page, RIGHT)
    return submit_offline(device.page)


def settled(page) -> dict | None:
    """The attempt once the phone has heard what became of it."""
    attempt = offline_attempt(page)
    return attempt if attempt and attempt["state"] in ("done", "failed") else None


def lose_replies(context) -> list[int]:
    """From now on every send reaches the server, which answers, but the answer is lost on
    the way back (the connection drops); returns the statuses the server answered with."""
    answered: list[int] = []

    def lose(route):
        answered.append(route.fetch().status)
        route.abort("connectionreset")

    context.route("**/luring/sinkron", lose)
    return answered


def test_a_reply_lost_on_the_way_back_is_sent_again_and_graded_once(
    live_server, device, submitted_offline, users
):
    page, learner = device.page, users["learner"]
    answered = lose_replies(device.context)
    go_online(device.context)
    wait_until(lambda: answered, "the attempt reached the server", page=page)
    assert answered[0] == 200
    assert len(attempts_of(learner.pegawai_id)) == 1  # graded there
    assert offline_attempt(page)["state"] == "waiting"  # but the phone does not know

    device.context.unroute("**/luring/sinkron")
    page.goto(f"{live_server}/luring")  # opening a page online sends what waits
    attempt = wait_until(lambda: settled(page), "the phone hears back", page=page)
    assert attempt["state"] == "done" and attempt["result"]["status"] == "duplicate"
    graded = attempts_of(learner.pegawai_id)
    assert [a.id for a in graded] == [submitted_offline["id"]] and graded[0].percent == 100
    assert attempt["result"]["url"] == f"/percobaan/{graded[0].id}/hasil"
    done = page.locator("#sync-done li")
    wait_until(lambda: done.locator(f"a[href='{attempt['result']['url']}']").count() == 1, "listed as sent")


SEND_FROM_TAB = """([item, csrf]) => {
  window.lmsSent = new Promise(go => { new BroadcastChannel("lms-test-go").onmessage = go; })
    .then(() => fetch("/luring/sinkron", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({items: [item]})
    }))
    .then(r => r.json());
}"""


def send_from_two_tabs(device, base: str) -> list[dict]:
    """Two tabs of the phone, online, send the waiting attempt themselves at one moment
    (the service worker kept quiet); what the server answered each."""
    device.context.route(
        "**/luring/sinkron",
        lambda route: route.abort() if route.request.service_worker else route.fallback(),
    )
    go_online(device.context)
    tabs = [device.page, device.tab()]
    for tab in tabs:
        tab.goto(f"{base}/luring")
        tab.evaluate(SEND_FROM_TAB, [offline_attempt(tab), tab.evaluate("window.LMS.csrf")])
    tabs[0].evaluate("() => new BroadcastChannel('lms-test-go').postMessage('go')")  # both at once
    return [tab.evaluate("window.lmsSent")["results"][0] for tab in tabs]


def test_two_tabs_sending_the_same_attempt_at_once_make_one_attempt(
    live_server, device, submitted_offline, users
):
    replies = send_from_two_tabs(device, live_server)

    assert [a.id for a in attempts_of(users["learner"].pegawai_id)] == [submitted_offline["id"]]
    [graded] = [r for r in replies if r["status"] == "accepted"]
    assert graded["url"] == f"/percobaan/{submitted_offline['id']}/hasil"


def second_arrival_a_moment_behind(monkeypatch) -> None:
    """The server gets the same attempt twice, the second a moment behind: the first waits
    at the quiz's rules until the second has looked for the attempt (not there yet), and the
    second checks the rules once the first is recorded."""
    from lms.quizzes import services as quizzes

    original, calls, second_here = quizzes.close_expired, itertools.count(), threading.Event()

    def paced(*args):
        if next(calls) == 0:
            second_here.wait(5)
        else:
            second_here.set()
            time.sleep(0.5)
        return original(*args)

    monkeypatch.setattr(quizzes, "close_expired", paced)


def test_the_tab_a_moment_behind_is_told_the_attempt_had_arrived(
    live_server, device, submitted_offline, monkeypatch
):
    second_arrival_a_moment_behind(monkeypatch)
    replies = send_from_two_tabs(device, live_server)

    assert sorted(r["status"] for r in replies) == ["accepted", "duplicate"], replies
    assert {r["url"] for r in replies} == {f"/percobaan/{submitted_offline['id']}/hasil"}


COPIES = """n => window.LMS.mine("outbox").then(([item]) => Promise.all(
  Array.from({length: n}, (_, i) => window.LMS.put("outbox", {...item, id: crypto.randomUUID(), made: item.made + i + 1}))
))"""


def test_more_results_than_one_send_takes_all_reach_the_server(live_server, device, downloaded, users):
    """Weeks offline: more results wait than the service worker sends at once (50); they go
    in turns, every one of them."""
    page, kursus = device.page, downloaded.kursus
    go_offline(device.context)
    page.goto(f"{live_server}/kursus/{kursus.slug}/modul/{kursus.moduls[0].slug}")
    mark_done(page)
    page.evaluate(COPIES, 50)  # the same module marked done 51 times, as a forgetful learner might
    assert len(on_device(page, "outbox")) == 51

    go_online(device.context)
    wait_until(
        lambda: {x["state"] for x in on_device(page, "outbox")} == {"done"},
        "all 51 are sent",
        timeout=15,
        page=page,
    )
    statuses = sorted(x["result"]["status"] for x in on_device(page, "outbox"))
    assert statuses == ["accepted"] + ["duplicate"] * 50
    assert module_completions(users["learner"].pegawai_id) == 1


def module_completions(pegawai_id: int) -> int:
    db.session.expire_all()
    return len(
        db.session.scalars(select(ModuleCompletion).where(ModuleCompletion.pegawai_id == pegawai_id)).all()
    )


def upload(page, path) -> dict[str, int]:
    """Upload a sync file on the sync page; how many results the page lists per status."""
    page.set_input_files("input[type=file][name=file]", str(path))
    with page.expect_navigation():
        page.click("form[enctype='multipart/form-data'] button")
    return {
        status: page.locator(f".sync-results li.sync-{status}").count()
        for status in ("accepted", "duplicate", "refused", "retry")
    }


def test_a_sync_file_uploaded_by_the_supervisor_is_recorded_once(
    live_server, device, downloaded, phone, users, tmp_path
):
    page, learner = device.page, users["learner"]
    kursus = downloaded.kursus
    go_offline(device.context)
    page.goto(f"{live_server}/kursus/{kursus.slug}/modul/{kursus.moduls[0].slug}")
    mark_done(page)
    begin_offline_quiz(page, live_server)
    answer_offline(page, RIGHT)
    attempt = submit_offline(page)

    page.goto(f"{live_server}/luring")  # the sync page, kept on the phone
    wait_until(lambda: page.locator("#sync-waiting li:not(.empty)").count() == 2, "two results wait")
    with page.expect_download() as saving:
        page.click("#sync-save")
    saved = tmp_path / "sinkron.json"
    saving.value.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["format"] == "lms-sinkron" and document["version"] == 1
    assert sorted(x["kind"] for x in document["items"]) == ["attempt", "module"]

    # The supervisor, on another device with a connection, uploads it twice.
    sign_in(phone, live_server, NIPS["supervisor"])
    phone.goto(f"{live_server}/luring")
    assert upload(phone, saved) == {"accepted": 2, "duplicate": 0, "refused": 0, "retry": 0}
    assert phone.locator(".sync-results a").count() == 0  # the learner's result is theirs to see
    graded = attempts_of(learner.pegawai_id)
    assert [a.id for a in graded] == [attempt["id"]] and graded[0].percent == 100
    assert module_completions(learner.pegawai_id) == 1
    assert upload(phone, saved) == {"accepted": 0, "duplicate": 2, "refused": 0, "retry": 0}
    assert len(attempts_of(learner.pegawai_id)) == 1 and module_completions(learner.pegawai_id) == 1

    # The phone, online again, is told they had arrived.
    go_online(device.context)
    wait_until(
        lambda: {x["state"] for x in on_device(page, "outbox")} == {"done"}, "the phone hears back", page=page
    )
    assert {x["result"]["status"] for x in on_device(page, "outbox")} == {"duplicate"}
    assert len(attempts_of(learner.pegawai_id)) == 1


def test_a_refused_attempt_is_shown_with_why_and_kept_until_read(
    live_server, device, downloaded, submitted_offline, users
):
    page, learner = device.page, users["learner"]
    kursus = downloaded.kursus
    kursus.status = "archived"  # withdrawn while the attempt waited on the phone
    db.session.commit()

    go_online(device.context)
    attempt = wait_until(lambda: settled(page), "the phone hears back", page=page)
    assert attempt["state"] == "failed" and attempt["result"]["code"] == "withdrawn"
    assert attempts_of(learner.pegawai_id) == []

    page.goto(f"{live_server}/luring")
    failed = page.locator("#sync-failed li")
    wait_until(lambda: failed.locator("p.error").count() == 1, "the sync page lists the refusal")
    assert failed.locator("p.error").inner_text() == attempt["result"]["message"]
    assert set(offline_attempt(page)["answers"]) == set(RIGHT)  # the answers stay meanwhile
    assert page.locator("#sync-badge").inner_text() == "1"
    assert_accessible(page, "sync page with a refused result")

    failed.locator("button").click()  # "I have read this"
    wait_until(lambda: "answers" not in offline_attempt(page), "the answers are let go")
    wait_until(lambda: page.locator("#sync-badge").is_hidden(), "the badge is cleared")
    assert failed.locator("p.error").count() == 1 and failed.locator("button").count() == 0


def test_a_send_the_server_cannot_take_is_tried_again_by_itself(
    live_server, device, submitted_offline, users
):
    """The server is away (503) when the phone comes back online: the attempt waits, and is
    sent on a later try without the learner doing anything."""
    page, learner = device.page, users["learner"]
    away: list[int] = []

    def unavailable(route):
        away.append(1)
        route.fulfill(status=503, body="{}")

    device.context.route("**/luring/sinkron", unavailable)
    go_online(device.context)
    wait_until(lambda: away, "the phone tried to send it", page=page)
    assert offline_attempt(page)["state"] == "waiting" and attempts_of(learner.pegawai_id) == []

    device.context.unroute("**/luring/sinkron", unavailable)
    # Still on the offline quiz page, which shows the result once it is graded.
    page.wait_for_url(f"{live_server}/percobaan/{submitted_offline['id']}/hasil", timeout=15_000)
    assert [a.id for a in attempts_of(learner.pegawai_id)] == [submitted_offline["id"]]
    assert offline_attempt(page)["result"]["status"] == "accepted"
