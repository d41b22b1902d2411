"""A trainer reads his working copy as a learner will: the course page, each module and the
quiz. A preview writes nothing (no enrolment, no progress, no attempt), so it never counts
in any report."""

from __future__ import annotations

import secrets

from flask import render_template, request
from flask_login import current_user

from lms.authoring.routes import _preview_html, bp
from lms.catalog.publishing import draft_modules, working_copy
from lms.catalog.services import editable_course
from lms.core.errors import NotFoundError
from lms.core.markdown import render
from lms.quizzes import grading
from lms.quizzes.part import has_quiz, preview_quiz


@bp.get("/<slug>/pratinjau")
def preview(slug):
    kursus = editable_course(current_user, slug)
    draf = working_copy(kursus)
    return render_template(
        "authoring/preview_course.html",
        kursus=kursus,
        draf=draf,
        description=render(draf.description_md).html if draf.description_md else "",
        modules=draft_modules(kursus.id),
        quiz=preview_quiz(kursus.id, seed="preview"),
    )


@bp.get("/<slug>/pratinjau/modul/<modul_slug>")
def preview_module(slug, modul_slug):
    kursus = editable_course(current_user, slug)
    modules = draft_modules(kursus.id)
    index = next((i for i, m in enumerate(modules) if m.slug == modul_slug), None)
    if index is None:
        raise NotFoundError()
    modul = modules[index]
    toc = render(modul.body_md).toc_html
    return render_template(
        "authoring/preview_module.html",
        kursus=kursus,
        modul=modul,
        position=index + 1,
        total=len(modules),
        body=_preview_html(kursus, modul.body_md),
        toc=toc,
        prev=modules[index - 1] if index > 0 else None,
        next=modules[index + 1] if index + 1 < len(modules) else None,
        has_quiz=has_quiz(kursus.id),
    )


@bp.route("/<slug>/pratinjau/kuis", methods=["GET", "POST"])
def preview_attempt(slug):
    """One draw of the quiz as a learner gets it; answering it shows how it would be graded.
    The draw's seed travels in the form, so the graded questions are the ones shown."""
    kursus = editable_course(current_user, slug)
    seed = (request.form.get("seed") or secrets.token_hex(8))[:32]
    quiz = preview_quiz(kursus.id, seed=seed)
    if quiz is None:
        raise NotFoundError()
    graded = None
    if request.method == "POST":
        answers = quiz.answers_from_form(request.form.to_dict(flat=False))
        graded = grading.grade([q for q, _options in quiz.laid_out], answers)
        quiz.answers = answers
    return render_template("authoring/preview_quiz.html", kursus=kursus, quiz=quiz, seed=seed, graded=graded)
