"""GIFT and Moodle XML question files: read them into raw questions, write GIFT.

Trainers bring question banks over from Moodle. ``parse_file`` reads a GIFT text file or
a Moodle XML export (told apart by content, not by name) into question dicts with the
keys a kuis.toml author writes; another module validates them as it validates kuis.toml.
Reading is all or nothing: every problem found is raised together in one
``MoodleImportError``, each as ``file:line: message``, and no partial result is returned.
Nothing here touches the database; messages go through Flask-Babel's ``gettext``.

Choices made where the formats say more than this LMS can hold:

* Categories become tags. Of ``$course$/top/Keamanan/Phishing`` the context prefixes
  (``$course$``, ``$system$``, ``$cat1$`` …), ``top`` and ``Default for …`` segments are
  dropped and only the last remaining segment, ``Phishing``, becomes a tag (``//`` in a
  Moodle category name is a literal ``/``). The full path is not kept as a second tag:
  tags are short words a trainer filters by, and a path tag would repeat the same
  information in a form nobody types. The category tag comes first, then Moodle
  ``<tags>`` (XML) or ``// [tag:x]`` comments (GIFT), then the caller's ``extra_tag``.
* Text formats. Moodle XML ``html`` and ``moodle_auto_format`` text becomes
  ``format = "html"``, sanitised by ``lms.core.markdown.clean_html``; ``markdown`` stays
  Markdown; ``plain_text`` becomes Markdown with its special characters escaped so it
  shows as written. In GIFT ``[html]`` gives html, ``[markdown]`` Markdown, and
  ``[plain]``, ``[moodle]`` or no prefix escaped Markdown. Options and feedback with a
  prefix of their own are converted into the question's format.
* Files embedded in Moodle XML (base64 ``<file>``, the old ``<image_base64>``) are
  dropped with a warning, and the ``@@PLUGINFILE@@`` pictures and links that showed
  them are removed, since they would be broken.
* Moodle's catch-all answer ``*`` (short answer, numerical, GIFT ``{#…~#feedback}``) has
  no equivalent here: it is left out with a warning. Combined feedback (correct /
  partially correct / incorrect), hints, penalties and units are not kept either;
  units and case-sensitive short answers (``usecase`` 1) are warned about.
* Missing-word GIFT questions (answers in the middle of the text) become the type of
  their answers, with the gap shown as ``_____``; Moodle does the same.

``export_gift`` writes questions of the same shape back as GIFT that Moodle imports and
that ``parse_file`` reads back to the same questions. GIFT has no points, so they are
not written. The first tag becomes a ``$CATEGORY:`` line (under ``category`` when given)
and the other tags ``// [tag:…]`` comments, the form Moodle's own GIFT export uses.
GIFT cannot say "->" inside a matching item or a short answer's feedback (it would end
the item, or make the question a matching one): there it is written ``-&gt;``, which
shows the same; a short answer containing "->" cannot be written at all (ValueError).
"""

from __future__ import annotations

import codecs
import html
import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from flask_babel import gettext as _

from lms.core.markdown import clean_html, render_inline

MAX_BYTES = 5 * 1024 * 1024
QUESTION_TYPES = ("single", "multiple", "truefalse", "short", "numeric", "matching")
BLANK = "_____"
# Where a missing-word gap goes while the text around it is converted.
_BLANK_MARK = "\ue000"
# Written when untagged questions follow tagged ones and no category was given: its
# "Default for" segment makes parse_file give such questions no tag again.
UNTAGGED_CATEGORY = "Default for imported questions"
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!")


@dataclass
class Parsed:
    questions: list[dict]
    skipped: list[str]
    warnings: list[str]


