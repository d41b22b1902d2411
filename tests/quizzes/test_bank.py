"""The question bank and quiz settings of a course, as services: what the editor's pages
and ``flask soal`` stand on.

- a question is checked by the one set of question rules and stored canonical, under a key
  that is its own id when free and the next qNN otherwise;
- a save names the revision it was made over; a later revision means someone else saved
  in between, and nothing is written;
- a Moodle file is imported whole or not at all, every error said as file:line: message;
- quiz settings are read without writing anything, and a draw asking for more questions
  than its tags hold is refused on the rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from lms.catalog.models import Kursus
from lms.core.errors import DomainError, NotFoundError
from lms.extensions import db
from lms.quizzes import bank
from lms.quizzes.models import Kuis, KuisSetelan, KuisVersion, Soal
from lms.quizzes.questions import InvalidQuestion

MOODLE = Path(__file__).parent / "fixtures" / "moodle"
FIXTURES = Path(__file__).parents[1] / "authoring" / "fixtures"

SINGLE = {
    "type": "single",
    "text": "Ibu kota Provinsi NTT?",
    "tags": ["geografi"],
    "options": [{"text": "Kupang", "correct": True}, {"text": "Ende"}],
}


def _tf(text: str, tags=()) -> dict:
    return {"type": "truefalse", "text": text, "answer": True, "tags": list(tags)}


@pytest.fixture(autouse=True)
def english(ctx):
    """The services' messages, checked in English."""
    with force_locale("en"):
        yield


@pytest.fixture
def make_bare(ctx):
    """Draft courses with nothing in them yet: an empty bank, no quiz settings."""

    def make(slug: str) -> Kursus:
        kursus = Kursus(slug=slug, title=f"Kursus {slug}")
        db.session.add(kursus)
        db.session.commit()
        return kursus

    return make


@pytest.fixture
def kursus(make_bare):
    return make_bare("kursus-bank")


def _count(kursus_id: int) -> int:
    return db.session.scalar(select(func.count(Soal.id)).where(Soal.kursus_id == kursus_id))


# --- adding, reading, ordering ----------------------------------------------------------------


def test_a_question_is_stored_canonical_under_the_next_free_key(kursus):
    first = bank.add_question(kursus.id, SINGLE, None)
    second = bank.add_question(kursus.id, _tf("PPPK termasuk ASN."), None)
    db.session.commit()
    assert (first.key, second.key) == ("q01", "q02")
    assert (first.position, second.position) == (1, 2)
    assert first.type == "single" and first.tags == ["geografi"]
    # Canonical: defaults filled in and the HTML made; the key and tags live in columns.
    assert first.spec["points"] == 1.0 and first.spec["options"][0]["html"] == "Kupang"
    assert "id" not in first.spec and "tags" not in first.spec
    assert bank.as_question(first)["id"] == "q01"


def test_a_question_keeps_its_own_id_when_it_is_free(kursus):
    assert bank.add_question(kursus.id, {**SINGLE, "id": "ibukota"}, None).key == "ibukota"
    assert bank.add_question(kursus.id, {**SINGLE, "id": "ibukota"}, None).key == "q01"


def test_a_deleted_key_is_given_again_only_if_no_published_version_has_it(kursus):
    questions = [bank.add_question(kursus.id, _tf(f"Pernyataan {n}"), None) for n in range(3)]
    bank.delete_question(questions[-1].id, kursus.id)
    assert bank.add_question(kursus.id, _tf("Belum pernah terbit"), None).key == "q03"
    kuis = Kuis(kursus_id=kursus.id)
    kuis.versions.append(
        KuisVersion(
            number=1,
            title="Kuis",
            pass_mark=70,
            content_hash="x",
            questions=[{"id": "q04", "type": "truefalse"}],
        )
    )
    db.session.add(kuis)
    db.session.flush()
    assert bank.add_question(kursus.id, {**_tf("Baru"), "id": "q04"}, None).key == "q05"


def test_after_q99_keys_are_random(kursus):
    bank.add_question(kursus.id, {**SINGLE, "id": "q99"}, None)
    key = bank.add_question(kursus.id, SINGLE, None).key
    assert key.startswith("s-") and len(key) == 10


def test_an_invalid_question_names_every_field_and_writes_nothing(kursus):
    raw = {"type": "single", "text": " ", "options": [{"text": "A", "correct": True}, {"text": ""}]}
    with pytest.raises(InvalidQuestion) as caught:
        bank.add_question(kursus.id, raw, None)
    assert {e.field for e in caught.value.errors} >= {"text", "options.1.text"}
    db.session.rollback()
    assert _count(kursus.id) == 0


