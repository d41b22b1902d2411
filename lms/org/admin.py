"""What the admin pages for the organisation do: units, positions and employees.

Every function takes the acting admin and plain values, checks the admin's scope (a
unit-limited admin runs one unit and the units below it), raises ``DomainError`` naming
the field, writes an audit entry with the values before and after, and announces
changes to people with ``signals.people_changed``. Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, case, exists, func, literal, select

from lms import signals
from lms.core import audit
from lms.core.errors import DomainError, ForbiddenError, NotFoundError
from lms.core.i18n import ZONES
from lms.core.text import is_email
from lms.core.time import utcnow
from lms.extensions import db
from lms.org.data import JENIS_JABATAN, JENIS_UNIT
from lms.org.models import Jabatan, Pegawai, UnitKerja
from lms.org.nip import normalise
from lms.org.services import (
    atasan_cycle,
    manages_unit,
    unit_in_scope,
    unit_subtree_cte,
    validate_pegawai,
    whole_agency,
)

PAGE_SIZE = 50
KODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")


# --- shared checks ------------------------------------------------------------------------


def _text(value: str | None, field_name: str, message: str, limit: int = 200) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise DomainError(message, field=field_name)
    if len(value) > limit:
        raise DomainError(_("At most %(n)d characters.", n=limit), field=field_name)
    return value


def _kode(model, raw: str | None, own_id: int | None = None) -> str:
    """A code people type and read: letters, digits and . _ / -, unique whatever the case."""
    kode = (raw or "").strip()
    if not kode:
        raise DomainError(_("Give the code."), field="kode")
    if not KODE_RE.fullmatch(kode):
        raise DomainError(
            _("A code has at most 40 letters, digits and the signs . _ / - (no spaces)."), field="kode"
        )
    taken = select(model.id).where(func.lower(model.kode) == kode.lower())
    if own_id is not None:
        taken = taken.where(model.id != own_id)
    if db.session.scalar(select(taken.exists())):
        raise DomainError(_("The code %(kode)s is already used.", kode=kode), field="kode")
    return kode


def _scope_name(admin) -> str:
    unit = db.session.get(UnitKerja, admin.admin_unit_id)
    return unit.nama if unit else ""


# --- units ----------------------------------------------------------------------------------


@dataclass
class UnitNode:
    unit: UnitKerja
    aktif: int  # active employees placed directly in the unit
    total: int = 0  # with every sub-unit shown
    children: list[UnitNode] = field(default_factory=list)


@dataclass(frozen=True)
class UnitInput:
    nama: str
    jenis: str
    zona: str | None
    kode: str = ""
    parent_id: int | None = None


def _unit_state(unit: UnitKerja) -> dict:
    return {
        "kode": unit.kode,
        "nama": unit.nama,
        "jenis": unit.jenis,
        "zona": unit.zona,
        "parent": unit.parent.kode if unit.parent else None,
        "closed_at": unit.closed_at,
    }


def _subtree_ids(unit_id: int, name: str):
    """The ids of a unit and every unit below it, under a name of its own so it can sit
    beside the admin's scope (also a recursive query) in one statement."""
    base = select(UnitKerja.id.label("id")).where(UnitKerja.id == unit_id)
    tree = base.cte(name, recursive=True)
    tree = tree.union(select(UnitKerja.id).join(tree, UnitKerja.parent_id == tree.c.id))
    return select(tree.c.id)


def get_unit(admin, unit_id: int) -> UnitKerja:
    """The unit, if the admin runs it; else a 404 like an unknown one."""
    unit = db.session.scalar(
        select(UnitKerja).where(UnitKerja.id == unit_id, unit_in_scope(admin, UnitKerja.id))
    )
    if unit is None:
        raise NotFoundError()
    return unit


def _active_counts(admin) -> dict[int, int]:
    rows = db.session.execute(
        select(Pegawai.unit_id, func.count())
        .where(Pegawai.aktif.is_(True), unit_in_scope(admin, Pegawai.unit_id))
        .group_by(Pegawai.unit_id)
    ).all()
    return dict(rows)


