"""Forms of the tip box (public) and of the investigation pages (staff)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from citizenvoice.core.forms import no_control_characters
from citizenvoice.tips.models import TipOutcome, TipStatus
from citizenvoice.tips.privacy import TipCSRF
from citizenvoice.tips.services import MAX_TEXT


def _int_or_zero(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


class TipBoxForm(FlaskForm):
    """Public tip forms: the anti-forgery token is bound to the tip cookie, not to a session."""

    class Meta:
        csrf_class = TipCSRF


class NewTipForm(TipBoxForm):
    unit = SelectField(
        _l("Which unit faked figures or ratings?"),
        coerce=_int_or_zero,
        validators=[DataRequired(_l("Please choose a unit from the list."))],
    )
    service_point = SelectField(
        _l("Service point (optional)"), coerce=_int_or_zero, validators=[Optional()]
    )
    figure = StringField(
        _l("Which figure, indicator or rating? (optional)"),
        description=_l('For example "cases closed on time: 98%, second quarter".'),
        validators=[Optional(), Length(max=300), no_control_characters],
    )
    body = TextAreaField(
        _l("What was faked, and how do you know?"),
        description=_l(
            "Describe what happened, when, and where the true figures can be found. "
            "Do not write your name or anything that identifies you unless you want to."
        ),
        validators=[
            DataRequired(_l("Please describe what was faked.")),
            Length(min=20, max=MAX_TEXT),
            no_control_characters,
        ],
    )
    evidence = FileField(
        _l("Evidence (optional)"),
        description=_l(
            "PDF, PNG, JPEG, plain text or CSV. Files can contain hidden details such as an "
            "author's name or where a photo was taken: remove them first."
        ),
    )
    #: One-time value of this form, so that a re-sent submission adds nothing.
    nonce = HiddenField(validators=[Optional(), Length(max=64)])
    #: Honeypot: hidden from people (``hidden`` attribute); bots fill it in.
    website = StringField(_l("Leave this field empty"))


class FollowUpForm(TipBoxForm):
    receipt = StringField(
        _l("Your receipt"),
        description=_l("The 32 characters you wrote down, for example ABCD-EFGH-…"),
        validators=[DataRequired(_l("Please enter your receipt.")), Length(max=100)],
    )


class ReplyForm(TipBoxForm):
    receipt = HiddenField(validators=[DataRequired(), Length(max=100)])
    body = TextAreaField(
        _l("Your message to the investigators"),
        validators=[
            DataRequired(_l("Please write a message.")),
            Length(max=MAX_TEXT),
            no_control_characters,
        ],
    )
    evidence = FileField(_l("Evidence (optional)"))


# ---- staff -----------------------------------------------------------------------------------


class AssignForm(FlaskForm):
    investigator = SelectField(
        _l("Investigator"),
        coerce=_int_or_zero,
        validators=[DataRequired(_l("Choose an investigator."))],
    )


STATUS_LABELS = {
    TipStatus.NEW: _l("New"),
    TipStatus.TRIAGED: _l("Triaged"),
    TipStatus.INVESTIGATING: _l("Being investigated"),
    TipStatus.CLOSED: _l("Closed"),
}
OUTCOME_LABELS = {
    TipOutcome.SUBSTANTIATED: _l("Substantiated: the figures were faked"),
    TipOutcome.UNSUBSTANTIATED: _l("Not substantiated"),
    TipOutcome.REFERRED: _l("Referred to another authority"),
}


class StatusForm(FlaskForm):
    status = SelectField(
        _l("New status"),
        choices=[(s.value, label) for s, label in STATUS_LABELS.items() if s is not TipStatus.NEW],
        validators=[DataRequired()],
    )
    outcome = SelectField(
        _l("Outcome (when closing)"),
        choices=[("", "—")] + [(o.value, label) for o, label in OUTCOME_LABELS.items()],
        validators=[Optional()],
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Internal note"),
        validators=[
            DataRequired(_l("Please write a note.")),
            Length(max=MAX_TEXT),
            no_control_characters,
        ],
    )


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message to the reporter"),
        validators=[
            DataRequired(_l("Please write a message.")),
            Length(max=MAX_TEXT),
            no_control_characters,
        ],
    )
