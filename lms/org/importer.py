"""Bulk import of units, positions (jabatan) and employees from CSV or XLSX.

An agency goes live by importing what its other systems and spreadsheets hold: hundreds
of units, thousands of employees. Every row is checked against the file and the database
before anything is written, and every problem is listed with its row (as the spreadsheet
numbers it: the header is row 1) and column; one bad row means nothing is written.

The rows are matched by their code (units, positions) or NIP (employees): a new one is
created, a known one updated where a value differs, and the same file imported twice
changes nothing the second time. A column the file leaves out (those marked optional)
leaves that value as it is. Employees missing from a full file are deactivated only when
asked, and only within the admin's units.

Writing is bulk SQL (a few queries load what exists; inserts and updates go in
executemany batches), with one audit entry per row that changed and one
``people_changed`` signal for the employees whose placement changed.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from lms import signals
from lms.core import audit, sheets
from lms.core.db import chunked
from lms.core.errors import DomainError
from lms.core.i18n import ZONES
from lms.core.text import is_email
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.data import GOLONGAN, GOLONGAN_PPPK, JENIS_JABATAN, JENIS_UNIT, STATUS_ASN
from lms.org.models import Jabatan, Pegawai, UnitKerja
from lms.org.nip import parse_nip
from lms.org.services import managed_unit_ids
from lms.storage import PRIVATE, StorageError, storage

KINDS = ("unit", "jabatan", "pegawai")

# Each kind's columns in the template's order: (name, required). A column that is not
# required may be left out of the file; the values it holds are then left as they are.
COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "unit": (
        ("KODE_UNIT", True),
        ("NAMA_UNIT", True),
        ("JENIS_UNIT", True),
        ("KODE_INDUK", False),
        ("ZONA_WAKTU", False),
    ),
    "jabatan": (("KODE_JABATAN", True), ("NAMA_JABATAN", True), ("JENIS_JABATAN", True)),
    "pegawai": (
        ("NIP", True),
        ("NAMA", True),
        ("STATUS_ASN", True),
        ("GOLONGAN", False),
        ("KODE_JABATAN", False),
        ("KODE_UNIT", True),
        ("NIP_ATASAN", False),
        ("EMAIL", False),
    ),
}

# One example row for each template.
# The example rows of each template: imported as they are, in order, they make a unit, a
# position and two employees (the atasan first), so a template is a file that works.
EXAMPLES = {
    "unit": [("DINKES", "Dinas Kesehatan", "perangkat_daerah", "", "WITA")],
    "jabatan": [("APT-AP", "Apoteker Ahli Pertama", "fungsional")],
    "pegawai": [
        ("198005122005011003", "Daniel Mau", "PNS", "III/d", "", "DINKES", "", ""),
        (
            "199203152019032001",
            "Maria Goreti",
            "PNS",
            "III/a",
            "APT-AP",
            "DINKES",
            "198005122005011003",
            "maria.goreti@example.go.id",
        ),
    ],
}

# Unit kinds by the words agencies use for them (compared without case, spaces, - or _).
UNIT_WORDS = {
    "instansi": ("instansi", "agency", "pemda", "pemerintahdaerah"),
    "perangkat_daerah": ("perangkatdaerah", "opd", "skpd", "dinas", "badan", "biro", "sekretariat"),
    "bidang": ("bidang", "bagian", "division"),
    "subbidang": ("subbidang", "subbid", "seksi", "subbagian", "subbag", "subdivision"),
    "upt": ("upt", "uptd", "unitpelaksanateknis"),
    "kecamatan": ("kecamatan",),
    "puskesmas": ("puskesmas", "healthcentre", "healthcenter"),
}
JABATAN_WORDS = {
    "jpt_utama": ("jptutama", "pimpinantinggiutama"),
    "jpt_madya": ("jptmadya", "pimpinantinggimadya"),
    "jpt_pratama": ("jptpratama", "pimpinantinggipratama"),
    "administrator": ("administrator", "administrasi"),
    "pengawas": ("pengawas",),
    "fungsional": ("fungsional", "jf", "jft", "fungsionaltertentu"),
    "pelaksana": ("pelaksana", "jfu", "fungsionalumum", "staf"),
}
ZONE_WORDS = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

PREVIEW_ROWS = 20
_CHUNK = 1000
_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE][+-]?\d+$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_GOLONGAN_PNS = re.compile(r"^(IV|III|II|I|[1-4])/?([A-E])$")
_ROMAN = {str(n): roman for n, roman in enumerate(GOLONGAN_PPPK, start=1)}
_ARABIC_PNS = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def _word(value: str) -> str:
    return re.sub(r"[\s_\-]+", "", value).lower()


# --- what a check finds -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str


@dataclass
class Change:
    """A row to create, update or deactivate; ``before``/``after`` hold the fields that differ."""

    key: str
    label: str
    row: int | None = None
    before: dict | None = None
    after: dict = field(default_factory=dict)


@dataclass
class Outcome:
    kind: str
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    rows: int = 0
    created: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    deactivated: list[Change] = field(default_factory=list)
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    deactivate_missing: bool = False
    applied: bool = False
    # The writes, run by ``apply`` when there are no errors.
    _write: Callable[[], list[int]] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated) + len(self.deactivated)

    def error_lines(self, filename: str) -> list[str]:
        """``FILE:ROW:COLUMN: message``, as the command line prints them."""
        return [f"{filename}:{p.row}:{p.column}: {p.message}" for p in self.errors]


class _Rows:
    """The file's rows with their columns found by name, and the problems met."""

    def __init__(self, kind: str, table: sheets.Table):
        self.table = table
        self.index, self.names = _match_header(kind, table)
        self.problems: list[Problem] = []

    def has(self, column: str) -> bool:
        return column in self.index

    def value(self, row: sheets.Row, column: str) -> str:
        return row.get(self.index[column]) if column in self.index else ""

    def numeric(self, row: sheets.Row, column: str) -> bool:
        return column in self.index and self.index[column] in row.numeric

    def error(self, row: sheets.Row | int, column: str, message: str) -> None:
        number = row if isinstance(row, int) else row.number
        self.problems.append(Problem(number, self.names.get(column, column), message))

    def duplicates(self, keys: dict[int, str], column: str, what: str) -> None:
        """Report a key met on more than one row at every one of them."""
        seen: dict[str, list[int]] = {}
        for number, key in keys.items():
            if key:
                seen.setdefault(key, []).append(number)
        for key, numbers in seen.items():
            if len(numbers) > 1:
                for number in numbers:
                    others = ", ".join(str(n) for n in numbers if n != number)
                    self.error(
                        number,
                        column,
                        _("%(what)s %(key)s is also on row %(rows)s.", what=what, key=key, rows=others),
                    )