def _build_tree(units: list[UnitKerja], counts: dict[int, int]) -> list[UnitNode]:
    """Nodes in name order; a unit whose parent is not shown (out of scope, closed) is a root."""
    nodes = {u.id: UnitNode(u, counts.get(u.id, 0)) for u in units}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id)
        (parent.children if parent else roots).append(node)
    # Totals bottom-up without recursion: a list in walking order, summed from its end.
    order, stack, seen = [], list(roots), set()
    while stack:
        node = stack.pop()
        if node.unit.id in seen:
            continue
        seen.add(node.unit.id)
        order.append(node)
        stack.extend(node.children)
    for node in reversed(order):
        node.total = node.aktif + sum(child.total for child in node.children)
    return roots


def unit_tree(admin, *, show_closed: bool = False) -> list[UnitNode]:
    """The units the admin runs as a tree, with active employees per unit: two queries."""
    query = (
        select(UnitKerja).where(unit_in_scope(admin, UnitKerja.id)).order_by(UnitKerja.nama, UnitKerja.kode)
    )
    if not show_closed:
        query = query.where(UnitKerja.closed_at.is_(None))
    return _build_tree(db.session.scalars(query).all(), _active_counts(admin))


def walk(nodes: list[UnitNode], depth: int = 0):
    """(node, depth) in tree order."""
    stack = [(n, depth) for n in reversed(nodes)]
    seen = set()
    while stack:
        node, level = stack.pop()
        if node.unit.id in seen:
            continue
        seen.add(node.unit.id)
        yield node, level
        stack.extend((c, level + 1) for c in reversed(node.children))


def unit_options(admin, *, open_only: bool = True, keep: int | None = None) -> list[tuple[int, str]]:
    """Units to choose from, in tree order, indented by depth: one query. ``keep``: a
    unit listed even if closed (the one an employee already works in)."""
    query = (
        select(UnitKerja).where(unit_in_scope(admin, UnitKerja.id)).order_by(UnitKerja.nama, UnitKerja.kode)
    )
    units = db.session.scalars(query).all()
    if open_only:
        units = [u for u in units if u.closed_at is None or u.id == keep]
    return [
        (node.unit.id, "\u2003" * depth + f"{node.unit.nama} ({node.unit.kode})")
        for node, depth in walk(_build_tree(units, {}))
    ]


def unit_path(admin, unit: UnitKerja) -> list[UnitKerja]:
    """The units above ``unit`` that the admin runs, from the top down: one query."""
    if unit.parent_id is None:
        return []
    start = select(
        UnitKerja.id.label("id"), UnitKerja.parent_id.label("parent_id"), literal(0).label("depth")
    )
    up = start.where(UnitKerja.id == unit.parent_id).cte("unit_up", recursive=True)
    up = up.union(
        select(UnitKerja.id, UnitKerja.parent_id, up.c.depth + 1)
        .join(up, UnitKerja.id == up.c.parent_id)
        .where(up.c.depth < 50)  # bad data with a loop still ends
    )
    query = (
        select(UnitKerja)
        .join(up, UnitKerja.id == up.c.id)
        .where(unit_in_scope(admin, UnitKerja.id))
        .order_by(up.c.depth.desc())
    )
    found, seen = [], set()
    for row in db.session.scalars(query):
        if row.id not in seen:
            seen.add(row.id)
            found.append(row)
    return found


@dataclass(frozen=True)
class UnitDetail:
    unit: UnitKerja
    path: list[UnitKerja]
    children: list[tuple[UnitKerja, int]]
    aktif: int
    nonaktif: int


def unit_detail(admin, unit: UnitKerja) -> UnitDetail:
    children = db.session.execute(
        select(UnitKerja, func.count(Pegawai.id))
        .outerjoin(Pegawai, and_(Pegawai.unit_id == UnitKerja.id, Pegawai.aktif.is_(True)))
        .where(UnitKerja.parent_id == unit.id)
        .group_by(UnitKerja.id)
        .order_by(UnitKerja.closed_at.is_not(None), UnitKerja.nama)
    ).all()
    counts = db.session.execute(
        select(
            func.count(case((Pegawai.aktif.is_(True), 1))), func.count(case((Pegawai.aktif.is_(False), 1)))
        ).where(Pegawai.unit_id == unit.id)
    ).one()
    return UnitDetail(unit, unit_path(admin, unit), [(u, n) for u, n in children], counts[0], counts[1])


