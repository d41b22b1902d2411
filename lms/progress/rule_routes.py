"""The admin's pages for mandatory training rules: list, new, edit (each with a preview
of whom the rule reaches), deactivate and reactivate."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.core.errors import DomainError, ForbiddenError
from lms.core.forms import flash_error, put_error
from lms.extensions import db
from lms.org.admin import unit_options
from lms.org.data import JENIS_JABATAN
from lms.org.models import Jabatan
from lms.progress import rules
from lms.progress.rule_forms import RuleForm, choices
from lms.progress.services import published_courses

bp = Blueprint("rules", __name__, url_prefix="/admin/aturan-wajib", template_folder="templates")


@bp.before_request
@login_required
def _admins_only():
    """Every page here is for admins; unit-limited admins see the rules of their units."""
    if not current_user.is_admin:
        raise ForbiddenError()


def _choices(form: RuleForm) -> RuleForm:
    """The lists to choose from: published courses, the open units the admin manages,
    positions and kinds of position; empty means any (save the course)."""
    courses = [(str(k.id), k.title) for k in published_courses()]
    units = unit_options(current_user)  # the tree, indented
    everyone = [("", _("Every unit"))] if current_user.admin_unit_id is None else []
    positions = db.session.execute(select(Jabatan.id, Jabatan.nama).order_by(Jabatan.nama)).all()
    kinds = [(key, str(label)) for key, (label, _kind) in JENIS_JABATAN.items()]
    form.kursus.choices = choices([("", _("Choose a course")), *courses])
    form.unit.choices = choices([*everyone, *((str(i), nama) for i, nama in units)])
    form.jabatan.choices = choices([("", _("Any position")), *((str(i), nama) for i, nama in positions)])
    form.jenis_jabatan.choices = choices([("", _("Any kind")), *kinds])
    return form


def _show(exc: DomainError, form: RuleForm) -> str | None:
    """A field's error goes next to it; one about the whole rule is returned for the top."""
    if exc.field:
        put_error(form, exc, "nama")
        return None
    return exc.message


@bp.get("/")
def index():
    return render_template(
        "progress/rules.html",
        rows=rules.rules_for(current_user),
        jenis_labels={key: label for key, (label, _kind) in JENIS_JABATAN.items()},
    )


@bp.route("/baru", methods=["GET", "POST"])
def new():
    form = _choices(RuleForm())
    found, problem = None, None
    if form.validate_on_submit():
        data = form.to_input()
        try:
            if form.preview.data:
                found = rules.preview(data, current_user)
            else:
                _rule, outcome = rules.create_rule(data, current_user)
                _flash_applied(outcome)
                return redirect(url_for(".index"))
        except DomainError as exc:
            problem = _show(exc, form)
    return _form_page(form, None, found, problem)


@bp.route("/<int:rule_id>", methods=["GET", "POST"])
def edit(rule_id):
    rule = rules.get_rule(rule_id, current_user)
    form = _choices(RuleForm())
    if not form.is_submitted():
        form.fill_from(rule)
    found, problem = None, None
    if form.validate_on_submit():
        data = form.to_input(kursus_id=rule.kursus_id, yearly=rule.yearly)
        try:
            if form.preview.data:
                found = rules.preview(data, current_user, old=rule)
            else:
                _flash_applied(rules.update_rule(rule, data, current_user), saved=True)
                return redirect(url_for(".index"))
        except DomainError as exc:
            problem = _show(exc, form)
    return _form_page(form, rule, found, problem)


def _form_page(form, rule, found, problem):
    failed = bool(form.errors or problem) or (form.is_submitted() and found is None)
    page = render_template("progress/rules_form.html", form=form, rule=rule, found=found, problem=problem)
    return page, 400 if failed else 200


def _flash_applied(outcome: rules.ApplyOutcome, *, saved: bool = False) -> None:
    parts = []
    if outcome.enrolled or not saved:
        parts.append(
            ngettext(
                "%(num)d person must now take the course.",
                "%(num)d people must now take the course.",
                outcome.enrolled,
            )
        )
    if outcome.already_done:
        parts.append(
            ngettext(
                "%(num)d had already completed it.", "%(num)d had already completed it.", outcome.already_done
            )
        )
    if outcome.closed:
        parts.append(
            ngettext(
                "%(num)d duty closed for people it no longer reaches.",
                "%(num)d duties closed for people it no longer reaches.",
                outcome.closed,
            )
        )
    flash(
        " ".join([_("The rule is saved.") if saved else _("The rule is saved and applied."), *parts]),
        "success",
    )


@bp.post("/<int:rule_id>/nonaktifkan")
def deactivate(rule_id):
    rule = rules.get_rule(rule_id, current_user)
    outcome = rules.deactivate(rule)
    flash(
        ngettext(
            "The rule is stopped; %(num)d open duty was closed.",
            "The rule is stopped; %(num)d open duties were closed.",
            outcome.closed,
        ),
        "success",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:rule_id>/aktifkan")
def reactivate(rule_id):
    rule = rules.get_rule(rule_id, current_user)
    try:
        outcome = rules.reactivate(rule)
    except DomainError as exc:
        flash_error(exc)
    else:
        _flash_applied(outcome)
    return redirect(url_for(".index"))
