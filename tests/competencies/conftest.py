"""Fixtures for the competency tests: courses that build chosen competencies, the
position from the ``unit`` fixture, signing in as any user, and reading a form's
error next to its field."""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import gettext

from lms.catalog.importer import import_courses
from lms.catalog.models import Kursus
from lms.extensions import db
from lms.org.models import Jabatan
from tests.conftest import write_course

COMPETENCIES_BLOCK = '[[competencies]]\ncode = "M.01"\nlevel = 2\n'


def ui_text(message: str, **values) -> str:
    """A user-facing message as the app shows it by default (Indonesian, or the English
    source while a message is not translated yet). Needs an app context."""
    return gettext(message, **values)


def error_next_to(response, element_id: str) -> str:
    """The text of the error shown beside a form field, identified by the id of the
    error paragraph the field points at with aria-describedby."""
    page = response.get_data(as_text=True)
    found = re.search(rf'<p class="error" id="{re.escape(element_id)}">(.*?)</p>', page, re.S)
    assert found, f"no error shown as #{element_id}"
    described = rf'aria-describedby="(?:[^"]* )?{re.escape(element_id)}(?: [^"]*)?"'
    assert re.search(described, page), f"no field points at #{element_id}"
    return html.unescape(found.group(1)).strip()


@pytest.fixture
def jabatan(unit):
    """The position "APT" (Apoteker) that the ``unit`` fixture creates."""
    return db.session.scalar(db.select(Jabatan).where(Jabatan.kode == "APT"))


@pytest.fixture
def course_building(ctx, course_root):
    """Import a course that builds the given competencies, e.g.
    ``course_building("k-kerjasama", {"M.02": 3}, status="draft")``."""

    def make(slug: str, builds: dict[str, int], **options) -> Kursus:
        folder = write_course(course_root, slug, **options)
        toml = folder / "kursus.toml"
        blocks = "".join(
            f'[[competencies]]\ncode = "{code}"\nlevel = {level}\n' for code, level in builds.items()
        )
        text = toml.read_text(encoding="utf-8")
        assert COMPETENCIES_BLOCK in text
        toml.write_text(text.replace(COMPETENCIES_BLOCK, blocks), encoding="utf-8")
        import_courses([folder])
        db.session.commit()
        return db.session.scalar(db.select(Kursus).where(Kursus.slug == slug))

    return make


@pytest.fixture
def sign_in(auth):
    """Sign in as any user object, including ones made with ``make_user``."""

    def login(user):
        response = auth.login(user.pegawai.nip)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return login
