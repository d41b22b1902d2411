"""Receiving what was done offline (lms.api.sync, POST /luring/sinkron and POST /luring).

- A module marked as done offline is recorded once; sent again it is a duplicate.
- A quiz attempt is graded once however often it is sent; every answer about it carries
  the result's address and the percentage.
- What may not be recorded is refused, each with its code, and writes nothing: a token
  this server did not sign as it is (bad_token), another employee's token (other_user;
  in a sync file their supervisor may upload it), a course withdrawn since the download
  (withdrawn), a learner no longer enrolled (not_enrolled), a module removed
  (unknown_module), an attempt under a module token (no_quiz), an attempt under a token
  past its validity that never arrived before (expired), damaged items (invalid).
  Too many items at once is a 400, and so is a request without the CSRF token.
- A sync file (saved on a device, carried, uploaded) is read once however often it is
  uploaded; a damaged file is a 400 with the message at the file field, and writes
  nothing; every upload goes into the audit log per employee.
- The offline quiz page asks the questions of one attempt under a fresh token that names
  the learner and the quiz's current version, and shows no answer key; when no attempt
  is left (passed, or every attempt used) it is a 409.
"""

from __future__ import annotations

import codecs
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.api import sync, tokens
from lms.catalog.models import Kursus
from lms.core.audit import AuditEntry
from lms.core.time import utcnow
from lms.extensions import db
from lms.progress.models import CourseCompletion, Enrolment, ModuleCompletion
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt
from tests.api.conftest import SLUG, sync_file
from tests.conftest import NIPS, PDF, WRONG_ANSWERS
from tests.quizzes.courses import every_type, import_quiz
from tests.quizzes.test_offline_attempts import count, ms


def nothing_written():
    return (count(Attempt), count(ModuleCompletion)) == (0, 0)


def statuses(results) -> list[tuple[str, str]]:
    return [(r["status"], r["code"]) for r in results]


@pytest.fixture
def downloaded(device, enrolled):
    """The learner's device after downloading the test course: its module token and the
    token of an attempt at the quiz."""
    return device.download()["token"], device.quiz_token()


def accept(app, items: list, sender) -> list[sync.ItemResult]:
    """What ``sync.accept`` makes of ``items``, as in a request."""
    with app.test_request_context():
        return sync.accept(items, sender=sender)


def sign_in_as(auth, who: str) -> None:
    auth.logout()
    assert auth.login(NIPS[who]).status_code == 302


# --- modules --------------------------------------------------------------------------------


def test_a_module_done_offline_is_recorded_once(device, enrolled, downloaded):
    module_token, _ = downloaded
    item = device.module(module_token, "pembuka")

    first = device.results(item)
    again = device.results(item, device.module(module_token, "pembuka"))

    assert statuses(first) == [("accepted", "")]
    assert statuses(again) == [("duplicate", ""), ("duplicate", "")]
    assert first[0]["id"] == item["id"] and first[0]["kind"] == "module"
    done = db.session.scalars(select(ModuleCompletion)).all()
    assert [(d.pegawai_id, d.modul.slug) for d in done] == [(enrolled.pegawai_id, "pembuka")]


def test_a_course_finished_offline_is_completed_when_it_arrives(device, enrolled, downloaded):
    module_token, quiz_token = downloaded

    results = device.results(
        device.module(module_token, "pembuka"),
        device.module(module_token, "penutup"),
        device.attempt(quiz_token),
    )

    assert [r["status"] for r in results] == ["accepted"] * 3
    completion = db.session.scalar(select(CourseCompletion))
    assert (completion.pegawai_id, completion.score) == (enrolled.pegawai_id, 100)


# --- attempts -------------------------------------------------------------------------------


