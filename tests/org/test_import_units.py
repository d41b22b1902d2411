"""Importing units: KODE_UNIT, NAMA_UNIT, JENIS_UNIT, KODE_INDUK, ZONA_WAKTU.

Kinds are read by code, label or the words agencies use; parents may come later in the
file or already exist; loops are refused; WIB/WITA/WIT become IANA zones, empty is the
agency's. One bad row writes nothing; the same file twice changes nothing."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.core.audit import AuditEntry
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.extensions import db
from lms.org import importer
from lms.org.models import UnitKerja
from tests.org.fixtures import UNIT_HEADER, counts, csv_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


def units(*rows, **options) -> bytes:
    return csv_bytes([UNIT_HEADER, *rows], **options)


def by_kode() -> dict[str, UnitKerja]:
    db.session.expire_all()
    return {u.kode: u for u in db.session.scalars(select(UnitKerja))}


def run(data, **options):
    outcome = importer.import_file("unit", data, **options)
    db.session.commit()
    return outcome


def problems(outcome) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in outcome.errors}


def test_units_are_created_with_parents_given_later_in_the_file_kinds_and_zones():
    outcome = run(
        units(
            ["SEKSI-1", "Seksi Farmasi", "Seksi", "BID-1", ""],
            ["BID-1", "Bidang Pelayanan", "bidang", "DINKES", "Asia/Makassar"],
            ["DINKES", "Dinas Kesehatan", "Perangkat Daerah", "", "WITA"],
            ["PKM", "Puskesmas Oesapa", "puskesmas", "DINKES", "wit"],
            ["OPD2", "Dinas Pendidikan", "OPD", "", "WIB"],
            ["SUB", "Sub Bidang Data", "Sub Bidang", "BID-1", ""],
            ["UPT", "UPT Lab", "UPT", "DINKES", ""],
            ["KEC", "Kecamatan Alak", "KECAMATAN", "", ""],
            ["PEMDA", "Pemerintah Provinsi", "Instansi", "", ""],
        )
    )
    assert outcome.errors == []
    assert len(outcome.created) == 9 and outcome.applied
    found = by_kode()
    assert found["SEKSI-1"].parent.kode == "BID-1"
    assert found["BID-1"].parent.kode == "DINKES"
    assert found["DINKES"].parent is None
    assert {k: u.jenis for k, u in found.items()} == {
        "SEKSI-1": "subbidang",
        "BID-1": "bidang",
        "DINKES": "perangkat_daerah",
        "PKM": "puskesmas",
        "OPD2": "perangkat_daerah",
        "SUB": "subbidang",
        "UPT": "upt",
        "KEC": "kecamatan",
        "PEMDA": "instansi",
    }
    assert found["DINKES"].zona == "Asia/Makassar" and found["BID-1"].zona == "Asia/Makassar"
    assert found["PKM"].zona == "Asia/Jayapura" and found["OPD2"].zona == "Asia/Jakarta"
    assert found["SEKSI-1"].zona is None  # inherits the agency's


def test_importing_the_same_file_again_changes_nothing_and_writes_no_audit():
    data = units(
        ["DINKES", "Dinas Kesehatan", "perangkat_daerah", "", "WITA"],
        ["BID", "Bidang", "bidang", "DINKES", ""],
    )
    run(data)
    before = counts()
    again = run(data)
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 2)
    assert counts() == before


def test_an_update_changes_only_what_differs_and_is_audited_with_the_changed_fields():
    run(
        units(
            ["DINKES", "Dinas Kesehatan", "perangkat_daerah", "", ""],
            ["BID", "Bidang", "bidang", "DINKES", ""],
        )
    )
    outcome = run(
        units(
            ["DINKES", "Dinas Kesehatan", "perangkat_daerah", "", ""],
            ["BID", "Bidang Baru", "bidang", "", "WIT"],
        )
    )
    assert [c.key for c in outcome.updated] == ["BID"]
    assert outcome.updated[0].after == {"nama": "Bidang Baru", "parent": None, "zona": "Asia/Jayapura"}
    found = by_kode()
    assert found["BID"].nama == "Bidang Baru" and found["BID"].parent_id is None
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.action)).all()
    assert sorted(e.action for e in entries) == ["unit.create", "unit.create", "unit.update"]
    update = next(e for e in entries if e.action == "unit.update")
    assert update.target_id == "BID" and update.target_label == "Bidang Baru"
    assert update.before == {"parent": "DINKES", "nama": "Bidang", "zona": None}
    assert update.actor_id is None  # a command or service call with nobody signed in


def test_leaving_out_the_optional_columns_keeps_parent_and_zone():
    run(units(["DINKES", "Dinas", "perangkat_daerah", "", "WITA"], ["BID", "Bidang", "bidang", "DINKES", ""]))
    outcome = run(
        csv_bytes(
            [
                ["Kode Unit", "nama unit", "JENIS-UNIT"],
                ["BID", "Bidang Dua", "bidang"],
                ["DINKES", "Dinas", "opd"],
            ]
        )
    )
    assert outcome.errors == [] and [c.after for c in outcome.updated] == [{"nama": "Bidang Dua"}]
    found = by_kode()
    assert found["BID"].parent.kode == "DINKES" and found["DINKES"].zona == "Asia/Makassar"


def test_a_parent_in_the_database_is_found():
    db.session.add(UnitKerja(kode="DINKES", nama="Dinas", jenis="perangkat_daerah"))
    db.session.commit()
    assert run(units(["PKM", "Puskesmas", "puskesmas", "DINKES", ""])).errors == []
    assert by_kode()["PKM"].parent.kode == "DINKES"


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (["A", "Unit A", "Kantor", "", ""], "JENIS_UNIT", "Unknown kind of unit Kantor"),
        (["A", "Unit A", "upt", "NOPE", ""], "KODE_INDUK", "No unit has the code NOPE"),
        (["A", "Unit A", "upt", "A", ""], "KODE_INDUK", "own parent"),
        (["A", "Unit A", "upt", "", "GMT+8"], "ZONA_WAKTU", "Unknown time zone GMT+8"),
        (["A", "", "upt", "", ""], "NAMA_UNIT", "Enter the unit name"),
        (["A" * 41, "Unit A", "upt", "", ""], "KODE_UNIT", "At most 40 characters"),
    ],
)
def test_each_bad_row_is_reported_with_row_and_column_and_nothing_is_written(row, column, words):
    outcome = run(units(["OK", "Unit Baik", "upt", "", ""], row))
    assert [(p.row, p.column) for p in outcome.errors] == [(3, column)]
    assert words in outcome.errors[0].message
    assert not outcome.applied
    assert counts()["unit"] == 0


def test_a_loop_of_parents_is_reported_at_every_unit_in_it():
    outcome = run(
        units(
            ["A", "A", "bidang", "C", ""],
            ["B", "B", "bidang", "A", ""],
            ["C", "C", "bidang", "B", ""],
            ["D", "D", "bidang", "A", ""],
        )
    )
    assert problems(outcome) == {(2, "KODE_INDUK"), (3, "KODE_INDUK"), (4, "KODE_INDUK")}
    assert "A → C → B → A" in outcome.errors[0].message
    assert counts()["unit"] == 0


def test_a_loop_through_the_database_is_found():
    a = UnitKerja(kode="A", nama="A", jenis="bidang")
    db.session.add(a)
    db.session.flush()
    db.session.add(UnitKerja(kode="B", nama="B", jenis="bidang", parent_id=a.id))
    db.session.commit()
    outcome = run(units(["A", "A", "bidang", "B", ""]))
    assert problems(outcome) == {(2, "KODE_INDUK")}
    assert by_kode()["A"].parent_id is None


def test_a_code_twice_is_reported_at_each_row():
    outcome = run(units(["A", "A", "upt", "", ""], ["B", "B", "upt", "", ""], ["A", "A2", "upt", "", ""]))
    assert problems(outcome) == {(2, "KODE_UNIT"), (4, "KODE_UNIT")}
    assert "also on row 4" in outcome.errors[0].message


def test_nothing_new_goes_under_a_closed_unit_but_what_is_there_stays():
    closed = UnitKerja(kode="TUTUP", nama="Tutup", jenis="upt", closed_at=utcnow())
    db.session.add(closed)
    db.session.flush()
    db.session.add(UnitKerja(kode="LAMA", nama="Lama", jenis="bidang", parent_id=closed.id))
    db.session.commit()
    outcome = run(units(["A", "A", "bidang", "TUTUP", ""], ["LAMA", "Lama", "bidang", "TUTUP", ""]))
    assert [(p.row, p.column) for p in outcome.errors] == [(2, "KODE_INDUK")]
    assert "closed" in outcome.errors[0].message


def test_missing_and_unknown_columns_refuse_the_file_with_the_expected_header():
    with pytest.raises(DomainError) as caught:
        importer.import_file("unit", csv_bytes([["KODE_UNIT", "NAMA", "Warna"], ["A", "B", "C"]]))
    message = caught.value.message
    assert caught.value.field == "file"
    assert "Missing column(s): NAMA_UNIT, JENIS_UNIT." in message
    assert "Unknown column(s): NAMA, Warna." in message
    assert "KODE_UNIT, NAMA_UNIT, JENIS_UNIT, KODE_INDUK, ZONA_WAKTU" in message
    assert counts()["unit"] == 0


def test_a_dry_run_writes_nothing():
    outcome = run(units(["A", "A", "upt", "", ""]), dry_run=True)
    assert len(outcome.created) == 1 and not outcome.applied
    assert counts() == {"unit": 0, "jabatan": 0, "pegawai": 0, "audit": 0}


def test_xlsx_semicolons_and_odd_headers_read_the_same():
    rows = [
        ["kode unit", " Nama_Unit ", "JENISUNIT", "Kode-Induk", "zona waktu"],
        ["A", "Unit A", "upt", "", "WIB"],
        [None] * 5,
    ]
    assert run(xlsx_bytes(rows), dry_run=True).created[0].after["zona"] == "Asia/Jakarta"
    assert (
        len(run(units(["A", "Unit A", "upt", "", ""], delimiter=";", sep_line=True), dry_run=True).created)
        == 1
    )


class Admin:
    """A unit-limited admin, as the importer sees one."""

    is_admin = True
    pegawai_id = None

    def __init__(self, unit_id):
        self.admin_unit_id = unit_id


def test_a_unit_limited_admin_changes_only_units_in_their_tree():
    dinkes = UnitKerja(kode="DINKES", nama="Dinas", jenis="perangkat_daerah")
    disdik = UnitKerja(kode="DISDIK", nama="Disdik", jenis="perangkat_daerah")
    db.session.add_all([dinkes, disdik])
    db.session.commit()
    admin = Admin(dinkes.id)
    ok = importer.import_file("unit", units(["DINKES", "Dinas", "perangkat_daerah", "", ""], ["BID", "Bidang", "bidang", "DINKES", ""],
                                            ["SUB", "Sub", "subbidang", "BID", ""]), admin=admin, dry_run=True)  # fmt: skip
    assert ok.errors == [] and len(ok.created) == 2
    outcome = importer.import_file(
        "unit",
        units(["DISDIK", "Disdik Baru", "perangkat_daerah", "", ""], ["TOP", "Top", "instansi", "", ""], ["X", "X", "upt", "DISDIK", ""],
              ["DINKES", "Dinas", "perangkat_daerah", "DISDIK", ""]),
        admin=admin,
    )  # fmt: skip
    assert problems(outcome) == {(2, "KODE_UNIT"), (3, "KODE_INDUK"), (4, "KODE_INDUK"), (5, "KODE_INDUK")}
    db.session.commit()
    assert counts()["unit"] == 2 and by_kode()["DISDIK"].nama == "Disdik"