def _header_test(kind: str):
    """A row is the header when it names at least two of the kind's columns."""
    expected = {_word(name).upper() for name, _required in COLUMNS[kind]}
    return lambda cells: sum(_word(c).upper() in expected for c in cells) >= 2


def _match_header(kind: str, table: sheets.Table) -> tuple[dict[str, int], dict[str, str]]:
    """Column name → index, and → the header as the file writes it. Missing, unknown or
    repeated columns refuse the whole file with one message naming them."""
    expected = {_word(name).upper(): name for name, _required in COLUMNS[kind]}
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    unknown, repeated = [], []
    for position, text in enumerate(table.header):
        name = expected.get(_word(text).upper())
        if not text:
            continue
        if name is None:
            unknown.append(text)
        elif name in index:
            repeated.append(text)
        else:
            index[name], names[name] = position, text
    missing = [name for name, required in COLUMNS[kind] if required and name not in index]
    if not (missing or unknown or repeated):
        return index, names
    parts = []
    if missing:
        parts.append(_("Missing column(s): %(names)s.", names=", ".join(missing)))
    if unknown:
        parts.append(_("Unknown column(s): %(names)s.", names=", ".join(unknown)))
    if repeated:
        parts.append(_("Column(s) given twice: %(names)s.", names=", ".join(repeated)))
    optional = [name for name, required in COLUMNS[kind] if not required]
    parts.append(_("The header row (row %(row)d) must be: %(header)s.", row=table.header_row,
                   header=", ".join(name for name, _r in COLUMNS[kind])))  # fmt: skip
    if optional:
        parts.append(_("These may be left out: %(names)s.", names=", ".join(optional)))
    raise DomainError(" ".join(parts), field="file")


# --- values -------------------------------------------------------------------------------


def _lookup(words: dict[str, tuple[str, ...]], labels: dict) -> dict[str, str]:
    found = {}
    for code, aliases in words.items():
        found[_word(code)] = code
        for alias in aliases:
            found[alias] = code
        label = labels[code][0] if isinstance(labels[code], tuple) else labels[code]
        found[_word(str(label))] = code
    return found


def unit_kind(value: str) -> str | None:
    """The JENIS_UNIT code for a code, a label or a common word ("OPD", "Seksi" …)."""
    return _lookup(UNIT_WORDS, JENIS_UNIT).get(_word(value))


def jabatan_kind(value: str) -> str | None:
    word = _word(value)
    words = _lookup(JABATAN_WORDS, JENIS_JABATAN)
    return words.get(word) or (words.get(word[len("jabatan") :]) if word.startswith("jabatan") else None)


def zone(value: str) -> str | None:
    """An IANA zone for WIB/WITA/WIT or one of Indonesia's zone names; "" for none."""
    if not value:
        return ""
    by_name = {z.lower(): z for z in ZONES}
    return ZONE_WORDS.get(value.upper()) or by_name.get(value.replace(" ", "").lower())


# Personnel systems write the rank with it: "Penata Muda (III/a)", "III/a - Penata Muda",
# "Pembina Tk. I, IV/b". Only a golongan written with its slash is taken from such text.
_PANGKAT_WITH_GOLONGAN = re.compile(r"(?<![A-Za-z])(IV|III|II|I)\s*/\s*([a-eA-E])(?![A-Za-z])")
_GOLONGAN_WORD = re.compile(r"^GOL(ONGAN)?/?")


