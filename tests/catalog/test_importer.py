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

import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
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
        write("02-penutup.md", "# Penutup\n\nTeks ![Peta][peta].\n\n[peta]: https://example.org/peta.png\n"),
        "02-penutup.md:5: image 'https://example.org/peta.png' must be a file in media/, not a link",
        id="image-reference-link",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\nTeks ![Peta][peta].\n\n[peta]: media/peta.png\n"),
        "02-penutup.md:5: image 'media/peta.png' is not in the course's media/ folder",
        id="image-reference-missing",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\n![Peta\nkota](https://example.org/peta.png)\n"),
        "02-penutup.md:4: image 'https://example.org/peta.png' must be a file in media/, not a link",
        id="image-split-over-lines",
    ),
    pytest.param(
        write(
            "02-penutup.md",
            '# Penutup\n\n<img\n  alt="Peta"\n  src="https://example.org/peta.png" width="1" height="1">\n',
        ),
        "02-penutup.md:5: image 'https://example.org/peta.png' must be a file in media/, not a link",
        id="html-image-split-over-lines",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\n<IMG SRC=https://example.org/peta.png WIDTH=1 HEIGHT=1>\n"),
        "02-penutup.md:3: image 'https://example.org/peta.png' must be a file in media/, not a link",
        id="html-image-capitals-unquoted",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\n![Peta](//example.org/peta.png){width=1 height=1}\n"),
        "02-penutup.md:3: image '//example.org/peta.png' must be a file in media/, not a link",
        id="image-protocol-relative",
    ),
    pytest.param(
        write(
            "02-penutup.md",
            "# Penutup\n\nTeks.\n\n![Peta](data:image/png;base64,iVBORw0KGgo=){width=1 height=1}\n",
        ),
        "02-penutup.md:5: an image has no usable src: pictures must be files in media/",
        id="image-data-url",
    ),
    pytest.param(
        write("02-penutup.md", "# Penutup\n\n![Peta](media/gambar.svg?v=2){width=1 height=1}\n"),
        "02-penutup.md:3: image 'media/gambar.svg?v=2' is not in the course's media/ folder",
        id="image-with-query",
    ),
    pytest.param(
        write("media/catatan.html", "<p>catatan</p>"),
        "media/catatan.html:1: media must be one of .gif, .jpeg, .jpg, .pdf, .png, .svg, .webp",
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
        quiz_toml('id = "q3"', 'id = "q 3"'),
        "kuis.toml:38: question id 'q 3' must be 1 to 40 letters, digits, '-' or '_'",
        id="question-id-space",
    ),
    pytest.param(
        quiz_toml('id = "q3"', 'id = "q3\\"><b>"'),
        """kuis.toml:38: question id 'q3"><b>' must be 1 to 40 letters, digits, '-' or '_'""",
        id="question-id-markup",
    ),
    pytest.param(
        quiz_toml('id = "q3"', 'id = "soal-ü"'),
        "kuis.toml:38: question id 'soal-ü' must be 1 to 40 letters, digits, '-' or '_'",
        id="question-id-not-ascii",
    ),
    pytest.param(
        quiz_toml('id = "q3"', 'id = "q3\\n"'),
        "kuis.toml:38: question id 'q3\\n' must be 1 to 40 letters, digits, '-' or '_'",
        id="question-id-newline",
    ),
    pytest.param(
        quiz_toml('id = "q3"', f'id = "{"q" * 41}"'),
        f"kuis.toml:38: question id '{'q' * 41}' must be 1 to 40 letters, digits, '-' or '_'",
        id="question-id-41-characters",
    ),
    pytest.param(
        quiz_toml('id = "q3"', "id = 3"),
        "kuis.toml:38: every question needs an 'id' of 1 to 40 letters, digits, '-' or '_'",
        id="question-id-number",
    ),
    pytest.param(
        quiz_toml('type = "truefalse"', 'type = "essay"'),
        "kuis.toml:39: question q3: 'type' must be one of single, multiple, truefalse, short, numeric, matching",
        id="question-type-unknown",
    ),
    pytest.param(
        quiz_toml("pass_mark = 75", "pass_mark = 150"),
        "kuis.toml:2: 'pass_mark' must be a whole number from 0 to 100",
        id="pass-mark-150",
    ),
    pytest.param(
        quiz_toml('feedback = "keys"', 'feedback = "always"'),
        "kuis.toml:7: 'feedback' must be one of score, correctness, keys",
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


# --- media files ---------------------------------------------------------------------------
# An SVG is checked against an allow-list, element by element and attribute by attribute,
# because a course's media can be opened on their own, where an SVG is a document that
# runs scripts and loads links. Every refusal names what it refused and its line.

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 160">'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OUTSIDE = "points outside the file: only url(#id) is allowed"

REFUSED_SVGS = [
    pytest.param(
        f"{SVG}<script>alert(1)</script></svg>", [(1, "<script> is not allowed in an SVG")], id="script"
    ),
    pytest.param(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
        [(1, "event handler 'onload' on <svg> is not allowed")],
        id="onload",
    ),
    pytest.param(
        f'{SVG}<a href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>',
        [(1, "<a> is not allowed in an SVG")],
        id="javascript-link",
    ),
    pytest.param(
        f"{SVG}<foreignObject/></svg>", [(1, "<foreignObject> is not allowed in an SVG")], id="foreign-object"
    ),
    pytest.param(
        f'{SVG}<image href="https://evil.example/a.png"/></svg>',
        [(1, "<image> is not allowed in an SVG")],
        id="image",
    ),
    pytest.param(
        f'{SVG}<set attributeName="fill" to="red"/><animate attributeName="x"/></svg>',
        [(1, "<set> is not allowed in an SVG"), (1, "<animate> is not allowed in an SVG")],
        id="animation",
    ),
    pytest.param(
        f'{SVG}\n<use href="https://evil.example/a.svg#x"/></svg>',
        [(2, "'href' on <use> must point inside the file (#id), not at 'https://evil.example/a.svg#x'")],
        id="use-external-href",
    ),
    pytest.param(
        f'<svg xmlns="http://www.w3.org/2000/svg" {XLINK}>\n<use xlink:href="a.svg#x"/></svg>',
        [(2, "'xlink:href' on <use> must point inside the file (#id), not at 'a.svg#x'")],
        id="use-external-xlink-href",
    ),
    pytest.param(
        f'{SVG}<rect width="1" height="1" fill="url(https://evil.example/p.svg#g)"/></svg>',
        [(1, f"'fill' on <rect> {OUTSIDE}")],
        id="presentation-attribute-url",
    ),
    pytest.param(
        f'{SVG}<rect width="1" height="1" style="fill:url(\'//evil.example/p\')"/></svg>',
        [(1, f"'style' on <rect> {OUTSIDE}")],
        id="style-attribute-url",
    ),
    pytest.param(
        f'{SVG}<rect width="1" height="1" style="fill:URL( #ok ) ; stroke:url(x.svg#g)"/></svg>',
        [(1, f"'style' on <rect> {OUTSIDE}")],
        id="second-url-in-style",
    ),
    pytest.param(
        f"{SVG}<style>\n@import 'https://evil.example/a.css';\n</style></svg>",
        [(1, "<style> contains @import")],
        id="style-import",
    ),
    pytest.param(
        f"{SVG}<style>rect {{ fill: url(https://evil.example/p.svg#g) }}</style></svg>",
        [(1, f"<style> {OUTSIDE}")],
        id="style-element-url",
    ),
    pytest.param(
        f"{SVG}<style>rect {{ background: \\75 rl(https://evil.example/a.png) }}</style></svg>",
        [(1, "<style> contains a CSS escape (\\)")],
        id="style-css-escape",
    ),
    pytest.param(
        f'{SVG}<style>rect {{ background: image-set("https://evil.example/a.png" 1x) }}</style></svg>',
        [(1, f"<style> {OUTSIDE}")],
        id="style-image-set",
    ),
    pytest.param(
        f"{SVG}<style><![CDATA[ rect {{ fill: url(//evil.example/p) }} ]]></style></svg>",
        [(1, f"<style> {OUTSIDE}")],
        id="style-cdata",
    ),
    pytest.param(
        f'{SVG}<text rotate="java&#9;script:alert(1)">x</text></svg>',
        [(1, "'rotate' on <text> contains javascript:")],
        id="javascript-attribute",
    ),
    pytest.param(
        f'{SVG}<rect width="1" height="1" foo="1"/></svg>',
        [(1, "attribute 'foo' on <rect> is not allowed in an SVG")],
        id="unknown-attribute",
    ),
    pytest.param(
        f'{SVG}<rect xml:base="https://evil.example/" width="1" height="1"/></svg>',
        [(1, "attribute 'xml:base' on <rect> is not allowed in an SVG")],
        id="xml-base",
    ),
    pytest.param(
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        f"{SVG}</svg>",
        [(1, "remove the <!DOCTYPE>: an SVG picture needs none, and a DTD can pull in other files")],
        id="doctype",
    ),
    pytest.param(
        '<!DOCTYPE svg [\n<!ENTITY rahasia SYSTEM "file:///etc/passwd">\n]>\n'
        f"{SVG}<text>&rahasia;</text></svg>",
        [
            (1, "remove the <!DOCTYPE>: an SVG picture needs none, and a DTD can pull in other files"),
            (2, "entity 'rahasia' is declared: an SVG picture may not declare entities"),
        ],
        id="external-entity",
    ),
    pytest.param(
        '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f"{SVG}<text>&b;</text></svg>",
        [
            (1, "remove the <!DOCTYPE>: an SVG picture needs none, and a DTD can pull in other files"),
            (1, "entity 'a' is declared: an SVG picture may not declare entities"),
        ],
        id="entity-expansion",
    ),
    pytest.param(
        f'<?xml version="1.0"?>\n<?xml-stylesheet href="https://evil.example/a.css"?>\n{SVG}</svg>',
        [(2, "processing instruction <?xml-stylesheet?> is not allowed in an SVG")],
        id="processing-instruction",
    ),
    pytest.param(
        f'{SVG}<metadata>\n<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script></metadata></svg>',
        [(2, "<h:script> is not an SVG element (http://www.w3.org/1999/xhtml)")],
        id="xhtml-script-in-metadata",
    ),
    pytest.param(
        f'{SVG}<g><script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script></g></svg>',
        [(1, "<script> is not an SVG element (http://www.w3.org/1999/xhtml)")],
        id="xhtml-default-namespace",
    ),
    pytest.param(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape">'
        "<inkscape:page><script>alert(1)</script></inkscape:page></svg>",
        [(1, "<script> is not allowed in an SVG")],
        id="script-inside-editor-metadata",
    ),
    pytest.param(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd">'
        '<sodipodi:namedview onclick="alert(1)"/></svg>',
        [(1, "event handler 'onclick' on <sodipodi:namedview> is not allowed")],
        id="handler-on-editor-metadata",
    ),
    pytest.param(
        '<svg viewBox="0 0 1 1"><rect width="1" height="1"/></svg>',
        [(1, 'the outermost element must be <svg xmlns="http://www.w3.org/2000/svg">')],
        id="no-svg-namespace",
    ),
    pytest.param(f"{SVG}\n<rect>\n</svg>", [(3, "not valid XML: mismatched tag")], id="not-xml"),
    pytest.param(
        f'{SVG}\n<script>alert(1)</script>\n<rect width="1" height="1" onclick="a()"/>\n</svg>',
        [(2, "<script> is not allowed in an SVG"), (3, "event handler 'onclick' on <rect> is not allowed")],
        id="every-problem-with-its-line",
    ),
]


@pytest.mark.parametrize(("svg", "problems"), REFUSED_SVGS)
def test_an_svg_outside_the_allow_list_is_refused_naming_what_and_where(folder, svg, problems):
    write("media/gambar.svg", svg)(folder)

    spec, errors = check_course(folder)

    assert spec is None
    # Only the SVG is blamed, not the module that shows it.
    assert errors == [f"{SLUG}/media/gambar.svg:{line}: {message}" for line, message in problems]


@pytest.mark.parametrize("name", ["inkscape.svg", "illustrator.svg"])
def test_svgs_saved_by_drawing_programs_are_accepted_and_stored_as_they_are(folder, name):
    # Editor metadata (sodipodi, inkscape, rdf, cc, dc, <metadata>) is inert: it passes
    # and the file is kept byte for byte, so it still opens in the program that made it.
    data = (FIXTURES / name).read_bytes()
    (folder / "media" / "gambar.svg").write_bytes(data)

    spec, errors = check_course(folder)

    assert errors == []
    assert spec.media["gambar.svg"].data == data


def test_local_references_inside_an_svg_are_allowed(folder):
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {XLINK} viewBox="0 0 10 10" role="img" aria-label="x">'
        '<defs><clipPath id="c"><circle cx="5" cy="5" r="5"/></clipPath>'
        '<pattern id="p" width="2" height="2" patternUnits="userSpaceOnUse"><rect width="1" height="1"/></pattern>'
        '<symbol id="s"><path d="M0 0h1"/></symbol><style>.a { fill: url("#p") }</style></defs>'
        '<g clip-path="url(#c)"><use href="#s"/><use xlink:href="#s" x="2"/><rect class="a" width="9" height="9"/>'
        '<text><textPath href="#s">teks</textPath></text></g></svg>'
    )
    write("media/gambar.svg", svg)(folder)

    assert check_course(folder)[1] == []


def picture(kind: str, size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(out, kind)
    return out.getvalue()


PNG, JPEG, GIF, WEBP = (picture(kind) for kind in ("PNG", "JPEG", "GIF", "WEBP"))


@pytest.mark.parametrize(
    ("name", "data"),
    [("peta.png", PNG), ("peta.jpg", JPEG), ("peta.JPEG", JPEG), ("peta.gif", GIF), ("peta.webp", WEBP)],
)
def test_a_picture_whose_content_matches_its_extension_is_accepted_with_its_size(folder, name, data):
    (folder / "media" / name).write_bytes(data)

    spec, errors = check_course(folder)

    assert errors == []
    assert (spec.media[name].width, spec.media[name].height) == (40, 30)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param(
            "peta.png",
            JPEG,
            "the file is not what its extension says: it is a image/jpeg file",
            id="jpeg-named-png",
        ),
        pytest.param(
            "peta.jpg",
            PNG,
            "the file is not what its extension says: it is a image/png file",
            id="png-named-jpg",
        ),
        pytest.param(
            "peta.gif", b"<svg onload=alert(1)>", "This type of file is not accepted.", id="svg-named-gif"
        ),
        pytest.param(
            "peta.webp",
            b"RIFF\x1a\x00\x00\x00WAVEfmt ",
            "This type of file is not accepted.",
            id="wave-named-webp",
        ),
        pytest.param("peta.png", PNG[:40], "The picture cannot be read", id="cut-short"),
        pytest.param("peta.png", b"", "The file is empty.", id="empty"),
        pytest.param(
            "peta.gif", GIF + b"<html><script>alert(1)</script>", None, id="polyglot-kept-out-of-pages"
        ),
    ],
)
def test_a_picture_whose_content_does_not_match_its_extension_is_refused(app, folder, name, data, message):
    (folder / "media" / name).write_bytes(data)

    with force_locale("en"):
        spec, errors = check_course(folder)

    if message is None:
        # A picture with something appended is still a picture: it is stored re-encoded,
        # without what was hidden after it.
        assert errors == []
        assert b"<script>" not in spec.media[name].data
        return
    assert len(errors) == 1
    assert errors[0].startswith(f"{SLUG}/media/{name}:1: {message}")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("```\n![Peta](https://example.org/peta.png)\n```\n", id="fenced-code"),
        pytest.param("Tulis `![Peta](media/peta.png)` untuk gambar.\n", id="inline-code"),
        pytest.param("<!-- ![Peta](https://example.org/peta.png) -->\n", id="html-comment"),
    ],
)
def test_an_image_that_is_not_shown_is_not_checked(folder, text):
    write("02-penutup.md", f"# Penutup\n\n{text}")(folder)

    assert check_course(folder)[1] == []


