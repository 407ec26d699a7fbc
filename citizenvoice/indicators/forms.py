from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
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
from citizenvoice.indicators.models import (
    SUBJECT_LABELS,
    CycleKind,
    CycleState,
    DataSource,
    Direction,
    IndicatorStatus,
    Origin,
    ProposalStatus,
    Subject,
)

TEXT = [Length(max=200), no_control_characters]
DATETIME = "%Y-%m-%dT%H:%M"

KIND_LABELS = {CycleKind.QUARTER: _l("Quarter"), CycleKind.YEAR: _l("Year")}
DIRECTION_LABELS = {
    Direction.HIGHER: _l("Higher is better"),
    Direction.LOWER: _l("Lower is better"),
}
STATE_LABELS = {
    CycleState.PLANNING: _l("planning"),
    CycleState.COLLECTING: _l("collecting"),
    CycleState.EVALUATING: _l("evaluating"),
    CycleState.REVIEWING: _l("reviewing"),
    CycleState.PUBLISHED: _l("published"),
}
STATUS_LABELS = {
    IndicatorStatus.PROPOSED: _l("proposed"),
    IndicatorStatus.IN_CONSULTATION: _l("in consultation"),
    IndicatorStatus.AGREED: _l("agreed"),
}
ORIGIN_LABELS = {
    Origin.CONSTRAINED: _l("Constrained (top-down)"),
    Origin.EXPECTED: _l("Expected (proposed by the unit)"),
}
PROPOSAL_LABELS = {
    ProposalStatus.OPEN: _l("open"),
    ProposalStatus.ACCEPTED: _l("accepted"),
    ProposalStatus.REJECTED: _l("rejected"),
}
SOURCE_LABELS = {
    DataSource.CITIZEN_RATING: _l("Citizen ratings"),
    DataSource.INTERNAL_EVALUATION: _l("Internal evaluation"),
    DataSource.SELF_REPORTED: _l("Self-reported figure"),
    DataSource.INSPECTION_VERIFIED: _l("Verified by inspection"),
}


class CycleForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=60), no_control_characters],
        description=_l("Lower-case letters, digits and hyphens, e.g. 2026-q3."),
    )
    name = StringField(_l("Name (English)"), validators=[DataRequired(), *TEXT])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), *TEXT])
    kind = SelectField(_l("Period"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    period_start = DateField(_l("Period starts"), validators=[DataRequired()])
    period_end = DateField(_l("Period ends"), validators=[DataRequired()])
    self_report_deadline = DateTimeLocalField(
        _l("Deadline for self-reported figures (UTC)"), format=DATETIME,
        validators=[DataRequired()],
    )  # fmt: skip
    evaluation_deadline = DateTimeLocalField(
        _l("Deadline for internal evaluations (UTC)"), format=DATETIME,
        validators=[DataRequired()],
    )  # fmt: skip
    review_opens_on = DateField(_l("Review (appeals) window opens"), validators=[DataRequired()])
    review_closes_on = DateField(_l("Review (appeals) window closes"), validators=[DataRequired()])
    copy_from = SelectField(
        _l("Start from the indicator tree of"),
        coerce=int,
        description=_l("The copied indicators are proposed again and must be agreed anew."),
    )
    unit_ids = SelectMultipleField(
        _l("Participating units"),
        coerce=int,
        description=_l("By default every active unit except the top government."),
    )


class ParticipantsForm(FlaskForm):
    unit_ids = SelectMultipleField(_l("Participating units"), coerce=int)


def _parse_json_object(field: TextAreaField) -> dict[str, Any]:
    try:
        value = json.loads(field.data or "")
    except ValueError as exc:
        raise ValidationError(_l("This is not valid JSON.")) from exc
    if not isinstance(value, dict):
        raise ValidationError(_l("Criteria must be a JSON object."))
    return value


class NodeForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=60), no_control_characters]
    )
    name = StringField(_l("Name (English)"), validators=[DataRequired(), *TEXT])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), *TEXT])
    parent_id = SelectField(_l("Category"), coerce=int)
    weight = NumberField(
        _l("Weight among its siblings (%)"), validators=[InputRequired(), NumberRange(0, 100)]
    )
    position = IntegerField(_l("Order"), default=0, validators=[Optional()])


class IndicatorForm(NodeForm):
    definition = TextAreaField(
        _l("Definition"), validators=[Length(max=4000), no_control_characters]
    )
    unit_of_measure = StringField(
        _l("Unit of measure"), validators=[Length(max=60), no_control_characters]
    )
    direction = SelectField(
        _l("Direction"), choices=[(k.value, v) for k, v in DIRECTION_LABELS.items()]
    )
    target_value = NumberField(_l("Target value"), validators=[Optional()])
    criteria_text = TextAreaField(
        _l("Criteria (JSON)"),
        default='{"kind": "direct"}',
        validators=[DataRequired(), Length(max=4000)],
        description=_l(
            'For example {"kind": "linear", "target": 95, "floor": 80, "step": 5, "per": 1} '
            'or {"kind": "bands", "bands": [[95, 100], [90, 80], [80, 60]]} '
            'or {"kind": "direct"} (the value already is a score).'
        ),
    )
    data_source = SelectField(
        _l("Data source"), choices=[(k.value, v) for k, v in SOURCE_LABELS.items()]
    )
    survey_dimension = StringField(
        _l("Survey dimension code"),
        validators=[Length(max=60), no_control_characters],
        description=_l("Citizen ratings only; empty means overall satisfaction."),
    )
    service_code = StringField(
        _l("Only this service (code)"), validators=[Length(max=60), no_control_characters]
    )
    service_point_id = SelectField(_l("Only this service point"), coerce=int)

    def validate_criteria_text(self, field: TextAreaField) -> None:
        _parse_json_object(field)

    def criteria_value(self) -> dict[str, Any]:
        return _parse_json_object(self.criteria_text)

    def subject_weights(self) -> dict[str, float]:
        return {
            s.value: float(getattr(self, f"subject_{s.value}").data or 0)
            for s in Subject
            if getattr(self, f"subject_{s.value}").data
        }


for _subject in Subject:
    setattr(
        IndicatorForm,
        f"subject_{_subject.value}",
        NumberField(SUBJECT_LABELS[_subject], validators=[Optional(), NumberRange(0, 100)]),
    )


class TransitionForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (only needed to proceed despite the problems listed)"),
        validators=[Length(max=2000), no_control_characters],
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"), validators=[DataRequired(), Length(max=4000), no_control_characters]
    )
    proposed_target = NumberField(_l("Propose a target"), validators=[Optional()])
    proposed_weight = NumberField(
        _l("Propose a weight (%)"), validators=[Optional(), NumberRange(0, 100)]
    )


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"), choices=[("accept", _l("Accept")), ("reject", _l("Reject"))]
    )


class FigureForm(FlaskForm):
    value = NumberField(_l("Value"), validators=[InputRequired(message=_l("Enter a number."))])
    note = TextAreaField(
        _l("Evidence notes"),
        validators=[DataRequired(), Length(max=4000), no_control_characters],
        description=_l("How the figure was obtained and where the records can be checked."),
    )
    files = MultipleFileField(
        _l("Evidence files"),
        description=_l("PDF, PNG, JPEG, CSV or XLSX; at most 5 MB each."),
    )


class TreeImportForm(FlaskForm):
    file = FileField(_l("CSV or JSON file"), validators=[FileRequired()])
