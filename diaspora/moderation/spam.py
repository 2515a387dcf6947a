"""Against spam: the checks every service that publishes a member's words calls, so the web
site and the bot (which calls the same services) are held to the same rules.

- Daily limits per member on first submissions of project proposals, comments (official
  answers are not counted) and reports: `check_limit(actor, kind)` before the work, then
  `count(actor, kind)` once it is committed, so a refused or failed post does not use up the
  allowance. Counted with the `limits` package (the one Flask-Limiter brings) in a moving
  24-hour window, in the storage Flask-Limiter uses (`RATELIMIT_STORAGE_URI`): Redis shares
  the counts between every web worker and the bot; `memory://` keeps them per process.
- Links: an account younger than SPAM_NEW_ACCOUNT_HOURS posts no links (`check_links`).
- Repeated text: a member's text identical (case and spaces aside) to one they posted in the
  last SPAM_DUPLICATE_HOURS is refused (`check_repeated`; the feature gives its rows, since
  moderation imports no feature).

Staff are exempt from everything here; verified authorities may post links from day one
(their accounts are checked by a person). A refusal is a `SpamRefused` (a ValidationError:
every form and bot conversation already shows those, at the field, keeping what was typed).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from limits import RateLimitItemPerDay
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from diaspora.accounts.permissions import has_staff_role, verified_places
from diaspora.errors import ValidationError
from diaspora.models import utcnow

log = logging.getLogger(__name__)

_KEY = "mekendesh.spam"
NAMESPACE = "mekendesh-spam"
# Shorter texts ("Thank you!", "+1", "Рахмат!") are conversation, not spam: the same thanks
# under two projects is allowed. A flood of them still meets the daily and 10-minute limits.
REPEAT_MIN_LENGTH = 20

PROPOSALS, COMMENTS, REPORTS = "proposals", "comments", "reports"
_SETTINGS = {PROPOSALS: "SPAM_PROPOSALS_PER_DAY", COMMENTS: "SPAM_COMMENTS_PER_DAY",
             REPORTS: "SPAM_REPORTS_PER_DAY"}


class SpamRefused(ValidationError):
    """A post refused by the rules against spam; its message says which rule and when."""


# -- set-up ------------------------------------------------------------------------------------


class _Counter:
    """The limits storage and strategy of one app."""

    def __init__(self, uri: str) -> None:
        self.storage: Storage = storage_from_string(uri)
        self.strategy = MovingWindowRateLimiter(self.storage)


def init_app(app: Flask) -> None:
    """The counter, built from RATELIMIT_STORAGE_URI at start-up (a bad URI stops the start).
    Its own object rather than Flask-Limiter's: the limiter is one object shared by every
    app and is switched off by RATELIMIT_ENABLED=false, which must not lift these limits."""
    app.extensions[_KEY] = _Counter(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")


_lock = threading.Lock()


def _counter() -> _Counter:
    found = current_app.extensions.get(_KEY)
    if found is None:  # an app built without moderation's init_app (a tool, a bare test)
        with _lock:
            found = current_app.extensions.setdefault(
                _KEY, _Counter(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"))
    return found


def reset() -> None:
    """Forget every count (tests: user ids come back after the database is emptied)."""
    _counter().storage.reset()


# -- who is exempt -----------------------------------------------------------------------------


_suspended: ContextVar[bool] = ContextVar("spam_checks_suspended", default=False)


@contextmanager
def suspended() -> Iterator[None]:
    """No check and no count inside (the demo data: its members post in their first
    minute)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def _exempt(actor: Any) -> bool:
    # Staff by the role alone, second factor or not: a moderator's comment is not spam.
    return _suspended.get() or has_staff_role(actor)


def _trusted_with_links(actor: Any) -> bool:
    return _exempt(actor) or bool(verified_places(actor))


# -- "when": a duration shown in the reader's language, when the message is shown -------------


