"""A live server and a headless Chromium (Debian's, driven by Playwright) for journey tests."""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

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
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
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


def start_quiz(page, base: str, slug: str) -> str:
    """Enrol in a course and start its quiz; returns the attempt id."""
    page.goto(f"{base}/kursus/{slug}")
    page.click("button:has-text('Ikuti dan mulai')")
    page.goto(f"{base}/kursus/{slug}/kuis")
    page.click("form[action$='/kuis/mulai'] button")
    page.wait_for_url("**/percobaan/**")
    return page.url.rsplit("/", 1)[-1]


def wait_until(check, what: str, timeout: float = 10.0, every: float = 0.1):
    """Poll ``check`` from Python until it returns something true (the CSP blocks
    predicates evaluated in the page, so ``wait_for_function`` cannot be used)."""
    import time

    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting until {what}")
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