class MoodleImportError(Exception):
    """Every error found in one file; ``errors`` holds them as ``file:line: message``."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


class _Report:
    def __init__(self, filename: str):
        self.filename = filename
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.skipped: list[str] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(f"{self.filename}:{line}: {message}")

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{self.filename}:{line}: " + _("warning: %(message)s", message=message))

    def unsupported(self, line: int, kind: str, name: str, skip: bool) -> None:
        if skip:
            self.skipped.append(
                f"{self.filename}:{line}: "
                + _("skipped: %(type)s question '%(name)s' is not graded by this LMS", type=kind, name=name)
            )
        else:
            self.error(
                line,
                _(
                    "unsupported question type %(type)s: question '%(name)s' is not graded by this "
                    "LMS (remove it, or choose to skip unsupported questions)",
                    type=kind,
                    name=name,
                ),
            )


# --- reading: the file ----------------------------------------------------------------


def parse_file(
    filename: str, data: bytes, *, skip_unsupported: bool = False, extra_tag: str | None = None
) -> Parsed:
    """The questions of a GIFT or Moodle XML file, or ``MoodleImportError`` with every error."""
    report = _Report(filename)
    questions: list[dict] = []
    text = _decode(data, report)
    if text is not None:
        kind = _kind_of(text)
        if kind == "xml":
            questions = _XmlReader(report, skip_unsupported).read(text)
        elif kind == "gift":
            questions = _GiftReader(report, skip_unsupported).read(text)
        else:
            report.error(
                1,
                _(
                    "the file is neither GIFT nor Moodle XML: export the questions from Moodle "
                    "in one of those formats"
                ),
            )
    if not report.errors and not questions and not report.skipped:
        report.error(1, _("the file holds no questions"))
    for question in questions:
        _close_tick_all(question, report)
    if report.errors:
        raise MoodleImportError(report.errors)
    tag = (extra_tag or "").strip()
    if tag:
        for question in questions:
            question["tags"] = _unique([*question["tags"], tag])
    return Parsed(questions=questions, skipped=report.skipped, warnings=report.warnings)


def _close_tick_all(question: dict, report: _Report) -> None:
    """Moodle lets wrong options of a multiple-response question weigh 0%, so ticking every
    box earns full marks there. Here such options take off 1/k each (k the correct ones),
    the rule this LMS uses when no weights are given, and the trainer is told."""
    if question["type"] != "multiple":
        return
    options = question["options"]
    if sum(o["weight"] for o in options) < 1:
        return
    right = sum(1 for o in options if o["weight"] > 0)
    zero = [o for o in options if o["weight"] == 0]
    if not right or not zero:
        return
    for option in zero:
        option["weight"] = -1 / right
    report.warn(
        question["line"],
        _(
            "'%(name)s': ticking every option would earn full marks, so the options worth "
            "0%% in Moodle now take off %(share)s each",
            name=question.get("name") or question["text"][:40],
            share=f"{100 / right:.4g}%",
        ),
    )


def _decode(data: bytes, report: _Report) -> str | None:
    if len(data) > MAX_BYTES:
        report.error(
            1,
            _(
                "the file is larger than %(size)d MB: export the question bank in smaller parts",
                size=MAX_BYTES // (1024 * 1024),
            ),
        )
        return None
    if data.startswith(_ARCHIVE_MAGIC):
        report.error(
            1,
            _("the file is a compressed archive (a Moodle backup?), not a GIFT or Moodle XML question file"),
        )
        return None
    text = _decode_text(data, report)
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        report.error(1, _("the file is empty"))
        return None
    return text


def _utf16_codec(data: bytes) -> str | None:
    """Moodle on Windows (and Notepad's "Unicode") writes UTF-16; XML says so in its
    first bytes even without a byte order mark."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data[:2] == b"<\x00":
        return "utf-16-le"
    if data[:2] == b"\x00<":
        return "utf-16-be"
    return None


def _decode_text(data: bytes, report: _Report) -> str | None:
    codec = _utf16_codec(data)
    if codec:
        try:
            return data.decode(codec).lstrip("\ufeff")
        except UnicodeDecodeError:
            report.error(1, _("the file starts as UTF-16 text but is not valid UTF-16"))
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.error(line, _("the file is not UTF-8 text: export or save it again as UTF-8"))
        return None


def _kind_of(text: str) -> str | None:
    head = text.lstrip().lower()
    if "\x00" in text or head.startswith(("<html", "<!doctype html")):
        return None
    # "<!" too: a DOCTYPE must reach the XML reader, which refuses it.
    if head.startswith(("<?xml", "<quiz", "<!")):
        return "xml"
    return "gift" if "{" in text else None


# --- reading: shared rules ------------------------------------------------------------

_CONTEXT_SEGMENT = re.compile(r"\$[A-Za-z0-9_]+\$")
_CATEGORY_SEPARATOR = re.compile(r"(?<!/)/(?!/)")


def _category_tags(path: str) -> list[str]:
    segments = [s.replace("//", "/").strip() for s in _CATEGORY_SEPARATOR.split(path.strip())]
    meaningful = [
        s
        for s in segments
        if s
        and not _CONTEXT_SEGMENT.fullmatch(s)
        and s.lower() != "top"
        and not s.lower().startswith("default for")
    ]
    return meaningful[-1:]


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in tags if t))


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def _parse_number(text: str) -> tuple[float | None, bool]:
    """The number and whether it was written with a decimal comma."""
    raw = text.strip()
    if not _NUMBER.fullmatch(raw):
        return None, False
    value = float(raw.replace(",", "."))
    return (value, "," in raw) if math.isfinite(value) else (None, False)


_MD_INLINE = re.compile(r"([\\`*\[\]])")
# Python-Markdown leaves an underscore inside a word alone.
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# A numeric reference counts even without its ";" in HTML.
_MD_ENTITY = re.compile(r"&(?=#|[A-Za-z0-9]+;)")
_MD_LINE_START = re.compile(r"^([#>]|[-+](?=\s|$|[-+])|\d+(?=\.(\s|$)))")


def _plain_to_markdown(text: str) -> str:
    """Plain text as Markdown that shows it as written, escaping only what Markdown
    would read as markup so the text stays readable in the editor."""
    lines = []
    for line in text.split("\n"):
        line = _MD_INLINE.sub(r"\\\1", line.strip())
        line = _MD_UNDERSCORE.sub(r"\\_", line)
        line = _MD_ENTITY.sub("&amp;", line).replace("<", "&lt;")
        if re.fullmatch(r"=+", line):
            line = "&#61;" + line[1:]
        else:
            line = _MD_LINE_START.sub(_escape_line_start, line)
        lines.append(line)
    # Two spaces keep a line break inside a paragraph.
    return "  \n".join(lines)


def _escape_line_start(match: re.Match) -> str:
    marker = match.group(1)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


def _convert(text: str, source: str, target: str) -> str:
    """Text in a Moodle format (html, moodle, plain, markdown) as html or markdown."""
    if not text:
        return ""
    if target == "html":
        if source == "html":
            return clean_html(text)
        if source == "markdown":
            return render_inline(text)
        if source == "moodle":
            return clean_html(text.replace("\n", "<br>"))
        return html.escape(text, quote=False).replace("\n", "<br>")
    if source == "markdown":
        return text
    if source == "html":
        return clean_html(text)
    return _plain_to_markdown(text)


