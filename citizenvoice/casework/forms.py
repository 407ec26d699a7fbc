"""Forms of the casework pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from citizenvoice.core.forms import NumberField, no_control_characters


class ActionForm(FlaskForm):
    """A bare POST (acknowledge, investigate) with its CSRF token."""


class ReplyForm(FlaskForm):
    what_changed = TextAreaField(
        _l("What your unit changed"),
        validators=[DataRequired(), Length(max=4000), no_control_characters],
    )
    public_reply = TextAreaField(
        _l("Public reply (shown on the unit's public page)"),
        validators=[Optional(), Length(max=4000), no_control_characters],
    )
    private_reply = TextAreaField(
        _l("Private reply (only the citizen sees it)"),
        validators=[Optional(), Length(max=4000), no_control_characters],
    )


class PolicyForm(FlaskForm):
    acknowledge_days = IntegerField(
        _l("Working days to acknowledge"), validators=[InputRequired(), NumberRange(0, 60)]
    )
    resolve_days = IntegerField(
        _l("Working days to reply"), validators=[InputRequired(), NumberRange(0, 60)]
    )


class HolidayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120), no_control_characters])


class VerdictForm(FlaskForm):
    verdict = SelectField(
        _l("Is your problem solved?"),
        choices=[("solved", _l("Solved")), ("not_solved", _l("Not solved"))],
        validators=[DataRequired()],
    )


class AppealForm(FlaskForm):
    cycle_id = SelectField(_l("Cycle"), coerce=int, validators=[DataRequired()])
    kind = SelectField(
        _l("What is appealed"),
        choices=[("rating", _l("A rating")), ("result", _l("A result"))],
        validators=[DataRequired()],
    )
    rating_id = IntegerField(_l("Rating number (for a rating)"), validators=[Optional()])
    reasons = TextAreaField(
        _l("Reasons"), validators=[DataRequired(), Length(max=4000), no_control_characters]
    )


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[("uphold", _l("Uphold")), ("reject", _l("Reject"))],
        validators=[DataRequired()],
    )
    reasons = TextAreaField(
        _l("Reasons"), validators=[DataRequired(), Length(max=4000), no_control_characters]
    )
    #: Only an appeal against a result offers these (the view lists the unit's figures).
    indicator_id = SelectField(
        _l("Figure to correct (optional)"),
        coerce=int,
        default=0,
        choices=[(0, _l("None"))],
        description=_l(
            "When upholding an appeal against an indicator's result: the unit's self-reported "
            "figure the result was computed from. Choose none for an appeal against the grade "
            "or when no figure is wrong: the results are then recomputed as they stand."
        ),
    )
    value = NumberField(
        _l("Corrected value"),
        validators=[Optional()],
        description=_l(
            "Required with a figure to correct: the value that replaces the unit's figure, in "
            "the indicator's unit of measure (a score from 0 to 100 when the value is the score "
            "itself). The results are recomputed and a corrected version is published."
        ),
    )

    def validate_indicator_id(self, field: SelectField) -> None:
        if field.data and not (self.value.raw_data and str(self.value.raw_data[0]).strip()):
            raise ValidationError(_l("Enter the corrected value, or choose no figure."))

    def validate_value(self, field: NumberField) -> None:
        if field.data is not None and not self.indicator_id.data:
            raise ValidationError(_l("Choose the figure this value corrects."))


class PlanForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    cycle_id = SelectField(_l("Cycle"), coerce=int, validators=[DataRequired()])
    node_id = IntegerField(_l("Indicator number"), validators=[DataRequired()])
    problem = TextAreaField(
        _l("Problem"), validators=[DataRequired(), Length(max=4000), no_control_characters]
    )
    action = TextAreaField(
        _l("Action"), validators=[DataRequired(), Length(max=4000), no_control_characters]
    )
    owner = StringField(
        _l("Owner"), validators=[DataRequired(), Length(max=120), no_control_characters]
    )
    due_on = DateField(_l("Due date"), validators=[DataRequired()])
    self_identified = BooleanField(_l("Self-identified (listed before any tip or inspection)"))


class CarryForm(FlaskForm):
    cycle_id = SelectField(_l("Cycle"), coerce=int, validators=[DataRequired()])
    due_on = DateField(_l("Due date"), validators=[DataRequired()])


class ProgressForm(FlaskForm):
    progress = IntegerField(
        _l("Progress (per cent)"), validators=[InputRequired(), NumberRange(0, 100)]
    )
    evidence = TextAreaField(
        _l("Evidence notes"), validators=[Optional(), Length(max=4000), no_control_characters]
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"), validators=[DataRequired(), Length(max=4000), no_control_characters]
    )
