"""Parts of pages drawn once and kept, for as long as what they show has not changed.

A public list or page is the same for every visitor in a language and time zone: the news
list, the project list, a project's story. Drawing it on every request was most of those
pages' cost (the queries behind it, then a template per item). `fragment()` keeps the drawn
HTML in the process under a key that holds the *content generation*: a counter in the
`content_generations` table that every transaction changing the site's content raises as it
commits. A process reads that counter at most once a second (`generation()`), so a kept page
costs no query: a change made in the same process is seen at its next request, one made in
another worker, the bot or the sender within a second.

Which writes count: every INSERT, UPDATE or DELETE made through the session (flushed
objects, and bulk statements run with `session.execute`), except on the tables in
`BOOKKEEPING`, whose rows no kept fragment shows (the outbox, sessions, audit log, bot state,
a member's login time...). A table missing from that list costs an extra redraw, never a
stale page. A fragment also lapses after `FRAGMENT_MAX_AGE` seconds (60 by default), which
bounds what time alone changes ("waiting for 3 days") and writes made outside the session
(raw SQL in a shell); 0 turns keeping off.

What goes in a fragment must not depend on who is looking: callers keep the viewer's own
parts (buttons, forms with their CSRF token, "you support this") outside it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context
from flask_babel import get_timezone
from markupsafe import Markup
from sqlalchemy import DDL, Integer, String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from diaspora.extensions import db

CONTENT = "content"
# Tables whose rows no kept fragment shows: a write to them leaves the generation as it is.
BOOKKEEPING = frozenset({
    "content_generations", "outbox", "broadcasts", "audit_log", "ended_sessions",
    "telegram_tokens", "bot_state", "staff_totp", "staff_recovery_codes",
    "privacy_acceptances", "insight_snapshots", "notifications", "notification_settings",
    "notification_pace", "moderation_chats", "moderation_chat_codes", "moderation_chat_posts",
    "moderation_reason_asks", "moderation_decisions", "sanctions", "reports",
    # Members' answers: shown only on results pages and lists that are drawn for each reader.
    "survey_invitations", "survey_participations", "survey_responses", "survey_answers",
    "survey_result_counts",
    # A login writes last_login_at; names and places shown publicly live in profiles.
    "users",
})
# A bound on memory: 500 parts of 5-40 KB a worker, however many distinct addresses are asked.
MAX_ENTRIES = 500
T = TypeVar("T")
_KEPT = "mekendesh.fragments"
_CHANGED = "mekendesh.content_changed"
_SEEN = "mekendesh.generation_seen"
_BUMPED = "mekendesh.generation_raised"


class ContentGeneration(db.Model):
    __tablename__ = "content_generations"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# The row exists from the start (the migration inserts it too): raising it is then always an
# UPDATE, which concurrent transactions queue for, never two INSERTs where one would fail.
_TABLE = ContentGeneration.__table__
event.listen(_TABLE, "after_create", DDL(
    "INSERT INTO content_generations (name, value) VALUES ('content', 0)"))
_RAISE = update(_TABLE).where(_TABLE.c.name == CONTENT).values(value=_TABLE.c.value + 1)


def generation() -> int:
    """The content generation as committed, read once a request, and at most once every
    GENERATION_RECHECK_SECONDS (1) in a process: a kept page then costs no query at all, and a
    change made in another process is seen within that second (one made in this process at
    once: its commit forgets the value read). 0 reads it on every request."""
    if "content_generation" not in g:
        recheck = current_app.config.get("GENERATION_RECHECK_SECONDS", 1)
        seen = current_app.extensions.get(_SEEN)
        now = time.monotonic()
        if seen is not None and now - seen[0] < recheck:
            g.content_generation = seen[1]
        else:
            g.content_generation = db.session.scalar(
                select(ContentGeneration.value).where(ContentGeneration.name == CONTENT)) or 0
            current_app.extensions[_SEEN] = (now, g.content_generation)
    return g.content_generation


def kept(name: str, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """What `compute()` returns, computed once per `key`, language, time zone and content
    generation in this process, and again after FRAGMENT_MAX_AGE seconds. An exception
    (a 404) is raised as it is and nothing is kept."""
    max_age = current_app.config.get("FRAGMENT_MAX_AGE", 60)
    if not max_age:
        return compute()
    from diaspora.main.templating import current_locale

    full_key = (name, key, current_locale(), str(get_timezone()), generation())
    store: OrderedDict = current_app.extensions[_KEPT]
    now = time.monotonic()
    entry = store.get(full_key)
    if entry is not None and now - entry[0] < max_age:
        return entry[1]
    value = compute()
    store[full_key] = (now, value)
    store.move_to_end(full_key)
    while len(store) > MAX_ENTRIES:
        store.popitem(last=False)
    return value


def fragment(name: str, key: tuple[Hashable, ...], draw: Callable[[], str]) -> Markup:
    """The HTML `draw()` returns (an autoescaped template), kept as `kept()` keeps it."""
    return kept(name, key, lambda: Markup(draw()))  # noqa: S704


def forget_all(app: Flask) -> None:
    """Drop every kept fragment of this process (tests start each case from nothing)."""
    app.extensions[_KEPT].clear()
    app.extensions.pop(_SEEN, None)


# -- raising the generation ---------------------------------------------------------------------


def _tables_of_flush(session: Session) -> set[str]:
    tables = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(instance), "__tablename__", None)
        if table and (instance not in session.dirty or session.is_modified(instance)):
            tables.add(table)
    return tables


def _mark(session: Session, tables: set[str]) -> None:
    if tables - BOOKKEEPING:
        session.info[_CHANGED] = True


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _mark(session, _tables_of_flush(session))


def _do_orm_execute(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _mark(state.session, {getattr(table, "name", "") or "?"})


def _before_commit(session: Session) -> None:
    if session.info.get(_CHANGED) or (
            (session.new or session.deleted or session.dirty) and _pending_changes(session)):
        session.info.pop(_CHANGED, None)
        # Raised in the transaction that changed the content: committed together, so no
        # reader can see the new generation with the old data.
        # The changes first (commit would flush them next anyway), so the row stays locked
        # only for the commit itself; then a plain Core UPDATE on the session's connection,
        # which needs none of the ORM's bulk-update work (no session objects to evaluate).
        session.flush()
        bumped = session.connection().execute(_RAISE)
        if not bumped.rowcount:
            session.add(ContentGeneration(name=CONTENT, value=1))
        session.info[_BUMPED] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_BUMPED, None) and has_app_context():
        # This process's own change: its next page reads the new generation at once.
        current_app.extensions.pop(_SEEN, None)


def _pending_changes(session: Session) -> bool:
    # commit() flushes after this hook runs: look at what that flush will write.
    return bool(_tables_of_flush(session) - BOOKKEEPING)


def _forget_mark(session: Session, transaction: Any) -> None:
    # Only when the whole transaction ends: a savepoint rolled back inside it leaves what the
    # transaction wrote before it. (A mark kept too long costs one extra redraw.)
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
        session.info.pop(_BUMPED, None)


def configure_page_cache(app: Flask) -> None:
    app.extensions[_KEPT] = OrderedDict()
    if not getattr(configure_page_cache, "listening", False):
        # On the Session class: every session of every app and process (web, bot, sender).
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _forget_mark)
        configure_page_cache.listening = True  # type: ignore[attr-defined]
