"""Importing positions: KODE_JABATAN, NAMA_JABATAN, JENIS_JABATAN (by code or label,
without case or spaces). Positions are the whole agency's: a unit-limited admin does not
import them."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.core.audit import AuditEntry
from lms.core.errors import DomainError
from lms.extensions import db
from lms.org import importer
from lms.org.models import Jabatan, UnitKerja
from tests.org.fixtures import JABATAN_HEADER, counts, csv_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


def positions(*rows) -> bytes:
    return csv_bytes([JABATAN_HEADER, *rows])


def run(data, **options):
    outcome = importer.import_file("jabatan", data, **options)
    db.session.commit()
    return outcome


def test_kinds_are_read_by_code_or_label_in_any_case_and_spacing():
    outcome = run(
        positions(
            ["KADIS", "Kepala Dinas", "JPT Pratama"],
            ["SEKDA", "Sekretaris Daerah", "jpt_madya"],
            ["KABID", "Kepala Bidang", "administrator"],
            ["KASI", "Kepala Seksi", "PENGAWAS"],
            ["APT", "Apoteker", "Jabatan Fungsional"],
            ["STAF", "Pengadministrasi", "  pelaksana "],
            ["X", "Utama", "jpt  utama"],
        )
    )
    assert outcome.errors == []
    kinds = {j.kode: j.jenis for j in db.session.scalars(select(Jabatan))}
    assert kinds == {
        "KADIS": "jpt_pratama",
        "SEKDA": "jpt_madya",
        "KABID": "administrator",
        "KASI": "pengawas",
        "APT": "fungsional",
        "STAF": "pelaksana",
        "X": "jpt_utama",
    }


def test_unknown_kind_and_duplicate_codes_are_errors_at_each_row_and_nothing_is_written():
    outcome = run(positions(["A", "A", "Fungsional"], ["B", "B", "Honorer"], ["A", "A lagi", "pelaksana"]))
    assert [(p.row, p.column) for p in outcome.errors] == [
        (2, "KODE_JABATAN"),
        (3, "JENIS_JABATAN"),
        (4, "KODE_JABATAN"),
    ]
    assert "Unknown kind of position Honorer" in outcome.errors[1].message
    assert counts()["jabatan"] == 0


def test_update_is_audited_and_the_same_file_again_changes_nothing():
    run(positions(["APT", "Apoteker", "fungsional"]))
    data = positions(["APT", "Apoteker Ahli Muda", "fungsional"], ["KASI", "Kepala Seksi", "pengawas"])
    first = run(data)
    assert (len(first.created), len(first.updated)) == (1, 1)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "jabatan.update"))
    assert entry.before == {"nama": "Apoteker"} and entry.after == {"nama": "Apoteker Ahli Muda"}
    before = counts()
    again = run(data)
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 2)
    assert counts() == before


def test_xlsx_positions_are_read():
    outcome = run(
        xlsx_bytes([["Kode Jabatan", "Nama Jabatan", "Jenis Jabatan"], ["APT", "Apoteker", "Fungsional"]])
    )
    assert outcome.errors == [] and counts()["jabatan"] == 1


def test_a_unit_limited_admin_is_told_positions_are_for_an_agency_admin():
    unit = UnitKerja(kode="U", nama="U", jenis="upt")
    db.session.add(unit)
    db.session.commit()

    class Admin:
        is_admin, pegawai_id, admin_unit_id = True, None, unit.id

    with pytest.raises(DomainError) as caught:
        importer.import_file("jabatan", positions(["APT", "Apoteker", "fungsional"]), admin=Admin())
    assert "whole agency" in caught.value.message
    assert counts()["jabatan"] == 0
