"""The forms of the support pages. They check shapes (lengths, ids); the service checks
meaning (the place exists, the kind is known, the contact is a phone or an address)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from diaspora.forms import TOO_LONG, IdSelectField, MultiCheckboxField
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from diaspora.support.service import (
    ADDRESS_MAX,
    CONTACT_LABELS,
    CONTACT_MAX,
    DESCRIPTION_MAX,
    HOURS_MAX,
    KINDS,
    MESSAGE_MAX,
    PHONE_MAX,
    SERVICE_NAME_MAX,
)


def _kind_choices() -> list[tuple[str, object]]:
    return [("", "—"), *KINDS.items()]


class RequestForm(FlaskForm):
    kind = SelectField(_l("What do you need help with?"), choices=_kind_choices(),
                       validators=[Optional()])
    place_id = IdSelectField(_l("Where?"), validators=[Optional()],
                             description=_l("Your home place unless you choose another."))
    description = TextAreaField(
        _l("Describe your situation in a few sentences"),
        validators=[Length(max=DESCRIPTION_MAX, message=TOO_LONG)],
        description=_l("Only you, the local authority of this place and the programme's "
                       "staff read it."))
    contact_channel = RadioField(_l("How should they contact you?"),
                                 choices=list(CONTACT_LABELS.items()), default="telegram",
                                 validate_choice=False)
    contact_value = StringField(_l("Your phone number, e-mail address or Telegram username"),
                                validators=[Length(max=CONTACT_MAX, message=TOO_LONG)])
    women_services = BooleanField(_l("I need services for women"))
    children_services = BooleanField(_l("I need services for children"))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your answer"),
                         validators=[Length(max=MESSAGE_MAX, message=TOO_LONG)])


class ActForm(FlaskForm):
    action = RadioField(_l("What do you do?"), validate_choice=False, default="answer",
                        choices=[("answer", _l("Answer")),
                                 ("refer", _l("Refer to a service")),
                                 ("close", _l("Close the request"))])
    service_id = IdSelectField(_l("The service"), validators=[Optional()])
    body = TextAreaField(_l("Message to the member"),
                         validators=[Length(max=MESSAGE_MAX, message=TOO_LONG)])


class ServiceForm(FlaskForm):
    place_id = IdSelectField(_l("Place"), validators=[Optional()])
    name = StringField(_l("Name"), validators=[Length(max=SERVICE_NAME_MAX, message=TOO_LONG)])
    kind = SelectField(_l("Kind of help"), choices=_kind_choices(), validators=[Optional()])
    address = StringField(_l("Address"),
                          validators=[Length(max=ADDRESS_MAX, message=TOO_LONG)])
    phone = StringField(_l("Phone"), validators=[Length(max=PHONE_MAX, message=TOO_LONG)])
    languages = MultiCheckboxField(_l("Working languages"),
                                   choices=[(c, LANGUAGE_NAMES[c]) for c in SUPPORTED_LOCALES])
    hours = StringField(_l("Working hours"),
                        validators=[Length(max=HOURS_MAX, message=TOO_LONG)],
                        description=_l("For example: Mon–Fri 9:00–18:00"))
