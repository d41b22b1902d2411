"""A course's working copy, and publishing it as the version learners see.

Trainers edit the working copy: ``KursusDraf``, ``ModulDraf`` and the parts other domains
register (the quiz's settings and question bank). Publishing copies it into what learners
read (``Kursus``, ``Modul``, a new quiz version) when anything changed, raises the course
version and records what changed. ``flask kursus import`` writes the working copy from a
folder and publishes it the same way, so both paths make the same versions.

Modules keep their row (found by slug) from version to version, so learners keep their
progress; quiz versions are immutable, so past attempts keep their questions and scores.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import tomli_w
from flask_babel import gettext as _
from sqlalchemy import select

from lms.catalog.models import Kursus, KursusDraf, KursusKompetensi, KursusVersi, Modul, ModulDraf
from lms.core import audit
from lms.core.errors import DomainError
from lms.core.markdown import render
from lms.core.time import utcnow
from lms.extensions import db
from lms.storage import storage

WORDS_PER_MINUTE = 150


class NotPublishable(DomainError):
    """What stops a working copy from being published, every problem at once."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


@dataclass(frozen=True)
class Published:
    version: int
    changes: list[dict[str, Any]]


def working_copy(kursus: Kursus) -> KursusDraf:
    """The course's working copy (every course has one from the moment it exists)."""
    if kursus.draf is None:
        kursus.draf = KursusDraf(
            title=kursus.title,
            summary="",
            description_md="",
            audience="",
            jp=0,
            minutes=0,
            competencies=[],
            cover="",
            media={},
            media_info={},
            revision=1,
        )
    return kursus.draf


def draft_modules(kursus_id: int) -> list[ModulDraf]:
    return list(
        db.session.scalars(
            select(ModulDraf)
            .where(ModulDraf.kursus_id == kursus_id)
            .order_by(ModulDraf.position, ModulDraf.id)
        )
    )


def module_file(position: int, modul: ModulDraf) -> tuple[str, str]:
    return f"{position:02d}-{modul.slug}.md", f"# {modul.title}\n\n{modul.body_md.strip()}\n"


def meta_toml(kursus: Kursus, draf: KursusDraf) -> str:
    meta: dict[str, Any] = {"title": draf.title}
    if draf.summary:
        meta["summary"] = draf.summary
    if draf.description_md:
        meta["description"] = draf.description_md
    meta["jp"] = draf.jp
    if draf.minutes:
        meta["minutes"] = draf.minutes
    meta["status"] = kursus.status
    if draf.audience:
        meta["audience"] = draf.audience
    if draf.cover:
        meta["cover"] = f"media/{draf.cover}"
    if draf.competencies:
        meta["competencies"] = [{"code": c["code"], "level": c["level"]} for c in draf.competencies]
    return tomli_w.dumps(meta, multiline_strings=True)


def content_files(kursus: Kursus, *, media_bytes: bool) -> dict[str, bytes]:
    """The working copy as the files of a ``kursus/<slug>/`` folder. Without ``media_bytes``
    each media file stands for its storage key, which carries its content hash."""
    from lms.catalog.importer import PARTS

    draf = working_copy(kursus)
    files = {"kursus.toml": meta_toml(kursus, draf).encode()}
    for position, modul in enumerate(draft_modules(kursus.id), start=1):
        name, text = module_file(position, modul)
        files[name] = text.encode()
    for part in PARTS:
        text = part.export(kursus)
        if text is not None:
            files[part.filename] = text.encode()
    for name, key in sorted((draf.media or {}).items()):
        files[f"media/{name}"] = storage().read(key) if media_bytes else key.encode()
    return files


