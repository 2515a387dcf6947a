from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, ValidationError

from diaspora.forms import TOO_LONG, IdSelectField, IdSelectMultipleField, MultiCheckboxField
from diaspora.news.models import COUNTRY, EVERYONE, HOME, RETURNING
from diaspora.news.service import BODY_MAX, TITLE_MAX
from diaspora.news.topics import TOPICS

AUDIENCE_LABELS = {
    EVERYONE: _l("Everyone"),
    HOME: _l("People from chosen regions or districts"),
    COUNTRY: _l("People living in chosen countries"),
    RETURNING: _l("People who plan to return"),
}


FIRST_YEAR, LAST_YEAR = 2000, 2999
_TITLE = [Optional(), Length(max=TITLE_MAX, message=TOO_LONG)]
_BODY = [Optional(), Length(max=BODY_MAX, message=TOO_LONG)]


class NewsForm(FlaskForm):
    title_ky = StringField(_l("Title in Kyrgyz"), validators=_TITLE)
    body_ky = TextAreaField(_l("Text in Kyrgyz (Markdown)"), validators=_BODY)
    title_ru = StringField(_l("Title in Russian"), validators=_TITLE)
    body_ru = TextAreaField(_l("Text in Russian (Markdown)"), validators=_BODY)
    title_en = StringField(_l("Title in English"), validators=_TITLE)
    body_en = TextAreaField(_l("Text in English (Markdown)"), validators=_BODY)
    tags = MultiCheckboxField(_l("Topics"), choices=[(k, v) for k, v in TOPICS.items()])
    place_id = IdSelectField(_l("Written for the place"), validators=[Optional()])
    audience = RadioField(_l("Who is it for?"), default=EVERYONE,
                          choices=[(k, v) for k, v in AUDIENCE_LABELS.items()])
    place_ids = IdSelectMultipleField(_l("Regions or districts"), validators=[Optional()])
    countries = SelectMultipleField(_l("Countries"), validators=[Optional()])
    push_telegram = BooleanField(_l("Send it to the audience through Telegram when published"))
    image = FileField(_l("Image (JPEG, PNG, WebP or GIF, at most 5 MB)"))
    remove_image = BooleanField(_l("Remove the image"))
    publish_at = DateTimeLocalField(_l("Publish at (leave empty to publish now)"),
                                    validators=[Optional()], format="%Y-%m-%dT%H:%M")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.countries.validate_choice = False

    def validate_publish_at(self, field: DateTimeLocalField) -> None:
        # Year 1 or 9999 overflows once turned into UTC; nobody schedules that far.
        if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Choose a date between the years %(first)d and %(last)d.",
                                     first=FIRST_YEAR, last=LAST_YEAR))
