"""Reading GIFT and Moodle XML question files, and writing GIFT.

``parse_file(filename, data)`` turns a file exported by Moodle (or written by hand in
GIFT) into raw questions with the keys of kuis.toml. It tells GIFT from XML by content,
reads all of a file or none of it, and names every problem as ``file:line: message``.
Questions of a type this LMS does not grade (essay, cloze, drag and drop…) are errors,
or with ``skip_unsupported`` are left out and listed. Moodle categories become tags.
``export_gift`` writes the same questions back as GIFT that reads back the same.

Most files under fixtures/moodle/ come from Moodle's own repository (see README.txt);
messages are checked in English.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lms.core.markdown import clean_html, render_inline
from lms.quizzes.moodle import MAX_BYTES, MoodleImportError, Parsed, export_gift, parse_file

FIXTURES = Path(__file__).parent / "fixtures" / "moodle"


@pytest.fixture(scope="module", autouse=True)
def english():
    """gettext needs an app; messages are read in English (the app's default is Indonesian)."""
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(), force_locale("en"):
        yield


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def line_of(name: str, needle: str, occurrence: int = 1) -> int:
    """The line of a fixture where ``needle`` appears for the given time."""
    found = [n for n, line in enumerate((FIXTURES / name).read_text().splitlines(), 1) if needle in line]
    return found[occurrence - 1]


def parse(text: str, filename: str = "bank.gift", **options) -> Parsed:
    return parse_file(filename, text.encode(), **options)


def errors(data: str | bytes, filename: str = "bank.gift", **options) -> list[str]:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(MoodleImportError) as caught:
        parse_file(filename, raw, **options)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


def only(text: str, **options) -> dict:
    parsed = parse(text, **options)
    assert len(parsed.questions) == 1
    return parsed.questions[0]


def by_name(parsed: Parsed) -> dict[str, dict]:
    return {q["name"]: q for q in parsed.questions}


def gift_escape(text: str) -> str:
    for char in "\\~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def shown(markdown: str) -> str:
    """What a reader sees of Markdown: the rendered text without tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", render_inline(markdown))).split())


# --- a real GIFT file exported by Moodle ---------------------------------------------


def test_the_gift_file_from_moodle_refuses_its_essay_by_line():
    assert errors(fixture("questions.gift.txt"), "questions.gift.txt") == [
        "questions.gift.txt:2: unsupported question type essay: question 'Q8' is not graded by this "
        "LMS (remove it, or choose to skip unsupported questions)"
    ]


def test_the_gift_file_from_moodle_reads_every_supported_type_and_lists_the_essay():
    parsed = parse_file("questions.gift.txt", fixture("questions.gift.txt"), skip_unsupported=True)

    assert [(q["line"], q["name"], q["type"]) for q in parsed.questions] == [
        (5, "Moodle activities", "matching"),
        (14, "Q2", "single"),
        (22, "colours", "multiple"),
        (31, "Q5", "numeric"),
        (34, "Shortanswer", "short"),
        (41, "Q1", "truefalse"),
        (46, "2-08 TSL", "truefalse"),
        (49, "2-08 TSL", "truefalse"),
    ]
    assert parsed.skipped == ["questions.gift.txt:2: skipped: essay question 'Q8' is not graded by this LMS"]


def test_gift_matching_converts_each_pair_into_the_question_format_and_keeps_distractors():
    matching = by_name(parse_file("q.gift", fixture("questions.gift.txt"), skip_unsupported=True))[
        "Moodle activities"
    ]

    assert matching["format"] == "html"
    assert matching["text"] == "Match the <b>activity</b> to the description."
    assert [p["answer"] for p in matching["pairs"]] == ["Forum", "Choice", "Database", "Wiki"]
    assert matching["pairs"][2]["text"] == "A bank of record entries which participants can add to."
    assert matching["distractors"] == ["Chat"]


def test_gift_choice_keeps_weights_and_feedback_per_option():
    questions = by_name(parse_file("q.gift", fixture("questions.gift.txt"), skip_unsupported=True))

    single = questions["Q2"]
    assert [(o["text"], o["correct"], o["weight"], o["feedback"]) for o in single["options"]] == [
        ("yellow", True, 1.0, "right; good!"),
        ("red", False, 0.0, "wrong, it's yellow"),
        ("blue", False, 0.0, "wrong, it's yellow"),
    ]
    assert single["format"] == "markdown"
    assert "partial" not in single

    multiple = questions["colours"]
    assert [(o["text"], o["weight"]) for o in multiple["options"]] == [
        ("yellow", 0.5),
        ("red", -1.0),
        ("off-beige", 0.5),
        ("blue", -1.0),
    ]
    assert [o["correct"] for o in multiple["options"]] == [True, False, True, False]
    assert multiple["partial"] is True


def test_gift_text_after_the_answers_makes_a_missing_word_question_as_in_moodle():
    # The file writes ``{#3:2~#Completely wrong}";``: the stray '";' follows the braces.
    numeric = by_name(parse_file("q.gift", fixture("questions.gift.txt"), skip_unsupported=True))["Q5"]

    assert numeric["text"] == 'What is a number from 1 to 5? _____";'
    assert numeric["answers"] == [{"value": 3.0, "tolerance": 2.0, "weight": 1.0, "feedback": ""}]


def test_moodle_catch_all_answers_are_left_out_with_a_warning():
    parsed = parse_file("q.gift", fixture("questions.gift.txt"), skip_unsupported=True)

    assert [a["text"] for a in by_name(parsed)["Shortanswer"]["answers"]] == ["Frog", "Cat"]
    assert by_name(parsed)["Shortanswer"]["answers"][1] == {
        "text": "Cat",
        "weight": 0.5,
        "feedback": "What is it with Moodlers and cats?",
    }
    assert parsed.warnings == [
        "q.gift:31: warning: question 'Q5': the answer '*' (any other answer) is left out, with its "
        "feedback 'Completely wrong': this LMS has no catch-all answer",
        "q.gift:37: warning: question 'Shortanswer': the answer '*' (any other answer) is left out, "
        "with its feedback 'Completely wrong': this LMS has no catch-all answer",
    ]


def test_gift_true_false_feedback_goes_to_the_learner_who_gave_that_answer():
    # {FALSE#for a wrong answer#for a right answer}: a learner who says "true" is wrong.
    parsed = parse_file("q.gift", fixture("questions.gift.txt"), skip_unsupported=True)
    question = by_name(parsed)["Q1"]

    assert question["answer"] is False
    assert question["feedback_true"] == "42 is the Ultimate Answer."
    assert question["feedback_false"] == "You gave the right answer."
    assert question["feedback"] == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert [q["answer"] for q in parsed.questions if q["name"] == "2-08 TSL"] == [True, True]


def test_gift_escapes_and_html_from_a_moodle_category_export():
    parsed = parse_file("c.gift", fixture("questions_in_category.gift.txt"))
    greeting = by_name(parsed)["Greeting"]

    assert greeting["text"] == (
        '<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3" rel="noopener noreferrer">'
        "Listen to this greeting:</a><br><br>What language is being spoken?"
    )
    assert [o["text"] for o in greeting["options"] if o["correct"]] == ["French"]
    # style= is dropped by the sanitiser; "$course$/Default for …" gives no tag.
    assert by_name(parsed)["Moodle acronym"]["text"] == (
        "Moodle is an acronym for <span>Modular Object-Oriented Dynamic Learning Environment</span>."
    )
    assert all(q["tags"] == [] for q in parsed.questions)


# --- real Moodle XML exports ----------------------------------------------------------

MIXED_ESSAY = line_of("moodle-mixed.xml", 'type="essay"')
MIXED_CLOZE = line_of("moodle-mixed.xml", 'type="cloze"')


def test_a_moodle_xml_export_with_essay_and_cloze_is_refused_with_both_lines():
    assert errors(fixture("moodle-mixed.xml"), "mixed.xml") == [
        f"mixed.xml:{MIXED_ESSAY}: unsupported question type essay: "
        "question 'Kappa Essay Question' is not graded by this LMS (remove it, or choose to skip "
        "unsupported questions)",
        f"mixed.xml:{MIXED_CLOZE}: unsupported question type cloze: "
        "question 'cloze question with image' is not graded by this LMS (remove it, or choose to skip "
        "unsupported questions)",
    ]


def test_a_moodle_xml_export_with_skip_unsupported_reads_the_rest_in_file_order():
    parsed = parse_file("mixed.xml", fixture("moodle-mixed.xml"), skip_unsupported=True)

    assert [(q["line"], q["type"]) for q in parsed.questions] == [
        (line_of("moodle-mixed.xml", 'type="multichoice"'), "multiple"),
        (line_of("moodle-mixed.xml", 'type="matching"'), "matching"),
        (line_of("moodle-mixed.xml", 'type="shortanswer"'), "short"),
        (line_of("moodle-mixed.xml", 'type="truefalse"', 1), "truefalse"),
        (line_of("moodle-mixed.xml", 'type="truefalse"', 2), "truefalse"),
        (line_of("moodle-mixed.xml", 'type="truefalse"', 3), "truefalse"),
        (line_of("moodle-mixed.xml", 'type="truefalse"', 4), "truefalse"),
    ]
    assert parsed.skipped == [
        f"mixed.xml:{MIXED_ESSAY}: skipped: essay question 'Kappa Essay Question' is not graded by this LMS",
        f"mixed.xml:{MIXED_CLOZE}: skipped: cloze question "
        "'cloze question with image' is not graded by this LMS",
    ]


def test_categories_become_tags_from_their_last_meaningful_segment():
    parsed = parse_file("n.xml", fixture("nested_categories_with_questions.xml"), skip_unsupported=True)

    assert [(q["name"], q["tags"]) for q in parsed.questions] == [
        ("Iota Question", ["Iota"]),  # $course$/Iota
        ("Kappa Question", ["Kappa"]),  # $course$/Iota/Kappa
        ("Lambda Question", ["Lambda"]),  # $course$/Iota/Kappa/Lambda
        ("Mu Question", ["Mu"]),  # $course$/Iota/Mu
    ]


def test_category_paths_drop_contexts_top_and_default_segments():
    cases = {
        "$course$/top/Keamanan/Phishing": ["Phishing"],
        "$system$/top/Default for System": [],
        "$module$/top/Kuis 1": ["Kuis 1"],
        "$cat1$/Umum/top": ["Umum"],
        "Jaringan//Internet": ["Jaringan/Internet"],  # Moodle writes a '/' in a name as '//'
    }
    for path, tags in cases.items():
        assert only(f"$CATEGORY: {path}\n\nQ {{T}}")["tags"] == tags, path


def test_xml_true_false_questions_keep_their_answer():
    question = parse_file("n.xml", fixture("nested_categories_with_questions.xml"), skip_unsupported=True)
    assert question.questions[0] == {
        "line": 15,
        "name": "Iota Question",
        "type": "truefalse",
        "text": "<p>Testing Iota Question</p>",
        "format": "html",
        "points": 1.0,
        "feedback": "",
        "tags": ["Iota"],
        "answer": True,
        "feedback_true": "",
        "feedback_false": "",
    }


def test_xml_matching_turns_empty_subquestions_into_distractors():
    question = parse_file("m.xml", fixture("match.moodle.xml")).questions[0]

    assert question["pairs"] == [
        {"text": "frog", "answer": "amphibian"},
        {"text": "cat", "answer": "mammal"},
        {"text": "newt", "answer": "amphibian"},
    ]
    assert question["distractors"] == ["insect"]
    assert question["feedback"] == "General feedback."
    assert question["tags"] == ["Test questions"]


def test_xml_short_answers_keep_weights_and_feedback():
    parsed = parse_file("s.xml", fixture("shortanswer.moodle.xml"))
    question = parsed.questions[0]

    assert question["answers"] == [
        {"text": "frog", "weight": 1.0, "feedback": "Frog is a very good answer."},
        {"text": "toad", "weight": 0.8, "feedback": "Toad is an OK good answer."},
    ]
    assert question["ignore_accents"] is False
    star = line_of("shortanswer.moodle.xml", 'fraction="0"')
    assert parsed.warnings == [
        f"s.xml:{star}: warning: question 'shortanswer-001': the answer '*' (any other answer) is "
        "left out, with its feedback 'That is a bad answer.': this LMS has no catch-all answer"
    ]


def test_xml_multichoice_with_single_false_is_a_multiple_choice_with_partial_weights():
    question = parse_file("c.xml", fixture("multichoice.moodle.xml")).questions[0]

    assert question["type"] == "multiple"
    assert question["partial"] is True
    assert [(o["text"], o["weight"]) for o in question["options"] if o["correct"]] == [
        ("London", 0.5),
        ("Paris", 0.5),
    ]
    assert question["feedback"] == "Berlin, Paris and London"


def test_xml_weights_that_do_not_add_up_are_kept_with_a_warning():
    parsed = parse_file("g.xml", fixture("error_invalid_grades.xml"))
    question = parsed.questions[0]

    assert [o["weight"] for o in question["options"]] == [-0.5, 0.33, 0.3333333, -0.5, 0.3333333]
    assert question["options"][1]["text"] == "<p>2<br></p>"  # dir= and style= are dropped
    assert question["name"] == "Question with <strong>invalid grades</strong> : x > 1 & x < 2"
    assert parsed.warnings == [
        "g.xml:4: warning: question 'Question with <strong>invalid grades</strong> : x > 1 & x < 2': "
        "the right options add up to 99.667%, not 100%"
    ]


def test_xml_from_moodle_1_9_trims_its_text_and_drops_the_old_image_field():
    parsed = parse_file("old.xml", fixture("sample_questions_with_old_image_tag.xml"), skip_unsupported=True)
    question = parsed.questions[0]

    assert [o["text"] for o in question["options"]] == [
        "wrong answer",
        "another wrong answer",
        "right answer",
    ]
    assert question["points"] == 1.0
    assert parsed.warnings == [
        f"old.xml:{question['line']}: warning: question 'mcq with image': embedded files dropped "
        "(moodle.png), and the pictures and links showing them removed: add the files to the course "
        "media and link them again"
    ]
    assert parsed.skipped[0].startswith("old.xml:16: skipped: cloze question")


# --- Moodle XML details (handwritten.xml) --------------------------------------------


@pytest.fixture
def handwritten() -> Parsed:
    return parse_file("h.xml", fixture("handwritten.xml"), skip_unsupported=True)


def test_xml_numerical_keeps_points_tolerance_and_tags_and_warns_about_units(handwritten):
    question = by_name(handwritten)["Jarak"]

    assert question["points"] == 2.0
    assert question["answers"] == [
        {"value": 42.0, "tolerance": 0.5, "weight": 1.0, "feedback": "Exactly."},
        {"value": 40.0, "tolerance": 3.0, "weight": 0.5, "feedback": "Close."},
    ]
    assert question["tags"] == ["Phishing", "jarak", "hitung"]
    assert (
        "h.xml:17: warning: question 'Jarak': the units (km) are ignored: the learner types the number only"
        in handwritten.warnings
    )


def test_xml_case_sensitive_short_answers_are_read_ignoring_case_with_a_warning(handwritten):
    assert by_name(handwritten)["Ibu kota"]["answers"][0]["text"] == "Kupang"
    line = line_of("handwritten.xml", 'type="shortanswer"')
    assert (
        f"h.xml:{line}: warning: question 'Ibu kota': "
        "Moodle compared its answers case-sensitively; this LMS ignores case"
    ) in handwritten.warnings


def test_xml_html_is_sanitised_and_embedded_files_are_dropped(handwritten):
    question = by_name(handwritten)["Tautan palsu"]

    assert "<script" not in question["text"] and "alert" not in question["text"]
    assert "onerror" not in question["text"]
    assert "@@PLUGINFILE@@" not in question["text"]
    assert question["text"].startswith("<p>A link  that says it is your bank is safe.")
    # HTML written as entities outside CDATA is HTML all the same.
    assert question["feedback"] == "<p>Check the address: R&amp;D &amp; friends.</p>"
    assert question["answer"] is False
    assert question["feedback_true"] == "<p>No: anyone can write that.</p>"
    assert question["feedback_false"] == "<p>Right.</p>"
    line = line_of("handwritten.xml", 'type="truefalse"')
    assert (
        f"h.xml:{line}: warning: question 'Tautan palsu': embedded files dropped (logo.png), and the "
        "pictures and links showing them removed: add the files to the course media and link them again"
    ) in handwritten.warnings


def test_xml_links_to_missing_moodle_files_keep_their_words(handwritten):
    question = by_name(handwritten)["Pesan suara"]

    assert question["text"] == "<p>Listen to the message. Who sent it?</p>"
    assert (
        f"h.xml:{question['line']}: warning: question 'Pesan suara': 1 picture(s) or link(s) to Moodle "
        "files removed: the files are not in the export"
    ) in handwritten.warnings


def test_xml_single_choice_with_partial_credit_stays_single_with_its_weights(handwritten):
    question = by_name(handwritten)["Pesan suara"]

    assert question["type"] == "single"
    assert [(o["weight"], o["correct"]) for o in question["options"]] == [
        (1.0, True),
        (0.5, True),
        (0.0, False),
    ]


def test_xml_drag_and_drop_is_skipped(handwritten):
    assert handwritten.skipped == [
        f"h.xml:{line_of('handwritten.xml', 'ddwtos')}: skipped: ddwtos question 'Seret kata' is not "
        "graded by this LMS"
    ]


def test_every_unsupported_moodle_type_is_refused():
    types = ["essay", "cloze", "multianswer", "ddwtos", "ddimageortext", "ddmarker", "gapselect"]
    types += ["calculated", "calculatedsimple", "calculatedmulti", "randomsamatch", "description"]
    types += ["random", "ordering"]
    body = "".join(f'<question type="{t}"><name><text>{t}</text></name></question>\n' for t in types)

    found = errors(f"<quiz>\n{body}</quiz>", "u.xml")

    assert [e.split(": ", 2)[1] for e in found] == [f"unsupported question type {t}" for t in types]
    assert [e.split(":")[1] for e in found] == [str(n) for n in range(2, 2 + len(types))]


# --- GIFT, feature by feature ---------------------------------------------------------


def test_gift_questions_are_separated_by_blank_lines_and_comments_are_ignored():
    parsed = parse(
        "// a comment\n::T1:: Grant is buried in Grant's tomb.{FALSE}\n\n"
        "// another\n::T2::\nThe sun rises in the east.\n{TRUE}\n"
    )
    assert [(q["line"], q["name"], q["answer"]) for q in parsed.questions] == [
        (2, "T1", False),
        (5, "T2", True),
    ]


def test_gift_missing_word_shows_the_gap():
    question = only("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question["text"] == "Grant is _____ in Grant's tomb."
    assert question["type"] == "single"
    assert question["name"] == ""


def test_gift_true_false_forms():
    assert [q["answer"] for q in parse("a{T}\n\nb{F}\n\nc{TRUE}\n\nd{FALSE}").questions] == [
        True,
        False,
        True,
        False,
    ]
    question = only("::Q:: 1+1=2 {T#No, it is.#Yes.}")
    assert (question["feedback_true"], question["feedback_false"]) == ("Yes.", "No, it is.")


def test_gift_short_answer_lists_every_accepted_answer():
    question = only("Two plus two is {=four =4 =%50%empat#Almost: in English?}.")
    assert question["type"] == "short"
    assert question["text"] == "Two plus two is _____."
    assert question["answers"] == [
        {"text": "four", "weight": 1.0, "feedback": ""},
        {"text": "4", "weight": 1.0, "feedback": ""},
        {"text": "empat", "weight": 0.5, "feedback": "Almost: in English?"},
    ]


def test_gift_numeric_forms():
    assert only("Pi? {#3.14:0.01}")["answers"] == [
        {"value": 3.14, "tolerance": 0.01, "weight": 1.0, "feedback": ""}
    ]
    assert only("1 to 5? {#1..5}")["answers"] == [{"min": 1.0, "max": 5.0, "weight": 1.0, "feedback": ""}]
    assert only("Three? {#=%100%3:0#Exact =%50%3:1#Close}")["answers"] == [
        {"value": 3.0, "tolerance": 0.0, "weight": 1.0, "feedback": "Exact"},
        {"value": 3.0, "tolerance": 1.0, "weight": 0.5, "feedback": "Close"},
    ]
    assert only("Below zero? {#-5..-1}")["answers"][0] == {
        "min": -5.0,
        "max": -1.0,
        "weight": 1.0,
        "feedback": "",
    }


def test_gift_numbers_with_a_decimal_comma_are_read_with_a_warning():
    parsed = parse("::Tinggi:: How tall? {#3,5:0,1}")
    assert parsed.questions[0]["answers"][0] == {
        "value": 3.5,
        "tolerance": 0.1,
        "weight": 1.0,
        "feedback": "",
    }
    assert parsed.warnings == [
        "bank.gift:1: warning: question 'Tinggi': '3,5' is read as 3.5",
        "bank.gift:1: warning: question 'Tinggi': '0,1' is read as 0.1",
    ]


def test_gift_matching():
    question = only("Match: {=cat -> cat food =dog -> dog food = -> fish food}")
    assert question["pairs"] == [{"text": "cat", "answer": "cat food"}, {"text": "dog", "answer": "dog food"}]
    assert question["distractors"] == ["fish food"]


def test_gift_general_feedback_and_escapes():
    question = only(r"::a\:b:: Is 1 \= 1 \{really\}? {T####See \#1 \~ \\ done}")
    assert question["name"] == "a:b"
    assert question["text"] == "Is 1 = 1 {really}?"
    assert question["feedback"] == r"See #1 ~ \\ done"  # a plain backslash is escaped for Markdown


def test_gift_plain_text_stays_plain_when_shown():
    question = only("::P:: Use *stars*, _under_ <b>tags</b> & [links](x)\n# not a heading {T}")
    assert question["format"] == "markdown"
    assert shown(question["text"]) == "Use *stars*, _under_ <b>tags</b> & [links](x) # not a heading"
    assert "<b>" not in render_inline(question["text"])


def test_gift_markdown_is_kept_as_written_and_html_is_sanitised():
    assert only("[markdown]Is **this** bold? {T}")["text"] == "Is **this** bold?"
    question = only(
        '[html]<p onclick="x()">Safe?<script>alert(1)</script><img src=y onerror=alert(2)></p>{F}'
    )
    assert question["format"] == "html"
    assert (
        "script" not in question["text"]
        and "onerror" not in question["text"]
        and "onclick" not in question["text"]
    )


def test_gift_options_in_another_format_are_converted_into_the_question_format():
    question = only("[markdown]Pick {=[html]<b>bold</b> ~[plain]*stars*}")
    assert [o["text"] for o in question["options"]] == ["<b>bold</b>", r"\*stars\*"]


def test_gift_tags_come_from_the_category_and_from_tag_comments():
    parsed = parse("$CATEGORY: $course$/top/Keamanan\n\n// [id:q1] [tag:sandi] [tag:dasar]\nQ {T}\n\nR {F}")
    assert [q["tags"] for q in parsed.questions] == [["Keamanan", "sandi", "dasar"], ["Keamanan"]]


def test_descriptions_and_essays_are_unsupported_in_gift():
    parsed = parse(
        "::Intro:: Read this first.\n\n::E:: Explain. {}\n\n::Q:: Sure? {T}", skip_unsupported=True
    )
    assert [q["name"] for q in parsed.questions] == ["Q"]
    assert parsed.skipped == [
        "bank.gift:1: skipped: description question 'Intro' is not graded by this LMS",
        "bank.gift:3: skipped: essay question 'E' is not graded by this LMS",
    ]


def test_extra_tag_is_added_to_every_question_once():
    parsed = parse("$CATEGORY: Impor\n\nA {T}\n\nB {F}", extra_tag="Impor")
    assert [q["tags"] for q in parsed.questions] == [["Impor"], ["Impor"]]
    assert parse("A {T}", extra_tag=" Moodle 2024 ").questions[0]["tags"] == ["Moodle 2024"]


# --- errors: file:line, all of them, and nothing else ---------------------------------


def test_an_unclosed_brace_is_reported_where_it_opens():
    assert errors("::A:: ok {T}\n\n::B:: Pick\n{=one\n~two") == [
        "bank.gift:4: the answer block opened here with '{' is not closed with '}'"
    ]


def test_a_closing_brace_without_an_opening_one():
    assert errors("::A:: What } is this {T}") == [
        "bank.gift:1: '}' without an opening '{': write \\} for a literal brace"
    ]


def test_braces_inside_or_after_the_answer_block():
    assert errors("Set {1, 2} has {=two ~three}") == [
        "bank.gift:1: a question has one answer block { }: write \\{ and \\} for literal braces"
    ]
    assert errors("Pick {=a {b} ~c}")[0].startswith("bank.gift:1: the answer block opened here is not closed")


def test_matching_without_arrow_is_reported_on_the_line_of_the_pair():
    assert errors("::M:: Match {\n=cat -> cat food\n=dog dog food\n}") == [
        "bank.gift:3: matching pair 'dog dog food' has no '->' between the item and its match"
    ]


def test_a_numeric_answer_that_is_not_a_number():
    assert errors("::N:: How many?\n{#\n=%100%three:0\n}") == [
        "bank.gift:3: question 'N': 'three' is not a number"
    ]
    assert errors("::N:: Range {#5..1}") == ["bank.gift:1: question 'N': the range 5..1 runs backwards"]


def test_other_gift_syntax_errors():
    assert errors("::Unclosed title {T}") == [
        "bank.gift:1: the question title opened with '::' is not closed with '::'"
    ]
    assert errors("W {=a ~%150%b}") == ["bank.gift:1: the weight 150% is outside -100..100"]
    assert errors("::One:: Only {=a ~}") == ["bank.gift:1: question 'One': an option has no text"]
    assert errors("::Short:: Name it {=}") == ["bank.gift:1: question 'Short': an answer has no text"]


def test_one_file_is_all_or_nothing_and_every_error_is_listed():
    text = "::Good:: Fine {T}\n\n::Bad1:: Broken {=a\n\n::Good2:: Fine {F}\n\n::Bad2:: Essay {}"
    with pytest.raises(MoodleImportError) as caught:
        parse(text)
    assert caught.value.errors == [
        "bank.gift:3: the answer block opened here with '{' is not closed with '}'",
        "bank.gift:7: unsupported question type essay: question 'Bad2' is not graded by this LMS "
        "(remove it, or choose to skip unsupported questions)",
    ]


def test_xml_that_is_not_well_formed_reports_its_line():
    assert errors("<?xml version='1.0'?>\n<quiz>\n<question type='truefalse'>\n</quiz>\n", "x.xml") == [
        "x.xml:4: not valid XML: mismatched tag"
    ]


def test_xml_errors_in_answers_are_reported_on_their_line():
    text = """<quiz>
<question type="multichoice"><name><text>M</text></name>
<answer fraction="lots"><text>a</text></answer>
<answer fraction="250"><text>b</text></answer>
</question>
<question type="truefalse"><name><text>T</text></name>
<answer fraction="100"><text>yes</text></answer>
</question>
<question><name><text>X</text></name></question>
</quiz>"""
    assert errors(text, "x.xml") == [
        "x.xml:3: question 'M': 'lots' is not a number",
        "x.xml:4: question 'M': the fraction 250 is outside -100..100",
        "x.xml:6: question 'T': a true/false question needs a 'true' and a 'false' answer",
        "x.xml:9: a <question> has no type",
    ]


def test_xml_with_another_root_is_not_a_question_file():
    assert errors("<?xml version='1.0'?>\n<rss></rss>", "x.xml") == [
        "x.xml:2: the root element is <rss>, not <quiz>: this is not a Moodle XML question file"
    ]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE quiz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="truefalse"><name><text>&lol3;</text></name></question></quiz>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="shortanswer"><name><text>&secret;</text></name></question></quiz>"""


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, XXE, '<!DOCTYPE quiz SYSTEM "http://x/q.dtd">\n<quiz/>']
)
def test_a_doctype_is_refused_before_any_entity_is_read(document):
    found = errors(document, "evil.xml")
    assert len(found) == 1
    assert re.fullmatch(r"evil\.xml:[12]: the file has a <!DOCTYPE>: .*; remove it", found[0])


