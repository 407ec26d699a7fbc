"""Forms: the citizen's rating form (built per survey version) and the staff forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
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

from citizenvoice.core.forms import no_control_characters
from citizenvoice.org.models import ServicePoint
from citizenvoice.surveys.models import QuestionKind, SurveyVersion

#: The five-level scale, best first as it is read on the page (stored 5 = very satisfied).
LEVEL_LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Basically satisfied"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}
YES_NO_LABELS = {1: _l("Yes"), 0: _l("No")}
#: Name of the honeypot field: a field people never see and bots like to fill.
HONEYPOT = "website"


def question_field_name(code: str) -> str:
    return f"q_{code}"


class RatingFormBase(FlaskForm):
    overall = RadioField(
        _l("Overall, how satisfied are you with the service today?"),
        choices=list(LEVEL_LABELS.items()),
        coerce=int,
        validators=[InputRequired(message=_l("Please choose how satisfied you are overall."))],
    )
    service = SelectField(
        _l("Which service did you come for? (optional)"),
        coerce=int,
        default=0,
        validate_choice=False,  # the service checks that the point offers it
    )
    comment = TextAreaField(
        _l("Anything you would like to tell the unit? (optional)"),
        validators=[Length(max=2000), no_control_characters],
        description=_l("Please do not write your ID number here."),
    )
    contact_name = StringField(
        _l("Your name (optional)"), validators=[Length(max=120), no_control_characters]
    )
    contact_details = StringField(
        _l("Phone number or e-mail for a reply (optional)"),
        validators=[Length(max=200), no_control_characters],
    )
    consent = BooleanField(
        _l(
            "I agree that the unit may use these contact details only to reply to me about "
            "this rating."
        )
    )
    website = StringField(_l("Leave this field empty"), validators=[Length(max=200)])
    ft = HiddenField()

    def validate_consent(self, field: BooleanField) -> None:
        if (self.contact_details.data or "").strip() and not field.data:
            raise ValidationError(
                _l("Please agree to the use of your contact details, or leave them empty.")
            )

    def question_fields(self) -> list[Any]:
        return [getattr(self, name) for name in getattr(self, "_question_names", [])]

    def answers(self, version: SurveyVersion) -> dict[int, int]:
        values = {}
        for question in version.questions:
            value = getattr(self, question_field_name(question.code)).data
            if value is not None:
                values[question.id] = value
        return values


def rating_form(
    version: SurveyVersion, point: ServicePoint, lang: str, **kwargs: Any
) -> RatingFormBase:
    """A rating form with one radio group per question of ``version``."""

    class RatingForm(RatingFormBase):
        pass

    names = []
    for question in version.questions:
        labels = LEVEL_LABELS if question.kind is QuestionKind.SCALE else YES_NO_LABELS
        name = question_field_name(question.code)
        field = RadioField(
            question.display_text(lang),
            choices=list(labels.items()),
            coerce=int,
            validators=[Optional()],
        )
        setattr(RatingForm, name, field)
        names.append(name)
    form = RatingForm(**kwargs)
    form._question_names = names
    services = [(s.id, s.display_name(lang)) for s in point.services if s.is_active]
    form.service.choices = [(0, _l("(not sure / other)")), *services]
    return form


class FlagDecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            ("confirm", _l("Confirm: keep it out of the scores")),
            ("clear", _l("Clear: count it")),
        ],
    )
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=1000), no_control_characters]
    )


class StreamFilterForm(FlaskForm):
    class Meta:
        csrf = False

    point = SelectField(_l("Service point"), coerce=int, validators=[Optional()])
    service = SelectField(_l("Service"), coerce=int, validators=[Optional()])
    since = StringField(_l("From (YYYY-MM-DD)"), validators=[Optional(), Length(max=10)])
    until = StringField(_l("Until (YYYY-MM-DD)"), validators=[Optional(), Length(max=10)])


class TicketBatchForm(FlaskForm):
    size = IntegerField(
        _l("Number of tickets"),
        default=50,
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )


class KioskForm(FlaskForm):
    name = StringField(
        _l("Kiosk name"), validators=[DataRequired(), Length(max=120), no_control_characters]
    )


class QuestionForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=40), no_control_characters]
    )
    kind = SelectField(
        _l("Answer"),
        choices=[
            (QuestionKind.SCALE.value, _l("Five-level satisfaction scale")),
            (QuestionKind.YES_NO.value, _l("Yes or no")),
        ],
    )
    text = StringField(
        _l("Question (English)"),
        validators=[DataRequired(), Length(max=300), no_control_characters],
    )
    text_zh = StringField(
        _l("Question (Chinese)"), validators=[Optional(), Length(max=300), no_control_characters]
    )


class SurveyForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=60), no_control_characters]
    )
    name = StringField(
        _l("Name (English)"), validators=[DataRequired(), Length(max=200), no_control_characters]
    )
    name_zh = StringField(
        _l("Name (Chinese)"), validators=[Optional(), Length(max=200), no_control_characters]
    )
