"""One set of rules for a question, however it arrives: kuis.toml, the bank editor in the
browser, a Moodle (GIFT or XML) file. Each of them writes the question as a *raw* dict in
the words of kuis.toml; :func:`validate` checks it and returns it canonical, which is what
the bank and every quiz version store. Every problem is reported at once, each on its
field as a dotted path ("options.2.text": the text of the third option).

Canonical: the raw keys with every default filled in, text trimmed, and "html" beside
each text a learner sees (Markdown rendered, or HTML sanitised when ``format = "html"``).
Options keep a ``weight`` only when one was written, because the default depends on the
other options (lms.quizzes.grading says how). Short answers are always tables; numeric
answers always carry ``min`` and ``max`` (from ``value`` ± ``tolerance`` when written so).
Keys outside the schema are dropped: kuis.toml's reader reports them with their line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from lms.core.errors import DomainError
from lms.core.markdown import clean_html, render_inline
from lms.quizzes import grading
from lms.quizzes.models import QUESTION_TYPES

FORMATS = ("markdown", "html")
MAX_OPTIONS = 10
MAX_PAIRS = 10
MAX_ANSWERS = 20
MAX_TAGS = 20
TEXT_MAX = 4000
OPTION_MAX = 1000
NOTE_MAX = 2000
TAG_MAX = 40
MATCH_MAX = 200  # a choice is shown in a drop-down list
POINTS_MAX = 100
QUESTION_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")

COMMON_KEYS = ("id", "type", "text", "format", "points", "feedback", "tags")
TYPE_KEYS = {
    "single": ("options",),
    "multiple": ("options", "partial"),
    "truefalse": ("answer", "feedback_true", "feedback_false"),
    "short": ("answers", "ignore_accents"),
    "numeric": ("answers",),
    "matching": ("pairs", "distractors", "partial"),
}
QUESTION_KEYS = set(COMMON_KEYS).union(*TYPE_KEYS.values())
OPTION_KEYS = {"text", "correct", "weight", "feedback"}
ANSWER_KEYS = {"text", "weight", "feedback", "value", "tolerance", "min", "max"}
PAIR_KEYS = {"text", "answer"}
DRAW_KEYS = {"tags", "count"}


TOO_MANY = {
    "options": lambda n: _("at most %(n)d options", n=n),
    "answers": lambda n: _("at most %(n)d accepted answers", n=n),
    "pairs": lambda n: _("at most %(n)d pairs", n=n),
}


@dataclass(frozen=True)
class FieldError:
    field: str  # a dotted path: "text", "options.2.text", "answers.1.max", "draw.0.count"
    message: str  # translated, and says what is wrong


class InvalidQuestion(DomainError):
    """A question that breaks the rules; ``errors`` lists every problem."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Any) -> str:
    """A number as the author wrote it (5, not 5.0; 0.1, not 0.1000000000000000055)."""
    number = Decimal(str(value))
    return str(int(number)) if number == number.to_integral_value() else str(number.normalize())


