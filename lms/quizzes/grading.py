"""Grading: pure functions of (quiz version's questions, answers). No database, no clock.

Questions are stored as :func:`lms.quizzes.questions.validate` returns them, with the ids
:func:`lms.quizzes.importer.with_option_ids` gives each version. Versions stored before
weights existed (no ``weight``, ``partial`` or ``tags``; short answers as plain strings)
grade exactly as they always did.

Each question earns a **fraction** from 0 to 1 of its points; ``points = points of the
question × fraction``, in exact decimals, and it counts as right only at a fraction of 1.

- ``single`` (answer ``"<option id>"``): the weight of the chosen option, never below 0.
  An option without a weight weighs 1 when it is correct and 0 when not.
- ``multiple`` (answer ``["<option id>", …]``): without ``partial`` all or nothing: 1 when
  exactly the correct options are chosen, else 0. With ``partial = true``: the sum of the
  weights of the chosen options, kept between 0 and 1. An option without a weight weighs
  1/k when it is correct and −1/k when it is not, k being the number of correct options;
  so every wrong tick takes back as much as a right one gives, ticking every box earns
  (k − w)/k with w wrong options (never full marks while any option is wrong), and ticking
  one more correct option never lowers the score. A fraction that is not a whole number
  of millionths is rounded down to one.
- ``truefalse`` (answer ``"true"`` | ``"false"``): 1 for the right one.
- ``short`` (answer: the text typed): the highest weight among the accepted answers that
  match. Case and runs of spaces never matter; ``ignore_accents`` also makes "é" match
  "e"; a ``*`` in an accepted answer stands for any text (as in Moodle). Answers stored
  as plain strings (older versions) match literally, with weight 1.
- ``numeric`` (answer: the text typed): read by :func:`parse_number`; the highest weight
  among the accepted ranges holding it (min ≤ value ≤ max, both ends included). Text that
  is not a number counts as not answered.
- ``matching`` (answer ``{"<pair id>": "<choice id>"}``): the share of pairs matched
  right (or, with ``partial = false``, 1 only when every pair is).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

SHORT_ANSWER_MAX = 200
NUMBER_ANSWER_MAX = 50
# A fraction such as 2/3 is kept to millionths, rounded down: never more than was earned.
FRACTION_STEP = Decimal("0.000001")
WILDCARD = "*"


def exact(points: float | int | str) -> Decimal:
    """Points as written in the quiz (0.1 is one tenth, not 0.1000000000000000055…)."""
    return Decimal(str(points))


def ratio(value: float | int | str) -> Fraction:
    """A weight as written (0.1 is exactly one tenth)."""
    return Fraction(str(value))


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    answered: bool
    correct: bool
    points: Decimal
    max_points: Decimal
    fraction: Decimal = Decimal(0)


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


def fold(text: str, *, ignore_accents: bool = False) -> str:
    """Text as short answers compare it: one form of each letter, no case, single spaces,
    and with ``ignore_accents`` no diacritics."""
    text = unicodedata.normalize("NFC", str(text))
    if ignore_accents:
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return normalise_text(text)


# --- numbers as typed --------------------------------------------------------------------

_NUMBER_CHARS = re.compile(r"[0-9.,]+")


def _ungroup(text: str, separator: str) -> str | None:
    """Digits grouped by thousands ("1.000.000") without the separator, or None."""
    groups = text.split(separator)
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    return "".join(groups)


def parse_number(text: Any) -> Decimal | None:
    """A number as a learner types it, or None when it is not one.

    Spaces and a leading "+" are ignored ("-" or "−" makes it negative). When both "," and
    "." appear, the last of them is the decimal separator and the other separates
    thousands ("1.234,5" and "1,234.5" are 1234.5). When only one of them appears, once,
    it is the decimal separator ("3,5" and "3.5" are 3.5; "1.000" is 1); more than once, it
    separates thousands ("1.000.000"). Thousands come in groups of three. Anything else
    (letters, units, exponents, "1.2.3,4") is not a number."""
    if not isinstance(text, str):
        return None
    s = "".join(text.split())
    sign = ""
    if s[:1] in ("+", "-", "−"):
        sign, s = ("" if s[0] == "+" else "-"), s[1:]
    if not _NUMBER_CHARS.fullmatch(s) or not any(c.isdigit() for c in s):
        return None
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        if s.count(decimal) != 1:
            return None
        whole, fraction = s.split(decimal)
        whole = _ungroup(whole, "." if decimal == "," else ",") if whole else whole
    elif "," in s or "." in s:
        separator = "," if "," in s else "."
        if s.count(separator) == 1:
            whole, fraction = s.split(separator)
        else:
            whole, fraction = _ungroup(s, separator), ""
    else:
        whole, fraction = s, ""
    if whole is None:
        return None
    return Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")


def number_range(answer: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """The closed range an accepted numeric answer covers, in exact decimals."""
    if answer.get("value") is not None:
        value, tolerance = exact(answer["value"]), exact(answer.get("tolerance") or 0)
        return value - tolerance, value + tolerance
    return exact(answer["min"]), exact(answer["max"])


# --- weights -----------------------------------------------------------------------------


def option_weights(question: Mapping[str, Any]) -> dict[str, Fraction]:
    """What choosing each option is worth (see the module's docstring for the defaults),
    by option id, or by position when the options have no ids yet."""
    options = list(question.get("options", ()))
    correct = sum(1 for o in options if o.get("correct"))
    multiple = question["type"] == "multiple"
    weights = {}
    for index, option in enumerate(options):
        if option.get("weight") is not None:
            weight = ratio(option["weight"])
        elif multiple:
            weight = Fraction(1 if option.get("correct") else -1, max(correct, 1))
        else:
            weight = Fraction(1 if option.get("correct") else 0)
        weights[option.get("id", str(index))] = weight
    return weights


def answer_weight(answer: Any) -> Fraction:
    return (
        ratio(answer["weight"])
        if isinstance(answer, Mapping) and answer.get("weight") is not None
        else Fraction(1)
    )


def best_fraction(question: Mapping[str, Any]) -> Fraction:
    """The most a question can earn with its weights: 1 for every sound question."""
    kind = question["type"]
    if kind == "single":
        return max([Fraction(0), *option_weights(question).values()])
    if kind == "multiple" and question.get("partial"):
        return min(Fraction(1), sum((w for w in option_weights(question).values() if w > 0), Fraction(0)))
    if kind in ("short", "numeric"):
        return max([Fraction(0), *(answer_weight(a) for a in question.get("answers", ()))])
    return Fraction(1)


# --- answers -----------------------------------------------------------------------------


def _clean_text(raw: Any, limit: int) -> str | None:
    if not isinstance(raw, str):
        return None
    return " ".join(raw.split())[:limit] or None


def _clean_matching(question: Mapping[str, Any], raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, Mapping):
        return None
    pairs = {p["id"] for p in question.get("pairs", ())}
    choices = {c["id"] for c in question.get("choices", ())}
    chosen = {k: v for k, v in raw.items() if k in pairs and isinstance(v, str) and v in choices}
    return dict(sorted(chosen.items())) or None


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
        return _clean_text(raw, SHORT_ANSWER_MAX)
    if kind == "numeric":
        # The text as typed, so the learner finds it as they left it; grading reads it.
        return _clean_text(raw, NUMBER_ANSWER_MAX)
    if kind == "matching":
        return _clean_matching(question, raw)
    return None


def _short_matches(question: Mapping[str, Any], given: str) -> list[Any]:
    """The accepted answers ``given`` matches."""
    accents = bool(question.get("ignore_accents"))
    folded = fold(given, ignore_accents=accents)
    found = []
    for answer in question.get("answers", ()):
        if not isinstance(answer, Mapping):  # stored before weights: a literal answer
            if normalise_text(answer) == normalise_text(given):
                found.append(answer)
            continue
        key = fold(answer["text"], ignore_accents=accents)
        pattern = ".*".join(re.escape(part) for part in key.split(WILDCARD))
        if re.fullmatch(pattern, folded, re.DOTALL):
            found.append(answer)
    return found


def _numeric_matches(question: Mapping[str, Any], given: str) -> list[Any]:
    value = parse_number(given)
    if value is None:
        return []
    found = []
    for answer in question.get("answers", ()):
        low, high = number_range(answer)
        if low <= value <= high:
            found.append(answer)
    return found


def matched_answer(question: Mapping[str, Any], answer: Any) -> Any:
    """The accepted short or numeric answer a given one earns its points by (the first of
    the highest weight), or None."""
    answer = clean_answer(question, answer)
    if answer is None or question["type"] not in ("short", "numeric"):
        return None
    matches = (_short_matches if question["type"] == "short" else _numeric_matches)(question, answer)
    return max(matches, key=answer_weight, default=None)


def _fraction(question: Mapping[str, Any], answer: Any) -> Fraction:
    """What a cleaned, non-empty answer earns, from 0 to 1."""
    kind = question["type"]
    if kind == "single":
        return max(Fraction(0), option_weights(question).get(answer, Fraction(0)))
    if kind == "multiple":
        if question.get("partial"):
            weights = option_weights(question)
            return min(Fraction(1), max(Fraction(0), sum((weights[a] for a in answer), Fraction(0))))
        right = sorted(o["id"] for o in question["options"] if o["correct"])
        return Fraction(int(answer == right))
    if kind == "truefalse":
        return Fraction(int((answer == "true") == bool(question["answer"])))
    if kind in ("short", "numeric"):
        best = matched_answer(question, answer)
        return Fraction(0) if best is None else min(Fraction(1), answer_weight(best))
    if kind == "matching":
        pairs = question.get("pairs", ())
        right = sum(1 for p in pairs if answer.get(p["id"]) == p["choice"])
        if question.get("partial", True):
            return Fraction(right, len(pairs)) if pairs else Fraction(0)
        return Fraction(int(bool(pairs) and right == len(pairs)))
    return Fraction(0)


def as_decimal(value: Fraction) -> Decimal:
    """A fraction as a decimal: exact when it has at most six places, else rounded down."""
    if value == int(value):
        return Decimal(int(value))
    return (
        (Decimal(value.numerator) / Decimal(value.denominator))
        .quantize(FRACTION_STEP, ROUND_DOWN)
        .normalize()
    )


def is_answered(question: Mapping[str, Any], answer: Any) -> bool:
    answer = clean_answer(question, answer)
    if answer is None:
        return False
    return question["type"] != "numeric" or parse_number(answer) is not None


def fraction_of(question: Mapping[str, Any], answer: Any) -> Decimal:
    """The share of its points an answer earns, from 0 to 1."""
    answer = clean_answer(question, answer)
    return Decimal(0) if answer is None else as_decimal(_fraction(question, answer))


def is_correct(question: Mapping[str, Any], answer: Any) -> bool:
    return fraction_of(question, answer) == 1


def grade_question(question: Mapping[str, Any], answer: Any) -> QuestionResult:
    max_points = exact(question["points"])
    fraction = fraction_of(question, answer)
    return QuestionResult(
        question_id=question["id"],
        answered=is_answered(question, answer),
        correct=fraction == 1,
        points=max_points * fraction,
        max_points=max_points,
        fraction=fraction,
    )


def grade(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> GradeResult:
    results = {}
    score = total = Decimal(0)
    for question in questions:
        result = results[question["id"]] = grade_question(question, answers.get(question["id"]))
        score += result.points
        total += result.max_points
    return GradeResult(score=score, max_score=total, results=results)


def answer_note(question: Mapping[str, Any], answer: Any) -> str:
    """The feedback written for the answer given, when it has one (true/false, short and
    numeric questions; a choice question's notes are on its options)."""
    answer = clean_answer(question, answer)
    if answer is None:
        return ""
    if question["type"] == "truefalse":
        return question.get(f"feedback_{answer}", "")
    best = matched_answer(question, answer)
    return best.get("feedback", "") if isinstance(best, Mapping) else ""


# --- layouts -----------------------------------------------------------------------------


def tag_set(tags: Sequence[str] | None) -> set[str]:
    """Tags compare without case: "Phishing" and "phishing" are one tag."""
    return {t.casefold() for t in tags or ()}


def draw_questions(
    questions: Sequence[Mapping[str, Any]], draw: Sequence[Mapping[str, Any]], rng: random.Random
) -> list[Mapping[str, Any]]:
    """The questions one attempt asks: each rule picks ``count`` questions at random among
    those having any of its tags that no earlier rule picked. Kept in the bank's order."""
    picked: set[str] = set()
    for rule in draw:
        wanted = tag_set(rule["tags"])
        pool = [q["id"] for q in questions if q["id"] not in picked and wanted & tag_set(q.get("tags"))]
        picked.update(rng.sample(pool, min(int(rule["count"]), len(pool))))
    return [q for q in questions if q["id"] in picked]


def _shown_ids(question: Mapping[str, Any]) -> list[str]:
    if question.get("type") == "matching":
        return [c["id"] for c in question.get("choices", ())]
    return [o["id"] for o in question.get("options", ())]


def make_layout(
    questions: Sequence[Mapping[str, Any]],
    *,
    seed: str,
    shuffle_questions: bool,
    shuffle_options: bool,
    draw: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The questions one attempt asks and the order it shows them and their options in,
    reproducible from its seed. With draw rules only the drawn questions are asked.

    A matching question's "options" are its choices, always shuffled: in the written
    order they would follow the pairs."""
    rng = random.Random(seed)
    order = draw_questions(questions, draw, rng) if draw else list(questions)
    if shuffle_questions:
        rng.shuffle(order)
    layout = []
    for question in order:
        options = _shown_ids(question)
        if shuffle_options or question.get("type") == "matching":
            rng.shuffle(options)
        layout.append({"id": question["id"], "options": options})
    return layout
