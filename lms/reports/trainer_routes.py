"""The trainer's pages: the courses he teaches, each course's results (and their XLSX),
and item analysis of its quiz. Trainers see the courses they own, admins every course;
everyone else gets 403, and an unknown course 404."""

from __future__ import annotations

from datetime import UTC, timedelta
from functools import wraps

from flask import current_app, render_template, request
from flask_babel import format_decimal, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.authoring.routes import register_section
from lms.catalog.services import editable_course
from lms.core.charts import Bar, bar_chart
from lms.core.errors import ForbiddenError, NotFoundError
from lms.core.export import NipCell, Sheet, download
from lms.core.time import utcnow
from lms.core.web import int_arg
from lms.quizzes.services import quiz_for_course

from . import trainer
from .routes import bp

RECENT_DAYS = 30

STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "archived": _l("Archived")}
SORT_LABELS = {"name": _l("Name"), "score": _l("Best score"), "last": _l("Latest attempt")}
FLAG_LABELS = {
    "none_correct": _l("Nobody answered correctly"),
    "all_correct": _l("Everyone answered correctly"),
    "negative_discrimination": _l("Negative discrimination"),
    "unused_option": _l("An option nobody picks"),
}


def trainer_required(view):
    """Trainers and admins only; which course they may open is checked per course."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not (current_user.is_admin or current_user.is_pengajar):
            raise ForbiddenError()
        return view(*args, **kwargs)

    return wrapped


def _percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else format_decimal(round(value, digits)) + "%"


def _course(slug: str):
    kursus = editable_course(current_user, slug)
    return kursus, quiz_for_course(kursus.id)


@bp.get("/ampu")
@trainer_required
def trainer_courses():
    views = current_app.view_functions
    return render_template(
        "reports/trainer_courses.html",
        courses=trainer.trainer_courses(current_user, since=utcnow() - timedelta(days=RECENT_DAYS)),
        can_edit="authoring.course" in views,
        can_create="authoring.new_course" in views,
        statuses=STATUS_LABELS,
        recent_days=RECENT_DAYS,
        percent=_percent,
    )


def _result_filters() -> trainer.ResultFilters:
    sort = request.args.get("urut", "name")
    return trainer.ResultFilters(
        q=request.args.get("q", "").strip()[:60], sort=sort if sort in trainer.SORTS else "name"
    )


def _histogram(summary: trainer.ResultSummary):
    step = 100 // trainer.BUCKETS
    bars = [
        Bar(f"{i * step}–{(i + 1) * step}%", count, str(count)) for i, count in enumerate(summary.histogram)
    ]
    return bar_chart(
        bars,
        chart_id="score-bands",
        title=_("Best scores of the learners"),
        desc=_(
            "Learners per band of 10 points of their best score; a band holds scores from its lower "
            "bound up to below its upper bound, the last one 100 too."
        ),
        max_value=max(summary.histogram, default=0),
    )


@bp.get("/ampu/<slug>/hasil")
@trainer_required
def course_results(slug):
    kursus, kuis = _course(slug)
    filters = _result_filters()
    view = trainer.course_results(
        kursus,
        kuis.id if kuis else None,
        filters,
        page=min(int_arg(request.args.get("halaman")) or 1, 100_000),
    )
    # What the pager and the sort links keep; the defaults stay out of the URL.
    args = {"q": filters.q or None, "urut": filters.sort if filters.sort != "name" else None}
    args = {k: v for k, v in args.items() if v}
    return render_template(
        "reports/trainer_results.html",
        kursus=kursus,
        kuis=kuis,
        view=view,
        filters=filters,
        args=args,
        sorts=SORT_LABELS,
        chart=_histogram(view.summary) if view.summary.scored else None,
        percent=_percent,
    )


def _attempt_sheet(rows: list[trainer.AttemptRow]) -> Sheet:
    """Times in the viewer's zone, naive (a spreadsheet has no zones); the zone and the
    words are looked up once, not once a cell: thousands of rows."""
    zone = get_timezone()
    words = {True: _("Yes"), False: _("No"), None: None}

    def local(moment):
        return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) if moment else None

    return Sheet(
        _("Attempts"),
        [
            _("Learner"),
            _("NIP"),
            _("Unit"),
            _("Attempt"),
            _("Quiz version"),
            _("Started"),
            _("Submitted"),
            _("Score"),
            _("Maximum"),
            _("Score (%)"),
            _("Passed"),
            _("Late"),
        ],
        [
            [
                r.nama,
                NipCell(r.nip),
                r.unit,
                r.number,
                r.version,
                local(r.started_at),
                local(r.submitted_at),
                r.score,
                r.max_score,
                round(r.percent, 2) if r.percent is not None else None,
                words[r.passed],
                words[bool(r.late)],
            ]
            for r in rows
        ],
    )


@bp.get("/ampu/<slug>/hasil.xlsx")
@trainer_required
def course_results_xlsx(slug):
    kursus, kuis = _course(slug)
    sheet = _attempt_sheet(trainer.attempt_rows(kuis.id if kuis else None))
    return download([sheet], f"hasil-{kursus.slug}", "xlsx")


@bp.get("/ampu/<slug>/analisis")
@trainer_required
def item_analysis(slug):
    kursus, kuis = _course(slug)
    versions = trainer.versions_of(kuis.id) if kuis else []
    number = int_arg(request.args.get("versi"))
    if number is None:
        chosen = trainer.default_version(versions)
    else:
        chosen = next((v for v in versions if v.version.number == number), None)
        if chosen is None:
            raise NotFoundError(_("This quiz has no version %(n)d.", n=number))
    return render_template(
        "reports/trainer_items.html",
        kursus=kursus,
        kuis=kuis,
        versions=versions,
        chosen=chosen,
        analysis=trainer.item_analysis(chosen) if chosen else None,
        flags=FLAG_LABELS,
        min_reliable=trainer.MIN_RELIABLE,
        group_percent=trainer.GROUP_PERCENT,
        percent=_percent,
    )


register_section("reports.course_results", _l("Results"))
register_section("reports.item_analysis", _l("Item analysis"))
