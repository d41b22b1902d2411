"""Course packages: a course travels between agencies as a zip of its ``kursus/<slug>/`` folder.

``export_zip`` writes the course's working copy as a zip of one folder, ``<slug>/``, the
same bytes every time. ``import_zip`` reads a package as something from outside: it
refuses, naming the entry, anything that is not a plain file inside the course folder
(paths out of it, links, encrypted or duplicated entries) and anything that expands too
far (by what the zip declares, and by the bytes actually read), then imports the folders
through the same importer as ``flask kursus import``. A refused package writes nothing.
A trainer who brings a new course owns it; only those who may edit a course can replace it.
"""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from config import TestingConfig
from lms import create_app
from lms.authoring import packages
from lms.authoring.packages import PackageRefused, export_zip, import_zip, package_name
from lms.catalog.importer import import_courses
from lms.catalog.models import Kursus, KursusPemilik
from lms.extensions import db
from lms.quizzes.models import Kuis, KuisSetelan
from lms.quizzes.part import bank_of, settings_of
from lms.storage import storage
from tests.conftest import KURSUS_ROOT, seed_dictionary, write_course
from tests.quizzes.courses import every_type

SLUG = "kursus-uji"
SHIPPED = Path(KURSUS_ROOT) / "keamanan-informasi-kantor"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


# --- building zips ---------------------------------------------------------------------


def zip_of(files: dict[str, bytes | str], *, infos: list[zipfile.ZipInfo] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for info in infos:
            archive.writestr(info, b"/etc/passwd")
    return buffer.getvalue()


def files_of(folder: Path, prefix: str = "") -> dict[str, bytes]:
    return {
        f"{prefix}{path.relative_to(folder).as_posix()}": path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


@pytest.fixture
def course_files(course_root) -> dict[str, bytes]:
    """The files of a valid course, named as in a package: ``kursus-uji/kursus.toml`` …"""
    return files_of(write_course(course_root, SLUG), f"{SLUG}/")


def patch_entry(data: bytes, name: str, *, set_flags: int = 0, clear_flags: int = 0, file_size=None) -> bytes:
    """Rewrite an entry's headers as a hostile or careless zip program would."""
    raw = bytearray(data)
    encoded = name.encode()
    position = raw.find(b"PK\x01\x02")
    while position != -1:
        length = struct.unpack_from("<H", raw, position + 28)[0]
        if raw[position + 46 : position + 46 + length] == encoded:
            offset = struct.unpack_from("<I", raw, position + 42)[0]
            for flags_at in (position + 8, offset + 6):  # central directory, then local header
                flags = struct.unpack_from("<H", raw, flags_at)[0]
                struct.pack_into("<H", raw, flags_at, (flags | set_flags) & ~clear_flags)
            if file_size is not None:
                struct.pack_into("<I", raw, position + 24, file_size)
        position = raw.find(b"PK\x01\x02", position + 4)
    return bytes(raw)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(data: bytes, filename: str = "paket.zip", by_user=None) -> list[str]:
    before = count(Kursus)
    with pytest.raises(PackageRefused) as caught:
        import_zip(filename, data, by_user=by_user)
    db.session.rollback()
    assert count(Kursus) == before, "a refused package wrote something"
    assert caught.value.field == "file"
    return caught.value.errors


# --- what a package may hold ---------------------------------------------------------


def test_a_course_folder_in_a_zip_is_imported(course_files):
    assert import_zip("paket.zip", zip_of(course_files), by_user=None) == [(SLUG, "created")]
    db.session.commit()

    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == SLUG))
    assert [m.title for m in kursus.moduls] == ["Pembuka", "Penutup"]
    assert kursus.owners == []  # the command line: admins own everything


def test_a_zip_of_the_folders_contents_takes_its_slug_from_the_zip_name(course_files):
    contents = {name.removeprefix(f"{SLUG}/"): data for name, data in course_files.items()}

    assert import_zip("Kursus Baru (1).zip", zip_of(contents), by_user=None) == [("kursus-baru-1", "created")]


def test_a_zip_may_hold_several_courses_or_the_kursus_folder_itself(course_root):
    for slug in ("kursus-a", "kursus-b"):
        write_course(course_root, slug)

    assert import_zip("semua.zip", zip_of(files_of(course_root)), by_user=None) == [
        ("kursus-a", "created"),
        ("kursus-b", "created"),
    ]
    assert import_zip("semua.zip", zip_of(files_of(course_root, "kursus/")), by_user=None) == [
        ("kursus-a", "unchanged"),
        ("kursus-b", "unchanged"),
    ]


