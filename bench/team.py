"""Team-view scenario: the supervisor's /tim pages and exports over a large organisation, on PostgreSQL.

    .venv/bin/python bench/team.py [--people 30000] [--team 2000] [--requests 50] [--keep]
                                   [--database-url URL] [--workers 2] [--explain]

Builds its own database (default postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench),
runs the migrations, loads the competency dictionary and kursus/, and generates an
organisation: one agency, 40 OPDs, their divisions and sub-units (~600 units), and
--people employees. One head of an OPD has exactly --team people below them through
their atasan chain (five levels deep); everyone else is under other heads. Enrolments,
assignments (some overdue), completions, verified development records and competency
levels give every figure of the team view something to count.

Then it serves the LMS and bench/bare.py with gunicorn on 127.0.0.1, signs the head in
over HTTP and requests each team URL --requests times, one after another from one
client, so the figures are latency rather than throughput. The number of SQL statements
per request is counted in-process with the Flask test client. Timings on a shared
machine are noisy, so each p95 is also given as a multiple of the bare page's p95.
Results are printed and written to bench/results/. Exits non-zero if any response is
not 200. --explain prints EXPLAIN (ANALYZE, BUFFERS) for the slow statements.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import http.cookies
import json
import math
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the lms package lives one level up

from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.load import free_port, serve, wait_for  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench"
# The head whose team is measured; a fixed NIP so --keep can find them again.
HEAD_NIP = "197203142000031002"
HEAD_PASSWORD = "bench-atasan-2000"
MANDATORY_SLUG = "nilai-dasar-berakhlak"
URLS = (
    "/tim",
    "/tim?status=overdue",
    "/tim?kursus={kursus}&status=pending",
    "/tim?halaman=20",
    "/tim/ekspor.csv",
    "/tim/ekspor.xlsx",
)
TARGET_MS = 200
# The brief's target applies to the default page and the exports.
TARGETED = ("/tim", "/tim/ekspor.csv", "/tim/ekspor.xlsx")
WARMUP = 5
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')

# --- the organisation ---------------------------------------------------------------------

OPD_NAMES = (
    "Dinas Kesehatan",
    "Dinas Pendidikan dan Kebudayaan",
    "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Dinas Sosial",
    "Dinas Pertanian dan Ketahanan Pangan",
    "Dinas Kelautan dan Perikanan",
    "Dinas Peternakan",
    "Dinas Kehutanan",
    "Dinas Perhubungan",
    "Dinas Komunikasi dan Informatika",
    "Dinas Pariwisata dan Ekonomi Kreatif",
    "Dinas Koperasi dan UKM",
    "Dinas Perindustrian dan Perdagangan",
    "Dinas Tenaga Kerja dan Transmigrasi",
    "Dinas Lingkungan Hidup",
    "Dinas Pemberdayaan Masyarakat dan Desa",
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
    "Dinas Pemuda dan Olahraga",
    "Dinas Perpustakaan dan Kearsipan",
    "Dinas Energi dan Sumber Daya Mineral",
    "Dinas Perumahan Rakyat dan Kawasan Permukiman",
    "Dinas Penanaman Modal dan PTSP",
    "Dinas Pendapatan Daerah",
    "Badan Kepegawaian Daerah",
    "Badan Pengembangan Sumber Daya Manusia",
    "Badan Perencanaan Pembangunan Daerah",
    "Badan Keuangan dan Aset Daerah",
    "Badan Penanggulangan Bencana Daerah",
    "Badan Kesatuan Bangsa dan Politik",
    "Badan Penghubung",
    "Badan Riset dan Inovasi Daerah",
    "Inspektorat Daerah",
    "Satuan Polisi Pamong Praja",
    "Sekretariat DPRD",
    "Biro Pemerintahan",
    "Biro Hukum",
    "Biro Organisasi",
    "Biro Perekonomian dan Administrasi Pembangunan",
    "Biro Pengadaan Barang dan Jasa",
)
BIDANG_NAMES = ("Sekretariat", "Bidang Perencanaan", "Bidang Pelayanan", "Bidang Pengembangan")
SUBJECTS = ("Umum dan Kepegawaian", "Keuangan", "Program", "Data dan Informasi", "Pembinaan", "Pengawasan")
PLACES = (
    "Kupang",
    "Soe",
    "Kefamenanu",
    "Atambua",
    "Betun",
    "Kalabahi",
    "Ende",
    "Bajawa",
    "Ruteng",
    "Labuan Bajo",
    "Maumere",
    "Larantuka",
    "Lewoleba",
    "Waingapu",
    "Waikabubak",
    "Tambolaka",
    "Ba'a",
    "Seba",
    "Borong",
    "Mbay",
)

# kode, nama, jenis, technical standards
POSITIONS = (
    ("SEKDA", "Sekretaris Daerah", "jpt_madya", {"T.PENGEMBANGAN-SDM": 4}),
    ("KADIS", "Kepala Dinas/Badan", "jpt_pratama", {"T.PELAYANAN-KES": 3, "T.PENGEMBANGAN-SDM": 4}),
    ("SEKDIS", "Sekretaris Dinas", "administrator", {"T.KEAMANAN-INFO": 3}),
    ("KABID", "Kepala Bidang", "administrator", {"T.KEAMANAN-INFO": 2, "T.PENGEMBANGAN-SDM": 3}),
    ("KASUBBID", "Kepala Subbidang", "pengawas", {"T.KEAMANAN-INFO": 2}),
    ("KAUPT", "Kepala UPT", "pengawas", {"T.KEAMANAN-INFO": 2, "T.KEFARMASIAN": 2}),
    ("ANKEB", "Analis Kebijakan", "fungsional", {"T.SURVEILANS": 3, "T.DATA-KES": 2}),
    ("PERAWAT", "Perawat", "fungsional", {"T.PELAYANAN-KES": 3}),
    ("PLK", "Pranata Laboratorium Kesehatan", "fungsional", {"T.LAB-KES": 3}),
    ("APT", "Apoteker", "fungsional", {"T.KEFARMASIAN": 3, "T.KEAMANAN-INFO": 2}),
    ("WIDYA", "Widyaiswara", "fungsional", {"T.PENGEMBANGAN-SDM": 3}),
    ("PRAKOM", "Pranata Komputer", "fungsional", {"T.DATA-KES": 3, "T.KEAMANAN-INFO": 3}),
    ("ANSDM", "Analis SDM Aparatur", "fungsional", {"T.PENGEMBANGAN-SDM": 3}),
    ("ADMPERK", "Pengadministrasi Perkantoran", "pelaksana", {"T.KEAMANAN-INFO": 1}),
    ("PENGDATA", "Pengelola Data", "pelaksana", {"T.DATA-KES": 2, "T.KEAMANAN-INFO": 2}),
)
MANAGERIAL_CODES = ("M.01", "M.02", "M.03", "M.04", "M.05", "M.06", "M.07", "M.08", "SK.01")
MANAGERIAL_LEVEL = {
    "jpt_madya": 5,
    "jpt_pratama": 4,
    "administrator": 3,
    "pengawas": 2,
    "fungsional": 2,
    "pelaksana": 1,
}
FUNCTIONAL = ("ANKEB", "PERAWAT", "PLK", "APT", "WIDYA", "PRAKOM", "ANSDM")
CLERICAL = ("ADMPERK", "PENGDATA")
# Age range and golongan (with weights) by kind of position.
AGES = {
    "jpt_madya": (52, 58),
    "jpt_pratama": (48, 58),
    "administrator": (42, 56),
    "pengawas": (36, 55),
    "fungsional": (25, 58),
    "pelaksana": (22, 58),
}
GOLONGAN_BY_JENIS = {
    "jpt_madya": (("IV/d", 1), ("IV/e", 2)),
    "jpt_pratama": (("IV/c", 2), ("IV/d", 1)),
    "administrator": (("IV/a", 1), ("IV/b", 2)),
    "pengawas": (("III/c", 1), ("III/d", 2), ("IV/a", 1)),
    "fungsional": (("III/a", 3), ("III/b", 3), ("III/c", 2), ("III/d", 2), ("IV/a", 1), ("IV/b", 1)),
    "pelaksana": (
        ("I/a", 1),
        ("I/b", 1),
        ("I/c", 1),
        ("I/d", 1),
        ("II/a", 3),
        ("II/b", 3),
        ("II/c", 3),
        ("II/d", 2),
        ("III/a", 2),
        ("III/b", 1),
    ),
}
MALE = (
    "Yohanes", "Yosef", "Petrus", "Paulus", "Agustinus", "Fransiskus", "Marthen", "Daniel", "Simon",
    "Yakobus", "Aloysius", "Benediktus", "Kornelis", "Stefanus", "Ahmad", "Muhammad", "Abdul", "Budi",
    "Hendrik", "Frederik", "Gabriel", "Imanuel", "Rudolf", "Wilhelmus", "Arnoldus", "Dominikus",
)  # fmt: skip
FEMALE = (
    "Maria", "Yuliana", "Agustina", "Fransiska", "Theresia", "Katarina", "Elisabeth", "Margaretha",
    "Veronika", "Yasinta", "Lusia", "Serafina", "Anastasia", "Siti", "Nur", "Dewi", "Sri", "Rambu",
    "Ester", "Ruth", "Debora", "Yohana", "Kristina", "Marselina", "Ignasia", "Bernadeta",
)  # fmt: skip
SURNAMES = (
    "Ndolu", "Manafe", "Lay", "Tanesib", "Nenobais", "Fanggidae", "Bessie", "Djami", "Kana", "Tefa",
    "Seran", "Bria", "Mau", "Nahak", "Leki", "Pello", "Mesakh", "Koa", "Dhae", "Wea", "Goa", "Nggadas",
    "da Costa", "Pareira", "Lamablawa", "Kewa", "Tukan", "Hurek", "Bere", "Taek", "Klau", "Lake",
    "Tallo", "Amalo", "Foenay", "Lusi", "Radja", "Bunga", "Sogen", "Pati", "Riwu", "Ratu", "Hege",
    "Kapitan", "Sinlae", "Benu", "Nalle", "Toelle", "Lado", "Dethan",
)  # fmt: skip

# Bench-only catalogue entries (no modules) beside the three shipped courses, so that
# about three enrolments a person spread over a catalogue of realistic size.
EXTRA_COURSES = (
    ("bench-rka", "Penyusunan Rencana Kerja dan Anggaran", 6),
    ("bench-arsip", "Manajemen Arsip Dinamis", 4),
    ("bench-pelayanan-prima", "Pelayanan Prima", 3),
    ("bench-komunikasi-digital", "Etika Komunikasi Digital ASN", 2),
    ("bench-pbj", "Dasar-Dasar Pengadaan Barang/Jasa", 8),
    ("bench-skp", "Penyusunan SKP dan Evaluasi Kinerja", 4),
    ("bench-literasi-data", "Literasi Data untuk ASN", 5),
    ("bench-risiko", "Manajemen Risiko Sektor Publik", 6),
    ("bench-antikorupsi", "Pencegahan Korupsi dan Gratifikasi", 3),
)
DEVELOPMENT = (
    ("pelatihan", "Pelatihan Kepemimpinan Pengawas", "BPSDM Provinsi NTT"),
    ("pelatihan", "Pelatihan Pengelolaan Data Kesehatan", "Bapelkes Kupang"),
    ("seminar", "Seminar Reformasi Birokrasi", "Biro Organisasi"),
    ("workshop", "Workshop Penyusunan Standar Pelayanan", "Ombudsman RI Perwakilan NTT"),
    ("kursus", "Kursus Bahasa Inggris Dasar", "UPT Bahasa Undana"),
    ("coaching", "Coaching Penyusunan SKP", "Badan Kepegawaian Daerah"),
    ("belajar_mandiri", "MOOC Literasi Digital", "LAN RI"),
)


@dataclass
class Org:
    """Rows to insert, built in memory with explicit ids so atasan links need no round trips."""

    units: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    head_id: int = 0


class NipMaker:
    """Realistic, unique 18-digit NIPs: birth date, CPNS start (PPPK: year + 21), sex, serial."""

    def __init__(self, rng: random.Random, today: date):
        self.rng, self.today, self.used = rng, today, {HEAD_NIP}

    def make(self, age: int, pppk: bool, sex: str) -> str:
        rng = self.rng
        birth = date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        if pppk:
            start = f"{rng.randint(2021, self.today.year - 1)}21"
        else:
            year = min(birth.year + rng.randint(20, 30), self.today.year - 1)
            start = f"{year}{rng.choice((1, 2, 3, 4, 12)):02d}"
        stem = f"{birth:%Y%m%d}{start}{sex}"
        serial = 1
        while f"{stem}{serial:03d}" in self.used:
            serial += 1
        nip = f"{stem}{serial:03d}"
        self.used.add(nip)
        return nip


class OrgBuilder:
    def __init__(self, rng: random.Random, today: date, jabatan: dict[str, tuple[int, str]]):
        self.rng, self.today, self.jabatan = rng, today, jabatan
        self.nips = NipMaker(rng, today)
        self.org = Org()

    def unit(self, kode: str, nama: str, jenis: str, parent_id: int | None) -> int:
        uid = len(self.org.units) + 1
        self.org.units.append({"id": uid, "kode": kode, "nama": nama, "jenis": jenis, "parent_id": parent_id})
        return uid

    def person(self, unit_id: int, kode: str, atasan_id: int | None, nip: str | None = None) -> int:
        rng = self.rng
        jabatan_id, jenis = self.jabatan[kode]
        pppk = jenis in ("fungsional", "pelaksana") and rng.random() < 0.1
        sex = rng.choice("12")
        nama = f"{rng.choice(MALE if sex == '1' else FEMALE)} {rng.choice(SURNAMES)}"
        pid = len(self.org.people) + 1
        names, weights = zip(*GOLONGAN_BY_JENIS[jenis], strict=True)
        self.org.people.append(
            {
                "id": pid,
                "nip": nip or self.nips.make(rng.randint(*AGES[jenis]), pppk, sex),
                "nama": nama,
                "status_asn": "PPPK" if pppk else "PNS",
                # PPPK have their own grades (I–XVII), which are not golongan/ruang.
                "golongan": None if pppk else rng.choices(names, weights)[0],
                "unit_id": unit_id,
                "jabatan_id": jabatan_id,
                "atasan_id": atasan_id,
                "email": None,
                "aktif": True,
                "created_at": datetime(2024, 1, 2, 8, 0),
            }
        )
        return pid

    def opd(self, index: int, root_id: int) -> tuple[int, list[tuple[int, list[tuple[int, str]]]]]:
        """An OPD with four divisions of two or three sub-units each: the OPD's id and
        [(division id, [(sub-unit id, jenis)])]."""
        nama = OPD_NAMES[index]
        short = nama.split(" ", 1)[1] if " " in nama else nama
        opd_id = self.unit(f"OPD{index + 1:02d}", nama, "perangkat_daerah", root_id)
        bidang = []
        for b, bidang_nama in enumerate(BIDANG_NAMES):
            bid = self.unit(f"OPD{index + 1:02d}.{b + 1}", f"{bidang_nama} {short}", "bidang", opd_id)
            subs = []
            for s in range(3 if (index * 4 + b) % 2 == 0 else 2):
                kode = f"OPD{index + 1:02d}.{b + 1}.{s + 1}"
                place = PLACES[(index * 7 + b * 3 + s) % len(PLACES)]
                if b == 0 or s == 0:
                    jenis, name = "subbidang", f"Subbidang {SUBJECTS[(b + s) % len(SUBJECTS)]} {short}"
                elif index == 0:  # the health office runs the health centres
                    jenis, name = "puskesmas", f"Puskesmas {place}"
                else:
                    jenis, name = "upt", f"UPT {short} Wilayah {place}"
                subs.append((self.unit(kode, name, jenis, bid), jenis))
            bidang.append((bid, subs))
        return opd_id, bidang

    def staff_opd(
        self, index: int, root_id: int, size: int, atasan_id: int | None, head_nip: str | None
    ) -> int:
        """``size`` people in OPD ``index``: head, division heads, sub-unit heads, then staff
        in teams under a lead, and a few juniors under a staff member, five levels deep."""
        opd_id, bidang = self.opd(index, root_id)
        head = self.person(opd_id, "KADIS", atasan_id, head_nip)
        subunits = []
        for b, (bid, subs) in enumerate(bidang):
            chief = self.person(bid, "SEKDIS" if b == 0 else "KABID", head)
            for sid, jenis in subs:
                subunits.append(
                    (sid, self.person(sid, "KASUBBID" if jenis == "subbidang" else "KAUPT", chief))
                )
        staff = size - 1 - len(bidang) - len(subunits)
        if staff < 0:
            raise SystemExit(f"an OPD needs at least {size - staff} people; got {size}")
        for i, (sid, chief) in enumerate(subunits):
            count = staff // len(subunits) + (1 if i < staff % len(subunits) else 0)
            leads = [
                self.person(sid, self.rng.choice(FUNCTIONAL), chief) for _ in range(math.ceil(count / 8))
            ]
            previous = None
            for j in range(count - len(leads)):
                kode = self.rng.choice(FUNCTIONAL if self.rng.random() < 0.5 else CLERICAL)
                # Every tenth reports to a colleague rather than a lead: the fifth level.
                boss = previous if j % 10 == 9 and previous else leads[j % len(leads)]
                previous = self.person(sid, kode, boss)
        return head


def build_org(people: int, team: int, rng: random.Random, today: date, jabatan) -> Org:
    builder = OrgBuilder(rng, today, jabatan)
    root = builder.unit("PROV-NTT", "Pemerintah Provinsi Nusa Tenggara Timur", "instansi", None)
    sekda = builder.person(root, "SEKDA", None)
    builder.org.head_id = builder.staff_opd(0, root, team + 1, sekda, HEAD_NIP)
    rest = people - 1 - (team + 1)
    others = len(OPD_NAMES) - 1
    smallest = 1 + 4 + 10  # head, division heads, at most ten sub-unit heads
    if rest < others * smallest:
        raise SystemExit(f"--people must be at least {team + 2 + others * smallest} for --team {team}")
    # Uneven OPD sizes, as in a real province; the remainder goes to the largest.
    weights = [rng.uniform(0.4, 1.6) for _ in range(others)]
    sizes = [smallest + int((rest - others * smallest) * w / sum(weights)) for w in weights]
    sizes[sizes.index(max(sizes))] += rest - sum(sizes)
    for offset, size in enumerate(sizes, start=1):
        builder.staff_opd(offset, root, size, sekda, None)
    return builder.org


# --- learning history ---------------------------------------------------------------------


def weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k distinct items, likelier the heavier (Efraimidis–Spirakis keys)."""
    keyed = sorted(zip(items, weights, strict=True), key=lambda iw: rng.random() ** (1 / iw[1]), reverse=True)
    return [item for item, _ in keyed[:k]]


