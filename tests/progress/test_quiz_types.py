"""Numbers, matching and partial credit as a learner meets them (tests/quizzes/courses.py
EVERY_TYPE: a multiple choice with partial credit, a number, a matching question, a
true/false statement and a short answer).

* The attempt page asks for a number in a text field that opens the phone's number pad,
  and a matching question with a labelled drop-down per pair; nothing on it tells the
  answers.
* Without JavaScript the form is graded as it is; with it, a matching question is saved
  pair by pair.
* The result shows partial credit, the note written for the answer given, and the
  accepted answers only when the quiz's feedback mode lets it show keys.
* Submitting records how each question was graded and what was chosen, once.
* A past attempt keeps the version it was taken on; a version stored before weights
  existed is taken and graded as before.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, AttemptChoice, AttemptItem
from tests.conftest import CORRECT_ANSWERS
from tests.progress.test_quiz_rules import start
from tests.progress.test_quiz_rules import submit as submit_by_place
from tests.quizzes.courses import asked_question, every_type, import_quiz, matches, option_named, quiz_of

SLUG = "kursus-kuis"


@pytest.fixture
def learner_at(client, auth, login_as, course_root):
    """An enrolled learner on a fresh attempt at a quiz of every type; its attempt id."""

    def begin(**quiz) -> str:
        import_quiz(course_root, every_type(**quiz))
        login_as("learner")
        auth.post(f"/kursus/{SLUG}/daftar")
        return start(auth, SLUG)

    return begin


def half_right(attempt_id: str) -> dict:
    """The form of a learner who gets every question but the true/false one half right."""
    pair = matches(
        attempt_id, "pasang", {"UU 5/2014": "Aparatur Sipil Negara", "UU 25/2009": "Keuangan Negara"}
    )
    return {
        "q-pilih": option_named(attempt_id, "pilih", "Akuntabel"),
        "q-angka": " 17,5 ",
        **{f"q-pasang.{p}": c for p, c in pair.items()},
        "q-benar": "true",
        "q-isian": "Kota Kupang",
    }


def submit(auth, attempt_id: str, form: dict):
    return auth.post(f"/percobaan/{attempt_id}", {**form, "action": "submit", "confirmed": "1"})


def result_page(client, attempt_id: str) -> str:
    return client.get(f"/percobaan/{attempt_id}/hasil").get_data(as_text=True)


# --- the attempt page ----------------------------------------------------------------------


def test_a_number_is_typed_in_a_field_that_opens_the_number_pad(client, learner_at):
    page = client.get(f"/percobaan/{learner_at()}").get_data(as_text=True)

    field = re.search(r'<input[^>]*name="q-angka"[^>]*>', page).group(0)
    assert 'type="text"' in field and 'inputmode="decimal"' in field and 'autocomplete="off"' in field
    assert 'aria-describedby="hint-angka"' in field and 'id="hint-angka"' in page


def test_each_pair_has_a_labelled_drop_down_of_the_same_choices_that_tells_nothing(client, learner_at):
    attempt_id = learner_at()
    question = asked_question(attempt_id, "pasang")

    page = client.get(f"/percobaan/{attempt_id}").get_data(as_text=True)

    lists = []
    for pair in question["pairs"]:
        select_id = f"match-pasang-{pair['id']}"
        assert f'<label for="{select_id}">{pair["html"]}</label>' in page
        found = re.search(
            rf'<select id="{select_id}" name="q-pasang\.{pair["id"]}">(.*?)</select>', page, re.S
        )
        lists.append(re.findall(r'<option value="([^"]*)"', found.group(1)))
    assert lists[0] == lists[1]
    assert lists[0][0] == "" and sorted(lists[0][1:]) == sorted(c["id"] for c in question["choices"])
    for secret in ("Ya: A pada BerAKHLAK.", "Tepat: 20 JP.", "Mendekati.", "Betul: PPPK", "Kota *"):
        assert secret not in page


# --- answering and grading -----------------------------------------------------------------


def test_the_form_without_javascript_is_graded_with_partial_credit(client, auth, learner_at):
    attempt_id = learner_at()

    submit(auth, attempt_id, half_right(attempt_id))

    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.answers["angka"] == "17,5" and attempt.answers["isian"] == "Kota Kupang"
    assert len(attempt.answers["pasang"]) == 2
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed) == (3.0, 5.0, 60.0, True)
    page = result_page(client, attempt_id)
    assert page.count('class="card question partly"') == 4
    assert page.count("0,5") >= 4  # the points of each partly right answer, in the learner's language


def test_autosave_keeps_a_matching_answer_pair_by_pair(auth, learner_at):
    attempt_id = learner_at()
    first, second = asked_question(attempt_id, "pasang")["pairs"]
    choice = asked_question(attempt_id, "pasang")["choices"][0]["id"]
    url = f"/percobaan/{attempt_id}/jawaban"

    def saved():
        db.session.expire_all()
        return db.session.get(Attempt, attempt_id).answers.get("pasang")

    assert auth.post_json(url, {"question": f"pasang.{first['id']}", "answer": choice}).status_code == 200
    assert auth.post_json(url, {"question": f"pasang.{second['id']}", "answer": choice}).status_code == 200
    assert saved() == {first["id"]: choice, second["id"]: choice}
    auth.post_json(url, {"question": f"pasang.{first['id']}", "answer": ""})
    assert saved() == {second["id"]: choice}
    assert auth.post_json(url, {"question": "pasang.zzz", "answer": choice}).status_code == 400
    assert auth.post_json(url, {"question": "angka.x", "answer": "3"}).status_code == 400
    auth.post_json(url, {"question": "pasang", "answer": {first["id"]: choice, "nope": choice}})
    assert saved() == {first["id"]: choice}


def test_a_number_is_autosaved_as_typed(auth, learner_at):
    attempt_id = learner_at()

    auth.post_json(f"/percobaan/{attempt_id}/jawaban", {"question": "angka", "answer": " 1.000,5 "})

    assert db.session.get(Attempt, attempt_id).answers == {"angka": "1.000,5"}


# --- what the result shows -----------------------------------------------------------------

NOTES = ("Ya: A pada BerAKHLAK.", "Betul: PPPK adalah ASN.", "Mendekati.")
KEYS = ("Pelayanan Publik", "Kota *", "15–25")


@pytest.mark.parametrize(
    ("quiz", "notes", "keys"),
    [
        pytest.param({"feedback": "score", "max_attempts": 1}, False, False, id="score"),
        pytest.param(
            {"feedback": "correctness", "max_attempts": 1}, True, False, id="correctness-never-keys"
        ),
        pytest.param({"feedback": "keys", "pass_mark": 80}, True, False, id="keys-while-attempts-are-left"),
        pytest.param({"feedback": "keys", "max_attempts": 1}, True, True, id="keys-once-nothing-is-left"),
    ],
)
def test_notes_and_keys_follow_the_feedback_mode(client, auth, learner_at, quiz, notes, keys):
    attempt_id = learner_at(**quiz)
    submit(auth, attempt_id, half_right(attempt_id))

    page = result_page(client, attempt_id)

    assert [note in page for note in NOTES] == [notes] * len(NOTES)
    assert [key in page for key in KEYS] == [keys] * len(KEYS)


# --- records for item analysis -------------------------------------------------------------


def test_submitting_records_each_question_and_each_choice_once(auth, learner_at):
    attempt_id = learner_at()
    form = half_right(attempt_id)
    submit(auth, attempt_id, form)
    submit(auth, attempt_id, form)  # a second press of the button

    items = {
        row.question_id: (row.answered, row.fraction, row.points, row.max_points)
        for row in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))
    }
    assert items == {
        "pilih": (True, 0.5, 0.5, 1.0),
        "angka": (True, 0.5, 0.5, 1.0),
        "pasang": (True, 0.5, 0.5, 1.0),
        "benar": (True, 1.0, 1.0, 1.0),
        "isian": (True, 0.5, 0.5, 1.0),
    }
    choices = db.session.execute(
        select(AttemptChoice.question_id, AttemptChoice.option_id).where(
            AttemptChoice.attempt_id == attempt_id
        )
    ).all()
    pairs = sorted(f"{p}:{c}" for p, c in db.session.get(Attempt, attempt_id).answers["pasang"].items())
    assert sorted(choices) == sorted(
        [("pilih", form["q-pilih"]), ("benar", "true"), *(("pasang", pair) for pair in pairs)]
    )


# --- versions --------------------------------------------------------------------------------


def test_a_past_attempt_keeps_showing_and_grading_as_it_was(client, auth, learner_at, course_root):
    attempt_id = learner_at()
    submit(auth, attempt_id, half_right(attempt_id))
    before = [(i.question["text"], i.result) for i in quizzes.review(db.session.get(Attempt, attempt_id))]

    changed = every_type().replace("Nama ibu kota NTT?", "Ibu kota NTT?").replace("weight = 0.5\n", "")
    kursus = import_quiz(course_root, changed)

    assert len(quiz_of(kursus).versions) == 2
    attempt = db.session.get(Attempt, attempt_id)
    assert [(i.question["text"], i.result) for i in quizzes.review(attempt)] == before
    assert attempt.score == 3.0
    assert "Nama ibu kota NTT?" in result_page(client, attempt_id)


def as_stored_before_weights(question: dict) -> dict:
    """A question as versions were stored before this change: no format, tags, weights or
    partial, short answers as plain strings."""
    old = {k: v for k, v in question.items() if k not in ("format", "tags", "partial")}
    if question["type"] == "short":
        old["answers"] = [a["text"] for a in question["answers"]]
    return old


def test_a_version_stored_before_weights_is_taken_and_graded_as_before(client, auth, login_as, course):
    version = quiz_of(course).current
    version.questions = [as_stored_before_weights(q) for q in version.questions]
    db.session.commit()
    login_as("learner")
    auth.post("/kursus/kursus-uji/daftar")

    attempt_id = start(auth)
    assert client.get(f"/percobaan/{attempt_id}").status_code == 200
    submit_by_place(auth, attempt_id, CORRECT_ANSWERS)

    attempt = db.session.get(Attempt, attempt_id)
    assert (attempt.score, attempt.max_score, attempt.passed) == (4.0, 4.0, True)
    assert "<b>JP, J.P.</b>" in result_page(client, attempt_id)
    assert db.session.scalar(select(func.count()).select_from(AttemptItem)) == 4