def test_macos_leftovers_are_skipped_and_change_nothing(course_files):
    messy = {
        **course_files,
        f"__MACOSX/{SLUG}/._01-pembuka.md": b"\x00\x05\x16\x07",
        f"{SLUG}/.DS_Store": b"\x00\x00\x00\x01Bud1",
        f"{SLUG}/media/.DS_Store": b"\x00\x00\x00\x01Bud1",
        f"{SLUG}/._02-penutup.md": b"\x00\x05\x16\x07",
    }

    assert import_zip("paket.zip", zip_of(messy), by_user=None) == [(SLUG, "created")]
    assert import_zip("paket.zip", zip_of(course_files), by_user=None) == [(SLUG, "unchanged")]


def test_utf8_names_without_the_utf8_flag_are_read_as_utf8(course_files):
    name = f"{SLUG}/media/peta-ñ.svg"
    svg = course_files[f"{SLUG}/media/gambar.svg"]
    # Python sets the flag for any non-ASCII name; many Windows programs do not.
    data = patch_entry(zip_of({**course_files, name: svg}), name, clear_flags=packages.UTF8_FLAG)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert name not in archive.namelist()  # read as cp437, the name would be garbled

    import_zip("paket.zip", data, by_user=None)

    assert "peta-ñ.svg" in db.session.scalar(select(Kursus).where(Kursus.slug == SLUG)).media


def test_a_course_error_inside_the_zip_is_reported_as_the_importer_words_it(course_files):
    course_files[f"{SLUG}/kursus.toml"] = course_files[f"{SLUG}/kursus.toml"].replace(b"jp = 3", b"jp = 2.5")

    assert refused(zip_of(course_files)) == [
        f"{SLUG}/kursus.toml:4: 'jp' must be a whole number from 0 to 500"
    ]


# --- what a package is refused for ------------------------------------------------------


def symlink() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"{SLUG}/media/tautan.svg")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        pytest.param("../x.md", "../x.md: names a path outside the course folder", id="parent"),
        pytest.param(
            f"{SLUG}/../../x.md",
            f"{SLUG}/../../x.md: names a path outside the course folder",
            id="deep-parent",
        ),
        pytest.param("/etc/passwd", "/etc/passwd: names a path outside the course folder", id="absolute"),
        pytest.param("C:/x.md", "C:/x.md: names a path outside the course folder", id="drive-letter"),
        pytest.param(
            f"{SLUG}\\media\\x.svg",
            f"{SLUG}\\media\\x.svg: has a backslash (\\) in its name: zip the folder again with another program",
            id="backslash",
        ),
        pytest.param(
            f"{SLUG}/a\x01.md", f"{SLUG}/a\\x01.md: has a NUL or control character in its name", id="control"
        ),
        pytest.param(
            f"{SLUG}/./a.md",
            f"{SLUG}/./a.md: is not a plain path (it has an empty or '.' part)",
            id="dot-part",
        ),
    ],
)
def test_an_entry_whose_name_leaves_the_folder_is_refused(course_files, entry, message):
    assert refused(zip_of({**course_files, entry: b"x"})) == [f"paket.zip: {message}"]


def test_an_entry_with_a_nul_in_its_name_is_refused(course_files):
    # zipfile cuts a name at its NUL; the name as written must still be seen.
    data = zip_of({**course_files, f"{SLUG}/aXb.md": b"x"}).replace(b"aXb.md", b"a\x00b.md")

    assert refused(data) == [f"paket.zip: {SLUG}/a\\x00b.md: has a NUL or control character in its name"]


def test_a_symbolic_link_is_refused(course_files):
    assert refused(zip_of(course_files, infos=[symlink()])) == [
        f"paket.zip: {SLUG}/media/tautan.svg: is a symbolic link: a package holds only plain files and folders"
    ]


def test_an_encrypted_entry_is_refused(course_files):
    data = patch_entry(zip_of(course_files), f"{SLUG}/01-pembuka.md", set_flags=0x1)

    assert refused(data) == [
        f"paket.zip: {SLUG}/01-pembuka.md: is encrypted: zip the course again without a password"
    ]


