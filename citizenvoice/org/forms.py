from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from citizenvoice.core.forms import NumberField, no_control_characters
from citizenvoice.org.models import UnitKind

KIND_LABELS = {
    UnitKind.GOVERNMENT: _l("Government"),
    UnitKind.DEPARTMENT: _l("Department"),
    UnitKind.BUREAU: _l("Bureau"),
    UnitKind.DISTRICT: _l("District"),
    UnitKind.OFFICE: _l("Office"),
}
TEXT = [Length(max=200), no_control_characters]


class UnitForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=60), no_control_characters],
        description=_l("Lower-case letters, digits and hyphens; used in public addresses."),
    )
    name = StringField(_l("Name (English)"), validators=[DataRequired(), *TEXT])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), *TEXT])
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    parent_id = SelectField(_l("Parent unit"), coerce=int)
    description = TextAreaField(
        _l("Description"), validators=[Length(max=2000), no_control_characters]
    )


class PointForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=60), no_control_characters]
    )
    name = StringField(_l("Name (English)"), validators=[DataRequired(), *TEXT])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), *TEXT])
    address = StringField(_l("Address"), validators=[Length(max=300), no_control_characters])
    opening_hours = StringField(
        _l("Opening hours"),
        validators=[Length(max=300), no_control_characters],
        description=_l("For example: mon-fri 08:30-12:00,13:30-17:30; sat 09:00-12:00"),
    )
    latitude = NumberField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = NumberField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    service_ids = SelectMultipleField(_l("Services offered here"), coerce=int)


class ServiceForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=60), no_control_characters]
    )
    name = StringField(_l("Name (English)"), validators=[DataRequired(), *TEXT])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), *TEXT])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=2000), no_control_characters]
    )


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])
