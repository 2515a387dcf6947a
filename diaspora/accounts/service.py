"""Account operations shared by the web site and the bot."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, or_, select
from sqlalchemy import types as sa_types
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from diaspora import timezones
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
# zxcvbn scores 0 (guessed at once) to 4 (very hard); 3 resists an offline attack on a hash.
MIN_PASSWORD_SCORE = 3
SITE_WORDS = ("mekendesh", "мекендеш", "kyrgyzstan", "кыргызстан", "bishkek", "бишкек")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(_l("Enter a valid e-mail address."), field="email") from exc
    return result.normalized.lower()


# zxcvbn's warnings, in English only, grouped into advice our catalogs translate.
_STRENGTH_ADVICE = (
    (("common password", "commonly used password"),
     _l("This is one of the most common passwords. Add a few unusual words.")),
    (("keyboard", "rows of keys", "repeats", "sequences"),
     _l("Keyboard patterns, repeats and sequences are easy to guess. Add a few unusual "
        "words.")),
    (("years", "dates"),
     _l("Years and dates are easy to guess. Add a few unusual words.")),
    (("word by itself", "names and surnames"),
     _l("A single word or name is easy to guess. Add another word or two.")),
)
TOO_EASY = _l("This password is too easy to guess. Add a few unusual words.")


def _strength_advice(warning: str) -> Any:
    lowered = warning.lower()
    for keys, advice in _STRENGTH_ADVICE:
        if any(key in lowered for key in keys):
            return advice
    return TOO_EASY


def password_problems(
    password: str, email: str | None = None, names: Iterable[str | None] = ()
) -> list[Any]:
    """What is wrong with a new password, as readable messages (empty when it is fine).

    The strength estimate (zxcvbn) knows common passwords, words, names, dates and keyboard
    patterns, and is told what an attacker would try first for this person: their e-mail,
    their name, the site's own name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return [_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]
    context: list[str] = list(SITE_WORDS)
    for value in (email, *names):
        if value:
            context.append(value)
            context.extend(part for part in re.split(r"[\W_]+", value) if len(part) >= 3)
    # zxcvbn's time grows with the length; what matters is in the first 100 characters.
    estimate = zxcvbn(password[:100], user_inputs=context)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        return [_strength_advice(estimate["feedback"].get("warning") or "")]
    return []


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


def accept_privacy(user: User, channel: str = "web") -> None:
    """`user` accepts the privacy notice in force (kept in their history; caller commits)."""
    from diaspora.accounts import consent

    consent.record_acceptance(user, channel)


@cache
def _dummy_password_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    # An unknown e-mail costs the same hash as a known one: the answer's timing must not
    # tell which addresses have an account.
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = check_password_hash(stored or _dummy_password_hash(), password)
    if user is None or stored is None or not matches or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def end_all_sessions(user: User) -> None:
    """Every web session and remember-me cookie of `user` stops working (caller commits)."""
    user.session_version = (user.session_version or 0) + 1


def change_password(user: User, current_password: str, new_password: str) -> User:
    """A logged-in member sets a new password; their other sessions end."""
    if not user.check_password(current_password):
        raise ValidationError(_l("This is not your current password."), field="current_password")
    names = [user.profile.display_name] if user.profile else []
    problems = password_problems(new_password, user.email, names)
    if problems:
        raise ValidationError(problems[0], field="password")
    user.set_password(new_password)
    end_all_sessions(user)
    audit.record(user, "user.change_password", user, before=None, after=None)
    db.session.commit()
    return user


def set_locale(user: User, locale: str) -> None:
    code = normalize_locale(locale)
    if code and user.locale != code:
        user.locale = code
        db.session.commit()


def set_timezone(actor: User, owner: User, zone: str | None) -> User:
    """The zone the member's times are shown in; empty: follow the country of residence."""
    require(actor, "profile.edit", owner)
    zone = (zone or "").strip() or None
    if zone is not None and not timezones.is_timezone(zone):
        raise ValidationError(_l("Choose one of the options offered."), field="timezone")
    if owner.timezone != zone:
        owner.timezone = zone
        db.session.commit()
    return owner


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


MAX_VILLAGE = 80