def _check_weights(report: _Report, line: int, question: dict) -> None:
    weights = [o["weight"] for o in question["options"]]
    name = question["name"]
    if question["type"] == "single" and weights and not any(math.isclose(w, 1.0) for w in weights):
        report.warn(
            line,
            _(
                "question '%(name)s': no option is worth 100%%; a single-choice question here "
                "needs exactly one right option",
                name=name,
            ),
        )
    total = sum(w for w in weights if w > 0)
    if question["type"] == "multiple" and weights and abs(total - 1) > 0.0001:
        report.warn(
            line,
            _(
                "question '%(name)s': the right options add up to %(total)s%%, not 100%%",
                name=name,
                total=f"{round(total * 100, 3):g}",
            ),
        )


_ANSWER_KEYS = {"single": "options", "multiple": "options", "short": "answers", "numeric": "answers"}


def _check_has_answers(report: _Report, line: int, question: dict) -> None:
    key = _ANSWER_KEYS.get(question["type"], "pairs")
    if question["type"] != "truefalse" and not question.get(key):
        report.error(line, _("question '%(name)s' has no answers", name=question["name"]))


def _warn_catch_all(report: _Report, line: int, name: str, feedback: str) -> None:
    report.warn(
        line,
        _(
            "question '%(name)s': the answer '*' (any other answer) is left out, with its "
            "feedback '%(feedback)s': this LMS has no catch-all answer",
            name=name,
            feedback=feedback,
        ),
    )


def _warn_wildcard(report: _Report, line: int, name: str, answer: str) -> None:
    if "*" in answer:
        report.warn(
            line,
            _(
                "question '%(name)s': in the answer '%(answer)s' Moodle reads '*' as any text; "
                "this LMS compares it as written",
                name=name,
                answer=answer,
            ),
        )


# --- reading: Moodle XML --------------------------------------------------------------


