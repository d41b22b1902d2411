"""Training history for national records (SIASN riwayat diklat / riwayat kursus).

One row per development done in a period: each course completed in this LMS and each
verified development record entered for work done elsewhere. The two sources are one
UNION ALL query, filtered by period and the admin's units and ordered by NIP then end
date, so an export of thousands of rows is one round trip.

The columns follow what SIASN's riwayat kursus asks (namaKursus, tanggalKursus,
tanggalSelesaiKursus, tahunKursus, jumlahJam, institusiPenyelenggara, nomorSertipikat;
the person is found by NIP). SIASN's own ids for the kind of training (jenisDiklatId)
are reference data BKN keeps and changes, so the kind is given as a stable code and a
label for the agency to map, not as an id guessed here.

Revoked certificates are left out: a revoked certificate says the completion should
not have counted, and nothing in this file should be imported that the LMS no longer
stands behind. Completions without a certificate (none was issued) are kept, with an
empty certificate number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, String, and_, case, func, literal, null, select, type_coerce, union_all

from lms.catalog.models import Kursus, Modul
from lms.certificates.models import Sertifikat
from lms.certificates.services import display_code
from lms.core.errors import NotFoundError
from lms.core.export import NipCell, Sheet
from lms.core.time import Period, utc_to_local_date
from lms.extensions import db
from lms.org.agency import get_instansi
from lms.org.models import Pegawai, UnitKerja
from lms.org.services import manages_unit, unit_in_scope, unit_subtree_cte
from lms.progress.models import (
    JENIS_PENGEMBANGAN,
    CourseCompletion,
    Enrolment,
    ModuleCompletion,
    Pengembangan,
)

PREVIEW_ROWS = 20
# The kinds of development record that are klasikal, by the model's own rule (asked of
# a stand-in, so that importing this module does not configure the mappers).
KLASIKAL_JENIS = tuple(j for j in JENIS_PENGEMBANGAN if Pengembangan.klasikal.fget(SimpleNamespace(jenis=j)))
ELEARNING = "elearning"  # the kind code of a course completed in this LMS
# Labels of the kinds as they are written in riwayat diklat (Indonesian, as SIASN is).
JENIS_LABELS = {
    ELEARNING: "E-Learning",
    "pelatihan": "Pelatihan",
    "seminar": "Seminar",
    "workshop": "Workshop",
    "kursus": "Kursus",
    "coaching": "Coaching",
    "mentoring": "Mentoring",
    "magang": "Magang",
    "belajar_mandiri": "Belajar Mandiri",
    "lainnya": "Lainnya",
}
SOURCE_COURSE = "lms"
SOURCE_RECORD = "pengembangan"


@dataclass(frozen=True)
class HistoryRow:
    source: str  # "lms" (a course completed here) | "pengembangan" (a verified record)
    source_id: str
    nip: str
    nama: str
    unit: str
    jenis: str  # ELEARNING or a Pengembangan.jenis
    bentuk: str  # "klasikal" | "nonklasikal"
    judul: str
    mulai: date
    selesai: date
    jp: int
    penyelenggara: str
    nomor_sertifikat: str

    @property
    def jenis_label(self) -> str:
        return JENIS_LABELS.get(self.jenis, self.jenis)

    @property
    def tahun(self) -> int:
        return self.selesai.year


@dataclass(frozen=True)
class HistoryFilter:
    period: Period
    unit_id: int | None = None  # this unit and the units below it


def _people(admin, unit_id: int | None):
    """The condition on Pegawai.unit_id: the chosen unit and those below it, which must
    be among the admin's (else NotFoundError, as for a unit that does not exist); without
    one, every unit the admin runs. Built once and shared by both halves of the union."""
    if unit_id is None:
        return unit_in_scope(admin, Pegawai.unit_id)
    if not manages_unit(admin, unit_id):
        raise NotFoundError(_("No such unit among yours."))
    tree = unit_subtree_cte(unit_id)
    return Pegawai.unit_id.in_(select(tree.c.id))


def _courses(filters: HistoryFilter, people):
    start, end = filters.period.utc_bounds()
    first_module = (
        select(
            ModuleCompletion.pegawai_id.label("pegawai_id"),
            Modul.kursus_id.label("kursus_id"),
            func.min(ModuleCompletion.completed_at).label("first_at"),
        )
        .join(Modul, Modul.id == ModuleCompletion.modul_id)
        .group_by(ModuleCompletion.pegawai_id, Modul.kursus_id)
        .subquery()
    )
    # The start of the pass that was completed: enrolment for the first, the start of
    # the cycle for a yearly course done again; else the first module finished.
    enrolled = case(
        (CourseCompletion.cycle == 1, Enrolment.enrolled_at),
        (Enrolment.cycle == CourseCompletion.cycle, Enrolment.cycle_started_at),
        else_=null(),
    )
    return (
        select(
            literal(SOURCE_COURSE).label("source"),
            CourseCompletion.id.label("source_id"),
            Pegawai.nip.label("nip"),
            Pegawai.nama.label("nama"),
            UnitKerja.nama.label("unit"),
            literal(ELEARNING).label("jenis"),
            func.coalesce(Sertifikat.kursus_title, Kursus.title).label("judul"),
            CourseCompletion.jp.label("jp"),
            type_coerce(func.coalesce(enrolled, first_module.c.first_at), DateTime).label("started_at"),
            CourseCompletion.completed_at.label("ended_at"),
            type_coerce(null(), Date).label("tanggal_mulai"),
            type_coerce(null(), Date).label("tanggal_selesai"),
            type_coerce(CourseCompletion.completed_at, String).label("sort_at"),
            Sertifikat.code.label("nomor"),
            Sertifikat.instansi_nama.label("instansi_nama"),
            type_coerce(null(), String).label("penyelenggara"),
        )
        .select_from(CourseCompletion)
        .join(Pegawai, Pegawai.id == CourseCompletion.pegawai_id)
        .join(Kursus, Kursus.id == CourseCompletion.kursus_id)
        .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_id)
        .outerjoin(Sertifikat, Sertifikat.completion_id == CourseCompletion.id)
        .outerjoin(
            Enrolment,
            and_(
                Enrolment.pegawai_id == CourseCompletion.pegawai_id,
                Enrolment.kursus_id == CourseCompletion.kursus_id,
            ),
        )
        .outerjoin(
            first_module,
            and_(
                first_module.c.pegawai_id == CourseCompletion.pegawai_id,
                first_module.c.kursus_id == CourseCompletion.kursus_id,
            ),
        )
        .where(
            CourseCompletion.completed_at >= start,
            CourseCompletion.completed_at < end,
            Sertifikat.revoked_at.is_(None),  # no certificate, or one still valid
            people,
        )
    )


def _records(filters: HistoryFilter, people):
    return (
        select(
            literal(SOURCE_RECORD).label("source"),
            Pengembangan.id.label("source_id"),
            Pegawai.nip.label("nip"),
            Pegawai.nama.label("nama"),
            UnitKerja.nama.label("unit"),
            Pengembangan.jenis.label("jenis"),
            Pengembangan.judul.label("judul"),
            Pengembangan.jp.label("jp"),
            type_coerce(null(), DateTime).label("started_at"),
            type_coerce(null(), DateTime).label("ended_at"),
            Pengembangan.tanggal_mulai.label("tanggal_mulai"),
            Pengembangan.tanggal_selesai.label("tanggal_selesai"),
            type_coerce(Pengembangan.tanggal_selesai, String).label("sort_at"),
            Pengembangan.nomor_sertifikat.label("nomor"),
            type_coerce(null(), String).label("instansi_nama"),
            Pengembangan.penyelenggara.label("penyelenggara"),
        )
        .select_from(Pengembangan)
        .join(Pegawai, Pegawai.id == Pengembangan.pegawai_id)
        .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_id)
        .where(
            Pengembangan.status == "verified",
            Pengembangan.tanggal_selesai >= filters.period.start,
            Pengembangan.tanggal_selesai < filters.period.end,
            people,
        )
    )


def _union(admin, filters: HistoryFilter):
    people = _people(admin, filters.unit_id)
    return union_all(_courses(filters, people), _records(filters, people)).subquery("riwayat")


def default_organiser() -> str:
    """Who organised the courses of certificates that do not say: the agency's name
    from its settings, else the CERTIFICATE_ISSUER setting."""
    return get_instansi().nama or current_app.config["CERTIFICATE_ISSUER"]


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # SQLite hands back a NULL-typed union column as text
        return date.fromisoformat(value[:10])
    return value


def _local(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc_to_local_date(value)


def _row(r, organiser: str) -> HistoryRow:
    if r.source == SOURCE_COURSE:
        selesai = _local(r.ended_at)
        mulai = min(_local(r.started_at) or selesai, selesai)
        return HistoryRow(
            source=r.source,
            source_id=r.source_id,
            nip=r.nip,
            nama=r.nama,
            unit=r.unit or "",
            jenis=ELEARNING,
            bentuk="nonklasikal",
            judul=r.judul,
            mulai=mulai,
            selesai=selesai,
            jp=r.jp,
            penyelenggara=r.instansi_nama or organiser,
            nomor_sertifikat=display_code(r.nomor) if r.nomor else "",
        )
    return HistoryRow(
        source=r.source,
        source_id=r.source_id,
        nip=r.nip,
        nama=r.nama,
        unit=r.unit or "",
        jenis=r.jenis,
        bentuk="klasikal" if r.jenis in KLASIKAL_JENIS else "nonklasikal",
        judul=r.judul,
        mulai=_as_date(r.tanggal_mulai),
        selesai=_as_date(r.tanggal_selesai),
        jp=r.jp,
        penyelenggara=r.penyelenggara or "",
        nomor_sertifikat=r.nomor or "",
    )


def history_rows(admin, filters: HistoryFilter, limit: int | None = None) -> list[HistoryRow]:
    """The rows of the period in the admin's units, by NIP then end date: two queries
    (the agency's name, then the union), whatever the number of rows."""
    organiser = default_organiser()
    riwayat = _union(admin, filters)
    query = select(riwayat).order_by(riwayat.c.nip, riwayat.c.sort_at, riwayat.c.judul, riwayat.c.source_id)
    if limit is not None:
        query = query.limit(limit)
    return [_row(r, organiser) for r in db.session.execute(query)]


def history_count(admin, filters: HistoryFilter) -> int:
    riwayat = _union(admin, filters)
    return db.session.scalar(select(func.count()).select_from(riwayat)) or 0


@dataclass(frozen=True)
class HistoryPreview:
    count: int
    rows: list[HistoryRow]


def history_preview(admin, filters: HistoryFilter) -> HistoryPreview:
    """How many rows the export has, and its first PREVIEW_ROWS."""
    return HistoryPreview(history_count(admin, filters), history_rows(admin, filters, PREVIEW_ROWS))


# --- the file ------------------------------------------------------------------------------

#: The columns of the export, in order: (header, meaning). Headers are fixed names, the
#: same in every interface language, because another system reads them; they follow
#: SIASN's riwayat kursus fields (tanggalKursus → tanggal_kursus …).
COLUMNS = (
    ("nip", _l("NIP, 18 digits (text)")),
    ("nama", _l("name of the employee")),
    ("unit_kerja", _l("the employee's unit today")),
    ("jenis_diklat", _l("kind of development, as a label")),
    ("kode_jenis", _l("kind of development, as a code")),
    ("bentuk", _l("klasikal or nonklasikal")),
    ("nama_kursus", _l("course title or activity subject")),
    ("tanggal_kursus", _l("start date, DD-MM-YYYY")),
    ("tanggal_selesai_kursus", _l("end date, DD-MM-YYYY")),
    ("tahun_kursus", _l("year of the end date")),
    ("jumlah_jam", _l("JP (lesson hours)")),
    ("institusi_penyelenggara", _l("organiser")),
    ("nomor_sertifikat", _l("certificate number or LMS verification code")),
    ("sumber", _l("lms or pengembangan")),
    ("id_sumber", _l("the row's id in the LMS")),
)


def _dmy(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def history_sheet(rows: list[HistoryRow], title: str = "Riwayat Diklat") -> Sheet:
    return Sheet(
        title,
        [name for name, _meaning in COLUMNS],
        [
            [
                NipCell(r.nip),
                r.nama,
                r.unit,
                r.jenis_label,
                r.jenis,
                r.bentuk,
                r.judul,
                _dmy(r.mulai),
                _dmy(r.selesai),
                r.tahun,
                r.jp,
                r.penyelenggara,
                r.nomor_sertifikat,
                r.source,
                r.source_id,
            ]
            for r in rows
        ],
    )
