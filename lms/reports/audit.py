"""The audit log for admins: who changed what, when, with the values before and after.

Queries only (the log is written by ``lms.core.audit`` in each service). A page is four
queries whatever the log holds: the count, the page of entries, and the distinct
actions and target types for the filter's choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, or_, select

from lms.core.audit import AuditEntry
from lms.core.time import Period
from lms.extensions import db
from lms.org.nip import normalise

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class AuditFilters:
    first: date | None = None  # the agency's calendar days, both included
    last: date | None = None
    actor_nip: str = ""
    action: str = ""  # an action, or a prefix ending in "." ("pegawai.")
    target_type: str = ""
    q: str = ""  # in the target's label or id

    @classmethod
    def from_args(cls, args, date_arg) -> AuditFilters:
        return cls(
            first=date_arg(args.get("dari")),
            last=date_arg(args.get("sampai")),
            actor_nip=normalise(args.get("nip", ""))[:18],
            action=args.get("aksi", "").strip()[:60],
            target_type=args.get("jenis", "").strip()[:40],
            q=args.get("q", "").strip()[:80],
        )

    def as_args(self) -> dict:
        """The filters as the query string that gives them (for pages and exports)."""
        args = {
            "dari": self.first.isoformat() if self.first else None,
            "sampai": self.last.isoformat() if self.last else None,
            "nip": self.actor_nip,
            "aksi": self.action,
            "jenis": self.target_type,
            "q": self.q,
        }
        return {k: v for k, v in args.items() if v}


def _filtered(filters: AuditFilters):
    query = select(AuditEntry)
    if filters.first:
        query = query.where(AuditEntry.at >= Period.days(filters.first, filters.first).utc_bounds()[0])
    if filters.last:
        query = query.where(AuditEntry.at < Period.days(filters.last, filters.last).utc_bounds()[1])
    if filters.actor_nip:
        query = query.where(AuditEntry.actor_nip == filters.actor_nip)
    if filters.action.endswith("."):
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    elif filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    for word in filters.q.split()[:6]:
        query = query.where(
            or_(
                func.lower(AuditEntry.target_label).contains(word.lower(), autoescape=True),
                AuditEntry.target_id == word,
            )
        )
    return query


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str


def _shown(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def changes_of(entry: AuditEntry) -> list[Change]:
    """Each key the entry names, with its value before and after ("–": none)."""
    before, after = entry.before or {}, entry.after or {}
    return [
        Change(key, _shown(before.get(key)), _shown(after.get(key)))
        for key in sorted(set(before) | set(after))
    ]


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int
    actions: list[str]  # every action in the log, for the filter
    prefixes: list[str]  # their first parts ("pegawai."), for "every action on …"
    target_types: list[str]


def audit_page(filters: AuditFilters, page: int = 1) -> AuditPage:
    query = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = list(
        db.session.scalars(
            query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    actions = list(db.session.scalars(select(distinct(AuditEntry.action)).order_by(AuditEntry.action)))
    types = list(
        db.session.scalars(select(distinct(AuditEntry.target_type)).order_by(AuditEntry.target_type))
    )
    prefixes = sorted({a.split(".", 1)[0] + "." for a in actions if "." in a})
    return AuditPage(entries, total, page, pages, actions, prefixes, types)


def audit_export(filters: AuditFilters) -> list[AuditEntry]:
    """The filtered log, newest first, for a download (one query)."""
    return list(
        db.session.scalars(
            _filtered(filters).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(EXPORT_LIMIT)
        )
    )
