"""The audit log page and its exports, for admins of the whole agency."""

from __future__ import annotations

from datetime import UTC

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user

from lms.core.errors import ForbiddenError
from lms.core.export import NipCell, Sheet, check_format, download
from lms.core.i18n import zone_label
from lms.core.web import date_arg, int_arg
from lms.org.services import whole_agency
from lms.reports import audit
from lms.reports.routes import bp


def _require_agency_admin() -> None:
    """The log shows every unit's changes: an admin limited to a unit may not read it."""
    if not whole_agency(current_user):
        raise ForbiddenError(_("The audit log is for admins of the whole agency."))


def _filters() -> audit.AuditFilters:
    return audit.AuditFilters.from_args(request.args, date_arg)


@bp.get("/admin/audit")
def audit_log():
    _require_agency_admin()
    filters = _filters()
    view = audit.audit_page(filters, int_arg(request.args.get("halaman")) or 1)
    return render_template(
        "reports/audit.html", view=view, filters=filters, args=filters.as_args(), changes_of=audit.changes_of
    )


def _changes_text(entry) -> str:
    return "; ".join(f"{c.key}: {c.before} → {c.after}" for c in audit.changes_of(entry))


@bp.get("/admin/audit.<fmt>")
def audit_export(fmt):
    _require_agency_admin()
    check_format(fmt)
    filters = _filters()
    rows = [
        [
            to_user_timezone(e.at.replace(tzinfo=UTC)).replace(tzinfo=None, microsecond=0),
            NipCell(e.actor_nip) if e.actor_nip else None,
            e.actor_nama or (_("command line") if not e.actor_id else ""),
            e.action,
            e.target_type,
            e.target_id,
            e.target_label,
            _changes_text(e),
        ]
        for e in audit.audit_export(filters)
    ]
    sheet = Sheet(
        _("Audit log"),
        [
            _("Time (%(zone)s)", zone=zone_label()),
            _("NIP"),
            _("Who"),
            _("Action"),
            _("Target type"),
            _("Target ID"),
            _("Target"),
            _("Changes"),
        ],
        rows,
    )
    return download([sheet], "audit", fmt)
