"""One validator for a question however it arrives (lms/quizzes/questions.py).

* ``validate`` takes a question in the words of kuis.toml and returns it canonical: text
  trimmed, every default filled in, "html" beside each text a learner sees (Markdown
  rendered, HTML sanitised), short answers as tables, numeric answers with min and max.
* A broken question raises ``InvalidQuestion`` listing every problem, each on its field
  as a dotted path, with a message saying what is wrong.
* A question whose weights can never reach full marks, or where ticking every box would,
  is broken.
* Validating a canonical question again gives the same question (the bank stores them so).
* ``check_draw`` finds draw rules that cannot always be met.
"""

from __future__ import annotations

import copy

import pytest

from lms.quizzes.questions import MAX_OPTIONS, FieldError, InvalidQuestion, check_draw, validate


def options(*correct: bool, first: int = 1, **extra) -> list[dict]:
    return [{"text": f"Opsi {n}", "correct": c, **extra} for n, c in enumerate(correct, start=first)]


VALID = {
    "single": {"type": "single", "text": "Ibu kota NTT?", "options": options(True, False)},
    "multiple": {"type": "multiple", "text": "Nilai BerAKHLAK?", "options": options(True, True, False)},
    "truefalse": {"type": "truefalse", "text": "PPPK termasuk ASN.", "answer": True},
    "short": {"type": "short", "text": "Singkatan jam pelajaran?", "answers": ["JP"]},
    "numeric": {"type": "numeric", "text": "Berapa JP setahun?", "answers": [{"value": 20}]},
    "matching": {
        "type": "matching",
        "text": "Pasangkan.",
        "pairs": [{"text": "UU 5/2014", "answer": "ASN"}, {"text": "UU 25/2009", "answer": "Pelayanan"}],
    },
}


def errors_of(raw: dict) -> list[FieldError]:
    with pytest.raises(InvalidQuestion) as caught:
        validate(raw)
    return caught.value.errors


def broken(kind: str, change) -> dict:
    raw = copy.deepcopy(VALID[kind])
    change(raw)
    return raw


def put(**values):
    return lambda raw: raw.update(values)


def put_in(key: str, index: int, **values):
    return lambda raw: raw[key][index].update(values)


# --- canonical questions ---------------------------------------------------------------------


def test_a_single_choice_question_comes_back_with_every_default():
    assert validate({**VALID["single"], "text": "  Ibu kota **NTT**?  "}) == {
        "type": "single",
        "format": "markdown",
        "text": "Ibu kota **NTT**?",
        "html": "Ibu kota <strong>NTT</strong>?",
        "points": 1.0,
        "feedback": "",
        "tags": [],
        "options": [
            {"text": "Opsi 1", "html": "Opsi 1", "correct": True, "feedback": ""},
            {"text": "Opsi 2", "html": "Opsi 2", "correct": False, "feedback": ""},
        ],
    }


def test_each_type_gets_its_own_defaults():
    assert validate(VALID["multiple"])["partial"] is False
    assert {k: validate(VALID["truefalse"])[k] for k in ("feedback_true", "feedback_false")} == {
        "feedback_true": "",
        "feedback_false": "",
    }
    short = validate(VALID["short"])
    assert (short["answers"], short["ignore_accents"]) == (
        [{"text": "JP", "weight": 1, "feedback": ""}],
        False,
    )
    assert validate(VALID["numeric"])["answers"] == [
        {"value": 20, "tolerance": 0, "min": 20, "max": 20, "weight": 1, "feedback": ""}
    ]
    matching = validate(VALID["matching"])
    assert matching["pairs"][0] == {"text": "UU 5/2014", "html": "UU 5/2014", "answer": "ASN"}
    assert (matching["distractors"], matching["partial"]) == ([], True)


def test_a_numeric_answer_as_value_and_tolerance_also_carries_its_range():
    answer = validate({**VALID["numeric"], "answers": [{"value": 2.5, "tolerance": 0.1}]})["answers"][0]

    assert (answer["min"], answer["max"], answer["value"], answer["tolerance"]) == (2.4, 2.6, 2.5, 0.1)