def golongan(value: str, status_asn: str) -> str:
    """A golongan as the lists write it ("III/a", "IX"), from what spreadsheets hold
    ("III-a", "IIIa", "iii / a", "3a"; for PPPK "9" or "ix"). Raises DomainError."""
    text = re.sub(r"\s+", "", value).upper().replace("-", "/").replace(".", "/").replace("\\", "/")
    if status_asn == "PPPK":
        text = _GOLONGAN_WORD.sub("", text)
        found = _ROMAN.get(text) or (text if text in GOLONGAN_PPPK else None)
        if found:
            return found
        raise DomainError(_("Unknown golongan %(g)s: a PPPK has I to XVII.", g=value))
    match = _GOLONGAN_PNS.match(text) or _PANGKAT_WITH_GOLONGAN.search(value)
    if match:
        found = f"{_ARABIC_PNS.get(match[1].upper(), match[1].upper())}/{match[2].lower()}"
        if found in GOLONGAN:
            return found
    raise DomainError(_("Unknown golongan/ruang %(g)s: a PNS has I/a to IV/e.", g=value))


def _numeric_nip_message() -> str:
    return _(
        "The spreadsheet turned this NIP into a number and lost its last digits: format "
        "the column as Text and type the NIPs again (or start each with an apostrophe)."
    )


def clean_nip(raw: str, numeric: bool) -> str:
    """The NIP's digits from a cell, or a DomainError explaining how a spreadsheet spoilt
    it. A leading apostrophe (Excel's mark for text) and grouping are removed."""
    value = raw.lstrip("'’`").strip()
    if numeric or _SCIENTIFIC.match(value):
        raise DomainError(_numeric_nip_message())
    value = "".join(ch for ch in value if ch not in " .-\t\u00a0")
    if len(value) == 18 and value.isdigit() and value.endswith("000"):
        raise DomainError(_numeric_nip_message())
    return value


def _scope(admin) -> set[int] | None:
    ids = managed_unit_ids(admin) if admin is not None else None
    return None if ids is None else set(db.session.scalars(ids))


def _text(rows: _Rows, row: sheets.Row, column: str, what: str, limit: int) -> str:
    value = rows.value(row, column)
    if not value:
        rows.error(row, column, _("Enter the %(what)s.", what=what))
    elif len(value) > limit:
        rows.error(row, column, _("At most %(n)d characters.", n=limit))
    return value


# --- units --------------------------------------------------------------------------------


def _check_units(rows: _Rows, outcome: Outcome, admin) -> None:
    existing = {
        r.kode: r
        for r in db.session.execute(
            select(UnitKerja.id, UnitKerja.kode, UnitKerja.nama, UnitKerja.jenis, UnitKerja.parent_id,
                   UnitKerja.zona, UnitKerja.closed_at)
        )
    }  # fmt: skip
    kode_of = {r.id: r.kode for r in existing.values()}
    scope = _scope(admin)
    has_parent, has_zone = rows.has("KODE_INDUK"), rows.has("ZONA_WAKTU")
    wanted: dict[str, dict] = {}
    codes: dict[int, str] = {}
    for row in rows.table.rows:
        kode = _text(rows, row, "KODE_UNIT", _("unit code"), 40)
        nama = _text(rows, row, "NAMA_UNIT", _("unit name"), 200)
        jenis_raw = rows.value(row, "JENIS_UNIT")
        jenis = unit_kind(jenis_raw)
        if jenis is None:
            rows.error(row, "JENIS_UNIT", _("Unknown kind of unit %(value)s: use one of %(kinds)s.",
                       value=jenis_raw or "–", kinds=", ".join(JENIS_UNIT)))  # fmt: skip
        zona = zone(rows.value(row, "ZONA_WAKTU"))
        if zona is None:
            rows.error(row, "ZONA_WAKTU", _("Unknown time zone %(value)s: use WIB, WITA or WIT (or leave it empty).",
                       value=rows.value(row, "ZONA_WAKTU")))  # fmt: skip
        codes[row.number] = kode
        if kode and kode not in wanted:
            wanted[kode] = {"row": row.number, "nama": nama, "jenis": jenis, "zona": zona or None,
                            "parent": rows.value(row, "KODE_INDUK") or None}  # fmt: skip
    rows.duplicates(codes, "KODE_UNIT", _("Unit code"))

    parent_of = {kode: kode_of.get(r.parent_id) for kode, r in existing.items()}
    for kode, w in wanted.items():
        if has_parent:
            parent_of[kode] = w["parent"]
        else:
            w["parent"] = parent_of.get(kode)
        induk = w["parent"]
        if not induk:
            continue
        # Units already under a closed one stay there: closing leaves the tree as it was.
        stays = kode in existing and kode_of.get(existing[kode].parent_id) == induk
        if induk == kode:
            rows.error(w["row"], "KODE_INDUK", _("A unit cannot be its own parent."))
        elif induk not in wanted and induk not in existing:
            rows.error(
                w["row"],
                "KODE_INDUK",
                _("No unit has the code %(kode)s, in this file or already.", kode=induk),
            )
        elif induk in existing and existing[induk].closed_at is not None and not stays:
            rows.error(
                w["row"], "KODE_INDUK", _("Unit %(kode)s is closed: nothing new goes under it.", kode=induk)
            )
    for kode, loop in _cycles(parent_of, wanted):
        rows.error(wanted[kode]["row"], "KODE_INDUK",
                   _("The units' parents go round in a circle: %(path)s.", path=" → ".join(loop)))  # fmt: skip
    if scope is not None:
        _check_unit_scope(rows, wanted, existing, parent_of, kode_of, scope)

    to_create, to_update = [], []
    for kode, w in wanted.items():
        after = {
            "kode": kode,
            "nama": w["nama"],
            "jenis": w["jenis"],
            "parent": w["parent"],
            "zona": w["zona"],
        }
        old = existing.get(kode)
        if old is None:
            outcome.created.append(Change(kode, w["nama"], w["row"], None, after))
            to_create.append(kode)
            continue
        if not has_zone:
            w["zona"] = after["zona"] = old.zona
        before = {"kode": kode, "nama": old.nama, "jenis": old.jenis, "parent": kode_of.get(old.parent_id),
                  "zona": old.zona}  # fmt: skip
        before, after = audit.changed(before, after)
        if after:
            outcome.updated.append(Change(kode, w["nama"], w["row"], before, after))
            to_update.append(kode)
        else:
            outcome.unchanged += 1

    def write() -> list[int]:
        return _write_units(outcome, wanted, existing, to_create, to_update)

    outcome._write = write


