"""Telegram members: accounts created from a chat, one-time link codes and login links.

Used by the bot (bot/handlers) and by the web (account page, /login/telegram/<token>).
Privacy rule: before a person accepts the privacy notice nothing about them is stored here;
the bot keeps only their chat id and chosen language in its own state (bot_state), so the
first row in `users` appears when they press "I agree".
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diaspora.accounts import service
from diaspora.accounts.models import Profile, TelegramToken, User
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES, normalize_locale
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.moderation.models import AuditEntry

log = logging.getLogger(__name__)

TOKEN_TTL = timedelta(minutes=10)
LINK = "link"
LOGIN = "login"
WEB_LINK = "weblink"
# No 0/O, 1/I/L: a code read off a phone and typed on another screen.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


# -- members known by their chat -------------------------------------------------------------


# Built once: the bot asks this for nearly every update, and building the statement (not
# running it) cost about as much as the indexed read itself. SQLAlchemy statements are
# immutable, so one is shared by every thread.
_CHAT_USER = select(User).where(
    User.telegram_chat_id == sa.bindparam("chat_id"), User.deleted_at.is_(None)
)


def find_chat_user(chat_id: int) -> User | None:
    """The active account this Telegram chat belongs to, if any."""
    return db.session.scalar(_CHAT_USER, {"chat_id": chat_id})


def registered_chat_user(chat_id: int) -> User | None:
    """The chat's account once its member agreed to the privacy notice, else None."""
    user = find_chat_user(chat_id)
    if user is None or not user.active or user.privacy_accepted_at is None:
        return None
    return user


NOT_REGISTERED = _l("You are not registered yet. Send /start to begin.")


def require_chat_user(chat_id: int) -> User:
    user = registered_chat_user(chat_id)
    if user is None:
        raise NotFound(NOT_REGISTERED)
    return user


def accept_privacy_in_chat(
    chat_id: int, locale: str | None, telegram_language_code: str | None = None
) -> User:
    """The person pressed "I agree": their account starts to exist (or is renewed)."""
    user = find_chat_user(chat_id)
    if user is None:
        user = User(telegram_chat_id=chat_id, role="member")
        db.session.add(user)
    user.locale = normalize_locale(locale) or user.locale
    user.telegram_language_code = (telegram_language_code or "")[:16] or None
    user.broadcasts_paused = False
    user.telegram_blocked_at = None
    service.accept_privacy(user, "telegram")
    service.ensure_profile(user)
    db.session.commit()
    return user


def set_chat_locale(chat_id: int, locale: str) -> bool:
    """Save the bot language on the account, when there is one (True if saved)."""
    user = find_chat_user(chat_id)
    if user is None:
        return False
    service.set_locale(user, locale)
    return True


def set_broadcasts_paused(chat_id: int, paused: bool) -> User:
    """/stop pauses every broadcast; /start resumes them (and forgets an old 403 block)."""
    user = require_chat_user(chat_id)
    user.broadcasts_paused = paused
    if not paused:
        user.telegram_blocked_at = None
    db.session.commit()
    return user


def set_chat_blocked(chat_id: int, blocked: bool) -> None:
    """Telegram told us the member blocked (or unblocked) the bot."""
    user = find_chat_user(chat_id)
    if user is None:
        return
    user.telegram_blocked_at = utcnow() if blocked else None
    db.session.commit()


# -- one-time codes and links ------------------------------------------------------------------


def _hash(purpose: str, secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{secret}".encode(), hashlib.sha256).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _issue(
    purpose: str, chat_id: int, user: User | None, secret: str, **shown: str | None
) -> str:
    now = utcnow()
    # One live secret of a kind per chat: asking again replaces the previous one.
    db.session.execute(
        sa.delete(TelegramToken).where(
            TelegramToken.telegram_chat_id == chat_id,
            TelegramToken.purpose == purpose,
            TelegramToken.used_at.is_(None),
        )
    )
    # Housekeeping: nothing expired needs to stay.
    db.session.execute(sa.delete(TelegramToken).where(TelegramToken.expires_at < now))
    db.session.add(
        TelegramToken(
            purpose=purpose,
            token_hash=_hash(purpose, secret),
            telegram_chat_id=chat_id,
            user_id=user.id if user else None,
            created_at=now,
            expires_at=now + TOKEN_TTL,
            **shown,
        )
    )
    db.session.commit()
    return secret