def test_an_attempt_is_graded_once_however_often_it_is_sent(client, device, enrolled, downloaded):
    item = device.attempt(downloaded[1])

    answers = [device.results(item)[0] for _ in range(3)]

    assert [a["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    assert {(a["url"], a["percent"], a["passed"]) for a in answers} == {
        (f"/percobaan/{item['id']}/hasil", 100, True)
    }
    assert count(Attempt) == 1
    assert client.get(answers[0]["url"]).status_code == 200


def test_an_attempt_sent_twice_in_one_batch_counts_once(device, enrolled, downloaded):
    item = device.attempt(downloaded[1], WRONG_ANSWERS)

    results = device.results(item, item)

    assert [(r["status"], r["percent"], r["passed"]) for r in results] == [
        ("accepted", 0, False),
        ("duplicate", 0, False),
    ]
    assert count(Attempt) == 1


def test_a_second_attempt_under_one_download_is_refused(device, enrolled, downloaded):
    device.results(device.attempt(downloaded[1], WRONG_ANSWERS))

    assert statuses(device.results(device.attempt(downloaded[1]))) == [("refused", "used")]
    assert count(Attempt) == 1


def test_an_attempt_after_a_pass_is_refused(device, enrolled):
    first, second = device.quiz_token(), device.quiz_token()
    device.results(device.attempt(first))

    assert statuses(device.results(device.attempt(second))) == [("refused", "passed")]


def test_an_attempt_past_the_limit_is_refused(device, login_as, auth, make_course):
    make_course(max_attempts=1)
    login_as("learner")
    auth.post(f"/kursus/{SLUG}/daftar")
    first, second = device.quiz_token(), device.quiz_token()  # both downloaded with one attempt left
    device.results(device.attempt(first, WRONG_ANSWERS))

    assert statuses(device.results(device.attempt(second))) == [("refused", "no_attempts")]
    assert count(Attempt) == 1


def test_an_attempt_id_of_another_learner_is_refused(device, auth, enrolled, downloaded):
    taken = device.attempt(downloaded[1], WRONG_ANSWERS)
    device.results(taken)
    sign_in_as(auth, "other")
    auth.post(f"/kursus/{SLUG}/daftar")

    theirs = device.attempt(device.quiz_token(), item_id=taken["id"])

    assert statuses(device.results(theirs)) == [("refused", "not_yours")]
    assert db.session.get(Attempt, taken["id"]).pegawai_id == enrolled.pegawai_id


def test_an_attempt_is_graded_on_the_version_it_was_downloaded_with(
    device, enrolled, downloaded, course_root
):
    from lms.catalog.importer import import_courses

    quiz = course_root / SLUG / "kuis.toml"
    quiz.write_text(quiz.read_text().replace("pass_mark = 75", "pass_mark = 80"), encoding="utf-8")
    import_courses([course_root / SLUG])
    db.session.commit()
    item = device.attempt(downloaded[1])  # answers given with the downloaded version's option ids

    assert statuses(device.results(item)) == [("accepted", "")]
    attempt = db.session.get(Attempt, item["id"])
    assert attempt.kuis_version_id == tokens.read(downloaded[1]).version_id != attempt.kuis.current.id
    assert attempt.percent == 100


@pytest.fixture
def timed(device, login_as, auth, make_course):
    """A 10-minute quiz; the token of an attempt at it."""
    make_course(time_limit=10)
    login_as("learner")
    auth.post(f"/kursus/{SLUG}/daftar")
    return device.quiz_token()


def test_an_answer_chosen_after_the_time_limit_is_dropped(device, timed):
    item = device.attempt(timed, started=utcnow(), minutes=30)
    item["answers"]["q1"]["at"] = item["started_at"] + 11 * 60_000  # past 10 minutes and the grace

    device.results(item)

    attempt = db.session.get(Attempt, item["id"])
    assert attempt.late and set(attempt.answers) == {"q2", "q3", "q4"}
    assert attempt.percent == 75


def test_a_device_clock_that_is_behind_gives_no_extra_time(device, timed):
    """The device's clock is a day behind: its attempt begins, to the server, when the
    download was made; the moments of its answers are corrected by as much."""
    behind = utcnow() - timedelta(days=1)
    item = device.attempt(timed, started=behind, minutes=30)
    item["answers"]["q1"]["at"] = ms(behind + timedelta(minutes=20))

    device.results(item)

    attempt = db.session.get(Attempt, item["id"])
    assert attempt.late and "q1" not in attempt.answers
    assert set(attempt.answers) == {"q2", "q3", "q4"}


def test_a_device_clock_that_is_ahead_loses_no_answer(device, timed):
    """The device's clock is a day ahead and the attempt, taken in five minutes, arrives at
    once: to the server it began and ended now, and every answer was in time."""
    item = device.attempt(timed, started=utcnow() + timedelta(days=1), minutes=5)

    device.results(item)

    attempt = db.session.get(Attempt, item["id"])
    assert not attempt.late and attempt.percent == 100


# --- refused ----------------------------------------------------------------------------------


def tampered(token: str) -> str:
    payload, signature = token.rsplit(".", 1)
    return f"{payload[:-3]}{'A' if payload[-3] != 'A' else 'B'}{payload[-2:]}.{signature}"


def test_a_tampered_token_is_refused(device, enrolled, downloaded):
    module_token, quiz_token = downloaded

    results = device.results(
        device.module(tampered(module_token)), device.attempt(quiz_token) | {"token": "x"}
    )

    assert statuses(results) == [("refused", "bad_token"), ("refused", "bad_token")]
    assert nothing_written()


def test_another_learners_token_is_refused_when_they_do_not_send_it(device, auth, enrolled, downloaded):
    module_token, quiz_token = downloaded
    items = device.module(module_token), device.attempt(quiz_token)
    sign_in_as(auth, "other")
    auth.post(f"/kursus/{SLUG}/daftar")

    assert statuses(device.results(*items)) == [("refused", "other_user")] * 2
    sign_in_as(auth, "supervisor")  # not in a sync file: only the learner may send it
    assert statuses(device.results(*items)) == [("refused", "other_user")] * 2
    assert nothing_written()


def test_a_course_withdrawn_after_the_download_takes_nothing(device, enrolled, downloaded):
    module_token, quiz_token = downloaded
    db.session.scalar(select(Kursus)).status = "archived"
    db.session.commit()

    results = device.results(device.module(module_token), device.attempt(quiz_token))

    assert statuses(results) == [("refused", "withdrawn")] * 2
    assert nothing_written()


def test_a_learner_no_longer_enrolled_sends_nothing(device, enrolled, downloaded):
    module_token, quiz_token = downloaded
    db.session.execute(Enrolment.__table__.delete())
    db.session.commit()

    results = device.results(device.module(module_token), device.attempt(quiz_token))

    assert statuses(results) == [("refused", "not_enrolled")] * 2
    assert nothing_written()


def test_a_module_the_course_no_longer_has_is_refused(device, enrolled, downloaded):
    results = device.results(device.module(downloaded[0], "dihapus"), device.module(downloaded[0], 7))

    assert statuses(results) == [("refused", "unknown_module")] * 2
    assert nothing_written()


def test_an_attempt_under_a_module_token_is_refused(device, enrolled, downloaded):
    module_token, quiz_token = downloaded
    item = device.attempt(quiz_token) | {"token": module_token}

    assert statuses(device.results(item)) == [("refused", "no_quiz")]
    assert nothing_written()


def test_a_download_past_its_validity_brings_no_new_attempt(app, device, enrolled, downloaded, clock):
    module_token, quiz_token = downloaded
    clock.advance(days=app.config["OFFLINE_TOKEN_DAYS"], minutes=1)

    results = accept(app, [device.attempt(quiz_token), device.module(module_token)], enrolled)

    assert [(r.status, r.code) for r in results] == [("refused", "expired"), ("accepted", "")]
    assert count(Attempt) == 0


def test_an_attempt_that_arrived_in_time_is_answered_as_before_once_expired(
    app, device, enrolled, downloaded, clock
):
    item = device.attempt(downloaded[1])
    device.results(item)
    clock.advance(days=app.config["OFFLINE_TOKEN_DAYS"] + 1)

    again = accept(app, [item], enrolled)[0]

    assert (again.status, again.percent, again.url) == ("duplicate", 100, f"/percobaan/{item['id']}/hasil")


def test_an_attempt_arriving_on_the_last_day_of_its_download_counts(app, device, enrolled, downloaded, clock):
    clock.advance(days=app.config["OFFLINE_TOKEN_DAYS"] - 1, hours=23)

    assert accept(app, [device.attempt(downloaded[1])], enrolled)[0].status == "accepted"


def module_with(**changes):
    """A module item changed by ``changes`` (a value None: the key left out)."""
    return lambda device, module_token, quiz_token: changed(device.module(module_token), changes)


def attempt_with(**changes):
    return lambda device, module_token, quiz_token: changed(device.attempt(quiz_token), changes)


def changed(item: dict, changes: dict) -> dict:
    return {k: v for k, v in {**item, **changes}.items() if v is not None}


DAMAGED = {
    "a string": lambda *_: "item",
    "a number": lambda *_: 5,
    "null": lambda *_: None,
    "a list": lambda device, module_token, _: [device.module(module_token)],
    "no id": module_with(id=None),
    "an id that is not one": module_with(id="42"),
    "a numeric id": module_with(id=42),
    "an unknown kind": module_with(kind="lesson"),
    "no kind": module_with(kind=None),
    "answers as a list": attempt_with(answers=[{"q1": "x"}]),
    "answers as a string": attempt_with(answers="q1=a"),
    "no answers": attempt_with(answers=None),
    "too many answers": attempt_with(answers={f"q{i}": {"answer": "x", "at": 1} for i in range(501)}),
    "a start that is text": attempt_with(started_at="kemarin"),
    "a start that is true": attempt_with(started_at=True),
    "a start before 1970": attempt_with(started_at=-5),
    "an end far in the future": attempt_with(finished_at=2**46),
    "no end": attempt_with(finished_at=None),
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_item_is_refused_as_invalid_and_writes_nothing(device, enrolled, downloaded, damage):
    item = damage(device, *downloaded)

    results = device.results(item, device.module(downloaded[0]))

    assert statuses(results)[0] == ("refused", "invalid")
    assert results[1]["status"] == "accepted"  # the others in the batch are taken
    assert count(Attempt) == 0 and count(ModuleCompletion) == 1


def test_too_many_items_at_once_are_refused_whole(app, device, enrolled, downloaded):
    items = [device.module(downloaded[0])] * (app.config["SYNC_MAX_ITEMS"] + 1)

    response = device.send(*items)

    assert response.status_code == 400 and response.json["error"]
    assert nothing_written()


@pytest.mark.parametrize("payload", [[], {"items": "all"}, {"things": []}, "items"])
def test_a_request_that_is_not_a_list_of_items_is_a_400(auth, enrolled, payload):
    response = auth.post_json("/luring/sinkron", payload)
    assert response.status_code == 400 and response.json["error"]


def test_a_request_without_the_csrf_token_is_refused(client, device, enrolled, downloaded):
    response = client.post("/luring/sinkron", json={"items": [device.module(downloaded[0])]})

    assert response.status_code == 400
    assert nothing_written()


def test_nothing_is_received_from_someone_signed_out(client, device, auth, enrolled, downloaded):
    item = device.module(downloaded[0])
    auth.logout()

    response = client.post("/luring/sinkron", json={"items": [item]}, headers={"X-CSRFToken": auth.token()})

    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
    assert nothing_written()


# --- sync files -------------------------------------------------------------------------------

RESULT_LI = re.compile(r'<li class="sync-(\w+)">')


def shown(response) -> list[str]:
    """The statuses the upload page lists, in order."""
    return RESULT_LI.findall(response.get_data(as_text=True))


def uploads() -> list[tuple[str, int | None, dict]]:
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "luring.unggah")).all()
    return [(e.target_id, e.actor_id, e.after) for e in entries]


