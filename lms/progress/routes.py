"""The learner's pages: home, catalogue, course, module, quiz, result."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.access import can_preview_drafts
from lms.catalog.models import Modul
from lms.catalog.services import module_html
from lms.core.errors import DomainError, NotFound
from lms.core.time import local_today
from lms.extensions import db
from lms.progress import services
from lms.quizzes import services as quizzes

bp = Blueprint("progress", __name__, template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page here is for a signed-in learner."""


def _me() -> int:
    return current_user.pegawai_id


def _course(slug: str):
    return services.visible_course(slug, preview=can_preview_drafts(current_user))


@bp.get("/")
def home():
    courses = services.my_courses(_me())
    year = local_today().year
    return render_template(
        "progress/home.html",
        active=[c for c in courses if not c.completion],
        done=[c for c in courses if c.completion],
        jp=services.jp_in_year(_me(), year),
        jp_target=services.jp_target(),
        year=year,
    )


@bp.get("/katalog")
def catalogue():
    mine = {c.kursus.id: c for c in services.my_courses(_me())}
    return render_template("progress/catalogue.html", courses=services.published_courses(), mine=mine)


@bp.get("/kursus/<slug>")
def course(slug):
    kursus = _course(slug)
    me = _me()
    kuis = quizzes.quiz_for_course(kursus.id)
    quiz = quizzes.status_of(me, kuis) if kuis else None
    db.session.commit()  # status_of may have closed an attempt whose time ran out
    return render_template(
        "progress/course.html",
        kursus=kursus,
        enrolment=services.enrolment_for(me, kursus.id),
        done=services.done_module_ids(me, kursus.id),
        quiz=quiz,
        completion=services.completion_for(me, kursus.id),
        jp_minutes=current_app.config["JP_MINUTES"],
    )


@bp.post("/kursus/<slug>/daftar")
def enrol(slug):
    kursus = _course(slug)
    services.enrol(_me(), kursus)
    db.session.commit()
    flash(_("You are enrolled. Start with the first module."), "success")
    return redirect(url_for(".course", slug=slug))


def _enrolled_course(slug: str):
    kursus = _course(slug)
    if services.enrolment_for(_me(), kursus.id) is None:
        flash(_("Enrol in the course first."), "warning")
        return kursus, redirect(url_for(".course", slug=slug))
    return kursus, None


def _modul(kursus, modul_slug: str) -> Modul:
    modul = db.session.scalar(select(Modul).where(Modul.kursus_id == kursus.id, Modul.slug == modul_slug))
    if modul is None:
        raise NotFound()
    return modul


@bp.get("/kursus/<slug>/modul/<modul_slug>")
def module(slug, modul_slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    modul = _modul(kursus, modul_slug)
    moduls = kursus.moduls
    index = moduls.index(modul)
    return render_template(
        "progress/module.html",
        kursus=kursus,
        modul=modul,
        body=module_html(kursus, modul),
        prev=moduls[index - 1] if index > 0 else None,
        next=moduls[index + 1] if index + 1 < len(moduls) else None,
        is_done=modul.id in services.done_module_ids(_me(), kursus.id),
        has_quiz=quizzes.quiz_for_course(kursus.id) is not None,
    )


@bp.post("/kursus/<slug>/modul/<modul_slug>/selesai")
def complete_module(slug, modul_slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    modul = _modul(kursus, modul_slug)
    services.complete_module(_me(), modul)
    db.session.commit()
    moduls = kursus.moduls
    index = moduls.index(modul)
    if index + 1 < len(moduls):
        return redirect(url_for(".module", slug=slug, modul_slug=moduls[index + 1].slug))
    if quizzes.quiz_for_course(kursus.id):
        flash(_("All modules read. The quiz is next."), "success")
        return redirect(url_for(".quiz", slug=slug))
    return redirect(url_for(".course", slug=slug))


@bp.get("/kursus/<slug>/kuis")
def quiz(slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    kuis = quizzes.quiz_for_course(kursus.id)
    if kuis is None:
        raise NotFound()
    state = quizzes.status_of(_me(), kuis)
    db.session.commit()  # an attempt whose time ran out was just closed
    return render_template("progress/quiz.html", kursus=kursus, state=state)


@bp.post("/kursus/<slug>/kuis/mulai")
def start_quiz(slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    kuis = quizzes.quiz_for_course(kursus.id)
    if kuis is None:
        raise NotFound()
    try:
        attempt = quizzes.start_attempt(_me(), kuis)
    except DomainError as exc:
        db.session.commit()
        flash(exc.message, "error")
        return redirect(url_for(".quiz", slug=slug))
    db.session.commit()
    return redirect(url_for(".attempt", attempt_id=attempt.id))


@bp.get("/percobaan/<attempt_id>")
def attempt(attempt_id):
    attempt = quizzes.get_own_attempt(attempt_id, _me())
    if quizzes.close_if_expired(attempt):
        db.session.commit()
        flash(_("The time limit had passed: the answers saved before it ran out were graded."), "warning")
    if not attempt.is_open:
        return redirect(url_for(".result", attempt_id=attempt.id))
    return render_template(
        "progress/attempt.html",
        attempt=attempt,
        seconds_left=quizzes.seconds_left(attempt),
        kursus=attempt.kuis.kursus,
        version=attempt.version,
        items=quizzes.laid_out(attempt),
        answers=attempt.answers,
    )


@bp.post("/percobaan/<attempt_id>/jawaban")
def autosave(attempt_id):
    """One answer, saved as the learner picks it (JavaScript)."""
    attempt = quizzes.get_own_attempt(attempt_id, _me())
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("question"), str):
        return jsonify(error=_("Invalid answer.")), 400
    try:
        quizzes.save_answer(attempt, payload["question"], payload.get("answer"))
    except DomainError as exc:
        return jsonify(error=exc.message), exc.status
    db.session.commit()
    return jsonify(saved=True, answered=len(attempt.answers))


@bp.post("/percobaan/<attempt_id>")
def submit(attempt_id):
    attempt = quizzes.get_own_attempt(attempt_id, _me())
    if not attempt.is_open:
        flash(_("This attempt was already submitted; it counts once."), "info")
        return redirect(url_for(".result", attempt_id=attempt.id))
    answers = quizzes.answers_from_form(attempt, request.form.to_dict(flat=False))
    if request.form.get("action") == "save":
        try:
            for question in attempt.version.questions:
                quizzes.save_answer(attempt, question["id"], answers.get(question["id"]))
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Your answers are saved. You can come back and submit later."), "success")
        db.session.commit()
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    outcome = quizzes.submit_attempt(attempt, answers)
    db.session.commit()
    if outcome.already_submitted:
        flash(_("This attempt was already submitted; it counts once."), "info")
    elif outcome.late:
        flash(_("The time limit had passed: the answers saved before it ran out were graded."), "warning")
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.get("/percobaan/<attempt_id>/hasil")
def result(attempt_id):
    attempt = quizzes.get_own_attempt(attempt_id, _me())
    if attempt.is_open:
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    state = quizzes.status_of(_me(), attempt.kuis)
    db.session.commit()  # status_of may have closed another attempt whose time ran out
    kursus = attempt.kuis.kursus
    return render_template(
        "progress/result.html",
        attempt=attempt,
        kursus=kursus,
        state=state,
        items=quizzes.review(attempt),
        show_feedback=quizzes.feedback_visible(attempt),
        reveal=quizzes.reveal_answers(attempt, state.left),
        completion=services.completion_for(_me(), kursus.id),
    )
