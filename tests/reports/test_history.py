"""The training history export for SIASN: courses completed here and verified records done
elsewhere, one row each, for a period in the agency's calendar, in the admin's units,
as XLSX and as CSV in the user's language; revoked certificates left out."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.certificates.models import Sertifikat
from lms.certificates.services import display_code
from lms.extensions import db
from lms.org import agency
from lms.progress.models import CourseCompletion, Enrolment, Pengembangan
from lms.reports.history import COLUMNS
from tests.conftest import NIPS, count_queries

HEADERS = [name for name, _meaning in COLUMNS]
YEAR = 2025
PERIOD = {"dari": "2025-01-01", "sampai": "2025-12-31"}
# 14 March 2025, 10:00 in Jakarta (UTC+7).
COMPLETED = datetime(2025, 3, 14, 3, 0)


@pytest.fixture
def admin(client, login_as):
    return login_as("admin")


def xlsx_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADERS
    return [dict(zip(HEADERS, row, strict=True)) for row in values[1:]]


def export(client, fmt="xlsx", **args):
    return client.get(f"/admin/riwayat-diklat.{fmt}", query_string={**PERIOD, **args})


def record(who, *, jenis="pelatihan", ended=date(2025, 6, 20), status="verified", **extra) -> Pengembangan:
    row = Pengembangan(
        pegawai_id=who.pegawai_id,
        jenis=jenis,
        judul=extra.pop("judul", "Pelatihan Pengelolaan Obat"),
        penyelenggara=extra.pop("penyelenggara", "Bapelkes Kupang"),
        tanggal_mulai=extra.pop("started", ended),
        tanggal_selesai=ended,
        jp=extra.pop("jp", 24),
        nomor_sertifikat=extra.pop("nomor", "445/BPSDM/2025"),
        status=status,
    )
    db.session.add(row)
    db.session.commit()
    return row


def certificate_of(completion) -> Sertifikat:
    return db.session.scalar(select(Sertifikat).where(Sertifikat.completion_id == completion.id))


# --- the columns ---------------------------------------------------------------------------------


def test_a_completed_course_is_a_nonklasikal_row_with_its_certificate(
    client, admin, users, course, complete_course
):
    agency.update_instansi(
        nama="BKD Provinsi NTT",
        kota="Kupang",
        penandatangan_nama="",
        penandatangan_nip="",
        penandatangan_jabatan="",
    )
    db.session.commit()
    completion = complete_course(users["learner"], course, when=COMPLETED)
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.pegawai_id == users["learner"].pegawai_id)
    )
    enrolment.enrolled_at = datetime(2025, 3, 1, 18, 0)  # 2 March in Jakarta
    db.session.commit()
    (row,) = xlsx_rows(export(client))
    assert row == {
        "nip": NIPS["learner"],
        "nama": "Peserta Uji",
        "unit_kerja": "UPT Uji",
        "jenis_diklat": "E-Learning",
        "kode_jenis": "elearning",
        "bentuk": "nonklasikal",
        "nama_kursus": course.title,
        "tanggal_kursus": "02-03-2025",
        "tanggal_selesai_kursus": "14-03-2025",
        "tahun_kursus": 2025,
        "jumlah_jam": 3,
        "institusi_penyelenggara": "BKD Provinsi NTT",
        "nomor_sertifikat": display_code(certificate_of(completion).code),
        "sumber": "lms",
        "id_sumber": completion.id,
    }


def test_verified_records_keep_their_own_kind_organiser_and_number(client, admin, users):
    classroom = record(users["learner"], started=date(2025, 6, 16))
    coaching = record(
        users["learner"], jenis="coaching", judul="Coaching Klinis", nomor=None, ended=date(2025, 7, 1)
    )
    rows = xlsx_rows(export(client))
    assert [(r["id_sumber"], r["bentuk"], r["jenis_diklat"]) for r in rows] == [
        (classroom.id, "klasikal", "Pelatihan"),
        (coaching.id, "nonklasikal", "Coaching"),
    ]
    assert rows[0]["tanggal_kursus"] == "16-06-2025" and rows[0]["tanggal_selesai_kursus"] == "20-06-2025"
    assert rows[0]["institusi_penyelenggara"] == "Bapelkes Kupang"
    assert rows[0]["nomor_sertifikat"] == "445/BPSDM/2025" and rows[0]["jumlah_jam"] == 24
    assert rows[1]["nomor_sertifikat"] is None  # an empty cell
    assert {r["sumber"] for r in rows} == {"pengembangan"}


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_records_not_verified_are_left_out(client, admin, users, status):
    record(users["learner"], status=status)
    assert xlsx_rows(export(client)) == []


def test_the_start_is_the_first_module_done_when_there_is_no_enrolment(
    client, admin, users, course, complete_course
):
    from lms.progress.models import ModuleCompletion

    complete_course(users["learner"], course, when=COMPLETED)
    db.session.query(Enrolment).delete()
    db.session.add_all(
        [
            ModuleCompletion(pegawai_id=users["learner"].pegawai_id, modul_id=m.id, completed_at=when)
            for m, when in zip(
                course.moduls, [datetime(2025, 3, 10, 1), datetime(2025, 3, 12, 1)], strict=False
            )
        ]
    )
    db.session.commit()
    (row,) = xlsx_rows(export(client))
    assert (row["tanggal_kursus"], row["tanggal_selesai_kursus"]) == ("10-03-2025", "14-03-2025")


def test_the_organiser_falls_back_to_the_settings_then_to_certificate_issuer(
    app, client, admin, users, course, complete_course
):
    complete_course(users["learner"], course, when=COMPLETED)  # issued before the agency was set
    (row,) = xlsx_rows(export(client))
    assert row["institusi_penyelenggara"] == app.config["CERTIFICATE_ISSUER"]
    agency.update_instansi(
        nama="BKD Kota Kupang", kota="", penandatangan_nama="", penandatangan_nip="", penandatangan_jabatan=""
    )
    db.session.commit()
    (row,) = xlsx_rows(export(client))
    assert row["institusi_penyelenggara"] == "BKD Kota Kupang"


def test_revoked_certificates_are_left_out(client, auth, admin, users, course, make_course, complete_course):
    kept = complete_course(users["learner"], course, when=COMPLETED)
    revoked = complete_course(users["learner"], make_course("kursus-b"), when=COMPLETED)
    auth.post(f"/admin/sertifikat/{certificate_of(revoked).code}/cabut", {"reason": "Nilai tidak sah"})
    assert [r["id_sumber"] for r in xlsx_rows(export(client))] == [kept.id]


def test_rows_are_ordered_by_nip_then_date(client, admin, users, course, make_course, complete_course):
    later = make_course("kursus-b")
    complete_course(users["other"], course, when=datetime(2025, 5, 1, 3))
    complete_course(users["learner"], later, when=datetime(2025, 8, 1, 3))
    complete_course(users["learner"], course, when=datetime(2025, 2, 1, 3))
    record(users["learner"], ended=date(2025, 4, 1))
    rows = xlsx_rows(export(client))
    assert [(r["nip"], r["tanggal_selesai_kursus"]) for r in rows] == sorted(
        [(r["nip"], r["tanggal_selesai_kursus"]) for r in rows],
        key=lambda pair: (pair[0], datetime.strptime(pair[1], "%d-%m-%Y")),
    )
    assert [r["tanggal_selesai_kursus"] for r in rows if r["nip"] == NIPS["learner"]] == [
        "01-02-2025",
        "01-04-2025",
        "01-08-2025",
    ]
    assert [r["nip"] for r in rows] == sorted(r["nip"] for r in rows)


# --- the period --------------------------------------------------------------------------------


def test_the_period_is_counted_in_the_agencys_calendar(
    client, admin, users, course, make_course, complete_course
):
    # 31 December 2025, 23:59 in Jakarta, and a minute after midnight on 1 January 2026.
    last_minute = complete_course(users["learner"], course, when=datetime(2025, 12, 31, 16, 59))
    new_year = complete_course(users["learner"], make_course("kursus-b"), when=datetime(2025, 12, 31, 17, 1))
    # 1 January 2025, 00:30 in Jakarta: still 31 December in UTC.
    first_minute = complete_course(
        users["other"], make_course("kursus-c"), when=datetime(2024, 12, 31, 17, 30)
    )
    rows = xlsx_rows(export(client))
    assert {r["id_sumber"] for r in rows} == {last_minute.id, first_minute.id}
    assert {r["tanggal_selesai_kursus"] for r in rows} == {"31-12-2025", "01-01-2025"}
    next_year = xlsx_rows(export(client, dari="2026-01-01", sampai="2026-12-31"))
    assert [r["id_sumber"] for r in next_year] == [new_year.id]


def test_records_on_the_first_and_last_day_are_in_and_outside_days_are_not(client, admin, users):
    inside = [record(users["learner"], ended=day) for day in (date(2025, 3, 1), date(2025, 3, 31))]
    for day in (date(2025, 2, 28), date(2025, 4, 1)):
        record(users["learner"], ended=day)
    rows = xlsx_rows(export(client, dari="2025-03-01", sampai="2025-03-31"))
    assert [r["id_sumber"] for r in rows] == [r.id for r in inside]


def test_the_page_defaults_to_this_year(client, admin, english, users):
    from lms.core.time import local_today

    this_year = local_today().year
    record(users["learner"], ended=date(this_year, 1, 1))
    record(users["learner"], ended=date(this_year - 1, 12, 31))
    page = client.get("/admin/riwayat-diklat").get_data(as_text=True)
    assert f'value="{this_year}-01-01"' in page and f'value="{this_year}-12-31"' in page
    assert "<b>1 row</b>" in page


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"dari": "2025-13-01"}, "dari", "Give a valid date."),
        ({"dari": "2025-06-01", "sampai": "2025-05-01"}, "sampai", "The period ends before it starts."),
    ],
)
def test_a_bad_period_is_refused_next_to_its_field(client, admin, english, args, field, message):
    response = client.get("/admin/riwayat-diklat", query_string=args)
    assert response.status_code == 400
    assert f'<p class="error" id="h-{field}-error">{message}</p>' in response.get_data(as_text=True)
    assert client.get("/admin/riwayat-diklat.csv", query_string=args).status_code == 400


# --- the files ---------------------------------------------------------------------------------


def test_the_csv_follows_the_language_and_keeps_the_nip_whole(
    client, auth, admin, users, course, complete_course
):
    complete_course(users["learner"], course, when=COMPLETED)
    record(users["learner"])
    indonesian = export(client, "csv")
    assert indonesian.mimetype == "text/csv"
    text = indonesian.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == HEADERS
    assert len(rows) == 3
    assert rows[1][0] == "19920315 201903 2 001"  # grouped, as on official papers: never a number
    assert rows[1][HEADERS.index("tanggal_selesai_kursus")] == "14-03-2025"
    auth.post("/bahasa", {"lang": "en"})
    english = list(csv.reader(io.StringIO(export(client, "csv").get_data().decode("utf-8-sig"))))
    assert english[0] == HEADERS  # the headers are the same in every language
    assert english[1:] == rows[1:]


def test_the_xlsx_keeps_the_nip_as_text(client, admin, users, course, complete_course):
    complete_course(users["learner"], course, when=COMPLETED)
    sheet = load_workbook(io.BytesIO(export(client).get_data())).active
    assert sheet["A2"].value == NIPS["learner"] and sheet["A2"].data_type == "s"
    assert sheet["J2"].value == YEAR


def test_other_formats_are_not_found(client, admin):
    assert client.get("/admin/riwayat-diklat.pdf").status_code == 404


# --- who sees what -------------------------------------------------------------------------------


def test_an_admin_limited_to_a_unit_sees_only_its_people(
    client, auth, users, unit, make_unit, course, complete_course
):
    from lms.accounts.services import create_user
    from lms.org.models import Pegawai
    from tests.reports.conftest import nip_for

    below = make_unit("UPT-Y", "Puskesmas Bawah", parent=unit)
    elsewhere = make_unit("UPT-Z", "UPT Lain")
    people = {}
    for name, place in (("Di Bawah", below), ("Di Tempat Lain", elsewhere)):
        pegawai = Pegawai(nip=nip_for(len(people) + 1), nama=name, status_asn="PNS", unit_id=place.id)
        db.session.add(pegawai)
        db.session.flush()
        people[name] = create_user(pegawai, "rahasia123")
    db.session.commit()
    for user in (users["learner"], *people.values()):
        complete_course(user, course, when=COMPLETED)
    users["admin"].admin_unit_id = unit.id
    db.session.commit()
    auth.login(NIPS["admin"])
    names = {r["nama"] for r in xlsx_rows(export(client))}
    assert names == {"Peserta Uji", "Di Bawah"}
    only_below = {r["nama"] for r in xlsx_rows(export(client, unit=below.id))}
    assert only_below == {"Di Bawah"}
    assert export(client, unit=elsewhere.id).status_code == 404
    page = client.get("/admin/riwayat-diklat", query_string=PERIOD).get_data(as_text=True)
    assert "UPT Lain" not in page and "Di Tempat Lain" not in page


def test_a_whole_agency_admin_filters_by_a_unit_and_the_units_below(client, admin, users, unit, make_unit):
    other_unit = make_unit("UPT-Z", "UPT Lain")
    record(users["learner"])
    assert xlsx_rows(export(client, unit=other_unit.id)) == []
    assert len(xlsx_rows(export(client, unit=unit.id))) == 1


@pytest.mark.parametrize("who", ["learner", "supervisor", "trainer"])
def test_only_admins_export(client, login_as, who):
    login_as(who)
    assert client.get("/admin/riwayat-diklat").status_code == 403
    assert client.get("/admin/riwayat-diklat.xlsx").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/riwayat-diklat").headers["Location"].startswith("/masuk")


# --- size ----------------------------------------------------------------------------------------


def _completions(pegawai_ids, kursus, when=COMPLETED):
    db.session.execute(
        CourseCompletion.__table__.insert(),
        [
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "pegawai_id": pid,
                "kursus_id": kursus.id,
                "kursus_version": 1,
                "cycle": 1,
                "jp": kursus.jp,
                "score": 80.0,
                "completed_at": when,
            }
            for i, pid in enumerate(pegawai_ids)
        ],
    )
    db.session.commit()


def test_the_export_and_the_page_are_a_fixed_number_of_queries(client, admin, add_people, course):
    def queries(path):
        with count_queries() as statements:
            assert client.get(path, query_string=PERIOD).status_code == 200
        return len(statements)

    _completions(add_people(2), course)
    small = (queries("/admin/riwayat-diklat.xlsx"), queries("/admin/riwayat-diklat"))
    db.session.execute(CourseCompletion.__table__.delete())
    db.session.commit()
    _completions(add_people(60), course)
    assert (queries("/admin/riwayat-diklat.xlsx"), queries("/admin/riwayat-diklat")) == small


def test_the_page_previews_twenty_rows_and_counts_them_all(client, admin, english, add_people, course):
    _completions(add_people(25), course)
    page = client.get("/admin/riwayat-diklat", query_string=PERIOD).get_data(as_text=True)
    assert "<b>25 rows</b>" in page
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 20
    assert 'href="/admin/riwayat-diklat.xlsx?' in page and 'href="/admin/riwayat-diklat.csv?' in page