def _clean_unit(data: UnitInput) -> tuple[str, str, str | None]:
    nama = _text(data.nama, "nama", _("Give the unit's name."))
    if data.jenis not in JENIS_UNIT:
        raise DomainError(_("Choose the kind of unit."), field="jenis")
    zona = data.zona or None
    if zona is not None and zona not in ZONES:
        raise DomainError(_("Choose WIB, WITA, WIT or the agency's time zone."), field="zona")
    return nama, data.jenis, zona


def _parent_for(admin, parent_id: int | None) -> UnitKerja | None:
    """A parent the admin may put a unit under: a top level only for whole-agency admins."""
    if parent_id is None:
        if not whole_agency(admin):
            raise DomainError(
                _(
                    "You run %(unit)s and the units below it: choose a parent unit inside it.",
                    unit=_scope_name(admin),
                ),
                field="parent_id",
            )
        return None
    return _open_unit(
        admin,
        parent_id,
        "parent_id",
        unknown=_("Choose a parent unit you run."),
        closed=_("%(unit)s is closed: it cannot take new sub-units."),
    )


def _open_unit(admin, unit_id: int, field: str, *, unknown: str, closed: str) -> UnitKerja:
    """An open unit the admin runs, or the message (``closed`` takes the unit's name)."""
    unit = db.session.get(UnitKerja, unit_id)
    if unit is None or not manages_unit(admin, unit_id):
        raise DomainError(unknown, field=field)
    if unit.closed_at is not None:
        raise DomainError(closed % {"unit": unit.nama}, field=field)
    return unit


def create_unit(admin, data: UnitInput) -> UnitKerja:
    kode = _kode(UnitKerja, data.kode)
    nama, jenis, zona = _clean_unit(data)
    parent = _parent_for(admin, data.parent_id)
    unit = UnitKerja(kode=kode, nama=nama, jenis=jenis, zona=zona, parent=parent)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit.create", "unit", unit.kode, unit.nama, after=_unit_state(unit))
    return unit


def update_unit(admin, unit: UnitKerja, data: UnitInput) -> None:
    """Rename, change the kind or the time zone (the code and the place stay)."""
    nama, jenis, zona = _clean_unit(data)
    before = _unit_state(unit)
    unit.nama, unit.jenis, unit.zona = nama, jenis, zona
    audit.record("unit.update", "unit", unit.kode, unit.nama, before=before, after=_unit_state(unit))


def _active_in(unit_ids) -> list[int]:
    return list(
        db.session.scalars(select(Pegawai.id).where(Pegawai.unit_id.in_(unit_ids), Pegawai.aktif.is_(True)))
    )


def move_unit(admin, unit: UnitKerja, parent_id: int | None) -> bool:
    """Put a unit (with everything below it) under another parent; False if it is there
    already. Never under itself or its own sub-unit: the tree would become a loop."""
    if parent_id == unit.parent_id:
        return False
    if parent_id == unit.id:
        raise DomainError(_("A unit cannot be placed under itself."), field="parent_id")
    if parent_id is not None:
        below = unit_subtree_cte(unit.id)
        if db.session.scalar(select(exists().where(below.c.id == parent_id))):
            target = db.session.get(UnitKerja, parent_id)
            raise DomainError(
                _(
                    "%(parent)s is below %(unit)s: a unit cannot move under its own sub-unit.",
                    parent=target.nama,
                    unit=unit.nama,
                ),
                field="parent_id",
            )
    parent = _parent_for(admin, parent_id)
    before = _unit_state(unit)
    unit.parent = parent
    db.session.flush()
    audit.record("unit.move", "unit", unit.kode, unit.nama, before=before, after=_unit_state(unit))
    # Rules that follow a unit "with its sub-units" may now apply to other people.
    moved = _active_in(_subtree_ids(unit.id, "moved_tree"))
    if moved:
        signals.people_changed.send("org", pegawai_ids=moved)
    return True


