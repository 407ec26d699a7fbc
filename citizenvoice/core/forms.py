"""Shared forms."""

import math
from typing import Any

from flask_wtf import FlaskForm
from wtforms import FloatField, StringField
from wtforms.validators import ValidationError


class EmptyForm(FlaskForm):
    """A CSRF-protected button."""


class NumberField(FloatField):
    """A number as a person types it: finite only.

    ``float()`` also reads "nan", "inf" and "1e309" (infinity); none is a figure anyone
    reports, and a field without a range would pass them on to scores and the open data.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        value = getattr(self, "data", None)
        if isinstance(value, float) and not math.isfinite(value):
            from flask_babel import lazy_gettext as _l

            self.data = None
            raise ValueError(_l("Enter a number."))


def no_control_characters(_form: FlaskForm, field: StringField) -> None:
    """Refuse NUL and other control characters (tabs and newlines are fine)."""
    value = field.data or ""
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in value):
        from flask_babel import lazy_gettext as _l

        raise ValidationError(_l("This field contains characters that are not allowed."))


def _file_field_names() -> frozenset[str]:
    """Names of every file field declared on any form of the application."""
    from flask_wtf.file import FileField, MultipleFileField

    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        for name in dir(form):
            unbound = getattr(form, name, None)
            field_class = getattr(unbound, "field_class", None)
            if isinstance(field_class, type) and issubclass(
                field_class, (FileField, MultipleFileField)
            ):
                names.add(name)
    return frozenset(names)


def refuse_unexpected_bodies() -> None:
    """Refuse form posts that Flask-WTF would hand to fields as non-strings.

    Flask-WTF reads a JSON body as form data (values may then be lists or objects) and merges
    ``request.files`` into the form data (a file sent under a text field's name reaches that
    field as a ``FileStorage``); either crashes string validators and services (HTTP 500).
    HTML forms never send JSON, so outside ``/api/`` a JSON body is refused, and a multipart
    body may carry files only under the name of some declared file field.
    """
    from flask import abort, current_app, request

    if request.method != "POST":
        return
    if request.is_json and not request.path.startswith("/api/"):
        abort(400)
    if not request.files:
        return
    allowed = current_app.extensions.get("citizenvoice_file_fields")
    if allowed is None:
        allowed = current_app.extensions["citizenvoice_file_fields"] = _file_field_names()
    if any(name not in allowed for name in request.files):
        abort(400)
