"""Course packages: a course travels between agencies as a zip of its ``kursus/<slug>/`` folder.

A package comes from outside, so it is read as hostile: its size, its number of entries
and how far it expands are limited (by what its directory declares and again by the bytes
actually read, since a directory can lie), and every entry name must be a plain relative
path inside the course folder. Nothing is extracted with ``extractall``: each file is
written by hand into a fresh temporary folder, which then goes through the same importer
as ``flask kursus import``. Anything refused refuses the whole package, before any write.
"""

from __future__ import annotations

import contextlib
import io
import re
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask_babel import gettext as _
from sqlalchemy import select

from lms.authoring.services import slugify
from lms.catalog.importer import ImportFailed, import_courses
from lms.catalog.models import Kursus, KursusPemilik
from lms.catalog.publishing import content_files
from lms.catalog.services import can_edit
from lms.core.errors import DomainError
from lms.extensions import db

MB = 1024 * 1024
PACKAGE_MAX_BYTES = 50 * MB
MAX_ENTRIES = 1000
MAX_EXPANDED = 200 * MB
MAX_RATIO = 100
# Small files may compress very well without harm (a TOML of repeated keys); the ratio
# only matters where expansion costs something.
RATIO_MIN_BYTES = 16 * 1024
NAME_MAX = 255
CHUNK = 64 * 1024
# 1980-01-01, the earliest time a zip can hold: the same course gives the same bytes.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = (stat.S_IFREG | 0o644) << 16
DIR_MODE = (stat.S_IFDIR | 0o755) << 16 | 0x10  # 0x10: the MS-DOS directory bit
UNIX = 3
UTF8_FLAG = 0x800
ENCRYPTED_FLAGS = 0x1 | 0x40  # traditional PKWARE and strong encryption
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive, or an empty one
DRIVE_RE = re.compile(r"^[A-Za-z]:")
# What file managers leave behind: macOS resource forks and folder settings, Windows thumbnails.
JUNK_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


class PackageRefused(DomainError):
    """Why a package was not imported: every problem found, each naming the entry."""

    def __init__(self, errors: list[str]):
        message = (
            errors[0]
            if len(errors) == 1
            else _(
                "%(count)s problems stop this package from being imported; nothing was changed.",
                count=len(errors),
            )
        )
        super().__init__(message, field="file")
        self.errors = errors


# --- export ---------------------------------------------------------------------------


def package_name(kursus: Kursus) -> str:
    return f"{kursus.slug}-v{kursus.version}.zip"


