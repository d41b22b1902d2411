"""Command line for the organisation: ``flask unit import FILE``, ``flask jabatan import
FILE`` and ``flask pegawai import FILE [--dry-run] [--deactivate-missing]``, and
``flask unit|jabatan|pegawai template FILE.xlsx|csv`` for the file to fill in.

Each prints what it did (created, updated, deactivated, unchanged), or every problem as
``FILE:ROW:COLUMN: message`` on stderr and exits non-zero having written nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lms.extensions import db

unit_cli = AppGroup("unit", help="Units (unit kerja).")
jabatan_cli = AppGroup("jabatan", help="Positions (jabatan).")
pegawai_cli = AppGroup("pegawai", help="Employees (pegawai).")


def _run(kind: str, path: Path, *, dry_run: bool, deactivate_missing: bool = False) -> None:
    from lms.core.errors import DomainError
    from lms.org import importer

    max_bytes, _rows = importer.limits()
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # enough to know it is too large
    try:
        outcome = importer.import_file(kind, data, dry_run=dry_run, deactivate_missing=deactivate_missing)
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"{path}: {exc.message}", err=True)
        raise click.ClickException("nothing was imported.") from None
    if outcome.errors:
        db.session.rollback()
        for line in outcome.error_lines(str(path)):
            click.echo(line, err=True)
        raise click.ClickException(f"{len(outcome.errors)} error(s); nothing was imported.")
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    read = outcome.format.upper() + (f", {outcome.encoding}" if outcome.encoding else "")
    if outcome.delimiter:
        read += ", delimiter " + {"\t": "tab"}.get(outcome.delimiter, repr(outcome.delimiter))
    click.echo(f"{path}: {outcome.rows} row(s) read ({read}).")
    verb = "would be " if dry_run else ""
    counts = [f"{len(outcome.created)} {verb}created", f"{len(outcome.updated)} {verb}updated"]
    if kind == "pegawai":
        counts.append(f"{len(outcome.deactivated)} {verb}deactivated")
    counts.append(f"{outcome.unchanged} unchanged")
    click.echo(", ".join(counts) + (" (dry run: nothing written)." if dry_run else "."))


_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_dry_run = click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")


@unit_cli.command("import")
@_file
@_dry_run
def import_units(file: Path, dry_run: bool):
    """Import units from CSV or XLSX: KODE_UNIT, NAMA_UNIT, JENIS_UNIT, KODE_INDUK, ZONA_WAKTU."""
    _run("unit", file, dry_run=dry_run)


@jabatan_cli.command("import")
@_file
@_dry_run
def import_jabatan(file: Path, dry_run: bool):
    """Import positions from CSV or XLSX: KODE_JABATAN, NAMA_JABATAN, JENIS_JABATAN."""
    _run("jabatan", file, dry_run=dry_run)


@pegawai_cli.command("import")
@_file
@_dry_run
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Deactivate active employees who are not in the file (a full list of the agency).",
)
def import_pegawai(file: Path, dry_run: bool, deactivate_missing: bool):
    """Import employees from CSV or XLSX: NIP, NAMA, STATUS_ASN, GOLONGAN, KODE_JABATAN,
    KODE_UNIT, NIP_ATASAN, EMAIL."""
    _run("pegawai", file, dry_run=dry_run, deactivate_missing=deactivate_missing)


def _template_command(group: AppGroup, kind: str) -> None:
    @group.command("template")
    @click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace the file if it exists.")
    def template(output: Path, force: bool):
        """Write the template to fill in: XLSX (NIPs as text) or CSV, by the file's ending."""
        from lms.core.export import to_csv, to_xlsx
        from lms.org import importer

        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            raise click.ClickException("Name the file .xlsx or .csv.")
        if output.exists() and not force:
            raise click.ClickException(f"{output} already exists; add --force to replace it.")
        sheet = importer.template(kind)
        output.write_bytes(to_xlsx([sheet]) if fmt == "xlsx" else to_csv(sheet, locale="id"))
        click.echo(f"{output}: the header and example rows to replace with your own.")


for _group, _kind in ((unit_cli, "unit"), (jabatan_cli, "jabatan"), (pegawai_cli, "pegawai")):
    _template_command(_group, _kind)


def init_app(app) -> None:
    for group in (unit_cli, jabatan_cli, pegawai_cli):
        app.cli.add_command(group)
