from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from diaspora.accounts import choices
from diaspora.forms import (
    REQUIRED,
    TOO_LONG,
    IdSelectField,
    MultiCheckboxField,
    WholeNumberField,
)


def _blank_first(options: dict) -> list[tuple[str, str]]:
    return [("", _l("— not answered —")), *options.items()]


class RegistrationForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)]
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
        description=_l("At least 10 characters. A few unusual words make a strong password."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", message=_l("The passwords do not match.")),
        ],
    )
    accept_privacy = BooleanField(_l("I have read and accept the privacy notice"))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)]
    )
    remember = BooleanField(_l("Remember me"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Display name"), validators=[Optional(), Length(max=80, message=TOO_LONG)]
    )
    country_code = SelectField(_l("Country of residence"), validators=[InputRequired(REQUIRED)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100, message=TOO_LONG)])
    home_place_id = IdSelectField(
        _l("Home community in Kyrgyzstan"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Choose your region, district or community."),
    )
    home_village = StringField(
        _l("Home village"),
        validators=[Optional(), Length(max=80, message=TOO_LONG)],
        description=_l("The village (айыл) in your aiyl aimak, as you call it. Optional."),
    )
    birth_band = SelectField(_l("Age"), choices=_blank_first(choices.BIRTH_BANDS))
    gender = SelectField(_l("Gender"), choices=_blank_first(choices.GENDERS))
    occupation_sector = SelectField(
        _l("Occupation"), choices=_blank_first(choices.OCCUPATION_SECTORS)
    )
    skills = StringField(
        _l("Skills"),
        validators=[Optional(), Length(max=800, message=TOO_LONG)],
        description=_l("Separate skills with commas, e.g. welding, accounting, Korean."),
    )
    years_abroad = WholeNumberField(
        _l("Years abroad"),
        validators=[
            Optional(),
            NumberRange(min=0, max=80, message=_l("Enter a number of years between 0 and 80.")),
        ],
    )
    return_plan = SelectField(
        _l("Do you plan to return to Kyrgyzstan?"), choices=_blank_first(choices.RETURN_PLANS)
    )
    remittances = SelectField(
        _l("Do you send money home?"), choices=_blank_first(choices.REMITTANCES)
    )
    wants_to_invest = BooleanField(_l("I am interested in investing at home"))
    wants_to_volunteer = BooleanField(_l("I am interested in volunteering at home"))
    interest_sectors = MultiCheckboxField(
        _l("Sectors that interest me"), choices=list(choices.INTEREST_SECTORS.items())
    )
    locale = SelectField(_l("Preferred language"))
    timezone = SelectField(
        _l("Time zone"), description=_l("Dates and times on the site and in the bot use it.")
    )
    notify_news = BooleanField(_l("News from my home community"))
    notify_surveys = BooleanField(_l("Invitations to surveys"))
    notify_projects = BooleanField(_l("Updates on projects I follow"))
    notify_by_email = BooleanField(_l("Also send me e-mail"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # WTForms checks a typed value is "a valid choice" with its own English message;
        # our service validates choices with translated messages instead.
        for field in (
            self.birth_band,
            self.gender,
            self.occupation_sector,
            self.return_plan,
            self.remittances,
            self.country_code,
            self.home_place_id,
            self.locale,
            self.timezone,
        ):
            field.validate_choice = False


class AuthorityRequestForm(FlaskForm):
    """One place per request (accounts/authority.py says why); sent again for another."""

    position = StringField(
        _l("Your position"),
        validators=[DataRequired(REQUIRED), Length(max=120, message=TOO_LONG)],
        description=_l("For example: Head of the aiyl okmotu."),
    )
    organisation = StringField(
        _l("Name of your authority"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
        description=_l("For example: Kochkor aiyl okmotu."),
    )
    place_id = IdSelectField(_l("Place it serves"), validators=[InputRequired(REQUIRED)])
    document = FileField(
        _l("A document that shows your position (optional)"),
        description=_l("A photo or scan of your appointment order or service card: JPEG, "
                       "PNG, WebP or PDF, at most %(size)s MB. Only moderators see it.",
                       size=5),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.place_id.validate_choice = False


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(choices.ROLE_LABELS.items()))


class DeleteAccountForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that my profile and answers will be erased for good"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
        description=_l("At least 10 characters. A few unusual words make a strong password."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", message=_l("The passwords do not match.")),
        ],
    )


class TelegramCodeForm(FlaskForm):
    code = StringField(
        _l("Code from the bot"),
        validators=[DataRequired(REQUIRED), Length(max=32, message=TOO_LONG)],
    )


class TwoFactorCodeForm(FlaskForm):
    """The second sign-in step: a 6-digit authenticator code, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(REQUIRED), Length(max=64, message=TOO_LONG)],
    )
