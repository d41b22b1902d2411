"""Import a course folder (``kursus/<slug>/``) into the database.

Everything is checked before anything is written: a folder with any error changes
nothing, and every error is reported as ``file:line: message``. Importing again
updates the course in place by slug; the version goes up only when the content changed.

Other domains own parts of the folder (``kuis.toml`` belongs to quizzes); they register
a :class:`Part` here, so the catalog never imports them.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol
from xml.parsers import expat

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from lms.catalog.models import STATUSES, Kursus, KursusKompetensi, Modul
from lms.core.markdown import Rendered, render
from lms.extensions import db
from lms.storage import PUBLIC, storage

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
MODULE_RE = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
COMPETENCY_RE = re.compile(r"^[A-Z]{1,3}(\.[A-Z0-9-]+)+$")
# An image src with a scheme (https:, data:, …) or a root (/x, //host, \\host) is a link.
LINK_RE = re.compile(r"[a-z][a-z0-9+.-]*:|[/\\]", re.I)
PIXELS_RE = re.compile(r"[1-9][0-9]{0,4}")
MEDIA_MAX_BYTES = 512 * 1024
# How each kind of picture begins, so a file cannot pass for another kind by its name.
PICTURE_MAGIC = {
    ".png": ("PNG", re.compile(rb"\x89PNG\r\n\x1a\n")),
    ".jpg": ("JPEG", re.compile(rb"\xff\xd8\xff")),
    ".jpeg": ("JPEG", re.compile(rb"\xff\xd8\xff")),
    ".gif": ("GIF", re.compile(rb"GIF8[79]a")),
    ".webp": ("WebP", re.compile(rb"RIFF.{4}WEBP", re.S)),
}
MEDIA_TYPES = {".svg", *PICTURE_MAGIC}
KURSUS_KEYS = {
    "title",
    "summary",
    "description",
    "jp",
    "version",
    "status",
    "audience",
    "minutes",
    "competencies",
}


class ImportFailed(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Errors:
    """Collects ``file:line: message`` lines for one course folder, and its warnings
    (``file:line: warning: message``): worth a look, but they never stop an import."""

    root: Path
    items: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def _where(self, path: Path, line: int | None) -> str:
        try:
            name = path.relative_to(self.root.parent)
        except ValueError:
            name = path
        return f"{name}:{line or 1}"

    def add(self, path: Path, line: int | None, message: str) -> None:
        self.items.append(f"{self._where(path, line)}: {message}")

    def warn(self, path: Path, line: int | None, message: str) -> None:
        self.warnings.append(f"{self._where(path, line)}: warning: {message}")


class TomlSource:
    """A TOML file with enough of its text kept to point errors at a line."""

    def __init__(self, path: Path, errors: Errors):
        self.path = path
        self.errors = errors
        self.data: dict[str, Any] | None = None
        self._starts: dict[str, list[int]] = {}
        try:
            self.text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            errors.add(path, 1, "the file is not UTF-8 text")
            self.text = ""
            return
        self.lines = self.text.splitlines()
        try:
            self.data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
            errors.add(path, line, f"not valid TOML: {getattr(exc, 'msg', exc)}")

    def table_starts(self, header: str) -> list[int]:
        """1-based lines of each ``[[header]]`` (spaces and a trailing comment allowed).
        Asked once per question, so each header's scan is kept."""
        if header not in self._starts:
            parts = r"\s*\.\s*".join(re.escape(part) for part in header.split("."))
            pattern = re.compile(rf"^\s*\[\[\s*{parts}\s*\]\]\s*(#.*)?$")
            self._starts[header] = [i + 1 for i, line in enumerate(self.lines) if pattern.match(line)]
        return self._starts[header]

    def line_of(self, key: str, start: int = 1, end: int | None = None) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        stop = end if end is not None else len(self.lines) + 1
        for number in range(max(start, 1), stop):
            if number - 1 < len(self.lines) and pattern.match(self.lines[number - 1]):
                return number
        return start

    def error(self, line: int | None, message: str) -> None:
        self.errors.add(self.path, line, message)

    def warn(self, line: int | None, message: str) -> None:
        self.errors.warn(self.path, line, message)


