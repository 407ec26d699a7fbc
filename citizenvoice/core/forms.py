"""Shared forms."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError


class EmptyForm(FlaskForm):
    """A CSRF-protected button."""


def no_control_characters(_form: FlaskForm, field: StringField) -> None:
    """Refuse NUL and other control characters (tabs and newlines are fine)."""
    value = field.data or ""
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in value):
        from flask_babel import lazy_gettext as _l

        raise ValidationError(_l("This field contains characters that are not allowed."))