def test_files_that_are_not_question_files():
    assert errors(b"", "e.gift") == ["e.gift:1: the file is empty"]
    assert errors(b"\xef\xbb\xbf \n\n", "e.gift") == ["e.gift:1: the file is empty"]
    assert errors("Just some notes\nwithout any answers.", "n.txt") == [
        "n.txt:1: the file is neither GIFT nor Moodle XML: export the questions from Moodle in one of those formats"
    ]
    assert errors("<!DOCTYPE html>\n<html><style>p {color: red}</style></html>", "p.html")[0].startswith(
        "p.html:1: the file is neither GIFT nor Moodle XML"
    )
    assert errors(b"PK\x03\x04rest of a zip", "backup.mbz") == [
        "backup.mbz:1: the file is a compressed archive (a Moodle backup?), not a GIFT or Moodle XML question file"
    ]
    assert errors("<quiz>\n</quiz>", "q.xml") == ["q.xml:1: the file holds no questions"]


def test_a_file_that_is_not_utf8_names_the_line():
    data = b"::A:: Satu {T}\n\n::B:: Dua {F}\n" + "::C:: Café {T}".encode("latin-1")
    assert errors(data, "latin.gift") == [
        "latin.gift:4: the file is not UTF-8 text: export or save it again as UTF-8"
    ]