def _line_from_message(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


class Part(Protocol):
    """A file in the course folder owned by another domain."""

    filename: str
    required: bool

    def parse(self, source: TomlSource) -> Any: ...

    def apply(self, kursus: Kursus, spec: Any) -> bool:
        """Write the part; return True when its content changed."""


PARTS: list[Part] = []


def register_part(part: Part) -> None:
    if all(p.filename != part.filename for p in PARTS):
        PARTS.append(part)


# The competency dictionary lives to the right (competencies); it tells the importer
# which codes exist, so a course cannot claim a competency nobody has defined.
_known_competencies: Callable[[], set[str]] | None = None


def register_competency_codes(provider: Callable[[], set[str]]) -> None:
    global _known_competencies
    _known_competencies = provider


def _known_codes(source: TomlSource) -> set[str] | None:
    """The dictionary's codes, or None (with a warning) when there is no database to ask
    yet, so `flask kursus check` still checks everything else on a fresh machine."""
    if _known_competencies is None:
        return None
    try:
        return _known_competencies()
    except DBAPIError:
        db.session.rollback()
        source.warn(
            1,
            "the competency dictionary could not be read (run `make run` or `flask db upgrade` "
            "and `flask kompetensi import`): competency codes were not checked",
        )
        return None


# --- checking -----------------------------------------------------------------------


@dataclass
class ModuleSpec:
    slug: str
    position: int
    title: str
    body_md: str
    rendered: Rendered  # what the checks looked at is what gets stored


@dataclass
class CourseSpec:
    slug: str
    meta: dict[str, Any]
    modules: list[ModuleSpec]
    media: dict[str, bytes]
    parts: dict[str, Any]
    content_hash: str


def check_int(source: TomlSource, data: dict, key: str, *, line: int, low: int, high: int, required=True):
    value = data.get(key)
    if value is None:
        if required:
            source.error(line, f"'{key}' is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        source.error(source.line_of(key, line), f"'{key}' must be a whole number from {low} to {high}")
        return None
    return value


def check_text(source: TomlSource, data: dict, key: str, *, line: int, max_len: int, required=True):
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            source.error(line, f"'{key}' is missing")
        return None
    if not isinstance(value, str):
        source.error(source.line_of(key, line), f"'{key}' must be text")
        return None
    if len(value) > max_len:
        source.error(source.line_of(key, line), f"'{key}' is longer than {max_len} characters")
        return None
    return value.strip()


def check_unknown_keys(source: TomlSource, data: dict, allowed: set[str], *, line: int, where: str):
    for key in sorted(set(data) - allowed):
        source.error(source.line_of(key, line), f"unknown key '{key}' in {where}")


def _check_meta(source: TomlSource) -> dict[str, Any]:
    data = source.data or {}
    check_unknown_keys(source, data, KURSUS_KEYS, line=1, where="kursus.toml")
    meta = {
        "title": check_text(source, data, "title", line=1, max_len=200),
        "summary": check_text(source, data, "summary", line=1, max_len=400, required=False) or "",
        "description": check_text(source, data, "description", line=1, max_len=20000, required=False) or "",
        "audience": check_text(source, data, "audience", line=1, max_len=200, required=False) or "",
        "jp": check_int(source, data, "jp", line=1, low=0, high=500),
        "minutes": check_int(source, data, "minutes", line=1, low=0, high=100000, required=False) or 0,
        "status": data.get("status", "draft"),
    }
    check_int(source, data, "version", line=1, low=1, high=100000, required=False)
    if meta["status"] not in STATUSES:
        source.error(source.line_of("status"), f"'status' must be one of: {', '.join(STATUSES)}")
    competencies = data.get("competencies", [])
    starts = source.table_starts("competencies")
    seen = set()
    known = _known_codes(source)
    meta["competencies"] = []
    if not isinstance(competencies, list):
        source.error(
            source.line_of("competencies"), "'competencies' must be a list of [[competencies]] tables"
        )
        competencies = []
    for index, item in enumerate(competencies):
        line = starts[index] if index < len(starts) else 1
        if not isinstance(item, dict):
            source.error(line, "each competency must be a table with 'code' and 'level'")
            continue
        check_unknown_keys(source, item, {"code", "level"}, line=line, where="[[competencies]]")
        code = item.get("code")
        level = check_int(source, item, "level", line=line, low=1, high=5)
        if not isinstance(code, str) or not COMPETENCY_RE.match(code):
            source.error(source.line_of("code", line), "'code' must look like M.01, SK.01 or T.NAME")
            continue
        if code in seen:
            source.error(source.line_of("code", line), f"competency {code} is listed twice")
        elif known is not None and code not in known:
            source.error(
                source.line_of("code", line),
                f"competency {code} is not in the competency dictionary (flask kompetensi import)",
            )
        seen.add(code)
        if level is not None:
            meta["competencies"].append({"code": code, "level": level})
    return meta


class _Images(HTMLParser):
    """The attributes of every <img> in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append({name: value or "" for name, value in attrs})


def _image_problem(image: dict[str, str], media_names: set[str]) -> str | None:
    src = image.get("src", "")
    if not src:
        # The sanitiser removed it: data:, javascript: and the like.
        return "an image has no usable src: pictures must be files in media/"
    if LINK_RE.match(src) or "://" in src:
        return f"image '{src}' must be a file in media/, not a link"
    if not (src.startswith("media/") and src[len("media/") :] in media_names):
        return f"image '{src}' is not in the course's media/ folder"
    if not all(PIXELS_RE.fullmatch(image.get(side, "")) for side in ("width", "height")):
        # Unsized pictures make a page jump as they arrive over a slow link.
        return f"image '{src}' needs its size: add {{width=… height=…}} after it"
    return None


def _line_of(lines: list[str], needle: str, after: int) -> int:
    """The rendered HTML no longer knows where its parts came from, so: the first line
    after line ``after`` that holds needle, else the first below the title, else 1."""
    if needle:
        for start in (after, 1):
            for index in range(start, len(lines)):
                if needle in lines[index]:
                    return index + 1
    return 1


def _check_images(path: Path, lines: list[str], html: str, media_names: set[str], errors: Errors) -> None:
    """Checks the images a module shows, found in its rendered, sanitised HTML, so that
    every way of writing one (reference links, raw HTML, over several lines) is seen."""
    parser = _Images()
    parser.feed(html)
    parser.close()
    last_line: dict[str, int] = {}
    for image in parser.found:
        needle = image.get("src") or image.get("alt", "")
        line = last_line[needle] = _line_of(lines, needle, last_line.get(needle, 1))
        problem = _image_problem(image, media_names)
        if problem:
            errors.add(path, line, problem)


def _check_module(path: Path, found: re.Match, errors: Errors, media_names: set[str]) -> ModuleSpec | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        errors.add(path, 1, "the file is not UTF-8 text")
        return None
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# ") or not lines[0][2:].strip():
        errors.add(path, 1, "a module must start with its title as '# Title'")
        return None
    title = lines[0][2:].strip()
    if len(title) > 200:
        errors.add(path, 1, "the title is longer than 200 characters")
    body = "\n".join(lines[1:]).strip()
    if not body:
        errors.add(path, 2, "the module has no text after its title")
    rendered = render(body)
    _check_images(path, lines, rendered.html, media_names, errors)
    return ModuleSpec(found.group(2), int(found.group(1)), title, body, rendered)


def _check_modules(folder: Path, errors: Errors, media_names: set[str]) -> list[ModuleSpec]:
    modules: list[ModuleSpec] = []
    positions: dict[int, Path] = {}
    for path in sorted(folder.glob("*.md")):
        found = MODULE_RE.match(path.name)
        if not found:
            errors.add(path, 1, "a module file must be named NN-name.md (two digits, lowercase name)")
            continue
        position = int(found.group(1))
        if position == 0:
            errors.add(path, 1, "module numbers start at 01")
            continue
        if position in positions:
            errors.add(path, 1, f"module number {position:02d} is also used by {positions[position].name}")
            continue
        positions[position] = path
        module = _check_module(path, found, errors, media_names)
        if module:
            modules.append(module)
    if not modules and not errors.items:
        errors.add(folder / "01-name.md", 1, "the course has no modules (NN-name.md files)")
    for expected, position in enumerate(sorted(positions), start=1):
        if position != expected:
            errors.add(
                positions[position],
                1,
                f"module number {position:02d} should be {expected:02d}: numbers run 01, 02, 03 … without gaps",
            )
            break
    slugs = [m.slug for m in modules]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        errors.add(folder, 1, f"two modules are named '{slug}'")
    return sorted(modules, key=lambda m: m.position)


# --- media --------------------------------------------------------------------------
# A course's media can be opened on their own, and an SVG opened on its own is a document
# that can run scripts and load other files. So an SVG must pass an allow-list, element by
# element and attribute by attribute; anything not listed is refused with its line.

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Inkscape and Illustrator files carry editor metadata: <metadata>, and elements and
# attributes in these namespaces. They are allowed as inert rather than stripped: a
# browser gives elements and attributes of a namespace it does not know no behaviour at
# all, and keeping the file byte for byte keeps the trainer's own file (its hash, and it
# still opens in the editor). SVG elements inside metadata are checked like any other,
# and attribute values anywhere still may not hold javascript: or url() links.
EDITOR_NAMESPACES = {
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.inkscape.org/namespaces/inkscape",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://web.resource.org/cc/",
    "http://purl.org/dc/elements/1.1/",
}
# What diagrams are drawn with: shapes, text, paint servers, clipping, markers, and the
# filter primitives Inkscape uses for blur and shadow. Left out: script, foreignObject
# (HTML inside), a, image and feImage (they load other documents), animate, set,
# animateMotion and animateTransform (they can rewrite an href to javascript:), switch,
# view, cursor and the SVG fonts.
SVG_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
    "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight",
    "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
    "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology", "feOffset",
    "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
}  # fmt: skip
# Geometry, presentation attributes (they only paint) and filter parameters. href and
# xlink:href are checked apart (local "#id" only); aria-* and data-* are allowed too.
SVG_ATTRIBUTES = {
    # core and accessibility
    "id", "class", "style", "lang", "role", "version", "baseProfile", "width", "height",
    "x", "y", "viewBox", "preserveAspectRatio", "transform", "type", "media",
    # shapes, text and paint servers
    "d", "points", "pathLength", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr",
    "x1", "y1", "x2", "y2", "dx", "dy", "rotate", "textLength", "lengthAdjust",
    "startOffset", "method", "spacing", "side", "offset", "gradientUnits",
    "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits",
    "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits", "refX", "refY",
    "markerUnits", "markerWidth", "markerHeight", "orient",
    # presentation attributes
    "alignment-baseline", "baseline-shift", "clip", "clip-path", "clip-rule", "color",
    "color-interpolation", "color-interpolation-filters", "color-rendering", "direction",
    "display", "dominant-baseline", "enable-background", "fill", "fill-opacity",
    "fill-rule", "filter", "flood-color", "flood-opacity", "font", "font-family",
    "font-size", "font-size-adjust", "font-stretch", "font-style", "font-variant",
    "font-weight", "image-rendering", "isolation", "letter-spacing", "lighting-color",
    "marker", "marker-end", "marker-mid", "marker-start", "mask", "mask-type",
    "mix-blend-mode", "opacity", "overflow", "paint-order", "pointer-events",
    "shape-rendering", "stop-color", "stop-opacity", "stroke", "stroke-dasharray",
    "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "stroke-opacity", "stroke-width", "text-anchor", "text-decoration", "text-rendering",
    "transform-origin", "unicode-bidi", "vector-effect", "visibility", "white-space",
    "word-spacing", "writing-mode",
    # filters
    "filterUnits", "primitiveUnits", "in", "in2", "result", "mode", "values", "operator",
    "k1", "k2", "k3", "k4", "stdDeviation", "edgeMode", "order", "kernelMatrix",
    "divisor", "bias", "targetX", "targetY", "preserveAlpha", "kernelUnitLength",
    "surfaceScale", "diffuseConstant", "specularConstant", "specularExponent", "scale",
    "xChannelSelector", "yChannelSelector", "radius", "azimuth", "elevation", "z",
    "pointsAtX", "pointsAtY", "pointsAtZ", "limitingConeAngle", "baseFrequency",
    "numOctaves", "seed", "stitchTiles", "tableValues", "slope", "intercept",
    "amplitude", "exponent",
}  # fmt: skip
SVG_NAMESPACED_ATTRIBUTES = {(XLINK_NS, "title"), (XML_NS, "space"), (XML_NS, "lang")}
LOCAL_REF_RE = re.compile(r"#\S*")
URL_TARGET_RE = re.compile(r"url\(\s*['\"]?\s*(.?)", re.I)
# CSS functions other than url() that take an address.
CSS_LOADERS_RE = re.compile(r"(?<![\w-])(?:-webkit-)?image(?:-set)?\(|(?<![\w-])src\(", re.I)
OUTSIDE = "points outside the file: only url(#id) is allowed"


class _Refused(Exception):
    """Stops reading an SVG: what follows cannot be read safely, or is not an SVG."""


def _svg_name(name: str) -> tuple[str, str, str]:
    """Expat's ``uri local [prefix]`` as (namespace, local name, name as written)."""
    parts = name.split(" ")
    if len(parts) == 1:
        return "", name, name
    return parts[0], parts[1], f"{parts[2]}:{parts[1]}" if len(parts) == 3 else parts[1]


def _value_problem(value: str) -> str | None:
    # Browsers drop tabs and newlines inside a URL, so "java\tscript:" counts too.
    if "javascript:" in re.sub(r"[\x00-\x20]", "", value).lower():
        return "contains javascript:"
    if any(target != "#" for target in URL_TARGET_RE.findall(value)):
        return OUTSIDE
    if "@import" in value.lower():
        return "contains @import"
    return None


def _css_problem(text: str) -> str | None:
    if "\\" in text:
        # A CSS escape can spell url( or @import so that no pattern sees it.
        return "contains a CSS escape (\\)"
    return OUTSIDE if CSS_LOADERS_RE.search(text) else _value_problem(text)


def _svg_element_problem(uri: str, local: str, shown: str) -> str | None:
    if uri == SVG_NS:
        return None if local in SVG_ELEMENTS else f"<{shown}> is not allowed in an SVG"
    if uri in EDITOR_NAMESPACES:
        return None
    return f"<{shown}> is not an SVG element ({uri or 'no namespace'})"


def _svg_attribute_problem(element: str, inert: bool, name: str, value: str) -> str | None:
    """What is wrong with one attribute; ``inert`` for an element of editor metadata."""
    uri, local, shown = _svg_name(name)
    where = f"'{shown}' on <{element}>"
    if not uri and local.lower().startswith("on"):
        return f"event handler '{shown}' on <{element}> is not allowed"
    if local == "href" and uri in ("", XLINK_NS):
        if LOCAL_REF_RE.fullmatch(value):
            return None
        return f"{where} must point inside the file (#id), not at '{value}'"
    # Unprefixed attributes of SVG elements are CSS (style, or presentation attributes).
    problem = _css_problem(value) if not uri and not inert else _value_problem(value)
    if problem:
        return f"{where} {problem}"
    if inert or uri in EDITOR_NAMESPACES or (uri, local) in SVG_NAMESPACED_ATTRIBUTES:
        return None
    if not uri and (local in SVG_ATTRIBUTES or local.startswith(("aria-", "data-"))):
        return None
    return f"attribute '{shown}' on <{element}> is not allowed in an SVG"


class _SvgCheck:
    """Reads an SVG with expat, noting each (line, problem) the allow-list refuses."""

    def __init__(self, data: bytes):
        self.data = data
        self.lines = data.decode("utf-8", "replace").splitlines()
        self.problems: list[tuple[int, str]] = []
        self.started = False
        self.style: list[str] | None = None
        self.style_line = 1
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.namespace_prefixes = True
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.entity
        self.parser.ProcessingInstructionHandler = self.instruction
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text

    def run(self) -> list[tuple[int, str]]:
        try:
            self.parser.Parse(self.data, True)
        except _Refused:
            pass
        except expat.ExpatError as exc:
            self.problems.append((exc.lineno, f"not valid XML: {expat.ErrorString(exc.code)}"))
        return self.problems

    def note(self, message: str, line: int | None = None) -> None:
        self.problems.append((line or self.parser.CurrentLineNumber, message))

    def doctype(self, *_args) -> None:
        self.note("remove the <!DOCTYPE>: an SVG picture needs none, and a DTD can pull in other files")

    def entity(self, name: str, *_args) -> None:
        # Stop at the declaration, before anything can expand it (billion laughs) or read
        # it (SYSTEM "file:…"). Entities can only be declared here: expat itself never
        # loads an external DTD.
        self.note(f"entity '{name}' is declared: an SVG picture may not declare entities")
        raise _Refused

    def instruction(self, target: str, _data: str) -> None:
        # The <?xml …?> declaration is not an instruction; <?xml-stylesheet?> would load CSS.
        self.note(f"processing instruction <?{target}?> is not allowed in an SVG")

    def attribute_line(self, shown: str) -> int:
        """Editors put each attribute on a line of its own: point at that line."""
        start = self.parser.CurrentLineNumber
        pattern = re.compile(rf"(?<![\w:-]){re.escape(shown)}\s*=")
        for index in range(start - 1, min(len(self.lines), start + 200)):
            if pattern.search(self.lines[index]):
                return index + 1
        return start

    def start(self, name: str, attributes: dict[str, str]) -> None:
        uri, local, shown = _svg_name(name)
        if not self.started and (uri, local) != (SVG_NS, "svg"):
            self.note(f'the outermost element must be <svg xmlns="{SVG_NS}">')
            raise _Refused
        self.started = True
        problem = _svg_element_problem(uri, local, shown)
        if problem:
            self.note(problem)
            return
        for attribute, value in attributes.items():
            problem = _svg_attribute_problem(shown, uri != SVG_NS, attribute, value)
            if problem:
                self.note(problem, self.attribute_line(_svg_name(attribute)[2]))
        if (uri, local) == (SVG_NS, "style"):
            self.style, self.style_line = [], self.parser.CurrentLineNumber

    def text(self, data: str) -> None:
        if self.style is not None:
            self.style.append(data)

    def end(self, name: str) -> None:
        if self.style is not None and _svg_name(name)[:2] == (SVG_NS, "style"):
            problem = _css_problem("".join(self.style))
            if problem:
                self.note(f"<style> {problem}", self.style_line)
            self.style = None


def _media_problems(suffix: str, data: bytes) -> list[tuple[int, str]]:
    if suffix == ".svg":
        return _SvgCheck(data).run()
    kind, magic = PICTURE_MAGIC[suffix]
    if not magic.match(data):
        return [(1, f"the file is not a {kind} picture: its first bytes do not match its extension")]
    return []


def _check_media(folder: Path, errors: Errors) -> tuple[dict[str, bytes], set[str]]:
    """The usable media files, and the names of every file in media/ (usable or not)."""
    media: dict[str, bytes] = {}
    present: set[str] = set()
    media_dir = folder / "media"
    if not media_dir.is_dir():
        return media, present
    for path in sorted(media_dir.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        present.add(path.name)
        if path.suffix.lower() not in MEDIA_TYPES:
            errors.add(path, 1, f"media must be one of {', '.join(sorted(MEDIA_TYPES))}")
            continue
        data = path.read_bytes()
        if len(data) > MEDIA_MAX_BYTES:
            errors.add(path, 1, f"the file is larger than {MEDIA_MAX_BYTES // 1024} KB")
            continue
        problems = _media_problems(path.suffix.lower(), data)
        for line, message in problems:
            errors.add(path, line, message)
        if not problems:
            media[path.name] = data
    return media, present


def check_course(
    folder: Path, on_warning: Callable[[str], None] | None = None
) -> tuple[CourseSpec | None, list[str]]:
    """The folder's spec and no errors, or None and every error. Warnings do not count
    as errors: each is passed to ``on_warning`` (if given) either way."""
    folder = folder.resolve()
    errors = Errors(folder)
    spec = _check_folder(folder, errors)
    if on_warning:
        for line in errors.warnings:
            on_warning(line)
    return (None, errors.items) if errors.items else (spec, [])


def _check_folder(folder: Path, errors: Errors) -> CourseSpec | None:
    slug = folder.name
    if not SLUG_RE.match(slug):
        errors.add(folder, 1, "the folder name is the course slug: lowercase letters, digits and hyphens")
    meta_path = folder / "kursus.toml"
    if not meta_path.is_file():
        errors.add(meta_path, 1, "kursus.toml is missing")
        return None
    source = TomlSource(meta_path, errors)
    meta = _check_meta(source) if source.data is not None else {}
    media, present = _check_media(folder, errors)
    modules = _check_modules(folder, errors, present)
    parts: dict[str, Any] = {}
    for part in PARTS:
        path = folder / part.filename
        if not path.is_file():
            if part.required:
                errors.add(path, 1, f"{part.filename} is missing")
            continue
        part_source = TomlSource(path, errors)
        if part_source.data is not None:
            parts[part.filename] = part.parse(part_source)
    if errors.items:
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return CourseSpec(slug, meta, modules, media, parts, digest.hexdigest())


def course_folders(path: Path) -> list[Path]:
    """PATH is one course folder, or a folder of course folders."""
    if (path / "kursus.toml").is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


# --- writing ------------------------------------------------------------------------


def media_key(slug: str, name: str, data: bytes) -> str:
    return f"kursus/{slug}/{hashlib.sha256(data).hexdigest()[:10]}-{name}"


def _apply(spec: CourseSpec) -> tuple[Kursus, str]:
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == spec.slug))
    outcome = "unchanged"
    if kursus is None:
        kursus = Kursus(slug=spec.slug, version=1)
        db.session.add(kursus)
        outcome = "created"
    elif kursus.content_hash != spec.content_hash:
        kursus.version += 1
        outcome = "updated"
    if outcome == "unchanged":
        return kursus, outcome
    meta = spec.meta
    kursus.title = meta["title"]
    kursus.summary = meta["summary"]
    kursus.description_html = render(meta["description"]).html if meta["description"] else ""
    kursus.audience = meta["audience"]
    kursus.jp = meta["jp"]
    kursus.minutes = meta["minutes"]
    kursus.status = meta["status"]
    kursus.content_hash = spec.content_hash

    kursus.media = {}
    for name, data in spec.media.items():
        key = media_key(spec.slug, name, data)
        storage().save(key, data, PUBLIC)
        kursus.media[name] = key

    wanted = {c["code"]: c["level"] for c in meta["competencies"]}
    for existing in list(kursus.competencies):
        if existing.code not in wanted:
            kursus.competencies.remove(existing)
        else:
            existing.level = wanted.pop(existing.code)
    for code, level in wanted.items():
        kursus.competencies.append(KursusKompetensi(code=code, level=level))

    by_slug = {m.slug: m for m in kursus.moduls}
    keep = {m.slug for m in spec.modules}
    for slug, modul in by_slug.items():
        if slug not in keep:
            kursus.moduls.remove(modul)
    db.session.flush()
    # Positions are unique per course: park the old ones out of the way first.
    for modul in kursus.moduls:
        modul.position += 1000
    db.session.flush()
    for module in spec.modules:
        modul = by_slug.get(module.slug)
        if modul is None:
            modul = Modul(slug=module.slug, position=module.position, title="", body_md="", body_html="")
            kursus.moduls.append(modul)
        rendered = module.rendered
        modul.position = module.position
        modul.title = module.title
        modul.body_md = module.body_md
        modul.body_html = rendered.html
        modul.toc_html = rendered.toc_html
        modul.minutes = max(1, round(len(module.body_md.split()) / 150))  # ~150 words a minute
    db.session.flush()
    for part in PARTS:
        if part.filename in spec.parts:
            part.apply(kursus, spec.parts[part.filename])
    return kursus, outcome


def import_courses(
    folders: Iterable[Path], on_warning: Callable[[str], None] | None = None
) -> list[tuple[str, str]]:
    """Check every folder, then write all of them, or raise ImportFailed and write nothing.

    The caller commits. Returns (slug, "created" | "updated" | "unchanged") per course.
    Warnings go to ``on_warning`` as they are found and never stop the import.
    """
    specs, errors = [], []
    for folder in folders:
        spec, folder_errors = check_course(folder, on_warning)
        errors.extend(folder_errors)
        if spec:
            specs.append(spec)
    seen: set[str] = set()
    for spec in specs:
        if spec.slug in seen:
            errors.append(f"{spec.slug}/kursus.toml:1: another folder in this import has the same name")
        seen.add(spec.slug)
    if errors:
        raise ImportFailed(errors)
    return [(spec.slug, _apply(spec)[1]) for spec in specs]
