"""``kuis.toml``: the quiz part of a course folder."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import force_locale

from lms.catalog.importer import TomlSource, check_int, check_text, check_unknown_keys
from lms.catalog.models import Kursus
from lms.core.markdown import clean_html, render_inline
from lms.quizzes import questions
from lms.quizzes.grading import normalise_text
from lms.quizzes.models import FEEDBACK_MODES, LEGACY_FEEDBACK
from lms.quizzes.questions import (
    ANSWER_KEYS,
    DRAW_KEYS,
    OPTION_KEYS,
    PAIR_KEYS,
    QUESTION_ID_RE,
    QUESTION_KEYS,
)

QUIZ_KEYS = {
    "title",
    "pass_mark",
    "max_attempts",
    "time_limit_minutes",
    "shuffle_questions",
    "shuffle_options",
    "feedback",
    "questions",
    "draw",
}
# What a quiz version takes from the quiz's settings.
SETTINGS = (
    "title",
    "pass_mark",
    "max_attempts",
    "time_limit_minutes",
    "shuffle_questions",
    "shuffle_options",
    "feedback",
)
# The tables a question may have, and the keys each allows.
SUBTABLES = {"options": OPTION_KEYS, "answers": ANSWER_KEYS, "pairs": PAIR_KEYS}
ID_RULE = "1 to 40 letters, digits, '-' or '_'"
ANSWERS_FIRST = (
    "the first option is correct in every choice question and shuffle_options is off: "
    "a learner who always picks the first option gets them all right"
)
# The reader's messages are English like the rest of `flask kursus check`.
MESSAGES_LOCALE = "en"


def _check_bool(source: TomlSource, data: dict, key: str, line: int, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        source.error(source.line_of(key, line), f"'{key}' must be true or false")
        return default
    return value


def _table_end(source: TomlSource, start: int, end: int) -> int:
    """The line of the next table header after ``start`` (before ``end``), else ``end``."""
    for number in range(start + 1, end):
        if source.lines[number - 1].lstrip().startswith("["):
            return number
    return end


def _tables_of(source: TomlSource, header: str, start: int, end: int) -> list[tuple[int, int]]:
    """(first line, end) of each ``[[header]]`` table between ``start`` and ``end``."""
    return [(n, _table_end(source, n, end)) for n in source.table_starts(header) if start < n < end]


def _error_line(source: TomlSource, path: str, start: int, end: int) -> int:
    """The line a question's error belongs to: its key in the question's own table, or
    in the n-th option, answer or pair table when the path goes into one."""
    parts = path.split(".")
    if parts[0] in SUBTABLES and len(parts) > 1 and parts[1].isdigit():
        tables = _tables_of(source, f"questions.{parts[0]}", start, end)
        index = int(parts[1])
        if index < len(tables):
            first, last = tables[index]
            return source.line_of(parts[2], first, last) if len(parts) > 2 else first
    return source.line_of(parts[0], start, _table_end(source, start, end))


def _check_subtable_keys(source: TomlSource, question: dict, qid: str, start: int, end: int) -> None:
    for key, allowed in SUBTABLES.items():
        rows = question.get(key)
        tables = _tables_of(source, f"questions.{key}", start, end)
        for index, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, dict):
                line = tables[index][0] if index < len(tables) else start
                check_unknown_keys(source, row, allowed, line=line, where=f"{key} of {qid}")


def _check_id(source: TomlSource, question: dict, start: int, end: int, seen: set) -> str | None:
    line = source.line_of("id", start, _table_end(source, start, end))
    qid = question.get("id")
    if not isinstance(qid, str) or not qid:
        source.error(line, f"every question needs an 'id' of {ID_RULE}")
        return None
    if not QUESTION_ID_RE.fullmatch(qid):
        source.error(line, f"question id {qid!r} must be {ID_RULE}")
        return None
    if qid in seen:
        source.error(line, f"question id '{qid}' is used twice")
    seen.add(qid)
    return qid


def _check_question(source: TomlSource, question: Any, start: int, end: int, seen: set) -> dict | None:
    """The canonical question (lms.quizzes.questions), or None after reporting its errors."""
    if not isinstance(question, dict):
        source.error(start, "each question must be a [[questions]] table")
        return None
    check_unknown_keys(source, question, QUESTION_KEYS, line=start, where="[[questions]]")
    qid = _check_id(source, question, start, end, seen)
    if qid is None:
        return None
    _check_subtable_keys(source, question, qid, start, end)
    try:
        with force_locale(MESSAGES_LOCALE):
            spec = questions.validate({k: v for k, v in question.items() if k != "id"})
    except questions.InvalidQuestion as invalid:
        for error in invalid.errors:
            source.error(_error_line(source, error.field, start, end), f"question {qid}: {error.message}")
        return None
    return {"id": qid, **spec}


def _check_draw(source: TomlSource, data: dict, checked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    draw = data.get("draw", [])
    if not isinstance(draw, list) or not all(isinstance(rule, dict) for rule in draw):
        source.error(source.line_of("draw"), "'draw' must be [[draw]] tables, each with tags and count")
        return []
    tables = _tables_of(source, "draw", 0, len(source.lines) + 1)
    for index, rule in enumerate(draw):
        line = tables[index][0] if index < len(tables) else 1
        check_unknown_keys(source, rule, DRAW_KEYS, line=line, where="[[draw]]")
    with force_locale(MESSAGES_LOCALE):
        errors = questions.check_draw(checked, draw)
    for error in errors:
        parts = error.field.split(".")
        index = int(parts[1]) if len(parts) > 1 else 0
        first, last = tables[index] if index < len(tables) else (1, None)
        source.error(source.line_of(parts[-1], first, last) if len(parts) > 2 else first, error.message)
    return questions.clean_draw(draw)


def _warn_if_answers_come_first(source: TomlSource, spec: dict[str, Any]) -> None:
    """Unshuffled options are shown in file order, so a pattern there is one a learner can
    follow. One choice question is no pattern."""
    choices = [q["options"] for q in spec["questions"] if q["type"] in ("single", "multiple")]
    if spec["shuffle_options"] or len(choices) < 2:
        return
    if all(options and options[0]["correct"] for options in choices):
        source.warn(source.line_of("shuffle_options"), ANSWERS_FIRST)


def _check_feedback(source: TomlSource, mode: Any) -> str:
    if mode in FEEDBACK_MODES:
        return mode
    if mode in LEGACY_FEEDBACK:
        source.warn(
            source.line_of("feedback"),
            f'feedback = "{mode}" is an earlier name; it is read as "{LEGACY_FEEDBACK[mode]}" '
            f"(score: the score only; correctness: also which questions were right; "
            f"keys: also the answer keys once no attempt can be started)",
        )
        return LEGACY_FEEDBACK[mode]
    source.error(source.line_of("feedback"), f"'feedback' must be one of {', '.join(FEEDBACK_MODES)}")
    return "keys"


def new_option_id(taken: set[str]) -> str:
    """An option id that says nothing about where the option was written or shown."""
    while (candidate := secrets.token_hex(4)) in taken:
        pass
    return candidate


def _with_choices(question: dict[str, Any], taken: set[str]) -> dict[str, Any]:
    """A matching question's pairs with ids, and the choices a learner picks from: every
    answer once, then the wrong matches, each with an id of its own, so the value a
    drop-down sends names no pair."""
    choices: list[dict[str, Any]] = []
    by_text: dict[str, str] = {}
    render = clean_html if question.get("format") == "html" else render_inline
    for text in [p["answer"] for p in question["pairs"]] + list(question.get("distractors", ())):
        if normalise_text(text) not in by_text:
            taken.add(choice_id := new_option_id(taken))
            by_text[normalise_text(text)] = choice_id
            choices.append({"id": choice_id, "text": text, "html": render(text)})
    pairs = []
    for pair in question["pairs"]:
        taken.add(pair_id := new_option_id(taken))
        pairs.append({**pair, "id": pair_id, "choice": by_text[normalise_text(pair["answer"])]})
    return {**question, "pairs": pairs, "choices": choices}


def with_option_ids(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions with a fresh random id on every option (and on every pair and choice
    of a matching question): each quiz version gets its own, so neither the file's order
    nor an earlier version tells which is correct."""
    result = []
    for question in questions:
        question = dict(question)
        taken: set[str] = set()
        if "options" in question:
            options = []
            for option in question["options"]:
                taken.add(option_id := new_option_id(taken))
                options.append({**option, "id": option_id})
            question["options"] = options
        if question.get("type") == "matching":
            question = _with_choices(question, taken)
        result.append(question)
    return result