def issue_link_code(
    chat_id: int, *, name: str | None = None, username: str | None = None
) -> str:
    """A code (e.g. "K7MQ4XR9") a logged-in web user types on their account page.

    `name` and `username` are how Telegram names the person asking: the web shows them
    before the link is made.
    """
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return _issue(
        LINK, chat_id, find_chat_user(chat_id), code,
        telegram_name=" ".join((name or "").split())[:130] or None,
        telegram_username=(username or "").lstrip("@")[:40] or None,
    )


def issue_login_token(chat_id: int) -> str:
    """The secret part of a one-time /login/telegram/<token> link."""
    user = require_chat_user(chat_id)
    return _issue(LOGIN, chat_id, user, secrets.token_urlsafe(32))


def _live_token(purpose: str, secret: str) -> TelegramToken | None:
    if not secret:
        return None
    token = db.session.scalar(
        select(TelegramToken).where(TelegramToken.token_hash == _hash(purpose, secret))
    )
    if token is None or token.purpose != purpose or token.used_at is not None:
        return None
    if token.expires_at <= utcnow():
        return None
    return token


def login_token_is_valid(secret: str) -> bool:
    """For the confirmation page: looking does not use the link up."""
    return _live_token(LOGIN, secret) is not None


LOGIN_LINK_INVALID = _l(
    "This login link is not valid any more. Send /web to the bot for a new one."
)
LINK_CODE_INVALID = _l("This code is wrong or has expired. Send /link to the bot for a new one.")


