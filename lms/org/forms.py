"""Forms of the organisation's admin pages. Choices that come from the database (units,
positions) are filled in by the route; the services check every value again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from lms.core.i18n import ZONE_LABELS, ZONES
from lms.org.data import GOLONGAN, GOLONGAN_PPPK, JENIS_JABATAN, JENIS_UNIT, STATUS_ASN


def choices(pairs, optgroup: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(str(value), str(label), optgroup=optgroup) for value, label in pairs]


def zone_choices() -> list[SelectChoice]:
    return choices([("", _l("As the agency")), *((z, f"{ZONE_LABELS[z]} ({z})") for z in ZONES)])


def zone_label(zona: str | None) -> str:
    return ZONE_LABELS.get(zona or "", "") or str(_l("as the agency"))


def _kode_field():
    return StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Give the code.")), Length(max=40)],
        render_kw={"autocomplete": "off", "maxlength": 40},
    )


def _nama_field(message):
    return StringField(
        _l("Name"), validators=[DataRequired(message=message), Length(max=200)], render_kw={"maxlength": 200}
    )


class UnitEditForm(FlaskForm):
    nama = _nama_field(_l("Give the unit's name."))
    jenis = SelectField(_l("Kind"), choices=lambda: choices(JENIS_UNIT.items()), validate_choice=False)
    zona = SelectField(_l("Time zone"), choices=zone_choices, validate_choice=False)


class UnitForm(UnitEditForm):
    kode = _kode_field()
    parent_id = SelectField(_l("Under"), validate_choice=False)


class MoveUnitForm(FlaskForm):
    parent_id = SelectField(_l("New place: under"), validate_choice=False)


class JabatanForm(FlaskForm):
    kode = _kode_field()
    nama = _nama_field(_l("Give the position's name."))
    jenis = SelectField(
        _l("Kind"),
        choices=lambda: choices(
            (k, f"{label} ({kategori})") for k, (label, kategori) in JENIS_JABATAN.items()
        ),
        validate_choice=False,
    )


def golongan_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", str(_l("None"))),
        *choices(((g, g) for g in GOLONGAN), optgroup="PNS"),
        *choices(((g, g) for g in GOLONGAN_PPPK), optgroup="PPPK"),
    ]


class EmployeeForm(FlaskForm):
    nama = _nama_field(_l("Give the employee's name."))
    status_asn = SelectField(
        _l("Status"), choices=[SelectChoice(s) for s in STATUS_ASN], validate_choice=False
    )
    golongan = SelectField(_l("Golongan/ruang"), choices=golongan_choices, validate_choice=False)
    email = StringField(
        _l("Email"),
        validators=[Length(max=200)],
        render_kw={"type": "email", "autocomplete": "off", "maxlength": 200},
    )
    unit_id = SelectField(_l("Unit"), validate_choice=False)
    jabatan_id = SelectField(_l("Position"), validate_choice=False)
    atasan_nip = StringField(
        _l("Atasan (NIP)"),
        validators=[Length(max=40)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 40},
    )


class NewEmployeeForm(EmployeeForm):
    nip = StringField(
        _l("NIP"),
        validators=[DataRequired(message=_l("Enter the NIP.")), Length(max=40)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 40},
    )
