"""The moderators' Telegram chat: staff link a group, the bot posts the queue there with
buttons, and a moderator's press becomes their decision (issue 10, "From Telegram").

Linking: a member of staff makes a one-time code on /moderation/telegram (`issue_code`, only
its hash is kept, 15 minutes); in the group, someone whose Telegram is joined to a staff
account sends `/moderators <code>` and the bot links the chat (`link_chat`). The bot leaving
the group, or staff on the page, unlink it. Both are audited.

Posting: the bot's poll (`poll_plan`) claims a row per chat and queue entry before it sends
(the unique constraint: never posted twice), and closes the posts whose entry left the queue
(decided on the web, or gone), so their buttons disappear.

Deciding: `press` checks the account behind the Telegram user (staff role; outside a web
request the role alone counts, see accounts.permissions.second_factor_done) and calls the one
queue's `decide`, which records the decision as theirs and is atomic: two moderators pressing
at once get one decision and one AlreadyDecided. Where a reason is required the bot asks for
it in the chat (`record_ask`); the asked moderator's reply to that question is the reason
(`answer_ask`).

Everything here is synchronous and runs in the bot's worker threads (bot.runtime.db) or in a
web request; the bot module (bot/handlers/moderation.py) only sends and edits messages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diaspora.accounts.permissions import can, require
from diaspora.accounts.telegram import registered_chat_user
from diaspora.errors import DomainError, NotFound, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.i18n import normalize_locale
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.moderation.models import (
    ModerationChat,
    ModerationChatCode,
    ModerationChatPost,
    ModerationReasonAsk,
)

CODE_TTL = timedelta(minutes=15)
# No 0/O, 1/I/L: a code read off one screen and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# A claim (a post row without its message) older than this was left by a bot that stopped
# between claiming and sending: it is dropped, and the entry posted again.
CLAIM_TTL = timedelta(minutes=2)
# A question for a reason nobody answered within a day is forgotten (it holds a Telegram id).
ASK_TTL = timedelta(days=1)
DEFAULT_LOCALE = "ky"

# The queue's own words (queue.decide refuses the same): said before a reason is asked for.
OWN_CONTENT = _l("Nobody moderates their own content: another moderator will.")
NOT_STAFF = _l("Only moderators can decide here. Join your Telegram to your Mekendesh staff "
               "account first (send /link to the bot in a private chat).")
NOT_STAFF_TO_LINK = _l("Only a moderator whose Telegram is joined to their Mekendesh staff "
                       "account can link this chat.")
CODE_INVALID = _l("This code is wrong or has expired. Make a new one on the website: "
                  "Moderation → Moderators' Telegram chat.")


# -- linking -----------------------------------------------------------------------------------


def _hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"moderation-chat:{code}".encode(), hashlib.sha256).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


def linked_chats(actor: Any) -> list[ModerationChat]:
    require(actor, "staff.area")
    return list(db.session.scalars(select(ModerationChat).order_by(ModerationChat.linked_at)))


def issue_code(actor: Any) -> str:
    """A one-time code (shown once, "K7MQ-4XR9"); the actor's earlier unused code stops working."""
    require(actor, "staff.area")
    now = utcnow()
    db.session.execute(sa.delete(ModerationChatCode).where(
        sa.or_(ModerationChatCode.expires_at < now,
               sa.and_(ModerationChatCode.created_by_id == actor.id,
                       ModerationChatCode.used_at.is_(None)))))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    db.session.add(ModerationChatCode(code_hash=_hash(code), created_by_id=actor.id,
                                      created_at=now, expires_at=now + CODE_TTL))
    db.session.commit()
    return f"{code[:4]}-{code[4:]}"


def account_locale(telegram_user_id: int) -> str | None:
    """The saved language of the account behind a Telegram user, if it has one."""
    user = registered_chat_user(telegram_user_id)
    return normalize_locale(user.locale) if user is not None else None


