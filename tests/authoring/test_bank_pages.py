"""The question bank in the browser and on the command line: a trainer writes every type of
question in one plain form, imports a Moodle export whole or not at all, exports GIFT,
and sets the quiz with its draw rules. What goes wrong is said next to the field it is
about, and nothing is saved; two trainers saving the same question never overwrite each
other unseen; only the course's owners and admins get in."""

from __future__ import annotations

import io
import re
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.catalog.models import Kursus, KursusPemilik
from lms.extensions import db
from lms.quizzes import bank
from lms.quizzes.models import KuisSetelan, Soal
from tests.concurrency import together, widened
from tests.conftest import NIPS, PASSWORD, Auth, Client, csrf_from

SLUG = "kursus-bank"
BASE = f"/ampu/{SLUG}"
OTHER_TRAINER_NIP = "198607142010011004"
MOODLE = Path(__file__).resolve().parents[1] / "quizzes" / "fixtures" / "moodle"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def login_as(login_as, client):
    """Signed in with English chosen, the language these pages' messages are checked in."""

    def login(who: str):
        user = login_as(who)
        with client.session_transaction() as session:
            session["lang"] = "en"
        return user

    return login


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
def owned(make_bare, users):
    """A course with an empty bank, owned by the trainer."""
    kursus = make_bare(SLUG)
    db.session.add(KursusPemilik(kursus_id=kursus.id, pegawai_id=users["trainer"].pegawai_id))
    db.session.commit()
    return kursus


def _soal(kursus_id: int) -> list[Soal]:
    return list(db.session.scalars(select(Soal).where(Soal.kursus_id == kursus_id).order_by(Soal.position)))


def _count() -> int:
    return db.session.scalar(select(func.count(Soal.id)))


