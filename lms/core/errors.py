"""Errors raised by services and the error pages shown for HTTP errors."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule was broken. ``message`` is for the user (already translated); ``field``
    names the form field it belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFound(DomainError):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("Not found."), status=404)


class Forbidden(DomainError):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("You do not have access to this page."), status=403)


ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This action is not allowed here.")),
    413: (_l("File too large"), _l("The file or form you sent is larger than allowed.")),
    429: (_l("Too many requests"), _l("Too many requests. Please wait a moment and try again.")),
    500: (
        _l("Something went wrong"),
        _l("An error on our side stopped this page. It has been logged; please try again later."),
    ),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message: str | None = None):
    title, default = ERROR_TEXT.get(status, ERROR_TEXT[500])
    text = message or str(default)
    if _wants_json():
        return jsonify(error=text, status=status), status
    return render_template("error.html", status=status, title=title, message=text), status


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

    @app.errorhandler(Exception)
    def unhandled(exc):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        from lms.extensions import db

        db.session.rollback()
        return render_error(500)
