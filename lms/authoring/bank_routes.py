"""Pages of the question bank (questions, Moodle import, GIFT export) and of the quiz
settings. Every page asks ``editable_course`` first; the blueprint lets in only trainers
and admins."""

from __future__ import annotations

import re

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.authoring.bank_forms import (
    MORE_ROWS,
    NEW_ROWS,
    ROWS_OF,
    TYPE_LABELS,
    ImportForm,
    Problem,
    QuestionForm,
    QuizForm,
    pad_rows,
    place_errors,
    question_data,
    read_question,
    read_settings,
    settings_data,
)
from lms.authoring.routes import bp
from lms.catalog.services import editable_course
from lms.core.errors import DomainError, NotFoundError
from lms.core.web import int_arg
from lms.quizzes import bank as question_bank
from lms.quizzes.part import to_raw
from lms.quizzes.questions import FieldError, InvalidQuestion

# --- the bank ----------------------------------------------------------------------------


@bp.get("/<slug>/soal")
def bank(slug):
    kursus = editable_course(current_user, slug)
    tag = request.args.get("tag", "").strip()[:40] or None
    q = request.args.get("q", "").strip()[:100]
    tags = question_bank.tags_of(kursus.id)
    questions = question_bank.questions_of(kursus.id, tag, q)
    total = len(question_bank.questions_of(kursus.id)) if tag or q else len(questions)
    return render_template(
        "authoring/bank.html",
        kursus=kursus,
        questions=questions,
        total=total,
        tags=tags,
        tag=tag,
        q=q,
        filtered=bool(tag or q),
        types=TYPE_LABELS,
        excerpt=question_bank.excerpt,
    )


def _pad(form: QuestionForm, kind: str, *, extra: int = 0) -> None:
    if kind in ROWS_OF:
        name = ROWS_OF[kind]
        pad_rows(getattr(form, name), NEW_ROWS[name], extra)


def _question_page(
    kursus, kind: str, form: QuestionForm, soal=None, *, problems=(), conflict=None, theirs=None, status=200
):
    return render_template(
        "authoring/bank_question.html",
        kursus=kursus,
        kind=kind,
        kind_label=TYPE_LABELS[kind],
        form=form,
        soal=soal,
        problems=problems,
        conflict=conflict,
        theirs=theirs,
    ), status


def _save_question(kursus, kind: str, form: QuestionForm, soal=None):
    """The POST of the question form: more rows, or save; the page again when nothing was saved."""
    if "more" in request.form:
        _pad(form, kind, extra=MORE_ROWS)
        return _question_page(kursus, kind, form, soal)
    raw = read_question(form, kind)
    try:
        if soal is None:
            saved = question_bank.add_question(kursus.id, raw, current_user.pegawai_id)
        else:
            saved = question_bank.update_question(
                soal.id, kursus.id, raw, int_arg(form.revision.data) or 0, current_user.pegawai_id
            )
    except InvalidQuestion as exc:
        problems = place_errors(form, kind, exc.errors, "text")
    except DomainError as exc:
        if exc.field == "revision" and soal is not None:
            return _conflict_page(kursus, kind, form, soal, exc)
        problems = place_errors(form, kind, [FieldError(exc.field, exc.message)], "text")
    else:
        flash(_("Question %(key)s is saved.", key=saved.key), "success")
        return redirect(url_for(".bank", slug=kursus.slug, _anchor=f"soal-{saved.id}"))
    _pad(form, kind)
    return _question_page(kursus, kind, form, soal, problems=problems, status=400)


def _conflict_page(kursus, kind, form, soal, exc):
    """His text stays in the form; theirs is shown beside it, and the form now names their
    revision, so saving again replaces theirs knowingly."""
    current = question_bank.get_question(soal.id, kursus.id)
    form.revision.data = str(current.revision)
    _pad(form, kind)
    theirs = to_raw(question_bank.as_question(current))
    problems = [Problem("conflict", exc.message)]
    return _question_page(
        kursus, kind, form, soal, problems=problems, conflict=exc.message, theirs=theirs, status=409
    )


@bp.route("/<slug>/soal/baru", methods=["GET", "POST"])
def new_question(slug):
    kursus = editable_course(current_user, slug)
    kind = request.args.get("jenis", "")
    if kind not in TYPE_LABELS:
        raise NotFoundError()
    form = QuestionForm()
    if form.is_submitted():
        return _save_question(kursus, kind, form)
    form.format.data = "markdown"
    form.partial.data = kind == "matching"  # as the rules default it
    _pad(form, kind)
    return _question_page(kursus, kind, form)


@bp.route("/<slug>/soal/<int:soal_id>", methods=["GET", "POST"])
def edit_question(slug, soal_id):
    kursus = editable_course(current_user, slug)
    soal = question_bank.get_question(soal_id, kursus.id)
    if request.method == "POST":
        return _save_question(kursus, soal.type, QuestionForm(), soal)
    form = QuestionForm(data=question_data(to_raw(question_bank.as_question(soal))))
    form.revision.data = str(soal.revision)
    _pad(form, soal.type, extra=2)
    return _question_page(kursus, soal.type, form, soal)


