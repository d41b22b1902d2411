"""What a trainer does to a course's working copy. Every save names the revision the trainer
saw: when someone else saved in between, nothing is written and he is told, so two people
editing the same module never overwrite each other unseen."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from lms.catalog.importer import media_key
from lms.catalog.models import Kursus, KursusDraf, KursusPemilik, ModulDraf
from lms.catalog.publishing import Published, draft_modules, picture_problems, publish, working_copy
from lms.core import audit
from lms.core.errors import DomainError, NotFoundError
from lms.core.text import ascii_slug
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.models import Pegawai
from lms.storage import PUBLIC, storage

SLUG_MAX = 80
BODY_MAX = 200_000
MAX_COMPETENCIES = 8

# The competency dictionary lives to the right (competencies): it tells the editor which
# codes exist and what they are called.
_dictionary: Callable[[], list[tuple[str, str]]] | None = None


def register_dictionary(provider: Callable[[], list[tuple[str, str]]]) -> None:
    global _dictionary
    _dictionary = provider


def dictionary() -> list[tuple[str, str]]:
    """(code, name) of every competency a course may build."""
    return _dictionary() if _dictionary else []


def slugify(text: str, fallback: str = "kursus") -> str:
    slug = ascii_slug(text, SLUG_MAX - 4)
    return slug if len(slug) >= 3 else fallback


def _free_slug(base: str, taken: Callable[[str], bool]) -> str:
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _conflict() -> DomainError:
    return DomainError(
        _(
            "Someone else saved this since you opened it. Your text is still in the form: "
            "copy what you need, reload the page to see their version, and save again."
        ),
        field="revision",
        status=409,
    )


# --- courses and owners ----------------------------------------------------------------


def new_course(title: str, by: Pegawai) -> Kursus:
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("Give the course a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("At most 200 characters."), field="title")
    slug = _free_slug(
        slugify(title), lambda s: db.session.scalar(select(Kursus.id).where(Kursus.slug == s)) is not None
    )
    kursus = Kursus(slug=slug, title=title, status="draft", version=1)
    kursus.draf = KursusDraf(title=title, updated_by_id=by.id)
    kursus.owners.append(KursusPemilik(pegawai_id=by.id))
    db.session.add(kursus)
    db.session.flush()
    return kursus


def add_owner(kursus: Kursus, nip: str) -> Pegawai:
    """Share a course with another trainer, of this agency or another."""
    from lms.accounts.models import User

    nip = re.sub(r"\s+", "", nip or "")
    pegawai = db.session.scalar(select(Pegawai).where(Pegawai.nip == nip))
    if pegawai is None:
        raise DomainError(_("No employee has NIP %(nip)s.", nip=nip), field="nip")
    user = db.session.scalar(select(User).where(User.pegawai_id == pegawai.id))
    if user is None or not (user.is_pengajar or user.is_admin):
        raise DomainError(
            _("%(name)s is not a trainer: only trainers can own a course.", name=pegawai.nama), field="nip"
        )
    if any(o.pegawai_id == pegawai.id for o in kursus.owners):
        raise DomainError(_("%(name)s already owns this course.", name=pegawai.nama), field="nip")
    kursus.owners.append(KursusPemilik(pegawai_id=pegawai.id))
    db.session.flush()
    owner = {"pegawai_id": pegawai.id, "nip": pegawai.nip, "nama": pegawai.nama}
    audit.record("kursus.owner.add", "kursus", kursus.id, kursus.title, after=owner)
    return pegawai


def remove_owner(kursus: Kursus, pegawai_id: int) -> None:
    owner = next((o for o in kursus.owners if o.pegawai_id == pegawai_id), None)
    if owner is None:
        raise NotFoundError()
    if len(kursus.owners) == 1:
        raise DomainError(_("A course keeps at least one owner."), field="nip")
    kursus.owners.remove(owner)
    db.session.flush()
    gone = db.session.get(Pegawai, pegawai_id)
    before = {"pegawai_id": pegawai_id, "nip": gone and gone.nip, "nama": gone and gone.nama}
    audit.record("kursus.owner.remove", "kursus", kursus.id, kursus.title, before=before)


# --- details -----------------------------------------------------------------------------


@dataclass
class Details:
    title: str
    summary: str
    description_md: str
    audience: str
    jp: int
    minutes: int
    cover: str
    competencies: list[dict[str, Any]]


def _check_details(draf: KursusDraf, details: Details) -> None:
    if not details.title.strip():
        raise DomainError(_("Give the course a title."), field="title")
    if not 0 <= details.jp <= 500:
        raise DomainError(_("JP runs from 0 to 500."), field="jp")
    if not 0 <= details.minutes <= 100_000:
        raise DomainError(_("Give the minutes as a whole number from 0."), field="minutes")
    if details.cover and details.cover not in (draf.media or {}):
        raise DomainError(_("Choose a picture uploaded to this course."), field="cover")
    known = {code for code, _name in dictionary()}
    seen = set()
    for row in details.competencies:
        if row["code"] in seen:
            raise DomainError(
                _("Competency %(code)s is listed twice.", code=row["code"]), field="competencies"
            )
        if known and row["code"] not in known:
            raise DomainError(
                _("Competency %(code)s is not in the dictionary.", code=row["code"]), field="competencies"
            )
        if not 1 <= row["level"] <= 5:
            raise DomainError(_("Levels run from 1 to 5."), field="competencies")
        seen.add(row["code"])


def save_details(kursus: Kursus, details: Details, revision: int, by: int) -> None:
    draf = working_copy(kursus)
    _check_details(draf, details)
    values = {
        "title": " ".join(details.title.split()),
        "summary": details.summary.strip(),
        "description_md": details.description_md.strip(),
        "audience": details.audience.strip(),
        "jp": details.jp,
        "minutes": details.minutes,
        "cover": details.cover,
        "competencies": details.competencies,
    }
    _conditional(KursusDraf, KursusDraf.kursus_id == kursus.id, revision, values, by)


def _conditional(model, where, revision: int, values: dict[str, Any], by: int) -> None:
    """UPDATE … WHERE revision = the one the editor saw; nothing matched means a conflict."""
    result = db.session.execute(
        update(model)
        .where(where, model.revision == revision)
        .values(**values, revision=model.revision + 1, updated_at=utcnow(), updated_by_id=by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _conflict()
    db.session.expire_all()


# --- modules -----------------------------------------------------------------------------


def get_module(kursus: Kursus, modul_id: int) -> ModulDraf:
    modul = db.session.get(ModulDraf, modul_id)
    if modul is None or modul.kursus_id != kursus.id:
        raise NotFoundError()
    return modul


def add_module(kursus: Kursus, title: str, by: int) -> ModulDraf:
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(_("Give the module a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("At most 200 characters."), field="title")
    taken = {m.slug for m in draft_modules(kursus.id)}
    slug = _free_slug(slugify(title, "modul")[:60], lambda s: s in taken)
    last = (
        db.session.scalar(select(func.max(ModulDraf.position)).where(ModulDraf.kursus_id == kursus.id)) or 0
    )
    modul = ModulDraf(
        kursus_id=kursus.id, slug=slug, position=last + 1, title=title, body_md="", updated_by_id=by
    )
    db.session.add(modul)
    db.session.flush()
    return modul


def body_problems(kursus: Kursus, body_md: str) -> list[str]:
    return picture_problems(body_md, set(working_copy(kursus).media or {}))


def save_module(kursus: Kursus, modul: ModulDraf, title: str, body_md: str, revision: int, by: int) -> None:
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(_("Give the module a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("At most 200 characters."), field="title")
    body_md = (body_md or "").replace("\r\n", "\n")
    if len(body_md) > BODY_MAX:
        raise DomainError(
            _("The text is longer than %(n)d characters: split it into modules.", n=BODY_MAX), field="body_md"
        )
    problems = body_problems(kursus, body_md)
    if problems:
        raise DomainError(" ".join(problems), field="body_md")
    _conditional(ModulDraf, ModulDraf.id == modul.id, revision, {"title": title, "body_md": body_md}, by)


def move_module(kursus: Kursus, modul: ModulDraf, step: int) -> None:
    modules = draft_modules(kursus.id)
    index = modules.index(modul)
    target = index + step
    if not 0 <= target < len(modules):
        return
    modules[index], modules[target] = modules[target], modules[index]
    for position, item in enumerate(modules, start=1):
        item.position = position
    db.session.flush()


def remove_module(kursus: Kursus, modul: ModulDraf) -> None:
    db.session.delete(modul)
    db.session.flush()
    for position, item in enumerate(draft_modules(kursus.id), start=1):
        item.position = position
    db.session.flush()


# --- media -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uploaded:
    name: str
    kind: str
    snippet: str  # what to paste into a module's Markdown


def upload_media(kursus: Kursus, filename: str, data: bytes, alt: str = "") -> Uploaded:
    """Check and store a picture or PDF for the course. Pictures are re-encoded and get a
    light variant for slow links; the Markdown to insert carries the picture's size."""
    from lms.storage.media import COURSE_MEDIA_MAX_BYTES, MediaRefused, prepare

    try:
        prepared = prepare(filename, data, max_bytes=COURSE_MEDIA_MAX_BYTES)
    except MediaRefused as exc:
        raise DomainError(exc.message, field="file") from None
    draf = working_copy(kursus)
    media, info = dict(draf.media or {}), dict(draf.media_info or {})
    # The same file uploaded again keeps its name; another file of that name gets a number.
    name = prepared.name
    key = media_key(kursus.slug, name, prepared.data)
    base, _dot, ext = prepared.name.rpartition(".")
    n = 2
    while name in media and media[name] != key:
        name = f"{base}-{n}.{ext}"
        key = media_key(kursus.slug, name, prepared.data)
        n += 1
    storage().save(key, prepared.data, PUBLIC, content_type=prepared.content_type)
    entry: dict[str, Any] = {"kind": prepared.kind, "width": prepared.width, "height": prepared.height}
    if prepared.light:
        light_key = media_key(kursus.slug, prepared.light_name or f"{name}.light.webp", prepared.light)
        storage().save(light_key, prepared.light, PUBLIC, content_type="image/webp")
        entry["light"] = light_key
    media[name], info[name] = key, entry
    draf.media, draf.media_info = media, info
    db.session.flush()
    return Uploaded(name, prepared.kind, snippet(name, entry, alt))


