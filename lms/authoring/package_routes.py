"""A course as a package (a zip of the kursus/ folder format): downloaded from its editor,
uploaded on another agency's instance."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.authoring.forms import PackageForm
from lms.authoring.packages import PackageRefused, export_zip, import_zip, package_name
from lms.authoring.routes import bp
from lms.catalog.services import editable_course
from lms.core.forms import put_error
from lms.storage import content_disposition


@bp.get("/<slug>/paket.zip")
def export_package(slug):
    kursus = editable_course(current_user, slug)
    response = Response(export_zip(kursus), mimetype="application/zip")
    response.headers["Content-Disposition"] = content_disposition(package_name(kursus))
    return response


@bp.route("/impor", methods=["GET", "POST"])
def import_package():
    form = PackageForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcomes = import_zip(upload.filename or "paket.zip", upload.read(), by_user=current_user)
        except PackageRefused as exc:
            put_error(form, exc, "file")
            errors = exc.errors
        else:
            words = {"created": _("created"), "updated": _("updated"), "unchanged": _("unchanged")}
            flash(
                _("Imported: %(list)s.", list=", ".join(f"{slug} ({words[o]})" for slug, o in outcomes)),
                "success",
            )
            return redirect(url_for(".course", slug=outcomes[0][0]))
    return render_template("authoring/import_package.html", form=form, errors=errors), (
        400 if form.is_submitted() else 200
    )
