from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from citizenvoice.accounts.models import Role
from citizenvoice.core.forms import no_control_characters

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Performance manager"),
    Role.UNIT_OFFICIAL: _l("Unit official"),
    Role.EVALUATOR: _l("Evaluator"),
    Role.EXPERT: _l("Expert"),
    Role.INSPECTOR: _l("Inspector"),
}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


LANGUAGE_CHOICES = [("", _l("(the site's default)")), ("en", "English"), ("zh", "简体中文")]


class ContactFields:
    """The optional e-mail address of an account and the language of its e-mail."""

    email = StringField(
        _l("E-mail address (optional)"),
        validators=[Optional(), Length(max=254), no_control_characters],
        description=_l("Notifications are also e-mailed here when the site has an SMTP server."),
    )
    language = SelectField(_l("Language of e-mail"), choices=LANGUAGE_CHOICES, default="")


class UserForm(ContactFields, FlaskForm):
    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(max=80), no_control_characters]
    )
    display_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=120), no_control_characters]
    )
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=12, max=200)])


class UserEditForm(ContactFields, FlaskForm):
    display_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=120), no_control_characters]
    )
