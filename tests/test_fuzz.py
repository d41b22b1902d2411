"""Junk into every form, every query parameter and the quiz's autosave: never a 5xx.

Nothing here lists the forms. For each role the test signs in (a learner enrolled in a
published course with an open quiz attempt and a development record waiting; the
learner's supervisor, who has that record to verify; an admin; a trainer; nobody), crawls
the pages the role reaches from "/" by same-origin links, and reads every <form> with the
standard library's HTML parser: action, method, and the fields with their own values.
Hypothesis then sends each form back with, field by field, one of its own values or junk
(huge strings, control characters, digits that are not ASCII, numbers no column holds,
dates no calendar has, repeated keys, missing and unknown fields, injection and traversal
strings, emoji, lone surrogates, line breaks; for file inputs random bytes under odd
names), always with the page's CSRF token unless the example is about a missing or forged
one. GET forms become query strings; every page's query parameters and the autosave's
JSON are fuzzed the same way.

Each request must answer below 500. A write the app took (below 400) is followed by the
pages that show what it stored: where it redirected, the form's own page, and one page of
any role; junk kept is junk shown. Before each example the things the forms act on are
put back (an open attempt, a pending record, ...), so every form keeps meaning something.

The server errors the fuzzing once found are kept at the end of this file as exact
requests, so they stay fixed. FUZZ_SCALE=10 runs ten times the examples, for a longer hunt.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urldefrag, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import NIPS, PASSWORD, csrf_from, enter_development, write_course

ROLES = ("learner", "supervisor", "admin", "trainer", "anonymous")
PAGES_PER_ROLE = 40
PER_SHAPE = 3  # pages per URL shape: three of /kursus/<slug>/modul/<m> are enough
DEPTH = 3
# Sign-out ends the role's session (every device, for keluar-semua); the rest are files.
SKIP_LINK = re.compile(r"^/(keluar|akun/keluar-semua|media/|static/)|\.(pdf|csv|xlsx)$|/bukti$")
DOWNLOAD = re.compile(r"/ekspor\.(csv|xlsx)$")
SIGN_OUT = re.compile(r"^/(keluar|akun/keluar-semua)$")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
HOST = "http://localhost"

# About 45 s for the file on 2 cores with PostgreSQL (35 s on SQLite); FUZZ_SCALE=10 hunts longer.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- reading forms and links ------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, select, radio, checkbox, textarea, file, button, date, ...
    values: list[str] = field(default_factory=list)


@dataclass
class Form:
    role: str
    page: str
    method: str
    action: str  # path and query, as the browser would send it
    multipart: bool
    fields: dict[str, Field]
    csrf: str | None

    @property
    def label(self) -> str:
        return f"{self.role} {self.method} {self.action} ({', '.join(self.fields)})"


class PageParser(HTMLParser):
    """The <form>s of a page with their fields, and its links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: Field | None = None
        self._option: dict | None = None
        self._textarea: Field | None = None

    def _add(self, name: str | None, kind: str, value: str | None) -> Field | None:
        if self._form is None or not name:
            return None
        fields = self._form["fields"]
        found = fields.setdefault(name, Field(name, kind))
        if value is not None and value not in found.values:
            found.values.append(value)
        return found

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {
                "method": (a.get("method") or "get").upper(),
                "action": a.get("action"),
                "enctype": a.get("enctype", ""),
                "fields": {},
            }
            self.forms.append(self._form)
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image", "reset") and not a.get("name"):
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self._add(a.get("name"), kind, a.get("value", default))
        elif tag == "button":
            if (a.get("type") or "submit").lower() == "submit":
                self._add(a.get("name"), "button", a.get("value", ""))
        elif tag == "select":
            self._select = self._add(a.get("name"), "select", None)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": ""}
        elif tag == "textarea":
            self._textarea = self._add(a.get("name"), "textarea", None)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea.values.append(data)

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"]
            value = self._option["text"].strip() if value is None else value
            if value not in self._select.values:
                self._select.values.append(value)
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and not self._textarea.values:
                self._textarea.values.append("")
            self._textarea = None
        elif tag == "form":
            self._form = None


def local(page: str, href: str) -> str | None:
    """The path and query of a link on this site, else None."""
    target = urlsplit(urldefrag(urljoin(HOST + page, href)).url)
    if f"{target.scheme}://{target.netloc}" != HOST:
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def shape(target: str) -> tuple:
    path, _, query = target.partition("?")
    parts = [p for p in path.split("/") if p]
    return (parts[0] if parts else "", len(parts), tuple(sorted({k for k, _v in parse_qsl(query)})))


# --- the site -------------------------------------------------------------------------


@dataclass
class Failure:
    role: str
    method: str
    path: str
    sent: object
    status: int | str
    cause: str

    def __str__(self) -> str:
        sent = repr(self.sent)
        sent = sent if len(sent) < 3000 else sent[:3000] + f"… ({len(sent)} characters)"
        return f"{self.role} {self.method} {self.path} -> {self.status}\nsent: {sent}\ncause:\n{self.cause}"


@dataclass
class Outcome:
    response: object | None
    failure: Failure | None


