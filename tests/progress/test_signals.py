"""Progress announces what happened, once, for the domains that come later to listen to."""

import pytest

from lms import signals
from tests.conftest import CORRECT_ANSWERS, answer_form


def summary(kwargs):
    return {
        key: (value.id, getattr(value, "jp", None)) if hasattr(value, "id") else value
        for key, value in kwargs.items()
        if key != "modul"
    }


@pytest.fixture
def heard():
    events = []
    receivers = {
        # What each signal carried, read while the request's session is still open.
        name: (lambda sender, name=name, **kw: events.append((name, summary(kw))))
        for name in ("module_completed", "quiz_submitted", "course_completed")
    }
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver)
    yield events
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def test_each_step_is_announced_once(client, auth, login_as, course, heard):
    user = login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")
    for module in ("pembuka", "penutup", "penutup"):
        auth.post(f"/kursus/kursus-uji/modul/{module}/selesai")
    attempt = auth.post("/kursus/kursus-uji/kuis/mulai").headers["Location"].rsplit("/", 1)[-1]
    answers = answer_form(attempt, CORRECT_ANSWERS, action="submit")
    auth.post(f"/percobaan/{attempt}", answers)
    auth.post(f"/percobaan/{attempt}", answers)

    names = [name for name, _ in heard]
    assert sorted(names) == ["course_completed", "module_completed", "module_completed", "quiz_submitted"]
    event = dict((name, kw) for name, kw in heard)
    assert event["module_completed"]["pegawai_id"] == user.pegawai_id
    assert event["quiz_submitted"]["attempt"][0] == attempt
    assert event["quiz_submitted"]["kursus_id"] == course.id
    assert event["course_completed"]["completion"][1] == course.jp
