"""The learner's pages: home, catalogue, course, module, quiz, result.

Reading a page never writes; the request's one commit happens at the edge
(lms.core.db). An attempt whose time ran out is graded by the next write that
touches it (starting, submitting, finishing the last module).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.access import can_preview_drafts
from lms.catalog.models import Modul
from lms.catalog.publishing import latest_changes
from lms.catalog.services import cover_of, module_html, pictures_on_tap
from lms.core.errors import DomainError, NotFoundError
from lms.core.forms import flash_error
from lms.core.time import local_today
from lms.core.web import revalidated, save_data
from lms.extensions import db
from lms.progress import services
from lms.quizzes import services as quizzes

bp = Blueprint("progress", __name__, template_folder="templates")

# Boxes that packages to the right add to the home page (the supervisor's team, …):
# each is called with the user and returns (template, context) or None.
HOME_PANELS: list[Callable] = []


def register_home_panel(panel: Callable) -> None:
    if panel not in HOME_PANELS:
        HOME_PANELS.append(panel)


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
    panels = [p for p in (panel(current_user) for panel in HOME_PANELS) if p]
    return render_template(
        "progress/home.html",
        active=[c for c in courses if not c.completion],
        done=[c for c in courses if c.completion],
        running=quizzes.open_attempts_of(_me()),
        panels=panels,
        jp=services.jp_in_year(_me(), year),
        jp_target=services.jp_target(),
        year=year,
    )


@bp.get("/katalog")
def catalogue():
    search = request.args.get("q", "").strip()[:80]
    mine = {c.kursus.id: c for c in services.my_courses(_me())}
    courses = services.published_courses(search, drafts=can_preview_drafts(current_user))
    return render_template("progress/catalogue.html", courses=courses, mine=mine, q=search)


@bp.get("/kursus/<slug>")
def course(slug):
    kursus = _course(slug)
    me = _me()
    kuis = quizzes.quiz_for_course(kursus.id)
    done = services.done_module_ids(me, kursus.id)
    return revalidated(
        render_template(
            "progress/course.html",
            kursus=kursus,
            enrolment=services.enrolment_for(me, kursus.id),
            done=done,
            next_module=next((m for m in kursus.moduls if m.id not in done), None),
            quiz=quizzes.status_of(me, kuis) if kuis else None,
            completion=services.completion_for(me, kursus.id),
            jp_minutes=current_app.config["JP_MINUTES"],
            latest=latest_changes(kursus) if kursus.version > 1 else None,
            cover=cover_of(kursus),
        )
    )


@bp.post("/kursus/<slug>/daftar")
def enrol(slug):
    kursus = _course(slug)
    services.enrol(_me(), kursus)
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
        raise NotFoundError()
    return modul


@bp.get("/kursus/<slug>/modul/<modul_slug>")
def module(slug, modul_slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    modul = _modul(kursus, modul_slug)
    moduls = kursus.moduls
    index = moduls.index(modul)
    body = module_html(kursus, modul)
    return revalidated(
        render_template(
            "progress/module.html",
            kursus=kursus,
            modul=modul,
            body=pictures_on_tap(body) if save_data(current_user) else body,
            prev=moduls[index - 1] if index > 0 else None,
            next=moduls[index + 1] if index + 1 < len(moduls) else None,
            is_done=modul.id in services.done_module_ids(_me(), kursus.id),
            has_quiz=quizzes.quiz_for_course(kursus.id) is not None,
        )
    )


@bp.post("/kursus/<slug>/modul/<modul_slug>/selesai")
def complete_module(slug, modul_slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    modul = _modul(kursus, modul_slug)
    services.complete_module(_me(), modul)
    moduls = kursus.moduls
    index = moduls.index(modul)
    if index + 1 < len(moduls):
        return redirect(url_for(".module", slug=slug, modul_slug=moduls[index + 1].slug))
    if quizzes.quiz_for_course(kursus.id):
        flash(_("All modules read. The quiz is next."), "success")
        return redirect(url_for(".quiz", slug=slug))
    return redirect(url_for(".course", slug=slug))


def _quiz_of(kursus):
    kuis = quizzes.quiz_for_course(kursus.id)
    if kuis is None:
        raise NotFoundError()
    return kuis


@bp.get("/kursus/<slug>/kuis")
def quiz(slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    state = quizzes.status_of(_me(), _quiz_of(kursus))
    return render_template("progress/quiz.html", kursus=kursus, state=state)


@bp.post("/kursus/<slug>/kuis/mulai")
def start_quiz(slug):
    kursus, redirect_to = _enrolled_course(slug)
    if redirect_to:
        return redirect_to
    try:
        attempt = quizzes.start_attempt(_me(), _quiz_of(kursus))
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for(".quiz", slug=slug))
    return redirect(url_for(".attempt", attempt_id=attempt.id))


def _attempt_page(attempt, answers, *, unanswered: int = 0, status: int = 200):
    return render_template(
        "progress/attempt.html",
        attempt=attempt,
        seconds_left=quizzes.seconds_left(attempt),
        expired=quizzes.is_expired(attempt),
        kursus=attempt.kuis.kursus,
        version=attempt.version,
        items=quizzes.laid_out(attempt),
        answers=answers,
        unanswered=unanswered,
    ), status


@bp.get("/percobaan/<attempt_id>")
def attempt(attempt_id):
    attempt = quizzes.get_own_attempt(attempt_id, _me())
    if not attempt.is_open:
        return redirect(url_for(".result", attempt_id=attempt.id))
    return _attempt_page(attempt, attempt.answers)


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
    return jsonify(saved=True, question=payload["question"], answered=len(attempt.answers))


def _save_for_later(attempt, answers):
    try:
        quizzes.save_answers(attempt, answers)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("Your answers are saved. You can come back and submit later."), "success")
    return redirect(url_for(".attempt", attempt_id=attempt.id))


@bp.post("/percobaan/<attempt_id>")
def submit(attempt_id):
    attempt = quizzes.get_own_attempt(attempt_id, _me())
    if not attempt.is_open:
        flash(_("This attempt was already submitted; it counts once."), "info")
        return redirect(url_for(".result", attempt_id=attempt.id))
    answers = quizzes.answers_from_form(attempt, request.form.to_dict(flat=False))
    action = request.form.get("action")
    if action == "save" and not quizzes.is_expired(attempt):
        return _save_for_later(attempt, answers)
    missing = quizzes.unanswered(attempt, answers)
    if missing and not request.form.get("confirmed") and not quizzes.is_expired(attempt):
        # Asked without JavaScript too: the page comes back with the answers kept and saved.
        quizzes.save_answers(attempt, answers)
        return _attempt_page(attempt, answers, unanswered=missing)
    outcome = quizzes.submit_attempt(attempt, answers)
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
    kursus = attempt.kuis.kursus
    return render_template(
        "progress/result.html",
        attempt=attempt,
        kursus=kursus,
        state=state,
        items=quizzes.review(attempt),
        feedback=quizzes.feedback_for(attempt, state),
        completion=services.completion_for(_me(), kursus.id),
    )