class Traces(logging.Handler):
    """The tracebacks the app logs for its 500s (lms.core.errors logs every unhandled one)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def text(self) -> str:
        out = []
        for r in self.records:
            out.append(r.getMessage())
            if r.exc_info:
                out.append("".join(traceback.format_exception(*r.exc_info)))
        return "\n".join(out)


def surrogate_safe(text: str) -> bytes:
    """UTF-8, with lone surrogates written as the (invalid) bytes a broken client sends."""
    return text.encode("utf-8", "surrogatepass")


def urlencoded(pairs: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote(surrogate_safe(k), safe='')}={quote(surrogate_safe(v), safe='')}" for k, v in pairs
    )


def _header_safe(text: str) -> bytes:
    # What browsers do with these in multipart names and file names (HTML's form encoding).
    return surrogate_safe(text).replace(b'"', b"%22").replace(b"\r", b"%0D").replace(b"\n", b"%0A")


def multipart(pairs: list[tuple[str, str]], files: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    boundary = "----fuzz" + secrets.token_hex(12)
    out = []
    for name, value in pairs:
        out.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
            % (boundary.encode(), _header_safe(name), surrogate_safe(value))
        )
    for name, filename, data in files:
        disposition = b'form-data; name="%s"' % _header_safe(name)
        if filename is not None:
            disposition += b'; filename="%s"' % _header_safe(filename)
        out.append(
            b"--%s\r\nContent-Disposition: %s\r\nContent-Type: application/octet-stream\r\n\r\n%s\r\n"
            % (boundary.encode(), disposition, data)
        )
    out.append(b"--%s--\r\n" % boundary.encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


class Site:
    """The data, a signed-in client per role, and what the crawl found."""

    def __init__(self, app, ids: dict):
        self.app = app
        self.ids = ids  # name -> the id first seen on the pages
        self.alias: dict[str, str] = {}  # first id -> the id standing in for it now
        self.clients = {}
        self.forms: list[Form] = []
        self.skipped_forms: list[str] = []
        self.pages: dict[str, list[str]] = {}  # role -> pages crawled
        self.targets: list[tuple[str, str]] = []  # (role, path) for query fuzzing
        self.param_values: dict[str, set[str]] = {}  # query names seen -> values seen
        self.tokens: dict[str, str] = {}
        self.traces = Traces()

    # requests

    def current(self, path: str) -> str:
        for first, now in self.alias.items():
            path = path.replace(first, now)
        return path

    def send(self, role: str, method: str, path: str, *, sent=None, **kwargs) -> Outcome:
        """One request. Its failure, when the answer is a server error or the request blew up
        inside the test client (Flask re-raises there what it has no handler for: in
        production, a 500)."""
        path = self.current(path)
        self.traces.records.clear()
        try:
            response = self.clients[role].open(path, method=method, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any exception here is a 500 in production
            cause = "".join(traceback.format_exception(exc))
            return Outcome(None, Failure(role, method, path, sent, type(exc).__name__, cause))
        if response.status_code >= 500:
            cause = self.traces.text() or "(nothing logged)"
            return Outcome(response, Failure(role, method, path, sent, response.status_code, cause))
        return Outcome(response, None)

    def follow_up(self, role: str, outcome: Outcome, request: str, pages: list[str]) -> Failure | None:
        """After a write that was taken (below 400), the pages that show what it stored: where
        it redirected, and where its form was. Junk saved is junk shown."""
        response = outcome.response
        if response is None or response.status_code >= 400:
            return None
        targets = list(pages)
        if response.status_code in (301, 302, 303) and (where := local("/", response.headers["Location"])):
            targets.insert(0, where)
        for target in dict.fromkeys(targets):
            if SKIP_LINK.search(target.partition("?")[0]) or DOWNLOAD.search(target.partition("?")[0]):
                continue
            failure = self.send(role, "GET", target, sent=f"(the page, after {request})").failure
            if failure:
                return failure
        return None

    def get(self, role: str, target: str):
        path, _, query = target.partition("?")
        return self.clients[role].get(path, query_string=query)

    # discovery

    def sign_in(self, role: str) -> None:
        client = self.clients[role] = self.app.test_client()
        token = csrf_from(client.get("/masuk").get_data(as_text=True))
        if role != "anonymous":
            response = client.post(
                "/masuk", data={"csrf_token": token, "nip": NIPS[role], "password": PASSWORD}
            )
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            token = csrf_from(client.get("/").get_data(as_text=True))
        self.tokens[role] = token

    def crawl(self, role: str, seeds: list[str]) -> None:
        """Breadth first from "/" (and ``seeds``, pages that a link limit per shape could
        leave out) by same-origin links, a few levels deep."""
        queue = deque((target, 0) for target in ["/", *seeds])
        seen, shapes, pages = {"/", *seeds}, {}, []
        for target in seeds:
            shapes[shape(target)] = shapes.get(shape(target), 0) + 1
        while queue and len(pages) < PAGES_PER_ROLE:
            target, depth = queue.popleft()
            response = self.get(role, target)
            for _ in range(3):
                if response.status_code not in (301, 302, 303):
                    break
                target = local(target, response.headers["Location"]) or "/"
                response = self.get(role, target)
            assert response.status_code < 500, f"{role} GET {target}: {response.status_code}"
            if response.mimetype != "text/html" or target in pages:
                continue
            pages.append(target)
            self.targets.append((role, target))
            parser = PageParser()
            parser.feed(response.get_data(as_text=True))
            for raw in parser.forms:
                self._add_form(role, target, raw)
            for href in parser.links:
                link = local(target, href)
                if link is None:
                    continue
                for name, value in parse_qsl(urlsplit(link).query, keep_blank_values=True):
                    self.param_values.setdefault(name, set()).add(value)
                if DOWNLOAD.search(link.partition("?")[0]):
                    # Fuzzed for their query strings, once per file type; never crawled.
                    if all(
                        t.partition("?")[0] != link.partition("?")[0] for r, t in self.targets if r == role
                    ):
                        self.targets.append((role, link))
                    continue
                if SKIP_LINK.search(link.partition("?")[0]) or link in seen or depth >= DEPTH:
                    continue
                key = shape(link)
                if shapes.get(key, 0) >= PER_SHAPE:
                    continue
                shapes[key] = shapes.get(key, 0) + 1
                seen.add(link)
                queue.append((link, depth + 1))
        self.pages[role] = pages

    def _add_form(self, role: str, page: str, raw: dict) -> None:
        method = raw["method"] if raw["method"] in ("GET", "POST") else "GET"
        action = local(page, raw["action"]) if raw["action"] else page
        if action is None:
            return
        if method == "GET":
            action = action.partition("?")[0]
            for name, f in raw["fields"].items():
                self.param_values.setdefault(name, set()).update(f.values)
        fields = dict(raw["fields"])
        csrf = fields.pop("csrf_token", None)
        token = csrf.values[0] if csrf and csrf.values else None
        form = Form(role, page, method, action, "multipart" in raw["enctype"], fields, token)
        if SIGN_OUT.match(action.partition("?")[0]):
            if form.label not in self.skipped_forms:
                self.skipped_forms.append(form.label)
            return
        signature = (role, method, action, tuple(fields))
        if any((f.role, f.method, f.action, tuple(f.fields)) == signature for f in self.forms):
            return
        self.forms.append(form)

    def summary(self) -> str:
        lines = []
        for role in ROLES:
            forms = [f for f in self.forms if f.role == role]
            lines.append(f"{role}: {len(self.pages.get(role, []))} pages, {len(forms)} forms")
            lines += [f"  {f.method} {f.action} [{', '.join(f.fields)}]" for f in forms]
        lines.append(f"query names: {sorted(self.param_values)}")
        lines.append(f"skipped (sign-out): {self.skipped_forms}")
        return "\n".join(lines)

    # keeping the things the forms act on in place

    def refresh(self) -> None:
        """Put back what an earlier example used up: an open attempt, a pending record, an
        assessment to delete, one valid and one revoked certificate. The forms found on the
        pages keep working: their ids are mapped to the new ones."""
        from lms.certificates import services as certificates
        from lms.competencies import services as competencies
        from lms.competencies.models import Bukti
        from lms.core.time import local_today
        from lms.extensions import db
        from lms.progress.models import Pengembangan
        from lms.quizzes import services as quizzes
        from lms.quizzes.models import Attempt

        ids, learner, admin = self.ids, self.ids["learner_id"], self.ids["admin_id"]
        changed = False
        attempt = db.session.get(Attempt, self.current(ids["attempt"]))
        if attempt is None or not attempt.is_open or quizzes.is_expired(attempt):
            fresh = quizzes.start_attempt(learner, quizzes.quiz_for_course(ids["kursus_id"]))
            self.alias[ids["attempt"]] = fresh.id
            changed = True
        else:
            for question, answer in dict(attempt.answers or {}).items():
                if not encodable(answer):  # a known 5xx left it there: take it out again
                    quizzes.save_answer(attempt, question, None)
                    changed = True
        record = db.session.get(Pengembangan, self.current(ids["record"]))
        if record is None or record.status != "pending":
            self.alias[ids["record"]] = add_record(learner).id
            changed = True
        bukti = db.session.get(Bukti, self.current(ids["assessment"]))
        if bukti is None:
            made = competencies.record_assessment(
                learner, "M.01", 2, local_today() - timedelta(days=30), admin, "Uji"
            )
            self.alias[ids["assessment"]] = made.id
            changed = True
        valid, revoked = (certificates.by_code(ids[k]) for k in ("valid_code", "revoked_code"))
        if valid.revoked_at is not None:
            certificates.restore(valid)
            changed = True
        if revoked.revoked_at is None:
            certificates.revoke(revoked, by_pegawai_id=admin, reason="Salah terbit")
            changed = True
        if changed:
            db.session.commit()


def encodable(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def add_record(pegawai_id: int):
    return enter_development(pegawai_id, commit=False)


@pytest.fixture
def site_data(app, client, users, make_course, complete_course, course_root):
    """What each role's pages show a form for, and a client signed in for each role."""
    from lms.catalog.importer import import_courses
    from lms.catalog.models import Kursus
    from lms.certificates.models import Sertifikat
    from lms.certificates.services import revoke
    from lms.competencies import services as competencies
    from lms.core.time import local_today
    from lms.extensions import db
    from lms.org.models import Jabatan
    from lms.progress import services as progress
    from lms.progress.models import Enrolment
    from lms.quizzes import services as quizzes

    learner, admin, supervisor = users["learner"], users["admin"], users["supervisor"]
    # Unlimited attempts, and passing takes every answer right, the short one ("JP") too,
    # which no generated value is: an attempt an example submitted can always be replaced.
    folder = write_course(course_root, "kursus-uji", max_attempts=0)
    quiz = folder / "kuis.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("pass_mark = 75", "pass_mark = 100"))
    import_courses([folder])
    db.session.commit()
    kursus = db.session.scalar(db.select(Kursus).where(Kursus.slug == "kursus-uji"))
    valid = complete_course(learner, make_course("kursus-selesai"))
    revoked = complete_course(learner, make_course("kursus-lama"))
    make_course("kursus-draf", status="draft")
    apt = db.session.scalar(db.select(Jabatan).where(Jabatan.kode == "APT"))
    for user in (learner, users["other"]):
        user.pegawai.jabatan_id = apt.id
    progress.enrol(learner.pegawai_id, kursus)
    db.session.add(  # overdue: a row, as the service refuses due dates in the past
        Enrolment(
            pegawai_id=users["other"].pegawai_id,
            kursus_id=kursus.id,
            source="assigned",
            due_date=local_today() - timedelta(days=3),
            assigned_by_id=supervisor.pegawai_id,
        )
    )
    attempt = quizzes.start_attempt(learner.pegawai_id, quizzes.quiz_for_course(kursus.id))
    record = add_record(learner.pegawai_id)
    bukti = competencies.record_assessment(
        learner.pegawai_id, "M.01", 2, local_today() - timedelta(days=30), admin.pegawai_id, "Uji"
    )
    code = {
        c.completion_id: c
        for c in db.session.scalars(db.select(Sertifikat).where(Sertifikat.pegawai_id == learner.pegawai_id))
    }
    revoke(code[revoked.id], by_pegawai_id=admin.pegawai_id, reason="Salah terbit")
    db.session.commit()
    ids = {
        "attempt": attempt.id,
        "record": record.id,
        "assessment": bukti.id,
        "valid_code": code[valid.id].code,
        "revoked_code": code[revoked.id].code,
        "learner_id": learner.pegawai_id,
        "admin_id": admin.pegawai_id,
        "kursus_id": kursus.id,
    }
    site = Site(app, ids)
    for role in ROLES:
        site.sign_in(role)
    errors = logging.getLogger("lms")
    errors.addHandler(site.traces)
    yield site
    errors.removeHandler(site.traces)


