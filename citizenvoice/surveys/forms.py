"""Forms: the citizen's rating form (built per survey version) and the staff forms."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel import support
from flask_babel import get_locale
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
from wtforms.i18n import messages_path
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
from citizenvoice.surveys.intake import QuestionShape, VersionShape
from citizenvoice.surveys.models import QuestionKind

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


@functools.lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> Any:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class RatingFormBase(FlaskForm):
    class Meta(FlaskForm.Meta):
        # The app-wide CSRF protection has checked the request before the view runs; the
        # template writes its token field.
        csrf = False

        def get_translations(self, form: Any) -> Any:
            # The built-in messages, loaded once per language rather than on every request.
            return _wtforms_translations(str(get_locale() or "en"))

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

    _question_names: tuple[str, ...] = ()

    def question_fields(self) -> list[Any]:
        return [getattr(self, name) for name in self._question_names]

    def errors_from(self, other: RatingFormBase | None) -> None:
        """Take over the messages of ``other`` (the same form, validated without choices)."""
        if other is None:
            return
        for name, field in other._fields.items():
            if field.errors and name in self._fields:
                self._fields[name].errors = list(field.errors)
        self.form_errors.extend(other.form_errors)

    def answers(self, version: VersionShape) -> dict[int, int]:
        values = {}
        for question in version.questions:
            value = getattr(self, question_field_name(question.code)).data
            if value is not None:
                values[question.id] = value
        return values


@functools.lru_cache(maxsize=256)
def _form_class(questions: tuple[QuestionShape, ...], lang: str) -> type[RatingFormBase]:
    """The form class of a set of questions (a version's questions never change once used)."""

    class RatingForm(RatingFormBase):
        _question_names = tuple(question_field_name(q.code) for q in questions)

    for question in questions:
        labels = LEVEL_LABELS if question.kind is QuestionKind.SCALE else YES_NO_LABELS
        field = RadioField(
            question.display_text(lang),
            choices=list(labels.items()),
            coerce=int,
            validators=[Optional()],
        )
        setattr(RatingForm, question_field_name(question.code), field)
    return RatingForm


def rating_form(
    version: VersionShape, services: list[tuple[int, str]], lang: str, **kwargs: Any
) -> RatingFormBase:
    """A rating form with one radio group per question of ``version``.

    ``services`` are the (id, name) choices of the point's active services; the service
    checks the submitted one, so a submission can be validated with none.
    """
    form = _form_class(version.questions, lang)(**kwargs)
    form.service.choices = [(0, _l("(not sure / other)")), *services]
    return form


def service_choices(point: ServicePoint, lang: str) -> list[tuple[int, str]]:
    return [(s.id, s.display_name(lang)) for s in point.services if s.is_active]


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


# ---- the plainly valid submission, read without building the form ---------------------------

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_VALUES = {QuestionKind.SCALE: ("1", "2", "3", "4", "5"), QuestionKind.YES_NO: ("0", "1")}
#: (field, longest value) of the free-text fields, as the form's Length validators have them.
_TEXT_LIMITS = (("comment", 2000), ("contact_name", 120), ("contact_details", 200), (HONEYPOT, 200))


@dataclass(frozen=True)
class PlainAnswers:
    """What a rating form submitted, once it is known to pass every check of the form."""

    overall: int
    answers: dict[int, int]
    service_id: int | None
    comment: str
    contact_name: str
    contact_details: str
    honeypot: str


def plain_answers(formdata: Mapping[str, str], version: VersionShape) -> PlainAnswers | None:
    """The answers of a submission that the rating form would accept as it is, or None.

    Most ratings are a tap on each scale and nothing else; reading them needs no form object.
    Anything unusual (a missing or odd value, a long or strange text, contact details without
    consent) returns None, and the caller validates with the form, which explains the problem.
    Never accepts what :func:`rating_form` would refuse.
    """
    overall = formdata.get("overall")
    if overall not in _VALUES[QuestionKind.SCALE]:
        return None
    answers = {}
    for question in version.questions:
        value = formdata.get(question_field_name(question.code))
        if value is None:
            continue
        if value not in _VALUES[question.kind]:
            return None
        answers[question.id] = int(value)
    service = formdata.get("service", "0")
    if not (service.isdigit() and service.isascii() and len(service) <= 9):
        return None
    texts = {}
    for name, longest in _TEXT_LIMITS:
        text = formdata.get(name) or ""
        if len(text) > longest or _CONTROL_CHARACTERS.search(text):
            return None
        texts[name] = text
    if texts["contact_details"].strip() and formdata.get("consent") in (None, "", "false"):
        return None
    return PlainAnswers(
        overall=int(overall),
        answers=answers,
        service_id=int(service) or None,
        comment=texts["comment"],
        contact_name=texts["contact_name"],
        contact_details=texts["contact_details"],
        honeypot=texts[HONEYPOT],
    )