@bp.post("/<slug>/soal/<int:soal_id>/hapus")
def delete_question(slug, soal_id):
    kursus = editable_course(current_user, slug)
    soal = question_bank.get_question(soal_id, kursus.id)
    key = soal.key
    question_bank.delete_question(soal.id, kursus.id)
    flash(
        _("Question %(key)s is deleted from the bank. Published quiz versions keep it.", key=key), "success"
    )
    return redirect(url_for(".bank", slug=kursus.slug))


@bp.post("/<slug>/soal/<int:soal_id>/pindah")
def move_question(slug, soal_id):
    kursus = editable_course(current_user, slug)
    arah = request.form.get("arah", "")
    question_bank.move_question(soal_id, kursus.id, {"naik": "up", "turun": "down"}.get(arah, arah))
    return redirect(url_for(".bank", slug=kursus.slug, _anchor=f"soal-{soal_id}"))


# --- Moodle -----------------------------------------------------------------------------


@bp.route("/<slug>/soal/impor", methods=["GET", "POST"])
def import_questions(slug):
    kursus = editable_course(current_user, slug)
    form = ImportForm()
    result, errors, status = None, [], 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = question_bank.import_questions(
                kursus.id,
                upload.filename or "",
                upload.read(question_bank.import_limit() + 1),
                tag=form.tag.data,
                skip_unsupported=bool(form.skip_unsupported.data),
                by=current_user.pegawai_id,
            )
        except question_bank.ImportRefused as exc:
            form.file.errors = [exc.message]
            errors = exc.errors
        except DomainError as exc:
            form.file.errors = [exc.message]
        else:
            n, skipped = len(result.added), len(result.skipped)
            flash(
                ngettext(
                    "%(num)d question imported, %(skipped)d skipped.",
                    "%(num)d questions imported, %(skipped)d skipped.",
                    n,
                    skipped=skipped,
                ),
                "success",
            )
    if form.is_submitted() and result is None:
        status = 400
    return render_template(
        "authoring/bank_import.html",
        kursus=kursus,
        form=form,
        errors=errors,
        result=result,
        max_mb=f"{question_bank.import_limit() / 1024 / 1024:g}",
    ), status


@bp.get("/<slug>/soal.gift")
def export_gift(slug):
    kursus = editable_course(current_user, slug)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", kursus.slug).strip("-") or "kursus"
    return Response(
        question_bank.export_gift(kursus.id),
        mimetype="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{stem}-soal.gift"',
            # The answer keys are in it.
            "Cache-Control": "private, no-store",
        },
    )


# --- quiz settings -----------------------------------------------------------------------


@bp.route("/<slug>/kuis", methods=["GET", "POST"])
def quiz(slug):
    kursus = editable_course(current_user, slug)
    setelan = question_bank.quiz_settings(kursus.id)
    if request.method == "GET":
        form = QuizForm(data=settings_data(setelan))
        pad_rows(form.draw, NEW_ROWS["draw"], 1)
        return _quiz_page(kursus, form)
    form = QuizForm()
    if "more" in request.form:
        pad_rows(form.draw, NEW_ROWS["draw"], MORE_ROWS)
        return _quiz_page(kursus, form)
    if not form.validate():
        problems = [Problem(f.id, e) for f in form if f.type != "FieldList" for e in f.errors]
        return _quiz_page(kursus, form, problems=problems, status=400)
    values = read_settings(form)
    try:
        question_bank.save_quiz_settings(
            kursus.id, values, int_arg(form.revision.data) or 0, current_user.pegawai_id
        )
    except question_bank.InvalidSettings as exc:
        return _quiz_page(kursus, form, problems=place_errors(form, "quiz", exc.errors, "title"), status=400)
    except DomainError as exc:
        if exc.field != "revision":
            raise
        # Their revision goes into the form: saving again replaces theirs knowingly.
        form.revision.data = str(question_bank.quiz_settings(kursus.id).revision)
        return _quiz_page(
            kursus, form, problems=[Problem("conflict", exc.message)], conflict=exc.message, status=409
        )
    flash(_("The quiz settings are saved. Publish the course to give them to learners."), "success")
    return redirect(url_for(".quiz", slug=kursus.slug))


def _quiz_page(kursus, form: QuizForm, *, problems=(), conflict=None, status=200):
    pad_rows(form.draw, NEW_ROWS["draw"])
    return render_template(
        "authoring/quiz_settings.html",
        kursus=kursus,
        form=form,
        tags=question_bank.tags_of(kursus.id),
        bank_size=len(question_bank.questions_of(kursus.id)),
        problems=problems,
        conflict=conflict,
    ), status
