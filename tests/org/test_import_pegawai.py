"""Importing employees: NIP, NAMA, STATUS_ASN, GOLONGAN, KODE_JABATAN, KODE_UNIT,
NIP_ATASAN, EMAIL.

Every row is checked (the NIP's dates and sex digit, the golongan for the status, known
open unit and position, an atasan in the file or the database, no loops, an email), and
the ways spreadsheets damage NIPs are recognised and explained. One bad row writes
nothing; a file imported twice changes nothing; missing people are deactivated only
when asked; one ``people_changed`` names everyone created, moved or (de)activated."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms import signals
from lms.accounts.models import User
from lms.core.audit import AuditEntry
from lms.core.time import utcnow
from lms.extensions import db
from lms.org import importer
from lms.org.models import Pegawai
from tests.conftest import count_queries
from tests.org.fixtures import (
    KEPALA,
    PEGAWAI_HEADER,
    STAF,
    STAF2,
    STAF3,
    counts,
    csv_bytes,
    nip,
    pegawai_rows,
    person,
    seed_org,
    xlsx_bytes,
)

NUMBER = "The spreadsheet turned this NIP into a number"


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


@pytest.fixture
def org(ctx):
    return seed_org()


@contextmanager
def people_changed():
    sent: list[list[int]] = []

    def receiver(sender, pegawai_ids):
        sent.append(pegawai_ids)

    with signals.people_changed.connected_to(receiver):
        yield sent


def run(data, **options):
    outcome = importer.import_file("pegawai", data, **options)
    db.session.commit()
    return outcome


def people() -> dict[str, Pegawai]:
    db.session.expire_all()
    return {p.nip: p for p in db.session.scalars(select(Pegawai))}


def errors(outcome) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in outcome.errors]


def one_error(row: list[str], org_rows=(), delimiter=",") -> tuple[str, str]:
    rows = pegawai_rows(person(KEPALA, "Kepala", jabatan="KADIS", unit="DINKES"), *org_rows, row)
    outcome = run(csv_bytes(rows, delimiter=delimiter))
    assert len(outcome.errors) == 1, outcome.errors
    assert counts()["pegawai"] == 0
    problem = outcome.errors[0]
    assert problem.row == 3 + len(org_rows)
    return problem.column, problem.message


def test_employees_are_created_with_atasan_given_later_and_without_accounts(org):
    with people_changed() as sent:
        outcome = run(
            csv_bytes(
                pegawai_rows(
                    person(STAF, "Ani Rahma", atasan=KEPALA, email="ani@dinkes.go.id"),
                    person(KEPALA, "Kepala Dinas", golongan="IV/c", jabatan="KADIS", unit="DINKES"),
                    person(STAF2, "Budi", status="pppk", golongan="9", jabatan="", atasan=STAF),
                )
            )
        )
    assert outcome.errors == [] and len(outcome.created) == 3
    found = people()
    assert found[STAF].atasan.nip == KEPALA and found[STAF2].atasan.nip == STAF
    assert found[KEPALA].atasan is None and found[KEPALA].unit.kode == "DINKES"
    assert found[STAF].jabatan.kode == "APT" and found[STAF2].jabatan is None
    assert (found[STAF2].status_asn, found[STAF2].golongan) == ("PPPK", "IX")
    assert found[STAF].email == "ani@dinkes.go.id" and found[STAF].aktif
    assert db.session.scalar(select(User.id)) is None  # accounts come with activation codes
    assert sent == [sorted(p.id for p in found.values())]
    audited = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pegawai.create")).all()
    assert {e.target_id for e in audited} == {KEPALA, STAF, STAF2}
    assert next(e for e in audited if e.target_id == STAF).after["atasan"] == KEPALA


@pytest.mark.parametrize(
    ("status", "written", "stored"),
    [("PNS", "III/a", "III/a"), ("PNS", "III-a", "III/a"), ("PNS", "IIIa", "III/a"), ("PNS", "iii / a", "III/a"),
     ("PNS", "3a", "III/a"), ("PNS", "IV/E", "IV/e"), ("PNS", "II.b", "II/b"), ("PPPK", "xvii", "XVII"),
     ("PPPK", "5", "V"), ("PNS", "", None), ("PNS", "Penata Muda (III/a)", "III/a"),
     ("PNS", "IV/b - Pembina Tk. I", "IV/b"), ("PPPK", "Golongan IX", "IX"), ("PPPK", "Gol. 7", "VII")],
)  # fmt: skip
def test_golongan_is_normalised_for_the_status(org, status, written, stored):
    outcome = run(csv_bytes(pegawai_rows(person(STAF, status=status, golongan=written))))
    assert outcome.errors == []
    assert people()[STAF].golongan == stored


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (person("199213152019032001"), "NIP", "Digits 1–8 of the NIP must be a valid birth date"),
        (person("199203152019132001"), "NIP", "the month is invalid"),
        (person("199203152019033001"), "NIP", "Digit 15 of the NIP must be 1 (male) or 2 (female)"),
        (person("19920315201903200"), "NIP", "A NIP has 18 digits; this one has 17."),
        (person("19920315201903200X"), "NIP", "A NIP contains digits only."),
        (person(""), "NIP", "Enter the NIP."),
        (person(STAF, unit="NOPE"), "KODE_UNIT", "No unit has the code NOPE"),
        (person(STAF, unit=""), "KODE_UNIT", "Enter the unit code"),
        (person(STAF, jabatan="NOPE"), "KODE_JABATAN", "No position has the code NOPE"),
        (person(STAF, atasan=STAF2), "NIP_ATASAN", f"No employee has the NIP {STAF2}"),
        (person(STAF, atasan=STAF), "NIP_ATASAN", "cannot be their own atasan"),
        (person(STAF, golongan="V"), "GOLONGAN", "Unknown golongan/ruang V: a PNS has I/a to IV/e."),
        (person(STAF, golongan="I/e"), "GOLONGAN", "a PNS has I/a to IV/e"),
        (
            person(STAF, status="PPPK", golongan="III/a"),
            "GOLONGAN",
            "Unknown golongan III/a: a PPPK has I to XVII.",
        ),
        (person(STAF, status="PPPK", golongan="XVIII"), "GOLONGAN", "a PPPK has I to XVII"),
        (person(STAF, status="Honorer"), "STATUS_ASN", "Status must be PNS or PPPK."),
        (person(STAF, email="ani@"), "EMAIL", "ani@ is not an email address."),
        (person(STAF, email="ani rahma@x.go.id"), "EMAIL", "is not an email address"),
        (person(STAF, nama=""), "NAMA", "Enter the name."),
    ],
)
def test_each_bad_row_is_reported_with_row_column_and_reason_and_nothing_is_written(org, row, column, words):
    found_column, message = one_error(row)
    assert found_column == column
    assert words in message


def test_a_closed_unit_takes_nobody_new_but_those_in_it_may_stay(org):
    run(csv_bytes(pegawai_rows(person(STAF2))))
    org["upt"].closed_at = utcnow()
    db.session.commit()
    outcome = run(csv_bytes(pegawai_rows(person(STAF), person(STAF2))))
    assert errors(outcome) == [(2, "KODE_UNIT")] and "closed" in outcome.errors[0].message
    assert run(csv_bytes(pegawai_rows(person(STAF2)))).errors == []
    people()[STAF2].aktif = False
    db.session.commit()
    assert errors(run(csv_bytes(pegawai_rows(person(STAF2))))) == [(2, "KODE_UNIT")]  # no return into it


@pytest.mark.parametrize(
    "damaged", ["1.99203152019032E+17", "1,99203E+17", "199203152019032000", "1.99203E17"]
)
def test_a_nip_a_spreadsheet_made_into_a_number_is_explained(org, damaged):
    # Indonesian Excel writes decimal commas, in files split at semicolons.
    column, message = one_error(person(damaged), delimiter=";")
    assert column == "NIP" and NUMBER in message and "Text" in message


def test_the_same_damage_in_nip_atasan_is_explained_there(org):
    column, message = one_error(person(STAF, atasan="1.98005122005011E+17"))
    assert column == "NIP_ATASAN" and NUMBER in message


@pytest.mark.parametrize("cell", [1.99203152019032e17, 199203152019032001])
def test_a_numeric_xlsx_cell_for_a_nip_is_explained(org, cell):
    outcome = run(xlsx_bytes([PEGAWAI_HEADER, [cell, "Ani", "PNS", "III/a", "APT", "UPT-A", None, None]]))
    assert errors(outcome) == [(2, "NIP")] and NUMBER in outcome.errors[0].message
    assert counts()["pegawai"] == 0


def test_apostrophes_and_grouped_nips_are_read_as_the_nip(org):
    outcome = run(
        csv_bytes(
            pegawai_rows(
                person("'198005122005011003", "Kepala", jabatan="KADIS", unit="DINKES"),
                person("19920315 201903 2 001", "Ani", atasan="'19800512 200501 1 003"),
                person("19911205.201708.2.001", "Budi", atasan="198005122005011003"),
            )
        )
    )
    assert outcome.errors == []
    assert set(people()) == {KEPALA, STAF, STAF2}
    assert people()[STAF].atasan.nip == KEPALA


def test_an_xlsx_with_nips_as_text_and_trailing_empty_rows_imports(org):
    rows = [PEGAWAI_HEADER, [STAF, "Ani", "PNS", "III/a", "APT", "UPT-A", None, None], [None] * 8, [None] * 8]
    outcome = run(xlsx_bytes(rows))
    assert outcome.errors == [] and outcome.rows == 1 and STAF in people()


def test_a_windows_1252_semicolon_file_with_bom_less_accents_and_odd_headers_imports(org):
    header = ["nip", " Nama ", "status asn", "Golongan", "kode-jabatan", "KODEUNIT", "Nip_Atasan", "E Mail"]
    rows = [header, person(STAF, "José Ñúñez"), ["", "", "", "", "", "", "", ""]]
    outcome = run(csv_bytes(rows, delimiter=";", encoding="cp1252"))
    assert outcome.encoding == "cp1252" and outcome.delimiter == ";"
    assert outcome.errors == [] and people()[STAF].nama == "José Ñúñez"


def test_a_utf8_file_with_bom_and_sep_line_imports(org):
    outcome = run(
        csv_bytes(pegawai_rows(person(STAF, "Ani\u00a0Rahma\u00a0")), delimiter=";", bom=True, sep_line=True)
    )
    assert outcome.errors == [] and people()[STAF].nama == "Ani Rahma"


def test_a_nip_twice_is_reported_at_each_row(org):
    outcome = run(
        csv_bytes(pegawai_rows(person(STAF, "Ani"), person(STAF2), person("19920315 201903 2 001", "Ani 2")))
    )
    assert errors(outcome) == [(2, "NIP"), (4, "NIP")]
    assert "also on row 4" in outcome.errors[0].message and "also on row 2" in outcome.errors[1].message


def test_an_atasan_loop_across_the_file_and_the_database_is_refused(org):
    run(csv_bytes(pegawai_rows(person(KEPALA, "Kepala", unit="DINKES"), person(STAF, "Ani", atasan=KEPALA))))
    # The file makes Ani the atasan of her own atasan, who is in the database only as hers.
    outcome = run(csv_bytes(pegawai_rows(person(KEPALA, "Kepala", unit="DINKES", atasan=STAF))))
    assert errors(outcome) == [(2, "NIP_ATASAN")]
    assert f"{KEPALA} → {STAF} → {KEPALA}" in outcome.errors[0].message
    assert people()[KEPALA].atasan_id is None


def test_a_loop_within_the_file_is_reported_at_each_of_its_rows(org):
    outcome = run(csv_bytes(pegawai_rows(person(STAF, atasan=STAF2), person(STAF2, atasan=STAF3), person(STAF3, atasan=STAF),
                                         person(KEPALA, atasan=STAF))))  # fmt: skip
    assert errors(outcome) == [(2, "NIP_ATASAN"), (3, "NIP_ATASAN"), (4, "NIP_ATASAN")]


def test_one_bad_row_among_good_ones_writes_nothing(org):
    good = [person(nip(n), f"Pegawai {n}") for n in range(1, 40)]
    outcome = run(csv_bytes(pegawai_rows(*good, person(STAF, unit="NOPE"), *good[:0])))
    assert errors(outcome) == [(41, "KODE_UNIT")]
    assert counts() == {"unit": 3, "jabatan": 2, "pegawai": 0, "audit": 0}


def test_importing_the_same_file_again_changes_nothing_writes_no_audit_and_sends_nothing(org):
    data = csv_bytes(
        pegawai_rows(
            person(KEPALA, "Kepala", unit="DINKES"), person(STAF, "Ani", atasan=KEPALA, email="a@b.go.id")
        )
    )
    run(data)
    before = counts()
    with people_changed() as sent:
        again = run(data)
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 2)
    assert counts() == before and sent == []


def test_a_dry_run_writes_nothing_and_sends_nothing(org):
    with people_changed() as sent:
        outcome = run(csv_bytes(pegawai_rows(person(STAF))), dry_run=True)
    assert len(outcome.created) == 1 and not outcome.applied
    assert counts()["pegawai"] == 0 and counts()["audit"] == 0 and sent == []


def test_updates_list_changed_fields_and_people_changed_names_only_those_moved_or_regraded(org):
    run(
        csv_bytes(
            pegawai_rows(
                person(KEPALA, "Kepala", unit="DINKES"),
                person(STAF, "Ani"),
                person(STAF2, "Budi"),
                person(STAF3, "Citra"),
            )
        )
    )
    ids = {n: p.id for n, p in people().items()}
    with people_changed() as sent:
        outcome = run(
            csv_bytes(
                pegawai_rows(
                    person(KEPALA, "Kepala"),  # moved to UPT-A
                    person(STAF, "Ani Rahma"),  # name only
                    person(STAF2, "Budi", jabatan="KADIS"),  # new position
                    person(STAF3, "Citra", golongan="III/b", atasan=KEPALA),  # regraded, atasan
                )
            )
        )
    changes = {c.key: (c.before, c.after) for c in outcome.updated}
    assert changes[KEPALA] == ({"unit": "DINKES"}, {"unit": "UPT-A"})
    assert changes[STAF] == ({"nama": "Ani"}, {"nama": "Ani Rahma"})
    assert changes[STAF3][1] == {"golongan": "III/b", "atasan": KEPALA}
    assert sent == [sorted([ids[KEPALA], ids[STAF2], ids[STAF3]])]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.target_id == STAF, AuditEntry.action == "pegawai.update")
    )
    assert entry.before == {"nama": "Ani"} and entry.after == {"nama": "Ani Rahma"}
    assert people()[KEPALA].unit.kode == "UPT-A" and people()[STAF3].atasan.nip == KEPALA


def test_leaving_out_optional_columns_keeps_those_values(org):
    run(
        csv_bytes(
            pegawai_rows(
                person(KEPALA, "Kepala", unit="DINKES"), person(STAF, "Ani", atasan=KEPALA, email="a@b.go.id")
            )
        )
    )
    outcome = run(csv_bytes([["NIP", "NAMA", "STATUS_ASN", "KODE_UNIT"], [STAF, "Ani", "PNS", "DINKES"]]))
    assert [c.after for c in outcome.updated] == [{"unit": "DINKES"}]
    ani = people()[STAF]
    assert (ani.atasan.nip, ani.email, ani.golongan, ani.jabatan.kode) == (
        KEPALA,
        "a@b.go.id",
        "III/a",
        "APT",
    )


def test_missing_people_are_deactivated_only_when_asked(org):
    run(csv_bytes(pegawai_rows(person(KEPALA, "Kepala", unit="DINKES"), person(STAF), person(STAF2))))
    smaller = csv_bytes(pegawai_rows(person(KEPALA, "Kepala", unit="DINKES"), person(STAF)))
    plain = run(smaller)
    assert plain.deactivated == [] and people()[STAF2].aktif
    dry = run(smaller, deactivate_missing=True, dry_run=True)
    assert [c.key for c in dry.deactivated] == [STAF2] and people()[STAF2].aktif
    with people_changed() as sent:
        outcome = run(smaller, deactivate_missing=True)
    budi = people()[STAF2]
    assert [c.key for c in outcome.deactivated] == [STAF2]
    assert not budi.aktif and budi.nonaktif_at is not None
    assert sent == [[budi.id]]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pegawai.deactivate"))
    assert entry.target_id == STAF2 and entry.after["aktif"] is False and entry.after["nonaktif_at"]
    # Back in the file: active again.
    outcome = run(csv_bytes(pegawai_rows(person(STAF2))))
    assert outcome.updated[0].after == {"aktif": True} and people()[STAF2].aktif


def test_an_atasan_must_be_active_and_staying(org):
    run(csv_bytes(pegawai_rows(person(KEPALA, "Kepala", unit="DINKES"), person(STAF))))
    outcome = run(csv_bytes(pegawai_rows(person(STAF, atasan=KEPALA))), deactivate_missing=True)
    assert errors(outcome) == [(2, "NIP_ATASAN")] and "not an active employee" in outcome.errors[0].message
    kepala = people()[KEPALA]
    kepala.aktif = False
    db.session.commit()
    outcome = run(csv_bytes(pegawai_rows(person(STAF, atasan=KEPALA))))
    assert errors(outcome) == [(2, "NIP_ATASAN")]


class Admin:
    is_admin = True
    pegawai_id = None

    def __init__(self, unit_id):
        self.admin_unit_id = unit_id


def test_a_unit_limited_admin_imports_and_deactivates_only_inside_their_units(org):
    run(
        csv_bytes(
            pegawai_rows(person(KEPALA, "Kepala", unit="DISDIK"), person(STAF), person(STAF2, unit="DINKES"))
        )
    )
    admin = Admin(org["dinkes"].id)  # DINKES and UPT-A under it
    outside = run(
        csv_bytes(
            pegawai_rows(
                person(STAF3, unit="DISDIK"),
                person(KEPALA, "Kepala", unit="UPT-A"),
                person(STAF, atasan=KEPALA),
            )
        ),
        admin=admin,
    )
    assert errors(outside) == [(2, "KODE_UNIT"), (3, "NIP")]
    assert "not one of the units you manage" in outside.errors[0].message
    # An atasan outside the admin's units is fine; only their own people are deactivated.
    inside = run(csv_bytes(pegawai_rows(person(STAF, atasan=KEPALA))), admin=admin, deactivate_missing=True)
    assert inside.errors == []
    assert [c.key for c in inside.deactivated] == [STAF2]
    assert people()[KEPALA].aktif and not people()[STAF2].aktif


def test_the_import_is_a_fixed_number_of_queries_whatever_the_rows(org):
    def statements(n: int, start: int) -> int:
        rows = [
            person(nip(i), f"P{i}", atasan=nip(start) if i > start else "") for i in range(start, start + n)
        ]
        with count_queries() as queries:
            outcome = run(csv_bytes(pegawai_rows(*rows)))
        assert outcome.errors == [] and len(outcome.created) == n
        return len(queries)

    assert statements(60, 100) == statements(5, 300)


# --- how official sheets are laid out ---------------------------------------------------------

TITLE_ROWS = [["DAFTAR PEGAWAI DINAS KESEHATAN PROVINSI NTT"], ["Keadaan per 1 Desember 2026"], []]


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_title_rows_above_the_header_are_skipped_and_rows_keep_their_numbers(org, make):
    rows = [
        *TITLE_ROWS,
        *pegawai_rows(person(KEPALA, "Kepala", jabatan="KADIS", unit="DINKES"), person(STAF, "Staf")),
    ]
    outcome = run(make(rows))
    assert not outcome.errors and len(outcome.created) == 2
    bad = [*TITLE_ROWS, *pegawai_rows(person(KEPALA, "Kepala", unit="NOWHERE"))]
    assert errors(importer.check("pegawai", make(bad))) == [(5, "KODE_UNIT")]  # as the sheet numbers it


def test_a_sheet_without_a_header_row_near_the_top_names_the_expected_header(org):
    rows = [["Daftar"], [KEPALA, "Kepala", "PNS", "III/a", "KADIS", "DINKES", "", ""]]
    with pytest.raises(importer.DomainError) as refused:
        importer.check("pegawai", csv_bytes(rows))
    assert "The header row (row 1) must be" in refused.value.message


def test_excel_unicode_text_utf16_with_tabs_is_read(org):
    rows = pegawai_rows(person(KEPALA, "Kepala Dinas Ñusa", jabatan="KADIS", unit="DINKES"))
    text = "\r\n".join("\t".join(r) for r in rows) + "\r\n"
    outcome = run(b"\xff\xfe" + text.encode("utf-16-le"))
    assert not outcome.errors and outcome.encoding == "utf-16" and outcome.delimiter == "\t"
    assert people()[KEPALA].nama == "Kepala Dinas Ñusa"
