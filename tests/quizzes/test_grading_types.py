"""Grading each type of question, and partial credit (lms/quizzes/grading.py).

* Every question earns a fraction from 0 to 1 of its points; its points are exactly
  ``points × fraction`` and it is right only at a fraction of 1.
* single: the chosen option's weight (default 1 for the correct option, 0 otherwise),
  never below 0.
* multiple: all or nothing unless ``partial``; with ``partial`` the chosen weights add up,
  kept within 0..1, a correct option weighing 1/k and a wrong one -1/k by default (k
  correct options): never below 0, never above 1, ticking every box never earns full
  marks while any option is wrong, and ticking one more correct option never lowers it.
* short: case and runs of spaces never matter; ``ignore_accents`` drops diacritics; ``*``
  is a wildcard; the best weight of the matching accepted answers counts.
* numeric: the typed text is read with either decimal separator (see ``parse_number``);
  ranges include both ends, compared in exact decimals.
* matching: the share of pairs matched right.
* Versions stored before any of this (no weights, short answers as plain strings) grade
  exactly as they always did.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lms.quizzes.grading import (
    answer_note,
    clean_answer,
    grade,
    grade_question,
    make_layout,
    parse_number,
)
from lms.quizzes.importer import with_option_ids
from lms.quizzes.questions import InvalidQuestion, validate


def question(**raw) -> dict:
    """A question as a quiz version stores it: validated, with fresh option ids."""
    return with_option_ids([{"id": "q", **validate({"text": "?", **raw})}])[0]


def choice(kind: str, *correct: bool, weights=None, **extra) -> dict:
    options = [{"text": f"Option {i}", "correct": c} for i, c in enumerate(correct)]
    for option, weight in zip(options, weights or (), strict=False):
        if weight is not None:
            option["weight"] = weight
    return question(type=kind, options=options, **extra)


def ids(q: dict, *places: int) -> list[str]:
    """The option ids at these places (0: the first option written)."""
    return [q["options"][p]["id"] for p in places]


def fraction(q: dict, answer) -> Decimal:
    return grade_question(q, answer).fraction


# --- single choice ---------------------------------------------------------------------


def test_a_single_choice_earns_the_weight_of_the_option_chosen():
    q = choice("single", True, True, False, weights=[1, 0.5, -0.5])

    assert [fraction(q, o) for o in ids(q, 0, 1, 2)] == [1, Decimal("0.5"), 0]


def test_without_weights_single_choice_is_right_or_wrong():
    q = choice("single", False, True)

    assert (fraction(q, ids(q, 1)[0]), fraction(q, ids(q, 0)[0])) == (1, 0)


# --- multiple choice -------------------------------------------------------------------


def test_multiple_choice_without_partial_is_all_or_nothing():
    q = choice("multiple", True, True, False)

    assert fraction(q, ids(q, 0, 1)) == 1
    assert fraction(q, ids(q, 0)) == 0
    assert fraction(q, ids(q, 0, 1, 2)) == 0


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        pytest.param((0,), Decimal("0.5"), id="one-of-two-right"),
        pytest.param((0, 1), Decimal(1), id="both-right"),
        pytest.param((0, 2), Decimal(0), id="one-right-one-wrong-cancel"),
        pytest.param((0, 1, 2), Decimal("0.5"), id="every-box"),
        pytest.param((2, 3), Decimal(0), id="only-wrong-never-below-zero"),
    ],
)
def test_partial_credit_by_default_weighs_right_1_over_k_and_wrong_minus_1_over_k(places, expected):
    q = choice("multiple", True, True, False, False, partial=True)

    assert fraction(q, ids(q, *places)) == expected


def test_partial_credit_follows_written_weights():
    q = choice("multiple", True, True, False, weights=[0.7, 0.3, -1], partial=True)

    assert fraction(q, ids(q, 0)) == Decimal("0.7")
    assert fraction(q, ids(q, 1, 2)) == 0


def test_a_third_of_a_point_is_kept_to_millionths_rounded_down():
    q = choice("multiple", True, True, True, False, partial=True, points=3)

    result = grade_question(q, ids(q, 0, 1))

    assert result.fraction == Decimal("0.666666")
    assert result.points == Decimal("1.999998")
    assert not result.correct
    assert grade_question(q, ids(q, 0, 1, 2)).correct


@st.composite
def partial_questions(draw):
    """A valid multiple-choice question with partial credit (default or written weights)
    and a set of ticked option places."""
    correct = draw(st.lists(st.booleans(), min_size=2, max_size=10).filter(lambda c: any(c) and not all(c)))
    weights = None
    if draw(st.booleans()):
        steps = st.integers(min_value=1, max_value=10)
        weights = [draw(steps) / 10 if c else -draw(steps) / 10 for c in correct]
    try:
        q = choice(
            "multiple", *correct, weights=weights, partial=True, points=draw(st.sampled_from([1, 2.5, 0.1]))
        )
    except InvalidQuestion:
        assume(False)
    ticked = draw(st.sets(st.integers(min_value=0, max_value=len(correct) - 1)))
    return q, ticked


@given(partial_questions())
def test_partial_credit_stays_within_0_and_1_and_points_are_exactly_the_share(case):
    q, ticked = case

    result = grade_question(q, ids(q, *ticked))

    assert 0 <= result.fraction <= 1
    assert result.points == result.max_points * result.fraction
    assert result.correct is (result.fraction == 1)


@given(partial_questions())
def test_ticking_every_box_never_earns_full_marks_while_an_option_is_wrong(case):
    q, _ = case

    assert fraction(q, [o["id"] for o in q["options"]]) < 1


@given(partial_questions())
def test_ticking_one_more_correct_option_never_lowers_the_score(case):
    q, ticked = case
    before = fraction(q, ids(q, *ticked))
    for place, option in enumerate(q["options"]):
        if option["correct"] and place not in ticked:
            assert fraction(q, ids(q, *ticked, place)) >= before


# --- true or false -----------------------------------------------------------------------


def test_true_false_feedback_is_the_note_for_the_answer_given():
    q = question(
        type="truefalse", answer=True, feedback_true="Ya, PPPK ASN.", feedback_false="PPPK juga ASN."
    )

    assert (answer_note(q, "true"), answer_note(q, "false"), answer_note(q, None)) == (
        "Ya, PPPK ASN.",
        "PPPK juga ASN.",
        "",
    )


# --- short answers ---------------------------------------------------------------------


def short(*answers, **extra) -> dict:
    return question(type="short", answers=list(answers), **extra)


@pytest.mark.parametrize(
    ("answers", "extra", "typed", "expected"),
    [
        pytest.param(["Jam Pelajaran"], {}, "  jam   PELAJARAN ", 1, id="case-and-spaces"),
        pytest.param(["Kupang"], {}, "Kupáng", 0, id="accents-count-by-default"),
        pytest.param(["Kupang"], {"ignore_accents": True}, "Kupáng", 1, id="accents-ignored"),
        pytest.param(["Kupáng"], {"ignore_accents": True}, "KUPANG", 1, id="accents-ignored-in-the-key"),
        pytest.param(["Kupa\u0301ng"], {}, "Kupáng", 1, id="composed-and-decomposed-are-one"),
        pytest.param(["Ku*g"], {}, "kupang", 1, id="wildcard"),
        pytest.param(["Ku*g"], {}, "kupangan", 0, id="wildcard-whole-answer"),
        pytest.param(["*pelayanan*"], {}, "standar pelayanan publik", 1, id="wildcard-both-ends"),
        pytest.param(
            [{"text": "Kupang"}, {"text": "Kota Kupang", "weight": 0.5}], {}, "kota kupang", 0.5, id="weight"
        ),
        pytest.param(
            [{"text": "Ku*", "weight": 0.5}, {"text": "Kupang"}], {}, "Kupang", 1, id="best-weight-wins"
        ),
    ],
)
def test_short_answers(answers, extra, typed, expected):
    assert fraction(short(*answers, **extra), typed) == Decimal(str(expected))


def test_the_note_of_the_short_answer_that_counted_is_given():
    q = short({"text": "Kupang"}, {"text": "Kota*", "weight": 0.5, "feedback": "Nama kotanya saja."})

    assert answer_note(q, "Kota Kupang") == "Nama kotanya saja."
    assert answer_note(q, "Kupang") == ""


@given(st.text(alphabet="abcdeinou", min_size=1, max_size=12), st.data())
def test_with_ignore_accents_any_diacritics_on_any_letters_still_match(word, data):
    marks = data.draw(
        st.lists(
            st.sampled_from(["", "\u0301", "\u0300", "\u0308", "\u0302"]),
            min_size=len(word),
            max_size=len(word),
        )
    )
    typed = "".join(letter + mark for letter, mark in zip(word, marks, strict=True))

    assert fraction(short(word, ignore_accents=True), typed.upper()) == 1


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("3,5", "3.5"),
        ("3.5", "3.5"),
        (" + 3,5 ", "3.5"),
        ("-2,25", "-2.25"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("1.000.000", "1000000"),
        ("1,000,000", "1000000"),
        ("1 000 000", "1000000"),
        ("1.000", "1"),  # one separator, once: the decimals
        ("1,000", "1"),
        (",5", "0.5"),
        ("7", "7"),
        ("1.234.567,89", "1234567.89"),
    ],
)
def test_numbers_are_read_with_either_decimal_separator(typed, number):
    assert parse_number(typed) == Decimal(number)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "3,5 kg",
        "1e3",
        "1.2.3,4",
        "1,2,3.4.5",
        "12.34.567",
        "1.2345.678",
        "1,23.5",
        ",",
        "--3",
        "3,5,",
    ],
)
def test_anything_else_is_not_a_number_and_counts_as_not_answered(typed):
    q = question(type="numeric", answers=[{"value": 3.5}])

    assert parse_number(typed) is None
    assert not grade_question(q, typed).answered


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([(".", ","), (",", ".")]),
)
def test_a_number_written_with_thousands_and_decimals_either_way_reads_back(number, separators):
    thousands, decimals = separators
    written = f"{number:,.2f}".replace(",", "\0").replace(".", decimals).replace("\0", thousands)

    assert parse_number(written) == number


@pytest.mark.parametrize(
    ("typed", "right"),
    [("9,5", True), ("10.5", True), ("10", True), ("9,49", False), ("10.51", False)],
)
def test_a_tolerance_includes_both_ends(typed, right):
    q = question(type="numeric", answers=[{"value": 10, "tolerance": 0.5}])

    assert grade_question(q, typed).correct is right


def test_ranges_are_compared_in_exact_decimals():
    # In floating point 0.7 + 0.1 is 0.7999999999999999, which would leave 0.8 out.
    q = question(type="numeric", answers=[{"value": 0.7, "tolerance": 0.1}])

    assert grade_question(q, "0,8").correct
    assert grade_question(q, "0,6").correct


def test_the_best_weight_among_the_ranges_holding_the_number_counts():
    q = question(
        type="numeric",
        answers=[
            {"min": 40, "max": 45, "weight": 1},
            {"min": 30, "max": 50, "weight": 0.5, "feedback": "Dekat."},
        ],
    )

    assert (fraction(q, "42"), fraction(q, "48"), fraction(q, "60")) == (1, Decimal("0.5"), 0)
    assert answer_note(q, "48") == "Dekat."


def test_a_typed_number_is_kept_as_typed_up_to_50_characters():
    q = question(type="numeric", answers=[{"value": 1}])

    assert clean_answer(q, "  1.000,5  ") == "1.000,5"
    assert len(clean_answer(q, "9" * 80)) == 50
    assert clean_answer(q, 5) is None


# --- matching ------------------------------------------------------------------------------

PAIRS = [
    {"text": "UU 5/2014", "answer": "ASN"},
    {"text": "UU 25/2009", "answer": "Pelayanan Publik"},
    {"text": "PP 94/2021", "answer": "Disiplin PNS"},
    {"text": "UU 20/2023", "answer": "ASN"},
]


def matching(**extra) -> dict:
    return question(type="matching", pairs=PAIRS, distractors=["Keuangan Negara"], **extra)


def matched(q: dict, *right: bool) -> dict:
    """An answer matching each pair rightly (True) or to the wrong match (False)."""
    wrong = next(c["id"] for c in q["choices"] if c["text"] == "Keuangan Negara")
    return {p["id"]: p["choice"] if ok else wrong for p, ok in zip(q["pairs"], right, strict=True)}


def test_matching_earns_the_share_of_pairs_matched_right():
    q = matching()

    assert fraction(q, matched(q, True, True, True, True)) == 1
    assert fraction(q, matched(q, True, False, True, False)) == Decimal("0.5")
    assert fraction(q, {q["pairs"][0]["id"]: q["pairs"][0]["choice"]}) == Decimal("0.25")


def test_matching_without_partial_is_all_or_nothing():
    q = matching(partial=False)

    assert fraction(q, matched(q, True, True, True, False)) == 0


def test_matching_choices_hold_each_answer_once_and_the_wrong_matches_and_say_nothing_of_pairs():
    q = matching()

    assert [c["text"] for c in q["choices"]] == ["ASN", "Pelayanan Publik", "Disiplin PNS", "Keuangan Negara"]
    assert q["pairs"][0]["choice"] == q["pairs"][3]["choice"]
    choice_ids = {c["id"] for c in q["choices"]}
    assert not choice_ids & {p["id"] for p in q["pairs"]}
    assert all(len(i) == 8 for i in choice_ids)


def test_a_matching_answer_keeps_only_known_pairs_and_choices():
    q = matching()
    pair, other = q["pairs"][0]["id"], q["pairs"][1]["id"]
    choice_id = q["choices"][0]["id"]

    assert clean_answer(q, {pair: choice_id, other: "zzz", "nope": choice_id}) == {pair: choice_id}
    assert clean_answer(q, {pair: ""}) is None
    assert clean_answer(q, [choice_id]) is None


def test_a_matching_layout_shows_the_choices_shuffled_even_without_shuffle_options():
    q = matching()
    layouts = [
        make_layout([q], seed=f"s{n}", shuffle_questions=False, shuffle_options=False)[0]["options"]
        for n in range(8)
    ]

    assert all(sorted(order) == sorted(c["id"] for c in q["choices"]) for order in layouts)
    assert len({tuple(order) for order in layouts}) > 1


# --- versions stored before weights --------------------------------------------------------

# As quiz versions were stored before this change: no weights, no partial, no tags, short
# answers as plain strings (see tests/test_migrations.py).
OLD_QUIZ = [
    {
        "id": "q1",
        "type": "single",
        "points": 1.0,
        "text": "?",
        "html": "?",
        "feedback": "",
        "options": [
            {"id": "a", "text": "A", "html": "A", "correct": True, "feedback": ""},
            {"id": "b", "text": "B", "html": "B", "correct": False, "feedback": ""},
        ],
    },
    {
        "id": "q2",
        "type": "multiple",
        "points": 2.0,
        "text": "?",
        "html": "?",
        "feedback": "",
        "options": [
            {"id": "a", "text": "A", "html": "A", "correct": True, "feedback": ""},
            {"id": "b", "text": "B", "html": "B", "correct": True, "feedback": ""},
            {"id": "c", "text": "C", "html": "C", "correct": False, "feedback": ""},
        ],
    },
    {
        "id": "q3",
        "type": "truefalse",
        "points": 0.5,
        "text": "?",
        "html": "?",
        "feedback": "",
        "answer": False,
    },
    {
        "id": "q4",
        "type": "short",
        "points": 1.0,
        "text": "?",
        "html": "?",
        "feedback": "",
        "answers": ["J.P.", "5*"],
    },
]


@pytest.mark.parametrize(
    ("answers", "points"),
    [
        pytest.param(
            {"q1": "a", "q2": ["a", "b"], "q3": "false", "q4": "j.p."},
            {"q1": 1, "q2": 2, "q3": 0.5, "q4": 1},
            id="all-right",
        ),
        pytest.param(
            {"q2": ["a"], "q4": "JP"}, {"q1": 0, "q2": 0, "q3": 0, "q4": 0}, id="subset-and-near-miss"
        ),
        pytest.param(
            {"q2": ["a", "b", "c"], "q3": "true"}, {"q1": 0, "q2": 0, "q3": 0, "q4": 0}, id="every-box"
        ),
        pytest.param({"q1": "b", "q4": "5*"}, {"q1": 0, "q2": 0, "q3": 0, "q4": 1}, id="star-is-literal"),
        pytest.param({"q4": "5 kg"}, {"q1": 0, "q2": 0, "q3": 0, "q4": 0}, id="star-is-no-wildcard"),
    ],
)
def test_a_version_stored_before_weights_grades_exactly_as_before(answers, points):
    result = grade(OLD_QUIZ, answers)

    assert {qid: r.points for qid, r in result.results.items()} == points
    assert all(r.fraction in (0, 1) and r.correct is (r.fraction == 1) for r in result.results.values())