def test_a_file_over_the_size_cap_is_refused_unread():
    data = b"Q {T}\n\n" * (MAX_BYTES // 7 + 1)
    assert errors(data, "big.gift") == [
        "big.gift:1: the file is larger than 5 MB: export the question bank in smaller parts"
    ]


# --- encodings and line endings -------------------------------------------------------


def questions_without_lines(parsed: Parsed) -> list[dict]:
    return [{k: v for k, v in q.items() if k != "line"} for q in parsed.questions]


def test_utf8_bom_and_crlf_read_as_plain_utf8():
    plain = fixture("questions_in_category.gift.txt")
    windows = b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n")

    assert parse_file("w.gift", windows).questions == parse_file("w.gift", plain).questions


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_xml_reads_like_utf8_with_the_same_lines(codec):
    text = fixture("moodle-mixed.xml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    utf8 = parse_file("m.xml", fixture("moodle-mixed.xml"), skip_unsupported=True)

    utf16 = parse_file("m.xml", text.replace("\n", "\r\n").encode(codec), skip_unsupported=True)

    assert utf16.questions == utf8.questions
    assert utf16.skipped == utf8.skipped


def test_content_decides_the_format_not_the_file_name():
    assert parse_file("questions.txt", fixture("match.moodle.xml")).questions[0]["type"] == "matching"
    assert parse_file("bank.xml", b"::Q:: Sure? {T}").questions[0]["type"] == "truefalse"


# --- writing GIFT ---------------------------------------------------------------------


_TAG = re.compile(r'<(\w+)((?:\s+[\w-]+="[^"]*")*)\s*>')
_ATTRIBUTE = re.compile(r'\s+[\w-]+="[^"]*"')


def _sort_tag(match: re.Match) -> str:
    return "<" + match[1] + "".join(sorted(_ATTRIBUTE.findall(match[2]))) + ">"


def sorted_attributes(value):
    """The sanitiser writes an element's attributes in no fixed order."""
    if isinstance(value, str):
        return _TAG.sub(_sort_tag, value)
    if isinstance(value, list):
        return [sorted_attributes(v) for v in value]
    if isinstance(value, dict):
        return {k: sorted_attributes(v) for k, v in value.items()}
    return value


def strip_positions(questions: list[dict]) -> list[dict]:
    """What GIFT carries: everything but the line and the points."""
    return sorted_attributes([{k: v for k, v in q.items() if k not in ("line", "points")} for q in questions])


def round_trip(questions: list[dict], **options) -> list[dict]:
    return parse_file("export.gift", export_gift(questions, **options).encode()).questions


def test_export_writes_gift_that_moodle_reads():
    questions = [
        {
            "name": "Warna",
            "type": "single",
            "text": "Between orange and green?",
            "format": "markdown",
            "feedback": "See the rainbow.",
            "tags": ["Dasar", "warna"],
            "options": [
                {"text": "yellow", "correct": True, "weight": 1.0, "feedback": "Right: good!"},
                {"text": "red", "correct": False, "weight": 0.0, "feedback": ""},
                {"text": "blue", "correct": False, "weight": -0.5, "feedback": "No."},
            ],
        },
        {"id": "q2", "type": "truefalse", "text": "1 + 1 = 2", "answer": True, "feedback_false": "It is."},
    ]

    assert export_gift(questions, category="Pelatihan") == (
        "$CATEGORY: Pelatihan/Dasar\n\n"
        "// [tag:warna]\n"
        "::Warna::[markdown]Between orange and green?{\n"
        "\t=yellow#Right\\: good!\n"
        "\t~red\n"
        "\t~%-50%blue#No.\n"
        "\t####See the rainbow.\n"
        "}\n\n"
        "$CATEGORY: Pelatihan\n\n"
        "::q2::[markdown]1 + 1 \\= 2{\n"
        "\tTRUE#It is.#\n"
        "}\n"
    )


def test_export_then_parse_gives_back_the_gift_fixture():
    original = parse_file("q.gift", fixture("questions.gift.txt"), skip_unsupported=True).questions
    assert strip_positions(round_trip(original)) == strip_positions(original)


def test_export_then_parse_gives_back_the_xml_fixtures():
    for name in ["moodle-mixed.xml", "handwritten.xml", "error_invalid_grades.xml"]:
        original = parse_file(name, fixture(name), skip_unsupported=True).questions
        assert strip_positions(round_trip(original)) == strip_positions(original), name


def test_export_of_kuis_toml_questions_without_weights():
    questions = [
        {
            "id": "q1",
            "type": "multiple",
            "text": "Which are passwords done right?",
            "options": [
                {"text": "long", "correct": True},
                {"text": "unique", "correct": True},
                {"text": "written on the screen", "correct": False},
            ],
        },
        {"id": "q2", "type": "short", "text": "Capital of NTT?", "answers": ["Kupang"]},
    ]

    back = round_trip(questions)

    assert [o["weight"] for o in back[0]["options"]] == [0.5, 0.5, -1.0]
    assert back[1]["answers"] == [{"text": "Kupang", "weight": 1.0, "feedback": ""}]
    assert [q["name"] for q in back] == ["q1", "q2"]


def test_export_keeps_texts_that_look_like_gift_markup():
    question = {
        "type": "single",
        "text": "[html] is not a prefix here",
        "options": [
            {"text": "%50% of it", "correct": True, "weight": 1.0, "feedback": ""},
            {"text": "[plain]x", "correct": False, "weight": 0.0, "feedback": "%0%"},
        ],
    }
    back = round_trip([question])[0]
    assert back["text"] == "[html] is not a prefix here"
    assert [o["text"] for o in back["options"]] == ["%50% of it", "[plain]x"]


def test_export_writes_an_arrow_where_gift_reads_one_as_markup_as_an_entity():
    matching = {
        "type": "matching",
        "text": "m",
        "pairs": [{"text": "a -> b", "answer": "1"}, {"text": "c", "answer": "2"}],
    }
    short = {"type": "short", "text": "s", "answers": [{"text": "x", "weight": 1.0, "feedback": "x -> y"}]}

    back = round_trip([matching, short])

    assert back[0]["pairs"][0] == {"text": "a -&gt; b", "answer": "1"}
    assert (back[1]["type"], back[1]["answers"][0]["feedback"]) == ("short", "x -&gt; y")
    assert shown("a -&gt; b") == "a -> b"


def test_export_rejects_what_gift_cannot_hold():
    with pytest.raises(ValueError):
        export_gift([{"type": "essay", "text": "Explain."}])
    with pytest.raises(ValueError):
        export_gift([{"type": "short", "text": "Arrow?", "answers": ["->"]}])


def test_html_is_written_so_that_reading_it_again_changes_nothing():
    text = clean_html('<p>A <a href="https://x.id">link</a> & <img src="a.png" alt="a"></p>')
    back = round_trip([{"type": "truefalse", "format": "html", "text": text, "answer": True}])[0]["text"]
    assert sorted_attributes(back) == sorted_attributes(text)


# --- properties -----------------------------------------------------------------------

ALPHABET = st.sampled_from(list("abcXYZ09 éñ") + list("~=#{}:\\[]%-<>&*_!`.+|\n"))
TEXT = st.text(ALPHABET, min_size=1, max_size=25).map(str.strip).filter(bool)
# An item's "->" would end it, and '*' alone is Moodle's catch-all.
ITEM_TEXT = TEXT.map(lambda t: t.replace(">", "")).filter(lambda t: t.strip() and t.strip() == t)
ANSWER_TEXT = ITEM_TEXT.filter(lambda t: t != "*")
MAYBE_TEXT = st.one_of(st.just(""), TEXT)
ITEM_FEEDBACK = st.one_of(st.just(""), ITEM_TEXT)
WEIGHTS = st.sampled_from([-1.0, -0.5, 0.0, 0.07, 0.25, 0.3333333, 0.5, 0.8, 1.0])
TAG = (
    st.text(st.sampled_from(list("abcXYZ09 -/é")), min_size=1, max_size=12)
    .map(str.strip)
    # A leading '/' would run into the category path's own separator.
    .filter(
        lambda t: (
            t and not t.startswith("/") and t.lower() != "top" and not t.lower().startswith("default for")
        )
    )
)
NUMBER = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


def option(weight: float):
    return st.builds(
        lambda text, feedback: {"text": text, "correct": weight > 0, "weight": weight, "feedback": feedback},
        TEXT,
        MAYBE_TEXT,
    )


@st.composite
def choice_question(draw):
    kind = draw(st.sampled_from(["single", "multiple"]))
    weights = draw(st.lists(WEIGHTS, min_size=2, max_size=5))
    if kind == "single":
        weights[draw(st.integers(0, len(weights) - 1))] = 1.0
    extra = {"partial": True} if kind == "multiple" else {}
    return {"type": kind, "options": [draw(option(w)) for w in weights], **extra}


@st.composite
def numeric_answer(draw):
    weight = draw(WEIGHTS)
    feedback = draw(MAYBE_TEXT)
    if draw(st.booleans()):
        low, high = sorted([draw(NUMBER), draw(NUMBER)])
        return {"min": low, "max": high, "weight": weight, "feedback": feedback}
    tolerance = draw(st.floats(min_value=0, max_value=1e6))
    return {"value": draw(NUMBER), "tolerance": tolerance, "weight": weight, "feedback": feedback}


TYPED_PARTS = st.one_of(
    choice_question(),
    st.builds(
        lambda answer, on_true, on_false: {
            "type": "truefalse",
            "answer": answer,
            "feedback_true": on_true,
            "feedback_false": on_false,
        },
        st.booleans(),
        MAYBE_TEXT,
        MAYBE_TEXT,
    ),
    st.builds(
        lambda answers: {"type": "short", "answers": answers, "ignore_accents": False},
        st.lists(
            st.builds(
                lambda t, w, f: {"text": t, "weight": w, "feedback": f}, ANSWER_TEXT, WEIGHTS, ITEM_FEEDBACK
            ),
            min_size=1,
            max_size=4,
        ),
    ),
    st.builds(
        lambda a: {"type": "numeric", "answers": a}, st.lists(numeric_answer(), min_size=1, max_size=3)
    ),
    st.builds(
        lambda pairs, distractors: {"type": "matching", "pairs": pairs, "distractors": distractors},
        st.lists(st.builds(lambda t, a: {"text": t, "answer": a}, ITEM_TEXT, TEXT), min_size=2, max_size=4),
        st.lists(TEXT, max_size=2),
    ),
)


@st.composite
def question(draw):
    parts = draw(TYPED_PARTS)
    common = {
        "name": draw(MAYBE_TEXT),
        "type": parts["type"],
        "text": draw(MAYBE_TEXT),
        "format": "markdown",
        "feedback": draw(MAYBE_TEXT),
        "tags": draw(st.lists(TAG, max_size=3, unique=True)),
    }
    return {**common, **parts}


@settings(max_examples=300, deadline=None)
@given(st.lists(question(), min_size=1, max_size=4), st.one_of(st.none(), st.just("Bank/Impor")))
def test_export_then_parse_gives_back_every_type(questions, category):
    back = round_trip(questions, category=category)

    # The category holds the untagged questions, so its last segment becomes their tag.
    expected = [{**closed(q), "tags": q["tags"] or (["Impor"] if category else [])} for q in questions]
    assert strip_positions(back) == strip_positions(expected)


def closed(question: dict) -> dict:
    """The question as the importer reads it: a multiple-response question whose every box
    ticked earns full marks gets its 0% options weighed -1/k."""
    options = question.get("options")
    if question["type"] != "multiple" or sum(o["weight"] for o in options) < 1:
        return question
    right = sum(1 for o in options if o["weight"] > 0)
    if not right or not any(o["weight"] == 0 for o in options):
        return question
    return {**question, "options": [{**o, "weight": -1 / right} if o["weight"] == 0 else o for o in options]}


def test_a_multiple_response_question_ticked_whole_for_full_marks_gets_negative_wrong_options():
    question = only("Pick {~%50%a ~%50%b ~c ~d}")
    assert [o["weight"] for o in question["options"]] == [0.5, 0.5, -0.5, -0.5]


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("ab1 ") + list("*_`[]()#+-.!<>&;=|~\\\n:{}")), max_size=40))
@example("&#1")  # HTML reads a numeric reference even without its ';'
@example("1. not a list\n- nor this\n===\n> nor a quote")
def test_plain_gift_text_shows_exactly_as_written(text):
    question = only(f"::P::[plain]{gift_escape(text)} {{T}}")

    assert shown(question["text"]) == " ".join(text.split())
    assert set(re.findall(r"<(\w+)", render_inline(question["text"]))) <= {"br", "p"}
