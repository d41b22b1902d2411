"""Errors raised by services and the error pages shown for HTTP errors.

Every error page uses the site layout in the user's language. When the database is the
problem, the page is drawn without touching it (no menu that asks who supervises whom),
so a database outage is a clear 503, never a traceback from the server in front.
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Failures to reach or use the database that say nothing about the request itself.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


class DomainError(Exception):
    """A rule was broken. ``message`` is for the user (already translated); ``field``
    names the form field it belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFoundError(DomainError):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("Not found."), status=404)


class ForbiddenError(DomainError):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("You do not have access to this page."), status=403)


ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This action is not allowed here.")),
    409: (
        _l("Already changed"),
        _l("Someone changed this at the same moment. Reload the page and try again."),
    ),
    413: (_l("File too large"), _l("The file or form you sent is larger than allowed.")),
    429: (_l("Too many requests"), _l("Too many requests. Please wait a moment and try again.")),
    500: (
        _l("Something went wrong"),
        _l("An error on our side stopped this page. It has been logged; please try again later."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l(
            "The service cannot reach its database right now. Nothing you sent was lost if it was "
            "saved before; please try again in a minute."
        ),
    ),
}
RETRY_AFTER_SECONDS = 30


def _wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def _render(status: int, text: str, title):
    if _wants_json():
        return jsonify(error=text, status=status), status
    return render_template("error.html", status=status, title=title, message=text), status


def database_unavailable():
    """The 503 answer, drawn without the database: no signed-in menu, nothing personal."""
    from flask_login import AnonymousUserMixin

    from lms.extensions import db

    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback after a database failure failed too", exc_info=True)
    g.database_unavailable = True
    g._login_user = AnonymousUserMixin()
    title, text = ERROR_TEXT[503]
    body, status = _render(503, str(text), title)
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def render_error(status: int, message: str | None = None):
    title, default = ERROR_TEXT.get(status, ERROR_TEXT[500])
    try:
        return _render(status, message or str(default), title)
    except DATABASE_UNAVAILABLE:
        return database_unavailable()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400, _("This form has expired or was not sent from this site. Reload the page and try again.")
        )

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return render_error(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code in ERROR_TEXT:
            return render_error(exc.code)
        return exc

    for error in DATABASE_UNAVAILABLE:

        @app.errorhandler(error)
        def unavailable(exc):
            log.error("Database unavailable on %s %s: %s", request.method, request.path, exc)
            return database_unavailable()

    @app.errorhandler(Exception)
    def unhandled(exc):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        from lms.extensions import db

        db.session.rollback()
        return render_error(500)
