"""Grading: pure functions of (quiz version's questions, answers). No database, no clock.

Question shape (as the importer stores it in ``KuisVersion.questions``)::

    {"id": "q01", "type": "single" | "multiple" | "truefalse" | "short", "points": 1.0,
     "text": str, "feedback": str,
     "options": [{"id": "a", "text": str, "correct": bool, "feedback": str}],  # single, multiple
     "answer": bool,                                                           # truefalse
     "answers": [str, ...]}                                                    # short

Answer shapes: single "a"; multiple ["a", "c"]; truefalse "true" | "false"; short "text".
A multiple-choice question scores only when exactly the correct options are chosen
(all or nothing): partial credit would reward ticking every box.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SHORT_ANSWER_MAX = 200


def exact(points: float | int | str) -> Decimal:
    """Points as written in the quiz (0.1 is one tenth, not 0.1000000000000000055…)."""
    return Decimal(str(points))


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    answered: bool
    correct: bool
    points: Decimal
    max_points: Decimal


@dataclass(frozen=True)
class GradeResult:
    score: Decimal
    max_score: Decimal
    results: dict[str, QuestionResult] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return float(round(100 * self.score / self.max_score, 2)) if self.max_score else 0.0

    def passed(self, pass_mark: float) -> bool:
        # Exact decimals and no division: 9 × 0.1 of 1.2 is exactly 75%.
        return self.score * 100 >= exact(pass_mark) * self.max_score


def normalise_text(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def clean_answer(question: Mapping[str, Any], raw: Any) -> Any:
    """An answer as it may be stored, or None when it is empty or not a possible answer."""
    kind = question["type"]
    option_ids = {o["id"] for o in question.get("options", ())}
    if kind == "single":
        return raw if isinstance(raw, str) and raw in option_ids else None
    if kind == "multiple":
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, (list, tuple)):
            return None
        chosen = sorted({x for x in raw if isinstance(x, str) and x in option_ids})
        return chosen or None
    if kind == "truefalse":
        return raw if raw in ("true", "false") else None
    if kind == "short":
        if not isinstance(raw, str):
            return None
        text = " ".join(raw.split())[:SHORT_ANSWER_MAX]
        return text or None
    return None


def is_correct(question: Mapping[str, Any], answer: Any) -> bool:
    answer = clean_answer(question, answer)
    if answer is None:
        return False
    kind = question["type"]
    if kind in ("single", "multiple"):
        right = sorted(o["id"] for o in question["options"] if o["correct"])
        return (answer if kind == "multiple" else [answer]) == right
    if kind == "truefalse":
        return (answer == "true") == bool(question["answer"])
    return normalise_text(answer) in {normalise_text(a) for a in question["answers"]}


def grade(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> GradeResult:
    results = {}
    score = total = Decimal(0)
    for question in questions:
        max_points = exact(question["points"])
        answer = answers.get(question["id"])
        correct = is_correct(question, answer)
        points = max_points if correct else Decimal(0)
        results[question["id"]] = QuestionResult(
            question_id=question["id"],
            answered=clean_answer(question, answer) is not None,
            correct=correct,
            points=points,
            max_points=max_points,
        )
        score += points
        total += max_points
    return GradeResult(score=score, max_score=total, results=results)


def make_layout(
    questions: Sequence[Mapping[str, Any]], *, seed: str, shuffle_questions: bool, shuffle_options: bool
) -> list[dict[str, Any]]:
    """The order one attempt shows questions and options in, reproducible from its seed."""
    rng = random.Random(seed)
    order = list(questions)
    if shuffle_questions:
        rng.shuffle(order)
    layout = []
    for question in order:
        options = [o["id"] for o in question.get("options", ())]
        if shuffle_options:
            rng.shuffle(options)
        layout.append({"id": question["id"], "options": options})
    return layout