def content_hash(kursus: Kursus) -> str:
    """What a version is: the hash of the working copy's files, status aside."""
    digest = hashlib.sha256()
    for path, data in sorted(content_files(kursus, media_bytes=False).items()):
        if path == "kursus.toml":
            data = b"\n".join(line for line in data.splitlines() if not line.startswith(b"status ="))
        digest.update(path.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def problems(kursus: Kursus) -> list[tuple[str, str]]:
    """(field, message) for everything that stops the working copy from being published."""
    from lms.catalog.importer import PARTS

    draf = working_copy(kursus)
    found: list[tuple[str, str]] = []
    if not draf.title.strip():
        found.append(("title", _("The course needs a title.")))
    modules = draft_modules(kursus.id)
    if not modules:
        found.append(("modules", _("The course needs at least one module.")))
    media_names = set(draf.media or {})
    for modul in modules:
        if not modul.body_md.strip():
            found.append((f"modul-{modul.id}", _("Module “%(title)s” has no text.", title=modul.title)))
        for problem in picture_problems(modul.body_md, media_names):
            found.append(
                (
                    f"modul-{modul.id}",
                    _("Module “%(title)s”: %(problem)s", title=modul.title, problem=problem),
                )
            )
    if draf.cover and draf.cover not in media_names:
        found.append(("cover", _("The cover picture is no longer among the course's files.")))
    for part in PARTS:
        found.extend(part.problems(kursus))
    return found


def picture_problems(body_md: str, media_names: set[str]) -> list[str]:
    """What is wrong with the pictures of a module's text, in the trainer's words."""
    from lms.catalog.importer import image_issue, images_of

    words = {
        "no_src": _("A picture has no usable address: insert pictures by uploading them."),
        "link": _("Picture “%(src)s” is a link: upload the picture instead, so it works on slow links."),
        "missing": _("Picture “%(src)s” is not among this course's files: upload it first."),
        "unsized": _("Picture “%(src)s” needs its size: add {width=… height=…} after it."),
    }
    found = []
    for image in images_of(render(body_md).html):
        issue = image_issue(image, media_names)
        if issue:
            found.append(words[issue].replace("%(src)s", image.get("src", "")))
    return found


def publish(kursus: Kursus, *, by: int | None = None, status: str = "published") -> Published | None:
    """Make the working copy what learners see. Returns the new version and what changed,
    or None when the content is what is already published (only the status may change)."""
    found = problems(kursus)
    if found:
        raise NotPublishable(found)
    was_published = kursus.is_published
    before = {"version": kursus.version if kursus.content_hash else None, "status": kursus.status}
    kursus.status = status
    if status == "published" and not was_published:
        kursus.published_at = utcnow()
    digest = content_hash(kursus)
    if digest == kursus.content_hash:
        after = {"version": kursus.version, "status": status}
        audit.record("kursus.publish", "kursus", kursus.id, kursus.title, before=before, after=after)
        return None
    changes = _apply_details(kursus) + _apply_modules(kursus)
    from lms.catalog.importer import PARTS

    for part in PARTS:
        changes.extend(part.publish(kursus))
    if kursus.content_hash:
        kursus.version += 1
    kursus.content_hash = digest
    db.session.add(
        KursusVersi(
            kursus_id=kursus.id,
            number=kursus.version,
            published_by_id=by,
            changes=changes,
            content_hash=digest,
        )
    )
    db.session.flush()
    after = {"version": kursus.version, "status": status}
    audit.record("kursus.publish", "kursus", kursus.id, kursus.title, before=before, after=after)
    return Published(kursus.version, changes)


def _apply_details(kursus: Kursus) -> list[dict[str, Any]]:
    draf = working_copy(kursus)
    description = render(draf.description_md).html if draf.description_md.strip() else ""
    minutes = draf.minutes or sum(_minutes(m.body_md) for m in draft_modules(kursus.id))
    wanted = {c["code"]: c["level"] for c in draf.competencies or []}
    before = (
        kursus.title,
        kursus.summary,
        kursus.description_html,
        kursus.audience,
        kursus.jp,
        kursus.cover,
        {c.code: c.level for c in kursus.competencies},
    )
    after = (draf.title, draf.summary, description, draf.audience, draf.jp, draf.cover, dict(wanted))
    kursus.title, kursus.summary, kursus.description_html = draf.title, draf.summary, description
    kursus.audience, kursus.jp, kursus.minutes, kursus.cover = draf.audience, draf.jp, minutes, draf.cover
    kursus.media = dict(draf.media or {})
    kursus.media_info = dict(draf.media_info or {})
    for existing in list(kursus.competencies):
        if existing.code not in wanted:
            kursus.competencies.remove(existing)
        else:
            existing.level = wanted.pop(existing.code)
    for code, level in wanted.items():
        kursus.competencies.append(KursusKompetensi(code=code, level=level))
    first = not kursus.content_hash
    return [{"what": "details"}] if before != after and not first else []


def _minutes(body_md: str) -> int:
    return max(1, round(len(body_md.split()) / WORDS_PER_MINUTE))


def _apply_modules(kursus: Kursus) -> list[dict[str, Any]]:
    first = not kursus.content_hash
    drafts = draft_modules(kursus.id)
    by_slug = {m.slug: m for m in kursus.moduls}
    keep = {m.slug for m in drafts}
    changes: list[dict[str, Any]] = []
    for slug, modul in by_slug.items():
        if slug not in keep:
            changes.append({"what": "module_removed", "title": modul.title})
            kursus.moduls.remove(modul)
    db.session.flush()
    # Positions are unique per course: park the old ones out of the way first.
    for modul in kursus.moduls:
        modul.position += 1000
    db.session.flush()
    for position, draft in enumerate(drafts, start=1):
        modul = by_slug.get(draft.slug)
        if modul is None:
            modul = Modul(slug=draft.slug, position=position, title="", body_md="", body_html="")
            kursus.moduls.append(modul)
            changes.append({"what": "module_added", "title": draft.title})
        elif (modul.title, modul.body_md) != (draft.title, draft.body_md):
            changes.append({"what": "module_changed", "title": draft.title})
        rendered = render(draft.body_md)
        modul.position = position
        modul.title = draft.title
        modul.body_md = draft.body_md
        modul.body_html = rendered.html
        modul.toc_html = rendered.toc_html
        modul.minutes = _minutes(draft.body_md)
    db.session.flush()
    return [] if first else changes


def latest_changes(kursus: Kursus) -> KursusVersi | None:
    """The newest version that changed something learners can see, for the course page."""
    return db.session.scalar(
        select(KursusVersi)
        .where(KursusVersi.kursus_id == kursus.id, KursusVersi.number == kursus.version)
        .order_by(KursusVersi.id.desc())
        .limit(1)
    )