@pytest.fixture
def saved(device, downloaded) -> bytes:
    """The sync file of the learner's device: a module done and an attempt."""
    module_token, quiz_token = downloaded
    return sync_file(device.module(module_token), device.attempt(quiz_token))


def test_a_sync_file_is_recorded_once_however_often_it_is_uploaded(device, enrolled, saved):
    first = device.upload(saved)
    again = device.upload(saved)

    assert (first.status_code, shown(first)) == (200, ["accepted", "accepted"])
    assert (again.status_code, shown(again)) == (200, ["duplicate", "duplicate"])
    assert (count(Attempt), count(ModuleCompletion)) == (1, 1)
    me = enrolled.pegawai_id
    assert uploads() == [(str(me), me, {"accepted": 2}), (str(me), me, {"duplicate": 2})]


def test_a_supervisor_may_upload_the_sync_file_of_their_team(device, auth, users, enrolled, saved):
    sign_in_as(auth, "supervisor")

    response = device.upload(saved)

    assert shown(response) == ["accepted", "accepted"]
    attempt = db.session.scalar(select(Attempt))
    assert attempt.pegawai_id == enrolled.pegawai_id and attempt.passed
    assert db.session.scalar(select(ModuleCompletion.pegawai_id)) == enrolled.pegawai_id
    assert uploads() == [(str(enrolled.pegawai_id), users["supervisor"].pegawai_id, {"accepted": 2})]
    assert f"/percobaan/{attempt.id}/hasil" not in response.get_data(as_text=True)  # not theirs to see


