"""The roles of one employee, set by an admin on the employee's admin page (a panel
there, drawn by org, which cannot import accounts)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts import roles
from lms.accounts.access import admin_required
from lms.accounts.routes import bp
from lms.core.errors import DomainError, NotFoundError
from lms.core.forms import flash_error
from lms.core.web import int_arg
from lms.org.admin import unit_options
from lms.org.routes import register_employee_panel
from lms.org.services import find_by_nip, manages_unit, whole_agency

WHOLE_AGENCY = "semua"


def _roles_panel(pegawai, viewer):
    """The account's state and its roles, for admins who run the employee's unit."""
    if not manages_unit(viewer, pegawai.unit_id):
        return None
    account = roles.account_state(pegawai)
    user = account.user
    if user is not None and user.is_admin:
        current = WHOLE_AGENCY if user.admin_unit_id is None else str(user.admin_unit_id)
    else:
        current = ""
    return "accounts/_roles_panel.html", {
        "roles_panel": {
            "pegawai": pegawai,
            "account": account,
            "current": current,
            "whole": whole_agency(viewer),
            "units": unit_options(viewer, open_only=False),
            "own": pegawai.id == viewer.pegawai_id,
        }
    }


register_employee_panel(_roles_panel)


def _admin_choice(raw: str) -> tuple[bool, int | None]:
    if not raw:
        return False, None
    if raw == WHOLE_AGENCY:
        return True, None
    unit_id = int_arg(raw)
    if unit_id is None:
        raise DomainError(_("Choose an admin role from the list."), field="admin_unit_id")
    return True, unit_id


@bp.post("/admin/pegawai/<nip>/peran")
@login_required
@admin_required
def set_roles(nip):
    pegawai = find_by_nip(nip[:40])
    if pegawai is None or not manages_unit(current_user, pegawai.unit_id):
        raise NotFoundError()
    try:
        is_admin, unit_id = _admin_choice(request.form.get("admin", ""))
        roles.set_roles(
            pegawai,
            is_admin=is_admin,
            is_pengajar=request.form.get("pengajar") == "1",
            admin_unit_id=unit_id,
            by=current_user,
        )
    except NotFoundError:
        raise
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("The roles of %(name)s are saved.", name=pegawai.nama), "success")
    return redirect(url_for("org.employee", nip=pegawai.nip))
