"""The quizzes shipped in kursus/ cannot be passed by guessing by position.

A learner who never reads the options but always answers by position (always the first
option, always the second, ..., in multiple choice only one option, the first few, all but
the last or all of them; every true/false statement true, or every one false; short answers
left blank) stays below the pass mark of every shipped quiz. To make that hold, correct
options sit at varied positions in each quiz and true/false answers are mixed.

Scoring follows the quiz rules (lms/quizzes/grading.py): a question earns its ``points``
(default 1) only when answered exactly right, multiple choice is all or nothing, short
answers ignore case and repeated spaces, and a quiz is passed when
score x 100 >= pass_mark x total. The kuis.toml files are read directly; no app is needed.
"""

from __future__ import annotations

import itertools
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

KURSUS = Path(__file__).resolve().parents[2] / "kursus"
QUIZZES = sorted(path.parent.name for path in KURSUS.glob("*/kuis.toml"))


def load(slug: str) -> dict:
    return tomllib.loads((KURSUS / slug / "kuis.toml").read_text(encoding="utf-8"))


def choices(quiz: dict, kind: str) -> list[dict]:
    return [q for q in quiz["questions"] if q["type"] == kind]


def correct_positions(question: dict) -> set[int]:
    """Positions (1 = first) of the correct options, in the order the file lists them."""
    return {i for i, option in enumerate(question["options"], 1) if option.get("correct", False)}


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_right(question: dict, answer) -> bool:
    if question["type"] in ("single", "multiple"):
        return answer == correct_positions(question)
    if question["type"] == "truefalse":
        return answer == question["answer"]
    return normalise(answer) in {normalise(a) for a in question["answers"]}


def score(quiz: dict, answer_for) -> tuple[Decimal, Decimal]:
    """(points earned, total points) when each question is answered with answer_for(question)."""
    earned = total = Decimal(0)
    for question in quiz["questions"]:
        points = Decimal(str(question.get("points", 1)))
        total += points
        if is_right(question, answer_for(question)):
            earned += points
    return earned, total


def passes(quiz: dict, earned: Decimal, total: Decimal) -> bool:
    return earned * 100 >= Decimal(str(quiz["pass_mark"])) * total


def habits(quiz: dict) -> list[tuple[str, tuple]]:
    """Every combination of a single-choice, a multiple-choice and a true/false habit, named.
    A choice habit maps a question's number of options n to the positions it ticks."""
    most = max(len(q["options"]) for q in quiz["questions"] if "options" in q)
    single = {f"option {k}": lambda n, k=k: {min(k, n)} for k in range(1, most + 1)}
    multiple = {
        **{f"only option {k}": lambda n, k=k: {min(k, n)} for k in range(1, most + 1)},
        **{f"first {k} options": lambda n, k=k: set(range(1, min(k, n) + 1)) for k in range(2, most + 1)},
        "all but the last": lambda n: set(range(1, n)),
        "all options": lambda n: set(range(1, n + 1)),
    }
    return [
        (f"single: {s}; multiple: {m}; true/false: all {tf}", (single[s], multiple[m], tf))
        for s, m, tf in itertools.product(single, multiple, (True, False))
    ]


def positional_answer(question: dict, habit: tuple):
    pick_single, pick_multiple, truefalse = habit
    n = len(question.get("options", ()))
    if question["type"] == "single":
        return pick_single(n)
    if question["type"] == "multiple":
        return pick_multiple(n)
    return truefalse if question["type"] == "truefalse" else ""  # short answers left blank


def answer_key(question: dict):
    if "options" in question:
        return correct_positions(question)
    return question["answer"] if question["type"] == "truefalse" else question["answers"][0]


def test_the_shipped_quizzes_are_found():
    assert {"keamanan-informasi-kantor", "nilai-dasar-berakhlak", "standar-pelayanan-publik"} <= set(QUIZZES)


@pytest.mark.parametrize("slug", QUIZZES)
def test_the_answer_key_passes(slug):
    """The scoring here is sound: answering every question right earns every point."""
    quiz = load(slug)
    earned, total = score(quiz, answer_key)
    assert earned == total
    assert passes(quiz, earned, total)


@pytest.mark.parametrize("slug", QUIZZES)
def test_no_positional_strategy_reaches_the_pass_mark(slug):
    quiz = load(slug)
    for name, habit in habits(quiz):
        earned, total = score(quiz, lambda question, habit=habit: positional_answer(question, habit))
        assert not passes(quiz, earned, total), (
            f"{slug}: '{name}' scores {earned}/{total}, pass mark {quiz['pass_mark']}%"
        )


@pytest.mark.parametrize("slug", QUIZZES)
def test_correct_single_choice_answers_are_at_different_positions(slug):
    positions = [min(correct_positions(q)) for q in choices(load(slug), "single")]
    assert len(set(positions)) > 1, f"{slug}: every correct single-choice answer is option {positions[0]}"


@pytest.mark.parametrize("slug", QUIZZES)
def test_the_correct_option_is_not_first_in_every_choice_question(slug):
    quiz = load(slug)
    questions = choices(quiz, "single") + choices(quiz, "multiple")
    assert not all(1 in correct_positions(q) for q in questions)


@pytest.mark.parametrize("slug", QUIZZES)
def test_multiple_choice_correct_options_are_not_all_at_the_top(slug):
    for question in choices(load(slug), "multiple"):
        right = correct_positions(question)
        assert right != set(range(1, len(right) + 1)), f"{slug} {question['id']}: correct options on top"


@pytest.mark.parametrize("slug", QUIZZES)
def test_true_false_answers_are_not_all_the_same(slug):
    answers = [q["answer"] for q in choices(load(slug), "truefalse")]
    if len(answers) > 1:
        assert len(set(answers)) == 2, f"{slug}: every true/false answer is {answers[0]}"