@pytest.fixture
def site(site_data):
    """The same, with every role's pages crawled and their forms read."""
    nip = NIPS["learner"]
    seeds = {
        # The learner's assessments, with the form that deletes one, and the draft course.
        "admin": [f"/profil/{nip}", f"/admin/asesmen/{nip}"],
        "supervisor": [f"/profil/{nip}"],
        "trainer": ["/kursus/kursus-draf"],
    }
    for role in ROLES:
        site_data.crawl(role, seeds.get(role, []))
    return site_data


# --- junk -----------------------------------------------------------------------------

CONTROL = st.sampled_from(
    ["\x00", "a\x00b", "\x01", "\x08", "\x0b", "\x0c", "x\x1b[31my", "\x7f", "\x85", "\x9f", "\t", "\u2028"]
)
LINE_BREAKS = st.sampled_from(["\r", "\n", "\r\n", "a\r\nb", "\n\n\n", "x\r\nSet-Cookie: a=b", "\r\n\r\n--"])
UNICODE_DIGITS = st.sampled_from(["²", "٣", "١٢", "１２", "߂", "৪", "Ⅻ", "½", "𝟗", "7٣", "³⁴"])
NUMBERS = st.one_of(
    st.integers().map(str),
    st.sampled_from(
        [
            str(2**31),
            str(2**31 - 1),
            str(-(2**31) - 1),
            str(2**63),
            str(2**64 + 1),
            "9" * 40,
            "-1",
            "0",
            "-0",
            "00",
            "+1",
            " 7",
            "7 ",
            "1e309",
            "1e3",
            "NaN",
            "inf",
            "-Infinity",
            "0x1F",
            "1_000",
            "1.5",
            "1,5",
        ]
    ),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "2026-02-29",
            "2024-02-29",
            "20260101",
            "2026-W01",
            "2026-1-1",
            "2026-13-01",
            "2026-00-10",
            "1899-12-31",
            "2101-01-01",
            "-0001-01-01",
            "+12026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01 ",
            "01/02/2026",
            "٢٠٢٦-٠١-٠١",
        ]
    ),
    st.dates().map(lambda d: d.isoformat()),
)
INJECTION = st.sampled_from(
    [
        "' OR '1'='1",
        "1; DROP TABLE pegawai; --",
        "' UNION SELECT password_hash FROM users --",
        '"; SELECT pg_sleep(0); --',
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "{{ 7*7 }}",
        "{{ config }}",
        "{% for x in range(9) %}x{% endfor %}",
        "${7*7}",
        "%(nama)s",
        "%s%s%s%n",
        "{0.__class__}",
        "javascript:alert(1)",
        "%",
        "\\",
        "\\x00",
        "%00",
        "*",
        "_%",
        "null",
        "undefined",
        "[]",
        "{}",
        "true",
    ]
)
TRAVERSAL = st.sampled_from(
    [
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "/etc/passwd",
        "%2e%2e%2f%2e%2e%2f",
        "....//....//",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/\t/evil.example",
        "bukti/1/../../secret_key",
        "~/.ssh/id_rsa",
        "C:\\boot.ini",
        "/..",
        ".",
    ]
)
EMOJI = st.sampled_from(
    ["😀", "👩🏽‍⚕️", "🇮🇩", "\u200b", "\u202eabc", "\ufeff", "e\u0301", "ﷺ", "𒀱", "\U0010ffff"]
)
SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udc80\ud800", "\udbff"])
HUGE = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["a", "9", "<", "é", "😀", " "]),
    st.sampled_from([201, 4097, 70_000]),
)
WHITESPACE = st.sampled_from(["", " ", "   ", "\u3000", "\xa0"])
ATOM = st.one_of(
    CONTROL,
    LINE_BREAKS,
    UNICODE_DIGITS,
    NUMBERS,
    DATES,
    INJECTION,
    TRAVERSAL,
    EMOJI,
    SURROGATES,
    HUGE,
    WHITESPACE,
    st.text(max_size=30),
)
JUNK = st.one_of(ATOM, st.lists(ATOM, min_size=2, max_size=3).map("".join))
# Names a form might have had, and names guessed; then anything at all.
GUESSED_NAMES = ("csrf_token", "next", "__proto__", "q-q1", "q-", "level-M.01", "action", "x[]", "a.b", "id")
GUESSED_NAMES += ("page", "halaman", "lingkup", "lang", "sort", "format", "limit", "offset")
JUNK_NAMES = st.one_of(st.sampled_from(GUESSED_NAMES), JUNK)


