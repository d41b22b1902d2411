"""Competency dictionary, position standards (admins), assessments (admins) and
development records outside the LMS (employees enter, supervisors and admins verify)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.access import admin_required, supervises_anyone
from lms.core.errors import DomainError, ForbiddenError, NotFoundError
from lms.core.forms import flash_error, put_error
from lms.core.time import local_today
from lms.core.web import int_arg, safe_next
from lms.extensions import db
from lms.org.models import Jabatan, Pegawai
from lms.org.services import find_by_nip
from lms.progress import development
from lms.progress.models import Pengembangan
from lms.storage import PRIVATE, StorageError, storage

from . import services
from .forms import JENIS_LABELS, AssessmentForm, DecisionForm, DevelopmentForm, choices
from .models import Kompetensi

bp = Blueprint("competencies", __name__, template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page here is for signed-in users."""


# --- dictionary ------------------------------------------------------------------------


@bp.get("/kompetensi")
def dictionary():
    return render_template("competencies/dictionary.html", entries=services.dictionary())


@bp.get("/kompetensi/<code>")
def entry(code):
    kompetensi = db.session.get(Kompetensi, code)
    if kompetensi is None:
        raise NotFoundError()
    return render_template("competencies/entry.html", k=kompetensi)


# --- position standards (admins) -------------------------------------------------------


@bp.get("/admin/standar")
@admin_required
def standards():
    positions = db.session.scalars(select(Jabatan).order_by(Jabatan.nama)).all()
    return render_template(
        "competencies/standards.html", positions=positions, counts=services.standard_counts()
    )


@bp.route("/admin/standar/<int:jabatan_id>", methods=["GET", "POST"])
@admin_required
def edit_standard(jabatan_id):
    jabatan = db.session.get(Jabatan, jabatan_id)
    if jabatan is None:
        raise NotFoundError()
    entries = services.dictionary()
    current = services.standards_for(jabatan.id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        levels: dict[str, int | None] = {}
        for k in entries:
            raw = request.form.get(f"level-{k.code}", "").strip()
            if raw in ("", "0"):
                levels[k.code] = None
            elif raw in ("1", "2", "3", "4", "5"):
                levels[k.code] = int(raw)
            else:
                errors[k.code] = _("The level must be between 1 and 5.")
        if not errors:
            try:
                services.set_standards(jabatan, levels)
            except DomainError as exc:
                errors[exc.field or ""] = exc.message
            else:
                flash(_("The standard for %(name)s is saved.", name=jabatan.nama), "success")
                return redirect(url_for(".standards"))
        current = {code: request.form.get(f"level-{code}", "") for code in (k.code for k in entries)}
    return render_template(
        "competencies/standard_edit.html", jabatan=jabatan, entries=entries, current=current, errors=errors
    ), (400 if errors else 200)


# --- formal assessments (admins) -------------------------------------------------------


def _pegawai_or_404(nip: str) -> Pegawai:
    pegawai = find_by_nip(nip)
    if pegawai is None:
        raise NotFoundError()
    return pegawai


@bp.route("/admin/asesmen/<nip>", methods=["GET", "POST"])
@admin_required
def assessment(nip):
    pegawai = _pegawai_or_404(nip)
    form = AssessmentForm()
    form.code.choices = choices((k.code, f"{k.code} {k.nama}") for k in services.dictionary())
    if form.validate_on_submit():
        try:
            services.record_assessment(
                pegawai.id,
                form.code.data,
                int_arg(form.level.data) or 0,
                form.held_on.data,
                current_user.pegawai_id,
                form.catatan.data or "",
            )
        except DomainError as exc:
            put_error(form, exc, "code")
        else:
            flash(_("The assessment is recorded."), "success")
            return redirect(url_for("reports.profile", nip=pegawai.nip))
    elif request.method == "GET":
        form.held_on.data = local_today()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "competencies/assessment.html",
        form=form,
        pegawai=pegawai,
        own=pegawai.id == current_user.pegawai_id,
        assessments=services.assessments_of(pegawai.id),
    ), status


