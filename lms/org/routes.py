"""The admin's pages for the organisation: units, positions, employees, and the
agency's settings. Other packages add panels to an employee's page (roles, activation
codes) with ``register_employee_panel``, since they sit to the right of org."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint
from flask_login import current_user, login_required

from lms.core.errors import ForbiddenError

bp = Blueprint("org", __name__, url_prefix="/admin", template_folder="templates")

# Each panel is called as panel(pegawai, viewer) and returns (template, context) or None.
EMPLOYEE_PANELS: list[Callable] = []


def register_employee_panel(panel: Callable) -> None:
    if panel not in EMPLOYEE_PANELS:
        EMPLOYEE_PANELS.append(panel)


def employee_panels(pegawai, viewer) -> list[tuple[str, dict]]:
    return [p for p in (panel(pegawai, viewer) for panel in EMPLOYEE_PANELS) if p]


@bp.before_request
@login_required
def _admins_only():
    """Every page here is for admins; unit-limited admins are checked per unit."""
    if not current_user.is_admin:
        raise ForbiddenError()


from lms.org import agency_routes, import_routes  # noqa: E402,F401 - more admin pages on this blueprint