def _use_once(token: TelegramToken) -> bool:
    """Mark a token used; False when another request used it first.

    Single use even when two requests race: only one UPDATE finds used_at empty.
    """
    done = db.session.execute(
        sa.update(TelegramToken)
        .where(TelegramToken.id == token.id, TelegramToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if done.rowcount != 1:
        db.session.rollback()
        return False
    return True


def consume_login_token(secret: str) -> User:
    token = _live_token(LOGIN, secret)
    user = db.session.get(User, token.user_id) if token and token.user_id else None
    if token is None or user is None or not user.active or user.deleted_at is not None:
        raise InvalidTransition(LOGIN_LINK_INVALID)
    if not _use_once(token):
        raise InvalidTransition(LOGIN_LINK_INVALID)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


@dataclass(frozen=True)
class LinkPreview:
    """What the web shows before a member confirms joining a chat to their account."""

    code: str
    name: str | None
    username: str | None
    merges_account: bool  # the chat already has a bot-only account, whose answers move over
    replaces_chat: bool  # the web account was joined to another chat, which it leaves


CHAT_HAS_OWN_ACCOUNT = _l(
    "This Telegram chat belongs to another Mekendesh account with its own login, role or "
    "verified places, so it cannot be joined to this one. Log in to that account instead."
)


def mergeable(account: User) -> bool:
    """Only an account that exists because someone used the bot may be folded into another:
    no e-mail or password, a plain member, no authority places (asked for or verified), not
    switched off (a blocked account must not come back inside another)."""
    return (
        account.active
        and account.email is None
        and account.password_hash is None
        and account.role == "member"
        and not account.authority_places
    )


def _check_link(web_user: User, code: str) -> tuple[str, TelegramToken]:
    code = normalize_code(code)
    if len(code) != CODE_LENGTH:
        raise ValidationError(_l("Enter the 8-character code the bot showed you."), field="code")
    token = _live_token(LINK, code)
    if token is None:
        raise ValidationError(LINK_CODE_INVALID, field="code")
    other = find_chat_user(token.telegram_chat_id)
    if other is not None and other.id != web_user.id and not mergeable(other):
        raise InvalidTransition(CHAT_HAS_OWN_ACCOUNT)
    return code, token


def preview_link_code(web_user: User, code: str) -> LinkPreview:
    """Check a code without using it up and say which Telegram account it would join."""
    code, token = _check_link(web_user, code)
    other = find_chat_user(token.telegram_chat_id)
    return LinkPreview(
        code=code,
        name=token.telegram_name,
        username=token.telegram_username,
        merges_account=other is not None and other.id != web_user.id,
        replaces_chat=bool(web_user.telegram_chat_id)
        and web_user.telegram_chat_id != token.telegram_chat_id,
    )


def redeem_link_code(web_user: User, code: str) -> User:
    """Join the Telegram chat that showed `code` to `web_user`'s account (once confirmed).

    If the chat already had a bot-only account, its answers fill the blanks of the web
    profile, whatever else it owns moves to the web account, and the bot-only row goes. Any
    other account is refused (see `mergeable`). The chat is told it was joined; a chat the
    web account leaves is told the link moved.
    """
    code, token = _check_link(web_user, code)
    return _join_chat(web_user, token, LINK_CODE_INVALID)


def _join_chat(web_user: User, token: TelegramToken, invalid: Any) -> User:
    if not _use_once(token):
        raise ValidationError(invalid, field="code")
    chat_id = token.telegram_chat_id
    previous_chat = web_user.telegram_chat_id
    other = find_chat_user(chat_id)
    merged_id = None
    if other is not None and other.id != web_user.id:
        merged_id = other.id
        _merge_into(web_user, other)
    web_user.telegram_chat_id = chat_id
    web_user.broadcasts_paused = False
    web_user.telegram_blocked_at = None
    audit.record(
        web_user, "user.link_telegram", web_user,
        before={"linked": previous_chat is not None},
        after={"linked": True, "merged_account": merged_id,
               "moved_from_another_chat": previous_chat not in (None, chat_id)},
    )
    db.session.flush()
    _tell_chats(web_user, previous_chat if previous_chat != chat_id else None)
    db.session.commit()
    return web_user


# -- joining from the web: a deep link whose start parameter carries a one-time code ----------

# The start parameter of t.me/<bot>?start=... : "j" and the secret (Telegram allows 64
# characters of A-Z a-z 0-9 _ -).
JOIN_PREFIX = "j"
WEB_LINK_INVALID = _l("This link is not valid any more. Open the bot again from your account "
                      "page on the website.")


def issue_web_link(web_user: User) -> str:
    """The secret of a deep link that a logged-in member opens in Telegram. The chat that
    opens it asks to join; the member confirms on the website, seeing which chat asked (so a
    link someone else caught on the screen joins nothing)."""
    secret = secrets.token_urlsafe(24)
    now = utcnow()
    db.session.execute(sa.delete(TelegramToken).where(
        TelegramToken.user_id == web_user.id, TelegramToken.purpose == WEB_LINK,
        TelegramToken.used_at.is_(None)))
    db.session.add(TelegramToken(
        purpose=WEB_LINK, token_hash=_hash(WEB_LINK, secret), telegram_chat_id=0,
        user_id=web_user.id, created_at=now, expires_at=now + TOKEN_TTL))
    db.session.commit()
    return secret


def claim_web_link(secret: str, chat_id: int, *, name: str | None = None,
                   username: str | None = None) -> bool:
    """The chat that opened the deep link asks to join (once): the website then shows who."""
    token = _live_token(WEB_LINK, secret)
    if token is None or token.telegram_chat_id != 0:
        return False
    done = db.session.execute(
        sa.update(TelegramToken)
        .where(TelegramToken.id == token.id, TelegramToken.telegram_chat_id == 0)
        .values(telegram_chat_id=chat_id,
                telegram_name=" ".join((name or "").split())[:130] or None,
                telegram_username=(username or "").lstrip("@")[:40] or None)
    )
    db.session.commit()
    return done.rowcount == 1


def pending_web_link(web_user: User) -> TelegramToken | None:
    """A chat that opened this member's deep link and waits for their confirmation."""
    token = db.session.scalar(
        select(TelegramToken).where(
            TelegramToken.user_id == web_user.id, TelegramToken.purpose == WEB_LINK,
            TelegramToken.used_at.is_(None), TelegramToken.telegram_chat_id != 0,
            TelegramToken.expires_at > utcnow(),
        ).order_by(TelegramToken.id.desc()).limit(1)
    )
    return token


def preview_web_link(web_user: User) -> LinkPreview | None:
    token = pending_web_link(web_user)
    if token is None:
        return None
    other = find_chat_user(token.telegram_chat_id)
    return LinkPreview(
        code=str(token.id), name=token.telegram_name, username=token.telegram_username,
        merges_account=other is not None and other.id != web_user.id,
        replaces_chat=bool(web_user.telegram_chat_id)
        and web_user.telegram_chat_id != token.telegram_chat_id,
    )


def redeem_web_link(web_user: User, token_id: int) -> User:
    token = pending_web_link(web_user)
    if token is None or token.id != token_id:
        raise ValidationError(WEB_LINK_INVALID, field="code")
    other = find_chat_user(token.telegram_chat_id)
    if other is not None and other.id != web_user.id and not mergeable(other):
        raise InvalidTransition(CHAT_HAS_OWN_ACCOUNT)
    return _join_chat(web_user, token, WEB_LINK_INVALID)


def masked_email(email: str) -> str:
    """`a•••@example.kg`: enough for the owner to recognise, not a whole address for whoever
    talked them into confirming a code from the wrong chat."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def _in_every_language(render: Callable[[], str]) -> dict[str, str]:
    """A message in every language, for the outbox's "text" template (which picks the
    recipient's language when it sends)."""
    texts = {}
    for locale in SUPPORTED_LOCALES:
        with force_locale(locale):
            texts[locale] = render()
    return texts


def _tell_chats(web_user: User, previous_chat: int | None) -> None:
    from diaspora.delivery.service import enqueue_notification

    account = masked_email(web_user.email) if web_user.email else web_user.name
    enqueue_notification(web_user, "text", {"text": _in_every_language(lambda: gettext(
        "This Telegram chat is now joined to the Mekendesh account %(account)s: its news "
        "and surveys come here, and /web logs in to it.", account=account))})
    if previous_chat is not None:
        enqueue_notification(web_user, "text", {"text": _in_every_language(lambda: gettext(
            "The Mekendesh account %(account)s is no longer joined to this chat: it was "
            "joined to another Telegram account. If that was not you, log in on the website, "
            "change your password and log out everywhere.", account=account))},
            chat_id=previous_chat)


_MERGED_PROFILE_FIELDS = (
    "display_name",
    "country_code",
    "city",
    "home_place_id",
    "home_village",
    "birth_band",
    "gender",
    "occupation_sector",
    "years_abroad",
    "return_plan",
    "remittances",
)


def _merge_into(target: User, source: User) -> None:
    """Move a Telegram-only account into `target`, then remove it."""
    profile = service.ensure_profile(target)
    old = source.profile
    if old is not None:
        for field in _MERGED_PROFILE_FIELDS:
            if getattr(profile, field) in (None, "") and getattr(old, field) not in (None, ""):
                setattr(profile, field, getattr(old, field))
        profile.skills = service.clean_skills([*(profile.skills or []), *(old.skills or [])])
        sectors = list(profile.interest_sectors or [])
        sectors += [s for s in old.interest_sectors or [] if s not in sectors]
        profile.interest_sectors = sectors
        profile.wants_to_invest = profile.wants_to_invest or old.wants_to_invest
        profile.wants_to_volunteer = profile.wants_to_volunteer or old.wants_to_volunteer
        source.profile = None
    if not target.locale:
        target.locale = source.locale
    target.telegram_language_code = source.telegram_language_code
    source.telegram_chat_id = None
    db.session.flush()
    # Whatever later features attached to the Telegram account (responses, supports, ...)
    # now belongs to the web account; a row that cannot move (a uniqueness rule: the web
    # account already answered) stays and goes with the old account.
    for table in db.metadata.sorted_tables:
        # Audit rows say who did what: they are never rewritten.
        if table.name in ("users", "profiles", "audit_log"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != "users" or fk.column.name != "id":
                continue
            column = fk.parent
            try:
                with db.session.begin_nested():
                    db.session.execute(
                        sa.update(table).where(column == source.id).values({column.name: target.id})
                    )
            except sa.exc.IntegrityError:
                log.info("link: rows of %s.%s stay with the old account", table.name, column.name)
    db.session.expire(source)
    named_in_audit = db.session.scalar(
        sa.select(AuditEntry.id).where(AuditEntry.actor_id == source.id).limit(1)
    )
    if named_in_audit is not None:  # deleting it would blank the actor of those rows
        service.anonymise_user(source)
        return
    try:
        with db.session.begin_nested():
            db.session.delete(source)
    except sa.exc.IntegrityError:
        service.anonymise_user(source)


def profile_answers(user: User) -> Profile:
    return service.ensure_profile(user)
