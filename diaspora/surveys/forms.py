"""The survey builder's forms. Answering has no WTForms form: its fields are the survey's
questions (data), read from `request.form` and checked by `service.clean_answers`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError

from diaspora.delivery import audience as audiences
from diaspora.forms import IdSelectMultipleField, MultiCheckboxField, WholeNumberField, is_id
from diaspora.surveys.models import (
    COUNTRY,
    LONG_TEXT,
    MULTIPLE,
    NUMBER,
    PLACE,
    SCALE,
    SHORT_TEXT,
    SINGLE,
)

AUDIENCE_LABELS = {
    audiences.EVERYONE: _l("Everyone"),
    audiences.HOME: _l("People from chosen regions or districts"),
    audiences.COUNTRY: _l("People living in chosen countries"),
    audiences.RETURNING: _l("People who plan to return"),
    audiences.AUTHORITIES: _l("Local authorities of chosen places"),
}

KIND_LABELS = {
    SINGLE: _l("Single choice"),
    MULTIPLE: _l("Multiple choice"),
    SCALE: _l("Scale from 1 to 5"),
    NUMBER: _l("Number"),
    SHORT_TEXT: _l("Short text"),
    LONG_TEXT: _l("Long text"),
    PLACE: _l("A place in Kyrgyzstan"),
    COUNTRY: _l("A country"),
}

FIRST_YEAR, LAST_YEAR = 2000, 2999
# Blank option rows offered below the existing ones (more on request, without JavaScript).
BLANK_OPTION_ROWS = 3


def _sane_year(form: FlaskForm, field: DateTimeLocalField) -> None:
    # Year 1 or 9999 overflows once turned into UTC; nobody plans a survey that far.
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Choose a date between the years %(first)d and %(last)d.",
                                 first=FIRST_YEAR, last=LAST_YEAR))


class SurveySettingsForm(FlaskForm):
    title_ky = StringField(_l("Title in Kyrgyz"))
    intro_ky = TextAreaField(_l("Introduction in Kyrgyz"))
    title_ru = StringField(_l("Title in Russian"))
    intro_ru = TextAreaField(_l("Introduction in Russian"))
    title_en = StringField(_l("Title in English"))
    intro_en = TextAreaField(_l("Introduction in English"))
    anonymous = BooleanField(_l("Anonymous: answers are kept without the member's name"),
                             default=True)
    audience = RadioField(_l("Who is it for?"), default=audiences.EVERYONE,
                          choices=list(AUDIENCE_LABELS.items()))
    place_ids = IdSelectMultipleField(_l("Places (for home places and local authorities)"),
                                      validators=[Optional()])
    countries = SelectMultipleField(_l("Countries"), validators=[Optional()])
    opens_at = DateTimeLocalField(_l("Opens at (empty: when you open it)"),
                                  validators=[Optional(), _sane_year], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at (empty: when you close it)"),
                                   validators=[Optional(), _sane_year], format="%Y-%m-%dT%H:%M")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # The service refuses unknown countries and audiences, in our catalogs (WTForms'
        # own refusal is an untranslated sentence).
        self.countries.validate_choice = False
        self.audience.validate_choice = False


class OptionForm(Form):
    """One option of a choice question: its id (empty for a new one) and its labels."""

    id = HiddenField()
    # Labelled on the page by the language's own name (LANGUAGE_NAMES).
    label_ky = StringField()
    label_ru = StringField()
    label_en = StringField()

    def validate_id(self, field: HiddenField) -> None:
        if field.data and not is_id(field.data):
            field.data = ""


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of question"), choices=list(KIND_LABELS.items()),
                       default=SINGLE)
    prompt_ky = TextAreaField(_l("Question in Kyrgyz"))
    prompt_ru = TextAreaField(_l("Question in Russian"))
    prompt_en = TextAreaField(_l("Question in English"))
    hint_ky = StringField(_l("Hint in Kyrgyz"))
    hint_ru = StringField(_l("Hint in Russian"))
    hint_en = StringField(_l("Hint in English"))
    required = BooleanField(_l("An answer is required"), default=True)
    options = FieldList(FormField(OptionForm), min_entries=0)
    max_choices = WholeNumberField(_l("Multiple choice: at most this many answers (empty: any)"),
                                   validators=[Optional()])
    min_value = WholeNumberField(_l("Number: the smallest allowed (empty: no limit)"),
                                 validators=[Optional()])
    max_value = WholeNumberField(_l("Number: the largest allowed (empty: no limit)"),
                                 validators=[Optional()])
    low_label_ky = StringField(_l("Scale: label of 1, in Kyrgyz"))
    low_label_ru = StringField(_l("Scale: label of 1, in Russian"))
    low_label_en = StringField(_l("Scale: label of 1, in English"))
    high_label_ky = StringField(_l("Scale: label of 5, in Kyrgyz"))
    high_label_ru = StringField(_l("Scale: label of 5, in Russian"))
    high_label_en = StringField(_l("Scale: label of 5, in English"))
    condition_option_ids = MultiCheckboxField(
        _l("Ask this question only to those who gave one of these answers (none ticked: "
           "ask everyone)"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Option ids are checked by the service against the earlier question's options,
        # the kind against the kinds it knows.
        self.condition_option_ids.validate_choice = False
        self.kind.validate_choice = False
        # Errors of the options as a whole ("give at least two"), shown above their rows.
        self.options_errors: list = []

    def validate_condition_option_ids(self, field: MultiCheckboxField) -> None:
        if any(not is_id(value) for value in field.data or []):
            field.data = []
            raise ValidationError(_l("Choose one of the options offered."))
