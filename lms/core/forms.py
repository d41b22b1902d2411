"""Form fields whose own parse errors speak the user's language. WTForms ships no
Indonesian catalog, so its built-in messages would appear in English."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import fields


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
