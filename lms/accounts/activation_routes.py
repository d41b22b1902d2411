"""Pages for one-time codes: the public activation page, the admin's issuing page and its
sheet (HTML, XLSX, PDF), and the reset code for one employee (a panel on the employee's
admin page). Codes exist in clear only in the response that issues them, which is never
stored (``no-store``) and never carries them in a URL."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from lms.accounts import activation, services
from lms.accounts.access import admin_required
from lms.accounts.activation_pdf import Slip, Wording, sheet_pdf
from lms.accounts.routes import _fresh_session, bp
from lms.core.errors import DomainError
from lms.core.export import NipCell, Sheet, download
from lms.core.forms import flash_error, put_error
from lms.core.i18n import format_moment
from lms.core.mail import mail_configured
from lms.core.web import safe_next
from lms.org.admin import unit_options
from lms.org.routes import register_employee_panel
from lms.org.services import managed_unit_ids, manages_unit

NO_STORE = {"Cache-Control": "private, no-store"}
FORMATS = ("page", "xlsx", "pdf")


def _optional_int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class ActivateForm(FlaskForm):
    nip = StringField(
        _l("NIP"),
        validators=[DataRequired(message=_l("Enter your NIP.")), Length(max=40)],
        render_kw={"inputmode": "numeric", "autocomplete": "username", "autofocus": True},
    )
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Enter the code from your slip or email.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter the new password.")), Length(max=200)],
        render_kw={"autocomplete": "new-password", "minlength": services.MIN_PASSWORD_LENGTH},
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(message=_l("Type the new password once more.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class IssueForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=_optional_int, validate_choice=False)
    with_subunits = BooleanField(_l("With its sub-units"), default=True)
    nips = TextAreaField(
        _l("Or a list of NIPs"),
        validators=[
            Length(
                max=activation.MAX_PER_ISSUE * 25,  # a grouped NIP and its line break
                message=_l("The list is too long: paste at most %(n)d NIPs.", n=activation.MAX_PER_ISSUE),
            )
        ],
        render_kw={"rows": 5},
    )
    only_without_account = BooleanField(_l("Only employees without an activated account"), default=True)
    by_email = BooleanField(
        _l("Email each code to the employee's address; only those without one go on the sheet")
    )
    format = RadioField(
        _l("Show the codes as"),
        choices=[
            SelectChoice("page", _l("A page to print")),
            SelectChoice("xlsx", _l("Excel (XLSX)")),
            SelectChoice("pdf", _l("PDF (A4)")),
        ],
        default="page",
        validate_choice=False,
    )


# --- the employee's page ---------------------------------------------------------------


@bp.route(activation.ACTIVATION_PATH, methods=["GET", "POST"])
def activate():
    """NIP, one-time code and a new password: the account is set up and signed in."""
    if current_user.is_authenticated:
        return redirect(url_for("progress.home"))
    form = ActivateForm()
    status, headers = 200, dict(NO_STORE)
    if form.validate_on_submit():
        ip = request.remote_addr or ""
        try:
            user = activation.redeem(
                form.nip.data, form.code.data, form.password.data, form.confirm_password.data, ip
            )
        except DomainError as exc:
            put_error(form, exc, "code")
            status = exc.status
            if isinstance(exc, services.LoginThrottled):
                headers["Retry-After"] = str(exc.retry_after)
        else:
            services.start_session(user, remember=False, user_agent=request.user_agent.string, ip=ip)
            _fresh_session()
            session.permanent = False
            login_user(user)
            flash(
                _("Welcome, %(name)s! Your password is set and you are signed in.", name=user.nama), "success"
            )
            return redirect(url_for("progress.home"))
    elif request.method == "POST":
        status = 400
    return (
        render_template("accounts/activate.html", form=form, min_length=services.MIN_PASSWORD_LENGTH),
        status,
        headers,
    )


# --- issuing ----------------------------------------------------------------------------


def _unit_choices(admin) -> list[SelectChoice]:
    return [SelectChoice("", _("Choose a unit"))] + [
        SelectChoice(str(unit_id), label)
        for unit_id, label in unit_options(admin)  # the tree, indented
    ]


@bp.route("/admin/aktivasi", methods=["GET", "POST"])
@login_required
@admin_required
def issue_codes():
    """Activation codes for a unit or a list of NIPs; the answer is the sheet itself."""
    form = IssueForm()
    form.unit.choices = _unit_choices(current_user)
    if form.validate_on_submit():
        req = activation.IssueRequest(
            unit_id=form.unit.data,
            with_subunits=form.with_subunits.data,
            nips_text=form.nips.data or "",
            only_without_account=form.only_without_account.data,
        )
        try:
            selection, issued = activation.issue_for(current_user, req)
        except DomainError as exc:
            put_error(form, exc, "unit")
        else:
            mailed = []
            if form.by_email.data:
                mailed, issued = activation.mail_codes(issued)
            return _sheet(issued, form.format.data, selection, mailed=len(mailed))
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "accounts/codes.html", form=form, max_people=activation.MAX_PER_ISSUE, can_mail=mail_configured()
        ),
        status,
    )


@bp.post("/admin/aktivasi/unduh")
@login_required
@admin_required
def download_codes():
    """The sheet just issued, again as XLSX or PDF: its codes come back in the POST body and
    only those whose hash is stored (valid, unused, the admin's people) are written."""
    pairs = [tuple(item.split(":", 1)) for item in request.form.getlist("kode") if ":" in item]
    issued = activation.verify_issued(pairs, current_user)
    if not issued:
        raise DomainError(_("These codes are no longer valid: issue new ones."))
    return _sheet(issued, request.form.get("format", "xlsx"))


def _steps() -> tuple[str, str, str]:
    return (
        _("Open %(url)s on a phone or computer.", url=activation.activation_url()),
        _("Enter your NIP and this code (with or without dashes)."),
        _(
            "Choose a password of at least %(n)d characters. You are then signed in.",
            n=services.MIN_PASSWORD_LENGTH,
        ),
    )


def _sheet(
    issued: list[activation.IssuedCode],
    fmt: str,
    selection: activation.Selection | None = None,
    *,
    mailed: int = 0,
):
    fmt = fmt if fmt in FORMATS else "page"
    if mailed and not issued:
        fmt = "page"  # everyone got an email: say so instead of an empty file
    if fmt == "xlsx":
        return download([_xlsx_sheet(issued)], "kode-aktivasi", "xlsx")
    if fmt == "pdf":
        return Response(
            sheet_pdf(_slips(issued), _wording()),
            mimetype="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="kode-aktivasi.pdf"', **NO_STORE},
        )
    return (
        render_template(
            "accounts/codes_sheet.html",
            issued=issued,
            mailed=mailed,
            selection=selection,
            url=activation.activation_url(),
            steps=_steps(),
        ),
        200,
        NO_STORE,
    )


def _slips(issued) -> list[Slip]:
    return [
        Slip(c.person.nama, c.person.nip, c.person.unit, c.shown, format_moment(c.expires_at)) for c in issued
    ]


def _wording() -> Wording:
    return Wording(
        title=_("Account activation - ASN Learning"),
        nip=_("NIP"),
        unit=_("Unit"),
        code=_("Your one-time code:"),
        open_at=_("Open %(url)s", url=activation.activation_url()),
        valid_until=_("Valid until"),
        steps=_steps(),
    )


def _xlsx_sheet(issued) -> Sheet:
    return Sheet(
        _("Activation codes"),
        [_("Name"), _("NIP"), _("Unit"), _("Code"), _("Address"), _("Valid until")],
        [
            [
                c.person.nama,
                NipCell(c.person.nip),
                c.person.unit,
                c.shown,
                activation.activation_url(),
                format_moment(c.expires_at),
            ]
            for c in issued
        ],
    )


# --- one employee's reset code ----------------------------------------------------------


def _reset_panel(pegawai, viewer):
    """On the employee's admin page, for admins who run the employee's unit."""
    if not manages_unit(viewer, pegawai.unit_id):
        return None
    user, pending = activation.account_state(pegawai.id)
    return "accounts/_reset_panel.html", {
        "reset_panel": {
            "pegawai": pegawai,
            "activated": bool(user and user.password_hash),
            "pending": pending,
            "by_email": mail_configured() and bool(pegawai.email),
            "email": activation.mask_email(pegawai.email) if pegawai.email else None,
            "blocked": bool(user and user.is_admin and managed_unit_ids(viewer) is not None),
            "inactive": not pegawai.aktif or bool(user and not user.active),
        }
    }


register_employee_panel(_reset_panel)


@bp.post("/admin/pegawai/<nip>/kode-reset")
@login_required
@admin_required
def reset_code(nip: str):
    """A code for one employee: emailed when possible, else shown here once."""
    back = safe_next(request.form.get("next"), url_for("org.employee", nip=nip))
    try:
        person = activation.person_for(current_user, nip)
        if person is None:
            abort(404)
        outcome = activation.make_reset_code(current_user, person)
    except DomainError as exc:
        flash_error(exc)
        return redirect(back)
    if outcome.sent_to:
        flash(_("The code was sent to %(address)s.", address=outcome.sent_to), "success")
        return redirect(back)
    return (
        render_template(
            "accounts/codes_reset.html",
            issued=outcome.issued,
            mailed=mail_configured() and bool(person.email),
            url=activation.activation_url(),
            steps=_steps(),
            back=back,
        ),
        200,
        NO_STORE,
    )