def _in(seconds: float) -> LazyString:
    """"in 5 hours" in the language the message is finally rendered in (the bot renders
    a service's refusal later, in the member's language, not the worker thread's)."""
    delta = timedelta(seconds=max(60.0, seconds))
    return LazyString(lambda: format_timedelta(delta, add_direction=True, threshold=1.0))


# -- daily limits ------------------------------------------------------------------------------


def per_day(kind: str) -> int:
    """The limit a day for `kind` (0: no limit)."""
    return int(current_app.config.get(_SETTINGS[kind]) or 0)


def _item(kind: str) -> RateLimitItemPerDay | None:
    amount = per_day(kind)
    return RateLimitItemPerDay(amount, namespace=NAMESPACE) if amount > 0 else None


def _limit_message(kind: str, amount: int, when: LazyString) -> Any:
    if kind == PROPOSALS:
        return _l("Today's limit of proposals is reached (%(n)s a day). Your project is kept as "
                  "a draft: you can submit it %(when)s.", n=amount, when=when)
    if kind == REPORTS:
        return _l("Today's limit of reports is reached (%(n)s a day). You can report again "
                  "%(when)s.", n=amount, when=when)
    return _l("Today's limit of comments is reached (%(n)s a day). You can write again "
              "%(when)s.", n=amount, when=when)


def check_limit(actor: Any, kind: str, *, field: str | None = None) -> None:
    """Refuse (SpamRefused at `field`) when `actor` already posted today's allowance of
    `kind` (PROPOSALS, COMMENTS, REPORTS). Nothing is counted here: see `count`."""
    item = _item(kind)
    if item is None or _exempt(actor):
        return
    counter, who = _counter(), str(actor.id)
    try:
        if counter.strategy.test(item, kind, who):
            return
        reset_at = counter.strategy.get_window_stats(item, kind, who).reset_time
    except Exception:  # noqa: BLE001  (storage down: posting goes on, the log says why)
        log.exception("spam limits: the storage did not answer; %s not limited", kind)
        return
    raise SpamRefused(_limit_message(kind, item.amount, _in(reset_at - time.time())),
                      field=field)


def count(actor: Any, kind: str) -> None:
    """One more `kind` posted by `actor`: called after the post is committed."""
    item = _item(kind)
    if item is None or _exempt(actor):
        return
    try:
        _counter().strategy.hit(item, kind, str(actor.id))
    except Exception:  # noqa: BLE001  (the post is made; a lost count is not worth an error)
        log.exception("spam limits: the storage did not answer; a %s was not counted", kind)


# -- links from new accounts -------------------------------------------------------------------

# Top-level domains a bare address ("example.com") is recognised by; a list rather than "any
# letters after a dot" so that "file.txt", "1.5 m" or "т.е." stay plain words.
_TLDS = (
    "com|net|org|info|biz|io|me|co|cc|tv|ws|to|ly|gl|su|ru|kg|kz|uz|tj|tm|az|am|ge|ua|by|tr|"
    "kr|cn|de|uk|us|eu|pl|cz|lt|lv|ee|fr|it|es|nl|ae|online|site|shop|store|top|xyz|club|app|"
    "dev|pro|live|life|link|click|win|bid|vip|fun|space|website|tech|news|asia|icu|rest|"
    "рф|рус|қаз|укр|бел|срб|мкд|мон"
)
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)"  # http://, https://, ftp://, tg://
    r"|\bwww\."
    r"|\b(?:t|telegram)\.me/"
    r"|\]\s*\("  # a Markdown link [text](address)
    r"|\]\s*:\s*\S"  # a Markdown reference [text]: address
    r"|\bxn--[a-z0-9-]+"  # a punycode domain
    rf"|(?<![\w@.-])(?:[\w-]+\.)+(?:{_TLDS})(?![\w-])",
    re.IGNORECASE,
)


def has_link(text: str | None) -> bool:
    return bool(text) and _LINK.search(text) is not None


