"""The profile page, the supervisor's team view, and monitoring for admins."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.access import admin_required, supervises_anyone
from lms.catalog.models import Kursus
from lms.certificates import services as certificates
from lms.competencies import services as competencies
from lms.competencies.forms import JENIS_LABELS
from lms.core.charts import Bar, LevelRow, bar_chart, level_chart
from lms.core.errors import DomainError, ForbiddenError, NotFoundError
from lms.core.export import NipCell, Sheet, check_format, download
from lms.core.forms import flash_error
from lms.core.time import Period, local_today
from lms.core.web import date_arg, int_arg, safe_next
from lms.extensions import db
from lms.org.models import Jabatan, Pegawai, UnitKerja
from lms.org.services import find_visible, manages_unit, unit_in_scope
from lms.progress import development
from lms.progress import routes as progress_routes
from lms.progress import services as progress

from . import queries

bp = Blueprint("reports", __name__, template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page here is for signed-in users."""


# --- profile ---------------------------------------------------------------------------


def _visible_pegawai(nip: str) -> Pegawai:
    """The employee, if the viewer may see them. Not existing and not allowed look the
    same (403), so a supervisor cannot probe for people outside the team."""
    pegawai = find_visible(nip, current_user)
    if pegawai is None and current_user.is_admin:
        raise NotFoundError(_("No employee has this NIP."))  # admins may see everyone: nothing to hide
    if pegawai is None:
        raise ForbiddenError(_("You can see the profiles of your team only."))
    return pegawai


@bp.get("/profil")
def my_profile():
    return _profile(current_user.pegawai)


@bp.get("/profil/<nip>")
def profile(nip):
    pegawai = _visible_pegawai(nip)
    return _profile(pegawai)


def _profile(pegawai: Pegawai):
    year = local_today().year
    rows = competencies.profile_rows(pegawai)
    gaps = competencies.gaps(rows)
    chart = level_chart(
        [LevelRow(r.kompetensi.code, r.kompetensi.nama, r.current, r.required) for r in rows],
        chart_id="levels",
        title=_("Competency levels of %(name)s", name=pegawai.nama),
        desc=_(
            "Current level against the level the position requires, per competency, on a scale of 1 to 5."
        ),
        legend_current=_("Current level"),
        legend_required=_("Required by the position"),
    )
    return render_template(
        "reports/profile.html",
        pegawai=pegawai,
        own=pegawai.id == current_user.pegawai_id,
        rows=rows,
        gaps=gaps,
        chart=chart,
        suggestions=competencies.courses_closing(pegawai.id, gaps),
        jp=progress.jp_in_year(pegawai.id, year),
        jp_target=progress.jp_target(),
        year=year,
        ledger=progress.ledger(pegawai.id),
        evidence=competencies.evidence_of(pegawai.id),
        certificates=certificates.of_pegawai(pegawai.id),
        display_code=certificates.display_code,
        kinds=JENIS_LABELS,
    )


# --- the team ----------------------------------------------------------------------------


def _scope() -> queries.Scope:
    """Admins see everyone (narrowed by the unit filter); supervisors their team."""
    if current_user.is_admin and request.values.get("lingkup") != "tim":
        return queries.Scope(atasan_id=None, unit_id=current_user.admin_unit_id)
    if not supervises_anyone(current_user):
        raise ForbiddenError(_("This page is for supervisors: nobody has you as their atasan."))
    return queries.Scope(atasan_id=current_user.pegawai_id)


def _int_arg(name: str) -> int | None:
    return int_arg(request.values.get(name))


def _filters() -> queries.TeamFilters:
    status = request.values.get("status") or None
    return queries.TeamFilters(
        unit_id=_int_arg("unit"),
        jabatan_id=_int_arg("jabatan"),
        status=status if status in queries.STATUSES else None,
        kursus_id=_int_arg("kursus"),
        q=request.values.get("q", "").strip()[:60],
    )


def _view_args(filters: queries.TeamFilters) -> dict:
    args = {
        "unit": filters.unit_id,
        "jabatan": filters.jabatan_id,
        "status": filters.status,
        "kursus": filters.kursus_id,
        "q": filters.q or None,
    }
    if request.values.get("lingkup") == "tim":
        args["lingkup"] = "tim"
    return {k: v for k, v in args.items() if v}


STATUS_LABELS = {
    "overdue": _l("Overdue"),
    "pending": _l("Not yet completed"),
    "completed": _l("Completed"),
    "not_enrolled": _l("Not enrolled"),
    "below_jp": _l("Below the yearly JP"),
}