def history(
    org: Org,
    courses: list[tuple[int, int, int, str]],
    standards,
    rng: random.Random,
    now: datetime,
    today: date,
):
    """Enrolments, completions, development records and levels for everyone.

    ``courses``: (id, version, jp, slug). About three enrolments a person; 40% assigned by
    the atasan with a due date, most of those already past; 40% of enrolments completed.
    ``now`` is naive UTC, as the database keeps times; ``today`` is the agency's date."""
    ids = [c[0] for c in courses]
    by_id = {c[0]: c for c in courses}
    # The mandatory values course is taken by most; the rest by popularity.
    weights = [8.0 if c[3] == MANDATORY_SLUG else rng.uniform(0.5, 2.0) for c in courses]
    enrolments, completions, development, levels = [], [], [], []
    for person in org.people:
        pid, atasan = person["id"], person["atasan_id"]
        k = rng.choices((0, 1, 2, 3, 4, 5), (5, 12, 20, 30, 20, 13))[0]
        for kid in weighted_sample(rng, ids, weights, k):
            roll = rng.random()
            source = "assigned" if roll < 0.4 and atasan else "mandatory" if roll < 0.5 else "self"
            enrolled_at = now - timedelta(days=rng.randint(1, 500), minutes=rng.randint(0, 600))
            due = None
            if source == "assigned":
                due = today + timedelta(days=rng.randint(-180, 120))
            elif source == "mandatory":
                due = date(today.year, 12, 31)
            enrolments.append(
                {
                    "pegawai_id": pid,
                    "kursus_id": kid,
                    "source": source,
                    "assigned_by_id": atasan if source == "assigned" else None,
                    "due_date": due,
                    "enrolled_at": enrolled_at,
                }
            )
            if rng.random() < 0.4:
                _, version, jp, _slug = by_id[kid]
                done = min(enrolled_at + timedelta(days=rng.randint(1, 90)), now - timedelta(hours=1))
                completions.append(
                    {
                        "pegawai_id": pid,
                        "kursus_id": kid,
                        "kursus_version": version,
                        "jp": jp,
                        "score": round(rng.uniform(65, 100), 1),
                        "completed_at": done,
                    }
                )
        roll = rng.random()
        if atasan and roll < 0.11:
            jenis, judul, penyelenggara = rng.choice(DEVELOPMENT)
            end = today - timedelta(days=rng.randint(3, 400))
            verified = roll < 0.10  # most verified; the rest wait for the atasan
            entered = datetime.combine(end, datetime.min.time()) + timedelta(days=1)
            development.append(
                {
                    "pegawai_id": pid,
                    "jenis": jenis,
                    "judul": judul,
                    "penyelenggara": penyelenggara,
                    "tanggal_mulai": end - timedelta(days=rng.randint(0, 4)),
                    "tanggal_selesai": end,
                    "jp": rng.choice((8, 12, 16, 24, 32, 40)),
                    "status": "verified" if verified else "pending",
                    "verified_by_id": atasan if verified else None,
                    "verified_at": min(entered + timedelta(days=2), now) if verified else None,
                    "created_at": min(entered, now),
                }
            )
        for code, required in standards[person["jabatan_id"]].items():
            if rng.random() < 0.85:
                level = max(0, min(5, required + rng.choice((-2, -1, -1, 0, 0, 0, 1))))
                levels.append({"pegawai_id": pid, "code": code, "level": level, "updated_at": now})
    return enrolments, completions, development, levels