def test_the_list_filters_by_tag_and_by_words_and_counts_each_tag(kursus):
    bank.add_question(kursus.id, _tf("Phishing datang lewat surel.", ["phishing", "surel"]), None)
    bank.add_question(kursus.id, _tf("Sandi kuat itu panjang.", ["sandi"]), None)
    bank.add_question(kursus.id, _tf("Tautan palsu meniru bank.", ["phishing"]), None)
    assert bank.tags_of(kursus.id) == [("phishing", 2), ("sandi", 1), ("surel", 1)]
    assert [s.key for s in bank.questions_of(kursus.id, tag="phishing")] == ["q01", "q03"]
    assert [s.key for s in bank.questions_of(kursus.id, q="SANDI")] == ["q02"]
    assert [s.key for s in bank.questions_of(kursus.id, tag="phishing", q="tautan")] == ["q03"]


def test_a_question_moves_up_and_down_and_stays_at_the_ends(kursus):
    a, b, c = (bank.add_question(kursus.id, _tf(t), None) for t in ("A", "B", "C"))
    bank.move_question(c.id, kursus.id, "up")
    assert [s.key for s in bank.questions_of(kursus.id)] == ["q01", "q03", "q02"]
    bank.move_question(a.id, kursus.id, "up")
    bank.move_question(b.id, kursus.id, "down")
    assert [s.key for s in bank.questions_of(kursus.id)] == ["q01", "q03", "q02"]
    with pytest.raises(DomainError):
        bank.move_question(a.id, kursus.id, "sideways")


def test_a_question_of_another_course_is_not_found(kursus, make_bare):
    other = make_bare("kursus-lain")
    soal = bank.add_question(other.id, SINGLE, None)
    with pytest.raises(NotFoundError):
        bank.get_question(soal.id, kursus.id)
    with pytest.raises(NotFoundError):
        bank.delete_question(soal.id, kursus.id)
    with pytest.raises(NotFoundError):
        bank.update_question(soal.id, kursus.id, SINGLE, soal.revision, None)


# --- saving over a revision -------------------------------------------------------------------


def test_a_save_over_the_revision_seen_raises_it(kursus, users):
    soal = bank.add_question(kursus.id, SINGLE, None)
    db.session.commit()
    bank.update_question(
        soal.id, kursus.id, {**SINGLE, "text": "Ibu kota NTT?"}, 1, users["trainer"].pegawai_id
    )
    db.session.commit()
    db.session.expire_all()
    assert (soal.revision, soal.spec["text"], soal.updated_by_id) == (
        2,
        "Ibu kota NTT?",
        users["trainer"].pegawai_id,
    )


def test_a_save_over_an_older_revision_is_refused_and_writes_nothing(kursus):
    soal = bank.add_question(kursus.id, SINGLE, None)
    bank.update_question(soal.id, kursus.id, {**SINGLE, "text": "Yang pertama"}, 1, None)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        bank.update_question(soal.id, kursus.id, {**SINGLE, "text": "Yang kedua"}, 1, None)
    assert (caught.value.field, caught.value.status) == ("revision", 409)
    assert "Someone else saved this question" in caught.value.message
    db.session.rollback()
    assert db.session.get(Soal, soal.id).spec["text"] == "Yang pertama"


def test_the_condition_of_the_update_decides_when_the_row_changed_after_it_was_read(kursus):
    """The revision read a moment ago is no proof: the UPDATE itself asks for it."""
    soal = bank.add_question(kursus.id, SINGLE, None)
    db.session.commit()
    assert soal.revision == 1  # loaded: the early check will pass
    with db.engine.begin() as other:
        other.execute(
            update(Soal).where(Soal.id == soal.id).values(revision=2, spec={**soal.spec, "text": "Lain"})
        )
    with pytest.raises(DomainError) as caught:
        bank.update_question(soal.id, kursus.id, {**SINGLE, "text": "Punyaku"}, 1, None)
    assert caught.value.field == "revision"
    db.session.rollback()
    assert db.session.get(Soal, soal.id).spec["text"] == "Lain"


# --- Moodle files -----------------------------------------------------------------------------