class KuisPart:
    filename = "kuis.toml"
    required = False

    def parse(self, source: TomlSource) -> dict[str, Any]:
        """The quiz's settings, its questions (canonical, as lms.quizzes.questions makes
        them) and its draw rules; every problem reported as ``kuis.toml:line: message``."""
        data = source.data or {}
        check_unknown_keys(source, data, QUIZ_KEYS, line=1, where="kuis.toml")
        spec = {
            "title": check_text(source, data, "title", line=1, max_len=200),
            "pass_mark": check_int(source, data, "pass_mark", line=1, low=0, high=100),
            "max_attempts": check_int(source, data, "max_attempts", line=1, low=0, high=100, required=False)
            or 0,
            "time_limit_minutes": check_int(
                source, data, "time_limit_minutes", line=1, low=0, high=600, required=False
            )
            or 0,
            "shuffle_questions": _check_bool(source, data, "shuffle_questions", 1, False),
            "shuffle_options": _check_bool(source, data, "shuffle_options", 1, False),
            "feedback": _check_feedback(source, data.get("feedback", "keys")),
        }
        raw = data.get("questions")
        starts = source.table_starts("questions")
        if not isinstance(raw, list) or not raw:
            source.error(1, "the quiz has no [[questions]]")
            raw = []
        seen: set[str] = set()
        checked = []
        for index, question in enumerate(raw):
            start = starts[index] if index < len(starts) else 1
            end = starts[index + 1] if index + 1 < len(starts) else len(source.lines) + 1
            result = _check_question(source, question, start, end, seen)
            if result:
                checked.append(result)
        spec["questions"] = checked
        # Draw rules are checked against sound questions only: a broken one says enough.
        spec["draw"] = _check_draw(source, data, checked) if len(checked) == len(raw) else []
        _warn_if_answers_come_first(source, spec)
        return spec

    def apply(self, kursus: Kursus, spec: dict[str, Any]) -> bool:
        from lms.quizzes.services import publish_quiz  # services use this module's ids

        settings = {key: spec[key] for key in SETTINGS}
        return publish_quiz(kursus, {**settings, "draw": spec.get("draw", [])}, spec["questions"]) is not None