def test_an_option_keeps_a_weight_only_when_one_was_written():
    question = validate(
        {**VALID["multiple"], "partial": True, "options": [*options(True, True), {"text": "X", "weight": -1}]}
    )

    assert ["weight" in o for o in question["options"]] == [False, False, True]


def test_html_questions_are_sanitised_and_stored_sanitised():
    question = validate(
        {
            **VALID["single"],
            "format": "html",
            "text": '<p onclick="x()">Ibu kota <b>NTT</b>?</p><script>alert(1)</script>',
            "options": [{"text": "<i>Kupang</i>", "correct": True}, {"text": "Ende"}],
        }
    )

    assert question["text"] == question["html"] == "<p>Ibu kota <b>NTT</b>?</p>"
    assert question["options"][0]["html"] == "<i>Kupang</i>"


def test_tags_are_trimmed_and_a_tag_is_kept_once_whatever_its_case():
    question = validate({**VALID["truefalse"], "tags": [" Keamanan  Informasi ", "phishing", "Phishing"]})

    assert question["tags"] == ["Keamanan Informasi", "phishing"]


@pytest.mark.parametrize("kind", sorted(VALID))
def test_validating_a_canonical_question_again_changes_nothing(kind):
    canonical = validate({**VALID[kind], "tags": ["a"], "points": 2.5, "feedback": "Lihat modul 2."})

    assert validate(canonical) == canonical


# --- broken questions ----------------------------------------------------------------------

