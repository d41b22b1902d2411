"""Pages of the trainer's editor. Every route asks ``editable_course`` first: admins edit
every course, a trainer only those he owns."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from lms.authoring import services
from lms.authoring.forms import (
    COMPETENCY_ROWS,
    DetailsForm,
    ModuleForm,
    NewCourseForm,
    NewModuleForm,
    OwnerForm,
    UploadForm,
)
from lms.catalog.publishing import NotPublishable, draft_modules, problems, working_copy
from lms.catalog.services import editable_course, media_html
from lms.core.errors import DomainError, ForbiddenError
from lms.core.forms import flash_error, put_error
from lms.core.markdown import render
from lms.core.web import int_arg, safe_next

bp = Blueprint("authoring", __name__, url_prefix="/ampu", template_folder="templates")

# The sections of a course's editor, in the order its sub-navigation shows them. Other
# packages (reports) add theirs with ``register_section``.
SECTIONS: list[tuple[str, object]] = []


def register_section(endpoint: str, label) -> None:
    SECTIONS.append((endpoint, label))


@bp.before_request
@login_required
def _trainers_only():
    """Only trainers and admins have an editor; the ownership check is per course."""
    if not (current_user.is_admin or current_user.is_pengajar):
        raise ForbiddenError()


@bp.app_context_processor
def _editor_sections():
    def editor_sections():
        return [(e, label) for e, label in SECTIONS if e in current_app.view_functions]

    def has_endpoint(name: str) -> bool:
        return name in current_app.view_functions

    return {"editor_sections": editor_sections, "has_endpoint": has_endpoint}


register_section("authoring.course", _l("Course"))
register_section("authoring.preview", _l("Preview"))
register_section("authoring.bank", _l("Question bank"))
register_section("authoring.quiz", _l("Quiz"))


def _me() -> int:
    return current_user.pegawai_id


def _status() -> int:
    return 400 if request.method == "POST" else 200


# --- a new course --------------------------------------------------------------------------


@bp.route("/baru", methods=["GET", "POST"])
def new_course():
    form = NewCourseForm()
    if form.validate_on_submit():
        try:
            kursus = services.new_course(form.title.data, current_user.pegawai)
        except DomainError as exc:
            put_error(form, exc, "title")
        else:
            flash(_("Course created as a draft. Add its modules, then publish it."), "success")
            return redirect(url_for(".course", slug=kursus.slug))
    return render_template("authoring/new_course.html", form=form), _status()


# --- the course's details, modules, files and owners ---------------------------------------


def _details_form(kursus, formdata=None) -> DetailsForm:
    draf = working_copy(kursus)
    form = DetailsForm(formdata=formdata, obj=None if formdata else draf, revision=draf.revision)
    if not formdata:
        rows = list(draf.competencies or [])
        form.competencies.entries = []
        for row in rows + [{"code": "", "level": 2}] * max(1, COMPETENCY_ROWS - len(rows)):
            form.competencies.append_entry({"code": row["code"], "level": str(row["level"])})
        form.minutes.data = draf.minutes or None
    none = SelectChoice("", _("— none —"))
    choices = [none] + [SelectChoice(code, f"{code} · {name}") for code, name in services.dictionary()]
    for row in form.competencies:
        row.form.code.choices = choices
    pictures = [n for n, info in (draf.media_info or {}).items() if info.get("kind") != "pdf"]
    form.cover.choices = [none] + [SelectChoice(n, n) for n in sorted(pictures)]
    return form


def _course_page(kursus, form=None, **forms):
    return render_template(
        "authoring/course.html",
        kursus=kursus,
        draf=working_copy(kursus),
        form=form or _details_form(kursus),
        modules=draft_modules(kursus.id),
        new_module=forms.get("new_module") or NewModuleForm(prefix="baru"),
        upload=forms.get("upload") or UploadForm(back=url_for(".course", slug=kursus.slug)),
        owner_form=forms.get("owner_form") or OwnerForm(),
        problems=problems(kursus),
        snippet=services.snippet,
    )


@bp.get("/<slug>")
def course(slug):
    return _course_page(editable_course(current_user, slug))


@bp.post("/<slug>")
def save_details(slug):
    kursus = editable_course(current_user, slug)
    form = _details_form(kursus, request.form)
    if form.validate():
        rows = [
            {"code": row.form.code.data, "level": int_arg(row.form.level.data) or 0}
            for row in form.competencies
            if row.form.code.data
        ]
        details = services.Details(
            title=form.title.data,
            summary=form.summary.data or "",
            description_md=form.description_md.data or "",
            audience=form.audience.data or "",
            jp=form.jp.data or 0,
            minutes=form.minutes.data or 0,
            cover=form.cover.data or "",
            competencies=rows,
        )
        try:
            services.save_details(kursus, details, int_arg(form.revision.data) or 0, _me())
        except DomainError as exc:
            put_error(form, exc, "title")
        else:
            flash(_("Saved. Learners see it once you publish."), "success")
            return redirect(url_for(".course", slug=slug))
    return _course_page(kursus, form), 400


@bp.post("/<slug>/modul")
def add_module(slug):
    kursus = editable_course(current_user, slug)
    form = NewModuleForm(prefix="baru")
    if form.validate_on_submit():
        try:
            modul = services.add_module(kursus, form.title.data, _me())
        except DomainError as exc:
            put_error(form, exc, "title")
        else:
            return redirect(url_for(".module", slug=slug, modul_id=modul.id))
    return _course_page(kursus, new_module=form), 400


@bp.post("/<slug>/modul/<int:modul_id>/pindah")
def move_module(slug, modul_id):
    kursus = editable_course(current_user, slug)
    services.move_module(
        kursus, services.get_module(kursus, modul_id), -1 if request.form.get("arah") == "naik" else 1
    )
    return redirect(url_for(".course", slug=slug) + "#modul")


@bp.post("/<slug>/modul/<int:modul_id>/hapus")
def remove_module(slug, modul_id):
    kursus = editable_course(current_user, slug)
    modul = services.get_module(kursus, modul_id)
    services.remove_module(kursus, modul)
    flash(
        _(
            "Module “%(title)s” removed from the working copy; learners keep it until you publish.",
            title=modul.title,
        ),
        "success",
    )
    return redirect(url_for(".course", slug=slug) + "#modul")


@bp.post("/<slug>/berkas")
def upload(slug):
    kursus = editable_course(current_user, slug)
    form = UploadForm()
    back = safe_next(form.back.data, url_for(".course", slug=slug))
    if form.validate_on_submit():
        try:
            uploaded = services.upload_media(
                kursus, form.file.data.filename, form.file.data.read(), form.alt.data
            )
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(
                _(
                    "Uploaded as %(name)s. Paste this into the text where it belongs: %(snippet)s",
                    name=uploaded.name,
                    snippet=uploaded.snippet,
                ),
                "success",
            )
            return redirect(back)
    else:
        db_errors = [e for errors in form.errors.values() for e in errors]
        flash(" ".join(str(e) for e in db_errors) or _("Choose a file."), "error")
    return redirect(back)


@bp.post("/<slug>/berkas/<name>/hapus")
def remove_media(slug, name):
    kursus = editable_course(current_user, slug)
    try:
        services.remove_media(kursus, name)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("%(name)s removed.", name=name), "success")
    return redirect(url_for(".course", slug=slug) + "#berkas")


@bp.post("/<slug>/pemilik")
def add_owner(slug):
    kursus = editable_course(current_user, slug)
    form = OwnerForm()
    if form.validate_on_submit():
        try:
            pegawai = services.add_owner(kursus, form.nip.data)
        except DomainError as exc:
            put_error(form, exc, "nip")
        else:
            flash(_("%(name)s now owns this course too.", name=pegawai.nama), "success")
            return redirect(url_for(".course", slug=slug) + "#pemilik")
    return _course_page(kursus, owner_form=form), 400


@bp.post("/<slug>/pemilik/<int:pegawai_id>/hapus")
def remove_owner(slug, pegawai_id):
    kursus = editable_course(current_user, slug)
    try:
        services.remove_owner(kursus, pegawai_id)
    except DomainError as exc:
        flash_error(exc)
    return redirect(url_for(".course", slug=slug) + "#pemilik")


@bp.post("/<slug>/terbitkan")
def publish(slug):
    kursus = editable_course(current_user, slug)
    try:
        published = services.publish_course(kursus, _me())
    except NotPublishable as exc:
        flash_error(exc)
        return redirect(url_for(".course", slug=slug) + "#terbit")
    if published is None:
        flash(_("Published. Nothing had changed since version %(v)d.", v=kursus.version), "success")
    else:
        flash(_("Version %(v)d published. Learners keep their progress.", v=published.version), "success")
    return redirect(url_for(".course", slug=slug))


@bp.post("/<slug>/tarik")
def withdraw(slug):
    kursus = editable_course(current_user, slug)
    services.withdraw_course(kursus)
    flash(_("The course is a draft again: it left the catalogue. Learners' records stay."), "success")
    return redirect(url_for(".course", slug=slug))


# --- a module ------------------------------------------------------------------------------


def _module_page(kursus, modul, form, status=200):
    body = form.body_md.data or ""
    return render_template(
        "authoring/module.html",
        kursus=kursus,
        modul=modul,
        form=form,
        preview=_preview_html(kursus, body),
        media=sorted((working_copy(kursus).media_info or {}).items()),
        snippet=services.snippet,
    ), status


def _preview_html(kursus, body_md: str) -> Markup:
    draf = working_copy(kursus)
    return media_html(render(body_md).html, draf.media or {}, draf.media_info or {})


@bp.get("/<slug>/modul/<int:modul_id>")
def module(slug, modul_id):
    kursus = editable_course(current_user, slug)
    modul = services.get_module(kursus, modul_id)
    return _module_page(kursus, modul, ModuleForm(obj=modul, revision=modul.revision))


@bp.post("/<slug>/modul/<int:modul_id>")
def save_module(slug, modul_id):
    kursus = editable_course(current_user, slug)
    modul = services.get_module(kursus, modul_id)
    form = ModuleForm()
    action = request.form.get("aksi")
    if action == "pratinjau" and form.validate_on_submit():
        return _module_page(kursus, modul, form)
    if form.validate_on_submit():
        try:
            body = form.body_md.data or ""
            if action == "unggah":
                body = _with_upload(kursus, form, body)
            services.save_module(
                kursus, modul, form.title.data, body, int_arg(form.revision.data) or 0, _me()
            )
        except DomainError as exc:
            put_error(form, exc, "body_md")
        else:
            flash(_("Saved. Learners see it once you publish."), "success")
            return redirect(url_for(".module", slug=slug, modul_id=modul_id))
    return _module_page(kursus, modul, form, 409 if form.revision.errors else 400)


def _with_upload(kursus, form: ModuleForm, body: str) -> str:
    """The module's text with the uploaded file's Markdown added at its end."""
    upload = form.file.data
    if not upload or not upload.filename:
        raise DomainError(_("Choose a file."), field="file")
    uploaded = services.upload_media(kursus, upload.filename, upload.read(), form.alt.data)
    return f"{body.rstrip()}\n\n{uploaded.snippet}\n"


@bp.post("/<slug>/pratinjau-teks")
def render_preview(slug):
    """The editor's script asks for the preview of what is being typed: rendered and
    sanitised here, exactly as learners will get it. Nothing is saved."""
    kursus = editable_course(current_user, slug)
    text = request.form.get("body_md", "")[: services.BODY_MAX]
    return render_template(
        "authoring/_preview.html",
        preview=_preview_html(kursus, text),
        problems=services.body_problems(kursus, text),
    )


from lms.authoring import bank_routes, package_routes, preview_routes  # noqa: E402,F401
