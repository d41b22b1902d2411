"""Rules about the organisation: units, positions, employees and their atasan."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select, true

from lms.core.errors import DomainError
from lms.extensions import db
from lms.org.data import GOLONGAN, GOLONGAN_PPPK, STATUS_ASN
from lms.org.models import Pegawai, UnitKerja
from lms.org.nip import normalise, parse_nip


def find_by_nip(raw_nip: str) -> Pegawai | None:
    return db.session.scalar(select(Pegawai).where(Pegawai.nip == normalise(raw_nip)))


def is_supervisor(pegawai_id: int) -> bool:
    """Being a supervisor follows from atasan links, not from a role."""
    return bool(db.session.scalar(select(exists().where(Pegawai.atasan_id == pegawai_id))))


def validate_pegawai(nip: str, status_asn: str, golongan: str | None) -> str:
    """Check an employee's identity fields; returns the normalised NIP."""
    if status_asn not in STATUS_ASN:
        raise DomainError(_("Status must be PNS or PPPK."), field="status_asn")
    if golongan is not None and golongan not in (GOLONGAN if status_asn == "PNS" else GOLONGAN_PPPK):
        if status_asn == "PNS":
            raise DomainError(
                _("Unknown golongan/ruang %(g)s: a PNS has I/a to IV/e.", g=golongan), field="golongan"
            )
        raise DomainError(_("Unknown golongan %(g)s: a PPPK has I to XVII.", g=golongan), field="golongan")
    return parse_nip(nip, status_asn).value


def team_cte(atasan_id: int):
    """Everyone whose chain of atasan reaches ``atasan_id``: a recursive query, so a
    team of thousands is one round trip. Cycles in bad data cannot loop forever
    because UNION (not UNION ALL) drops rows already seen."""
    base = select(Pegawai.id.label("id")).where(Pegawai.atasan_id == atasan_id)
    team = base.cte("team", recursive=True)
    below = select(Pegawai.id).join(team, Pegawai.atasan_id == team.c.id)
    return team.union(below)


def unit_subtree_cte(unit_id: int):
    """A unit and every unit below it."""
    base = select(UnitKerja.id.label("id")).where(UnitKerja.id == unit_id)
    tree = base.cte("unit_tree", recursive=True)
    below = select(UnitKerja.id).join(tree, UnitKerja.parent_id == tree.c.id)
    return tree.union(below)


def in_team(atasan_id: int, pegawai_id: int) -> bool:
    team = team_cte(atasan_id)
    return bool(db.session.scalar(select(exists().where(team.c.id == pegawai_id))))


def managed_unit_ids(admin):
    """The units an admin runs: None for the whole agency, else a SELECT of the ids of
    the admin's unit and every unit below it (``User.admin_unit_id``)."""
    if getattr(admin, "admin_unit_id", None) is None:
        return None
    tree = unit_subtree_cte(admin.admin_unit_id)
    return select(tree.c.id)


def whole_agency(admin) -> bool:
    """An admin who runs every unit (not limited to one with ``admin_unit_id``)."""
    return bool(getattr(admin, "is_admin", False)) and managed_unit_ids(admin) is None


def unit_in_scope(admin, unit_column):
    """An SQL condition: the unit in ``unit_column`` is one the admin runs."""
    ids = managed_unit_ids(admin)
    return true() if ids is None else unit_column.in_(ids)


def manages_unit(admin, unit_id: int | None) -> bool:
    if not getattr(admin, "is_admin", False):
        return False
    ids = managed_unit_ids(admin)
    if ids is None:
        return True
    return unit_id is not None and bool(
        db.session.scalar(select(exists().where(ids.subquery().c.id == unit_id)))
    )


def visible_to(viewer, column):
    """An SQL condition: the employee in ``column`` is the viewer, in the viewer's team,
    or in the units the viewer runs as an admin. One query answers the same way, and
    takes the same time, whether a person does not exist or is not the viewer's to see."""
    if whole_agency(viewer):
        return true()
    team = team_cte(viewer.pegawai_id)
    seen = or_(column == viewer.pegawai_id, column.in_(select(team.c.id)))
    if viewer.is_admin:
        managed = select(Pegawai.id).where(Pegawai.unit_id.in_(managed_unit_ids(viewer)))
        seen = or_(seen, column.in_(managed))
    return seen


def find_visible(raw_nip: str, viewer) -> Pegawai | None:
    return db.session.scalar(
        select(Pegawai).where(Pegawai.nip == normalise(raw_nip)[:40], visible_to(viewer, Pegawai.id))
    )


def atasan_chain_cte(pegawai_id: int):
    """``pegawai_id`` and everyone above them, following atasan links upwards. UNION (not
    UNION ALL) drops rows already seen, so a cycle in bad data ends the walk."""
    base = select(Pegawai.id.label("id"), Pegawai.atasan_id.label("atasan_id"))
    chain = base.where(Pegawai.id == pegawai_id).cte("atasan_chain", recursive=True)
    above = select(Pegawai.id, Pegawai.atasan_id).join(chain, Pegawai.id == chain.c.atasan_id)
    return chain.union(above)


def atasan_cycle(pegawai_id: int, atasan_id: int) -> bool:
    """Would making ``atasan_id`` the atasan of ``pegawai_id`` close a loop? It would if
    ``pegawai_id`` is already somewhere above ``atasan_id`` (or is ``atasan_id``)."""
    if pegawai_id == atasan_id:
        return True
    chain = atasan_chain_cte(atasan_id)
    return bool(db.session.scalar(select(exists().where(chain.c.id == pegawai_id))))