def test_someone_outside_the_team_cannot_upload_a_learners_file(device, auth, enrolled, saved):
    sign_in_as(auth, "other")

    response = device.upload(saved)

    assert response.status_code == 200 and shown(response) == ["refused", "refused"]
    assert nothing_written()
    assert uploads() == []  # nothing of anyone's was in it


def test_a_sync_file_saved_with_a_byte_order_mark_is_read(device, enrolled, saved):
    response = device.upload(codecs.BOM_UTF8 + saved)
    assert (response.status_code, shown(response)) == (200, ["accepted", "accepted"])


DAMAGED_FILES = {
    "not json": lambda good: b"ini bukan berkas sinkron",
    "cut short": lambda good: good[: len(good) // 2],
    "another format": lambda good: good.replace(b'"lms-sinkron"', b'"lms-lain"'),
    "no format": lambda good: b'{"items": [1]}',
    "a list": lambda good: b"[1, 2]",
    "no items": lambda good: sync_file(),
    "items not a list": lambda good: good.replace(b'"items": [', b'"items": {"x": [').replace(b"]}", b"]}}"),
    "a pdf": lambda good: PDF,
    "utf-16": lambda good: good.decode().encode("utf-16"),
    "deeply nested": lambda good: b"[" * 100_000 + b"]" * 100_000,
    "empty": lambda good: b"",
}


@pytest.mark.parametrize("damage", DAMAGED_FILES.values(), ids=DAMAGED_FILES.keys())
def test_a_damaged_sync_file_is_a_400_with_the_message_at_the_field(device, enrolled, saved, damage):
    response = device.upload(damage(saved))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="file-error">[^<]+</p>', page)
    assert 'aria-invalid="true"' in page and shown(response) == []
    assert nothing_written() and uploads() == []


def test_a_file_too_large_to_be_a_sync_file_is_a_400(app, device, enrolled, saved, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_FILE_MAX_BYTES", len(saved) + 10)
    assert device.upload(saved + b" " * 10).status_code == 200  # just within
    response = device.upload(saved + b" " * 11)

    assert response.status_code == 400 and 'id="file-error"' in response.get_data(as_text=True)


def test_a_file_with_too_many_items_is_a_400(app, device, enrolled, downloaded):
    items = [device.module(downloaded[0])] * (app.config["SYNC_MAX_ITEMS"] + 1)

    response = device.upload(sync_file(*items))

    assert response.status_code == 400 and 'id="file-error"' in response.get_data(as_text=True)
    assert nothing_written()


def test_an_upload_without_a_file_is_a_400(auth, enrolled):
    response = auth.post("/luring", {}, content_type="multipart/form-data")
    assert response.status_code == 400 and 'id="file-error"' in response.get_data(as_text=True)


# --- the offline quiz page ----------------------------------------------------------------------

OFFLINE_TOKEN = re.compile(r'data-offline-token="([^"]+)" data-token-id="([^"]+)"')


def inputs_of(page: str, question_id: str) -> list[str]:
    return re.findall(rf'<input[^>]*name="q-{question_id}"[^>]*>', page)


def test_the_offline_quiz_page_asks_one_attempt_under_a_token_naming_the_learner(device, enrolled, course):
    page = device.quiz_page().get_data(as_text=True)

    signed, token_id = OFFLINE_TOKEN.search(page).groups()
    token = tokens.read(signed)
    version = quizzes.quiz_for_course(course.id).current
    assert (token.id, token.pegawai_id, token.kursus_id) == (token_id, enrolled.pegawai_id, course.id)
    assert (token.kuis_id, token.version_id, token.attempts_left) == (version.kuis_id, version.id, 2)
    asked = re.findall(r'<fieldset class="card question" id="q-(\w+)">', page)
    assert asked == [q["id"] for q in quizzes.layout_for(version, token.id)]
    assert sorted(asked) == ["q1", "q2", "q3", "q4"]


def test_each_visit_of_the_offline_quiz_page_is_a_new_token(device, enrolled):
    assert tokens.read(device.quiz_token()).id != tokens.read(device.quiz_token()).id


def test_the_offline_quiz_page_names_the_current_version(device, enrolled, course, course_root):
    from lms.catalog.importer import import_courses

    before = tokens.read(device.quiz_token()).version_id
    quiz = course_root / SLUG / "kuis.toml"
    quiz.write_text(quiz.read_text().replace("pass_mark = 75", "pass_mark = 80"), encoding="utf-8")
    import_courses([course_root / SLUG])
    db.session.commit()

    after = tokens.read(device.quiz_token()).version_id
    assert after != before and after == quizzes.quiz_for_course(course.id).current.id


def test_the_offline_quiz_page_shows_no_answer_key(device, enrolled, course):
    page = device.quiz_page().get_data(as_text=True)

    for secret in ("J.P.", "Kupang adalah ibu kota", "Ende ada di Flores", "Benar."):
        assert secret not in page
    assert not re.search(r"data-(correct|answer|key)", page)
    for question_id in ("q1", "q2"):
        shapes = {re.sub(r'value="[^"]*"', "", tag) for tag in inputs_of(page, question_id)}
        assert len(inputs_of(page, question_id)) > 1 and len(shapes) == 1  # right and wrong look the same


def test_the_offline_quiz_page_shows_no_match_or_accepted_answer(device, login_as, auth, course_root):
    kursus = import_quiz(course_root, every_type())
    login_as("learner")
    auth.post(f"/kursus/{kursus.slug}/daftar")

    page = device.quiz_page(kursus.slug).get_data(as_text=True)

    question = next(q for q in quizzes.quiz_for_course(kursus.id).current.questions if q["id"] == "pasang")
    lists = [
        re.findall(
            r'<option value="(\w*)"', re.search(rf'name="q-pasang\.{p["id"]}">(.*?)</select>', page, re.S)[1]
        )
        for p in question["pairs"]
    ]
    assert lists[0] == lists[1] and "selected" not in page
    for secret in (
        "Ya: A pada BerAKHLAK.",
        "Tepat: 20 JP.",
        "Mendekati.",
        "Betul: PPPK",
        "Kota *",
        "UU 20/2023",
    ):
        assert secret not in page


def test_after_a_pass_there_is_no_offline_attempt(device, enrolled, downloaded):
    device.results(device.attempt(downloaded[1]))

    response = device.quiz_page()

    assert response.status_code == 409
    assert "data-offline-token" not in response.get_data(as_text=True)


def test_with_every_attempt_used_there_is_no_offline_attempt(device, login_as, auth, make_course):
    make_course(max_attempts=1)
    login_as("learner")
    auth.post(f"/kursus/{SLUG}/daftar")
    device.results(device.attempt(device.quiz_token(), WRONG_ANSWERS))

    assert device.quiz_page().status_code == 409


def test_the_offline_quiz_is_only_for_those_enrolled(device, login_as, course):
    login_as("learner")
    assert device.quiz_page().status_code == 403


def test_a_course_without_a_quiz_has_no_offline_quiz_page(device, login_as, auth, make_course):
    make_course(quiz=False)
    login_as("learner")
    auth.post(f"/kursus/{SLUG}/daftar")
    assert device.quiz_page().status_code == 404