def _cycles(parent_of: dict[str, str | None], starts: Iterable[str]) -> list[tuple[str, list[str]]]:
    """(start, the loop written out) for each start that is part of a loop of ``parent_of``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    found: list[tuple[str, list[str]]] = []
    order = list(starts)
    starting = set(order)
    for start in order:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = 1
            path.append(node)
            node = parent_of.get(node)
            if node == path[-1]:
                node = None  # its own parent: reported on its own
        if node is not None and state.get(node) == 1:
            loop = path[path.index(node) :]
            for member in loop:
                if member in starting:
                    at = loop.index(member)
                    found.append((member, [*loop[at:], *loop[:at], member]))
        for member in path:
            state[member] = 2
    return found


def _check_unit_scope(rows, wanted, existing, parent_of, kode_of, scope: set[int]) -> None:
    """A unit-limited admin changes only units in their tree, and puts new ones under it."""
    memo: dict[str, bool] = {}

    def inside(kode: str | None, depth: int = 0) -> bool:
        if kode is None or depth > len(parent_of) + 1:
            return False
        if kode not in memo:
            old = existing.get(kode)
            if (
                old is not None
                and old.id in scope
                and (kode not in wanted or parent_of.get(kode) == kode_of.get(old.parent_id))
            ):
                memo[kode] = True
            else:
                memo[kode] = inside(parent_of.get(kode), depth + 1)
        return memo[kode]

    for kode, w in wanted.items():
        old = existing.get(kode)
        if old is not None and old.id not in scope:
            rows.error(
                w["row"], "KODE_UNIT", _("Unit %(kode)s is not one of the units you manage.", kode=kode)
            )
        elif not inside(kode):
            rows.error(w["row"], "KODE_INDUK", _("Put the unit under one of the units you manage."))


def _write_units(outcome, wanted, existing, to_create, to_update) -> list[int]:
    new = [
        {"kode": k, "nama": wanted[k]["nama"], "jenis": wanted[k]["jenis"], "zona": wanted[k]["zona"]}
        for k in to_create
    ]
    ids = {r.kode: r.id for r in existing.values()}
    if new:
        ids.update(_insert(UnitKerja, "kode", new))
    changes = []
    for kode in to_create + to_update:
        w = wanted[kode]
        values = {"id": ids[kode], "parent_id": ids.get(w["parent"]) if w["parent"] else None}
        if kode in existing:
            values.update(nama=w["nama"], jenis=w["jenis"], zona=w["zona"])
        if kode in existing or values["parent_id"] is not None:
            changes.append(values)
    _bulk_update(UnitKerja, changes)
    entries = [_entry("unit.create", "unit", c) for c in outcome.created]
    entries += [_entry("unit.update", "unit", c) for c in outcome.updated]
    audit.record_many(entries)
    return []


# --- positions ------------------------------------------------------------------------------


def _check_jabatan(rows: _Rows, outcome: Outcome, admin) -> None:
    if _scope(admin) is not None:
        raise DomainError(
            _("Positions are shared by the whole agency: an admin of the whole agency imports them."),
            field="kind",
        )
    existing = {
        r.kode: r for r in db.session.execute(select(Jabatan.id, Jabatan.kode, Jabatan.nama, Jabatan.jenis))
    }
    wanted: dict[str, dict] = {}
    codes: dict[int, str] = {}
    for row in rows.table.rows:
        kode = _text(rows, row, "KODE_JABATAN", _("position code"), 40)
        nama = _text(rows, row, "NAMA_JABATAN", _("position name"), 200)
        raw = rows.value(row, "JENIS_JABATAN")
        jenis = jabatan_kind(raw)
        if jenis is None:
            rows.error(row, "JENIS_JABATAN", _("Unknown kind of position %(value)s: use one of %(kinds)s.",
                       value=raw or "–", kinds=", ".join(JENIS_JABATAN)))  # fmt: skip
        codes[row.number] = kode
        if kode and kode not in wanted:
            wanted[kode] = {"row": row.number, "kode": kode, "nama": nama, "jenis": jenis}
    rows.duplicates(codes, "KODE_JABATAN", _("Position code"))
    for kode, w in wanted.items():
        after = {"kode": kode, "nama": w["nama"], "jenis": w["jenis"]}
        old = existing.get(kode)
        if old is None:
            outcome.created.append(Change(kode, w["nama"], w["row"], None, after))
            continue
        before, after = audit.changed({"kode": kode, "nama": old.nama, "jenis": old.jenis}, after)
        if after:
            outcome.updated.append(Change(kode, w["nama"], w["row"], before, after))
        else:
            outcome.unchanged += 1

    def write() -> list[int]:
        new = [{"kode": c.key, "nama": c.after["nama"], "jenis": c.after["jenis"]} for c in outcome.created]
        ids = {kode: r.id for kode, r in existing.items()}
        if new:
            ids.update(_insert(Jabatan, "kode", new))
        _bulk_update(Jabatan, [{"id": ids[c.key], "nama": wanted[c.key]["nama"], "jenis": wanted[c.key]["jenis"]}
                               for c in outcome.updated])  # fmt: skip
        entries = [_entry("jabatan.create", "jabatan", c) for c in outcome.created]
        entries += [_entry("jabatan.update", "jabatan", c) for c in outcome.updated]
        audit.record_many(entries)
        return []

    outcome._write = write


# --- employees ------------------------------------------------------------------------------

# What an employee row sets, and the ones whose change people_changed is sent for.
_PEGAWAI_FIELDS = ("nama", "status_asn", "golongan", "unit", "jabatan", "atasan", "email", "aktif")
_PLACEMENT = {"status_asn", "golongan", "unit", "jabatan", "aktif"}


@dataclass
class _Person:
    row: int
    nip: str
    values: dict  # _PEGAWAI_FIELDS, with codes and NIPs for unit, jabatan, atasan


def _nip_cell(rows: _Rows, row: sheets.Row, column: str) -> str | None:
    """The cell's NIP digits; None (and the problem noted) when a spreadsheet spoilt it."""
    try:
        return clean_nip(rows.value(row, column), rows.numeric(row, column))
    except DomainError as exc:
        rows.error(row, column, exc.message)
        return None