@bp.post("/admin/asesmen/<nip>/<bukti_id>/hapus")
@admin_required
def delete_assessment(nip, bukti_id):
    """An assessment recorded in error goes, and the level it set is worked out again."""
    pegawai = _pegawai_or_404(nip)
    try:
        services.delete_assessment(pegawai.id, bukti_id, current_user.pegawai_id)
    except NotFoundError:
        raise
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("The assessment is deleted; the level is worked out again from the rest."), "success")
    return redirect(url_for(".assessment", nip=pegawai.nip))


# --- development outside the LMS -------------------------------------------------------


def _dictionary_choices():
    return choices([("", _("None"))] + [(k.code, f"{k.code} {k.nama}") for k in services.dictionary()])


@bp.route("/pengembangan", methods=["GET", "POST"])
def developments():
    form = DevelopmentForm()
    form.kompetensi_code.choices = _dictionary_choices()
    if form.validate_on_submit():
        upload = request.files.get(form.bukti.name)
        evidence = None
        if upload and upload.filename:
            evidence = development.EvidenceFile(upload.filename, upload.read())
        level = form.kompetensi_level.data
        data = development.DevelopmentInput(
            jenis=form.jenis.data,
            judul=form.judul.data,
            penyelenggara=form.penyelenggara.data,
            tanggal_mulai=form.tanggal_mulai.data,
            tanggal_selesai=form.tanggal_selesai.data,
            jp=form.jp.data,
            nomor_sertifikat=form.nomor_sertifikat.data or "",
            kompetensi_code=form.kompetensi_code.data or "",
            kompetensi_level=int_arg(level),
        )
        try:
            development.create(current_user.pegawai_id, data, evidence, services.known_codes())
        except DomainError as exc:
            put_error(form, exc, "judul")
        else:
            flash(_("Recorded. It counts toward your JP once your supervisor verifies it."), "success")
            return redirect(url_for(".developments"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "competencies/developments.html",
        form=form,
        records=development.records_of(current_user.pegawai_id),
        labels=JENIS_LABELS,
        max_mb=f"{current_app.config['EVIDENCE_MAX_BYTES'] / 1024 / 1024:g}",
        max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
    ), status


def _record_for_viewer(record_id: str) -> Pengembangan:
    """The record, if the viewer owns it or may verify it; otherwise the same 404."""
    record = development.get(record_id)
    if record.pegawai_id != current_user.pegawai_id and not development.may_verify(current_user, record):
        raise NotFoundError()
    return record


@bp.get("/pengembangan/<record_id>/bukti")
def evidence_file(record_id):
    record = _record_for_viewer(record_id)
    if not record.file_key:
        raise NotFoundError()
    extension = record.file_key.rsplit(".", 1)[-1]
    try:
        return storage().send(
            record.file_key, PRIVATE, filename=f"bukti-{record.id}.{extension}", content_type=record.file_type
        )
    except StorageError:
        raise NotFoundError() from None


@bp.post("/pengembangan/<record_id>/hapus")
def withdraw(record_id):
    record = _record_for_viewer(record_id)
    try:
        development.withdraw(record, current_user.pegawai_id)
    except NotFoundError:
        raise
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for(".developments"))
    flash(_("The record is deleted."), "success")
    return redirect(url_for(".developments"))


@bp.get("/pengembangan/verifikasi")
def to_verify():
    pending = development.pending_for(current_user)
    if not pending and not current_user.is_admin and not supervises_anyone(current_user):
        raise ForbiddenError()
    return render_template(
        "competencies/verify.html", pending=pending, labels=JENIS_LABELS, form=DecisionForm()
    )


@bp.post("/pengembangan/<record_id>/verifikasi")
def decide(record_id):
    record = development.get(record_id)
    if record.pegawai_id == current_user.pegawai_id:
        raise ForbiddenError()  # one's own record: known to them, never theirs to decide
    if not development.may_verify(current_user, record):
        raise NotFoundError()  # the same answer as for a record that does not exist
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The note is too long (at most 500 characters)."), "error")
        return redirect(url_for(".to_verify"))
    approve = request.form.get("action") == "verify"
    try:
        development.decide(
            record, verifier_id=current_user.pegawai_id, approve=approve, note=form.catatan.data or ""
        )
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for(".to_verify"))
    flash(_("Verified: the JP now count.") if approve else _("Rejected, with your note."), "success")
    return redirect(safe_next(request.form.get("next"), url_for(".to_verify")))
