from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from citizenvoice.core.forms import NumberField, no_control_characters
from citizenvoice.indicators.models import SUBJECT_LABELS


class AssignmentForm(FlaskForm):
    evaluator_id = SelectField(_l("Evaluator"), coerce=int)
    subject = SelectField(
        _l("As evaluation subject"), choices=[(s.value, v) for s, v in SUBJECT_LABELS.items()]
    )
    unit_id = SelectField(_l("Evaluated unit"), coerce=int)
    indicator_id = SelectField(_l("Indicator"), coerce=int)


class ScoreForm(FlaskForm):
    score = NumberField(
        _l("Score (0–100)"),
        validators=[InputRequired(message=_l("Enter a score.")), NumberRange(0, 100)],
    )
    justification = TextAreaField(
        _l("Justification"),
        validators=[DataRequired(), Length(max=4000), no_control_characters],
        description=_l("What you saw and why it earns this score (at least 20 characters)."),
    )
    action = SelectField(
        _l("Then"),
        choices=[("save", _l("Save as draft")), ("submit", _l("Submit (locks the score)"))],
    )


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for reopening"),
        validators=[DataRequired(), Length(min=5, max=2000), no_control_characters],
    )
