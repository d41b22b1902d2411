"""The audit log: who changed what, when, with the values before and after.

Services write an entry in the same transaction as the change itself (``record`` only
adds a row to the session), so a change and its entry commit together or not at all.
The actor is whoever the request or command runs as (``set_actor``); a service never
asks the request for it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from flask import g, has_app_context, has_request_context
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.ids import new_id
from lms.core.time import utcnow
from lms.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_actor", "actor_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The person acting, and their NIP and name as they were (kept if the person goes);
    # no actor: a command run on the server (``flask pegawai import`` …).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"))
    actor_nip: Mapped[str | None] = mapped_column(String(18))
    actor_nama: Mapped[str | None] = mapped_column(String(200))
    # A dotted verb: "pegawai.update", "kursus.publish", "pengembangan.verify" …
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(64))
    # What a person reads in the log: a name, a NIP, a course title.
    target_label: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


def set_actor(pegawai_id: int | None, nip: str | None = None, nama: str | None = None) -> None:
    """Who the rest of this request or command acts as."""
    g.audit_actor = (pegawai_id, nip, nama)


def current_actor() -> tuple[int | None, str | None, str | None]:
    """``set_actor``'s person, else the signed-in user of the request, else nobody."""
    if not has_app_context():
        return (None, None, None)
    if "audit_actor" in g:
        return g.audit_actor
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return (current_user.pegawai_id, current_user.pegawai.nip, current_user.nama)
    return (None, None, None)


def plain(value):
    """A value as JSON keeps it: dates as ISO text, enums by value, sets as sorted lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def snapshot(obj, fields) -> dict:
    """The named attributes of a row, as the log stores them."""
    return {name: plain(getattr(obj, name)) for name in fields}


def changed(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the keys whose value differs (both sides kept whole when one is missing)."""
    if before is None or after is None:
        return before, after
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    action: str,
    target_type: str,
    target_id,
    label: str = "",
    *,
    before: dict | None = None,
    after: dict | None = None,
    only_changes: bool = True,
) -> AuditEntry | None:
    """Add an entry for a change. With ``only_changes`` (the default) an update that
    changed nothing writes nothing, and the entry keeps just the keys that changed."""
    before, after = plain(before), plain(after)
    if only_changes and before is not None and after is not None:
        before, after = changed(before, after)
        if not after and not before:
            return None
    actor_id, nip, nama = current_actor()
    entry = AuditEntry(
        actor_id=actor_id,
        actor_nip=nip,
        actor_nama=(nama or "")[:200] or None,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        target_label=(label or "")[:300],
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def record_many(entries: list[dict]) -> int:
    """Many entries in one INSERT (a bulk import of thousands of rows): each dict holds
    ``record``'s arguments; nothing is compared, so pass only the changes."""
    if not entries:
        return 0
    actor_id, nip, nama = current_actor()
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "at": now,
            "actor_id": actor_id,
            "actor_nip": nip,
            "actor_nama": (nama or "")[:200] or None,
            "action": e["action"],
            "target_type": e["target_type"],
            "target_id": str(e["target_id"])[:64],
            "target_label": (e.get("label") or "")[:300],
            "before": plain(e.get("before")),
            "after": plain(e.get("after")),
        }
        for e in entries
    ]
    db.session.execute(AuditEntry.__table__.insert(), rows)
    return len(rows)