def test_a_gift_file_is_imported_with_categories_as_tags_and_unsupported_types_listed(kursus):
    data = (MOODLE / "questions_in_category.gift.txt").read_bytes()
    result = bank.import_questions(kursus.id, "questions_in_category.gift.txt", data, skip_unsupported=True)
    assert result.added and len(result.added) == _count(kursus.id)
    assert all(s.kursus_id == kursus.id for s in result.added)
    assert [s.position for s in bank.questions_of(kursus.id)] == list(range(1, len(result.added) + 1))


def test_a_moodle_xml_export_is_imported_and_the_skipped_types_are_said(kursus):
    data = (MOODLE / "handwritten.xml").read_bytes()
    result = bank.import_questions(kursus.id, "handwritten.xml", data, tag="modul 1", skip_unsupported=True)
    assert [(s.key, s.type) for s in result.added] == [
        ("q01", "numeric"),
        ("q02", "short"),
        ("q03", "truefalse"),
        ("q04", "single"),
    ]
    assert result.added[0].tags == ["Phishing", "jarak", "hitung", "modul 1"]  # category, Moodle tags, ours
    assert result.skipped == [
        "handwritten.xml:161: skipped: ddwtos question 'Seret kata' is not graded by this LMS"
    ]
    assert any("embedded files dropped" in line for line in result.warnings)


def test_a_real_export_whose_wrong_options_weigh_nothing_imports_with_a_warning(kursus):
    """Moodle lets a learner tick every option of this multiple-response question for full
    marks; here its 0% options take off a share, and the trainer is told where."""
    data = (MOODLE / "moodle-mixed.xml").read_bytes()
    result = bank.import_questions(kursus.id, "moodle-mixed.xml", data, skip_unsupported=True)
    assert any(w.startswith("moodle-mixed.xml:12: ") and "0%" in w for w in result.warnings)
    imported = [q for q in bank.questions_of(kursus.id) if q.type == "multiple"]
    assert imported and all(grading_fraction_of_all(q) < 1 for q in imported)


def grading_fraction_of_all(soal) -> float:
    from lms.quizzes import grading
    from lms.quizzes.importer import with_option_ids

    question = with_option_ids([{"id": soal.key, **soal.spec}])[0]
    return float(grading.fraction_of(question, [o["id"] for o in question["options"]]))


def test_without_skipping_a_file_with_unsupported_types_imports_nothing(kursus):
    data = (MOODLE / "moodle-mixed.xml").read_bytes()
    with pytest.raises(bank.ImportRefused) as caught:
        bank.import_questions(kursus.id, "moodle-mixed.xml", data)
    assert caught.value.field == "file"
    assert all(line.startswith("moodle-mixed.xml:") for line in caught.value.errors)
    db.session.rollback()
    assert _count(kursus.id) == 0


def test_one_question_the_rules_refuse_stops_the_whole_file(kursus):
    data = (FIXTURES / "errors.gift").read_bytes()
    with pytest.raises(bank.ImportRefused) as caught:
        bank.import_questions(kursus.id, "errors.gift", data)
    assert caught.value.errors == [
        "errors.gift:6: Ulang: option 2 repeats option 1",
        "errors.gift:10: Dua benar: a single-choice question needs exactly one correct option",
    ]
    db.session.rollback()
    assert _count(kursus.id) == 0


def test_a_file_too_large_or_empty_is_refused_on_the_file_field(kursus, app):
    with pytest.raises(DomainError, match="larger than 5 MB") as caught:
        bank.import_questions(kursus.id, "besar.gift", b"x" * (bank.IMPORT_MAX_BYTES + 1))
    assert caught.value.field == "file"
    with pytest.raises(DomainError, match="empty"):
        bank.import_questions(kursus.id, "kosong.gift", b"")


def test_imported_keys_never_collide_with_the_bank(kursus):
    bank.add_question(kursus.id, SINGLE, None)
    gift = b"::a::Satu?{T}\n\n::b::Dua?{F}\n"
    result = bank.import_questions(kursus.id, "dua.gift", gift)
    assert [s.key for s in result.added] == ["q02", "q03"]


def test_the_bank_exported_as_gift_imports_into_another_course_as_the_same_questions(kursus, make_bare):
    bank.add_question(kursus.id, SINGLE, None)
    bank.add_question(kursus.id, _tf("PPPK termasuk ASN.", ["asn"]), None)
    bank.add_question(
        kursus.id, {"type": "short", "text": "Singkatan jam pelajaran?", "answers": ["JP"]}, None
    )
    other = make_bare("kursus-salinan")
    bank.import_questions(other.id, "salinan.gift", bank.export_gift(kursus.id).encode())

    def content(kursus_id):
        """What a learner is asked and what counts as right (GIFT writes every weight out)."""
        return [
            (s.type, s.tags, s.spec["text"], [(o["text"], o["correct"]) for o in s.spec.get("options", [])],
             [a["text"] for a in s.spec.get("answers", [])], s.spec.get("answer"))
            for s in bank.questions_of(kursus_id)
        ]  # fmt: skip

    assert content(other.id) == content(kursus.id)


