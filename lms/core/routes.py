"""Site-wide routes: health check and language switch."""

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.core.web import safe_next
from lms.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:  # any failure to reach the database is "down" for the probe
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status


@bp.post("/bahasa")
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("progress.home")))