def close_unit(admin, unit: UnitKerja) -> None:
    """A closed unit keeps its rows and history; it needs nobody active in it and no
    open sub-unit, so nobody is left in a place that no longer exists."""
    if unit.closed_at is not None:
        raise DomainError(_("%(unit)s is already closed.", unit=unit.nama))
    people = db.session.scalar(
        select(func.count()).where(Pegawai.unit_id == unit.id, Pegawai.aktif.is_(True))
    )
    if people:
        raise DomainError(
            ngettext(
                "%(num)d active employee still works in %(unit)s: move or deactivate them first.",
                "%(num)d active employees still work in %(unit)s: move or deactivate them first.",
                people,
                unit=unit.nama,
            )
        )
    open_units = db.session.scalar(
        select(func.count()).where(UnitKerja.parent_id == unit.id, UnitKerja.closed_at.is_(None))
    )
    if open_units:
        raise DomainError(
            ngettext(
                "%(unit)s still has %(num)d open sub-unit: close or move it first.",
                "%(unit)s still has %(num)d open sub-units: close or move them first.",
                open_units,
                unit=unit.nama,
            )
        )
    before = _unit_state(unit)
    unit.closed_at = utcnow()
    audit.record("unit.close", "unit", unit.kode, unit.nama, before=before, after=_unit_state(unit))


def reopen_unit(admin, unit: UnitKerja) -> None:
    if unit.closed_at is None:
        raise DomainError(_("%(unit)s is open.", unit=unit.nama))
    if unit.parent is not None and unit.parent.closed_at is not None:
        raise DomainError(_("%(parent)s, above it, is closed: reopen that first.", parent=unit.parent.nama))
    before = _unit_state(unit)
    unit.closed_at = None
    audit.record("unit.reopen", "unit", unit.kode, unit.nama, before=before, after=_unit_state(unit))


# --- positions (jabatan) ------------------------------------------------------------------


@dataclass(frozen=True)
class JabatanRow:
    jabatan: Jabatan
    label: str
    kategori: str
    pegawai: int


def jabatan_rows(admin) -> list[JabatanRow]:
    """Every position with how many active employees (that the admin runs) hold it: one query."""
    rows = db.session.execute(
        select(Jabatan, func.count(Pegawai.id))
        .outerjoin(
            Pegawai,
            and_(
                Pegawai.jabatan_id == Jabatan.id,
                Pegawai.aktif.is_(True),
                unit_in_scope(admin, Pegawai.unit_id),
            ),
        )
        .group_by(Jabatan.id)
        .order_by(Jabatan.nama, Jabatan.kode)
    ).all()
    return [JabatanRow(j, str(JENIS_JABATAN[j.jenis][0]), j.kategori, n) for j, n in rows]


def get_jabatan(jabatan_id: int) -> Jabatan:
    jabatan = db.session.get(Jabatan, jabatan_id)
    if jabatan is None:
        raise NotFoundError()
    return jabatan


def _require_whole_agency(admin) -> None:
    if not whole_agency(admin):
        raise ForbiddenError(_("Only admins of the whole agency change the positions."))


def _clean_jabatan(nama: str, jenis: str) -> tuple[str, str]:
    nama = _text(nama, "nama", _("Give the position's name."))
    if jenis not in JENIS_JABATAN:
        raise DomainError(_("Choose the kind of position."), field="jenis")
    return nama, jenis


def _jabatan_state(j: Jabatan) -> dict:
    return {"kode": j.kode, "nama": j.nama, "jenis": j.jenis}


def create_jabatan(admin, kode: str, nama: str, jenis: str) -> Jabatan:
    _require_whole_agency(admin)
    kode = _kode(Jabatan, kode)
    nama, jenis = _clean_jabatan(nama, jenis)
    jabatan = Jabatan(kode=kode, nama=nama, jenis=jenis)
    db.session.add(jabatan)
    db.session.flush()
    audit.record("jabatan.create", "jabatan", jabatan.kode, jabatan.nama, after=_jabatan_state(jabatan))
    return jabatan


