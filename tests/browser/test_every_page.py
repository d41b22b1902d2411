"""Every page each role can reach, checked with axe-core on a phone and on a desktop.

For each role the test signs in through the login form and crawls the app by its links,
breadth first from the home page: same-origin GET links only, never sign-out, language
switches or downloads. Each page is loaded at 360 px (a phone) and at 1280 px, audited
with ``assert_accessible``'s rules and saved as a full-page screenshot in
test-results/screens/<role>/<slug>-<width>.png. For the learner, two quiz states that no
link shows are audited and photographed too: the server's question before an incomplete
submission (<slug>-unanswered-<width>.png) and an answer waiting to be sent offline
(<slug>-answer-waiting-offline-<width>.png). Every serious or critical violation and
every server error is collected, and the test fails once, at the end, with all of them
(also written to test-results/a11y/<role>.txt).
"""

from __future__ import annotations

import re
import shutil
import time
from collections import deque
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from lms.catalog.models import Kursus, KursusPemilik
from lms.certificates.models import Sertifikat
from lms.core.time import local_today
from lms.extensions import db
from lms.progress import services as progress
from lms.quizzes import services as quizzes
from tests.browser.axe import audit
from tests.browser.conftest import set_offline, sign_in
from tests.conftest import NIPS, enter_development

pytestmark = pytest.mark.browser

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PAGE_LIMIT = 60  # pages per role
# Trainers and admins also have a course editor: its pages for every course; admins
# the organisation's pages too.
PAGE_LIMITS = {"trainer": 110, "admin": 170}
PER_SHAPE = 4  # pages per URL shape (/kompetensi/<code>, /kursus/<slug>/modul/<m>, ...)
WIDTHS = {
    360: dict(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="id-ID"),
    1280: dict(viewport={"width": 1280, "height": 900}, locale="id-ID"),
}
# Sign-out and the language switch are POST forms; the rest are downloads.
SKIP = re.compile(r"^/(keluar|bahasa|media/)|\.(pdf|csv|xlsx|zip|gift)$|/ekspor|/bukti$|[?&]lang=")
DRAFT = "kursus-draf"
# Boxes whose content is cut off or scrolls inside them (wide tables), and controls
# smaller than 24 x 24 px: reported, not failed (axe's target-size fails the cramped ones).
LAYOUT = """() => {
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "")
    + (el.closest("section[aria-labelledby]") ? " in section " + el.closest("section[aria-labelledby]").getAttribute("aria-labelledby") : "");
  const clipped = [];
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (el.clientWidth > 2 && el.scrollWidth > el.clientWidth + 2
        && ["auto", "scroll", "hidden"].includes(style.overflowX))
      clipped.push(name(el) + " shows " + el.clientWidth + " of " + el.scrollWidth + " px");
  }
  const small = [];
  for (const el of document.querySelectorAll("button, select, input:not([type=hidden]), nav a")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.height && (box.width < 24 || box.height < 24))
      small.push(name(el) + (el.type ? "[" + el.type + "]" : "") + ' "' + (el.textContent || el.name || "").trim().slice(0, 30)
        + '" ' + Math.round(box.width) + "x" + Math.round(box.height));
  }
  return {clipped, small};
}"""
# Pictures are loading="lazy": load them all before the full-page screenshot.
EAGER = """() => Promise.all([...document.images].map(img => {
  img.loading = "eager";
  return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; setTimeout(done, 3000); });
}))"""


def course(slug: str) -> Kursus:
    return db.session.scalar(db.select(Kursus).where(Kursus.slug == slug))