def filenames():
    return st.one_of(
        st.sampled_from(
            [
                "bukti.pdf",
                "foto.PNG",
                "x.jpeg",
                "setup.exe",
                "bukti.pdf.exe",
                "bukti.exe.pdf",
                ".pdf",
                "pdf",
                "",
                "a" * 5000 + ".pdf",
                "a\x00.pdf",
                "../../bukti.pdf",
                "..\\..\\bukti.pdf",
                "/etc/passwd.pdf",
                "😀.png",
                "a\ud800.pdf",
                'a";b.pdf',
                "a\r\nb.pdf",
            ]
        ),
        st.builds(lambda stem, ext: stem + ext, JUNK, st.sampled_from([".pdf", ".jpg", ".png", ".exe", ""])),
    )


def file_bytes():
    return st.one_of(
        st.just(PDF),
        st.just(PNG),
        st.binary(max_size=300),
        st.builds(
            lambda head, tail: head + tail, st.sampled_from([b"%PDF-", b"\xff\xd8\xff", PNG]), st.binary()
        ),
        st.sampled_from([b"", b"%PDF-" + b"x" * (2 * 1024 * 1024)]),
    )


# --- values for the fields of a form ----------------------------------------------------


def plausible(site: Site, f: Field) -> list[str]:
    """Values the field would take from a person filling it in properly."""
    from lms.core.time import local_today

    values = [v for v in f.values]
    today = local_today()
    if f.kind == "date":
        values += [
            today.isoformat(),
            (today - timedelta(days=7)).isoformat(),
            (today + timedelta(days=14)).isoformat(),
        ]
    elif f.kind == "number":
        values += ["1", "2", "24"]
    elif f.kind in ("text", "search", "textarea", "password"):
        values += ["Uji", "Pelatihan SPBE", NIPS["learner"], site.ids["valid_code"], "/"]
    return [v for v in dict.fromkeys(values)] or [""]