def update_jabatan(admin, jabatan: Jabatan, kode: str, nama: str, jenis: str) -> None:
    _require_whole_agency(admin)
    kode = _kode(Jabatan, kode, own_id=jabatan.id)
    nama, jenis = _clean_jabatan(nama, jenis)
    before = _jabatan_state(jabatan)
    jabatan.kode, jabatan.nama, jabatan.jenis = kode, nama, jenis
    audit.record("jabatan.update", "jabatan", kode, nama, before=before, after=_jabatan_state(jabatan))


def jabatan_options() -> list[tuple[int, str]]:
    return list(
        db.session.execute(select(Jabatan.id, Jabatan.nama).order_by(Jabatan.nama, Jabatan.kode)).tuples()
    )


# --- employees: the list --------------------------------------------------------------------

STATUS_FILTERS = ("aktif", "nonaktif", "semua")


@dataclass(frozen=True)
class EmployeeFilters:
    q: str = ""
    unit_id: int | None = None
    status: str = "aktif"


@dataclass(frozen=True)
class EmployeePage:
    rows: list
    total: int
    page: int
    pages: int


def _search_condition(q: str):
    """Digits search the NIP (anywhere in it, those starting with them first); anything
    else searches names, whatever the case. Returns (condition, order first by)."""
    digits = normalise(q)
    if digits.isascii() and digits.isdigit():
        return Pegawai.nip.contains(digits, autoescape=True), case(
            (Pegawai.nip.startswith(digits), 0), else_=1
        )
    return Pegawai.nama.icontains(q, autoescape=True), None


