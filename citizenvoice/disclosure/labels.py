"""Translated labels shared by the public pages, the dashboard and the charts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

GRADE_LABELS = {
    "excellent": _l("Excellent"),
    "good": _l("Good"),
    "satisfactory": _l("Satisfactory"),
    "needs_improvement": _l("Needs improvement"),
}
#: Satisfaction levels, best first (the order of the rollup columns level_5 … level_1).
LEVEL_LABELS = (
    _l("Very satisfied"),
    _l("Satisfied"),
    _l("Basically satisfied"),
    _l("Dissatisfied"),
    _l("Very dissatisfied"),
)
WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
SOURCE_LABELS = {
    "citizen_rating": _l("Citizen ratings"),
    "internal_evaluation": _l("Internal evaluation"),
    "self_reported": _l("Self-reported figure"),
    "inspection_verified": _l("Figure verified by inspection"),
}
NOTE_LABELS = {
    "small_sample": _l("Too few ratings to publish a value"),
    "dimension_unavailable": _l("No answers to this survey question in the period yet"),
    "no_evaluations": _l("No submitted evaluations"),
    "no_figure": _l("No figure reported"),
}
FUNNEL_LABELS = {
    "within": _l("Within the expected range"),
    "above": _l("Above the expected range"),
    "below": _l("Below the expected range"),
    "insufficient": _l("Too few ratings"),
}
STATUS_LABELS = {
    "on_track": _l("On track"),
    "at_risk": _l("Early warning: heading below target"),
    "below": _l("Below target"),
    "insufficient": _l("Too few ratings so far"),
    "no_target": _l("No target set"),
}
DIRECTION_LABELS = {"higher": _l("Higher is better"), "lower": _l("Lower is better")}