def with_entry(data: bytes, name: str, content: bytes) -> bytes:
    """The zip with one more entry, even one whose name it already holds."""
    buffer = io.BytesIO(data)
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": exactly what is being built
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "twin", [f"{SLUG}/01-pembuka.md", f"{SLUG}/01-PEMBUKA.md", f"{SLUG.upper()}/01-pembuka.md"]
)
def test_a_name_that_appears_twice_is_refused_even_in_another_case(course_files, twin):
    data = with_entry(zip_of(course_files), twin, b"# Lain\n\nTeks.\n")

    assert refused(data) == [
        f"paket.zip: {twin}: appears twice in the package (names are compared ignoring case)"
    ]


def test_a_file_and_a_folder_of_the_same_name_are_refused(course_files):
    data = zip_of({**course_files, f"{SLUG}/media/gambar.svg/x.svg": b"x"})

    assert refused(data) == [
        f"paket.zip: {SLUG}/media/gambar.svg/x.svg: is inside {SLUG}/media/gambar.svg, which is a file"
    ]


def test_a_zip_bomb_is_refused_by_its_compression_ratio(course_files):
    data = zip_of({**course_files, f"{SLUG}/media/nol.png": bytes(10 * 1024 * 1024)})

    [error] = refused(data)
    assert error.startswith(f"paket.zip: {SLUG}/media/nol.png: expands ")
    assert error.endswith(
        "times its compressed size (at most 100 is allowed): the package looks like a zip bomb"
    )


def test_too_many_entries_are_refused(course_files):
    many = {**course_files, **{f"{SLUG}/media/{n}.txt": b"" for n in range(packages.MAX_ENTRIES)}}

    assert refused(zip_of(many)) == [
        f"paket.zip: holds {len(many)} entries; a package may hold at most {packages.MAX_ENTRIES}"
    ]


def test_a_declared_expansion_beyond_the_limit_is_refused(course_files, monkeypatch):
    monkeypatch.setattr(packages, "MAX_EXPANDED", 1000)

    assert refused(zip_of(course_files)) == [
        "paket.zip: would expand to "
        f"{sum(len(d) for d in course_files.values())} B; a package may expand to at most 1000 B"
    ]


def test_a_declared_size_that_lies_does_not_let_more_data_through(course_files):
    # The directory says 10 bytes; the data holds more. Reading stops at 10 and the
    # checksum then fails: the entry is named as damaged, and nothing is imported.
    data = patch_entry(zip_of(course_files), f"{SLUG}/01-pembuka.md", file_size=10)

    [error] = refused(data)
    assert error.startswith(f"paket.zip: {SLUG}/01-pembuka.md: is damaged (")


def test_the_bytes_read_are_counted_against_the_limit_whatever_the_zip_declares(course_files, monkeypatch):
    monkeypatch.setattr(packages, "MAX_EXPANDED", 1000)
    monkeypatch.setattr(packages, "_declared_size", lambda entries: 0)  # a directory that lies

    [error] = refused(zip_of(course_files))
    assert error.startswith("paket.zip: ")
    assert error.endswith(
        ": holds more data than the package declares or may expand to (at most 1000 B): reading stopped"
    )


def test_a_package_over_the_size_limit_is_refused(course_files, monkeypatch):
    monkeypatch.setattr(packages, "PACKAGE_MAX_BYTES", 100)

    assert refused(zip_of(course_files)) == ["paket.zip: the package is larger than 100 B"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(PNG, "paket.zip: is not a zip file", id="png-named-zip"),
        pytest.param(b"", "paket.zip: is not a zip file", id="empty-file"),
        pytest.param(
            b"PK\x03\x04" + bytes(200), "paket.zip: is not a zip file, or it is damaged", id="damaged"
        ),
    ],
)
def test_a_file_that_is_not_a_zip_is_refused_whatever_its_name(data, message):
    assert refused(data) == [message]


NO_COURSE = (
    "paket.zip: holds no course: put kursus.toml in a folder named after the course "
    "(<slug>/kursus.toml), or at the top of the zip"
)


def test_an_empty_zip_holds_no_course():
    assert refused(zip_of({})) == [NO_COURSE]


def test_a_zip_without_kursus_toml_holds_no_course(course_files):
    del course_files[f"{SLUG}/kursus.toml"]

    assert refused(zip_of(course_files)) == [NO_COURSE]
    assert refused(zip_of({"gambar.png": PNG, "catatan/01-a.md": "# A\n\nTeks.\n"})) == [NO_COURSE]


def test_a_file_beside_the_course_folders_is_refused(course_files):
    assert refused(zip_of({**course_files, "BACA.txt": "halo"})) == [
        "paket.zip: BACA.txt: is outside any course folder"
    ]