def _read_person(rows: _Rows, row: sheets.Row, units, jabatan, scope) -> _Person:
    status = rows.value(row, "STATUS_ASN").upper()
    if status not in STATUS_ASN:
        rows.error(row, "STATUS_ASN", _("Status must be PNS or PPPK."))
    nip = _nip_cell(rows, row, "NIP")
    if nip is None:
        nip = ""
    else:
        try:
            nip = parse_nip(nip, status if status in STATUS_ASN else "PPPK").value
        except DomainError as exc:
            rows.error(row, "NIP", exc.message)
    nama = _text(rows, row, "NAMA", _("name"), 200)
    grade = None
    if rows.value(row, "GOLONGAN") and status in STATUS_ASN:
        try:
            grade = golongan(rows.value(row, "GOLONGAN"), status)
        except DomainError as exc:
            rows.error(row, "GOLONGAN", exc.message)
    kode_unit = rows.value(row, "KODE_UNIT")
    unit = units.get(kode_unit)
    if not kode_unit:
        rows.error(row, "KODE_UNIT", _("Enter the unit code."))
    elif unit is None:
        rows.error(
            row, "KODE_UNIT", _("No unit has the code %(kode)s: import the units first.", kode=kode_unit)
        )
    elif scope is not None and unit.id not in scope:
        rows.error(row, "KODE_UNIT", _("Unit %(kode)s is not one of the units you manage.", kode=kode_unit))
    kode_jabatan = rows.value(row, "KODE_JABATAN") or None
    if kode_jabatan and kode_jabatan not in jabatan:
        rows.error(
            row,
            "KODE_JABATAN",
            _("No position has the code %(kode)s: import the positions first.", kode=kode_jabatan),
        )
    email = rows.value(row, "EMAIL") or None
    if email and not is_email(email):
        rows.error(row, "EMAIL", _("%(value)s is not an email address.", value=email))
    atasan = _nip_cell(rows, row, "NIP_ATASAN") or None
    values = {"nama": nama, "status_asn": status, "golongan": grade, "unit": kode_unit, "jabatan": kode_jabatan,
              "atasan": atasan, "email": email, "aktif": True}  # fmt: skip
    return _Person(row.number, nip, values)


