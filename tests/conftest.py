"""Shared fixtures: ``app``, ``client``, ``auth`` and small factories for people and courses.

Tests run against PostgreSQL when TEST_DATABASE_URL is set (and fail if it cannot be
reached), otherwise against a SQLite file. The schema is built once by the migrations;
every test starts from empty tables.
"""

from __future__ import annotations

import os
import re
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from config import TestingConfig
from lms import create_app
from lms.extensions import db
from tests.mail import smtp_server  # noqa: F401 - a fixture for every test module

PASSWORD = "rahasia123"
KURSUS_ROOT = str(Path(__file__).resolve().parent.parent / "kursus")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means the run cannot be trusted
        pytest.exit(f"TEST_DATABASE_URL is set but the database is unreachable: {exc}", returncode=3)
    return url


def _reset_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    import flask_migrate

    _reset_schema(database_url)
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        STORAGE_LOCAL_ROOT=str(tmp_path_factory.mktemp("storage")),
    )
    with app.app_context():
        flask_migrate.upgrade()
        seed_dictionary()
    return app


DICTIONARY_FILES = ("kamus-nasional.toml", "teknis-dinkes-ntt.toml")
# Reference data loaded once per session and kept between tests, as in a real install.
KEPT_TABLES = {"kompetensi"}


def seed_dictionary() -> None:
    from lms.competencies.services import DATA_DIR, import_dictionary

    import_dictionary([DATA_DIR / name for name in DICTIONARY_FILES])
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()


@contextmanager
def count_queries():
    """Collects the SQL statements run inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


class Client(FlaskClient):
    """Each request runs in its own app context, as in production: fresh ``g``, its own
    database session. Afterwards the test's session forgets what it had loaded, so it
    sees what the request wrote."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app, ctx):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


class Auth:
    """Signs a test client in and out, and posts forms with a real CSRF token."""

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/masuk") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def login(self, nip: str, password: str = PASSWORD, **extra):
        token = self.token("/masuk")
        return self.client.post(
            "/masuk", data={"csrf_token": token, "nip": nip, "password": password, **extra}
        )

    def logout(self):
        return self.post("/keluar")

    def post(self, path: str, data: dict | None = None, **kwargs):
        token = self.token("/" if self._signed_in() else "/masuk")
        return self.client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)

    def post_json(self, path: str, payload: dict):
        token = self.token("/")
        return self.client.post(path, json=payload, headers={"X-CSRFToken": token})

    def _signed_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session


@pytest.fixture
def auth(client):
    return Auth(client)


# --- people ---------------------------------------------------------------------------

NIPS = {
    "learner": "199203152019032001",
    "other": "199112052017082001",
    "supervisor": "198005122005011003",
    "trainer": "198711202012122002",
    "admin": "197906152003121001",
}


@pytest.fixture
def unit(ctx):
    from lms.org.models import Jabatan, UnitKerja

    unit = UnitKerja(kode="UPT-X", nama="UPT Uji", jenis="upt")
    db.session.add_all([unit, Jabatan(kode="APT", nama="Apoteker", jenis="fungsional")])
    db.session.commit()
    return unit


@pytest.fixture
def make_user(unit):
    from lms.accounts.services import create_user
    from lms.org.models import Pegawai

    def make(nip: str, nama: str = "Pegawai Uji", atasan=None, **roles):
        pegawai = Pegawai(
            nip=nip,
            nama=nama,
            status_asn="PNS",
            golongan="III/a",
            unit_id=unit.id,
            atasan_id=atasan.pegawai_id if atasan else None,
        )
        db.session.add(pegawai)
        user = create_user(pegawai, PASSWORD, **roles)
        db.session.commit()
        return user

    return make


@pytest.fixture
def users(make_user):
    supervisor = make_user(NIPS["supervisor"], "Atasan Uji")
    return {
        "supervisor": supervisor,
        "learner": make_user(NIPS["learner"], "Peserta Uji", atasan=supervisor),
        "other": make_user(NIPS["other"], "Peserta Lain", atasan=supervisor),
        "trainer": make_user(NIPS["trainer"], "Pengajar Uji", is_pengajar=True),
        "admin": make_user(NIPS["admin"], "Admin Uji", is_admin=True),
    }


@pytest.fixture
def login_as(auth, users):
    def login(who: str):
        response = auth.login(NIPS[who])
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return users[who]

    return login


# --- courses --------------------------------------------------------------------------

QUIZ_TOML = """\
title = "Kuis Uji"
pass_mark = 75
max_attempts = {max_attempts}
time_limit_minutes = {time_limit}
shuffle_questions = true
shuffle_options = true
feedback = "{feedback}"

[[questions]]
id = "q1"
type = "single"
text = "Ibu kota Provinsi NTT?"
feedback = "Kupang adalah ibu kota NTT."
[[questions.options]]
text = "Kupang"
correct = true
feedback = "Benar."
[[questions.options]]
text = "Ende"
correct = false
feedback = "Ende ada di Flores."

[[questions]]
id = "q2"
type = "multiple"
text = "Mana yang nilai BerAKHLAK?"
[[questions.options]]
text = "Akuntabel"
correct = true
[[questions.options]]
text = "Adaptif"
correct = true
[[questions.options]]
text = "Birokratis"
correct = false

[[questions]]
id = "q3"
type = "truefalse"
text = "PPPK termasuk ASN."
answer = true

[[questions]]
id = "q4"
type = "short"
text = "Singkatan jam pelajaran?"
answers = ["JP", "J.P."]
"""