# --- the database -------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the bench database if missing; CREATE DATABASE cannot run in a transaction."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        # The production setting the README recommends for SSD-backed servers: index
        # lookups for a team's rows instead of hashing whole tables.
        conn.execute(text(f'ALTER DATABASE "{target.database}" SET random_page_cost = 1.1'))
    admin.dispose()


def make_app(url: str, storage: Path):
    from config import Config
    from lms import create_app

    return create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=url,
        STORAGE_LOCAL_ROOT=str(storage),
        SECRET_KEY=secrets.token_hex(16),
        LOG_LEVEL="WARNING",
    )


def has_data(people: int, team: int) -> bool:
    """Whether the database already holds an organisation of this shape with the head's login."""
    from lms.accounts.models import User
    from lms.extensions import db
    from lms.org.models import Pegawai
    from lms.org.services import team_cte

    try:
        head = db.session.scalar(select(Pegawai).where(Pegawai.nip == HEAD_NIP))
        if head is None or db.session.scalar(select(User).where(User.pegawai_id == head.id)) is None:
            return False
        members = db.session.scalar(select(func.count()).select_from(team_cte(head.id)))
        return db.session.scalar(select(func.count(Pegawai.id))) == people and members == team
    except Exception:  # noqa: BLE001 - any failure (no schema yet) means "build it"
        db.session.rollback()
        return False


