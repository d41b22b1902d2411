"""A device of the signed-in learner, as lms/static/luring.js and the service worker use
the server: it downloads a course (its package JSON, with the token module completions
are sent under), opens the offline quiz page (an attempt's token), makes items and sends
them to /luring/sinkron or saves them as a sync file that someone uploads to /luring."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

import lms.core.time
from lms.api import tokens
from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes.models import KuisVersion
from tests.conftest import CORRECT_ANSWERS
from tests.quizzes.test_offline_attempts import entries_for, ms

SLUG = "kursus-uji"
_OFFLINE_TOKEN = re.compile(r'data-offline-token="([^"]+)"')


def sync_file(*items, **document) -> bytes:
    """A sync file as the sync page saves it."""
    return json.dumps({"format": "lms-sinkron", "version": 1, "items": list(items), **document}).encode()


class Device:
    def __init__(self, client, auth):
        self.client = client
        self.auth = auth

    # --- what it keeps of a course

    def download(self, slug: str = SLUG) -> dict:
        response = self.client.get(f"/kursus/{slug}/luring.json")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.json

    def quiz_page(self, slug: str = SLUG):
        return self.client.get(f"/kursus/{slug}/kuis/luring")

    def quiz_token(self, slug: str = SLUG) -> str:
        """The token of an attempt at the course's quiz, from the offline quiz page."""
        page = self.quiz_page(slug)
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
        return unescape(_OFFLINE_TOKEN.search(page.get_data(as_text=True)).group(1))

    # --- what it made offline

    @staticmethod
    def module(token: str, modul: str = "pembuka", *, item_id: str | None = None) -> dict:
        return {"id": item_id or new_id(), "kind": "module", "token": token, "module": modul}

    @staticmethod
    def attempt(
        token: str,
        answers: dict = CORRECT_ANSWERS,
        *,
        item_id: str | None = None,
        started: datetime | None = None,
        minutes: int = 5,
    ) -> dict:
        """An attempt taken under ``token``: started an hour ago (unless given), each
        answer chosen a minute in, submitted ``minutes`` after the start."""
        started = started or utcnow() - timedelta(hours=1)
        version = db.session.get(KuisVersion, tokens.read(token).version_id)
        return {
            "id": item_id or new_id(),
            "kind": "attempt",
            "token": token,
            "started_at": ms(started),
            "finished_at": ms(started + timedelta(minutes=minutes)),
            "answers": entries_for(version, answers, started + timedelta(minutes=1)),
        }

    # --- reaching the server

    def send(self, *items):
        return self.auth.post_json("/luring/sinkron", {"items": list(items)})

    def results(self, *items) -> list[dict]:
        response = self.send(*items)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.json["results"]

    def upload(self, data: bytes, name: str = "sinkron.json"):
        return self.auth.post(
            "/luring",
            {"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )


@pytest.fixture
def device(client, auth):
    return Device(client, auth)


@pytest.fixture
def enrolled(login_as, auth, course):
    """The learner, signed in and enrolled in the test course."""
    learner = login_as("learner")
    assert auth.post(f"/kursus/{SLUG}/daftar").status_code == 302
    return learner


class Clock:
    """The server's clock, moved on by ``days`` (lms.core.time's ``datetime``, which
    ``utcnow`` reads)."""

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        clock = self

        class Moved(datetime):
            @classmethod
            def now(cls, tz=None):
                moment = datetime.now(UTC) + clock.offset
                return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

        monkeypatch.setattr(lms.core.time, "datetime", Moved)

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