def test_every_problem_is_reported_at_once(course_files):
    errors = refused(zip_of({**course_files, "../x.md": b"x", "/etc/passwd": b"x"}))

    assert errors == [
        "paket.zip: ../x.md: names a path outside the course folder",
        "paket.zip: /etc/passwd: names a path outside the course folder",
    ]


# --- who may import ---------------------------------------------------------------------


def test_a_trainer_who_imports_a_new_course_owns_it(users, course_files):
    trainer = users["trainer"]

    assert import_zip("paket.zip", zip_of(course_files), by_user=trainer) == [(SLUG, "created")]
    db.session.commit()

    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == SLUG))
    assert [o.pegawai_id for o in kursus.owners] == [trainer.pegawai_id]


def retitled(course_files) -> bytes:
    toml = course_files[f"{SLUG}/kursus.toml"].replace(b'title = "Kursus Uji', b'title = "Judul Baru')
    return zip_of({**course_files, f"{SLUG}/kursus.toml": toml})


def test_a_trainer_cannot_replace_a_course_he_does_not_own(users, make_course, course_files):
    make_course(SLUG)

    assert refused(retitled(course_files), by_user=users["trainer"]) == [
        f"paket.zip: course {SLUG} already exists here and you are not one of its owners: "
        "ask an owner or an admin to add you"
    ]
    assert db.session.scalar(select(Kursus.title).where(Kursus.slug == SLUG)) == f"Kursus Uji {SLUG}"


def test_an_owner_or_an_admin_may_replace_a_course(users, make_course, course_files):
    kursus = make_course(SLUG)
    db.session.add(KursusPemilik(kursus_id=kursus.id, pegawai_id=users["trainer"].pegawai_id))
    db.session.commit()

    assert import_zip("paket.zip", retitled(course_files), by_user=users["trainer"]) == [(SLUG, "updated")]
    assert import_zip("paket.zip", zip_of(course_files), by_user=users["admin"]) == [(SLUG, "updated")]
    assert count(KursusPemilik) == 1


def test_someone_who_is_no_trainer_cannot_import(users, course_files):
    assert refused(zip_of(course_files), by_user=users["learner"]) == [
        "paket.zip: only trainers and admins can import courses"
    ]


# --- export ---------------------------------------------------------------------------


def test_an_export_is_one_folder_of_the_course_files_the_same_bytes_every_time(make_course, course_files):
    kursus = make_course(SLUG)

    data = export_zip(kursus)

    assert package_name(kursus) == f"{SLUG}-v1.zip"
    assert export_zip(kursus) == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.filename.split("/")[0] for i in infos} == {SLUG}
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert all(i.extra == b"" and i.create_system == 3 for i in infos)
    assert set(unzipped(data)) == set(course_files)
    assert unzipped(data)[f"{SLUG}/media/gambar.svg"] == course_files[f"{SLUG}/media/gambar.svg"]
    assert import_zip(package_name(kursus), data, by_user=None) == [(SLUG, "unchanged")]


@pytest.fixture(scope="module")
def other_app(tmp_path_factory):
    """Another agency's server: its own database and its own files."""
    import flask_migrate

    root = tmp_path_factory.mktemp("other-agency")
    other = create_app(
        TestingConfig,
        instance_path=str(root / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{root / 'other.db'}",
        STORAGE_LOCAL_ROOT=str(root / "files"),
    )
    with other.app_context():
        flask_migrate.upgrade()
        seed_dictionary()
    return other


def _without_ids(value):
    """A published question apart from the ids each quiz version draws for its options."""
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("id", "choice")}
    return value


def snapshot(kursus: Kursus) -> dict:
    """What a learner and a trainer see of a course, apart from database ids."""
    kuis = db.session.scalar(select(Kuis).where(Kuis.kursus_id == kursus.id))
    version = kuis.current
    return {
        "details": (kursus.title, kursus.summary, kursus.description_html, kursus.audience, kursus.status),
        "jp": (kursus.jp, kursus.minutes),
        "competencies": sorted((c.code, c.level) for c in kursus.competencies),
        "modules": [(m.slug, m.position, m.title, m.body_md, m.body_html, m.toc_html) for m in kursus.moduls],
        "media": {name: storage().read(key) for name, key in kursus.media.items()},
        "cover": kursus.cover,
        "quiz settings": settings_of(db.session.get(KuisSetelan, kursus.id)),
        "bank": bank_of(kursus.id),
        "quiz version": (
            version.title,
            version.pass_mark,
            version.max_attempts,
            version.time_limit_minutes,
            version.shuffle_questions,
            version.shuffle_options,
            version.feedback,
            version.draw,
            [q["id"] for q in version.questions],
            _without_ids(version.questions),
        ),
    }