def test_each_use_of_a_picture_is_reported_on_its_own_line(folder):
    write(
        "01-pembuka.md", "# Pembuka\n\n![A](media/gambar.svg){width=1 height=1}\n\n![B](media/gambar.svg)\n"
    )(folder)

    assert check_course(folder)[1] == [
        f"{SLUG}/01-pembuka.md:5: image 'media/gambar.svg' needs its size: add {{width=… height=…}} after it"
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
    assert 'href="#m-rangkuman"' in kursus.moduls[1].toc_html
    assert set(kursus.media) == {"gambar.svg"}

    [version] = quiz_versions(kursus)
    assert (version.number, version.title, version.pass_mark, version.max_attempts) == (1, "Kuis Uji", 75, 2)
    assert [q["id"] for q in version.questions] == ["q1", "q2", "q3", "q4"]
    assert [q["type"] for q in version.questions] == ["single", "multiple", "truefalse", "short"]
    # Options keep the file's order; their ids are random, so they tell nothing of it.
    assert [(o["text"], o["correct"]) for o in version.questions[0]["options"]] == [
        ("Kupang", True),
        ("Ende", False),
    ]
    assert all(re.fullmatch(r"[0-9a-f]{8}", o["id"]) for q in version.questions for o in q.get("options", []))
    assert [a["text"] for a in version.questions[3]["answers"]] == ["JP", "J.P."]


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
    assert 'id="m-ringkasan-baru"' in kursus.moduls[1].body_html
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
        (
            '<img src="media/gambar.svg" alt="width=320 height=160">',
            "image 'media/gambar.svg' needs its size: add {width=… height=…} after it",
        ),
        (
            "![Diagram](media/gambar.svg){width=auto height=160}",
            "image 'media/gambar.svg' needs its size: add {width=… height=…} after it",
        ),
        ('<img src="media/gambar.svg" alt="x" width="320" height="160">', None),
        ('<IMG SRC="media/gambar.svg" ALT="x" WIDTH=320 HEIGHT=160>', None),
        ("![Diagram](media/gambar.svg){height=160 width=320}", None),
    ],
)
def test_pictures_must_carry_their_size(folder, image, error):
    write("01-pembuka.md", f"# Pembuka\n\nTeks.\n\n{image}\n")(folder)

    expected = [f"{SLUG}/01-pembuka.md:5: {error}"] if error else []
    assert check_course(folder)[1] == expected