@bp.get("/tim")
def team():
    scope = _scope()
    filters = _filters()
    today = local_today()
    view = queries.team_view(
        scope,
        filters,
        today=today,
        year=today.year,
        jp_target=progress.jp_target(),
        page=min(_int_arg("halaman") or 1, 100_000),
    )
    return render_template(
        "reports/team.html",
        view=view,
        filters=filters,
        args=_view_args(filters),
        admin_scope=scope.atasan_id is None,
        units=_team_units(scope),
        positions=_team_positions(scope),
        courses=db.session.execute(
            select(Kursus.id, Kursus.title).where(Kursus.status == "published").order_by(Kursus.title)
        ).all(),
        statuses=STATUS_LABELS,
        jp_target=progress.jp_target(),
        year=today.year,
        today=today,
        pending_count=development.pending_count(current_user),
    )


def _team_units(scope: queries.Scope):
    """Units to filter by: where the team works (every unit for the whole organisation)."""
    units = select(UnitKerja.id, UnitKerja.nama).order_by(UnitKerja.nama)
    if scope.atasan_id is not None:
        units = units.where(UnitKerja.id.in_(scope.ids().with_only_columns(Pegawai.unit_id)))
    return db.session.execute(units).all()


def _team_positions(scope: queries.Scope):
    """Positions to filter by: those the team holds."""
    return db.session.execute(
        select(Jabatan.id, Jabatan.nama)
        .where(Jabatan.id.in_(scope.ids().with_only_columns(Pegawai.jabatan_id)))
        .order_by(Jabatan.nama)
    ).all()


def _team_sheets(rows, courses) -> list[Sheet]:
    people = Sheet(
        _("Team"),
        [
            _("NIP"),
            _("Name"),
            _("Status"),
            _("Golongan"),
            _("Unit"),
            _("Position"),
            _("Assigned"),
            _("Completed (assigned)"),
            _("Completed (own choice)"),
            _("Not yet completed"),
            _("Overdue"),
            _("JP this year"),
            _("Largest gaps"),
        ],
        [
            [
                NipCell(r.nip),
                r.nama,
                r.status_asn,
                r.golongan,
                r.unit,
                r.jabatan,
                r.assigned,
                r.completed,
                r.self_completed,
                r.pending,
                r.overdue,
                r.jp,
                "; ".join(f"{g.code} {g.nama} ({g.current}→{g.required})" for g in r.gaps),
            ]
            for r in rows
        ],
    )
    summary = Sheet(
        _("Courses"),
        [
            _("Course"),
            _("Enrolled"),
            _("Assigned"),
            _("Completed"),
            _("Completion rate (%)"),
            _("Average score"),
            _("Overdue"),
        ],
        [
            [
                c.title,
                c.enrolled,
                c.assigned,
                c.completed,
                round(c.completion_rate, 1),
                round(c.average_score, 1) if c.average_score is not None else None,
                c.overdue,
            ]
            for c in courses
        ],
    )
    return [people, summary]


@bp.get("/tim/ekspor.<fmt>")
def team_export(fmt):
    check_format(fmt)
    scope = _scope()
    today = local_today()
    rows, courses = queries.team_export(
        scope, _filters(), today=today, year=today.year, jp_target=progress.jp_target()
    )
    return download(_team_sheets(rows, courses), f"tim-{today.isoformat()}", fmt)


def _due_date(raw: str) -> date | None:
    if not raw:
        return None
    due = date_arg(raw)
    if due is None:
        raise DomainError(_("Give the due date as a date."), field="due_date")
    return due


@bp.post("/tim/tugaskan")
def assign():
    scope = _scope()
    filters = _filters()
    back = safe_next(request.form.get("next"), url_for(".team"))
    today = local_today()
    kursus = db.session.get(Kursus, _int_arg("tugas_kursus") or 0)
    try:
        if kursus is None:
            raise DomainError(_("Choose the course to assign."), field="kursus")
        due = _due_date(request.form.get("due_date", "").strip())
        if request.form.get("who") == "all":
            ids = queries.all_ids(
                scope, filters, today=today, year=today.year, jp_target=progress.jp_target()
            )
        else:
            ids = [int_arg(v) for v in request.form.getlist("pegawai")]
            if None in ids:
                raise DomainError(_("Choose people from the list."), field="pegawai")
            if queries.ids_outside(scope, ids):
                raise ForbiddenError(_("You can assign courses to your own team only."))
        outcome = progress.assign_many(ids, kursus, due_date=due, assigned_by_id=current_user.pegawai_id)
    except ForbiddenError:
        raise
    except DomainError as exc:
        flash_error(exc)
        return redirect(back)
    if outcome.already_done and not (outcome.created or outcome.updated):
        flash(_("Everyone chosen has already completed this course; nothing was assigned."), "warning")
        return redirect(back)
    message = _(
        "%(title)s assigned: %(new)d new, %(moved)d with a new due date.",
        title=kursus.title,
        new=outcome.created,
        moved=outcome.updated,
    )
    if outcome.already_done:
        message += " " + _(
            "%(n)d already completed it and were left as they are.", n=len(outcome.already_done)
        )
    flash(message, "success")
    return redirect(back)


