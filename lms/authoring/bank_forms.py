"""The question form (one form for every type, its parts as rows), the import form and the
quiz settings form; and the two translations between a form and a question written in the
words of kuis.toml (what lms.quizzes.questions validates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from lms.core.forms import IntegerField
from lms.quizzes.bank import QuizValues

TYPE_LABELS = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "truefalse": _l("True or false"),
    "short": _l("Short answer"),
    "numeric": _l("Number"),
    "matching": _l("Matching"),
}
# Which list of rows each type fills, and how many empty rows a new question starts with.
ROWS_OF = {
    "single": "options",
    "multiple": "options",
    "short": "answers",
    "numeric": "numbers",
    "matching": "pairs",
}
NEW_ROWS = {"options": 6, "answers": 4, "numbers": 3, "pairs": 6, "draw": 3}
MORE_ROWS = 3
MAX_ROWS = 40

# What each feedback mode lets a result page show (lms.quizzes.services.Feedback).
FEEDBACK_CHOICES = [
    SelectChoice("score", _l("Score only: the score and pass or fail, nothing about the questions.")),
    SelectChoice(
        "correctness",
        _l(
            "Right or wrong: also which questions were right or wrong, the learner's own answers and "
            "the note for an option they chose, after every attempt; never the correct answers."
        ),
    ),
    SelectChoice(
        "keys",
        _l(
            "Answer keys: like right or wrong, and the correct answers with each question's "
            "explanation once no attempt is open and none can be started (after a pass, or when "
            "every attempt is used)."
        ),
    ),
]


class _Row(FlaskForm):
    class Meta:
        csrf = False


class OptionRow(_Row):
    text = StringField(_l("Option"))
    correct = BooleanField(_l("Correct"))
    weight = StringField(_l("Weight (-1 to 1)"))
    feedback = StringField(_l("Feedback on this option"))


class ShortRow(_Row):
    text = StringField(_l("Accepted answer"))
    weight = StringField(_l("Weight (0 to 1)"))
    feedback = StringField(_l("Feedback on this answer"))


class NumberRow(_Row):
    value = StringField(_l("Value"))
    tolerance = StringField(_l("± tolerance"))
    min = StringField(_l("or from"))
    max = StringField(_l("to"))
    weight = StringField(_l("Weight (0 to 1)"))
    feedback = StringField(_l("Feedback on this answer"))


class PairRow(_Row):
    text = StringField(_l("Item"))
    answer = StringField(_l("Its match"))


class QuestionForm(FlaskForm):
    revision = HiddenField()
    text = TextAreaField(_l("Question"), render_kw={"rows": 5})
    format = SelectField(
        _l("The text is written in"),
        choices=[SelectChoice("markdown", _l("Markdown")), SelectChoice("html", _l("HTML"))],
        validate_choice=False,
    )
    points = StringField(_l("Points"), default="1", render_kw={"inputmode": "decimal"})
    feedback = TextAreaField(_l("General feedback, shown with the answer key"), render_kw={"rows": 3})
    tags = StringField(_l("Tags (separated by commas)"))
    partial = BooleanField(_l("Partial credit for a partly right answer"))
    options = FieldList(FormField(OptionRow), max_entries=MAX_ROWS)
    answer = RadioField(
        _l("The statement is"),
        choices=[SelectChoice("true", _l("True")), SelectChoice("false", _l("False"))],
        validate_choice=False,
    )
    feedback_true = TextAreaField(_l("Feedback for the answer True"), render_kw={"rows": 2})
    feedback_false = TextAreaField(_l("Feedback for the answer False"), render_kw={"rows": 2})
    answers = FieldList(FormField(ShortRow), max_entries=MAX_ROWS)
    ignore_accents = BooleanField(_l("Ignore accents (é counts as e)"))
    numbers = FieldList(FormField(NumberRow), max_entries=MAX_ROWS)
    pairs = FieldList(FormField(PairRow), max_entries=MAX_ROWS)
    distractors = TextAreaField(_l("Wrong matches to mix in, one per line"), render_kw={"rows": 3})


class ImportForm(FlaskForm):
    file = FileField(
        _l("GIFT (.txt, .gift) or Moodle XML (.xml) file"),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".txt,.gift,.xml"},
    )
    tag = StringField(_l("Tag for every imported question (optional)"), validators=[Length(max=40)])
    skip_unsupported = BooleanField(_l("Skip question types this bank does not have (essays, …)"))


class DrawRow(_Row):
    tags = StringField(_l("From questions tagged (separated by commas)"))
    count = StringField(_l("Questions to draw"), render_kw={"inputmode": "numeric"})


class QuizForm(FlaskForm):
    revision = HiddenField()
    title = StringField(_l("Title of the quiz"))
    pass_mark = IntegerField(
        _l("Pass mark (percent)"), render_kw={"inputmode": "numeric", "min": 0, "max": 100}
    )
    max_attempts = IntegerField(
        _l("Attempts allowed (0: unlimited)"), render_kw={"inputmode": "numeric", "min": 0, "max": 100}
    )
    time_limit_minutes = IntegerField(
        _l("Time limit in minutes (0: none)"), render_kw={"inputmode": "numeric", "min": 0, "max": 600}
    )
    shuffle_questions = BooleanField(_l("Shuffle the questions for each attempt"))
    shuffle_options = BooleanField(_l("Shuffle the options of each question"))
    feedback = RadioField(
        _l("What the learner sees after an attempt"), choices=FEEDBACK_CHOICES, validate_choice=False
    )
    draw = FieldList(FormField(DrawRow), max_entries=MAX_ROWS)


# --- rows ----------------------------------------------------------------------------------


def pad_rows(rows: FieldList, at_least: int, more: int = 0) -> None:
    """Empty rows up to ``at_least``, then ``more`` beyond what is there, within MAX_ROWS."""
    wanted = min(MAX_ROWS, max(at_least, len(rows.entries) + more))
    while len(rows.entries) < wanted:
        rows.append_entry()


def _blank(row) -> bool:
    """Nothing typed and nothing ticked: a ticked row without text is an error to show."""
    return not any(str(f.data or "").strip() if f.type != "BooleanField" else f.data for f in row)


def _number(text: str | None) -> Any:
    """A number as typed, a decimal comma allowed; what is not a number is passed on as it
    is, so the question's rules say what is wrong with it, on its field."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "," not in text else value


