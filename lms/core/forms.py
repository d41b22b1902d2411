"""Form fields whose own parse errors speak the user's language. WTForms ships no
Indonesian catalog, so its built-in messages would appear in English."""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms import fields

from lms.core.errors import DomainError
from lms.extensions import db


class DateField(fields.DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Give a valid date."))) from None


class IntegerField(fields.IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Give a whole number."))) from None


def put_error(form, exc: DomainError, default_field: str) -> None:
    """Show a service's error next to the field it names (or ``default_field``). The page is
    answered with 400, so the request's transaction is rolled back at the edge."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is None or not hasattr(field, "errors"):
        field = getattr(form, default_field)
    field.errors = [*field.errors, exc.message]


def flash_error(exc: DomainError) -> None:
    """Tell the user why nothing happened, on the page they are sent back to: whatever the
    service had started is undone now, before the redirect commits the request."""
    db.session.rollback()
    flash(exc.message, "error")