def clean_village(text: str | None, *, required: bool = False) -> str | None:
    """The home village (айыл) as typed, spaces tidied: letters required, at most
    MAX_VILLAGE characters, no markup or control characters (it is shown to moderators and
    may become a place's name)."""
    value = " ".join((text or "").split())
    if not value and not required:
        return None
    if len(value) > MAX_VILLAGE:
        raise ValidationError(
            _l("That is too long for a village name. Type just the name, please."),
            field="home_village",
        )
    if not re.search(r"[^\W\d_]", value):
        raise ValidationError(_l("The name of a village must contain letters."),
                              field="home_village")
    if re.search(r"[<>{}\[\]\\/@#$%^*=|~`]", value) or any(ord(ch) < 32 for ch in value):
        raise ValidationError(
            _l("A village name has letters, spaces, hyphens and dots only."), field="home_village"
        )
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
        elif field == "home_village":
            value = clean_village(value)
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
        zone = timezones.member_timezone(user)
        home = profile.home_place.full_name(locale) if profile.home_place else None
        lines = [
            ("country", _l("Country of residence"),
             country_name(profile.country_code, locale) if profile.country_code else None),
            ("city", _l("City"), profile.city),
            ("home", _l("Home community in Kyrgyzstan"), home),
            ("village", _l("Home village"), profile.home_village),
            ("return_plan", _l("Plans to return"), str(return_plan) if return_plan else None),
            ("remittances", _l("Sends money home"), str(remittances) if remittances else None),
            ("sectors", _l("Sectors that interest me"), sectors or None),
            ("language", _l("Language"), language),
            ("timezone", _l("Time zone"), timezones.timezone_label(zone, locale)),
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
    end_all_sessions(target)  # whatever the old role could do, no open session keeps
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


def reject_authority(actor: User, link: AuthorityPlace, reason: str = "") -> None:
    require(actor, "authority.verify", link)
    user = link.user
    audit.record(actor, "authority.reject", link,
                 before={"user_id": link.user_id, "place_id": link.place_id},
                 after={"reason": reason} if reason else None)
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
    else:
        end_all_sessions(user)  # a new password and role: sessions opened before end
    user.role = "admin"
    user.set_password(password)
    accept_privacy(user, "cli")
    db.session.flush()
    audit.record(None, "user.create_admin", user, after={"role": "admin"})
    db.session.commit()
    return user


# -- erasing personal data -------------------------------------------------------------------

_PERSONAL_DATA_KEY = "mekendesh.personal_data"


@dataclass(frozen=True)
class PersonalData:
    """What a feature keeps about a member beyond rows that name them (which the download
    finds by itself): how to show it in the download and how to erase it."""

    name: str
    export: Any  # (User) -> JSON-able
    erase: Any  # (User) -> None, in the caller's transaction


def register_personal_data(app: Any, name: str, export: Any, erase: Any) -> None:
    """Called by a feature's `init_app`, so accounts imports no feature."""
    sections: dict[str, PersonalData] = app.extensions.setdefault(_PERSONAL_DATA_KEY, {})
    sections[name] = PersonalData(name, export, erase)


def _personal_data_sections() -> list[PersonalData]:
    return list(current_app.extensions.get(_PERSONAL_DATA_KEY, {}).values())



def anonymise_user(user: User) -> None:
    """Strip every personal detail from an account; the row stays as a nameless author."""
    from diaspora.accounts import consent
    from diaspora.accounts.models import TelegramToken

    for section in _personal_data_sections():
        section.erase(user)
    consent.erase_history(user)
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
    end_all_sessions(user)


def _bot_state_of_chat(chat_id: int) -> Any:
    """The bot's stored rows of a chat: user_data under its id, conversations under
    "[chat_id, user_id]" keys."""
    from diaspora.accounts.models import BotState

    return (BotState.key == str(chat_id)) | BotState.key.like(f"[{chat_id},%")


def erase_bot_state(chat_id: int) -> None:
    """Forget what the bot stored for a chat (answers in progress, language); caller
    commits."""
    from diaspora.accounts.models import BotState

    db.session.execute(sa_delete(BotState).where(_bot_state_of_chat(chat_id)))


def delete_personal_data(actor: User, user: User) -> None:
    """A member erases their personal data: the one operation behind the bot's /delete and
    the web's "Delete my data".

    The profile, e-mail, password, Telegram chat, the bot's stored answers for that chat and
    pending codes go; every session ends; the account row is kept anonymous and inactive so
    that what the member once published keeps an author id without a name. Nobody can log in
    to it again.
    """
    require(actor, "profile.edit", user)
    audit.record(actor, "user.delete_personal_data", user, before=None, after=None)
    if user.telegram_chat_id is not None:
        erase_bot_state(user.telegram_chat_id)
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
    records = _rows_naming(user)
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "language": user.locale,
            "timezone": user.timezone,
            "telegram_chat_id": user.telegram_chat_id,
            "telegram_language_code": user.telegram_language_code,
            "telegram_blocked_at": _iso(user.telegram_blocked_at),
            "broadcasts_paused": user.broadcasts_paused,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "privacy_notice": {
                "version": user.privacy_version,
                "accepted_at": _iso(user.privacy_accepted_at),
                "history": _privacy_history(user),
            },
        },
        "profile": profile_data,
        "authorities": [
            {
                "organisation": link.organisation,
                "place": link.place.code,
                "requested_at": _iso(link.requested_at),
                "verified_at": _iso(link.verified_at),
            }
            for link in user.authority_places
        ],
        "bot_state": _bot_state_export(user),
        **{section.name: section.export(user) for section in _personal_data_sections()},
        "audit_log_about_you": _audit_about(user, records),
        # Every other row that names the member (posts they wrote, messages sent to them,
        # ...): found through the foreign keys, so a new feature's rows are never forgotten.
        "records": records,
    }


