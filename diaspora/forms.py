"""Form helpers shared by the feature packages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, widgets

from diaspora.errors import DomainError

REQUIRED = _l("This field is required.")
TOO_LONG = _l("This is too long.")


class ConfirmForm(FlaskForm):
    """An empty form for a button that changes something: its CSRF token protects it."""


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Services drop unknown values; WTForms' own refusal is an untranslated sentence.
        self.validate_choice = False


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