@st.composite
def form_request(draw, site: Site):
    form = draw(st.sampled_from(site.forms))
    junk_share = draw(st.integers(0, 4))  # 0: every field valid ... 4: every field junk
    pairs: list[tuple[str, str]] = []
    files: list[tuple[str, str | None, bytes]] = []
    for f in form.fields.values():
        if f.kind == "file":
            how = draw(st.sampled_from(["valid", "none", "junk", "empty", "text", "twice"]))
            if how == "valid":
                files.append((f.name, "bukti.pdf", PDF))
            elif how == "junk":
                files.append((f.name, draw(st.one_of(filenames(), st.none())), draw(file_bytes())))
            elif how == "empty":
                files.append((f.name, "", b""))
            elif how == "text":
                pairs.append((f.name, draw(JUNK)))
            elif how == "twice":
                files += [(f.name, "a.pdf", PDF), (f.name, draw(filenames()), draw(file_bytes()))]
            continue
        valid = st.sampled_from(plausible(site, f))
        junk = draw(st.integers(0, 3)) < junk_share
        how = draw(st.sampled_from(["junk", "missing", "repeat"])) if junk else "valid"
        if how == "valid":
            if f.kind == "checkbox":
                pairs += [(f.name, v) for v in draw(st.lists(st.sampled_from(f.values), unique=True))]
            elif f.kind != "button" or draw(st.booleans()):
                pairs.append((f.name, draw(valid)))
        elif how == "junk":
            pairs.append((f.name, draw(JUNK)))
        elif how == "repeat":
            pairs += [(f.name, v) for v in draw(st.lists(st.one_of(valid, JUNK), min_size=2, max_size=4))]
    pairs += draw(st.lists(st.tuples(JUNK_NAMES, JUNK), max_size=2 if junk_share else 0))
    order = draw(st.permutations(range(len(pairs)))) if junk_share > 2 else range(len(pairs))
    pairs = [pairs[i] for i in order]
    if form.method == "POST":
        token = form.csrf or site.tokens.get(form.role, "")
        csrf = draw(st.sampled_from(["ok"] * 6 + ["missing", "forged", "other", "twice"]))
        if csrf == "ok":
            pairs.insert(0, ("csrf_token", token))
        elif csrf == "forged":
            pairs.insert(0, ("csrf_token", draw(st.one_of(JUNK, st.just(token[:-2] + "xx")))))
        elif csrf == "other":
            other = [t for r, t in site.tokens.items() if r != form.role] or [""]
            pairs.insert(0, ("csrf_token", draw(st.sampled_from(other))))
        elif csrf == "twice":
            pairs[:0] = [("csrf_token", token), ("csrf_token", draw(JUNK))]
    return form, pairs, files