def _privacy_history(user: User) -> list[dict[str, Any]]:
    from diaspora.accounts import consent

    return consent.export_history(user)


def _bot_state_export(user: User) -> list[dict[str, Any]]:
    from diaspora.accounts.models import BotState

    if user.telegram_chat_id is None:
        return []
    rows = db.session.scalars(
        select(BotState).where(_bot_state_of_chat(user.telegram_chat_id))
        .order_by(BotState.namespace, BotState.key)
    )
    return [{"namespace": row.namespace, "key": row.key, "data": row.data,
             "updated_at": _iso(row.updated_at)} for row in rows]


def _audit_about(user: User, records: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Audit rows about the member, their authority places and everything else of theirs
    the download holds (a moderator taking down their post, ...). Rows they wrote
    themselves are under records.audit_log too."""
    from diaspora.moderation.models import AuditEntry

    about = (AuditEntry.object_type == "user") & (AuditEntry.object_id == user.id)
    link_ids = [link.id for link in user.authority_places]
    if link_ids:
        about |= (AuditEntry.object_type == "authorityplace") & AuditEntry.object_id.in_(link_ids)
    # audit.record names an object by its class, lower-cased: map each table back to it.
    classes = {mapper.local_table.name: mapper.class_.__name__.lower()
               for mapper in db.Model.registry.mappers}
    for table, rows in records.items():
        ids = [row["id"] for row in rows if row.get("id") is not None]
        if table in classes and ids and table != AuditEntry.__tablename__:
            about |= (AuditEntry.object_type == classes[table]) & AuditEntry.object_id.in_(ids)
    rows = db.session.scalars(select(AuditEntry).where(about).order_by(AuditEntry.id))
    return [{"action": row.action, "object_type": row.object_type, "object_id": row.object_id,
             "before": row.before, "after": row.after, "created_at": _iso(row.created_at),
             "by_you": row.actor_id == user.id} for row in rows]


# Secrets and bulk data are not personal data of the member: left out of the download.
_EXPORT_SKIPPED_COLUMNS = {"token_hash", "password_hash", "totp_secret", "code_hash"}


def _rows_naming(user: User) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("users", "profiles", "authority_places"):
            continue
        columns = [fk.parent for fk in table.foreign_keys
                   if fk.column.table.name == "users" and fk.column.name == "id"]
        if not columns:
            continue
        shown = [column for column in table.columns
                 if column.name not in _EXPORT_SKIPPED_COLUMNS
                 and not isinstance(column.type, sa_types.LargeBinary)]
        condition = or_(*(column == user.id for column in columns))
        rows = db.session.execute(select(*shown).where(condition)).mappings()
        found = [{key: _plain(value) for key, value in row.items()} for row in rows]
        if found:
            records[table.name] = found
    return records


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