# --- quiz settings ----------------------------------------------------------------------------


def test_settings_never_saved_are_shown_without_writing(kursus):
    setelan = bank.quiz_settings(kursus.id)
    assert (setelan.revision, setelan.title, setelan.pass_mark, setelan.feedback) == (
        0,
        kursus.title,
        70,
        "keys",
    )
    assert setelan not in db.session
    assert not db.session.new and db.session.get(KuisSetelan, kursus.id) is None


def test_settings_of_a_published_quiz_not_yet_in_the_working_copy_start_from_its_version(kursus):
    kuis = Kuis(kursus_id=kursus.id)
    kuis.versions.append(
        KuisVersion(
            number=1,
            title="Kuis Uji",
            pass_mark=75,
            max_attempts=2,
            feedback="score",
            content_hash="x",
            questions=[],
        )
    )
    db.session.add(kuis)
    db.session.commit()
    setelan = bank.quiz_settings(kursus.id)
    assert (setelan.revision, setelan.title, setelan.pass_mark, setelan.max_attempts, setelan.feedback) == (
        0, "Kuis Uji", 75, 2, "score",
    )  # fmt: skip
    assert setelan not in db.session


def _values(**changes) -> bank.QuizValues:
    return bank.QuizValues(**{"title": "Kuis Bank", "pass_mark": 80, **changes})


def test_the_first_save_creates_the_settings_and_the_next_ones_name_its_revision(kursus):
    saved = bank.save_quiz_settings(kursus.id, _values(max_attempts=3), 0, None)
    db.session.commit()
    assert (saved.revision, saved.max_attempts, saved.pass_mark) == (1, 3, 80)
    bank.save_quiz_settings(kursus.id, _values(time_limit_minutes=30), 1, None)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        bank.save_quiz_settings(kursus.id, _values(pass_mark=50), 1, None)
    assert caught.value.field == "revision"
    db.session.rollback()
    assert (
        db.session.get(KuisSetelan, kursus.id).revision,
        db.session.get(KuisSetelan, kursus.id).pass_mark,
    ) == (2, 80)


def test_a_first_save_meeting_another_first_save_is_told_too(kursus):
    bank.save_quiz_settings(kursus.id, _values(), 0, None)
    with pytest.raises(DomainError) as caught:
        bank.save_quiz_settings(kursus.id, _values(), 0, None)
    assert caught.value.field == "revision"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pass_mark": 101}, "pass_mark"),
        ({"pass_mark": -1}, "pass_mark"),
        ({"max_attempts": 101}, "max_attempts"),
        ({"time_limit_minutes": 601}, "time_limit_minutes"),
        ({"feedback": "always"}, "feedback"),
        ({"title": "  "}, "title"),
    ],
)
def test_settings_out_of_range_are_refused_on_their_field(kursus, changes, field):
    with pytest.raises(bank.InvalidSettings) as caught:
        bank.save_quiz_settings(kursus.id, _values(**changes), 0, None)
    assert [e.field for e in caught.value.errors] == [field]
    db.session.rollback()
    assert db.session.get(KuisSetelan, kursus.id) is None


def test_a_draw_asking_more_than_its_tags_hold_is_refused_on_the_rule(kursus):
    for n in range(3):
        bank.add_question(kursus.id, _tf(f"Phishing {n}", ["phishing"]), None)
    bank.add_question(kursus.id, _tf("Sandi", ["sandi"]), None)
    draw = [{"tags": ["phishing"], "count": 2}, {"tags": ["sandi"], "count": 2}]
    with pytest.raises(bank.InvalidSettings) as caught:
        bank.save_quiz_settings(kursus.id, _values(draw=draw), 0, None)
    assert [e.field for e in caught.value.errors] == ["draw.1.count"]
    assert "only 1" in caught.value.errors[0].message
    saved = bank.save_quiz_settings(kursus.id, _values(draw=[{"tags": [" phishing "], "count": 3}]), 0, None)
    assert saved.draw == [{"tags": ["phishing"], "count": 3}]