def _tags(text: str | None) -> list[str]:
    seen: list[str] = []
    for tag in (text or "").split(","):
        tag = " ".join(tag.split())
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _text(f) -> str:
    """What was typed in a field, trimmed ("" when a hand-made request left it out)."""
    return (f.data or "").strip()


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        target[key] = value


def _compact(rows: FieldList) -> None:
    """Empty rows are left out, and the rows closed up: the form shown again numbers its
    rows as the question does, so "option 2" in a message is row 2 on the page."""
    kept = [entry.form.data for entry in rows.entries if not _blank(entry.form)]
    rows.entries, rows.last_index = [], -1
    for data in kept:
        rows.append_entry(data)


def _rows(rows: FieldList, read) -> list[dict[str, Any]]:
    _compact(rows)
    return [read(entry.form) for entry in rows.entries]


def _option(row: OptionRow) -> dict[str, Any]:
    item = {"text": _text(row.text), "correct": bool(row.correct.data)}
    _put(item, "weight", _number(row.weight.data))
    _put(item, "feedback", _text(row.feedback))
    return item


def _short(row: ShortRow) -> dict[str, Any]:
    item = {"text": _text(row.text)}
    _put(item, "weight", _number(row.weight.data))
    _put(item, "feedback", _text(row.feedback))
    return item


def _numeric(row: NumberRow) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in ("value", "tolerance", "min", "max", "weight"):
        _put(item, name, _number(getattr(row, name).data))
    _put(item, "feedback", _text(row.feedback))
    return item


def _pair(row: PairRow) -> dict[str, Any]:
    return {"text": _text(row.text), "answer": _text(row.answer)}