class _Refused(Exception):
    pass


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def first(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def each(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def value(self, tag: str) -> str:
        """The text directly inside a child element, such as <single>true</single>."""
        child = self.first(tag)
        return child.text.strip() if child else ""

    def inner_text(self) -> str:
        """The text of this element's <text> child, as Moodle nests it."""
        child = self.first("text")
        return child.text.strip() if child else ""

    def walk(self) -> Iterator[_Node]:
        for child in self.children:
            yield child
            yield from child.walk()


class _XmlTree:
    """The document as nodes with line numbers. expat itself never loads an external
    entity; a DOCTYPE (the only place entities can be declared) is refused outright."""

    def __init__(self, text: str, report: _Report):
        self.data = text.encode("utf-8")
        self.report = report
        self.root: _Node | None = None
        self.stack: list[_Node] = []
        # The text is decoded already: this overrides what its declaration says.
        self.parser = expat.ParserCreate(encoding="UTF-8")
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._entity
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text

    def build(self) -> _Node | None:
        try:
            self.parser.Parse(self.data, True)
        except _Refused:
            return None
        except expat.ExpatError as exc:
            self.report.error(
                exc.lineno, _("not valid XML: %(problem)s", problem=expat.ErrorString(exc.code))
            )
            return None
        return self.root

    def _doctype(self, *_args: Any) -> None:
        self.report.error(
            self.parser.CurrentLineNumber,
            _(
                "the file has a <!DOCTYPE>: a Moodle XML export has none, and a DTD can declare "
                "entities that expand without end or read other files; remove it"
            ),
        )
        raise _Refused

    def _entity(self, name: str, *_args: Any) -> None:
        self.report.error(
            self.parser.CurrentLineNumber, _("the file declares the entity '%(name)s'; remove it", name=name)
        )
        raise _Refused

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, attrs, self.parser.CurrentLineNumber)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def _end(self, _tag: str) -> None:
        self.stack.pop()

    def _text(self, data: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(data)


_XML_FORMATS = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain", "markdown": "markdown"}
_PLUGINFILE_IMG = re.compile(r"<img\b[^>]*@@PLUGINFILE@@[^>]*>", re.IGNORECASE)
_PLUGINFILE_LINK = re.compile(r"<a\b[^>]*@@PLUGINFILE@@[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)


class _XmlReader:
    def __init__(self, report: _Report, skip_unsupported: bool):
        self.report = report
        self.skip = skip_unsupported

    def read(self, text: str) -> list[dict]:
        root = _XmlTree(text, self.report).build()
        if root is None:
            return []
        if root.tag != "quiz":
            self.report.error(
                root.line,
                _(
                    "the root element is <%(tag)s>, not <quiz>: this is not a Moodle XML question file",
                    tag=root.tag,
                ),
            )
            return []
        questions = []
        category: list[str] = []
        for node in root.each("question"):
            kind = node.attrs.get("type", "").strip()
            if kind == "category":
                category = _category_tags((node.first("category") or node).inner_text())
                continue
            question = self._question(node, kind, category)
            if question is not None:
                questions.append(question)
        return questions

    def _question(self, node: _Node, kind: str, category: list[str]) -> dict | None:
        name = (node.first("name") or node).inner_text()
        if not kind:
            self.report.error(node.line, _("a <question> has no type"))
            return None
        reader = _XML_READERS.get(kind)
        if reader is None:
            self.report.unsupported(node.line, kind, name, self.skip)
            return None
        return _XmlQuestion(self.report, node, name).build(reader, category)


class _XmlQuestion:
    """One <question>: its text format, and the conversions and checks its parts share."""

    def __init__(self, report: _Report, node: _Node, name: str):
        self.report = report
        self.node = node
        self.name = name
        source = self._format_of(node.first("questiontext"))
        self.target = "markdown" if source in ("plain", "markdown") else "html"
        self.removed_links = 0

    def build(self, reader: Callable[[_XmlQuestion, dict], None], category: list[str]) -> dict | None:
        errors = len(self.report.errors)
        question = {
            "line": self.node.line,
            "name": self.name,
            "type": "",
            "text": self.rich(self.node.first("questiontext")),
            "format": self.target,
            "points": self._points(),
            "feedback": self.rich(self.node.first("generalfeedback")),
            "tags": _unique([*category, *self._tags()]),
        }
        reader(self, question)
        self._warn_files()
        if len(self.report.errors) == errors:
            _check_has_answers(self.report, self.node.line, question)
        return question if len(self.report.errors) == errors else None

    @staticmethod
    def _format_of(holder: _Node | None) -> str:
        if holder is None:
            return "moodle"
        return _XML_FORMATS.get(holder.attrs.get("format", "moodle_auto_format"), "moodle")

    def rich(self, holder: _Node | None) -> str:
        """A text shown to the learner, in the question's format."""
        if holder is None:
            return ""
        return _convert(self._without_plugin_files(holder.inner_text()), self._format_of(holder), self.target)

    def _without_plugin_files(self, text: str) -> str:
        text, pictures = _PLUGINFILE_IMG.subn("", text)
        text, links = _PLUGINFILE_LINK.subn(r"\1", text)
        self.removed_links += pictures + links
        return text

    def _warn_files(self) -> None:
        files = [n.attrs.get("name", "?") for n in self.node.walk() if n.tag == "file"]
        files += [self.node.value("image") or "image"] if self.node.first("image_base64") else []
        if files:
            message = _(
                "question '%(name)s': embedded files dropped (%(files)s), and the pictures and links "
                "showing them removed: add the files to the course media and link them again",
                name=self.name,
                files=", ".join(files),
            )
            self.report.warn(self.node.line, message)
        elif self.removed_links:
            message = _(
                "question '%(name)s': %(count)d picture(s) or link(s) to Moodle files removed: "
                "the files are not in the export",
                name=self.name,
                count=self.removed_links,
            )
            self.report.warn(self.node.line, message)

    def _points(self) -> float:
        grade = self.node.first("defaultgrade")
        value = self.number(grade.text, grade.line) if grade is not None and grade.text.strip() else 1.0
        return 1.0 if value is None else value

    def _tags(self) -> list[str]:
        holder = self.node.first("tags")
        return [t.inner_text() for t in holder.each("tag")] if holder else []

    def number(self, raw: str, line: int) -> float | None:
        value, comma = _parse_number(raw)
        if value is None:
            self.report.error(
                line, _("question '%(name)s': '%(value)s' is not a number", name=self.name, value=raw)
            )
        elif comma:
            self.report.warn(
                line,
                _(
                    "question '%(name)s': '%(value)s' is read as %(number)s",
                    name=self.name,
                    value=raw,
                    number=value,
                ),
            )
        return value

    def fraction(self, answer: _Node) -> float | None:
        raw = answer.attrs.get("fraction", "0")
        value = self.number(raw, answer.line)
        if value is not None and not -100 <= value <= 100:
            self.report.error(
                answer.line,
                _(
                    "question '%(name)s': the fraction %(value)s is outside -100..100",
                    name=self.name,
                    value=raw,
                ),
            )
            return None
        return None if value is None else round(value / 100, 9)


def _xml_choice(q: _XmlQuestion, out: dict) -> None:
    single = q.node.value("single").lower() not in ("false", "0")
    out["type"] = "single" if single else "multiple"
    options = []
    for answer in q.node.each("answer"):
        weight = q.fraction(answer)
        if weight is not None:
            options.append(
                {
                    "text": q.rich(answer),
                    "correct": weight > 0,
                    "weight": weight,
                    "feedback": q.rich(answer.first("feedback")),
                }
            )
    out["options"] = options
    if not single:
        out["partial"] = True
    _check_weights(q.report, q.node.line, out)


def _xml_truefalse(q: _XmlQuestion, out: dict) -> None:
    out["type"] = "truefalse"
    answers = {a.inner_text().lower(): a for a in q.node.each("answer")}
    true, false = answers.get("true"), answers.get("false")
    if true is None or false is None:
        q.report.error(
            q.node.line,
            _("question '%(name)s': a true/false question needs a 'true' and a 'false' answer", name=q.name),
        )
        return
    out["answer"] = (q.fraction(true) or 0) > 0
    out["feedback_true"] = q.rich(true.first("feedback"))
    out["feedback_false"] = q.rich(false.first("feedback"))


def _xml_short(q: _XmlQuestion, out: dict) -> None:
    out["type"] = "short"
    if q.node.value("usecase") == "1":
        q.report.warn(
            q.node.line,
            _(
                "question '%(name)s': Moodle compared its answers case-sensitively; this LMS ignores case",
                name=q.name,
            ),
        )
    answers = []
    for answer in q.node.each("answer"):
        text, weight, feedback = answer.inner_text(), q.fraction(answer), q.rich(answer.first("feedback"))
        if text == "*":
            _warn_catch_all(q.report, answer.line, q.name, feedback)
        elif weight is not None:
            _warn_wildcard(q.report, answer.line, q.name, text)
            answers.append({"text": text, "weight": weight, "feedback": feedback})
    out["answers"] = answers
    out["ignore_accents"] = False


def _xml_numeric(q: _XmlQuestion, out: dict) -> None:
    out["type"] = "numeric"
    answers = []
    for answer in q.node.each("answer"):
        raw, weight, feedback = answer.inner_text(), q.fraction(answer), q.rich(answer.first("feedback"))
        if raw in ("*", ""):
            _warn_catch_all(q.report, answer.line, q.name, feedback)
            continue
        value = q.number(raw, answer.line)
        tolerance = q.number(answer.value("tolerance") or "0", answer.line)
        if None not in (value, tolerance, weight):
            answers.append({"value": value, "tolerance": tolerance, "weight": weight, "feedback": feedback})
    out["answers"] = answers
    units = q.node.first("units")
    names = [u.value("unit_name") for u in units.each("unit")] if units else []
    if names:
        q.report.warn(
            q.node.line,
            _(
                "question '%(name)s': the units (%(units)s) are ignored: the learner types the number only",
                name=q.name,
                units=", ".join(names),
            ),
        )


def _xml_matching(q: _XmlQuestion, out: dict) -> None:
    out["type"] = "matching"
    pairs, distractors = [], []
    for sub in q.node.each("subquestion"):
        text, answer = q.rich(sub), (sub.first("answer") or sub).inner_text()
        if not answer:
            if text:
                q.report.error(sub.line, _("question '%(name)s': a matching item has no answer", name=q.name))
        elif text:
            pairs.append({"text": text, "answer": answer})
        else:
            distractors.append(answer)
    out["pairs"] = pairs
    out["distractors"] = distractors


_XML_READERS: dict[str, Callable[[_XmlQuestion, dict], None]] = {
    "multichoice": _xml_choice,
    "truefalse": _xml_truefalse,
    "shortanswer": _xml_short,
    "numerical": _xml_numeric,
    "matching": _xml_matching,
}


# --- reading: GIFT --------------------------------------------------------------------

# Escaped characters are hidden behind private-use characters while a question is split
# at its markers, then restored: the same trick as Moodle's own reader.
_ESCAPABLE = "\\:#={}~n"
_HIDE = {c: chr(0xF0000 + i) for i, c in enumerate(_ESCAPABLE)}
_RESTORE = str.maketrans({h: ("\n" if c == "n" else c) for c, h in _HIDE.items()})
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_FORMAT_PREFIX = re.compile(r"\[(html|moodle|plain|markdown)\]")
_WEIGHT = re.compile(r"\s*%(-?\d+(?:[.,]\d+)?)%")
_TAG_COMMENT = re.compile(r"\[tag:([^\]]+)\]")
_TRUEFALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _hide_escapes(text: str) -> str:
    return _ESCAPE.sub(lambda m: _HIDE[m.group(1)], text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _split_format(text: str) -> tuple[str | None, str]:
    text = text.strip()
    match = _FORMAT_PREFIX.match(text)
    return (match.group(1), text[match.end() :]) if match else (None, text)


@dataclass
class _Block:
    lines: list[tuple[int, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _gift_blocks(text: str) -> Iterator[_Block]:
    """Questions are separated by blank lines; a line starting with // is a comment."""
    block = _Block()
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if block.lines:
                yield block
            block = _Block()
        elif line.lstrip().startswith("//"):
            block.comments.append(line)
        else:
            block.lines.append((number, line))
    if block.lines:
        yield block


def _gift_kind(answer: str) -> str:
    """The type Moodle gives an answer block, in Moodle's order of tests."""
    body = answer.strip()
    if not body:
        return "essay"
    if body.startswith("#"):
        return "numeric"
    if "~" in body:
        return "single" if "=" in body else "multiple"
    if "=" in body and "->" in body:
        return "matching"
    if body.split("#", 1)[0].strip().upper() in _TRUEFALSE:
        return "truefalse"
    return "short"


class _GiftReader:
    def __init__(self, report: _Report, skip_unsupported: bool):
        self.report = report
        self.skip = skip_unsupported

    def read(self, text: str) -> list[dict]:
        questions = []
        category: list[str] = []
        for block in _gift_blocks(text):
            first = block.lines[0][1].strip()
            if first.startswith("$CATEGORY:"):
                category = _category_tags(first[len("$CATEGORY:") :])
                block.lines = block.lines[1:]
                if not block.lines:
                    continue
            question = _GiftQuestion(self.report, block).build(category, self.skip)
            if question is not None:
                questions.append(question)
        return questions


class _GiftQuestion:
    """One question block, with escapes hidden, and where each of its characters was."""

    def __init__(self, report: _Report, block: _Block):
        self.report = report
        self.start = block.lines[0][0]
        self.comments = block.comments
        lines = [_hide_escapes(line) for _, line in block.lines]
        self.text = "\n".join(lines)
        self.numbers = [n for n, _ in block.lines]
        self.offsets = [0]
        for line in lines[:-1]:
            self.offsets.append(self.offsets[-1] + len(line) + 1)
        self.name = ""
        self.source = "moodle"
        self.target = "markdown"
        self.answer_at = 0

    def line_at(self, position: int) -> int:
        return self.numbers[bisect_right(self.offsets, position) - 1]

    def build(self, category: list[str], skip: bool) -> dict | None:
        rest_at = self._title()
        if rest_at is None:
            return None
        rest = self.text[rest_at:]
        if "{" not in rest and "}" not in rest:
            self.report.unsupported(self.start, "description", self.name, skip)
            return None
        span = self._answer_span(rest, rest_at)
        if span is None:
            return None
        opening, closing = span
        before, answer, after = rest[:opening], rest[opening + 1 : closing], rest[closing + 1 :]
        self.answer_at = rest_at + opening + 1
        answer, _sep, general = answer.rpartition("####") if "####" in answer else (answer, "", "")
        kind = _gift_kind(answer)
        if kind == "essay":
            self.report.unsupported(self.start, "essay", self.name, skip)
            return None
        question = self._common(kind, before, after, general, category)
        errors = len(self.report.errors)
        _GIFT_READERS[kind](self, question, answer)
        if len(self.report.errors) == errors:
            _check_has_answers(self.report, self.start, question)
        return question if len(self.report.errors) == errors else None

    def _common(self, kind: str, before: str, after: str, general: str, category: list[str]) -> dict:
        """The keys every type has; the question text's format prefix sets the format."""
        prefix, _text = _split_format(before)
        self.source = prefix or "moodle"
        self.target = prefix if prefix in ("html", "markdown") else "markdown"
        # Text after the answers makes a missing-word question.
        text = before + _BLANK_MARK + after if after.strip() else before
        return {
            "line": self.start,
            "name": self.name,
            "type": kind,
            "text": self.piece(text).replace(_BLANK_MARK, BLANK),
            "format": self.target,
            "points": 1.0,
            "feedback": self.piece(general),
            "tags": _unique([*category, *self._comment_tags()]),
        }

    def _title(self) -> int | None:
        start = len(self.text) - len(self.text.lstrip())
        if not self.text.startswith("::", start):
            return start
        end = self.text.find("::", start + 2)
        if end < 0:
            self.report.error(self.start, _("the question title opened with '::' is not closed with '::'"))
            return None
        self.name = _restore(self.text[start + 2 : end]).strip()
        return end + 2

    def _answer_span(self, rest: str, rest_at: int) -> tuple[int, int] | None:
        opening, closing = rest.find("{"), rest.find("}")
        if opening < 0 or 0 <= closing < opening:
            self.error(rest_at + closing, _("'}' without an opening '{': write \\} for a literal brace"))
            return None
        if closing < 0:
            self.error(rest_at + opening, _("the answer block opened here with '{' is not closed with '}'"))
            return None
        nested = rest.find("{", opening + 1)
        if 0 <= nested < closing:
            self.error(
                rest_at + opening,
                _(
                    "the answer block opened here is not closed before the next '{': write \\{ for a literal brace"
                ),
            )
            return None
        extra = re.search(r"[{}]", rest[closing + 1 :])
        if extra:
            self.error(
                rest_at + closing + 1 + extra.start(),
                _("a question has one answer block { }: write \\{ and \\} for literal braces"),
            )
            return None
        return opening, closing

    def _comment_tags(self) -> list[str]:
        return [t.strip() for comment in self.comments for t in _TAG_COMMENT.findall(comment)]

    def error(self, position: int, message: str) -> None:
        self.report.error(self.line_at(position), message)

    def piece(self, raw: str) -> str:
        """A text shown to the learner, from its own format prefix (or the question's)
        into the question's format."""
        prefix, text = _split_format(raw)
        return _convert(_restore(text).strip(), prefix or self.source, self.target)

    def plain(self, raw: str) -> str:
        """A text the learner types (a short answer): no format, no markup."""
        return _restore(_split_format(raw)[1]).strip()

    def items(self, body: str, at: int, markers: str) -> list[tuple[str, str, int]]:
        """(marker, text, position) of each answer; text before the first marker has
        the marker ''."""
        pieces = re.split(f"([{markers}])", body)
        found = [("", pieces[0], at)] if pieces[0].strip() else []
        position = at + len(pieces[0])
        for marker, text in zip(pieces[1::2], pieces[2::2], strict=True):
            found.append((marker, text, position))
            position += 1 + len(text)
        return found

    def weight(self, text: str, position: int, default: float) -> tuple[float | None, str]:
        match = _WEIGHT.match(text)
        if not match:
            return default, text
        raw = match.group(1)
        value = float(raw.replace(",", "."))
        if not -100 <= value <= 100:
            self.error(position, _("the weight %(weight)s%% is outside -100..100", weight=raw))
            return None, text
        return round(value / 100, 9), text[match.end() :]

    def number(self, raw: str, position: int) -> float | None:
        value, comma = _parse_number(_restore(raw))
        if value is None:
            self.error(
                position,
                _(
                    "question '%(name)s': '%(value)s' is not a number",
                    name=self.name,
                    value=_restore(raw).strip(),
                ),
            )
        elif comma:
            self.report.warn(
                self.line_at(position),
                _(
                    "question '%(name)s': '%(value)s' is read as %(number)s",
                    name=self.name,
                    value=_restore(raw).strip(),
                    number=value,
                ),
            )
        return value


def _gift_choice(q: _GiftQuestion, out: dict, answer: str) -> None:
    errors = len(q.report.errors)
    options = []
    for marker, content, position in q.items(answer, q.answer_at, "=~"):
        if not marker:
            q.error(
                position, _("text before the first option: start each option with = (right) or ~ (other)")
            )
            continue
        weight, content = q.weight(content, position, 1.0 if marker == "=" else 0.0)
        text, _sep, feedback = content.partition("#")
        option = q.piece(text)
        if not option:
            q.error(position, _("question '%(name)s': an option has no text", name=q.name))
        elif weight is not None:
            options.append(
                {"text": option, "correct": weight > 0, "weight": weight, "feedback": q.piece(feedback)}
            )
    if len(options) == 1 and len(q.report.errors) == errors:
        q.report.error(
            q.start, _("question '%(name)s': a choice question needs two options or more", name=q.name)
        )
    out["options"] = options
    if out["type"] == "multiple":
        out["partial"] = True
    _check_weights(q.report, q.start, out)


def _gift_truefalse(q: _GiftQuestion, out: dict, answer: str) -> None:
    # Moodle's {T#wrong#right}: the first feedback is for a wrong answer, the second
    # for a right one.
    parts = [*answer.split("#", 2), "", ""]
    value = _TRUEFALSE[parts[0].strip().upper()]
    wrong, right = q.piece(parts[1]), q.piece(parts[2])
    out["answer"] = value
    out["feedback_true"], out["feedback_false"] = (right, wrong) if value else (wrong, right)


def _gift_short(q: _GiftQuestion, out: dict, answer: str) -> None:
    answers = []
    # Text before the first '=' is an answer too, as in Moodle ({Kupang}).
    for _marker, content, position in q.items(answer, q.answer_at, "="):
        weight, content = q.weight(content, position, 1.0)
        text, _sep, feedback = content.partition("#")
        accepted, feedback = q.plain(text), q.piece(feedback)
        if accepted == "*":
            _warn_catch_all(q.report, q.line_at(position), q.name, feedback)
        elif not accepted:
            q.error(position, _("question '%(name)s': an answer has no text", name=q.name))
        elif weight is not None:
            _warn_wildcard(q.report, q.line_at(position), q.name, accepted)
            answers.append({"text": accepted, "weight": weight, "feedback": feedback})
    out["answers"] = answers
    out["ignore_accents"] = False


def _gift_numeric(q: _GiftQuestion, out: dict, answer: str) -> None:
    at = q.answer_at + len(answer) - len(answer.lstrip()) + 1
    body, tilde, other = answer.lstrip()[1:].partition("~")
    if tilde:
        _warn_catch_all(q.report, q.line_at(at + len(body)), q.name, q.piece(other.partition("#")[2]))
    answers = []
    for _marker, content, position in q.items(body, at, "="):
        weight, content = q.weight(content, position, 1.0)
        spec, _sep, feedback = content.partition("#")
        parsed = _numeric_spec(q, spec, position)
        if parsed is not None and weight is not None:
            answers.append({**parsed, "weight": weight, "feedback": q.piece(feedback)})
    out["answers"] = answers


def _numeric_spec(q: _GiftQuestion, spec: str, position: int) -> dict | None:
    """3.14:0.01, 1..5 or 42."""
    if ".." in spec:
        low_raw, high_raw = spec.split("..", 1)
        low, high = q.number(low_raw, position), q.number(high_raw, position)
        if low is None or high is None:
            return None
        if low > high:
            q.error(
                position,
                _("question '%(name)s': the range %(range)s runs backwards", name=q.name, range=spec),
            )
            return None
        return {"min": low, "max": high}
    value_raw, colon, tolerance_raw = spec.partition(":")
    value = q.number(value_raw, position)
    tolerance = q.number(tolerance_raw, position) if colon else 0.0
    return None if value is None or tolerance is None else {"value": value, "tolerance": tolerance}


def _gift_matching(q: _GiftQuestion, out: dict, answer: str) -> None:
    pairs, distractors = [], []
    for marker, content, position in q.items(answer, q.answer_at, "="):
        item, arrow, match = content.partition("->")
        shown = _restore(content).strip()
        if not marker:
            q.error(position, _("text before the first pair: start each pair with ="))
        elif not arrow:
            q.error(
                position, _("matching pair '%(pair)s' has no '->' between the item and its match", pair=shown)
            )
        elif not _restore(match).strip():
            q.error(position, _("matching pair '%(pair)s' has nothing after '->'", pair=shown))
        elif text := q.piece(item):
            pairs.append({"text": text, "answer": _restore(match).strip()})
        else:
            distractors.append(_restore(match).strip())
    out["pairs"] = pairs
    out["distractors"] = distractors


_GIFT_READERS: dict[str, Callable[[_GiftQuestion, dict, str], None]] = {
    "single": _gift_choice,
    "multiple": _gift_choice,
    "truefalse": _gift_truefalse,
    "short": _gift_short,
    "numeric": _gift_numeric,
    "matching": _gift_matching,
}


# --- writing GIFT ---------------------------------------------------------------------


def export_gift(questions: list[dict], *, category: str | None = None) -> str:
    """The questions as GIFT. ``category`` (a Moodle category path) holds them all;
    each question's first tag becomes a subcategory of it."""
    blocks = []
    # Without a category, untagged questions at the start need no $CATEGORY line.
    current: object = None if category is None else _START
    for question in questions:
        tags = list(question.get("tags") or [])
        first = tags[0] if tags else None
        if first != current:
            blocks.append(f"$CATEGORY: {_category_path(category, first)}")
            current = first
        blocks.append(_write_question(question, tags[1:]))
    return "\n\n".join(blocks) + "\n"


_START = object()


def _category_path(category: str | None, tag: str | None) -> str:
    if tag is None:
        return category or UNTAGGED_CATEGORY
    tag = tag.replace("/", "//")
    return f"{category}/{tag}" if category else tag


def _gift_escape(text: str) -> str:
    text = text.replace("\r", "").replace("\\", "\\\\")
    for char in ":#={}~":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _write_piece(text: str, fmt: str) -> str:
    """A part of a question, which inherits the question's format; one that starts as
    a format prefix would gets the prefix written out so it is not read as one."""
    escaped = _gift_escape(text.strip())
    return f"[{fmt}]{escaped}" if _FORMAT_PREFIX.match(text.strip()) else escaped


def _percent(weight: float) -> str:
    value = round(weight * 100, 5)
    return str(int(value)) if value.is_integer() else repr(value)


def _write_question(question: dict, other_tags: list[str]) -> str:
    kind = question.get("type")
    if kind not in _GIFT_WRITERS:
        raise ValueError(f"GIFT cannot hold a question of type {kind!r}")
    fmt = question.get("format", "markdown")
    if fmt not in ("html", "markdown"):
        raise ValueError(f"unknown text format {fmt!r}")
    lines = ["// " + " ".join(f"[tag:{t}]" for t in other_tags)] if other_tags else []
    title = question.get("name") or question.get("id") or ""
    head = f"::{_gift_escape(str(title).strip())}::" if title else ""
    lines.append(f"{head}[{fmt}]{_gift_escape(question.get('text', '').strip())}{{")
    lines += ["\t" + line for line in _GIFT_WRITERS[kind](question, fmt)]
    if question.get("feedback"):
        lines.append("\t####" + _write_piece(question["feedback"], fmt))
    lines.append("}")
    return "\n".join(lines)


def _feedback(item: dict, fmt: str) -> str:
    return "#" + _write_piece(item["feedback"], fmt) if item.get("feedback") else ""


def _option_weights(question: dict) -> list[float]:
    """Weights as written, or for options with only ``correct``: all or nothing, as this
    LMS grades, is closest in Moodle to right options sharing 100% and wrong ones -100%."""
    options = question["options"]
    if all("weight" in o for o in options):
        return [float(o["weight"]) for o in options]
    right = sum(1 for o in options if o.get("correct")) or 1
    if question["type"] == "single":
        return [1.0 if o.get("correct") else 0.0 for o in options]
    return [1 / right if o.get("correct") else -1.0 for o in options]


def _write_choice(question: dict, fmt: str) -> list[str]:
    lines = []
    # "=" makes the question single-choice, so only one option is written with it.
    equals_left = question["type"] == "single"
    for option, weight in zip(question["options"], _option_weights(question), strict=True):
        text = _write_piece(option["text"], fmt)
        if equals_left and math.isclose(weight, 1.0):
            marker, equals_left = "=", False
        else:
            marker = "~" if weight == 0 else f"~%{_percent(weight)}%"
        if text.startswith("%") and "%" not in marker:
            marker += "%0%" if marker == "~" else "%100%"
        lines.append(f"{marker}{text}{_feedback(option, fmt)}")
    return lines


def _write_truefalse(question: dict, fmt: str) -> list[str]:
    value = bool(question.get("answer"))
    on_true = _write_piece(question.get("feedback_true", ""), fmt)
    on_false = _write_piece(question.get("feedback_false", ""), fmt)
    wrong, right = (on_false, on_true) if value else (on_true, on_false)
    feedback = f"#{wrong}#{right}" if wrong or right else ""
    return [("TRUE" if value else "FALSE") + feedback]


def _write_short(question: dict, fmt: str) -> list[str]:
    # With "=" an answer block holding "->" is read as matching: feedback shows "-&gt;"
    # the same, but an answer the learner types cannot be changed so.
    lines = []
    for answer in question.get("answers", []):
        answer = answer if isinstance(answer, dict) else {"text": answer, "weight": 1.0}
        if "->" in answer["text"]:
            raise ValueError(f"GIFT cannot hold the short answer {answer['text']!r}: it contains '->'")
        feedback = {"feedback": answer.get("feedback", "").replace("->", "-&gt;")}
        weight = _percent(float(answer.get("weight", 1.0)))
        lines.append(f"=%{weight}%{_write_piece(answer['text'], fmt)}{_feedback(feedback, fmt)}")
    return lines


def _write_numeric(question: dict, fmt: str) -> list[str]:
    lines = ["#"]
    for answer in question.get("answers", []):
        if "min" in answer:
            spec = f"{float(answer['min'])!r}..{float(answer['max'])!r}"
        else:
            spec = f"{float(answer['value'])!r}:{float(answer.get('tolerance', 0))!r}"
        weight = _percent(float(answer.get("weight", 1.0)))
        lines.append(f"=%{weight}%{spec}{_feedback(answer, fmt)}")
    return lines


def _write_matching(question: dict, fmt: str) -> list[str]:
    # "->" ends an item; in an item's text it is written as "-&gt;", which shows the same.
    lines = [
        f"={_write_piece(p['text'].replace('->', '-&gt;'), fmt)} -> {_gift_escape(p['answer'].strip())}"
        for p in question.get("pairs", [])
    ]
    return lines + [f"= -> {_gift_escape(d.strip())}" for d in question.get("distractors", [])]


_GIFT_WRITERS: dict[str, Callable[[dict, str], list[str]]] = {
    "single": _write_choice,
    "multiple": _write_choice,
    "truefalse": _write_truefalse,
    "short": _write_short,
    "numeric": _write_numeric,
    "matching": _write_matching,
}
