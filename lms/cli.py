"""Command line: ``flask kursus import PATH``, ``flask kompetensi import FILES`` and ``flask demo``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

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
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(path: Path | None):
    """Check and import course folders; nothing is written if any has an error."""
    from lms.catalog.importer import course_folders, import_courses

    path = path or Path(current_app.config["KURSUS_DIR"])
    outcomes = _all_or_nothing(lambda: import_courses(course_folders(path), on_warning=_warn))
    for slug, outcome in outcomes:
        click.echo(f"{slug}: {outcome}")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(kursus_cli)
    app.cli.add_command(kompetensi_cli)
    app.cli.add_command(demo_command)