def submit(site: Site, form: Form, pairs, files) -> str | None:
    """Send the form as a browser would, then look at the pages that show what it stored.
    Returns the request when the app took it (a write that may show elsewhere)."""
    if form.method == "GET":
        check(site.send(form.role, "GET", form.action, sent=pairs, query_string=urlencoded(pairs)).failure)
        return None
    if form.multipart or files:
        body, content_type = multipart(pairs, files)
        sent = [*pairs, *((n, fn, f"<{len(b)} bytes {b[:12]!r}>") for n, fn, b in files)]
    else:
        body, content_type, sent = urlencoded(pairs), "application/x-www-form-urlencoded", pairs
    outcome = site.send(form.role, "POST", form.action, sent=sent, data=body, content_type=content_type)
    check(outcome.failure)
    request = f"{form.role} POST {form.action} with {sent!r}"[:3000]
    check(site.follow_up(form.role, outcome, request, [form.page]))
    return request if outcome.response is not None and outcome.response.status_code < 400 else None


def any_page_after(site: Site, then: tuple[str, str], request: str) -> None:
    """What one role stores, others see (a record its verifier, a reason the public check):
    after a write that was taken, one page of any role."""
    role, target = then
    check(site.send(role, "GET", target, sent=f"(the page, after {request})").failure)


@settings(max_examples=int(600 * SCALE), **SETTINGS)
@given(data=st.data())
def test_every_form_answers_junk_without_a_server_error(site, data):
    assert len(site.forms) >= 40, site.summary()
    form, pairs, files = data.draw(form_request(site), label="form")
    site.refresh()
    event(re.sub(r"[0-9a-f-]{36}|/[0-9A-Z]{12}/", "<id>", form.label))
    # Drawn whatever the outcome: a form taken once may be refused the next time (the same
    # owner added twice), and hypothesis needs the same draws for the same example.
    then = data.draw(st.sampled_from(site.targets), label="then the page")
    if request := submit(site, form, pairs, files):
        any_page_after(site, then, request)


# --- query strings of every page --------------------------------------------------------


def segment_junk():
    return st.one_of(
        JUNK, st.sampled_from(["0", "-1", str(2**31), "99999999999999999999", "%", "..", "a.pdf"])
    )


@st.composite
def page_request(draw, site: Site):
    role, target = draw(st.sampled_from(site.targets))
    path, _, query = target.partition("?")
    own = parse_qsl(query, keep_blank_values=True)
    names = sorted({*site.param_values, *(k for k, _v in own)})
    pairs = []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.one_of(st.sampled_from(names), JUNK_NAMES)) if names else draw(JUNK_NAMES)
        seen = sorted(site.param_values.get(name, ())) or [""]
        value = draw(st.one_of(st.sampled_from(seen), JUNK))
        pairs += [(name, value)] * draw(st.sampled_from([1, 1, 1, 2]))
    if own and draw(st.booleans()):
        pairs = own + pairs
    if draw(st.integers(0, 5)) == 0:  # now and then the path itself
        parts = path.split("/")
        if len(parts) > 2:
            i = draw(st.integers(2, len(parts) - 1))
            parts[i] = quote(surrogate_safe(draw(segment_junk())), safe="")
            path = "/".join(parts)
    return role, path, pairs