BROKEN = [
    pytest.param(broken("single", put(type="essay")), "type", "'type' must be one of", id="type"),
    pytest.param(broken("single", put(text="   ")), "text", "the question has no text", id="no-text"),
    pytest.param(broken("single", put(text="x" * 4001)), "text", "longer than 4000", id="text-too-long"),
    pytest.param(broken("single", put(points=0)), "points", "above 0 and at most 100", id="points-zero"),
    pytest.param(broken("single", put(points=101)), "points", "above 0 and at most 100", id="points-101"),
    pytest.param(broken("single", put(points=True)), "points", "above 0", id="points-bool"),
    pytest.param(broken("single", put(format="rtf")), "format", "markdown or html", id="format"),
    pytest.param(broken("single", put(tags="a, b")), "tags", "a list", id="tags-not-a-list"),
    pytest.param(broken("single", put(tags=["ok", "x" * 41])), "tags.1", "1 to 40", id="tag-too-long"),
    pytest.param(broken("single", put(id="q 1")), "id", "1 to 40 letters", id="bad-id"),
    pytest.param(
        broken("single", put_in("options", 0, correct=False)),
        "options",
        "exactly one correct",
        id="single-none-correct",
    ),
    pytest.param(
        broken("single", put_in("options", 1, correct=True)),
        "options",
        "exactly one correct",
        id="single-two-correct",
    ),
    pytest.param(
        broken("single", put(options=options(True))), "options", "at least two options", id="one-option"
    ),
    pytest.param(
        broken("single", put(options=options(True, *[False] * MAX_OPTIONS))),
        "options",
        "at most 10",
        id="too-many",
    ),
    pytest.param(
        broken("single", put_in("options", 1, text=" opsi  1 ")),
        "options.1.text",
        "option 2 repeats option 1",
        id="repeated-option",
    ),
    pytest.param(
        broken("single", put_in("options", 1, text="")),
        "options.1.text",
        "option 2 has no text",
        id="empty-option",
    ),
    pytest.param(
        broken("single", put_in("options", 0, weight=2)),
        "options.0.weight",
        "from -1 to 1",
        id="weight-out-of-range",
    ),
    pytest.param(
        broken("single", put_in("options", 0, weight=0.8)),
        "options",
        "can never reach full marks: the best answer earns 0.8",
        id="single-never-full",
    ),
    pytest.param(
        broken("single", put_in("options", 1, weight=0.5)),
        "options.1.weight",
        "not marked correct",
        id="wrong-option-earns",
    ),
    pytest.param(
        broken("single", put(partial=True)),
        "partial",
        "a single question has no 'partial'",
        id="partial-on-single",
    ),
    pytest.param(
        broken("truefalse", put(options=options(True, False))),
        "options",
        "a truefalse question has no options",
        id="options-on-truefalse",
    ),
    pytest.param(
        broken("multiple", put(options=options(True, True))),
        "options",
        "correct and wrong options",
        id="multiple-all-correct",
    ),
    pytest.param(
        broken("multiple", put(options=options(False, False))),
        "options",
        "correct and wrong options",
        id="multiple-none-correct",
    ),
    pytest.param(
        broken("multiple", put_in("options", 0, weight=0.5)),
        "options.0.weight",
        "set partial = true",
        id="weights-without-partial",
    ),
    pytest.param(
        broken(
            "multiple",
            put(partial=True, options=options(True, True, weight=0.4) + options(False, first=3, weight=-0.5)),
        ),
        "options",
        "never reach full marks: the best answer earns 0.8",
        id="multiple-never-full",
    ),
    pytest.param(
        broken(
            "multiple", put(partial=True, options=options(True, weight=1) + options(False, first=2, weight=0))
        ),
        "options",
        "ticking every option would earn full marks",
        id="every-box-full-marks",
    ),
    pytest.param(
        broken("truefalse", put(answer="ya")), "answer", "'answer' must be true or false", id="truefalse-text"
    ),
    pytest.param(
        broken("short", put(answers=[])), "answers", "must list the accepted answers", id="short-none"
    ),
    pytest.param(
        broken("short", put(answers=["JP", " "])), "answers.1", "answer 2 is empty", id="short-empty"
    ),
    pytest.param(
        broken("short", put(answers=["JP", "jp "])),
        "answers.1",
        "answer 2 repeats answer 1",
        id="short-repeated",
    ),
    pytest.param(
        broken("short", put(answers=["*"])), "answers.0", "accepts anything", id="short-only-wildcard"
    ),
    pytest.param(
        broken("short", put(answers=["x" * 201])), "answers.0", "200 characters", id="short-untypeable"
    ),
    pytest.param(
        broken("short", put(answers=[{"text": "JP", "weight": 0.5}])),
        "answers",
        "never reach full marks",
        id="short-never-full",
    ),
    pytest.param(
        broken("short", put(answers=[{"text": "JP", "weight": 0}])),
        "answers.0.weight",
        "above 0 and at most 1",
        id="short-weight",
    ),
    pytest.param(
        broken("numeric", put(answers=[{"min": 5, "max": 3}])),
        "answers.0.max",
        "the range is empty: min 5 is above max 3",
        id="empty-range",
    ),
    pytest.param(
        broken("numeric", put(answers=[{"value": "dua"}])),
        "answers.0.value",
        "must be a number",
        id="value-text",
    ),
    pytest.param(
        broken("numeric", put(answers=[{"min": 1}])),
        "answers.0",
        "needs a value, or min and max",
        id="half-range",
    ),
    pytest.param(
        broken("numeric", put(answers=[{"value": 2, "tolerance": -1}])),
        "answers.0.tolerance",
        "must not be negative",
        id="tolerance",
    ),
    pytest.param(
        broken("numeric", put(answers=[{"value": 2, "min": 0, "max": 9}])),
        "answers.0.min",
        "either a value and a tolerance",
        id="both-forms",
    ),
    pytest.param(
        broken("numeric", put(answers=[{"value": float("nan")}])),
        "answers.0.value",
        "must be a number",
        id="nan",
    ),
    pytest.param(
        broken("matching", put(pairs=[{"text": "A", "answer": "B"}])),
        "pairs",
        "at least two pairs",
        id="one-pair",
    ),
    pytest.param(
        broken("matching", put_in("pairs", 1, answer=" ")),
        "pairs.1.answer",
        "pair 2 has no answer",
        id="pair-without-answer",
    ),
    pytest.param(
        broken("matching", put_in("pairs", 1, text="uu 5/2014")),
        "pairs.1.text",
        "pair 2 repeats pair 1",
        id="repeated-pair",
    ),
    pytest.param(
        broken("matching", put(distractors=["asn"])),
        "distractors.0",
        "is the answer of pair 1",
        id="distractor-is-an-answer",
    ),
    pytest.param(
        broken("matching", put(distractors=["X", "x"])),
        "distractors.1",
        "repeats wrong match 1",
        id="repeated-distractor",
    ),
    pytest.param(
        broken("matching", put_in("pairs", 1, answer="ASN")),
        "pairs",
        "nothing to choose",
        id="one-answer-for-all",
    ),
]