def _check_pegawai(rows: _Rows, outcome: Outcome, admin) -> None:
    units = {r.kode: r for r in db.session.execute(select(UnitKerja.id, UnitKerja.kode, UnitKerja.closed_at))}
    unit_kode = {r.id: r.kode for r in units.values()}
    jabatan = {r.kode: r.id for r in db.session.execute(select(Jabatan.id, Jabatan.kode))}
    jabatan_kode = {v: k for k, v in jabatan.items()}
    people = {
        r.nip: r
        for r in db.session.execute(
            select(Pegawai.id, Pegawai.nip, Pegawai.nama, Pegawai.status_asn, Pegawai.golongan, Pegawai.unit_id,
                   Pegawai.jabatan_id, Pegawai.atasan_id, Pegawai.email, Pegawai.aktif)
        )
    }  # fmt: skip
    nip_of = {r.id: r.nip for r in people.values()}
    scope = _scope(admin)

    persons: dict[str, _Person] = {}
    nips: dict[int, str] = {}
    for row in rows.table.rows:
        person = _read_person(rows, row, units, jabatan, scope)
        nips[row.number] = person.nip
        if person.nip and person.nip not in persons:
            persons[person.nip] = person
    rows.duplicates(nips, "NIP", "NIP")

    def current(r) -> dict:
        return {"nama": r.nama, "status_asn": r.status_asn, "golongan": r.golongan, "unit": unit_kode.get(r.unit_id),
                "jabatan": jabatan_kode.get(r.jabatan_id), "atasan": nip_of.get(r.atasan_id), "email": r.email,
                "aktif": r.aktif}  # fmt: skip

    # Columns left out of the file keep what the database holds.
    kept = [c for c, name in (("golongan", "GOLONGAN"), ("jabatan", "KODE_JABATAN"), ("atasan", "NIP_ATASAN"),
                              ("email", "EMAIL")) if not rows.has(name)]  # fmt: skip
    for nip, person in persons.items():
        old = people.get(nip)
        for key in kept:
            person.values[key] = current(old)[key] if old is not None else None
        if old is not None and scope is not None and old.unit_id not in scope:
            rows.error(person.row, "NIP", _("This NIP is an employee of a unit you do not manage."))
        unit = units.get(person.values["unit"])
        placed = old is None or not old.aktif or old.unit_id != getattr(unit, "id", None)
        if unit is not None and unit.closed_at is not None and placed:
            rows.error(person.row, "KODE_UNIT",
                       _("Unit %(kode)s is closed: nobody is placed in it.", kode=unit.kode))  # fmt: skip

    leaving = set()
    if outcome.deactivate_missing:
        # Never the admin running the import: they would lock themselves out.
        me = getattr(admin, "pegawai_id", None)
        leaving = {
            nip
            for nip, r in people.items()
            if r.aktif and nip not in persons and (scope is None or r.unit_id in scope) and r.id != me
        }
    _check_atasan(rows, persons, people, nip_of, leaving)

    to_create, to_update = [], []
    for nip, person in persons.items():
        old = people.get(nip)
        if old is None:
            outcome.created.append(
                Change(nip, person.values["nama"], person.row, None, {"nip": nip, **person.values})
            )
            to_create.append(person)
            continue
        before, after = audit.changed(current(old), person.values)
        if after:
            outcome.updated.append(Change(nip, person.values["nama"], person.row, before, after))
            to_update.append(person)
        else:
            outcome.unchanged += 1
    for nip in sorted(leaving):
        outcome.deactivated.append(Change(nip, people[nip].nama, None, {"aktif": True}, {"aktif": False}))

    def write() -> list[int]:
        ids = {nip: r.id for nip, r in people.items()}
        return _write_pegawai(outcome, to_create, to_update, ids, units, jabatan)

    outcome._write = write


def _check_atasan(rows: _Rows, persons: dict[str, _Person], people, nip_of, leaving: set[str]) -> None:
    """Each atasan is someone in the file or an active employee staying; no loops."""
    chain = {nip: nip_of.get(r.atasan_id) for nip, r in people.items()}
    checked = rows.has("NIP_ATASAN")
    for nip, person in persons.items():
        atasan = person.values["atasan"]
        if atasan is None or not checked:
            chain[nip] = atasan
            continue
        if atasan == nip:
            rows.error(person.row, "NIP_ATASAN", _("An employee cannot be their own atasan."))
            chain[nip] = None
            continue
        chain[nip] = atasan
        known = people.get(atasan)
        if atasan not in persons and known is None:
            rows.error(
                person.row,
                "NIP_ATASAN",
                _("No employee has the NIP %(nip)s, in this file or already.", nip=atasan),
            )
        elif atasan not in persons and (not known.aktif or atasan in leaving):
            rows.error(
                person.row, "NIP_ATASAN", _("The atasan %(nip)s is not an active employee.", nip=atasan)
            )
    for nip, loop in _cycles(chain, persons):
        rows.error(persons[nip].row, "NIP_ATASAN",
                   _("The chain of atasan goes round in a circle: %(path)s.", path=" → ".join(loop)))  # fmt: skip


