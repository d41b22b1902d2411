"""The reminders page, marking reminders read, and the box on the home page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.core.time import local_today
from lms.core.web import int_arg, safe_next
from lms.notifications import services
from lms.progress import routes as progress_routes

bp = Blueprint("notifications", __name__, template_folder="templates")

HOME_LIMIT = 5


@bp.before_request
@login_required
def _require_login():
    """A person's reminders are their own."""


@bp.get("/pengingat")
def index():
    page = services.reminders_of(current_user.pegawai_id, int_arg(request.args.get("halaman")) or 1)
    return render_template("notifications/index.html", view=page)


@bp.post("/pengingat/<reminder_id>/dibaca")
def mark_read(reminder_id):
    services.mark_read(current_user.pegawai_id, reminder_id)
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


@bp.post("/pengingat/semua-dibaca")
def mark_all_read():
    services.mark_all_read(current_user.pegawai_id)
    flash(_("All reminders are marked as read."), "success")
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


def _home_panel(user):
    """At home: courses due soon or overdue (worked out now), then unread reminders."""
    due = services.due_courses_of(user.pegawai_id, local_today())[:HOME_LIMIT]
    shown = {d.event_key for d in due}
    unread = [r for r in services.unread_of(user.pegawai_id, HOME_LIMIT) if r.event_key not in shown]
    if not due and not unread:
        return None
    return "notifications/home_panel.html", {"due": due, "unread": unread}


progress_routes.register_home_panel(_home_panel)