def snippet(name: str, entry: dict[str, Any], alt: str = "") -> str:
    alt = " ".join((alt or "").replace("[", "").replace("]", "").split())
    if entry.get("kind") == "pdf":
        return f"[{alt or name}](media/{name})"
    size = f"{{width={entry['width']} height={entry['height']}}}" if entry.get("width") else ""
    return f"![{alt}](media/{name}){size}"


def remove_media(kursus: Kursus, name: str) -> None:
    draf = working_copy(kursus)
    if name not in (draf.media or {}):
        raise NotFoundError()
    if draf.cover == name:
        raise DomainError(_("This picture is the course's cover: choose another cover first."), field="media")
    for modul in draft_modules(kursus.id):
        if f"media/{name}" in modul.body_md:
            raise DomainError(
                _(
                    "Module “%(title)s” still uses %(name)s: take it out of the text first.",
                    title=modul.title,
                    name=name,
                ),
                field="media",
            )
    media, info = dict(draf.media), dict(draf.media_info or {})
    media.pop(name)
    info.pop(name, None)
    draf.media, draf.media_info = media, info
    db.session.flush()


# --- publishing --------------------------------------------------------------------------


def publish_course(kursus: Kursus, by: int) -> Published | None:
    return publish(kursus, by=by, status="published")


def withdraw_course(kursus: Kursus) -> None:
    """Take a course out of the catalogue; learners' records stay."""
    kursus.status = "draft"
    db.session.flush()
