"""Importing course folders (``kursus/<slug>/``) and their quiz (``kuis.toml``).

``check_course`` reads a folder without writing anything and reports every problem as
``<slug>/<file>:<line>: <message>``, pointing at the line to fix. ``import_courses``
checks every folder first and writes nothing if any has an error; otherwise it creates
or updates each course by slug. The course version goes up only when the folder's
content changed, modules are updated in place, and a changed quiz becomes a new quiz
version while the old one is kept for past attempts. ``flask kursus import PATH`` does
the same from the command line.

Each broken-folder case starts from the valid folder written by ``write_course`` and
breaks exactly one thing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.catalog.importer import ImportFailed, check_course, import_courses
from lms.catalog.models import Kursus, KursusKompetensi, Modul
from lms.extensions import db
from lms.quizzes.models import Kuis, KuisVersion
from tests.conftest import write_course

SHIPPED_COURSES = Path(__file__).resolve().parents[2] / "kursus"
SLUG = "kursus-uji"

# --- ways to break a valid folder -----------------------------------------------------


def replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def write(name: str, text: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return change


def rename(old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / old).rename(folder / new)

    return change


def course_toml(old: str, new: str) -> Callable[[Path], None]:
    return replace("kursus.toml", old, new)


def quiz_toml(old: str, new: str) -> Callable[[Path], None]:
    return replace("kuis.toml", old, new)


# In the quiz written by write_course, [[questions]] q1 starts on line 9, q2 on 23, q3
# (truefalse) on 37 and q4 (short) on 43.
Q2_LAST_OPTION = 'text = "Birokratis"\ncorrect = false'

BROKEN = [
    # kursus.toml
    pytest.param(
        course_toml("jp = 3", "jp = = 3"),
        "kursus.toml:4: not valid TOML: Invalid value (at line 4, column 6)",
        id="toml-syntax",
    ),
    pytest.param(
        course_toml(f'title = "Kursus Uji {SLUG}"\n', ""),
        "kursus.toml:1: 'title' is missing",
        id="title-missing",
    ),
    pytest.param(
        course_toml('title = "Kursus Uji kursus-uji"', 'title = "  "'),
        "kursus.toml:1: 'title' is missing",
        id="title-blank",
    ),
    pytest.param(
        course_toml("jp = 3", "jp = -1"),
        "kursus.toml:4: 'jp' must be a whole number from 0 to 500",
        id="jp-negative",
    ),
    pytest.param(
        course_toml("jp = 3", 'jp = "3"'),
        "kursus.toml:4: 'jp' must be a whole number from 0 to 500",
        id="jp-text",
    ),
    pytest.param(
        course_toml("jp = 3", "jp = 2.5"),
        "kursus.toml:4: 'jp' must be a whole number from 0 to 500",
        id="jp-fraction",
    ),
    pytest.param(
        course_toml("jp = 3", "jp = true"),
        "kursus.toml:4: 'jp' must be a whole number from 0 to 500",
        id="jp-boolean",
    ),
    pytest.param(course_toml("jp = 3\n", ""), "kursus.toml:1: 'jp' is missing", id="jp-missing"),
    pytest.param(
        course_toml('status = "published"', 'status = "live"'),
        "kursus.toml:5: 'status' must be one of: draft, published, archived",
        id="status-unknown",
    ),
    pytest.param(
        course_toml("summary =", "sumary ="),
        "kursus.toml:2: unknown key 'sumary' in kursus.toml",
        id="key-typo",
    ),
    pytest.param(
        course_toml("level = 2", "level = 6"),
        "kursus.toml:8: 'level' must be a whole number from 1 to 5",
        id="competency-level-6",
    ),
    pytest.param(
        course_toml("level = 2", "level = 0"),
        "kursus.toml:8: 'level' must be a whole number from 1 to 5",
        id="competency-level-0",
    ),
    pytest.param(
        course_toml('code = "M.01"', 'code = "m01"'),
        "kursus.toml:7: 'code' must look like M.01, SK.01 or T.NAME",
        id="competency-code",
    ),
    pytest.param(
        course_toml("level = 2\n", 'level = 2\n[[competencies]]\ncode = "M.01"\nlevel = 3\n'),
        "kursus.toml:10: competency M.01 is listed twice",
        id="competency-twice",
    ),
    pytest.param(
        course_toml("level = 2\n", "level = 2\nnivel = 3\n"),
        "kursus.toml:9: unknown key 'nivel' in [[competencies]]",
        id="competency-key-typo",
    ),
    # modules
    pytest.param(
        rename("02-penutup.md", "02_Penutup.md"),
        "02_Penutup.md:1: a module file must be named NN-name.md (two digits, lowercase name)",
        id="module-name-underscore-capital",
    ),
    pytest.param(
        rename("02-penutup.md", "2-penutup.md"),
        "2-penutup.md:1: a module file must be named NN-name.md (two digits, lowercase name)",
        id="module-number-one-digit",
    ),
    pytest.param(
        write("02-penutup.md", "Penutup\n\nTeks.\n"),
        "02-penutup.md:1: a module must start with its title as '# Title'",
        id="module-without-title",
    ),
    pytest.param(
        write("02-penutup.md", "## Penutup\n\nTeks.\n"),
        "02-penutup.md:1: a module must start with its title as '# Title'",
        id="module-title-level-2",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\n"),
        "02-penutup.md:2: the module has no text after its title",
        id="module-without-text",
    ),
    pytest.param(
        rename("02-penutup.md", "00-penutup.md"),
        "00-penutup.md:1: module numbers start at 01",
        id="module-number-00",
    ),
    pytest.param(
        write("02-lain.md", "# Lain\n\nTeks.\n"),
        "02-penutup.md:1: module number 02 is also used by 02-lain.md",
        id="module-number-twice",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\nTeks.\n\n![Peta](media/peta.png)\n"),
        "02-penutup.md:5: image 'media/peta.png' is not in the course's media/ folder",
        id="image-missing",
    ),
    pytest.param(
        write(
            "02-penutup.md", "# Penutup\n\nTeks.\n\nLagi.\n\nLihat ![Peta](https://example.org/peta.png).\n"
        ),
        "02-penutup.md:7: image 'https://example.org/peta.png' must be a file in media/, not a link",
        id="image-external",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\n![Peta](/static/peta.png)\n"),
        "02-penutup.md:3: image '/static/peta.png' must be a file in media/, not a link",
        id="image-absolute-path",
    ),
    pytest.param(
        write("media/catatan.pdf", "%PDF"),
        "media/catatan.pdf:1: media must be one of .gif, .jpeg, .jpg, .png, .svg, .webp",
        id="media-type",
    ),
    # kuis.toml
    pytest.param(
        quiz_toml('text = "Ende"\ncorrect = false', 'text = "Ende"\ncorrect = true'),
        "kuis.toml:9: question q1: a single-choice question needs exactly one correct option",
        id="single-two-correct",
    ),
    pytest.param(
        quiz_toml('text = "Kupang"\ncorrect = true', 'text = "Kupang"\ncorrect = false'),
        "kuis.toml:9: question q1: a single-choice question needs exactly one correct option",
        id="single-none-correct",
    ),
    pytest.param(
        quiz_toml(Q2_LAST_OPTION, 'text = "Birokratis"\ncorrect = true'),
        "kuis.toml:23: question q2: a multiple-choice question needs correct and wrong options",
        id="multiple-all-correct",
    ),
    pytest.param(
        quiz_toml("answer = true\n", ""),
        "kuis.toml:37: question q3: 'answer' must be true or false",
        id="truefalse-without-answer",
    ),
    pytest.param(
        quiz_toml("answer = true", 'answer = "ya"'),
        "kuis.toml:41: question q3: 'answer' must be true or false",
        id="truefalse-answer-text",
    ),
    pytest.param(
        quiz_toml('answers = ["JP", "J.P."]\n', ""),
        "kuis.toml:43: question q4: 'answers' must list the accepted answers",
        id="short-without-answers",
    ),
    pytest.param(
        quiz_toml('answers = ["JP", "J.P."]', "answers = []"),
        "kuis.toml:47: question q4: 'answers' must list the accepted answers",
        id="short-empty-answers",
    ),
    pytest.param(
        quiz_toml('id = "q3"', 'id = "q1"'),
        "kuis.toml:38: question id 'q1' is used twice",
        id="question-id-twice",
    ),
    pytest.param(
        quiz_toml('type = "truefalse"', 'type = "essay"'),
        "kuis.toml:39: question q3: 'type' must be one of single, multiple, truefalse, short",
        id="question-type-unknown",
    ),
    pytest.param(
        quiz_toml("pass_mark = 75", "pass_mark = 150"),
        "kuis.toml:2: 'pass_mark' must be a whole number from 0 to 100",
        id="pass-mark-150",
    ),
    pytest.param(
        quiz_toml('feedback = "after_submit"', 'feedback = "always"'),
        "kuis.toml:7: 'feedback' must be one of after_submit, after_pass, never",
        id="feedback-mode",
    ),
    pytest.param(
        quiz_toml("answer = true\n", 'answer = true\n[[questions.options]]\ntext = "Ya"\ncorrect = true\n'),
        "kuis.toml:37: question q3: a truefalse question has no options",
        id="truefalse-with-options",
    ),
    pytest.param(
        quiz_toml('id = "q3"', 'id = "q3"\npoint = 2'),
        "kuis.toml:39: unknown key 'point' in [[questions]]",
        id="question-key-typo",
    ),
    pytest.param(
        quiz_toml("shuffle_options = true", 'shuffle_options = "ya"'),
        "kuis.toml:6: 'shuffle_options' must be true or false",
        id="shuffle-not-boolean",
    ),
]


@pytest.fixture
def folder(ctx, tmp_path) -> Path:
    return write_course(tmp_path, SLUG)


def test_the_folder_written_by_write_course_is_valid(folder):
    spec, errors = check_course(folder)

    assert errors == []
    assert spec.slug == SLUG
    assert [m.slug for m in spec.modules] == ["pembuka", "penutup"]


@pytest.mark.parametrize(("breakage", "error"), BROKEN)
def test_one_broken_thing_gives_one_error_pointing_at_its_line(folder, breakage, error):
    breakage(folder)

    spec, errors = check_course(folder)

    assert spec is None
    assert errors == [f"{SLUG}/{error}"]


def test_a_gap_in_module_numbers_is_reported_on_the_first_file_after_it(folder):
    rename("02-penutup.md", "03-penutup.md")(folder)

    assert check_course(folder)[1] == [
        f"{SLUG}/03-penutup.md:1: module number 03 should be 02: numbers run 01, 02, 03 … without gaps"
    ]


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', id="script"),
        pytest.param('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', id="onload"),
        pytest.param(
            '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"/></svg>',
            id="javascript-link",
        ),
        pytest.param('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', id="foreign-object"),
    ],
)
def test_an_svg_with_script_or_event_handlers_is_refused(folder, svg):
    write("media/gambar.svg", svg)(folder)

    spec, errors = check_course(folder)

    assert spec is None
    # Only the SVG is blamed, not the module that shows it.
    assert errors == [
        f"{SLUG}/media/gambar.svg:1: the SVG contains scripts, event handlers or external links"
    ]


def test_a_raw_html_image_must_also_be_in_media(folder):
    write("02-penutup.md", '# Penutup\n\nTeks.\n\n<img src="media/hilang.png" alt="x">\n')(folder)

    assert check_course(folder)[1] == [
        f"{SLUG}/02-penutup.md:5: image 'media/hilang.png' is not in the course's media/ folder"
    ]


def test_the_module_page_points_images_at_the_storage_backend(app, course):
    from lms.catalog.services import module_html

    with app.test_request_context():
        html = str(module_html(course, course.moduls[0]))
    assert f'src="/media/{course.media["gambar.svg"]}"' in html


def test_every_error_in_a_folder_is_reported_at_once(folder):
    for breakage in (
        course_toml("jp = 3", "jp = -1"),
        write("02-penutup.md", "Penutup\n"),
        quiz_toml("pass_mark = 75", "pass_mark = 150"),
    ):
        breakage(folder)

    assert check_course(folder)[1] == [
        f"{SLUG}/kursus.toml:4: 'jp' must be a whole number from 0 to 500",
        f"{SLUG}/02-penutup.md:1: a module must start with its title as '# Title'",
        f"{SLUG}/kuis.toml:2: 'pass_mark' must be a whole number from 0 to 100",
    ]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("[[questions]]  # soal pertama", id="comment"),
        pytest.param("[[ questions ]]", id="spaces"),
    ],
)
def test_error_lines_stay_right_when_a_table_header_has_a_comment_or_spaces(folder, header):
    quiz_toml('[[questions]]\nid = "q1"', f'{header}\nid = "q1"')(folder)
    quiz_toml(Q2_LAST_OPTION, 'text = "Birokratis"\ncorrect = true')(folder)

    assert check_course(folder)[1] == [
        f"{SLUG}/kuis.toml:23: question q2: a multiple-choice question needs correct and wrong options"
    ]


@pytest.mark.parametrize("course", sorted(p.name for p in SHIPPED_COURSES.iterdir() if p.is_dir()))
def test_the_shipped_courses_have_no_errors(ctx, course):
    spec, errors = check_course(SHIPPED_COURSES / course)

    assert errors == []
    assert spec.modules
    assert "kuis.toml" in spec.parts


# --- importing ------------------------------------------------------------------------


def import_and_commit(*folders: Path) -> list[tuple[str, str]]:
    outcomes = import_courses(folders)
    db.session.commit()
    db.session.expire_all()
    return outcomes


def get_course(slug: str = SLUG) -> Kursus:
    return db.session.scalar(select(Kursus).where(Kursus.slug == slug))


def quiz_versions(kursus: Kursus) -> list[KuisVersion]:
    kuis = db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus.id))
    return list(kuis.versions)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_valid_folder_is_imported_with_modules_in_order_and_its_quiz(folder):
    assert import_and_commit(folder) == [(SLUG, "created")]

    kursus = get_course()
    assert (kursus.title, kursus.jp, kursus.status, kursus.version) == (
        f"Kursus Uji {SLUG}",
        3,
        "published",
        1,
    )
    assert kursus.description_html == "<p>Deskripsi <strong>tebal</strong>.</p>"
    assert [(c.code, c.level) for c in kursus.competencies] == [("M.01", 2)]
    assert [(m.position, m.slug, m.title) for m in kursus.moduls] == [
        (1, "pembuka", "Pembuka"),
        (2, "penutup", "Penutup"),
    ]
    assert "<table>" in kursus.moduls[1].body_html
    assert 'href="#rangkuman"' in kursus.moduls[1].toc_html
    assert set(kursus.media) == {"gambar.svg"}

    [version] = quiz_versions(kursus)
    assert (version.number, version.title, version.pass_mark, version.max_attempts) == (1, "Kuis Uji", 75, 2)
    assert [q["id"] for q in version.questions] == ["q1", "q2", "q3", "q4"]
    assert [q["type"] for q in version.questions] == ["single", "multiple", "truefalse", "short"]
    assert [(o["id"], o["correct"]) for o in version.questions[0]["options"]] == [("a", True), ("b", False)]
    assert version.questions[3]["answers"] == ["JP", "J.P."]


def test_importing_the_same_folder_again_changes_nothing(folder):
    import_and_commit(folder)

    assert import_and_commit(folder) == [(SLUG, "unchanged")]

    assert get_course().version == 1
    assert [v.number for v in quiz_versions(get_course())] == [1]


def test_changing_a_module_bumps_the_version_and_updates_the_module_in_place(folder):
    import_and_commit(folder)
    before = {m.slug: m.id for m in get_course().moduls}

    replace("02-penutup.md", "## Rangkuman", "## Ringkasan Baru")(folder)
    assert import_and_commit(folder) == [(SLUG, "updated")]

    kursus = get_course()
    assert kursus.version == 2
    assert {m.slug: m.id for m in kursus.moduls} == before
    assert "Ringkasan Baru" in kursus.moduls[1].body_md
    assert 'id="ringkasan-baru"' in kursus.moduls[1].body_html
    assert [v.number for v in quiz_versions(kursus)] == [1]


def test_changing_the_quiz_adds_a_quiz_version_and_keeps_the_old_one(folder):
    import_and_commit(folder)

    quiz_toml("Ibu kota Provinsi NTT?", "Ibu kota Provinsi NTB?")(folder)
    import_and_commit(folder)

    kursus = get_course()
    versions = quiz_versions(kursus)
    assert kursus.version == 2
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].questions[0]["text"] == "Ibu kota Provinsi NTT?"
    assert versions[1].questions[0]["text"] == "Ibu kota Provinsi NTB?"


def test_removing_a_module_deletes_it(folder):
    import_and_commit(folder)

    (folder / "02-penutup.md").unlink()
    import_and_commit(folder)

    assert [m.slug for m in get_course().moduls] == ["pembuka"]
    assert count(Modul) == 1


def test_renumbering_modules_swaps_them_in_place(folder):
    import_and_commit(folder)
    before = {m.slug: m.id for m in get_course().moduls}

    rename("01-pembuka.md", "tmp.txt")(folder)
    rename("02-penutup.md", "01-penutup.md")(folder)
    rename("tmp.txt", "02-pembuka.md")(folder)
    import_and_commit(folder)

    moduls = get_course().moduls
    assert [(m.position, m.slug) for m in moduls] == [(1, "penutup"), (2, "pembuka")]
    assert {m.slug: m.id for m in moduls} == before


def test_changing_competencies_replaces_them(folder):
    import_and_commit(folder)

    course_toml("level = 2\n", 'level = 3\n[[competencies]]\ncode = "SK.01"\nlevel = 1\n')(folder)
    import_and_commit(folder)

    assert [(c.code, c.level) for c in get_course().competencies] == [("M.01", 3), ("SK.01", 1)]
    assert count(KursusKompetensi) == 2


def test_a_batch_with_one_broken_folder_writes_nothing(ctx, tmp_path):
    good = write_course(tmp_path, "kursus-baik")
    bad = write_course(tmp_path, "kursus-rusak")
    course_toml("jp = 3", "jp = -1")(bad)

    with pytest.raises(ImportFailed) as failed:
        import_courses([good, bad])

    # Counted in the same session and transaction: nothing was even added, let alone committed.
    assert failed.value.errors == ["kursus-rusak/kursus.toml:4: 'jp' must be a whole number from 0 to 500"]
    assert count(Kursus) == 0
    assert count(Modul) == 0
    assert count(KuisVersion) == 0


def test_a_broken_update_leaves_the_imported_course_as_it_was(folder):
    import_and_commit(folder)

    replace("02-penutup.md", "## Rangkuman", "## Baru")(folder)
    quiz_toml("pass_mark = 75", "pass_mark = 150")(folder)
    with pytest.raises(ImportFailed):
        import_courses([folder])

    kursus = get_course()
    assert kursus.version == 1
    assert "## Rangkuman" in kursus.moduls[1].body_md


# --- the command line -------------------------------------------------------------------


def test_the_cli_imports_a_good_folder(runner, ctx, tmp_path):
    folder = write_course(tmp_path, SLUG)

    result = runner.invoke(args=["kursus", "import", str(folder)])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{SLUG}: created\n"
    assert count(Kursus) == 1


def test_the_cli_imports_every_course_in_a_parent_folder(runner, ctx, tmp_path):
    for slug in ("kursus-a", "kursus-b"):
        write_course(tmp_path, slug)

    result = runner.invoke(args=["kursus", "import", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert result.stdout == "kursus-a: created\nkursus-b: created\n"


def test_the_cli_lists_errors_and_fails_on_a_broken_folder(runner, ctx, tmp_path):
    folder = write_course(tmp_path, SLUG)
    course_toml('status = "published"', 'status = "live"')(folder)
    write("02-penutup.md", "Penutup\n")(folder)

    result = runner.invoke(args=["kursus", "import", str(folder)])

    assert result.exit_code != 0
    assert result.stderr.splitlines() == [
        f"{SLUG}/kursus.toml:5: 'status' must be one of: draft, published, archived",
        f"{SLUG}/02-penutup.md:1: a module must start with its title as '# Title'",
        "Error: 2 error(s); nothing was imported.",
    ]
    assert count(Kursus) == 0


def test_the_shipped_courses_import_from_the_cli(runner, ctx, tmp_path):
    shutil.copytree(SHIPPED_COURSES, tmp_path / "kursus")

    result = runner.invoke(args=["kursus", "import", str(tmp_path / "kursus")])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{p.name}: created" for p in sorted((tmp_path / "kursus").iterdir()) if p.is_dir()
    ]


@pytest.mark.parametrize(
    ("image", "error"),
    [
        (
            "![Diagram](media/gambar.svg)",
            "image 'media/gambar.svg' needs its size: add {width=… height=…} after it",
        ),
        (
            "![Diagram](media/gambar.svg){width=320}",
            "image 'media/gambar.svg' needs its size: add {width=… height=…} after it",
        ),
        (
            '<img src="media/gambar.svg" alt="x">',
            "image 'media/gambar.svg' needs its size: add {width=… height=…} after it",
        ),
        ('<img src="media/gambar.svg" alt="x" width="320" height="160">', None),
        ("![Diagram](media/gambar.svg){height=160 width=320}", None),
    ],
)
def test_pictures_must_carry_their_size(folder, image, error):
    write("01-pembuka.md", f"# Pembuka\n\nTeks.\n\n{image}\n")(folder)

    expected = [f"{SLUG}/01-pembuka.md:5: {error}"] if error else []
    assert check_course(folder)[1] == expected
