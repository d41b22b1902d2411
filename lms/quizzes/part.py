"""The quiz as a part of a course: ``kuis.toml`` in a folder, the settings and question
bank in the working copy, and an immutable quiz version once published."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tomli_w
from flask_babel import gettext as _
from sqlalchemy import delete, select

from lms.catalog.importer import TomlSource
from lms.catalog.models import Kursus
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes import questions as rules
from lms.quizzes.importer import SETTINGS, KuisPart, with_option_ids
from lms.quizzes.models import Kuis, KuisSetelan, Soal
from lms.quizzes.services import answer_in_form, publish_quiz


def bank_of(kursus_id: int) -> list[dict[str, Any]]:
    """The course's bank as question dicts (each with its ``id``), in bank order."""
    rows = db.session.scalars(
        select(Soal).where(Soal.kursus_id == kursus_id).order_by(Soal.position, Soal.id)
    )
    return [{"id": row.key, **row.spec, "tags": list(row.tags or [])} for row in rows]


def settings_of(setelan: KuisSetelan) -> dict[str, Any]:
    return {name: getattr(setelan, name) for name in SETTINGS} | {"draw": list(setelan.draw or [])}


def to_raw(value: Any) -> Any:
    """A stored question back in the words of kuis.toml: rendered HTML is left out (it is
    made again on import), and a numeric answer given as value ± tolerance keeps only those."""
    if isinstance(value, list):
        return [to_raw(v) for v in value]
    if not isinstance(value, dict):
        return value
    raw = {k: to_raw(v) for k, v in value.items() if k != "html" and v is not None}
    if "value" in raw and "min" in raw and "max" in raw:
        raw.pop("min")
        raw.pop("max")
    return raw


class QuizPart:
    filename = "kuis.toml"
    required = False

    def parse(self, source: TomlSource) -> dict[str, Any]:
        return KuisPart().parse(source)

    def write_working_copy(self, kursus: Kursus, spec: dict[str, Any]) -> None:
        setelan = db.session.get(KuisSetelan, kursus.id)
        if setelan is None:
            setelan = KuisSetelan(kursus_id=kursus.id, title=spec["title"])
            db.session.add(setelan)
        for name in SETTINGS:
            setattr(setelan, name, spec[name])
        setelan.draw = list(spec.get("draw") or [])
        setelan.revision = (setelan.revision or 0) + 1
        existing = {
            row.key: row for row in db.session.scalars(select(Soal).where(Soal.kursus_id == kursus.id))
        }
        wanted = {q["id"] for q in spec["questions"]}
        gone = [key for key in existing if key not in wanted]
        if gone:
            db.session.execute(delete(Soal).where(Soal.kursus_id == kursus.id, Soal.key.in_(gone)))
        for position, question in enumerate(spec["questions"], start=1):
            body = {k: v for k, v in question.items() if k not in ("id", "tags")}
            row = existing.get(question["id"])
            if row is None:
                row = Soal(kursus_id=kursus.id, key=question["id"])
                db.session.add(row)
            elif (row.spec, row.tags, row.position) != (body, question.get("tags", []), position):
                row.revision += 1
            row.position, row.type, row.spec, row.tags = (
                position,
                question["type"],
                body,
                question.get("tags", []),
            )
        db.session.flush()

    def problems(self, kursus: Kursus) -> list[tuple[str, str]]:
        setelan = db.session.get(KuisSetelan, kursus.id)
        if setelan is None:
            return []
        bank = bank_of(kursus.id)
        if not bank:
            return [("quiz", _("The quiz has no questions: add some to the question bank."))]
        return [("quiz", error.message) for error in rules.check_draw(bank, setelan.draw or [])]

    def publish(self, kursus: Kursus) -> list[dict[str, Any]]:
        setelan = db.session.get(KuisSetelan, kursus.id)
        if setelan is None:
            return []
        kuis = db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus.id))
        before = {q["id"]: q for q in kuis.current.questions} if kuis and kuis.versions else None
        version = publish_quiz(kursus, settings_of(setelan), bank_of(kursus.id))
        if version is None or before is None:
            return []
        after = {q["id"]: q for q in version.questions}
        changed = sum(
            1 for key in after.keys() & before.keys() if _content(after[key]) != _content(before[key])
        )
        return [
            {
                "what": "quiz",
                "number": version.number,
                "added": len(after.keys() - before.keys()),
                "removed": len(before.keys() - after.keys()),
                "changed": changed,
            }
        ]

    def export(self, kursus: Kursus) -> str | None:
        setelan = db.session.get(KuisSetelan, kursus.id)
        if setelan is None:
            return None
        data: dict[str, Any] = {name: getattr(setelan, name) for name in SETTINGS}
        if setelan.draw:
            data["draw"] = [{"tags": list(rule["tags"]), "count": rule["count"]} for rule in setelan.draw]
        data["questions"] = [to_raw(question) for question in bank_of(kursus.id)]
        return tomli_w.dumps(data, multiline_strings=True)


def _content(question: dict[str, Any]) -> Any:
    """A question apart from the ids each version draws afresh for options and pairs."""
    return _without_ids(to_raw({k: v for k, v in question.items() if k != "choices"}))


def _without_ids(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("id", "choice")}
    return value


@dataclass
class PreviewQuiz:
    """One draw of a course's working-copy quiz, as a learner would get it. Nothing of it
    is stored: its option ids come from its seed, so a graded preview matches the shown one."""

    title: str
    settings: dict[str, Any]
    laid_out: list[tuple[dict[str, Any], list[str]]]
    answers: dict[str, Any] = field(default_factory=dict)

    def answers_from_form(self, form: dict[str, list[str]]) -> dict[str, Any]:
        answers = {}
        for question, _options in self.laid_out:
            value = grading.clean_answer(question, answer_in_form(question, form))
            if value is not None:
                answers[question["id"]] = value
        return answers


def _seeded_ids(question: dict[str, Any]) -> dict[str, Any]:
    """The question with ids by place (o1, p1, c1): a preview needs them reproducible."""
    question = dict(question)
    if "options" in question:
        question["options"] = [{**o, "id": f"o{i}"} for i, o in enumerate(question["options"], 1)]
    if "choices" in question:
        ids = {c["id"]: f"c{i}" for i, c in enumerate(question["choices"], 1)}
        question["choices"] = [{**c, "id": ids[c["id"]]} for c in question["choices"]]
        question["pairs"] = [
            {**p, "id": f"p{i}", "choice": ids[p["choice"]]} for i, p in enumerate(question["pairs"], 1)
        ]
    return question


def has_quiz(kursus_id: int) -> bool:
    """Whether the working copy has a quiz (its settings exist)."""
    return db.session.get(KuisSetelan, kursus_id) is not None


def preview_quiz(kursus_id: int, *, seed: str) -> PreviewQuiz | None:
    setelan = db.session.get(KuisSetelan, kursus_id)
    if setelan is None:
        return None
    questions = [_seeded_ids(q) for q in with_option_ids(bank_of(kursus_id))]
    by_id = {q["id"]: q for q in questions}
    layout = grading.make_layout(
        questions,
        seed=seed,
        shuffle_questions=setelan.shuffle_questions,
        shuffle_options=setelan.shuffle_options,
        draw=rules.clean_draw(setelan.draw),
    )
    return PreviewQuiz(setelan.title, settings_of(setelan), [(by_id[i["id"]], i["options"]) for i in layout])
