"""kuis.toml read through the one question validator, and quizzes published as versions.

* Every ``[[questions]]`` table goes through ``lms.quizzes.questions.validate``; each of
  its errors is reported as ``kuis.toml:<line>: question <id>: <message>``, on the line of
  the key in that question's own table, or in its n-th option, answer or pair table.
* ``[[draw]]`` tables (tags, count) are checked against the questions; their errors point
  at the rule's key. Draw rules are only checked when every question is sound.
* Unknown keys are reported in every table. Messages are in English, like the rest of
  `flask kursus check`, whatever the language of the request.
* ``publish_quiz`` makes a new version (fresh option ids) only when the settings, the
  questions or the draw changed.
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.catalog.importer import Errors, TomlSource
from lms.core.errors import DomainError
from lms.extensions import db
from lms.quizzes.importer import SETTINGS, KuisPart
from lms.quizzes.models import KuisVersion
from lms.quizzes.services import publish_quiz
from tests.quizzes.courses import every_type, import_quiz, quiz_of

SLUG = "kursus-kuis"


@pytest.fixture
def parse(ctx, tmp_path):
    """Parse a kuis.toml text: (spec, errors) as `flask kursus check` reports them."""

    def run(text: str):
        folder = tmp_path / SLUG
        folder.mkdir(exist_ok=True)
        (folder / "kuis.toml").write_text(text, encoding="utf-8")
        errors = Errors(folder)
        spec = KuisPart().parse(TomlSource(folder / "kuis.toml", errors))
        return spec, errors.items

    return run


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_every_type_of_question_is_read_canonical(parse):
    spec, errors = parse(every_type())

    assert errors == []
    assert [(q["id"], q["type"]) for q in spec["questions"]] == [
        ("pilih", "multiple"),
        ("angka", "numeric"),
        ("pasang", "matching"),
        ("benar", "truefalse"),
        ("isian", "short"),
    ]
    by_id = {q["id"]: q for q in spec["questions"]}
    assert by_id["pilih"]["partial"] is True and by_id["pilih"]["tags"] == ["nilai"]
    assert by_id["angka"]["answers"][1] == {"min": 15, "max": 25, "weight": 0.5, "feedback": "Mendekati."}
    assert by_id["isian"]["answers"][0] == {"text": "Kupang", "weight": 1, "feedback": ""}
    assert spec["draw"] == []


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        pytest.param(
            'text = "Birokratis"\n',
            'text = "Birokratis"\nweight = 2\n',
            "weight = 2",
            "question pilih: the weight of option 3 must be a number from -1 to 1",
            id="option-weight",
        ),
        pytest.param(
            "min = 15\nmax = 25",
            "min = 25\nmax = 15",
            "max = 15",
            "question angka: the range is empty: min 25 is above max 15",
            id="numeric-range",
        ),
        pytest.param(
            'answer = "Pelayanan Publik"',
            'answer = " "',
            'answer = " "',
            "question pasang: pair 2 has no answer",
            id="pair-answer",
        ),
        pytest.param(
            'tags = ["nilai"]',
            'tags = ["nilai", ""]',
            'tags = ["nilai", ""]',
            "question pilih: tag 2 must be 1 to 40 characters",
            id="tag",
        ),
        pytest.param(
            "value = 20\n",
            "value = 20\nvalu = 3\n",
            "valu = 3",
            "unknown key 'valu' in answers of angka",
            id="unknown-key-in-an-answer",
        ),
        pytest.param(
            "answer = true\n",
            "answer = true\npartial = true\n",
            "partial = true\nfeedback_true",
            "question benar: a truefalse question has no 'partial'",
            id="key-of-another-type",
        ),
        pytest.param(
            'text = "Nama ibu kota NTT?"\n',
            "",
            '[[questions]]\nid = "isian"',
            "question isian: the question has no text",
            id="missing-key-points-at-its-question-not-a-later-table",
        ),
    ],
)
def test_an_error_points_at_the_key_in_its_own_table(parse, old, new, at, message):
    text = every_type().replace(old, new, 1)

    _, errors = parse(text)

    assert errors == [f"{SLUG}/kuis.toml:{line_of(text, at)}: {message}"]


def test_messages_are_in_english_whatever_the_request_language(parse):
    with force_locale("id"):
        _, errors = parse(every_type().replace("min = 15\nmax = 25", "min = 25\nmax = 15"))

    assert "the range is empty" in errors[0]


DRAW = '\n[[draw]]\ntags = ["nilai"]\ncount = {count}\n'


def test_draw_rules_are_read(parse):
    spec, errors = parse(every_type() + DRAW.format(count=1))

    assert errors == []
    assert spec["draw"] == [{"tags": ["nilai"], "count": 1}]


@pytest.mark.parametrize(
    ("rule", "at", "message"),
    [
        pytest.param(
            DRAW.format(count=2),
            "count = 2",
            "draw rule 1 draws 2 questions, but only 1 have its tags",
            id="count",
        ),
        pytest.param(
            '\n[[draw]]\ntags = ["pajak"]\ncount = 1\n',
            'tags = ["pajak"]',
            "no question has the tag 'pajak'",
            id="tag",
        ),
        pytest.param(
            DRAW.format(count=1) + "jumlah = 3\n",
            "jumlah = 3",
            "unknown key 'jumlah' in [[draw]]",
            id="unknown-key",
        ),
    ],
)
def test_a_draw_error_points_at_its_rule(parse, rule, at, message):
    text = every_type() + rule

    _, errors = parse(text)

    assert errors == [f"{SLUG}/kuis.toml:{line_of(text, at)}: {message}"]


def test_draw_rules_are_not_checked_while_a_question_is_broken(parse):
    text = every_type().replace('tags = ["nilai"]\n', 'tags = ["nilai"]\npoints = 0\n') + DRAW.format(count=5)

    _, errors = parse(text)

    assert errors == [
        f"{SLUG}/kuis.toml:{line_of(text, 'points = 0')}: question pilih: 'points' must be a number above 0 and at most 100"
    ]


# --- publishing ----------------------------------------------------------------------------


def option_ids(version: KuisVersion) -> set[str]:
    """The ids of every option, pair and choice of a version."""
    parts = ("options", "pairs", "choices")
    return {item["id"] for q in version.questions for part in parts for item in q.get(part, [])}


def versions(kursus) -> list[KuisVersion]:
    return quiz_of(kursus).versions


def test_importing_the_same_quiz_again_makes_no_new_version(ctx, course_root):
    kursus = import_quiz(course_root, every_type())
    import_quiz(course_root, every_type())

    assert [v.number for v in versions(kursus)] == [1]


def test_a_changed_quiz_is_a_new_version_with_ids_of_its_own(ctx, course_root):
    kursus = import_quiz(course_root, every_type())
    import_quiz(course_root, every_type(feedback="correctness"))

    first, second = versions(kursus)
    assert (first.feedback, second.feedback, second.number) == ("keys", "correctness", 2)
    assert option_ids(first) and not option_ids(first) & option_ids(second)


def settings_of(version: KuisVersion, **changes) -> dict:
    return {name: getattr(version, name) for name in SETTINGS} | {"draw": version.draw} | changes


def test_publish_quiz_says_when_nothing_changed(ctx, course_root):
    kursus = import_quiz(course_root, every_type())
    folder = course_root / SLUG
    questions = KuisPart().parse(TomlSource(folder / "kuis.toml", Errors(folder)))["questions"]
    settings = settings_of(quiz_of(kursus).current)

    assert publish_quiz(kursus, settings, questions) is None
    assert publish_quiz(kursus, {**settings, "pass_mark": 80}, questions).number == 2


@pytest.mark.parametrize(
    ("draw", "questions", "field"),
    [
        pytest.param([{"tags": ["nilai"], "count": 3}], None, "draw", id="draw-cannot-be-met"),
        pytest.param([], [], "questions", id="no-questions"),
    ],
)
def test_publish_quiz_refuses_what_cannot_be_taken(ctx, course_root, draw, questions, field):
    kursus = import_quiz(course_root, every_type())
    current = quiz_of(kursus).current
    settings = settings_of(current, draw=draw)

    with pytest.raises(DomainError) as refused:
        publish_quiz(kursus, settings, current.questions if questions is None else questions)

    assert refused.value.field == field
    assert db.session.scalar(select(func.count(KuisVersion.id))) == 1