@pytest.mark.parametrize(("raw", "field", "message"), BROKEN)
def test_a_broken_question_names_its_field_and_the_problem(raw, field, message):
    errors = errors_of(raw)

    assert [e.field for e in errors] == [field], errors
    assert message in errors[0].message


def test_every_problem_is_reported_at_once_and_the_first_is_the_errors_message():
    raw = {
        "type": "single",
        "text": "",
        "points": -1,
        "options": [{"text": "A", "correct": True}, {"text": "a", "correct": True, "weight": 5}],
    }

    with pytest.raises(InvalidQuestion) as caught:
        validate(raw)

    fields = [e.field for e in caught.value.errors]
    assert fields == ["text", "points", "options.1.weight", "options.1.text", "options"]
    assert (caught.value.field, caught.value.message) == ("text", caught.value.errors[0].message)


def test_several_correct_single_choice_options_are_fine_when_weights_say_which_is_best():
    question = validate(
        {
            **VALID["single"],
            "options": [
                {"text": "Kupang", "correct": True},
                {"text": "Kota Kupang", "correct": True, "weight": 0.5},
            ],
        }
    )

    assert [o.get("weight") for o in question["options"]] == [None, 0.5]


def test_partial_weights_may_make_every_option_correct():
    question = validate({**VALID["multiple"], "partial": True, "options": options(True, True, weight=0.5)})

    assert all(o["correct"] for o in question["options"])


# --- draw rules ----------------------------------------------------------------------------

BANK = [{"id": f"p{i}", "tags": ["phishing"]} for i in range(3)] + [
    {"id": f"s{i}", "tags": ["sandi", "Phishing" if i == 0 else "akun"]} for i in range(3)
]


@pytest.mark.parametrize(
    ("draw", "errors"),
    [
        pytest.param([{"tags": ["phishing"], "count": 4}], [], id="four-of-four-tagged"),
        pytest.param(
            [{"tags": ["PHISHING"], "count": 2}, {"tags": ["sandi"], "count": 2}], [], id="case-ignored"
        ),
        pytest.param(
            [{"tags": ["phishing"], "count": 5}],
            [("draw.0.count", "draws 5 questions, but only 4 have its tags")],
            id="more-than-tagged",
        ),
        pytest.param(
            [{"tags": ["phishing"], "count": 3}, {"tags": ["sandi"], "count": 3}],
            [("draw.1.count", "only 2 with its tags are sure to be left")],
            id="earlier-rule-may-take-them",
        ),
        pytest.param(
            [{"tags": ["pajak"], "count": 1}],
            [("draw.0.tags", "no question has the tag 'pajak'")],
            id="unknown-tag",
        ),
        pytest.param([{"tags": [], "count": 1}], [("draw.0.tags", "needs the tags")], id="no-tags"),
        pytest.param([{"tags": ["akun"], "count": 0}], [("draw.0.count", "at least 1")], id="count-zero"),
        pytest.param(
            [{"tags": ["akun"], "count": 1.5}], [("draw.0.count", "whole number")], id="count-fraction"
        ),
        pytest.param("phishing", [("draw", "a list of rules")], id="not-a-list"),
    ],
)
def test_draw_rules_must_always_be_satisfiable(draw, errors):
    found = check_draw(BANK, draw)

    assert [e.field for e in found] == [field for field, _ in errors]
    assert all(text in e.message for e, (_, text) in zip(found, errors, strict=True))