def link_chat(telegram_user_id: int, chat_id: int, title: str, code: str) -> str:
    """`/moderators <code>` in a group: link it, as the sender, if they are staff and the code
    is live (used up at once, even when two messages race: one UPDATE finds it unused).
    Returns the language the bot will write in there (the linking moderator's)."""
    user = registered_chat_user(telegram_user_id)
    # Staff first: nobody else gets to try codes at all.
    if user is None or not can(user, "staff.area"):
        raise PermissionDenied(NOT_STAFF_TO_LINK)
    code = normalize_code(code)
    if len(code) != CODE_LENGTH:
        raise ValidationError(CODE_INVALID, field="code")
    now = utcnow()
    used = db.session.execute(
        sa.update(ModerationChatCode)
        .where(ModerationChatCode.code_hash == _hash(code), ModerationChatCode.used_at.is_(None),
               ModerationChatCode.expires_at > now)
        .values(used_at=now)
    )
    if used.rowcount != 1:
        db.session.rollback()
        raise ValidationError(CODE_INVALID, field="code")
    title = " ".join((title or "").split())[:255]
    chat = db.session.scalar(select(ModerationChat).where(ModerationChat.chat_id == chat_id))
    before = None
    if chat is None:
        chat = ModerationChat(chat_id=chat_id)
        db.session.add(chat)
    else:
        before = {"title": chat.title, "linked_by": chat.linked_by_id}
    chat.title = title
    chat.locale = normalize_locale(user.locale) or DEFAULT_LOCALE
    chat.linked_by_id = user.id
    chat.linked_at = now
    db.session.flush()
    locale = chat.locale
    audit.record(user, "moderation.chat_link", chat, before=before,
                 after={"chat_id": chat_id, "title": title, "locale": locale})
    db.session.commit()
    return locale


def unlink(actor: Any, link_id: int) -> None:
    """Staff unlink a chat on the page: the bot stops posting there; its old buttons answer
    that they are no longer valid."""
    require(actor, "staff.area")
    chat = db.session.get(ModerationChat, link_id)
    if chat is None:
        raise NotFound(_l("This chat is not linked."))
    audit.record(actor, "moderation.chat_unlink", chat,
                 before={"chat_id": chat.chat_id, "title": chat.title}, after=None)
    db.session.delete(chat)
    db.session.commit()


def chat_left(chat_id: int) -> bool:
    """The bot was removed from a group (or the group deleted): unlink it (True if it was)."""
    chat = db.session.scalar(select(ModerationChat).where(ModerationChat.chat_id == chat_id))
    if chat is None:
        return False
    audit.record(None, "moderation.chat_unlink", chat,
                 before={"chat_id": chat.chat_id, "title": chat.title},
                 after={"reason": "bot removed from the chat"})
    db.session.delete(chat)
    db.session.commit()
    return True


