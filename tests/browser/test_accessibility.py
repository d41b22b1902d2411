"""Basic accessibility on the learner pages, checked in the browser: a language, one h1,
a label for every control, alt text on every picture, a visible focus ring, and a skip
link that keyboard users reach first."""

import pytest

from tests.browser.conftest import sign_in, start_quiz, wait_until
from tests.conftest import NIPS, PASSWORD

pytestmark = pytest.mark.browser

AUDIT = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(h1 + " h1 elements");
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.closest("label");
    if (!named) problems.push("unlabelled " + el.outerHTML.slice(0, 80));
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("img without alt " + img.src);
  }
  for (const b of document.querySelectorAll("button, a[href]")) {
    if (!b.textContent.trim() && !b.getAttribute("aria-label")) problems.push("empty control " + b.outerHTML.slice(0, 80));
  }
  return problems;
}"""


def test_learner_pages_pass_the_basic_audit(live_server, phone, users, shipped_courses):
    page = phone
    page.goto(f"{live_server}/masuk")
    assert page.evaluate(AUDIT) == []
    sign_in(page, live_server, NIPS["learner"])
    start_quiz(page, live_server, "nilai-dasar-berakhlak")
    attempt = page.url
    for path in (
        "/",
        "/katalog",
        "/kursus/nilai-dasar-berakhlak",
        "/kursus/nilai-dasar-berakhlak/modul/mengenal-berakhlak",
        "/kursus/nilai-dasar-berakhlak/kuis",
    ):
        page.goto(f"{live_server}{path}")
        assert page.evaluate(AUDIT) == [], path
    page.goto(attempt)
    assert page.evaluate(AUDIT) == []


def test_keyboard_users_get_the_skip_link_first_and_see_focus(live_server, phone, users):
    page = phone
    page.goto(f"{live_server}/masuk")
    # The sign-in form is ready to type in; browsers apply autofocus once the page has been
    # rendered, a moment after it loaded.
    wait_until(lambda: page.evaluate("document.activeElement.id") == "nip", "the NIP field has the focus")
    page.fill("#nip", NIPS["learner"])
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-999px"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