def answers_to(attempt, *, right: float = 1.0, wrong: float = 0.0) -> dict:
    """Answers to an attempt in its order: the first share right, the next share wrong,
    the rest left blank (so that a result page shows all three)."""
    questions = {q["id"]: q for q in attempt.version.questions}
    order = [questions[item["id"]] for item in attempt.layout]
    n_right, n_wrong = round(len(order) * right), round(len(order) * wrong)
    answers = {}
    for i, q in enumerate(order[: n_right + n_wrong]):
        good = i < n_right
        if q["type"] in ("single", "multiple"):
            ids = [o["id"] for o in q["options"] if o["correct"] == good]
            answers[q["id"]] = ids if q["type"] == "multiple" else ids[0]
        elif q["type"] == "truefalse":
            answers[q["id"]] = "true" if q["answer"] == good else "false"
        else:
            answers[q["id"]] = q["answers"][0] if good else "tidak tahu"
    return answers


@pytest.fixture
def content(users, shipped_courses, complete_course, make_course):
    """A little of everything, so that pages have something to show:
    - the learner: assigned "keamanan-informasi-kantor" by the supervisor, its quiz passed
      (a result with the answer keys) and the course completed (a certificate); a failed
      attempt at "nilai-dasar-berakhlak" with answers right, wrong and blank (a result
      without the keys, attempts left); an open timed attempt at "standar-pelayanan-publik";
      a development record waiting for the supervisor;
    - the other team member: an overdue assignment;
    - a draft course that only the trainer and the admin may preview."""
    learner, other, supervisor = users["learner"], users["other"], users["supervisor"]
    security, values, service = (
        course(s) for s in ("keamanan-informasi-kantor", "nilai-dasar-berakhlak", "standar-pelayanan-publik")
    )
    progress.assign(
        learner.pegawai_id,
        security,
        due_date=local_today() + timedelta(days=14),
        assigned_by_id=supervisor.pegawai_id,
    )
    db.session.commit()
    passed = quizzes.start_attempt(learner.pegawai_id, quizzes.quiz_for_course(security.id))
    outcome = quizzes.submit_attempt(passed, answers_to(passed))
    assert outcome.attempt.passed
    completion = complete_course(learner, security)

    progress.enrol(learner.pegawai_id, values)
    failed = quizzes.start_attempt(learner.pegawai_id, quizzes.quiz_for_course(values.id))
    outcome = quizzes.submit_attempt(failed, answers_to(failed, right=0.4, wrong=0.3))
    assert not outcome.attempt.passed  # failed, attempts left: what was right, not the keys

    progress.enrol(learner.pegawai_id, service)
    running = quizzes.start_attempt(learner.pegawai_id, quizzes.quiz_for_course(service.id))

    enter_development(learner.pegawai_id, commit=False)
    progress.assign(
        other.pegawai_id,
        values,
        due_date=local_today() - timedelta(days=3),
        assigned_by_id=supervisor.pegawai_id,
    )
    db.session.commit()
    draft = make_course(DRAFT, status="draft")
    # The trainer owns two shipped courses and the draft: his editor has pages to show.
    db.session.add_all(
        [
            KursusPemilik(kursus_id=k.id, pegawai_id=users["trainer"].pegawai_id)
            for k in (security, values, draft)
        ]
    )
    db.session.commit()

    code = db.session.scalar(db.select(Sertifikat.code).where(Sertifikat.completion_id == completion.id))
    assert code, "the completion has no certificate"
    # Screenshots are named by these rather than by the random attempt ids.
    aliases = {passed.id: "lulus-keamanan", failed.id: "gagal-berakhlak", running.id: "berjalan-pelayanan"}
    return {"certificate": code, "open_attempt": running.id, "aliases": aliases}


def seeds_for(role: str, content: dict) -> list[str]:
    """The home page, then pages that no link leads to (they are reported as such)."""
    extra = {
        "anonymous": [f"/verifikasi/{content['certificate']}", "/verifikasi"],
        "learner": ["/kursus/tidak-ada"],  # the 404 page, in the site layout
        "trainer": [f"/kursus/{DRAFT}"],
        "admin": ["/admin/sertifikat", "/admin/standar", f"/kursus/{DRAFT}"],
    }
    return ["/", *extra.get(role, [])]


