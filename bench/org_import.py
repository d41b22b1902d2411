"""Bulk import scenario: a province's agency goes live from files, on PostgreSQL.

    .venv/bin/python bench/org_import.py [--people 30000] [--database-url URL]
                                         [--format csv|xlsx] [--out DIR] [--seed N]

Generates the three files an admin brings (about 600 units five levels deep, 60
positions, --people employees with valid NIPs and atasan chains from each unit's head
up to the governor's office), wipes the schema of the database (BENCH_IMPORT_DATABASE_URL, default
lms_bench_import, created when missing; never point it at one you need), migrates it, and times, for each
file in the order an agency imports them: the dry run, the import (committed) and the
same file again (which must change nothing). Then it times a second employee file in
which 1,000 people moved unit or were renamed, a third in which everyone changed
golongan (30,000 updates), and a dry run of a file missing 500 people with
--deactivate-missing. The target: employees import in under a minute.
Not part of the tests.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the lms package lives one level up

from sqlalchemy import create_engine, text  # noqa: E402

DEFAULT_URL = os.environ.get(
    "BENCH_IMPORT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_import"
)
TARGET_SECONDS = 60
PNS_GRADES = ("II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")
PPPK_GRADES = ("V", "VII", "IX", "X", "XI")
ZONES = ("WITA", "", "", "")


# --- the files ------------------------------------------------------------------------------


def make_units() -> list[list[str]]:
    """An agency, 40 OPDs, 4 divisions each with 2 sub-divisions, 2 remote units each: 601."""
    rows = [["PROV", "Pemerintah Provinsi", "Instansi", "", "WITA"]]
    for o in range(1, 41):
        opd = f"OPD{o:02d}"
        rows.append([opd, f"Dinas Nomor {o}", "Perangkat Daerah", "PROV", ""])
        for b in range(1, 5):
            bidang = f"{opd}-B{b}"
            rows.append([bidang, f"Bidang {b} Dinas {o}", "Bidang", opd, ""])
            for s in range(1, 3):
                rows.append([f"{bidang}-S{s}", f"Seksi {s} Bidang {b} Dinas {o}", "Seksi", bidang, ""])
        rows.append([f"{opd}-UPT", f"UPT Dinas {o}", "UPT", opd, random.choice(ZONES)])
        rows.append([f"{opd}-PKM", f"Puskesmas Dinas {o}", "Puskesmas", opd, random.choice(ZONES)])
    # Children before parents in the file: the importer takes any order.
    random.shuffle(rows)
    return [["KODE_UNIT", "NAMA_UNIT", "JENIS_UNIT", "KODE_INDUK", "ZONA_WAKTU"], *rows]


def make_positions() -> list[list[str]]:
    rows = [["GUB", "Sekretaris Daerah", "JPT Madya"]]
    kinds = ("JPT Pratama", "Administrator", "Pengawas", "Fungsional", "Pelaksana")
    for n in range(1, 60):
        rows.append([f"J{n:03d}", f"Jabatan {n}", kinds[n % len(kinds)]])
    return [["KODE_JABATAN", "NAMA_JABATAN", "JENIS_JABATAN"], *rows]


def make_nips(count: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        year = random.randint(1965, 2000)
        birth = f"{year}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
        start = f"{min(year + random.randint(20, 30), 2024)}{random.randint(1, 12):02d}"
        seen.add(f"{birth}{start}{random.choice('12')}{random.randint(1, 999):03d}")
    return sorted(seen, key=lambda _n: random.random())


def make_people(units: list[list[str]], people: int) -> list[list[str]]:
    """Everyone in a unit reports to its head; a head reports to the parent unit's head."""
    codes = [u[0] for u in units[1:]]
    parent = {u[0]: u[3] for u in units[1:]}
    nips = make_nips(people)
    head = dict(zip(codes, nips, strict=False))
    rows = []
    for index, nip in enumerate(nips):
        unit = codes[index] if index < len(codes) else random.choice(codes)
        atasan = head.get(parent[unit], "") if head[unit] == nip else head[unit]
        pppk = random.random() < 0.1
        rows.append(
            [
                nip,
                f"Pegawai {index:05d}",
                "PPPK" if pppk else "PNS",
                random.choice(PPPK_GRADES if pppk else PNS_GRADES),
                "GUB" if unit == "PROV" and head[unit] == nip else f"J{random.randint(1, 59):03d}",
                unit,
                atasan,
                f"pegawai{index:05d}@prov.example.go.id" if index % 2 else "",
            ]
        )
    header = ["NIP", "NAMA", "STATUS_ASN", "GOLONGAN", "KODE_JABATAN", "KODE_UNIT", "NIP_ATASAN", "EMAIL"]
    return [header, *rows]