def _page(client, path: str) -> tuple[str, dict]:
    """The page's HTML, and the hidden fields a browser would send back with the form."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    revision = re.search(r'id="revision" name="revision" type="hidden" value="(\d*)"', html)
    hidden = {"csrf_token": csrf_from(html)}
    if revision:
        hidden["revision"] = revision.group(1)
    return html, hidden


def _post_question(client, kind: str, fields: dict, path: str | None = None):
    path = path or f"{BASE}/soal/baru?jenis={kind}"
    _html, hidden = _page(client, path)
    return client.post(path, data={**hidden, "format": "markdown", **fields})


def _typed(html: str, text: str) -> bool:
    """The text is in a field of the form: an input's value or a textarea's content."""
    value = re.escape(text)
    return bool(re.search(rf'value="{value}"|<textarea[^>]*>\s*{value}</textarea>', html))


def _invalid(html: str, field_id: str) -> bool:
    """The input is marked invalid, described by its error, and the summary links to it."""
    tag = re.search(rf'<[^>]*id="{re.escape(field_id)}"[^>]*>', html)
    return bool(tag) and 'aria-invalid="true"' in tag.group(0) and f'href="#{field_id}"' in html


# --- every type, through the form -------------------------------------------------------------

TYPES = {
    "single": (
        {
            "text": "Ibu kota Provinsi **NTT**?",
            "points": "2",
            "tags": "geografi, ntt, geografi",
            "feedback": "Kupang di Pulau Timor.",
            "options-0-text": "Kupang",
            "options-0-correct": "y",
            "options-0-feedback": "Benar.",
            "options-1-text": "Ende",
            "options-2-text": "",
            "options-3-text": "Maumere",
        },
        {
            "points": 2.0,
            "feedback": "Kupang di Pulau Timor.",
            "options": [("Kupang", True, "Benar."), ("Ende", False, ""), ("Maumere", False, "")],
        },
    ),
    "multiple": (
        {
            "text": "Mana yang nilai BerAKHLAK?",
            "partial": "y",
            "options-0-text": "Akuntabel",
            "options-0-correct": "y",
            "options-1-text": "Adaptif",
            "options-1-correct": "y",
            "options-2-text": "Birokratis",
            "options-2-weight": "-1",
        },
        {
            "partial": True,
            "options": [("Akuntabel", True, ""), ("Adaptif", True, ""), ("Birokratis", False, "")],
        },
    ),
    "truefalse": (
        {"text": "PPPK termasuk ASN.", "answer": "true", "feedback_true": "Ya.", "feedback_false": "Keliru."},
        {"answer": True, "feedback_true": "Ya.", "feedback_false": "Keliru."},
    ),
    "short": (
        {
            "text": "Singkatan jam pelajaran?",
            "answers-0-text": "JP",
            "answers-1-text": "jam pelajaran",
            "answers-1-weight": "0,5",
            "answers-1-feedback": "Singkatannya?",
            "ignore_accents": "y",
        },
        {
            "ignore_accents": True,
            "answers": [
                {"text": "JP", "weight": 1, "feedback": ""},
                {"text": "jam pelajaran", "weight": 0.5, "feedback": "Singkatannya?"},
            ],
        },
    ),
    "numeric": (
        {
            "text": "Berapa JP wajib setahun?",
            "numbers-0-value": "20",
            "numbers-1-min": "18",
            "numbers-1-max": "19,5",
            "numbers-1-weight": "0.5",
            "numbers-1-feedback": "Hampir.",
        },
        {
            "answers": [
                {"value": 20, "tolerance": 0, "min": 20, "max": 20, "weight": 1, "feedback": ""},
                {"min": 18, "max": 19.5, "weight": 0.5, "feedback": "Hampir."},
            ]
        },
    ),
    "matching": (
        {
            "text": "Pasangkan ibu kota dengan provinsinya.",
            "pairs-0-text": "Kupang",
            "pairs-0-answer": "NTT",
            "pairs-1-text": "Mataram",
            "pairs-1-answer": "NTB",
            "distractors": "Bali\n\n  Maluku  \n",
            "partial": "y",
        },
        {
            "pairs": [("Kupang", "NTT"), ("Mataram", "NTB")],
            "distractors": ["Bali", "Maluku"],
            "partial": True,
        },
    ),
}


def _shape(spec: dict) -> dict:
    """The parts of a stored question the table above states."""
    shape = dict(spec)
    if "options" in spec:
        shape["options"] = [(o["text"], o["correct"], o["feedback"]) for o in spec["options"]]
    if "pairs" in spec:
        shape["pairs"] = [(p["text"], p["answer"]) for p in spec["pairs"]]
    return shape


@pytest.mark.parametrize("kind", list(TYPES))
def test_every_type_is_written_in_the_form_stored_and_shown_again(client, login_as, owned, kind):
    login_as("trainer")
    fields, expected = TYPES[kind]
    response = _post_question(client, kind, fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    (soal,) = _soal(owned.id)
    assert (soal.key, soal.type) == ("q01", kind)
    assert soal.spec["text"] == fields["text"]
    shape = _shape(soal.spec)
    assert {key: shape[key] for key in expected} == expected
    if kind == "single":
        assert soal.tags == ["geografi", "ntt"]
        assert soal.spec["html"] == "Ibu kota Provinsi <strong>NTT</strong>?"

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Question q01 is saved." in html and f'id="soal-{soal.id}"' in html
    html, _hidden = _page(client, f"{BASE}/soal/{soal.id}")
    for name, value in fields.items():
        if name in ("text", "distractors", "tags") or not value.strip() or value == "y":
            continue
        shown = value.replace(",", ".") if name.endswith(("weight", "max")) else value
        assert _typed(html, shown), name


def test_saving_the_edit_form_unchanged_changes_nothing_but_the_revision(client, login_as, owned):
    login_as("trainer")
    for kind, (fields, _expected) in TYPES.items():
        assert _post_question(client, kind, fields).status_code == 302, kind
    for soal in _soal(owned.id):
        before = soal.spec
        path = f"{BASE}/soal/{soal.id}"
        html, hidden = _page(client, path)
        form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="text"[^>]*value="([^"]*)"', html))
        form.update(re.findall(r'<input[^>]*id="([^"]+)"[^>]*type="text"[^>]*value="([^"]*)"', html))
        form.update((n, "y") for n in re.findall(r'<input checked[^>]*name="([^"]+)" type="checkbox"', html))
        form.update(re.findall(r'<input checked id="[^"]+" name="(answer)" type="radio" value="(\w+)"', html))
        form.update(
            (n, v) for n, v in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?([^<]*)</textarea>', html)
        )
        response = client.post(path, data={**form, **hidden, "format": soal.spec["format"]})
        assert response.status_code == 302, (soal.type, response.get_data(as_text=True)[:2000])
        db.session.expire_all()
        assert (soal.spec, soal.revision) == (before, 2), soal.type


# --- errors next to their fields ---------------------------------------------------------------


def test_empty_rows_are_left_out_and_an_error_lands_on_its_row(client, login_as, owned):
    login_as("trainer")
    fields = {
        "text": "Ibu kota NTT?",
        "options-0-text": "Kupang",
        "options-0-correct": "y",
        "options-1-text": "",  # an empty row, left out
        "options-2-correct": "y",  # ticked, but no text
        "options-3-text": "Ende",
    }
    response = _post_question(client, "single", fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # The rows are closed up, so the message's "option 2" is row 2 on the page.
    assert _invalid(html, "options-1-text") and "option 2 has no text" in html
    assert re.search(r'id="options-1-correct" name="options-1-correct" type="checkbox"', html)
    assert 'checked id="options-1-correct"' in html
    assert (
        _typed(html, "Kupang")
        and 'id="options-2-text" name="options-2-text" type="text" value="Ende"' in html
    )
    assert _count() == 0


@pytest.mark.parametrize(
    ("kind", "fields", "field_id"),
    [
        (
            "single",
            {"text": "", "options-0-text": "A", "options-0-correct": "y", "options-1-text": "B"},
            "text",
        ),
        (
            "single",
            {
                "text": "T?",
                "points": "banyak",
                "options-0-text": "A",
                "options-0-correct": "y",
                "options-1-text": "B",
            },
            "points",
        ),
        (
            "single",
            {
                "text": "T?",
                "options-0-text": "A",
                "options-0-correct": "y",
                "options-1-text": "B",
                "options-1-weight": "2",
            },
            "options-1-weight",
        ),
        ("short", {"text": "T?", "answers-0-text": "JP", "answers-1-text": "jp"}, "answers-1-text"),
        (
            "numeric",
            {
                "text": "T?",
                "numbers-0-value": "1",
                "numbers-1-value": "",
                "numbers-2-min": "5",
                "numbers-2-max": "3",
            },
            "numbers-1-max",
        ),
        (
            "matching",
            {"text": "T?", "pairs-0-text": "A", "pairs-0-answer": "1", "pairs-1-text": "B"},
            "pairs-1-answer",
        ),
        ("single", {"text": "T?", "options-0-text": "A", "tags": "x" * 41}, "tags"),
    ],
)
def test_each_error_is_shown_on_its_field(client, login_as, owned, kind, fields, field_id):
    login_as("trainer")
    response = _post_question(client, kind, fields)
    assert response.status_code == 400
    assert _invalid(response.get_data(as_text=True), field_id)
    assert _count() == 0


def test_an_error_about_a_whole_list_is_shown_on_the_list(client, login_as, owned):
    login_as("trainer")
    fields = {"text": "T?", "options-0-text": "A", "options-1-text": "B"}  # nothing correct
    html = _post_question(client, "single", fields).get_data(as_text=True)
    assert 'href="#options"' in html and 'id="options-error"' in html
    assert "needs exactly one correct option" in html
    html = _post_question(client, "truefalse", {"text": "T?"}).get_data(as_text=True)
    assert 'href="#answer"' in html and 'id="answer-error"' in html


def test_more_rows_keep_what_was_typed_and_save_nothing(client, login_as, owned):
    login_as("trainer")
    html, _hidden = _page(client, f"{BASE}/soal/baru?jenis=single")
    assert 'id="options-5-text"' in html and 'id="options-6-text"' not in html
    rows = {f"options-{n}-text": "" for n in range(6)}  # a browser sends every row, empty or not
    response = _post_question(
        client, "single", {**rows, "text": "Panjang", "options-4-text": "Kelima", "more": "1"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="options-8-text"' in html and 'id="options-9-text"' not in html
    assert _typed(html, "Panjang") and _typed(html, "Kelima")
    assert 'class="error"' not in html
    assert _count() == 0


def test_the_form_is_plain_html_that_works_without_a_script(client, login_as, owned):
    login_as("trainer")
    html, _hidden = _page(client, f"{BASE}/soal/baru?jenis=numeric")
    form = html[html.index('<form method="post" novalidate class="bank-form"') :]
    form = form[: form.index("</form>")]
    assert "<script" not in form and not re.search(r"<[^>]+\son[a-z]+=", form)
    # Enter in a field saves: the first button of the form is the save button.
    assert re.search(r"<button[^>]*>", form).group(0) == '<button class="btn primary" name="save" value="1">'


def test_an_unknown_type_or_question_is_not_found(client, login_as, owned, make_bare):
    login_as("trainer")
    assert client.get(f"{BASE}/soal/baru?jenis=essay").status_code == 404
    assert client.get(f"{BASE}/soal/999999").status_code == 404
    other = make_bare("kursus-lain")
    soal = bank.add_question(other.id, {"type": "truefalse", "text": "T", "answer": True}, None)
    db.session.commit()
    assert client.get(f"{BASE}/soal/{soal.id}").status_code == 404


# --- two trainers, one question ----------------------------------------------------------------


def _second_browser(app, nip: str) -> tuple[Client, Auth]:
    app.test_client_class = Client
    other = app.test_client()
    auth = Auth(other)
    assert auth.login(nip).status_code == 302
    return other, auth


def _single(text: str) -> dict:
    return {"text": text, "options-0-text": "Kupang", "options-0-correct": "y", "options-1-text": "Ende"}


def test_the_second_of_two_trainers_saving_is_told_and_keeps_his_text(app, client, login_as, owned, users):
    login_as("trainer")
    assert _post_question(client, "single", _single("Asli")).status_code == 302
    (soal,) = _soal(owned.id)
    path = f"{BASE}/soal/{soal.id}"
    admin, _auth = _second_browser(app, NIPS["admin"])
    _html, trainer_form = _page(client, path)
    _html, admin_form = _page(admin, path)

    assert admin.post(path, data={**admin_form, **_single("Versi admin")}).status_code == 302
    response = client.post(path, data={**trainer_form, **_single("Versi pengajar")})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved this question since you opened it" in html
    assert _typed(html, "Versi pengajar")  # his text, still in the form
    assert "Versi admin" in html  # theirs, shown beside it
    db.session.expire_all()
    assert (soal.spec["text"], soal.revision) == ("Versi admin", 2)

    # The form now names their revision: saving again replaces theirs, knowingly.
    again = re.search(r'name="revision" type="hidden" value="(\d+)"', html).group(1)
    assert again == "2"
    assert (
        client.post(path, data={**trainer_form, "revision": again, **_single("Versi pengajar")}).status_code
        == 302
    )
    db.session.expire_all()
    assert (soal.spec["text"], soal.revision, soal.updated_by_id) == (
        "Versi pengajar",
        3,
        users["trainer"].pegawai_id,
    )


def test_two_saves_at_the_same_moment_one_wins_and_the_other_is_told(app, client, login_as, owned):
    login_as("trainer")
    assert _post_question(client, "single", _single("Asli")).status_code == 302
    (soal,) = _soal(owned.id)
    path = f"{BASE}/soal/{soal.id}"
    admin, _auth = _second_browser(app, NIPS["admin"])
    _html, trainer_form = _page(client, path)
    _html, admin_form = _page(admin, path)
    with widened(lambda sql: sql.startswith("UPDATE SOAL"), 0.05):
        answers = together(
            app,
            partial(client.post, path, data={**trainer_form, **_single("Pengajar")}),
            partial(admin.post, path, data={**admin_form, **_single("Admin")}),
        )
    assert sorted(r.status_code for r in answers) == [302, 409]
    winner = "Pengajar" if answers[0].status_code == 302 else "Admin"
    told = next(r for r in answers if r.status_code == 409).get_data(as_text=True)
    # The loser's form names the winner's revision, read after the winner's save.
    assert 'name="revision" type="hidden" value="2"' in told
    db.session.expire_all()
    assert (soal.spec["text"], soal.revision) == (winner, 2)


# --- delete, move, list ------------------------------------------------------------------------


def test_the_list_shows_counts_per_tag_filters_and_moves(client, auth, login_as, owned):
    login_as("trainer")
    for n, tags in enumerate(["phishing", "phishing, sandi", "sandi"]):
        _post_question(client, "truefalse", {"text": f"Pernyataan {n}", "answer": "true", "tags": tags})
    html = client.get(f"{BASE}/soal").get_data(as_text=True)
    assert "phishing · 2" in html and "sandi · 2" in html and "3 questions in the bank." in html
    html = client.get(f"{BASE}/soal?tag=sandi").get_data(as_text=True)
    assert "Pernyataan 1" in html and "Pernyataan 2" in html and "Pernyataan 0" not in html
    html = client.get(f"{BASE}/soal?q=pernyataan 2").get_data(as_text=True)
    assert "Pernyataan 2" in html and "Pernyataan 1" not in html

    first = _soal(owned.id)[0]
    assert auth.post(f"{BASE}/soal/{first.id}/pindah", {"arah": "turun"}).status_code == 302
    assert [s.key for s in _soal(owned.id)] == ["q02", "q01", "q03"]
    assert auth.post(f"{BASE}/soal/{first.id}/hapus").status_code == 302
    assert [s.key for s in _soal(owned.id)] == ["q02", "q03"]


# --- Moodle files --------------------------------------------------------------------------------


def _upload(auth, path: Path, **fields):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return auth.post(f"{BASE}/soal/impor", data, content_type="multipart/form-data")


def test_a_gift_file_is_imported_and_what_was_skipped_is_listed(client, auth, login_as, owned):
    login_as("trainer")
    response = _upload(auth, MOODLE / "questions.gift.txt", skip_unsupported="y", tag="impor")
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    html = response.get_data(as_text=True)
    added = _soal(owned.id)
    assert added and all("impor" in s.tags for s in added)
    assert f"{len(added)} questions imported, " in html
    assert "questions.gift.txt:" in html and "skipped" in html  # the essay, with its line


def test_a_moodle_xml_file_is_imported_with_its_categories_as_tags(client, auth, login_as, owned):
    login_as("trainer")
    response = _upload(auth, MOODLE / "nested_categories_with_questions.xml", skip_unsupported="y")
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    assert [(s.type, s.tags) for s in _soal(owned.id)] == [
        ("truefalse", ["Iota"]), ("truefalse", ["Kappa"]), ("truefalse", ["Lambda"]), ("truefalse", ["Mu"]),
    ]  # fmt: skip
    html = response.get_data(as_text=True)
    assert "4 questions imported, 1 skipped." in html
    assert "nested_categories_with_questions.xml:55: skipped: essay question" in html


def test_a_file_with_errors_imports_nothing_and_lists_every_error_by_line(client, auth, login_as, owned):
    login_as("trainer")
    response = _upload(auth, FIXTURES / "errors.gift")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    lines = re.findall(r"<li><code>([^<]+)</code></li>", html)
    assert len(lines) >= 2 and all(re.match(r"errors\.gift:\d+: ", line) for line in lines), lines
    assert 'id="file-error"' in html and 'aria-invalid="true"' in html
    assert _count() == 0


def test_unsupported_types_refuse_the_file_unless_skipping_is_chosen(client, auth, login_as, owned):
    login_as("trainer")
    response = _upload(auth, MOODLE / "moodle-mixed.xml")
    assert response.status_code == 400
    assert "choose to skip unsupported questions" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_file_over_5_mb_is_refused_on_the_field(client, auth, login_as, owned):
    login_as("trainer")
    big = {"file": (io.BytesIO(b"// " + b"x" * (5 * 1024 * 1024)), "besar.gift")}
    response = auth.post(f"{BASE}/soal/impor", big, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "The file is larger than 5 MB." in response.get_data(as_text=True)
    assert _count() == 0


def test_an_import_without_a_file_says_so_on_the_field(client, auth, login_as, owned):
    login_as("trainer")
    response = auth.post(f"{BASE}/soal/impor", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file." in response.get_data(as_text=True)


def test_the_bank_downloads_as_gift(client, login_as, owned):
    login_as("trainer")
    _post_question(client, "single", _single("Ibu kota NTT?"))
    response = client.get(f"{BASE}/soal.gift")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SLUG}-soal.gift"'
    assert "no-store" in response.headers["Cache-Control"]
    assert "::q01::[markdown]Ibu kota NTT?{" in response.get_data(as_text=True)


# --- quiz settings ---------------------------------------------------------------------------------


def _quiz_form(client, **fields) -> dict:
    _html, hidden = _page(client, f"{BASE}/kuis")
    return {
        **hidden,
        "title": "Kuis Bank",
        "pass_mark": "80",
        "max_attempts": "3",
        "time_limit_minutes": "30",
        "shuffle_questions": "y",
        "feedback": "correctness",
        **fields,
    }


def test_the_quiz_page_writes_nothing_until_saved(client, login_as, owned):
    login_as("trainer")
    html, hidden = _page(client, f"{BASE}/kuis")
    assert hidden["revision"] == "0"
    assert "Score only" in html and "once no attempt is open and none can be started" in html
    assert db.session.get(KuisSetelan, owned.id) is None
    response = client.post(f"{BASE}/kuis", data=_quiz_form(client))
    assert response.status_code == 302
    setelan = db.session.get(KuisSetelan, owned.id)
    assert (setelan.title, setelan.pass_mark, setelan.max_attempts, setelan.time_limit_minutes) == (
        "Kuis Bank",
        80,
        3,
        30,
    )
    assert (setelan.shuffle_questions, setelan.shuffle_options, setelan.feedback, setelan.revision) == (
        True,
        False,
        "correctness",
        1,
    )


def test_a_draw_rule_asking_more_than_its_tags_hold_is_refused_on_the_rule(client, login_as, owned):
    login_as("trainer")
    for n in range(2):
        _post_question(client, "truefalse", {"text": f"Phishing {n}", "answer": "true", "tags": "phishing"})
    html, _hidden = _page(client, f"{BASE}/kuis")
    assert "phishing · 2" in html
    form = _quiz_form(
        client, **{"draw-0-tags": "", "draw-0-count": "", "draw-1-tags": "phishing", "draw-1-count": "3"}
    )
    response = client.post(f"{BASE}/kuis", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (
        _invalid(html, "draw-0-count") and "draw rule 1 draws 3 questions, but only 2 have its tags" in html
    )
    assert db.session.get(KuisSetelan, owned.id) is None
    form.update({"draw-1-count": "2"})
    assert client.post(f"{BASE}/kuis", data=form).status_code == 302
    assert db.session.get(KuisSetelan, owned.id).draw == [{"tags": ["phishing"], "count": 2}]


@pytest.mark.parametrize(
    ("fields", "field_id"),
    [
        ({"pass_mark": "101"}, "pass_mark"),
        ({"pass_mark": "tujuh"}, "pass_mark"),
        ({"time_limit_minutes": "601"}, "time_limit_minutes"),
        ({"draw-0-tags": "phishing", "draw-0-count": "dua"}, "draw-0-count"),
        ({"draw-0-tags": "tidak-ada", "draw-0-count": "1"}, "draw-0-tags"),
    ],
)
def test_quiz_settings_out_of_range_are_refused_on_their_field(client, login_as, owned, fields, field_id):
    login_as("trainer")
    response = client.post(f"{BASE}/kuis", data=_quiz_form(client, **fields))
    assert response.status_code == 400
    assert _invalid(response.get_data(as_text=True), field_id)
    assert db.session.get(KuisSetelan, owned.id) is None


def test_quiz_settings_saved_by_someone_else_meanwhile_are_not_overwritten(app, client, login_as, owned):
    login_as("trainer")
    admin, _auth = _second_browser(app, NIPS["admin"])
    trainer_form, admin_form = _quiz_form(client, title="Pengajar"), _quiz_form(admin, title="Admin")
    assert admin.post(f"{BASE}/kuis", data=admin_form).status_code == 302
    response = client.post(f"{BASE}/kuis", data=trainer_form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved the quiz settings" in html and 'value="Pengajar"' in html
    assert db.session.get(KuisSetelan, owned.id).title == "Admin"


# --- who gets in -------------------------------------------------------------------------------------


def _routes(soal_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"{BASE}/soal"),
        ("GET", f"{BASE}/soal/baru?jenis=single"),
        ("POST", f"{BASE}/soal/baru?jenis=single"),
        ("GET", f"{BASE}/soal/{soal_id}"),
        ("POST", f"{BASE}/soal/{soal_id}"),
        ("POST", f"{BASE}/soal/{soal_id}/pindah"),
        ("GET", f"{BASE}/soal/impor"),
        ("POST", f"{BASE}/soal/impor"),
        ("GET", f"{BASE}/soal.gift"),
        ("GET", f"{BASE}/kuis"),
        ("POST", f"{BASE}/kuis"),
        ("POST", f"{BASE}/soal/{soal_id}/hapus"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "learner", "other_trainer", "admin"])
def test_only_owners_and_admins_get_in(client, auth, make_user, owned, who):
    soal = bank.add_question(owned.id, {"type": "truefalse", "text": "T", "answer": True}, None)
    db.session.commit()
    make_user(OTHER_TRAINER_NIP, "Pengajar Lain", is_pengajar=True)
    if who == "learner":
        auth.login(NIPS["learner"])
    elif who == "other_trainer":
        auth.login(OTHER_TRAINER_NIP, PASSWORD)
    elif who == "admin":
        auth.login(NIPS["admin"])
    token = auth.token("/" if who != "anonymous" else "/masuk")
    for method, path in _routes(soal.id):
        response = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token})
        if who == "anonymous":
            assert response.status_code == 302 and response.headers["Location"].startswith("/masuk"), path
        elif who == "admin":
            # 409: a save of the question that names no revision cannot be over the one stored.
            assert response.status_code in (200, 302, 400, 409), (method, path, response.status_code)
        else:
            assert response.status_code == 403, (who, method, path, response.status_code)
    assert (_count() == 0) is (who == "admin")  # only the admin's delete went through


# --- the command line -----------------------------------------------------------------------------


def test_the_command_line_imports_all_or_nothing_and_exports_gift(runner, owned, make_bare, tmp_path):
    result = runner.invoke(args=["soal", "import", str(FIXTURES / "errors.gift"), "--kursus", SLUG])
    assert result.exit_code == 1
    assert re.search(r"^errors\.gift:\d+: ", result.stderr, re.M) and "nothing was imported" in result.stderr
    assert _count() == 0

    gift = str(MOODLE / "questions.gift.txt")
    result = runner.invoke(
        args=["soal", "import", gift, "--kursus", SLUG, "--tag", "cli", "--skip-unsupported"]
    )
    assert result.exit_code == 0, result.output
    added = _soal(owned.id)
    assert f"{len(added)} question(s) imported" in result.stdout and "skipped: " in result.stderr

    out = tmp_path / "bank.gift"
    assert runner.invoke(args=["soal", "export", "--kursus", SLUG, "-o", str(out)]).exit_code == 0
    stdout = runner.invoke(args=["soal", "export", "--kursus", SLUG]).stdout
    assert stdout == out.read_text(encoding="utf-8")

    copy = make_bare("kursus-salinan")
    assert runner.invoke(args=["soal", "import", str(out), "--kursus", copy.slug]).exit_code == 0
    db.session.expire_all()

    assert _asked(copy.id) == _asked(owned.id)


def _asked(kursus_id: int) -> list[tuple]:
    """What a learner is asked and what counts as right, however the file wrote it (GIFT
    writes every weight out, and a range 1 to 5 as 3 ± 2)."""

    def answer(a):
        return a["text"] if "text" in a else (a["min"], a["max"], a["weight"])

    return [
        (s.type, s.tags, s.spec["text"], [(o["text"], o["correct"]) for o in s.spec.get("options", [])],
         [answer(a) for a in s.spec.get("answers", [])], s.spec.get("pairs"), s.spec.get("answer"))
        for s in _soal(kursus_id)
    ]  # fmt: skip


def test_the_command_line_names_an_unknown_course(runner, app):
    result = runner.invoke(args=["soal", "export", "--kursus", "tidak-ada"])
    assert result.exit_code == 1 and "No course has the slug 'tidak-ada'" in result.output
