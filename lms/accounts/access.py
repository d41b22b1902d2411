"""Who may do what, beyond being signed in."""

from functools import wraps

from flask import g
from flask_login import current_user

from lms.core.errors import ForbiddenError
from lms.org.services import is_supervisor


def can_preview_drafts(user) -> bool:
    """Trainers and admins see draft courses; learners only published ones."""
    return bool(getattr(user, "is_admin", False) or getattr(user, "is_pengajar", False))


def admin_required(view):
    """Refuse with 403 unless the signed-in user is an admin."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.is_admin):
            raise ForbiddenError()
        return view(*args, **kwargs)

    return wrapped


def supervises_anyone(user) -> bool:
    """Asked by the menu on every page, so kept on ``g`` for the request."""
    if "supervises" not in g:
        g.supervises = bool(user.is_authenticated and is_supervisor(user.pegawai_id))
    return g.supervises