def _stored(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _same(text: str) -> str:
    """What two texts are compared by when neither may repeat the other."""
    return grading.normalise_text(text)


class _Checker:
    """Collects the errors of one question."""

    def __init__(self, html: bool):
        self.errors: list[FieldError] = []
        self.render: Callable[[str], str] = clean_html if html else render_inline
        self.html = html

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def text(self, data: dict, key: str, field: str, *, limit: int, missing: str | None = None) -> str:
        """Trimmed text (sanitised for HTML questions when ``missing`` says it is shown);
        "" after an error, or when it is optional and absent."""
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if missing:
                self.add(field, missing)
            return ""
        if not isinstance(value, str):
            self.add(field, _("'%(key)s' must be text", key=key))
            return ""
        if len(value) > limit:
            self.add(field, _("'%(key)s' is longer than %(max)d characters", key=key, max=limit))
            return ""
        return value.strip()

    def shown(self, data: dict, key: str, field: str, *, limit: int, missing: str) -> tuple[str, str]:
        """A text a learner sees, with its HTML."""
        text = self.text(data, key, field, limit=limit, missing=missing)
        if text and self.html:
            text = clean_html(text).strip()
            if not text:
                self.add(field, missing)
        return text, self.render(text) if text else ""

    def flag(self, data: dict, key: str, field: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(field, _("'%(key)s' must be true or false", key=key))
            return default
        return value

    def rows(self, data: dict, key: str, *, most: int, missing: str) -> list[tuple[int, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.add(key, missing)
            return []
        if len(value) > most:
            self.add(key, TOO_MANY[key](most))
            return []
        return list(enumerate(value))

    def no_repeats(
        self, texts: list[tuple[int, str]], field: str, message: Callable[[int, int], str]
    ) -> None:
        seen: dict[str, int] = {}
        for index, text in texts:
            if text and (first := seen.setdefault(_same(text), index)) != index:
                self.add(field.format(index), message(index + 1, first + 1))


# --- common keys ---------------------------------------------------------------------------


def _check_tags(check: _Checker, raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.add("tags", _("'tags' must be a list of words"))
        return []
    if len(raw) > MAX_TAGS:
        check.add("tags", _("at most %(n)d tags", n=MAX_TAGS))
        return []
    tags: list[str] = []
    for index, tag in enumerate(raw):
        tag = " ".join(tag.split()) if isinstance(tag, str) else ""
        if not tag or len(tag) > TAG_MAX:
            check.add(
                f"tags.{index}", _("tag %(n)d must be 1 to %(max)d characters", n=index + 1, max=TAG_MAX)
            )
        elif tag.casefold() not in grading.tag_set(tags):
            tags.append(tag)
    return tags


def _check_common(check: _Checker, raw: dict) -> dict[str, Any]:
    question: dict[str, Any] = {}
    if "id" in raw:
        qid = raw["id"]
        if not isinstance(qid, str) or not QUESTION_ID_RE.fullmatch(qid):
            check.add("id", _("a question id must be 1 to 40 letters, digits, '-' or '_'"))
        question["id"] = qid
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        check.add("type", _("'type' must be one of %(types)s", types=", ".join(QUESTION_TYPES)))
    question["type"] = kind
    question["format"] = raw.get("format", "markdown")
    if question["format"] not in FORMATS:
        check.add("format", _("'format' must be markdown or html"))
    question["text"], question["html"] = check.shown(
        raw, "text", "text", limit=TEXT_MAX, missing=_("the question has no text")
    )
    points = raw.get("points", 1)
    if not _is_number(points) or not 0 < points <= POINTS_MAX:
        check.add("points", _("'points' must be a number above 0 and at most %(max)d", max=POINTS_MAX))
        points = 1
    question["points"] = float(points)
    question["feedback"] = check.text(raw, "feedback", "feedback", limit=TEXT_MAX)
    question["tags"] = _check_tags(check, raw.get("tags"))
    return question


def _check_keys_of_other_types(check: _Checker, raw: dict, kind: str) -> None:
    for key in sorted(QUESTION_KEYS - set(COMMON_KEYS) - set(TYPE_KEYS[kind])):
        if key in raw:
            if key == "options":
                check.add(key, _("a %(type)s question has no options", type=kind))
            else:
                check.add(key, _("a %(type)s question has no '%(key)s'", type=kind, key=key))


# --- choice questions ----------------------------------------------------------------------


def _check_option(check: _Checker, index: int, raw: Any) -> dict[str, Any] | None:
    field = f"options.{index}"
    n = index + 1
    if not isinstance(raw, dict):
        check.add(field, _("option %(n)d must be a table with its text", n=n))
        return None
    text, html = check.shown(
        raw, "text", f"{field}.text", limit=OPTION_MAX, missing=_("option %(n)d has no text", n=n)
    )
    option: dict[str, Any] = {
        "text": text,
        "html": html,
        "correct": check.flag(raw, "correct", f"{field}.correct", False),
        "feedback": check.text(raw, "feedback", f"{field}.feedback", limit=NOTE_MAX),
    }
    weight = raw.get("weight")
    if weight is not None:
        if not _is_number(weight) or not -1 <= weight <= 1:
            check.add(f"{field}.weight", _("the weight of option %(n)d must be a number from -1 to 1", n=n))
        elif option["correct"] and weight <= 0:
            check.add(
                f"{field}.weight",
                _("option %(n)d is marked correct but its weight %(w)s earns nothing", n=n, w=_shown(weight)),
            )
        elif not option["correct"] and weight > 0:
            check.add(
                f"{field}.weight",
                _("option %(n)d earns %(w)s but is not marked correct", n=n, w=_shown(weight)),
            )
        else:
            option["weight"] = weight
    return option


def _check_single(check: _Checker, options: list[dict[str, Any]], weighted: bool) -> None:
    correct = [o for o in options if o["correct"]]
    full = [o for o in correct if grading.ratio(o.get("weight", 1)) == 1]
    # Several correct options are fine when their weights say which is the best answer.
    if not correct or (len(correct) > 1 and not (weighted and len(full) == 1)):
        check.add("options", _("a single-choice question needs exactly one correct option"))


def _check_multiple(
    check: _Checker, question: dict[str, Any], options: list[dict[str, Any]], weighted: bool
) -> None:
    correct = sum(o["correct"] for o in options)
    if not question["partial"]:
        for index, option in enumerate(options):
            if "weight" in option:
                check.add(
                    f"options.{index}.weight",
                    _("weights count only with partial credit: set partial = true"),
                )
        if not correct or correct == len(options):
            check.add("options", _("a multiple-choice question needs correct and wrong options"))
        return
    if not correct or (correct == len(options) and not weighted):
        check.add("options", _("a multiple-choice question needs correct and wrong options"))
        return
    if correct < len(options) and sum(grading.option_weights(question).values()) >= 1:
        check.add(
            "options",
            _("ticking every option would earn full marks: give the wrong options negative weights"),
        )


def _check_choices(check: _Checker, raw: dict, question: dict[str, Any]) -> None:
    kind = question["type"]
    if kind == "multiple":
        question["partial"] = check.flag(raw, "partial", "partial", False)
    rows = check.rows(
        raw,
        "options",
        most=MAX_OPTIONS,
        missing=_("a %(type)s question needs at least two options", type=kind),
    )
    options = [_check_option(check, index, option) for index, option in rows]
    question["options"] = [o for o in options if o is not None]
    if not rows or len(question["options"]) != len(rows):
        return
    if len(rows) < 2:
        check.add("options", _("a %(type)s question needs at least two options", type=kind))
        return
    check.no_repeats(
        [(i, o["text"]) for i, o in enumerate(question["options"])],
        "options.{}.text",
        lambda n, m: _("option %(n)d repeats option %(m)d", n=n, m=m),
    )
    weighted = any("weight" in o for o in raw["options"] if isinstance(o, dict))
    before = len(check.errors)
    if kind == "single":
        _check_single(check, question["options"], weighted)
    else:
        _check_multiple(check, question, question["options"], weighted)
    if len(check.errors) == before:
        _check_full_marks(check, question, "options")


def _check_full_marks(check: _Checker, question: dict[str, Any], field: str) -> None:
    best = grading.best_fraction(question)
    if best < 1:
        check.add(
            field,
            _(
                "the weights can never reach full marks: the best answer earns %(best)s",
                best=_shown(grading.as_decimal(best)),
            ),
        )


# --- true or false -------------------------------------------------------------------------


def _check_truefalse(check: _Checker, raw: dict, question: dict[str, Any]) -> None:
    answer = raw.get("answer")
    if not isinstance(answer, bool):
        check.add("answer", _("'answer' must be true or false"))
    question["answer"] = answer is True
    for key in ("feedback_true", "feedback_false"):
        question[key] = check.text(raw, key, key, limit=NOTE_MAX)


# --- short answers -------------------------------------------------------------------------


def _answer_weight(check: _Checker, raw: dict, field: str, n: int) -> float | int:
    weight = raw.get("weight", 1)
    if not _is_number(weight) or not 0 < weight <= 1:
        check.add(
            f"{field}.weight", _("the weight of answer %(n)d must be a number above 0 and at most 1", n=n)
        )
        return 1
    return weight


def _check_short_answer(check: _Checker, index: int, raw: Any) -> dict[str, Any] | None:
    field, n = f"answers.{index}", index + 1
    if isinstance(raw, str):
        raw, text_field = {"text": raw}, field
    elif isinstance(raw, dict):
        text_field = f"{field}.text"
    else:
        check.add(field, _("answer %(n)d must be text, or a table with its text", n=n))
        return None
    text = " ".join(
        check.text(raw, "text", text_field, limit=TEXT_MAX, missing=_("answer %(n)d is empty", n=n)).split()
    )
    if len(text) > grading.SHORT_ANSWER_MAX:
        check.add(
            text_field,
            _(
                "answer %(n)d is longer than the %(max)d characters a learner can type",
                n=n,
                max=grading.SHORT_ANSWER_MAX,
            ),
        )
    elif text and not text.replace(grading.WILDCARD, "").strip():
        check.add(text_field, _("answer %(n)d accepts anything", n=n))
    return {
        "text": text,
        "weight": _answer_weight(check, raw, field, n),
        "feedback": check.text(raw, "feedback", f"{field}.feedback", limit=NOTE_MAX),
    }


def _check_short(check: _Checker, raw: dict, question: dict[str, Any]) -> None:
    rows = check.rows(raw, "answers", most=MAX_ANSWERS, missing=_("'answers' must list the accepted answers"))
    answers = [_check_short_answer(check, index, answer) for index, answer in rows]
    question["answers"] = [a for a in answers if a is not None]
    question["ignore_accents"] = check.flag(raw, "ignore_accents", "ignore_accents", False)
    accents = question["ignore_accents"]
    check.no_repeats(
        [(i, grading.fold(a["text"], ignore_accents=accents)) for i, a in enumerate(answers) if a],
        "answers.{}",
        lambda n, m: _("answer %(n)d repeats answer %(m)d", n=n, m=m),
    )
    if rows and len(question["answers"]) == len(rows):
        _check_full_marks(check, question, "answers")


# --- numbers -------------------------------------------------------------------------------


def _number(check: _Checker, raw: dict, key: str, field: str, n: int) -> Decimal | None:
    value = raw.get(key)
    if value is None:
        return None
    if not _is_number(value):
        check.add(f"{field}.{key}", _("'%(key)s' of answer %(n)d must be a number", key=key, n=n))
        return None
    return Decimal(str(value))


def _check_range(check: _Checker, raw: dict, field: str, n: int) -> dict[str, Any] | None:
    before = len(check.errors)
    value, tolerance = _number(check, raw, "value", field, n), _number(check, raw, "tolerance", field, n)
    low, high = _number(check, raw, "min", field, n), _number(check, raw, "max", field, n)
    if len(check.errors) > before:
        return None
    if tolerance is not None and tolerance < 0:
        check.add(f"{field}.tolerance", _("the tolerance of answer %(n)d must not be negative", n=n))
        return None
    if value is not None:
        tolerance = tolerance or Decimal(0)
        # A stored answer carries both forms; written anew, it must say one thing.
        if (low is not None and low != value - tolerance) or (high is not None and high != value + tolerance):
            check.add(
                f"{field}.min", _("answer %(n)d: give either a value and a tolerance, or min and max", n=n)
            )
            return None
        stored = {"value": _stored(value), "tolerance": _stored(tolerance)}
        return {**stored, "min": _stored(value - tolerance), "max": _stored(value + tolerance)}
    if tolerance is not None:
        check.add(f"{field}.tolerance", _("answer %(n)d: a tolerance needs a value", n=n))
        return None
    if low is None or high is None:
        check.add(field, _("answer %(n)d needs a value, or min and max", n=n))
        return None
    if low > high:
        check.add(
            f"{field}.max",
            _("the range is empty: min %(min)s is above max %(max)s", min=_shown(low), max=_shown(high)),
        )
        return None
    return {"min": _stored(low), "max": _stored(high)}


def _check_numeric_answer(check: _Checker, index: int, raw: Any) -> dict[str, Any] | None:
    field, n = f"answers.{index}", index + 1
    if not isinstance(raw, dict):
        check.add(field, _("answer %(n)d must be a table with a value, or min and max", n=n))
        return None
    bounds = _check_range(check, raw, field, n)
    weight = _answer_weight(check, raw, field, n)
    feedback = check.text(raw, "feedback", f"{field}.feedback", limit=NOTE_MAX)
    return None if bounds is None else {**bounds, "weight": weight, "feedback": feedback}


def _check_numeric(check: _Checker, raw: dict, question: dict[str, Any]) -> None:
    rows = check.rows(raw, "answers", most=MAX_ANSWERS, missing=_("'answers' must list the accepted answers"))
    answers = [_check_numeric_answer(check, index, answer) for index, answer in rows]
    question["answers"] = [a for a in answers if a is not None]
    if rows and len(question["answers"]) == len(rows):
        _check_full_marks(check, question, "answers")


# --- matching ------------------------------------------------------------------------------


def _check_pair(check: _Checker, index: int, raw: Any) -> dict[str, Any] | None:
    field, n = f"pairs.{index}", index + 1
    if not isinstance(raw, dict):
        check.add(field, _("pair %(n)d must be a table with a text and its answer", n=n))
        return None
    text, html = check.shown(
        raw, "text", f"{field}.text", limit=OPTION_MAX, missing=_("pair %(n)d has no text", n=n)
    )
    answer = check.text(
        raw, "answer", f"{field}.answer", limit=MATCH_MAX, missing=_("pair %(n)d has no answer", n=n)
    )
    return {"text": text, "html": html, "answer": " ".join(answer.split())}


def _check_distractors(check: _Checker, raw: Any, pairs: list[dict[str, Any]]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.add("distractors", _("'distractors' must be a list of texts"))
        return []
    if len(raw) > MAX_OPTIONS:
        check.add("distractors", _("at most %(n)d wrong matches", n=MAX_OPTIONS))
        return []
    answers = {_same(p["answer"]): i for i, p in reversed(list(enumerate(pairs))) if p["answer"]}
    seen: dict[str, int] = {}
    distractors = []
    for index, item in enumerate(raw):
        n, text = index + 1, " ".join(item.split()) if isinstance(item, str) else ""
        if not text or len(text) > MATCH_MAX:
            check.add(
                f"distractors.{index}",
                _("wrong match %(n)d must be 1 to %(max)d characters", n=n, max=MATCH_MAX),
            )
        elif _same(text) in answers:
            check.add(
                f"distractors.{index}",
                _("wrong match %(n)d is the answer of pair %(m)d", n=n, m=answers[_same(text)] + 1),
            )
        elif (first := seen.setdefault(_same(text), index)) != index:
            check.add(
                f"distractors.{index}", _("wrong match %(n)d repeats wrong match %(m)d", n=n, m=first + 1)
            )
        else:
            distractors.append(text)
    return distractors


def _check_matching(check: _Checker, raw: dict, question: dict[str, Any]) -> None:
    rows = check.rows(raw, "pairs", most=MAX_PAIRS, missing=_("a matching question needs at least two pairs"))
    pairs = [_check_pair(check, index, pair) for index, pair in rows]
    question["pairs"] = [p for p in pairs if p is not None]
    question["distractors"] = _check_distractors(check, raw.get("distractors"), question["pairs"])
    question["partial"] = check.flag(raw, "partial", "partial", True)
    if not rows or len(question["pairs"]) != len(rows):
        return
    if len(rows) < 2:
        check.add("pairs", _("a matching question needs at least two pairs"))
        return
    check.no_repeats(
        [(i, p["text"]) for i, p in enumerate(question["pairs"])],
        "pairs.{}.text",
        lambda n, m: _("pair %(n)d repeats pair %(m)d", n=n, m=m),
    )
    choices = {_same(p["answer"]) for p in question["pairs"]} | {_same(d) for d in question["distractors"]}
    if len(choices) < 2:
        check.add("pairs", _("every pair has the same answer: there is nothing to choose"))


CHECKS = {
    "single": _check_choices,
    "multiple": _check_choices,
    "truefalse": _check_truefalse,
    "short": _check_short,
    "numeric": _check_numeric,
    "matching": _check_matching,
}


def validate(raw: dict) -> dict[str, Any]:
    """The canonical question, or :class:`InvalidQuestion` listing every problem."""
    if not isinstance(raw, dict):
        raise InvalidQuestion([FieldError("", _("a question must be a table of keys"))])
    check = _Checker(html=raw.get("format") == "html")
    question = _check_common(check, raw)
    kind = question["type"]
    if kind in CHECKS:
        _check_keys_of_other_types(check, raw, kind)
        CHECKS[kind](check, raw, question)
    if check.errors:
        raise InvalidQuestion(check.errors)
    return question


# --- draws ---------------------------------------------------------------------------------


def _rule_tags(rule: Any) -> list[str] | None:
    tags = rule.get("tags") if isinstance(rule, dict) else None
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
        return None
    return [" ".join(t.split()) for t in tags]


def _rule_count(rule: Any) -> int | None:
    count = rule.get("count") if isinstance(rule, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 1 else None


def clean_draw(draw: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Draw rules as stored: tags trimmed, nothing else. Check them with :func:`check_draw`."""
    return [{"tags": _rule_tags(rule) or [], "count": _rule_count(rule) or 0} for rule in draw or []]


def check_draw(questions: list[dict[str, Any]], draw: Any) -> list[FieldError]:
    """What is wrong with draw rules for these questions. Rules draw in order, so a rule
    may only count on the questions with its tags that the rules before it cannot take,
    whatever they happened to draw."""
    if draw is None or draw == []:
        return []
    if not isinstance(draw, list):
        return [FieldError("draw", _("'draw' must be a list of rules, each with tags and count"))]
    errors: list[FieldError] = []
    tagged = [grading.tag_set(q.get("tags")) for q in questions]
    known = set().union(*tagged)
    earlier: list[tuple[set[int], int]] = []  # each sound rule before: its pool and count
    for index, rule in enumerate(draw):
        n, tags, count = index + 1, _rule_tags(rule), _rule_count(rule)
        if tags is None:
            errors.append(
                FieldError(f"draw.{index}.tags", _("draw rule %(n)d needs the tags to draw from", n=n))
            )
        unknown = [tag for tag in tags or () if tag.casefold() not in known]
        for tag in unknown:
            errors.append(FieldError(f"draw.{index}.tags", _("no question has the tag '%(tag)s'", tag=tag)))
        if count is None:
            errors.append(
                FieldError(
                    f"draw.{index}.count",
                    _("draw rule %(n)d must draw a whole number of questions, at least 1", n=n),
                )
            )
        if tags is None or count is None or unknown:
            continue
        pool = {i for i, found in enumerate(tagged) if found & grading.tag_set(tags)}
        taken = min(
            len(pool & set().union(*(p for p, _c in earlier))), sum(min(c, len(p & pool)) for p, c in earlier)
        )
        left = len(pool) - taken
        if count > left:
            errors.append(
                FieldError(
                    f"draw.{index}.count",
                    _(
                        "draw rule %(n)d draws %(count)d questions, but only %(left)d with its tags "
                        "are sure to be left after the rules before it",
                        n=n,
                        count=count,
                        left=left,
                    )
                    if earlier
                    else _(
                        "draw rule %(n)d draws %(count)d questions, but only %(left)d have its tags",
                        n=n,
                        count=count,
                        left=left,
                    ),
                )
            )
        earlier.append((pool, count))
    return errors


def questions_per_attempt(questions: list[dict[str, Any]], draw: list[dict[str, Any]] | None) -> int:
    """How many questions one attempt asks."""
    return sum(int(rule["count"]) for rule in draw) if draw else len(questions)
