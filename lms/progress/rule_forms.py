"""The form of a mandatory training rule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from lms.core.forms import DateField, IntegerField
from lms.progress.rules import MAX_DUE_DAYS, RuleInput

STATUS_CHOICES = [
    SelectChoice("", _l("PNS and PPPK")),
    SelectChoice("PNS", "PNS"),
    SelectChoice("PPPK", "PPPK"),
]
DUE_KIND_CHOICES = [
    SelectChoice("fixed", _l("By a fixed date")),
    SelectChoice("days", _l("Within a number of days of starting to match")),
]


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class RuleForm(FlaskForm):
    nama = StringField(_l("Name of the rule"), validators=[Length(max=200)])
    kursus = SelectField(_l("Course"), choices=[], validate_choice=False)
    unit = SelectField(_l("Unit"), choices=[], validate_choice=False)
    with_subunits = BooleanField(_l("Include the units below it"), default=True)
    jabatan = SelectField(_l("Position"), choices=[], validate_choice=False)
    jenis_jabatan = SelectField(_l("Kind of position"), choices=[], validate_choice=False)
    status_asn = SelectField(_l("Status"), choices=STATUS_CHOICES, validate_choice=False)
    due_kind = RadioField(_l("Due"), choices=DUE_KIND_CHOICES, default="fixed", validate_choice=False)
    due_date = DateField(_l("Due date"), validators=[Optional()])
    due_days = IntegerField(
        _l("Number of days"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_DUE_DAYS},
    )
    yearly = BooleanField(_l("Repeat every year"))
    preview = SubmitField(_l("Check whom it reaches"))
    save = SubmitField(_l("Save and apply"))

    def to_input(self, *, kursus_id: int | None = None, yearly: bool | None = None) -> RuleInput:
        """The form's values as the service takes them (the edit page keeps the rule's
        course and yearly setting)."""
        return RuleInput(
            nama=(self.nama.data or "").strip(),
            kursus_id=kursus_id if kursus_id is not None else _id(self.kursus.data),
            unit_id=_id(self.unit.data),
            with_subunits=bool(self.with_subunits.data),
            jabatan_id=_id(self.jabatan.data),
            jenis_jabatan=self.jenis_jabatan.data or None,
            status_asn=self.status_asn.data or None,
            due_kind=self.due_kind.data or "fixed",
            due_date=self.due_date.data,
            due_days=self.due_days.data,
            yearly=bool(self.yearly.data) if yearly is None else yearly,
        )

    def fill_from(self, rule) -> None:
        self.nama.data = rule.nama
        self.kursus.data = str(rule.kursus_id)
        self.unit.data = str(rule.unit_id or "")
        self.with_subunits.data = rule.with_subunits
        self.jabatan.data = str(rule.jabatan_id or "")
        self.jenis_jabatan.data = rule.jenis_jabatan or ""
        self.status_asn.data = rule.status_asn or ""
        self.due_kind.data = rule.due_kind
        self.due_date.data = rule.due_date
        self.due_days.data = rule.due_days
        self.yearly.data = rule.yearly


def _id(value) -> int | None:
    """A select's value as an id: empty is none chosen; anything else that is no id is
    -1, which matches no row, so the service refuses it instead of widening the rule."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number < 2**31 else -1
