"""Certificate download, the public verification page, and revocation by admins."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.access import admin_required
from lms.core.errors import DomainError, NotFoundError
from lms.core.forms import flash_error
from lms.org.agency import logo_bytes

from . import services
from .pdf import CertificateFields, certificate_pdf

bp = Blueprint("certificates", __name__, template_folder="templates")


def verify_url(code: str) -> str:
    """The public address of the check, from PUBLIC_BASE_URL: never from the request's Host
    header, which whoever sends the request chooses."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("certificates.verify", code=code)


def issuer_name(sertifikat) -> str:
    """The agency as the certificate carries it; older certificates, issued before the
    agency was set, name the CERTIFICATE_ISSUER setting."""
    return sertifikat.instansi_nama or current_app.config["CERTIFICATE_ISSUER"]


def _signatory(sertifikat) -> dict:
    issued = format_date(sertifikat.issued_at, "long")
    return {
        "place_date": f"{sertifikat.kota}, {issued}" if sertifikat.kota else "",
        "signer_position": sertifikat.penandatangan_jabatan or "",
        "signer_name": sertifikat.penandatangan_nama or "",
        "signer_nip_line": _("NIP %(nip)s", nip=sertifikat.penandatangan_nip)
        if sertifikat.penandatangan_nip
        else "",
    }


def _fields(sertifikat) -> CertificateFields:
    details = (
        ngettext("%(num)d JP", "%(num)d JP", sertifikat.jp)
        + " · "
        + _("completed %(date)s", date=format_date(sertifikat.completed_at, "long"))
    )
    if sertifikat.score is not None:
        details += " · " + _("score %(score)s", score=format_decimal(sertifikat.score))
    return CertificateFields(
        heading=_("CERTIFICATE"),
        subheading=_("of completion of an e-learning course"),
        awarded_to=_("awarded to"),
        name=sertifikat.nama,
        nip_line=_("NIP %(nip)s", nip=sertifikat.nip),
        for_completing=_("for successfully completing the course"),
        course_title=sertifikat.kursus_title,
        details=details,
        issuer=issuer_name(sertifikat),
        issued_line=_("Issued %(date)s", date=format_date(sertifikat.issued_at, "long")),
        code_label=_("Verification code"),
        code=services.display_code(sertifikat.code),
        verify_url=verify_url(sertifikat.code),
        verify_hint=_("Scan the QR code or open the address to check that this certificate is genuine."),
        logo=logo_bytes(sertifikat.logo_key),
        issued_at=sertifikat.issued_at,
        **_signatory(sertifikat),
    )


@bp.get("/sertifikat/<code>.pdf")
@login_required
def pdf(code):
    sertifikat = services.visible_by_code(code, current_user)
    response = Response(certificate_pdf(_fields(sertifikat)), mimetype="application/pdf")
    name = f"sertifikat-{services.display_code(sertifikat.code)}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/verifikasi")
def verify_form():
    raw = request.args.get("kode", "").strip()
    error = None
    if raw:
        code = services.normalise_code(raw)
        if code:
            return redirect(url_for(".verify", code=code))
        error = _("A verification code has 12 letters and digits, like 7KQ4-M2XD-9PTA.")
    return render_template("certificates/verify_form.html", raw=raw, error=error), (400 if error else 200)


@bp.get("/verifikasi/<code>")
def verify(code):
    try:
        sertifikat = services.by_code(code)
    except NotFoundError as exc:
        response = render_template("certificates/verify_form.html", raw=code, error=exc.message)
        return response, 404, {"X-Robots-Tag": "noindex"}
    return render_template(
        "certificates/verify.html",
        s=sertifikat,
        code=services.display_code(sertifikat.code),
        issuer=issuer_name(sertifikat),
    ), {"X-Robots-Tag": "noindex"}


@bp.get("/admin/sertifikat")
@login_required
@admin_required
def admin_list():
    query = request.args.get("q", "")
    return render_template(
        "certificates/admin.html",
        certificates=services.search(query, current_user),
        q=query,
        display=services.display_code,
        issuer=issuer_name,
    )


@bp.post("/admin/sertifikat/<code>/cabut")
@login_required
@admin_required
def revoke(code):
    sertifikat = services.visible_by_code(code, current_user)
    try:
        services.revoke(
            sertifikat, by_pegawai_id=current_user.pegawai_id, reason=request.form.get("reason", "")
        )
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("Certificate %(code)s is revoked.", code=services.display_code(sertifikat.code)), "success")
    return redirect(url_for(".admin_list", q=services.display_code(sertifikat.code)))


@bp.post("/admin/sertifikat/<code>/pulihkan")
@login_required
@admin_required
def restore(code):
    sertifikat = services.visible_by_code(code, current_user)
    try:
        services.restore(sertifikat)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for(".admin_list", q=services.display_code(sertifikat.code)))
    flash(_("Certificate %(code)s is valid again.", code=services.display_code(sertifikat.code)), "success")
    return redirect(url_for(".admin_list", q=services.display_code(sertifikat.code)))