def shape(path_and_query: str) -> tuple:
    path, _, query = path_and_query.partition("?")
    parts = [p for p in path.split("/") if p]
    keys = sorted({pair.split("=", 1)[0] for pair in query.split("&") if pair})
    # The editor's sections of a course (/ampu/<slug>/soal, /kuis, /hasil, …) and the
    # admin's pages (/admin/unit, /admin/pegawai, /admin/aktivasi, …) are pages of their
    # own kind; elsewhere the depth tells the kind.
    if len(parts) > 2 and parts[0] == "ampu":
        section = parts[2]
    elif len(parts) > 1 and parts[0] == "admin":
        section = parts[1]
    else:
        section = ""
    return (parts[0] if parts else "", len(parts), section, tuple(keys))


def slug_of(path_and_query: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path_and_query).strip("-")[:120] or "home"


def local(base: str, href: str) -> str | None:
    """The path and query of a same-origin link worth visiting, else None."""
    href = urldefrag(href).url
    parts = urlsplit(href)
    if f"{parts.scheme}://{parts.netloc}" != base:
        return None
    target = canonical(parts.path + (f"?{parts.query}" if parts.query else ""))
    return None if SKIP.search(target) else target


def canonical(path_and_query: str) -> str:
    """One spelling per page: /masuk?next=%2F and /masuk?next=/ are the same."""
    path, _, query = path_and_query.partition("?")
    query = urlencode(sorted(parse_qsl(query, keep_blank_values=True)), safe="/")
    return path + (f"?{query}" if query else "")


