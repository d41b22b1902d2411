from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core.forms import DateField, IntegerField

JENIS_LABELS = {
    "pelatihan": _l("Classroom training"),
    "seminar": _l("Seminar or conference"),
    "workshop": _l("Workshop"),
    "kursus": _l("Course elsewhere (online or distance)"),
    "coaching": _l("Coaching"),
    "mentoring": _l("Mentoring"),
    "magang": _l("Internship or job attachment"),
    "belajar_mandiri": _l("Self-study"),
    "lainnya": _l("Other"),
}


LEVEL_CHOICES = [SelectChoice(str(i)) for i in range(1, 6)]


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class DevelopmentForm(FlaskForm):
    jenis = SelectField(
        _l("Kind of activity"),
        choices=[SelectChoice(k, v) for k, v in JENIS_LABELS.items()],
        validate_choice=False,
    )
    judul = StringField(
        _l("Subject"),
        validators=[DataRequired(message=_l("Give the subject of the activity.")), Length(max=200)],
    )
    penyelenggara = StringField(
        _l("Organiser"), validators=[DataRequired(message=_l("Give the organiser.")), Length(max=200)]
    )
    tanggal_mulai = DateField(_l("Start date"), validators=[InputRequired(message=_l("Give a valid date."))])
    tanggal_selesai = DateField(_l("End date"), validators=[InputRequired(message=_l("Give a valid date."))])
    jp = IntegerField(
        _l("JP (lesson hours)"),
        validators=[
            InputRequired(message=_l("Give the JP as a whole number.")),
            NumberRange(min=1, max=200, message=_l("JP must be between 1 and 200.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": 200},
    )
    nomor_sertifikat = StringField(_l("Certificate number"), validators=[Optional(), Length(max=100)])
    kompetensi_code = SelectField(_l("Competency it built (optional)"), choices=[], validate_choice=False)
    kompetensi_level = SelectField(
        _l("Level"), choices=[SelectChoice("", "–"), *LEVEL_CHOICES], validate_choice=False
    )
    bukti = FileField(_l("Evidence file (PDF, JPEG or PNG)"), render_kw={"accept": ".pdf,.jpg,.jpeg,.png"})


class DecisionForm(FlaskForm):
    catatan = TextAreaField(_l("Note to the employee"), validators=[Optional(), Length(max=500)])


class AssessmentForm(FlaskForm):
    code = SelectField(_l("Competency"), choices=[], validate_choice=False)
    level = SelectField(_l("Level found"), choices=LEVEL_CHOICES, validate_choice=False)
    held_on = DateField(
        _l("Date of the assessment"), validators=[InputRequired(message=_l("Give a valid date."))]
    )
    catatan = TextAreaField(
        _l("Method and notes (e.g. assessment centre, uji kompetensi)"),
        validators=[Optional(), Length(max=500)],
    )
