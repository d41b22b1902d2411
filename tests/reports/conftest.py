"""Fixtures and helpers for the supervisor's and the admin's views.

People are inserted as rows (``add_people``) when a test needs many of them; pages are
read back with a small table parser, so a test can say "Peserta Uji has 1 overdue"
instead of searching the HTML for digits.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from config import TestingConfig
from lms.core.time import utcnow
from lms.extensions import db

# --- wording --------------------------------------------------------------------------


@pytest.fixture
def english(auth):
    """Read the pages in English: the wording asserted is the source text, which does
    not change when the Indonesian translation is edited."""
    assert auth.post("/bahasa", {"lang": "en"}).status_code == 302


# --- counting queries -----------------------------------------------------------------


from tests.conftest import count_queries  # noqa: E402,F401 - shared with tests/progress

# --- people ---------------------------------------------------------------------------


def nip_for(serial: int, *, sex: int = 1) -> str:
    """A well-formed PNS NIP; the birth day moves on every thousand serials."""
    day = 1 + serial // 1000
    return f"199001{day:02d}201503{sex}{serial % 1000:03d}"


@pytest.fixture
def add_people(unit):
    """Insert employees as rows in one statement; returns their ids in the given order.

    ``names`` may be a count (names are then "Anggota 001", ...) or a list of names.
    """
    from lms.org.models import Pegawai

    counter = {"next": 500}

    def add(names, *, atasan_id=None, unit_id=None, jabatan_id=None, aktif=True) -> list[int]:
        if isinstance(names, int):
            names = [f"Anggota {counter['next'] + i:04d}" for i in range(names)]
        rows = []
        for name in names:
            rows.append(
                {
                    "nip": nip_for(counter["next"]),
                    "nama": name,
                    "status_asn": "PNS",
                    "golongan": "III/b",
                    "unit_id": unit_id or unit.id,
                    "jabatan_id": jabatan_id,
                    "atasan_id": atasan_id,
                    "aktif": aktif,
                    "created_at": utcnow(),
                }
            )
            counter["next"] += 1
        if not rows:
            return []
        db.session.execute(Pegawai.__table__.insert(), rows)
        db.session.commit()
        by_nip = dict(
            db.session.execute(
                select(Pegawai.nip, Pegawai.id).where(Pegawai.nip.in_([r["nip"] for r in rows]))
            ).all()
        )
        return [by_nip[r["nip"]] for r in rows]

    return add


@pytest.fixture
def apt(unit):
    """The position the ``unit`` fixture creates (Apoteker)."""
    from lms.org.models import Jabatan

    return db.session.scalar(select(Jabatan).where(Jabatan.kode == "APT"))


@pytest.fixture
def courses(make_course):
    """Four published courses (titles "Kursus Uji kursus-a" ...), each building M.01 to 2."""
    return SimpleNamespace(
        a=make_course("kursus-a", jp=3),
        b=make_course("kursus-b", jp=5),
        c=make_course("kursus-c", jp=4),
        d=make_course("kursus-d", jp=7),
    )


@pytest.fixture
def make_unit(ctx):
    from lms.org.models import UnitKerja

    def make(kode: str, nama: str, parent=None, jenis: str = "upt") -> UnitKerja:
        made = UnitKerja(kode=kode, nama=nama, jenis=jenis, parent_id=parent.id if parent else None)
        db.session.add(made)
        db.session.commit()
        return made

    return make


@pytest.fixture
def make_jabatan(ctx):
    from lms.org.models import Jabatan

    def make(kode: str, nama: str) -> Jabatan:
        made = Jabatan(kode=kode, nama=nama, jenis="fungsional")
        db.session.add(made)
        db.session.commit()
        return made

    return make


def pegawai_id(who) -> int:
    return who.pegawai_id if hasattr(who, "pegawai_id") else who


@pytest.fixture
def enrol(ctx):
    """An enrolment row written directly: assignments with past due dates, or enrolments
    dated in another period, which the services rightly refuse to create."""
    from lms.progress.models import Enrolment

    def make(who, kursus, *, due: date | None = None, source: str = "assigned", when: datetime | None = None):
        enrolment = Enrolment(
            pegawai_id=pegawai_id(who),
            kursus_id=kursus.id,
            source=source,
            due_date=due,
            enrolled_at=when or utcnow(),
        )
        db.session.add(enrolment)
        db.session.commit()
        return enrolment

    return make


@pytest.fixture
def development(ctx):
    """A development record done outside the LMS (verified unless told otherwise)."""
    from lms.progress.models import Pengembangan

    def make(who, jp: int, *, status: str = "verified", day: date | None = None):
        day = day or local_today()
        record = Pengembangan(
            pegawai_id=pegawai_id(who),
            jenis="pelatihan",
            judul=f"Pelatihan {jp} JP",
            penyelenggara="BPSDM",
            tanggal_mulai=day,
            tanggal_selesai=day,
            jp=jp,
            status=status,
        )
        db.session.add(record)
        db.session.commit()
        return record

    return make


def local_today() -> date:
    """Today in the agency's zone, without an app context (usable in parametrize lists)."""
    return datetime.now(ZoneInfo(TestingConfig.BABEL_DEFAULT_TIMEZONE)).date()


