"""A live server and a headless Chromium (Debian's, driven by Playwright) for journey tests."""

import os
import shutil
import threading
from typing import Any, NamedTuple

import pytest
from werkzeug.serving import make_server

# The requests a service worker makes itself must be routed (and cut off, with the
# context's offline emulation) like the pages', as a real dead link would. Playwright
# releases that had it as an experiment read this when the driver starts; the installed
# one (1.65) does it always, unless PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK is set.
os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail(f"Chromium not found at {path}: `make test` installs Debian's chromium package.")
    return path


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright):
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(chromium):
    """A cheap Android phone's screen: 360 px wide."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shipped_courses(ctx):
    """The courses in kursus/, imported."""
    from pathlib import Path

    from lms.catalog.importer import course_folders, import_courses
    from lms.extensions import db
    from tests.conftest import KURSUS_ROOT

    import_courses(course_folders(Path(KURSUS_ROOT)))
    db.session.commit()


def sign_in(page, base: str, nip: str) -> None:
    from tests.conftest import PASSWORD

    page.goto(f"{base}/masuk")
    page.fill("#nip", nip)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/")


def enrol(page, base: str, slug: str) -> None:
    page.goto(f"{base}/kursus/{slug}")
    with page.expect_navigation():
        page.click("button:has-text('Ikuti dan mulai')")


def start_quiz(page, base: str, slug: str) -> str:
    """Enrol in a course and start its quiz; returns the attempt id."""
    enrol(page, base, slug)
    page.goto(f"{base}/kursus/{slug}/kuis")
    page.click("form[action$='/kuis/mulai'] button")
    page.wait_for_url("**/percobaan/**")
    return page.url.rsplit("/", 1)[-1]


def wait_until(check, what: str, timeout: float = 10.0, every: float = 0.1, *, page=None):
    """Poll ``check`` from Python until it returns something true (the CSP blocks
    predicates evaluated in the page, so ``wait_for_function`` cannot be used). With
    ``page``, the browser's events are served while waiting: a route's handler (such as
    ``set_offline``'s) runs only while Python is inside a Playwright call, so a check that
    only reads the database would otherwise hold up the very request it waits for."""
    import time

    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting until {what}")
        if page is not None:
            page.wait_for_timeout(every * 1000)
        else:
            time.sleep(every)


def saved_answers(attempt_id: str) -> dict:
    """The answers the server has for an attempt, read afresh from the database."""
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    db.session.expire_all()
    return dict(db.session.get(Attempt, attempt_id).answers or {})


def _disconnected(route) -> None:
    route.abort("internetdisconnected")


def set_offline(context, offline: bool) -> None:
    """The device loses (or regains) its connection. Chromium's offline emulation has let a
    request through now and then, so while offline every request is also aborted at the
    browser, as a dead link would; back online the abort goes first, then the emulation, so
    the page's ``online`` event finds the network open."""
    if offline:
        context.route("**/*", _disconnected)
        context.set_offline(True)
    else:
        context.unroute("**/*", _disconnected)
        context.set_offline(False)


# --- a phone that keeps what it downloads ----------------------------------------------------

PHONE_SCREEN = {"width": 360, "height": 740}


def go_offline(context) -> None:
    set_offline(context, True)


def go_online(context) -> None:
    set_offline(context, False)


class Device:
    """A phone's browser with its profile on disk: what it keeps (the service worker, its
    caches, IndexedDB) outlives closing the browser; the session cookie does not, so after
    a restart the learner signs in again before anything can be sent."""

    def __init__(self, playwright, profile):
        self._playwright, self.profile = playwright, profile
        self.context = None
        self.page = None

    def open(self):
        self.context = self._playwright.chromium.launch_persistent_context(
            user_data_dir=str(self.profile),
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
            service_workers="allow",
            viewport=PHONE_SCREEN,
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        return self.page

    def restart(self, *, offline: bool = False):
        """The browser closed and opened again on the same profile; with ``offline``, the
        network is gone before its first request."""
        self.close()
        page = self.open()
        if offline:
            go_offline(self.context)
        return page

    def tab(self):
        return self.context.new_page()

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = self.page = None


@pytest.fixture
def device(playwright, tmp_path):
    """A phone whose browser can be closed and reopened (``device.restart()``)."""
    phone = Device(playwright, tmp_path / "profile")
    phone.open()
    yield phone
    phone.close()


def worker_active(page) -> bool:
    return page.evaluate(
        "() => navigator.serviceWorker.getRegistration()"
        ".then(r => Boolean(r && r.active && r.active.state === 'activated'))"
    )


def on_device(page, store: str) -> list[dict]:
    """This user's records in the device's IndexedDB store ("courses", "outbox")."""
    return page.evaluate("store => window.LMS.mine(store)", store)


def download_course(page, base: str, slug: str) -> str:
    """Download a course for offline from its page, accepting the question about the data
    it takes; returns that question. Done when the box says so and the service worker that
    serves it offline is active."""
    page.goto(f"{base}/kursus/{slug}")
    box = page.locator("#offline-course")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    box.locator("[data-act=download]").click()
    done, failed = box.get_attribute("data-done"), box.get_attribute("data-failed")

    def finished():
        line = box.locator("[role=status]").inner_text()
        assert line != failed, f"the download of {slug} failed"
        return line == done

    wait_until(finished, f"{slug} is downloaded", timeout=20)
    wait_until(lambda: worker_active(page), "the service worker is active")
    return asked[0] if asked else ""


# --- the downloaded test course and its quiz taken offline -----------------------------------

OFFLINE_SLUG = "kursus-uji"
# The right answers to the test course's quiz (tests/conftest.py QUIZ_TOML), as the
# learner sees them: the choices' words, the short answer typed.
RIGHT = {"q1": "Kupang", "q2": ("Akuntabel", "Adaptif"), "q3": "Benar", "q4": "JP"}


class Download(NamedTuple):
    kursus: Any
    question: str  # what the page asked before downloading


@pytest.fixture
def downloaded(live_server, device, users, make_course) -> Download:
    """The learner, enrolled in the test course, has downloaded it on the phone."""
    from tests.conftest import NIPS

    kursus = make_course(OFFLINE_SLUG)
    sign_in(device.page, live_server, NIPS["learner"])
    enrol(device.page, live_server, OFFLINE_SLUG)
    return Download(kursus, download_course(device.page, live_server, OFFLINE_SLUG))


def mark_done(page) -> None:
    """Press the module page's "mark as done" button and follow where it leads."""
    with page.expect_navigation():
        page.click("form[action$='/selesai'] button")


def offline_attempt(page) -> dict | None:
    """The quiz attempt the device keeps in its outbox (the latest one)."""
    attempts = [x for x in on_device(page, "outbox") if x["kind"] == "attempt"]
    return max(attempts, key=lambda x: x["made"]) if attempts else None


def begin_offline_quiz(page, base: str, slug: str = OFFLINE_SLUG) -> None:
    page.goto(f"{base}/kursus/{slug}/kuis")
    page.click("#oq-begin")
    page.locator("form#quiz").wait_for(state="visible")


def answer_offline(page, answers: dict) -> None:
    """Answer questions of the offline quiz page, by the words shown; done once the device
    has kept every one of them."""
    from tests.browser.test_learner_journey import choose

    for qid, value in answers.items():
        typed = page.locator(f"fieldset#q-{qid} input[type=text]")
        if typed.count():
            typed.fill(value)
        else:
            for text in (value,) if isinstance(value, str) else value:
                choose(page, qid, text)
    wait_until(
        lambda: set(answers) <= set((offline_attempt(page) or {}).get("answers", {})),
        f"the device kept the answers to {sorted(answers)}",
    )


def is_chosen(page, qid: str, value) -> bool:
    """Whether the offline quiz page shows ``value`` (as in RIGHT) as the answer to ``qid``."""
    typed = page.locator(f"fieldset#q-{qid} input[type=text]")
    if typed.count():
        return typed.input_value() == value
    labels = page.locator(f"fieldset#q-{qid} label.choice")
    ticked = {
        " ".join(label.inner_text().split()) for label in labels.all() if label.locator("input").is_checked()
    }
    return ticked == ({value} if isinstance(value, str) else set(value))


def submit_offline(page) -> dict:
    """Submit the offline attempt (every question answered: nothing is asked)."""
    page.click("#quiz button[value=submit]")
    return wait_until(
        lambda: (x := offline_attempt(page)) and x["state"] != "open" and x, "the attempt is submitted"
    )


def attempts_of(pegawai_id: int) -> list:
    """The learner's quiz attempts on the server, read afresh."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.quizzes.models import Attempt

    db.session.expire_all()
    return list(db.session.scalars(select(Attempt).where(Attempt.pegawai_id == pegawai_id)))


def watch_sends(context) -> list[str]:
    """The requests the device (pages or service worker) makes to send its outbox, as
    they go out; the network, or its absence, answers them as before."""
    sent: list[str] = []

    def record(route):
        sent.append(route.request.method)
        route.fallback()

    context.route("**/luring/sinkron", record)
    return sent


def same_answers(got: dict, expected: dict) -> bool:
    """Answers alike, whatever the order of a multiple choice's options."""

    def plain(answers):
        return {q: sorted(a) if isinstance(a, list) else a for q, a in answers.items()}

    return plain(got) == plain(expected)