def _levels(to_create: list[_Person]) -> list[list[_Person]]:
    """New people grouped so that everyone's atasan is in an earlier group or not new."""
    new = {p.nip: p for p in to_create}
    depth: dict[str, int] = {}
    for person in to_create:
        path = []
        nip = person.nip
        while nip in new and nip not in depth:
            path.append(nip)
            nip = new[nip].values["atasan"]
        below = depth.get(nip, -1) if nip in new else -1
        for step in reversed(path):
            below += 1
            depth[step] = below
    levels: list[list[_Person]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for person in to_create:
        levels[depth[person.nip]].append(person)
    return levels


def _write_pegawai(outcome, to_create, to_update, ids, units, jabatan) -> list[int]:
    def columns(values: dict) -> dict:
        return {
            "nama": values["nama"],
            "status_asn": values["status_asn"],
            "golongan": values["golongan"],
            "unit_id": units[values["unit"]].id,
            "jabatan_id": jabatan.get(values["jabatan"]) if values["jabatan"] else None,
            "email": values["email"],
        }

    # New people go in by levels, atasan before their staff, so each row is inserted with
    # its atasan's id and needs no second pass.
    for level in _levels(to_create):
        rows = [
            {"nip": p.nip, "aktif": True, **columns(p.values),
             "atasan_id": ids[p.values["atasan"]] if p.values["atasan"] else None}
            for p in level
        ]  # fmt: skip
        ids.update(_insert(Pegawai, "nip", rows))
    changes = [
        {"id": ids[p.nip], **columns(p.values), "atasan_id": ids.get(p.values["atasan"]) if p.values["atasan"] else None,
         "aktif": True, "nonaktif_at": None}
        for p in to_update
    ]  # fmt: skip
    _bulk_update(Pegawai, changes)
    leaving = [ids[c.key] for c in outcome.deactivated]
    now = utcnow()
    for chunk in chunked(leaving, _CHUNK):
        db.session.execute(
            update(Pegawai).where(Pegawai.id.in_(chunk)).values(aktif=False, nonaktif_at=now),
            execution_options={"synchronize_session": False},
        )
    for change in outcome.deactivated:
        change.before, change.after = (
            {"aktif": True, "nonaktif_at": None},
            {"aktif": False, "nonaktif_at": now},
        )
    entries = [_entry("pegawai.create", "pegawai", c) for c in outcome.created]
    entries += [_entry("pegawai.update", "pegawai", c) for c in outcome.updated]
    entries += [_entry("pegawai.deactivate", "pegawai", c) for c in outcome.deactivated]
    audit.record_many(entries)
    moved = [ids[c.key] for c in outcome.updated if _PLACEMENT & set(c.after)]
    return sorted({*(ids[c.key] for c in outcome.created), *moved, *leaving})


# --- writing ---------------------------------------------------------------------------------


def _insert(model, key: str, rows: list[dict]) -> dict[str, int]:
    """INSERT … RETURNING in executemany batches (Core: every row renders every column,
    where the ORM would start a new batch whenever the set of non-empty values changes);
    returns key → new id."""
    table = model.__table__
    found: dict[str, int] = {}
    for chunk in chunked(rows):
        result = db.session.execute(table.insert().returning(table.c.id, table.c[key]), chunk)
        found.update({row[1]: row[0] for row in result})
    return found


def _bulk_update(model, rows: list[dict]) -> None:
    """UPDATE … WHERE id = :id for each dict, sent as executemany batches."""
    for chunk in chunked(rows):
        db.session.execute(update(model), chunk, execution_options={"synchronize_session": False})


def _entry(action: str, target_type: str, change: Change) -> dict:
    """An audit entry naming the row by its code or NIP, as the admin pages do."""
    return {
        "action": action,
        "target_type": target_type,
        "target_id": change.key,
        "label": change.label,
        "before": change.before,
        "after": change.after,
    }


# --- the services ----------------------------------------------------------------------------

_CHECKS = {"unit": _check_units, "jabatan": _check_jabatan, "pegawai": _check_pegawai}


def limits() -> tuple[int, int]:
    """(IMPORT_MAX_BYTES, IMPORT_MAX_ROWS)."""
    config = current_app.config
    return config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024), config.get("IMPORT_MAX_ROWS", 100_000)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise DomainError(_("Choose units, positions or employees."), field="kind")
    return kind


def check(kind: str, data: bytes, *, admin=None, deactivate_missing: bool = False) -> Outcome:
    """What importing ``data`` would do, writing nothing. A file that cannot be read as a
    whole (format, encoding, size, header) raises DomainError on ``file``; problems in
    rows are listed in ``Outcome.errors``."""
    check_kind(kind)
    max_bytes, max_rows = limits()
    table = sheets.read_table(data, max_bytes=max_bytes, max_rows=max_rows, is_header=_header_test(kind))
    rows = _Rows(kind, table)
    outcome = Outcome(
        kind,
        table.format,
        table.encoding,
        table.delimiter,
        len(table.rows),
        deactivate_missing=deactivate_missing and kind == "pegawai",
    )
    if not table.rows:
        raise DomainError(_("The file has a header row but no rows under it."), field="file")
    with db.session.no_autoflush:
        _CHECKS[kind](rows, outcome, admin)
    outcome.errors = sorted(rows.problems, key=lambda p: p.row)
    return outcome


def apply(outcome: Outcome) -> Outcome:
    """Write a checked outcome: nothing if it has errors (or nothing changes). Sends
    people_changed once for the employees created, moved, regraded or (de)activated."""
    if outcome.errors or outcome.applied:
        return outcome
    if outcome.changes and outcome._write is not None:
        changed_ids = outcome._write()
        if changed_ids:
            signals.people_changed.send("org", pegawai_ids=changed_ids)
    outcome.applied = True
    return outcome