def insert(model, rows: list[dict], chunk: int = 5000) -> None:
    """Core executemany in chunks: the ORM's unit of work would take minutes for 300k rows."""
    from lms.extensions import db

    for start in range(0, len(rows), chunk):
        db.session.execute(model.__table__.insert(), rows[start : start + chunk])


def build(url: str, people: int, team: int, seed: int) -> None:
    import flask_migrate

    from lms.accounts.services import create_user
    from lms.catalog.importer import course_folders, import_courses
    from lms.catalog.models import Kursus
    from lms.competencies.models import LevelPegawai, StandarKompetensi
    from lms.competencies.services import DATA_DIR, import_dictionary
    from lms.core.time import local_today, utcnow
    from lms.extensions import db
    from lms.org.models import Jabatan, Pegawai, UnitKerja
    from lms.org.nip import is_valid_nip
    from lms.progress.models import CourseCompletion, Enrolment, Pengembangan

    started = time.perf_counter()

    def step(message: str) -> None:
        print(f"  {time.perf_counter() - started:6.1f}s  {message}", flush=True)

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    flask_migrate.upgrade()
    import_dictionary([DATA_DIR / "kamus-nasional.toml", DATA_DIR / "teknis-dinkes-ntt.toml"])
    import_courses(course_folders(ROOT / "kursus"))
    for slug, title, jp in EXTRA_COURSES:
        db.session.add(Kursus(slug=slug, title=title, jp=jp, status="published", summary=title))
    db.session.flush()
    step("schema migrated, dictionary and courses imported")

    jabatan, standards, jabatan_rows, standard_rows = {}, {}, [], []
    for number, (kode, nama, jenis, technical) in enumerate(POSITIONS, start=1):
        jabatan[kode] = (number, jenis)
        jabatan_rows.append({"id": number, "kode": kode, "nama": nama, "jenis": jenis})
        levels = {code: MANAGERIAL_LEVEL[jenis] for code in MANAGERIAL_CODES} | technical
        standards[number] = levels
        standard_rows += [{"jabatan_id": number, "code": c, "level": lv} for c, lv in levels.items()]
    insert(Jabatan, jabatan_rows)
    insert(StandarKompetensi, standard_rows)

    rng = random.Random(seed)
    now, today = utcnow().replace(microsecond=0), local_today()
    org = build_org(people, team, rng, today, jabatan)
    bad = [p["nip"] for p in org.people if not is_valid_nip(p["nip"], p["status_asn"])]
    assert not bad, f"generated invalid NIPs: {bad[:5]}"
    insert(UnitKerja, [{**u, "lokasi": None} for u in org.units])
    insert(Pegawai, org.people)
    step(f"{len(org.units)} units, {len(org.people)} people")

    courses = [
        tuple(r) for r in db.session.execute(select(Kursus.id, Kursus.version, Kursus.jp, Kursus.slug))
    ]
    enrolments, completions, development, levels = history(org, courses, standards, rng, now, today)
    insert(Enrolment, enrolments)
    insert(CourseCompletion, completions)
    insert(Pengembangan, development)
    insert(LevelPegawai, levels)
    step(
        f"{len(enrolments)} enrolments, {len(completions)} completions, "
        f"{len(development)} development records, {len(levels)} competency levels"
    )
    # Explicit ids were inserted, so move the sequences past them for later inserts.
    for table in ("unit_kerja", "jabatan", "pegawai"):
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
    create_user(db.session.get(Pegawai, org.head_id), HEAD_PASSWORD)
    db.session.commit()
    # Fresh statistics, as autovacuum would have gathered on a database in use.
    analyser = create_engine(url, isolation_level="AUTOCOMMIT")  # VACUUM refuses a transaction
    with analyser.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    analyser.dispose()
    step("committed and analysed")