def read_question(form: QuestionForm, kind: str) -> dict[str, Any]:
    """The question the form describes, for a question of type ``kind`` (raw, as
    kuis.toml writes it). Its rows are closed up on the form as they are read."""
    raw: dict[str, Any] = {
        "type": kind,
        "text": _text(form.text),
        "format": form.format.data or "markdown",
        "tags": _tags(form.tags.data),
    }
    _put(raw, "points", _number(form.points.data))
    _put(raw, "feedback", _text(form.feedback))
    if kind in ("single", "multiple"):
        raw["options"] = _rows(form.options, _option)
        if kind == "multiple":
            raw["partial"] = bool(form.partial.data)
    elif kind == "truefalse":
        raw["answer"] = {"true": True, "false": False}.get(form.answer.data)
        _put(raw, "feedback_true", _text(form.feedback_true))
        _put(raw, "feedback_false", _text(form.feedback_false))
    elif kind == "short":
        raw["answers"] = _rows(form.answers, _short)
        raw["ignore_accents"] = bool(form.ignore_accents.data)
    elif kind == "numeric":
        raw["answers"] = _rows(form.numbers, _numeric)
    elif kind == "matching":
        raw["pairs"] = _rows(form.pairs, _pair)
        raw["distractors"] = [
            line.strip() for line in (form.distractors.data or "").splitlines() if line.strip()
        ]
        raw["partial"] = bool(form.partial.data)
    return raw


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def question_data(question: dict[str, Any]) -> dict[str, Any]:
    """Form data for a stored question (written as :func:`lms.quizzes.part.to_raw` gives it)."""
    answers = [a if isinstance(a, dict) else {"text": a} for a in question.get("answers") or []]
    data: dict[str, Any] = {
        "text": question.get("text", ""),
        "format": question.get("format", "markdown"),
        "points": _shown(question.get("points", 1)),
        "feedback": question.get("feedback", ""),
        "tags": ", ".join(question.get("tags") or []),
        "partial": bool(question.get("partial")),
        "options": [
            {
                "text": o.get("text", ""),
                "correct": bool(o.get("correct")),
                "weight": _shown(o.get("weight")),
                "feedback": o.get("feedback", ""),
            }
            for o in question.get("options") or []
        ],
        "feedback_true": question.get("feedback_true", ""),
        "feedback_false": question.get("feedback_false", ""),
        "ignore_accents": bool(question.get("ignore_accents")),
        "pairs": [
            {"text": p.get("text", ""), "answer": p.get("answer", "")} for p in question.get("pairs") or []
        ],
        "distractors": "\n".join(question.get("distractors") or []),
    }
    if "answer" in question:
        data["answer"] = "true" if question["answer"] else "false"
    # An answer's weight is 1 unless written: an empty cell says so as well.
    rows = [
        {k: _shown(v) if k != "feedback" else v for k, v in a.items() if not (k == "weight" and v == 1)}
        for a in answers
    ]
    data["numbers" if question.get("type") == "numeric" else "answers"] = rows
    return data


# --- errors on their fields ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """An error as the summary at the top of a form lists it: a link to the field."""

    anchor: str
    message: str


def _list_of(kind: str, head: str) -> str:
    return "numbers" if head == "answers" and kind == "numeric" else head


def place_errors(form: FlaskForm, kind: str, errors, fallback: str) -> list[Problem]:
    """Put each ``FieldError`` (a dotted path: ``options.2.text``) next to its input. An
    error on a whole list goes to the list (``form.list_errors``), an unknown field to
    ``fallback``."""
    list_errors: dict[str, list[str]] = getattr(form, "list_errors", {})
    problems = []
    for error in errors:
        target, anchor = _target(form, kind, error.field)
        if target is None and anchor is not None:
            list_errors.setdefault(anchor, []).append(error.message)
        else:
            target = target if target is not None else getattr(form, fallback)
            target.errors = [*target.errors, error.message]
            anchor = target.id
        problems.append(Problem(anchor, error.message))
    form.list_errors = list_errors
    return problems


def _target(form, kind: str, path: str | None):
    """(field, None) for an input, (None, anchor) for a whole list, (None, None) if unknown."""
    parts = (path or "").split(".")
    head = _list_of(kind, parts[0])
    rows = getattr(form, head, None)
    if isinstance(rows, FieldList):
        if len(parts) == 1:
            return None, head
        place = int(parts[1]) if parts[1].isdigit() else -1
        if not 0 <= place < len(rows.entries):
            return None, head
        row = rows.entries[place].form
        cell = getattr(row, parts[2], None) if len(parts) > 2 else None
        return (cell if cell is not None else next(iter(row))), None
    found = getattr(form, head, None) if head else None
    if found is not None and hasattr(found, "errors") and head not in ("csrf_token", "meta"):
        return found, None
    return None, None


# --- quiz settings -------------------------------------------------------------------------


def settings_data(setelan) -> dict[str, Any]:
    """Form data for the quiz settings (saved or not yet)."""
    return {
        "revision": str(setelan.revision),
        "title": setelan.title,
        "pass_mark": setelan.pass_mark,
        "max_attempts": setelan.max_attempts,
        "time_limit_minutes": setelan.time_limit_minutes,
        "shuffle_questions": setelan.shuffle_questions,
        "shuffle_options": setelan.shuffle_options,
        "feedback": setelan.feedback,
        "draw": [
            {"tags": ", ".join(rule.get("tags") or []), "count": str(rule.get("count", ""))}
            for rule in setelan.draw or []
        ],
    }


def read_settings(form: QuizForm) -> QuizValues:
    """The settings the form holds. A count that is not a whole number is passed on as
    typed: the draw rules say what is wrong with it."""
    draw = _rows(form.draw, lambda row: {"tags": _tags(row.tags.data), "count": _number(row.count.data)})
    values = QuizValues(
        title=form.title.data or "",
        pass_mark=form.pass_mark.data,
        max_attempts=form.max_attempts.data,
        time_limit_minutes=form.time_limit_minutes.data,
        shuffle_questions=bool(form.shuffle_questions.data),
        shuffle_options=bool(form.shuffle_options.data),
        feedback=form.feedback.data or "",
        draw=draw,
    )
    return values
