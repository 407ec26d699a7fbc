"""Forms of the inspection pages (choices are filled in by the views)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from citizenvoice.core.forms import NumberField, no_control_characters
from citizenvoice.inspections.models import CheckResult, ContactOutcome, VisitKind

KIND_LABELS = {
    VisitKind.OPEN: _l("Open visit (announced to the unit)"),
    VisitKind.UNANNOUNCED: _l("Unannounced visit"),
}
CHECK_LABELS = {
    CheckResult.PENDING: _l("Not checked yet"),
    CheckResult.MET: _l("Met"),
    CheckResult.NOT_MET: _l("Not met"),
    CheckResult.NOT_APPLICABLE: _l("Not applicable"),
}
OUTCOME_LABELS = {
    ContactOutcome.PENDING: _l("Not called yet"),
    ContactOutcome.CONFIRMED: _l("Confirmed being served"),
    ContactOutcome.NOT_REACHED: _l("Not reached"),
    ContactOutcome.DENIED: _l("Denied being served"),
}


class PlanForm(FlaskForm):
    cycle_id = SelectField(_l("Cycle"), coerce=int, validators=[InputRequired()])
    name = StringField(
        _l("Name of the plan"),
        validators=[DataRequired(), Length(max=200), no_control_characters],
    )
    risk_count = IntegerField(
        _l("Risk-based picks"),
        default=3,
        validators=[InputRequired(), NumberRange(min=0, max=200)],
        description=_l("Places with the most tips, divergence alerts and anomaly findings."),
    )
    random_count = IntegerField(
        _l("Random picks"),
        default=3,
        validators=[InputRequired(), NumberRange(min=0, max=200)],
        description=_l("Drawn from all other service points by the seeded draw."),
    )
    seed = StringField(
        _l("Seed (optional)"),
        validators=[Optional(), Length(max=64), no_control_characters],
        description=_l("Leave empty for a fresh random seed; the seed is recorded with the plan."),
    )


class VisitForm(FlaskForm):
    target_id = SelectField(_l("Place to visit"), coerce=int, validators=[InputRequired()])
    kind = SelectField(
        _l("Kind of visit"),
        choices=[(kind.value, label) for kind, label in KIND_LABELS.items()],
        validators=[InputRequired()],
    )
    scheduled_on = DateField(_l("Day of the visit"), validators=[InputRequired()])
    inspector_id = SelectField(_l("Inspector"), coerce=int, validators=[InputRequired()])
    checklist = TextAreaField(
        _l("Checklist (one point a line)"),
        validators=[Optional(), Length(max=4000), no_control_characters],
        description=_l("Leave empty for the standard checklist."),
    )


class CheckForm(FlaskForm):
    result = SelectField(
        _l("Result"),
        choices=[(r.value, label) for r, label in CHECK_LABELS.items()],
        validators=[InputRequired()],
    )
    evidence_note = TextAreaField(
        _l("Evidence note"), validators=[Optional(), Length(max=4000), no_control_characters]
    )


class FindingForm(FlaskForm):
    text = TextAreaField(
        _l("Finding"), validators=[DataRequired(), Length(max=4000), no_control_characters]
    )
    evidence_note = TextAreaField(
        _l("Evidence note"),
        validators=[Optional(), Length(max=4000), no_control_characters],
        description=_l("Documents seen, records checked, people spoken to."),
    )


class CompleteForm(FlaskForm):
    summary = TextAreaField(
        _l("Summary of the visit"),
        validators=[DataRequired(), Length(max=4000), no_control_characters],
    )


class VerifyForm(FlaskForm):
    figure_id = SelectField(_l("Self-reported figure"), coerce=int, validators=[InputRequired()])
    verified_value = NumberField(_l("Verified value"), validators=[InputRequired()])
    evidence_note = TextAreaField(
        _l("How the value was verified"),
        validators=[DataRequired(), Length(max=4000), no_control_characters],
    )
    tip_ref = StringField(
        _l("Tip reference (optional)"),
        validators=[Optional(), Length(max=16), no_control_characters],
        description=_l("The reference of a tip that reported this figure."),
    )


class SampleForm(FlaskForm):
    size = IntegerField(
        _l("Ratings to draw"), default=10, validators=[InputRequired(), NumberRange(1, 200)]
    )
    seed = StringField(
        _l("Seed (optional)"), validators=[Optional(), Length(max=64), no_control_characters]
    )


class ContactForm(FlaskForm):
    outcome = SelectField(
        _l("What the citizen said"),
        choices=[(o.value, label) for o, label in OUTCOME_LABELS.items() if o.value != "pending"],
        validators=[InputRequired()],
    )
    channel = StringField(
        _l("How they were asked"),
        validators=[Optional(), Length(max=40), no_control_characters],
        description=_l("For example: phone call, e-mail, home visit."),
    )
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=2000), no_control_characters]
    )
