"""Account operations shared by the web site and the bot."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from diaspora.accounts import choices
from diaspora.accounts.models import ROLES, AuthorityPlace, Profile, User
from diaspora.accounts.permissions import require
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.i18n import LANGUAGE_NAMES, normalize_locale
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.places.countries import country_name, is_country
from diaspora.places.models import Place

MIN_PASSWORD_LENGTH = 10
# The most common passwords people pick; a longer list would not change the rule's spirit.
COMMON_PASSWORDS = frozenset(
    {"1234567890", "qwertyuiop", "password123", "qwerty12345", "1q2w3e4r5t", "0123456789",
     "password1234", "iloveyou123", "kyrgyzstan1", "bishkek2024", "1111111111", "abcdefghij"}
)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(_l("Enter a valid e-mail address."), field="email") from exc
    return result.normalized.lower()


def password_problems(password: str, email: str | None = None) -> list[Any]:
    """What is wrong with a new password, as readable messages (empty when it is fine)."""
    problems: list[Any] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
        problems.append(_l("Use both letters and digits."))
    lowered = password.lower()
    local = (email or "").split("@")[0].lower()
    if lowered in COMMON_PASSWORDS or (len(local) >= 4 and local in lowered):
        problems.append(_l("This password is too easy to guess."))
    return problems


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def register(
    email: str, password: str, *, accepted_privacy: bool, locale: str | None = None
) -> User:
    address = check_email(email)
    if not accepted_privacy:
        raise ValidationError(
            _l("You need to accept the privacy notice to register."), field="accept_privacy"
        )
    problems = password_problems(password, address)
    if problems:
        raise ValidationError(problems[0], field="password")
    if find_by_email(address):
        raise ValidationError(
            _l("An account with this e-mail address already exists. Log in instead."),
            field="email",
        )
    user = User(email=address, role="member", locale=normalize_locale(locale))
    user.set_password(password)
    accept_privacy(user)
    user.profile = Profile()
    db.session.add(user)
    db.session.commit()
    return user


def accept_privacy(user: User) -> None:
    user.privacy_version = current_app.config["PRIVACY_NOTICE_VERSION"]
    user.privacy_accepted_at = utcnow()


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def set_locale(user: User, locale: str) -> None:
    code = normalize_locale(locale)
    if code and user.locale != code:
        user.locale = code
        db.session.commit()


def ensure_profile(user: User) -> Profile:
    if user.profile is None:
        user.profile = Profile()
        db.session.flush()
    return user.profile


PROFILE_CHOICE_FIELDS = {
    "birth_band": choices.BIRTH_BANDS,
    "gender": choices.GENDERS,
    "occupation_sector": choices.OCCUPATION_SECTORS,
    "return_plan": choices.RETURN_PLANS,
    "remittances": choices.REMITTANCES,
}
PROFILE_TEXT_FIELDS = {"display_name": 80}
MAX_CITY = 100
PROFILE_BOOL_FIELDS = (
    "wants_to_invest", "wants_to_volunteer", "notify_news", "notify_surveys",
    "notify_projects", "notify_by_email",
)
MAX_SKILLS = 20


def clean_skills(skills: Iterable[str] | str | None) -> list[str]:
    if skills is None:
        return []
    if isinstance(skills, str):
        skills = skills.split(",")
    seen: dict[str, str] = {}
    for raw in skills:
        tag = " ".join(raw.split())[:40]
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return list(seen.values())[:MAX_SKILLS]


def clean_city(text: str | None, *, required: bool = False) -> str | None:
    """A city as typed, spaces tidied. It must contain letters ("12345" or "!!!" is no city);
    empty is allowed unless `required` (the bot asks for a name or Skip)."""
    value = " ".join((text or "").split())
    if not value and not required:
        return None
    if len(value) > MAX_CITY:
        raise ValidationError(
            _l("That is too long for a city name. Type just the name, please."), field="city"
        )
    if not re.search(r"[^\W\d_]", value):
        raise ValidationError(_l("The name of a city must contain letters."), field="city")
    return value


def update_profile(actor: User, owner: User, **changes: Any) -> Profile:
    """Change any profile answers given; fields not passed stay as they are.

    Choosing sectors to invest in says the member wants to invest: `wants_to_invest` follows
    the sectors unless the same call sets it explicitly with no sectors (the web checkbox)."""
    require(actor, "profile.edit", owner)
    profile = ensure_profile(owner)
    for field, value in changes.items():
        if field == "country_code":
            value = (value or "").upper() or None
            if value and not is_country(value):
                raise ValidationError(_l("Choose a country from the list."), field=field)
        elif field == "home_place_id":
            if value and db.session.get(Place, int(value)) is None:
                raise ValidationError(_l("Choose your home place from the list."), field=field)
            value = int(value) if value else None
        elif field in PROFILE_CHOICE_FIELDS:
            if value and value not in PROFILE_CHOICE_FIELDS[field]:
                raise ValidationError(_l("Choose one of the answers offered."), field=field)
            value = value or None
        elif field == "city":
            value = clean_city(value)
        elif field in PROFILE_TEXT_FIELDS:
            value = " ".join((value or "").split())[: PROFILE_TEXT_FIELDS[field]] or None
        elif field == "skills":
            value = clean_skills(value)
        elif field == "interest_sectors":
            value = [code for code in (value or []) if code in choices.INTEREST_SECTORS]
        elif field == "years_abroad":
            if value in (None, ""):
                value = None
            elif not (0 <= int(value) <= 80):
                raise ValidationError(_l("Enter a number of years between 0 and 80."), field=field)
            else:
                value = int(value)
        elif field in PROFILE_BOOL_FIELDS:
            value = bool(value)
        else:
            raise ValueError(f"unknown profile field {field}")
        setattr(profile, field, value)
    if "interest_sectors" in changes:
        if profile.interest_sectors:
            profile.wants_to_invest = True
        elif "wants_to_invest" not in changes:
            profile.wants_to_invest = False
    db.session.commit()
    return profile


# The answers a profile needs before news and surveys can find the member, in asking order.
REQUIRED_PROFILE_ANSWERS = {
    "country_code": _l("Tell us the country you live in."),
    "home_place_id": _l("Tell us your home place in Kyrgyzstan."),
}


def missing_profile_answers(profile: Profile | None) -> list[str]:
    """The required fields still empty (the bot asks them in this order)."""
    return [f for f in REQUIRED_PROFILE_ANSWERS if profile is None or not getattr(profile, f)]


def is_profile_complete(profile: Profile | None) -> bool:
    return not missing_profile_answers(profile)


def require_complete_profile(profile: Profile | None) -> None:
    missing = missing_profile_answers(profile)
    if missing:
        raise ValidationError(REQUIRED_PROFILE_ANSWERS[missing[0]], field=missing[0])


@dataclass(frozen=True)
class SummaryLine:
    key: str
    label: str  # localized
    value: str | None  # localized; None when not answered


def profile_summary(user: User, locale: str) -> list[SummaryLine]:
    """The member's answers, labelled, in `locale`: the bot's /profile and the account page."""
    profile = ensure_profile(user)
    with force_locale(locale):
        sectors = ", ".join(
            str(choices.INTEREST_SECTORS[code])
            for code in profile.interest_sectors or []
            if code in choices.INTEREST_SECTORS
        )
        return_plan = choices.RETURN_PLANS.get(profile.return_plan)
        remittances = choices.REMITTANCES.get(profile.remittances)
        language = LANGUAGE_NAMES.get(user.locale) if user.locale else None
        home = profile.home_place.full_name(locale) if profile.home_place else None
        lines = [
            ("country", _l("Country of residence"),
             country_name(profile.country_code, locale) if profile.country_code else None),
            ("city", _l("City"), profile.city),
            ("home", _l("Home community in Kyrgyzstan"), home),
            ("return_plan", _l("Plans to return"), str(return_plan) if return_plan else None),
            ("remittances", _l("Sends money home"), str(remittances) if remittances else None),
            ("sectors", _l("Sectors that interest me"), sectors or None),
            ("language", _l("Language"), language),
        ]
        return [SummaryLine(key, str(label), value or None) for key, label, value in lines]


# -- roles and authorities -------------------------------------------------------------------


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    return user


def change_role(actor: User, target: User, role: str) -> User:
    require(actor, "admin.manage_roles", target)
    if role not in ROLES:
        raise ValidationError(_l("Choose one of the roles offered."), field="role")
    if target.role == role:
        return target
    before = {"role": target.role}
    target.role = role
    audit.record(actor, "user.change_role", target, before=before, after={"role": role})
    db.session.commit()
    return target


def list_users(page: int = 1, per_page: int = 50, query: str = "") -> Any:
    stmt = select(User).order_by(User.id)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.outerjoin(Profile).where(
            func.lower(User.email).like(like) | func.lower(Profile.display_name).like(like)
        )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def request_authority(actor: User, place: Place | None, organisation: str) -> AuthorityPlace:
    """A member says they speak for a local authority; a moderator must verify it."""
    require(actor, "authority.request")
    if place is None:
        raise ValidationError(_l("Choose the place your authority serves."), field="place_id")
    organisation = " ".join((organisation or "").split())[:200]
    if not organisation:
        raise ValidationError(_l("Name your authority."), field="organisation")
    existing = db.session.scalar(
        select(AuthorityPlace).where(
            AuthorityPlace.user_id == actor.id, AuthorityPlace.place_id == place.id
        )
    )
    if existing:
        raise InvalidTransition(_l("You have already asked to represent this place."))
    link = AuthorityPlace(user_id=actor.id, place_id=place.id, organisation=organisation)
    if actor.role == "member":
        actor.role = "authority"
    db.session.add(link)
    db.session.commit()
    return link


def pending_authorities() -> list[AuthorityPlace]:
    return list(
        db.session.scalars(
            select(AuthorityPlace)
            .where(AuthorityPlace.verified_at.is_(None))
            .order_by(AuthorityPlace.requested_at)
        )
    )


def verify_authority(actor: User, link: AuthorityPlace) -> AuthorityPlace:
    require(actor, "authority.verify", link)
    if link.verified_at is not None:
        raise InvalidTransition(_l("This authority is already verified."))
    link.verified_at = utcnow()
    link.verified_by_id = actor.id
    if link.user.role == "member":
        link.user.role = "authority"
    audit.record(actor, "authority.verify", link, before={"verified": False},
                 after={"verified": True, "user_id": link.user_id, "place_id": link.place_id})
    db.session.commit()
    return link


def reject_authority(actor: User, link: AuthorityPlace) -> None:
    require(actor, "authority.verify", link)
    user = link.user
    audit.record(actor, "authority.reject", link,
                 before={"user_id": link.user_id, "place_id": link.place_id}, after=None)
    db.session.delete(link)
    db.session.flush()
    if user.role == "authority" and not user.authority_places:
        user.role = "member"
    db.session.commit()


def create_admin(email: str, password: str) -> User:
    address = check_email(email)
    problems = password_problems(password, address)
    if problems:
        raise ValidationError(problems[0], field="password")
    user = find_by_email(address)
    if user is None:
        user = User(email=address)
        user.profile = Profile()
        db.session.add(user)
    user.role = "admin"
    user.set_password(password)
    accept_privacy(user)
    db.session.flush()
    audit.record(None, "user.create_admin", user, after={"role": "admin"})
    db.session.commit()
    return user


# -- erasing personal data -------------------------------------------------------------------


def anonymise_user(user: User) -> None:
    """Strip every personal detail from an account; the row stays as a nameless author."""
    from diaspora.accounts.models import TelegramToken

    if user.profile is not None:
        db.session.delete(user.profile)
        user.profile = None
    for link in list(user.authority_places):
        db.session.delete(link)
    db.session.execute(sa_delete(TelegramToken).where(TelegramToken.user_id == user.id))
    user.email = None
    user.password_hash = None
    user.locale = None
    user.timezone = None
    user.privacy_version = None
    user.privacy_accepted_at = None
    user.telegram_chat_id = None
    user.telegram_language_code = None
    user.telegram_blocked_at = None
    user.broadcasts_paused = True
    user.last_login_at = None
    user.role = "member"
    user.active = False
    user.deleted_at = utcnow()


def delete_personal_data(actor: User, user: User) -> None:
    """A member erases their personal data (the bot's /delete; the web can reuse it).

    The profile, e-mail, password, Telegram chat and pending codes go; the account row is
    kept anonymous and inactive so that what the member once published keeps an author id
    without a name. Nobody can log in to it again.
    """
    require(actor, "profile.edit", user)
    audit.record(actor, "user.delete_personal_data", user, before=None, after=None)
    anonymise_user(user)
    db.session.commit()


def export_personal_data(actor: User, user: User) -> dict[str, Any]:
    """Everything Mekendesh keeps about a member, as they can download it."""
    require(actor, "profile.edit", user)
    profile = user.profile
    profile_data: dict[str, Any] = {}
    if profile is not None:
        profile_data = {
            column.key: getattr(profile, column.key)
            for column in Profile.__table__.columns
            if column.key not in ("user_id", "updated_at")
        }
        profile_data["home_place"] = (
            {"code": profile.home_place.code, "name": profile.home_place.name}
            if profile.home_place
            else None
        )
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "language": user.locale,
            "timezone": user.timezone,
            "telegram_chat_id": user.telegram_chat_id,
            "broadcasts_paused": user.broadcasts_paused,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "privacy_notice": {
                "version": user.privacy_version,
                "accepted_at": _iso(user.privacy_accepted_at),
            },
        },
        "profile": profile_data,
        "authorities": [
            {
                "organisation": link.organisation,
                "place": link.place.code,
                "verified_at": _iso(link.verified_at),
            }
            for link in user.authority_places
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