# --- measuring ----------------------------------------------------------------------------


class Client:
    """One HTTP client with a cookie, no redirects followed (a redirect to /masuk must show
    up as a failure, not as a 200 login page) and a new connection per request, as
    gunicorn's sync workers close them anyway."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, path: str, method: str = "GET", form: dict | None = None):
        headers = {"Accept-Encoding": "gzip"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        conn.close()
        for raw in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return response, data, elapsed


def csrf_from(html: str) -> str:
    found = CSRF_RE.search(html)
    if not found:
        raise SystemExit("no CSRF token on /masuk")
    return found.group(1) or found.group(2)


def sign_in(client: Client) -> None:
    _, page, _ = client.request("/masuk")
    if client.cookies == {}:
        raise SystemExit("/masuk set no cookie")
    form = {"csrf_token": csrf_from(gzip_text(page)), "nip": HEAD_NIP, "password": HEAD_PASSWORD}
    response, _, _ = client.request("/masuk", "POST", form)
    if response.status != 302 or "/masuk" in (response.getheader("Location") or ""):
        raise SystemExit(f"signing in as the head failed: {response.status}")


def gzip_text(data: bytes) -> str:
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def measure(client: Client, path: str, count: int) -> dict:
    """``count`` timed requests after a few untimed ones (both workers load templates and
    open connections); a status other than 200 is recorded whether timed or not."""
    latencies, bad, size, raw = [], {}, 0, 0
    for number in range(WARMUP + count):
        response, data, elapsed = client.request(path)
        if number >= WARMUP:
            latencies.append(elapsed * 1000)
        if response.status != 200:
            bad[response.status] = bad.get(response.status, 0) + 1
        size = len(data)
        gz = response.getheader("Content-Encoding") == "gzip"
        raw = len(gzip.decompress(data)) if gz else len(data)
    latencies.sort()
    return {
        "requests": count,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(latencies[-1], 1),
        "bytes": size,
        "raw_bytes": raw,
        "not_200": bad,
    }


def count_queries(app, paths: list[str], runs: int = 3) -> dict[str, dict]:
    """SQL statements per request, in-process with the test client; and the time they
    took (median of ``runs``), to tell the database's share from Python's."""
    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    recorded: list[tuple[str, object, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        recorded.append((statement, parameters, (time.perf_counter() - conn.info["bench_started"]) * 1000))

    client = app.test_client()
    page = client.get("/masuk").get_data(as_text=True)
    client.post("/masuk", data={"csrf_token": csrf_from(page), "nip": HEAD_NIP, "password": HEAD_PASSWORD})
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    found = {}
    try:
        for path in paths:
            per_run = []
            for _ in range(runs):
                recorded.clear()
                response = client.get(path, headers={"Accept-Encoding": "gzip"})
                if response.status_code != 200:
                    raise SystemExit(f"in-process {path}: {response.status_code}")
                per_run.append(list(recorded))
            found[path] = {
                "queries": len(per_run[-1]),
                "sql_ms": round(statistics.median(sum(ms for *_, ms in run) for run in per_run), 1),
                "statements": per_run[-1],
            }
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return found


def explain(app, counted: dict[str, dict], threshold_ms: float = 5.0) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) every statement of the measured URLs that took longer than
    ``threshold_ms``; the same statement text is explained once."""
    from lms.extensions import db

    seen = set()
    with app.app_context(), db.engine.connect() as conn:
        for path, found in counted.items():
            for statement, parameters, ms in found["statements"]:
                if ms < threshold_ms or statement in seen:
                    continue
                seen.add(statement)
                print(f"\n=== {path}: {ms:.1f} ms in-process\n{statement}\n--- parameters: {parameters}")
                plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
                print("\n".join(row[0] for row in plan))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_TEAM_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--team", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it already has this data")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slow statements")
    args = parser.parse_args()

    from lms.catalog.models import Kursus
    from lms.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-team-"))
    ensure_database(args.database_url)
    app = make_app(args.database_url, workdir / "storage")
    with app.app_context():
        if args.keep and has_data(args.people, args.team):
            print(f"keeping the organisation in {make_url(args.database_url).database}")
        else:
            print(
                f"building {args.people} people, a team of {args.team}, in {make_url(args.database_url).database}"
            )
            build(args.database_url, args.people, args.team, args.seed)
        kursus_id = db.session.scalar(select(Kursus.id).where(Kursus.slug == MANDATORY_SLUG))
        db.session.remove()
    paths = [url.format(kursus=kursus_id) for url in URLS]
    counted = count_queries(app, paths)

    env = {
        **os.environ,
        "LMS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(16),
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on 127.0.0.1
        "DATABASE_URL": args.database_url,
        "STORAGE_LOCAL_ROOT": str(workdir / "storage"),
        "LOG_LEVEL": "WARNING",
    }
    lms_port, bare_port = free_port(), free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{lms_port}"  # production needs its public address
    servers = [
        serve("wsgi:app", lms_port, args.workers, env),
        serve("bench.bare:app", bare_port, args.workers, env),
    ]
    try:
        wait_for(f"http://127.0.0.1:{lms_port}/healthz")
        wait_for(f"http://127.0.0.1:{bare_port}/")
        results = {"bare flask page": measure(Client(bare_port), "/", args.requests)}
        client = Client(lms_port)
        sign_in(client)
        for path in paths:
            results[path] = measure(client, path, args.requests)
    finally:
        for server in servers:
            server.terminate()
            server.wait()

    load = os.getloadavg()
    bare = results["bare flask page"]["p95_ms"]
    print(
        f"\n{'url':36} {'reqs':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/bare':>9} "
        f"{'bytes':>8} {'raw bytes':>10} {'queries':>8} {'sql ms':>7}"
    )
    failed = False
    for name, row in results.items():
        row["p95_to_bare"] = round(row["p95_ms"] / bare, 1) if bare else None
        found = counted.get(name, {})
        row["queries"], row["sql_ms"] = found.get("queries", "-"), found.get("sql_ms", "-")
        failed |= bool(row["not_200"])
        print(
            f"{name:36} {row['requests']:>5} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['max_ms']:>8} "
            f"{row['p95_to_bare']:>9} {row['bytes']:>8} {row['raw_bytes']:>10} {row['queries']:>8} "
            f"{row['sql_ms']:>7}" + (f"  NOT 200: {row['not_200']}" if row["not_200"] else "")
        )
    missed = [p for p in TARGETED if results[p]["p95_ms"] >= TARGET_MS]
    print(
        f"\nbare p95 {bare} ms. Target p95 < {TARGET_MS} ms for {', '.join(TARGETED)} "
        f"with a team of {args.team}: " + (f"MISSED by {', '.join(missed)}" if missed else "met")
    )
    print(
        "bytes: as sent (gzip where the app compresses); raw: uncompressed; sql ms: in-process, median of 3"
    )
    # Other work on this small machine shows up in every figure; say how busy it was.
    print(
        f"load average (1, 5, 15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"team-{stamp}.json").write_text(
        json.dumps({"args": vars(args), "load_average": load, "results": results}, indent=2)
    )
    if args.explain:
        explain(app, counted)
    if failed:
        print("some responses were not 200", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
