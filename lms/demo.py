"""The demo organisation: a provincial health office with remote units, about 30 people.

Run by ``flask demo`` (never by a migration). Running it again changes nothing: rows are
found by their codes and NIPs, and existing passwords are left alone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from lms import signals
from lms.accounts.models import User
from lms.accounts.services import create_user
from lms.catalog.models import Kursus, KursusPemilik
from lms.competencies.services import known_codes, set_standards, standards_for
from lms.core.time import local_today
from lms.extensions import db
from lms.org.models import Instansi, Jabatan, Pegawai, UnitKerja
from lms.progress import development
from lms.progress.models import AturanWajib, CourseCompletion, Enrolment, Pengembangan
from lms.progress.rules import apply_rule
from lms.progress.services import assign, completion_for, enrolment_for

DEMO_PASSWORD = "demo12345"  # noqa: S105 - published in the README for the demo only
LEARNER = "199203152019032001"
SUPERVISOR = "198005122005011003"
TRAINER = "198711202012122002"
ADMIN = "197906152003121001"

# Nusa Tenggara Timur keeps WITA (UTC+8): every time is shown to its people in it.
ZONE = "Asia/Makassar"
UNITS = [
    # kode, nama, jenis, parent kode, lokasi
    ("DINKES", "Dinas Kesehatan Provinsi Nusa Tenggara Timur", "perangkat_daerah", None, "Kupang"),
    ("DINKES-SEK", "Sekretariat", "bidang", "DINKES", "Kupang"),
    ("DINKES-SEK-UMP", "Subbagian Umum dan Kepegawaian", "subbidang", "DINKES-SEK", "Kupang"),
    ("DINKES-YANKES", "Bidang Pelayanan Kesehatan", "bidang", "DINKES", "Kupang"),
    ("DINKES-YANKES-PRIMER", "Seksi Pelayanan Kesehatan Primer", "subbidang", "DINKES-YANKES", "Kupang"),
    ("DINKES-P2P", "Bidang Pencegahan dan Pengendalian Penyakit", "bidang", "DINKES", "Kupang"),
    ("UPT-LABKESDA", "UPT Laboratorium Kesehatan Daerah", "upt", "DINKES", "Kupang"),
    ("UPT-FARMASI-ALOR", "UPT Instalasi Farmasi Kabupaten Alor", "upt", "DINKES", "Kalabahi, Alor"),
    ("UPT-LATKES-ENDE", "UPT Pelatihan Kesehatan Ende", "upt", "DINKES", "Ende, Flores"),
    ("BKD", "Badan Kepegawaian Daerah Provinsi Nusa Tenggara Timur", "perangkat_daerah", None, "Kupang"),
    ("BKD-PKOMP", "Bidang Pengembangan Kompetensi", "bidang", "BKD", "Kupang"),
]

JABATAN = [
    ("KADIS", "Kepala Dinas", "jpt_pratama"),
    ("KABAN", "Kepala Badan", "jpt_pratama"),
    ("SEKDIS", "Sekretaris Dinas", "administrator"),
    ("KABID", "Kepala Bidang", "administrator"),
    ("KAUPT", "Kepala UPT", "administrator"),
    ("KASI", "Kepala Seksi/Subbagian", "pengawas"),
    ("ANKEB", "Analis Kebijakan", "fungsional"),
    ("PERAWAT", "Perawat", "fungsional"),
    ("PLK", "Pranata Laboratorium Kesehatan", "fungsional"),
    ("APT", "Apoteker", "fungsional"),
    ("WIDYA", "Widyaiswara", "fungsional"),
    ("PRAKOM", "Pranata Komputer", "fungsional"),
    ("ADMPERK", "Pengadministrasi Perkantoran", "pelaksana"),
    ("PENGDATA", "Pengelola Data dan Informasi", "pelaksana"),
]

# nip, nama, status, golongan, unit, jabatan, atasan nip
PEOPLE = [
    ("197204181998031004", "dr. Yosef Bria, M.Kes.", "PNS", "IV/c", "DINKES", "KADIS", None),
    (
        "197906152003121001",
        "Markus Ndolu, S.Sos., M.Si.",
        "PNS",
        "IV/a",
        "BKD-PKOMP",
        "KABID",
        "197502102000031002",
    ),
    ("197502102000031002", "Drs. Agustinus Lay, M.M.", "PNS", "IV/c", "BKD", "KABAN", None),
    (
        "198711202012122002",
        "Maria Goreti Seran, S.Pd., M.Pd.",
        "PNS",
        "III/c",
        "BKD-PKOMP",
        "WIDYA",
        "197906152003121001",
    ),
    (
        "199004082015031001",
        "Stefanus Kolo, S.Kom.",
        "PNS",
        "III/b",
        "BKD-PKOMP",
        "PRAKOM",
        "197906152003121001",
    ),
    (
        "197610052002122003",
        "Yuliana Tefa, S.KM., M.Kes.",
        "PNS",
        "IV/b",
        "DINKES-SEK",
        "SEKDIS",
        "197204181998031004",
    ),
    (
        "198203172008012005",
        "Ernawati Lalang, S.E.",
        "PNS",
        "III/d",
        "DINKES-SEK-UMP",
        "KASI",
        "197610052002122003",
    ),
    (
        "199306222020122004",
        "Novita Sari Benu, A.Md.",
        "PNS",
        "II/c",
        "DINKES-SEK-UMP",
        "ADMPERK",
        "198203172008012005",
    ),
    (
        "199508302022031002",
        "Ricky Fanggidae",
        "PPPK",
        None,
        "DINKES-SEK-UMP",
        "PENGDATA",
        "198203172008012005",
    ),
    (
        "197808142005011002",
        "dr. Paulus Manek, M.P.H.",
        "PNS",
        "IV/a",
        "DINKES-YANKES",
        "KABID",
        "197204181998031004",
    ),
    (
        "198405262010012012",
        "Ns. Theresia Nahak, S.Kep.",
        "PNS",
        "III/d",
        "DINKES-YANKES-PRIMER",
        "KASI",
        "197808142005011002",
    ),
    (
        "199112052017082001",
        "Ns. Florida Bere, S.Kep.",
        "PNS",
        "III/b",
        "DINKES-YANKES-PRIMER",
        "PERAWAT",
        "198405262010012012",
    ),
    (
        "199402172019031003",
        "Andreas Taek, S.KM.",
        "PNS",
        "III/a",
        "DINKES-YANKES-PRIMER",
        "ANKEB",
        "198405262010012012",
    ),
    (
        "197911302006041006",
        "Drs. Hendrik Leo, M.Kes.",
        "PNS",
        "IV/a",
        "DINKES-P2P",
        "KABID",
        "197204181998031004",
    ),
    (
        "198809092014022003",
        "Veronika Klau, S.KM.",
        "PNS",
        "III/c",
        "DINKES-P2P",
        "ANKEB",
        "197911302006041006",
    ),
    ("199607112022032007", "Sherly Pah", "PPPK", None, "DINKES-P2P", "PENGDATA", "197911302006041006"),
    (
        "197712232003122002",
        "Dra. Elisabeth Kase, Apt.",
        "PNS",
        "IV/a",
        "UPT-LABKESDA",
        "KAUPT",
        "197204181998031004",
    ),
    (
        "198602142011011008",
        "Yohanes Oematan, A.Md.AK.",
        "PNS",
        "III/a",
        "UPT-LABKESDA",
        "PLK",
        "197712232003122002",
    ),
    (
        "199010282015032003",
        "Ester Bani, A.Md.AK.",
        "PNS",
        "II/d",
        "UPT-LABKESDA",
        "PLK",
        "197712232003122002",
    ),
    ("199703052023211001", "Yakobus Nope", "PPPK", None, "UPT-LABKESDA", "ADMPERK", "197712232003122002"),
    (
        "198005122005011003",
        "apt. Daniel Mau, S.Farm.",
        "PNS",
        "III/d",
        "UPT-FARMASI-ALOR",
        "KAUPT",
        "197204181998031004",
    ),
    (
        "199203152019032001",
        "Anastasia Lipat, S.Farm., Apt.",
        "PNS",
        "III/a",
        "UPT-FARMASI-ALOR",
        "APT",
        "198005122005011003",
    ),
    ("199411192020121002", "Petrus Mali", "PNS", "II/b", "UPT-FARMASI-ALOR", "ADMPERK", "198005122005011003"),
    (
        "199801262024212003",
        "Magdalena Tang",
        "PPPK",
        None,
        "UPT-FARMASI-ALOR",
        "PENGDATA",
        "198005122005011003",
    ),
    (
        "199212072018011001",
        "Rofinus Koli, S.Farm.",
        "PNS",
        "III/a",
        "UPT-FARMASI-ALOR",
        "APT",
        "198005122005011003",
    ),
    (
        "197609182001121003",
        "Drs. Kornelis Wolo, M.Pd.",
        "PNS",
        "IV/a",
        "UPT-LATKES-ENDE",
        "KAUPT",
        "197204181998031004",
    ),
    (
        "198305042009022006",
        "Bernadeta Ngoe, S.Kep., M.Kes.",
        "PNS",
        "III/d",
        "UPT-LATKES-ENDE",
        "WIDYA",
        "197609182001121003",
    ),
    (
        "199109212016031005",
        "Fransiskus Rangga, S.Kom.",
        "PNS",
        "III/b",
        "UPT-LATKES-ENDE",
        "PRAKOM",
        "197609182001121003",
    ),
    ("199505132021122001", "Yosefina Wea", "PNS", "II/c", "UPT-LATKES-ENDE", "ADMPERK", "197609182001121003"),
    (
        "199902042025211004",
        "Aloysius Dhae",
        "PPPK",
        None,
        "UPT-LATKES-ENDE",
        "PENGDATA",
        "197609182001121003",
    ),
]

ROLES = {ADMIN: {"is_admin": True}, TRAINER: {"is_pengajar": True}}

# The learner's assignments from their supervisor: course slug and days until due.
ASSIGNMENTS = {LEARNER: [("nilai-dasar-berakhlak", 30), ("keamanan-informasi-kantor", 60)]}


# Position standards (PermenPANRB 38/2017): the managerial and socio-cultural level a
# kind of position requires, and the technical competencies each demo position needs.
MANAGERIAL_CODES = ("M.01", "M.02", "M.03", "M.04", "M.05", "M.06", "M.07", "M.08", "SK.01")
MANAGERIAL_LEVEL = {"jpt_pratama": 4, "administrator": 3, "pengawas": 2, "fungsional": 2, "pelaksana": 1}
TECHNICAL_LEVELS = {
    "KADIS": {"T.PELAYANAN-KES": 4, "T.SURVEILANS": 3},
    "KABAN": {"T.PENGEMBANGAN-SDM": 4},
    "SEKDIS": {"T.KEAMANAN-INFO": 3},
    "KABID": {"T.KEAMANAN-INFO": 2, "T.PENGEMBANGAN-SDM": 3},
    "KAUPT": {"T.KEAMANAN-INFO": 2, "T.KEFARMASIAN": 3},
    "KASI": {"T.KEAMANAN-INFO": 2},
    "ANKEB": {"T.SURVEILANS": 3, "T.DATA-KES": 2},
    "PERAWAT": {"T.PELAYANAN-KES": 3},
    "PLK": {"T.LAB-KES": 3},
    "APT": {"T.KEFARMASIAN": 3, "T.KEAMANAN-INFO": 2},
    "WIDYA": {"T.PENGEMBANGAN-SDM": 3},
    "PRAKOM": {"T.DATA-KES": 3, "T.KEAMANAN-INFO": 3},
    "ADMPERK": {"T.KEAMANAN-INFO": 1},
    "PENGDATA": {"T.DATA-KES": 2, "T.KEAMANAN-INFO": 2},
}
# A little history in the supervisor's team, so the team view and profiles have something to show.
COMPLETED = [("199212072018011001", "nilai-dasar-berakhlak", 40, 90.0)]  # nip, course, days ago, score
OVERDUE = [("199411192020121002", "keamanan-informasi-kantor", 10)]  # nip, course, days past due
DEVELOPMENT = [
    # nip, jenis, judul, penyelenggara, days ago (end), days long, JP, competency, level, verified
    (
        "199801262024212003",
        "pelatihan",
        "Pelatihan Pengelolaan Data Kesehatan Dasar",
        "Bapelkes Kupang",
        60,
        3,
        24,
        "T.DATA-KES",
        2,
        True,
    ),
    (
        "199212072018011001",
        "workshop",
        "Workshop Manajemen Logistik Obat dan BMHP",
        "Dinas Kesehatan Provinsi NTT",
        20,
        2,
        12,
        "T.KEFARMASIAN",
        2,
        False,
    ),
]


def _get_or_create(model, key: str, value: str, **fields):
    row = db.session.scalar(select(model).where(getattr(model, key) == value))
    if row is None:
        row = model(**{key: value}, **fields)
        db.session.add(row)
        db.session.flush()
        return row, True
    return row, False


AGENCY = {"nama": "Badan Kepegawaian Daerah Provinsi Nusa Tenggara Timur", "kota": "Kupang"}
AGENCY_HEAD = "197502102000031002"  # Kepala BKD: signs the certificates


def _seed_agency(head: Pegawai) -> int:
    """The agency on its certificates, unless an admin has already set it."""
    if db.session.get(Instansi, 1) is not None:
        return 0
    db.session.add(
        Instansi(
            id=1,
            **AGENCY,
            penandatangan_nama=head.nama,
            penandatangan_nip=head.nip,
            penandatangan_jabatan=f"Kepala {AGENCY['nama']}",
        )
    )
    return 1


# Everyone at the Alor UPT does the information-security course every year, within 60
# days of the year's start or of joining the UPT.
RULE = {
    "nama": "Keamanan informasi, setiap tahun",
    "slug": "keamanan-informasi-kantor",
    "unit": "UPT-FARMASI-ALOR",
}


def _seed_rule(units: dict) -> int:
    kursus = db.session.scalar(select(Kursus).where(Kursus.slug == RULE["slug"]))
    if kursus is None or db.session.scalar(select(AturanWajib.id).where(AturanWajib.nama == RULE["nama"])):
        return 0
    rule = AturanWajib(
        nama=RULE["nama"],
        kursus_id=kursus.id,
        unit_id=units[RULE["unit"]].id,
        with_subunits=True,
        due_kind="days",
        due_days=60,
        yearly=True,
    )
    db.session.add(rule)
    db.session.flush()
    apply_rule(rule)
    return 1


def seed_demo() -> str:
    created = {"units": 0, "jabatan": 0, "pegawai": 0, "accounts": 0, "assignments": 0}
    units = {}
    for kode, nama, jenis, parent, lokasi in UNITS:
        unit, new = _get_or_create(
            UnitKerja,
            "kode",
            kode,
            nama=nama,
            jenis=jenis,
            lokasi=lokasi,
            parent_id=units[parent].id if parent else None,
        )
        unit.zona = unit.zona or ZONE
        units[kode] = unit
        created["units"] += new
    jabatan = {}
    for kode, nama, jenis in JABATAN:
        jabatan[kode], new = _get_or_create(Jabatan, "kode", kode, nama=nama, jenis=jenis)
        created["jabatan"] += new
    people = {}
    for nip, nama, status, golongan, unit, jab, _atasan in PEOPLE:
        people[nip], new = _get_or_create(
            Pegawai,
            "nip",
            nip,
            nama=nama,
            status_asn=status,
            golongan=golongan,
            unit_id=units[unit].id,
            jabatan_id=jabatan[jab].id,
        )
        created["pegawai"] += new
    for nip, *_rest, atasan in PEOPLE:
        if atasan and people[nip].atasan_id is None:
            people[nip].atasan_id = people[atasan].id
    existing_accounts = set(db.session.scalars(select(User.pegawai_id)))
    for nip, pegawai in people.items():
        if pegawai.id not in existing_accounts:
            create_user(pegawai, DEMO_PASSWORD, **ROLES.get(nip, {}))
            created["accounts"] += 1
    db.session.flush()
    today = local_today()
    for nip, courses in ASSIGNMENTS.items():
        for slug, days in courses:
            kursus = db.session.scalar(select(Kursus).where(Kursus.slug == slug))
            if kursus is None:
                continue
            if enrolment_for(people[nip].id, kursus.id) is None:
                assign(
                    people[nip].id,
                    kursus,
                    due_date=today + timedelta(days=days),
                    assigned_by_id=people[SUPERVISOR].id,
                )
                created["assignments"] += 1
    created["course owners"] = _trainer_owns_courses(people[TRAINER].id)
    created["agency settings"] = _seed_agency(people[AGENCY_HEAD])
    created.update(_seed_competencies(jabatan, people, today))
    created["mandatory rules"] = _seed_rule(units)
    return ", ".join(f"{v} {k}" for k, v in created.items()) + " created"


def _trainer_owns_courses(trainer_id: int) -> int:
    """The demo trainer owns the shipped courses, so his editor has something in it."""
    owned = set(
        db.session.scalars(select(KursusPemilik.kursus_id).where(KursusPemilik.pegawai_id == trainer_id))
    )
    added = 0
    for kursus_id in db.session.scalars(select(Kursus.id)):
        if kursus_id not in owned:
            db.session.add(KursusPemilik(kursus_id=kursus_id, pegawai_id=trainer_id))
            added += 1
    return added


def _seed_competencies(jabatan: dict, people: dict, today) -> dict[str, int]:
    """Standards for positions that have none, and the team's demo history."""
    counts = {"standards": 0, "completions": 0, "development records": 0}
    known = known_codes()
    if not known:
        return counts
    for kode, position in jabatan.items():
        if standards_for(position.id):
            continue
        levels = {code: MANAGERIAL_LEVEL[position.jenis] for code in MANAGERIAL_CODES}
        levels.update(TECHNICAL_LEVELS.get(kode, {}))
        set_standards(position, {code: level for code, level in levels.items() if code in known})
        counts["standards"] += 1
    courses = {k.slug: k for k in db.session.scalars(select(Kursus))}
    supervisor = people[SUPERVISOR].id
    for nip, slug, days_ago, score in COMPLETED:
        kursus = courses.get(slug)
        pid = people[nip].id
        if kursus is None or completion_for(pid, kursus.id):
            continue
        when = datetime.combine(today - timedelta(days=days_ago), time(3, 0))
        if enrolment_for(pid, kursus.id) is None:
            db.session.add(
                Enrolment(
                    pegawai_id=pid,
                    kursus_id=kursus.id,
                    source="assigned",
                    assigned_by_id=supervisor,
                    due_date=today - timedelta(days=days_ago - 14),
                    enrolled_at=when - timedelta(days=7),
                )
            )
        completion = CourseCompletion(
            pegawai_id=pid,
            kursus_id=kursus.id,
            kursus_version=kursus.version,
            jp=kursus.jp,
            score=score,
            completed_at=when,
        )
        db.session.add(completion)
        db.session.flush()
        signals.course_completed.send("demo", completion=completion)
        counts["completions"] += 1
    for nip, slug, days_late in OVERDUE:
        kursus = courses.get(slug)
        pid = people[nip].id
        if kursus and enrolment_for(pid, kursus.id) is None:
            db.session.add(
                Enrolment(
                    pegawai_id=pid,
                    kursus_id=kursus.id,
                    source="assigned",
                    assigned_by_id=supervisor,
                    due_date=today - timedelta(days=days_late),
                )
            )
    for nip, jenis, judul, organiser, days_ago, length, jp, code, level, verified in DEVELOPMENT:
        pid = people[nip].id
        if db.session.scalar(
            select(Pengembangan.id).where(Pengembangan.pegawai_id == pid, Pengembangan.judul == judul)
        ):
            continue
        end = today - timedelta(days=days_ago)
        record = development.create(
            pid,
            development.DevelopmentInput(
                jenis,
                judul,
                organiser,
                end - timedelta(days=length - 1),
                end,
                jp,
                nomor_sertifikat=f"DEMO/{end.year}/{pid:04d}",
                kompetensi_code=code,
                kompetensi_level=level,
            ),
            None,
            known,
        )
        if verified:
            development.decide(record, verifier_id=supervisor, approve=True)
        counts["development records"] += 1
    db.session.flush()
    return counts