def to_bytes(rows: list[list[str]], fmt: str) -> bytes:
    if fmt == "xlsx":
        from lms.core.export import NipCell, Sheet, to_xlsx

        nip_columns = {i for i, name in enumerate(rows[0]) if name in ("NIP", "NIP_ATASAN")}
        body = [[NipCell(v) if i in nip_columns and v else v for i, v in enumerate(r)] for r in rows[1:]]
        return to_xlsx([Sheet("Data", rows[0], body)])
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


# --- the runs -------------------------------------------------------------------------------


def reset(url: str) -> None:
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def timed(label: str, kind: str, data: bytes, figures: list, *, commit: bool, **options):
    from lms.extensions import db
    from lms.org import importer

    started = time.perf_counter()
    outcome = importer.import_file(kind, data, **options)
    if outcome.errors:
        for line in outcome.error_lines(kind)[:20]:
            print(line)
        raise SystemExit(f"{label}: {len(outcome.errors)} errors")
    if commit:
        db.session.commit()
    else:
        db.session.rollback()
    seconds = time.perf_counter() - started
    figures.append((label, outcome.rows, seconds, outcome))
    print(
        f"  {label:<38} {outcome.rows:>6} rows {seconds:7.2f}s   created {len(outcome.created):>6}"
        f"  updated {len(outcome.updated):>5}  deactivated {len(outcome.deactivated):>4}"
        f"  unchanged {outcome.unchanged:>6}",
        flush=True,
    )
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--out", type=Path, help="Also write the generated files here.")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    random.seed(args.seed)

    units, positions = make_units(), make_positions()
    people = make_people(units, args.people)
    files = {"unit": to_bytes(units, args.format), "jabatan": to_bytes(positions, args.format)}
    files["pegawai"] = to_bytes(people, args.format)
    moved = [list(r) for r in people]
    unit_codes = [u[0] for u in units[1:]]
    for row in random.sample(moved[1:], 1000):
        if random.random() < 0.5:
            row[1] += " (pindah)"
        else:
            row[5] = random.choice(unit_codes)
    heads = {r[6] for r in people[1:] if r[6]}
    leavers = set(random.sample([r[0] for r in people[1:] if r[0] not in heads], 500))
    smaller = [people[0], *[r for r in people[1:] if r[0] not in leavers]]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for kind, data in files.items():
            (args.out / f"{kind}.{args.format}").write_bytes(data)
    print(f"files ({args.format}): " + ", ".join(f"{k} {len(v) / 1024:.0f} KB" for k, v in files.items()))

    from config import Config
    from lms import create_app

    reset(args.database_url)
    app = create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=args.database_url,
        STORAGE_LOCAL_ROOT=tempfile.mkdtemp(),
        SECRET_KEY=secrets.token_hex(16),
        LOG_LEVEL="WARNING",
    )
    figures: list = []
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        print(f"database {args.database_url.rsplit('@', 1)[-1]} migrated\n")
        for kind in ("unit", "jabatan", "pegawai"):
            timed(f"{kind}: dry run", kind, files[kind], figures, commit=False, dry_run=True)
            timed(f"{kind}: import", kind, files[kind], figures, commit=True)
            again = timed(f"{kind}: same file again", kind, files[kind], figures, commit=True)
            assert again.changes == 0, "a re-import changed something"
        timed(
            "pegawai: 1,000 moved or renamed", "pegawai", to_bytes(moved, args.format), figures, commit=True
        )
        regraded = [people[0], *[[*r[:3], "XI" if r[2] == "PPPK" else "IV/c", *r[4:]] for r in moved[1:]]]
        timed("pegawai: everyone regraded", "pegawai", to_bytes(regraded, args.format), figures, commit=True)
        timed("pegawai: 500 missing, dry run", "pegawai", to_bytes(smaller, args.format), figures, commit=False,
              dry_run=True, deactivate_missing=True)  # fmt: skip
    worst = max(s for label, _rows, s, _o in figures if label.startswith("pegawai"))
    print(f"\nslowest employee step {worst:.1f}s (target under {TARGET_SECONDS}s)")
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