def test_a_reference_style_picture_must_carry_its_size(folder):
    write("01-pembuka.md", "# Pembuka\n\n![Diagram][d]\n\n[d]: media/gambar.svg\n")(folder)

    assert check_course(folder)[1] == [
        f"{SLUG}/01-pembuka.md:5: image 'media/gambar.svg' needs its size: add {{width=… height=…}} after it"
    ]


def test_a_question_id_of_letters_digits_hyphens_and_underscores_is_accepted(folder):
    quiz_toml('id = "q3"', 'id = "Soal_3-b' + "x" * 32 + '"')(folder)

    assert check_course(folder)[1] == []


# --- warnings ----------------------------------------------------------------------------
# A warning points at something a trainer should look at but that does not make the
# course wrong: it is reported as ``file:line: warning: …`` and never blocks an import.

ANSWERS_FIRST = (
    "warning: the first option is correct in every choice question and shuffle_options is off: "
    "a learner who always picks the first option gets them all right"
)


def answers_first(folder: Path) -> None:
    # In write_course's quiz the correct options of q1 and q2 already come first.
    quiz_toml("shuffle_options = true", "shuffle_options = false")(folder)


def check_with_warnings(folder: Path) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    errors = check_course(folder, on_warning=warnings.append)[1]
    return errors, warnings


