"""The offline client: the service worker and web app manifest, a course's download, the
offline quiz page, receiving what was done offline, and the sync page."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.access import can_preview_drafts
from lms.core.errors import DomainError, NotFoundError
from lms.core.forms import put_error
from lms.core.ids import new_id
from lms.core.web import compact_js, static_url
from lms.progress import services as progress
from lms.quizzes import services as quizzes

from . import downloads, sync, tokens
from .forms import SyncFileForm

bp = Blueprint("api", __name__, template_folder="templates")

# What an offline page needs besides itself, cached by the service worker when a course
# is downloaded; its revision is the service worker's version.
APP_FILES = ("app.css", "offline.js", "luring.js", "quiz.js", "icon.svg", "icon-192.png", "icon-512.png")


def app_revision() -> str:
    return "-".join(current_app.extensions["static_fingerprints"].version(name) for name in APP_FILES)[:64]


@bp.get("/sw.js")
def service_worker():
    """At the site's root, so that it may serve every page; revalidated on each check, so an
    update of the app reaches devices on their next visit."""
    revision = app_revision()
    body = compact_js(
        render_template("api/sw.js", revision=revision, app_files=[static_url(f) for f in APP_FILES])
    )
    response = current_app.response_class(body, mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(revision)  # a revisit is a 304 (lms.core.web.not_modified)
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("ASN Learning"),
        "short_name": _("ASN Learning"),
        "description": _("Courses and quizzes for civil servants, also offline."),
        "lang": request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "id",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": "#0a5a8a",
        "icons": [
            {"src": static_url("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {
                "src": static_url("icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any maskable",
            },
            {"src": static_url("icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _enrolled_course(slug: str):
    kursus = progress.visible_course(slug, preview=can_preview_drafts(current_user))
    if not kursus.is_published or progress.enrolment_for(current_user.pegawai_id, kursus.id) is None:
        raise DomainError(_("Enrol in the course first."), status=403)
    return kursus


@bp.get("/kursus/<slug>/luring.json")
@login_required
def course_package(slug):
    """What downloading the course fetches, with each file's revision and size."""
    kursus = _enrolled_course(slug)
    package = downloads.package_for(current_user.pegawai_id, kursus).as_json()
    # Module completions made offline are sent under this token.
    package["token"] = tokens.issue(current_user.pegawai_id, kursus.id)[1]
    return jsonify(package)


@bp.get("/kursus/<slug>/kuis/luring")
@login_required
def offline_quiz(slug):
    """The quiz as a downloaded course keeps it: the questions of one attempt under a token
    issued now, to be answered without a network and sent when there is one."""
    kursus = _enrolled_course(slug)
    kuis = quizzes.quiz_for_course(kursus.id)
    if kuis is None:
        raise NotFoundError()
    state, note = downloads.quiz_offer(current_user.pegawai_id, kuis)
    if state is None:
        return render_template("api/offline_quiz.html", kursus=kursus, note=note, items=[]), 409
    version = state.version
    token_id = new_id()  # also the seed of the attempt's questions and their order
    layout = quizzes.layout_for(version, token_id)
    token, signed = tokens.issue(
        current_user.pegawai_id,
        kursus.id,
        kuis_id=kuis.id,
        version_id=version.id,
        questions=[item["id"] for item in layout],
        time_limit=version.time_limit_minutes,
        attempts_left=state.left,
        token_id=token_id,
    )
    by_id = {q["id"]: q for q in version.questions}
    return render_template(
        "api/offline_quiz.html",
        kursus=kursus,
        version=version,
        token=token,
        signed=signed,
        items=[(by_id[item["id"]], item["options"]) for item in layout],
        attempts_left=state.left,
        expires_ms=int(token.expires_at.replace(tzinfo=UTC).timestamp() * 1000),
        note="",
    )


@bp.post("/luring/sinkron")
@login_required
def receive():
    """Results a device made offline (JSON), each answered with what became of it."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        return jsonify(error=_("Nothing to receive.")), 400
    try:
        results = sync.accept(payload["items"], sender=current_user)
    except DomainError as exc:
        return jsonify(error=exc.message), exc.status
    return jsonify(results=[r.as_json() for r in results])


@bp.get("/luring")
@login_required
def sync_page():
    """What waits on this device, what was sent, what was refused; downloaded courses."""
    return render_template(
        "api/sync.html",
        form=SyncFileForm(),
        results=None,
        token_days=current_app.config["OFFLINE_TOKEN_DAYS"],
    )


@bp.post("/luring")
@login_required
def upload():
    """A sync file carried from a device that had no network, uploaded by the learner or
    their supervisor."""
    form = SyncFileForm()
    results = None
    if form.validate_on_submit():
        try:
            items = sync.read_sync_file(form.file.data.read(current_app.config["SYNC_FILE_MAX_BYTES"] + 1))
            results = sync.accept(items, sender=current_user, via_file=True)
        except DomainError as exc:
            put_error(form, exc, "file")
        else:
            sync.record_upload(results)
    status = 200 if results is not None else 400
    return render_template(
        "api/sync.html",
        form=form,
        results=results,
        token_days=current_app.config["OFFLINE_TOKEN_DAYS"],
    ), status


@bp.get("/luring/tanpa-jaringan")
@login_required
def offline_fallback():
    """Shown by the service worker for a page this device has not kept, while offline."""
    return render_template("api/offline.html")
