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
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from lms.catalog.models import STATUSES, Kursus, KursusKompetensi, Modul
from lms.core.markdown import render
from lms.extensions import db
from lms.storage import storage

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
MODULE_RE = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
COMPETENCY_RE = re.compile(r"^[A-Z]{1,3}(\.[A-Z0-9-]+)+$")
# A Markdown image with its optional {attributes}, or a raw <img> tag.
IMAGE_RE = re.compile(r"!\[[^\]]*\]\((?P<src>[^)\s]+)[^)]*\)(?P<attrs>\{[^}]*\})?|(?P<tag><img\b[^>]*>)")
TAG_SRC_RE = re.compile(r"\bsrc\s*=\s*[\"']([^\"']*)")
SIZED_RE = re.compile(r"\bwidth\s*=.*\bheight\s*=|\bheight\s*=.*\bwidth\s*=")
MEDIA_TYPES = {".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif"}
MEDIA_MAX_BYTES = 512 * 1024
SVG_FORBIDDEN = re.compile(rb"<script|\son[a-z]+\s*=|javascript:|<foreignObject|xlink:href=\"http", re.I)
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
    """Collects ``file:line: message`` lines for one course folder."""

    root: Path
    items: list[str] = field(default_factory=list)

    def add(self, path: Path, line: int | None, message: str) -> None:
        try:
            name = path.relative_to(self.root.parent)
        except ValueError:
            name = path
        self.items.append(f"{name}:{line or 1}: {message}")


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
    known = _known_competencies() if _known_competencies else None
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


def _check_image(image: re.Match, path: Path, line: int, media_names: set[str], errors: Errors) -> None:
    if image["tag"]:
        found = TAG_SRC_RE.search(image["tag"])
        src, attributes = (found.group(1) if found else ""), image["tag"]
    else:
        src, attributes = image["src"], image["attrs"] or ""
    if "://" in src or src.startswith(("/", "data:")):
        errors.add(path, line, f"image '{src}' must be a file in media/, not a link")
    elif not src.startswith("media/") or src[len("media/") :] not in media_names:
        errors.add(path, line, f"image '{src}' is not in the course's media/ folder")
    elif not SIZED_RE.search(attributes):
        # Unsized pictures make a page jump as they arrive over a slow link.
        errors.add(path, line, f"image '{src}' needs its size: add {{width=… height=…}} after it")


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
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            errors.add(path, 1, "the file is not UTF-8 text")
            continue
        lines = text.splitlines()
        if not lines or not lines[0].startswith("# ") or not lines[0][2:].strip():
            errors.add(path, 1, "a module must start with its title as '# Title'")
            continue
        title = lines[0][2:].strip()
        if len(title) > 200:
            errors.add(path, 1, "the title is longer than 200 characters")
        body = "\n".join(lines[1:]).strip()
        if not body:
            errors.add(path, 2, "the module has no text after its title")
        for number, line in enumerate(lines, start=1):
            for image in IMAGE_RE.finditer(line):
                _check_image(image, path, number, media_names, errors)
        modules.append(ModuleSpec(slug=found.group(2), position=position, title=title, body_md=body))
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
        if path.suffix.lower() == ".svg" and SVG_FORBIDDEN.search(data):
            errors.add(path, 1, "the SVG contains scripts, event handlers or external links")
            continue
        media[path.name] = data
    return media, present


def check_course(folder: Path) -> tuple[CourseSpec | None, list[str]]:
    folder = folder.resolve()
    errors = Errors(folder)
    slug = folder.name
    if not SLUG_RE.match(slug):
        errors.add(folder, 1, "the folder name is the course slug: lowercase letters, digits and hyphens")
    meta_path = folder / "kursus.toml"
    if not meta_path.is_file():
        errors.add(meta_path, 1, "kursus.toml is missing")
        return None, errors.items
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
        return None, errors.items
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return CourseSpec(slug, meta, modules, media, parts, digest.hexdigest()), []


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
        storage().save(key, data)
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
        rendered = render(module.body_md)
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


def import_courses(folders: Iterable[Path]) -> list[tuple[str, str]]:
    """Check every folder, then write all of them, or raise ImportFailed and write nothing.

    The caller commits. Returns (slug, "created" | "updated" | "unchanged") per course.
    """
    specs, errors = [], []
    for folder in folders:
        spec, folder_errors = check_course(folder)
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