class Crawl:
    def __init__(self, chromium, base: str, role: str, aliases: dict[str, str] | None = None):
        self.chromium, self.base, self.role = chromium, base, role
        self.aliases = aliases or {}
        self.screens = RESULTS / "screens" / role
        shutil.rmtree(self.screens, ignore_errors=True)  # no pictures left from an older run
        self.screens.mkdir(parents=True)
        self.contexts, self.pages = [], {}
        for width, options in WIDTHS.items():
            context = chromium.new_context(**options)
            page = context.new_page()
            page.set_default_timeout(15_000)
            self.contexts.append(context)
            self.pages[width] = page
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.lesser: list[str] = []
        self.small: dict[str, list[str]] = {}  # control under 24x24 px at 360 -> pages
        self.audited: list[str] = []

    def sign_in(self, nip: str) -> None:
        for page in self.pages.values():
            sign_in(page, self.base, nip)

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def load(self, target: str, width: int) -> str | None:
        """Open a page at one width; returns where it landed (after redirects)."""
        try:
            response = self.pages[width].goto(self.base + target)
        except PlaywrightError as exc:
            self.failures.append(f"{target} @{width}: could not be loaded: {exc.message.splitlines()[0]}")
            return None
        if response is not None and response.status >= 500:
            self.failures.append(f"{target} @{width}: HTTP {response.status}")
        return canonical(self.pages[width].url.removeprefix(self.base))

    def audit(self, target: str, landed: str, width: int, *, page=None, state: str = "") -> None:
        """Check the page open at one width with axe, and photograph it. ``state`` names
        a page that a GET does not show (reached by a form, offline, …)."""
        page = page or self.pages[width]
        label = f"{landed} @{width}px" + (f" (from {target})" if landed != target else "")
        label += f" [{state}]" if state else ""
        failing, lesser = audit(page, label)
        self.failures.extend(failing)
        self.lesser.extend(lesser)
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        if wide > width:
            self.notes.append(f"{landed} @{width}px: the page is {wide} px wide (scrolls sideways)")
        layout = page.evaluate(LAYOUT)
        for box in sorted(set(layout["clipped"])):
            self.notes.append(f"{landed} @{width}px: cut off or scrolls inside: {box}")
        if width == 360:
            for control in set(layout["small"]):
                self.small.setdefault(control, []).append(landed)
        page.evaluate(EAGER)
        named = landed
        for random_id, alias in self.aliases.items():
            named = named.replace(random_id, alias)
        name = slug_of(named) + (f"-{slug_of(state)}" if state else "")
        page.screenshot(path=str(self.screens / f"{name}-{width}.png"), full_page=True)

    def links(self) -> list[str]:
        hrefs = self.pages[1280].eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        return [t for t in (local(self.base, h) for h in hrefs) if t]

    def run(self, seeds: list[str]) -> None:
        queue, queued = deque(seeds), set(seeds)
        landed_on: set[str] = set()
        per_shape: dict[tuple, int] = {}
        linked: set[str] = {"/"}
        limit = PAGE_LIMITS.get(self.role, PAGE_LIMIT)
        while queue and len(self.audited) < limit:
            target = queue.popleft()
            landed = self.load(target, 1280)
            if landed is None or landed in landed_on:
                continue  # a redirect to a page already seen
            landed_on.add(landed)
            self.audit(target, landed, 1280)
            if self.load(target, 360) is not None:
                self.audit(target, landed, 360)
            self.audited.append(landed)
            for link in self.links():
                if link != landed:
                    linked.add(link)
                key = shape(link)
                if link in queued or per_shape.get(key, 0) >= PER_SHAPE:
                    continue
                per_shape[key] = per_shape.get(key, 0) + 1
                queued.add(link)
                queue.append(link)
        for seed in seeds:
            if seed not in linked:
                self.notes.append(f"{seed}: no link leads here (audited as a seed)")
        for control, pages in sorted(self.small.items()):
            self.notes.append(f"under 24x24 px at 360: {control} on {len(pages)} pages, e.g. {pages[0]}")
        if queue:
            self.notes.append(f"stopped at {limit} pages; not visited: {', '.join(queue)}")

    def states(self, attempt_id: str, nip: str) -> None:
        """The quiz pages that no link shows: the server's question before an incomplete
        submission (as without quiz.js: axe needs JavaScript, so the script is blocked
        rather than JavaScript turned off) and the status line with an answer waiting to
        be sent (offline)."""
        target = f"/percobaan/{attempt_id}"
        for width, options in WIDTHS.items():
            context = self.chromium.new_context(**options)
            try:
                page = context.new_page()
                page.set_default_timeout(15_000)
                sign_in(page, self.base, nip)
                page.goto(self.base + target)
                expect(page.locator("#save-state")).not_to_be_empty()
                set_offline(context, True)
                page.locator("fieldset.question input[type=radio]").first.check()
                expect(page.locator("#save-state")).to_contain_text("menunggu dikirim")
                self.audit(target, target, width, page=page, state="answer waiting offline")
                page.goto("about:blank")  # leave it waiting: not sent, the attempt stays empty
                set_offline(context, False)

                page.route("**/quiz.js*", lambda route: route.abort())
                page.goto(self.base + target)
                page.click("button[value=submit]")
                expect(page.locator("section.confirm")).to_be_visible()
                self.audit(target, target, width, page=page, state="unanswered")
            finally:
                context.close()


@pytest.mark.parametrize("role", ["anonymous", "learner", "supervisor", "trainer", "admin"])
def test_every_page_is_accessible(role, live_server, chromium, content):
    started = time.monotonic()
    crawl = Crawl(chromium, live_server, role, content["aliases"])
    try:
        if role != "anonymous":
            crawl.sign_in(NIPS[role])
        crawl.run(seeds_for(role, content))
        if role == "learner":
            crawl.states(content["open_attempt"], NIPS[role])
    finally:
        crawl.close()

    report = [
        f"{role}: {len(crawl.audited)} pages at 360 and 1280 px in {time.monotonic() - started:.0f} s",
        *(f"  page {p}" for p in crawl.audited),
        *(f"  note {n}" for n in crawl.notes),
        *(f"  minor {n}" for n in crawl.lesser),
        *crawl.failures,
    ]
    (RESULTS / "a11y").mkdir(parents=True, exist_ok=True)
    (RESULTS / "a11y" / f"{role}.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report[: len(report) - len(crawl.failures)]))
    assert len(crawl.audited) > (1 if role == "anonymous" else 5), "the crawl found almost nothing"
    assert not crawl.failures, f"{len(crawl.failures)} problems on {role}'s pages:\n" + "\n".join(
        crawl.failures
    )
