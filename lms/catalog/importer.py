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
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from lms.catalog.models import STATUSES, Kursus, ModulDraf
from lms.catalog.publishing import draft_modules, publish, working_copy
from lms.core.markdown import render
from lms.extensions import db
from lms.storage import PUBLIC, storage
from lms.storage.media import COURSE_MEDIA_MAX_BYTES as MEDIA_MAX_BYTES
from lms.storage.media import MediaRefused, PreparedMedia, prepare, svg_problems

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
MODULE_RE = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
COMPETENCY_RE = re.compile(r"^[A-Z]{1,3}(\.[A-Z0-9-]+)+$")
# An image src with a scheme (https:, data:, …) or a root (/x, //host, \\host) is a link.
LINK_RE = re.compile(r"[a-z][a-z0-9+.-]*:|[/\\]", re.I)
PIXELS_RE = re.compile(r"[1-9][0-9]{0,4}")
MEDIA_NAME_RE = re.compile(r"[^\W_][\w.-]{0,118}")
# What a file in media/ may be called; what it is, its content says (lms.storage.media).
MEDIA_TYPES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"}
KURSUS_KEYS = {
    "cover",
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

    def write_working_copy(self, kursus: Kursus, spec: Any) -> None:
        """Make the course's working copy of this part what the file says."""

    def problems(self, kursus: Kursus) -> list[tuple[str, str]]:
        """(field, message) for what stops the working copy from being published."""

    def publish(self, kursus: Kursus) -> list[dict[str, Any]]:
        """Make the working copy what learners see; return what changed."""

    def export(self, kursus: Kursus) -> str | None:
        """The file's text from the working copy, or None when the course has no such part."""


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


@dataclass
class CourseSpec:
    slug: str
    meta: dict[str, Any]
    modules: list[ModuleSpec]
    media: dict[str, PreparedMedia]
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
        "cover": check_text(source, data, "cover", line=1, max_len=130, required=False) or "",
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


def image_issue(image: dict[str, str], media_names: set[str]) -> str | None:
    """What is wrong with one picture of a module: "no_src", "link", "missing" (not among
    the course's files) or "unsized"; None when nothing is. Callers word it."""
    src = image.get("src", "")
    if not src:
        return "no_src"  # the sanitiser removed it: data:, javascript: and the like
    if LINK_RE.match(src) or "://" in src:
        return "link"
    if not (src.startswith("media/") and src[len("media/") :] in media_names):
        return "missing"
    if not all(PIXELS_RE.fullmatch(image.get(side, "")) for side in ("width", "height")):
        # Unsized pictures make a page jump as they arrive over a slow link.
        return "unsized"
    return None


def images_of(html: str) -> list[dict[str, str]]:
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser.found


ISSUES = {
    "no_src": "an image has no usable src: pictures must be files in media/",
    "link": "image '{src}' must be a file in media/, not a link",
    "missing": "image '{src}' is not in the course's media/ folder",
    "unsized": "image '{src}' needs its size: add {{width=… height=…}} after it",
}


def _image_problem(image: dict[str, str], media_names: set[str]) -> str | None:
    issue = image_issue(image, media_names)
    return ISSUES[issue].format(src=image.get("src", "")) if issue else None


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
    last_line: dict[str, int] = {}
    for image in images_of(html):
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
    return ModuleSpec(found.group(2), int(found.group(1)), title, body)


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


def _media_problems(path: Path, data: bytes) -> tuple[PreparedMedia | None, list[tuple[int, str]]]:
    """The file checked as an upload is (lms.storage.media), its name kept: modules name it."""
    if path.suffix.lower() == ".svg":
        problems = svg_problems(data)
        if problems:
            return None, problems
    try:
        prepared = prepare(path.name, data, max_bytes=MEDIA_MAX_BYTES)
    except MediaRefused as exc:
        return None, [(1, exc.message)]
    if not path.name.lower().endswith(("." + prepared.name.rsplit(".", 1)[1], ".jpeg")):
        return None, [(1, f"the file is not what its extension says: it is a {prepared.content_type} file")]
    return prepared, []


def _check_media(folder: Path, errors: Errors) -> tuple[dict[str, PreparedMedia], set[str]]:
    """The usable media files, and the names of every file in media/ (usable or not)."""
    media: dict[str, PreparedMedia] = {}
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
        if not MEDIA_NAME_RE.fullmatch(path.name):
            errors.add(path, 1, "a media file name is letters, digits, '-', '_' and '.'")
            continue
        data = path.read_bytes()
        prepared, problems = _media_problems(path, data)
        for line, message in problems:
            errors.add(path, line, message)
        if prepared is not None:
            # Pictures are stored as re-encoded (nothing hidden after the picture survives);
            # SVG and PDF as they are, once they passed.
            media[path.name] = replace(prepared, name=path.name)
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
    cover = meta.get("cover", "")
    if cover and not (cover.startswith("media/") and cover[len("media/") :] in media):
        source.error(
            source.line_of("cover"), f"'cover' must name a picture in media/, such as media/{slug}.png"
        )
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


def _write_working_copy(kursus: Kursus, spec: CourseSpec) -> None:
    """The course's working copy becomes what the folder says."""
    draf = working_copy(kursus)
    meta = spec.meta
    draf.title, draf.summary, draf.description_md = meta["title"], meta["summary"], meta["description"]
    draf.audience, draf.jp, draf.minutes = meta["audience"], meta["jp"], meta["minutes"]
    draf.cover = meta["cover"][len("media/") :] if meta["cover"] else ""
    draf.competencies = [{"code": c["code"], "level": c["level"]} for c in meta["competencies"]]
    media, info = {}, {}
    for name, prepared in spec.media.items():
        media[name], info[name] = store_media(spec.slug, prepared)
    draf.media, draf.media_info = media, info
    draf.revision += 1
    by_slug = {m.slug: m for m in draft_modules(kursus.id)}
    wanted = {m.slug for m in spec.modules}
    for slug, modul in by_slug.items():
        if slug not in wanted:
            db.session.delete(modul)
    for module in spec.modules:
        modul = by_slug.get(module.slug)
        if modul is None:
            modul = ModulDraf(
                kursus_id=kursus.id, slug=module.slug, position=module.position, title="", body_md=""
            )
            db.session.add(modul)
        elif (modul.position, modul.title, modul.body_md) != (module.position, module.title, module.body_md):
            modul.revision += 1
        modul.position, modul.title, modul.body_md = module.position, module.title, module.body_md
    db.session.flush()
    for part in PARTS:
        if part.filename in spec.parts:
            part.write_working_copy(kursus, spec.parts[part.filename])


def store_media(slug: str, prepared: PreparedMedia) -> tuple[str, dict[str, Any]]:
    """Save a checked media file and its light variant; its key and what pages need of it."""
    key = media_key(slug, prepared.name, prepared.data)
    storage().save(key, prepared.data, PUBLIC, content_type=prepared.content_type)
    info: dict[str, Any] = {"kind": prepared.kind, "width": prepared.width, "height": prepared.height}
    if prepared.light:
        info["light"] = media_key(slug, prepared.light_name or f"{prepared.name}.light.webp", prepared.light)
        storage().save(info["light"], prepared.light, PUBLIC, content_type="image/webp")
    return key, info


def _apply(spec: CourseSpec) -> tuple[Kursus, str]:
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == spec.slug))
    created = kursus is None
    if created:
        kursus = Kursus(slug=spec.slug, title=spec.meta["title"], status="draft", version=1)
        db.session.add(kursus)
        db.session.flush()
    _write_working_copy(kursus, spec)
    published = publish(kursus, status=spec.meta["status"])
    return kursus, "created" if created else "updated" if published else "unchanged"


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