@settings(max_examples=int(350 * SCALE), **SETTINGS)
@given(data=st.data())
def test_every_page_answers_junk_query_strings_without_a_server_error(site, data):
    assert len(site.targets) >= 30, site.summary()
    role, path, pairs = data.draw(page_request(site), label="page")
    site.refresh()
    check(site.send(role, "GET", path, sent=pairs, query_string=urlencoded(pairs)).failure)


# --- the quiz's autosave ----------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**400]),
    st.floats(),
    JUNK,
)


def _nested(inner):
    keys = st.one_of(JUNK, st.sampled_from(["question", "answer"]))
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=3))


JSON_VALUES = st.recursive(JSON_SCALARS, _nested, max_leaves=12)


def answers_of(site: Site) -> tuple[list[str], list[str]]:
    """The question ids and every value the attempt's form offers for them."""
    forms = [f for f in site.forms if re.fullmatch(r"/percobaan/[^/]+", f.action) and f.role == "learner"]
    questions, values = [], []
    for form in forms:
        for name, f in form.fields.items():
            if name.startswith("q-"):
                questions.append(name[2:])
                values += f.values
    return questions or ["q1"], values or ["true"]


@st.composite
def autosave_body(draw, questions: list[str], values: list[str]) -> bytes | str:
    """One autosave: mostly an answer to a real question, else any JSON, else not JSON."""
    how = draw(st.sampled_from(["answer"] * 4 + ["any", "raw"]))
    if how == "answer":
        question = draw(st.sampled_from(questions)) if draw(st.integers(0, 4)) else draw(JSON_VALUES)
        answer = draw(
            st.one_of(
                st.sampled_from(values),
                st.lists(st.sampled_from(values), max_size=4),
                JUNK,
                st.lists(st.one_of(st.sampled_from(values), JUNK), min_size=1, max_size=3),
                JSON_VALUES,
            )
        )
        payload = {"question": question, "answer": answer}
        if draw(st.integers(0, 4)) == 0:
            payload.update(draw(st.dictionaries(JUNK, JSON_VALUES, max_size=2)))
        if draw(st.integers(0, 9)) == 0:
            payload.pop(draw(st.sampled_from(["question", "answer"])))
        return json.dumps(payload)  # escapes lone surrogates as \udXXX, writes NaN, Infinity
    if how == "any":
        return json.dumps(draw(JSON_VALUES))
    return draw(
        st.one_of(
            st.binary(max_size=60),
            st.sampled_from(
                [b"", b"{", b'{"question": "q1", "answer": }', b'{"question": "\\u0000"}', b"\xff\xfe{}"]
            ),
            st.builds(lambda d: b"[" * d + b"]" * d, st.sampled_from([50, 2000])),
        )
    )


