"""In a real browser, an agency goes live: the admin makes a course mandatory for a unit,
imports a small workbook of new employees into it, and prints their activation codes;
one of them activates the account on a 360 px phone and finds the course the rule
assigned, with its due date. axe-core checks every page on the way."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Kursus
from lms.extensions import db
from lms.org.models import Pegawai
from lms.progress.models import Enrolment
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in
from tests.browser.test_learner_journey import no_horizontal_scroll
from tests.conftest import NIPS

pytestmark = pytest.mark.browser
SLUG = "keamanan-informasi-kantor"
TITLE = "Keamanan Informasi di Kantor"
NEWCOMERS = [
    # NIP as people type it (grouped), name, status, golongan
    ("19950817 202203 2 004", "Yohana Bele", "PNS", "III/a"),
    ("199608222023211007", "Marselinus Kase", "PPPK", "VII"),
]
NEW_PASSWORD = "pulau-alor-2026"
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens" / "going-live"


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def workbook(unit_kode: str) -> bytes:
    """The employees sheet as an agency fills it in: NIPs typed as text."""
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["NIP", "Nama", "Status ASN", "Golongan", "Kode Jabatan", "Kode Unit", "NIP Atasan", "Email"]
    )
    for nip, nama, status, golongan in NEWCOMERS:
        sheet.append([nip, nama, status, golongan, "APT", unit_kode, NIPS["supervisor"], None])
    for row in sheet.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def check(page, name: str) -> None:
    assert_accessible(page, name)
    shot(page, name)


def test_an_admin_takes_a_unit_live_and_a_newcomer_activates_on_a_phone(
    live_server, desktop, phone, users, unit, shipped_courses
):
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == SLUG))
    base = live_server

    # 1. The course becomes mandatory for the unit, within 30 days of joining it.
    sign_in(desktop, base, NIPS["admin"])
    desktop.click("nav >> text=Admin")
    check(desktop, "admin")
    desktop.click("a[href$='/admin/aturan-wajib/']")
    desktop.click("a[href$='/admin/aturan-wajib/baru']")
    desktop.fill("#nama", "Keamanan informasi untuk pegawai baru")
    desktop.select_option("#kursus", str(kursus.id))
    desktop.select_option("#unit", str(unit.id))
    desktop.check("input[name=due_kind][value=days]")
    desktop.fill("#due_days", "30")
    desktop.click("#preview")
    assert re.search(r"\d", desktop.inner_text("#reach-title"))
    check(desktop, "rule-preview")
    desktop.click("#save")
    desktop.wait_for_url(re.compile(r"/admin/aturan-wajib/"))

    # 2. The workbook of newcomers: checked first, then imported.
    desktop.goto(f"{base}/admin/impor")
    desktop.check("input[name=kind][value=pegawai]")
    desktop.set_input_files(
        "#file",
        files=[
            {
                "name": "pegawai-baru.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": workbook(unit.kode),
            }
        ],
    )
    desktop.click("form[enctype='multipart/form-data'] button.primary")
    check(desktop, "import-preview")
    assert "Yohana Bele" in desktop.content()
    desktop.click("form[action*='/admin/impor/'] button.primary")
    desktop.wait_for_load_state()
    check(desktop, "import-done")
    newcomer = db.session.scalar(select(Pegawai).where(Pegawai.nip == "199508172022032004"))
    db.session.refresh(newcomer)
    assert newcomer.unit_id == unit.id and newcomer.atasan.nip == NIPS["supervisor"]
    assert db.session.scalar(select(User).where(User.pegawai_id == newcomer.id)) is None  # no password yet
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.pegawai_id == newcomer.id, Enrolment.kursus_id == kursus.id)
    )
    assert enrolment is not None and enrolment.source == "mandatory" and enrolment.due_date is not None

    # 3. Their activation codes, on a sheet to hand out.
    desktop.goto(f"{base}/admin/aktivasi")
    check(desktop, "codes-form")
    desktop.fill("#nips", "\n".join(nip for nip, *_ in NEWCOMERS))
    desktop.click("form button.primary")
    desktop.wait_for_selector(".slip")
    check(desktop, "codes-sheet")
    slip = desktop.locator(".slip", has_text="Yohana Bele")
    code = slip.locator(".act-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", code)

    # 4. On a phone: activate with NIP and code, choose a password, land at home.
    phone.goto(f"{base}/masuk")
    phone.click("a[href$='/aktivasi']")
    check(phone, "activate")
    no_horizontal_scroll(phone)
    phone.fill("#nip", "19950817 202203 2 004")
    phone.fill("#code", code.lower().replace("-", " "))
    phone.fill("#password", NEW_PASSWORD)
    phone.fill("#confirm_password", NEW_PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url(f"{base}/")
    check(phone, "home-after-activation")
    no_horizontal_scroll(phone)
    card = phone.locator(".card.course", has_text=TITLE)
    assert card.count() == 1
    assert "Wajib" in card.inner_text() and "Tenggat" in card.inner_text()

    # The code worked once: the same code again is refused, the password signs in.
    phone.context.clear_cookies()
    phone.goto(f"{base}/aktivasi")
    phone.fill("#nip", "199508172022032004")
    phone.fill("#code", code)
    phone.fill("#password", "another-password-9")
    phone.fill("#confirm_password", "another-password-9")
    phone.click("button.primary")
    assert phone.locator(".error, .flash-error").count() >= 1
    phone.goto(f"{base}/masuk")
    phone.fill("#nip", "199508172022032004")
    phone.fill("#password", NEW_PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url(f"{base}/")
