"""Command line: ``flask kursus import PATH``, ``flask kompetensi import FILES`` and ``flask demo``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lms.extensions import db


def _all_or_nothing(run):
    """Run an import; commit it, or print its ``file:line`` errors and fail having written nothing."""
    from lms.catalog.importer import ImportFailed

    try:
        outcomes = run()
    except ImportFailed as exc:
        db.session.rollback()
        for line in exc.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(exc.errors)} error(s); nothing was imported.") from None
    db.session.commit()
    return outcomes


def _warn(line: str) -> None:
    """A ``file:line: warning: …`` line: printed with the errors, but it fails nothing."""
    click.echo(line, err=True)


kursus_cli = AppGroup("kursus", help="Course folders (kursus/<slug>/).")


@kursus_cli.command("import")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def import_command(path: Path | None):
    """Check and import course folders, or a course package (zip); nothing is written if
    any has an error."""
    from lms.catalog.importer import course_folders, import_courses

    path = path or Path(current_app.config["KURSUS_DIR"])
    if path.is_file():
        outcomes = _all_or_nothing(lambda: _import_package(path))
    else:
        outcomes = _all_or_nothing(lambda: import_courses(course_folders(path), on_warning=_warn))
    for slug, outcome in outcomes:
        click.echo(f"{slug}: {outcome}")


def _import_package(path: Path) -> list[tuple[str, str]]:
    """A zip (told by its content, whatever its name) imported with no user: courses it
    creates get no owner, as admins own everything."""
    from lms.authoring.packages import PACKAGE_MAX_BYTES, PackageRefused, import_zip
    from lms.catalog.importer import ImportFailed

    with path.open("rb") as handle:
        data = handle.read(PACKAGE_MAX_BYTES + 1)  # enough to know it is too large
    try:
        return import_zip(path.name, data, by_user=None, on_warning=_warn)
    except PackageRefused as exc:
        raise ImportFailed(exc.errors) from None


@kursus_cli.command("export")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="The zip to write (default: <slug>-v<version>.zip).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def export_command(slug: str, output: Path | None, force: bool):
    """Write a course's working copy as a package: a zip of its kursus/<slug>/ folder."""

    from lms.authoring.packages import export_zip, package_name
    from lms.catalog.models import Kursus

    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == slug))
    if kursus is None:
        raise click.ClickException(f"No course has the slug {slug!r}.")
    if output is None or output.is_dir():
        output = (output or Path()) / package_name(kursus)
    if output.exists() and not force:
        raise click.ClickException(f"{output} already exists; add --force to replace it.")
    data = export_zip(kursus)
    output.write_bytes(data)
    click.echo(f"{output}: {slug} version {kursus.version}, {len(data)} bytes")


@kursus_cli.command("check")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check_command(path: Path):
    """Check course folders without importing them."""
    from lms.catalog.importer import check_course, course_folders

    errors = [line for folder in course_folders(path) for line in check_course(folder, _warn)[1]]
    for line in errors:
        click.echo(line, err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} error(s).")
    click.echo("ok")


kompetensi_cli = AppGroup("kompetensi", help="The competency dictionary.")


@kompetensi_cli.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_dictionary_command(files: tuple[Path, ...]):
    """Load dictionary files (default: the national PermenPANRB 38/2017 seed); all or nothing."""
    from lms.competencies.services import NATIONAL_DICTIONARY, import_dictionary

    outcomes = _all_or_nothing(lambda: import_dictionary(files or [NATIONAL_DICTIONARY]))
    counts = {}
    for _code, outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    click.echo(", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))


@click.command("demo")
def demo_command():
    """Create the demo organisation and accounts (idempotent)."""
    from lms.demo import seed_demo

    summary = seed_demo()
    db.session.commit()
    click.echo(summary)


akun_cli = AppGroup("akun", help="Accounts: the first admin of an empty database.")


@akun_cli.command("admin")
@click.argument("nip")
def make_admin_command(nip: str):
    """Make an imported employee an admin of the whole agency and print a one-time code
    to activate (or reset) their account at /aktivasi: how the first admin gets in."""
    from lms.accounts.activation import activation_url, issue, person_for
    from lms.accounts.roles import make_first_admin
    from lms.org.services import find_by_nip

    pegawai = find_by_nip(nip)
    if pegawai is None or not pegawai.aktif:
        raise click.ClickException(f"No active employee has the NIP {nip!r}: import the employees first.")
    admin = make_first_admin(pegawai)
    person = person_for(admin, pegawai.nip)
    [code] = issue([person], "reset" if person.activated else "activate", None)
    db.session.commit()
    click.echo(f"{pegawai.nama} ({pegawai.nip}) is an admin of the whole agency.")
    click.echo(f"One-time code: {code.shown}, valid until {code.expires_at:%Y-%m-%d %H:%M} UTC.")
    click.echo(f"Open {activation_url()} and enter the NIP, the code and a new password.")


def init_app(app: Flask) -> None:
    app.cli.add_command(akun_cli)
    app.cli.add_command(kursus_cli)
    app.cli.add_command(kompetensi_cli)
    app.cli.add_command(soal_cli)
    app.cli.add_command(demo_command)
    # Each domain's own commands (flask unit|jabatan|pegawai …, flask aturan …, flask pengingat …).
    for register in _domain_commands():
        register(app)


def _domain_commands():
    from lms.notifications.cli import init_app as notifications
    from lms.org.cli import init_app as org
    from lms.progress.cli import init_app as rules

    return (org, rules, notifications)


soal_cli = AppGroup("soal", help="A course's question bank: GIFT and Moodle XML files.")


def _course_id(slug: str) -> int:

    from lms.catalog.models import Kursus

    kursus_id = db.session.scalar(select(Kursus.id).where(Kursus.slug == slug))
    if kursus_id is None:
        raise click.ClickException(f"No course has the slug {slug!r}.")
    return kursus_id


@soal_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kursus", "slug", required=True, help="The course whose bank gets the questions.")
@click.option("--tag", default=None, help="A tag for every imported question.")
@click.option("--skip-unsupported", is_flag=True, help="Leave out question types the bank does not have.")
def import_questions_command(file: Path, slug: str, tag: str | None, skip_unsupported: bool):
    """Add the questions of a GIFT or Moodle XML file to a course's bank; all or nothing."""
    from lms.core.errors import DomainError
    from lms.quizzes import bank

    kursus_id = _course_id(slug)
    with file.open("rb") as handle:
        data = handle.read(bank.import_limit() + 1)  # enough to know it is too large
    try:
        result = bank.import_questions(kursus_id, file.name, data, tag=tag, skip_unsupported=skip_unsupported)
    except bank.ImportRefused as exc:
        db.session.rollback()
        for line in exc.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(exc.errors)} error(s); nothing was imported.") from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {exc.message}") from None
    db.session.commit()
    for line in result.skipped:
        click.echo(f"skipped: {line}", err=True)
    for line in result.warnings:
        _warn(line)
    click.echo(f"{slug}: {len(result.added)} question(s) imported, {len(result.skipped)} skipped")


@soal_cli.command("export")
@click.option("--kursus", "slug", required=True, help="The course whose bank is written.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def export_questions_command(slug: str, output: Path | None):
    """Write a course's question bank as GIFT."""
    from lms.quizzes import bank

    text = bank.export_gift(_course_id(slug))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{output}: {slug}", err=True)
