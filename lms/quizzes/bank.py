"""A course's question bank and quiz settings: the working copy a trainer edits, from the
browser or from a Moodle export. Publishing the course (lms.catalog.publishing, through
lms.quizzes.part) turns them into an immutable quiz version.

Every save names the revision the trainer saw: when someone else saved in between, nothing
is written and he is told, so two trainers never overwrite each other unseen.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from lms.catalog.models import Kursus
from lms.core.errors import DomainError, NotFoundError
from lms.core.time import utcnow
from lms.extensions import db
from lms.quizzes import moodle
from lms.quizzes import questions as rules
from lms.quizzes.models import FEEDBACK_MODES, Kuis, KuisSetelan, KuisVersion, Soal
from lms.quizzes.part import bank_of
from lms.quizzes.services import quiz_for_course

IMPORT_MAX_BYTES = 5 * 1024 * 1024
_NUMBERED_KEY = re.compile(r"q(\d+)")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
# What a question's own words are made of, for the list's excerpt and its search.
_TAG_OR_MARK = re.compile(r"<[^>]*>|[*_`#>\[\]]+")


class InvalidSettings(DomainError):
    """Quiz settings that cannot be saved, every problem at once (``errors`` of FieldError)."""

    def __init__(self, errors: list[rules.FieldError]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


class ImportRefused(DomainError):
    """A file whose questions were not imported: ``errors`` are ``file:line: message`` lines."""

    def __init__(self, errors: list[str]):
        super().__init__(_("Nothing was imported: the file has %(n)d error(s).", n=len(errors)), field="file")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    added: list[Soal]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _conflict(what: str) -> DomainError:
    return DomainError(what, field="revision", status=409)


def _question_conflict() -> DomainError:
    return _conflict(
        _(
            "Someone else saved this question since you opened it. Nothing of yours was saved: "
            "your text is still in the form and their version is shown below it. Save again to "
            "replace theirs with yours."
        )
    )


# --- reading -------------------------------------------------------------------------------


def excerpt(text: str, length: int = 140) -> str:
    """The question's words without markup, cut at a word near ``length`` characters."""
    plain = " ".join(_TAG_OR_MARK.sub(" ", text or "").split())
    if len(plain) <= length:
        return plain
    return plain[:length].rsplit(" ", 1)[0] + "…"


def questions_of(kursus_id: int, tag: str | None = None, q: str | None = None) -> list[Soal]:
    """The bank in its order, only those with ``tag`` and those whose words hold ``q``. A
    bank is a few hundred questions at most, and tags and text are JSON: filtering them here
    keeps one query that reads the same on PostgreSQL and SQLite."""
    rows = db.session.scalars(
        select(Soal).where(Soal.kursus_id == kursus_id).order_by(Soal.position, Soal.id)
    ).all()
    if tag:
        rows = [row for row in rows if tag in (row.tags or [])]
    if q and q.strip():
        needle = q.strip().casefold()
        rows = [row for row in rows if needle in _searchable(row)]
    return list(rows)


def _searchable(row: Soal) -> str:
    spec = row.spec or {}
    parts = [row.key, spec.get("text", ""), spec.get("feedback", "")]
    parts += [str(o.get("text", "")) for o in spec.get("options") or [] if isinstance(o, dict)]
    return " ".join(parts).casefold()


def tags_of(kursus_id: int) -> list[tuple[str, int]]:
    """Every tag of the bank with how many questions carry it, by name."""
    counts: dict[str, int] = {}
    for tags in db.session.scalars(select(Soal.tags).where(Soal.kursus_id == kursus_id)):
        for tag in set(tags or []):
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda item: item[0].casefold())


def get_question(soal_id: int, kursus_id: int) -> Soal:
    soal = db.session.get(Soal, soal_id)
    if soal is None or soal.kursus_id != kursus_id:
        raise NotFoundError()
    return soal


def as_question(soal: Soal) -> dict[str, Any]:
    """The stored question as the rules know it: its key as ``id``, its tags with it."""
    return {"id": soal.key, **(soal.spec or {}), "tags": list(soal.tags or [])}


# --- writing questions ------------------------------------------------------------------------


def _keys(kursus_id: int) -> set[str]:
    """The keys of the bank and of every published version: a question deleted from the
    bank still has its key in past versions and their item analysis, so no other question
    may take it."""
    taken = set(db.session.scalars(select(Soal.key).where(Soal.kursus_id == kursus_id)))
    published = db.session.scalars(
        select(KuisVersion.questions)
        .join(Kuis, Kuis.id == KuisVersion.kuis_id)
        .where(Kuis.kursus_id == kursus_id)
    )
    return taken | {
        q["id"] for questions in published for q in questions or [] if isinstance(q, dict) and "id" in q
    }