def search_employees(admin, filters: EmployeeFilters, page: int = 1) -> EmployeePage:
    """A page of the employees the admin runs, in a stable order: one query (two when
    asked for a page past the end), however many people match."""
    query = (
        select(
            Pegawai.id,
            Pegawai.nip,
            Pegawai.nama,
            Pegawai.aktif,
            Pegawai.status_asn,
            Pegawai.golongan,
            Pegawai.unit_id,
            UnitKerja.nama.label("unit"),
            Jabatan.nama.label("jabatan"),
            func.count().over().label("total"),
        )
        .join(UnitKerja, UnitKerja.id == Pegawai.unit_id)
        .outerjoin(Jabatan, Jabatan.id == Pegawai.jabatan_id)
        .where(unit_in_scope(admin, Pegawai.unit_id))
    )
    order = [Pegawai.nama, Pegawai.nip]
    q = " ".join(filters.q.split())[:100]
    if q:
        condition, first = _search_condition(q)
        query = query.where(condition)
        if first is not None:
            order.insert(0, first)
    if filters.unit_id is not None:
        query = query.where(Pegawai.unit_id.in_(_subtree_ids(filters.unit_id, "filter_tree")))
    if filters.status == "aktif":
        query = query.where(Pegawai.aktif.is_(True))
    elif filters.status == "nonaktif":
        query = query.where(Pegawai.aktif.is_(False))
    query = query.order_by(*order)
    page = max(page, 1)
    rows = db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if not rows and page > 1:
        counted = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        page = max(1, -(-counted // PAGE_SIZE))
        rows = db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    total = rows[0].total if rows else 0
    return EmployeePage(rows, total, page, max(1, -(-total // PAGE_SIZE)))


# --- employees: one person ----------------------------------------------------------------


@dataclass(frozen=True)
class EmployeeInput:
    nama: str
    status_asn: str
    golongan: str | None
    email: str | None
    unit_id: int | None
    jabatan_id: int | None
    atasan_nip: str | None


def get_employee(admin, raw_nip: str) -> Pegawai:
    """The employee, if in a unit the admin runs; else a 404 like an unknown NIP."""
    pegawai = db.session.scalar(
        select(Pegawai).where(Pegawai.nip == normalise(raw_nip)[:40], unit_in_scope(admin, Pegawai.unit_id))
    )
    if pegawai is None:
        raise NotFoundError(_("No employee has this NIP."))
    return pegawai


def _pegawai_state(p: Pegawai) -> dict:
    return {
        "nip": p.nip,
        "nama": p.nama,
        "status_asn": p.status_asn,
        "golongan": p.golongan,
        "email": p.email,
        "unit": p.unit.kode if p.unit else None,
        "jabatan": p.jabatan.kode if p.jabatan else None,
        "atasan": p.atasan.nip if p.atasan else None,
        "aktif": p.aktif,
        "nonaktif_at": p.nonaktif_at,
    }


def _email(raw: str | None) -> str | None:
    email = (raw or "").strip()
    if not email:
        return None
    if not is_email(email):
        raise DomainError(_("Give an email address such as nama@instansi.go.id."), field="email")
    return email


def _unit_for_employee(admin, unit_id: int | None, current: UnitKerja | None = None) -> UnitKerja:
    if current is not None and unit_id == current.id:
        return current  # staying where they are, even in a unit closed since
    if unit_id is None:
        raise DomainError(_("Choose the unit."), field="unit_id")
    return _open_unit(
        admin,
        unit_id,
        "unit_id",
        unknown=_("Choose a unit you run."),
        closed=_("%(unit)s is closed: nobody new can be placed in it."),
    )


def _jabatan_for(jabatan_id: int | None) -> Jabatan | None:
    if jabatan_id is None:
        return None
    jabatan = db.session.get(Jabatan, jabatan_id)
    if jabatan is None:
        raise DomainError(_("Choose a position from the list."), field="jabatan_id")
    return jabatan


def _atasan_for(pegawai_id: int | None, raw_nip: str | None) -> Pegawai | None:
    """The atasan set by hand: any active employee, not the person, and not someone who
    already reports to the person (directly or through others)."""
    nip = normalise(raw_nip or "")[:40]
    if not nip:
        return None
    atasan = db.session.scalar(select(Pegawai).where(Pegawai.nip == nip))
    if atasan is None:
        raise DomainError(_("No employee has the NIP %(nip)s.", nip=nip), field="atasan_nip")
    if pegawai_id is not None and atasan.id == pegawai_id:
        raise DomainError(_("An employee cannot be their own atasan."), field="atasan_nip")
    if not atasan.aktif:
        raise DomainError(
            _("%(name)s is deactivated and cannot be an atasan.", name=atasan.nama), field="atasan_nip"
        )
    if pegawai_id is not None and atasan_cycle(pegawai_id, atasan.id):
        raise DomainError(
            _(
                "%(name)s already reports to this employee, directly or through others: "
                "the chain of atasan would go round in a circle.",
                name=atasan.nama,
            ),
            field="atasan_nip",
        )
    return atasan


def _golongan(raw: str | None) -> str | None:
    return (raw or "").strip() or None


def create_employee(admin, raw_nip: str, data: EmployeeInput) -> Pegawai:
    """One new employee (the bulk importer handles many)."""
    golongan = _golongan(data.golongan)
    nip = validate_pegawai(raw_nip, data.status_asn, golongan)
    if db.session.scalar(select(exists().where(Pegawai.nip == nip))):
        raise DomainError(_("An employee with the NIP %(nip)s already exists.", nip=nip), field="nip")
    nama = _text(data.nama, "nama", _("Give the employee's name."))
    email = _email(data.email)
    unit = _unit_for_employee(admin, data.unit_id)
    jabatan = _jabatan_for(data.jabatan_id)
    atasan = _atasan_for(None, data.atasan_nip)
    pegawai = Pegawai(
        nip=nip,
        nama=nama,
        status_asn=data.status_asn,
        golongan=golongan,
        email=email,
        unit=unit,
        jabatan=jabatan,
        atasan=atasan,
        aktif=True,
    )
    db.session.add(pegawai)
    db.session.flush()
    audit.record("pegawai.create", "pegawai", pegawai.nip, pegawai.nama, after=_pegawai_state(pegawai))
    signals.people_changed.send("org", pegawai_ids=[pegawai.id])
    return pegawai


def update_employee(admin, pegawai: Pegawai, data: EmployeeInput) -> bool:
    """Change an employee's details; True if anything changed. Every value is checked
    before any is set, so a refusal changes nothing."""
    golongan = _golongan(data.golongan)
    try:
        validate_pegawai(pegawai.nip, data.status_asn, golongan)
    except DomainError as exc:
        if exc.field != "nip":
            raise
        raise DomainError(
            _(
                "The NIP %(nip)s does not fit status %(status)s: %(why)s",
                nip=pegawai.nip,
                status=data.status_asn,
                why=exc.message,
            ),
            field="status_asn",
        ) from None
    nama = _text(data.nama, "nama", _("Give the employee's name."))
    email = _email(data.email)
    unit = _unit_for_employee(admin, data.unit_id, current=pegawai.unit)
    jabatan = _jabatan_for(data.jabatan_id)
    atasan = _atasan_for(pegawai.id, data.atasan_nip)
    before = _pegawai_state(pegawai)
    follows = (pegawai.unit_id, pegawai.jabatan_id, pegawai.status_asn)
    pegawai.nama, pegawai.status_asn, pegawai.golongan, pegawai.email = nama, data.status_asn, golongan, email
    pegawai.unit, pegawai.jabatan, pegawai.atasan = unit, jabatan, atasan
    db.session.flush()
    entry = audit.record(
        "pegawai.update", "pegawai", pegawai.nip, pegawai.nama, before=before, after=_pegawai_state(pegawai)
    )
    if follows != (pegawai.unit_id, pegawai.jabatan_id, pegawai.status_asn):
        signals.people_changed.send("org", pegawai_ids=[pegawai.id])
    return entry is not None


def deactivate_employee(admin, pegawai: Pegawai) -> int:
    """The employee has left (moved away, retired): no more sign-in, off the lists; their
    records stay. Returns how many active people still have them as atasan."""
    if not pegawai.aktif:
        raise DomainError(_("%(name)s is already deactivated.", name=pegawai.nama))
    if pegawai.id == getattr(admin, "pegawai_id", None):
        raise DomainError(_("You cannot deactivate yourself; ask another admin."))
    before = {"aktif": True, "nonaktif_at": None}
    pegawai.aktif, pegawai.nonaktif_at = False, utcnow()
    db.session.flush()
    audit.record(
        "pegawai.deactivate",
        "pegawai",
        pegawai.nip,
        pegawai.nama,
        before=before,
        after={"aktif": False, "nonaktif_at": pegawai.nonaktif_at},
    )
    signals.people_changed.send("org", pegawai_ids=[pegawai.id])
    return db.session.scalar(
        select(func.count()).where(Pegawai.atasan_id == pegawai.id, Pegawai.aktif.is_(True))
    )


def reactivate_employee(admin, pegawai: Pegawai) -> None:
    if pegawai.aktif:
        raise DomainError(_("%(name)s is active.", name=pegawai.nama))
    if pegawai.unit.closed_at is not None:
        raise DomainError(
            _(
                "%(unit)s is closed: move %(name)s to an open unit first.",
                unit=pegawai.unit.nama,
                name=pegawai.nama,
            )
        )
    before: dict[str, object] = {"aktif": False, "nonaktif_at": pegawai.nonaktif_at}
    pegawai.aktif, pegawai.nonaktif_at = True, None
    db.session.flush()
    audit.record(
        "pegawai.reactivate",
        "pegawai",
        pegawai.nip,
        pegawai.nama,
        before=before,
        after={"aktif": True, "nonaktif_at": None},
    )
    signals.people_changed.send("org", pegawai_ids=[pegawai.id])


def subordinates(pegawai: Pegawai) -> list[tuple[str, str]]:
    """(nip, nama) of the active people whose atasan is this employee."""
    return list(
        db.session.execute(
            select(Pegawai.nip, Pegawai.nama)
            .where(Pegawai.atasan_id == pegawai.id, Pegawai.aktif.is_(True))
            .order_by(Pegawai.nama)
            .limit(100)
        ).tuples()
    )