# --- monitoring and evaluation (admins) ---------------------------------------------------


def _period() -> Period:
    """The days asked for, both included (From … To …): this year so far by default."""
    today = local_today()
    raw_start, raw_end = request.args.get("dari"), request.args.get("sampai")
    start = date_arg(raw_start) if raw_start else date(today.year, 1, 1)
    end = date_arg(raw_end) if raw_end else today
    if start is None or end is None:
        raise DomainError(_("Give the period as two dates."))
    if end < start:
        raise DomainError(_("The period ends before it starts."))
    return Period.days(start, end)


def _monitoring():
    period = _period()
    # An admin limited to a unit starts at that unit and sees nothing outside it.
    unit_id = _int_arg("unit") or current_user.admin_unit_id
    if unit_id and not manages_unit(current_user, unit_id):
        raise NotFoundError()
    unit = db.session.get(UnitKerja, unit_id) if unit_id else None
    rows = queries.monitoring(unit.id if unit else None, period, progress.jp_target())
    rows = [r for r in rows if r.employees or r.unit_id != (unit.id if unit else None)]
    return unit, period, rows, queries.total(rows, _("All"))


def _percent(value: float) -> str:
    return format_decimal(round(value, 1)) + "%"


@bp.get("/monev")
@admin_required
def monitoring():
    try:
        unit, period, rows, total = _monitoring()
    except NotFoundError:
        raise
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for(".monitoring"))
    charts = [
        (
            title,
            bar_chart(
                [Bar(r.nama, getattr(r, key), _percent(getattr(r, key))) for r in rows],
                chart_id=f"chart-{key}",
                title=title,
                desc=title,
                max_value=100,
            ),
        )
        for key, title in (
            ("participation", _("Participation")),
            ("completion_rate", _("Completion rate")),
            ("jp_met_share", _("Employees with at least %(n)d JP", n=progress.jp_target())),
        )
    ]
    return render_template(
        "reports/monitoring.html",
        unit=unit,
        start=period.start,
        end=period.last,
        rows=rows,
        total=total,
        charts=charts,
        units=db.session.execute(
            select(UnitKerja.id, UnitKerja.nama)
            .where(unit_in_scope(current_user, UnitKerja.id))
            .order_by(UnitKerja.nama)
        ).all(),
        jp_target=progress.jp_target(),
        percent=_percent,
    )


@bp.get("/monev/ekspor.<fmt>")
@admin_required
def monitoring_export(fmt):
    check_format(fmt)
    _unit, period, rows, total = _monitoring()
    sheet = Sheet(
        _("Monitoring"),
        [
            _("Unit"),
            _("Employees"),
            _("Participants"),
            _("Participation (%)"),
            _("Enrolments"),
            _("Completed"),
            _("Completion rate (%)"),
            _("Average score"),
            _("Employees with at least %(n)d JP", n=progress.jp_target()),
            _("Share with at least %(n)d JP (%%)", n=progress.jp_target()),
            _("Gaps closed"),
        ],
        [
            [
                r.nama,
                r.employees,
                r.participants,
                round(r.participation, 1),
                r.enrolments,
                r.completed,
                round(r.completion_rate, 1),
                round(r.average_score, 1) if r.average_score is not None else None,
                r.jp_met,
                round(r.jp_met_share, 1),
                r.gaps_closed,
            ]
            for r in [*rows, total]
        ],
    )
    return download([sheet], f"monev-{period.start.isoformat()}-{period.last.isoformat()}", fmt)


# --- admin overview and the supervisor's box at home --------------------------------------


@bp.get("/admin")
@admin_required
def admin_home():
    """Every admin page, one tap from the menu."""
    return render_template("reports/admin.html", pending_count=development.pending_count(current_user))


def _team_panel(user):
    """At home, for supervisors: records waiting for them and team members overdue."""
    if supervises_anyone(user):
        scope, args = queries.Scope(atasan_id=user.pegawai_id), ({"lingkup": "tim"} if user.is_admin else {})
    elif user.is_admin:
        scope, args = queries.Scope(atasan_id=None, unit_id=user.admin_unit_id), {}
    else:
        return None
    overdue = queries.overdue_people(scope, today=local_today())
    return "reports/home_panel.html", {
        "pending": development.pending_count(user),
        "overdue": overdue,
        "args": args,
    }


progress_routes.register_home_panel(_team_panel)


@bp.app_context_processor
def _menu():
    return {"supervises": lambda: supervises_anyone(current_user)}


# More pages on this blueprint: the trainer's results, the audit log, the training history.
from lms.reports import audit_routes, history_routes, trainer_routes  # noqa: E402,F401