def _new_key(taken: set[str]) -> str:
    """The next of q01…q99 after the highest taken; then random keys."""
    numbers = [int(m.group(1)) for key in taken if (m := _NUMBERED_KEY.fullmatch(key))]
    following = max(numbers, default=0) + 1
    if following <= 99:
        return f"q{following:02d}"
    while (candidate := f"s-{secrets.token_hex(4)}") in taken:
        pass
    return candidate


def _key_for(raw: dict[str, Any], taken: set[str]) -> str:
    wanted = raw.get("id")
    if isinstance(wanted, str) and _KEY.fullmatch(wanted) and wanted not in taken:
        return wanted
    return _new_key(taken)


def _checked(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """The canonical question (raises InvalidQuestion naming every field that is wrong)."""
    body = {k: v for k, v in raw.items() if k not in ("id", "line", "name")}
    return rules.validate({"id": key, **body})


def _columns(question: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": question["type"],
        "spec": {k: v for k, v in question.items() if k not in ("id", "tags")},
        "tags": list(question.get("tags") or []),
    }


def _next_position(kursus_id: int) -> int:
    return (db.session.scalar(select(func.max(Soal.position)).where(Soal.kursus_id == kursus_id)) or 0) + 1


def add_question(kursus_id: int, raw: dict[str, Any], by_pegawai_id: int | None) -> Soal:
    """A new question at the end of the bank. Its key is the ``id`` it brings when that is
    free, otherwise the next free one."""
    key = _key_for(raw, _keys(kursus_id))
    question = _checked(raw, key)
    soal = Soal(
        kursus_id=kursus_id,
        key=key,
        position=_next_position(kursus_id),
        updated_by_id=by_pegawai_id,
        **_columns(question),
    )
    db.session.add(soal)
    db.session.flush()
    return soal


def update_question(soal_id: int, kursus_id: int, raw: dict[str, Any], revision: int, by: int | None) -> Soal:
    """Save the question over the revision the trainer saw, or tell him it was saved since."""
    soal = get_question(soal_id, kursus_id)
    if soal.revision != revision:
        raise _question_conflict()
    question = _checked(raw, soal.key)
    # The check above tells early; this condition decides when two saves meet.
    result = db.session.execute(
        update(Soal)
        .where(Soal.id == soal.id, Soal.revision == revision)
        .values(**_columns(question), revision=Soal.revision + 1, updated_at=utcnow(), updated_by_id=by)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(soal)  # either way: the caller sees the row as it now is
    if result.rowcount != 1:
        raise _question_conflict()
    return soal


def delete_question(soal_id: int, kursus_id: int) -> None:
    """Out of the bank; published quiz versions keep their copy of it."""
    result = db.session.execute(
        delete(Soal)
        .where(Soal.id == soal_id, Soal.kursus_id == kursus_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NotFoundError()
    db.session.expire_all()


def move_question(soal_id: int, kursus_id: int, direction: str) -> None:
    """One place up or down. Positions are numbered afresh, so gaps left by deletions and
    ties left by two trainers adding at once do not stop a move."""
    if direction not in ("up", "down"):
        raise DomainError(_("Move a question up or down."))
    rows = questions_of(kursus_id)
    index = next((i for i, row in enumerate(rows) if row.id == soal_id), None)
    if index is None:
        raise NotFoundError()
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        if row.position != position:
            row.position = position
    db.session.flush()


# --- Moodle files ------------------------------------------------------------------------------


def _base_name(name: str) -> str:
    return (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload"


def import_limit() -> int:
    """How large a Moodle file may be, in bytes (QUESTION_IMPORT_MAX_BYTES, 5 MB by default)."""
    return int(current_app.config.get("QUESTION_IMPORT_MAX_BYTES", IMPORT_MAX_BYTES))


def import_questions(
    kursus_id: int,
    filename: str,
    data: bytes,
    *,
    tag: str | None = None,
    skip_unsupported: bool = False,
    by: int | None = None,
) -> ImportResult:
    """Add every question of a GIFT or Moodle XML file to the end of the bank, or none: a
    file with any error writes nothing and says every error as ``file:line: message``."""
    name = _base_name(filename)
    limit = import_limit()
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    if len(data) > limit:
        raise DomainError(
            _("The file is larger than %(mb)s MB.", mb=f"{limit / 1024 / 1024:g}"), field="file"
        )
    tag = " ".join((tag or "").split()) or None
    try:
        parsed = moodle.parse_file(name, data, skip_unsupported=skip_unsupported, extra_tag=tag)
    except moodle.MoodleImportError as exc:
        raise ImportRefused(list(exc.errors)) from None
    if not parsed.questions:
        raise DomainError(
            _("The file holds no question this bank can take.")
            if parsed.skipped
            else _("The file holds no questions."),
            field="file",
        )
    taken = _keys(kursus_id)
    checked, errors = [], []
    for raw in parsed.questions:
        key = _key_for(raw, taken)
        try:
            checked.append(_checked(raw, key))
        except rules.InvalidQuestion as exc:
            where = f"{name}:{raw.get('line', 1)}: " + (f"{raw['name']}: " if raw.get("name") else "")
            errors += [where + error.message for error in exc.errors]
            continue
        taken.add(key)
    if errors:
        raise ImportRefused(errors)
    position = _next_position(kursus_id)
    added = [
        Soal(kursus_id=kursus_id, key=q["id"], position=position + i, updated_by_id=by, **_columns(q))
        for i, q in enumerate(checked)
    ]
    db.session.add_all(added)
    db.session.flush()
    return ImportResult(added=added, skipped=list(parsed.skipped), warnings=list(parsed.warnings))


def export_gift(kursus_id: int) -> str:
    """The whole bank as a GIFT file Moodle (and this importer) reads back."""
    return moodle.export_gift(bank_of(kursus_id))


# --- quiz settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizValues:
    title: str
    pass_mark: int
    max_attempts: int = 0
    time_limit_minutes: int = 0
    shuffle_questions: bool = True
    shuffle_options: bool = True
    feedback: str = "keys"
    # [{"tags": ["phishing"], "count": 5}]
    draw: list[dict[str, Any]] = field(default_factory=list)


LIMITS = {
    "pass_mark": (0, 100),
    "max_attempts": (0, 100),
    "time_limit_minutes": (0, 600),
}


def quiz_settings(kursus_id: int) -> KuisSetelan:
    """The course's quiz settings. Before the first save they are an object that is not in
    the session (revision 0), taken from the published quiz if there is one: reading the
    page writes nothing."""
    setelan = db.session.get(KuisSetelan, kursus_id)
    if setelan is not None:
        return setelan
    kuis = quiz_for_course(kursus_id)
    if kuis is not None and kuis.versions:
        v = kuis.current
        values = QuizValues(
            v.title, v.pass_mark, v.max_attempts, v.time_limit_minutes, v.shuffle_questions,
            v.shuffle_options, v.feedback, list(v.draw or []),
        )  # fmt: skip
    else:
        kursus = db.session.get(Kursus, kursus_id)
        values = QuizValues(title=kursus.title if kursus else "", pass_mark=70)
    return KuisSetelan(kursus_id=kursus_id, revision=0, **_settings_columns(values))


def _settings_columns(values: QuizValues) -> dict[str, Any]:
    return {
        "title": " ".join(values.title.split()),
        "pass_mark": values.pass_mark,
        "max_attempts": values.max_attempts,
        "time_limit_minutes": values.time_limit_minutes,
        "shuffle_questions": bool(values.shuffle_questions),
        "shuffle_options": bool(values.shuffle_options),
        "feedback": values.feedback,
        "draw": rules.clean_draw(values.draw),
    }


def _settings_errors(kursus_id: int, values: QuizValues) -> list[rules.FieldError]:
    errors = []
    title = " ".join(values.title.split())
    if not title:
        errors.append(rules.FieldError("title", _("Give the quiz a title.")))
    elif len(title) > 200:
        errors.append(rules.FieldError("title", _("The title is longer than 200 characters.")))
    messages = {
        "pass_mark": _("The pass mark runs from 0 to 100 (percent)."),
        "max_attempts": _("Attempts run from 0 (unlimited) to 100."),
        "time_limit_minutes": _("The time limit runs from 0 (none) to 600 minutes."),
    }
    for name, (low, high) in LIMITS.items():
        value = getattr(values, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.append(rules.FieldError(name, messages[name]))
    if values.feedback not in FEEDBACK_MODES:
        errors.append(rules.FieldError("feedback", _("Choose what the learner sees after an attempt.")))
    errors += rules.check_draw(bank_of(kursus_id), values.draw)
    return errors


def save_quiz_settings(kursus_id: int, values: QuizValues, revision: int, by: int | None) -> KuisSetelan:
    """Save the settings over the revision the trainer saw (0: none saved yet). Draw rules
    are checked against the bank: a rule asking more questions than its tags hold is
    refused, naming the rule."""
    errors = _settings_errors(kursus_id, values)
    if errors:
        raise InvalidSettings(errors)
    conflict = _conflict(
        _(
            "Someone else saved the quiz settings since you opened them. Nothing of yours was "
            "saved: your choices are still in the form. Save again to replace theirs."
        )
    )
    columns = _settings_columns(values)
    if revision == 0:
        if db.session.get(KuisSetelan, kursus_id) is not None:
            raise conflict
        try:
            with db.session.begin_nested():
                db.session.add(KuisSetelan(kursus_id=kursus_id, revision=1, **columns))
        except IntegrityError:
            raise conflict from None
        return db.session.get(KuisSetelan, kursus_id)
    result = db.session.execute(
        update(KuisSetelan)
        .where(KuisSetelan.kursus_id == kursus_id, KuisSetelan.revision == revision)
        .values(**columns, revision=KuisSetelan.revision + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()  # either way: the caller sees the row as it now is
    if result.rowcount != 1:
        raise conflict
    return db.session.get(KuisSetelan, kursus_id)
