"""Form helpers shared by the feature packages."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, widgets

from diaspora.errors import DomainError

REQUIRED = _l("This field is required.")
TOO_LONG = _l("This is too long.")
NOT_AN_OPTION = _l("Choose one of the options offered.")

# The largest id our tables hold: ids are INTEGER columns, 32 bits on PostgreSQL (larger
# numbers make it fail with "integer out of range"; beyond 64 bits the drivers overflow).
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


def is_id(value: object) -> bool:
    """Whether `value` can name a database row: a whole number from 1 to MAX_ID in ASCII
    digits (int("²") fails; a larger number overflows the column or the driver)."""
    text = str(value)
    return bool(_DIGITS.fullmatch(text)) and 0 < int(text) <= MAX_ID


class ConfirmForm(FlaskForm):
    """An empty form for a button that changes something: its CSRF token protects it."""


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Services drop unknown values; WTForms' own refusal is an untranslated sentence.
        self.validate_choice = False


class IdSelectField(SelectField):
    """A select whose options are database ids. The value stays text ("" for none), as views
    expect; anything that cannot be an id is a form error instead of an exception later."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # The choices are often filled in per request; the service checks the row exists.
        self.validate_choice = False

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        if self.data not in (None, "") and not is_id(self.data):
            self.data = None
            raise ValueError(NOT_AN_OPTION)


class IdSelectMultipleField(SelectMultipleField):
    """Several database ids, each checked like `IdSelectField`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.validate_choice = False

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        if any(not is_id(value) for value in self.data or []):
            self.data = []
            raise ValueError(NOT_AN_OPTION)


class WholeNumberField(IntegerField):
    """An integer input whose refusal is in our catalogs (WTForms' has no Kyrgyz)."""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Enter a whole number.")) from exc


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's refusal next to the field it concerns, or on top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)
