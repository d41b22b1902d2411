from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.core.forms import IntegerField

COMPETENCY_ROWS = 4


class NewCourseForm(FlaskForm):
    title = StringField(
        _l("Course title"), validators=[DataRequired(_l("Give the course a title.")), Length(max=200)]
    )


class CompetencyRow(FlaskForm):
    class Meta:
        csrf = False

    code = SelectField(_l("Competency"), choices=[], validate_choice=False)
    level = SelectField(
        _l("Level"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        default="2",
        validate_choice=False,
    )


class DetailsForm(FlaskForm):
    revision = HiddenField()
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the course a title.")), Length(max=200)]
    )
    summary = TextAreaField(_l("Summary"), validators=[Length(max=400)])
    description_md = TextAreaField(_l("Description (Markdown)"), validators=[Length(max=20000)])
    audience = StringField(_l("Audience"), validators=[Length(max=200)])
    jp = IntegerField(_l("JP (lesson hours)"), validators=[NumberRange(0, 500, _l("JP runs from 0 to 500."))])
    minutes = IntegerField(
        _l("Minutes of study (empty: counted from the text)"),
        validators=[Optional(), NumberRange(0, 100000, _l("Give the minutes as a whole number from 0."))],
    )
    cover = SelectField(_l("Cover picture"), choices=[], validate_choice=False)
    competencies = FieldList(FormField(CompetencyRow), min_entries=COMPETENCY_ROWS)


class NewModuleForm(FlaskForm):
    title = StringField(
        _l("Title of the new module"),
        validators=[DataRequired(_l("Give the module a title.")), Length(max=200)],
    )


class ModuleForm(FlaskForm):
    revision = HiddenField()
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the module a title.")), Length(max=200)]
    )
    body_md = TextAreaField(_l("Text (Markdown)"))
    file = FileField(_l("Picture or PDF"))
    alt = StringField(
        _l("What the picture shows (for those who cannot see it)"), validators=[Length(max=200)]
    )


class UploadForm(FlaskForm):
    file = FileField(_l("Picture or PDF"), validators=[FileRequired(_l("Choose a file."))])
    alt = StringField(
        _l("What the picture shows (for those who cannot see it)"), validators=[Length(max=200)]
    )
    back = HiddenField()


class OwnerForm(FlaskForm):
    nip = StringField(
        _l("NIP of the trainer"), validators=[DataRequired(_l("Give the NIP.")), Length(max=30)]
    )


class PackageForm(FlaskForm):
    file = FileField(_l("Course package (.zip)"), validators=[FileRequired(_l("Choose a file."))])
