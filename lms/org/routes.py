"""The admin's pages for the organisation: units, positions, employees, and the
agency's settings. Other packages add panels to an employee's page (roles, activation
codes) with ``register_employee_panel``, since they sit to the right of org."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from lms.core.errors import DomainError, ForbiddenError
from lms.core.forms import flash_error, put_error
from lms.core.web import int_arg
from lms.org import admin
from lms.org.data import JENIS_UNIT
from lms.org.forms import (
    EmployeeForm,
    JabatanForm,
    MoveUnitForm,
    NewEmployeeForm,
    UnitEditForm,
    UnitForm,
    choices,
    zone_label,
)

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


@bp.context_processor
def _labels():
    return {
        "jenis_unit": JENIS_UNIT,
        "zone_label": zone_label,
        "whole_agency": admin.whole_agency(current_user),
    }


def _status(form) -> int:
    return 400 if request.method == "POST" else 200


def _top_choice(label: str) -> list:
    return choices([("", label)]) if admin.whole_agency(current_user) else []


def _unit_choices(**options) -> list:
    return choices(admin.unit_options(current_user, **options))


# --- units --------------------------------------------------------------------------------


@bp.get("/unit")
def units():
    show_closed = request.args.get("tutup") == "1"
    return render_template(
        "org/units.html", tree=admin.unit_tree(current_user, show_closed=show_closed), show_closed=show_closed
    )


def _unit_input(form) -> admin.UnitInput:
    parent = getattr(form, "parent_id", None)
    return admin.UnitInput(
        nama=form.nama.data,
        jenis=form.jenis.data,
        zona=form.zona.data,
        kode=getattr(getattr(form, "kode", None), "data", ""),
        parent_id=int_arg(parent.data) if parent is not None else None,
    )


@bp.route("/unit/baru", methods=["GET", "POST"])
def new_unit():
    form = UnitForm()
    form.parent_id.choices = _top_choice(_("(top level)")) + _unit_choices()
    if request.method == "GET" and int_arg(request.args.get("induk")):
        form.parent_id.data = request.args["induk"]
    if form.validate_on_submit():
        try:
            unit = admin.create_unit(current_user, _unit_input(form))
        except DomainError as exc:
            put_error(form, exc, "kode")
        else:
            flash(_("The unit %(name)s is created.", name=unit.nama), "success")
            return redirect(url_for(".unit", unit_id=unit.id))
    return render_template("org/unit_new.html", form=form), _status(form)


def _unit_page(unit, edit_form=None, move_form=None, status=200):
    edit_form = edit_form or UnitEditForm(
        formdata=None, data={"nama": unit.nama, "jenis": unit.jenis, "zona": unit.zona or ""}
    )
    move_form = move_form or MoveUnitForm(formdata=None, data={"parent_id": str(unit.parent_id or "")})
    move_form.parent_id.choices = _top_choice(_("(top level)")) + _unit_choices(keep=unit.parent_id)
    detail = admin.unit_detail(current_user, unit)
    return render_template("org/unit.html", d=detail, form=edit_form, move_form=move_form), status


@bp.route("/unit/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id):
    unit = admin.get_unit(current_user, unit_id)
    if request.method == "GET":
        return _unit_page(unit)
    form = UnitEditForm()
    if form.validate_on_submit():
        try:
            admin.update_unit(current_user, unit, _unit_input(form))
        except DomainError as exc:
            put_error(form, exc, "nama")
        else:
            flash(_("The unit %(name)s is saved.", name=unit.nama), "success")
            return redirect(url_for(".unit", unit_id=unit.id))
    return _unit_page(unit, edit_form=form, status=400)


@bp.post("/unit/<int:unit_id>/pindah")
def move_unit(unit_id):
    unit = admin.get_unit(current_user, unit_id)
    form = MoveUnitForm()
    if form.validate_on_submit():
        try:
            moved = admin.move_unit(current_user, unit, int_arg(form.parent_id.data))
        except DomainError as exc:
            put_error(form, exc, "parent_id")
        else:
            if moved:
                flash(_("%(name)s is moved.", name=unit.nama), "success")
            return redirect(url_for(".unit", unit_id=unit.id))
    return _unit_page(unit, move_form=form, status=400)


@bp.post("/unit/<int:unit_id>/tutup")
def close_unit(unit_id):
    unit = admin.get_unit(current_user, unit_id)
    try:
        admin.close_unit(current_user, unit)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            _("%(name)s is closed. Its history stays; nobody new can be placed in it.", name=unit.nama),
            "success",
        )
    return redirect(url_for(".unit", unit_id=unit_id))


@bp.post("/unit/<int:unit_id>/buka")
def reopen_unit(unit_id):
    unit = admin.get_unit(current_user, unit_id)
    try:
        admin.reopen_unit(current_user, unit)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("%(name)s is open again.", name=unit.nama), "success")
    return redirect(url_for(".unit", unit_id=unit_id))


# --- positions (jabatan) ------------------------------------------------------------------


@bp.get("/jabatan")
def jabatan_list():
    return render_template("org/jabatan.html", rows=admin.jabatan_rows(current_user))


def _only_whole_agency():
    if not admin.whole_agency(current_user):
        raise ForbiddenError(_("Only admins of the whole agency change the positions."))


@bp.route("/jabatan/baru", methods=["GET", "POST"])
def new_jabatan():
    _only_whole_agency()
    form = JabatanForm()
    if form.validate_on_submit():
        try:
            jabatan = admin.create_jabatan(current_user, form.kode.data, form.nama.data, form.jenis.data)
        except DomainError as exc:
            put_error(form, exc, "kode")
        else:
            flash(_("The position %(name)s is created.", name=jabatan.nama), "success")
            return redirect(url_for(".jabatan_list"))
    return render_template("org/jabatan_form.html", form=form, jabatan=None), _status(form)


@bp.route("/jabatan/<int:jabatan_id>", methods=["GET", "POST"])
def edit_jabatan(jabatan_id):
    _only_whole_agency()
    jabatan = admin.get_jabatan(jabatan_id)
    form = JabatanForm(obj=jabatan) if request.method == "GET" else JabatanForm()
    if form.validate_on_submit():
        try:
            admin.update_jabatan(current_user, jabatan, form.kode.data, form.nama.data, form.jenis.data)
        except DomainError as exc:
            put_error(form, exc, "kode")
        else:
            flash(_("The position %(name)s is saved.", name=jabatan.nama), "success")
            return redirect(url_for(".jabatan_list"))
    return render_template("org/jabatan_form.html", form=form, jabatan=jabatan), _status(form)


# --- employees ------------------------------------------------------------------------------


def _employee_filters() -> admin.EmployeeFilters:
    status = request.args.get("status", "aktif")
    return admin.EmployeeFilters(
        q=request.args.get("q", "").strip()[:100],
        unit_id=int_arg(request.args.get("unit")),
        status=status if status in admin.STATUS_FILTERS else "aktif",
    )


@bp.get("/pegawai")
def employees():
    filters = _employee_filters()
    page = admin.search_employees(
        current_user, filters, min(int_arg(request.args.get("halaman")) or 1, 100_000)
    )
    args = {"q": filters.q or None, "unit": filters.unit_id, "status": filters.status}
    return render_template(
        "org/employees.html",
        view=page,
        filters=filters,
        args={k: v for k, v in args.items() if v},
        units=admin.unit_options(current_user, open_only=False),
    )


def _employee_input(form) -> admin.EmployeeInput:
    return admin.EmployeeInput(
        nama=form.nama.data,
        status_asn=form.status_asn.data,
        golongan=form.golongan.data,
        email=form.email.data,
        unit_id=int_arg(form.unit_id.data),
        jabatan_id=int_arg(form.jabatan_id.data),
        atasan_nip=form.atasan_nip.data,
    )


def _employee_choices(form, keep_unit=None) -> None:
    form.unit_id.choices = choices(
        [("", _("Choose a unit")), *admin.unit_options(current_user, keep=keep_unit)]
    )
    form.jabatan_id.choices = choices([("", _("None")), *admin.jabatan_options()])


@bp.route("/pegawai/baru", methods=["GET", "POST"])
def new_employee():
    form = NewEmployeeForm()
    _employee_choices(form)
    if request.method == "GET" and int_arg(request.args.get("unit")):
        form.unit_id.data = request.args["unit"]
    if form.validate_on_submit():
        try:
            pegawai = admin.create_employee(current_user, form.nip.data, _employee_input(form))
        except DomainError as exc:
            put_error(form, exc, "nip")
        else:
            flash(_("%(name)s is added.", name=pegawai.nama), "success")
            return redirect(url_for(".employee", nip=pegawai.nip))
    return render_template("org/employee_new.html", form=form), _status(form)


def _employee_data(p) -> dict:
    return {
        "nama": p.nama,
        "status_asn": p.status_asn,
        "golongan": p.golongan or "",
        "email": p.email or "",
        "unit_id": str(p.unit_id),
        "jabatan_id": str(p.jabatan_id or ""),
        "atasan_nip": p.atasan.nip if p.atasan else "",
    }


def _panels(pegawai) -> list[Markup]:
    """Each package's panel drawn with its own context (and the employee): the same as
    ``{% include template %}`` with the context's keys as variables, which Jinja's include
    cannot be given. The HTML comes from our own autoescaped templates."""
    return [
        Markup(render_template(template, **{"pegawai": pegawai, **context}))  # noqa: S704
        for template, context in employee_panels(pegawai, current_user)
    ]


@bp.route("/pegawai/<nip>", methods=["GET", "POST"])
def employee(nip):
    pegawai = admin.get_employee(current_user, nip)
    form = EmployeeForm(data=_employee_data(pegawai)) if request.method == "GET" else EmployeeForm()
    _employee_choices(form, keep_unit=pegawai.unit_id)
    if form.validate_on_submit():
        try:
            changed = admin.update_employee(current_user, pegawai, _employee_input(form))
        except DomainError as exc:
            put_error(form, exc, "nama")
        else:
            flash(
                _("%(name)s is saved.", name=pegawai.nama) if changed else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for(".employee", nip=pegawai.nip))
    return render_template(
        "org/employee.html",
        pegawai=pegawai,
        form=form,
        path=[*admin.unit_path(current_user, pegawai.unit), pegawai.unit],
        team=admin.subordinates(pegawai),
        panels=_panels(pegawai),
    ), _status(form)


@bp.post("/pegawai/<nip>/nonaktifkan")
def deactivate_employee(nip):
    pegawai = admin.get_employee(current_user, nip)
    try:
        reports = admin.deactivate_employee(current_user, pegawai)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            _("%(name)s is deactivated: no more sign-in; their records stay.", name=pegawai.nama), "success"
        )
        if reports:
            flash(
                ngettext(
                    "%(num)d active employee still has them as atasan: choose a new atasan for them.",
                    "%(num)d active employees still have them as atasan: choose a new atasan for them.",
                    reports,
                ),
                "warning",
            )
    return redirect(url_for(".employee", nip=pegawai.nip))


@bp.post("/pegawai/<nip>/aktifkan")
def reactivate_employee(nip):
    pegawai = admin.get_employee(current_user, nip)
    try:
        admin.reactivate_employee(current_user, pegawai)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("%(name)s is active again.", name=pegawai.nama), "success")
    return redirect(url_for(".employee", nip=pegawai.nip))


from lms.org import agency_routes, import_routes  # noqa: E402,F401 - more admin pages on this blueprint
