"""Route guards. Every route states who may use it."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str):
    """``@role_required("admin")`` or ``("admin", "pengajar")``: any one of them will do."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(getattr(current_user, f"is_{role}", False) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_preview_drafts(user) -> bool:
    return bool(getattr(user, "is_admin", False) or getattr(user, "is_pengajar", False))