def chat_migrated(old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: Telegram gives it a new id; the link follows."""
    db.session.execute(sa.update(ModerationChat).where(ModerationChat.chat_id == old_chat_id)
                       .values(chat_id=new_chat_id))
    db.session.commit()


# -- posting and closing -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPost:
    """A queue entry to post in a chat (its row is claimed; `posted` or `release` follows)."""

    post_id: int
    chat_id: int
    locale: str
    item: Any  # queue.QueueItem


@dataclass(frozen=True)
class Closing:
    """A posted message to show as decided (or as no longer waiting), without buttons."""

    chat_id: int
    message_id: int
    text: str
    locale: str
    decision: Any  # queue.Decision, or None when the entry left the queue without one


@dataclass(frozen=True)
class Plan:
    new: list[NewPost]
    closings: list[Closing]


def _queue() -> Any:
    from diaspora.moderation import queue  # the one queue (its module imports features)

    return queue


def poll_plan(batch: int) -> Plan:
    """What the bot's poll should do now: post up to `batch` new entries per chat (a group
    takes about 20 bot messages a minute), and close the posts decided elsewhere."""
    chats = list(db.session.scalars(select(ModerationChat).order_by(ModerationChat.id)))
    if not chats:
        return Plan([], [])
    queue = _queue()
    now = utcnow()
    db.session.execute(sa.delete(ModerationChatPost).where(
        ModerationChatPost.message_id.is_(None), ModerationChatPost.posted_at < now - CLAIM_TTL))
    db.session.execute(sa.delete(ModerationReasonAsk).where(
        ModerationReasonAsk.asked_at < now - ASK_TTL))
    db.session.commit()
    items = queue.pending_items(None)
    keys = [item.key for item in items]
    posted = set(db.session.execute(
        select(ModerationChatPost.moderation_chat_id, ModerationChatPost.item_key)
        .where(ModerationChatPost.item_key.in_(keys))).all()) if keys else set()
    new: list[NewPost] = []
    for chat in chats:
        fresh = [item for item in items if (chat.id, item.key) not in posted][:batch]
        for item in fresh:
            post = ModerationChatPost(moderation_chat_id=chat.id, item_key=item.key, text="",
                                      posted_at=now)
            try:
                with db.session.begin_nested():
                    db.session.add(post)
            except sa.exc.IntegrityError:
                continue  # another poll claimed it first
            new.append(NewPost(post.id, chat.chat_id, chat.locale, item))
    db.session.commit()
    pending = set(keys)
    gone = db.session.scalars(
        select(ModerationChatPost.item_key).where(
            ModerationChatPost.decided_at.is_(None), ModerationChatPost.message_id.is_not(None))
        .distinct()).all()
    closings: list[Closing] = []
    for key in gone:
        # Beyond the first page of the queue an entry may still wait: ask for it by key.
        if key in pending or queue.find_item(key) is not None:
            continue
        closings += close_posts(key)
    return Plan(new, closings)


def posted(post_id: int, message_id: int, text: str) -> None:
    db.session.execute(sa.update(ModerationChatPost).where(ModerationChatPost.id == post_id)
                       .values(message_id=message_id, text=text))
    db.session.commit()


def release(post_id: int) -> None:
    """The message could not be sent: the next poll tries again."""
    db.session.execute(sa.delete(ModerationChatPost).where(ModerationChatPost.id == post_id,
                                                           ModerationChatPost.message_id.is_(None)))
    db.session.commit()


def close_posts(key: str, decision: Any = None) -> list[Closing]:
    """Every open post of a queue entry, in every chat, marked decided; each is returned
    once (whoever marks it edits it), so two handlers never edit one message twice.
    `decision`: the one just taken (its action's own label); else the stored one."""
    decision = decision or _queue().decision_for(key)
    posts = db.session.scalars(select(ModerationChatPost).where(
        ModerationChatPost.item_key == key, ModerationChatPost.decided_at.is_(None),
        ModerationChatPost.message_id.is_not(None))).all()
    now = utcnow()
    closings = []
    for post in posts:
        marked = db.session.execute(
            sa.update(ModerationChatPost)
            .where(ModerationChatPost.id == post.id, ModerationChatPost.decided_at.is_(None))
            .values(decided_at=now))
        if marked.rowcount == 1:
            closings.append(Closing(post.chat.chat_id, post.message_id, post.text,
                                    post.chat.locale, decision))
    db.session.commit()
    return closings


# -- deciding ------------------------------------------------------------------------------------

STALE, REFUSED, ASK, DECIDED, ALREADY, GONE = (
    "stale", "refused", "ask", "decided", "already", "gone")


@dataclass(frozen=True)
class Outcome:
    """What a press (or a reason) came to; the bot turns it into answers and edits.

    `locale` is the presser's language (for what the bot says to them alone)."""

    kind: str
    locale: str | None = None
    message: Any = None  # REFUSED: why, a lazy string
    item: Any = None  # ASK: the queue entry
    action: Any = None  # ASK: the queue action
    post_id: int | None = None
    decision: Any = None  # DECIDED, ALREADY
    closings: list[Closing] = field(default_factory=list)


def _presser(telegram_user_id: int) -> tuple[Any, str | None]:
    """The account behind a Telegram user, if it may decide queue entries (the queue's own
    rule; outside a web request the role alone counts), and its language."""
    user = registered_chat_user(telegram_user_id)
    locale = normalize_locale(user.locale) if user is not None else None
    if user is None or not can(user, "moderation.queue"):
        return None, locale
    return user, locale


def _post_in(post_id: int, chat_id: int) -> ModerationChatPost | None:
    post = db.session.get(ModerationChatPost, post_id)
    if post is None or post.chat.chat_id != chat_id:
        return None
    return post


def press(post_id: int, chat_id: int, telegram_user_id: int, action: str,
          message_id: int | None = None, text: str = "") -> Outcome:
    """A button of a posted entry was pressed by a Telegram user. `message_id` and `text`:
    the pressed message, as Telegram shows it."""
    post = _post_in(post_id, chat_id)
    if post is None:
        return Outcome(STALE)
    user, locale = _presser(telegram_user_id)
    if user is None:
        return Outcome(REFUSED, locale, message=NOT_STAFF)
    # Only a member of staff's press is taken as word of what was sent.
    if post.message_id is None and message_id is not None:
        # Pressed before the poll recorded what it sent (it is about to): the message is
        # known from the press itself, so it can be closed like any other.
        db.session.execute(
            sa.update(ModerationChatPost)
            .where(ModerationChatPost.id == post.id, ModerationChatPost.message_id.is_(None))
            .values(message_id=message_id, text=text))
        db.session.commit()
    return _decide(post, user, locale, action, None)


def _decide(post: ModerationChatPost, user: Any, locale: str | None, action: str,
            reason: str | None) -> Outcome:
    queue = _queue()
    key = post.item_key
    item = queue.find_item(key)
    if item is None:
        decision = queue.decision_for(key)
        return Outcome(ALREADY if decision is not None else GONE, locale, decision=decision,
                       closings=close_posts(key))
    step = next((a for a in item.actions if a.name == action), None)
    if step is None:
        return Outcome(STALE, locale)
    if item.author_id is not None and item.author_id == user.id:
        return Outcome(REFUSED, locale, message=OWN_CONTENT)
    if step.reason_required and reason is None:
        return Outcome(ASK, locale, item=item, action=step, post_id=post.id)
    try:
        decision = queue.decide(user, key, action, reason or "")
    except queue.AlreadyDecided as already:
        db.session.rollback()
        return Outcome(ALREADY, locale, decision=already.decision, closings=close_posts(key))
    except DomainError as error:
        db.session.rollback()
        # Someone decided between our look and decide()'s own (it then finds the entry gone
        # rather than decided): that moderator was quicker, not a refusal.
        winner = queue.decision_for(key)
        if winner is not None:
            return Outcome(ALREADY, locale, decision=winner, closings=close_posts(key))
        return Outcome(REFUSED, locale, message=error.message)
    return Outcome(DECIDED, locale, decision=decision, closings=close_posts(key, decision))


def record_ask(post_id: int, telegram_user_id: int, action: str, prompt_message_id: int) -> None:
    """The bot asked this moderator for a reason (a new press replaces their earlier ask)."""
    ask = db.session.scalar(select(ModerationReasonAsk).where(
        ModerationReasonAsk.post_id == post_id,
        ModerationReasonAsk.telegram_user_id == telegram_user_id))
    if ask is None:
        ask = ModerationReasonAsk(post_id=post_id, telegram_user_id=telegram_user_id)
        db.session.add(ask)
    ask.action, ask.prompt_message_id, ask.asked_at = action, prompt_message_id, utcnow()
    db.session.commit()


def answer_ask(chat_id: int, prompt_message_id: int, telegram_user_id: int,
               reason: str) -> Outcome | None:
    """A reply to one of the bot's questions: the reason, when it comes from the moderator
    asked (None for anything else: another person's reply is not theirs to give)."""
    ask = db.session.scalar(
        select(ModerationReasonAsk)
        .join(ModerationChatPost, ModerationReasonAsk.post_id == ModerationChatPost.id)
        .join(ModerationChat, ModerationChatPost.moderation_chat_id == ModerationChat.id)
        .where(ModerationChat.chat_id == chat_id,
               ModerationReasonAsk.prompt_message_id == prompt_message_id,
               ModerationReasonAsk.telegram_user_id == telegram_user_id))
    if ask is None:
        return None
    post, action, ask_id = ask.post, ask.action, ask.id
    user, locale = _presser(telegram_user_id)
    if user is None:  # no longer staff since the question
        _drop_ask(ask_id)
        return Outcome(REFUSED, locale, message=NOT_STAFF)
    outcome = _decide(post, user, locale, action, (reason or "").strip())
    if outcome.kind != REFUSED:  # refused (say, too short): the question stays open
        _drop_ask(ask_id)
    return outcome


def _drop_ask(ask_id: int) -> None:
    db.session.execute(sa.delete(ModerationReasonAsk).where(ModerationReasonAsk.id == ask_id))
    db.session.commit()


def cancel_asks(chat_id: int, telegram_user_id: int) -> list[int]:
    """/cancel in the chat: this moderator's open questions go; their prompts' message ids."""
    asks = db.session.scalars(
        select(ModerationReasonAsk)
        .join(ModerationChatPost, ModerationReasonAsk.post_id == ModerationChatPost.id)
        .join(ModerationChat, ModerationChatPost.moderation_chat_id == ModerationChat.id)
        .where(ModerationChat.chat_id == chat_id,
               ModerationReasonAsk.telegram_user_id == telegram_user_id)).all()
    prompts = [ask.prompt_message_id for ask in asks if ask.prompt_message_id]
    for ask in asks:
        db.session.delete(ask)
    db.session.commit()
    return prompts