# Answers to QUIZ_TOML with options named by where they are written: "a" is the first
# option in the file. Stored option ids are random; `real_answers` turns these into them.
CORRECT_ANSWERS = {"q1": "a", "q2": ["a", "b"], "q3": "true", "q4": "jp"}
WRONG_ANSWERS = {"q1": "b", "q2": ["a"], "q3": "false", "q4": "jam"}


def real_answers(attempt_id: str, answers: dict) -> dict:
    """``answers`` written with letters for the options' places in the file, as the option
    ids of the attempt's quiz version."""
    from lms.quizzes.models import Attempt

    attempt = db.session.get(Attempt, attempt_id)
    questions = {q["id"]: q for q in attempt.version.questions}

    def one(qid, value):
        options = [o["id"] for o in questions[qid].get("options", [])] if qid in questions else []
        places = dict(zip("abcdefgh", options, strict=False))
        if isinstance(value, list):
            return [places.get(v, v) for v in value]
        return places.get(value, value) if options else value

    return {qid: one(qid, value) for qid, value in answers.items()}


def answer_form(attempt_id: str, answers: dict, **extra) -> dict:
    """The quiz form as a browser sends it, for answers written as in CORRECT_ANSWERS."""
    return {**{f"q-{qid}": value for qid, value in real_answers(attempt_id, answers).items()}, **extra}


def write_course(
    root: Path,
    slug: str = "kursus-uji",
    *,
    status: str = "published",
    quiz: bool = True,
    max_attempts: int = 2,
    time_limit: int = 0,
    feedback: str = "keys",
    jp: int = 3,
) -> Path:
    folder = root / slug
    (folder / "media").mkdir(parents=True, exist_ok=True)
    (folder / "kursus.toml").write_text(
        textwrap.dedent(f"""\
        title = "Kursus Uji {slug}"
        summary = "Ringkasan."
        description = "Deskripsi **tebal**."
        jp = {jp}
        status = "{status}"
        [[competencies]]
        code = "M.01"
        level = 2
        """),
        encoding="utf-8",
    )
    (folder / "01-pembuka.md").write_text(
        "# Pembuka\n\nTeks pembuka.\n\n![Diagram](media/gambar.svg){width=320 height=160}\n", encoding="utf-8"
    )
    (folder / "02-penutup.md").write_text(
        "# Penutup\n\n## Rangkuman\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", encoding="utf-8"
    )
    (folder / "media" / "gambar.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 160"><rect width="320" height="160"/></svg>'
    )
    if quiz:
        (folder / "kuis.toml").write_text(
            QUIZ_TOML.format(max_attempts=max_attempts, time_limit=time_limit, feedback=feedback),
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def course_root(tmp_path):
    return tmp_path / "kursus"


@pytest.fixture
def make_course(ctx, course_root):
    from lms.catalog.importer import import_courses
    from lms.catalog.models import Kursus

    def make(slug: str = "kursus-uji", **options) -> Kursus:
        folder = write_course(course_root, slug, **options)
        import_courses([folder])
        db.session.commit()
        return db.session.scalar(db.select(Kursus).where(Kursus.slug == slug))

    return make


@pytest.fixture
def course(make_course):
    return make_course()


@pytest.fixture
def complete_course(ctx):
    """Record a course completion as the progress domain does (row + signal), without
    clicking through modules and quiz: for tests about what a completion leads to."""
    from datetime import datetime

    from lms import signals
    from lms.core.time import utcnow
    from lms.progress.models import CourseCompletion, Enrolment
    from lms.progress.services import enrolment_for

    def complete(user, kursus, *, score: float | None = 90.0, when: datetime | None = None):
        pegawai_id = user.pegawai_id if hasattr(user, "pegawai_id") else user.id
        if enrolment_for(pegawai_id, kursus.id) is None:
            db.session.add(Enrolment(pegawai_id=pegawai_id, kursus_id=kursus.id, source="self"))
        completion = CourseCompletion(
            pegawai_id=pegawai_id,
            kursus_id=kursus.id,
            kursus_version=kursus.version,
            jp=kursus.jp,
            score=score,
            completed_at=when or utcnow(),
        )
        db.session.add(completion)
        db.session.flush()
        signals.course_completed.send("tests", completion=completion)
        db.session.commit()
        return completion

    return complete


# --- development records ------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def enter_development(
    pegawai_id: int, *, kompetensi: tuple[str, int] | None = None, ended: int = 8, jp: int = 24, commit=True
):
    """A development record with a PDF, waiting for verification, entered through the
    service as the form does."""
    from datetime import timedelta

    from lms.competencies.services import known_codes
    from lms.core.time import local_today
    from lms.progress import development

    code, level = kompetensi or ("", None)
    record = development.create(
        pegawai_id,
        development.DevelopmentInput(
            jenis="pelatihan",
            judul="Pelatihan Pengelolaan Obat",
            penyelenggara="Bapelkes Kupang",
            tanggal_mulai=local_today() - timedelta(days=ended + 2),
            tanggal_selesai=local_today() - timedelta(days=ended),
            jp=jp,
            kompetensi_code=code,
            kompetensi_level=level,
        ),
        development.EvidenceFile("sertifikat.pdf", PDF),
        known_codes(),
    )
    if commit:
        db.session.commit()
    return record
