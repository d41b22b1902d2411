"""What a device keeps of a course to study it offline, and what each piece costs.

A course's download is its page, its modules, their pictures (the light variants), the
offline quiz page (the questions under a fresh token, never the answer keys) and the few
shared files every offline page needs. Each file has a revision: a device that already
has the course fetches again only the files whose revision changed.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from lms.catalog.models import Kursus, Modul
from lms.catalog.services import cover_of, module_html
from lms.core.web import static_script, static_url
from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.models import Kuis
from lms.storage import StorageError, storage

# What the layout adds to a page's own content (header, footer, forms), compressed.
PAGE_OVERHEAD = 1_800
# The shared files (styles, scripts) an offline page needs; the pages are the app shell.
SHELL_STATIC = ("app.css", "offline.js", "luring.js", "quiz.js")
_MEDIA = re.compile(r'src="(/media/[^"]+)"')


@dataclass(frozen=True)
class File:
    url: str
    rev: str
    bytes: int


@dataclass
class Package:
    kursus: Kursus
    modules: list[Modul]
    files: list[File] = field(default_factory=list)
    quiz_url: str | None = None
    quiz_note: str = ""  # why the quiz cannot be taken offline, when it cannot

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    def as_json(self) -> dict:
        return {
            "course": self.kursus.slug,
            "title": self.kursus.title,
            "version": self.kursus.version,
            "url": url_for("progress.course", slug=self.kursus.slug),
            "modules": [
                {"slug": m.slug, "title": m.title, "url": _module_url(self.kursus, m)} for m in self.modules
            ],
            "quiz": self.quiz_url,
            "quiz_note": self.quiz_note,
            "files": [{"url": f.url, "rev": f.rev, "bytes": f.bytes} for f in self.files],
            "bytes": self.bytes,
        }


def _module_url(kursus: Kursus, modul: Modul) -> str:
    return url_for("progress.module", slug=kursus.slug, modul_slug=modul.slug)


def _digest(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:16]


@lru_cache(maxsize=1024)
def _compressed(text: str) -> int:
    return len(gzip.compress(text.encode(), compresslevel=6, mtime=0)) + PAGE_OVERHEAD


@lru_cache(maxsize=4096)
def _media_size(key: str) -> int:
    # Media keys carry a hash of their content, so a size once known never changes.
    try:
        return storage().size(key)
    except StorageError:
        return 0


def _static_file(filename: str) -> File:
    url = static_url(filename)
    return File(url, url, _static_size(filename, url))


@lru_cache(maxsize=64)
def _static_size(filename: str, url: str) -> int:
    # The URL carries the file's fingerprint: a new version is a new entry.
    if filename.endswith(".js"):
        data = static_script(filename)
    else:
        with open(f"{current_app.static_folder}/{filename}", "rb") as handle:
            data = handle.read()
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _module_rev(package: Package, index: int, html: str, has_quiz: bool) -> str:
    """A module page's revision: of what the page shows (its text, and of the course its
    title, the modules before and after it, whether a quiz follows), so that a change
    elsewhere in the course does not make a device fetch it again."""
    kursus, moduls, modul = package.kursus, package.modules, package.modules[index]
    around = [m.slug for m in moduls[max(0, index - 1) : index + 2]]
    return _digest(
        kursus.slug,
        kursus.title,
        len(moduls),
        has_quiz,
        around,
        modul.id,
        modul.position,
        modul.title,
        modul.minutes,
        modul.toc_html,
        html,
    )


def quiz_offer(pegawai_id: int, kuis: Kuis | None) -> tuple[quizzes.QuizStatus | None, str]:
    """Where the learner stands with a course's quiz when an attempt may be taken offline
    now; else None, and why not (nothing when the course has no quiz)."""
    if kuis is None:
        return None, ""
    state = quizzes.status_of(pegawai_id, kuis)
    if state.passed:
        return None, _("You have passed the quiz; it needs no more attempts.")
    if state.left == 0:
        return None, _("You have used all attempts at the quiz.")
    return state, ""


def package_for(pegawai_id: int, kursus: Kursus) -> Package:
    """The files a device keeps of ``kursus`` for this learner, with their revisions and
    their sizes as sent (compressed)."""
    moduls = list(
        db.session.scalars(
            select(Modul)
            .where(Modul.kursus_id == kursus.id)
            .order_by(Modul.position)
            .options(undefer(Modul.body_html), undefer(Modul.toc_html))
        )
    )
    package = Package(kursus, moduls)
    files = package.files
    course_rev = _digest(kursus.version, kursus.content_hash)
    files.append(
        File(
            url_for("progress.course", slug=kursus.slug),
            course_rev,
            _compressed(kursus.description_html or ""),
        )
    )
    pictures: dict[str, None] = {}
    cover = cover_of(kursus)
    if cover:
        pictures[cover.src] = None
    kuis = quizzes.quiz_for_course(kursus.id)
    for index, modul in enumerate(moduls):
        html = str(module_html(kursus, modul))
        files.append(
            File(
                _module_url(kursus, modul),
                _module_rev(package, index, html, kuis is not None),
                _compressed(html),
            )
        )
        pictures.update(dict.fromkeys(_MEDIA.findall(html)))
    for src in pictures:
        key = src.removeprefix(url_for("catalog.media", key=""))
        files.append(File(src, key, _media_size(key)))
    state, package.quiz_note = quiz_offer(pegawai_id, kuis)
    if state is not None:
        package.quiz_url = url_for("api.offline_quiz", slug=kursus.slug)
        questions = " ".join(q.get("html", "") for q in state.version.questions)
        files.append(File(package.quiz_url, _digest(state.version.id, state.used), _compressed(questions)))
    files.extend(_static_file(name) for name in SHELL_STATIC)
    for endpoint in ("progress.home", "api.sync_page", "api.offline_fallback"):
        files.append(File(url_for(endpoint), "shell", PAGE_OVERHEAD))
    return package