def every_kind_of_course(root: Path) -> Path:
    """A course using what the shipped ones do not: a cover, a PNG, every question type
    and a draw rule."""
    folder = write_course(root, "semua-jenis", quiz=False)
    picture = io.BytesIO()
    Image.new("RGB", (8, 4), (200, 40, 40)).save(picture, "PNG")
    (folder / "media" / "foto.png").write_bytes(picture.getvalue())
    meta = folder / "kursus.toml"
    meta.write_text(meta.read_text().replace("jp = 3\n", 'jp = 3\ncover = "media/foto.png"\n'))
    with (folder / "02-penutup.md").open("a") as module:
        module.write("\n![Foto](media/foto.png){width=8 height=4}\n")
    draw = '\n[[draw]]\ntags = ["nilai"]\ncount = 1\n'
    (folder / "kuis.toml").write_text(every_type() + draw, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "make_folder", [lambda root: SHIPPED, every_kind_of_course], ids=["shipped", "every-kind"]
)
def test_a_course_exported_here_is_the_same_course_on_another_instance(other_app, course_root, make_folder):
    folder = make_folder(course_root)
    import_courses([folder])
    db.session.commit()
    here = db.session.scalar(select(Kursus).where(Kursus.slug == folder.name))
    package = export_zip(here)
    expected = snapshot(here)

    with other_app.app_context(), force_locale("en"):
        assert import_zip(package_name(here), package, by_user=None) == [(folder.name, "created")]
        db.session.commit()
        there = db.session.scalar(select(Kursus).where(Kursus.slug == folder.name))
        got = snapshot(there)
        exported_again = export_zip(there)

    assert got == expected
    assert expected["media"] and expected["bank"]
    if make_folder is every_kind_of_course:
        assert expected["cover"] == "foto.png" and expected["quiz settings"]["draw"]
        assert {q["type"] for q in expected["bank"]} == {
            "multiple",
            "numeric",
            "matching",
            "truefalse",
            "short",
        }
    # The round trip is stable: the course comes back as the very same package.
    assert unzipped(exported_again) == unzipped(package)
    assert exported_again == package


# --- the command line -------------------------------------------------------------------


def test_the_cli_exports_a_course_and_imports_the_zip(runner, make_course, course_root, tmp_path):
    kursus = make_course(SLUG)
    target = tmp_path / "keluar.zip"

    result = runner.invoke(args=["kursus", "export", SLUG, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == export_zip(kursus)

    again = runner.invoke(args=["kursus", "export", SLUG, "-o", str(target)])
    assert again.exit_code != 0
    assert "already exists; add --force to replace it" in again.stderr
    assert runner.invoke(args=["kursus", "export", SLUG, "-o", str(target), "--force"]).exit_code == 0

    result = runner.invoke(args=["kursus", "import", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{SLUG}: unchanged\n"

    new = tmp_path / "baru.bin"  # told by its content, not its name
    new.write_bytes(zip_of(files_of(write_course(course_root, "kursus-baru"), "kursus-baru/")))
    result = runner.invoke(args=["kursus", "import", str(new)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "kursus-baru: created\n"
    assert db.session.scalar(select(Kursus).where(Kursus.slug == "kursus-baru")).owners == []


def test_the_cli_export_names_the_file_after_the_course_and_its_version(runner, make_course, tmp_path):
    make_course(SLUG)

    result = runner.invoke(args=["kursus", "export", SLUG, "-o", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{SLUG}-v1.zip").is_file()
    assert runner.invoke(args=["kursus", "export", "tidak-ada"]).exit_code != 0


def test_the_cli_refuses_a_bad_package_and_imports_nothing(runner, ctx, course_files, tmp_path):
    bad = tmp_path / "paket.zip"
    bad.write_bytes(zip_of({**course_files, "../x.md": b"x"}))

    result = runner.invoke(args=["kursus", "import", str(bad)])

    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith("paket.zip: ../x.md: ")  # the reason is in the server's language
    assert lines[-1] == "Error: 1 error(s); nothing was imported."
    assert count(Kursus) == 0