def _account_age(actor: Any) -> timedelta:
    created = getattr(actor, "created_at", None)
    if created is None:
        return timedelta(0)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return utcnow() - created


def new_account_hours() -> int:
    return int(current_app.config.get("SPAM_NEW_ACCOUNT_HOURS") or 0)


def check_links(actor: Any, text: str | None, *, field: str | None = None) -> None:
    """Refuse a link in `text` (SpamRefused at `field`) from an account younger than
    SPAM_NEW_ACCOUNT_HOURS, unless staff or a verified authority."""
    if not has_link(text) or _trusted_with_links(actor):
        return
    wait = timedelta(hours=new_account_hours()) - _account_age(actor)
    if wait <= timedelta(0):
        return
    raise SpamRefused(_l("New accounts can post links after their first day. Please remove "
                         "the link; you can post links %(when)s.",
                         when=_in(wait.total_seconds())), field=field)


# -- the same text again -----------------------------------------------------------------------


def normalised(text: str | None) -> str:
    """The text as compared: Unicode-normalised, case folded, runs of spaces as one."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(folded.split())


def _comparable(text: str | None) -> str | None:
    value = normalised(text)
    return value if len(value) >= REPEAT_MIN_LENGTH else None


# Why the member's own recent rows (which the feature reads: moderation imports no feature)
# and not a hash in the limits storage: the rows are the truth in every process (no Redis
# needed for the bot and the site to agree), a comment the member deleted or changed no longer
# blocks its text, and the query is cheap (an index on the author, at most a day's comments,
# which the daily limit keeps small).
EarlierTexts = Callable[[datetime], Iterable[str | None]]


def check_repeated(actor: Any, texts: Iterable[str | None], earlier: EarlierTexts,
                   message: Any, *, field: str | None) -> None:
    """Refuse (SpamRefused at `field`) when one of `texts` is, normalised, one of the texts
    `earlier(since)` gives: what `actor` posted since SPAM_DUPLICATE_HOURS ago."""
    wanted = {value for value in map(_comparable, texts) if value is not None}
    hours = int(current_app.config.get("SPAM_DUPLICATE_HOURS") or 0)
    if not wanted or hours <= 0 or _exempt(actor):
        return
    if any(normalised(text) in wanted for text in earlier(utcnow() - timedelta(hours=hours))):
        raise SpamRefused(message, field=field)


# -- what the services call --------------------------------------------------------------------


def check_comment(actor: Any, text: str, earlier: EarlierTexts, *,
                  official: bool = False) -> None:
    """Before a comment or an answer is written: links, repetition of a comment `actor`
    wrote lately (`earlier(since)`: their comments since then), then the daily limit. An
    official answer (the proposer's, the place's authority's) is checked for links only: an
    authority answering a backlog of questions the same way is not spamming."""
    check_links(actor, text, field="body")
    if official:
        return
    check_repeated(actor, [text], earlier, _l(
        "You already posted this same text. Please write something new instead of repeating "
        "it."), field="body")
    check_limit(actor, COMMENTS, field="body")


def check_project_texts(actor: Any, title: str, summary: str, description: str) -> None:
    """Before a project's draft is saved: no link from a new account in its words."""
    check_links(actor, title, field="title")
    check_links(actor, summary, field="summary")
    check_links(actor, description, field="description")


def check_submission(actor: Any, project: Any, earlier: EarlierTexts) -> bool:
    """Before a project is submitted: its summary and description must not repeat those of
    another project `actor` submitted lately (`earlier(since)`), and the daily limit. Returns
    whether the submission counts towards that limit: only a member's first submission
    (sending back a project the moderators returned for changes is the same proposal), and
    not a verified authority's project for its own place (an authority's work, checked by a
    person)."""
    counted = project.submitted_at is None and project.origin != "authority"
    check_repeated(actor, [project.summary, project.description], earlier, _l(
        "You already submitted a project with this same text. Please describe this project "
        "in its own words."), field="description")
    if counted:
        check_limit(actor, PROPOSALS)
    return counted
