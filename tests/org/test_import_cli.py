"""``flask unit import``, ``flask jabatan import`` and ``flask pegawai import [--dry-run]
[--deactivate-missing]``: a summary of what was done, or every problem as
``FILE:ROW:COLUMN: message`` on stderr and a non-zero exit having written nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.org.models import Pegawai
from tests.org.fixtures import (
    JABATAN_HEADER,
    KEPALA,
    STAF,
    STAF2,
    UNIT_HEADER,
    counts,
    csv_bytes,
    pegawai_rows,
    person,
    xlsx_bytes,
)


@pytest.fixture
def files(tmp_path):
    def write(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write


@pytest.fixture
def org_files(files, runner):
    """Units and positions imported through their commands."""
    units = files("unit.csv", csv_bytes([UNIT_HEADER, ["UPT-A", "UPT Farmasi", "UPT", "DINKES", ""],
                                         ["DINKES", "Dinas Kesehatan", "OPD", "", "WITA"]], delimiter=";"))  # fmt: skip
    result = runner.invoke(args=["unit", "import", units])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged." in result.output
    positions = files(
        "jabatan.xlsx",
        xlsx_bytes([JABATAN_HEADER, ["APT", "Apoteker", "Fungsional"], ["KADIS", "Kepala", "JPT Pratama"]]),
    )
    result = runner.invoke(args=["jabatan", "import", positions])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output and "XLSX" in result.output


def test_units_positions_then_employees_import_and_again_changes_nothing(ctx, runner, files, org_files):
    path = files(
        "pegawai.csv",
        csv_bytes(
            pegawai_rows(
                person(KEPALA, "Kepala", unit="DINKES", jabatan="KADIS"), person(STAF, atasan=KEPALA)
            )
        ),
    )
    result = runner.invoke(args=["pegawai", "import", path])
    assert result.exit_code == 0, result.output
    assert "2 row(s) read (CSV, utf-8, delimiter ',')" in result.output
    assert "2 created, 0 updated, 0 deactivated, 0 unchanged." in result.output
    before = counts()
    again = runner.invoke(args=["pegawai", "import", path])
    assert "0 created, 0 updated, 0 deactivated, 2 unchanged." in again.output
    assert counts() == before


def test_errors_are_printed_as_file_row_column_lines_and_nothing_is_written(ctx, runner, files, org_files):
    path = files(
        "pegawai.csv",
        csv_bytes(
            pegawai_rows(person(STAF), person(STAF2, unit="NOPE", golongan="V"), person("1.99203E+17")),
            delimiter=";",
        ),
    )
    before = counts()
    result = runner.invoke(args=["pegawai", "import", path])
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    # The command line speaks the agency's default language, Indonesian.
    assert any(line.startswith(f"{path}:3:GOLONGAN: ") and " V" in line for line in lines)
    assert any(line.startswith(f"{path}:3:KODE_UNIT: ") for line in lines)
    assert any(line.startswith(f"{path}:4:NIP: ") for line in lines)
    assert "3 error(s); nothing was imported." in result.stderr
    assert counts() == before


def test_a_file_that_cannot_be_read_is_one_message(ctx, runner, files):
    path = files("pegawai.xlsx", b"%PDF-1.4\n%%EOF\n")
    result = runner.invoke(args=["pegawai", "import", path])
    assert result.exit_code != 0
    assert result.stderr.startswith(f"{path}: ")
    assert "PDF" in result.stderr
    missing = files("unit.csv", b"KODE_UNIT\nA\n")
    result = runner.invoke(args=["unit", "import", missing])
    assert result.exit_code != 0 and "NAMA_UNIT, JENIS_UNIT" in result.stderr


def test_dry_run_and_deactivate_missing(ctx, runner, files, org_files):
    full = files("full.csv", csv_bytes(pegawai_rows(person(STAF), person(STAF2))))
    assert runner.invoke(args=["pegawai", "import", full]).exit_code == 0
    smaller = files("smaller.csv", csv_bytes(pegawai_rows(person(STAF))))

    dry = runner.invoke(args=["pegawai", "import", smaller, "--dry-run", "--deactivate-missing"])
    assert dry.exit_code == 0, dry.output
    assert "1 would be deactivated" in dry.output and "nothing written" in dry.output
    plain = runner.invoke(args=["pegawai", "import", smaller])
    assert "0 deactivated" in plain.output
    done = runner.invoke(args=["pegawai", "import", smaller, "--deactivate-missing"])
    assert "1 deactivated" in done.output
    db.session.expire_all()
    assert db.session.scalar(select(Pegawai.aktif).where(Pegawai.nip == STAF2)) is False
    assert db.session.scalar(select(Pegawai.aktif).where(Pegawai.nip == STAF)) is True


@pytest.mark.parametrize("ending", ["xlsx", "csv"])
def test_the_templates_written_by_the_command_import_as_they_are(ctx, runner, tmp_path, ending):
    """A newcomer with an empty database fills in the templates; their example rows,
    imported in order, make a unit, a position and two employees, one the other's atasan."""
    for kind in ("unit", "jabatan", "pegawai"):
        path = tmp_path / f"{kind}.{ending}"
        written = runner.invoke(args=[kind, "template", str(path)])
        assert written.exit_code == 0, written.output
        imported = runner.invoke(args=[kind, "import", str(path)])
        assert imported.exit_code == 0, imported.output
        assert f"{2 if kind == 'pegawai' else 1} created" in imported.output
    maria = db.session.scalar(select(Pegawai).where(Pegawai.nama == "Maria Goreti"))
    assert maria.atasan.nama == "Daniel Mau" and maria.jabatan.kode == "APT-AP"
    again = runner.invoke(args=["unit", "template", str(tmp_path / f"unit.{ending}")])
    assert again.exit_code != 0 and "--force" in again.output
