"""The admin's bulk import of units, positions and employees: upload a file, see what it
would change (nothing is written), confirm. The file waits in private storage between
the two steps, under a random token bound to the admin who uploaded it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice

from lms.core.errors import DomainError
from lms.core.export import check_format, download
from lms.core.forms import put_error
from lms.org import importer
from lms.org.routes import bp

KIND_LABELS = {"unit": _l("Units"), "jabatan": _l("Positions (jabatan)"), "pegawai": _l("Employees")}


class ImportForm(FlaskForm):
    kind = RadioField(
        _l("What the file holds"),
        choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()],
        default="pegawai",
        validate_choice=False,
    )
    file = FileField(_l("CSV or Excel (.xlsx) file"), validators=[FileRequired(_l("Choose a file."))])
    deactivate_missing = BooleanField(_l("Deactivate employees missing from the file"))


def _page(form, status=200, **context):
    max_bytes, max_rows = importer.limits()
    return render_template(
        "org/import.html",
        form=form,
        kinds=KIND_LABELS,
        columns=importer.COLUMNS,
        field_columns=importer.FIELD_COLUMNS,
        preview_rows=importer.PREVIEW_ROWS,
        max_mb=f"{max_bytes / 1024 / 1024:g}",
        max_rows=max_rows,
        delimiters={",": _("comma"), ";": _("semicolon"), "\t": _("tab")},
        **context,
    ), status


@bp.route("/impor", methods=["GET", "POST"])
def import_page():
    form = ImportForm(kind=request.args.get("jenis", "pegawai"))
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    max_bytes, _rows = importer.limits()
    upload = form.file.data
    try:
        outcome, token = importer.preview_upload(
            current_user,
            importer.check_kind(form.kind.data),
            upload.filename or "",
            upload.read(max_bytes + 1),
            bool(form.deactivate_missing.data),
        )
    except DomainError as exc:
        put_error(form, exc, "file")
        return _page(form, 400)
    status = 400 if outcome.errors else 200
    return _page(form, status, outcome=outcome, token=token, filename=upload.filename or "")


@bp.post("/impor/<token>")
def import_confirm(token):
    form = ImportForm()
    try:
        kept, outcome = importer.confirm_upload(current_user, token)
    except DomainError as exc:
        if exc.status == 404:
            raise
        put_error(form, exc, "file")
        return _page(form, 400)
    if outcome.errors:
        return _page(form, 400, outcome=outcome, token=None, filename=kept.filename)
    flash(
        _(
            "Imported %(file)s: %(created)d created, %(updated)d updated, %(deactivated)d deactivated, "
            "%(unchanged)d unchanged.",
            file=kept.filename,
            created=len(outcome.created),
            updated=len(outcome.updated),
            deactivated=len(outcome.deactivated),
            unchanged=outcome.unchanged,
        ),
        "success",
    )
    return redirect(url_for(".import_page", jenis=kept.kind))


@bp.get("/impor/templat/<kind>.<fmt>")
def import_template(kind, fmt):
    check_format(fmt)
    if kind not in importer.KINDS:
        raise DomainError(_("Not found."), status=404)
    return download([importer.template(kind)], f"templat-{kind}", fmt)