def test_a_quiz_whose_correct_options_always_come_first_gets_a_warning(folder):
    answers_first(folder)

    assert check_with_warnings(folder) == ([], [f"{SLUG}/kuis.toml:6: {ANSWERS_FIRST}"])


def test_without_shuffle_options_the_warning_points_at_the_top_of_the_quiz(folder):
    quiz_toml("shuffle_options = true\n", "")(folder)

    assert check_with_warnings(folder) == ([], [f"{SLUG}/kuis.toml:1: {ANSWERS_FIRST}"])


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda folder: None, id="options-shuffled"),
        pytest.param(
            lambda folder: [
                answers_first(folder),
                quiz_toml('text = "Kupang"\ncorrect = true', 'text = "Kupang"\ncorrect = false')(folder),
                quiz_toml('text = "Ende"\ncorrect = false', 'text = "Ende"\ncorrect = true')(folder),
            ],
            id="one-answer-elsewhere",
        ),
    ],
)
def test_no_warning_when_learners_cannot_pass_by_picking_the_first_option(folder, change):
    change(folder)

    assert check_with_warnings(folder) == ([], [])


def test_a_warning_does_not_block_the_import(folder):
    answers_first(folder)
    warnings: list[str] = []

    assert import_courses([folder], on_warning=warnings.append) == [(SLUG, "created")]
    assert warnings == [f"{SLUG}/kuis.toml:6: {ANSWERS_FIRST}"]