def _info(name: str, *, folder: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.create_system = UNIX  # otherwise it depends on the machine that exports
    info.external_attr = DIR_MODE if folder else FILE_MODE
    info.compress_type = zipfile.ZIP_STORED if folder else zipfile.ZIP_DEFLATED
    return info


def export_zip(kursus: Kursus) -> bytes:
    """The course's working copy as a zip of one folder, ``<slug>/``, in the format
    ``flask kursus import`` reads. The same content always gives the same bytes."""
    files = content_files(kursus, media_bytes=True)
    folders = {f"{kursus.slug}/"} | {
        f"{kursus.slug}/{name.rsplit('/', 1)[0]}/" for name in files if "/" in name
    }
    entries = [(name, None) for name in folders] + [
        (f"{kursus.slug}/{name}", data) for name, data in files.items()
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(entries, key=lambda entry: entry[0]):
            archive.writestr(_info(name, folder=data is None), data or b"", compresslevel=9)
    return buffer.getvalue()


# --- reading a package ----------------------------------------------------------------


@dataclass
class _Entry:
    name: str  # as written in the zip, UTF-8 or cp437 decoded, NFC
    info: zipfile.ZipInfo

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


def _shown(name: str) -> str:
    """An entry name fit to print: control characters spelled out."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in name)


def _decoded(info: zipfile.ZipInfo) -> str:
    """The entry's name. Without the UTF-8 flag a zip name is cp437, but many Windows and
    older macOS tools write UTF-8 without setting it: such names are read as UTF-8."""
    name = info.orig_filename  # ``filename`` is cut at a NUL, which must be seen
    if not info.flag_bits & UTF8_FLAG:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return unicodedata.normalize("NFC", name)


def _is_junk(name: str) -> bool:
    parts = name.rstrip("/").split("/")
    return parts[0] == "__MACOSX" or parts[-1] in JUNK_NAMES or parts[-1].startswith("._")


def _name_problem(name: str) -> str | None:
    if any(not ch.isprintable() and ch != " " for ch in name):
        return _("has a NUL or control character in its name")
    if "\\" in name:
        return _("has a backslash (\\) in its name: zip the folder again with another program")
    parts = name.rstrip("/").split("/")
    if name.startswith("/") or DRIVE_RE.match(name) or ".." in parts:
        return _("names a path outside the course folder")
    if any(part in ("", ".") for part in parts):
        return _("is not a plain path (it has an empty or '.' part)")
    if len(name) > NAME_MAX or any(len(part.encode()) > NAME_MAX for part in parts):
        return _("has a name longer than %(limit)s characters", limit=NAME_MAX)
    return None


def _entry_problem(entry: _Entry) -> str | None:
    info = entry.info
    problem = _name_problem(entry.name)
    if problem:
        return problem
    if stat.S_ISLNK(info.external_attr >> 16):
        return _("is a symbolic link: a package holds only plain files and folders")
    if info.flag_bits & ENCRYPTED_FLAGS:
        return _("is encrypted: zip the course again without a password")
    if entry.is_dir:
        return None
    if info.compress_type not in (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
        zipfile.ZIP_BZIP2,
        zipfile.ZIP_LZMA,
    ):
        return _("is compressed in a way this server cannot read: use ordinary zip compression")
    if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return _(
            "expands %(ratio)s times its compressed size (at most %(limit)s is allowed): the package looks like a zip bomb",
            ratio=info.file_size // max(info.compress_size, 1),
            limit=MAX_RATIO,
        )
    return None


def _declared_size(entries: list[_Entry]) -> int:
    return sum(entry.info.file_size for entry in entries)


def _size(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n} B"


def _open(filename: str, data: bytes) -> zipfile.ZipFile:
    if len(data) > PACKAGE_MAX_BYTES:
        raise PackageRefused(
            [_("%(zip)s: the package is larger than %(limit)s", zip=filename, limit=_size(PACKAGE_MAX_BYTES))]
        )
    if not data.startswith(ZIP_MAGIC):
        raise PackageRefused([_("%(zip)s: is not a zip file", zip=filename)])
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError):
        raise PackageRefused([_("%(zip)s: is not a zip file, or it is damaged", zip=filename)]) from None


def _entries(filename: str, archive: zipfile.ZipFile) -> list[_Entry]:
    """The entries worth extracting, once every one has passed; else every problem at once."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise PackageRefused(
            [
                _(
                    "%(zip)s: holds %(count)s entries; a package may hold at most %(limit)s",
                    zip=filename,
                    count=len(infos),
                    limit=MAX_ENTRIES,
                )
            ]
        )
    entries = [_Entry(_decoded(info), info) for info in infos]
    errors: list[str] = []
    declared = _declared_size(entries)
    if declared > MAX_EXPANDED:
        errors.append(
            _(
                "%(zip)s: would expand to %(size)s; a package may expand to at most %(limit)s",
                zip=filename,
                size=_size(declared),
                limit=_size(MAX_EXPANDED),
            )
        )

    def refuse(entry: _Entry, message: str) -> None:
        errors.append(f"{filename}: {_shown(entry.name)}: {message}")

    kept: list[_Entry] = []
    seen: dict[str, _Entry] = {}
    for entry in entries:
        problem = _entry_problem(entry)
        if problem:
            refuse(entry, problem)
            continue
        if _is_junk(entry.name):
            continue
        # Two names that differ only in case are one file on Windows and macOS.
        key = entry.name.rstrip("/").casefold()
        if key in seen and not (entry.is_dir and seen[key].is_dir):
            refuse(entry, _("appears twice in the package (names are compared ignoring case)"))
            continue
        seen[key] = entry
        kept.append(entry)
    files = {e.name.casefold() for e in kept if not e.is_dir}
    for entry in kept:
        parents = PurePosixPath(entry.name).parents
        clash = next((str(p) for p in parents if str(p).casefold() in files), None)
        if clash:
            refuse(entry, _("is inside %(name)s, which is a file", name=_shown(clash)))
    if errors:
        raise PackageRefused(errors)
    return [entry for entry in kept if not entry.is_dir]


@dataclass
class _Layout:
    """Where each course of the package is: ``prefix`` is stripped from entry names, and
    a package of one folder's contents gets the folder ``root_slug``."""

    prefix: str
    root_slug: str | None
    courses: list[str]  # the slugs, each a folder of the extracted package


def _layout(filename: str, files: list[_Entry]) -> _Layout:
    names = {entry.name for entry in files}
    if "kursus.toml" in names:
        stem = re.split(r"[/\\]", filename)[-1].rsplit(".", 1)[0]
        slug = slugify(stem)
        return _Layout("", slug, [slug])
    tops = {name.split("/", 1)[0] for name in names}
    prefix = ""
    if len(tops) == 1 and all("/" in name for name in names):
        top = next(iter(tops))
        # A zip of the kursus/ folder itself: its course folders are one level down.
        if f"{top}/kursus.toml" not in names and any(
            re.fullmatch(rf"{re.escape(top)}/[^/]+/kursus\.toml", n) for n in names
        ):
            prefix = f"{top}/"
    courses = {n[len(prefix) :].split("/", 1)[0] for n in names if n.count("/") >= prefix.count("/") + 1}
    if not any(f"{prefix}{course}/kursus.toml" in names for course in courses):
        raise PackageRefused(
            [
                _(
                    "%(zip)s: holds no course: put kursus.toml in a folder named after the course "
                    "(<slug>/kursus.toml), or at the top of the zip",
                    zip=filename,
                )
            ]
        )
    loose = [
        f"{filename}: {_shown(n)}: " + _("is outside any course folder")
        for n in sorted(names)
        if "/" not in n[len(prefix) :]
    ]
    if loose:
        raise PackageRefused(loose)
    return _Layout(prefix, None, sorted(courses))


def _target(root: Path, layout: _Layout, name: str) -> Path:
    relative = name[len(layout.prefix) :]
    if layout.root_slug:
        relative = f"{layout.root_slug}/{relative}"
    target = (root / relative).resolve()
    if not target.is_relative_to(root):  # the names were checked; this is the last guard
        raise PackageRefused([_("%(name)s: names a path outside the course folder", name=_shown(name))])
    return target


def _extract(
    filename: str, archive: zipfile.ZipFile, files: list[_Entry], root: Path, layout: _Layout
) -> list[Path]:
    """Write each file by hand, counting the bytes really read: a directory may lie."""
    total = 0
    folders: set[Path] = set()
    for entry in files:
        target = _target(root, layout, entry.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        folders.add(root / target.relative_to(root).parts[0])
        written = 0
        try:
            with archive.open(entry.info) as source, open(target, "xb") as sink:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    if written > entry.info.file_size or total > MAX_EXPANDED:
                        raise PackageRefused(
                            [
                                _(
                                    "%(zip)s: %(name)s: holds more data than the package declares or "
                                    "may expand to (at most %(limit)s): reading stopped",
                                    zip=filename,
                                    name=_shown(entry.name),
                                    limit=_size(MAX_EXPANDED),
                                )
                            ]
                        )
                    sink.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise PackageRefused(
                [
                    _(
                        "%(zip)s: %(name)s: is damaged (%(reason)s)",
                        zip=filename,
                        name=_shown(entry.name),
                        reason=exc,
                    )
                ]
            ) from None
    return sorted(folders)


# --- importing ------------------------------------------------------------------------


def _check_rights(filename: str, slugs: list[str], by_user) -> None:
    """Before anything is written: a user may bring a new course, or replace one he edits."""
    if by_user is None:
        return  # the command line: whoever runs it runs the server
    if not (getattr(by_user, "is_admin", False) or getattr(by_user, "is_pengajar", False)):
        raise PackageRefused([_("%(zip)s: only trainers and admins can import courses", zip=filename)])
    existing = db.session.scalars(select(Kursus).where(Kursus.slug.in_(slugs))).all()
    refused = [
        _(
            "%(zip)s: course %(slug)s already exists here and you are not one of its owners: "
            "ask an owner or an admin to add you",
            zip=filename,
            slug=kursus.slug,
        )
        for kursus in sorted(existing, key=lambda k: k.slug)
        if not can_edit(by_user, kursus)
    ]
    if refused:
        raise PackageRefused(refused)


def import_zip(
    filename: str, data: bytes, *, by_user, on_warning: Callable[[str], None] | None = None
) -> list[tuple[str, str]]:
    """Import every course of a package, all or nothing: (slug, "created" | "updated" |
    "unchanged") per course, or PackageRefused with every problem and nothing written.

    ``by_user`` becomes an owner of each course the package creates; it may replace only
    courses it can edit. ``None`` (the command line) may do anything and owns nothing.
    The caller commits, or rolls back on an error.
    """
    with _open(filename, data) as archive:
        files = _entries(filename, archive)
        layout = _layout(filename, files)
        _check_rights(filename, layout.courses, by_user)
        with tempfile.TemporaryDirectory(prefix="lms-paket-") as tmp:
            root = Path(tmp).resolve()
            folders = _extract(filename, archive, files, root, layout)
            try:
                outcomes = import_courses(folders, on_warning=on_warning)
            except ImportFailed as exc:
                raise PackageRefused(exc.errors) from None
    pegawai_id = getattr(by_user, "pegawai_id", None)
    if pegawai_id is not None:
        created = [slug for slug, outcome in outcomes if outcome == "created"]
        for kursus in db.session.scalars(select(Kursus).where(Kursus.slug.in_(created))):
            kursus.owners.append(KursusPemilik(pegawai_id=pegawai_id))
        db.session.flush()
    return outcomes