def import_file(
    kind: str, data: bytes, *, admin=None, dry_run: bool = False, deactivate_missing: bool = False
) -> Outcome:
    """Check a file and, unless ``dry_run`` or any row has an error, write it all. The
    caller commits (the request's end, or the command)."""
    outcome = check(kind, data, admin=admin, deactivate_missing=deactivate_missing)
    return outcome if dry_run else apply(outcome)


def template(kind: str):
    """The header and the example rows, as an export sheet (NIPs kept as text)."""
    from lms.core.export import NipCell, Sheet

    check_kind(kind)
    names = [name for name, _required in COLUMNS[kind]]
    examples = [
        [NipCell(v) if name in ("NIP", "NIP_ATASAN") and v else v for name, v in zip(names, row, strict=True)]
        for row in EXAMPLES[kind]
    ]
    return Sheet(kind, names, examples)


# --- an upload kept between preview and confirm ---------------------------------------------


def _upload_key(pegawai_id: int) -> str:
    # One kept file per admin: a new preview replaces the one before, so files previewed
    # and never confirmed do not pile up in storage.
    return f"impor-org/{int(pegawai_id)}/pending"


def keep_upload(pegawai_id: int, kind: str, filename: str, data: bytes, deactivate_missing: bool) -> str:
    """Store an uploaded file for its uploader until they confirm it; returns its token."""
    token = secrets.token_urlsafe(24)
    key = _upload_key(pegawai_id)
    meta = {
        "token": token,
        "kind": kind,
        "filename": filename[:200],
        "deactivate_missing": bool(deactivate_missing),
    }
    storage().save(key, data, PRIVATE)
    storage().save(f"{key}.json", json.dumps(meta).encode(), PRIVATE)
    return token


@dataclass(frozen=True)
class KeptUpload:
    token: str
    kind: str
    filename: str
    deactivate_missing: bool
    data: bytes


def kept_upload(pegawai_id: int, token: str) -> KeptUpload:
    """The file this person uploaded under ``token``; NotFoundError for anyone else's,
    an unknown or a used token."""
    from lms.core.errors import NotFoundError

    gone = NotFoundError(_("This upload is no longer here: upload the file again."))
    if not _TOKEN.match(token or ""):
        raise gone
    try:
        key = _upload_key(pegawai_id)
        meta = json.loads(storage().read(f"{key}.json"))
        if not hmac.compare_digest(str(meta.get("token", "")), token):
            raise gone  # an older preview, replaced since
        data = storage().read(key)
    except (StorageError, ValueError):
        raise gone from None
    return KeptUpload(token, meta["kind"], meta["filename"], meta["deactivate_missing"], data)


def discard_upload(pegawai_id: int, token: str) -> None:
    key = _upload_key(pegawai_id)
    try:
        if json.loads(storage().read(f"{key}.json")).get("token") != token:
            return  # replaced by a newer preview meanwhile: keep that one
    except (StorageError, ValueError):
        return
    storage().delete(key)
    storage().delete(f"{key}.json")


def preview_upload(
    admin, kind: str, filename: str, data: bytes, deactivate_missing: bool
) -> tuple[Outcome, str | None]:
    """Check an uploaded file for ``admin`` (writing nothing to the database) and, when it
    can be imported and changes something, keep it for them under a token to confirm with."""
    outcome = check(kind, data, admin=admin, deactivate_missing=deactivate_missing)
    if outcome.errors or not outcome.changes:
        return outcome, None
    return outcome, keep_upload(admin.pegawai_id, kind, filename, data, outcome.deactivate_missing)


def confirm_upload(admin, token: str) -> tuple[KeptUpload, Outcome]:
    """Import the file ``admin`` previewed under ``token``, checked again against the
    database as it is now; the kept file goes once the import commits."""
    from lms.core.db import after_commit

    kept = kept_upload(admin.pegawai_id, token)
    outcome = import_file(kept.kind, kept.data, admin=admin, deactivate_missing=kept.deactivate_missing)
    if outcome.applied:
        pegawai_id = admin.pegawai_id
        after_commit(lambda: discard_upload(pegawai_id, token))
    return kept, outcome


# Which column of the file each field of a change comes from, to show changes by column.
FIELD_COLUMNS = {
    "unit": {"kode": "KODE_UNIT", "nama": "NAMA_UNIT", "jenis": "JENIS_UNIT", "parent": "KODE_INDUK", "zona": "ZONA_WAKTU"},
    "jabatan": {"kode": "KODE_JABATAN", "nama": "NAMA_JABATAN", "jenis": "JENIS_JABATAN"},
    "pegawai": {"nama": "NAMA", "status_asn": "STATUS_ASN", "golongan": "GOLONGAN", "jabatan": "KODE_JABATAN",
                "unit": "KODE_UNIT", "atasan": "NIP_ATASAN", "email": "EMAIL", "aktif": "AKTIF"},
}  # fmt: skip
