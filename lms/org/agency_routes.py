"""The agency's settings page: name, city, the official who signs certificates, the logo.

For admins of the whole agency only: an admin limited to a unit (``admin_unit_id``)
runs that unit, not what every certificate of the agency says.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField

from lms.core.errors import DomainError, ForbiddenError
from lms.core.forms import put_error
from lms.org import agency
from lms.org.routes import bp
from lms.org.services import whole_agency
from lms.storage import PREVIEW, StorageError, storage


class AgencyForm(FlaskForm):
    """Lengths and the NIP are checked by the service, whose messages speak the user's language."""

    nama = StringField(_l("Name of the agency"))
    kota = StringField(_l("City"))
    penandatangan_nama = StringField(_l("Name of the official"))
    penandatangan_nip = StringField(_l("NIP of the official"), render_kw={"inputmode": "numeric"})
    penandatangan_jabatan = StringField(_l("Position"))


class LogoForm(FlaskForm):
    logo = FileField(
        _l("Logo (PNG or JPEG)"),
        validators=[FileRequired(message=_l("Choose the picture of the logo."))],
        render_kw={"accept": ".png,.jpg,.jpeg,image/png,image/jpeg"},
    )


class RemoveLogoForm(FlaskForm):
    pass


def _whole_agency_admin() -> None:
    if not whole_agency(current_user):
        raise ForbiddenError(_("The agency's settings are for admins of the whole agency."))


def _page(form: AgencyForm | None = None, logo_form: LogoForm | None = None, status: int = 200):
    instansi = agency.get_instansi()
    if form is None:
        form = AgencyForm(obj=instansi)
    has_errors = bool(form.errors) or bool(logo_form and logo_form.errors)
    return render_template(
        "org/agency.html",
        instansi=instansi,
        form=form,
        logo_form=logo_form or LogoForm(formdata=None),
        remove_form=RemoveLogoForm(formdata=None),
        max_bytes=agency.LOGO_MAX_BYTES,
    ), (400 if has_errors else status)


@bp.get("/instansi")
def agency_settings():
    _whole_agency_admin()
    return _page()


@bp.post("/instansi")
def save_agency():
    _whole_agency_admin()
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            agency.update_instansi(
                nama=form.nama.data,
                kota=form.kota.data,
                penandatangan_nama=form.penandatangan_nama.data,
                penandatangan_nip=form.penandatangan_nip.data,
                penandatangan_jabatan=form.penandatangan_jabatan.data,
            )
        except DomainError as exc:
            put_error(form, exc, "nama")
        else:
            flash(
                _("The agency's settings are saved. Certificates issued from now on carry them."), "success"
            )
            return redirect(url_for(".agency_settings"))
    return _page(form=form, status=400)


@bp.post("/instansi/logo")
def upload_logo():
    _whole_agency_admin()
    form = LogoForm()
    if form.validate_on_submit():
        try:
            agency.set_logo(form.logo.data.filename or "", form.logo.data.read())
        except DomainError as exc:
            put_error(form, exc, "logo")
        else:
            flash(_("The logo is saved. Certificates issued from now on carry it."), "success")
            return redirect(url_for(".agency_settings"))
    return _page(logo_form=form, status=400)


@bp.post("/instansi/logo/hapus")
def remove_logo():
    _whole_agency_admin()
    if RemoveLogoForm().validate_on_submit():
        agency.remove_logo()
        flash(_("The logo is removed. Certificates already issued keep theirs."), "success")
    return redirect(url_for(".agency_settings"))


@bp.get("/instansi/logo")
def agency_logo():
    """The current logo, for the settings page."""
    _whole_agency_admin()
    key = agency.get_instansi().logo_key
    if not key:
        abort(404)
    content_type = "image/png" if key.endswith(".png") else "image/jpeg"
    try:
        return storage().send(key, PREVIEW, content_type=content_type)
    except StorageError:
        abort(404)
