"""Numbers that are not numbers: "NaN", infinities and overflow in every number field.

``float()`` reads "nan", "inf" and "1e309" (infinity) without complaint, and a form field
without a range would hand them on to the database, where scores and open data then read NaN.
Every number field of every form is a :class:`~citizenvoice.core.forms.NumberField`, which
refuses them with "Enter a number."; tests/indicators/test_pages.py posts them to a real form.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from wtforms import FloatField
from wtforms.fields.core import UnboundField

from citizenvoice.core.forms import NumberField

NOT_NUMBERS = ("NaN", "nan", "inf", "-Infinity", "1e309")


def _forms() -> list[type[FlaskForm]]:
    from tests.conftest import BASE_CONFIG, create_app

    create_app({**BASE_CONFIG, "DATABASE_URL": "sqlite://"})  # imports every form
    found: list[type[FlaskForm]] = []
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        found.append(form)
        pending.extend(form.__subclasses__())
    return found


def _float_fields() -> dict[str, set[str]]:
    """Form class name -> names of its float fields (NumberField or plain FloatField)."""
    fields: dict[str, set[str]] = {}
    for form in _forms():
        for name in dir(form):
            unbound = getattr(form, name, None)
            if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, FloatField):
                fields.setdefault(f"{form.__module__}.{form.__qualname__}", set()).add(name)
    return fields


def test_every_float_field_is_a_number_field() -> None:
    plain = []
    for form in _forms():
        for name in dir(form):
            unbound = getattr(form, name, None)
            if (
                isinstance(unbound, UnboundField)
                and issubclass(unbound.field_class, FloatField)
                and not issubclass(unbound.field_class, NumberField)
            ):
                plain.append(f"{form.__module__}.{form.__qualname__}.{name}")
    assert _float_fields(), "no number field found: the introspection is broken"
    assert plain == []


@pytest.mark.parametrize("raw", [*NOT_NUMBERS, "12.5", "-3", "1e3", " 7 "])
def test_a_number_field_takes_finite_numbers_only(app: Flask, raw: str) -> None:
    from werkzeug.datastructures import MultiDict

    class Form(FlaskForm):
        value = NumberField()

    with app.test_request_context():
        form = Form(MultiDict({"value": raw}), meta={"csrf": False})
        valid = form.validate()
    if raw in NOT_NUMBERS:
        assert not valid and form.value.data is None
        assert form.errors == {"value": ["Enter a number."]}
    else:
        assert valid and form.value.data == float(raw)