@st.composite
def autosave_requests(draw, site: Site):
    """A few autosaves to one attempt (as a learner answering question after question), and
    whether the attempt is then submitted."""
    questions, values = answers_of(site)
    role = draw(st.sampled_from(["learner"] * 6 + ["supervisor", "admin", "anonymous"]))
    attempt = site.ids["attempt"]
    if draw(st.integers(0, 6)) == 0:
        attempt = draw(
            st.one_of(
                st.sampled_from(["00000000-0000-4000-8000-000000000000", attempt.upper()]), segment_junk()
            )
        )
    path = f"/percobaan/{quote(surrogate_safe(attempt), safe='')}"
    token = site.tokens[role]
    requests = []
    for body in draw(st.lists(autosave_body(questions, values), min_size=1, max_size=4)):
        headers = draw(
            st.sampled_from(
                [{"X-CSRFToken": token}] * 5
                + [{}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": token, "Accept": "text/html"}]
            )
        )
        content_type = draw(
            st.sampled_from(["application/json"] * 5 + ["text/plain", "application/json; charset=latin-1"])
        )
        requests.append((body, headers, content_type))
    return role, path, requests, draw(st.integers(0, 3)) == 0


@settings(max_examples=int(250 * SCALE), **SETTINGS)
@given(data=st.data())
def test_quiz_autosave_answers_junk_json_without_a_server_error(site, data):
    role, path, requests, finish = data.draw(autosave_requests(site), label="autosave")
    site.refresh()
    taken = None
    for body, headers, content_type in requests:
        sent = (body, headers, content_type)
        outcome = site.send(
            role, "POST", f"{path}/jawaban", sent=sent, data=body, headers=headers, content_type=content_type
        )
        check(outcome.failure)
        if outcome.response is not None and outcome.response.status_code < 400:
            taken = outcome
    done = f"POST {path}/jawaban with {[r[0] for r in requests]!r}"[:3000]
    then = data.draw(st.sampled_from(site.targets), label="then the page")
    if taken is not None:
        check(site.follow_up(role, taken, done, [path]))
        any_page_after(site, then, done)
    if finish:  # the saved answers graded, and the result page that shows them
        form = {"csrf_token": site.tokens[role], "confirmed": "1", "action": "submit"}
        outcome = site.send(role, "POST", path, sent=(form, f"after {done}"), data=form)
        check(outcome.failure)
        check(site.follow_up(role, outcome, f"submitting {path} after {done}", []))


# --- results made offline -------------------------------------------------------------


def offline_tokens(site: Site) -> list[str]:
    """Tokens as a download hands them out: for modules only, and with the quiz."""
    from lms.api import tokens
    from lms.quizzes import services as quizzes

    kuis = quizzes.quiz_for_course(site.ids["kursus_id"])
    version = kuis.current
    learner, kursus = site.ids["learner_id"], site.ids["kursus_id"]
    made = [
        tokens.issue(learner, kursus)[1],
        tokens.issue(learner, kursus, kuis_id=kuis.id, version_id=version.id)[1],
        tokens.issue(site.ids["admin_id"], kursus, kuis_id=kuis.id, version_id=version.id)[1],
    ]
    return [*made, made[1][:-3] + "abc", made[1].upper()]


@st.composite
def sync_body(draw, site: Site) -> bytes | str:
    """What a device could send: items of the right shape with junk in any field, any
    JSON, or not JSON."""
    how = draw(st.sampled_from(["items"] * 4 + ["any", "raw"]))
    if how == "raw":
        return draw(
            st.one_of(st.binary(max_size=60), st.sampled_from([b"", b"{", b'{"items": [}', b"\xff\xfe{}"]))
        )
    if how == "any":
        return json.dumps(draw(JSON_VALUES))
    questions, values = answers_of(site)
    ids = st.one_of(st.uuids().map(str), st.sampled_from([site.ids["attempt"]]), JUNK)
    answer = st.fixed_dictionaries(
        {
            "answer": st.one_of(st.sampled_from(values), JSON_VALUES),
            "at": st.one_of(st.integers(), JSON_SCALARS),
        }
    )
    moment = st.one_of(st.integers(min_value=0, max_value=2**50), JSON_SCALARS)
    item = st.fixed_dictionaries(
        {
            "id": ids,
            "kind": st.one_of(st.sampled_from(["module", "attempt"]), JUNK),
            "token": st.one_of(st.sampled_from(offline_tokens(site)), JUNK),
        },
        optional={
            "module": st.one_of(st.sampled_from(["pembuka", "penutup"]), JUNK),
            "started_at": moment,
            "finished_at": moment,
            "answers": st.one_of(
                st.dictionaries(st.one_of(st.sampled_from(questions), JUNK), answer, max_size=5), JSON_VALUES
            ),
        },
    )
    items = st.lists(st.one_of(item, JSON_VALUES), max_size=4)
    return json.dumps({"items": draw(items)})


@settings(max_examples=int(150 * SCALE), **SETTINGS)
@given(data=st.data())
def test_offline_results_answer_junk_without_a_server_error(site, data):
    role = data.draw(st.sampled_from(["learner"] * 4 + ["supervisor", "admin", "anonymous"]), label="role")
    body = data.draw(sync_body(site), label="body")
    headers = data.draw(st.sampled_from([{"X-CSRFToken": site.tokens[role]}] * 5 + [{}]), label="headers")
    site.refresh()
    outcome = site.send(
        role,
        "POST",
        "/luring/sinkron",
        sent=(body, headers),
        data=body,
        headers=headers,
        content_type="application/json",
    )
    check(outcome.failure)
    if outcome.response is not None and outcome.response.status_code < 400:
        check(site.follow_up(role, outcome, f"POST /luring/sinkron with {body!r}"[:3000], ["/luring"]))


# --- the server errors found --------------------------------------------------------------

# Each as the exact requests that once gave a 500. Paths name the data of `site_data` in
# braces; POSTs carry the role's CSRF token as a header.
NESTED_JSON = "[" * 2000 + "]" * 2000  # deeper than json.loads can recurse
LONE_SURROGATE = '{"question": "q4", "answer": "a\\udfffb"}'  # valid JSON, not encodable as UTF-8
JSON = {"content_type": "application/json"}
KNOWN = [
    pytest.param(
        [("learner", "POST", "/percobaan/{attempt}/jawaban", {"data": NESTED_JSON, **JSON})],
        id="autosave-json-nested-2000-deep",
    ),
    pytest.param(
        [("anonymous", "POST", "/bahasa", {"data": NESTED_JSON, **JSON})],
        id="any-post-json-nested-2000-deep-signed-out",
    ),
    pytest.param(
        [
            ("learner", "POST", "/percobaan/{attempt}/jawaban", {"data": LONE_SURROGATE, **JSON}),
            ("learner", "GET", "/percobaan/{attempt}", {}),
        ],
        id="autosave-lone-surrogate-then-attempt-page",
    ),
]


def check(failure: Failure | None) -> None:
    if failure is not None:
        raise AssertionError(f"server error\n{failure}")


@pytest.mark.parametrize("steps", KNOWN)
def test_a_server_error_the_fuzzing_found(site_data, steps):
    for role, method, path, kwargs in steps:
        path = path.format(**site_data.ids)
        headers = {"X-CSRFToken": site_data.tokens[role]} if method == "POST" else {}
        outcome = site_data.send(role, method, path, sent=kwargs.get("data"), headers=headers, **kwargs)
        assert outcome.failure is None, str(outcome.failure)
