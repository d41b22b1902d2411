"""The training history export for SIASN (admins): a form with a preview, and the file."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.access import admin_required
from lms.core.errors import DomainError, NotFoundError
from lms.core.export import check_format, download
from lms.core.time import Period, local_today
from lms.core.web import date_arg, int_arg
from lms.org.admin import unit_options
from lms.reports import history
from lms.reports.routes import bp


def _date(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    value = date_arg(raw)
    if value is None:
        raise DomainError(_("Give a valid date."), field=name)
    return value


def _filters() -> history.HistoryFilter:
    """The period (both days included; this year by default) and the unit asked for."""
    year = local_today().year
    start = _date("dari", date(year, 1, 1))
    end = _date("sampai", date(year, 12, 31))
    if end < start:
        raise DomainError(_("The period ends before it starts."), field="sampai")
    unit_id = int_arg(request.args.get("unit"))
    if request.args.get("unit") and unit_id is None:
        raise NotFoundError(_("No such unit among yours."))
    return history.HistoryFilter(Period.days(start, end), unit_id)


def _units():
    return unit_options(current_user, open_only=False)  # the tree, indented; closed units too


@bp.get("/admin/riwayat-diklat")
@admin_required
def history_page():
    errors: dict[str, str] = {}
    preview, filters = None, None
    try:
        filters = _filters()
    except NotFoundError:
        raise
    except DomainError as exc:
        errors[exc.field or "dari"] = exc.message
    else:
        preview = history.history_preview(current_user, filters)
    args = {k: v for k, v in request.args.items() if k in ("dari", "sampai", "unit") and v}
    year = local_today().year
    return render_template(
        "reports/history.html",
        preview=preview,
        filters=filters,
        errors=errors,
        units=_units(),
        columns=history.COLUMNS,
        args=args,
        values={
            "dari": request.args.get("dari") or date(year, 1, 1).isoformat(),
            "sampai": request.args.get("sampai") or date(year, 12, 31).isoformat(),
            "unit": int_arg(request.args.get("unit")),
        },
        labels=history.JENIS_LABELS,
    ), (400 if errors else 200)


@bp.get("/admin/riwayat-diklat.<fmt>")
@admin_required
def history_export(fmt):
    check_format(fmt)
    filters = _filters()
    rows = history.history_rows(current_user, filters)
    stem = f"riwayat-diklat-{filters.period.start.isoformat()}-{filters.period.last.isoformat()}"
    return download([history.history_sheet(rows)], stem, fmt)