def test_warnings_are_reported_alongside_errors_which_still_block_the_import(folder):
    answers_first(folder)
    course_toml("jp = 3", "jp = -1")(folder)
    warnings: list[str] = []

    with pytest.raises(ImportFailed) as failed:
        import_courses([folder], on_warning=warnings.append)

    assert failed.value.errors == [f"{SLUG}/kursus.toml:4: 'jp' must be a whole number from 0 to 500"]
    assert warnings == [f"{SLUG}/kuis.toml:6: {ANSWERS_FIRST}"]
    assert count(Kursus) == 0


def test_the_cli_check_prints_warnings_and_passes(runner, ctx, tmp_path):
    answers_first(write_course(tmp_path, SLUG))

    result = runner.invoke(args=["kursus", "check", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"{SLUG}/kuis.toml:6: {ANSWERS_FIRST}"]
    assert result.stdout == "ok\n"


def test_the_cli_import_prints_warnings_and_imports(runner, ctx, tmp_path):
    answers_first(write_course(tmp_path, SLUG))

    result = runner.invoke(args=["kursus", "import", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"{SLUG}/kuis.toml:6: {ANSWERS_FIRST}"]
    assert result.stdout == f"{SLUG}: created\n"
    assert count(Kursus) == 1


def test_the_cli_check_prints_warnings_with_the_errors(runner, ctx, tmp_path):
    folder = write_course(tmp_path, SLUG)
    answers_first(folder)
    course_toml("jp = 3", "jp = -1")(folder)

    result = runner.invoke(args=["kursus", "check", str(folder)])

    assert result.exit_code != 0
    assert result.stderr.splitlines() == [
        f"{SLUG}/kuis.toml:6: {ANSWERS_FIRST}",
        f"{SLUG}/kursus.toml:4: 'jp' must be a whole number from 0 to 500",
        "Error: 1 error(s).",
    ]


@pytest.mark.parametrize(
    ("old", "new"), [("after_submit", "keys"), ("after_pass", "keys"), ("never", "score")]
)
def test_earlier_feedback_names_are_read_with_a_warning(folder, old, new):
    from lms.quizzes.importer import KuisPart

    quiz = folder / "kuis.toml"
    quiz.write_text(quiz.read_text().replace('feedback = "keys"', f'feedback = "{old}"'))
    warnings = []
    spec, errors = check_course(folder, warnings.append)
    assert errors == []
    assert spec.parts[KuisPart.filename]["feedback"] == new
    assert any(f'feedback = "{old}" is an earlier name' in w for w in warnings)
