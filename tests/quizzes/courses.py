"""Courses whose quiz is written for the test: the test course of tests/conftest.py with
another kuis.toml, imported the way `flask kursus import` does."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.catalog.importer import import_courses
from lms.catalog.models import Kursus
from lms.extensions import db
from lms.quizzes.models import Attempt, Kuis
from tests.conftest import write_course

# One question of each kind a version could not hold before, and the two it could.
EVERY_TYPE = """\
title = "Kuis Jenis Soal"
pass_mark = {pass_mark}
max_attempts = {max_attempts}
shuffle_questions = false
shuffle_options = true
feedback = "{feedback}"

[[questions]]
id = "pilih"
type = "multiple"
partial = true
text = "Mana yang nilai BerAKHLAK?"
tags = ["nilai"]
[[questions.options]]
text = "Akuntabel"
correct = true
feedback = "Ya: A pada BerAKHLAK."
[[questions.options]]
text = "Adaptif"
correct = true
[[questions.options]]
text = "Birokratis"
feedback = "Bukan nilai BerAKHLAK."

[[questions]]
id = "angka"
type = "numeric"
text = "Berapa JP pengembangan kompetensi setahun?"
[[questions.answers]]
value = 20
feedback = "Tepat: 20 JP."
[[questions.answers]]
min = 15
max = 25
weight = 0.5
feedback = "Mendekati."

[[questions]]
id = "pasang"
type = "matching"
text = "Pasangkan aturan dengan isinya."
distractors = ["Keuangan Negara"]
[[questions.pairs]]
text = "UU 5/2014"
answer = "Aparatur Sipil Negara"
[[questions.pairs]]
text = "UU 25/2009"
answer = "Pelayanan Publik"

[[questions]]
id = "benar"
type = "truefalse"
text = "PPPK termasuk ASN."
answer = true
feedback_true = "Betul: PPPK adalah ASN."
feedback_false = "PPPK juga ASN menurut UU 20/2023."

[[questions]]
id = "isian"
type = "short"
text = "Nama ibu kota NTT?"
ignore_accents = true
[[questions.answers]]
text = "Kupang"
[[questions.answers]]
text = "Kota *"
weight = 0.5
"""


def every_type(*, max_attempts: int = 3, feedback: str = "keys", pass_mark: int = 60) -> str:
    return EVERY_TYPE.format(max_attempts=max_attempts, feedback=feedback, pass_mark=pass_mark)


def import_quiz(root: Path, toml: str, slug: str = "kursus-kuis") -> Kursus:
    """Write the test course with this kuis.toml into ``root`` and import it."""
    folder = write_course(root, slug)
    (folder / "kuis.toml").write_text(toml, encoding="utf-8")
    import_courses([folder])
    db.session.commit()
    return db.session.scalar(select(Kursus).where(Kursus.slug == slug))


def quiz_of(kursus: Kursus) -> Kuis:
    return db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus.id))


def asked_question(attempt_id: str, question_id: str) -> dict:
    attempt = db.session.get(Attempt, attempt_id)
    return next(q for q in attempt.version.questions if q["id"] == question_id)


def option_named(attempt_id: str, question_id: str, text: str) -> str:
    return next(o["id"] for o in asked_question(attempt_id, question_id)["options"] if o["text"] == text)


def matches(attempt_id: str, question_id: str, right: dict[str, str]) -> dict[str, str]:
    """A matching answer ({pair id: choice id}) from {pair text: choice text}."""
    question = asked_question(attempt_id, question_id)
    choices = {c["text"]: c["id"] for c in question["choices"]}
    pairs = {p["text"]: p["id"] for p in question["pairs"]}
    return {pairs[pair]: choices[choice] for pair, choice in right.items()}
