"""Grading quizzes: pure functions of a quiz version's questions and a learner's answers.

* ``clean_answer`` keeps only answers that are possible for the question (option ids that
  exist, "true"/"false", short text with whitespace collapsed and capped at 200
  characters) and turns anything empty or impossible into ``None``.
* ``is_correct``: single choice and true/false compare directly; multiple choice is all or
  nothing (a subset or a superset of the right options scores nothing); short answers
  ignore case and whitespace.
* ``grade`` adds up points per question; ``passed`` compares with the pass mark without
  division, so a score exactly on the mark passes.
* ``make_layout`` gives each attempt a question and option order that is reproducible from
  its seed and contains every question and option exactly once.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.quizzes.grading import SHORT_ANSWER_MAX, GradeResult, clean_answer, grade, is_correct, make_layout


def options(*correct: bool) -> list[dict]:
    return [
        {"id": "abcdefgh"[i], "text": f"Option {i}", "correct": c, "feedback": ""}
        for i, c in enumerate(correct)
    ]


SINGLE = {"id": "q1", "type": "single", "points": 1.0, "options": options(False, True, False)}
MULTIPLE = {"id": "q2", "type": "multiple", "points": 1.0, "options": options(True, False, True, False)}
TRUE = {"id": "q3", "type": "truefalse", "points": 1.0, "answer": True}
FALSE = {"id": "q4", "type": "truefalse", "points": 1.0, "answer": False}
SHORT = {"id": "q5", "type": "short", "points": 1.0, "answers": ["Jam Pelajaran", "JP"]}
QUIZ = [SINGLE, MULTIPLE, TRUE, FALSE, SHORT]
ALL_RIGHT = {"q1": "b", "q2": ["a", "c"], "q3": "true", "q4": "false", "q5": "jp"}


# --- clean_answer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "raw", "cleaned"),
    [
        pytest.param(SINGLE, "b", "b", id="single-known-option"),
        pytest.param(SINGLE, "a", "a", id="single-wrong-but-possible"),
        pytest.param(SINGLE, "z", None, id="single-unknown-option"),
        pytest.param(SINGLE, "", None, id="single-empty"),
        pytest.param(SINGLE, None, None, id="single-none"),
        pytest.param(SINGLE, ["b"], None, id="single-list"),
        pytest.param(SINGLE, 1, None, id="single-number"),
        pytest.param(MULTIPLE, ["c", "a"], ["a", "c"], id="multiple-sorted"),
        pytest.param(MULTIPLE, ["c", "a", "c", "a"], ["a", "c"], id="multiple-deduplicated"),
        pytest.param(MULTIPLE, ["a", "z", "x"], ["a"], id="multiple-unknown-ids-dropped"),
        pytest.param(MULTIPLE, ["a", 1, None, ["b"]], ["a"], id="multiple-non-strings-dropped"),
        pytest.param(MULTIPLE, ("d", "b"), ["b", "d"], id="multiple-tuple"),
        pytest.param(MULTIPLE, "b", ["b"], id="multiple-single-string"),
        pytest.param(MULTIPLE, [], None, id="multiple-empty"),
        pytest.param(MULTIPLE, ["z"], None, id="multiple-only-unknown"),
        pytest.param(MULTIPLE, {"a": True}, None, id="multiple-dict"),
        pytest.param(MULTIPLE, None, None, id="multiple-none"),
        pytest.param(TRUE, "true", "true", id="truefalse-true"),
        pytest.param(TRUE, "false", "false", id="truefalse-false"),
        pytest.param(TRUE, True, None, id="truefalse-bool-not-a-form-value"),
        pytest.param(TRUE, "True", None, id="truefalse-capitalised"),
        pytest.param(TRUE, "yes", None, id="truefalse-yes"),
        pytest.param(TRUE, "", None, id="truefalse-empty"),
        pytest.param(SHORT, "  Jam \n\t Pelajaran  ", "Jam Pelajaran", id="short-whitespace-collapsed"),
        pytest.param(SHORT, "JP", "JP", id="short-case-kept"),
        pytest.param(SHORT, "   \n ", None, id="short-only-whitespace"),
        pytest.param(SHORT, "", None, id="short-empty"),
        pytest.param(SHORT, 42, None, id="short-number"),
        pytest.param(SHORT, ["JP"], None, id="short-list"),
        pytest.param({"id": "q9", "type": "essay", "points": 1.0}, "text", None, id="unknown-type"),
    ],
)
def test_clean_answer_keeps_only_possible_answers(question, raw, cleaned):
    assert clean_answer(question, raw) == cleaned


def test_a_short_answer_is_capped_at_200_characters_after_collapsing_whitespace():
    raw = "  " + "ab   " * 100

    cleaned = clean_answer(SHORT, raw)

    assert SHORT_ANSWER_MAX == 200
    assert len(cleaned) == 200
    assert cleaned == ("ab " * 100)[:200]


# --- is_correct -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer", "correct"),
    [
        pytest.param(SINGLE, "b", True, id="single-right"),
        pytest.param(SINGLE, "a", False, id="single-wrong"),
        pytest.param(SINGLE, "z", False, id="single-unknown"),
        pytest.param(SINGLE, None, False, id="single-unanswered"),
        pytest.param(MULTIPLE, ["a", "c"], True, id="multiple-exact"),
        pytest.param(MULTIPLE, ["c", "a", "a"], True, id="multiple-exact-unordered-duplicated"),
        pytest.param(MULTIPLE, ["a", "c", "z"], True, id="multiple-exact-plus-unknown-id"),
        pytest.param(MULTIPLE, ["a"], False, id="multiple-subset"),
        pytest.param(MULTIPLE, ["a", "b", "c"], False, id="multiple-superset"),
        pytest.param(MULTIPLE, ["a", "b", "c", "d"], False, id="multiple-every-box-ticked"),
        pytest.param(MULTIPLE, ["b", "d"], False, id="multiple-only-wrong"),
        pytest.param(MULTIPLE, [], False, id="multiple-none-ticked"),
        pytest.param(TRUE, "true", True, id="true-statement-true"),
        pytest.param(TRUE, "false", False, id="true-statement-false"),
        pytest.param(FALSE, "false", True, id="false-statement-false"),
        pytest.param(FALSE, "true", False, id="false-statement-true"),
        pytest.param(FALSE, None, False, id="false-statement-unanswered"),
        pytest.param(SHORT, "JP", True, id="short-exact"),
        pytest.param(SHORT, "jp", True, id="short-lowercase"),
        pytest.param(SHORT, "jam pelajaran", True, id="short-other-accepted-answer"),
        pytest.param(SHORT, "  JAM\n  pelajaran ", True, id="short-case-and-whitespace"),
        pytest.param(SHORT, "J P", False, id="short-inner-space-matters"),
        pytest.param(SHORT, "jam", False, id="short-partial"),
        pytest.param(SHORT, "", False, id="short-empty"),
    ],
)
def test_is_correct(question, answer, correct):
    assert is_correct(question, answer) is correct


def test_short_answer_keys_are_compared_ignoring_their_own_case_and_spacing():
    question = {**SHORT, "answers": ["  Kode   ETIK "]}

    assert is_correct(question, "kode etik")


# --- grade ----------------------------------------------------------------------------


def test_all_right_scores_every_point():
    result = grade(QUIZ, ALL_RIGHT)

    assert (result.score, result.max_score, result.percent) == (5.0, 5.0, 100.0)
    assert all(r.correct and r.answered for r in result.results.values())


def test_grade_uses_each_questions_points():
    questions = [{**SINGLE, "points": 2.5}, {**TRUE, "points": 0.5}, {**SHORT, "points": 3}]

    result = grade(questions, {"q1": "b", "q3": "false", "q5": "JP"})

    assert result.score == 5.5
    assert result.max_score == 6.0
    assert result.percent == 91.67
    assert result.results["q1"].points == 2.5
    assert result.results["q3"].points == 0.0
    assert result.results["q3"].max_points == 0.5
    assert result.results["q5"].max_points == 3.0


def test_unanswered_and_impossible_answers_count_as_not_answered_and_wrong():
    result = grade(QUIZ, {"q1": "z", "q2": [], "q5": "   "})

    assert result.score == 0.0
    assert result.max_score == 5.0
    assert result.percent == 0.0
    for qid in ("q1", "q2", "q3", "q4", "q5"):
        assert result.results[qid].answered is False
        assert result.results[qid].correct is False


def test_a_wrong_answer_is_answered_but_not_correct():
    result = grade([SINGLE], {"q1": "a"}).results["q1"]

    assert (result.answered, result.correct, result.points, result.max_points) == (True, False, 0.0, 1.0)


def test_answers_to_unknown_questions_are_ignored():
    result = grade([SINGLE, TRUE], {"q1": "b", "q3": "true", "q99": "a", "q2": ["a", "c"]})

    assert (result.score, result.max_score) == (2.0, 2.0)
    assert set(result.results) == {"q1", "q3"}


def test_a_quiz_with_no_points_has_zero_percent():
    assert grade([], {}).percent == 0.0
    assert grade([], {}).passed(0)


# --- passed ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "max_score", "pass_mark", "passed"),
    [
        pytest.param(7, 10, 70, True, id="7-of-10-at-70"),
        pytest.param(6.99, 10, 70, False, id="6.99-of-10-at-70"),
        pytest.param(0.7, 1, 70, True, id="0.7-of-1-at-70"),
        pytest.param(1, 3, 33, True, id="1-of-3-at-33"),
        pytest.param(1, 3, 34, False, id="1-of-3-at-34"),
        pytest.param(2, 3, 66, True, id="2-of-3-at-66"),
        pytest.param(2, 3, 67, False, id="2-of-3-at-67"),
        pytest.param(3, 4, 75, True, id="3-of-4-at-75"),
        pytest.param(10, 10, 100, True, id="full-marks-at-100"),
        pytest.param(9.5, 10, 100, False, id="almost-full-at-100"),
        pytest.param(0, 10, 0, True, id="nothing-at-0"),
        pytest.param(29, 100, 29, True, id="29-of-100-at-29"),
        pytest.param(57, 100, 57, True, id="57-of-100-at-57"),
    ],
)
def test_passed_at_exactly_the_pass_mark(score, max_score, pass_mark, passed):
    assert GradeResult(score=score, max_score=max_score).passed(pass_mark) is passed


def test_seven_of_ten_unit_questions_pass_at_70():
    questions = [{**TRUE, "id": f"q{i}"} for i in range(10)]
    answers = {f"q{i}": "true" if i < 7 else "false" for i in range(10)}

    result = grade(questions, answers)

    assert result.percent == 70.0
    assert result.passed(70)
    assert not result.passed(71)


@pytest.mark.parametrize(
    ("points", "count", "right", "pass_mark"),
    [
        pytest.param(0.1, 12, 9, 75, id="9-of-12-worth-0.1-at-75"),
        pytest.param(0.1, 15, 6, 40, id="6-of-15-worth-0.1-at-40"),
        pytest.param(0.3, 4, 3, 75, id="3-of-4-worth-0.3-at-75"),
    ],
)
def test_a_score_exactly_on_the_pass_mark_passes_with_fractional_points(points, count, right, pass_mark):
    questions = [{**TRUE, "id": f"q{i}", "points": points} for i in range(count)]
    answers = {f"q{i}": "true" if i < right else "false" for i in range(count)}

    result = grade(questions, answers)

    assert result.percent == pass_mark
    assert result.passed(pass_mark)


# --- make_layout ----------------------------------------------------------------------

MANY = [
    {"id": f"q{i:02d}", "type": "single", "points": 1.0, "options": options(True, *[False] * (i % 6 + 1))}
    for i in range(12)
] + [TRUE, SHORT]


def flags(shuffle_questions: bool, shuffle_options: bool) -> dict:
    return {"shuffle_questions": shuffle_questions, "shuffle_options": shuffle_options}


@pytest.mark.parametrize("shuffle", [(False, False), (True, False), (False, True), (True, True)])
def test_the_same_seed_gives_the_same_layout(shuffle):
    assert make_layout(MANY, seed="attempt-1", **flags(*shuffle)) == make_layout(
        MANY, seed="attempt-1", **flags(*shuffle)
    )


def test_different_seeds_give_different_layouts():
    layouts = {str(make_layout(MANY, seed=f"attempt-{n}", **flags(True, True))) for n in range(5)}

    assert len(layouts) == 5


def test_without_shuffling_the_layout_follows_the_quiz_file():
    layout = make_layout(MANY, seed="x", **flags(False, False))

    assert layout == [{"id": q["id"], "options": [o["id"] for o in q.get("options", [])]} for q in MANY]


def test_shuffling_questions_only_keeps_option_order():
    layout = make_layout(MANY, seed="x", **flags(True, False))

    assert [q["id"] for q in layout] != [q["id"] for q in MANY]
    by_id = {q["id"]: q for q in MANY}
    for item in layout:
        assert item["options"] == [o["id"] for o in by_id[item["id"]].get("options", [])]


def test_shuffling_options_only_keeps_question_order():
    layout = make_layout(MANY, seed="x", **flags(False, True))

    assert [q["id"] for q in layout] == [q["id"] for q in MANY]
    assert any(item["options"] != sorted(item["options"]) for item in layout)


def test_questions_without_options_get_an_empty_option_list():
    layout = make_layout([TRUE, SHORT], seed="x", **flags(True, True))

    assert sorted(layout, key=lambda item: item["id"]) == [
        {"id": "q3", "options": []},
        {"id": "q5", "options": []},
    ]


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=8), min_size=0, max_size=15),
    seed=st.text(max_size=20),
    shuffle_questions=st.booleans(),
    shuffle_options=st.booleans(),
)
def test_a_layout_is_a_permutation_of_questions_and_of_each_questions_options(
    sizes, seed, shuffle_questions, shuffle_options
):
    questions = [
        {"id": f"q{i}", "type": "single", "options": [{"id": "abcdefgh"[j]} for j in range(n)]}
        for i, n in enumerate(sizes)
    ]

    layout = make_layout(
        questions, seed=seed, shuffle_questions=shuffle_questions, shuffle_options=shuffle_options
    )

    assert sorted(item["id"] for item in layout) == sorted(q["id"] for q in questions)
    by_id = {q["id"]: q for q in questions}
    for item in layout:
        assert sorted(item["options"]) == [o["id"] for o in by_id[item["id"]]["options"]]
    if not shuffle_questions:
        assert [item["id"] for item in layout] == [q["id"] for q in questions]
    if not shuffle_options:
        for item in layout:
            assert item["options"] == [o["id"] for o in by_id[item["id"]]["options"]]
