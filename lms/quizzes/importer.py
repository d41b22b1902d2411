"""``kuis.toml``: the quiz part of a course folder."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from sqlalchemy import select

from lms.catalog.importer import TomlSource, check_int, check_text, check_unknown_keys
from lms.catalog.models import Kursus
from lms.core.markdown import render_inline
from lms.extensions import db
from lms.quizzes.models import FEEDBACK_MODES, LEGACY_FEEDBACK, QUESTION_TYPES, Kuis, KuisVersion

QUIZ_KEYS = {
    "title",
    "pass_mark",
    "max_attempts",
    "time_limit_minutes",
    "shuffle_questions",
    "shuffle_options",
    "feedback",
    "questions",
}
QUESTION_KEYS = {"id", "type", "text", "points", "feedback", "options", "answer", "answers"}
OPTION_KEYS = {"text", "correct", "feedback"}
MAX_OPTIONS = 8
# A question id becomes a form field name and an HTML id on the quiz page.
QUESTION_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
ID_RULE = "1 to 40 letters, digits, '-' or '_'"
ANSWERS_FIRST = (
    "the first option is correct in every choice question and shuffle_options is off: "
    "a learner who always picks the first option gets them all right"
)


def _check_bool(source: TomlSource, data: dict, key: str, line: int, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        source.error(source.line_of(key, line), f"'{key}' must be true or false")
        return default
    return value


def _check_options(source, question, qid, kind, start, end) -> list[dict[str, Any]]:
    options = question.get("options")
    line = start
    if not isinstance(options, list) or not options:
        source.error(line, f"question {qid}: a {kind} question needs [[questions.options]]")
        return []
    option_lines = [n for n in source.table_starts("questions.options") if start < n < end]
    if len(options) > MAX_OPTIONS:
        source.error(line, f"question {qid}: at most {MAX_OPTIONS} options")
        return []
    checked = []
    for index, option in enumerate(options):
        oline = option_lines[index] if index < len(option_lines) else line
        if not isinstance(option, dict):
            source.error(oline, f"question {qid}: each option must be a table")
            continue
        check_unknown_keys(source, option, OPTION_KEYS, line=oline, where=f"an option of {qid}")
        text = check_text(source, option, "text", line=oline, max_len=1000)
        correct = option.get("correct", False)
        if not isinstance(correct, bool):
            source.error(source.line_of("correct", oline), "'correct' must be true or false")
        feedback = check_text(source, option, "feedback", line=oline, max_len=2000, required=False)
        if text is not None:
            checked.append(
                {
                    "text": text,
                    "html": render_inline(text),
                    "correct": correct is True,
                    "feedback": feedback or "",
                }
            )
    right = sum(o["correct"] for o in checked)
    if len(checked) == len(options):
        if kind == "single" and right != 1:
            source.error(line, f"question {qid}: a single-choice question needs exactly one correct option")
        if kind == "multiple" and (right < 1 or right == len(checked)):
            source.error(line, f"question {qid}: a multiple-choice question needs correct and wrong options")
        if len(checked) < 2:
            source.error(line, f"question {qid}: at least two options")
    return checked


def _check_question(source: TomlSource, question: Any, start: int, end: int, seen: set) -> dict | None:
    if not isinstance(question, dict):
        source.error(start, "each question must be a [[questions]] table")
        return None
    check_unknown_keys(source, question, QUESTION_KEYS, line=start, where="[[questions]]")
    qid = question.get("id")
    if not isinstance(qid, str) or not qid:
        source.error(source.line_of("id", start, end), f"every question needs an 'id' of {ID_RULE}")
        return None
    if not QUESTION_ID_RE.fullmatch(qid):
        source.error(source.line_of("id", start, end), f"question id {qid!r} must be {ID_RULE}")
        return None
    if qid in seen:
        source.error(source.line_of("id", start, end), f"question id '{qid}' is used twice")
    seen.add(qid)
    kind = question.get("type")
    if kind not in QUESTION_TYPES:
        source.error(
            source.line_of("type", start, end),
            f"question {qid}: 'type' must be one of {', '.join(QUESTION_TYPES)}",
        )
        return None
    text = check_text(source, question, "text", line=start, max_len=4000)
    points = question.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 100:
        source.error(
            source.line_of("points", start, end), f"question {qid}: 'points' must be a number above 0"
        )
        points = 1
    feedback = check_text(source, question, "feedback", line=start, max_len=4000, required=False) or ""
    spec: dict[str, Any] = {
        "id": qid,
        "type": kind,
        "text": text or "",
        "html": render_inline(text or ""),
        "points": float(points),
        "feedback": feedback,
    }
    if kind in ("single", "multiple"):
        spec["options"] = _check_options(source, question, qid, kind, start, end)
    elif "options" in question:
        source.error(start, f"question {qid}: a {kind} question has no options")
    if kind == "truefalse":
        answer = question.get("answer")
        if not isinstance(answer, bool):
            source.error(
                source.line_of("answer", start, end), f"question {qid}: 'answer' must be true or false"
            )
        spec["answer"] = answer is True
    if kind == "short":
        answers = question.get("answers")
        if (
            not isinstance(answers, list)
            or not answers
            or not all(isinstance(a, str) and a.strip() for a in answers)
        ):
            source.error(
                source.line_of("answers", start, end),
                f"question {qid}: 'answers' must list the accepted answers",
            )
            answers = []
        spec["answers"] = [" ".join(a.split()) for a in answers]
    return spec


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


def with_option_ids(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions with a fresh random id on every option: each quiz version gets its
    own, so neither the file's order nor an earlier version tells which is correct."""
    result = []
    for question in questions:
        question = dict(question)
        if "options" in question:
            taken: set[str] = set()
            options = []
            for option in question["options"]:
                taken.add(option_id := new_option_id(taken))
                options.append({**option, "id": option_id})
            question["options"] = options
        result.append(question)
    return result


class KuisPart:
    filename = "kuis.toml"
    required = False

    def parse(self, source: TomlSource) -> dict[str, Any]:
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
        questions = data.get("questions")
        starts = source.table_starts("questions")
        if not isinstance(questions, list) or not questions:
            source.error(1, "the quiz has no [[questions]]")
            questions = []
        seen: set[str] = set()
        checked = []
        for index, question in enumerate(questions):
            start = starts[index] if index < len(starts) else 1
            end = starts[index + 1] if index + 1 < len(starts) else len(source.lines) + 1
            result = _check_question(source, question, start, end, seen)
            if result:
                checked.append(result)
        spec["questions"] = checked
        _warn_if_answers_come_first(source, spec)
        return spec

    def apply(self, kursus: Kursus, spec: dict[str, Any]) -> bool:
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
        kuis = db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus.id))
        if kuis is None:
            kuis = Kuis(kursus=kursus)
            db.session.add(kuis)
        elif kuis.versions and kuis.current.content_hash == digest:
            return False
        number = len(kuis.versions) + 1
        stored = {**spec, "questions": with_option_ids(spec["questions"])}
        kuis.versions.append(KuisVersion(number=number, content_hash=digest, **stored))
        db.session.flush()
        return True