def days_from_today(n: int) -> date:
    return local_today() + timedelta(days=n)


# --- reading pages back -----------------------------------------------------------------


class _Tables(HTMLParser):
    """Every <table> on a page as (class attribute, rows of cell texts)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((dict(attrs).get("class") or "", []))
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> list[tuple[str, list[list[str]]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table(html: str, css_class: str) -> list[list[str]]:
    """Rows (header first) of the first table whose class list holds ``css_class``."""
    for classes, rows in tables(html):
        if css_class in classes.split():
            return rows
    return []


WHO_RE = re.compile(r"^(?P<nama>.*?) (?P<nip>\d{18}) · (?P<jabatan>.*?) · (?P<unit>.*)$")
# A gap reads "M.01 Integritas 2→3": the code, its name, current → required.
GAP_RE = re.compile(r"([A-Z]{1,3}\.[A-Z0-9.-]+) .*?(\d)→(\d)")


def team_rows(response) -> dict[str, dict]:
    """The people on a /tim page, by name, with their figures as numbers."""
    assert response.status_code == 200, response.status_code
    rows = table(response.get_data(as_text=True), "team")
    people = {}
    for cells in rows[1:]:
        _pick, who, assigned, completed, overdue, own, jp, gaps = cells
        found = WHO_RE.match(who)
        assert found, who
        people[found["nama"]] = {
            "nip": found["nip"],
            "jabatan": found["jabatan"],
            "unit": found["unit"],
            "assigned": int(assigned),
            "completed": int(completed),
            "overdue": int(overdue),
            "self_completed": int(own),
            "jp": int(jp),
            "gaps": [(code, int(now), int(need)) for code, now, need in GAP_RE.findall(gaps)],
        }
    return people


def course_rows(response) -> dict[str, list[str]]:
    """The per-course summary on /tim, by course title: [enrolled, completed, rate, average, overdue]."""
    html = response.get_data(as_text=True)
    summary = [
        rows for classes, rows in tables(html) if "table" in classes.split() and "team" not in classes.split()
    ]
    assert summary, "no per-course table on the page"
    return {cells[0]: cells[1:] for cells in summary[0][1:]}


def monitoring_rows(response) -> list[list[str]]:
    """The rows under the header of the /monev table; "66.7% (2/3)" reads "66.7% 2/3"."""
    assert response.status_code == 200, response.status_code
    rows = table(response.get_data(as_text=True), "table")
    return [[row[0]] + [" ".join(re.sub(r"[()]", " ", cell).split()) for cell in row[1:]] for row in rows[1:]]


def flashes(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [
        " ".join(re.sub(r"<[^>]+>", "", text).split())
        for text in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)
    ]


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV export, read the way a spreadsheet set up for its language reads
    it: ";" for Indonesian, "," for English (the header tells which)."""
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 byte-order mark"
    text = body[3:].decode("utf-8")
    delimiter = ";" if '";"' in text.split("\r\n", 1)[0] else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def workbook(response):
    return load_workbook(io.BytesIO(response.get_data()))


def sheet_rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]
